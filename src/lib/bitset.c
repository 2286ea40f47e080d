/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/bitset.h"

#include <errno.h>
#include <stdlib.h>

int bitset_init(struct bitset *b, size_t nbits)
{
	size_t words = (nbits + 63) / 64;

	b->nbits = nbits;
	b->w = calloc(words ? words : 1, sizeof(*b->w));
	return b->w ? 0 : -ENOMEM;
}

void bitset_fini(struct bitset *b)
{
	free(b->w);
	b->w = NULL;
	b->nbits = 0;
}

size_t bitset_count(const struct bitset *b)
{
	size_t n = 0;

	for (size_t i = 0; i < (b->nbits + 63) / 64; i++)
		n += (size_t)__builtin_popcountll(b->w[i]);
	return n;
}

size_t bitset_next(const struct bitset *b, size_t i)
{
	size_t words = (b->nbits + 63) / 64;
	size_t wi = i >> 6;
	uint64_t w;

	if (i >= b->nbits)
		return b->nbits;
	w = b->w[wi] & (~UINT64_C(0) << (i & 63));
	for (;;) {
		if (w) {
			size_t r = (wi << 6) + (size_t)__builtin_ctzll(w);

			return r < b->nbits ? r : b->nbits;
		}
		if (++wi >= words)
			return b->nbits;
		w = b->w[wi];
	}
}
