/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade nft-delta OLD NEW: the element delta between two rendered scripts (an internal
 * verb for the netns tests and for looking at what the agent would send).
 */
#include "cli/cmd.h"

#include "dataplane/nft_delta.h"
#include "dataplane/nft_netlink.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade nft-delta [--apply] OLD.nft NEW.nft\n"
		"\n"
		"Compares two scripts of `palisade agent --dry-run`.  When they differ only in\n"
		"set and map elements, prints the delta as nft commands and, with --apply, sends\n"
		"it to table inet palisade as one netlink batch (the kernel must hold OLD).\n"
		"Exit status: 0 delta printed (and applied), 1 a full apply is needed, 2 error.\n");
}

static char *slurp(const char *path)
{
	struct strbuf b;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	strbuf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		strbuf_fini(&b);
		return NULL;
	}
	fclose(f);
	if (!b.len)
		strbuf_puts(&b, "");
	return strbuf_steal(&b);
}

int cmd_nft_delta(int argc, char **argv)
{
	struct nft_delta *d = NULL;
	char *olds = NULL, *news = NULL, msg[512];
	struct strbuf out;
	bool apply = false;
	int i = 1, rc = 2, err;

	strbuf_init(&out);
	if (i < argc && !strcmp(argv[i], "--apply")) {
		apply = true;
		i++;
	}
	if (argc - i != 2) {
		usage(stderr);
		return 2;
	}
	olds = slurp(argv[i]);
	news = slurp(argv[i + 1]);
	if (!olds || !news) {
		fprintf(stderr, "palisade nft-delta: cannot read %s\n",
			!olds ? argv[i] : argv[i + 1]);
		goto out;
	}
	err = nft_delta_compute(olds, news, &d);
	if (err) {
		fprintf(stderr, "palisade nft-delta: %s\n", strerror(-err));
		goto out;
	}
	if (!d) {
		printf("full apply needed\n");
		rc = 1;
		goto out;
	}
	nft_delta_format(d, &out);
	fputs(strbuf_str(&out), stdout);
	printf("# %zu elements in %zu sets\n", nft_delta_count(d), d->nsets);
	rc = 0;
	if (apply) {
		err = nft_netlink_apply(d, msg, sizeof(msg));
		if (err) {
			fprintf(stderr, "palisade nft-delta: %s\n", msg);
			rc = 2;
		}
	}
out:
	nft_delta_free(d);
	strbuf_fini(&out);
	free(olds);
	free(news);
	return rc;
}
