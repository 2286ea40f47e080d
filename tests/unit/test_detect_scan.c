/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scan and sweep jobs (lib/detect_scan.c) and the job registry (lib/detect.c), driven
 * with synthetic flow records at fixed times: 15 s windows from T, the default 300 s span.
 * Every test asserts the exact events (count, origin, source, evidence) a stream produces.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/detect.h"
#include "lib/detect_scan.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/strbuf.h"

#define T 1764370800ULL
#define W 15

static const char *const pol_no_endpoint = "0|__NO_ENDPOINT__|__NO_ENDPOINT__|deny|-1";
static const char *const pol_allow = "0|default|default/knp.default.web|allow|0";
static const char *const pol_deny = "0|default|default.end-of-tier|deny|-1";

/* ---- records ------------------------------------------------------------------------------ */

enum dest { TO_UNUSED, TO_POD, TO_POD_DENIED, TO_HOST };

static void side(struct flowlog_side *s, const char *ip, const char *type)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	snprintf(s->type, sizeof(s->type), "%s", type);
	s->port = -1;
	if (!strcmp(type, "wep")) {
		snprintf(s->name, sizeof(s->name), "pod-%s", ip);
		snprintf(s->name_aggr, sizeof(s->name_aggr), "web-7d9f8c6b5-*");
		snprintf(s->ns, sizeof(s->ns), "default");
	} else if (!strcmp(type, "ns")) {
		snprintf(s->name, sizeof(s->name), "suspects");
		snprintf(s->name_aggr, sizeof(s->name_aggr), "suspects");
		snprintf(s->ns, sizeof(s->ns), "-");
	} else if (!strcmp(type, "hep")) {
		snprintf(s->name, sizeof(s->name), "node-1");
		snprintf(s->name_aggr, sizeof(s->name_aggr), "node-1");
		snprintf(s->ns, sizeof(s->ns), "-");
	} else {
		snprintf(s->name, sizeof(s->name), "-");
		snprintf(s->name_aggr, sizeof(s->name_aggr), "%s",
			 !strncmp(ip, "10.", 3) ? "pvt" : "pub");
		snprintf(s->ns, sizeof(s->ns), "-");
	}
}

/*
 * One flow in the window starting at t from src (of src_type) to dst:port, reported by
 * reporter.  TO_UNUSED is a pod address no pod holds (net/pvt with __NO_ENDPOINT__, never
 * answered), TO_POD an allowed and answered flow to a pod, TO_POD_DENIED a denied one.
 */
static void mkrec(struct flowlog_rec *r, uint64_t t, const char *src, const char *src_type,
		  const char *dst, enum dest how, int port, const char *reporter)
{
	memset(r, 0, sizeof(*r));
	r->start_time = t;
	r->end_time = t + W;
	side(&r->src, src, src_type);
	side(&r->dst, dst, how == TO_UNUSED ? "net" : how == TO_HOST ? "hep" : "wep");
	r->dst.port = port;
	snprintf(r->proto, sizeof(r->proto), "tcp");
	snprintf(r->action, sizeof(r->action), "%s",
		 how == TO_POD || how == TO_HOST ? "allow" : "deny");
	snprintf(r->reporter, sizeof(r->reporter), "%s", reporter);
	r->policies[0] = how == TO_UNUSED	? pol_no_endpoint
			 : how == TO_POD_DENIED ? pol_deny
						: pol_allow;
	r->npolicies = 1;
	r->bytes_in = 60;
	r->packets_in = 1;
	r->num_flows = 1;
	r->num_flows_started = 1;
	r->num_flows_unanswered = how == TO_POD || how == TO_HOST ? 0 : 1;
	snprintf(r->host, sizeof(r->host), "node-1");
}

/* ---- events ------------------------------------------------------------------------------- */

#define MAX_EVENTS 8

static struct sink {
	int n;
	struct sec_event ev[MAX_EVENTS];
} sink;

static void collect(void *arg, const struct sec_event *e)
{
	struct sink *s = arg;
	struct strbuf b;

	/* Every event must print (and so parse back). */
	strbuf_init(&b);
	assert_int_equal(event_print(e, &b), 0);
	strbuf_fini(&b);
	if (s->n < MAX_EVENTS)
		s->ev[s->n] = *e;
	s->n++;
}

static const struct event_field *extra(const struct sec_event *e, const char *key)
{
	for (size_t i = 0; i < e->nextra; i++)
		if (!strcmp(e->extra[i].key, key))
			return &e->extra[i];
	fail_msg("event has no extra %s", key);
	return NULL;
}

static struct detect_job *job(const char *name)
{
	struct detect_job *j = detect_job_new(name);

	assert_non_null(j);
	return j;
}

static void end_window(struct detect_job *j, uint64_t t)
{
	detect_job_end_window(j, t, t + W, collect, &sink);
}

