/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baseline-driven jobs driven with synthetic flow records and fixed times (15 s windows
 * from W0): inbound_connection_spike (a 10x pod after 20 even windows gives exactly one event
 * naming the pod and its replica set; during the warm-up none; episodes; replica sets and the
 * cluster factor), service_bytes_anomaly (a byte jump, with and without peers),
 * pod_outlier_ip_activity (a new destination after learning, none during it), a benign
 * workload of 30 windows (steady traffic with jitter, a client scaling 2x, a rolling update)
 * giving no event from any of the three, parameters, and a million distinct keys staying
 * under the documented memory bound.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/detect.h"
#include "lib/detect_baseline.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/strbuf.h"

#define W0  1764370800ULL
#define WIN 15
#define EPS 1e-6

#define MAX_EVENTS 64

static struct sec_event events[MAX_EVENTS];
static size_t nevents;
static size_t nemitted; /* may exceed MAX_EVENTS; the test then fails on the count */

static int reset(void **state)
{
	nevents = 0;
	nemitted = 0;
	return 0;
}

static void capture(void *arg, const struct sec_event *e)
{
	struct strbuf out;

	/* Every event must print (and so read back). */
	strbuf_init(&out);
	assert_int_equal(event_print(e, &out), 0);
	strbuf_fini(&out);
	if (nevents < MAX_EVENTS)
		events[nevents++] = *e;
	nemitted++;
}

static const struct event_field *extra(const struct sec_event *e, const char *key)
{
	for (size_t i = 0; i < e->nextra; i++)
		if (!strcmp(e->extra[i].key, key))
			return &e->extra[i];
	fail_msg("no extra %s", key);
	return NULL;
}

static double num(const struct sec_event *e, const char *key)
{
	const struct event_field *f = extra(e, key);

	assert_true(f->is_num);
	return f->num;
}

static const char *str(const struct sec_event *e, const char *key)
{
	const struct event_field *f = extra(e, key);

	assert_false(f->is_num);
	return f->str;
}

/* ---- records ------------------------------------------------------------------------ */

struct pod {
	const char *ip, *name, *aggr, *ns;
	const char *hash; /* pod-template-hash label value, or NULL */
};

static void side_pod(struct flowlog_side *s, const struct pod *p, int port)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", p->ip);
	snprintf(s->name, sizeof(s->name), "%s", p->name);
	snprintf(s->name_aggr, sizeof(s->name_aggr), "%s", p->aggr);
	snprintf(s->ns, sizeof(s->ns), "%s", p->ns);
	snprintf(s->type, sizeof(s->type), "wep");
	s->port = port;
}

static void side_net(struct flowlog_side *s, const char *ip, int port)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	snprintf(s->name, sizeof(s->name), "-");
	snprintf(s->name_aggr, sizeof(s->name_aggr), "pub");
	snprintf(s->ns, sizeof(s->ns), "-");
	snprintf(s->type, sizeof(s->type), "net");
	s->port = port;
}

/* The labels of the sides point here: "pod-template-hash=<hash>". */
static char labels[64][64];
static size_t nlabels;

static void add_hash_label(struct flowlog_side *s, const char *hash)
{
	if (!hash)
		return;
	assert_true(nlabels < 64);
	snprintf(labels[nlabels], sizeof(labels[0]), "pod-template-hash=%s", hash);
	s->labels[s->nlabels++] = labels[nlabels++];
}

/*
 * A record of window w: flows from src to dst (a pod, or a net address when dst_ip is set),
 * reported by `reporter`; bytes as seen by the reporting endpoint.
 */
static void rec(struct flowlog_rec *r, unsigned w, const char *reporter, const struct pod *src,
		const struct pod *dst, const char *dst_ip, int port, uint64_t flows,
		uint64_t bytes_in, uint64_t bytes_out)
{
	memset(r, 0, sizeof(*r));
	nlabels = 0;
	r->start_time = W0 + (uint64_t)w * WIN;
	r->end_time = r->start_time + WIN;
	side_pod(&r->src, src, -1);
	add_hash_label(&r->src, src->hash);
	if (dst) {
		side_pod(&r->dst, dst, port);
		add_hash_label(&r->dst, dst->hash);
	} else {
		side_net(&r->dst, dst_ip, port);
	}
	snprintf(r->proto, sizeof(r->proto), "tcp");
	snprintf(r->action, sizeof(r->action), "allow");
	snprintf(r->reporter, sizeof(r->reporter), "%s", reporter);
	r->bytes_in = bytes_in;
	r->bytes_out = bytes_out;
	r->num_flows = flows;
	r->num_flows_started = flows;
	r->num_flows_completed = flows;
	snprintf(r->host, sizeof(r->host), "node-1");
}

/*
 * Adds both reports of `flows` flows from src to dst in window w (req bytes per flow from
 * the client, resp bytes per flow back) to every job of jobs[].
 */
