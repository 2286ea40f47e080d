/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threat-feed hit job (lib/detect_gtf.c), driven with synthetic flow records at fixed
 * times: 15 s windows from T, the default one-hour re-alert interval.  Every test asserts the
 * exact events (count, fields, text) a stream produces, or the exact counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/detect.h"
#include "lib/detect_gtf.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/strbuf.h"

#define T 1764370800ULL
#define W 15

#define FEED_IP	 "198.51.100.66"
#define FEED2_IP "203.0.113.9"
#define POD_IP	 "10.244.1.7"
#define POD_NAME "nginx-7d9f8c6b5-x2x9q"

static const char *const pol_block = "0|default|default.blockthreats|deny|0";
static const char *const pol_log = "0|security|security.log-all|log|0";
static const char *const pol_allow = "1|default|policy-demo/knp.default.allow-egress|allow|0";
static const char *const label_blocklist = "feed=blocklist";
static const char *const label_other = "feed=tor-exits";

/* ---- records ------------------------------------------------------------------------------ */

static void pod(struct flowlog_side *s, const char *ip)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	snprintf(s->type, sizeof(s->type), "wep");
	snprintf(s->name, sizeof(s->name), "%s", POD_NAME);
	snprintf(s->name_aggr, sizeof(s->name_aggr), "nginx-7d9f8c6b5-*");
	snprintf(s->ns, sizeof(s->ns), "policy-demo");
	s->port = -1;
}

/* An address of the GlobalNetworkSet set (a threat feed's when named "threatfeed.*"). */
static void netset(struct flowlog_side *s, const char *ip, const char *set, const char *label)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	snprintf(s->type, sizeof(s->type), "ns");
	snprintf(s->name, sizeof(s->name), "%s", set);
	snprintf(s->name_aggr, sizeof(s->name_aggr), "%s", set);
	snprintf(s->ns, sizeof(s->ns), "-");
	s->port = -1;
	if (label) {
		s->labels[0] = label;
		s->nlabels = 1;
	}
}

static void base(struct flowlog_rec *r, uint64_t t, int port, const char *action,
		 const char *reporter, const char *policy)
{
	r->start_time = t;
	r->end_time = t + W;
	r->dst.port = port;
	snprintf(r->proto, sizeof(r->proto), "tcp");
	snprintf(r->action, sizeof(r->action), "%s", action);
	snprintf(r->reporter, sizeof(r->reporter), "%s", reporter);
	r->npolicies = 0;
	if (policy) {
		r->policies[r->npolicies++] = pol_log;
		r->policies[r->npolicies++] = policy;
	}
	r->bytes_in = 60;
	r->packets_in = 1;
	r->num_flows = 1;
	r->num_flows_started = 1;
	r->num_flows_unanswered = !strcmp(action, "deny");
	snprintf(r->host, sizeof(r->host), "node-1");
}

/* From the feed's address into the pod. */
static void inbound(struct flowlog_rec *r, uint64_t t, const char *feed_ip, const char *set,
		    int port, const char *action, const char *reporter)
{
	memset(r, 0, sizeof(*r));
	netset(&r->src, feed_ip, set, label_blocklist);
	pod(&r->dst, POD_IP);
	base(r, t, port, action, reporter, !strcmp(action, "deny") ? pol_block : pol_allow);
}

/* From the pod out to the feed's address. */
static void outbound(struct flowlog_rec *r, uint64_t t, const char *feed_ip, const char *set,
		     int port, const char *action, const char *reporter)
{
	memset(r, 0, sizeof(*r));
	pod(&r->src, "10.244.0.5");
	snprintf(r->src.name, sizeof(r->src.name), "access-6c8b9d7f4-k2j4x");
	snprintf(r->src.name_aggr, sizeof(r->src.name_aggr), "access-6c8b9d7f4-*");
	netset(&r->dst, feed_ip, set,
	       !strcmp(set, "threatfeed.tor-exits") ? label_other : label_blocklist);
	base(r, t, port, action, reporter, !strcmp(action, "deny") ? pol_block : pol_allow);
}