static void ip(char *buf, size_t size, int i)
{
	snprintf(buf, size, "10.244.%d.%d", 9 + i / 250, 1 + i % 250);
}

/* n probes from src to n distinct unused addresses (from first) in the window at t. */
static void sweep(struct detect_job *j, uint64_t t, const char *src, const char *type, int first,
		  int n, enum dest how, const char *reporter)
{
	struct flowlog_rec r;
	char dst[46];

	for (int i = first; i < first + n; i++) {
		ip(dst, sizeof(dst), i);
		mkrec(&r, t, src, type, dst, how, 22, reporter);
		detect_job_add(j, &r);
	}
}

static int setup(void **state)
{
	memset(&sink, 0, sizeof(sink));
	return 0;
}

/* ---- registry ----------------------------------------------------------------------------- */

static void test_registry(void **state)
{
	static const char *const mine[] = {
		"inbound_connection_spike", "ip_sweep_external",  "ip_sweep_pods",
		"port_scan_external",	    "port_scan_pods",	  "service_bytes_anomaly",
		"pod_outlier_ip_activity",  "gtf_suspicious_flow"};
	size_t n = 0, found = 0;
	struct detect_job *j;

	for (size_t i = 0; detect_jobs[i]; i++, n++) {
		assert_ptr_equal(detect_job_find(detect_jobs[i]->name), detect_jobs[i]);
		for (size_t k = 0; k < 8; k++)
			found += !strcmp(detect_jobs[i]->name, mine[k]);
	}
	/* Every built-in job, each once. */
	assert_int_equal(found, 8);
	assert_int_equal(n, 8);
	assert_null(detect_job_find("nope"));
	assert_null(detect_job_find(NULL));
	errno = 0;
	assert_null(detect_job_new("nope"));
	assert_int_equal(errno, ENOENT);

	j = job("port_scan_pods");
	assert_string_equal(detect_job_name(j), "port_scan_pods");
	assert_true(detect_job_memory(j) > 0);
	/* Common and job parameters, and what is refused. */
	assert_int_equal(detect_set_param(j, "enabled", 0), 0);
	assert_int_equal(detect_set_param(j, "enabled", 1), 0);
	assert_int_equal(detect_set_param(j, "enabled", 2), -EINVAL);
	assert_int_equal(detect_set_param(j, "sensitivity", 0), -EINVAL);
	assert_int_equal(detect_set_param(j, "sensitivity", -1), -EINVAL);
	assert_int_equal(detect_set_param(j, "sensitivity", 1.5), 0);
	assert_int_equal(detect_set_param(j, "warmup_windows", -1), -EINVAL);
	assert_int_equal(detect_set_param(j, "warmup_windows", 0.5), -EINVAL);
	assert_int_equal(detect_set_param(j, "warmup_windows", 3), 0);
	assert_int_equal(detect_set_param(j, "threshold", 2.5), -EINVAL);
	assert_int_equal(detect_set_param(j, "threshold", 0), -EINVAL);
	assert_int_equal(detect_set_param(j, "threshold", 10001), -EINVAL);
	assert_int_equal(detect_set_param(j, "threshold", 40), 0);
	assert_int_equal(detect_set_param(j, "span_seconds", 0), -EINVAL);
	assert_int_equal(detect_set_param(j, "realert_seconds", 0), 0);
	assert_int_equal(detect_set_param(j, "max_keys", 15), -EINVAL);
	assert_int_equal(detect_set_param(j, "max_alerts", 0), -EINVAL);
	assert_int_equal(detect_set_param(j, "group_answered", 0), -EINVAL); /* sweeps only */
	assert_int_equal(detect_set_param(j, "bogus", 1), -EINVAL);
	detect_job_free(j);
	detect_job_free(NULL);

	j = job("ip_sweep_pods");
	assert_int_equal(detect_set_param(j, "group_answered", 0), 0);
	assert_int_equal(detect_set_param(j, "group_answered", 0.5), -EINVAL);
	detect_job_free(j);
}

/* ---- sweeps ------------------------------------------------------------------------------- */

