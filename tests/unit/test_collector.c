/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow collector without a kernel: synthetic NFLOG records (raw IP headers through
 * nflog_rec_parse, as the NFLOG reader hands them on) and conntrack events and dumps go in,
 * and every window's observations are checked field by field.  Also the record parser on its
 * own, the default id resolver against a real model, and one window through the aggregator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/collector.h"
#include "dataplane/nft_render.h"
#include "lib/diag.h"
#include "lib/flow_agg.h"
#include "lib/model.h"
#include "lib/nflog_rec.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * shop/client and shop/local on node n1, shop/web-5d8f9-abcde (a ReplicaSet's pod) on n2; a
 * GlobalNetworkSet holds 198.51.100.0/24.  One Kubernetes policy lets client reach web on
 * TCP 9000.
 */
static const char cluster[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: shop, labels: {app: client}}\n"
	"spec: {nodeName: n1, containers: [{name: c, image: x}]}\n"
	"status: {podIP: 10.244.1.2}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: local, namespace: shop, labels: {app: local}}\n"
	"spec: {nodeName: n1, containers: [{name: c, image: x}]}\n"
	"status: {podIP: 10.244.1.3}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web-5d8f9-abcde, generateName: web-5d8f9-,\n"
	"  namespace: shop, labels: {app: web}}\n"
	"spec: {nodeName: n2, containers: [{name: c, image: x}]}\n"
	"status: {podIP: 10.244.2.2}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: suspects, labels: {threat: scanner}}\nspec: {nets: [198.51.100.0/24]}\n---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\n"
	"spec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: client}}}]\n"
	"    ports: [{port: 9000, protocol: TCP}]\n";

#define CLIENT	"10.244.1.2"
#define LOCAL	"10.244.1.3"
#define WEB	"10.244.2.2"
#define UNUSED	"10.244.2.250"
#define SCANNER "198.51.100.66"

static struct resource_set rs;
static struct model *m;

static int setup(void **state)
{
	struct diag_list d;
	int rc;

	resource_set_init(&rs);
	diag_list_init(&d);
	rc = resource_load_buffer(&rs, cluster, strlen(cluster), "t.yaml", &d);
	for (size_t i = 0; i < d.n; i++)
		print_message("diag: %d: %s\n", d.v[i].line, d.v[i].msg);
	assert_int_equal(rc, 0);
	assert_int_equal(d.errors, 0);
	m = model_build(&rs, &d);
	assert_non_null(m);
	assert_int_equal(d.errors, 0);
	diag_list_fini(&d);
	return 0;
}

static int teardown(void **state)
{
	model_free(m);
	resource_set_fini(&rs);
	return 0;
}

static const struct model *get_model(void *arg)
{
	return m;
}

/*
 * A resolver with made-up ids, so that these tests do not depend on the id format: "A"
 * allows by the namespace profile of the logging endpoint (which checks that the collector
 * names the right endpoint), "L" logs, "D" denies, "U" is the unused-address drop.
 */
static int fake_resolve(const struct model *mm, const char *prefix, uint32_t ep, char *buf,
			size_t size)
{
	if (!strcmp(prefix, "A"))
		return snprintf(buf, size, "profile|%s|Allow|-1",
				ep < mm->neps ? model_endpoint_profile(mm, ep) : "kns.*");
	if (!strcmp(prefix, "K"))
		return snprintf(buf, size, "default|shop/knp.default.web|Allow|0");
	if (!strcmp(prefix, "L"))
		return snprintf(buf, size, "default|shop/log|Log|0");
	if (!strcmp(prefix, "D"))
		return snprintf(buf, size, "default|shop/deny|Deny|1");
	if (!strcmp(prefix, "U"))
		return snprintf(buf, size, "no-endpoint|-|Deny|-1");
	return -EINVAL;
}

static struct collector *new_collector(const char *node, size_t max_flows)
{
	struct collector_opts o = {
		.node = node, .max_flows = max_flows, .model = get_model, .resolve = fake_resolve};
	struct collector *c = collector_new(&o);

	assert_non_null(c);
	return c;
}

/* ---- packets ------------------------------------------------------------------------------ */

/* An IPv4 header and, per protocol, its transport header, captured as NFLOG copies it: the
 * headers only, while the total length says payload more bytes follow.  Returns the bytes
 * captured. */
static size_t ip4(uint8_t *b, const char *src, const char *dst, uint8_t proto, size_t thl,
		  size_t payload)
{
	size_t total = 20 + thl + payload;

	memset(b, 0, 20 + thl);
	b[0] = 0x45;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[8] = 64;
	b[9] = proto;
	assert_int_equal(inet_pton(AF_INET, src, b + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, b + 16), 1);
	return 20 + thl;
}

static size_t tcp(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		  uint8_t flags, size_t payload)
{
	size_t n = ip4(b, src, dst, 6, 20, payload);

	b[20] = (uint8_t)(sp >> 8);
	b[21] = (uint8_t)sp;
	b[22] = (uint8_t)(dp >> 8);
	b[23] = (uint8_t)dp;
	b[32] = 5 << 4;
	b[33] = flags;
	return n;
}

