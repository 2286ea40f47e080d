/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the element delta between two renders: small clusters written inline, changed
 * the way a cluster changes (a pod label, a new pod, a feed's prefixes, a policy), rendered
 * before and after, and the delta checked element by element.  (The netns test checks that
 * the kernel ends up holding what a full apply of the new script would give.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/nft_delta.h"
#include "dataplane/nft_render.h"
#include "lib/diag.h"
#include "lib/model.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* x/a (web, serves http on 80) and x/b (db) on node n1, y/a (db) and y/c (ops) on node n2; a
 * threat feed; a policy that denies the feed, and one for web that allows db on the named
 * port, denies ops and has a rule on a prefix whose action the tests change. */
static const char base[] =
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {ns: x}\n---\n"
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: y\n  labels: {ns: y}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: web}}\n"
	"spec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: nginx\n    ports:\n"
	"    - {name: http, containerPort: 80}\n"
	"status: {podIP: 10.0.0.9}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: %s}}\n"
	"spec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: pg\n"
	"status: {podIP: 10.0.0.2}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: y, labels: {app: db}}\n"
	"spec:\n  nodeName: n2\n  containers:\n  - name: c\n    image: pg\n"
	"status: {podIP: 10.0.1.1}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: feed, labels: {feed: bad}}\nspec: {nets: [%s]}\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
	"metadata: {name: default.feed}\nspec:\n  order: 1\n  selector: all()\n  ingress:\n"
	"  - action: Deny\n    source: {selector: feed == 'bad'}\n  - action: Pass\n---\n"
	"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
	"metadata: {name: default.web}\nspec:\n  order: 10\n  selector: app == 'web'\n"
	"  ingress:\n  - action: Allow\n    protocol: TCP\n    source: {selector: app == 'db'}\n"
	"    destination: {ports: [http]}\n"
	"  - action: Deny\n    source: {selector: app == 'ops'}\n"
	"  - action: %s\n    source: {nets: [172.16.0.0/12]}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: y, labels: {app: ops}}\n"
	"spec:\n  nodeName: n2\n  containers:\n  - name: c\n    image: sh\n"
	"status: {podIP: 10.0.1.2}\n---\n";

/* The clock of the next render() (nft_render_opts.now). */
static int64_t render_now;

/* Renders the cluster for node n1 with b's app label, the feed's nets, the action of the
 * web policy's second rule, and extra documents; returns a malloc'd script. */
static char *render(const char *b_app, const char *nets, const char *action, const char *extra)
{
	struct resource_set rs;
	struct diag_list d;
	struct nft_render_opts o;
	struct cidr pods;
	struct strbuf out;
	struct model *m;
	char *buf, *script;
	size_t n = sizeof(base) + strlen(b_app) + strlen(nets) + strlen(action) + strlen(extra);

	buf = malloc(n);
	assert_non_null(buf);
	snprintf(buf, n, base, b_app, nets, action);
	strcat(buf, extra);
	resource_set_init(&rs);
	diag_list_init(&d);
	assert_int_equal(resource_load_buffer(&rs, buf, strlen(buf), "t.yaml", &d), 0);
	for (size_t i = 0; i < d.n; i++)
		print_message("diag: %d: %s\n", d.v[i].line, d.v[i].msg);
	assert_int_equal(d.errors, 0);
	m = model_build(&rs, &d);
	assert_non_null(m);
	assert_int_equal(cidr_parse("10.0.0.0/16", &pods, NULL), 0);
	memset(&o, 0, sizeof(o));
	o.node = "n1";
	o.pod_cidrs = &pods;
	o.npod_cidrs = 1;
	o.now = render_now;
	strbuf_init(&out);
	assert_int_equal(nft_render(m, &o, &out), 0);
	script = strbuf_steal(&out);
	assert_non_null(script);
	model_free(m);
	resource_set_fini(&rs);
	diag_list_fini(&d);
	free(buf);
	return script;
}

static const char nets0[] = "192.0.2.0/25, 192.0.2.128/25, 198.51.100.7/32";

/* The delta between two scripts as nft commands, or "full" when a full apply is needed. */
static char *delta_text(const char *a, const char *b)
{
	struct nft_delta *d = NULL;
	struct strbuf out;

	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	if (!d)
		return strdup("full");
	strbuf_init(&out);
	nft_delta_format(d, &out);
	nft_delta_free(d);
	return strbuf_steal(&out);
}