/* ---- events ------------------------------------------------------------------------------- */

#define MAX_EVENTS 16

static struct sink {
	int n;
	struct sec_event ev[MAX_EVENTS];
} sink;

static void collect(void *arg, const struct sec_event *e)
{
	struct sink *s = arg;
	struct strbuf b;
	struct sec_event back;
	char err[128];

	/* Every event must print and parse back. */
	strbuf_init(&b);
	assert_int_equal(event_print(e, &b), 0);
	assert_int_equal(event_parse(strbuf_str(&b), b.len, &back, err, sizeof(err)), 0);
	assert_string_equal(back.id, e->id);
	strbuf_fini(&b);
	if (s->n < MAX_EVENTS)
		s->ev[s->n] = *e;
	s->n++;
}

static void count_only(void *arg, const struct sec_event *e)
{
	(*(uint64_t *)arg)++;
}

static const struct event_field *extra(const struct sec_event *e, const char *key)
{
	for (size_t i = 0; i < e->nextra; i++)
		if (!strcmp(e->extra[i].key, key))
			return &e->extra[i];
	fail_msg("event has no extra %s", key);
	return NULL;
}

static struct detect_job *job(void)
{
	struct detect_job *j = detect_job_new("gtf_suspicious_flow");

	assert_non_null(j);
	return j;
}

static void end_window(struct detect_job *j, uint64_t t)
{
	detect_job_end_window(j, t, t + W, collect, &sink);
}

static void add(struct detect_job *j, const struct flowlog_rec *r)
{
	detect_job_add(j, r);
}

static int setup(void **state)
{
	memset(&sink, 0, sizeof(sink));
	return 0;
}

/* ---- registry and parameters -------------------------------------------------------------- */

static void test_registry(void **state)
{
	struct detect_job *j;

	assert_ptr_equal(detect_job_find("gtf_suspicious_flow"), &detect_gtf_suspicious_flow);
	j = job();
	assert_string_equal(detect_job_name(j), "gtf_suspicious_flow");
	assert_true(detect_job_memory(j) > 0);
	assert_int_equal(detect_set_param(j, "enabled", 0), 0);
	assert_int_equal(detect_set_param(j, "enabled", 1), 0);
	assert_int_equal(detect_set_param(j, "sensitivity", 0), -EINVAL);
	assert_int_equal(detect_set_param(j, "sensitivity", 2), 0);
	assert_int_equal(detect_set_param(j, "warmup_windows", -1), -EINVAL);
	assert_int_equal(detect_set_param(j, "warmup_windows", 1.5), -EINVAL);
	assert_int_equal(detect_set_param(j, "warmup_windows", 0), 0);
	assert_int_equal(detect_set_param(j, "realert_seconds", -1), -EINVAL);
	assert_int_equal(detect_set_param(j, "realert_seconds", 2592001), -EINVAL);
	assert_int_equal(detect_set_param(j, "realert_seconds", 60.5), -EINVAL);
	assert_int_equal(detect_set_param(j, "realert_seconds", 0), 0);
	assert_int_equal(detect_set_param(j, "realert_seconds", 3600), 0);
	assert_int_equal(detect_set_param(j, "max_keys", 15), -EINVAL);
	assert_int_equal(detect_set_param(j, "max_keys", 16), 0);
	assert_int_equal(detect_set_param(j, "max_pending", 0), -EINVAL);
	assert_int_equal(detect_set_param(j, "max_pending", 1), 0);
	assert_int_equal(detect_set_param(j, "threshold", 1), -EINVAL);
	assert_int_equal(detect_set_param(j, "bogus", 1), -EINVAL);
	detect_job_free(j);
}

/* ---- one flow, each direction ------------------------------------------------------------- */