static size_t udp(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		  size_t payload)
{
	size_t n = ip4(b, src, dst, 17, 8, payload);

	b[20] = (uint8_t)(sp >> 8);
	b[21] = (uint8_t)sp;
	b[22] = (uint8_t)(dp >> 8);
	b[23] = (uint8_t)dp;
	return n;
}

static size_t echo(uint8_t *b, const char *src, const char *dst, uint16_t id, size_t payload)
{
	size_t n = ip4(b, src, dst, 1, 8, payload);

	b[20] = 8;
	b[24] = (uint8_t)(id >> 8);
	b[25] = (uint8_t)id;
	return n;
}

/* Feeds one NFLOG record of group (1 ingress, 2 egress) with prefix to c. */
static void hit(struct collector *c, uint16_t group, const char *prefix, const uint8_t *pkt,
		size_t len)
{
	struct nflog_rec rec;

	/* The kernel sends the prefix with its NUL. */
	assert_int_equal(nflog_rec_parse(group, 1, 2, prefix, strlen(prefix) + 1, pkt, len, &rec),
			 NFLOG_REC_OK);
	collector_nflog(c, &rec);
}

static void ct_entry(struct conntrack_entry *e, enum conntrack_event_type type, uint32_t id,
		     const char *src, const char *dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->id = id;
	assert_int_equal(ipaddr_parse(src, &e->src), 0);
	assert_int_equal(ipaddr_parse(dst, &e->dst), 0);
	e->proto = proto;
	e->sport = sp;
	e->dport = dp;
	e->icmp_type = e->icmp_code = -1;
}

static void counters(struct conntrack_entry *e, uint64_t po, uint64_t bo, uint64_t pr, uint64_t br)
{
	e->has_counters = true;
	e->packets_orig = po;
	e->bytes_orig = bo;
	e->packets_reply = pr;
	e->bytes_reply = br;
}

/* ---- observations --------------------------------------------------------------------------- */

#define MAX_OBS 16

struct got {
	struct flow_obs o;
	char hits[FLOW_MAX_HITS][128];
	char src[IPADDR_STRLEN], dst[IPADDR_STRLEN];
};

static struct got obs[MAX_OBS];
static size_t nobs;

static void take(void *arg, const struct flow_obs *o)
{
	struct got *g = &obs[nobs];

	assert_true(nobs < MAX_OBS);
	g->o = *o;
	for (size_t i = 0; i < o->nhits; i++) {
		snprintf(g->hits[i], sizeof(g->hits[i]), "%s", o->hits[i]);
		g->o.hits[i] = g->hits[i];
	}
	ipaddr_format(&o->src, g->src, sizeof(g->src));
	ipaddr_format(&o->dst, g->dst, sizeof(g->dst));
	nobs++;
}

/* Ends a window and returns how many observations it gave, sorted by reporter then source
 * port so that tests can index them. */
static int by_reporter_port(const void *a, const void *b)
{
	const struct got *x = a, *y = b;

	if (x->o.reporter != y->o.reporter)
		return (int)x->o.reporter - (int)y->o.reporter;
	return (int)x->o.sport - (int)y->o.sport;
}

static size_t window(struct collector *c)
{
	size_t n;

	nobs = 0;
	memset(obs, 0, sizeof(obs));
	n = collector_end_window(c, take, NULL);
	assert_int_equal(n, nobs);
	qsort(obs, nobs, sizeof(obs[0]), by_reporter_port);
	return n;
}

static void check_obs(const struct got *g, const char *src, const char *dst, uint8_t proto,
		      uint16_t sp, uint16_t dp, enum flow_reporter r, enum flow_action a)
{
	assert_string_equal(g->src, src);
	assert_string_equal(g->dst, dst);
	assert_int_equal(g->o.proto, proto);
	assert_int_equal(g->o.sport, sp);
	assert_int_equal(g->o.dport, dp);
	assert_int_equal(g->o.reporter, r);
	assert_int_equal(g->o.action, a);
}

static void check_counts(const struct got *g, uint64_t po, uint64_t bo, uint64_t pr, uint64_t br)
{
	assert_int_equal(g->o.packets_orig, po);
	assert_int_equal(g->o.bytes_orig, bo);
	assert_int_equal(g->o.packets_reply, pr);
	assert_int_equal(g->o.bytes_reply, br);
}

