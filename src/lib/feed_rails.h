/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_FEED_RAILS_H
#define PALISADE_FEED_RAILS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/cidr.h"

/*
 * The safety rails between a parsed threat feed and the network set that policy blocks
 * (DESIGN §8): a feed must not be able to cut the cluster off.  An entry is refused when it
 *   - is 0.0.0.0/0 or ::/0 ("0.0.0.0/0 would block everything"),
 *   - is broader than the broadest prefix allowed for its family, /8 for IPv4 and /32 for IPv6
 *     by default ("broader than /8"), or
 *   - overlaps a protected range: the cluster's pod, service and node ranges, and whatever
 *     the operator adds ("overlaps protected range 10.244.0.0/16").
 * allow_broad lifts the first two rails, allow_protected the third.  What is left is merged
 * into the smallest equivalent prefix list (cidr_merge).
 *
 * The shrink check is separate: a pull that would shrink the accepted set by more than a
 * fraction of its size is held for confirmation rather than applied.
 */

#define FEED_MAX_PREFIX_V4_DEFAULT   8
#define FEED_MAX_PREFIX_V6_DEFAULT   32
#define FEED_SHRINK_FRACTION_DEFAULT 0.5

struct feed_rails_opts {
	unsigned max_prefix_v4;	    /* entries shorter than this are refused (0..32) */
	unsigned max_prefix_v6;	    /* (0..128) */
	const struct cidr *protect; /* borrowed */
	size_t nprotect;
	bool allow_broad;
	bool allow_protected;
};

enum feed_refusal_reason {
	FEED_REFUSE_EVERYTHING, /* a /0 */
	FEED_REFUSE_BROAD,
	FEED_REFUSE_PROTECTED,
};

struct feed_refusal {
	struct cidr entry;
	enum feed_refusal_reason reason;
	struct cidr range; /* FEED_REFUSE_PROTECTED: the first protected range it overlaps */
	unsigned limit;	   /* FEED_REFUSE_BROAD: the broadest allowed length */
};

struct feed_rails_result {
	struct cidr *accepted; /* owned; merged, in cidr_cmp order (IPv4 first, by address) */
	size_t naccepted;
	size_t accepted_entries; /* entries accepted before merging: what the shrink check uses */
	struct feed_refusal *refused; /* owned; in cidr_cmp order, each entry once */
	size_t nrefused;
	size_t refused_entries; /* refused entries, duplicates included */
};

/* Defaults: /8, /32, nothing protected, no overrides. */
void feed_rails_opts_init(struct feed_rails_opts *o);

void feed_rails_result_init(struct feed_rails_result *r);
/* Frees what r owns and leaves it empty. */
void feed_rails_result_fini(struct feed_rails_result *r);

/*
 * Splits the n entries at v (borrowed, not modified) into accepted and refused, and merges the
 * accepted ones, into r (initialised by the caller, replaced).  Entries of another family or
 * with host bits set are normalised as cidr_merge does.  0, or -ENOMEM with r empty.
 * Time O(n log n + n * nprotect).
 */
int feed_rails_apply(const struct cidr *v, size_t n, const struct feed_rails_opts *o,
		     struct feed_rails_result *r);

/*
 * The reason as text: "0.0.0.0/0 would block everything", "broader than /8", "overlaps
 * protected range 10.244.0.0/16".  Returns the length snprintf would, as snprintf does.
 */
int feed_refusal_format(const struct feed_refusal *f, char *buf, size_t size);

enum feed_shrink {
	FEED_SHRINK_APPLY,
	FEED_SHRINK_HOLD,
};

/*
 * Whether a pull that takes the accepted set from prev to next entries (accepted_entries)
 * shrinks it by more than max_fraction of prev, and must wait for confirmation.  Growing,
 * an empty previous set and a shrink of exactly max_fraction apply; a max_fraction of 1 or
 * more never holds, and one below 0 is taken as 0 (any shrink holds).
 */
enum feed_shrink feed_shrink_check(size_t prev, size_t next, double max_fraction);

#endif
