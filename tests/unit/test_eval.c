/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of model, calc, convert, eval and lint: small clusters written inline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/diag.h"
#include "lib/eval.h"
#include "lib/lint.h"
#include "lib/model.h"
#include "lib/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cluster[] =
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {ns: x}\n---\n"
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: y\n  labels: {ns: y}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {pod: a, app: web}}\n"
	"spec:\n  containers:\n  - name: c\n    image: nginx\n    ports:\n    - {name: http, containerPort: 80}\n"
	"status: {podIP: 10.0.0.1}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {pod: b, app: db}}\n"
	"spec:\n  containers:\n  - name: c\n    image: nginx\n    ports:\n    - {name: http, containerPort: 81}\n"
	"status: {podIP: 10.0.0.2}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: y, labels: {pod: a}}\n"
	"spec:\n  containers:\n  - name: c\n    image: nginx\nstatus: {podIP: 10.0.1.1}\n---\n"
	"apiVersion: palisade.dev/v1alpha1\nkind: Lab\nmetadata: {name: lab}\n"
	"spec:\n  externalHosts:\n  - {name: client, ip: 203.0.113.10}\n"
	"  - {name: attacker, ip: 198.51.100.66}\n---\n";

struct world {
	struct resource_set rs;
	struct model *m;
	struct diag_list d;
};

static void world_load(struct world *w, const char *extra)
{
	size_t n = strlen(cluster) + strlen(extra) + 1;
	char *buf = malloc(n);
	int rc;

	snprintf(buf, n, "%s%s", cluster, extra);
	resource_set_init(&w->rs);
	diag_list_init(&w->d);
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
	model_free(w->m);
	resource_set_fini(&w->rs);
	diag_list_fini(&w->d);
}

/* Evaluates from -> to on proto/port and checks the verdict and both "decided" strings
 * (NULL to skip a check). */
static void check(struct world *w, const char *from, const char *to, const char *proto, int port,
		  bool allowed, const char *egress, const char *ingress)
{
	struct eval_flow f;
	struct eval_verdict eg, in;
	char buf[512];

	memset(&f, 0, sizeof(f));
	assert_int_equal(eval_resolve(w->m, from, &f.src), 0);
	assert_int_equal(eval_resolve(w->m, to, &f.dst), 0);
	assert_int_equal(proto_parse(proto, &f.proto), 0);
	f.dport = (uint16_t)port;
	f.sport = 32768;
	f.icmp_type = f.icmp_code = -1;
	if (eval_flow(w->m, &f, true, &eg, &in) != allowed)
		fail_msg("%s -> %s %s/%d: expected %s", from, to, proto, port,
			 allowed ? "allowed" : "denied");
	if (egress) {
		eval_decided(w->m, &eg, buf, sizeof(buf));
		assert_string_equal(buf, egress);
	}
	if (ingress) {
		eval_decided(w->m, &in, buf, sizeof(buf));
		assert_string_equal(buf, ingress);
	}
}

static void test_no_policy_profile_allows(void **state)
{
	struct world w;

	world_load(&w, "");
	check(&w, "x/a", "y/a", "TCP", 80, true, "profile|kns.x|Allow|-1",
	      "profile|kns.y|Allow|-1");
	check(&w, "client", "x/a", "UDP", 53, true, "unmanaged|-|Allow|-1",
	      "profile|kns.x|Allow|-1");
	check(&w, "x/a", "8.8.8.8", "TCP", 443, true, "profile|kns.x|Allow|-1",
	      "unmanaged|-|Allow|-1");
	world_free(&w);
}

