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

static const struct peers_params spike_defaults = {
	.sensitivity = 1.0,
	.warmup_windows = DETECT_BASELINE_WARMUP_WINDOWS,
	.warmup_seconds = DETECT_BASELINE_WARMUP_SECONDS,
	.history = DETECT_BASELINE_HISTORY,
	.z_threshold = DETECT_BASELINE_Z,
	.min_ratio = DETECT_BASELINE_RATIO,
	.floor = DETECT_SPIKE_FLOOR,
	.spread_floor = DETECT_SPIKE_SPREAD_FLOOR,
	.spread_floor_ratio = 0.1,
	.min_peers = 2,
	.rearm_windows = DETECT_BASELINE_REARM_WINDOWS,
	.idle_windows = DETECT_BASELINE_IDLE_WINDOWS,
	.max_pods = DETECT_BASELINE_MAX_PODS,
	.max_sets = DETECT_BASELINE_MAX_SETS,
};

static void *spike_create(void)
{
	return peers_new(1, PEERS_MAD, true, &spike_defaults);
}

static void spike_destroy(void *st)
{
	peers_free(st);
}

static int spike_set_param(void *st, const char *name, double value)
{
	return peers_set_param(st, name, value);
}

static void spike_add(void *st, const struct flowlog_rec *r)
{
	double v = (double)r->num_flows_started;

	if (strcmp(r->reporter, "dst") || strcmp(r->dst.type, "wep"))
		return;
	peers_add(st, &r->dst, &v);
}

struct emit_ctx {
	detect_emit_fn *emit;
	void *arg;
};

static void spike_finding(void *arg, const struct peers_finding *f)
{
	const struct emit_ctx *c = arg;
	uint64_t secs = f->end - f->start;
	struct sec_event e;

	peers_event(f, "inbound_connection_spike", METRIC, false, &e);
	if (f->is_set)
		event_describe(&e,
			       "replica set %s/%s received %.0f new inbound flows in %" PRIu64
			       " s across %zu pods; its own median is %.0f (threshold %.0f)",
			       f->ns, f->name_aggr, f->actual, secs, f->set_pods, f->own.typical,
			       f->threshold);
	else
		event_describe(
			&e,
			"pod %s/%s (replica set %s) received %.0f new inbound flows in %" PRIu64
			" s; the median of its %zu peers is %.0f and its own median %.0f "
			"(threshold %.0f)",
			f->ns, f->name, f->name_aggr[0] ? f->name_aggr : "-", f->actual, secs,
			f->npeers, f->peer.typical, f->own.typical, f->threshold);
	c->emit(c->arg, &e);
}

static void spike_end_window(void *st, uint64_t start, uint64_t end, detect_emit_fn *emit,
			     void *arg)
{
	struct emit_ctx c = {emit, arg};

	peers_end_window(st, start, end, spike_finding, &c);
}

static size_t spike_memory(const void *st)
{
	return peers_memory(st);
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
	.destroy = spike_destroy,
	.set_param = spike_set_param,
	.add = spike_add,
	.end_window = spike_end_window,
	.memory = spike_memory,
};
