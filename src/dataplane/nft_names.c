/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_names.h"

#include "lib/model.h"
#include "lib/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t nft_name_hash(const char *s, unsigned salt)
{
	uint32_t h = 2166136261u;
	char buf[16];

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	if (salt) {
		snprintf(buf, sizeof(buf), "#%u", salt);
		for (const char *p = buf; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
	}
	return h;
}

/* Keys for n names, unique among themselves (see nft_names.h).  NULL on ENOMEM. */
static uint32_t *unique_keys(size_t n, const char *(*name)(const struct model *, size_t),
			     const struct model *m)
{
	uint32_t *keys = calloc(n + 1, sizeof(*keys));
	struct strmap used;
	char hex[16];
	int err = 0;

	if (!keys)
		return NULL;
	strmap_init(&used);
	for (size_t i = 0; i < n && !err; i++) {
		const char *s = name(m, i);

		for (unsigned salt = 0;; salt++) {
			keys[i] = nft_name_hash(s, salt);
			snprintf(hex, sizeof(hex), "%08x", keys[i]);
			if (strmap_get(&used, hex) == UINT32_MAX)
				break;
		}
		err = strmap_put(&used, hex, (uint32_t)i);
	}
	strmap_fini(&used);
	if (err) {
		free(keys);
		return NULL;
	}
	return keys;
}

static const char *pol_name(const struct model *m, size_t i)
{
	return m->pols[i].name;
}

static const char *tier_name(const struct model *m, size_t i)
{
	return m->tiers[i].name;
}

static const char *prof_name(const struct model *m, size_t i)
{
	return m->profiles[i].name;
}

static const char *as_name(const struct model *m, size_t i)
{
	return m->addrsets[i].key;
}

int nft_names_build(const struct model *m, struct nft_names *n)
{
	memset(n, 0, sizeof(*n));
	n->pol = unique_keys(m->npols, pol_name, m);
	n->tier = unique_keys(m->ntiers, tier_name, m);
	n->prof = unique_keys(m->nprofiles, prof_name, m);
	n->as = unique_keys(m->naddrsets, as_name, m);
	if (!n->pol || !n->tier || !n->prof || !n->as) {
		nft_names_fini(n);
		return -ENOMEM;
	}
	n->npol = m->npols;
	n->ntier = m->ntiers;
	n->nprof = m->nprofiles;
	n->nas = m->naddrsets;
	return 0;
}

void nft_names_fini(struct nft_names *n)
{
	free(n->pol);
	free(n->tier);
	free(n->prof);
	free(n->as);
	memset(n, 0, sizeof(*n));
}

static uint32_t find(const uint32_t *v, size_t n, uint32_t key)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == key)
			return (uint32_t)i;
	return UINT32_MAX;
}

uint32_t nft_names_policy(const struct nft_names *n, uint32_t key)
{
	return find(n->pol, n->npol, key);
}

uint32_t nft_names_tier(const struct nft_names *n, uint32_t key)
{
	return find(n->tier, n->ntier, key);
}

uint32_t nft_names_profile(const struct nft_names *n, uint32_t key)
{
	return find(n->prof, n->nprof, key);
}