static void flows_to(void *const *st, const struct detect_job_ops *const *ops, size_t njobs,
		     unsigned w, const struct pod *src, const struct pod *dst, const char *dst_ip,
		     uint64_t flows, uint64_t req, uint64_t resp)
{
	struct flowlog_rec r;

	rec(&r, w, "src", src, dst, dst_ip, 443, flows, flows * resp, flows * req);
	for (size_t j = 0; j < njobs; j++)
		ops[j]->add(st[j], &r);
	if (!dst)
		return; /* an address outside the cluster reports nothing */
	rec(&r, w, "dst", src, dst, NULL, 443, flows, flows * req, flows * resp);
	for (size_t j = 0; j < njobs; j++)
		ops[j]->add(st[j], &r);
}

static void end_window(void *const *st, const struct detect_job_ops *const *ops, size_t njobs,
		       unsigned w)
{
	for (size_t j = 0; j < njobs; j++)
		ops[j]->end_window(st[j], W0 + (uint64_t)w * WIN, W0 + (uint64_t)(w + 1) * WIN,
				   capture, NULL);
}

static const struct pod client = {"10.244.0.5", "client-7c9d8b6f5-k2x9p", "client-7c9d8b6f5-*",
				  "shop", "7c9d8b6f5"};
static const struct pod web[3] = {
	{"10.244.1.10", "web-5d8f7c9b6-aaaaa", "web-5d8f7c9b6-*", "shop", "5d8f7c9b6"},
	{"10.244.1.11", "web-5d8f7c9b6-bbbbb", "web-5d8f7c9b6-*", "shop", "5d8f7c9b6"},
	{"10.244.1.12", "web-5d8f7c9b6-ccccc", "web-5d8f7c9b6-*", "shop", "5d8f7c9b6"},
};

/* One window of even traffic to the three web pods, pod 0 getting first0 flows. */
static void web_window(void *st, unsigned w, uint64_t flows, uint64_t first0)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;

	for (int i = 0; i < 3; i++)
		flows_to(&st, &ops, 1, w, &client, &web[i], NULL, i ? flows : first0, 200, 5000);
	end_window(&st, &ops, 1, w);
}

/* ---- inbound_connection_spike ------------------------------------------------------ */

static void test_spike_one_event(void **state)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;
	void *st = ops->create();
	struct detect_baseline_stats s;
	const struct sec_event *e;
	struct sec_event want;

	assert_non_null(st);
	for (unsigned w = 0; w < 20; w++)
		web_window(st, w, 10, 10);
	assert_int_equal(nemitted, 0);
	web_window(st, 20, 10, 100);
	assert_int_equal(nemitted, 1);
	e = &events[0];
	assert_string_equal(e->type, "anomaly_detection_job");
	assert_string_equal(e->origin, "inbound_connection_spike");
	assert_int_equal(e->severity, EVENT_SEVERITY_HIGH); /* 100 >= 2 x 30 */
	assert_int_equal(e->time, W0 + 21 * WIN);
	assert_int_equal(e->window_start, W0 + 20 * WIN);
	assert_int_equal(e->window_end, W0 + 21 * WIN);
	assert_string_equal(e->dst.ip, "10.244.1.10");
	assert_string_equal(e->dst.name, "web-5d8f7c9b6-aaaaa");
	assert_string_equal(e->dst.name_aggr, "web-5d8f7c9b6-*");
	assert_string_equal(e->dst.ns, "shop");
	assert_int_equal(e->dst.port, -1);
	assert_string_equal(e->src.ip, "");
	assert_float_equal(e->actual, 100, EPS);
	assert_true(e->has_typical);
	assert_float_equal(e->typical, 10, EPS);
	assert_true(e->has_threshold);
	assert_float_equal(e->threshold, 30, EPS);
	assert_string_equal(
		e->description,
		"pod shop/web-5d8f7c9b6-aaaaa (replica set web-5d8f7c9b6-*) received 100 "
		"new inbound flows in 15 s; the median of its 2 peers is 10 and its own "
		"median 10 (threshold 30)");
	assert_string_equal(str(e, "entity"), "pod");
	assert_string_equal(str(e, "metric"), "inbound_flows_started");
	assert_float_equal(num(e, "z_score"), 0.6745 * 90, EPS);
	assert_float_equal(num(e, "peer_median"), 10, EPS);
	assert_float_equal(num(e, "peer_spread"), 1, EPS);
	assert_float_equal(num(e, "peers"), 2, EPS);
	assert_float_equal(num(e, "own_typical"), 10, EPS);
	assert_float_equal(num(e, "own_samples"), 20, EPS);
	assert_float_equal(num(e, "replica_set_total"), 120, EPS);
	assert_float_equal(num(e, "replica_set_typical"), 30, EPS);
	assert_float_equal(num(e, "replica_set_pods"), 3, EPS);
	/* The id is the finding's: job, key and window. */
	event_init(&want);
	strcpy(want.type, "anomaly_detection_job");
	strcpy(want.origin, "inbound_connection_spike");
	want.window_start = e->window_start;
	want.window_end = e->window_end;
	event_set_id(&want, "pod:shop/web-5d8f7c9b6-aaaaa:inbound_flows_started");
	assert_string_equal(e->id, want.id);

	/* The spike goes on: the same episode, no second event (the replica set, 4x its usual
	 * total, was folded into the pod's event and is in the episode too). */
	web_window(st, 21, 10, 100);
	assert_int_equal(nemitted, 1);
	/* Five quiet windows end the episode (rearm 4); the next spike is a new one. */
	for (unsigned w = 22; w < 27; w++)
		web_window(st, w, 10, 10);
	web_window(st, 27, 10, 100);
	assert_int_equal(nemitted, 2);
	assert_string_equal(events[1].dst.name, "web-5d8f7c9b6-aaaaa");
	assert_int_equal(events[1].window_start, W0 + 27 * WIN);
	assert_string_not_equal(events[1].id, events[0].id);

	detect_spike_stats(st, &s);
	assert_int_equal(s.windows, 28);
	assert_int_equal(s.records, 28 * 3); /* the "dst" reports only */
	assert_int_equal(s.pods, 3);
	assert_int_equal(s.sets, 1);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.suppressed, 1); /* the pod in window 21 */
	assert_int_equal(s.dropped_pods + s.dropped_sets + s.unattributed + s.nomem, 0);
	assert_true(ops->memory(st) <= detect_spike_memory_bound(st));
	ops->destroy(st);
}

