/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DETECT_GTF_H
#define PALISADE_DETECT_GTF_H

#include "lib/detect.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Threat-feed hits (DESIGN §8, docs/detectors.md#gtf_suspicious_flow): the job
 * "gtf_suspicious_flow" turns every flow between an address of a threat feed's network set
 * (GlobalNetworkSet "threatfeed.<feed>") and anything else into a security event of type
 * "gtf_suspicious_flow", one per flow identity (source, destination, destination port,
 * protocol, feed) per realert_seconds.  It is registered in detect_jobs[]; this header adds
 * its counters and its memory bound, read from a state made by the ops' create().
 */

extern const struct detect_job_ops detect_gtf_suspicious_flow;

#define DETECT_GTF_TYPE		   "gtf_suspicious_flow"
#define DETECT_GTF_SET_PREFIX	   "threatfeed."
#define DETECT_GTF_REALERT_SECONDS 3600
#define DETECT_GTF_MAX_KEYS	   100000
#define DETECT_GTF_MAX_PENDING	   1024
/* Severities (docs/detectors.md gives the reasons). */
#define DETECT_GTF_SEVERITY_ALLOWED 100
#define DETECT_GTF_SEVERITY_DENIED  70

struct detect_gtf_stats {
	uint64_t records;  /* records that touch a feed's set */
	uint64_t repeats;  /* of those, records of a flow already reported within realert */
	uint64_t merged;   /* records folded into an event of the same window (other reporter) */
	uint64_t deferred; /* records of a new flow refused by a full window (max_pending) */
	uint64_t warmup;   /* records seen during the warm-up, not judged */
	uint64_t evicted;  /* flows forgotten within realert to stay within max_keys */
	uint64_t expired;  /* flows forgotten after realert_seconds without records */
	uint64_t nomem;	   /* records lost to a failed allocation */
	uint64_t events;   /* events emitted */
	uint64_t keys;	   /* flows remembered now */
	uint64_t pending;  /* events waiting for the end of the window now */
};

/* Copies the counters of st (a state returned by detect_gtf_suspicious_flow.create()). */
void detect_gtf_stats(const void *st, struct detect_gtf_stats *out);
/*
 * The most memory() can report with st's current parameters: the fixed part, max_keys flows
 * with their buckets, and max_pending events waiting for the end of a window.
 */
size_t detect_gtf_memory_bound(const void *st);

#endif
