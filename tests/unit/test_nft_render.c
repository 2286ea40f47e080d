/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the nftables renderer: small clusters written inline, rendered, and the
 * script checked as text.  (The netns tests check what the kernel does with it.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/nft_names.h"
#include "dataplane/nft_render.h"
#include "lib/diag.h"
#include "lib/ifname.h"
#include "lib/model.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two namespaces; x/a and x/b on node n1, y/a on node n2.  x/a serves http on 80, x/b on
 * 8080 (and dns on 53/UDP); y/a has no named ports. */
static const char cluster[] =
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {ns: x}\n---\n"
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: y\n  labels: {ns: y}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {pod: a, app: web}}\n"
	"spec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: nginx\n    ports:\n"
	"    - {name: http, containerPort: 80}\n"
	"status: {podIP: 10.0.0.9}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {pod: b, app: db}}\n"
	"spec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: nginx\n    ports:\n"
	"    - {name: http, containerPort: 8080}\n    - {name: dns, containerPort: 53, protocol: UDP}\n"
	"status: {podIP: 10.0.0.2}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: y, labels: {pod: a}}\n"
	"spec:\n  nodeName: n2\n  containers:\n  - name: c\n    image: nginx\n"
	"status: {podIP: 10.0.1.1}\n---\n";

struct world {
	struct resource_set rs;
	struct model *m;
	struct diag_list d;
	char *raw;    /* the render as printed */
	char *script; /* the same, read through indexed() */
};

static void world_load(struct world *w, const char *extra)
{
	size_t n = strlen(cluster) + strlen(extra) + 1;
	char *buf = malloc(n);
	int rc;

	assert_non_null(buf);
	snprintf(buf, n, "%s%s", cluster, extra);
	resource_set_init(&w->rs);
	diag_list_init(&w->d);
	w->script = w->raw = NULL;
	rc = resource_load_buffer(&w->rs, buf, strlen(buf), "t.yaml", &w->d);
	if (rc || w->d.errors)
		for (size_t i = 0; i < w->d.n; i++)
			print_message("diag: %d: %s\n", w->d.v[i].line, w->d.v[i].msg);
	assert_int_equal(rc, 0);
	assert_int_equal(w->d.errors, 0);
	w->m = model_build(&w->rs, &w->d);
	assert_non_null(w->m);
	free(buf);
}

static void world_free(struct world *w)
{
	free(w->script);
	free(w->raw);
	model_free(w->m);
	resource_set_fini(&w->rs);
	diag_list_fini(&w->d);
}

/* With NFT_RENDER_DUMP=DIR in the environment, every script rendered here is also written to
 * DIR/render-<n>.nft, so that a netns test can feed them to nft -c. */
static void dump(const char *script)
{
	static int n;
	const char *dir = getenv("NFT_RENDER_DUMP");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/render-%03d.nft", dir, n++);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
}

static struct nft_render_stats last_stats;

static bool hex8(const char *p, uint32_t *out)
{
	char buf[9];

	for (int i = 0; i < 8; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	memcpy(buf, p, 8);
	buf[8] = '\0';
	*out = (uint32_t)strtoul(buf, NULL, 16);
	return true;
}

static uint32_t index_of(const uint32_t *v, size_t n, uint32_t key)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == key)
			return (uint32_t)i;
	fail_msg("no object with key %08x", key);
	return 0;
}

/* The endpoint whose chain e<key>_<dir> is: the lowest index whose interface the verdict map
 * sends there. */
static uint32_t ep_of_chain(const struct model *m, const char *s, uint32_t key, const char *dir)
{
	char ifname[IFNAME_LEN], want[128];

	for (size_t i = 0; i < m->neps; i++) {
		if (m->eps[i].kind != M_EP_WORKLOAD)
			continue;
		endpoint_ifname(m->eps[i].ns, m->eps[i].name, ifname);
		snprintf(want, sizeof(want), "\"%s\" : jump e%08x_%s", ifname, key, dir);
		if (strstr(s, want))
			return (uint32_t)i;
	}
	fail_msg("no endpoint jumps to e%08x_%s", key, dir);
	return 0;
}

/*
 * The renderer names chains, sets and NFLOG ids after stable keys (nft_names.h).  The tests
 * below were written against positions, which say more to a reader: this rewrites a script
 * with pol<rank>, as<index>, prof<index>, ep<endpoint>_<dir>_t<tier>, np<k> (k: order of the
 * named-port sets in the script) and P<rank>/T<tier>/F<profile> ids, a one-to-one renaming.
 */
static char *indexed(const struct model *m, const char *s)
{
	struct nft_names n;
	struct strbuf b;
	uint32_t np[64], key;
	size_t nnp = 0;

	assert_int_equal(nft_names_build(m, &n), 0);
	/* Each named-port set starts with its comment line, also when it has no nft set. */
	for (const char *p = s; (p = strstr(p, "\t# n")) != NULL; p += 5)
		if (hex8(p + 4, &key) && p[12] == ':' && nnp < 64)
			np[nnp++] = key;
	strbuf_init(&b);
	for (size_t i = 0; s[i];) {
		char c = s[i], prev = i ? s[i - 1] : ' ';
		bool word = !((prev >= 'a' && prev <= 'z') || (prev >= 'A' && prev <= 'Z') ||
			      (prev >= '0' && prev <= '9') || prev == '_');

		if (word && strchr("PTF", c) && (prev == '"' || prev == ' ') &&
		    hex8(s + i + 1, &key) && s[i + 9] == ':') {
			size_t idx = c == 'P'	? index_of(n.pol, n.npol, key)
				     : c == 'T' ? index_of(n.tier, n.ntier, key)
						: index_of(n.prof, n.nprof, key);

			strbuf_printf(&b, "%c%zu", c, idx);
			i += 9;
		} else if (word && strchr("pafen", c) && hex8(s + i + 1, &key) &&
			   (s[i + 9] == '_' || s[i + 9] == ':')) {
			if (c == 'p') {
				strbuf_printf(&b, "pol%u", index_of(n.pol, n.npol, key));
			} else if (c == 'a') {
				strbuf_printf(&b, "as%u", index_of(n.as, n.nas, key));
			} else if (c == 'f') {
				strbuf_printf(&b, "prof%u", index_of(n.prof, n.nprof, key));
			} else if (c == 'n') {
				strbuf_printf(&b, "np%u", index_of(np, nnp, key));
			} else {
				char dir[3] = {s[i + 10], s[i + 11], 0};
				uint32_t t;

				strbuf_printf(&b, "ep%u_%s", ep_of_chain(m, s, key, dir), dir);
				i += 12;
				if (!strncmp(s + i, "_t", 2) && hex8(s + i + 2, &t)) {
					strbuf_printf(&b, "_t%u", index_of(n.tier, n.ntier, t));
					i += 10;
				}
				continue;
			}
			i += 9;
		} else {
			strbuf_putc(&b, c);
			i++;
		}
	}
	nft_names_fini(&n);
	return strbuf_steal(&b);
}

