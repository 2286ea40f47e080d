/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/arena.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_MIN (64 * 1024)
#define ARENA_ALIGN	_Alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t off;
	max_align_t data[];
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
}

void arena_fini(struct arena *a)
{
	struct arena_block *b = a->head;

	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	arena_init(a);
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p;

	if (need < size) {
		errno = ENOMEM;
		return NULL;
	}
	if (!b || b->size - b->off < need) {
		size_t bsize = need > ARENA_BLOCK_MIN ? need : ARENA_BLOCK_MIN;

		if (bsize > SIZE_MAX - sizeof(*b)) {
			errno = ENOMEM;
			return NULL;
		}
		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return NULL;
		b->size = bsize;
		b->off = 0;
		/* A big one-off allocation goes behind the head so the head keeps its free tail. */
		if (a->head && need > ARENA_BLOCK_MIN) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
		a->total += bsize;
	}
	p = (char *)b->data + b->off;
	b->off += need;
	a->used += need;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

void *arena_memdup(struct arena *a, const void *p, size_t size)
{
	void *q = arena_alloc(a, size ? size : 1);

	if (q && size)
		memcpy(q, p, size);
	return q;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
