/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of flow logs: enrichment, hit conversion, the aggregator and the JSON schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/diag.h"
#include "lib/enrich.h"
#include "lib/flow.h"
#include "lib/flow_agg.h"
#include "lib/flowlog.h"
#include "lib/model.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The cluster: a Deployment's pods (owned by ReplicaSet nginx-7d9f8c6b5), a DaemonSet pod, a
 * pod made from generateName only, a plain pod, a pod whose only owner is not its controller,
 * a HostEndpoint, network sets with nested prefixes and ties, and a Lab with its pod range.
 */
static const char cluster[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: policy-demo, labels: {team: demo}}\n"
	"---\n"
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx-7d9f8c6b5-x2x9q\n"
	"  namespace: policy-demo\n  generateName: nginx-7d9f8c6b5-\n"
	"  labels: {app: nginx, pod-template-hash: 7d9f8c6b5}\n"
	"  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: nginx-7d9f8c6b5,\n"
	"     uid: u1, controller: true, blockOwnerDeletion: true}\n"
	"spec: {containers: [{name: c, image: nginx}]}\nstatus: {podIP: 10.244.1.7}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx-7d9f8c6b5-abcde\n"
	"  namespace: policy-demo\n"
	"  labels: {app: nginx, pod-template-hash: 7d9f8c6b5, canary: 'yes'}\n"
	"  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: nginx-7d9f8c6b5,\n"
	"     uid: u1, controller: true}\n"
	"spec: {containers: [{name: c, image: nginx}]}\nstatus: {podIP: 10.244.1.8}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: fluentd-q8w2m\n  namespace: kube-system\n"
	"  ownerReferences:\n  - {apiVersion: apps/v1, kind: DaemonSet, name: fluentd, uid: u2,\n"
	"     controller: true}\n"
	"spec: {containers: [{name: c, image: fluentd}]}\nstatus: {podIP: 10.244.2.3}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web-7k2px, generateName: web-,\n"
	"  namespace: policy-demo, labels: {app: web}}\n"
	"spec: {containers: [{name: c, image: nginx}]}\nstatus: {podIP: 10.244.0.6}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: access, namespace: policy-demo,\n"
	"  labels: {run: access}}\n"
	"spec: {containers: [{name: c, image: busybox}]}\nstatus: {podIP: 10.244.0.5}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: adopted\n  namespace: policy-demo\n"
	"  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: other, uid: u3}\n"
	"spec: {containers: [{name: c, image: busybox}]}\nstatus: {podIP: 10.244.0.9}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"
	"metadata: {name: node1-eth0, labels: {role: edge}}\n"
	"spec: {node: node1, interfaceName: eth0, expectedIPs: [192.168.50.10]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: NetworkSet\n"
	"metadata: {name: partners, namespace: policy-demo, labels: {role: partner}}\n"
	"spec: {nets: [198.51.100.0/24]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: aaa-same-prefix, labels: {feed: tie}}\n"
	"spec: {nets: [198.51.100.0/24]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: wide, labels: {feed: wide}}\nspec: {nets: [198.51.0.0/16]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: narrow, labels: {feed: narrow}}\n"
	"spec: {nets: [198.51.100.128/25, 192.0.2.0/24]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: zz-global}\nspec: {nets: [203.0.113.0/24]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: bb-global}\nspec: {nets: [203.0.113.0/24]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: lab-corner}\nspec: {nets: [10.244.200.0/24]}\n---\n"
	"apiVersion: palisade.dev/v1alpha1\nkind: Lab\nmetadata: {name: lab}\n"
	"spec: {podCIDR: 10.244.0.0/16}\n";

struct world {
	struct resource_set rs;
	struct diag_list d;
	struct model *m;
};

static void world_load(struct world *w)
{
	int rc;

	resource_set_init(&w->rs);
	diag_list_init(&w->d);
	rc = resource_load_buffer(&w->rs, cluster, strlen(cluster), "t.yaml", &w->d);
	for (size_t i = 0; i < w->d.n; i++)
		print_message("diag: %d: %s\n", w->d.v[i].line, w->d.v[i].msg);
	assert_int_equal(rc, 0);
	assert_int_equal(w->d.errors, 0);
	w->m = model_build(&w->rs, &w->d);
	assert_non_null(w->m);
}

static void world_free(struct world *w)
{
	model_free(w->m);
	resource_set_fini(&w->rs);
	diag_list_fini(&w->d);
}

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ipaddr_parse(s, &a), 0);
	return a;
}

/* "k=v,k=v" of a label set, "<none>" for NULL. */
static const char *labels_text(const struct labels *l, char *buf, size_t size)
{
	size_t n = 0;

	if (!l)
		return "<none>";
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", i ? "," : "", l->v[i].key,
				      l->v[i].value);
	return buf;
}

static void check_enrich(const struct model *m, const char *addr, const char *type,
			 const char *name, const char *name_aggr, const char *ns,
			 const char *labels, bool no_endpoint)
{
	struct ipaddr a = ip(addr);
	struct enrich_info e;
	char buf[512];

	enrich_addr(m, &a, &e);
	print_message("%s: %s %s %s %s %s %d\n", addr, e.type, e.name, e.name_aggr, e.ns,
		      labels_text(e.labels, buf, sizeof(buf)), e.no_endpoint);
	assert_string_equal(e.type, type);
	assert_string_equal(e.name, name);
	assert_string_equal(e.name_aggr, name_aggr);
	assert_string_equal(e.ns, ns);
	assert_string_equal(labels_text(e.labels, buf, sizeof(buf)), labels);
	assert_int_equal(e.no_endpoint, no_endpoint);
}

