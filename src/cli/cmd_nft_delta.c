/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade nft-delta OLD NEW: what the agent would send to take a kernel holding OLD to NEW
 * (an internal verb for the netns tests and for looking): the element delta when only
 * elements differ, else the patch of changed chains and sets.
 */
#include "cli/cmd.h"

#include "dataplane/nft_apply.h"
#include "dataplane/nft_delta.h"
#include "dataplane/nft_patch.h"
#include "dataplane/nft_netlink.h"
#include "lib/strbuf.h"
#include "lib/readfile.h"

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
		"Otherwise prints the patch of changed chains and sets (\"# patch: ...\") and,\n"
		"with --apply, runs it through libnftables as one transaction.\n"
		"Exit status: 0 delta or patch printed (and applied), 1 a full apply is needed,\n"
		"2 error.\n");
}

/* No element delta: the patch of chains and sets, or "full apply needed" (exit 1). */
static int patch(const char *olds, const char *news, bool apply)
{
	struct nft_patch_stats st;
	struct nft_applier *a = NULL;
	struct strbuf out;
	const char *msg = NULL;
	int rc = 2, err;

	strbuf_init(&out);
	err = nft_patch_compute(olds, news, &out, &st);
	if (err == -EAGAIN) {
		printf("full apply needed\n");
		rc = 1;
		goto out;
	}
	if (err) {
		fprintf(stderr, "palisade nft-delta: %s\n", strerror(-err));
		goto out;
	}
	fputs(strbuf_str(&out), stdout);
	printf("# patch: chains +%zu ~%zu -%zu, sets +%zu ~%zu -%zu, %zu rules, %zu elements\n",
	       st.chains_added, st.chains_changed, st.chains_removed, st.sets_added,
	       st.sets_changed, st.sets_removed, st.rules, st.elements);
	rc = 0;
	if (apply && out.len) {
		a = nft_applier_new();
		if (!a || nft_applier_run(a, strbuf_str(&out), &msg)) {
			fprintf(stderr, "palisade nft-delta: %s\n", msg ? msg : "libnftables");
			rc = 2;
		}
	}
out:
	nft_applier_free(a);
	strbuf_fini(&out);
	return rc;
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
	olds = read_file(argv[i], 0, NULL);
	news = read_file(argv[i + 1], 0, NULL);
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
		rc = patch(olds, news, apply);
		goto out;
	}
	nft_delta_format(d, &out);
	fputs(strbuf_str(&out), stdout);
	printf("# %zu elements in %zu sets\n", nft_delta_count(d), d->nsets);
	rc = 0;
	if (apply) {
		struct nft_netlink_stats ns;

		err = nft_netlink_apply_stats(d, &ns, msg, sizeof(msg));
		if (err) {
			fprintf(stderr, "palisade nft-delta: %s\n", msg);
			rc = 2;
		} else if (ns.expired) {
			printf("# %zu timed elements had already expired\n", ns.expired);
		}
	}
out:
	nft_delta_free(d);
	strbuf_fini(&out);
	free(olds);
	free(news);
	return rc;
}
