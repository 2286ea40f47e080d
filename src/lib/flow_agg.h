/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_FLOW_AGG_H
#define PALISADE_FLOW_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"

struct model;
struct strbuf;
struct flowlog_rec;

/*
 * The aggregator: enriches each observation with the model given at the time it is added
 * (enrich.h), folds it into the record of its aggregation key, and at the end of a window
 * prints every record as one JSON line (flowlog.h) and starts the next window empty.
 *
 * Aggregation kinds, as Calico's flowLogsFileAggregationKindForAllowed/ForDenied, chosen by
 * the observation's action:
 *   0  none: one record per 5-tuple (source port kept)
 *   1  source ports aggregated: key keeps source and destination IPs and names (Palisade's
 *      default, FLOW_AGG_DEFAULT_KIND)
 *   2  also source IPs: sources by name_aggr (source_ip null, source_name "-")
 *   3  also destination IPs: destinations by name_aggr too (dest_ip null, dest_name "-")
 * The key always holds action, reporter, protocol, destination port, both sides' type,
 * namespace and name_aggr, and the converted policy hits (the whole list, in order).
 * source_port prints only at kind 0; both ports print null for protocols without ports
 * (anything but TCP, UDP, SCTP, UDP-Lite: ICMP's dest_port is null).  The labels of a side
 * are those common to every observation of the record (at kinds 2 and 3, what all pods of a
 * replica set share).
 *
 * Counters: num_flows counts observations, num_flows_started / _completed those with
 * started / completed set, num_flows_unanswered those with answered unset.  Bytes and
 * packets are summed (saturating at INT64_MAX, the largest a JSON integer holds here) and
 * mapped to the reporter: reporter src has bytes_out = orig, bytes_in = reply; reporter dst
 * has bytes_in = orig, bytes_out = reply.
 *
 * Memory is bounded by max_records: an observation that would open one more record is
 * counted in dropped and not added.  Owns copies of every string it keeps (the model and the
 * observation may go away as soon as flow_agg_add returns).  Adding costs one hash lookup;
 * flushing sorts the records, O(n log n).
 */
#define FLOW_AGG_DEFAULT_KIND	     1
#define FLOW_AGG_DEFAULT_MAX_RECORDS 100000

struct flow_agg_opts {
	int kind_allowed;   /* 0..3; note that 0 means kind 0, not the default */
	int kind_denied;    /* 0..3 */
	size_t max_records; /* 0: FLOW_AGG_DEFAULT_MAX_RECORDS */
	const char *host;   /* the reporting node ("host" field); copied; NULL or "": "-" */
};

struct flow_agg_stats {
	uint64_t added;	       /* observations folded in, all windows */
	uint64_t dropped;      /* observations refused at max_records, all windows */
	uint64_t invalid;      /* observations refused as malformed (-EINVAL) */
	uint64_t dropped_hits; /* sum of the observations' dropped_hits */
	uint64_t records;      /* records printed, all windows */
	uint64_t truncated;    /* printed records that lost labels beyond FLOWLOG_MAX_LABELS or
				  text beyond a flowlog_rec field */
	uint64_t unprintable;  /* records not printed because a string is not UTF-8 */
	uint64_t pending;      /* records of the current window */
};

/* NULL with errno set on allocation failure or bad options (EINVAL: a kind outside 0..3, a
 * host longer than 253 bytes or with control characters).  o NULL: kinds 1, host "-". */
struct flow_agg *flow_agg_new(const struct flow_agg_opts *o);
/* Frees a and every pending record; accepts NULL. */
void flow_agg_free(struct flow_agg *a);

/*
 * Enriches o against m (may be NULL) and folds it in.  o and m are borrowed for the call.
 * Returns 0, -ENOSPC (counted in dropped), -EINVAL (counted in invalid: reporter or action
 * out of range, nhits above FLOW_MAX_HITS, a hit not in the form flow_hit_policy accepts)
 * or -ENOMEM.
 */
int flow_agg_add(struct flow_agg *a, const struct model *m, const struct flow_obs *o);

/*
 * Ends the window [start, end) (seconds since the epoch): appends one JSON line per record to
 * out, in a stable order (by source namespace, name_aggr, name, IP, port, then the same of the
 * destination, then protocol, action, reporter, types and policies), and empties the
 * aggregator.  Returns the number of records printed, -EINVAL (end < start, or a time above
 * INT64_MAX) or -ENOMEM; on error nothing is emptied, so the caller may flush again (out may
 * have received part of the text).
 */
int flow_agg_flush(struct flow_agg *a, uint64_t start, uint64_t end, struct strbuf *out);

void flow_agg_get_stats(const struct flow_agg *a, struct flow_agg_stats *out);

#endif