static void check_flags(const struct got *g, bool started, bool completed, bool answered)
{
	assert_int_equal(g->o.started, started);
	assert_int_equal(g->o.completed, completed);
	assert_int_equal(g->o.answered, answered);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* An allowed connection leaving client (node n1): the egress hit, then conntrack's counters
 * as deltas per window, completed at destroy. */
static void test_allowed_source(void **state)
{
	struct collector *c = new_collector("n1", 0);
	struct collector_stats st;
	struct conntrack_entry e;
	uint8_t pkt[64];
	size_t n = tcp(pkt, CLIENT, WEB, 40000, 9000, 0x02, 0);

	hit(c, 2, "A", pkt, n);
	ct_entry(&e, CONNTRACK_NEW, 7, CLIENT, WEB, 6, 40000, 9000);
	collector_conntrack(c, &e);
	ct_entry(&e, CONNTRACK_UPDATE, 7, CLIENT, WEB, 6, 40000, 9000);
	e.status = CONNTRACK_SEEN_REPLY;
	collector_conntrack(c, &e);
	collector_dump_begin(c);
	ct_entry(&e, CONNTRACK_DUMP, 7, CLIENT, WEB, 6, 40000, 9000);
	counters(&e, 3, 164, 2, 112);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);

	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 6, 40000, 9000, FLOW_REPORTER_SRC, FLOW_ALLOW);
	assert_int_equal(obs[0].o.nhits, 1);
	assert_string_equal(obs[0].hits[0], "profile|kns.shop|Allow|-1");
	check_flags(&obs[0], true, false, true);
	check_counts(&obs[0], 3, 164, 2, 112);

	/* Next window: more data, then the destroy with the final counters. */
	collector_dump_begin(c);
	ct_entry(&e, CONNTRACK_DUMP, 7, CLIENT, WEB, 6, 40000, 9000);
	counters(&e, 5, 1216, 4, 320);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	ct_entry(&e, CONNTRACK_DESTROY, 7, CLIENT, WEB, 6, 40000, 9000);
	counters(&e, 6, 1268, 5, 372);
	collector_conntrack(c, &e);
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 6, 40000, 9000, FLOW_REPORTER_SRC, FLOW_ALLOW);
	assert_int_equal(obs[0].o.nhits, 1);
	check_flags(&obs[0], false, true, true);
	check_counts(&obs[0], 3, 1104, 3, 260);

	assert_int_equal(window(c), 0);
	collector_get_stats(c, &st);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.windows, 3);
	assert_int_equal(st.observations, 2);
	collector_free(c);
}

/* A denied attempt arriving at web (node n2): a Log hit, then the Deny; the retransmitted
 * SYN counts as a second packet and adds no hits; no conntrack entry, so NFLOG counts, and
 * a window without packets completes it. */
static void test_denied_destination(void **state)
{
	struct collector *c = new_collector("n2", 0);
	uint8_t pkt[64];
	size_t n = tcp(pkt, CLIENT, WEB, 40001, 81, 0x02, 20); /* 60 bytes: SYN with options */

	hit(c, 1, "L", pkt, n);
	hit(c, 1, "D", pkt, n);
	hit(c, 1, "L", pkt, n);
	hit(c, 1, "D", pkt, n);
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 6, 40001, 81, FLOW_REPORTER_DST, FLOW_DENY);
	assert_int_equal(obs[0].o.nhits, 2);
	assert_string_equal(obs[0].hits[0], "default|shop/log|Log|0");
	assert_string_equal(obs[0].hits[1], "default|shop/deny|Deny|1");
	check_flags(&obs[0], true, false, false);
	check_counts(&obs[0], 2, 120, 0, 0);

	/* A third attempt in the next window keeps the flow going. */
	hit(c, 1, "L", pkt, n);
	hit(c, 1, "D", pkt, n);
	assert_int_equal(window(c), 1);
	check_flags(&obs[0], false, false, false);
	check_counts(&obs[0], 1, 60, 0, 0);

	/* A quiet window ends it. */
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 6, 40001, 81, FLOW_REPORTER_DST, FLOW_DENY);
	assert_int_equal(obs[0].o.nhits, 2);
	check_flags(&obs[0], false, true, false);
	check_counts(&obs[0], 0, 0, 0, 0);
	assert_int_equal(window(c), 0);
	collector_free(c);
}

/* Two pods of node n1: both reports, each with its own hits, one conntrack entry for both. */
static void test_same_node(void **state)
{
	struct collector *c = new_collector("n1", 0);
	struct conntrack_entry e;
	uint8_t pkt[64];
	size_t n = udp(pkt, CLIENT, LOCAL, 5353, 53, 100);

	hit(c, 2, "A", pkt, n); /* egress of client */
	hit(c, 1, "L", pkt, n); /* ingress of local */
	hit(c, 1, "A", pkt, n);
	ct_entry(&e, CONNTRACK_NEW, 9, CLIENT, LOCAL, 17, 5353, 53);
	collector_conntrack(c, &e);
	ct_entry(&e, CONNTRACK_DESTROY, 9, CLIENT, LOCAL, 17, 5353, 53);
	counters(&e, 4, 512, 4, 200);
	collector_conntrack(c, &e);

	assert_int_equal(window(c), 2);
	check_obs(&obs[0], CLIENT, LOCAL, 17, 5353, 53, FLOW_REPORTER_SRC, FLOW_ALLOW);
	assert_int_equal(obs[0].o.nhits, 1);
	assert_string_equal(obs[0].hits[0], "profile|kns.shop|Allow|-1");
	check_flags(&obs[0], true, true, true);
	check_counts(&obs[0], 4, 512, 4, 200);
	check_obs(&obs[1], CLIENT, LOCAL, 17, 5353, 53, FLOW_REPORTER_DST, FLOW_ALLOW);
	assert_int_equal(obs[1].o.nhits, 2);
	assert_string_equal(obs[1].hits[0], "default|shop/log|Log|0");
	assert_string_equal(obs[1].hits[1], "profile|kns.shop|Allow|-1");
	check_flags(&obs[1], true, true, true);
	check_counts(&obs[1], 4, 512, 4, 200);
	assert_int_equal(window(c), 0);
	collector_free(c);
}

