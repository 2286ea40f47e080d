/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_ALERT_H
#define PALISADE_ALERT_H

#include "lib/detect.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowlog_rec;
struct res_global_alert;

/*
 * The engine of one GlobalAlert (a custom job, docs/alerts.md).  The controller feeds it
 * every flow log record with alert_add() and calls alert_evaluate(now) every period; the
 * alert emits security events of type "global_alert" through the callback.  Time comes only
 * from the records and from `now`.
 *
 * Evaluation.  Records are placed by end_time into buckets of g = gcd(period, lookback)
 * seconds, bucket k holding end times in (g(k-1), gk].  alert_evaluate(now) looks at the
 * window (W - lookback, W] where W is now rounded down to a multiple of g, so the window is
 * always a whole number of buckets and moves by one period between two evaluations made a
 * period apart.  Records of buckets after W wait for a later evaluation.
 *
 * Three modes, from the resource:
 * - metric set: the matching records of the window are grouped by the aggregateBy fields
 *   (one group when there are none) and the metric is computed per group: count is the
 *   number of records, sum/avg/min/max are over `field` (records whose field is null, a
 *   port of an ICMP flow, are left out of those but counted by count).  A group whose value
 *   satisfies `condition threshold` (threshold 0 when absent) gives one event.  Without
 *   aggregateBy, count and sum of an empty window are 0 (so "count lt 1" can fire); avg,
 *   min and max of an empty window are undefined and never fire.
 * - no metric, aggregateBy set: one event per group with at least one record (count > 0).
 * - neither: one event per matching record, each reported once, by the first evaluation
 *   whose window holds it.
 *
 * Memory is bounded by struct alert_limits: records are reduced as they arrive to a group
 * key and per-bucket partial aggregates (count, non-null count, sum, min, max: 48 bytes),
 * or, without metric and aggregateBy, to the text of their fields.  Whatever would go past a
 * bound is dropped and counted (struct alert_stats), and reported in the status.
 * docs/alerts.md gives the resulting bytes (under 9 MiB with the defaults and short keys).
 */

#define ALERT_MAX_AGGREGATE_BY 8
#define ALERT_MAX_ERRORS       6

/* Bounds of one alert; alert_limits_default() gives the documented defaults. */
struct alert_limits {
	size_t max_groups;  /* groups held at once (10000) */
	size_t max_buckets; /* buckets held at once, all groups together (65536) */
	size_t max_pending; /* no-metric mode: matching records awaiting evaluation (1000) */
	size_t max_events;  /* events per evaluation (100) */
};

/* Counters since the alert was created. */
struct alert_stats {
	uint64_t records;	  /* alert_add() calls */
	uint64_t matched;	  /* records that satisfied the query */
	uint64_t late;		  /* matched, but older than every window still to come: dropped */
	uint64_t dropped_groups;  /* would have opened a group past max_groups */
	uint64_t dropped_buckets; /* would have opened a bucket past max_buckets */
	uint64_t dropped_pending; /* would have waited past max_pending */
	uint64_t dropped_nomem;	  /* memory ran out */
	uint64_t evaluations;
	uint64_t events;	 /* emitted */
	uint64_t events_dropped; /* found but past max_events in their evaluation */
};

/* One entry of status.errorConditions. */
struct alert_error {
	char type[32]; /* "LateRecords", "GroupLimit", "BucketLimit", "PendingLimit",
			  "EventLimit", "OutOfMemory" */
	char message[160];
};

/* What the controller writes back into the resource's status. */
struct alert_status {
	uint64_t last_executed; /* now of the last evaluation; 0 before the first */
	uint64_t last_event;	/* now of the last evaluation that emitted; 0 before */
	/* The problems of the last evaluation (counted since the one before), at most one per
	 * type. */
	struct alert_error errors[ALERT_MAX_ERRORS];
	size_t nerrors;
};

struct alert;

void alert_limits_default(struct alert_limits *l);

/*
 * Checks res as an alert: the query parses, aggregateBy names at most
 * ALERT_MAX_AGGREGATE_BY single-valued flow log fields without repeats, metric is one of
 * count, sum, avg, min, max, field is a number field and given exactly with sum/avg/min/max,
 * condition is one of eq, not_eq, lt, lte, gt, gte, condition and threshold come with a
 * metric, and ${...} in summary and description name what the events provide.  Returns 0
 * or -EINVAL with a message naming the field in err, e.g. "spec.query: column 17: expected
 * a value after '='".  res is borrowed.
 */
int alert_check(const struct res_global_alert *res, char *err, size_t errsize);

/*
 * A new alert called name (the resource's metadata.name, the events' origin) for res, with
 * limits lim (NULL: the defaults).  NULL with errno EINVAL (and the message of
 * alert_check() in err) or ENOMEM.  name, res and lim are copied: the resource set may be
 * freed afterwards.  alert_free() releases the alert; it accepts NULL.
 */
struct alert *alert_new(const char *name, const struct res_global_alert *res,
			const struct alert_limits *lim, char *err, size_t errsize);
void alert_free(struct alert *a);

/* Offers one record (borrowed; only what the alert needs is kept). */
void alert_add(struct alert *a, const struct flowlog_rec *r);

/*
 * Evaluates the window that ends at `now` (see above), emits its events through emit (each
 * event is valid during the call only), updates the status and frees the buckets that no
 * later window needs.  Returns the number of events emitted, or -ENOMEM (the status then
 * carries OutOfMemory).
 */
int alert_evaluate(struct alert *a, uint64_t now, detect_emit_fn *emit, void *arg);

/* When the next evaluation is due: the last one + period (0 before the first). */
uint64_t alert_next_run(const struct alert *a);
/* The window step g in seconds. */
uint64_t alert_granularity(const struct alert *a);
const char *alert_name(const struct alert *a);
/* Borrowed from a; valid until the next call that changes a. */
const struct alert_status *alert_status(const struct alert *a);
const struct alert_stats *alert_stats(const struct alert *a);
/* Bytes held by a now. */
size_t alert_memory(const struct alert *a);

#endif
