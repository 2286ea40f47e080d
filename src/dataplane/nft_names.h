/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_NAMES_H
#define PALISADE_NFT_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct model;

/*
 * Stable names for what the renderer prints.  Chains, sets and NFLOG ids are named after a
 * 32-bit hash of what they stand for (a policy's, tier's or profile's name, an address set's
 * canonical key), printed as 8 hex digits, never after a position in the model: adding one
 * policy then changes one policy chain and the chains that jump to it, not the name of every
 * policy ranked after it.  That keeps the difference between two renders as small as the
 * change (nft_delta.c), and NFLOG ids mean the same thing across generations.
 *
 * Two names that hash alike get distinct keys: the one met later (by rank, tier order,
 * profile or address-set index) is hashed again with a counter appended until it is unique,
 * so the keys are deterministic for a model.
 */
struct nft_names {
	uint32_t *pol;	/* by policy rank */
	uint32_t *tier; /* by tier index */
	uint32_t *prof; /* by profile index */
	uint32_t *as;	/* by address set index */
	size_t npol, ntier, nprof, nas;
};

/* 32-bit FNV-1a of s, then of the decimal salt when salt > 0. */
uint32_t nft_name_hash(const char *s, unsigned salt);

/* Fills n for m.  0 or -ENOMEM (n is then empty; nft_names_fini is still fine). */
int nft_names_build(const struct model *m, struct nft_names *n);
void nft_names_fini(struct nft_names *n);

/* Reverse lookups: the index whose key is key, or UINT32_MAX. */
uint32_t nft_names_policy(const struct nft_names *n, uint32_t key);
uint32_t nft_names_tier(const struct nft_names *n, uint32_t key);
uint32_t nft_names_profile(const struct nft_names *n, uint32_t key);

#endif
