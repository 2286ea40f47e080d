/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_PATCH_H
#define PALISADE_NFT_PATCH_H

#include <stddef.h>

struct strbuf;

/*
 * A patch: the nft commands that turn the table a kernel holds (an old render) into a new
 * render, touching only what differs (DESIGN §4: "the dataplane applies only the changed
 * chains and set elements, in one atomic transaction").  Because chains and sets are named
 * after stable keys (nft_names.h), a policy added or edited changes its own chain, the tier
 * chains that jump to it and maybe a verdict map entry, not the rest of the table.
 *
 * The commands, run by libnftables as one transaction, in this order:
 *   1. add set / add map for new ones, with their elements
 *   2. add chain for new chains (empty, so that any rule may jump to them)
 *   3. delete element, then add element, for sets and maps whose elements changed (timed
 *      elements as in nft_delta.h: an unchanged expiry is no change, a changed one an add
 *      that says "expires" too, and a timed element that went away is added with
 *      "timeout 1s" before its delete, so that the transaction holds when the kernel has
 *      expired it already)
 *   4. flush chain + add rule ... for every changed chain (a base chain keeps its hook);
 *      add rule ... for new chains; flush chain for chains that go away
 *   5. delete chain for chains that go away (nothing jumps to them any more)
 *   6. delete set / delete map for sets that go away
 */
struct nft_patch_stats {
	size_t chains_added, chains_changed, chains_removed;
	size_t sets_added, sets_removed, sets_changed;
	size_t rules;	 /* rules the patch adds */
	size_t elements; /* elements it deletes and adds in existing sets */
};

/*
 * Appends the patch from old_script to new_script to out and fills st (may be NULL).
 * Returns 0 (an empty patch when the two are equal for the kernel), -EAGAIN when only a
 * whole-table apply can do it (a base chain or a set declaration, its flags included,
 * changed, or a script without the renderer's layout), or -ENOMEM.  Pure: no kernel access.
 */
int nft_patch_compute(const char *old_script, const char *new_script, struct strbuf *out,
		      struct nft_patch_stats *st);

#endif