static void expect_delta(const char *a, const char *b, const char *want)
{
	char *got = delta_text(a, b);

	if (strcmp(got, want))
		fail_msg("delta:\n%s\nwant:\n%s", got, want);
	free(got);
}

static void test_same(void **state)
{
	char *a = render("db", nets0, "Deny", ""), *b = render("db", nets0, "Deny", "");
	struct nft_delta *d = NULL;

	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	assert_non_null(d);
	assert_int_equal(nft_delta_count(d), 0);
	assert_int_equal(d->nsets, 0);
	nft_delta_free(d);
	free(a);
	free(b);
}

static void test_pod_label(void **state)
{
	char *a = render("db", nets0, "Deny", ""), *b = render("ops", nets0, "Deny", "");
	struct nft_delta *d = NULL;

	/* b leaves the db selector's hash set and joins the ops one; the reverse, back.  Set
	 * and chain names are hashes of what they stand for (nft_names.h), the same in every
	 * render. */
	expect_delta(a, b,
		     "delete element inet palisade aec929737_e4 { 10.0.0.2 }\n"
		     "add element inet palisade a6557a3f7_e4 { 10.0.0.2 }\n");
	expect_delta(b, a,
		     "delete element inet palisade a6557a3f7_e4 { 10.0.0.2 }\n"
		     "add element inet palisade aec929737_e4 { 10.0.0.2 }\n");
	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	assert_non_null(d);
	assert_int_equal(nft_delta_count(d), 2);
	assert_string_equal(d->sets[0].type, "ipv4_addr");
	assert_false(d->sets[0].interval);
	assert_false(d->sets[0].map);
	nft_delta_free(d);
	free(a);
	free(b);
}

static void test_new_pod(void **state)
{
	static const char pod[] =
		"apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: y, labels: {app: web}}\n"
		"spec:\n  nodeName: n2\n  containers:\n  - name: c\n    image: nginx\n"
		"    ports:\n    - {name: http, containerPort: 8080}\n"
		"status: {podIP: 10.0.1.7}\n---\n";
	char *a = render("db", nets0, "Deny", ""), *b = render("db", nets0, "Deny", pod);

	/* A web pod on the other node: its address joins the named-port set only (no chain
	 * here), and it is no endpoint of n1's unused-address check either. */
	expect_delta(a, b,
		     "add element inet palisade endpoint_ips { 10.0.1.7 }\n"
		     "add element inet palisade nc96448a5_4 { 10.0.1.7 . tcp . 8080 }\n");
	free(b);
	/* A second web pod on n1 shares a's program: the verdict maps and the local endpoint
	 * set grow, no chain is added. */
	b = render(
		"db", nets0, "Deny",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: x, labels: {app: web}}\n"
		"spec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: nginx\n"
		"status: {podIP: 10.0.0.7}\n---\n");
	expect_delta(
		a, b,
		"add element inet palisade endpoint_ips { 10.0.0.7 }\n"
		"add element inet palisade ep_ingress { \"cali25187d64f5a\" : jump ed43c1283_in }\n"
		"add element inet palisade ep_egress { \"cali25187d64f5a\" : jump ecf3c6283_eg }\n");
	free(a);
	free(b);
}

static void test_feed(void **state)
{
	char *a = render("db", nets0, "Deny", "");
	char *b = render("db", "192.0.2.0/25, 198.51.100.6/31, 203.0.113.0/24", "Deny", "");
	struct nft_delta *d = NULL;

	/* Single addresses live in the hash set, prefixes (merged) in the interval set: the
	 * address 198.51.100.7 leaves the hash set, 192.0.2.0/24 splits back to /25, and a /31
	 * and a new /24 come in. */
	expect_delta(a, b,
		     "delete element inet palisade a816f3407_e4 { 198.51.100.7 }\n"
		     "delete element inet palisade a816f3407_n4 { 192.0.2.0/24 }\n"
		     "add element inet palisade a816f3407_n4 { 192.0.2.0/25, 198.51.100.6/31, "
		     "203.0.113.0/24 }\n");
	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	assert_non_null(d);
	assert_int_equal(d->nsets, 2);
	assert_false(d->sets[0].interval);
	assert_int_equal(d->sets[0].ndel, 1);
	assert_int_equal(d->sets[0].nadd, 0);
	assert_true(d->sets[1].interval);
	assert_int_equal(d->sets[1].ndel, 1);
	assert_int_equal(d->sets[1].nadd, 3);
	nft_delta_free(d);
	free(a);
	free(b);
}

