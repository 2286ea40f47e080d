/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_RESPONSE_H
#define PALISADE_AGENT_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

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

#endif