/*
 * External sources only get DST.  A connection conntrack announces before its hit (NFLOG
 * delivers a little later) waits one window for it; one that never gets a hit is then
 * reported allowed with no policies.  A connection between two addresses that are not this
 * node's endpoints is not tracked at all.
 */
static void test_external_and_unhit(void **state)
{
	struct collector *c = new_collector("n2", 0);
	struct collector_stats st;
	struct conntrack_entry e;
	uint8_t pkt[64];
	size_t n = tcp(pkt, SCANNER, WEB, 50000, 80, 0x02, 20);

	hit(c, 1, "D", pkt, n);
	ct_entry(&e, CONNTRACK_NEW, 11, SCANNER, WEB, 6, 50001, 81);
	collector_conntrack(c, &e);
	ct_entry(&e, CONNTRACK_NEW, 12, CLIENT, LOCAL, 6, 50002, 82); /* not n2's */
	collector_conntrack(c, &e);
	collector_dump_begin(c);
	ct_entry(&e, CONNTRACK_DUMP, 11, SCANNER, WEB, 6, 50001, 81);
	counters(&e, 2, 112, 1, 60);
	e.status = CONNTRACK_SEEN_REPLY;
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	ct_entry(&e, CONNTRACK_NEW, 13, SCANNER, WEB, 6, 50003, 80);
	collector_conntrack(c, &e);

	assert_int_equal(window(c), 1);
	check_obs(&obs[0], SCANNER, WEB, 6, 50000, 80, FLOW_REPORTER_DST, FLOW_DENY);
	check_flags(&obs[0], true, false, false);
	check_counts(&obs[0], 1, 60, 0, 0);
	assert_int_equal(obs[0].o.nhits, 1);

	n = tcp(pkt, SCANNER, WEB, 50003, 80, 0x02, 20);
	hit(c, 1, "A", pkt, n);
	assert_int_equal(window(c), 3);
	check_obs(&obs[0], SCANNER, WEB, 6, 50000, 80, FLOW_REPORTER_DST, FLOW_DENY);
	check_flags(&obs[0], false, true, false);
	check_obs(&obs[1], SCANNER, WEB, 6, 50001, 81, FLOW_REPORTER_DST, FLOW_ALLOW);
	assert_int_equal(obs[1].o.nhits, 0);
	check_flags(&obs[1], true, false, true);
	check_counts(&obs[1], 2, 112, 1, 60);
	check_obs(&obs[2], SCANNER, WEB, 6, 50003, 80, FLOW_REPORTER_DST, FLOW_ALLOW);
	assert_int_equal(obs[2].o.nhits, 1);
	assert_string_equal(obs[2].hits[0], "profile|kns.shop|Allow|-1");
	check_flags(&obs[2], true, false, false);
	collector_get_stats(c, &st);
	assert_int_equal(st.flows_active, 2);
	collector_free(c);
}

/* An address of the pod range that nobody has: the prerouting drop reports DST, even though
 * the source is this node's pod and the destination is nobody. */
static void test_unused_address(void **state)
{
	struct collector *c = new_collector("n1", 0);
	uint8_t pkt[64];
	size_t n = tcp(pkt, CLIENT, UNUSED, 40100, 80, 0x02, 20);

	hit(c, 1, "U", pkt, n);
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, UNUSED, 6, 40100, 80, FLOW_REPORTER_DST, FLOW_DENY);
	assert_int_equal(obs[0].o.nhits, 1);
	assert_string_equal(obs[0].hits[0], "no-endpoint|-|Deny|-1");
	check_flags(&obs[0], true, false, false);
	check_counts(&obs[0], 1, 60, 0, 0);
	collector_free(c);
}

/* NFLOG counts the first packet until conntrack joins; then conntrack's counters, which
 * include that packet, replace the count instead of adding to it. */
static void test_conntrack_replaces_nflog_count(void **state)
{
	struct collector *c = new_collector("n1", 0);
	struct conntrack_entry e;
	uint8_t pkt[64];
	size_t n = tcp(pkt, CLIENT, WEB, 40200, 9000, 0x02, 20);

	hit(c, 2, "A", pkt, n);
	collector_dump_begin(c);
	ct_entry(&e, CONNTRACK_DUMP, 21, CLIENT, WEB, 6, 40200, 9000);
	counters(&e, 1, 60, 0, 0);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 1);
	check_flags(&obs[0], true, false, false);
	check_counts(&obs[0], 1, 60, 0, 0);

	/* Retransmissions: conntrack counts them, NFLOG's repeated hits do not. */
	hit(c, 2, "A", pkt, n);
	collector_dump_begin(c);
	ct_entry(&e, CONNTRACK_DUMP, 21, CLIENT, WEB, 6, 40200, 9000);
	counters(&e, 2, 120, 0, 0);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 1);
	check_flags(&obs[0], false, false, false);
	check_counts(&obs[0], 1, 60, 0, 0);
	assert_int_equal(obs[0].o.nhits, 1);

	/* A quiet live connection has nothing to report. */
	collector_dump_begin(c);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 0);
	collector_free(c);
}