/* The feed's address tried the pod and the policy denied it: severity 70, T1090. */
static void test_inbound_denied(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;
	const struct sec_event *e;

	inbound(&r, T, FEED_IP, "threatfeed.blocklist", 80, "deny", "dst");
	add(j, &r);
	assert_int_equal(sink.n, 0); /* events wait for the end of the window */
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	/* FNV-1a of "gtf_suspicious_flow|threatfeed.blocklist|threatfeed.blocklist|
	 * 198.51.100.66|10.244.1.7|80|tcp|1764370800|1764370815". */
	assert_string_equal(e->id, "748f0d9524a8976e");
	assert_int_equal(e->time, T + W);
	assert_string_equal(e->type, "gtf_suspicious_flow");
	assert_string_equal(e->origin, "threatfeed.blocklist");
	assert_int_equal(e->severity, 70);
	assert_string_equal(e->description, "suspicious IP 198.51.100.66, listed in Global Threat "
					    "Feed blocklist, connected to "
					    "policy-demo/nginx-7d9f8c6b5-x2x9q");
	assert_string_equal(e->src.ip, FEED_IP);
	assert_int_equal(e->src.port, -1);
	assert_string_equal(e->src.name, "threatfeed.blocklist");
	assert_string_equal(e->src.name_aggr, "threatfeed.blocklist");
	assert_string_equal(e->src.ns, "");
	assert_string_equal(e->dst.ip, POD_IP);
	assert_int_equal(e->dst.port, 80);
	assert_string_equal(e->dst.name, POD_NAME);
	assert_string_equal(e->dst.name_aggr, "nginx-7d9f8c6b5-*");
	assert_string_equal(e->dst.ns, "policy-demo");
	assert_string_equal(e->host, "node-1");
	assert_true(e->actual == 1);
	assert_false(e->has_typical);
	assert_false(e->has_threshold);
	assert_int_equal(e->window_start, T);
	assert_int_equal(e->window_end, T + W);
	assert_string_equal(extra(e, "feeds")->str, "blocklist");
	assert_string_equal(extra(e, "network_set")->str, "threatfeed.blocklist");
	assert_string_equal(extra(e, "suspicious_ip")->str, FEED_IP);
	assert_string_equal(extra(e, "direction")->str, "inbound");
	assert_string_equal(extra(e, "flow_action")->str, "deny");
	assert_string_equal(extra(e, "protocol")->str, "tcp");
	assert_string_equal(extra(e, "policy")->str, "default.blockthreats");
	assert_string_equal(extra(e, "reporters")->str, "dst");
	assert_true(extra(e, "realert_seconds")->num == 3600);
	assert_int_equal(e->nmitre, 1);
	assert_string_equal(e->mitre_ids[0], "T1090");
	assert_string_equal(e->mitre_tactic, "Command and Control");
	assert_string_equal(e->attack_vector, "Network");
	assert_int_equal(e->nmitigations, 1);
	assert_string_equal(e->mitigations[0],
			    "The connection was denied by policy "
			    "default.blockthreats: no action needed beyond review");
	detect_job_free(j);
}

/* The pod reached the feed's address and nothing stopped it: severity 100, T1041. */
static void test_outbound_allowed(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;
	const struct sec_event *e;

	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	r.num_flows = 3;
	add(j, &r);
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	assert_string_equal(e->id, "db3e5a161760d922");
	assert_string_equal(e->origin, "threatfeed.blocklist");
	assert_int_equal(e->severity, 100);
	assert_string_equal(e->description, "pod policy-demo/access-6c8b9d7f4-k2j4x connected to "
					    "suspicious IP 198.51.100.66 which is listed in Global "
					    "Threat Feed blocklist");
	assert_string_equal(e->src.ip, "10.244.0.5");
	assert_string_equal(e->dst.ip, FEED_IP);
	assert_int_equal(e->dst.port, 443);
	assert_string_equal(e->dst.name, "threatfeed.blocklist");
	assert_true(e->actual == 3);
	assert_string_equal(extra(e, "direction")->str, "outbound");
	assert_string_equal(extra(e, "flow_action")->str, "allow");
	assert_string_equal(extra(e, "policy")->str, "policy-demo/knp.default.allow-egress");
	assert_string_equal(extra(e, "reporters")->str, "src");
	assert_string_equal(e->mitre_ids[0], "T1041");
	assert_string_equal(e->mitre_tactic, "Exfiltration");
	assert_int_equal(e->nmitigations, 3);
	assert_string_equal(e->mitigations[0],
			    "Create a global network policy to prevent traffic to this IP address");
	assert_string_equal(e->mitigations[1],
			    "Deny traffic to the GlobalNetworkSet threatfeed.blocklist, e.g. a "
			    "GlobalNetworkPolicy with the rule {action: Deny, destination: "
			    "{selector: \"feed == 'blocklist'\"}}");
	assert_string_equal(e->mitigations[2],
			    "Check pod policy-demo/access-6c8b9d7f4-k2j4x for compromise: it "
			    "connected to an address listed in a threat feed");
	detect_job_free(j);
}