/* Renders for node (NULL: all) with the pod range 10.0.0.0/16; the script stays in w. */
static const char *render(struct world *w, const char *node)
{
	struct nft_render_opts o;
	struct cidr pods;
	struct strbuf b;

	assert_int_equal(cidr_parse("10.0.0.0/16", &pods, NULL), 0);
	memset(&o, 0, sizeof(o));
	o.node = node;
	o.pod_cidrs = &pods;
	o.npod_cidrs = 1;
	o.nflog_ingress = 1;
	o.nflog_egress = 2;
	o.stats = &last_stats;
	strbuf_init(&b);
	assert_int_equal(nft_render(w->m, &o, &b), 0);
	free(w->raw);
	w->raw = strbuf_steal(&b);
	assert_non_null(w->raw);
	dump(w->raw);
	free(w->script);
	w->script = indexed(w->m, w->raw);
	assert_non_null(w->script);
	return w->script;
}

static void assert_has(const char *s, const char *needle)
{
	if (!strstr(s, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, s);
}

static void assert_lacks(const char *s, const char *needle)
{
	if (strstr(s, needle))
		fail_msg("unexpected \"%s\" in:\n%s", needle, s);
}

/* The body of chain name: from its "chain name {" line to the closing brace, copied into
 * buf. */
static const char *chain(const char *s, const char *name, char *buf, size_t size)
{
	char head[128];
	const char *p, *e;

	snprintf(head, sizeof(head), "\tchain %s {\n", name);
	p = strstr(s, head);
	if (!p)
		fail_msg("no chain %s in:\n%s", name, s);
	p += strlen(head);
	e = strstr(p, "\n\t}\n");
	assert_non_null(e);
	assert_true((size_t)(e - p) + 2 < size);
	memcpy(buf, p, (size_t)(e - p) + 1);
	buf[e - p + 1] = '\0';
	return buf;
}

static void test_shape_no_policy(void **state)
{
	struct world w;
	const char *s;
	char ifa[IFNAME_LEN], buf[2048];

	world_load(&w, "");
	s = render(&w, NULL);
	/* x/a and x/b have the same program (no policy, profile kns.x): one chain each way
	 * between them; y/a (kns.y) has its own. */
	assert_int_equal(last_stats.chains, 3 + 2 * 2);
	assert_int_equal(last_stats.rules, 3 + 3 + 1 + 2 * 2);
	assert_int_equal(last_stats.sets, 4);
	/* One transaction that replaces the table. */
	assert_true(!strncmp(s,
			     "add table inet palisade\ndelete table inet palisade\n"
			     "table inet palisade {\n",
			     60));
	assert_has(s, "\tchain egress {\n\t\ttype filter hook forward priority 0; policy accept;\n"
		      "\t\tct state established,related accept\n\t\tct state invalid drop\n"
		      "\t\tiifname vmap @ep_egress\n\t}\n");
	assert_has(s, "\tchain ingress {\n\t\ttype filter hook forward priority 1; policy accept;\n"
		      "\t\tct state established,related accept\n\t\tct state invalid drop\n"
		      "\t\toifname vmap @ep_ingress\n\t}\n");
	/* Unused pod addresses are dropped before routing (a node has no route for them). */
	assert_has(s,
		   "\tchain unused {\n\t\ttype filter hook prerouting priority 0; policy accept;\n"
		   "\t\tip daddr @pod_cidrs ip daddr != @endpoint_ips log prefix \"U:i:D\" "
		   "group 1 drop\n\t}\n");
	/* Every endpoint address, sorted, in the hash set; the range in the interval set. */
	assert_has(s, "\tset endpoint_ips {\n\t\ttype ipv4_addr\n"
		      "\t\telements = { 10.0.0.2,\n\t\t\t     10.0.0.9,\n\t\t\t     10.0.1.1 }\n");
	assert_has(s, "\tset pod_cidrs {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		      "\t\telements = { 10.0.0.0/16 }\n");
	endpoint_ifname("x", "a", ifa);
	snprintf(buf, sizeof(buf), "\"%s\" : jump ep0_in", ifa);
	assert_has(s, buf);
	endpoint_ifname("x", "b", ifa);
	snprintf(buf, sizeof(buf), "\"%s\" : jump ep0_in", ifa);
	assert_has(s, buf);
	assert_lacks(s, "chain ep1_in");
	assert_has(s, "shared by 2 endpoints with the same program");
	/* No policy: the namespace profile allows, logged. */
	assert_string_equal(chain(s, "ep0_in", buf, sizeof(buf)),
			    "\t\tlog prefix \"R:i:A\" group 1 accept\n");
	assert_string_equal(chain(s, "ep0_eg", buf, sizeof(buf)),
			    "\t\tlog prefix \"R:e:A\" group 2 accept\n");
	assert_lacks(s, "chain pol");
	assert_lacks(s, "set as");
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_lacks(s, "\n\n\n");
	world_free(&w);
}

static const char tiers[] =
	"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec}\nspec: {order: 10}\n"
	"---\n"
	"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: plat}\n"
	"spec: {order: 20, defaultAction: Pass}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: plat.p}\n"
	"spec:\n  tier: plat\n  selector: all()\n  ingress:\n  - action: Allow\n"
	"    protocol: TCP\n    destination: {ports: [9100]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: sec.b}\n"
	"spec:\n  tier: sec\n  order: 2\n  selector: all()\n  ingress:\n  - action: Log\n"
	"  - action: Deny\n    protocol: TCP\n    destination: {ports: [22]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: sec.a}\n"
	"spec:\n  tier: sec\n  order: 1\n  selector: app == 'db'\n  ingress:\n"
	"  - action: Pass\n    source: {selector: app == 'web'}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
	"metadata: {name: d, namespace: x}\n"
	"spec:\n  selector: app == 'db'\n  ingress:\n  - action: Allow\n---\n";

static uint32_t policy_rank(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->npols; i++)
		if (!strcmp(m->pols[i].name, name))
			return (uint32_t)i;
	fail_msg("no policy %s", name);
	return 0;
}

static uint32_t tier_index(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->ntiers; i++)
		if (!strcmp(m->tiers[i].name, name))
			return (uint32_t)i;
	fail_msg("no tier %s", name);
	return 0;
}

