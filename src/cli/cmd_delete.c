/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"
#include "cli/store.h"

#include "agent/datastore.h"
#include "lib/diag.h"
#include "lib/resource.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * palisade delete KIND NAME [-n NS] | delete -f PATH: removes objects from the datastore.
 * An object is removed by removing its file, so it must be alone in it (apply and the lab
 * write one object per file); otherwise the command says so and changes nothing.
 */

static void usage(FILE *f)
{
	fprintf(f, "usage: palisade delete KIND NAME [-n NAMESPACE] [--datastore DIR]\n"
		   "       palisade delete -f PATH [--datastore DIR]\n");
}

static size_t objects_in_file(const struct resource_set *rs, const char *file)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++)
		n += !strcmp(rs->v[i]->loc.file, file);
	return n;
}

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{"namespace", required_argument, NULL, 'n'},
		{"file", required_argument, NULL, 'f'},
		{"datastore", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *ns = NULL, *file = NULL, *dsopt = NULL, *ds;
	char dsbuf[4096], ref[512];
	struct resource_set rs, want;
	struct diag_list d;
	size_t skipped;
	const struct resource **victims = NULL;
	size_t nv = 0;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'd':
			dsopt = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (file ? optind != argc : argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (!file && !cli_kind_known(argv[optind])) {
		fprintf(stderr, "palisade delete: unknown kind \"%s\"\n", argv[optind]);
		return 2;
	}
	ds = store_resolve(dsopt, dsbuf, sizeof(dsbuf));
	if (!ds)
		return 2;
	resource_set_init(&rs);
	resource_set_init(&want);
	diag_list_init(&d);
	datastore_load(ds, &rs, &d, &skipped);
	diag_list_fini(&d);
	diag_list_init(&d);
	if (file) {
		char *fp = (char *)file;

		if (cli_load(&want, &fp, 1)) {
			rc = 1;
			goto out;
		}
	}
	victims = calloc(rs.n + 1, sizeof(*victims));
	for (size_t i = 0; i < rs.n; i++) {
		const struct resource *r = rs.v[i];
		bool hit = false;

		if (file) {
			for (size_t j = 0; j < want.n && !hit; j++)
				hit = want.v[j]->kind == r->kind &&
				      !strcmp(want.v[j]->meta.name, r->meta.name) &&
				      !!want.v[j]->meta.namespace_ == !!r->meta.namespace_ &&
				      (!r->meta.namespace_ ||
				       !strcmp(want.v[j]->meta.namespace_, r->meta.namespace_));
		} else {
			const char *want_ns = ns			     ? ns
					      : res_kind_namespaced(r->kind) ? "default"
									     : NULL;

			hit = cli_kind_matches(argv[optind], r->kind) &&
			      !strcmp(argv[optind + 1], r->meta.name) &&
			      (!r->meta.namespace_ ||
			       (want_ns && !strcmp(want_ns, r->meta.namespace_)));
		}
		if (!hit)
			continue;
		if (objects_in_file(&rs, r->loc.file) != 1) {
			fprintf(stderr,
				"palisade delete: %s %s shares %s with other objects; edit that file instead (nothing deleted)\n",
				res_kind_name(r->kind), resource_ref(r, ref, sizeof(ref)),
				r->loc.file);
			rc = 1;
			goto out;
		}
		victims[nv++] = r;
	}
	if (!nv) {
		fprintf(stderr, "palisade delete: no such object in %s\n", ds);
		rc = 1;
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < nv; i++) {
		if (unlink(victims[i]->loc.file)) {
			fprintf(stderr, "palisade delete: %s: %s\n", victims[i]->loc.file,
				strerror(errno));
			rc = 1;
			continue;
		}
		printf("%s %s deleted\n", res_kind_name(victims[i]->kind),
		       resource_ref(victims[i], ref, sizeof(ref)));
	}
out:
	free(victims);
	diag_list_fini(&d);
	resource_set_fini(&want);
	resource_set_fini(&rs);
	return rc;
}
