/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"
#include "cli/store.h"

#include "agent/datastore.h"
#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/doc.h"
#include "lib/resource.h"
#include "lib/readfile.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * palisade apply -f PATH|- ...: validates every object first (all or nothing, like a
 * transaction), then writes each one to its own file in the datastore, atomically.  The
 * agents watching the directory pick the change up.
 */

static void usage(FILE *f)
{
	fprintf(f, "usage: palisade apply -f PATH|- [-f PATH...] [--datastore DIR]\n");
}

/* Appends the objects of document n (List items unwrapped) to out. */
static void collect_objects(const struct doc_node *n, const struct doc_node ***out, size_t *nout,
			    size_t *cap)
{
	const struct doc_node *kind = doc_get(n, "kind"), *items = doc_get(n, "items");

	if (kind && kind->type == DOC_SCALAR && strlen(kind->str) > 4 &&
	    !strcmp(kind->str + strlen(kind->str) - 4, "List") && items && items->type == DOC_SEQ) {
		for (size_t i = 0; i < items->n; i++)
			collect_objects(items->items[i], out, nout, cap);
		return;
	}
	if (*nout == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		const struct doc_node **v = realloc(*out, ncap * sizeof(**out));

		if (!v)
			return; /* the count check against the loader then refuses the apply */
		*out = v;
		*cap = ncap;
	}
	(*out)[(*nout)++] = n;
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"filename", required_argument, NULL, 'f'},
		{"datastore", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	const char *dsopt = NULL, *ds;
	char dsbuf[4096];
	int npaths = 0, c, rc = 2;
	struct resource_set rs;
	struct diag_list d;
	struct arena a;
	const struct doc_node **objs = NULL;
	size_t nobjs = 0, capobjs = 0;
	char **bufs = NULL;

	if (!paths)
		return 2;
	resource_set_init(&rs);
	diag_list_init(&d);
	arena_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 'd':
			dsopt = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!npaths || optind < argc) {
		usage(stderr);
		goto out;
	}
	ds = store_resolve(dsopt, dsbuf, sizeof(dsbuf));
	if (!ds)
		goto out;
	bufs = calloc((size_t)npaths, sizeof(*bufs));
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		struct doc_node **docs = NULL;
		size_t len, ndocs = 0;
		const char *name = strcmp(paths[i], "-") ? paths[i] : "<stdin>";

		if (strcmp(paths[i], "-") && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			fprintf(stderr, "palisade apply: %s: give files, not directories\n",
				paths[i]);
			goto out;
		}
		bufs[i] = read_file(paths[i], 0, &len);
		if (!bufs[i]) {
			fprintf(stderr, "palisade apply: %s: %s\n", name,
				strerror(errno ? errno : EIO));
			goto out;
		}
		struct diag_list scratch; /* the same problems are reported by the loader */

		resource_load_buffer(&rs, bufs[i], len, name, &d);
		diag_list_init(&scratch);
		doc_parse(bufs[i], len, name, &a, &docs, &ndocs, &scratch);
		diag_list_fini(&scratch);
		for (size_t k = 0; k < ndocs; k++)
			collect_objects(docs[k], &objs, &nobjs, &capobjs);
	}
	if (d.errors == 0)
		resource_set_check(&rs, &d);
	cli_print_diags(stderr, &d);
	if (d.errors) {
		fprintf(stderr, "palisade apply: nothing applied\n");
		rc = 1;
		goto out;
	}
	if (nobjs != rs.n) {
		fprintf(stderr, "palisade apply: %zu documents but %zu objects; nothing applied\n",
			nobjs, rs.n);
		goto out;
	}
	for (size_t i = 0; i < rs.n; i++) {
		char *fname = store_file_name(rs.v[i]), *text;
		json_t *j = store_doc_to_json(objs[i]);
		char path[8192], ref[512];
		struct stat st;
		bool existed;
		int err;

		text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (!fname || !text) {
			free(fname);
			free(text);
			fprintf(stderr, "palisade apply: out of memory\n");
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", ds, fname);
		existed = stat(path, &st) == 0;
		err = datastore_write(ds, fname, text, strlen(text));
		free(text);
		free(fname);
		if (err) {
			fprintf(stderr, "palisade apply: %s: %s\n", path, strerror(-err));
			goto out;
		}
		printf("%s %s %s\n", res_kind_name(rs.v[i]->kind),
		       resource_ref(rs.v[i], ref, sizeof(ref)), existed ? "configured" : "created");
	}
	rc = 0;
out:
	if (bufs)
		for (int i = 0; i < npaths; i++)
			free(bufs[i]);
	free(bufs);
	free(objs);
	arena_fini(&a);
	diag_list_fini(&d);
	resource_set_fini(&rs);
	free(paths);
	return rc;
}