static void test_spike_warmup(void **state)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;
	struct detect_baseline_stats s;
	void *st = ops->create();

	/* The same 10x, in window 5: the pod's history has 5 windows of the 10 needed. */
	for (unsigned w = 0; w < 30; w++)
		web_window(st, w, 10, w == 5 ? 100 : 10);
	assert_int_equal(nemitted, 0);
	detect_spike_stats(st, &s);
	assert_int_equal(s.suppressed, 0); /* no verdict at all: not ready */
	ops->destroy(st);

	/* With a warm-up of 2 windows the histories are ready in window 3, but 60 s have not
	 * passed since the first window: judged, suppressed, not emitted. */
	st = ops->create();
	assert_int_equal(ops->set_param(st, "warmup_windows", 2), 0);
	for (unsigned w = 0; w < 4; w++)
		web_window(st, w, 10, w == 3 ? 100 : 10);
	detect_spike_stats(st, &s);
	assert_int_equal(s.suppressed, 1);
	assert_int_equal(nemitted, 0);
	/* From 60 s on it reports (a new episode after 5 quiet windows). */
	for (unsigned w = 4; w < 9; w++)
		web_window(st, w, 10, 10);
	web_window(st, 9, 10, 100);
	assert_int_equal(nemitted, 1);
	ops->destroy(st);
}

static void test_spike_floor_and_sensitivity(void **state)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;
	void *st = ops->create();

	/* A quiet replica set: 1 flow per pod, then 5 and 25 on one pod: below the floor (30). */
	for (unsigned w = 0; w < 20; w++)
		web_window(st, w, 1, 1);
	web_window(st, 20, 1, 5);
	web_window(st, 21, 1, 25);
	assert_int_equal(nemitted, 0);
	ops->destroy(st);

	/* 2.5x the usual, above the floor: under the ratio 3 at sensitivity 1, over the ratio 1.5
	 * at sensitivity 2. */
	st = ops->create();
	for (unsigned w = 0; w < 20; w++)
		web_window(st, w, 40, 40);
	web_window(st, 20, 40, 100);
	assert_int_equal(nemitted, 0);
	assert_int_equal(ops->set_param(st, "sensitivity", 2), 0);
	for (unsigned w = 21; w < 26; w++)
		web_window(st, w, 40, 40);
	web_window(st, 26, 40, 100);
	assert_int_equal(nemitted, 1);
	assert_float_equal(events[0].threshold, 60, EPS); /* 1.5 x 40 */
	assert_int_equal(events[0].severity, EVENT_SEVERITY_MEDIUM);
	ops->destroy(st);
}

static void test_spike_params(void **state)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;
	void *st = ops->create();

	assert_int_equal(ops->set_param(st, "sensitivity", 0), -EINVAL);
	assert_int_equal(ops->set_param(st, "sensitivity", NAN), -EINVAL);
	assert_int_equal(ops->set_param(st, "warmup_windows", -1), -EINVAL);
	assert_int_equal(ops->set_param(st, "warmup_windows", 1.5), -EINVAL);
	assert_int_equal(ops->set_param(st, "min_peers", 1), -EINVAL);
	assert_int_equal(ops->set_param(st, "min_ratio", 0.5), -EINVAL);
	assert_int_equal(ops->set_param(st, "no_such", 1), -EINVAL);
	assert_int_equal(ops->set_param(st, "history", 30), 0);
	assert_int_equal(ops->set_param(st, "floor", 0), 0);
	assert_int_equal(ops->set_param(st, "max_pods", 100), 0);
	assert_int_equal(ops->set_param(st, "max_replica_sets", 10), 0);
	web_window(st, 0, 10, 10);
	/* The ring size is fixed once records came in. */
	assert_int_equal(ops->set_param(st, "history", 40), -EINVAL);
	assert_int_equal(ops->set_param(st, "z_threshold", 5), 0);
	ops->destroy(st);
}

