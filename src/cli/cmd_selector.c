/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade selector: evaluate or print one Calico selector, or answer JSON lines in batch.
 */
#include "cli/cmd.h"

#include "lib/arena.h"
#include "lib/label.h"
#include "lib/selector.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade selector SELECTOR --labels KEY=VALUE,...\n"
		"       palisade selector SELECTOR --print\n"
		"       palisade selector --batch FILE\n"
		"\n"
		"Evaluates a Calico selector.\n"
		"  --labels L    print \"true\" or \"false\": does SELECTOR match the label set L\n"
		"                (KEY=VALUE pairs separated by commas; a value may be empty)\n"
		"  --print       print SELECTOR in canonical form\n"
		"  --batch FILE  read JSON lines {\"selector\":\"a == 'b'\",\"labels\":{\"a\":\"b\"}}\n"
		"                from FILE (- for stdin); print one line per input line:\n"
		"                {\"match\":true}, {\"match\":false} or {\"error\":\"...\"}\n"
		"Exit status: 0 when the question was answered (true or false alike), 2 for a\n"
		"selector that does not parse, a usage error or an unreadable FILE.\n");
}

/* Splits "k=v,k2=v2" into a label set in a.  Returns 0, or -EINVAL with *bad at the pair. */
static int parse_labels(struct arena *a, char *spec, struct labels *out, const char **bad)
{
	struct label *pairs = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	out->v = NULL;
	out->n = 0;
	if (*spec == '\0')
		return 0;
	/* strsep, unlike strtok, sees the empty pairs of "a=b,,c=d" and a trailing comma. */
	for (char *pair; (pair = strsep(&spec, ",")) != NULL;) {
		char *eq = strchr(pair, '=');

		if (!eq || eq == pair) {
			*bad = pair;
			ret = -EINVAL;
			goto out;
		}
		if (n == cap) {
			struct label *np;

			cap = cap ? cap * 2 : 8;
			np = realloc(pairs, cap * sizeof(*np));
			if (!np) {
				ret = -ENOMEM;
				goto out;
			}
			pairs = np;
		}
		*eq = '\0';
		pairs[n].key = pair;
		pairs[n].value = eq + 1;
		n++;
	}
	ret = labels_build(a, pairs, n, out);
out:
	free(pairs);
	return ret;
}

static void put_error(FILE *out, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	fprintf(out, "%s\n", s ? s : "{\"error\":\"out of memory\"}");
	free(s);
	json_decref(o);
}

/*
 * One batch line.  The last selector is cached: batches usually test one selector against
 * many label sets.
 */
struct batch {
	struct arena arena;
	char *last_text;
	struct selector *last;
};

static void batch_line(struct batch *b, FILE *out, char *line, size_t lineno)
{
	json_t *root, *jsel, *jlabels, *v;
	struct label *pairs = NULL;
	struct labels labels;
	json_error_t jerr;
	const char *text, *k;
	char *msg = NULL, *err = NULL;
	size_t n = 0;

	root = json_loads(line, 0, &jerr);
	if (!root) {
		if (asprintf(&msg, "line %zu: invalid JSON: %s", lineno, jerr.text) < 0)
			msg = NULL;
		goto out;
	}
	if (!json_is_object(root)) {
		if (asprintf(&msg, "line %zu: expected a JSON object", lineno) < 0)
			msg = NULL;
		goto out;
	}
	jsel = json_object_get(root, "selector");
	jlabels = json_object_get(root, "labels");
	if (!json_is_string(jsel)) {
		if (asprintf(&msg, "line %zu: \"selector\" must be a string", lineno) < 0)
			msg = NULL;
		goto out;
	}
	if (!json_is_object(jlabels)) {
		if (asprintf(&msg, "line %zu: \"labels\" must be an object", lineno) < 0)
			msg = NULL;
		goto out;
	}
	pairs = calloc(json_object_size(jlabels) + 1, sizeof(*pairs));
	if (!pairs)
		goto out;
	json_object_foreach(jlabels, k, v)
	{
		if (!json_is_string(v)) {
			if (asprintf(&msg, "line %zu: label \"%s\" must have a string value",
				     lineno, k) < 0)
				msg = NULL;
			goto out;
		}
		pairs[n].key = k;
		pairs[n].value = json_string_value(v);
		n++;
	}
	text = json_string_value(jsel);
	if (!b->last || strcmp(b->last_text, text) != 0) {
		selector_free(b->last);
		free(b->last_text);
		b->last_text = NULL;
		b->last = selector_parse(text, &err);
		if (!b->last) {
			msg = err;
			goto out;
		}
		b->last_text = strdup(text);
		if (!b->last_text) {
			selector_free(b->last);
			b->last = NULL;
			goto out;
		}
	}
	if (labels_build(&b->arena, pairs, n, &labels))
		goto out;
	fprintf(out, "{\"match\":%s}\n", selector_match(b->last, &labels) ? "true" : "false");
	free(pairs);
	json_decref(root);
	arena_fini(&b->arena);
	return;
out:
	put_error(out, msg ? msg : "out of memory");
	free(msg);
	free(pairs);
	json_decref(root);
	arena_fini(&b->arena);
}