/* 40 unused addresses from one external IP in one window: exactly one event naming it. */
static void test_sweep_40_unused(void **state)
{
	struct detect_job *j = job("ip_sweep_external"), *ps = job("port_scan_external"),
			  *pods = job("ip_sweep_pods");
	struct flowlog_rec r;
	const struct sec_event *e;
	char dst[46];

	for (int i = 0; i < 40; i++) {
		ip(dst, sizeof(dst), i);
		mkrec(&r, T, "198.51.100.66", "net", dst, TO_UNUSED, 22, "dst");
		detect_job_add(j, &r);
		detect_job_add(ps, &r);
		detect_job_add(pods, &r);
	}
	end_window(j, T);
	end_window(ps, T);
	end_window(pods, T);
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	assert_string_equal(e->type, "anomaly_detection_job");
	assert_string_equal(e->origin, "ip_sweep_external");
	assert_int_equal(e->severity, EVENT_SEVERITY_HIGH); /* unused addresses */
	assert_string_equal(e->src.ip, "198.51.100.66");
	assert_string_equal(e->src.name, "");
	assert_string_equal(e->src.name_aggr, "pub");
	assert_string_equal(e->dst.ip, "");
	assert_int_equal(e->time, T + W);
	assert_int_equal(e->window_start, T);
	assert_int_equal(e->window_end, T + W);
	assert_true(e->has_threshold);
	assert_true(e->threshold == 32);
	/* 34 held exactly (the limit), the rest estimated by the sketch. */
	assert_true(extra(e, "distinct_held")->num == 34);
	assert_true(extra(e, "limit")->num == 34);
	assert_true(extra(e, "estimated")->num == 1);
	assert_true(extra(e, "unused_addresses")->num == 1);
	assert_true(e->actual >= 37 && e->actual <= 43);
	/* The samples start at the record that crossed the threshold (the 32nd address). */
	assert_string_equal(extra(e, "sample_destinations")->str,
			    "10.244.9.32,10.244.9.33,10.244.9.34,10.244.9.35,10.244.9.36");
	assert_non_null(strstr(e->description, "198.51.100.66 sent to about "));
	assert_non_null(strstr(e->description, " distinct destinations in the cluster in 15 s"));
	assert_int_equal(strlen(e->id), 16);
	assert_string_equal(e->mitre_ids[0], "T1595.001");
	detect_job_free(j);
	detect_job_free(ps);
	detect_job_free(pods);
}

/* At 33 addresses the set is exact: actual 33, nothing estimated. */
static void test_sweep_exact(void **state)
{
	struct detect_job *j = job("ip_sweep_external");
	const struct sec_event *e;

	sweep(j, T, "203.0.113.50", "ns", 0, 33, TO_UNUSED, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	assert_true(e->actual == 33);
	assert_true(extra(e, "estimated")->num == 0);
	assert_string_equal(e->src.name, "suspects");
	assert_string_equal(e->src.name_aggr, "suspects");
	assert_string_equal(e->description, "203.0.113.50 (suspects) sent to 33 distinct "
					    "destinations in the cluster in 15 s (threshold 32)");
	detect_job_free(j);
}

static void test_sweep_20_none(void **state)
{
	struct detect_job *j = job("ip_sweep_external");

	sweep(j, T, "198.51.100.66", "net", 0, 20, TO_UNUSED, "dst");
	for (int w = 0; w < 25; w++)
		end_window(j, T + (uint64_t)w * W);
	assert_int_equal(sink.n, 0);
	detect_job_free(j);
}

/* 4 new addresses a window: the 32nd arrives in window 8, which emits; later ones do not. */
static void test_slow_sweep(void **state)
{
	struct detect_job *j = job("ip_sweep_external");
	const struct sec_event *e;

	for (int w = 0; w < 12; w++) {
		sweep(j, T + (uint64_t)w * W, "198.51.100.7", "net", 4 * w, 4, TO_UNUSED, "dst");
		end_window(j, T + (uint64_t)w * W);
		assert_int_equal(sink.n, w < 7 ? 0 : 1);
	}
	e = &sink.ev[0];
	assert_int_equal(e->time, T + 8 * W);
	assert_int_equal(e->window_start, T);
	assert_int_equal(e->window_end, T + 8 * W);
	assert_true(e->actual == 32);
	assert_non_null(strstr(e->description, " in 120 s "));
	detect_job_free(j);
}

/* One new address a window never has more than 20 in a 300 s span. */
static void test_too_slow_sweep(void **state)
{
	struct detect_job *j = job("ip_sweep_external");

	for (int w = 0; w < 60; w++) {
		sweep(j, T + (uint64_t)w * W, "198.51.100.7", "net", w, 1, TO_UNUSED, "dst");
		end_window(j, T + (uint64_t)w * W);
	}
	assert_int_equal(sink.n, 0);
	detect_job_free(j);
}

/* A sweep that goes on: one event, another after realert_seconds, not one per window. */
static void test_no_repeat(void **state)
{
	struct detect_job *j = job("ip_sweep_external");

	for (int w = 0; w < 21; w++) {
		sweep(j, T + (uint64_t)w * W, "198.51.100.66", "net", 40 * w, 40, TO_UNUSED, "dst");
		end_window(j, T + (uint64_t)w * W);
		/* The first event at the end of window 0, the next 300 s later. */
		assert_int_equal(sink.n, w < 20 ? 1 : 2);
	}
	assert_int_equal(sink.ev[1].time, T + 21 * W);
	assert_string_not_equal(sink.ev[0].id, sink.ev[1].id);
	/* The second count is estimated afresh from the window of the first event. */
	assert_true(sink.ev[1].actual > 34);
	detect_job_free(j);
}

/* Falling below the threshold ends the episode: a later sweep alerts again. */
static void test_new_episode(void **state)
{
	struct detect_job *j = job("ip_sweep_external");
	uint64_t t2 = T + 30 * W;

	sweep(j, T, "198.51.100.66", "net", 0, 40, TO_UNUSED, "dst");
	end_window(j, T);
	for (int w = 1; w < 30; w++)
		end_window(j, T + (uint64_t)w * W);
	assert_int_equal(sink.n, 1);
	sweep(j, t2, "198.51.100.66", "net", 100, 40, TO_UNUSED, "dst");
	end_window(j, t2);
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.ev[1].window_start, t2);
	detect_job_free(j);
}