static void test_spike_replica_set(void **state)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;
	static const struct pod two[2] = {
		{"10.244.4.10", "cache-6f5e4d3c2-aaaaa", "cache-6f5e4d3c2-*", "shop", "6f5e4d3c2"},
		{"10.244.4.11", "cache-6f5e4d3c2-bbbbb", "cache-6f5e4d3c2-*", "shop", "6f5e4d3c2"},
	};
	void *st = ops->create();
	const struct sec_event *e;

	/* Two pods: one peer each, too few for a pod verdict; the set's total is judged. */
	for (unsigned w = 0; w <= 20; w++) {
		uint64_t f = w == 20 ? 200 : 20;

		flows_to(&st, &ops, 1, w, &client, &two[0], NULL, f, 100, 100);
		flows_to(&st, &ops, 1, w, &client, &two[1], NULL, f, 100, 100);
		end_window(&st, &ops, 1, w);
	}
	assert_int_equal(nemitted, 1);
	e = &events[0];
	assert_string_equal(str(e, "entity"), "replica_set");
	assert_string_equal(e->dst.name, "");
	assert_string_equal(e->dst.ip, "");
	assert_string_equal(e->dst.name_aggr, "cache-6f5e4d3c2-*");
	assert_string_equal(e->dst.ns, "shop");
	assert_float_equal(e->actual, 400, EPS);
	assert_float_equal(e->typical, 40, EPS);
	assert_float_equal(e->threshold, 120, EPS);
	assert_float_equal(num(e, "cluster_factor"), 1, EPS);
	assert_float_equal(num(e, "pods"), 2, EPS);
	assert_string_equal(
		e->description,
		"replica set shop/cache-6f5e4d3c2-* received 400 new inbound flows in 15 "
		"s across 2 pods; its own median is 40 (threshold 120)");
	ops->destroy(st);
}

static void test_spike_cluster_factor(void **state)
{
	const struct detect_job_ops *ops = &detect_inbound_connection_spike;
	static const struct pod solo[4] = {
		{"10.244.5.1", "a-1", "a-*", "team", NULL},
		{"10.244.5.2", "b-1", "b-*", "team", NULL},
		{"10.244.5.3", "c-1", "c-*", "team", NULL},
		{"10.244.5.4", "d-1", "d-*", "team", NULL},
	};
	void *st = ops->create();

	/* Four single-pod replica sets all jump 4x in the same window (a cluster-wide surge):
	 * the cluster factor 4 lifts each threshold (3 x 40 x 4 = 480) above 160. */
	for (unsigned w = 0; w <= 20; w++) {
		for (int i = 0; i < 4; i++)
			flows_to(&st, &ops, 1, w, &client, &solo[i], NULL, w == 20 ? 160 : 40, 1,
				 1);
		end_window(&st, &ops, 1, w);
	}
	assert_int_equal(nemitted, 0);
	/* Only one of them 4x: the factor is 1 and that one is reported. */
	for (unsigned w = 21; w <= 26; w++) {
		for (int i = 0; i < 4; i++)
			flows_to(&st, &ops, 1, w, &client, &solo[i], NULL,
				 w == 26 && i == 2 ? 160 : 40, 1, 1);
		end_window(&st, &ops, 1, w);
	}
	assert_int_equal(nemitted, 1);
	assert_string_equal(events[0].dst.name_aggr, "c-*");
	assert_float_equal(num(&events[0], "cluster_factor"), 1, EPS);
	ops->destroy(st);
}

/* ---- service_bytes_anomaly --------------------------------------------------------- */