static int run_batch(const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct batch b = {0};
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;

	if (!in) {
		fprintf(stderr, "palisade selector: %s: %s\n", path, strerror(errno));
		return 2;
	}
	arena_init(&b.arena);
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		batch_line(&b, stdout, line, lineno);
		/* A co-process on stdin wants each answer as soon as its question. */
		if (in == stdin)
			fflush(stdout);
	}
	if (ferror(in)) {
		fprintf(stderr, "palisade selector: %s: read error\n", path);
		ret = 2;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "palisade selector: write error\n");
		ret = 2;
	}
	free(line);
	selector_free(b.last);
	free(b.last_text);
	arena_fini(&b.arena);
	if (in != stdin)
		fclose(in);
	return ret;
}

/* argv[0] is "selector"; argv is not modified except for the --labels value. */
int cmd_selector(int argc, char **argv)
{
	const char *text = NULL, *batch = NULL, *bad = NULL;
	char *labels_spec = NULL, *err = NULL, *canon;
	struct selector *s = NULL;
	struct labels labels;
	struct arena a;
	bool print = false, opts_done = false;
	int ret = 2;

	arena_init(&a);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!opts_done && arg[0] == '-' && arg[1] != '\0') {
			if (!strcmp(arg, "--")) {
				opts_done = true;
			} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
				usage(stdout);
				ret = 0;
				goto out;
			} else if (!strcmp(arg, "--print")) {
				print = true;
			} else if (!strcmp(arg, "--labels") || !strcmp(arg, "--batch")) {
				if (i + 1 >= argc) {
					fprintf(stderr, "palisade selector: %s needs a value\n",
						arg);
					goto usage;
				}
				if (arg[2] == 'l')
					labels_spec = argv[++i];
				else
					batch = argv[++i];
			} else if (!strncmp(arg, "--labels=", 9)) {
				labels_spec = argv[i] + 9;
			} else if (!strncmp(arg, "--batch=", 8)) {
				batch = arg + 8;
			} else {
				fprintf(stderr, "palisade selector: unknown option \"%s\"\n", arg);
				goto usage;
			}
		} else if (!text) {
			text = arg;
		} else {
			fprintf(stderr, "palisade selector: one selector only (quote it)\n");
			goto usage;
		}
	}
	if (batch) {
		if (text || labels_spec || print) {
			fprintf(stderr, "palisade selector: --batch takes no selector, --labels "
					"or --print\n");
			goto usage;
		}
		ret = run_batch(batch);
		goto out;
	}
	if (!text || (!labels_spec && !print)) {
		fprintf(stderr, "palisade selector: give a selector and --labels or --print\n");
		goto usage;
	}
	if (labels_spec) {
		int r = parse_labels(&a, labels_spec, &labels, &bad);

		if (r == -EINVAL) {
			fprintf(stderr, "palisade selector: --labels: \"%s\" is not KEY=VALUE\n",
				bad);
			goto usage;
		}
		if (r) {
			fprintf(stderr, "palisade selector: %s\n", strerror(-r));
			goto out;
		}
	}
	s = selector_parse(text, &err);
	if (!s) {
		fprintf(stderr, "palisade selector: %s\n", err ? err : strerror(errno));
		goto out;
	}
	if (print) {
		canon = selector_print(s);
		if (!canon) {
			fprintf(stderr, "palisade selector: %s\n", strerror(ENOMEM));
			goto out;
		}
		printf("%s\n", canon);
		free(canon);
	}
	if (labels_spec)
		printf("%s\n", selector_match(s, &labels) ? "true" : "false");
	ret = fflush(stdout) == 0 ? 0 : 2;
	goto out;
usage:
	usage(stderr);
	ret = 2;
out:
	free(err);
	selector_free(s);
	arena_fini(&a);
	return ret;
}
