/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GlobalAlert custom jobs with synthetic flow records and fixed time: an alert fires exactly
 * when its threshold is crossed, per aggregateBy group, for every metric and condition; the
 * templates; the window sliding; one event per record without metric; the bounds on memory
 * and events, each drop counted and reported in the status; and the resources refused, with
 * the field named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/alert.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/strbuf.h"
#include "resource_fixture.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixtures ------------------------------------------------------------------------ */

static const char base_json[] =
	"{\"start_time\":1000,\"end_time\":1015,"
	"\"source_ip\":\"10.244.0.5\",\"source_name\":\"access\",\"source_name_aggr\":\"access\","
	"\"source_namespace\":\"policy-demo\",\"source_port\":null,\"source_type\":\"wep\","
	"\"source_labels\":{\"labels\":[\"run=access\"]},"
	"\"dest_ip\":\"10.244.1.7\",\"dest_name\":\"nginx-7d9f8c6b5-x2x9q\","
	"\"dest_name_aggr\":\"nginx-7d9f8c6b5-*\",\"dest_namespace\":\"policy-demo\",\"dest_port\":80,"
	"\"dest_type\":\"wep\",\"dest_labels\":{\"labels\":[\"app=nginx\"]},"
	"\"proto\":\"tcp\",\"action\":\"deny\",\"reporter\":\"dst\","
	"\"policies\":{\"all_policies\":[\"0|default|default.end-of-tier|deny|-1\"]},"
	"\"bytes_in\":120,\"bytes_out\":600,\"packets_in\":2,\"packets_out\":2,"
	"\"num_flows\":1,\"num_flows_started\":1,\"num_flows_completed\":1,"
	"\"num_flows_unanswered\":1,\"host\":\"node-1\"}";

static struct flowlog_rec base;

