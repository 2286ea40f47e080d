/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DETECT_SCAN_H
#define PALISADE_DETECT_SCAN_H

#include "lib/detect.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The scan and sweep jobs (docs/detectors.md): ip_sweep_external, ip_sweep_pods,
 * port_scan_external and port_scan_pods.  They are registered in detect_jobs[]; this header
 * adds what the registry does not carry: their counters and their memory bound, read from a
 * state made by the ops' create().
 */

extern const struct detect_job_ops detect_ip_sweep_external;
extern const struct detect_job_ops detect_ip_sweep_pods;
extern const struct detect_job_ops detect_port_scan_external;
extern const struct detect_job_ops detect_port_scan_pods;

/* Defaults (docs/detectors.md gives the reasons). */
#define DETECT_SWEEP_THRESHOLD	    32
#define DETECT_PORT_SCAN_THRESHOLD  50
#define DETECT_SCAN_SPAN_SECONDS    300
#define DETECT_SCAN_REALERT_SECONDS 300
#define DETECT_SCAN_MAX_KEYS	    100000
#define DETECT_SCAN_MAX_ALERTS	    1024
#define DETECT_SCAN_MAX_THRESHOLD   10000

struct detect_scan_stats {
	uint64_t records; /* records the job counted (past its reporter/type filter) */
	uint64_t unkeyed; /* of those, records without the address it keys on (aggregated) */
	uint64_t refused; /* values refused by a full set (the key was already past its limit) */
	uint64_t evicted; /* keys dropped to stay within max_keys */
	uint64_t expired; /* keys dropped after a span without records */
	uint64_t
		alerts_dropped; /* times a key over the threshold found no alert slot (max_alerts) */
	uint64_t nomem;		/* records lost to a failed allocation */
	uint64_t events;	/* events emitted */
	uint64_t keys;		/* keys held now */
	uint64_t alerting;	/* keys holding an alert now */
};

/* Copies the counters of st (a state returned by one of the four ops' create()). */
void detect_scan_stats(const void *st, struct detect_scan_stats *out);
/*
 * The most memory() can report with st's current parameters: the fixed part, max_keys full
 * keys with their index slots and their largest sets, and max_alerts alerts.
 */
size_t detect_scan_memory_bound(const void *st);

#endif