static void test_policy_change_is_full(void **state)
{
	char *a = render("db", nets0, "Deny", ""), *b = render("db", nets0, "Allow", "");

	expect_delta(a, b, "full");
	free(b);
	/* Emptying the feed empties its sets, but a selector that matches a network set, even an
	 * empty one, keeps its rules: the feed's (or a quarantine set's) next entry is an element
	 * change, not a new rule. */
	b = render("db", "", "Deny", "");
	expect_delta(a, b,
		     "delete element inet palisade a816f3407_e4 { 198.51.100.7 }\n"
		     "delete element inet palisade a816f3407_n4 { 192.0.2.0/24 }\n");
	free(a);
	free(b);
}

/* A quarantine set of the feed's label: x expires at EXP_X (0: no annotation entry), y at
 * 1100; z, when listed, is permanent. */
static char *quarantine(int64_t now, const char *exp_x, bool with_x, bool with_z)
{
	char doc[1024], ann[256];

	snprintf(ann, sizeof(ann), "{%s%s%s\"198.51.100.67\": \"1970-01-01T00:18:20Z\"}",
		 exp_x ? "\"198.51.100.66\": \"" : "", exp_x ? exp_x : "", exp_x ? "\", " : "");
	snprintf(doc, sizeof(doc),
		 "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
		 "metadata:\n  name: palisade.quarantine\n  labels: {feed: bad}\n"
		 "  annotations:\n    palisade.dev/expires: '%s'\n"
		 "spec:\n  nets: [%s198.51.100.67%s]\n---\n",
		 ann, with_x ? "198.51.100.66, " : "", with_z ? ", 198.51.100.68" : "");
	render_now = now;
	return render("db", nets0, "Deny", doc);
}

static void test_timeouts(void **state)
{
	char *a = quarantine(1000, "1970-01-01T00:16:48Z", true, false), *b;
	struct nft_delta *d = NULL;

	/* The same expiries rendered 3 s later: the timeouts' text differs, nothing to send. */
	assert_non_null(strstr(a, "198.51.100.66 timeout 8s"));
	b = quarantine(1003, "1970-01-01T00:16:48Z", true, false);
	assert_non_null(strstr(b, "198.51.100.66 timeout 5s"));
	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	assert_non_null(d);
	assert_int_equal(nft_delta_count(d), 0);
	nft_delta_free(d);
	free(b);
	/* Extended: an add with the new timeout, which updates the element (no delete); it
	 * says "expires" too, so that the kernel restarts the element's clock. */
	b = quarantine(1003, "1970-01-01T00:17:00Z", true, false);
	expect_delta(a, b,
		     "add element inet palisade a816f3407_e4 { 198.51.100.66 timeout 17s expires "
		     "17s }\n");
	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	assert_int_equal(d->nsets, 1);
	assert_int_equal(d->sets[0].ndel + d->sets[0].ngone, 0);
	assert_string_equal(d->sets[0].add[0], "198.51.100.66 timeout 17s");
	nft_delta_free(d);
	free(b);
	/* Removed (the controller pruned it): a gone element, whose delete must hold even when
	 * the kernel expired it first. */
	b = quarantine(1003, NULL, false, false);
	expect_delta(a, b,
		     "add element inet palisade a816f3407_e4 { 198.51.100.66 timeout 1s }\n"
		     "delete element inet palisade a816f3407_e4 { 198.51.100.66 }\n");
	assert_int_equal(nft_delta_compute(a, b, &d), 0);
	assert_int_equal(d->sets[0].ngone, 1);
	assert_int_equal(d->sets[0].ndel, 0);
	assert_string_equal(d->sets[0].gone[0], "198.51.100.66");
	assert_int_equal(nft_delta_count(d), 1);
	nft_delta_free(d);
	free(b);
	/* Expired by the clock alone: the same. */
	b = quarantine(1008, "1970-01-01T00:16:48Z", true, false);
	assert_null(strstr(b, "198.51.100.66"));
	expect_delta(a, b,
		     "add element inet palisade a816f3407_e4 { 198.51.100.66 timeout 1s }\n"
		     "delete element inet palisade a816f3407_e4 { 198.51.100.66 }\n");
	free(b);
	/* Timed to permanent (its expiry removed) and a new permanent entry: plain adds. */
	b = quarantine(1003, NULL, true, true);
	expect_delta(a, b,
		     "add element inet palisade a816f3407_e4 { 198.51.100.66, 198.51.100.68 }\n");
	/* And back: permanent to timed is an add with a timeout, the new entry a strict
	 * delete. */
	free(a);
	a = quarantine(1005, "1970-01-01T00:16:48Z", true, false);
	expect_delta(b, a,
		     "delete element inet palisade a816f3407_e4 { 198.51.100.68 }\n"
		     "add element inet palisade a816f3407_e4 { 198.51.100.66 timeout 3s expires "
		     "3s }\n");
	free(a);
	free(b);
	render_now = 0;
}