static void test_k8s_isolation_and_allow(void **state)
{
	struct world w;

	world_load(&w, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		       "metadata: {name: web, namespace: x}\nspec:\n"
		       "  podSelector: {matchLabels: {app: web}}\n"
		       "  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: db}}\n"
		       "    ports:\n    - port: 80\n");
	check(&w, "x/b", "x/a", "TCP", 80, true, NULL, "default|x/knp.default.web|Allow|0");
	check(&w, "x/b", "x/a", "TCP", 81, false, NULL, "default|end-of-tier|Deny|-1");
	check(&w, "x/b", "x/a", "UDP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	/* podSelector alone means the policy's own namespace. */
	check(&w, "y/a", "x/a", "TCP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	/* x/b is not selected: not isolated. */
	check(&w, "y/a", "x/b", "TCP", 80, true, NULL, "profile|kns.x|Allow|-1");
	world_free(&w);
}

static void test_k8s_named_port_per_destination(void **state)
{
	struct world w;

	world_load(&w, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		       "metadata: {name: http, namespace: x}\nspec:\n  podSelector: {}\n"
		       "  ingress:\n  - ports:\n    - port: http\n");
	check(&w, "y/a", "x/a", "TCP", 80, true, NULL, NULL);
	check(&w, "y/a", "x/a", "TCP", 81, false, NULL, NULL);
	check(&w, "y/a", "x/b", "TCP", 81, true, NULL, NULL);
	check(&w, "y/a", "x/b", "TCP", 80, false, NULL, NULL);
	check(&w, "y/a", "x/a", "UDP", 80, false, NULL, NULL);
	world_free(&w);
}

static void test_calico_tiers_pass_log(void **state)
{
	struct world w;

	world_load(&w,
		   "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n"
		   "spec: {order: 10}\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		   "metadata: {name: security.log-then-pass}\nspec:\n  tier: security\n  order: 1\n"
		   "  selector: all()\n  ingress:\n  - action: Log\n  - action: Deny\n"
		   "    source: {nets: [198.51.100.0/24]}\n  - action: Pass\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
		   "metadata: {name: allow-web, namespace: x}\nspec:\n  order: 5\n"
		   "  selector: app == 'web'\n  ingress:\n  - action: Allow\n    protocol: TCP\n"
		   "    destination: {ports: ['80:81']}\n");
	check(&w, "attacker", "x/a", "TCP", 80, false, NULL,
	      "security|security.log-then-pass|Deny|1");
	check(&w, "client", "x/a", "TCP", 81, true, NULL, "default|x/allow-web|Allow|0");
	/* Passed by security, then x/allow-web selects x/a: end of tier default denies UDP. */
	check(&w, "client", "x/a", "UDP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	/* x/b: security passes, no policy of default selects it: the profile allows. */
	check(&w, "client", "x/b", "UDP", 80, true, NULL, "profile|kns.x|Allow|-1");
	world_free(&w);
}

static void test_netset_and_not_selector(void **state)
{
	struct world w;

	world_load(&w,
		   "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
		   "metadata: {name: threatfeed.x, labels: {security-action: block}}\n"
		   "spec: {nets: [198.51.100.0/24]}\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		   "metadata: {name: default.blockthreats}\nspec:\n  tier: default\n"
		   "  selector: all()\n  types: [Ingress]\n  ingress:\n  - action: Deny\n"
		   "    source:\n      selector: security-action == 'block'\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		   "metadata: {name: not-web}\nspec:\n  order: 1\n"
		   "  selector: projectcalico.org/namespace == 'y'\n  ingress:\n  - action: Allow\n"
		   "    source: {notSelector: app == 'web'}\n---\n"
		   "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
		   "metadata: {name: ns-not-web, namespace: x}\nspec:\n  order: 1\n"
		   "  selector: app == 'db'\n  ingress:\n  - action: Allow\n"
		   "    source: {notSelector: app == 'web'}\n");
	check(&w, "attacker", "x/a", "TCP", 80, false, NULL, "default|default.blockthreats|Deny|0");
	/* Calico semantics: everything else also falls to the end of tier default. */
	check(&w, "client", "x/a", "TCP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	/* not-web (global, order 1) runs first: notSelector matches the unknown client... */
	check(&w, "client", "y/a", "TCP", 80, true, NULL, "default|not-web|Allow|0");
	/* ...but not x/a (app == web). */
	check(&w, "x/a", "y/a", "TCP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	/* In a namespaced policy the notSelector rule is limited to its namespace: x/b's own
	 * namespace peers that are not web match, the external client does not. */
	check(&w, "y/a", "x/b", "TCP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	check(&w, "client", "x/b", "TCP", 80, false, NULL, "default|end-of-tier|Deny|-1");
	check(&w, "x/b", "x/b", "TCP", 80, true, "loopback|-|Allow|-1", "loopback|-|Allow|-1");
	world_free(&w);
}

static void test_lint_blockthreats(void **state)
{
	struct world w;
	struct diag_list d;
	int n;

	world_load(&w, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		       "metadata: {name: default.blockthreats}\nspec:\n  tier: default\n"
		       "  selector: all()\n  types: [Ingress]\n  ingress:\n  - action: Deny\n"
		       "    source:\n      selector: security-action == 'block'\n---\n"
		       "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		       "metadata: {name: deny-all, namespace: x}\nspec:\n  podSelector: {}\n");
	diag_list_init(&d);
	n = lint_model(w.m, &d);
	assert_int_equal(n, 1);
	assert_int_equal(d.errors, 0);
	assert_non_null(strstr(d.v[0].msg, "default.blockthreats"));
	assert_non_null(strstr(d.v[0].msg, "end-of-tier drop"));
	assert_non_null(strstr(d.v[0].msg, "Pass"));
	diag_list_fini(&d);
	world_free(&w);
}

/* An incremental label change must give exactly what a fresh build gives. */
static void test_incremental_equals_rebuild(void **state)
{
	static const char *apps[] = {"web", "db", "cache"};
	struct world w;
	unsigned seed = 7;
	const char *policies =
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: web, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: web}}\n"
		"  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: db}}\n---\n"
		"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		"metadata: {name: cache}\nspec:\n  selector: app == 'cache'\n"
		"  ingress:\n  - action: Allow\n    source:\n      selector: app in {'web', 'db'}\n";

	world_load(&w, policies);
	for (int round = 0; round < 20; round++) {
		uint32_t ep = (uint32_t)(rand_r(&seed) % w.m->neps);
		struct label *l = arena_alloc(&w.rs.arena, 2 * sizeof(*l));
		struct labels ls = {l, 2};
		struct resource *r = (struct resource *)w.m->eps[ep].res;
		struct model *fresh;
		struct diag_list d;

		l[0].key = "app";
		l[0].value = apps[rand_r(&seed) % 3];
		l[1].key = "pod";
		l[1].value = w.m->eps[ep].name;
		assert_int_equal(model_set_endpoint_labels(w.m, ep, &ls), 0);
		/* The oracle: the same change written into the resource, built from scratch. */
		r->meta.labels = ls;
		diag_list_init(&d);
		fresh = model_build(&w.rs, &d);
		assert_non_null(fresh);
		for (uint32_t s = 0; s < w.m->neps; s++)
			for (uint32_t t = 0; t < w.m->neps; t++) {
				struct eval_flow f;
				struct eval_verdict a1, a2, b1, b2;

				memset(&f, 0, sizeof(f));
				eval_addr_from_ip(w.m, &w.m->eps[s].ips[0], &f.src);
				eval_addr_from_ip(w.m, &w.m->eps[t].ips[0], &f.dst);
				f.proto = PROTO_TCP;
				f.dport = 80;
				f.icmp_type = f.icmp_code = -1;
				assert_int_equal(eval_flow(w.m, &f, false, &a1, &b1),
						 eval_flow(fresh, &f, false, &a2, &b2));
				assert_int_equal(a1.reason, a2.reason);
				assert_int_equal(b1.reason, b2.reason);
				assert_int_equal(b1.policy, b2.policy);
			}
		model_free(fresh);
		diag_list_fini(&d);
	}
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_policy_profile_allows),
		cmocka_unit_test(test_k8s_isolation_and_allow),
		cmocka_unit_test(test_k8s_named_port_per_destination),
		cmocka_unit_test(test_calico_tiers_pass_log),
		cmocka_unit_test(test_netset_and_not_selector),
		cmocka_unit_test(test_lint_blockthreats),
		cmocka_unit_test(test_incremental_equals_rebuild),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