static void test_tier_chain_order(void **state)
{
	struct world w;
	const char *s;
	char buf[2048], want[2048], name[64];
	uint32_t ep = MODEL_NONE, sec, plat, def, pa, pb, pp, pd;

	world_load(&w, tiers);
	s = render(&w, NULL);
	ep = model_find_endpoint(w.m, "x", "b");
	sec = tier_index(w.m, "sec");
	plat = tier_index(w.m, "plat");
	def = tier_index(w.m, "default");
	assert_true(sec < plat && plat < def);
	pa = policy_rank(w.m, "sec.a");
	pb = policy_rank(w.m, "sec.b");
	pp = policy_rank(w.m, "plat.p");
	pd = policy_rank(w.m, "x/d");
	assert_true(pa < pb && pb < pp && pp < pd);

	/* The endpoint chain jumps to one chain per tier, in tier order, then the profile. */
	snprintf(name, sizeof(name), "ep%u_in", ep);
	snprintf(want, sizeof(want),
		 "\t\tmeta mark set meta mark & 0xffefffff\n"
		 "\t\tjump ep%u_in_t%u\n\t\tjump ep%u_in_t%u\n\t\tjump ep%u_in_t%u\n"
		 "\t\tlog prefix \"R:i:A\" group 1 accept\n",
		 ep, sec, ep, plat, ep, def);
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);

	/* Tier sec: policies in order, the Pass check after the one with a Pass rule, then the
	 * tier's Deny. */
	snprintf(name, sizeof(name), "ep%u_in_t%u", ep, sec);
	snprintf(want, sizeof(want),
		 "\t\tjump pol%u_in\n"
		 "\t\tmeta mark & 0x00100000 == 0x00100000 meta mark set meta mark & 0xffefffff "
		 "return\n"
		 "\t\tjump pol%u_in\n"
		 "\t\tlog prefix \"T%u:i:D\" group 1 drop\n",
		 pa, pb, sec);
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);

	/* Tier plat passes by default: no Deny at its end. */
	snprintf(name, sizeof(name), "ep%u_in_t%u", ep, plat);
	snprintf(want, sizeof(want), "\t\tjump pol%u_in\n", pp);
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);

	/* x/a is not selected by sec.a: its sec tier only has sec.b, and no mark handling. */
	ep = model_find_endpoint(w.m, "x", "a");
	snprintf(name, sizeof(name), "ep%u_in_t%u", ep, sec);
	snprintf(want, sizeof(want), "\t\tjump pol%u_in\n\t\tlog prefix \"T%u:i:D\" group 1 drop\n",
		 pb, sec);
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);
	snprintf(name, sizeof(name), "ep%u_in", ep);
	assert_lacks(chain(s, name, buf, sizeof(buf)), "meta mark");
	/* Egress: no policy at all. */
	snprintf(name, sizeof(name), "ep%u_eg", ep);
	assert_string_equal(chain(s, name, buf, sizeof(buf)),
			    "\t\tlog prefix \"R:e:A\" group 2 accept\n");
	world_free(&w);
}

static void test_pass_log_deny_rules(void **state)
{
	struct world w;
	const char *s;
	char buf[2048], want[2048], name[64];
	uint32_t pa, pb;
	const struct m_policy *p;

	world_load(&w, tiers);
	s = render(&w, NULL);
	pa = policy_rank(w.m, "sec.a");
	pb = policy_rank(w.m, "sec.b");
	p = &w.m->pols[pa];
	/* Pass: log, set the mark bit, return to the tier chain. */
	snprintf(name, sizeof(name), "pol%u_in", pa);
	snprintf(want, sizeof(want),
		 "\t\tip saddr @as%u_e4 log prefix \"P%u:i:0:P\" group 1 meta mark set meta mark | "
		 "0x00100000 return\n",
		 p->rules[M_INGRESS][0].src.addrset, pa);
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);
	/* Log goes on; Deny drops. */
	snprintf(name, sizeof(name), "pol%u_in", pb);
	snprintf(want, sizeof(want),
		 "\t\tlog prefix \"P%u:i:0:L\" group 1\n"
		 "\t\tmeta l4proto tcp th dport 22 log prefix \"P%u:i:1:D\" group 1 drop\n",
		 pb, pb);
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);
	world_free(&w);
}

