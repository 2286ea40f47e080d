/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_DATASTORE_H
#define PALISADE_AGENT_DATASTORE_H

#include <stddef.h>

struct resource_set;
struct diag_list;

/*
 * The directory datastore: one or more manifests per file, every *.yaml, *.yml and *.json
 * directly in the directory, in name order.  A file that does not validate is left out whole
 * and reported, so one broken manifest does not take the rest down; files starting with "."
 * (temporary files of atomic writes) are ignored.  Returns 0, or -EINVAL when the files that
 * did load contradict each other (duplicates, missing tiers: the caller keeps its previous
 * generation), or -errno when the directory cannot be read.  *skipped counts files left out.
 */
int datastore_load(const char *dir, struct resource_set *rs, struct diag_list *diags,
		   size_t *skipped);

/* Writes data to dir/name atomically (temporary file, fsync, rename).  0 or -errno. */
int datastore_write(const char *dir, const char *name, const char *data, size_t len);

#endif