/* Allowed in from the feed, and a feed set without labels; denied out names the pod. */
static void test_other_texts(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;

	inbound(&r, T, FEED_IP, "threatfeed.blocklist", 22, "allow", "dst");
	r.src.nlabels = 0;
	add(j, &r);
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 8080, "deny", "src");
	add(j, &r);
	end_window(j, T);
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.ev[0].severity, 100);
	assert_string_equal(sink.ev[0].mitre_ids[0], "T1090");
	assert_int_equal(sink.ev[0].nmitigations, 2);
	assert_string_equal(
		sink.ev[0].mitigations[0],
		"Create a global network policy to prevent traffic from this IP address");
	assert_string_equal(
		sink.ev[0].mitigations[1],
		"Deny traffic from the GlobalNetworkSet threatfeed.blocklist: give it a "
		"label (the GlobalThreatFeed's spec.globalNetworkSet.labels) and deny a "
		"selector on it");
	assert_int_equal(sink.ev[1].severity, 70);
	assert_string_equal(sink.ev[1].mitre_ids[0], "T1041");
	assert_int_equal(sink.ev[1].nmitigations, 2);
	assert_string_equal(sink.ev[1].mitigations[0], "The connection was denied by policy "
						       "default.blockthreats: no action needed "
						       "beyond review");
	assert_string_equal(sink.ev[1].mitigations[1],
			    "Check pod policy-demo/access-6c8b9d7f4-k2j4x for compromise: it tried "
			    "to reach an address listed in a threat feed");
	detect_job_free(j);
}

/* A host endpoint as the other side, and a feed address aggregated away. */
static void test_other_sides(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;

	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 53, "allow", "src");
	snprintf(r.src.type, sizeof(r.src.type), "hep");
	snprintf(r.src.name, sizeof(r.src.name), "node-1");
	snprintf(r.src.ns, sizeof(r.src.ns), "-");
	add(j, &r);
	inbound(&r, T, "", "threatfeed.blocklist", 80, "deny", "dst");
	snprintf(r.src.name, sizeof(r.src.name), "-");
	add(j, &r);
	end_window(j, T);
	assert_int_equal(sink.n, 2);
	assert_string_equal(sink.ev[0].description,
			    "host endpoint node-1 connected to suspicious IP 198.51.100.66 which "
			    "is listed in Global Threat Feed blocklist");
	assert_string_equal(sink.ev[1].description, "a suspicious IP, listed in Global Threat Feed "
						    "blocklist, connected to "
						    "policy-demo/nginx-7d9f8c6b5-x2x9q");
	assert_string_equal(sink.ev[1].src.ip, "");
	assert_string_equal(sink.ev[1].src.name, "");
	assert_string_equal(sink.ev[1].src.name_aggr, "threatfeed.blocklist");
	detect_job_free(j);
}

/* ---- de-duplication ----------------------------------------------------------------------- */

/*
 * One flow reported by both ends in one window is one event; the denial of either report
 * wins, and the larger flow count.  Reports of the same flow in the next windows add nothing.
 */
