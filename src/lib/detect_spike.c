/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inbound_connection_spike (docs/detectors.md): pods receiving far more new inbound flows
 * than the other pods of their replica set and than their own history, and replica sets whose
 * total jumps against their own history (and the rest of the cluster).
 *
 * Counted: the destination's reports (reporter "dst") of flows to pods (dest_type wep), the
 * value being num_flows_started, so that a long-lived connection counts once, in the window
 * where it started, and a flow reported by both nodes counts once.  Denied attempts count
 * too.  Records whose destination pod was aggregated away (aggregation kind 3) count for the
 * replica set only.
 */
#include "lib/detect_baseline.h"
#include "lib/detect_peers.h"
#include "lib/event.h"
#include "lib/flowlog.h"

#include <inttypes.h>
#include <string.h>

#define METRIC "inbound_flows_started"

static void *spike_create(void)
{
	struct peers_params defaults;

	peers_baseline_params(&defaults, DETECT_SPIKE_FLOOR, DETECT_SPIKE_SPREAD_FLOOR);
	return peers_new(1, PEERS_MAD, true, &defaults);
}

static void spike_add(void *st, const struct flowlog_rec *r)
{
	double v = (double)r->num_flows_started;

	if (strcmp(r->reporter, "dst") || strcmp(r->dst.type, "wep"))
		return;
	peers_add(st, &r->dst, &v);
}

static void spike_describe(const struct peers_finding *f, struct sec_event *e)
{
	uint64_t secs = f->end - f->start;

	peers_event(f, "inbound_connection_spike", METRIC, false, e);
	if (f->is_set)
		event_describe(e,
			       "replica set %s/%s received %.0f new inbound flows in %" PRIu64
			       " s across %zu pods; its own median is %.0f (threshold %.0f)",
			       f->ns, f->name_aggr, f->actual, secs, f->set_pods, f->own.typical,
			       f->threshold);
	else
		event_describe(
			e,
			"pod %s/%s (replica set %s) received %.0f new inbound flows in %" PRIu64
			" s; the median of its %zu peers is %.0f and its own median %.0f "
			"(threshold %.0f)",
			f->ns, f->name, f->name_aggr[0] ? f->name_aggr : "-", f->actual, secs,
			f->npeers, f->peer.typical, f->own.typical, f->threshold);
}

static void spike_end_window(void *st, uint64_t start, uint64_t end, detect_emit_fn *emit,
			     void *arg)
{
	peers_job_end_window(st, start, end, spike_describe, emit, arg);
}

void detect_spike_stats(const void *st, struct detect_baseline_stats *out)
{
	peers_stats(st, out);
}

size_t detect_spike_memory_bound(const void *st)
{
	return peers_memory_bound(st);
}

const struct detect_job_ops detect_inbound_connection_spike = {
	.name = "inbound_connection_spike",
	.description = "pods receiving far more new inbound flows than the other pods of their "
		       "replica set and their own history; replica sets against their history",
	.create = spike_create,
	.destroy = peers_job_destroy,
	.set_param = peers_job_set_param,
	.add = spike_add,
	.end_window = spike_end_window,
	.memory = peers_job_memory,
};
