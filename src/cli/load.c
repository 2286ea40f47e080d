/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"

#include "lib/diag.h"
#include "lib/resource.h"

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
