/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_SCRIPT_H
#define PALISADE_NFT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

/*
 * A rendered script (nft_render output) read back into its sets and chains, for the deltas
 * (nft_delta.c: elements only; nft_patch.c: chains and sets).  The renderer's layout is
 * stable: a set or map is "\tset NAME {" or "\tmap NAME {", then "\t\ttype T", maybe
 * "\t\tflags interval", then the elements, the first after "\t\telements = { ", each further
 * one on its own line after "\t\t\t     ", separated by "," and closed by " }", and it ends
 * with "\t}".  A chain is "\tchain NAME {", one statement per "\t\t" line (a base chain's
 * first line is its "type ... hook ..." declaration), and "\t}".  Comment and blank lines are
 * skipped: the kernel never sees them.  Everything is compared as text, except elements with
 * a timeout.
 *
 * An element of a hash set of addresses may end in " timeout <N>s" (nft_render.h); the script
 * then starts with the line NFT_SCRIPT_NOW "<seconds> ...", the time the timeouts count from.
 * Such an element's identity is its key (the text before " timeout "), its value the
 * absolute expiry now + N: two renders at different times that hold the same element until
 * the same time agree, although their texts differ.
 */
#define NFT_SCRIPT_NOW "# now="

struct nft_span {
	const char *p;
	size_t n;
};

struct nft_script_set {
	struct nft_span name, type;
	struct nft_span flags; /* the text after "flags " ("interval", "timeout"), or empty */
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
	bool has_now; /* the script starts with NFT_SCRIPT_NOW */
	int64_t now;
};

/*
 * Reads script (borrowed: spans point into it, so it must outlive s).  0, -EINVAL when the
 * script does not have the renderer's layout (an element with a timeout that is not
 * " timeout <N>s" with N > 0, or without the NFT_SCRIPT_NOW line, included), or -ENOMEM; s
 * needs nft_script_fini only after success.
 */
int nft_script_parse(const char *script, struct nft_script *s);
void nft_script_fini(struct nft_script *s);

int nft_span_cmp(const struct nft_span *a, const struct nft_span *b);
bool nft_span_eq(const struct nft_span *a, const struct nft_span *b);
/* Sorts a set's elements by key, as strings (in place). */
void nft_script_sort_elements(struct nft_script_set *set);

/*
 * Splits element el of a set of script s (parsed, so its layout is checked) into its key
 * and its absolute expiry (s->now + N for " timeout <N>s"; 0 when it has no timeout).
 * Returns the timeout N, or 0.
 */
int64_t nft_script_elem(const struct nft_script *s, const struct nft_span *el, struct nft_span *key,
			int64_t *expires);

/*
 * How the elements of one set change from the old script po (its set o) to the new one pn
 * (set n); both sets are sorted here.  Keys of o that n lacks are deletes, in del when the
 * old element had no timeout and in gone when it had one (the kernel may have dropped it
 * already: nft_delta.h).  Elements of n whose key o lacks, or whose absolute expiry differs
 * (a timeout extended or shortened, an element turned permanent or timed), are in add: adding
 * an element the kernel holds updates it.  An element whose key and expiry are unchanged is
 * in none, even when its timeout text differs.  The spans point into the scripts (del and
 * gone hold keys, add whole elements); nft_elem_diff_fini() frees the arrays.  0 or -ENOMEM.
 */
struct nft_elem_diff {
	struct nft_span *del, *gone, *add;
	size_t ndel, ngone, nadd;
};

int nft_script_diff_set(const struct nft_script *po, struct nft_script_set *o,
			const struct nft_script *pn, struct nft_script_set *n,
			struct nft_elem_diff *d);
void nft_elem_diff_fini(struct nft_elem_diff *d);

#endif