static void test_bytes_jump(void **state)
{
	const struct detect_job_ops *ops = &detect_service_bytes_anomaly;
	static const struct pod store[3] = {
		{"10.244.6.10", "store-8a7b6c5d4-aaaaa", "store-8a7b6c5d4-*", "shop", "8a7b6c5d4"},
		{"10.244.6.11", "store-8a7b6c5d4-bbbbb", "store-8a7b6c5d4-*", "shop", "8a7b6c5d4"},
		{"10.244.6.12", "store-8a7b6c5d4-ccccc", "store-8a7b6c5d4-*", "shop", "8a7b6c5d4"},
	};
	static const struct pod solo = {"10.244.7.10", "batch-0", "batch-*", "jobs", NULL};
	void *st = ops->create();
	struct detect_baseline_stats s;
	const struct sec_event *e;

	/* Each store pod uploads 1 MB per window to an outside address; in window 20 the first
	 * uploads 20 MB.  A single-pod workload sends 2 MB per window, 30 MB in window 22. */
	for (unsigned w = 0; w <= 22; w++) {
		for (int i = 0; i < 3; i++)
			flows_to(&st, &ops, 1, w, &store[i], NULL, "203.0.113.10",
				 i == 0 && w == 20 ? 20 : 1, 1000000, 1000);
		flows_to(&st, &ops, 1, w, &solo, NULL, "203.0.113.20", w == 22 ? 15 : 1, 2000000,
			 1000);
		end_window(&st, &ops, 1, w);
	}
	assert_int_equal(nemitted, 2);
	e = &events[0];
	assert_string_equal(e->origin, "service_bytes_anomaly");
	/* What a pod sends puts it on the source side. */
	assert_string_equal(e->src.name, "store-8a7b6c5d4-aaaaa");
	assert_string_equal(e->src.name_aggr, "store-8a7b6c5d4-*");
	assert_string_equal(e->src.ns, "shop");
	assert_string_equal(e->src.ip, "10.244.6.10");
	assert_string_equal(e->dst.name, "");
	assert_string_equal(str(e, "metric"), "bytes_out");
	assert_float_equal(e->actual, 20000000, EPS);
	assert_float_equal(e->typical, 1000000, EPS); /* the peers' median */
	assert_float_equal(e->threshold, 4194304, EPS);
	assert_float_equal(num(e, "own_typical"), 1000000, EPS);
	assert_float_equal(num(e, "peers"), 2, EPS);
	assert_int_equal(e->severity, EVENT_SEVERITY_HIGH);
	assert_int_equal(e->window_start, W0 + 20 * WIN);

	e = &events[1];
	assert_string_equal(e->src.name, "batch-0");
	assert_string_equal(str(e, "metric"), "bytes_out");
	assert_float_equal(e->actual, 30000000, EPS);
	assert_float_equal(e->typical, 2000000, EPS); /* its own EWMA: no peers */
	assert_float_equal(num(e, "peers"), 0, EPS);
	assert_float_equal(e->threshold, 6000000, EPS);
	assert_string_equal(
		e->description,
		"pod jobs/batch-0 (replica set batch-*) sent 30000000 bytes in 15 s; its "
		"own typical is 2000000 (threshold 6000000)");
	assert_int_equal(e->window_start, W0 + 22 * WIN);

	detect_bytes_stats(st, &s);
	assert_int_equal(s.records, 23 * 4); /* src reports only: the outside reports nothing */
	assert_int_equal(s.pods, 4);
	assert_int_equal(s.events, 2);
	ops->destroy(st);
}

static void test_bytes_server_responses(void **state)
{
	const struct detect_job_ops *ops = &detect_service_bytes_anomaly;
	void *st = ops->create();

	/* A web pod serving 50 flows of 100 kB per window answers 100 flows of 1 MB: its bytes
	 * out (responses, from its own "dst" reports) jump; the client's bytes in jump too, but
	 * the client has no peers and the same jump against its own history: two events. */
	for (unsigned w = 0; w <= 20; w++) {
		for (int i = 0; i < 3; i++)
			flows_to(&st, &ops, 1, w, &client, &web[i], NULL,
				 i == 1 && w == 20 ? 100 : 50, 1000,
				 i == 1 && w == 20 ? 1000000 : 100000);
		end_window(&st, &ops, 1, w);
	}
	assert_int_equal(nemitted, 2);
	assert_string_equal(events[0].src.name, "");
	assert_string_equal(events[0].dst.name, "client-7c9d8b6f5-k2x9p");
	assert_string_equal(str(&events[0], "metric"), "bytes_in");
	assert_string_equal(events[1].src.name, "web-5d8f7c9b6-bbbbb");
	assert_string_equal(str(&events[1], "metric"), "bytes_out");
	assert_float_equal(events[1].actual, 100000000, EPS);
	ops->destroy(st);
}

/* ---- pod_outlier_ip_activity ------------------------------------------------------- */

static const struct pod worker[2] = {
	{"10.244.8.10", "worker-4b3c2d1e0-aaaaa", "worker-4b3c2d1e0-*", "jobs", "4b3c2d1e0"},
	{"10.244.8.11", "worker-4b3c2d1e0-bbbbb", "worker-4b3c2d1e0-*", "jobs", "4b3c2d1e0"},
};
static const struct pod db = {"10.244.9.10", "db-0", "db-*", "data", NULL};

/* A worker window: both workers reach the db and 198.51.100.7, plus extra (when set). */
static void worker_window(void *st, unsigned w, const char *extra_ip)
{
	const struct detect_job_ops *ops = &detect_pod_outlier_ip_activity;

	for (int i = 0; i < 2; i++) {
		flows_to(&st, &ops, 1, w, &worker[i], &db, NULL, 3, 100, 100);
		flows_to(&st, &ops, 1, w, &worker[i], NULL, "198.51.100.7", 1, 100, 100);
	}
	if (extra_ip)
		flows_to(&st, &ops, 1, w, &worker[1], NULL, extra_ip, 1, 100, 100);
	end_window(&st, &ops, 1, w);
}

