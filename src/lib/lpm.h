/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LPM_H
#define PALISADE_LPM_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/cidr.h"

/*
 * A longest-prefix-match table: prefixes of both families mapped to opaque values, as a
 * path-compressed binary trie (one per family).  Lookups cost at most one node per bit of
 * the address and usually far fewer.  Memory is owned by the table; values are not.
 *
 * Used for: address -> endpoint, address -> containing network sets (longest wins), the
 * nets of selector IP sets, threat-feed sets of a million CIDRs.
 */
struct lpm;

struct lpm *lpm_new(void);
void lpm_free(struct lpm *t);
/* Inserts or replaces; *old (may be NULL) receives the replaced value or NULL.  0, -ENOMEM
 * (the table is unchanged), or -EINVAL when value is NULL, the family is not 4 or 6 or the
 * length exceeds its width.  Host bits set in c are ignored, here and in every call below. */
int lpm_insert(struct lpm *t, const struct cidr *c, void *value, void **old);
/* Removes exactly c; returns its value, or NULL when c was not present. */
void *lpm_remove(struct lpm *t, const struct cidr *c);
/* The value of exactly c, or NULL. */
void *lpm_get(const struct lpm *t, const struct cidr *c);
/* The value of the longest prefix containing a, or NULL; *match (may be NULL) gets that prefix. */
void *lpm_lookup(const struct lpm *t, const struct ipaddr *a, struct cidr *match);
/* Calls fn for every prefix containing a, from the longest to the shortest; fn returns non-zero
 * to stop.  Returns how many prefixes were visited.  fn must not modify the table. */
size_t lpm_lookup_all(const struct lpm *t, const struct ipaddr *a,
		      int (*fn)(const struct cidr *c, void *value, void *ctx), void *ctx);
size_t lpm_count(const struct lpm *t);
/* Bytes allocated by the table (for benchmarks and metrics). */
size_t lpm_memory(const struct lpm *t);
/* In-order walk: IPv4 before IPv6, then by address, shorter prefix first (cidr_cmp order).
 * fn returns non-zero to stop early and must not modify the table. */
void lpm_walk(const struct lpm *t, int (*fn)(const struct cidr *c, void *value, void *ctx),
	      void *ctx);

#endif