static void test_malformed(void **state)
{
	static const char ok[] = "table inet palisade {\n\tset s {\n\t\ttype ipv4_addr\n"
				 "\t\telements = { 10.0.0.1,\n\t\t\t     10.0.0.2 }\n\t}\n}\n";
	static const char open_list[] = "table inet palisade {\n\tset s {\n\t\ttype ipv4_addr\n"
					"\t\telements = { 10.0.0.1,\n\t}\n}\n";
	static const char one_line[] = "table inet palisade {\n\tset s {\n\t\ttype ipv4_addr\n"
				       "\t\telements = { 10.0.0.3 }\n\t}\n}\n";
	static const char vmap_a[] = "table inet palisade {\n\tmap m {\n\t\ttype ifname : verdict\n"
				     "\t\telements = { \"cali1\" : jump ep0_in }\n\t}\n"
				     "\tchain ep0_in {\n\t}\n\tchain ep1_in {\n\t}\n}\n";
	static const char vmap_b[] = "table inet palisade {\n\tmap m {\n\t\ttype ifname : verdict\n"
				     "\t\telements = { \"cali1\" : jump ep1_in }\n\t}\n"
				     "\tchain ep0_in {\n\t}\n\tchain ep1_in {\n\t}\n}\n";
	static const char timed[] = "# now=100 (x)\ntable inet palisade {\n\tset s {\n"
				    "\t\ttype ipv4_addr\n\t\tflags timeout\n"
				    "\t\telements = { 10.0.0.1 timeout 5s,\n\t\t\t     10.0.0.2 }\n"
				    "\t}\n}\n";
	char *bad;

	expect_delta(ok, open_list, "full");
	expect_delta(ok, one_line,
		     "delete element inet palisade s { 10.0.0.1, 10.0.0.2 }\n"
		     "add element inet palisade s { 10.0.0.3 }\n");
	/* A map entry whose target changes: deleted by key, added with the new verdict. */
	expect_delta(vmap_a, vmap_b,
		     "delete element inet palisade m { \"cali1\" }\n"
		     "add element inet palisade m { \"cali1\" : jump ep1_in }\n");
	expect_delta("", "", "");
	expect_delta(ok, "", "full");
	/* Timeouts: "<N>s" with N > 0, counted from the "# now=" line, which must be there. */
	expect_delta(ok, timed, "full"); /* the flags differ */
	expect_delta(timed, timed, "");
	expect_delta(timed, timed + strlen("# now=100 (x)\n"), "full");
	expect_delta(timed, "# now=0\n", "full");
	bad = strdup(timed);
	assert_non_null(bad);
	memcpy(strstr(bad, "5s"), "0s", 2);
	expect_delta(timed, bad, "full");
	memcpy(strstr(bad, "0s"), "5m", 2);
	expect_delta(timed, bad, "full");
	memcpy(strstr(bad, "5m"), "6s", 2);
	expect_delta(timed, bad,
		     "add element inet palisade s { 10.0.0.1 timeout 6s expires 6s }\n");
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_pod_label),
		cmocka_unit_test(test_new_pod),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_policy_change_is_full),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
