/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DETECT_BASELINE_H
#define PALISADE_DETECT_BASELINE_H

#include "lib/detect.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The baseline-driven jobs (docs/detectors.md): inbound_connection_spike,
 * service_bytes_anomaly and pod_outlier_ip_activity.  They are registered in detect_jobs[];
 * this header adds what the registry does not carry: their counters and their memory bound,
 * read from a state made by the ops' create().
 */

extern const struct detect_job_ops detect_inbound_connection_spike;
extern const struct detect_job_ops detect_service_bytes_anomaly;
extern const struct detect_job_ops detect_pod_outlier_ip_activity;

/* Defaults shared by the three jobs (docs/detectors.md gives the reasons). */
#define DETECT_BASELINE_WARMUP_WINDOWS 10
#define DETECT_BASELINE_WARMUP_SECONDS 60
#define DETECT_BASELINE_HISTORY	       20
#define DETECT_BASELINE_Z	       3.5
#define DETECT_BASELINE_RATIO	       3.0
#define DETECT_BASELINE_REARM_WINDOWS  4
#define DETECT_BASELINE_IDLE_WINDOWS   240
#define DETECT_BASELINE_MAX_PODS       65536
#define DETECT_BASELINE_MAX_SETS       16384
/* inbound_connection_spike: flows started per window. */
#define DETECT_SPIKE_FLOOR	  30
#define DETECT_SPIKE_SPREAD_FLOOR 1
/* service_bytes_anomaly: bytes per window. */
#define DETECT_BYTES_FLOOR	  4194304
#define DETECT_BYTES_SPREAD_FLOOR 65536
/* pod_outlier_ip_activity. */
#define DETECT_OUTLIER_LEARNING_WINDOWS 20
#define DETECT_OUTLIER_MAX_DESTINATIONS 256
#define DETECT_OUTLIER_MAX_SETS		4096
#define DETECT_OUTLIER_IDLE_WINDOWS	5760
#define DETECT_OUTLIER_MAX_PENDING	1024

struct detect_baseline_stats {
	uint64_t windows; /* windows ended */
	uint64_t records; /* records the job counted (past its reporter/type filter) */
	uint64_t
		unattributed; /* of those, records whose pod (or destination) was aggregated away */
	uint64_t pods;	      /* pods held now (spike, bytes) */
	uint64_t sets;	      /* replica sets held now */
	uint64_t dropped_pods; /* records whose new pod was refused by a full table (max_pods) */
	uint64_t dropped_sets; /* records whose new replica set was refused (max_replica_sets) */
	uint64_t expired;      /* keys forgotten after idle_windows without records */
	uint64_t events;       /* events emitted */
	uint64_t suppressed;   /* anomalies not emitted: inside an episode or during warm-up */
	uint64_t saturated;    /* outlier: replica sets whose destination set reached its cap */
	uint64_t
		unjudged; /* outlier: new destinations of saturated sets, neither learnt nor judged */
	uint64_t nomem;	  /* records or keys lost to a failed allocation */
};

/* Copies the counters of st (a state returned by the job's create()). */
void detect_spike_stats(const void *st, struct detect_baseline_stats *out);
void detect_bytes_stats(const void *st, struct detect_baseline_stats *out);
void detect_outlier_stats(const void *st, struct detect_baseline_stats *out);
/*
 * The most memory() can report with st's current parameters (docs/detectors.md gives the
 * formula): every table full of keys of the longest names with their histories.
 */
size_t detect_spike_memory_bound(const void *st);
size_t detect_bytes_memory_bound(const void *st);
size_t detect_outlier_memory_bound(const void *st);

#endif