/*
 * The first complete dump is the baseline: connections older than the collector are neither
 * started nor reported with their past counters.  An entry that two complete dumps in a row
 * no longer list has ended (its destroy event was lost); an incomplete dump proves nothing.
 */
static void test_baseline_and_vanished(void **state)
{
	struct collector *c = new_collector("n1", 0);
	struct collector_stats st;
	struct conntrack_entry e;

	collector_dump_begin(c);
	ct_entry(&e, CONNTRACK_DUMP, 31, CLIENT, WEB, 6, 40300, 9000);
	counters(&e, 100, 10000, 90, 9000);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 0);

	collector_dump_begin(c);
	counters(&e, 101, 10100, 91, 9100);
	collector_conntrack(c, &e);
	/* A connection first seen in a later dump (its new event lost) did start meanwhile. */
	ct_entry(&e, CONNTRACK_DUMP, 32, CLIENT, WEB, 6, 40301, 9000);
	counters(&e, 1, 60, 1, 60);
	collector_conntrack(c, &e);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 6, 40300, 9000, FLOW_REPORTER_SRC, FLOW_ALLOW);
	check_flags(&obs[0], false, false, true);
	check_counts(&obs[0], 1, 100, 1, 100);

	/* Both gone without destroy events: one missing dump is not enough, an incomplete dump
	 * does not count, the second complete one is.  (The new one, without hits, waited a
	 * window for them.) */
	collector_dump_begin(c);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 6, 40301, 9000, FLOW_REPORTER_SRC, FLOW_ALLOW);
	check_flags(&obs[0], true, false, true);
	check_counts(&obs[0], 1, 60, 1, 60);
	collector_dump_begin(c);
	collector_dump_end(c, false);
	assert_int_equal(window(c), 0);
	collector_dump_begin(c);
	collector_dump_end(c, true);
	assert_int_equal(window(c), 2);
	check_flags(&obs[0], false, true, true);
	check_counts(&obs[0], 0, 0, 0, 0);
	check_flags(&obs[1], false, true, true);
	collector_get_stats(c, &st);
	assert_int_equal(st.ct_vanished, 2);
	assert_int_equal(st.flows_active, 0);
	collector_free(c);
}

/* A port reused by a new connection before the old one's flow was reported: the new entry's
 * counters add to the old one's instead of replacing them. */
static void test_tuple_reuse(void **state)
{
	struct collector *c = new_collector("n1", 0);
	struct conntrack_entry e;

	ct_entry(&e, CONNTRACK_DESTROY, 41, CLIENT, WEB, 6, 40400, 9000);
	counters(&e, 5, 500, 5, 500);
	collector_conntrack(c, &e);
	ct_entry(&e, CONNTRACK_NEW, 42, CLIENT, WEB, 6, 40400, 9000);
	collector_conntrack(c, &e);
	ct_entry(&e, CONNTRACK_DESTROY, 42, CLIENT, WEB, 6, 40400, 9000);
	counters(&e, 2, 200, 0, 0);
	collector_conntrack(c, &e);
	assert_int_equal(window(c), 1);
	check_flags(&obs[0], true, true, true);
	check_counts(&obs[0], 7, 700, 5, 500);
	collector_free(c);
}

/* ICMP echoes are keyed by their identifier, as conntrack does; ports stay 0. */
static void test_icmp_echo(void **state)
{
	struct collector *c = new_collector("n1", 0);
	struct conntrack_entry e;
	uint8_t pkt[64];
	size_t n = echo(pkt, CLIENT, WEB, 0x1234, 56);

	hit(c, 2, "A", pkt, n);
	ct_entry(&e, CONNTRACK_DESTROY, 51, CLIENT, WEB, 1, 0, 0);
	e.icmp_type = 8;
	e.icmp_code = 0;
	e.icmp_id = 0x1234;
	counters(&e, 3, 252, 3, 252);
	collector_conntrack(c, &e);
	assert_int_equal(window(c), 1);
	check_obs(&obs[0], CLIENT, WEB, 1, 0, 0, FLOW_REPORTER_SRC, FLOW_ALLOW);
	assert_int_equal(obs[0].o.icmp_type, 8);
	assert_int_equal(obs[0].o.icmp_code, 0);
	assert_int_equal(obs[0].o.nhits, 1);
	check_flags(&obs[0], true, true, true);
	check_counts(&obs[0], 3, 252, 3, 252);
	collector_free(c);
}

/* The table is bounded; ids the model does not name are counted and not kept; a flow whose
 * only hits are Log hits has no action and is dropped (counted) once idle. */
