/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_SCRIPT_H
#define PALISADE_NFT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/strbuf.h"

/*
 * A rendered script (nft_render output) read back into its sets and chains, for the deltas
 * (nft_delta.c: elements only; nft_patch.c: chains and sets).  The renderer's layout is
 * stable: a set or map is "\tset NAME {" or "\tmap NAME {", then "\t\ttype T", maybe
 * "\t\tflags interval", then the elements, the first after "\t\telements = { ", each further
 * one on its own line after "\t\t\t     ", separated by "," and closed by " }", and it ends
 * with "\t}".  A chain is "\tchain NAME {", one statement per "\t\t" line (a base chain's
 * first line is its "type ... hook ..." declaration), and "\t}".  Comment and blank lines are
 * skipped: the kernel never sees them.  Everything is compared as text.
 */
struct nft_span {
	const char *p;
	size_t n;
};

struct nft_script_set {
	struct nft_span name, type;
	bool interval, map;
	struct nft_span *el;
	size_t nel, cap;
};

struct nft_script_chain {
	struct nft_span name;
	struct nft_span *lines; /* statements without their leading tabs */
	size_t nlines, cap;
	bool base; /* the first line declares a hook */
};

struct nft_script {
	struct strbuf skel; /* the script without elements, comments and blank lines */
	struct nft_script_set *sets;
	size_t nsets, capsets;
	struct nft_script_chain *chains;
	size_t nchains, capchains;
};

/*
 * Reads script (borrowed: spans point into it, so it must outlive s).  0, -EINVAL when the
 * script does not have the renderer's layout, or -ENOMEM; s needs nft_script_fini only
 * after success.
 */
int nft_script_parse(const char *script, struct nft_script *s);
void nft_script_fini(struct nft_script *s);

int nft_span_cmp(const struct nft_span *a, const struct nft_span *b);
bool nft_span_eq(const struct nft_span *a, const struct nft_span *b);
/* Sorts a set's elements as strings (in place). */
void nft_script_sort_elements(struct nft_script_set *set);

#endif