static void test_named_ports(void **state)
{
	struct world w;
	const char *s;
	char buf[2048];

	world_load(&w, "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
		       "metadata: {name: np, namespace: x}\nspec:\n  selector: all()\n"
		       "  types: [Ingress, Egress]\n  ingress:\n  - action: Allow\n"
		       "    protocol: TCP\n    destination: {ports: [http, 443]}\n"
		       "  - action: Deny\n    protocol: UDP\n    destination: {notPorts: [dns]}\n"
		       "  egress:\n  - action: Allow\n    protocol: TCP\n"
		       "    source: {ports: [http]}\n");
	s = render(&w, NULL);
	/* One set per list of names, holding every endpoint's (address, protocol, port). */
	assert_has(s, "\t# np0: named ports http\n\tset np0_4 {\n"
		      "\t\ttype ipv4_addr . inet_proto . inet_service\n"
		      "\t\telements = { 10.0.0.2 . tcp . 8080,\n\t\t\t     10.0.0.9 . tcp . 80 }\n"
		      "\t}\n");
	assert_has(s, "\t# np1: named ports dns\n\tset np1_4 {\n"
		      "\t\ttype ipv4_addr . inet_proto . inet_service\n"
		      "\t\telements = { 10.0.0.2 . udp . 53 }\n\t}\n");
	assert_lacks(s, "np0_6");
	/* Numeric and named ports are alternatives; the numeric one needs no family. */
	assert_string_equal(
		chain(s, "pol0_in", buf, sizeof(buf)),
		"\t\tmeta l4proto tcp th dport 443 log prefix \"P0:i:0:A\" group 1 accept\n"
		"\t\tmeta l4proto tcp ip daddr . meta l4proto . th dport @np0_4 log prefix "
		"\"P0:i:0:A\" group 1 accept\n"
		"\t\tmeta l4proto udp ip daddr . meta l4proto . th dport != @np1_4 log prefix "
		"\"P0:i:1:D\" group 1 drop\n"
		"\t\tmeta nfproto ipv6 meta l4proto udp log prefix \"P0:i:1:D\" group 1 drop\n");
	/* A source named port resolves on the source. */
	assert_string_equal(chain(s, "pol0_eg", buf, sizeof(buf)),
			    "\t\tmeta l4proto tcp ip saddr . meta l4proto . th sport @np0_4 log "
			    "prefix \"P0:e:0:A\" group 2 accept\n");
	world_free(&w);
}

static void test_selectors_and_not_selector(void **state)
{
	struct world w;
	const char *s;
	char buf[4096], want[4096];
	const struct m_rule *r;

	world_load(&w, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
		       "metadata: {name: bad, labels: {kind: bad}}\n"
		       "spec: {nets: [192.0.2.0/25, 192.0.2.128/25, 198.51.100.7/32]}\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: g}\nspec:\n  selector: all()\n  ingress:\n"
		       "  - action: Log\n    source: {selector: kind == 'bad' || app == 'web'}\n"
		       "  - action: Deny\n    source: {notSelector: kind == 'bad' || pod == 'b'}\n"
		       "  - action: Allow\n    source: {notSelector: kind == 'bad'}\n");
	s = render(&w, NULL);
	r = w.m->pols[0].rules[M_INGRESS];
	/* Prefix sets are merged: nft refuses overlapping interval elements.  A network set's
	 * single addresses go to the hash set, with the endpoints' addresses; the hash set can
	 * hold expiring entries, so it takes timeouts. */
	snprintf(want, sizeof(want),
		 "\tset as%u_e4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
		 "\t\telements = { 10.0.0.9,\n\t\t\t     198.51.100.7 }\n\t}\n"
		 "\tset as%u_n4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		 "\t\telements = { 192.0.2.0/24 }\n\t}\n",
		 r[0].src.addrset, r[0].src.addrset);
	assert_has(s, want);
	/* A positive selector: endpoint addresses or network set prefixes; for a Log rule the
	 * second alternative excludes the first, so a packet logs once. */
	snprintf(want, sizeof(want),
		 "\t\tip saddr @as%u_e4 log prefix \"P0:i:0:L\" group 1\n"
		 "\t\tip saddr @as%u_n4 ip saddr != @as%u_e4 log prefix \"P0:i:0:L\" group 1\n"
		 "\t\tip saddr != @as%u_e4 ip saddr != @as%u_n4 log prefix \"P0:i:1:D\" group 1 "
		 "drop\n"
		 "\t\tmeta nfproto ipv6 log prefix \"P0:i:1:D\" group 1 drop\n"
		 "\t\tip saddr != @as%u_e4 ip saddr != @as%u_n4 log prefix \"P0:i:2:A\" group 1 "
		 "accept\n"
		 "\t\tmeta nfproto ipv6 log prefix \"P0:i:2:A\" group 1 accept\n",
		 r[0].src.addrset, r[0].src.addrset, r[0].src.addrset, r[1].src.not_addrset,
		 r[1].src.not_addrset, r[2].src.not_addrset, r[2].src.not_addrset);
	assert_string_equal(chain(s, "pol0_in", buf, sizeof(buf)), want);
	world_free(&w);
}

static void test_empty_sets_never_match(void **state)
{
	struct world w;
	const char *s;
	char buf[2048];

	world_load(&w, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: g}\nspec:\n  selector: all()\n  ingress:\n"
		       "  - action: Deny\n    source: {selector: nothing == 'here'}\n"
		       "  - action: Allow\n    protocol: TCP\n    destination: {ports: [nosuch]}\n"
		       "  - action: Allow\n    ipVersion: 6\n    source: {selector: app == 'web'}\n"
		       "  - action: Allow\n");
	s = render(&w, NULL);
	assert_string_equal(chain(s, "pol0_in", buf, sizeof(buf)),
			    "\t\t# P0:i:0:D never matches (empty address sets or protocol)\n"
			    "\t\t# P0:i:1:A never matches (empty address sets or protocol)\n"
			    "\t\t# P0:i:2:A never matches (empty address sets or protocol)\n"
			    "\t\tlog prefix \"P0:i:3:A\" group 1 accept\n");
	/* The empty sets are still declared, so an update can fill them. */
	assert_has(s, "\tset as0_e4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n");
	world_free(&w);
}