static void test_limits_and_unknown(void **state)
{
	struct collector *c = new_collector("n2", 2);
	struct collector_stats st;
	uint8_t pkt[64];
	size_t n;

	for (uint16_t p = 1; p <= 3; p++) {
		n = tcp(pkt, SCANNER, WEB, p, 80, 0x02, 20);
		hit(c, 1, "D", pkt, n);
	}
	n = tcp(pkt, SCANNER, WEB, 9, 80, 0x02, 20);
	hit(c, 1, "nonsense", pkt, n);
	collector_get_stats(c, &st);
	assert_int_equal(st.flows_active, 2);
	assert_int_equal(st.flows_dropped, 1);
	assert_int_equal(st.hits_unknown, 1);
	assert_int_equal(st.hits, 2);
	assert_int_equal(window(c), 2);
	assert_int_equal(window(c), 2); /* completed */
	assert_int_equal(window(c), 0);

	n = tcp(pkt, SCANNER, WEB, 10, 80, 0x02, 20);
	hit(c, 1, "L", pkt, n);
	assert_int_equal(window(c), 0);
	assert_int_equal(window(c), 0);
	collector_get_stats(c, &st);
	assert_int_equal(st.flows_undecided, 1);
	assert_int_equal(st.flows_active, 0);
	collector_free(c);
}

/* More hits than an observation holds: the first FLOW_MAX_HITS are kept, the rest counted. */
static void test_many_hits(void **state)
{
	struct collector *c = new_collector("n2", 0);
	uint8_t pkt[64];
	size_t n = tcp(pkt, CLIENT, WEB, 40500, 80, 0x02, 20);

	for (int i = 0; i < FLOW_MAX_HITS + 2; i++)
		hit(c, 1, "L", pkt, n);
	hit(c, 1, "D", pkt, n);
	assert_int_equal(window(c), 1);
	assert_int_equal(obs[0].o.nhits, FLOW_MAX_HITS);
	assert_int_equal(obs[0].o.dropped_hits, 3);
	assert_int_equal(obs[0].o.action, FLOW_DENY);
	collector_free(c);
}

/* The record parser: group to reporter, prefix and packet checks, the ICMP identifier. */
static void test_nflog_rec_parse(void **state)
{
	struct nflog_rec rec;
	uint8_t pkt[64];
	size_t n = tcp(pkt, CLIENT, WEB, 1234, 80, 0x12, 0);
	char longp[80];

	assert_int_equal(nflog_rec_parse(1, 1, 2, "P1:i:0:A", 9, pkt, n, &rec), NFLOG_REC_OK);
	assert_int_equal(rec.key.reporter, FLOW_REPORTER_DST);
	assert_string_equal(rec.prefix, "P1:i:0:A");
	assert_int_equal(rec.key.sport, 1234);
	assert_int_equal(rec.key.dport, 80);
	assert_int_equal(rec.key.icmp_type, -1);
	assert_int_equal(rec.ip_len, 40);
	assert_int_equal(rec.tcp_flags, 0x12);
	assert_int_equal(nflog_rec_parse(2, 1, 2, "R:e:A", 5, pkt, n, &rec), NFLOG_REC_OK);
	assert_int_equal(rec.key.reporter, FLOW_REPORTER_SRC);
	assert_int_equal(nflog_rec_parse(3, 1, 2, "R:e:A", 5, pkt, n, &rec), NFLOG_REC_BAD_GROUP);
	assert_int_equal(nflog_rec_parse(1, 1, 2, "", 1, pkt, n, &rec), NFLOG_REC_BAD_PREFIX);
	assert_int_equal(nflog_rec_parse(1, 1, 2, "a b", 3, pkt, n, &rec), NFLOG_REC_BAD_PREFIX);
	assert_int_equal(nflog_rec_parse(1, 1, 2, "a\0b", 3, pkt, n, &rec), NFLOG_REC_BAD_PREFIX);
	memset(longp, 'x', sizeof(longp));
	assert_int_equal(nflog_rec_parse(1, 1, 2, longp, 64, pkt, n, &rec), NFLOG_REC_BAD_PREFIX);
	assert_int_equal(nflog_rec_parse(1, 1, 2, longp, 63, pkt, n, &rec), NFLOG_REC_OK);
	assert_int_equal(nflog_rec_parse(1, 1, 2, "U:i:D", 5, pkt, 30, &rec), NFLOG_REC_BAD_PACKET);
	assert_int_equal(nflog_rec_parse(1, 1, 2, "U:i:D", 5, pkt, 0, &rec), NFLOG_REC_BAD_PACKET);
	n = echo(pkt, CLIENT, WEB, 0xbeef, 0);
	assert_int_equal(nflog_rec_parse(2, 1, 2, "X", 1, pkt, n, &rec), NFLOG_REC_OK);
	assert_int_equal(rec.key.proto, 1);
	assert_int_equal(rec.key.icmp_type, 8);
	assert_int_equal(rec.key.icmp_code, 0);
	assert_int_equal(rec.key.icmp_id, 0xbeef);
	assert_int_equal(rec.key.sport, 0);

	assert_int_equal(nflog_rec_decision("default|a/b|Allow|0"), NFLOG_REC_ALLOW);
	assert_int_equal(nflog_rec_decision("t|end-of-tier|Deny|-1"), NFLOG_REC_DENY);
	assert_int_equal(nflog_rec_decision("t|p|Log|2"), NFLOG_REC_CONTINUE);
	assert_int_equal(nflog_rec_decision("t|p|Pass|2"), NFLOG_REC_CONTINUE);
	assert_int_equal(nflog_rec_decision("Allow|0"), NFLOG_REC_INVALID);
	assert_int_equal(nflog_rec_decision("t|p|Block|0"), NFLOG_REC_INVALID);
	assert_int_equal(nflog_rec_decision(""), NFLOG_REC_INVALID);
}

