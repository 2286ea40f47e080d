/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"
#include "cli/flowspec.h"
#include "cli/verdict.h"

#include "lib/model.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade eval -f PATH... --from EP --to EP --port N [--proto TCP]\n"
		"                     [--icmp-type N] [--icmp-code N] [--sport N] [-o text|json]\n"
		"       palisade eval -f PATH... --batch FILE\n"
		"EP is namespace/pod, an external host of the Lab, a host endpoint, or an IP.\n"
		"Exit status: 0 allowed, 1 denied, 2 error.\n");
}

static long parse_num(const char *s, const char *what, int *bad)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "palisade eval: %s: \"%s\" is not a non-negative number\n", what,
			s);
		*bad = 1;
	}
	return v;
}

static json_t *result_json(const struct model *m, const struct eval_verdict *eg,
			   const struct eval_verdict *in, int trace)
{
	json_t *o = json_object();

	json_object_set_new(o, "allowed", json_boolean(eg->allowed && in->allowed));
	json_object_set_new(o, "egress", verdict_json(m, eg, trace));
	json_object_set_new(o, "ingress", verdict_json(m, in, trace));
	return o;
}

static void print_json_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

static long json_num(json_t *q, const char *key, int *bad, char *err, size_t errsize)
{
	json_t *v = json_object_get(q, key);

	if (!v || json_is_null(v))
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errsize, "\"%s\" must be a non-negative integer", key);
		*bad = 1;
		return -1;
	}
	return (long)json_integer_value(v);
}

static const char *json_str(json_t *q, const char *key, int *bad, char *err, size_t errsize)
{
	json_t *v = json_object_get(q, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		snprintf(err, errsize, "\"%s\" must be a string", key);
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

static void print_error_line(size_t lineno, const char *msg)
{
	json_t *o = json_object();
	char buf[1200];

	snprintf(buf, sizeof(buf), "line %zu: %s", lineno, msg);
	json_object_set_new(o, "error", json_string(buf));
	print_json_line(o);
}

static int run_batch(const struct model *m, const char *path, int trace)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0, errors = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "palisade eval: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct flowspec fs;
		struct eval_flow flow;
		struct eval_verdict eg, in;
		json_error_t jerr;
		json_t *q;
		char err[1024] = "";
		int bad = 0;

		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		q = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (!q || !json_is_object(q)) {
			print_error_line(lineno, q ? "not a JSON object" : jerr.text);
			json_decref(q);
			errors++;
			continue;
		}
		flowspec_init(&fs);
		fs.from = json_str(q, "from", &bad, err, sizeof(err));
		fs.to = json_str(q, "to", &bad, err, sizeof(err));
		fs.protocol = json_str(q, "protocol", &bad, err, sizeof(err));
		fs.port = json_num(q, "port", &bad, err, sizeof(err));
		fs.sport = json_num(q, "source_port", &bad, err, sizeof(err));
		fs.icmp_type = json_num(q, "icmp_type", &bad, err, sizeof(err));
		fs.icmp_code = json_num(q, "icmp_code", &bad, err, sizeof(err));
		if (!bad && flowspec_build(m, &fs, &flow, err, sizeof(err)))
			bad = 1;
		if (bad) {
			print_error_line(lineno, err);
			json_decref(q);
			errors++;
			continue;
		}
		eval_flow(m, &flow, trace, &eg, &in);
		print_json_line(result_json(m, &eg, &in, trace));
		json_decref(q);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	fflush(stdout);
	return errors ? 1 : 0;
}

int cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"from", required_argument, NULL, 'F'},
		{"to", required_argument, NULL, 'T'},
		{"port", required_argument, NULL, 'p'},
		{"proto", required_argument, NULL, 'P'},
		{"protocol", required_argument, NULL, 'P'},
		{"icmp-type", required_argument, NULL, 'y'},
		{"icmp-code", required_argument, NULL, 'c'},
		{"sport", required_argument, NULL, 's'},
		{"batch", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"trace", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	int npaths = 0, c, bad = 0, rc = 2, trace = 0;
	const char *batch = NULL, *output = "text";
	struct flowspec fs;
	struct cli_world w = {0};

	if (!paths)
		return 2;
	flowspec_init(&fs);
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 'F':
			fs.from = optarg;
			break;
		case 'T':
			fs.to = optarg;
			break;
		case 'p':
			fs.port = parse_num(optarg, "--port", &bad);
			break;
		case 'P':
			fs.protocol = optarg;
			break;
		case 'y':
			fs.icmp_type = parse_num(optarg, "--icmp-type", &bad);
			break;
		case 'c':
			fs.icmp_code = parse_num(optarg, "--icmp-code", &bad);
			break;
		case 's':
			fs.sport = parse_num(optarg, "--sport", &bad);
			break;
		case 'b':
			batch = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 't':
			trace = 1;
			break;
		case 'h':
			usage(stdout);
			free(paths);
			return 0;
		default:
			bad = 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "palisade eval: unexpected argument \"%s\"\n", argv[optind]);
		bad = 1;
	}
	if (strcmp(output, "text") && strcmp(output, "json")) {
		fprintf(stderr, "palisade eval: -o must be text or json\n");
		bad = 1;
	}
	if (!batch && (!fs.from || !fs.to)) {
		fprintf(stderr, "palisade eval: --from and --to are required (or --batch FILE)\n");
		bad = 1;
	}
	if (bad) {
		usage(stderr);
		goto out;
	}
	rc = cli_world_load(&w, paths, npaths);
	if (rc)
		goto out;
	if (batch) {
		rc = run_batch(w.m, batch, trace);
	} else {
		struct eval_flow flow;
		struct eval_verdict eg, in;
		char err[1024];

		if (flowspec_build(w.m, &fs, &flow, err, sizeof(err))) {
			fprintf(stderr, "palisade eval: %s\n", err);
			rc = 2;
			goto out;
		}
		eval_flow(w.m, &flow, 1, &eg, &in);
		if (!strcmp(output, "json")) {
			print_json_line(result_json(w.m, &eg, &in, 1));
		} else {
			char a[512], b[512];

			printf("%s -> %s %s/%u: %s\n",
			       verdict_addr_name(w.m, &flow.src, a, sizeof(a)),
			       verdict_addr_name(w.m, &flow.dst, b, sizeof(b)),
			       proto_name(flow.proto) ? proto_name(flow.proto) : "proto",
			       flow.dport, eg.allowed && in.allowed ? "ALLOWED" : "DENIED");
			verdict_explain(stdout, w.m, &flow, &eg, M_EGRESS);
			verdict_explain(stdout, w.m, &flow, &in, M_INGRESS);
		}
		rc = eg.allowed && in.allowed ? 0 : 1;
	}
out:
	cli_world_fini(&w);
	free(paths);
	return rc;
}