static void test_both_reporters(void **state)
{
	struct detect_job *j = job();
	struct detect_gtf_stats st;
	struct flowlog_rec r;
	const struct sec_event *e;
	void *raw;

	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	r.num_flows = 2;
	add(j, &r);
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "deny", "dst");
	add(j, &r);
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	e = &sink.ev[0];
	assert_int_equal(e->severity, 70);
	assert_string_equal(extra(e, "flow_action")->str, "deny");
	assert_string_equal(extra(e, "policy")->str, "default.blockthreats");
	assert_string_equal(extra(e, "reporters")->str, "src,dst");
	assert_true(e->actual == 2);
	/* The id does not depend on which report came first. */
	assert_string_equal(e->id, "db3e5a161760d922");
	for (int w = 1; w < 4; w++) {
		outbound(&r, T + (uint64_t)w * W, FEED_IP, "threatfeed.blocklist", 443, "allow",
			 "dst");
		add(j, &r);
		outbound(&r, T + (uint64_t)w * W, FEED_IP, "threatfeed.blocklist", 443, "allow",
			 "src");
		add(j, &r);
		end_window(j, T + (uint64_t)w * W);
	}
	assert_int_equal(sink.n, 1);
	detect_job_free(j);

	/* The other order, with the counters. */
	raw = detect_gtf_suspicious_flow.create();
	assert_non_null(raw);
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "deny", "dst");
	detect_gtf_suspicious_flow.add(raw, &r);
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	detect_gtf_suspicious_flow.add(raw, &r);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.merged, 1);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.keys, 1);
	detect_gtf_suspicious_flow.end_window(raw, T, T + W, collect, &sink);
	assert_int_equal(sink.n, 2);
	assert_string_equal(sink.ev[1].id, "db3e5a161760d922");
	assert_int_equal(sink.ev[1].severity, 70);
	assert_string_equal(extra(&sink.ev[1], "reporters")->str, "src,dst");
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.pending, 0);
	detect_gtf_suspicious_flow.destroy(raw);
}

/*
 * A flow that goes on for two hours, one record a window: an event in its first window, the
 * next in the first window starting an hour later, nothing in between.
 */
static void test_realert(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;

	for (int w = 0; w < 480; w++) {
		uint64_t t = T + (uint64_t)w * W;

		inbound(&r, t, FEED_IP, "threatfeed.blocklist", 80, "deny", "dst");
		add(j, &r);
		end_window(j, t);
		assert_int_equal(sink.n, w < 240 ? 1 : 2);
	}
	assert_int_equal(sink.ev[0].window_start, T);
	assert_int_equal(sink.ev[1].window_start, T + 3600);
	assert_int_equal(sink.ev[1].time, T + 3600 + W);
	assert_string_not_equal(sink.ev[0].id, sink.ev[1].id);
	detect_job_free(j);
}

/* A flow that stops, then comes back: again only after the interval, counted as expired. */
static void test_realert_gap(void **state)
{
	void *raw = detect_gtf_suspicious_flow.create();
	struct detect_gtf_stats st;
	struct flowlog_rec r;
	uint64_t times[] = {T, T + 1800, T + 3585, T + 3600, T + 3615, T + 9000};
	int expect[] = {1, 1, 1, 2, 2, 3};

	assert_non_null(raw);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		outbound(&r, times[i], FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
		detect_gtf_suspicious_flow.add(raw, &r);
		detect_gtf_suspicious_flow.end_window(raw, times[i], times[i] + W, collect, &sink);
		assert_int_equal(sink.n, expect[i]);
	}
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.records, 6);
	assert_int_equal(st.events, 3);
	assert_int_equal(st.repeats, 3);
	/* No window ended between T + 3615 and T + 9000: still remembered then. */
	assert_int_equal(st.expired, 0);
	assert_int_equal(st.keys, 1);
	detect_gtf_suspicious_flow.end_window(raw, T + 12600, T + 12615, collect, &sink);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.keys, 0);
	detect_gtf_suspicious_flow.destroy(raw);

	/* realert_seconds 0: every window with a record is an event, reporters still merge. */
	memset(&sink, 0, sizeof(sink));
	raw = detect_gtf_suspicious_flow.create();
	assert_non_null(raw);
	assert_int_equal(detect_gtf_suspicious_flow.set_param(raw, "realert_seconds", 0), 0);
	for (int w = 0; w < 3; w++) {
		outbound(&r, T + (uint64_t)w * W, FEED_IP, "threatfeed.blocklist", 443, "allow",
			 "src");
		detect_gtf_suspicious_flow.add(raw, &r);
		outbound(&r, T + (uint64_t)w * W, FEED_IP, "threatfeed.blocklist", 443, "allow",
			 "dst");
		detect_gtf_suspicious_flow.add(raw, &r);
		detect_gtf_suspicious_flow.end_window(raw, T + (uint64_t)w * W,
						      T + (uint64_t)w * W + W, collect, &sink);
	}
	assert_int_equal(sink.n, 3);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.keys, 0); /* nothing to remember */
	detect_gtf_suspicious_flow.destroy(raw);
}