/* The default resolver names real ids of the model's ruleset: the policy rule, the namespace
 * profile of the endpoint whose chain logged, and the unused-address drop. */
static void test_default_resolver(void **state)
{
	struct collector_opts o = {.node = "n2", .model = get_model};
	struct collector *c = collector_new(&o);
	struct strbuf ids;
	char rule_id[64] = "", kns_id[64] = "", unused_id[64] = "";
	uint8_t pkt[64];
	size_t n;
	const char *line;

	assert_non_null(c);
	strbuf_init(&ids);
	assert_int_equal(nft_rule_ids_print(m, &ids), 0);
	/* "<id> <decided>" lines; the ids themselves are the renderer's business. */
	for (line = strbuf_str(&ids); *line;) {
		const char *end = strchr(line, '\n'), *sp = strchr(line, ' ');
		size_t len = (size_t)(sp - line);

		assert_non_null(end);
		assert_true(sp && sp < end && len < sizeof(rule_id));
		if (!strncmp(sp + 1, "default|shop/knp.default.web|Allow|0\n", (size_t)(end - sp)))
			memcpy(rule_id, line, len);
		else if (!strncmp(sp + 1, "profile|kns.*|Allow|-1\n", (size_t)(end - sp)) &&
			 !kns_id[0])
			memcpy(kns_id, line, len);
		else if (!strncmp(sp + 1, "no-endpoint|-|Deny|-1\n", (size_t)(end - sp)))
			memcpy(unused_id, line, len);
		line = end + 1;
	}
	strbuf_fini(&ids);
	assert_true(rule_id[0] && kns_id[0] && unused_id[0]);

	n = tcp(pkt, CLIENT, WEB, 40600, 9000, 0x02, 20);
	hit(c, 1, rule_id, pkt, n);
	n = tcp(pkt, SCANNER, WEB, 40601, 9000, 0x02, 20);
	hit(c, 1, kns_id, pkt, n);
	n = tcp(pkt, SCANNER, UNUSED, 40602, 80, 0x02, 20);
	hit(c, 1, unused_id, pkt, n);
	assert_int_equal(window(c), 3);
	assert_string_equal(obs[0].hits[0], "default|shop/knp.default.web|Allow|0");
	assert_int_equal(obs[0].o.action, FLOW_ALLOW);
	assert_string_equal(obs[1].hits[0], "profile|kns.shop|Allow|-1");
	assert_string_equal(obs[2].hits[0], "no-endpoint|-|Deny|-1");
	assert_int_equal(obs[2].o.action, FLOW_DENY);
	collector_free(c);
}

/* The id of the rule whose decided text is want, from the model's id table. */
static void find_id(const struct model *mm, const char *want, char *id, size_t size)
{
	struct strbuf ids;
	const char *line;

	id[0] = '\0';
	strbuf_init(&ids);
	assert_int_equal(nft_rule_ids_print(mm, &ids), 0);
	for (line = strbuf_str(&ids); *line;) {
		const char *end = strchr(line, '\n'), *sp = strchr(line, ' ');

		assert_true(end && sp && sp < end && (size_t)(sp - line) < size);
		if ((size_t)(end - sp - 1) == strlen(want) &&
		    !strncmp(sp + 1, want, strlen(want))) {
			memcpy(id, line, (size_t)(sp - line));
			id[sp - line] = '\0';
		}
		line = end + 1;
	}
	strbuf_fini(&ids);
	assert_true(id[0]);
}

/*
 * The default resolver keeps the model's names between records and builds them again after
 * collector_model_changed(): a policy that only the new generation has is unknown before the
 * call and named after it.
 */
static void test_resolver_follows_model(void **state)
{
	static const char extra[] =
		"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		"metadata: {name: added}\nspec:\n  order: 1\n  selector: app == 'web'\n"
		"  ingress:\n  - action: Deny\n    protocol: UDP\n";
	struct collector_opts o = {.node = "n2", .model = get_model};
	struct collector *c = collector_new(&o);
	struct resource_set rs2;
	struct diag_list d;
	struct model *m1 = m, *m2;
	struct collector_stats st;
	char *text = malloc(strlen(cluster) + strlen(extra) + 1), rule_id[64], added_id[64];
	uint8_t pkt[64];
	size_t n;

	assert_non_null(c);
	assert_non_null(text);
	strcpy(text, cluster);
	strcat(text, extra);
	resource_set_init(&rs2);
	diag_list_init(&d);
	assert_int_equal(resource_load_buffer(&rs2, text, strlen(text), "t2.yaml", &d), 0);
	m2 = model_build(&rs2, &d);
	assert_non_null(m2);
	find_id(m1, "default|shop/knp.default.web|Allow|0", rule_id, sizeof(rule_id));
	find_id(m2, "default|added|Deny|0", added_id, sizeof(added_id));

	n = tcp(pkt, CLIENT, WEB, 40700, 9000, 0x02, 20);
	hit(c, 1, rule_id, pkt, n); /* names of m1 cached */
	m = m2;
	n = udp(pkt, CLIENT, WEB, 40701, 53, 10);
	hit(c, 1, added_id, pkt, n);
	collector_get_stats(c, &st);
	assert_int_equal(st.hits_unknown, 1);
	collector_model_changed(c);
	hit(c, 1, added_id, pkt, n);
	collector_get_stats(c, &st);
	assert_int_equal(st.hits_unknown, 1);
	assert_int_equal(window(c), 2);
	assert_string_equal(obs[0].hits[0], "default|shop/knp.default.web|Allow|0");
	assert_string_equal(obs[1].hits[0], "default|added|Deny|0");
	assert_int_equal(obs[1].o.action, FLOW_DENY);
	m = m1;
	collector_free(c);
	model_free(m2);
	resource_set_fini(&rs2);
	diag_list_fini(&d);
	free(text);
}