static void test_sensitivity_enabled(void **state)
{
	struct detect_job *j = job("ip_sweep_external");

	/* 2.0 halves the threshold: 20 addresses are enough. */
	assert_int_equal(detect_set_param(j, "sensitivity", 2.0), 0);
	sweep(j, T, "198.51.100.66", "net", 0, 20, TO_UNUSED, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	assert_true(sink.ev[0].threshold == 16);
	/* The set holds its limit (18); the sketch counts the 20. */
	assert_true(extra(&sink.ev[0], "distinct_held")->num == 18);
	print_message("sensitivity 2: actual %.0f\n", sink.ev[0].actual);
	assert_true(sink.ev[0].actual >= 19 && sink.ev[0].actual <= 21);
	detect_job_free(j);

	/* 0.5 doubles it: 40 are not. */
	memset(&sink, 0, sizeof(sink));
	j = job("ip_sweep_external");
	assert_int_equal(detect_set_param(j, "sensitivity", 0.5), 0);
	sweep(j, T, "198.51.100.66", "net", 0, 40, TO_UNUSED, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 0);
	detect_job_free(j);

	/* Off: nothing seen, nothing emitted; on again, it counts from then. */
	j = job("ip_sweep_external");
	assert_int_equal(detect_set_param(j, "enabled", 0), 0);
	sweep(j, T, "198.51.100.66", "net", 0, 40, TO_UNUSED, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 0);
	assert_int_equal(detect_set_param(j, "enabled", 1), 0);
	sweep(j, T + W, "198.51.100.66", "net", 0, 20, TO_UNUSED, "dst");
	end_window(j, T + W);
	assert_int_equal(sink.n, 0);
	detect_job_free(j);
}

static void test_threshold_and_warmup(void **state)
{
	struct detect_job *j = job("ip_sweep_external");

	assert_int_equal(detect_set_param(j, "threshold", 10), 0);
	assert_int_equal(detect_set_param(j, "warmup_windows", 2), 0);
	sweep(j, T, "198.51.100.66", "net", 0, 12, TO_UNUSED, "dst");
	end_window(j, T);
	end_window(j, T + W);
	assert_int_equal(sink.n, 0);
	/* Still over the threshold in the span when the warm-up ends. */
	end_window(j, T + 2 * W);
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.ev[0].time, T + 3 * W);
	assert_true(sink.ev[0].actual == 12);
	assert_true(sink.ev[0].threshold == 10);
	detect_job_free(j);
}

/*
 * Reporters: an external source counts on "dst" reports only; a pod on "src" reports, and
 * on "dst" ones only for unused addresses.  Reporting the same flows twice changes nothing.
 */
static void test_reporters(void **state)
{
	struct detect_job *ext = job("ip_sweep_external"), *pods = job("ip_sweep_pods");
	const struct sec_event *e;

	/* Not reports an external source can have: ignored. */
	sweep(ext, T, "198.51.100.66", "net", 0, 40, TO_UNUSED, "src");
	end_window(ext, T);
	assert_int_equal(sink.n, 0);

	/* 30 denied flows to pods, reported by both sides, plus 30 other destinations
	 * reported only by the destination: the pod's count is 30, not 60. */
	assert_int_equal(detect_set_param(pods, "group_answered", 0), 0);
	sweep(pods, T, "10.244.0.5", "wep", 0, 30, TO_POD_DENIED, "src");
	sweep(pods, T, "10.244.0.5", "wep", 0, 30, TO_POD_DENIED, "dst");
	sweep(pods, T, "10.244.0.5", "wep", 100, 30, TO_POD_DENIED, "dst");
	end_window(pods, T);
	assert_int_equal(sink.n, 0);
	/* Unused addresses are only reported by "dst": they count. */
	sweep(pods, T + W, "10.244.0.5", "wep", 200, 5, TO_UNUSED, "dst");
	end_window(pods, T + W);
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	assert_string_equal(e->origin, "ip_sweep_pods");
	assert_int_equal(e->severity, EVENT_SEVERITY_HIGH);
	assert_string_equal(e->src.ip, "10.244.0.5");
	assert_string_equal(e->src.name, "pod-10.244.0.5");
	assert_string_equal(e->src.ns, "default");
	assert_string_equal(e->src.name_aggr, "web-7d9f8c6b5-*");
	print_message("pods: actual %.0f\n", e->actual);
	assert_true(e->actual >= 35 && e->actual <= 37); /* 35 destinations, one past the limit */
	assert_non_null(strstr(e->description, "pod default/pod-10.244.0.5 (10.244.0.5) sent to "));
	assert_string_equal(e->mitre_ids[0], "T1018");
	detect_job_free(ext);
	detect_job_free(pods);
}