static void test_enrich(void **state)
{
	struct world w;

	(void)state;
	world_load(&w);
	/* Workloads: owner reference first, then generateName, then the pod's name. */
	check_enrich(w.m, "10.244.1.7", "wep", "nginx-7d9f8c6b5-x2x9q", "nginx-7d9f8c6b5-*",
		     "policy-demo", "app=nginx,pod-template-hash=7d9f8c6b5", false);
	check_enrich(w.m, "10.244.1.8", "wep", "nginx-7d9f8c6b5-abcde", "nginx-7d9f8c6b5-*",
		     "policy-demo", "app=nginx,canary=yes,pod-template-hash=7d9f8c6b5", false);
	check_enrich(w.m, "10.244.2.3", "wep", "fluentd-q8w2m", "fluentd-*", "kube-system", "",
		     false);
	check_enrich(w.m, "10.244.0.6", "wep", "web-7k2px", "web-*", "policy-demo", "app=web",
		     false);
	check_enrich(w.m, "10.244.0.5", "wep", "access", "access", "policy-demo", "run=access",
		     false);
	/* An owner that is not the controller does not name the aggregate. */
	check_enrich(w.m, "10.244.0.9", "wep", "adopted", "adopted", "policy-demo", "", false);
	check_enrich(w.m, "192.168.50.10", "hep", "node1-eth0", "node1-eth0", "-", "role=edge",
		     false);
	/* Network sets: the longest prefix wins; at one prefix namespaced before global, then
	 * by name; labels as written (no pcns.team). */
	check_enrich(w.m, "198.51.100.200", "ns", "narrow", "narrow", "-", "feed=narrow", false);
	check_enrich(w.m, "198.51.100.5", "ns", "partners", "partners", "policy-demo",
		     "role=partner", false);
	check_enrich(w.m, "198.51.7.7", "ns", "wide", "wide", "-", "feed=wide", false);
	check_enrich(w.m, "203.0.113.9", "ns", "bb-global", "bb-global", "-", "", false);
	check_enrich(w.m, "192.0.2.1", "ns", "narrow", "narrow", "-", "feed=narrow", false);
	/* The pod range without an endpoint. */
	check_enrich(w.m, "10.244.9.9", "net", "-", "pvt", "-", "<none>", true);
	check_enrich(w.m, "10.244.200.1", "ns", "lab-corner", "lab-corner", "-", "", true);
	/* Everything else. */
	check_enrich(w.m, "8.8.8.8", "net", "-", "pub", "-", "<none>", false);
	check_enrich(w.m, "10.1.2.3", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(w.m, "172.31.255.255", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(w.m, "172.32.0.1", "net", "-", "pub", "-", "<none>", false);
	check_enrich(w.m, "100.64.0.1", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(w.m, "100.128.0.1", "net", "-", "pub", "-", "<none>", false);
	check_enrich(w.m, "fd00::1", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(w.m, "fe80::1", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(w.m, "::1", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(w.m, "2001:db8::1", "net", "-", "pub", "-", "<none>", false);
	/* No model: everything is "net". */
	check_enrich(NULL, "10.244.1.7", "net", "-", "pvt", "-", "<none>", false);
	check_enrich(NULL, "1.1.1.1", "net", "-", "pub", "-", "<none>", false);
	world_free(&w);
}

static void test_enrich_no_address(void **state)
{
	struct ipaddr none;
	struct enrich_info e;

	(void)state;
	memset(&none, 0, sizeof(none));
	enrich_addr(NULL, &none, &e);
	assert_string_equal(e.type, "net");
	assert_string_equal(e.name_aggr, "-");
	assert_false(enrich_is_private(&none));
}

static void check_hit(const char *hit, size_t idx, const char *want)
{
	struct strbuf b;
	int rc;

	strbuf_init(&b);
	strbuf_puts(&b, "x");
	rc = flow_hit_policy(hit, idx, &b);
	if (want) {
		assert_int_equal(rc, 0);
		assert_string_equal(b.s + 1, want);
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(b.s, "x"); /* nothing appended */
	}
	strbuf_fini(&b);
}

static void test_hit_policy(void **state)
{
	(void)state;
	check_hit("default|policy-demo/knp.default.access-nginx|Allow|0", 0,
		  "0|default|policy-demo/knp.default.access-nginx|allow|0");
	check_hit("security|end-of-tier|Deny|-1", 3, "3|security|security.end-of-tier|deny|-1");
	check_hit("profile|kns.policy-demo|Allow|-1", 1,
		  "1|__PROFILE__|__PROFILE__.kns.policy-demo|allow|-1");
	check_hit("profile|-|Deny|-1", 2, "2|__PROFILE__|__PROFILE__.__NO_MATCH__|deny|-1");
	check_hit("no-endpoint|-|Deny|-1", 0, "0|__NO_ENDPOINT__|__NO_ENDPOINT__|deny|-1");
	check_hit("unmanaged|-|Allow|-1", 1, "1|__UNMANAGED__|__UNMANAGED__|allow|-1");
	check_hit("loopback|-|Allow|-1", 0, "0|__LOOPBACK__|__LOOPBACK__|allow|-1");
	check_hit("security|security.log-all|Log|2", 0, "0|security|security.log-all|log|2");
	check_hit("security|security.pass|Pass|0", 1, "1|security|security.pass|pass|0");
	check_hit("default|x|Deny|12", 7, "7|default|x|deny|12");
	/* Not in a decided form. */
	check_hit(NULL, 0, NULL);
	check_hit("", 0, NULL);
	check_hit("default|x|Allow", 0, NULL);
	check_hit("default|x|Allow|0|extra", 0, NULL);
	check_hit("default|x|allow|0", 0, NULL);
	check_hit("default|x|Block|0", 0, NULL);
	check_hit("default|x|Allow|-2", 0, NULL);
	check_hit("default|x|Allow|01", 0, NULL);
	check_hit("default|x|Allow|", 0, NULL);
	check_hit("|x|Allow|0", 0, NULL);
	check_hit("default||Allow|0", 0, NULL);
	check_hit("default|a b|Allow|0", 0, NULL);
	check_hit("default|caf\xc3\xa9|Allow|0", 0, NULL);
	check_hit("no-endpoint|x|Deny|-1", 0, NULL);
	check_hit("unmanaged|x|Allow|-1", 0, NULL);
}

static void test_proto_name(void **state)
{
	char buf[8];

	(void)state;
	assert_string_equal(flow_proto_name(6, buf, sizeof(buf)), "tcp");
	assert_string_equal(flow_proto_name(17, buf, sizeof(buf)), "udp");
	assert_string_equal(flow_proto_name(1, buf, sizeof(buf)), "icmp");
	assert_string_equal(flow_proto_name(58, buf, sizeof(buf)), "icmp6");
	assert_string_equal(flow_proto_name(132, buf, sizeof(buf)), "sctp");
	assert_string_equal(flow_proto_name(47, buf, sizeof(buf)), "47");
	assert_ptr_equal(flow_proto_name(47, buf, sizeof(buf)), buf);
}

/* ---- the aggregator -------------------------------------------------------------------- */

/* An observation src -> dst (sport, dport) over TCP, allowed, reported by the destination. */
static struct flow_obs obs(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct flow_obs o;

	memset(&o, 0, sizeof(o));
	o.src = ip(src);
	o.dst = ip(dst);
	o.proto = 6;
	o.sport = sport;
	o.dport = dport;
	o.icmp_type = o.icmp_code = -1;
	o.reporter = FLOW_REPORTER_DST;
	o.action = FLOW_ALLOW;
	o.hits[0] = "default|policy-demo/knp.default.access-nginx|Allow|0";
	o.nhits = 1;
	o.started = o.completed = o.answered = true;
	o.bytes_orig = 120;
	o.packets_orig = 2;
	o.bytes_reply = 600;
	o.packets_reply = 2;
	return o;
}

static struct flow_agg *agg(int kind_allowed, int kind_denied, size_t max)
{
	struct flow_agg_opts o = {kind_allowed, kind_denied, max, "node-1"};
	struct flow_agg *a = flow_agg_new(&o);

	assert_non_null(a);
	return a;
}

/* Flushes [1764370800, 1764370815) and returns the text (free it). */
static char *flush(struct flow_agg *a, int want_records)
{
	struct strbuf b;
	int n;

	strbuf_init(&b);
	n = flow_agg_flush(a, 1764370800, 1764370815, &b);
	if (n != want_records)
		print_message("%s", b.s ? b.s : "");
	assert_int_equal(n, want_records);
	if (!b.s)
		strbuf_puts(&b, "");
	return strbuf_steal(&b);
}

/* The line of text that contains needle (exactly one must), copied into buf. */
static const char *line_with(const char *text, const char *needle, char *buf, size_t size)
{
	const char *hit = strstr(text, needle), *start, *end;

	if (!hit)
		print_message("no line with %s in:\n%s", needle, text);
	assert_non_null(hit);
	assert_null(strstr(hit + 1, needle));
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	assert_non_null(end);
	assert_true((size_t)(end - start) < size);
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The example of flowlog.h, exactly: one observation at kind 1. */
static void test_agg_example(void **state)
{
	struct flow_agg *a = agg(1, 1, 0);
	struct flow_obs o = obs("10.244.0.5", 40001, "10.244.1.7", 80);
	struct flow_agg_stats st;
	struct world w;
	char *text;

	(void)state;
	world_load(&w);
	assert_int_equal(flow_agg_add(a, w.m, &o), 0);
	text = flush(a, 1);
	assert_string_equal(
		text,
		"{\"start_time\":1764370800,\"end_time\":1764370815,"
		"\"source_ip\":\"10.244.0.5\",\"source_name\":\"access\",\"source_name_aggr\":"
		"\"access\",\"source_namespace\":\"policy-demo\",\"source_port\":null,"
		"\"source_type\":\"wep\",\"source_labels\":{\"labels\":[\"run=access\"]},"
		"\"dest_ip\":\"10.244.1.7\",\"dest_name\":\"nginx-7d9f8c6b5-x2x9q\","
		"\"dest_name_aggr\":\"nginx-7d9f8c6b5-*\",\"dest_namespace\":\"policy-demo\","
		"\"dest_port\":80,\"dest_type\":\"wep\",\"dest_labels\":{\"labels\":[\"app=nginx\","
		"\"pod-template-hash=7d9f8c6b5\"]},\"proto\":\"tcp\",\"action\":\"allow\","
		"\"reporter\":\"dst\",\"policies\":{\"all_policies\":["
		"\"0|default|policy-demo/knp.default.access-nginx|allow|0\"]},"
		"\"bytes_in\":120,\"bytes_out\":600,\"packets_in\":2,\"packets_out\":2,"
		"\"num_flows\":1,\"num_flows_started\":1,\"num_flows_completed\":1,"
		"\"num_flows_unanswered\":0,\"host\":\"node-1\"}\n");
	free(text);
	flow_agg_get_stats(a, &st);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.pending, 0);
	/* The window is empty afterwards. */
	text = flush(a, 0);
	assert_string_equal(text, "");
	free(text);
	flow_agg_free(a);
	world_free(&w);
}

/*
 * The same five observations at each kind: two connections access -> nginx pod 1 (different
 * source ports), one access -> nginx pod 2, one web -> nginx pod 1, and one access -> nginx
 * pod 1 on port 8080.
 */
static void add_five(struct flow_agg *a, const struct model *m)
{
	struct flow_obs v[5] = {
		obs("10.244.0.5", 40001, "10.244.1.7", 80),
		obs("10.244.0.5", 40002, "10.244.1.7", 80),
		obs("10.244.0.5", 40003, "10.244.1.8", 80),
		obs("10.244.0.6", 40001, "10.244.1.7", 80),
		obs("10.244.0.5", 40004, "10.244.1.7", 8080),
	};

	v[1].completed = false;
	v[2].answered = false;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(flow_agg_add(a, m, &v[i]), 0);
}

static void test_agg_kinds(void **state)
{
	struct world w;
	struct flow_agg *a;
	char *text, buf[2048];

	(void)state;
	world_load(&w);

	/* Kind 0: one record per 5-tuple, source ports printed. */
	a = agg(0, 0, 0);
	add_five(a, w.m);
	text = flush(a, 5);
	assert_non_null(strstr(line_with(text, "\"source_port\":40002", buf, sizeof(buf)),
			       "\"num_flows\":1,\"num_flows_started\":1,"
			       "\"num_flows_completed\":0,"));
	free(text);
	flow_agg_free(a);

	/* Kind 1: the two access -> pod 1:80 connections merge. */
	a = agg(1, 1, 0);
	add_five(a, w.m);
	text = flush(a, 4);
	assert_null(strstr(text, "\"source_port\":4"));
	line_with(text,
		  "\"source_name\":\"access\",\"source_name_aggr\":\"access\","
		  "\"source_namespace\":\"policy-demo\",\"source_port\":null,"
		  "\"source_type\":\"wep\",\"source_labels\":{\"labels\":[\"run=access\"]},"
		  "\"dest_ip\":\"10.244.1.7\",\"dest_name\":\"nginx-7d9f8c6b5-x2x9q\","
		  "\"dest_name_aggr\":\"nginx-7d9f8c6b5-*\",\"dest_namespace\":"
		  "\"policy-demo\",\"dest_port\":80,",
		  buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"bytes_in\":240,\"bytes_out\":1200,\"packets_in\":4,"
				    "\"packets_out\":4,\"num_flows\":2,\"num_flows_started\":2,"
				    "\"num_flows_completed\":1,\"num_flows_unanswered\":0,"));
	free(text);
	flow_agg_free(a);

	/* Kind 2: sources by name_aggr; access and web still differ, both pod 1:80 flows of
	 * access merge, pod 2 stays apart (destination IP kept). */
	a = agg(2, 2, 0);
	add_five(a, w.m);
	text = flush(a, 4);
	assert_null(strstr(text, "\"source_ip\":\"10."));
	line_with(text, "\"source_ip\":null,\"source_name\":\"-\",\"source_name_aggr\":\"web-*\"",
		  buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"dest_ip\":\"10.244.1.7\""));
	free(text);
	flow_agg_free(a);

	/* Kind 3: destinations by name_aggr too: both nginx pods are one destination. */
	a = agg(3, 3, 0);
	add_five(a, w.m);
	text = flush(a, 3);
	assert_null(strstr(text, "\"dest_ip\":\"10."));
	line_with(text,
		  "\"source_name_aggr\":\"access\",\"source_namespace\":\"policy-demo\","
		  "\"source_port\":null,\"source_type\":\"wep\",\"source_labels\":{\"labels\":"
		  "[\"run=access\"]},\"dest_ip\":null,\"dest_name\":\"-\",\"dest_name_aggr\":"
		  "\"nginx-7d9f8c6b5-*\",\"dest_namespace\":\"policy-demo\",\"dest_port\":80,",
		  buf, sizeof(buf));
	/* Labels are those both pods share (canary=yes is only on pod 2). */
	assert_non_null(strstr(buf, "\"dest_labels\":{\"labels\":[\"app=nginx\","
				    "\"pod-template-hash=7d9f8c6b5\"]}"));
	assert_non_null(strstr(buf, "\"num_flows\":3,\"num_flows_started\":3,"
				    "\"num_flows_completed\":2,\"num_flows_unanswered\":1,"));
	free(text);
	flow_agg_free(a);
	world_free(&w);
}

/* Allowed and denied observations follow their own kind. */
static void test_agg_kind_by_action(void **state)
{
	struct flow_agg *a = agg(3, 0, 0);
	struct flow_obs o;
	char *text, buf[2048];

	(void)state;
	for (uint16_t p = 1000; p < 1003; p++) {
		o = obs("203.0.113.7", p, "10.244.1.7", 22);
		o.action = FLOW_DENY;
		o.answered = false;
		o.hits[0] = "default|end-of-tier|Deny|-1";
		assert_int_equal(flow_agg_add(a, NULL, &o), 0);
		o = obs("203.0.113.7", p, "10.244.1.7", 80);
		assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	}
	text = flush(a, 4);
	line_with(text, "\"source_port\":1001", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"action\":\"deny\""));
	assert_non_null(
		strstr(buf, "\"all_policies\":[\"0|default|default.end-of-tier|deny|-1\"]"));
	assert_non_null(strstr(buf, "\"num_flows_unanswered\":1,"));
	line_with(text, "\"action\":\"allow\"", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"source_ip\":null,\"source_name\":\"-\","
				    "\"source_name_aggr\":\"pub\",\"source_namespace\":\"-\","
				    "\"source_port\":null,\"source_type\":\"net\","
				    "\"source_labels\":{\"labels\":[]},\"dest_ip\":null,"));
	assert_non_null(strstr(buf, "\"num_flows\":3,"));
	free(text);
	flow_agg_free(a);
}

static void test_agg_reporter_bytes(void **state)
{
	struct flow_agg *a = agg(1, 1, 0);
	struct flow_obs o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	char *text, buf[2048];

	(void)state;
	o.bytes_orig = 100;
	o.packets_orig = 3;
	o.bytes_reply = 7000;
	o.packets_reply = 5;
	o.reporter = FLOW_REPORTER_SRC;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	o.reporter = FLOW_REPORTER_DST;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	text = flush(a, 2);
	line_with(text, "\"reporter\":\"src\"", buf, sizeof(buf));
	assert_non_null(strstr(
		buf, "\"bytes_in\":7000,\"bytes_out\":100,\"packets_in\":5,\"packets_out\":3,"));
	line_with(text, "\"reporter\":\"dst\"", buf, sizeof(buf));
	assert_non_null(strstr(
		buf, "\"bytes_in\":100,\"bytes_out\":7000,\"packets_in\":3,\"packets_out\":5,"));
	free(text);

	/* Counters saturate at the largest JSON integer rather than wrap. */
	o.bytes_orig = UINT64_MAX - 1;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	text = flush(a, 1);
	assert_non_null(strstr(text, "\"bytes_in\":9223372036854775807,\"bytes_out\":14000,"));
	free(text);
	flow_agg_free(a);
}

static void test_agg_icmp_ports(void **state)
{
	struct flow_agg *a = agg(0, 0, 0);
	struct flow_obs o = obs("10.244.0.5", 0, "8.8.8.8", 0);
	char *text, buf[2048];

	(void)state;
	o.proto = 1;
	o.icmp_type = 8;
	o.icmp_code = 0;
	o.reporter = FLOW_REPORTER_SRC;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	o = obs("10.244.0.5", 5353, "8.8.8.8", 53);
	o.proto = 17;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	text = flush(a, 2);
	line_with(text, "\"proto\":\"icmp\"", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"source_port\":null,"));
	assert_non_null(strstr(buf, "\"dest_port\":null,"));
	line_with(text, "\"proto\":\"udp\"", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"source_port\":5353,"));
	assert_non_null(strstr(buf, "\"dest_port\":53,"));
	free(text);
	flow_agg_free(a);
}