static void test_node_filter(void **state)
{
	struct world w;
	const char *s;
	char ifn[IFNAME_LEN], buf[128];
	uint32_t ya;

	world_load(&w, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		       "metadata: {name: only-y, namespace: y}\nspec:\n  podSelector: {}\n"
		       "  ingress:\n  - from:\n    - podSelector: {}\n");
	ya = model_find_endpoint(w.m, "y", "a");
	endpoint_ifname("y", "a", ifn);
	s = render(&w, "n1");
	assert_lacks(s, ifn);
	snprintf(buf, sizeof(buf), "chain ep%u_in", ya);
	assert_lacks(s, buf);
	/* The policy selects only y/a, on n2: no chain on n1. */
	assert_lacks(s, "chain pol0_in");
	/* Addresses of every node's endpoints still count as used. */
	assert_has(s, "10.0.1.1 }");
	s = render(&w, "n2");
	assert_has(s, ifn);
	assert_has(s, buf);
	assert_has(s, "chain pol0_in");
	assert_lacks(s, "chain ep0_in");
	s = render(&w, "n3");
	assert_has(s, "\tmap ep_ingress {\n\t\ttype ifname : verdict\n\t}\n");
	world_free(&w);
}

static void test_deterministic(void **state)
{
	struct world w, w2;
	char *first;

	world_load(&w, tiers);
	first = strdup(render(&w, NULL));
	assert_non_null(first);
	assert_string_equal(render(&w, NULL), first);
	world_load(&w2, tiers);
	assert_string_equal(render(&w2, NULL), first);
	free(first);
	world_free(&w);
	world_free(&w2);
}

static void test_profiles(void **state)
{
	struct world w;
	const char *s;
	char buf[2048], want[2048], name[64];
	uint32_t e1, e2;

	world_load(&w,
		   "apiVersion: projectcalico.org/v3\nkind: Profile\n"
		   "metadata: {name: p1}\nspec:\n  ingress:\n  - action: Pass\n"
		   "    protocol: UDP\n  - action: Deny\n  egress:\n  - action: Allow\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\n"
		   "metadata: {name: n1-k8s-w1-eth0, namespace: x}\n"
		   "spec:\n  node: n1\n  orchestrator: k8s\n  pod: w1\n  endpoint: eth0\n"
		   "  interfaceName: cali1\n  ipNetworks: [10.0.0.50/32]\n"
		   "  profiles: [p1, kns.x]\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\n"
		   "metadata: {name: n1-k8s-w2-eth0, namespace: x}\n"
		   "spec:\n  node: n1\n  orchestrator: k8s\n  pod: w2\n  endpoint: eth0\n"
		   "  interfaceName: cali2\n  ipNetworks: [10.0.0.51/32]\n  profiles: [other]\n");
	s = render(&w, NULL);
	e1 = model_find_endpoint(w.m, "x", "w1");
	e2 = model_find_endpoint(w.m, "x", "w2");
	assert_int_not_equal(e1, MODEL_NONE);
	/* Profile rules: Pass goes on with the next profile, here kns.x, which allows. */
	snprintf(name, sizeof(name), "ep%u_in", e1);
	assert_string_equal(chain(s, name, buf, sizeof(buf)),
			    "\t\tjump prof0_in\n\t\tlog prefix \"R:i:A\" group 1 accept\n");
	assert_string_equal(chain(s, "prof0_in", buf, sizeof(buf)),
			    "\t\tmeta l4proto udp log prefix \"F0:i:0:P\" group 1 return\n"
			    "\t\tlog prefix \"F0:i:1:D\" group 1 drop\n");
	/* No profile that allows: denied. */
	snprintf(name, sizeof(name), "ep%u_in", e2);
	snprintf(want, sizeof(want), "\t\tlog prefix \"R:i:D\" group 1 drop\n");
	assert_string_equal(chain(s, name, buf, sizeof(buf)), want);
	world_free(&w);
}

static void test_ipv6(void **state)
{
	struct world w;
	struct nft_render_opts o;
	struct cidr pods[2];
	struct strbuf b;
	char buf[2048];

	world_load(
		&w,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: six, namespace: y, labels: {v: six}}\n"
		"spec: {nodeName: n1, containers: [{name: c, image: x}]}\n"
		"status:\n  podIP: 10.0.1.6\n  podIPs: [{ip: 10.0.1.6}, {ip: 'fd00::6'}]\n---\n"
		"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		"metadata: {name: g}\nspec:\n  selector: all()\n  ingress:\n"
		"  - action: Allow\n    source: {selector: v == 'six'}\n"
		"  - action: Allow\n    protocol: ICMPv6\n    icmp: {type: 128}\n");
	assert_int_equal(cidr_parse("10.0.0.0/16", &pods[0], NULL), 0);
	assert_int_equal(cidr_parse("fd00::/64", &pods[1], NULL), 0);
	memset(&o, 0, sizeof(o));
	o.pod_cidrs = pods;
	o.npod_cidrs = 2;
	strbuf_init(&b);
	assert_int_equal(nft_render(w.m, &o, &b), 0);
	w.raw = strbuf_steal(&b);
	dump(w.raw);
	w.script = indexed(w.m, w.raw);
	assert_has(w.script, "\tset endpoint_ips6 {\n\t\ttype ipv6_addr\n"
			     "\t\telements = { fd00::6 }\n");
	assert_has(w.script, "\t\tip6 daddr @pod_cidrs6 ip6 daddr != @endpoint_ips6 log prefix "
			     "\"U:i:D\" group 1 drop\n");
	assert_string_equal(chain(w.script, "pol0_in", buf, sizeof(buf)),
			    "\t\tip saddr @as0_e4 log prefix \"P0:i:0:A\" group 1 accept\n"
			    "\t\tip6 saddr @as0_e6 log prefix \"P0:i:0:A\" group 1 accept\n"
			    "\t\tmeta l4proto 58 icmpv6 type 128 log prefix \"P0:i:1:A\" group 1 "
			    "accept\n");
	assert_has(w.script, "\tset as0_e6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n"
			     "\t\telements = { fd00::6 }\n");
	/* Pods only: no prefix sets for this selector?  It is a Calico selector: it has them. */
	assert_has(w.script, "\tset as0_n6 {\n");
	world_free(&w);
}