static json_t *field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		print_message("no field %s\n", k);
	assert_non_null(v);
	return v;
}

/* One window through the aggregator: the JSON line of a denied attempt and of an allowed
 * connection, enriched from the model. */
static void test_flush_json(void **state)
{
	struct collector *c = new_collector("n2", 0);
	struct flow_agg_opts ao = {.kind_allowed = 1, .kind_denied = 1, .host = "n2"};
	struct flow_agg *agg = flow_agg_new(&ao);
	struct conntrack_entry e;
	struct strbuf out;
	uint8_t pkt[64];
	size_t n = tcp(pkt, SCANNER, WEB, 50000, 80, 0x02, 20);
	json_t *rec[2];
	json_error_t jerr;
	const char *s, *nl;

	assert_non_null(agg);
	strbuf_init(&out);
	hit(c, 1, "D", pkt, n);
	n = tcp(pkt, CLIENT, WEB, 40700, 9000, 0x02, 20);
	hit(c, 1, "K", pkt, n);
	ct_entry(&e, CONNTRACK_DESTROY, 61, CLIENT, WEB, 6, 40700, 9000);
	counters(&e, 6, 1368, 4, 228);
	e.status = CONNTRACK_ASSURED | CONNTRACK_SEEN_REPLY;
	collector_conntrack(c, &e);
	assert_int_equal(collector_flush(c, agg, 1700000000, 1700000015, &out), 2);
	s = strbuf_str(&out);
	for (int i = 0; i < 2; i++) {
		nl = strchr(s, '\n');
		assert_non_null(nl);
		rec[i] = json_loadb(s, (size_t)(nl - s), 0, &jerr);
		assert_non_null(rec[i]);
		s = nl + 1;
	}
	assert_string_equal(s, "");
	/* Sorted by source namespace first: "-" (the network set) before "shop". */
	assert_string_equal(json_string_value(field(rec[0], "source_type")), "ns");
	assert_string_equal(json_string_value(field(rec[0], "source_name")), "suspects");
	assert_string_equal(json_string_value(field(rec[0], "action")), "deny");
	assert_string_equal(json_string_value(field(rec[0], "reporter")), "dst");
	assert_int_equal(json_integer_value(field(rec[0], "packets_in")), 1);
	assert_int_equal(json_integer_value(field(rec[0], "bytes_in")), 60);
	assert_int_equal(json_integer_value(field(rec[0], "num_flows_unanswered")), 1);
	assert_string_equal(json_string_value(field(rec[1], "source_name")), "client");
	assert_string_equal(json_string_value(field(rec[1], "dest_name_aggr")), "web-5d8f9-*");
	assert_string_equal(json_string_value(field(rec[1], "action")), "allow");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(field(rec[1], "policies"), "all_policies"), 0)),
			    "0|default|shop/knp.default.web|allow|0");
	assert_int_equal(json_integer_value(field(rec[1], "bytes_in")), 1368);
	assert_int_equal(json_integer_value(field(rec[1], "bytes_out")), 228);
	assert_int_equal(json_integer_value(field(rec[1], "packets_in")), 6);
	assert_int_equal(json_integer_value(field(rec[1], "packets_out")), 4);
	assert_int_equal(json_integer_value(field(rec[1], "num_flows_started")), 1);
	assert_int_equal(json_integer_value(field(rec[1], "num_flows_completed")), 1);
	assert_int_equal(json_integer_value(field(rec[1], "num_flows_unanswered")), 0);
	assert_int_equal(json_integer_value(field(rec[1], "start_time")), 1700000000);
	assert_string_equal(json_string_value(field(rec[1], "host")), "n2");
	json_decref(rec[0]);
	json_decref(rec[1]);
	strbuf_fini(&out);
	flow_agg_free(agg);
	collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_source),
		cmocka_unit_test(test_denied_destination),
		cmocka_unit_test(test_same_node),
		cmocka_unit_test(test_external_and_unhit),
		cmocka_unit_test(test_unused_address),
		cmocka_unit_test(test_conntrack_replaces_nflog_count),
		cmocka_unit_test(test_baseline_and_vanished),
		cmocka_unit_test(test_tuple_reuse),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_limits_and_unknown),
		cmocka_unit_test(test_many_hits),
		cmocka_unit_test(test_nflog_rec_parse),
		cmocka_unit_test(test_default_resolver),
		cmocka_unit_test(test_resolver_follows_model),
		cmocka_unit_test(test_flush_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
