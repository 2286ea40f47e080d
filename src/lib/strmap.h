/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_STRMAP_H
#define PALISADE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * A string -> uint32_t hash map with open addressing (linear probing, power-of-two size,
 * load at most 1/2).  Keys are copied and owned by the map.  Used for interning (selector
 * text, address-set keys) and for name lookups (endpoints by "ns/name").
 */
struct strmap {
	char **keys;
	uint32_t *vals;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

void strmap_init(struct strmap *m);
void strmap_fini(struct strmap *m);
/* Returns the value of key or UINT32_MAX when absent. */
uint32_t strmap_get(const struct strmap *m, const char *key);
/* Inserts or replaces.  0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, uint32_t val);
/* Removes key; returns its value or UINT32_MAX. */
uint32_t strmap_del(struct strmap *m, const char *key);
uint64_t strmap_hash(const char *s);

#endif
