/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_DOCGEN_H
#define PALISADE_LAB_DOCGEN_H

#include "lib/doc.h"

#include <stdbool.h>

struct arena;
struct strbuf;

/*
 * Building and printing document trees (lib/doc.h).  The lab reads manifests into trees,
 * derives new objects from them (a Deployment's ReplicaSet and pods) and writes every object
 * back out as YAML for the datastore.  Trees are immutable once built: a changed object is a
 * new top-level map that shares the untouched subtrees with the old one.
 *
 * Every node built here lives in the arena given; on allocation failure the builders return
 * NULL, and the setters return -ENOMEM and leave the node unchanged.
 */

/* A scalar with text s (copied); quoted says it is a string whatever it looks like. */
struct doc_node *docgen_str(struct arena *a, const char *s);
/* An unquoted scalar: a number, bool or a plain string. */
struct doc_node *docgen_plain(struct arena *a, const char *s);
struct doc_node *docgen_int(struct arena *a, long long v);
struct doc_node *docgen_map(struct arena *a);
struct doc_node *docgen_seq(struct arena *a);
/* A copy of map's top level (its pairs array), sharing the values; NULL when map is not a
 * DOC_MAP (then a new empty map is returned when empty_ok is set). */
struct doc_node *docgen_map_copy(struct arena *a, const struct doc_node *map, bool empty_ok);

/* Sets key to value in map: replaces the value of an existing key in place, else appends. */
int docgen_set(struct arena *a, struct doc_node *map, const char *key,
	       const struct doc_node *value);
/* Sets key to the string s. */
int docgen_set_str(struct arena *a, struct doc_node *map, const char *key, const char *s);
/* Removes key from map if present. */
void docgen_del(struct doc_node *map, const char *key);
int docgen_append(struct arena *a, struct doc_node *seq, const struct doc_node *item);

/*
 * Appends n to b as one YAML document (block style, two-space indent, no "---").  Scalars
 * keep their meaning for the core schema of lib/doc.c: quoted scalars are written double
 * quoted, unquoted ones plain when they are made of [A-Za-z0-9._/+-] (so numbers, booleans
 * and null stay what they were) and double quoted otherwise, explicit tags verbatim.
 */
void docgen_emit(struct strbuf *b, const struct doc_node *n);

#endif
