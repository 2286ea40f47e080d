/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade validate -f PATH...: load manifests, check them alone and together, print every
 * diagnostic, and say how many resources of which kinds were valid.
 */
#include "cli/cmd.h"

#include "lib/diag.h"
#include "lib/lint.h"
#include "lib/model.h"
#include "lib/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade validate -f PATH... [-f PATH...]\n"
		"\n"
		"Checks manifests (files, directories of *.yaml, *.yml and *.json, or - for stdin)\n"
		"and prints every error and warning on stderr as FILE:LINE: MESSAGE.\n"
		"Exit status: 0 when every resource is valid, 1 when any is not, 2 for a usage error.\n");
}

/* The per-kind summary, in kind order; both NetworkPolicy kinds are told apart only when
 * both occur. */
static void print_summary(const struct resource_set *s)
{
	size_t count[RES_KIND_COUNT] = {0};
	bool both_np, first = true;

	for (size_t i = 0; i < s->n; i++)
		count[s->v[i]->kind]++;
	both_np = count[RES_K8S_NETWORK_POLICY] && count[RES_NETWORK_POLICY];
	printf("%zu resource%s valid", s->n, s->n == 1 ? "" : "s");
	for (int k = 0; k < RES_KIND_COUNT; k++) {
		const char *name = res_kind_name((enum res_kind)k);

		if (!count[k])
			continue;
		if (both_np && k == RES_K8S_NETWORK_POLICY)
			name = "NetworkPolicy (networking.k8s.io)";
		else if (both_np && k == RES_NETWORK_POLICY)
			name = "NetworkPolicy (projectcalico.org)";
		printf("%s%zu %s", first ? " (" : ", ", count[k], name);
		first = false;
	}
	printf("%s\n", first ? "" : ")");
}

/* argv is borrowed; everything loaded is freed before returning. */
/* Valid input can still be surprising: build the model and print the lints' warnings
 * (docs/semantics.md).  Returns 0, or 1 if the model could not be built. */
static int lint(const struct resource_set *s)
{
	struct diag_list d;
	struct model *m;
	int rc = 0;

	diag_list_init(&d);
	m = model_build(s, &d);
	if (m)
		lint_model(m, &d);
	cli_print_diags(stderr, &d);
	if (!m || d.errors)
		rc = 1;
	model_free(m);
	diag_list_fini(&d);
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	struct resource_set s;
	char **paths;
	int npaths = 0, rc;
	bool in_f = false;

	paths = calloc((size_t)argc + 1, sizeof(*paths));
	if (!paths) {
		fprintf(stderr, "palisade validate: out of memory\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			free(paths);
			return 0;
		}
		if (!strcmp(a, "-f") || !strcmp(a, "--filename")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "palisade validate: %s needs a PATH\n", a);
				goto usage;
			}
			in_f = true;
			paths[npaths++] = argv[++i];
		} else if (!strncmp(a, "--filename=", 11)) {
			in_f = true;
			paths[npaths++] = argv[i] + 11;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "palisade validate: unknown option %s\n", a);
			goto usage;
		} else if (in_f) {
			/* "-f a.yaml b.yaml": more paths after -f. */
			paths[npaths++] = argv[i];
		} else {
			fprintf(stderr,
				"palisade validate: unexpected argument %s (paths follow -f)\n", a);
			goto usage;
		}
	}
	if (npaths == 0) {
		fprintf(stderr, "palisade validate: no input; give -f PATH\n");
		goto usage;
	}
	resource_set_init(&s);
	rc = cli_load(&s, paths, npaths);
	if (rc == 0)
		rc = lint(&s);
	if (rc == 0)
		print_summary(&s);
	resource_set_fini(&s);
	free(paths);
	return rc;
usage:
	usage(stderr);
	free(paths);
	return 2;
}
