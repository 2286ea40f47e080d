/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/keytab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEY_OVERHEAD 16

void keytab_init(struct keytab *t, size_t esize, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->esize = esize;
	t->max = max;
}

void keytab_fini(struct keytab *t)
{
	for (size_t i = 0; i < t->nused; i++)
		free(t->keys[i].p);
	free(t->bucket);
	free(t->keys);
	free(t->vals);
	free(t->freel);
	keytab_init(t, t->esize, t->max);
}

/* FNV-1a, 32 bit over the key bytes. */
static uint32_t key_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* The bucket holding key, or the empty bucket where it would go. */
static size_t slot_of(const struct keytab *t, const void *key, size_t len, uint32_t h)
{
	size_t mask = t->nbucket - 1;
	size_t i = h & mask;

	for (; t->bucket[i]; i = (i + 1) & mask) {
		const struct keytab_key *k = &t->keys[t->bucket[i] - 1];

		if (k->hash == h && k->len == len && !memcmp(k->p, key, len))
			break;
	}
	return i;
}

static void place(uint32_t *bucket, size_t nbucket, uint32_t h, uint32_t idx)
{
	size_t mask = nbucket - 1;
	size_t i = h & mask;

	while (bucket[i])
		i = (i + 1) & mask;
	bucket[i] = idx + 1;
}

static int grow_buckets(struct keytab *t)
{
	size_t nb = t->nbucket ? t->nbucket * 2 : 16;
	uint32_t *b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbucket; i++)
		if (t->bucket[i])
			place(b, nb, t->keys[t->bucket[i] - 1].hash, t->bucket[i] - 1);
	free(t->bucket);
	t->bucket = b;
	t->nbucket = nb;
	return 0;
}

static int grow_entries(struct keytab *t)
{
	size_t na = t->nalloc ? t->nalloc * 2 : 16;
	struct keytab_key *k;
	unsigned char *v;
	uint32_t *f;

	if (na > t->max && t->max > t->nalloc)
		na = t->max;
	if (na > UINT32_MAX - 1)
		return -ENOMEM;
	k = realloc(t->keys, na * sizeof(*k));
	if (!k)
		return -ENOMEM;
	t->keys = k;
	v = realloc(t->vals, na * t->esize);
	if (!v)
		return -ENOMEM;
	t->vals = v;
	f = realloc(t->freel, na * sizeof(*f));
	if (!f)
		return -ENOMEM;
	t->freel = f;
	t->nalloc = na;
	return 0;
}

uint32_t keytab_find(const struct keytab *t, const void *key, size_t len)
{
	size_t i;

	if (!t->nbucket || len > UINT32_MAX)
		return KEYTAB_NONE;
	i = slot_of(t, key, len, key_hash(key, len));
	return t->bucket[i] ? t->bucket[i] - 1 : KEYTAB_NONE;
}

int keytab_get(struct keytab *t, const void *key, size_t len, uint32_t *idx, bool *created)
{
	uint32_t h, e;
	size_t i;
	char *copy;

	if (len > UINT32_MAX)
		return -EINVAL;
	h = key_hash(key, len);
	if (t->nbucket) {
		i = slot_of(t, key, len, h);
		if (t->bucket[i]) {
			*idx = t->bucket[i] - 1;
			if (created)
				*created = false;
			return 0;
		}
	}
	if (t->n >= t->max) {
		t->dropped++;
		return -ENOSPC;
	}
	if ((t->n + 1) * 2 > t->nbucket && grow_buckets(t))
		return -ENOMEM;
	if (!t->nfree && t->nused == t->nalloc && grow_entries(t))
		return -ENOMEM;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, len);
	copy[len] = '\0';
	e = t->nfree ? t->freel[--t->nfree] : (uint32_t)t->nused++;
	t->keys[e] = (struct keytab_key){.p = copy, .len = (uint32_t)len, .hash = h};
	memset(keytab_val(t, e), 0, t->esize);
	place(t->bucket, t->nbucket, h, e);
	t->n++;
	t->key_bytes += len + 1 + KEY_OVERHEAD;
	*idx = e;
	if (created)
		*created = true;
	return 0;
}

void keytab_del(struct keytab *t, uint32_t idx)
{
	struct keytab_key *k = &t->keys[idx];
	size_t mask = t->nbucket - 1;
	size_t i = slot_of(t, k->p, k->len, k->hash);

	t->bucket[i] = 0;
	/* Re-place the rest of the probe cluster so that lookups past the hole still work. */
	for (size_t j = (i + 1) & mask; t->bucket[j]; j = (j + 1) & mask) {
		uint32_t e = t->bucket[j] - 1;

		t->bucket[j] = 0;
		place(t->bucket, t->nbucket, t->keys[e].hash, e);
	}
	t->key_bytes -= k->len + 1 + KEY_OVERHEAD;
	free(k->p);
	k->p = NULL;
	t->freel[t->nfree++] = idx;
	t->n--;
}

size_t keytab_memory(const struct keytab *t)
{
	return t->nbucket * sizeof(*t->bucket) +
	       t->nalloc * (sizeof(*t->keys) + t->esize + sizeof(*t->freel)) + t->key_bytes;
}