static void test_outlier(void **state)
{
	const struct detect_job_ops *ops = &detect_pod_outlier_ip_activity;
	void *st = ops->create();
	struct detect_baseline_stats s;
	const struct sec_event *e;
	struct flowlog_rec r;

	/* Learning (windows 0..19): a destination first used in window 10 is learnt. */
	for (unsigned w = 0; w < 20; w++)
		worker_window(st, w, w == 10 ? "198.51.100.8" : NULL);
	assert_int_equal(nemitted, 0);
	/* Window 20: a worker reaches a new address. */
	worker_window(st, 20, "203.0.113.99");
	assert_int_equal(nemitted, 1);
	e = &events[0];
	assert_string_equal(e->origin, "pod_outlier_ip_activity");
	assert_int_equal(e->severity, EVENT_SEVERITY_MEDIUM);
	assert_string_equal(e->src.name, "worker-4b3c2d1e0-bbbbb");
	assert_string_equal(e->src.ip, "10.244.8.11");
	assert_string_equal(e->src.name_aggr, "worker-4b3c2d1e0-*");
	assert_string_equal(e->src.ns, "jobs");
	assert_string_equal(e->dst.ip, "203.0.113.99");
	assert_int_equal(e->dst.port, 443);
	assert_string_equal(e->dst.name_aggr, "pub");
	assert_string_equal(e->dst.ns, "");
	assert_float_equal(e->actual, 1, EPS);
	assert_float_equal(e->typical, 0, EPS);
	assert_float_equal(e->threshold, 1, EPS);
	assert_string_equal(str(e, "new_destinations"), "203.0.113.99");
	assert_string_equal(str(e, "dest_type"), "net");
	assert_float_equal(num(e, "known_destinations"), 3, EPS);
	assert_float_equal(num(e, "learning_windows"), 20, EPS);
	assert_string_equal(
		e->description,
		"pod jobs/worker-4b3c2d1e0-bbbbb (replica set worker-4b3c2d1e0-*) reached "
		"203.0.113.99, a destination its replica set had not used during learning "
		"or since; 1 new in 15 s, 3 known");
	/* Learnt now: again is not new.  Another new one two windows later is the same
	 * episode; after five quiet windows, two new ones in a window make one event. */
	worker_window(st, 21, "203.0.113.99");
	worker_window(st, 22, "203.0.113.100");
	assert_int_equal(nemitted, 1);
	for (unsigned w = 23; w < 28; w++)
		worker_window(st, w, NULL);
	rec(&r, 28, "src", &worker[0], NULL, "2001:db8::1", 53, 1, 0, 0);
	ops->add(st, &r);
	worker_window(st, 28, "203.0.113.101");
	assert_int_equal(nemitted, 2);
	e = &events[1];
	assert_float_equal(e->actual, 2, EPS);
	assert_string_equal(e->src.name, "worker-4b3c2d1e0-aaaaa");
	assert_string_equal(e->dst.ip, "2001:db8::1");
	assert_string_equal(str(e, "new_destinations"), "2001:db8::1, 203.0.113.101");
	assert_float_equal(num(e, "known_destinations"), 5, EPS);

	/* A net destination aggregated away cannot be judged: counted. */
	rec(&r, 29, "src", &worker[0], NULL, "", 443, 1, 0, 0);
	ops->add(st, &r);
	/* The destination's reports are not the source's: not counted. */
	rec(&r, 29, "dst", &worker[0], &db, NULL, 5432, 1, 0, 0);
	ops->add(st, &r);
	worker_window(st, 29, NULL);
	detect_outlier_stats(st, &s);
	assert_int_equal(s.unattributed, 1);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.suppressed, 1);
	assert_int_equal(s.sets, 1);
	assert_int_equal(nemitted, 2);
	ops->destroy(st);
}

static void test_outlier_learning_and_prefix(void **state)
{
	const struct detect_job_ops *ops = &detect_pod_outlier_ip_activity;
	void *st = ops->create();

	/* New destinations during learning: none reported, however many, and all learnt. */
	for (unsigned w = 0; w < 20; w++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "192.0.2.%u", w + 1);
		worker_window(st, w, ip);
	}
	assert_int_equal(nemitted, 0);
	worker_window(st, 20, "192.0.2.5");
	assert_int_equal(nemitted, 0);
	worker_window(st, 21, "192.0.2.200");
	assert_int_equal(nemitted, 1);
	ops->destroy(st);

	/* With /24 prefixes (set before the first record), 192.0.2.200 is in a learnt prefix and
	 * 192.0.3.1 is not. */
	reset(NULL);
	st = ops->create();
	assert_int_equal(ops->set_param(st, "prefix_v4", 24), 0);
	assert_int_equal(ops->set_param(st, "prefix_v4", 33), -EINVAL);
	for (unsigned w = 0; w < 20; w++)
		worker_window(st, w, "192.0.2.1");
	worker_window(st, 20, "192.0.2.200");
	assert_int_equal(nemitted, 0);
	worker_window(st, 21, "192.0.3.1");
	assert_int_equal(nemitted, 1);
	assert_string_equal(str(&events[0], "new_destinations"), "192.0.3.1");
	ops->destroy(st);

	/* A shorter learning period, through the parameter. */
	reset(NULL);
	st = ops->create();
	assert_int_equal(ops->set_param(st, "learning_windows", 12), 0);
	assert_int_equal(ops->set_param(st, "min_new", 0), -EINVAL);
	for (unsigned w = 0; w < 11; w++)
		worker_window(st, w, NULL);
	worker_window(st, 11, "192.0.2.8");
	assert_int_equal(nemitted, 0);
	worker_window(st, 12, "192.0.2.9");
	assert_int_equal(nemitted, 1);
	ops->destroy(st);
}

