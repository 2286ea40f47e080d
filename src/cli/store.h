/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_STORE_H
#define PALISADE_CLI_STORE_H

#include <jansson.h>
#include <stddef.h>

struct doc_node;
struct resource;

/*
 * Helpers for the kubectl-like verbs (apply, get, delete) over the directory datastore.
 * Each object lives in its own file "<kind id>_<namespace or ->_<name>.json", written
 * atomically, so the agent never sees half a file.
 */

/* The datastore directory: opt when given, else the datastore of the one running lab
 * (/run/palisade/labs/<name> holds its state directory).  Writes it to buf; returns buf, or
 * NULL after printing why on stderr. */
const char *store_resolve(const char *opt, char *buf, size_t size);

/* The file name of an object in the datastore, malloc'd. */
char *store_file_name(const struct resource *r);

/* The JSON value of a document node: quoted scalars are strings, plain ones are typed as
 * YAML would (null, booleans, numbers), maps keep their order.  New reference. */
json_t *store_doc_to_json(const struct doc_node *n);

/* Prints v as YAML (block style) to f. */
void store_print_yaml(FILE *f, const json_t *v);

/* The JSON form of resource r, re-read from its file.  New reference or NULL. */
json_t *store_resource_json(const struct resource *r);

#endif