/* Pods that answer are counted once per workload, unless group_answered is 0. */
static void test_group_answered(void **state)
{
	struct detect_job *j = job("ip_sweep_pods");

	/* 40 replicas of one Deployment (same name_aggr) behind a Service. */
	sweep(j, T, "10.244.0.5", "wep", 0, 40, TO_POD, "src");
	end_window(j, T);
	assert_int_equal(sink.n, 0);
	detect_job_free(j);

	j = job("ip_sweep_pods");
	assert_int_equal(detect_set_param(j, "group_answered", 0), 0);
	sweep(j, T, "10.244.0.5", "wep", 0, 40, TO_POD, "src");
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	detect_job_free(j);
}

/* Host endpoints are not sweep targets (load balancers reach every node). */
static void test_sweep_ignores_hosts(void **state)
{
	struct detect_job *j = job("ip_sweep_external");

	sweep(j, T, "198.51.100.66", "net", 0, 40, TO_HOST, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 0);
	detect_job_free(j);
}

/* A source whose IP was aggregated away is keyed by its aggregate. */
static void test_aggregated_source(void **state)
{
	struct detect_job *j = job("ip_sweep_external");
	struct detect_scan_stats st;
	struct flowlog_rec r;
	char dst[46];
	void *raw;

	for (int i = 0; i < 40; i++) {
		ip(dst, sizeof(dst), i);
		mkrec(&r, T, "", "ns", dst, TO_UNUSED, 22, "dst");
		detect_job_add(j, &r);
	}
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	assert_string_equal(sink.ev[0].src.ip, "");
	assert_string_equal(sink.ev[0].src.name_aggr, "suspects");
	assert_non_null(strstr(sink.ev[0].description, "suspects sent to about "));
	detect_job_free(j);

	/* Destinations without an IP cannot be counted by address: counted as unkeyed. */
	raw = detect_ip_sweep_external.create();
	assert_non_null(raw);
	mkrec(&r, T, "198.51.100.66", "net", "", TO_UNUSED, 22, "dst");
	snprintf(r.dst.name_aggr, sizeof(r.dst.name_aggr), "pvt");
	detect_ip_sweep_external.add(raw, &r);
	detect_scan_stats(raw, &st);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.unkeyed, 1);
	assert_int_equal(st.keys, 0);
	detect_ip_sweep_external.destroy(raw);
}

/* ---- port scans --------------------------------------------------------------------------- */

static void port_scan(struct detect_job *j, uint64_t t, const char *src, const char *type,
		      const char *dst, enum dest how, int first, int n, const char *reporter)
{
	struct flowlog_rec r;

	for (int p = first; p < first + n; p++) {
		mkrec(&r, t, src, type, dst, how, p, reporter);
		detect_job_add(j, &r);
	}
}

/* 100 ports on one pod from outside: port_scan_external, once; no sweep. */
static void test_port_scan_external(void **state)
{
	struct detect_job *j = job("port_scan_external"), *sw = job("ip_sweep_external"),
			  *pods = job("port_scan_pods");
	const struct sec_event *e;

	for (int w = 0; w < 3; w++) {
		port_scan(j, T + (uint64_t)w * W, "198.51.100.66", "net", "10.244.1.7",
			  TO_POD_DENIED, 1, 100, "dst");
		port_scan(sw, T + (uint64_t)w * W, "198.51.100.66", "net", "10.244.1.7",
			  TO_POD_DENIED, 1, 100, "dst");
		port_scan(pods, T + (uint64_t)w * W, "198.51.100.66", "net", "10.244.1.7",
			  TO_POD_DENIED, 1, 100, "dst");
		end_window(j, T + (uint64_t)w * W);
		end_window(sw, T + (uint64_t)w * W);
		end_window(pods, T + (uint64_t)w * W);
	}
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	assert_string_equal(e->origin, "port_scan_external");
	assert_int_equal(e->severity, EVENT_SEVERITY_MEDIUM);
	assert_string_equal(e->src.ip, "198.51.100.66");
	assert_string_equal(e->dst.ip, "10.244.1.7");
	assert_string_equal(e->dst.name, "pod-10.244.1.7");
	assert_string_equal(e->dst.ns, "default");
	assert_int_equal(e->dst.port, -1);
	assert_true(e->threshold == 50);
	assert_true(extra(e, "distinct_held")->num == 52);
	assert_true(e->actual >= 90 && e->actual <= 110);
	assert_string_equal(extra(e, "sample_ports")->str, "50/tcp,51/tcp,52/tcp,53/tcp,54/tcp");
	assert_non_null(strstr(e->description, "198.51.100.66 tried about "));
	assert_non_null(
		strstr(e->description,
		       " distinct ports on pod default/pod-10.244.1.7 (10.244.1.7) in 15 s"));
	detect_job_free(j);
	detect_job_free(sw);
	detect_job_free(pods);
}