/* Renders for every node at time now (0: no clock); the script stays in w. */
static const char *render_at(struct world *w, int64_t now)
{
	struct nft_render_opts o;
	struct strbuf b;

	memset(&o, 0, sizeof(o));
	o.now = now;
	strbuf_init(&b);
	assert_int_equal(nft_render(w->m, &o, &b), 0);
	free(w->raw);
	w->raw = strbuf_steal(&b);
	assert_non_null(w->raw);
	dump(w->raw);
	free(w->script);
	w->script = indexed(w->m, w->raw);
	assert_non_null(w->script);
	return w->script;
}

/*
 * Expiring network-set entries become elements with timeouts counted from now: expired ones
 * are left out, permanent beats expiring (an endpoint's address, another set's entry), the
 * later of two expiries wins, and the script says when the timeouts count from.
 */
static void test_timeouts(void **state)
{
	static const char sets[] =
		"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
		"metadata:\n  name: q\n  labels: {block: 'yes'}\n  annotations:\n"
		"    palisade.dev/expires: '{\"198.51.100.1\": \"1970-01-01T00:16:48Z\", "
		"\"198.51.100.2\": \"1970-01-01T00:16:40Z\", \"198.51.100.3\": \"1970-01-01T00:17:00Z\", "
		"\"10.0.0.9\": \"1970-01-01T00:17:00Z\", \"198.51.100.4\": \"1970-01-01T00:17:00Z\", "
		"\"2001:db8::1\": \"1970-01-01T01:00:00Z\", \"198.51.100.5\": \"2999-01-01T00:00:00Z\"}'\n"
		"spec:\n  nets: [198.51.100.1, 198.51.100.2, 198.51.100.3, 10.0.0.9, 198.51.100.4,\n"
		"         \"2001:db8::1\", 198.51.100.5, 192.0.2.0/24]\n---\n"
		"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
		"metadata:\n  name: q2\n  labels: {block: 'yes'}\n  annotations:\n"
		"    palisade.dev/expires: '{\"198.51.100.3\": \"1970-01-01T00:20:00Z\"}'\n"
		"spec:\n  nets: [198.51.100.3, 198.51.100.4]\n---\n"
		"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		"metadata: {name: g}\nspec:\n  selector: all()\n  ingress:\n"
		"  - action: Deny\n    source: {selector: block == 'yes' || app == 'web'}\n---\n"
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: k, namespace: x}\nspec:\n  podSelector: {}\n"
		"  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: db}}\n";
	struct world w;
	const char *s;
	char want[1024];
	uint32_t as, kas;

	world_load(&w, sets);
	as = w.m->pols[policy_rank(w.m, "g")].rules[M_INGRESS][0].src.addrset;
	kas = w.m->pols[policy_rank(w.m, "x/knp.default.k")].rules[M_INGRESS][0].src.addrset;
	s = render_at(&w, 1000);
	/* 198.51.100.1 expires in 8 s; .2 at 1000, now: left out; .3 at 1020 and 1200: the
	 * later; 10.0.0.9 is x/a's address and .4 a permanent entry of q2: permanent; .5 more
	 * than NFT_RENDER_TIMEOUT_MAX away: permanent. */
	assert_true(
		!strncmp(w.raw,
			 "# now=1000 (1970-01-01T00:16:40Z): element timeouts count from "
			 "here\nadd table inet palisade\n",
			 strlen("# now=1000 (1970-01-01T00:16:40Z): element timeouts count from "
				"here\nadd table inet palisade\n")));
	snprintf(want, sizeof(want),
		 "\tset as%u_e4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
		 "\t\telements = { 10.0.0.9,\n"
		 "\t\t\t     198.51.100.1 timeout 8s,\n"
		 "\t\t\t     198.51.100.3 timeout 200s,\n"
		 "\t\t\t     198.51.100.4,\n"
		 "\t\t\t     198.51.100.5 }\n\t}\n"
		 "\tset as%u_n4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		 "\t\telements = { 192.0.2.0/24 }\n\t}\n"
		 "\tset as%u_e6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n"
		 "\t\telements = { 2001:db8::1 timeout 2600s }\n\t}\n",
		 as, as, as);
	assert_has(s, want);
	/* A Kubernetes peer never holds network-set entries: no timeouts. */
	snprintf(want, sizeof(want), "\tset as%u_e4 {\n\t\ttype ipv4_addr\n\t\telements = ", kas);
	assert_has(s, want);
	/* The pod sets are no address sets of rules. */
	assert_lacks(s, "\tset endpoint_ips {\n\t\ttype ipv4_addr\n\t\tflags");

	/* Later: .1 has expired, the others count down; at 1200 .3 goes too. */
	s = render_at(&w, 1007);
	assert_has(s, "\t\telements = { 10.0.0.9,\n\t\t\t     198.51.100.1 timeout 1s,\n"
		      "\t\t\t     198.51.100.3 timeout 193s,\n");
	s = render_at(&w, 1008);
	assert_has(s, "\t\telements = { 10.0.0.9,\n\t\t\t     198.51.100.3 timeout 192s,\n");
	s = render_at(&w, 3600);
	assert_has(s, "\t\telements = { 10.0.0.9,\n\t\t\t     198.51.100.4,\n"
		      "\t\t\t     198.51.100.5 }\n");
	/* Nothing left to time out: no "# now=" line; the sets keep their declarations. */
	assert_true(!strncmp(w.raw, "add table inet palisade\n", 24));
	snprintf(want, sizeof(want),
		 "\tset as%u_e6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n\t}\n", as);
	assert_has(s, want);

	/* No clock: everything present and permanent, as eval sees it. */
	s = render_at(&w, 0);
	assert_lacks(s, "timeout ");
	assert_lacks(w.raw, "# now=");
	assert_has(s, "\t\telements = { 10.0.0.9,\n\t\t\t     198.51.100.1,\n"
		      "\t\t\t     198.51.100.2,\n\t\t\t     198.51.100.3,\n");
	world_free(&w);
}

