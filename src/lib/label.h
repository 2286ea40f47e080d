/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LABEL_H
#define PALISADE_LABEL_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/*
 * A label set: key/value pairs sorted by key (strcmp order) with unique keys, so lookups are
 * a binary search and two sets compare with one pass.  The strings and the array are owned by
 * whoever built the set (usually an arena); a struct labels is a cheap view to pass around.
 */
struct label {
	const char *key;
	const char *value;
};

struct labels {
	const struct label *v;
	size_t n;
};

/* Returns the value of key, or NULL when the key is absent. */
const char *labels_get(const struct labels *l, const char *key);
bool labels_equal(const struct labels *a, const struct labels *b);

/*
 * Builds a sorted set in arena a from n pairs in any order.  When a key repeats, the last
 * pair wins (that is what a YAML map with a duplicate key would mean; the loader reports
 * the duplicate separately).  Returns 0, or -ENOMEM.
 */
int labels_build(struct arena *a, const struct label *pairs, size_t n, struct labels *out);

/*
 * out = base overlaid with extra (extra wins on equal keys), allocated in a.  Used to give an
 * endpoint its namespace (pcns.*) and service-account (pcsa.*) labels, as Calico's profiles
 * do.  Returns 0, or -ENOMEM.
 */
int labels_merge(struct arena *a, const struct labels *base, const struct labels *extra,
		 struct labels *out);

#endif
