/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_KEYTAB_H
#define PALISADE_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A capped table of fixed-size entries found by a byte-string key: the per-key state of the
 * detectors (pods, replica sets).  At most `max` keys are live; inserting one more fails and
 * is counted in `dropped`, so memory is bounded and nothing is lost silently.
 *
 * Entries are addressed by a stable index (0..keytab_end()), not by pointer: the value array
 * moves when the table grows.  A deleted index goes to a free list and is handed out again.
 * The buckets are an open-addressing array of entry index + 1 (0 = empty), linear probing,
 * load at most 1/2; each key keeps its hash so that growing and deleting never rehash a
 * string.
 */

#define KEYTAB_NONE UINT32_MAX

struct keytab_key {
	char *p; /* owned copy, NUL-terminated after len bytes; NULL for a free entry */
	uint32_t len;
	uint32_t hash;
};

struct keytab {
	uint32_t *bucket;
	size_t nbucket; /* 0 or a power of two */
	struct keytab_key *keys;
	unsigned char *vals; /* nalloc * esize bytes */
	uint32_t *freel;     /* free entry indexes, up to nalloc */
	size_t nfree;
	size_t esize;
	size_t nalloc;	  /* entries allocated */
	size_t nused;	  /* entries ever handed out: the iteration bound */
	size_t n;	  /* live keys */
	size_t max;	  /* cap on live keys; may be changed at any time */
	size_t key_bytes; /* heap bytes of the key copies */
	uint64_t dropped; /* inserts refused because the table was full */
};

/* An empty table of entries of esize bytes, at most max keys.  Allocates nothing yet. */
void keytab_init(struct keytab *t, size_t esize, size_t max);
/* Frees the table (not what entries point to: free that first).  Accepts a zeroed table. */
void keytab_fini(struct keytab *t);

/* The index of key, or KEYTAB_NONE. */
uint32_t keytab_find(const struct keytab *t, const void *key, size_t len);
/*
 * Finds key or inserts it with a zeroed value.  Returns 0 with *idx set (*created tells
 * which), -ENOSPC when the table holds max keys (counted in dropped), -EINVAL when len does
 * not fit 32 bits, or -ENOMEM.
 */
int keytab_get(struct keytab *t, const void *key, size_t len, uint32_t *idx, bool *created);
/* Deletes the live entry idx; the index is reused later. */
void keytab_del(struct keytab *t, uint32_t idx);

static inline size_t keytab_end(const struct keytab *t)
{
	return t->nused;
}

static inline bool keytab_live(const struct keytab *t, size_t idx)
{
	return idx < t->nused && t->keys[idx].p;
}

static inline void *keytab_val(const struct keytab *t, uint32_t idx)
{
	return t->vals + (size_t)idx * t->esize;
}

static inline const char *keytab_key(const struct keytab *t, uint32_t idx, size_t *len)
{
	if (len)
		*len = t->keys[idx].len;
	return t->keys[idx].p;
}

/* Bytes of heap memory held, counting 16 bytes of allocator overhead per key copy. */
size_t keytab_memory(const struct keytab *t);

#endif
