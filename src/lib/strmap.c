/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_fini(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	strmap_init(m);
}

/* FNV-1a, 64 bit: short keys, no adversary that could choose collisions cheaply matters here
 * beyond a slower lookup. */
uint64_t strmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t strmap_slot(const struct strmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)strmap_hash(key) & mask;

	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & mask;
	return i;
}

uint32_t strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return UINT32_MAX;
	i = strmap_slot(m, key);
	return m->keys[i] ? m->vals[i] : UINT32_MAX;
}

static int strmap_grow(struct strmap *m)
{
	struct strmap g;

	g.cap = m->cap ? m->cap * 2 : 16;
	g.n = m->n;
	g.keys = calloc(g.cap, sizeof(*g.keys));
	g.vals = calloc(g.cap, sizeof(*g.vals));
	if (!g.keys || !g.vals) {
		free(g.keys);
		free(g.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			size_t j = strmap_slot(&g, m->keys[i]);

			g.keys[j] = m->keys[i];
			g.vals[j] = m->vals[i];
		}
	}
	free(m->keys);
	free(m->vals);
	*m = g;
	return 0;
}

int strmap_put(struct strmap *m, const char *key, uint32_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && strmap_grow(m))
		return -ENOMEM;
	i = strmap_slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = strdup(key);
		if (!m->keys[i])
			return -ENOMEM;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

uint32_t strmap_del(struct strmap *m, const char *key)
{
	size_t mask, i, j;
	uint32_t v;

	if (!m->cap)
		return UINT32_MAX;
	mask = m->cap - 1;
	i = strmap_slot(m, key);
	if (!m->keys[i])
		return UINT32_MAX;
	v = m->vals[i];
	free(m->keys[i]);
	m->keys[i] = NULL;
	m->n--;
	/* Re-insert the rest of the cluster so that probing stays correct. */
	for (j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		char *k = m->keys[j];
		uint32_t kv = m->vals[j];
		size_t s;

		m->keys[j] = NULL;
		s = strmap_slot(m, k);
		m->keys[s] = k;
		m->vals[s] = kv;
	}
	return v;
}