/* Ports spread over several targets are no port scan; ICMP (no port) is not counted. */
static void test_port_scan_per_target(void **state)
{
	struct detect_job *j = job("port_scan_pods");
	struct flowlog_rec r;
	char dst[46];

	for (int t = 0; t < 4; t++) {
		ip(dst, sizeof(dst), t);
		port_scan(j, T, "10.244.0.5", "wep", dst, TO_POD_DENIED, 100 * t, 40, "src");
	}
	for (int i = 0; i < 100; i++) {
		mkrec(&r, T, "10.244.0.5", "wep", "10.244.1.7", TO_POD_DENIED, -1, "src");
		snprintf(r.proto, sizeof(r.proto), "icmp");
		detect_job_add(j, &r);
	}
	end_window(j, T);
	assert_int_equal(sink.n, 0);
	/* The same port in tcp and udp are two ports. */
	port_scan(j, T + W, "10.244.0.5", "wep", "10.244.8.1", TO_POD_DENIED, 1, 25, "src");
	for (int p = 1; p <= 25; p++) {
		mkrec(&r, T + W, "10.244.0.5", "wep", "10.244.8.1", TO_POD_DENIED, p, "src");
		snprintf(r.proto, sizeof(r.proto), "udp");
		detect_job_add(j, &r);
	}
	end_window(j, T + W);
	assert_int_equal(sink.n, 1);
	assert_string_equal(sink.ev[0].origin, "port_scan_pods");
	assert_int_equal(sink.ev[0].severity, EVENT_SEVERITY_HIGH);
	assert_true(sink.ev[0].actual == 50);
	assert_string_equal(sink.ev[0].mitre_ids[0], "T1046");
	detect_job_free(j);
}