/* Two feeds, two ports, two protocols: each identity its own event. */
static void test_identities(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;

	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	add(j, &r);
	outbound(&r, T, FEED2_IP, "threatfeed.tor-exits", 443, "allow", "src");
	add(j, &r);
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 80, "allow", "src");
	add(j, &r);
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	snprintf(r.proto, sizeof(r.proto), "udp");
	add(j, &r);
	/* ICMP: no port. */
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", -1, "allow", "src");
	snprintf(r.proto, sizeof(r.proto), "icmp");
	add(j, &r);
	end_window(j, T);
	assert_int_equal(sink.n, 5);
	assert_string_equal(sink.ev[0].origin, "threatfeed.blocklist");
	assert_string_equal(sink.ev[1].origin, "threatfeed.tor-exits");
	assert_string_equal(sink.ev[1].description,
			    "pod policy-demo/access-6c8b9d7f4-k2j4x connected to suspicious IP "
			    "203.0.113.9 which is listed in Global Threat Feed tor-exits");
	assert_string_equal(extra(&sink.ev[1], "feeds")->str, "tor-exits");
	assert_string_equal(sink.ev[1].mitigations[1],
			    "Deny traffic to the GlobalNetworkSet threatfeed.tor-exits, e.g. a "
			    "GlobalNetworkPolicy with the rule {action: Deny, destination: "
			    "{selector: \"feed == 'tor-exits'\"}}");
	assert_int_equal(sink.ev[2].dst.port, 80);
	assert_string_equal(extra(&sink.ev[3], "protocol")->str, "udp");
	assert_int_equal(sink.ev[4].dst.port, -1);
	for (int a = 0; a < 5; a++)
		for (int b = a + 1; b < 5; b++)
			assert_string_not_equal(sink.ev[a].id, sink.ev[b].id);
	detect_job_free(j);
}

/* Records that touch no feed: nothing, and not even counted. */
static void test_not_feeds(void **state)
{
	void *raw = detect_gtf_suspicious_flow.create();
	struct detect_gtf_stats st;
	struct flowlog_rec r;

	assert_non_null(raw);
	/* Another GlobalNetworkSet. */
	outbound(&r, T, FEED_IP, "suspects", 443, "allow", "src");
	detect_gtf_suspicious_flow.add(raw, &r);
	/* A set named like a feed but namespaced: not one the puller writes. */
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	snprintf(r.dst.ns, sizeof(r.dst.ns), "policy-demo");
	detect_gtf_suspicious_flow.add(raw, &r);
	/* The bare prefix. */
	outbound(&r, T, FEED_IP, "threatfeed.", 443, "allow", "src");
	detect_gtf_suspicious_flow.add(raw, &r);
	/* A prefix without its dot. */
	outbound(&r, T, FEED_IP, "threatfeedx", 443, "allow", "src");
	detect_gtf_suspicious_flow.add(raw, &r);
	/* A feed's name on a side of type net. */
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	snprintf(r.dst.type, sizeof(r.dst.type), "net");
	detect_gtf_suspicious_flow.add(raw, &r);
	/* Pod to pod. */
	outbound(&r, T, FEED_IP, "threatfeed.blocklist", 443, "allow", "src");
	pod(&r.dst, POD_IP);
	detect_gtf_suspicious_flow.add(raw, &r);
	detect_gtf_suspicious_flow.end_window(raw, T, T + W, collect, &sink);
	assert_int_equal(sink.n, 0);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.keys, 0);
	detect_gtf_suspicious_flow.destroy(raw);
}

