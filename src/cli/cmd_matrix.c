/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"
#include "cli/truth_table.h"

#include "lib/eval.h"
#include "lib/model.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * palisade matrix: every pod and external host to every pod, for each protocol and port,
 * as a truth table (text, in the style of cyclonus) or JSON cells.  Sources: pods sorted by
 * "ns/name", then the Lab's external hosts by name; destinations: pods.
 */

struct party {
	char *name;
	struct eval_addr addr;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade matrix -f PATH... [--ports 80,81] [--protos TCP,UDP] [-o text|json]\n");
}

static int party_cmp(const void *a, const void *b)
{
	return strcmp(((const struct party *)a)->name, ((const struct party *)b)->name);
}

static int parse_list(const char *s, char ***out, size_t *n)
{
	char *copy = strdup(s), *tok, *save = NULL;

	*n = 0;
	*out = NULL;
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **v = realloc(*out, (*n + 1) * sizeof(**out));

		if (!v)
			break;
		*out = v;
		(*out)[(*n)++] = strdup(tok);
	}
	free(copy);
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int cmd_matrix(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},	  {"ports", required_argument, NULL, 'p'},
		{"protos", required_argument, NULL, 'P'}, {"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	int npaths = 0, c, bad = 0, rc = 2;
	const char *ports_s = "80", *protos_s = "TCP", *output = "text";
	char **ports_l = NULL, **protos_l = NULL;
	size_t nports = 0, nprotos = 0, nsrc = 0, ndst = 0;
	uint16_t *ports = NULL;
	uint8_t *protos = NULL;
	struct party *src = NULL;
	struct cli_world w = {0};

	if (!paths)
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 'p':
			ports_s = optarg;
			break;
		case 'P':
			protos_s = optarg;
			break;
		case 'o':
			output = optarg;
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
		fprintf(stderr, "palisade matrix: unexpected argument \"%s\"\n", argv[optind]);
		bad = 1;
	}
	if (strcmp(output, "text") && strcmp(output, "json")) {
		fprintf(stderr, "palisade matrix: -o must be text or json\n");
		bad = 1;
	}
	parse_list(ports_s, &ports_l, &nports);
	parse_list(protos_s, &protos_l, &nprotos);
	ports = calloc(nports + 1, sizeof(*ports));
	protos = calloc(nprotos + 1, sizeof(*protos));
	if (!ports || !protos)
		goto out;
	for (size_t i = 0; i < nports; i++) {
		char *end;
		long v = strtol(ports_l[i], &end, 10);

		if (end == ports_l[i] || *end || v < 1 || v > 65535) {
			fprintf(stderr, "palisade matrix: --ports: \"%s\" is not a port 1-65535\n",
				ports_l[i]);
			bad = 1;
		}
		ports[i] = (uint16_t)v;
	}
	for (size_t i = 0; i < nprotos; i++) {
		if (proto_parse(protos_l[i], &protos[i]) ||
		    (protos[i] != PROTO_TCP && protos[i] != PROTO_UDP && protos[i] != PROTO_SCTP)) {
			fprintf(stderr,
				"palisade matrix: --protos: \"%s\" is not TCP, UDP or SCTP\n",
				protos_l[i]);
			bad = 1;
		}
	}
	if (!nports || !nprotos) {
		fprintf(stderr, "palisade matrix: --ports and --protos need at least one value\n");
		bad = 1;
	}
	if (bad) {
		usage(stderr);
		goto out;
	}
	rc = cli_world_load(&w, paths, npaths);
	if (rc)
		goto out;
	rc = 2;
	{
		const struct model *m = w.m;
		size_t nhosts = m->lab ? m->lab->u.lab.nhosts : 0;

		src = calloc(m->neps + nhosts + 1, sizeof(*src));
		if (!src)
			goto out;
		for (size_t i = 0; i < m->neps; i++) {
			const struct m_endpoint *e = &m->eps[i];

			if (e->kind != M_EP_WORKLOAD)
				continue;
			if (asprintf(&src[nsrc].name, "%s/%s", e->ns, e->name) < 0)
				goto out;
			eval_resolve(m, src[nsrc].name, &src[nsrc].addr);
			src[nsrc].addr.name = NULL;
			nsrc++;
		}
		qsort(src, nsrc, sizeof(*src), party_cmp);
		ndst = nsrc;
		for (size_t i = 0; i < nhosts; i++) {
			src[nsrc].name = strdup(m->lab->u.lab.hosts[i].name);
			if (!src[nsrc].name)
				goto out;
			eval_addr_from_ip(m, &m->lab->u.lab.hosts[i].ip, &src[nsrc].addr);
			nsrc++;
		}
		qsort(src + ndst, nsrc - ndst, sizeof(*src), party_cmp);

		{
			const char **names = calloc(nsrc + 1, sizeof(*names));
			bool *res = calloc(nprotos * nports * nsrc * (ndst ? ndst : 1) + 1,
					   sizeof(*res));
			struct truth_table t;
			size_t k = 0;

			if (!names || !res) {
				free(names);
				free(res);
				goto out;
			}
			for (size_t i = 0; i < nsrc; i++)
				names[i] = src[i].name;
			for (size_t pi = 0; pi < nprotos; pi++)
				for (size_t qi = 0; qi < nports; qi++)
					for (size_t s = 0; s < nsrc; s++)
						for (size_t d = 0; d < ndst; d++) {
							struct eval_flow f;
							struct eval_verdict eg, in;

							memset(&f, 0, sizeof(f));
							f.src = src[s].addr;
							f.dst = src[d].addr;
							f.proto = protos[pi];
							f.dport = ports[qi];
							f.sport = 32768;
							f.icmp_type = f.icmp_code = -1;
							res[k++] =
								eval_flow(m, &f, false, &eg, &in);
						}
			t = (struct truth_table){names,	 nsrc,	 names,	  ndst, ports,
						 nports, protos, nprotos, res};
			if (!strcmp(output, "json"))
				truth_table_print_json(stdout, &t);
			else
				truth_table_print_text(stdout, &t);
			free(names);
			free(res);
		}
	}
	rc = 0;
out:
	if (src)
		for (size_t i = 0; i < nsrc; i++)
			free(src[i].name);
	free(src);
	free(ports);
	free(protos);
	free_list(ports_l, nports);
	free_list(protos_l, nprotos);
	cli_world_fini(&w);
	free(paths);
	return rc;
}
