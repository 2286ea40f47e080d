/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DETECT_PEERS_H
#define PALISADE_DETECT_PEERS_H

#include "lib/baseline.h"
#include "lib/detect.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowlog_side;
struct detect_baseline_stats;
struct sec_event;

/*
 * The engine behind inbound_connection_spike and service_bytes_anomaly: per-window values of
 * pods, grouped by replica set, judged against the pod's own history, the other pods of its
 * replica set in the same window, and (for the replica set's total) the set's own history
 * scaled by how much the whole cluster moved.
 *
 * A job feeds values with peers_add() (a pod side of a record, a metric, a value) and calls
 * peers_end_window() once per window; the engine calls back once per finding that opens an
 * episode, after the warm-up.  Time is the window sequence: a window that starts one or more
 * window lengths after the previous one ended counts the windows in between as empty, and
 * every history takes them as zeros.
 *
 * A pod (key: namespace and name) is anomalous in a metric when its value is anomalous
 * against its own history and, when it has at least min_peers peers with records in the
 * window, against those peers (their median and MAD, the pod itself left out; in a group of
 * more than PEERS_EXACT_MAX pods, the whole group's, computed once); when it has
 * fewer peers, the engine either requires them (no verdict) or judges on history alone.  A
 * replica set (key: namespace and name_aggr) is anomalous when its total is anomalous against
 * its own history with the threshold multiplied by the cluster factor: the median, over the
 * replica sets with a ready history and a non-zero typical value (at least three of them),
 * of value / typical, when above 1.  A replica set in which a pod is anomalous in the same
 * window is folded into the pod's finding: one finding, not two.
 *
 * Re-alert suppression: a key's anomalous windows separated by at most rearm_windows
 * non-anomalous ones form one episode, and only the first window of an episode is reported.
 */

#define PEERS_MAX_METRICS 2
/* Up to this many pods in a replica set, each pod's peers are judged without it. */
#define PEERS_EXACT_MAX 64

enum peers_model {
	PEERS_MAD,  /* rolling median/MAD over `history` windows */
	PEERS_EWMA, /* EWMA with alpha = 2 / (history + 1) */
};

struct peers_params {
	double sensitivity;	   /* divides z_threshold and min_ratio (the ratio stays >= 1) */
	uint64_t warmup_windows;   /* no finding before this many windows, nor from a history
				    * shorter than this */
	uint64_t warmup_seconds;   /* nor from a window starting earlier after the first one */
	uint32_t history;	   /* K: samples of each history (span of the EWMA) */
	double z_threshold;	   /* modified z-score (or z-score) */
	double min_ratio;	   /* and at least this multiple of the typical value */
	double floor;		   /* values below are never anomalous */
	double spread_floor;	   /* floor of the MAD (standard deviation) */
	double spread_floor_ratio; /* and relative to the typical value */
	uint32_t min_peers;	   /* peers needed for a peer verdict, >= 2 */
	uint64_t rearm_windows;	   /* quiet windows that end an episode */
	uint64_t idle_windows;	   /* a key without records for this long is forgotten */
	size_t max_pods, max_sets;
};

struct peers_finding {
	bool is_set; /* a replica set's total; else one pod */
	unsigned metric;
	const char *ns;	       /* namespace */
	const char *name_aggr; /* the replica set ("" when its table was full) */
	const char *name;      /* the pod's name; "" for a set */
	const char *ip;	       /* the pod's address as last seen; "" for a set or unknown */
	double actual;
	double threshold;	   /* the smallest value that would have been reported */
	struct baseline_score own; /* against its own history */
	bool has_peers;
	struct baseline_score peer; /* against the peers (has_peers) */
	size_t npeers;		    /* pods of the set with records in the window, less one */
	double set_total;	    /* pods: the set's total in the window and its typical value */
	double set_typical;
	size_t set_pods;       /* pods of the set with records in the window */
	double cluster_factor; /* sets: the factor the threshold was multiplied by */
	uint64_t start, end;   /* the window */
};

typedef void peers_finding_fn(void *arg, const struct peers_finding *f);

struct peers;

/*
 * An engine for nmetrics (1..PEERS_MAX_METRICS) metrics, with the job's default parameters.
 * require_peers: a pod without min_peers peers gets no verdict.  NULL on ENOMEM.
 */
struct peers *peers_new(unsigned nmetrics, enum peers_model model, bool require_peers,
			const struct peers_params *defaults);
void peers_free(struct peers *p);
/*
 * The parameters of struct peers_params by name ("max_replica_sets" for max_sets): 0, or
 * -EINVAL for an unknown name or a bad value (nothing changed).  history is fixed once a value
 * has been added.
 */
int peers_set_param(struct peers *p, const char *name, double value);
/*
 * Adds v[0..nmetrics) to the pod on side `pod` (its namespace, name_aggr, name and ip) in the
 * window being built: one call per record.  A side whose name was aggregated away ("-")
 * counts for its replica set only.  A full table is counted, never fatal.
 */
void peers_add(struct peers *p, const struct flowlog_side *pod, const double *v);
/* Judges the window [start, end) and starts the next; fn gets each new finding. */
void peers_end_window(struct peers *p, uint64_t start, uint64_t end, peers_finding_fn *fn,
		      void *arg);
size_t peers_memory(const struct peers *p);
size_t peers_memory_bound(const struct peers *p);
/* Fills the engine's counters into *out. */
void peers_stats(const struct peers *p, struct detect_baseline_stats *out);

/*
 * Starts the event of finding f for job `origin` (docs/detectors.md): type, time (the window's
 * end), window, severity (HIGH when actual is at least twice the threshold, else MEDIUM), the
 * pod or replica set on the destination side (the source side when pod_is_src), actual,
 * typical (the peers' median when the pod was compared with peers, else its own typical
 * value), threshold, the id (key "pod:<ns>/<name>:<metric>" or
 * "replica_set:<ns>/<name_aggr>:<metric>") and the evidence: entity, metric, z_score and the
 * values behind both comparisons.  The job writes the description.
 */
void peers_event(const struct peers_finding *f, const char *origin, const char *metric,
		 bool pod_is_src, struct sec_event *e);

/*
 * The parameters the jobs on this engine share (detect_baseline.h, docs/detectors.md), with
 * the job's floor and spread_floor.
 */
void peers_baseline_params(struct peers_params *prm, double floor, double spread_floor);

/* The event of finding f: peers_event() and the description, written by the job. */
typedef void peers_describe_fn(const struct peers_finding *f, struct sec_event *e);

/*
 * The struct detect_job_ops functions of a job on this engine, st being the struct peers its
 * create() made (peers_new()): destroy, set_param and memory as peers_free(),
 * peers_set_param() and peers_memory(); end_window as peers_end_window(), each finding
 * becoming the event describe writes, handed to emit.
 */
void peers_job_destroy(void *st);
int peers_job_set_param(void *st, const char *name, double value);
size_t peers_job_memory(const void *st);
void peers_job_end_window(void *st, uint64_t start, uint64_t end, peers_describe_fn *describe,
			  detect_emit_fn *emit, void *arg);

#endif