/* The whole hits list is part of the key: a different list, or the same hits in another
 * order, is another record. */
static void test_agg_policies_key(void **state)
{
	struct flow_agg *a = agg(1, 1, 0);
	struct flow_obs o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	char *text, buf[2048];

	(void)state;
	o.hits[0] = "security|security.log-all|Log|2";
	o.hits[1] = "security|security.pass-web|Pass|0";
	o.hits[2] = "profile|kns.policy-demo|Allow|-1";
	o.nhits = 3;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	o.hits[0] = "security|security.pass-web|Pass|0";
	o.hits[1] = "security|security.log-all|Log|2";
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	o.nhits = 2;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	text = flush(a, 3);
	line_with(text,
		  "\"all_policies\":[\"0|security|security.log-all|log|2\","
		  "\"1|security|security.pass-web|pass|0\","
		  "\"2|__PROFILE__|__PROFILE__.kns.policy-demo|allow|-1\"]}",
		  buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"num_flows\":2,"));
	line_with(text,
		  "\"all_policies\":[\"0|security|security.pass-web|pass|0\","
		  "\"1|security|security.log-all|log|2\","
		  "\"2|__PROFILE__|__PROFILE__.kns.policy-demo|allow|-1\"]}",
		  buf, sizeof(buf));
	line_with(text,
		  "\"all_policies\":[\"0|security|security.pass-web|pass|0\","
		  "\"1|security|security.log-all|log|2\"]}",
		  buf, sizeof(buf));
	free(text);
	flow_agg_free(a);
}

