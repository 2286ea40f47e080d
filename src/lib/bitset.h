/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_BITSET_H
#define PALISADE_BITSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fixed-size bit set over dense indexes (endpoints, network sets).  Owned words. */
struct bitset {
	uint64_t *w;
	size_t nbits;
};

/* 0 or -ENOMEM.  All bits clear. */
int bitset_init(struct bitset *b, size_t nbits);
void bitset_fini(struct bitset *b);

static inline bool bitset_test(const struct bitset *b, size_t i)
{
	return i < b->nbits && (b->w[i >> 6] >> (i & 63)) & 1;
}

static inline void bitset_set(struct bitset *b, size_t i)
{
	b->w[i >> 6] |= UINT64_C(1) << (i & 63);
}

static inline void bitset_clear(struct bitset *b, size_t i)
{
	b->w[i >> 6] &= ~(UINT64_C(1) << (i & 63));
}

static inline void bitset_assign(struct bitset *b, size_t i, bool v)
{
	if (v)
		bitset_set(b, i);
	else
		bitset_clear(b, i);
}

size_t bitset_count(const struct bitset *b);
/* The next set bit at or after i, or b->nbits when none. */
size_t bitset_next(const struct bitset *b, size_t i);

#endif
