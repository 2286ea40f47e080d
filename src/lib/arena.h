/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_ARENA_H
#define PALISADE_ARENA_H

#include <stddef.h>

/*
 * A bump allocator.  Every object of one load or one model generation is carved out of one
 * arena and released together by arena_fini(), as BIRD does with its configuration pools.
 * Allocation never fails silently: when malloc fails the arena returns NULL with errno set.
 * Memory from arena_alloc() is zeroed and aligned for any type.
 */
struct arena_block;

struct arena {
	struct arena_block *head;
	size_t used;  /* bytes handed out, for benchmarks and metrics */
	size_t total; /* bytes reserved from malloc */
};

void arena_init(struct arena *a);
/* Releases every block; the arena is empty and reusable afterwards.  Accepts a zeroed arena. */
void arena_fini(struct arena *a);
void *arena_alloc(struct arena *a, size_t size);
/* Copies NUL-terminated s into the arena.  Returns NULL when s is NULL or memory ran out. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies n elements of size bytes. */
void *arena_memdup(struct arena *a, const void *p, size_t size);

#endif