static void test_agg_max_records(void **state)
{
	struct flow_agg *a = agg(0, 0, 3);
	struct flow_agg_stats st;
	struct flow_obs o;
	char *text;

	(void)state;
	for (uint16_t p = 1; p <= 5; p++) {
		o = obs("10.244.0.5", p, "10.244.1.7", 80);
		assert_int_equal(flow_agg_add(a, NULL, &o), p <= 3 ? 0 : -ENOSPC);
	}
	/* A key that already has a record still folds in. */
	o = obs("10.244.0.5", 2, "10.244.1.7", 80);
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	flow_agg_get_stats(a, &st);
	assert_int_equal(st.added, 4);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.pending, 3);
	text = flush(a, 3);
	assert_int_equal(count_lines(text), 3);
	free(text);
	/* The next window has room again; drops stay counted. */
	o = obs("10.244.0.5", 9, "10.244.1.7", 80);
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	flow_agg_get_stats(a, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.records, 3);
	free(flush(a, 1));
	flow_agg_free(a);
}

static void test_agg_invalid(void **state)
{
	struct flow_agg *a = agg(1, 1, 0);
	struct flow_agg_stats st;
	struct flow_obs o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	struct flow_agg_opts bad = {4, 1, 0, "n"}, bad_host = {1, 1, 0, "a\nb"};

	(void)state;
	o.hits[0] = "default|x|Block|0";
	assert_int_equal(flow_agg_add(a, NULL, &o), -EINVAL);
	o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	o.nhits = FLOW_MAX_HITS + 1;
	assert_int_equal(flow_agg_add(a, NULL, &o), -EINVAL);
	o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	o.reporter = (enum flow_reporter)2;
	assert_int_equal(flow_agg_add(a, NULL, &o), -EINVAL);
	o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	o.dropped_hits = 4;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	flow_agg_get_stats(a, &st);
	assert_int_equal(st.invalid, 3);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.dropped_hits, 4);
	{
		struct strbuf b;

		strbuf_init(&b);
		assert_int_equal(flow_agg_flush(a, 10, 9, &b), -EINVAL);
		assert_int_equal(b.len, 0);
		strbuf_fini(&b);
	}
	free(flush(a, 1));
	flow_agg_free(a);
	errno = 0;
	assert_null(flow_agg_new(&bad));
	assert_int_equal(errno, EINVAL);
	assert_null(flow_agg_new(&bad_host));
	a = flow_agg_new(NULL);
	assert_non_null(a);
	o = obs("10.244.0.5", 1, "10.244.1.7", 80);
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	o.sport = 2;
	assert_int_equal(flow_agg_add(a, NULL, &o), 0);
	{
		char *text = flush(a, 1); /* default kind 1 */

		assert_non_null(strstr(text, "\"host\":\"-\"}"));
		free(text);
	}
	flow_agg_free(a);
	flow_agg_free(NULL);
}