/* ---- a benign workload ------------------------------------------------------------- */

/* A deterministic jitter of +-10 %. */
static uint64_t jitter(uint64_t v, uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return v * (90 + (*seed >> 16) % 21) / 100;
}

static void test_benign_workload(void **state)
{
	const struct detect_job_ops *ops[3] = {&detect_inbound_connection_spike,
					       &detect_service_bytes_anomaly,
					       &detect_pod_outlier_ip_activity};
	static const struct pod front[4] = {
		{"10.244.0.11", "front-6b7c8d9e0-p1aaa", "front-6b7c8d9e0-*", "shop", "6b7c8d9e0"},
		{"10.244.0.12", "front-6b7c8d9e0-p2bbb", "front-6b7c8d9e0-*", "shop", "6b7c8d9e0"},
		{"10.244.0.13", "front-6b7c8d9e0-p3ccc", "front-6b7c8d9e0-*", "shop", "6b7c8d9e0"},
		{"10.244.0.14", "front-6b7c8d9e0-p4ddd", "front-6b7c8d9e0-*", "shop", "6b7c8d9e0"},
	};
	static const struct pod api_old[3] = {
		{"10.244.2.10", "api-7f8e9d0c1-aaaaa", "api-7f8e9d0c1-*", "shop", "7f8e9d0c1"},
		{"10.244.2.11", "api-7f8e9d0c1-bbbbb", "api-7f8e9d0c1-*", "shop", "7f8e9d0c1"},
		{"10.244.2.12", "api-7f8e9d0c1-ccccc", "api-7f8e9d0c1-*", "shop", "7f8e9d0c1"},
	};
	static const struct pod api_new[3] = {
		{"10.244.2.20", "api-55c4b3a21-ddddd", "api-55c4b3a21-*", "shop", "55c4b3a21"},
		{"10.244.2.21", "api-55c4b3a21-eeeee", "api-55c4b3a21-*", "shop", "55c4b3a21"},
		{"10.244.2.22", "api-55c4b3a21-fffff", "api-55c4b3a21-*", "shop", "55c4b3a21"},
	};
	void *st[3];
	uint32_t seed = 12345;

	for (int j = 0; j < 3; j++)
		st[j] = ops[j]->create();
	for (unsigned w = 0; w < 30; w++) {
		/* The client deployment scales from 2 to 4 pods in window 22. */
		int nfront = w < 22 ? 2 : 4;
		/* The api deployment rolls in windows 24..26, surging one pod: window 24 has the
		 * three old pods and one new, 25 two and two, 26 one and three, then three new. */
		const struct pod *api[4];
		int napi = 0;
		int k = w < 24 ? -1 : w > 26 ? 3 : (int)w - 24;

		for (int i = k < 3 ? (k < 0 ? 0 : k) : 3; i < 3; i++)
			api[napi++] = &api_old[i];
		for (int i = 0; i <= k && i < 3; i++)
			api[napi++] = &api_new[i];

		for (int f = 0; f < nfront; f++) {
			/* Each client pod: 20 flows per web pod, 60 flows spread over the api. */
			for (int i = 0; i < 3; i++)
				flows_to(st, ops, 3, w, &front[f], &web[i], NULL, jitter(20, &seed),
					 jitter(2000, &seed), jitter(150000, &seed));
			for (int i = 0; i < napi; i++)
				flows_to(st, ops, 3, w, &front[f], api[i], NULL,
					 jitter(60 / (uint64_t)napi, &seed), 1000,
					 jitter(80000, &seed));
		}
		/* The web pods use the database and an outside API. */
		for (int i = 0; i < 3; i++) {
			flows_to(st, ops, 3, w, &web[i], &db, NULL, jitter(10, &seed), 500, 20000);
			flows_to(st, ops, 3, w, &web[i], NULL, "198.51.100.7", 2, 1000, 5000);
		}
		end_window(st, ops, 3, w);
	}
	for (size_t i = 0; i < nevents; i++)
		print_message("# unexpected: %s: %s\n", events[i].origin, events[i].description);
	assert_int_equal(nemitted, 0);
	for (int j = 0; j < 3; j++)
		ops[j]->destroy(st[j]);
}

/* ---- a million keys ---------------------------------------------------------------- */