/* Warm-up: nothing judged in the first windows; enabled 0: nothing seen. */
static void test_warmup_enabled(void **state)
{
	struct detect_job *j = job();
	struct flowlog_rec r;

	assert_int_equal(detect_set_param(j, "warmup_windows", 2), 0);
	for (int w = 0; w < 3; w++) {
		inbound(&r, T + (uint64_t)w * W, FEED_IP, "threatfeed.blocklist", 80, "deny",
			"dst");
		add(j, &r);
		end_window(j, T + (uint64_t)w * W);
	}
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.ev[0].window_start, T + 2 * W);
	detect_job_free(j);

	j = job();
	assert_int_equal(detect_set_param(j, "enabled", 0), 0);
	inbound(&r, T, FEED_IP, "threatfeed.blocklist", 80, "deny", "dst");
	add(j, &r);
	end_window(j, T);
	assert_int_equal(sink.n, 1);
	detect_job_free(j);
}

/* ---- memory ------------------------------------------------------------------------------- */

static void many(void *raw, uint64_t t, int first, int n)
{
	struct flowlog_rec r;
	char ip[46];

	for (int i = first; i < first + n; i++) {
		snprintf(ip, sizeof(ip), "198.%d.%d.%d", 18 + (i >> 16), (i >> 8) & 255, i & 255);
		outbound(&r, t, ip, "threatfeed.blocklist", 443, "allow", "src");
		detect_gtf_suspicious_flow.add(raw, &r);
	}
}

/*
 * max_pending caps the events of one window: the flows beyond it are not remembered and are
 * reported when they come again.  max_keys caps what is remembered: the least recently seen
 * flow goes first, and may then be reported again within its interval.
 */
static void test_caps(void **state)
{
	void *raw = detect_gtf_suspicious_flow.create();
	struct detect_gtf_stats st;
	uint64_t n = 0;

	assert_non_null(raw);
	assert_int_equal(detect_gtf_suspicious_flow.set_param(raw, "max_pending", 4), 0);
	many(raw, T, 0, 10);
	detect_gtf_suspicious_flow.end_window(raw, T, T + W, count_only, &n);
	assert_int_equal(n, 4);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.deferred, 6);
	assert_int_equal(st.keys, 4);
	/* The same ten again: the four are repeats, four of the six deferred are reported. */
	many(raw, T + W, 0, 10);
	detect_gtf_suspicious_flow.end_window(raw, T + W, T + 2 * W, count_only, &n);
	assert_int_equal(n, 8);
	many(raw, T + 2 * W, 0, 10);
	detect_gtf_suspicious_flow.end_window(raw, T + 2 * W, T + 3 * W, count_only, &n);
	assert_int_equal(n, 10);
	many(raw, T + 3 * W, 0, 10);
	detect_gtf_suspicious_flow.end_window(raw, T + 3 * W, T + 4 * W, count_only, &n);
	assert_int_equal(n, 10);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.events, 10);
	assert_int_equal(st.deferred, 6 + 2);
	assert_int_equal(st.repeats, 4 + 8 + 10);
	assert_int_equal(st.keys, 10);
	detect_gtf_suspicious_flow.destroy(raw);

	/* 20 flows, one a window; lowering max_keys to 16 forgets the four oldest. */
	raw = detect_gtf_suspicious_flow.create();
	assert_non_null(raw);
	n = 0;
	for (int i = 0; i < 20; i++) {
		many(raw, T + (uint64_t)i * W, i, 1);
		detect_gtf_suspicious_flow.end_window(raw, T + (uint64_t)i * W,
						      T + (uint64_t)i * W + W, count_only, &n);
	}
	assert_int_equal(n, 20);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.keys, 20);
	assert_int_equal(detect_gtf_suspicious_flow.set_param(raw, "max_keys", 16), 0);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.keys, 16);
	assert_int_equal(st.evicted, 4);
	/* Flow 19 is still remembered, flow 0 is not (and takes the place of flow 4). */
	many(raw, T + 20 * W, 19, 1);
	many(raw, T + 20 * W, 0, 1);
	detect_gtf_suspicious_flow.end_window(raw, T + 20 * W, T + 21 * W, count_only, &n);
	assert_int_equal(n, 21);
	/* Seeing flow 5 keeps it: flow 6 is then the least recently seen and goes first. */
	many(raw, T + 21 * W, 5, 1);
	many(raw, T + 21 * W, 100, 1);
	many(raw, T + 21 * W, 5, 1);
	many(raw, T + 21 * W, 6, 1);
	detect_gtf_suspicious_flow.end_window(raw, T + 21 * W, T + 22 * W, count_only, &n);
	assert_int_equal(n, 23); /* flows 100 and 6 */
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.keys, 16);
	assert_int_equal(st.evicted, 7); /* 0..3, 4, 6, 7 */
	assert_int_equal(st.repeats, 3); /* 19, and 5 twice */
	assert_true(detect_gtf_suspicious_flow.memory(raw) <= detect_gtf_memory_bound(raw));
	detect_gtf_suspicious_flow.destroy(raw);
}

