/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_QUARANTINE_H
#define PALISADE_AGENT_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

/*
 * The quarantine: a GlobalNetworkSet of the directory datastore whose entries expire
 * (DESIGN §8).  It is an ordinary manifest, <datastore>/GlobalNetworkSet_-_<name>.json, so
 * policy selects it by its labels and the agents load it like any other network set; the
 * expiries and reasons ride in two annotations that the agents read (docs/dataplane.md):
 *
 *   palisade.dev/expires  {"198.51.100.66/32":"2026-11-29T02:00:00Z", ...}
 *   palisade.dev/reasons  {"198.51.100.66/32":"ip_sweep_external event 3f2a...", ...}
 *
 * Entries are single addresses (/32, /128), which the agents put in hash sets with kernel
 * element timeouts.  The controller's responder and `palisade quarantine` both edit the file;
 * quarantine_lock() serialises them (an advisory lock on <datastore>/.quarantine.lock), and
 * every write is atomic (datastore_write), so an agent never reads half an edit.
 */

#define QUARANTINE_EXPIRES "palisade.dev/expires"
#define QUARANTINE_REASONS "palisade.dev/reasons"

struct quarantine_entry {
	struct cidr addr; /* /32 or /128 */
	int64_t expires;  /* seconds since the epoch; 0: never (an entry someone added by hand) */
	char *reason;	  /* owned; NULL when none */
};

struct quarantine_label {
	char *key, *value; /* owned */
};

struct quarantine {
	char *name; /* owned */
	struct quarantine_label *labels;
	size_t nlabels;
	struct quarantine_entry *v; /* owned; sorted by address */
	size_t n, cap;
	bool exists; /* the file was there when loaded */
};

void quarantine_init(struct quarantine *q);
void quarantine_fini(struct quarantine *q);

/*
 * Takes the quarantine lock of the datastore dir (blocking).  Returns a descriptor for
 * quarantine_unlock(), or -errno.
 */
int quarantine_lock(const char *dir);
void quarantine_unlock(int fd);

/*
 * Reads set `name` from the datastore dir into q (initialised by the caller, replaced).  A
 * missing file gives an empty set (q->exists false) with the labels security-action=block.
 * 0, or -EINVAL with the reason in err (the file and what is wrong), or -ENOMEM.
 */
int quarantine_load(const char *dir, const char *name, struct quarantine *q, char *err,
		    size_t errsize);

/* The path of set name's file in the datastore dir (malloc'd), or NULL. */
char *quarantine_path(const char *dir, const char *name);

/* Writes q to the datastore dir atomically.  0 or -errno. */
int quarantine_save(const char *dir, const struct quarantine *q);

/* Replaces q's labels by the n key/value pairs (borrowed strings copied).  0 or -ENOMEM. */
int quarantine_set_labels(struct quarantine *q, const char *const *keys, const char *const *values,
			  size_t n);

/*
 * Adds addr (a single address) until expires (0: never).  An address already there keeps the
 * later expiry (never beats any time) and takes the new reason when it is extended.  Returns
 * 1 when the entry was added, 2 when extended, 0 when nothing changed, -EINVAL when addr is
 * not a single address, -ENOMEM.
 */
int quarantine_add(struct quarantine *q, const struct cidr *addr, int64_t expires,
		   const char *reason);
/* Whether addr is in q. */
bool quarantine_has(const struct quarantine *q, const struct cidr *addr);
/* Removes addr.  1 when it was there, 0 when not. */
int quarantine_remove(struct quarantine *q, const struct cidr *addr);
/* Removes the entries that expired at or before now; returns how many. */
size_t quarantine_prune(struct quarantine *q, int64_t now);
/* The earliest expiry after which quarantine_prune() has work, or 0 when none expires. */
int64_t quarantine_next_expiry(const struct quarantine *q);

#endif