static void million(const struct detect_job_ops *ops, void *st, bool distinct_dest)
{
	struct flowlog_rec r;
	struct pod p = {"10.1.0.0", NULL, NULL, "load", NULL};
	char name[64], aggr[64], ip[32];

	p.name = name;
	p.aggr = aggr;
	for (unsigned i = 0; i < 1000000; i++) {
		unsigned w = i / 100000;

		snprintf(name, sizeof(name), "pod-%u", i);
		snprintf(aggr, sizeof(aggr), "%s", distinct_dest ? "one-*" : name);
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 1 + (i >> 16), (i >> 8) & 255, i & 255);
		p.ip = ip;
		if (distinct_dest) {
			rec(&r, w, "src", &client, NULL, ip, 443, 1, 100, 100);
		} else {
			rec(&r, w, "dst", &client, &p, NULL, 443, 1, 100, 100);
			ops->add(st, &r);
			rec(&r, w, "src", &p, NULL, "203.0.113.1", 443, 1, 100, 100);
		}
		ops->add(st, &r);
		if (i % 100000 == 99999)
			ops->end_window(st, W0 + w * WIN, W0 + (w + 1) * WIN, capture, NULL);
	}
}

static void test_million_keys(void **state)
{
	const struct detect_job_ops *peer_jobs[2] = {&detect_inbound_connection_spike,
						     &detect_service_bytes_anomaly};
	struct detect_baseline_stats s;
	void *st;

	for (int j = 0; j < 2; j++) {
		size_t mem, bound;

		st = peer_jobs[j]->create();
		million(peer_jobs[j], st, false);
		if (j == 0)
			detect_spike_stats(st, &s);
		else
			detect_bytes_stats(st, &s);
		mem = peer_jobs[j]->memory(st);
		bound = j == 0 ? detect_spike_memory_bound(st) : detect_bytes_memory_bound(st);
		print_message("# %s: %zu bytes for %llu pods and %llu sets, bound %zu\n",
			      peer_jobs[j]->name, mem, (unsigned long long)s.pods,
			      (unsigned long long)s.sets, bound);
		assert_int_equal(s.pods, DETECT_BASELINE_MAX_PODS);
		assert_int_equal(s.sets, DETECT_BASELINE_MAX_SETS);
		/* Every pod past the first 65536 is refused, once per record the job counts (the
		 * spike job one per pod, the bytes job two: the pod's "dst" and "src" reports). */
		assert_int_equal(s.dropped_pods, (j + 1) * (1000000 - DETECT_BASELINE_MAX_PODS));
		assert_int_equal(s.dropped_sets, (j + 1) * (1000000 - DETECT_BASELINE_MAX_SETS));
		assert_int_equal(s.records, (j + 1) * 1000000);
		assert_true(mem <= bound);
		/* The documented bounds (docs/detectors.md). */
		assert_true(bound <= (j == 0 ? 64u : 56u) << 20);
		peer_jobs[j]->destroy(st);
	}

	/* Outlier: a million distinct source replica sets, then a million destinations of one. */
	st = detect_pod_outlier_ip_activity.create();
	million(&detect_pod_outlier_ip_activity, st, false);
	detect_outlier_stats(st, &s);
	assert_int_equal(s.sets, DETECT_OUTLIER_MAX_SETS);
	assert_int_equal(s.dropped_sets, 1000000 - DETECT_OUTLIER_MAX_SETS);
	assert_true(detect_pod_outlier_ip_activity.memory(st) <= detect_outlier_memory_bound(st));
	detect_pod_outlier_ip_activity.destroy(st);

	st = detect_pod_outlier_ip_activity.create();
	million(&detect_pod_outlier_ip_activity, st, true);
	detect_outlier_stats(st, &s);
	print_message("# pod_outlier_ip_activity: %zu bytes, bound %zu\n",
		      detect_pod_outlier_ip_activity.memory(st), detect_outlier_memory_bound(st));
	assert_int_equal(s.sets, 1);
	assert_int_equal(s.saturated, 1);
	assert_int_equal(s.unjudged, 1000000 - DETECT_OUTLIER_MAX_DESTINATIONS);
	assert_true(detect_pod_outlier_ip_activity.memory(st) <= detect_outlier_memory_bound(st));
	assert_true(detect_outlier_memory_bound(st) <= 24u << 20);
	detect_pod_outlier_ip_activity.destroy(st);
	assert_int_equal(nemitted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_spike_one_event, reset),
		cmocka_unit_test_setup(test_spike_warmup, reset),
		cmocka_unit_test_setup(test_spike_floor_and_sensitivity, reset),
		cmocka_unit_test_setup(test_spike_params, reset),
		cmocka_unit_test_setup(test_spike_replica_set, reset),
		cmocka_unit_test_setup(test_spike_cluster_factor, reset),
		cmocka_unit_test_setup(test_bytes_jump, reset),
		cmocka_unit_test_setup(test_bytes_server_responses, reset),
		cmocka_unit_test_setup(test_outlier, reset),
		cmocka_unit_test_setup(test_outlier_learning_and_prefix, reset),
		cmocka_unit_test_setup(test_benign_workload, reset),
		cmocka_unit_test_setup(test_million_keys, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
