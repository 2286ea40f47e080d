/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service_bytes_anomaly (docs/detectors.md): pods whose bytes in or out per window jump
 * against their own history and, when they have peers, the other pods of their replica set;
 * replica sets whose total jumps against their own history.
 *
 * Counted from the pod's own reports, so that a flow counts once per pod: the destination's
 * reports of flows to pods (reporter "dst", dest_type wep) and the source's reports of flows
 * from pods (reporter "src", source_type wep).  Both give bytes_in and bytes_out relative to
 * the reporting pod: a server's bytes in are its requests (dst reports) and its bytes out its
 * responses; a client's bytes out are what it sends (src reports), its bytes in the replies.
 * Histories are EWMAs (two doubles per pod and direction): byte counts vary more
 * than connection counts, and the mean and variance follow a new level within a few spans.
 */
#include "lib/detect_baseline.h"
#include "lib/detect_peers.h"
#include "lib/event.h"
#include "lib/flowlog.h"

#include <inttypes.h>
#include <string.h>

enum { BYTES_IN, BYTES_OUT };

static const char *const metric_name[] = {"bytes_in", "bytes_out"};

static void *bytes_create(void)
{
	struct peers_params defaults;

	peers_baseline_params(&defaults, DETECT_BYTES_FLOOR, DETECT_BYTES_SPREAD_FLOOR);
	return peers_new(2, PEERS_EWMA, false, &defaults);
}

static void bytes_add(void *st, const struct flowlog_rec *r)
{
	/* bytes_in and bytes_out are relative to the reporting endpoint: the pod. */
	double v[2] = {(double)r->bytes_in, (double)r->bytes_out};

	if (!strcmp(r->reporter, "dst") && !strcmp(r->dst.type, "wep"))
		peers_add(st, &r->dst, v);
	else if (!strcmp(r->reporter, "src") && !strcmp(r->src.type, "wep"))
		peers_add(st, &r->src, v);
}

static void bytes_describe(const struct peers_finding *f, struct sec_event *e)
{
	const char *verb = f->metric == BYTES_IN ? "received" : "sent";
	uint64_t secs = f->end - f->start;

	/* The pod is the destination of what it receives and the source of what it sends. */
	peers_event(f, "service_bytes_anomaly", metric_name[f->metric], f->metric == BYTES_OUT, e);
	if (f->is_set)
		event_describe(e,
			       "replica set %s/%s %s %.0f bytes in %" PRIu64
			       " s across %zu pods; its own typical is %.0f (threshold %.0f)",
			       f->ns, f->name_aggr, verb, f->actual, secs, f->set_pods,
			       f->own.typical, f->threshold);
	else if (f->has_peers)
		event_describe(e,
			       "pod %s/%s (replica set %s) %s %.0f bytes in %" PRIu64
			       " s; its own typical is %.0f and the median of its %zu peers %.0f "
			       "(threshold %.0f)",
			       f->ns, f->name, f->name_aggr[0] ? f->name_aggr : "-", verb,
			       f->actual, secs, f->own.typical, f->npeers, f->peer.typical,
			       f->threshold);
	else
		event_describe(e,
			       "pod %s/%s (replica set %s) %s %.0f bytes in %" PRIu64
			       " s; its own typical is %.0f (threshold %.0f)",
			       f->ns, f->name, f->name_aggr[0] ? f->name_aggr : "-", verb,
			       f->actual, secs, f->own.typical, f->threshold);
}

static void bytes_end_window(void *st, uint64_t start, uint64_t end, detect_emit_fn *emit,
			     void *arg)
{
	peers_job_end_window(st, start, end, bytes_describe, emit, arg);
}

void detect_bytes_stats(const void *st, struct detect_baseline_stats *out)
{
	peers_stats(st, out);
}

size_t detect_bytes_memory_bound(const void *st)
{
	return peers_memory_bound(st);
}

const struct detect_job_ops detect_service_bytes_anomaly = {
	.name = "service_bytes_anomaly",
	.description = "pods whose bytes in or out jump against their own history and their "
		       "replica set's other pods; replica sets against their history",
	.create = bytes_create,
	.destroy = peers_job_destroy,
	.set_param = peers_job_set_param,
	.add = bytes_add,
	.end_window = bytes_end_window,
	.memory = peers_job_memory,
};
