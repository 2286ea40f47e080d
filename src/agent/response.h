/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_RESPONSE_H
#define PALISADE_AGENT_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

struct sec_event;

/*
 * Automatic response (DESIGN §8): the controller turns chosen security events into entries of
 * a quarantine GlobalNetworkSet, each with an expiry.  The set carries labels that policy
 * selects (by default security-action: block, which the article's default.blockthreats
 * denies), and its entries reach the dataplane as hash-set elements with kernel timeouts, so
 * a block expires on time even when the controller is down.  The controller prunes expired
 * entries from the datastore copy.  No event types: response is off.
 */
#define RESPONSE_MIN_SEVERITY_DEFAULT 50
#define RESPONSE_DURATION_DEFAULT     3600
#define RESPONSE_SET_DEFAULT	      "palisade.quarantine"
#define RESPONSE_MAX_ENTRIES_DEFAULT  10000

struct response_label {
	const char *key;
	const char *value;
};

struct response_config {
	const char **events; /* event types that trigger a quarantine, e.g. ip_sweep_external */
	size_t nevents;
	int min_severity;	 /* events below it are ignored; default 50 */
	int64_t duration_s;	 /* how long an entry lasts; default 3600 */
	const char *network_set; /* GlobalNetworkSet name; default palisade.quarantine */
	const struct response_label *labels; /* NULL: security-action=block */
	size_t nlabels;
	size_t max_entries; /* entries beyond it are refused and counted; default 10000 */
};

struct response_stats {
	uint64_t events;	     /* events of a chosen type at or above the severity */
	uint64_t quarantined;	     /* addresses added */
	uint64_t extended;	     /* addresses already there whose expiry moved on */
	uint64_t refused_protected;  /* addresses in a protected range (pods, nodes, ...) */
	uint64_t refused_no_address; /* events with no external address to block */
	uint64_t refused_full;	     /* max_entries reached */
	uint64_t expired;	     /* entries pruned */
	uint64_t write_errors;	     /* the set could not be read or written (retried) */
};

struct responder;

/*
 * A responder writing set cfg->network_set in the datastore dir (both borrowed and kept).
 * Addresses inside the nprotect ranges at protect (copied) are never quarantined.  NULL on
 * -ENOMEM.
 */
struct responder *responder_new(const struct response_config *cfg, const char *dir,
				const struct cidr *protect, size_t nprotect);
void responder_free(struct responder *r);

/* Whether cfg turns response on (at least one event type). */
bool response_enabled(const struct response_config *cfg);

/*
 * Creates the set, empty, when it does not exist yet, so that policy selecting its labels
 * has its rules in place before the first quarantine: the first entry, and every later one,
 * reaches the kernel as an element change rather than a ruleset change.  0 or -errno.
 */
int responder_start(struct responder *r, int64_t now);

/*
 * Quarantines the address each chosen event names (its source, or its destination when the
 * source is protected or absent) until now + duration, in one edit of the set.  Returns the
 * number of entries added or extended, or -errno when the set could not be written (counted;
 * the next call retries what is pending).
 */
int responder_handle(struct responder *r, const struct sec_event *ev, size_t n, int64_t now);

/*
 * Prunes entries that expired at or before now from the datastore copy (the kernel has
 * already dropped them), when any is due.  Cheap when nothing is due.  0 or -errno.
 */
int responder_tick(struct responder *r, int64_t now);

const struct response_stats *responder_stats(const struct responder *r);

#endif