/*
 * 200,000 distinct feed flows, 1,000 a window, at the default caps: every one is reported,
 * memory stays within the bound and the table within max_keys; an hour after the last one,
 * nothing is left.
 */
static void test_memory_bound(void **state)
{
	void *raw = detect_gtf_suspicious_flow.create();
	struct detect_gtf_stats st;
	size_t bound, peak = 0;
	uint64_t n = 0, t = T;

	assert_non_null(raw);
	bound = detect_gtf_memory_bound(raw);
	for (int w = 0; w < 200; w++, t += W) {
		size_t m;

		many(raw, t, w * 1000, 1000);
		m = detect_gtf_suspicious_flow.memory(raw);
		if (m > peak)
			peak = m;
		detect_gtf_suspicious_flow.end_window(raw, t, t + W, count_only, &n);
	}
	detect_gtf_stats(raw, &st);
	print_message("200000 flows: peak %zu bytes, bound %zu bytes, evicted %" PRIu64 "\n", peak,
		      bound, st.evicted);
	assert_int_equal(n, 200000);
	assert_true(peak <= bound);
	assert_int_equal(st.keys, DETECT_GTF_MAX_KEYS);
	assert_int_equal(st.evicted, 100000);
	assert_int_equal(st.deferred, 0);
	assert_true(bound < 16u << 20);
	detect_gtf_suspicious_flow.end_window(raw, t + 3600, t + 3600 + W, count_only, &n);
	detect_gtf_stats(raw, &st);
	assert_int_equal(st.keys, 0);
	assert_int_equal(st.expired, 100000);
	assert_true(detect_gtf_suspicious_flow.memory(raw) <= bound);
	detect_gtf_suspicious_flow.destroy(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registry, setup),
		cmocka_unit_test_setup(test_inbound_denied, setup),
		cmocka_unit_test_setup(test_outbound_allowed, setup),
		cmocka_unit_test_setup(test_other_texts, setup),
		cmocka_unit_test_setup(test_other_sides, setup),
		cmocka_unit_test_setup(test_both_reporters, setup),
		cmocka_unit_test_setup(test_realert, setup),
		cmocka_unit_test_setup(test_realert_gap, setup),
		cmocka_unit_test_setup(test_identities, setup),
		cmocka_unit_test_setup(test_not_feeds, setup),
		cmocka_unit_test_setup(test_warmup_enabled, setup),
		cmocka_unit_test_setup(test_caps, setup),
		cmocka_unit_test_setup(test_memory_bound, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