/* Strings are copied: the model may go before the flush. */
static void test_agg_model_freed(void **state)
{
	struct flow_agg *a = agg(1, 1, 0);
	struct flow_obs o = obs("198.51.100.5", 1, "10.244.1.7", 80);
	struct world w;
	char *text;

	(void)state;
	world_load(&w);
	assert_int_equal(flow_agg_add(a, w.m, &o), 0);
	world_free(&w);
	text = flush(a, 1);
	assert_non_null(strstr(text, "\"source_name\":\"partners\",\"source_name_aggr\":"
				     "\"partners\",\"source_namespace\":\"policy-demo\","
				     "\"source_port\":null,\"source_type\":\"ns\","
				     "\"source_labels\":{\"labels\":[\"role=partner\"]}"));
	free(text);
	flow_agg_free(a);
}

/* Output order does not depend on the order of the observations. */
static void test_agg_stable_order(void **state)
{
	struct flow_agg *a = agg(0, 1, 0), *b = agg(0, 1, 0);
	struct flow_agg_stats st;
	struct flow_obs v[40];
	char *ta, *tb;
	uint32_t seed = 12345;

	(void)state;
	for (size_t i = 0; i < 40; i++) {
		char src[32], dst[32];

		snprintf(src, sizeof(src), "10.244.0.%u", (unsigned)(1 + i % 3));
		snprintf(dst, sizeof(dst), "198.51.100.%u", (unsigned)(1 + i % 4));
		v[i] = obs(src, (uint16_t)(1000 + i % 5), dst, (uint16_t)(80 + i % 2));
		v[i].action = i % 6 ? FLOW_ALLOW : FLOW_DENY;
		v[i].reporter = (i / 2) % 2 ? FLOW_REPORTER_SRC : FLOW_REPORTER_DST;
		v[i].bytes_orig = i;
	}
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(flow_agg_add(a, NULL, &v[i]), 0);
	/* A fixed shuffle (xorshift) of the same observations. */
	for (size_t i = 39; i > 0; i--) {
		struct flow_obs t;
		size_t j;

		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		j = seed % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(flow_agg_add(b, NULL, &v[i]), 0);
	flow_agg_get_stats(a, &st);
	assert_true(st.pending > 10 && st.pending < 40);
	ta = flush(a, (int)st.pending);
	tb = flush(b, (int)st.pending);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	flow_agg_free(a);
	flow_agg_free(b);
}

/* A differential test: random observations against a naive oracle (a list searched
 * linearly for the key as the printed fields spell it), at every kind. */
struct oracle_rec {
	char *key;
	uint64_t c[8]; /* bytes in/out, packets in/out, flows, started, completed, unanswered */
};

static void side_text(struct strbuf *b, const char *ip, const char *name, const char *aggr,
		      const char *ns, const char *type, int port)
{
	strbuf_printf(b, "%s/%s/%s/%s/%s/%d ", ip, name, aggr, ns, type, port);
}

/* The key of o at kind, as the printed fields spell it (free it). */
static char *obs_key(const struct model *m, const struct flow_obs *o, int kind)
{
	struct enrich_info es, ed;
	char sip[IPADDR_STRLEN], dip[IPADDR_STRLEN], proto[8];
	bool ports = o->proto == 6 || o->proto == 17;
	struct strbuf b;

	enrich_addr(m, &o->src, &es);
	enrich_addr(m, &o->dst, &ed);
	ipaddr_format(&o->src, sip, sizeof(sip));
	ipaddr_format(&o->dst, dip, sizeof(dip));
	strbuf_init(&b);
	side_text(&b, kind < 2 ? sip : "", kind < 2 ? es.name : "-", es.name_aggr, es.ns, es.type,
		  kind == 0 && ports ? o->sport : -1);
	side_text(&b, kind < 3 ? dip : "", kind < 3 ? ed.name : "-", ed.name_aggr, ed.ns, ed.type,
		  ports ? o->dport : -1);
	strbuf_printf(&b, "%s %s %s ", flow_proto_name(o->proto, proto, sizeof(proto)),
		      o->action == FLOW_ALLOW ? "allow" : "deny",
		      o->reporter == FLOW_REPORTER_SRC ? "src" : "dst");
	for (size_t i = 0; i < o->nhits; i++) {
		assert_int_equal(flow_hit_policy(o->hits[i], i, &b), 0);
		strbuf_putc(&b, ',');
	}
	return strbuf_steal(&b);
}

static char *rec_key(const struct flowlog_rec *r)
{
	struct strbuf b;

	strbuf_init(&b);
	side_text(&b, r->src.ip, r->src.name, r->src.name_aggr, r->src.ns, r->src.type,
		  r->src.port);
	side_text(&b, r->dst.ip, r->dst.name, r->dst.name_aggr, r->dst.ns, r->dst.type,
		  r->dst.port);
	strbuf_printf(&b, "%s %s %s ", r->proto, r->action, r->reporter);
	for (size_t i = 0; i < r->npolicies; i++) {
		strbuf_puts(&b, r->policies[i]);
		strbuf_putc(&b, ',');
	}
	return strbuf_steal(&b);
}

static size_t oracle_find(const struct oracle_rec *v, size_t n, const char *key)
{
	size_t j = 0;

	while (j < n && strcmp(v[j].key, key))
		j++;
	return j;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_agg_oracle(void **state)
{
	static const char *const addrs[] = {"10.244.1.7",     "10.244.1.8", "10.244.0.5",
					    "10.244.0.6",     "10.244.2.3", "198.51.100.5",
					    "198.51.100.200", "8.8.8.8",    "10.244.9.9",
					    "192.168.50.10",  "fd00::1"};
	static const char *const hitlists[][2] = {
		{"default|policy-demo/knp.default.access-nginx|Allow|0", NULL},
		{"security|security.log|Log|0", "security|end-of-tier|Deny|-1"},
		{"profile|kns.policy-demo|Allow|-1", NULL},
	};
	static const uint8_t protos[] = {6, 17, 1};
	enum { N = 3000, NA = sizeof(addrs) / sizeof(addrs[0]) };
	struct oracle_rec *orc = calloc(N, sizeof(*orc));
	struct world w;
	uint32_t seed = 0x5eed1234;

	(void)state;
	assert_non_null(orc);
	world_load(&w);
	print_message("oracle seed %#x\n", seed);
	for (int kind = 0; kind <= 3; kind++) {
		struct flow_agg *a = agg(kind, kind, 0);
		size_t norc = 0, nlines = 0;
		char *text, *line, *save = NULL, *key;

		for (size_t i = 0; i < N; i++) {
			uint32_t r = xorshift(&seed);
			const char *src = addrs[r % NA], *dst = addrs[(r >> 4) % 6];
			struct flow_obs o;
			size_t j, h = (r >> 8) % 3;

			if (strchr(src, ':') != strchr(dst, ':'))
				continue; /* no mixed families */
			o = obs(src, (uint16_t)(30000 + (r >> 10) % 4), dst,
				(uint16_t)((r >> 12) & 1 ? 443 : 80));
			o.proto = protos[(r >> 13) % 3];
			o.action = (r >> 15) & 1 ? FLOW_DENY : FLOW_ALLOW;
			o.reporter = (r >> 16) & 1 ? FLOW_REPORTER_SRC : FLOW_REPORTER_DST;
			o.hits[0] = hitlists[h][0];
			o.hits[1] = hitlists[h][1];
			o.nhits = hitlists[h][1] ? 2 : 1;
			o.started = (r >> 17) & 1;
			o.completed = (r >> 18) & 1;
			o.answered = (r >> 19) & 1;
			o.bytes_orig = xorshift(&seed) % 100000;
			o.bytes_reply = xorshift(&seed) % 100000;
			o.packets_orig = o.bytes_orig / 100;
			o.packets_reply = o.bytes_reply / 100;
			assert_int_equal(flow_agg_add(a, w.m, &o), 0);
			key = obs_key(w.m, &o, kind);
			j = oracle_find(orc, norc, key);
			if (j == norc) {
				memset(&orc[norc], 0, sizeof(orc[norc]));
				orc[norc++].key = key;
			} else {
				free(key);
			}
			orc[j].c[0] +=
				o.reporter == FLOW_REPORTER_SRC ? o.bytes_reply : o.bytes_orig;
			orc[j].c[1] +=
				o.reporter == FLOW_REPORTER_SRC ? o.bytes_orig : o.bytes_reply;
			orc[j].c[2] +=
				o.reporter == FLOW_REPORTER_SRC ? o.packets_reply : o.packets_orig;
			orc[j].c[3] +=
				o.reporter == FLOW_REPORTER_SRC ? o.packets_orig : o.packets_reply;
			orc[j].c[4]++;
			orc[j].c[5] += o.started;
			orc[j].c[6] += o.completed;
			orc[j].c[7] += !o.answered;
		}
		text = flush(a, (int)norc);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			struct flowlog_rec r;
			char err[256];
			size_t j;

			assert_int_equal(flowlog_parse(line, strlen(line), &r, err, sizeof(err)),
					 0);
			key = rec_key(&r);
			j = oracle_find(orc, norc, key);
			if (j == norc)
				print_message("kind %d: unexpected record %s\n", kind, key);
			free(key);
			assert_true(j < norc);
			assert_int_equal(r.bytes_in, orc[j].c[0]);
			assert_int_equal(r.bytes_out, orc[j].c[1]);
			assert_int_equal(r.packets_in, orc[j].c[2]);
			assert_int_equal(r.packets_out, orc[j].c[3]);
			assert_int_equal(r.num_flows, orc[j].c[4]);
			assert_int_equal(r.num_flows_started, orc[j].c[5]);
			assert_int_equal(r.num_flows_completed, orc[j].c[6]);
			assert_int_equal(r.num_flows_unanswered, orc[j].c[7]);
			orc[j].c[4] = 0; /* each record once */
			flowlog_rec_fini(&r);
			nlines++;
		}
		assert_int_equal(nlines, norc);
		print_message("kind %d: %zu records\n", kind, norc);
		for (size_t j = 0; j < norc; j++)
			free(orc[j].key);
		free(text);
		flow_agg_free(a);
	}
	world_free(&w);
	free(orc);
}

/* 100k observations in one window, each its own record at kind 0: adding is a hash lookup
 * and flushing a sort, so this takes well under a second outside sanitizers. */
static void test_agg_100k(void **state)
{
	struct flow_agg *a = agg(0, 0, 0);
	struct flow_agg_stats st;
	struct strbuf b;
	struct world w;

	(void)state;
	world_load(&w);
	for (uint32_t i = 0; i < 100000; i++) {
		struct flow_obs o = obs("10.244.0.5", 0, "10.244.1.7", 80);

		o.src.a[2] = (uint8_t)(i >> 16);
		o.src.a[3] = (uint8_t)(i >> 8);
		o.sport = (uint16_t)(1024 + (i & 0xff));
		assert_int_equal(flow_agg_add(a, w.m, &o), 0);
	}
	/* One more distinct key is over the default bound. */
	{
		struct flow_obs o = obs("10.244.0.5", 9, "10.244.1.8", 80);

		assert_int_equal(flow_agg_add(a, w.m, &o), -ENOSPC);
	}
	strbuf_init(&b);
	assert_int_equal(flow_agg_flush(a, 0, 15, &b), 100000);
	assert_int_equal(count_lines(b.s), 100000);
	flow_agg_get_stats(a, &st);
	assert_int_equal(st.records, 100000);
	assert_int_equal(st.dropped, 1);
	strbuf_fini(&b);
	flow_agg_free(a);
	world_free(&w);
}

/* ---- the JSON schema ------------------------------------------------------------------- */

static const char example[] =
	"{\"start_time\":1764370800,\"end_time\":1764370815,"
	"\"source_ip\":\"10.244.0.5\",\"source_name\":\"access\",\"source_name_aggr\":\"access\","
	"\"source_namespace\":\"policy-demo\",\"source_port\":null,\"source_type\":\"wep\","
	"\"source_labels\":{\"labels\":[\"run=access\"]},"
	"\"dest_ip\":\"10.244.1.7\",\"dest_name\":\"nginx-7d9f8c6b5-x2x9q\","
	"\"dest_name_aggr\":\"nginx-7d9f8c6b5-*\",\"dest_namespace\":\"policy-demo\","
	"\"dest_port\":80,\"dest_type\":\"wep\","
	"\"dest_labels\":{\"labels\":[\"app=nginx\",\"pod-template-hash=7d9f8c6b5\"]},"
	"\"proto\":\"tcp\",\"action\":\"allow\",\"reporter\":\"dst\","
	"\"policies\":{\"all_policies\":["
	"\"0|default|policy-demo/knp.default.access-nginx|allow|0\"]},"
	"\"bytes_in\":120,\"bytes_out\":600,\"packets_in\":2,\"packets_out\":2,"
	"\"num_flows\":1,\"num_flows_started\":1,\"num_flows_completed\":1,"
	"\"num_flows_unanswered\":0,\"host\":\"node-1\"}\n";

/* Without the newline, with unknown fields, null labels and policies, no
 * num_flows_unanswered (Calico's own records), IPv6 in non-canonical text. */
static const char calico_line[] =
	"{\"start_time\":1,\"end_time\":2,\"source_ip\":null,\"source_name\":\"-\","
	"\"source_name_aggr\":\"pub\",\"source_namespace\":\"-\",\"source_port\":null,"
	"\"source_type\":\"net\",\"source_labels\":null,"
	"\"dest_ip\":\"FD00:0::1\",\"dest_name\":\"-\",\"dest_name_aggr\":\"pvt\","
	"\"dest_namespace\":\"-\",\"dest_port\":0,\"dest_type\":\"net\","
	"\"dest_labels\":{\"labels\":null},\"proto\":\"47\",\"action\":\"deny\","
	"\"reporter\":\"src\",\"policies\":null,\"bytes_in\":0,\"bytes_out\":0,"
	"\"packets_in\":0,\"packets_out\":0,\"num_flows\":3,\"num_flows_started\":0,"
	"\"num_flows_completed\":0,\"host\":\"n\",\"original_source_ips\":[1],"
	"\"extra\":{\"x\":[]}}";

static void test_flowlog_round_trip(void **state)
{
	struct flowlog_rec r;
	struct strbuf b;
	char err[256];

	(void)state;
	assert_int_equal(flowlog_parse(example, strlen(example), &r, err, sizeof(err)), 0);
	assert_int_equal(r.start_time, 1764370800);
	assert_int_equal(r.end_time, 1764370815);
	assert_string_equal(r.src.ip, "10.244.0.5");
	assert_int_equal(r.src.port, -1);
	assert_string_equal(r.src.type, "wep");
	assert_int_equal(r.src.nlabels, 1);
	assert_string_equal(r.src.labels[0], "run=access");
	assert_string_equal(r.dst.name_aggr, "nginx-7d9f8c6b5-*");
	assert_int_equal(r.dst.port, 80);
	assert_int_equal(r.dst.nlabels, 2);
	assert_string_equal(r.dst.labels[1], "pod-template-hash=7d9f8c6b5");
	assert_string_equal(r.proto, "tcp");
	assert_string_equal(r.action, "allow");
	assert_string_equal(r.reporter, "dst");
	assert_int_equal(r.npolicies, 1);
	assert_string_equal(r.policies[0],
			    "0|default|policy-demo/knp.default.access-nginx|allow|0");
	assert_int_equal(r.bytes_in, 120);
	assert_int_equal(r.bytes_out, 600);
	assert_int_equal(r.num_flows_completed, 1);
	assert_string_equal(r.host, "node-1");
	strbuf_init(&b);
	assert_int_equal(flowlog_print(&r, &b), 0);
	assert_string_equal(b.s, example);
	flowlog_rec_fini(&r);
	flowlog_rec_fini(&r); /* twice is fine */

	/* The Calico-style line. */
	{
		const char *line = calico_line;

		assert_int_equal(flowlog_parse(line, strlen(line), &r, err, sizeof(err)), 0);
		assert_string_equal(r.src.ip, "");
		assert_string_equal(r.dst.ip, "fd00::1");
		assert_int_equal(r.dst.port, 0);
		assert_int_equal(r.src.nlabels, 0);
		assert_int_equal(r.dst.nlabels, 0);
		assert_int_equal(r.npolicies, 0);
		assert_int_equal(r.num_flows_unanswered, 0);
		strbuf_reset(&b);
		assert_int_equal(flowlog_print(&r, &b), 0);
		assert_non_null(strstr(b.s, "\"source_ip\":null,"));
		assert_non_null(strstr(b.s, "\"dest_ip\":\"fd00::1\","));
		assert_non_null(strstr(b.s, "\"source_labels\":{\"labels\":[]},"));
		assert_non_null(strstr(b.s, "\"policies\":{\"all_policies\":[]},"));
		assert_non_null(strstr(b.s, "\"num_flows_unanswered\":0,\"host\":\"n\"}\n"));
		flowlog_rec_fini(&r);
	}

	/* A string that is not UTF-8 is refused by the printer, which appends nothing. */
	assert_int_equal(flowlog_parse(example, strlen(example), &r, err, sizeof(err)), 0);
	strcpy(r.src.name, "bad\xff");
	strbuf_reset(&b);
	assert_int_equal(flowlog_print(&r, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	flowlog_rec_fini(&r);
	strbuf_fini(&b);
}

/* The printer writes JSON itself; jansson, reading a line and dumping it compactly, must
 * give back exactly the same text, whatever the strings hold. */
static void test_flowlog_print_like_jansson(void **state)
{
	static const char *const strings[] = {
		"plain",
		"q\"uote",
		"back\\slash",
		"\b\f\n\r\t",
		"\x01\x1f\x7f",
		"sl/ash",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82",
		"",
	};
	struct flowlog_rec r;
	struct strbuf b;
	char err[256];

	(void)state;
	strbuf_init(&b);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		json_t *j;
		char *dump;

		assert_int_equal(flowlog_parse(example, strlen(example), &r, err, sizeof(err)), 0);
		snprintf(r.src.name, sizeof(r.src.name), "%s", strings[i]);
		snprintf(r.host, sizeof(r.host), "h%s", strings[i]);
		r.policies[0] = strings[i];
		r.dst.labels[0] = strings[i];
		r.bytes_in = UINT64_MAX; /* prints as INT64_MAX */
		strbuf_reset(&b);
		assert_int_equal(flowlog_print(&r, &b), 0);
		j = json_loadb(b.s, b.len, 0, NULL);
		assert_non_null(j);
		dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		assert_non_null(dump);
		assert_int_equal(b.s[b.len - 1], '\n');
		b.s[--b.len] = '\0';
		assert_string_equal(b.s, dump);
		assert_non_null(strstr(dump, "\"bytes_in\":9223372036854775807,"));
		free(dump);
		json_decref(j);
		flowlog_rec_fini(&r);
	}
	strbuf_fini(&b);
}

/* base with the first occurrence of from replaced by to, into buf. */
static const char *edit_in(const char *base, const char *from, const char *to, char *buf,
			   size_t size)
{
	const char *at = strstr(base, from);

	assert_non_null(at);
	snprintf(buf, size, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	return buf;
}

static const char *edit(const char *from, const char *to, char *buf, size_t size)
{
	return edit_in(example, from, to, buf, size);
}

static void check_parse_error(const char *line, const char *want)
{
	struct flowlog_rec r;
	char err[256];

	assert_int_equal(flowlog_parse(line, strlen(line), &r, err, sizeof(err)), -EINVAL);
	if (strncmp(err, want, strlen(want)))
		print_message("got \"%s\", want \"%s...\"\n", err, want);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_null(r.storage);
	/* err may be NULL. */
	assert_int_equal(flowlog_parse(line, strlen(line), &r, NULL, 0), -EINVAL);
}

static void test_flowlog_parse_errors(void **state)
{
	char buf[4096], big2[4096], big[255], to[300];

	(void)state;
	check_parse_error("", "invalid JSON at byte");
	check_parse_error("{", "invalid JSON at byte");
	check_parse_error("[1]", "expected a JSON object");
	check_parse_error("{\"a\":1,\"a\":2}", "invalid JSON at byte");
	check_parse_error(edit(",\"host\":\"node-1\"", "", buf, sizeof(buf)), "host: missing");
	check_parse_error(
		edit("\"start_time\":1764370800", "\"start_time\":\"x\"", buf, sizeof(buf)),
		"start_time: expected a non-negative integer");
	check_parse_error(edit("\"end_time\":1764370815", "\"end_time\":1", buf, sizeof(buf)),
			  "end_time: before start_time");
	check_parse_error(edit("\"source_ip\":\"10.244.0.5\"", "\"source_ip\":\"10.244.0.300\"",
			       buf, sizeof(buf)),
			  "source_ip: expected an IP address or null");
	check_parse_error(edit("\"dest_ip\":\"10.244.1.7\"", "\"dest_ip\":7", buf, sizeof(buf)),
			  "dest_ip: expected an IP address or null");
	check_parse_error(edit("\"source_port\":null", "\"source_port\":\"80\"", buf, sizeof(buf)),
			  "source_port: expected an integer 0..65535 or null");
	check_parse_error(edit("\"dest_port\":80", "\"dest_port\":65536", buf, sizeof(buf)),
			  "dest_port: expected an integer 0..65535 or null");
	check_parse_error(edit("\"dest_type\":\"wep\"", "\"dest_type\":\"pod\"", buf, sizeof(buf)),
			  "dest_type: expected one of wep, hep, ns, net");
	check_parse_error(
		edit("\"source_name\":\"access\"", "\"source_name\":\"\"", buf, sizeof(buf)),
		"source_name: must not be empty");
	check_parse_error(edit("\"source_name\":\"access\"", "\"source_name\":\"a\\u0000b\"", buf,
			       sizeof(buf)),
			  "source_name: contains a NUL character");
	memset(big, 'a', 254);
	big[254] = '\0';
	snprintf(to, sizeof(to), "\"dest_name\":\"%s\"", big);
	check_parse_error(edit("\"dest_name\":\"nginx-7d9f8c6b5-x2x9q\"", to, buf, sizeof(buf)),
			  "dest_name: longer than 253 bytes");
	check_parse_error(edit("\"source_namespace\":\"policy-demo\"", "\"source_namespace\":[]",
			       buf, sizeof(buf)),
			  "source_namespace: expected a string");
	check_parse_error(edit("{\"labels\":[\"run=access\"]}", "[]", buf, sizeof(buf)),
			  "source_labels: expected {\"labels\":[...]} or null");
	check_parse_error(edit("[\"run=access\"]", "[1]", buf, sizeof(buf)),
			  "source_labels: labels[0]: expected a \"key=value\" string");
	check_parse_error(edit("\"pod-template-hash=7d9f8c6b5\"", "\"novalue\"", buf, sizeof(buf)),
			  "dest_labels: labels[1]: expected a \"key=value\" string");
	check_parse_error(edit("\"proto\":\"tcp\"", "\"proto\":6", buf, sizeof(buf)),
			  "proto: expected a string");
	check_parse_error(edit("\"action\":\"allow\"", "\"action\":\"Allow\"", buf, sizeof(buf)),
			  "action: expected one of allow, deny");
	check_parse_error(edit("\"reporter\":\"dst\"", "\"reporter\":\"both\"", buf, sizeof(buf)),
			  "reporter: expected one of src, dst");
	check_parse_error(
		edit("\"0|default|policy-demo/knp.default.access-nginx|allow|0\"",
		     "\"0|default|x|Allow|0\"", buf, sizeof(buf)),
		"policies: all_policies[0]: expected \"<idx>|<tier>|<policy>|<action>|<rule>\"");
	check_parse_error(edit("\"0|default|policy-demo/knp.default.access-nginx|allow|0\"",
			       "\"0|default|x|allow|0|1\"", buf, sizeof(buf)),
			  "policies: all_policies[0]: expected");
	check_parse_error(edit("{\"all_policies\":", "{\"policies\":", buf, sizeof(buf)),
			  "policies: expected {\"all_policies\":[...]} or null");
	check_parse_error(edit("\"bytes_in\":120", "\"bytes_in\":-1", buf, sizeof(buf)),
			  "bytes_in: expected a non-negative integer");
	check_parse_error(edit("\"num_flows\":1", "\"num_flows\":1.5", buf, sizeof(buf)),
			  "num_flows: expected a non-negative integer");
	check_parse_error(edit("\"num_flows_unanswered\":0", "\"num_flows_unanswered\":true", buf,
			       sizeof(buf)),
			  "num_flows_unanswered: expected a non-negative integer");
	check_parse_error(edit("\"host\":\"node-1\"", "\"host\":null", buf, sizeof(buf)),
			  "host: expected a string");
	/* The first problem is the one reported. */
	edit("\"source_port\":null", "\"source_port\":-5", big2, sizeof(big2));
	check_parse_error(
		edit_in(big2, "\"bytes_out\":600", "\"bytes_out\":\"x\"", buf, sizeof(buf)),
		"source_port: expected an integer 0..65535 or null");
}

static int cmocka_main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enrich),
		cmocka_unit_test(test_enrich_no_address),
		cmocka_unit_test(test_hit_policy),
		cmocka_unit_test(test_proto_name),
		cmocka_unit_test(test_agg_example),
		cmocka_unit_test(test_agg_kinds),
		cmocka_unit_test(test_agg_kind_by_action),
		cmocka_unit_test(test_agg_reporter_bytes),
		cmocka_unit_test(test_agg_icmp_ports),
		cmocka_unit_test(test_agg_policies_key),
		cmocka_unit_test(test_agg_max_records),
		cmocka_unit_test(test_agg_invalid),
		cmocka_unit_test(test_agg_model_freed),
		cmocka_unit_test(test_agg_stable_order),
		cmocka_unit_test(test_agg_oracle),
		cmocka_unit_test(test_agg_100k),
		cmocka_unit_test(test_flowlog_round_trip),
		cmocka_unit_test(test_flowlog_print_like_jansson),
		cmocka_unit_test(test_flowlog_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(void)
{
	return cmocka_main();
}