static void test_rule_ids(void **state)
{
	struct world w;
	struct nft_rule_id id, *v;
	struct strbuf b;
	char buf[256];
	size_t n;
	uint32_t pb, sec;
	struct nft_names names;

	world_load(&w, tiers);
	pb = policy_rank(w.m, "sec.b");
	sec = tier_index(w.m, "sec");

	assert_int_equal(nft_rule_id_parse("P0000001f:i:1:D", &id), 0);
	assert_int_equal(id.kind, NFT_ID_POLICY_RULE);
	assert_int_equal(id.key, 0x1f);
	assert_int_equal(id.policy, UINT32_MAX); /* the model resolves it */
	assert_int_equal(id.dir, M_INGRESS);
	assert_int_equal(id.rule, 1);
	assert_int_equal(id.action, ACTION_DENY);
	nft_rule_id_format(&id, buf, sizeof(buf));
	assert_string_equal(buf, "P0000001f:i:1:D");
	assert_int_equal(nft_rule_id_parse("Tdeadbeef:e:D", &id), 0);
	assert_int_equal(id.kind, NFT_ID_TIER_END);
	assert_int_equal(id.key, 0xdeadbeef);
	assert_int_equal(id.dir, M_EGRESS);
	assert_int_equal(nft_rule_id_parse("R:e:A", &id), 0);
	assert_int_equal(id.kind, NFT_ID_PROFILE_ALLOW);
	assert_int_equal(nft_rule_id_parse("U:i:D", &id), 0);
	assert_int_equal(id.kind, NFT_ID_UNUSED_ADDRESS);
	assert_int_equal(nft_rule_id_parse("F00000003:i:0:P", &id), 0);
	assert_int_equal(id.kind, NFT_ID_PROFILE_RULE);
	assert_int_equal(id.key, 3);
	assert_int_equal(id.action, ACTION_PASS);
	assert_int_equal(nft_rule_id_parse("P0000001f:x:1:D", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("P1:i:1:D", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("P0000001F:i:1:D", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("P0000001f:i:01:D", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("P0000001f:i:1:Q", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("P0000001f:i:1:DD", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("T0000001f:i:A", &id), -EINVAL);
	assert_int_equal(nft_rule_id_parse("", &id), -EINVAL);

	/* The decided strings are eval's; a key the model lacks is refused. */
	assert_int_equal(nft_names_build(w.m, &names), 0);
	snprintf(buf, sizeof(buf), "P%08x:i:1:D", names.pol[pb]);
	assert_int_equal(nft_rule_id_parse(buf, &id), 0);
	nft_rule_id_decided(w.m, &id, MODEL_NONE, buf, sizeof(buf));
	assert_string_equal(buf, "sec|sec.b|Deny|1");
	assert_int_equal(nft_rule_id_resolve(&names, w.m, &id), 0);
	assert_int_equal(id.policy, pb);
	assert_int_equal(id.tier, sec);
	id.rule = 7;
	assert_int_equal(nft_rule_id_decided(w.m, &id, MODEL_NONE, buf, sizeof(buf)), -EINVAL);
	id.key ^= 1;
	id.policy = UINT32_MAX;
	id.rule = 1;
	assert_int_equal(nft_rule_id_resolve(&names, w.m, &id), -ENOENT);
	assert_int_equal(nft_rule_id_decided(w.m, &id, MODEL_NONE, buf, sizeof(buf)), -EINVAL);
	snprintf(buf, sizeof(buf), "T%08x:i:D", names.tier[sec]);
	assert_int_equal(nft_rule_id_parse(buf, &id), 0);
	nft_rule_id_decided(w.m, &id, MODEL_NONE, buf, sizeof(buf));
	assert_string_equal(buf, "sec|end-of-tier|Deny|-1");
	assert_int_equal(nft_rule_id_parse("R:i:A", &id), 0);
	nft_rule_id_decided(w.m, &id, model_find_endpoint(w.m, "y", "a"), buf, sizeof(buf));
	assert_string_equal(buf, "profile|kns.y|Allow|-1");
	assert_int_equal(nft_rule_id_parse("R:i:D", &id), 0);
	nft_rule_id_decided(w.m, &id, MODEL_NONE, buf, sizeof(buf));
	assert_string_equal(buf, "profile|-|Deny|-1");

	/* The table lists every id the script can log, each once. */
	assert_int_equal(nft_rule_ids(w.m, &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		char a[NFT_RULE_ID_LEN], c[NFT_RULE_ID_LEN];
		struct nft_rule_id back;

		nft_rule_id_format(&v[i], a, sizeof(a));
		assert_true(strlen(a) < 64);
		assert_int_equal(nft_rule_id_parse(a, &back), 0);
		nft_rule_id_format(&back, c, sizeof(c));
		assert_string_equal(a, c);
		for (size_t j = 0; j < i; j++) {
			nft_rule_id_format(&v[j], c, sizeof(c));
			assert_string_not_equal(a, c);
		}
	}
	free(v);
	strbuf_init(&b);
	assert_int_equal(nft_rule_ids_print(w.m, &b), 0);
	snprintf(buf, sizeof(buf), "P%08x:i:0:L sec|sec.b|Log|0\n", names.pol[pb]);
	assert_has(strbuf_str(&b), buf);
	assert_has(strbuf_str(&b), "U:i:D no-endpoint|-|Deny|-1\n");
	strbuf_fini(&b);

	/* Every prefix in a script is in the table. */
	render(&w, NULL);
	for (const char *p = strstr(w.raw, "prefix \""); p; p = strstr(p + 1, "prefix \"")) {
		char pre[NFT_RULE_ID_LEN];
		const char *q = strchr(p + 8, '"');

		assert_non_null(q);
		assert_true((size_t)(q - p - 8) < sizeof(pre));
		memcpy(pre, p + 8, (size_t)(q - p - 8));
		pre[q - p - 8] = '\0';
		assert_int_equal(nft_rule_id_parse(pre, &id), 0);
		assert_true(nft_rule_id_decided(w.m, &id, MODEL_NONE, buf, sizeof(buf)) > 0);
	}
	nft_names_fini(&names);
	world_free(&w);
}

/* Every chain and set of a render, as "name\nbody" strings, for comparing two renders. */
static size_t objects(const char *s, char **v, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(s, "\n\tchain "); p && n < max;
	     p = strstr(p + 1, "\n\tchain ")) {
		const char *e = strstr(p, "\n\t}\n");

		assert_non_null(e);
		v[n++] = strndup(p, (size_t)(e - p));
	}
	return n;
}

static bool has_object(char **v, size_t n, const char *o)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], o))
			return true;
	return false;
}

/*
 * Names are stable: a policy added in front of the others (lowest order) changes its own
 * chain and the tier chains that jump to it, nothing else.  With positional names every
 * policy chain ranked after it would have been renamed and rewritten.
 */
static void test_stable_names(void **state)
{
	struct world a, b;
	char *va[256], *vb[256];
	size_t na, nb, changed = 0;

	world_load(&a, tiers);
	world_load(&b, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: sec.first}\nspec:\n  tier: sec\n  order: 0\n"
		       "  selector: app == 'db'\n  ingress:\n  - action: Deny\n"
		       "    protocol: UDP\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec}\n"
		       "spec: {order: 10}\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: plat}\n"
		       "spec: {order: 20, defaultAction: Pass}\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: plat.p}\nspec:\n  tier: plat\n  selector: all()\n"
		       "  ingress:\n  - action: Allow\n    protocol: TCP\n"
		       "    destination: {ports: [9100]}\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: sec.b}\nspec:\n  tier: sec\n  order: 2\n"
		       "  selector: all()\n  ingress:\n  - action: Log\n  - action: Deny\n"
		       "    protocol: TCP\n    destination: {ports: [22]}\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: sec.a}\nspec:\n  tier: sec\n  order: 1\n"
		       "  selector: app == 'db'\n  ingress:\n  - action: Pass\n"
		       "    source: {selector: app == 'web'}\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
		       "metadata: {name: d, namespace: x}\nspec:\n  selector: app == 'db'\n"
		       "  ingress:\n  - action: Allow\n---\n");
	render(&a, NULL);
	render(&b, NULL);
	assert_true(policy_rank(b.m, "sec.a") == policy_rank(a.m, "sec.a") + 1);
	na = objects(a.raw, va, 256);
	nb = objects(b.raw, vb, 256);
	for (size_t i = 0; i < nb; i++)
		changed += !has_object(va, na, vb[i]);
	/* New: the policy chain of sec.first, and for x/b (app=db, the only endpoint it
	 * selects) a new program: its ingress chain and its three tier chains. */
	assert_int_equal(nb, na + 1);
	assert_int_equal(changed, 5);
	for (size_t i = 0; i < na; i++)
		free(va[i]);
	for (size_t i = 0; i < nb; i++)
		free(vb[i]);
	world_free(&a);
	world_free(&b);
}

static void test_ports_and_protocols(void **state)
{
	struct world w;
	const char *s;
	char buf[2048];

	world_load(&w, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: g}\nspec:\n  selector: all()\n  ingress:\n"
		       "  - action: Allow\n    protocol: TCP\n"
		       "    destination: {ports: [90, '80:85', 86, 443], notPorts: ['100:200']}\n"
		       "  - action: Allow\n    protocol: ICMP\n    notICMP: {type: 3, code: 1}\n"
		       "  - action: Allow\n    protocol: ICMP\n    notICMP: {type: 3}\n"
		       "  - action: Allow\n    protocol: ICMP\n    icmp: {type: 8, code: 0}\n"
		       "  - action: Deny\n    protocol: 47\n    notProtocol: UDP\n"
		       "  - action: Deny\n    ipVersion: 4\n    notProtocol: ICMP\n");
	s = render(&w, NULL);
	assert_string_equal(
		chain(s, "pol0_in", buf, sizeof(buf)),
		"\t\tmeta l4proto tcp th dport { 80-86, 90, 443 } th dport != 100-200 log prefix "
		"\"P0:i:0:A\" group 1 accept\n"
		"\t\tmeta l4proto icmp icmp type . icmp code != { 3 . 1 } log prefix \"P0:i:1:A\" "
		"group 1 accept\n"
		"\t\tmeta l4proto icmp icmp type != 3 log prefix \"P0:i:2:A\" group 1 accept\n"
		"\t\tmeta l4proto icmp icmp type 8 icmp code 0 log prefix \"P0:i:3:A\" group 1 "
		"accept\n"
		"\t\tmeta l4proto 47 meta l4proto != udp log prefix \"P0:i:4:D\" group 1 drop\n"
		"\t\tmeta nfproto ipv4 meta l4proto != icmp log prefix \"P0:i:5:D\" group 1 drop\n");
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_no_policy),
		cmocka_unit_test(test_tier_chain_order),
		cmocka_unit_test(test_pass_log_deny_rules),
		cmocka_unit_test(test_named_ports),
		cmocka_unit_test(test_selectors_and_not_selector),
		cmocka_unit_test(test_empty_sets_never_match),
		cmocka_unit_test(test_node_filter),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_stable_names),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_rule_ids),
		cmocka_unit_test(test_ports_and_protocols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
