/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_COLLECTOR_H
#define PALISADE_AGENT_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/conntrack.h"
#include "lib/flow.h"
#include "lib/nflog_rec.h"

struct flow_agg;
struct model;
struct strbuf;

/*
 * The flow collector's live table (DESIGN §6): one entry per flow and reporter, built from
 * NFLOG rule hits and conntrack entries, turned into one struct flow_obs per active flow at
 * the end of every window.  No sockets and no clock here: the agent (flows.c) feeds it events
 * and ends windows, and tests feed it synthetic ones.
 *
 * Key and reporter.  A flow is keyed by the 5-tuple of its first packet (ICMP echoes also by
 * their identifier) and by who reports it.  NFLOG hits of the egress group belong to the
 * source's report (reporter SRC: the packet left an endpoint of this node), hits of the
 * ingress group to the destination's (reporter DST: it arrived at one; also "U:i:D", a pod
 * range address that nobody has).  A connection between two pods of this node has both; an
 * external source only DST.  A conntrack entry joins every report of its tuple that exists,
 * and creates those whose side is an endpoint of this node (model: the endpoint's node is
 * opts.node) - connections the agent saw no hit for, such as ones older than the agent.
 *
 * Hits.  A flow keeps the hits of its first packet, in order, each in the evaluator's
 * "decided" form (resolved against the model current when the record arrives): Log and Pass
 * hits, then the hit that decided (Allow or Deny).  Once decided, later packets of the same
 * tuple (a retransmitted SYN, a new attempt from the same port) add no hits.
 *
 * Counters.  A flow with a conntrack entry takes its counters from conntrack (events, dumps),
 * as per-window deltas; "answered" when the entry saw a reply.  It completes when the entry is
 * destroyed, or when two dumps in a row no longer list it (a destroy event lost to an
 * overflow, or never sent).  A flow without one - denied, so conntrack never confirmed it -
 * counts the packets NFLOG decided (bytes: their IP lengths), is never answered, and
 * completes when a whole window passes without a packet.  A conntrack entry that joins a flow
 * NFLOG already counted replaces those counts (conntrack counted the same packets).  NFLOG
 * delivers a hit shortly after conntrack announces the connection, so a connection that has
 * no hit yet at the end of its first window is reported one window later.
 *
 * The table holds at most max_flows entries; an event that would open one more is counted in
 * flows_dropped.
 */

#define COLLECTOR_MAX_FLOWS 100000

/* NFLOG prefix to "decided" text for the endpoint ep (MODEL_NONE when none): the length, or
 * -EINVAL when the model has no such rule. */
typedef int collector_resolve_fn(const struct model *m, const char *prefix, uint32_t ep, char *buf,
				 size_t size);
/* The model to resolve and enrich against, current at the time of the call (may be NULL). */
typedef const struct model *collector_model_fn(void *arg);

struct collector_opts {
	const char *node; /* this node (endpoints' spec.nodeName); NULL: every endpoint is ours */
	size_t max_flows; /* 0: COLLECTOR_MAX_FLOWS */
	collector_model_fn *model;
	void *model_arg;
	collector_resolve_fn *resolve; /* NULL: nft_rule_id_parse + nft_rule_id_decided */
};

struct collector_stats {
	uint64_t flows_active;	  /* flows in the table (gauge) */
	uint64_t flows_dropped;	  /* events refused because the table was full */
	uint64_t hits;		  /* NFLOG records joined to a flow */
	uint64_t hits_unknown;	  /* records whose id the model does not name (not kept) */
	uint64_t flows_undecided; /* flows removed idle without a decision (hits lost) */
	uint64_t ct_entries;	  /* conntrack events and dump entries joined to a flow */
	uint64_t ct_vanished;	  /* entries gone from two dumps without a destroy event */
	uint64_t observations;	  /* flow_obs handed out, all windows */
	uint64_t windows;
};

struct collector;

/* NULL with errno set (ENOMEM).  opts is copied; node must outlive the collector. */
struct collector *collector_new(const struct collector_opts *opts);
void collector_free(struct collector *c);
/* The model the model callback returns has been replaced: ids are resolved against the new
 * one from now on (the default resolver caches the model's names until this is called). */
void collector_model_changed(struct collector *c);

/* One parsed NFLOG record (dataplane/nflog.h). */
void collector_nflog(struct collector *c, const struct nflog_rec *rec);

/* One conntrack event or dump entry (dataplane/conntrack.h). */
void collector_conntrack(struct collector *c, const struct conntrack_entry *e);

/*
 * A table dump: begin, every entry through collector_conntrack, end with complete = false if
 * it failed part-way (then nothing is concluded from absent entries).  The first complete
 * dump is the baseline: the counters of connections it finds were reported before this
 * collector started (or never will be), so they are not reported again.
 */
void collector_dump_begin(struct collector *c);
void collector_dump_end(struct collector *c, bool complete);

typedef void collector_obs_fn(void *arg, const struct flow_obs *o);

/*
 * Ends the current window: hands one observation per active flow to fn (o and its hits are
 * valid during the call only), in no particular order, and forgets completed flows.
 * Returns the number of observations.
 */
size_t collector_end_window(struct collector *c, collector_obs_fn *fn, void *arg);

/*
 * Ends the window [start, end) into agg: every observation goes to flow_agg_add with the
 * model current now, then flow_agg_flush appends the window's JSON lines to out.  Returns
 * the number of records, or -ENOMEM (observations refused as full or invalid are counted by
 * the aggregator).
 */
int collector_flush(struct collector *c, struct flow_agg *agg, uint64_t start, uint64_t end,
		    struct strbuf *out);

void collector_get_stats(const struct collector *c, struct collector_stats *out);

#endif