static int setup(void **state)
{
	char err[256] = "";

	(void)state;
	if (flowlog_parse(base_json, strlen(base_json), &base, err, sizeof(err))) {
		fprintf(stderr, "flowlog_parse: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	flowlog_rec_fini(&base);
	return 0;
}

/* The base record (labels and policies borrowed from it) with these fields changed. */
static struct flowlog_rec rec(const char *ns, const char *action, uint64_t end, uint64_t bytes_out)
{
	struct flowlog_rec r = base;

	r.storage = NULL;
	snprintf(r.src.ns, sizeof(r.src.ns), "%s", ns);
	snprintf(r.action, sizeof(r.action), "%s", action);
	r.start_time = end - 15;
	r.end_time = end;
	r.bytes_out = bytes_out;
	return r;
}

static void add(struct alert *a, const char *ns, const char *action, uint64_t end,
		uint64_t bytes_out)
{
	struct flowlog_rec r = rec(ns, action, end, bytes_out);

	alert_add(a, &r);
}

#define SINK_MAX 64

struct sink {
	struct sec_event ev[SINK_MAX];
	size_t n;
};

static void collect(void *arg, const struct sec_event *e)
{
	struct sink *s = arg;

	assert_true(s->n < SINK_MAX);
	s->ev[s->n++] = *e;
}

static struct sink *sink_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

/* Evaluates at now into s (emptied first); returns the number of events. */
static int run(struct alert *a, uint64_t now, struct sink *s)
{
	int rc;

	s->n = 0;
	rc = alert_evaluate(a, now, collect, s);
	assert_true(rc >= 0);
	assert_int_equal((size_t)rc, s->n);
	return rc;
}

static const struct event_field *extra(const struct sec_event *e, const char *key)
{
	for (size_t i = 0; i < e->nextra; i++)
		if (!strcmp(e->extra[i].key, key))
			return &e->extra[i];
	fail_msg("event has no extra %s", key);
	return NULL;
}

static void assert_extra_str(const struct sec_event *e, const char *key, const char *want)
{
	const struct event_field *f = extra(e, key);

	assert_false(f->is_num);
	assert_string_equal(f->str, want);
}

static void assert_extra_num(const struct sec_event *e, const char *key, double want)
{
	const struct event_field *f = extra(e, key);

	assert_true(f->is_num);
	assert_true(f->num == want);
}

static const char *by_ns[] = {"source_namespace"};

/* Denied flows by source namespace: more than 3 in 2 minutes, evaluated every minute. */
static struct res_global_alert denies(void)
{
	return (struct res_global_alert){
		.type = "RuleBased",
		.summary = "${count} denied flows from ${source_namespace}",
		.description = "denied flows by source namespace",
		.severity = 80,
		.period_s = 60,
		.lookback_s = 120,
		.data_set = "flows",
		.query = "action=deny",
		.aggregate_by = by_ns,
		.naggregate_by = 1,
		.metric = "count",
		.condition = "gt",
		.has_threshold = true,
		.threshold = 3,
	};
}

static struct alert *new_alert(const struct res_global_alert *r, const struct alert_limits *lim)
{
	char err[256] = "";
	struct alert *a = alert_new("denied", r, lim, err, sizeof(err));

	if (!a)
		fail_msg("alert_new: %s", err);
	return a;
}

/* ---- crossing the threshold ---------------------------------------------------------- */

static void test_threshold_crossed(void **state)
{
	struct res_global_alert r = denies();
	struct alert *a = new_alert(&r, NULL);
	struct sink *s = sink_new();
	const struct sec_event *e;
	struct strbuf b;
	char id[17];

	(void)state;
	assert_int_equal(alert_granularity(a), 60);
	assert_int_equal(alert_next_run(a), 0);
	assert_string_equal(alert_name(a), "denied");
	/* Three denials (and allowed flows, which the query leaves out): not more than 3. */
	add(a, "policy-demo", "deny", 1215, 600);
	add(a, "policy-demo", "deny", 1230, 600);
	add(a, "policy-demo", "allow", 1230, 600);
	add(a, "policy-demo", "allow", 1240, 600);
	add(a, "policy-demo", "deny", 1245, 600);
	assert_int_equal(run(a, 1260, s), 0);
	assert_int_equal(alert_status(a)->last_executed, 1260);
	assert_int_equal(alert_status(a)->last_event, 0);
	assert_int_equal(alert_next_run(a), 1320);

	/* A fourth, in the next bucket: not seen before the window reaches it. */
	add(a, "policy-demo", "deny", 1275, 600);
	assert_int_equal(run(a, 1290, s), 0);
	assert_int_equal(run(a, 1319, s), 0);
	assert_int_equal(run(a, 1320, s), 1);
	e = &s->ev[0];
	assert_string_equal(e->type, "global_alert");
	assert_string_equal(e->origin, "denied");
	assert_int_equal(e->severity, 80);
	assert_string_equal(e->description, "4 denied flows from policy-demo");
	assert_true(e->actual == 4);
	assert_true(e->has_threshold);
	assert_true(e->threshold == 3);
	assert_false(e->has_typical);
	assert_int_equal(e->time, 1320);
	assert_int_equal(e->window_start, 1200);
	assert_int_equal(e->window_end, 1320);
	assert_string_equal(e->src.ns, "policy-demo");
	assert_string_equal(e->src.ip, "");
	assert_int_equal(e->src.port, -1);
	assert_int_equal(e->dst.port, -1);
	assert_extra_str(e, "metric", "count");
	assert_extra_str(e, "condition", "gt");
	assert_extra_str(e, "source_namespace", "policy-demo");
	assert_int_equal(strlen(e->id), 16);
	assert_int_equal(alert_status(a)->last_event, 1320);

	/* The event prints in the event schema. */
	strbuf_init(&b);
	assert_int_equal(event_print(e, &b), 0);
	assert_non_null(strstr(strbuf_str(&b), "\"type\":\"global_alert\""));
	assert_non_null(strstr(strbuf_str(&b), "\"origin\":\"denied\""));
	strbuf_fini(&b);

	/* The same window again gives the same id. */
	memcpy(id, e->id, sizeof(id));
	assert_int_equal(run(a, 1321, s), 1);
	assert_string_equal(s->ev[0].id, id);

	/* The window slides: (1260, 1380] holds only the fourth denial. */
	assert_int_equal(run(a, 1380, s), 0);
	assert_int_equal(run(a, 10000, s), 0);
	assert_int_equal(alert_stats(a)->records, 6);
	assert_int_equal(alert_stats(a)->matched, 4);
	assert_int_equal(alert_stats(a)->evaluations, 7);
	assert_int_equal(alert_stats(a)->events, 2);
	assert_int_equal(alert_status(a)->nerrors, 0);
	free(s);
	alert_free(a);
}

static void test_groups(void **state)
{
	static const char *by[] = {"source_namespace", "dest_port"};
	struct res_global_alert r = denies();
	struct alert *a;
	struct sink *s = sink_new();
	struct flowlog_rec x;

	(void)state;
	r.aggregate_by = by;
	r.naggregate_by = 2;
	r.summary = "${source_namespace} to port ${dest_port}: ${count}";
	a = new_alert(&r, NULL);
	for (int i = 0; i < 5; i++)
		add(a, "a", "deny", 1230, 1);
	for (int i = 0; i < 3; i++)
		add(a, "b", "deny", 1230, 1);
	/* Five more from b, to port 443: a group of their own. */
	for (int i = 0; i < 5; i++) {
		x = rec("b", "deny", 1245, 1);
		x.dst.port = 443;
		alert_add(a, &x);
	}
	/* And four to no port (ICMP): a group whose port is null. */
	for (int i = 0; i < 4; i++) {
		x = rec("c", "deny", 1245, 1);
		x.dst.port = -1;
		alert_add(a, &x);
	}
	assert_int_equal(run(a, 1260, s), 3);
	/* Sorted by how far past the threshold, then by key. */
	assert_string_equal(s->ev[0].description, "a to port 80: 5");
	assert_string_equal(s->ev[0].src.ns, "a");
	assert_int_equal(s->ev[0].dst.port, 80);
	assert_extra_num(&s->ev[0], "dest_port", 80);
	assert_string_equal(s->ev[1].description, "b to port 443: 5");
	assert_int_equal(s->ev[1].dst.port, 443);
	assert_string_equal(s->ev[2].description, "c to port -: 4");
	assert_int_equal(s->ev[2].dst.port, -1);
	assert_extra_str(&s->ev[2], "dest_port", "-");
	assert_true(s->ev[2].actual == 4);
	/* Different groups, different ids. */
	assert_string_not_equal(s->ev[0].id, s->ev[1].id);
	assert_string_not_equal(s->ev[1].id, s->ev[2].id);
	free(s);
	alert_free(a);
}

/* ---- metrics and conditions ---------------------------------------------------------- */

static void test_metrics(void **state)
{
	static const struct {
		const char *metric;
		double value; /* of bytes_out 100, 200, 600 (count: 3 records) */
	} metrics[] = {{"count", 3}, {"sum", 900}, {"avg", 300}, {"min", 100}, {"max", 600}};
	static const char *const conds[] = {"eq", "not_eq", "lt", "lte", "gt", "gte"};
	struct sink *s = sink_new();

	(void)state;
	for (size_t m = 0; m < 5; m++) {
		for (size_t c = 0; c < 6; c++) {
			for (int d = -1; d <= 1; d++) {
				struct res_global_alert r = denies();
				double v = metrics[m].value, t = v + d;
				struct alert *a;
				bool want;

				r.aggregate_by = NULL;
				r.naggregate_by = 0;
				r.metric = metrics[m].metric;
				r.field = strcmp(r.metric, "count") ? "bytes_out" : NULL;
				r.condition = conds[c];
				r.threshold = t;
				r.summary = "${count} flows";
				a = new_alert(&r, NULL);
				add(a, "x", "deny", 1215, 100);
				add(a, "y", "deny", 1230, 200);
				add(a, "z", "deny", 1260, 600);
				add(a, "z", "allow", 1260, 100000);
				want = c == 0	? v == t
				       : c == 1 ? v != t
				       : c == 2 ? v < t
				       : c == 3 ? v <= t
				       : c == 4 ? v > t
						: v >= t;
				if (run(a, 1260, s) != (int)want)
					fail_msg("%s %s %g: value %g, wanted %s", metrics[m].metric,
						 conds[c], t, v, want ? "an event" : "none");
				if (want) {
					assert_true(s->ev[0].actual == v);
					assert_true(s->ev[0].threshold == t);
					assert_string_equal(s->ev[0].description, "3 flows");
					assert_extra_str(&s->ev[0], "metric", metrics[m].metric);
					assert_extra_str(&s->ev[0], "condition", conds[c]);
					if (m) {
						assert_extra_str(&s->ev[0], "field", "bytes_out");
						assert_extra_num(&s->ev[0], "records", 3);
					}
				}
				alert_free(a);
			}
		}
	}
	free(s);
}

static void test_metric_templates(void **state)
{
	struct res_global_alert r = denies();
	struct sink *s = sink_new();
	struct alert *a;

	(void)state;
	r.metric = "avg";
	r.field = "bytes_out";
	r.condition = "gte";
	r.threshold = 0;
	r.summary = "${source_namespace}: n=${count} sum=${sum} avg=${avg} min=${min} max=${max} "
		    "$5 {x} $";
	a = new_alert(&r, NULL);
	add(a, "ns", "deny", 1215, 1);
	add(a, "ns", "deny", 1230, 2);
	assert_int_equal(run(a, 1260, s), 1);
	assert_string_equal(s->ev[0].description, "ns: n=2 sum=3 avg=1.5 min=1 max=2 $5 {x} $");
	assert_true(s->ev[0].actual == 1.5);
	alert_free(a);

	/* Without a summary the description is the template. */
	r = denies();
	r.summary = NULL;
	r.description = "${source_namespace} denied ${count} times";
	a = new_alert(&r, NULL);
	for (int i = 0; i < 4; i++)
		add(a, "kube-system", "deny", 1230, 1);
	assert_int_equal(run(a, 1260, s), 1);
	assert_string_equal(s->ev[0].description, "kube-system denied 4 times");
	alert_free(a);

	/* A description longer than the event's field is cut at a character boundary. */
	{
		char big[700];
		size_t n = 0;

		while (n + 2 < sizeof(big) - 1) {
			memcpy(big + n, "é", 2);
			n += 2;
		}
		big[n] = '\0';
		r = denies();
		r.summary = big;
		a = new_alert(&r, NULL);
		for (int i = 0; i < 4; i++)
			add(a, "ns", "deny", 1230, 1);
		assert_int_equal(run(a, 1260, s), 1);
		assert_int_equal(strlen(s->ev[0].description), 510);
		alert_free(a);
	}
	free(s);
}

/* Null fields are left out of sum, avg, min and max; count counts the records. */
static void test_null_field(void **state)
{
	struct res_global_alert r = denies();
	struct sink *s = sink_new();
	struct alert *a;

	(void)state;
	r.aggregate_by = NULL;
	r.naggregate_by = 0;
	r.metric = "max";
	r.field = "source_port"; /* null in every record */
	r.summary = NULL;
	r.condition = "lt";
	r.threshold = 1e9;
	a = new_alert(&r, NULL);
	add(a, "ns", "deny", 1230, 1);
	assert_int_equal(run(a, 1260, s), 0);
	alert_free(a);

	r.metric = "sum";
	a = new_alert(&r, NULL);
	add(a, "ns", "deny", 1230, 1);
	assert_int_equal(run(a, 1260, s), 1);
	assert_true(s->ev[0].actual == 0);
	assert_extra_num(&s->ev[0], "records", 1);
	alert_free(a);
	free(s);
}

/* Without aggregateBy, count and sum of an empty window are 0: "count lt 1" fires. */
static void test_empty_window(void **state)
{
	struct res_global_alert r = denies();
	struct sink *s = sink_new();
	struct alert *a;

	(void)state;
	r.aggregate_by = NULL;
	r.naggregate_by = 0;
	r.condition = "lt";
	r.threshold = 1;
	r.summary = "no denied flows (${count})";
	a = new_alert(&r, NULL);
	assert_int_equal(run(a, 1260, s), 1);
	assert_string_equal(s->ev[0].description, "no denied flows (0)");
	assert_true(s->ev[0].actual == 0);
	add(a, "ns", "deny", 1300, 1);
	assert_int_equal(run(a, 1320, s), 0);
	assert_int_equal(run(a, 1380, s), 0);
	/* (1320, 1440]: empty again. */
	assert_int_equal(run(a, 1440, s), 1);
	alert_free(a);

	/* avg of nothing is undefined: no event. */
	r.metric = "avg";
	r.field = "bytes_out";
	r.summary = NULL;
	a = new_alert(&r, NULL);
	assert_int_equal(run(a, 1260, s), 0);
	alert_free(a);

	/* With aggregateBy there is no group to judge. */
	r = denies();
	r.condition = "lt";
	r.threshold = 1;
	a = new_alert(&r, NULL);
	assert_int_equal(run(a, 1260, s), 0);
	alert_free(a);
	free(s);
}

/* ---- windows --------------------------------------------------------------------------- */

/* period 1m, lookback 90s: 30 s buckets; the window moves by a period. */
static void test_window(void **state)
{
	struct res_global_alert r = denies();
	struct sink *s = sink_new();
	struct alert *a;

	(void)state;
	r.period_s = 60;
	r.lookback_s = 90;
	r.threshold = 1;
	a = new_alert(&r, NULL);
	assert_int_equal(alert_granularity(a), 30);
	add(a, "ns", "deny", 1200, 1); /* bucket (1170, 1200] */
	add(a, "ns", "deny", 1201, 1); /* bucket (1200, 1230] */
	/* Window (1110, 1200]: one. */
	assert_int_equal(run(a, 1200, s), 0);
	/* Window (1140, 1230]: two. */
	assert_int_equal(run(a, 1259, s), 1);
	assert_int_equal(s->ev[0].window_start, 1140);
	assert_int_equal(s->ev[0].window_end, 1230);
	/* Window (1200, 1290]: the first has slid out. */
	assert_int_equal(run(a, 1290, s), 0);
	/* A record older than every window still to come is late: counted, dropped. */
	add(a, "ns", "deny", 1200, 1);
	assert_int_equal(alert_stats(a)->late, 1);
	add(a, "ns", "deny", 1201, 1);
	assert_int_equal(alert_stats(a)->late, 1);
	/* The second, in (1200, 1230], still counts. */
	assert_int_equal(run(a, 1290, s), 1);
	assert_true(s->ev[0].actual == 2);
	assert_int_equal(alert_status(a)->nerrors, 1);
	assert_string_equal(alert_status(a)->errors[0].type, "LateRecords");
	assert_string_equal(alert_status(a)->errors[0].message,
			    "1 record older than every window still to come");
	/* The next evaluation with nothing new clears the errors. */
	assert_int_equal(run(a, 1350, s), 0);
	assert_int_equal(alert_status(a)->nerrors, 0);
	alert_free(a);
	free(s);
}

/* ---- without metric ------------------------------------------------------------------ */

static void test_each_record(void **state)
{
	struct res_global_alert r = denies();
	struct alert_limits lim;
	struct sink *s = sink_new();
	struct flowlog_rec x;
	struct alert *a;

	(void)state;
	r.aggregate_by = NULL;
	r.naggregate_by = 0;
	r.metric = NULL;
	r.condition = "gt";
	r.has_threshold = false;
	r.summary = "${source_ip} (${source_namespace}) to ${dest_ip}:${dest_port} ${dest_labels} "
		    "${source_port}";
	a = new_alert(&r, NULL);
	add(a, "ns1", "deny", 1215, 7);
	add(a, "ns2", "allow", 1215, 7);
	add(a, "ns2", "deny", 1230, 8);
	add(a, "ns3", "deny", 1275, 9);
	assert_int_equal(run(a, 1260, s), 2);
	assert_string_equal(s->ev[0].description, "10.244.0.5 (ns1) to 10.244.1.7:80 app=nginx -");
	assert_int_equal(s->ev[0].time, 1215);
	assert_int_equal(s->ev[0].window_start, 1200);
	assert_int_equal(s->ev[0].window_end, 1215);
	assert_true(s->ev[0].actual == 1);
	assert_false(s->ev[0].has_threshold);
	assert_string_equal(s->ev[0].src.ip, "10.244.0.5");
	assert_string_equal(s->ev[0].src.name, "access");
	assert_string_equal(s->ev[0].src.ns, "ns1");
	assert_string_equal(s->ev[0].dst.ip, "10.244.1.7");
	assert_string_equal(s->ev[0].dst.name_aggr, "nginx-7d9f8c6b5-*");
	assert_int_equal(s->ev[0].dst.port, 80);
	assert_int_equal(s->ev[0].src.port, -1);
	assert_string_equal(s->ev[0].host, "node-1");
	assert_extra_str(&s->ev[0], "action", "deny");
	assert_extra_str(&s->ev[0], "proto", "tcp");
	assert_extra_num(&s->ev[0], "bytes_out", 7);
	assert_extra_num(&s->ev[0], "num_flows", 1);
	assert_string_equal(s->ev[1].src.ns, "ns2");
	assert_string_not_equal(s->ev[0].id, s->ev[1].id);
	/* Each record is reported once. */
	assert_int_equal(run(a, 1260, s), 0);
	assert_int_equal(run(a, 1320, s), 1);
	assert_string_equal(s->ev[0].src.ns, "ns3");
	/* Older than the window: late. */
	add(a, "ns4", "deny", 1100, 1);
	assert_int_equal(alert_stats(a)->late, 1);
	alert_free(a);

	/* Bounded: at most max_events per evaluation, max_pending waiting. */
	alert_limits_default(&lim);
	lim.max_events = 2;
	lim.max_pending = 4;
	a = new_alert(&r, &lim);
	for (int i = 0; i < 6; i++) {
		x = rec("ns", "deny", 1230, (uint64_t)i);
		alert_add(a, &x);
	}
	assert_int_equal(alert_stats(a)->dropped_pending, 2);
	assert_int_equal(run(a, 1260, s), 2);
	assert_int_equal(alert_stats(a)->events_dropped, 2);
	assert_int_equal(alert_status(a)->nerrors, 2);
	assert_string_equal(alert_status(a)->errors[0].type, "PendingLimit");
	assert_string_equal(alert_status(a)->errors[0].message,
			    "2 records dropped: more than 4 waiting for an evaluation");
	assert_string_equal(alert_status(a)->errors[1].type, "EventLimit");
	assert_string_equal(alert_status(a)->errors[1].message,
			    "2 events not emitted: more than 2 in one evaluation");
	/* The queue is empty afterwards. */
	assert_int_equal(run(a, 1320, s), 0);
	alert_free(a);
	free(s);
}

/* aggregateBy without metric: one event per group with records. */
static void test_groups_without_metric(void **state)
{
	struct res_global_alert r = denies();
	struct sink *s = sink_new();
	struct alert *a;

	(void)state;
	r.metric = NULL;
	r.has_threshold = false;
	r.summary = "${source_namespace}: ${count}";
	a = new_alert(&r, NULL);
	add(a, "b", "deny", 1230, 1);
	add(a, "a", "deny", 1230, 1);
	add(a, "a", "deny", 1245, 1);
	add(a, "c", "allow", 1245, 1);
	assert_int_equal(run(a, 1260, s), 2);
	assert_string_equal(s->ev[0].description, "a: 2");
	assert_string_equal(s->ev[1].description, "b: 1");
	assert_extra_str(&s->ev[0], "metric", "count");
	alert_free(a);
	free(s);
}

/* ---- bounds -------------------------------------------------------------------------- */

/*
 * A million distinct sources, grouped by source_ip, with the default limits: the alert keeps
 * 10000 groups, counts the rest as dropped, and stays under the documented bound
 * (docs/alerts.md: 9 MiB).  Once the window has passed, the groups are freed.
 */
static void test_memory_bound(void **state)
{
	static const char *by[] = {"source_ip"};
	struct res_global_alert r = denies();
	struct sink *s = sink_new();
	struct flowlog_rec x = rec("ns", "deny", 1230, 1);
	size_t empty, full;
	struct alert *a;

	(void)state;
	r.aggregate_by = by;
	r.summary = NULL;
	r.threshold = 1e9;
	a = new_alert(&r, NULL);
	empty = alert_memory(a);
	for (uint32_t i = 0; i < 1000000; i++) {
		snprintf(x.src.ip, sizeof(x.src.ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255,
			 i & 255);
		alert_add(a, &x);
	}
	full = alert_memory(a);
	assert_int_equal(alert_stats(a)->matched, 1000000);
	assert_int_equal(alert_stats(a)->dropped_groups, 1000000 - 10000);
	assert_true(full <= (size_t)9 << 20);
	assert_true(full > empty + 10000 * 2 * 10);
	assert_int_equal(run(a, 1260, s), 0);
	assert_int_equal(alert_status(a)->nerrors, 1);
	assert_string_equal(alert_status(a)->errors[0].type, "GroupLimit");
	assert_string_equal(alert_status(a)->errors[0].message,
			    "990000 records dropped: more than 10000 groups");
	/* Existing groups still count. */
	snprintf(x.src.ip, sizeof(x.src.ip), "10.0.0.0");
	alert_add(a, &x);
	assert_int_equal(alert_stats(a)->dropped_groups, 990000);
	/* After the window: groups, keys and buckets are gone. */
	assert_int_equal(run(a, 100000, s), 0);
	assert_true(alert_memory(a) < full / 2);
	alert_free(a);
	free(s);
}

/* Buckets are bounded across groups: many end times, one group. */
static void test_bucket_bound(void **state)
{
	struct res_global_alert r = denies();
	struct alert_limits lim;
	struct sink *s = sink_new();
	struct alert *a;

	(void)state;
	alert_limits_default(&lim);
	lim.max_buckets = 100;
	lim.max_groups = 5;
	r.period_s = 1;
	r.lookback_s = 1000;
	r.threshold = 0;
	a = new_alert(&r, &lim);
	assert_int_equal(alert_granularity(a), 1);
	for (uint64_t t = 1; t <= 150; t++)
		add(a, "ns", "deny", 1000 + t, 1);
	assert_int_equal(alert_stats(a)->dropped_buckets, 50);
	/* No bucket left for a new group either. */
	add(a, "other", "deny", 1001, 1);
	assert_int_equal(alert_stats(a)->dropped_buckets, 51);
	assert_int_equal(run(a, 1200, s), 1);
	assert_true(s->ev[0].actual == 100);
	assert_string_equal(alert_status(a)->errors[0].type, "BucketLimit");
	assert_string_equal(alert_status(a)->errors[0].message,
			    "51 records dropped: more than 100 time buckets");
	/* (1100, 2100] is empty; the buckets up to 1100 are freed, so there is room again. */
	assert_int_equal(run(a, 2100, s), 0);
	for (uint64_t t = 1; t <= 100; t++)
		add(a, "ns", "deny", 2100 + t, 1);
	assert_int_equal(alert_stats(a)->dropped_buckets, 51);
	assert_int_equal(run(a, 2200, s), 1);
	assert_true(s->ev[0].actual == 100);
	alert_free(a);
	free(s);
}

/* ---- bad resources ------------------------------------------------------------------- */

static void expect_bad(const struct res_global_alert *r, const char *want)
{
	char err[256] = "";

	assert_int_equal(alert_check(r, err, sizeof(err)), -EINVAL);
	if (strcmp(err, want))
		fail_msg("alert_check:\n  got  %s\n  want %s", err, want);
	err[0] = '\0';
	errno = 0;
	assert_null(alert_new("x", r, NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, want);
}

static void test_bad_resources(void **state)
{
	static const char *unknown[] = {"source_ns"};
	static const char *labels[] = {"dest_labels"};
	static const char *twice[] = {"source_namespace", "source_namespace"};
	static const char *nine[] = {"source_ip",	 "source_name", "source_name_aggr",
				     "source_namespace", "source_port", "dest_ip",
				     "dest_name",	 "dest_port",	"host"};
	struct res_global_alert r;
	char err[256];

	(void)state;
	r = denies();
	assert_int_equal(alert_check(&r, err, sizeof(err)), 0);

	r = denies();
	r.metric = "median";
	expect_bad(&r, "spec.metric: 'median' is not one of count, sum, avg, min, max");
	r = denies();
	r.metric = "sum";
	expect_bad(&r, "spec.field: required with metric sum");
	r = denies();
	r.field = "bytes_out";
	expect_bad(&r, "spec.field: not used with metric count (count counts records)");
	r = denies();
	r.metric = "sum";
	r.field = "source_namespace";
	expect_bad(&r, "spec.field: source_namespace is not a number field (metric sum needs one "
		       "such as bytes_out or num_flows)");
	r.field = "bytes";
	expect_bad(&r, "spec.field: unknown field 'bytes'");
	r = denies();
	r.metric = NULL;
	r.has_threshold = false;
	r.field = "bytes_out";
	expect_bad(&r, "spec.field: needs a metric (sum, avg, min or max)");
	r = denies();
	r.aggregate_by = unknown;
	expect_bad(&r, "spec.aggregateBy: unknown field 'source_ns'");
	r.aggregate_by = labels;
	expect_bad(&r, "spec.aggregateBy: dest_labels holds several values and cannot group "
		       "records");
	r.aggregate_by = twice;
	r.naggregate_by = 2;
	expect_bad(&r, "spec.aggregateBy: source_namespace is listed twice");
	r.aggregate_by = nine;
	r.naggregate_by = 9;
	expect_bad(&r, "spec.aggregateBy: 9 fields, at most 8");
	r = denies();
	r.condition = "ge";
	expect_bad(&r, "spec.condition: 'ge' is not one of eq, not_eq, lt, lte, gt, gte");
	r = denies();
	r.metric = NULL;
	r.has_threshold = false;
	r.condition = "lt";
	expect_bad(&r, "spec.condition: needs a metric");
	r.condition = "gt";
	r.has_threshold = true;
	expect_bad(&r, "spec.threshold: needs a metric");
	r = denies();
	r.threshold = NAN;
	expect_bad(&r, "spec.threshold: must be a finite number");
	r = denies();
	r.query = "action=";
	expect_bad(&r, "spec.query: column 8: expected a value after '='");
	r.query = "action = deny AND src_namespace = x";
	expect_bad(&r, "spec.query: column 19: unknown field 'src_namespace' (did you mean "
		       "'source_namespace'?)");
	r = denies();
	r.summary = "${foo} flows";
	expect_bad(&r, "spec.summary: ${foo} is not a flow log field nor a metric");
	r.summary = "${dest_ip} flows";
	expect_bad(&r, "spec.summary: ${dest_ip} is not an aggregateBy field (the events of this "
		       "alert know ${source_namespace}, ${count})");
	r.summary = "${sum} bytes";
	expect_bad(&r, "spec.summary: ${sum} needs a field (metric sum, avg, min or max)");
	r.summary = "from ${source_namespace";
	expect_bad(&r, "spec.summary: \"${\" at byte 6 has no closing \"}\"");
	r.summary = "x ${}";
	expect_bad(&r, "spec.summary: \"${}\" at byte 3 names nothing");
	r = denies();
	r.description = "${bogus}";
	expect_bad(&r, "spec.description: ${bogus} is not a flow log field nor a metric");
	r = denies();
	r.aggregate_by = NULL;
	r.naggregate_by = 0;
	r.metric = NULL;
	r.has_threshold = false;
	r.summary = "${count} flows";
	expect_bad(&r, "spec.summary: ${count} needs a metric or aggregateBy (without them each "
		       "event is one record)");
	r = denies();
	r.data_set = "audit";
	expect_bad(&r, "spec.dataSet: audit is not supported (only flows)");
	r = denies();
	r.type = "AnomalyDetection";
	expect_bad(&r, "spec.type: AnomalyDetection is not supported (only RuleBased)");
	r = denies();
	r.description = NULL;
	expect_bad(&r, "spec.description: required");
	r = denies();
	r.severity = 0;
	expect_bad(&r, "spec.severity: 0 is not between 1 and 100");
	r = denies();
	r.period_s = 0;
	expect_bad(&r, "spec.period: must be at least 1s");
	r = denies();
	r.lookback_s = -5;
	expect_bad(&r, "spec.lookback: must be at least 1s");
}

/* A resource as the decoder gives it: the example of test_resource_calico.c. */
static void test_decoded(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalAlert\n"
			    "metadata: {name: denies}\n"
			    "spec:\n"
			    "  summary: many denies from ${source_namespace}/${source_name_aggr}\n"
			    "  description: many denies\n"
			    "  severity: 100\n"
			    "  dataSet: flows\n"
			    "  query: action=deny AND dest_port IN {80, 443}\n"
			    "  aggregateBy: [source_namespace, source_name_aggr]\n"
			    "  metric: sum\n"
			    "  field: num_flows\n"
			    "  condition: gte\n"
			    "  threshold: 99.5\n"
			    "  period: 1m\n"
			    "  lookback: 90s\n");
	struct sink *s = sink_new();
	struct flowlog_rec x = rec("policy-demo", "deny", 1230, 1);
	struct alert *a;

	(void)state;
	assert_int_equal(f->s.n, 1);
	a = new_alert(&f->s.v[0]->u.alert, NULL);
	done(f); /* the alert keeps copies */
	assert_int_equal(alert_granularity(a), 30);
	x.num_flows = 50;
	alert_add(a, &x);
	assert_int_equal(run(a, 1260, s), 0);
	x.end_time = 1250;
	x.num_flows = 49;
	alert_add(a, &x);
	x.num_flows = 1000;
	x.dst.port = 22; /* not in the query */
	alert_add(a, &x);
	assert_int_equal(run(a, 1260, s), 0);
	x.num_flows = 1;
	x.dst.port = 443;
	alert_add(a, &x);
	assert_int_equal(run(a, 1260, s), 1);
	assert_string_equal(s->ev[0].description, "many denies from policy-demo/access");
	assert_true(s->ev[0].actual == 100);
	assert_int_equal(s->ev[0].severity, 100);
	assert_string_equal(s->ev[0].src.name_aggr, "access");
	assert_extra_str(&s->ev[0], "field", "num_flows");
	assert_extra_num(&s->ev[0], "records", 3);
	alert_free(a);
	alert_free(NULL);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_crossed),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metric_templates),
		cmocka_unit_test(test_null_field),
		cmocka_unit_test(test_empty_window),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_each_record),
		cmocka_unit_test(test_groups_without_metric),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_bucket_bound),
		cmocka_unit_test(test_bad_resources),
		cmocka_unit_test(test_decoded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
