/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"

#include "lib/diag.h"
#include "lib/model.h"
#include "lib/resource.h"

#include <stdlib.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

void cli_print_diags(FILE *f, struct diag_list *d)
{
	char buf[4096];

	diag_list_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->v[i], buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	if (d->dropped)
		fprintf(f, "palisade: %zu more diagnostics not shown\n", d->dropped);
}

int cli_load(struct resource_set *s, char **paths, int npaths)
{
	struct diag_list d;
	int rc = 0;

	diag_list_init(&d);
	for (int i = 0; i < npaths; i++) {
		int err = resource_load_path(s, paths[i], &d);

		if (err && err != -EINVAL) { /* -EINVAL: reported in d */
			fprintf(stderr, "palisade: %s: %s\n", paths[i], strerror(-err));
			rc = 1;
		}
	}
	if (d.errors == 0)
		resource_set_check(s, &d);
	cli_print_diags(stderr, &d);
	if (d.errors)
		rc = 1;
	diag_list_fini(&d);
	return rc;
}

int cli_world_load(struct cli_world *w, char **paths, int npaths)
{
	struct diag_list d;
	int rc;

	w->m = NULL;
	w->rs = calloc(1, sizeof(*w->rs));
	if (!w->rs) {
		fprintf(stderr, "palisade: out of memory\n");
		return 2;
	}
	resource_set_init(w->rs);
	if (npaths == 0) {
		fprintf(stderr, "palisade: no manifests given (-f PATH)\n");
		rc = 2;
		goto fail;
	}
	rc = cli_load(w->rs, paths, npaths);
	if (rc)
		goto fail;
	diag_list_init(&d);
	w->m = model_build(w->rs, &d);
	cli_print_diags(stderr, &d);
	rc = !w->m ? 2 : d.errors ? 1 : 0;
	diag_list_fini(&d);
	if (rc)
		goto fail;
	return 0;
fail:
	cli_world_fini(w);
	return rc;
}

void cli_world_fini(struct cli_world *w)
{
	model_free(w->m);
	w->m = NULL;
	if (w->rs) {
		resource_set_fini(w->rs);
		free(w->rs);
		w->rs = NULL;
	}
}

const char *cli_config_path(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
	}
	return path;
}