/* Host endpoints are port-scan targets. */
static void test_port_scan_host(void **state)
{
	struct detect_job *j = job("port_scan_external");

	port_scan(j, T, "198.51.100.66", "net", "192.168.1.10", TO_HOST, 1000, 60, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	assert_non_null(strstr(sink.ev[0].description, "on host endpoint node-1 (192.168.1.10)"));
	detect_job_free(j);
}

/* ---- memory ------------------------------------------------------------------------------- */

/*
 * A million distinct sources, each probing one unused address, over ten windows: the job
 * keeps max_keys (100,000) of them and its memory stays under the documented 7 MiB for such
 * single-destination keys, and under the general bound.
 */
static void test_million_sources(void **state)
{
	void *st = detect_ip_sweep_external.create();
	struct detect_scan_stats s;
	struct flowlog_rec r;
	size_t peak = 0;
	char src[46];

	assert_non_null(st);
	mkrec(&r, T, "198.51.100.1", "net", "10.244.9.9", TO_UNUSED, 22, "dst");
	for (int i = 0; i < 1000000; i++) {
		uint64_t t = T + (uint64_t)(i / 100000) * W;

		if (i % 100000 == 0 && i) {
			detect_ip_sweep_external.end_window(st, t - W, t, collect, &sink);
			if (detect_ip_sweep_external.memory(st) > peak)
				peak = detect_ip_sweep_external.memory(st);
		}
		snprintf(src, sizeof(src), "%d.%d.%d.%d", 11 + (i >> 24), (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		memcpy(r.src.ip, src, sizeof(src));
		r.start_time = t;
		r.end_time = t + W;
		detect_ip_sweep_external.add(st, &r);
	}
	if (detect_ip_sweep_external.memory(st) > peak)
		peak = detect_ip_sweep_external.memory(st);
	detect_scan_stats(st, &s);
	print_message("1M sources: peak %zu bytes, bound %zu, keys %llu, evicted %llu\n", peak,
		      detect_scan_memory_bound(st), (unsigned long long)s.keys,
		      (unsigned long long)s.evicted);
	assert_int_equal(s.records, 1000000);
	assert_int_equal(s.keys, DETECT_SCAN_MAX_KEYS);
	assert_int_equal(s.evicted + s.expired + s.keys, 1000000);
	assert_int_equal(sink.n, 0);
	assert_true(peak <= 7u << 20);
	assert_true(peak <= detect_scan_memory_bound(st));
	detect_ip_sweep_external.destroy(st);
}

/* One source reaching a million addresses: its set stays capped; the sketch counts them. */
static void test_million_destinations(void **state)
{
	struct detect_job *j = job("ip_sweep_external");
	size_t before;

	sweep(j, T, "198.51.100.66", "net", 0, 1, TO_UNUSED, "dst");
	before = detect_job_memory(j);
	for (int i = 1; i < 1000000; i += 1000) {
		struct flowlog_rec r;
		char dst[46];

		for (int k = i; k < i + 1000 && k < 1000000; k++) {
			snprintf(dst, sizeof(dst), "10.%d.%d.%d", 64 + (k >> 16), (k >> 8) & 255,
				 k & 255);
			mkrec(&r, T, "198.51.100.66", "net", dst, TO_UNUSED, 22, "dst");
			detect_job_add(j, &r);
		}
	}
	/* One key: its capped set (34 values) and one alert on top of the empty job. */
	assert_true(detect_job_memory(j) <= before + 34 * 12 + 4096);
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	print_message("1M destinations: estimated %.0f\n", sink.ev[0].actual);
	assert_true(sink.ev[0].actual > 800000 && sink.ev[0].actual < 1200000);
	detect_job_free(j);
}

/* Lowering max_keys evicts down to it; max_alerts caps the sources alerting at once. */
static void test_caps(void **state)
{
	void *st = detect_ip_sweep_external.create();
	struct detect_scan_stats s;
	char src[46];

	assert_non_null(st);
	assert_int_equal(detect_ip_sweep_external.set_param(st, "threshold", 2), 0);
	assert_int_equal(detect_ip_sweep_external.set_param(st, "max_alerts", 3), 0);
	for (int i = 0; i < 100; i++) {
		struct flowlog_rec r;

		snprintf(src, sizeof(src), "198.51.100.%d", i);
		mkrec(&r, T, src, "net", "10.244.9.1", TO_UNUSED, 22, "dst");
		detect_ip_sweep_external.add(st, &r);
		mkrec(&r, T, src, "net", "10.244.9.2", TO_UNUSED, 22, "dst");
		detect_ip_sweep_external.add(st, &r);
	}
	detect_scan_stats(st, &s);
	assert_int_equal(s.keys, 100);
	assert_int_equal(s.alerting, 3);
	assert_int_equal(s.alerts_dropped, 97);
	detect_ip_sweep_external.end_window(st, T, T + W, collect, &sink);
	assert_int_equal(sink.n, 3);
	assert_int_equal(detect_ip_sweep_external.set_param(st, "max_keys", 16), 0);
	detect_scan_stats(st, &s);
	assert_int_equal(s.keys, 16);
	assert_int_equal(s.evicted, 84);
	assert_true(detect_ip_sweep_external.memory(st) <= detect_scan_memory_bound(st));
	detect_ip_sweep_external.destroy(st);
}

/* A flood of one-off sources cannot evict a scanner on its way to the threshold. */
static void test_eviction_keeps_scanner(void **state)
{
	void *st = detect_ip_sweep_external.create();
	struct detect_scan_stats s;
	struct flowlog_rec r;
	char src[46], dst[46];

	assert_non_null(st);
	assert_int_equal(detect_ip_sweep_external.set_param(st, "max_keys", 16), 0);
	for (int i = 0; i < 20; i++) {
		ip(dst, sizeof(dst), i);
		mkrec(&r, T, "198.51.100.66", "net", dst, TO_UNUSED, 22, "dst");
		detect_ip_sweep_external.add(st, &r);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "203.0.%d.%d", i / 250, i % 250);
		mkrec(&r, T + W, src, "net", "10.244.9.1", TO_UNUSED, 22, "dst");
		detect_ip_sweep_external.add(st, &r);
	}
	for (int i = 20; i < 40; i++) {
		ip(dst, sizeof(dst), i);
		mkrec(&r, T + W, "198.51.100.66", "net", dst, TO_UNUSED, 22, "dst");
		detect_ip_sweep_external.add(st, &r);
	}
	detect_ip_sweep_external.end_window(st, T + W, T + 2 * W, collect, &sink);
	detect_scan_stats(st, &s);
	assert_int_equal(s.evicted, 1000 + 1 - 16);
	assert_int_equal(sink.n, 1);
	assert_string_equal(sink.ev[0].src.ip, "198.51.100.66");
	assert_int_equal(sink.ev[0].window_start, T);
	detect_ip_sweep_external.destroy(st);
}

/* Under attack by many full keys at once, memory stays under the bound the job reports. */
static void test_full_keys_bound(void **state)
{
	void *st = detect_port_scan_external.create();
	struct detect_scan_stats s;
	size_t peak = 0;
	char src[46];

	assert_non_null(st);
	assert_int_equal(detect_port_scan_external.set_param(st, "max_keys", 1000), 0);
	assert_int_equal(detect_port_scan_external.set_param(st, "max_alerts", 200), 0);
	for (int w = 0; w < 3; w++) {
		uint64_t t = T + (uint64_t)w * W;

		for (int i = 0; i < 3000; i++) {
			struct flowlog_rec r;

			snprintf(src, sizeof(src), "198.51.%d.%d", i / 250, i % 250);
			for (int p = 0; p < 60; p++) {
				mkrec(&r, t, src, "net", "10.244.1.7", TO_POD_DENIED, 1000 * w + p,
				      "dst");
				detect_port_scan_external.add(st, &r);
			}
			if (detect_port_scan_external.memory(st) > peak)
				peak = detect_port_scan_external.memory(st);
		}
		detect_port_scan_external.end_window(st, t, t + W, collect, &sink);
	}
	detect_scan_stats(st, &s);
	print_message("full keys: peak %zu bytes, bound %zu, events %llu, alerts dropped %llu\n",
		      peak, detect_scan_memory_bound(st), (unsigned long long)s.events,
		      (unsigned long long)s.alerts_dropped);
	assert_true(peak <= detect_scan_memory_bound(st));
	assert_int_equal(s.keys, 1000);
	assert_int_equal(s.records, 3 * 3000 * 60);
	assert_true(s.alerting <= 200);
	assert_true(s.alerts_dropped > 0);
	assert_true(sink.n <= 3 * 200);
	assert_int_equal(s.events, (uint64_t)sink.n);
	detect_port_scan_external.destroy(st);
}

/* A threshold above 64 seeds the sketch from a set too big for the stack buffer. */
static void test_high_threshold(void **state)
{
	struct detect_job *j = job("port_scan_external");

	assert_int_equal(detect_set_param(j, "threshold", 100), 0);
	assert_int_equal(detect_set_param(j, "realert_seconds", 0), 0);
	port_scan(j, T, "198.51.100.66", "net", "10.244.1.7", TO_POD_DENIED, 1, 99, "dst");
	end_window(j, T);
	assert_int_equal(sink.n, 0);
	port_scan(j, T + W, "198.51.100.66", "net", "10.244.1.7", TO_POD_DENIED, 1, 300, "dst");
	end_window(j, T + W);
	assert_int_equal(sink.n, 1);
	assert_true(extra(&sink.ev[0], "distinct_held")->num == 102);
	print_message("300 ports at threshold 100: actual %.0f\n", sink.ev[0].actual);
	assert_true(sink.ev[0].actual >= 270 && sink.ev[0].actual <= 330);
	/* realert_seconds 0: every window over the threshold emits. */
	end_window(j, T + 2 * W);
	assert_int_equal(sink.n, 2);
	detect_job_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registry, setup),
		cmocka_unit_test_setup(test_sweep_40_unused, setup),
		cmocka_unit_test_setup(test_sweep_exact, setup),
		cmocka_unit_test_setup(test_sweep_20_none, setup),
		cmocka_unit_test_setup(test_slow_sweep, setup),
		cmocka_unit_test_setup(test_too_slow_sweep, setup),
		cmocka_unit_test_setup(test_no_repeat, setup),
		cmocka_unit_test_setup(test_new_episode, setup),
		cmocka_unit_test_setup(test_sensitivity_enabled, setup),
		cmocka_unit_test_setup(test_threshold_and_warmup, setup),
		cmocka_unit_test_setup(test_reporters, setup),
		cmocka_unit_test_setup(test_group_answered, setup),
		cmocka_unit_test_setup(test_sweep_ignores_hosts, setup),
		cmocka_unit_test_setup(test_aggregated_source, setup),
		cmocka_unit_test_setup(test_port_scan_external, setup),
		cmocka_unit_test_setup(test_port_scan_per_target, setup),
		cmocka_unit_test_setup(test_port_scan_host, setup),
		cmocka_unit_test_setup(test_million_sources, setup),
		cmocka_unit_test_setup(test_million_destinations, setup),
		cmocka_unit_test_setup(test_caps, setup),
		cmocka_unit_test_setup(test_eviction_keeps_scanner, setup),
		cmocka_unit_test_setup(test_full_keys_bound, setup),
		cmocka_unit_test_setup(test_high_threshold, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
