/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_FLOWS_H
#define PALISADE_AGENT_FLOWS_H

#include "agent/collector.h"

struct event_base;
struct strbuf;

/*
 * The agent's flow logs (DESIGN §6): the collector (collector.h) fed from NFLOG
 * (dataplane/nflog.h) and conntrack (dataplane/conntrack.h) on the agent's event loop, and
 * every interval seconds a conntrack dump for fresh counters, one window through the
 * aggregator (lib/flow_agg.h) and its JSON lines appended to <state>/flows/flows.log
 * (flowlog_writer.h).  A conntrack event overflow is followed by a resynchronising dump (at
 * most one a second).  Stopping ends the current window early and writes it.
 */
struct flows_config {
	const char *node; /* the node's name: "host" of the records, and whose endpoints are ours */
	const char *dir;  /* where flows.log goes (created) */
	unsigned interval; /* seconds per window, 1..3600 */
	int kind_allowed;  /* aggregation kinds 0..3 (lib/flow_agg.h) */
	int kind_denied;
	collector_model_fn *model; /* the agent's current model */
	void *model_arg;
	void (*on_window)(void *arg); /* after every window (status file) */
	void *arg;
};

struct flows;

/* Starts collecting in the calling process's network namespace.  NULL after logging why
 * (the agent then runs without flow logs). */
struct flows *flows_start(struct event_base *base, const struct flows_config *cfg);
/* Writes the window in progress and stops; accepts NULL. */
void flows_stop(struct flows *f);

/* The agent swapped in a new model generation (accepts NULL). */
void flows_model_changed(struct flows *f);
/* Appends the counters as one JSON object ({"active":..}) for status.json. */
void flows_status_json(const struct flows *f, struct strbuf *out);
/* Appends the counters in Prometheus' text format. */
void flows_metrics(const struct flows *f, struct strbuf *out);

#endif
