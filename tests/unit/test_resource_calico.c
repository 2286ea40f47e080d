/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the Calico kinds (policies, rules, tiers, network sets, endpoints,
 * profiles), GlobalThreatFeed, GlobalAlert and Lab: every default, and the errors of each.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/diag.h"
#include "lib/resource.h"

#include "resource_fixture.h"

/* ---- policies ------------------------------------------------------------------------------- */

static void test_policy_defaults(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: NetworkPolicy\n"
			    "metadata: {name: allow-web}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: default.both}\n"
			    "spec:\n"
			    "  ingress: [{action: Allow}]\n"
			    "  egress: [{action: Deny}]\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: out}\n"
			    "spec: {egress: [{action: Pass}], types: []}\n");
	const struct res_calico_policy *p;

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 3);
	assert_int_equal(f->s.v[0]->kind, RES_NETWORK_POLICY);
	p = &f->s.v[0]->u.policy;
	assert_string_equal(f->s.v[0]->meta.namespace_, "default");
	assert_string_equal(p->tier, "default");
	assert_string_equal(p->selector, "all()");
	assert_false(p->has_order);
	assert_null(p->namespace_selector);
	assert_null(p->sa_selector);
	assert_false(p->types_explicit);
	assert_true(p->ingress_type); /* no rules at all -> Ingress */
	assert_false(p->egress_type);
	p = &f->s.v[1]->u.policy;
	assert_true(p->ingress_type && p->egress_type);
	p = &f->s.v[2]->u.policy;
	assert_false(p->types_explicit); /* an empty list is the same as none */
	assert_false(p->ingress_type);
	assert_true(p->egress_type);
	assert_int_equal(p->egress[0].action, ACTION_PASS);
	done(f);
}

static void test_policy_fields(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: security.web}\n"
			    "spec:\n"
			    "  tier: security\n"
			    "  order: -2.5\n"
			    "  selector: app == 'web'\n"
			    "  namespaceSelector: has(team)\n"
			    "  serviceAccountSelector: role == 'front'\n"
			    "  performanceHints: [AssumeNeededOnEveryNode]\n"
			    "  types: [Egress]\n"
			    "  ingress:\n"
			    "  - action: Log\n"
			    "    protocol: 47\n"
			    "    metadata: {annotations: {name: log-gre, other: x}}\n"
			    "  egress:\n"
			    "  - action: Allow\n"
			    "    protocol: UDPLite\n"
			    "    notProtocol: \"17\"\n"
			    "    ipVersion: 6\n"
			    "    source:\n"
			    "      nets: [\"fd00::/8\"]\n"
			    "      notNets: [\"fd00:1::1\"]\n"
			    "      selector: has(a)\n"
			    "      notSelector: b == 'c'\n"
			    "      namespaceSelector: global()\n"
			    "      serviceAccounts: {names: [web, api], selector: x == 'y'}\n"
			    "    destination:\n"
			    "      ports: [80, \"443\", \"1000:2000\", http]\n"
			    "      notPorts: [\"8080:8081\"]\n"
			    "  - action: Deny\n"
			    "    protocol: ICMPv6\n"
			    "    icmp: {type: 128, code: 0}\n"
			    "    notICMP: {type: 1}\n");
	const struct res_calico_policy *p;
	const struct calico_rule *r;

	(void)state;
	assert_clean(f);
	p = &only(f, RES_GLOBAL_NETWORK_POLICY)->u.policy;
	assert_string_equal(p->tier, "security");
	assert_true(p->has_order);
	assert_true(p->order == -2.5);
	assert_string_equal(p->selector, "app == 'web'");
	assert_string_equal(p->namespace_selector, "has(team)");
	assert_string_equal(p->sa_selector, "role == 'front'");
	assert_true(p->types_explicit);
	assert_false(p->ingress_type); /* types says so, whatever the rules */
	assert_true(p->egress_type);
	assert_int_equal(p->ningress, 1);
	r = &p->ingress[0];
	assert_int_equal(r->action, ACTION_LOG);
	assert_true(r->has_protocol);
	assert_int_equal(r->protocol, 47);
	assert_string_equal(r->name, "log-gre");
	assert_int_equal(r->loc.line, 13);
	assert_false(r->icmp.present);
	assert_int_equal(r->icmp.type, -1);
	r = &p->egress[0];
	assert_int_equal(r->loc.line, 17);
	assert_int_equal(r->protocol, PROTO_UDPLITE);
	assert_true(r->has_not_protocol);
	assert_int_equal(r->not_protocol, PROTO_UDP);
	assert_int_equal(r->ip_version, 6);
	assert_null(r->name);
	assert_int_equal(r->src.nnets, 1);
	assert_int_equal(r->src.nets[0].len, 8);
	assert_int_equal(r->src.nnot_nets, 1);
	assert_int_equal(r->src.not_nets[0].len, 128);
	assert_string_equal(r->src.selector, "has(a)");
	assert_string_equal(r->src.not_selector, "b == 'c'");
	assert_string_equal(r->src.namespace_selector, "global()");
	assert_true(r->src.has_service_accounts);
	assert_int_equal(r->src.nsa_names, 2);
	assert_string_equal(r->src.sa_names[1], "api");
	assert_string_equal(r->src.sa_selector, "x == 'y'");
	assert_int_equal(r->dst.nports, 4);
	assert_int_equal(r->dst.ports[0].lo, 80);
	assert_int_equal(r->dst.ports[0].hi, 80);
	assert_int_equal(r->dst.ports[1].lo, 443);
	assert_int_equal(r->dst.ports[2].lo, 1000);
	assert_int_equal(r->dst.ports[2].hi, 2000);
	assert_string_equal(r->dst.ports[3].name, "http");
	assert_int_equal(r->dst.ports[3].lo, 0);
	assert_int_equal(r->dst.nnot_ports, 1);
	assert_int_equal(r->dst.not_ports[0].hi, 8081);
	assert_null(r->dst.selector);
	assert_false(r->dst.has_service_accounts);
	r = &p->egress[1];
	assert_true(r->icmp.present);
	assert_int_equal(r->icmp.type, 128);
	assert_int_equal(r->icmp.code, 0);
	assert_true(r->not_icmp.present);
	assert_int_equal(r->not_icmp.type, 1);
	assert_int_equal(r->not_icmp.code, -1);
	done(f);
}

static void test_rule_errors(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: r}\n"
			    "spec:\n"
			    "  ingress:\n"
			    "  - protocol: ICMP\n"
			    "    ipVersion: 6\n"
			    "    icmp: {code: 3}\n"
			    "    notICMP: {type: 255}\n"
			    "  - action: Allow\n"
			    "    notProtocol: TCP\n"
			    "    destination: {ports: [80]}\n"
			    "  - action: Allow\n"
			    "    protocol: TCP\n"
			    "    ipVersion: 4\n"
			    "    source:\n"
			    "      nets: [\"fd00::/8\"]\n"
			    "      services: {name: x}\n"
			    "    http: {methods: [GET]}\n"
			    "  - action: allow\n"
			    "    notProtocol: 0\n"
			    "    ipVersion: 5\n"
			    "    icmp: {type: 8}\n"
			    "    destination:\n"
			    "      ports: [0, \"2:1\", \"1:70000\", Http, 1.5]\n"
			    "      nets: [10.0.0.0/8, \"fd00::/8\", 300.0.0.0/8]\n"
			    "      selector: \"a ==\"\n"
			    "      serviceAccount: {}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(f, "t.yaml:6: GlobalNetworkPolicy r: spec.ingress[0].action: required"));
	assert_true(has(
		f,
		"t.yaml:7: GlobalNetworkPolicy r: spec.ingress[0].ipVersion: must be 4 with protocol ICMP"));
	assert_true(has(
		f,
		"t.yaml:8: GlobalNetworkPolicy r: spec.ingress[0].icmp.code: requires an ICMP type"));
	assert_true(has(
		f,
		"t.yaml:9: GlobalNetworkPolicy r: spec.ingress[0].notICMP.type: 255 is not between 0 and 254"));
	assert_true(has(
		f,
		"t.yaml:12: GlobalNetworkPolicy r: spec.ingress[1].destination.ports: ports are only valid with protocol TCP, UDP, SCTP or UDPLite"));
	assert_true(has(
		f,
		"t.yaml:17: GlobalNetworkPolicy r: spec.ingress[2].source.nets[0]: fd00::/8 is IPv6 but the rule's ipVersion is 4"));
	assert_true(has(
		f,
		"t.yaml:18: GlobalNetworkPolicy r: spec.ingress[2].source.services: not supported by Palisade (match the service's pods with a selector instead)"));
	assert_true(has(
		f,
		"t.yaml:19: GlobalNetworkPolicy r: spec.ingress[2].http: not supported by Palisade (HTTP matches need a proxy)"));
	assert_true(has(
		f,
		"t.yaml:20: GlobalNetworkPolicy r: spec.ingress[3].action: \"allow\" is not one of Allow, Deny, Log, Pass (did you mean \"Allow\"?)"));
	assert_true(has(
		f,
		"t.yaml:21: GlobalNetworkPolicy r: spec.ingress[3].notProtocol: 0 is not between 1 and 255"));
	assert_true(has(
		f, "t.yaml:22: GlobalNetworkPolicy r: spec.ingress[3].ipVersion: must be 4 or 6"));
	assert_true(has(
		f,
		"t.yaml:23: GlobalNetworkPolicy r: spec.ingress[3].icmp: only valid with protocol ICMP or ICMPv6"));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy r: spec.ingress[3].destination.ports[0]: 0 is not between 1 and 65535"));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy r: spec.ingress[3].destination.ports[1]: \"2:1\" is not a valid port range: 2 is greater than 1"));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy r: spec.ingress[3].destination.ports[2]: \"1:70000\" is not a valid port range: ports must be between 1 and 65535"));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy r: spec.ingress[3].destination.ports[3]: \"Http\" is not a port, a range \"lo:hi\" or a valid port name: must consist of lowercase letters, digits and '-'"));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy r: spec.ingress[3].destination.ports[4]: expected an integer, found \"1.5\""));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy r: spec.ingress[3].destination.ports: ports are only valid with protocol TCP, UDP, SCTP or UDPLite"));
	assert_true(has(
		f,
		"t.yaml:26: GlobalNetworkPolicy r: spec.ingress[3].destination.nets[2]: \"300.0.0.0/8\" is not a valid CIDR"));
	assert_true(has(
		f,
		"t.yaml:27: GlobalNetworkPolicy r: spec.ingress[3].destination.selector: invalid selector \"a ==\": column 5: expected a quoted string after \"==\", found end of input"));
	assert_true(has(
		f,
		"t.yaml:28: GlobalNetworkPolicy r: spec.ingress[3].destination.serviceAccount: unknown field (did you mean \"serviceAccounts\"?)"));
	done(f);
}

static void test_rule_bad_protocol_no_cascade(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: c}\n"
			    "spec:\n"
			    "  ingress:\n"
			    "  - action: Allow\n"
			    "    protocol: TPC\n"
			    "    icmp: {type: 8}\n"
			    "    destination: {ports: [80]}\n");

	(void)state;
	/* Only the protocol is wrong; what depends on it is not reported again. */
	assert_int_equal(f->d.errors, 1);
	assert_true(has(
		f,
		"t.yaml:7: GlobalNetworkPolicy c: spec.ingress[0].protocol: \"TPC\" is not a protocol: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255"));
	done(f);
}

static void test_rule_mixed_families(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: m}\n"
			    "spec:\n"
			    "  egress:\n"
			    "  - action: Allow\n"
			    "    source: {nets: [10.0.0.0/8]}\n"
			    "    destination: {notNets: [\"fd00::/8\"]}\n"
			    "  - action: Allow\n"
			    "    protocol: ICMPv6\n"
			    "    ipVersion: 4\n");

	(void)state;
	assert_true(has(
		f,
		"t.yaml:8: GlobalNetworkPolicy m: spec.egress[0].destination.notNets[0]: fd00::/8 is IPv6 but the rule already matches IPv4 addresses; one rule cannot mix them"));
	assert_true(has(
		f,
		"t.yaml:11: GlobalNetworkPolicy m: spec.egress[1].ipVersion: must be 6 with protocol ICMPv6"));
	assert_int_equal(f->d.errors, 2);
	done(f);
}

static void test_policy_errors(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: NetworkPolicy\n"
			    "metadata: {name: x.y.z, namespace: n}\n"
			    "spec:\n"
			    "  tier: Bad_Tier\n"
			    "  order: \"100\"\n"
			    "  namespaceSelector: all()\n"
			    "  doNotTrack: true\n"
			    "  types: [Ingress, Ingress, Both]\n"
			    "  selectr: all()\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: web.allow}\n"
			    "spec: {selector: global()}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: allow}\n"
			    "spec: {tier: security, serviceAccountSelector: \"x ==\"}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: default.ok}\n"
			    "spec: {order: .inf}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:3: NetworkPolicy n/x.y.z: metadata.name: \"x.y.z\" is not a valid policy name: use lowercase letters, digits and '-', with at most one '.' after the tier name"));
	assert_true(has(
		f,
		"t.yaml:5: NetworkPolicy n/x.y.z: spec.tier: \"Bad_Tier\" is not a valid tier name: must consist of lowercase letters, digits and '-', and start and end with a letter or digit"));
	assert_true(has(
		f,
		"t.yaml:6: NetworkPolicy n/x.y.z: spec.order: expected a number, found a string"));
	assert_true(has(
		f,
		"t.yaml:7: NetworkPolicy n/x.y.z: spec.namespaceSelector: only valid in a GlobalNetworkPolicy"));
	assert_true(has(
		f,
		"t.yaml:8: NetworkPolicy n/x.y.z: spec.doNotTrack: only valid in a GlobalNetworkPolicy"));
	assert_true(
		has(f, "t.yaml:9: NetworkPolicy n/x.y.z: spec.types[1]: Ingress is listed twice"));
	assert_true(has(
		f,
		"t.yaml:9: NetworkPolicy n/x.y.z: spec.types[2]: \"Both\" is not one of Ingress, Egress"));
	assert_true(has(
		f,
		"t.yaml:10: NetworkPolicy n/x.y.z: spec.selectr: unknown field (did you mean \"selector\"?)"));
	assert_true(has(
		f,
		"t.yaml:14: GlobalNetworkPolicy web.allow: metadata.name: a policy in tier \"default\" must be named \"<name>\" or \"default.<name>\""));
	assert_true(has(
		f,
		"t.yaml:15: GlobalNetworkPolicy web.allow: spec.selector: global() can only be used in a rule's namespaceSelector"));
	assert_true(has(
		f,
		"t.yaml:19: GlobalNetworkPolicy allow: metadata.name: a policy in tier \"security\" must be named \"security.<name>\""));
	assert_true(has(
		f,
		"t.yaml:20: GlobalNetworkPolicy allow: spec.serviceAccountSelector: invalid selector \"x ==\": column 5: expected a quoted string after \"==\", found end of input"));
	assert_true(has(
		f,
		"t.yaml:25: GlobalNetworkPolicy default.ok: spec.order: \".inf\" is not a finite number"));
	done(f);
}

static void test_gnp_host_flags(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: hep}\n"
			    "spec:\n"
			    "  preDNAT: true\n"
			    "  applyOnForward: true\n"
			    "  ingress: [{action: Deny}]\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: bad}\n"
			    "spec:\n"
			    "  doNotTrack: true\n"
			    "  preDNAT: true\n"
			    "  types: [Egress]\n"
			    "  egress: [{action: Allow}]\n");

	(void)state;
	assert_int_equal(f->s.n, 1); /* the first is valid, with warnings */
	assert_true(f->s.v[0]->u.policy.pre_dnat);
	assert_true(f->s.v[0]->u.policy.apply_on_forward);
	assert_false(f->s.v[0]->u.policy.do_not_track);
	assert_true(has(
		f,
		"t.yaml:5: warning: GlobalNetworkPolicy hep: spec.preDNAT: not enforced by Palisade yet"));
	assert_true(has(
		f,
		"t.yaml:6: warning: GlobalNetworkPolicy hep: spec.applyOnForward: not enforced by Palisade yet"));
	assert_true(has(
		f,
		"t.yaml:14: GlobalNetworkPolicy bad: spec.preDNAT: preDNAT and doNotTrack cannot both be true"));
	assert_true(has(
		f,
		"t.yaml:16: GlobalNetworkPolicy bad: spec.egress: a preDNAT policy cannot have egress rules"));
	assert_true(has(
		f,
		"t.yaml:15: GlobalNetworkPolicy bad: spec.types: a preDNAT policy cannot have type Egress"));
	assert_true(has(
		f,
		"t.yaml:13: GlobalNetworkPolicy bad: spec.applyOnForward: must be true when preDNAT or doNotTrack is true"));
	assert_int_equal(f->d.errors, 4);
	done(f);
}

static void test_policy_names(void **state)
{
	static const char *const good[] = {"a", "default.a", "sec.a-b", "knp.default.x.y"};
	static const char *const bad[] = {"A", "a..b", "-a", "a.b.c"};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct fx *f;

		snprintf(buf, sizeof(buf),
			 "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
			 "metadata: {name: \"%s\"}\nspec: {tier: %s}\n",
			 good[i], strncmp(good[i], "sec.", 4) == 0 ? "sec" : "default");
		f = load(buf);
		assert_clean(f);
		done(f);
		snprintf(buf, sizeof(buf),
			 "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
			 "metadata: {name: \"%s\"}\n",
			 bad[i]);
		f = load(buf);
		assert_int_equal(f->s.n, 0);
		assert_int_equal(f->d.errors, 1);
		done(f);
	}
}

/* ---- Tier, network sets --------------------------------------------------------------------- */

static void test_tier(void **state)
{
	struct fx *f =
		load("apiVersion: projectcalico.org/v3\nkind: Tier\n"
		     "metadata: {name: security}\nspec: {order: 100, defaultAction: Pass}\n"
		     "---\n"
		     "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: last}\n");

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 2);
	assert_true(f->s.v[0]->u.tier.has_order);
	assert_true(f->s.v[0]->u.tier.order == 100);
	assert_int_equal(f->s.v[0]->u.tier.default_action, ACTION_PASS);
	assert_false(f->s.v[1]->u.tier.has_order);
	assert_int_equal(f->s.v[1]->u.tier.default_action, ACTION_DENY);
	done(f);

	f = load("apiVersion: projectcalico.org/v3\nkind: Tier\n"
		 "metadata: {name: a.b}\nspec: {defaultAction: Allow, order: x}\n");
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:3: Tier a.b: metadata.name: \"a.b\" is not a valid name (a DNS-1123 label): must consist of lowercase letters, digits and '-', and start and end with a letter or digit"));
	assert_true(has(
		f, "t.yaml:4: Tier a.b: spec.defaultAction: \"Allow\" is not one of Deny, Pass"));
	assert_true(has(f, "t.yaml:4: Tier a.b: spec.order: expected a number, found a string"));
	done(f);
}

static void test_network_sets(void **state)
{
	struct fx *f =
		load("apiVersion: projectcalico.org/v3\n"
		     "kind: GlobalNetworkSet\n"
		     "metadata: {name: threatfeed.x, labels: {security-action: block}}\n"
		     "spec:\n"
		     "  nets: [198.51.100.0/24, 203.0.113.7, 10.0.0.1/24, \"2001:db8::/48\"]\n"
		     "---\n"
		     "apiVersion: projectcalico.org/v3\n"
		     "kind: NetworkSet\n"
		     "metadata: {name: partners, namespace: shop}\n"
		     "spec: {nets: []}\n");
	const struct res_network_set *n;

	(void)state;
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->d.warnings, 1);
	assert_true(has(
		f,
		"t.yaml:5: warning: GlobalNetworkSet threatfeed.x: spec.nets[2]: 10.0.0.1/24 has host bits set; read as 10.0.0.0/24"));
	assert_int_equal(f->s.n, 2);
	n = &f->s.v[0]->u.netset;
	assert_int_equal(n->nnets, 4);
	assert_int_equal(n->nets[1].len, 32);
	assert_int_equal(n->nets[2].addr.a[3], 0);
	assert_int_equal(n->nets[3].addr.family, 6);
	assert_string_equal(f->s.v[1]->meta.namespace_, "shop");
	assert_int_equal(f->s.v[1]->u.netset.nnets, 0);
	done(f);

	f = load("apiVersion: projectcalico.org/v3\n"
		 "kind: NetworkSet\n"
		 "metadata: {name: d, labels: {projectcalico.org/namespace: x}}\n"
		 "spec:\n"
		 "  nets: [10.0.0.0/8, bogus]\n"
		 "  allowedEgressDomains: [example.com]\n");
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:3: NetworkSet default/d: metadata.labels: \"projectcalico.org/namespace\" is reserved for Calico and cannot be set on a network set"));
	assert_true(has(
		f, "t.yaml:5: NetworkSet default/d: spec.nets[1]: \"bogus\" is not a valid CIDR"));
	assert_true(has(
		f,
		"t.yaml:6: NetworkSet default/d: spec.allowedEgressDomains: not supported by Palisade (domain-based network sets need DNS policy)"));
	done(f);
}

/* ---- expiring network-set entries ------------------------------------------------------------ */

static void test_time_parse(void **state)
{
	int64_t t;
	char buf[RES_TIME_STRLEN];

	(void)state;
	assert_int_equal(res_time_parse("2025-11-29T02:00:00Z", &t), 0);
	assert_int_equal(t, 1764381600);
	assert_int_equal(res_time_parse("2025-11-29t02:00:00z", &t), 0);
	assert_int_equal(t, 1764381600);
	assert_int_equal(res_time_parse("2025-11-29T02:00:00+00:00", &t), 0);
	assert_int_equal(t, 1764381600);
	assert_int_equal(res_time_parse("2025-11-29T02:00:00-00:00", &t), 0);
	assert_int_equal(t, 1764381600);
	/* A fraction rounds up: the entry is still in the set at the whole second before. */
	assert_int_equal(res_time_parse("2025-11-29T02:00:00.000001Z", &t), 0);
	assert_int_equal(t, 1764381601);
	assert_int_equal(res_time_parse("2025-11-29T02:00:00.000Z", &t), 0);
	assert_int_equal(t, 1764381600);
	assert_int_equal(res_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(res_time_parse("1969-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t, -1);
	assert_int_equal(res_time_parse("2024-02-29T12:00:00Z", &t), 0);
	assert_int_equal(t, 1709208000);
	assert_int_equal(res_time_parse("2016-12-31T23:59:60Z", &t), 0);
	assert_int_equal(t, 1483228800); /* the leap second: 2017-01-01T00:00:00Z */
	assert_int_equal(res_time_parse("9999-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t, 253402300799);
	/* Not UTC, not RFC 3339, not a date. */
	assert_int_equal(res_time_parse("2025-11-29T02:00:00+01:00", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-11-29T02:00:00", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-11-29 02:00:00Z", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-11-29T02:00Z", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-11-29T02:00:00.Z", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-11-29T02:00:00ZZ", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-02-29T02:00:00Z", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-13-01T02:00:00Z", &t), -EINVAL);
	assert_int_equal(res_time_parse("2025-11-29T24:00:00Z", &t), -EINVAL);
	assert_int_equal(res_time_parse("1764381600", &t), -EINVAL);
	assert_int_equal(res_time_parse("", &t), -EINVAL);

	assert_int_equal(res_time_format(1764381600, buf, sizeof(buf)), 20);
	assert_string_equal(buf, "2025-11-29T02:00:00Z");
	res_time_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	res_time_format(253402300799, buf, sizeof(buf));
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	res_time_format(253402300800, buf, sizeof(buf));
	assert_string_equal(buf, "@253402300800");
}

static void test_network_set_expires(void **state)
{
	struct fx *f = load(
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalNetworkSet\n"
		"metadata:\n"
		"  name: palisade.quarantine\n"
		"  labels: {security-action: block}\n"
		"  annotations:\n"
		"    palisade.dev/expires: '{\"198.51.100.66\": \"2026-11-29T02:00:00Z\", "
		"\"2001:db8::1/128\": \"2026-11-29T02:00:00.5+00:00\", "
		"\"203.0.113.0\": \"1960-01-01T00:00:00Z\"}'\n"
		"    palisade.dev/reasons: '{\"198.51.100.66\": \"ip_sweep_external event 3f2a\"}'\n"
		"spec:\n"
		"  nets: [198.51.100.66/32, 192.0.2.0/24, \"2001:db8::1\", 203.0.113.0/32]\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: NetworkSet\n"
		"metadata: {name: plain, namespace: shop, annotations: {note: '{not json'}}\n"
		"spec: {nets: [10.0.0.1]}\n");
	const struct res_network_set *n;

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 2);
	n = &f->s.v[0]->u.netset;
	assert_non_null(n->expires);
	/* Keys match entries after normalisation; the fraction rounds up; a time before the
	 * epoch is long past (1), not "never" (0). */
	assert_int_equal(n->expires[0], 1795917600);
	assert_int_equal(n->expires[1], 0);
	assert_int_equal(n->expires[2], 1795917601);
	assert_int_equal(n->expires[3], 1);
	/* Without the annotation nothing expires. */
	assert_null(f->s.v[1]->u.netset.expires);
	done(f);

	f = load(
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalNetworkSet\n"
		"metadata:\n"
		"  name: q\n"
		"  annotations:\n"
		"    palisade.dev/expires: '{\"10.0.0.0/24\": \"2026-11-29T02:00:00Z\", "
		"\"10.0.1.9\": \"2026-11-29T02:00:00Z\", \"10.0.0.7\": \"2026-11-29 02:00:00\", "
		"\"10.0.0.8\": 5, \"x\": \"2026-11-29T02:00:00Z\", "
		"\"10.0.0.9\": \"2026-11-29T02:00:00Z\", \"10.0.0.9/32\": \"2026-11-29T02:00:00Z\"}'\n"
		"    palisade.dev/reasons: '{\"10.0.0.7\": 1}'\n"
		"spec:\n"
		"  nets: [10.0.0.0/24, 10.0.0.7, 10.0.0.8, 10.0.0.9]\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalNetworkSet\n"
		"metadata:\n"
		"  name: r\n"
		"  annotations: {palisade.dev/expires: '[]', palisade.dev/reasons: '{'}\n"
		"spec: {nets: [10.0.0.1]}\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalNetworkSet\n"
		"metadata:\n"
		"  name: s\n"
		"  annotations: {palisade.dev/expires: '{\"10.0.0.1\": \"2026-11-29T02:00:00Z\"}'}\n"
		"spec: {nets: [10.0.0.1, bogus]}\n");
	assert_int_equal(f->s.n, 0);
	assert_int_equal(f->d.errors, 10);
	assert_true(has(
		f,
		"t.yaml:6: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/expires\"]: \"10.0.0.0/24\" is not a single address (only /32 and /128 entries can expire)"));
	assert_true(has(
		f,
		"t.yaml:6: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/expires\"]: \"10.0.1.9\" is not in spec.nets"));
	assert_true(has(
		f,
		"t.yaml:6: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/expires\"]: \"10.0.0.7\": \"2026-11-29 02:00:00\" is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"));
	assert_true(has(
		f,
		"t.yaml:6: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/expires\"]: \"10.0.0.8\": expected an RFC 3339 UTC time string, found a number"));
	assert_true(has(
		f,
		"t.yaml:6: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/expires\"]: \"x\" is not an IP address or CIDR"));
	assert_true(has(
		f,
		"t.yaml:6: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/expires\"]: \"10.0.0.9/32\" names the same entry as \"10.0.0.9\""));
	assert_true(has(
		f,
		"t.yaml:7: GlobalNetworkSet q: metadata.annotations[\"palisade.dev/reasons\"]: \"10.0.0.7\": expected a string, found a number"));
	assert_true(has(
		f,
		"t.yaml:15: GlobalNetworkSet r: metadata.annotations[\"palisade.dev/expires\"]: expected a JSON object mapping entries of spec.nets to RFC 3339 UTC times, found an array"));
	assert_true(has(
		f,
		"t.yaml:15: GlobalNetworkSet r: metadata.annotations[\"palisade.dev/reasons\"]: not valid JSON (string or '}' expected near end of file at character 1); expected a JSON object of strings"));
	/* spec.nets did not decode: its error, and no cascade of "not in spec.nets". */
	assert_true(has(
		f, "t.yaml:23: GlobalNetworkSet s: spec.nets[1]: \"bogus\" is not a valid CIDR"));
	assert_false(has_sub(f, "GlobalNetworkSet s: metadata"));
	done(f);
}

/* The parser on its own: a report per problem, nothing printed, nets NULL skips membership. */
static void collect(void *arg, const char *msg)
{
	char *buf = arg;

	snprintf(buf + strlen(buf), 1024 - strlen(buf), "%s\n", msg);
}

static void test_expires_parse(void **state)
{
	struct cidr nets[2];
	int64_t exp[2];
	char msgs[1024] = "";

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.1", &nets[0], NULL), 0);
	assert_int_equal(cidr_parse("10.0.0.1/32", &nets[1], NULL), 0);
	/* An entry written twice in spec.nets expires with its key. */
	assert_int_equal(netset_expires_parse("{\"10.0.0.1\": \"1970-01-01T00:01:40Z\"}", nets, 2,
					      exp, collect, msgs),
			 0);
	assert_int_equal(exp[0], 100);
	assert_int_equal(exp[1], 100);
	assert_string_equal(msgs, "");
	assert_int_equal(netset_expires_parse("{}", nets, 2, exp, NULL, NULL), 0);
	assert_int_equal(exp[0], 0);
	assert_int_equal(netset_expires_parse("{\"10.0.0.2\": \"1970-01-01T00:01:40Z\"}", NULL, 0,
					      exp, collect, msgs),
			 0);
	assert_int_equal(
		netset_expires_parse("{\"a\": 1, \"b\": \"x\"} ", nets, 2, exp, collect, msgs),
		-EINVAL);
	assert_string_equal(msgs, "\"a\" is not an IP address or CIDR\n"
				  "\"b\" is not an IP address or CIDR\n");
	msgs[0] = '\0';
	assert_int_equal(netset_expires_parse("{\"a\": 1, \"a\": 2}", nets, 2, exp, collect, msgs),
			 -EINVAL);
	assert_string_equal(msgs,
			    "not valid JSON (duplicate object key near '\"a\"' at character 12); "
			    "expected a JSON object mapping entries of spec.nets to RFC 3339 UTC "
			    "times\n");
	msgs[0] = '\0';
	assert_int_equal(netset_reasons_check("{\"a\": \"x\", \"b\": null}", collect, msgs),
			 -EINVAL);
	assert_string_equal(msgs, "\"b\": expected a string, found null\n");
	assert_int_equal(netset_reasons_check("{}", NULL, NULL), 0);
}

/* ---- endpoints, profiles -------------------------------------------------------------------- */

static void test_host_endpoint(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: HostEndpoint\n"
			    "metadata: {name: node1-eth0, labels: {role: edge}}\n"
			    "spec:\n"
			    "  node: node1\n"
			    "  interfaceName: eth0\n"
			    "  expectedIPs: [192.0.2.10, \"2001:db8::10\"]\n"
			    "  profiles: [edge]\n"
			    "  ports:\n"
			    "  - {name: ssh, port: 22}\n"
			    "  - {name: dns, port: 53, protocol: UDP}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: HostEndpoint\n"
			    "metadata: {name: all}\n"
			    "spec: {node: n, interfaceName: \"*\"}\n");
	const struct res_host_endpoint *h;

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 2);
	h = &f->s.v[0]->u.hep;
	assert_null(f->s.v[0]->meta.namespace_);
	assert_string_equal(h->node, "node1");
	assert_string_equal(h->interface_name, "eth0");
	assert_int_equal(h->nexpected_ips, 2);
	assert_int_equal(h->nprofiles, 1);
	assert_int_equal(h->nports, 2);
	assert_int_equal(h->ports[0].proto, PROTO_TCP);
	assert_int_equal(h->ports[1].proto, PROTO_UDP);
	assert_string_equal(f->s.v[1]->u.hep.interface_name, "*");
	done(f);

	f = load(
		"apiVersion: projectcalico.org/v3\n"
		"kind: HostEndpoint\n"
		"metadata: {name: h}\n"
		"spec:\n"
		"  profiles: [a]\n"
		"  ports: [{port: 0, protocol: ICMP}]\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: HostEndpoint\n"
		"metadata: {name: i}\n"
		"spec: {node: n, interfaceName: this-is-far-too-long0, expectedIPs: [1.2.3.4.5]}\n");
	assert_int_equal(f->s.n, 0);
	assert_true(has(f, "t.yaml:5: HostEndpoint h: spec.node: required"));
	assert_true(
		has(f, "t.yaml:5: HostEndpoint h: spec: interfaceName or expectedIPs is required"));
	assert_true(has(f, "t.yaml:6: HostEndpoint h: spec.ports[0].name: required"));
	assert_true(has(
		f, "t.yaml:6: HostEndpoint h: spec.ports[0].port: 0 is not between 1 and 65535"));
	assert_true(has(
		f, "t.yaml:6: HostEndpoint h: spec.ports[0].protocol: must be TCP, UDP or SCTP"));
	assert_true(has(
		f,
		"t.yaml:11: HostEndpoint i: spec.interfaceName: \"this-is-far-too-long0\" is not a valid interface name: 1 to 15 letters, digits, '_', '.' or '-', or \"*\""));
	assert_true(has(
		f,
		"t.yaml:11: HostEndpoint i: spec.expectedIPs[0]: \"1.2.3.4.5\" is not a valid IP address"));
	done(f);
}

static void test_workload_endpoint(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: WorkloadEndpoint\n"
			    "metadata:\n"
			    "  name: node1-k8s-web--1-eth0\n"
			    "  namespace: shop\n"
			    "  labels: {app: web}\n"
			    "spec:\n"
			    "  orchestrator: k8s\n"
			    "  node: node1\n"
			    "  pod: web-1\n"
			    "  endpoint: eth0\n"
			    "  workload: \"\"\n"
			    "  containerID: 1646e3b5a6f3\n"
			    "  interfaceName: cali0ef24b1a1c1\n"
			    "  serviceAccountName: web\n"
			    "  ipNetworks: [10.244.1.5/32, \"fd00::5\"]\n"
			    "  ipNATs: [{internalIP: 10.244.1.5, externalIP: 192.0.2.5}]\n"
			    "  profiles: [kns.shop, ksa.shop.web]\n"
			    "  mac: 02:42:ac:11:00:02\n"
			    "  ports:\n"
			    "  - {name: http, port: 80, protocol: TCP}\n"
			    "  - {port: 53, protocol: UDP, hostPort: 5353}\n");
	const struct res_workload_endpoint *w;

	(void)state;
	assert_clean(f);
	w = &only(f, RES_WORKLOAD_ENDPOINT)->u.wep;
	assert_string_equal(w->node, "node1");
	assert_string_equal(w->orchestrator, "k8s");
	assert_string_equal(w->pod, "web-1");
	assert_string_equal(w->endpoint, "eth0");
	assert_string_equal(w->workload, "");
	assert_string_equal(w->container_id, "1646e3b5a6f3");
	assert_string_equal(w->interface_name, "cali0ef24b1a1c1");
	assert_string_equal(w->service_account, "web");
	assert_int_equal(w->nip_networks, 2);
	assert_int_equal(w->ip_networks[1].len, 128);
	assert_int_equal(w->nprofiles, 2);
	assert_int_equal(w->nports, 2);
	assert_null(w->ports[1].name);
	done(f);

	f = load("apiVersion: projectcalico.org/v3\n"
		 "kind: WorkloadEndpoint\n"
		 "metadata: {name: w}\n"
		 "spec:\n"
		 "  ipNetworks: [10.244.1.0/24]\n"
		 "  mac: 02:42:ac:11:00\n"
		 "  containerID: -x\n"
		 "  ipNATs: [{internalIP: 10.0.0.1, externalIP: \"fd00::1\"}]\n"
		 "  ipv4Gateway: \"fd00::1\"\n"
		 "  ports: [{port: 80}]\n");
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:5: WorkloadEndpoint default/w: spec.ipNetworks[0]: must be a single address (/32 or /128)"));
	assert_true(has(
		f,
		"t.yaml:6: WorkloadEndpoint default/w: spec.mac: \"02:42:ac:11:00\" is not a MAC address (like 02:00:00:00:00:01)"));
	assert_true(has(
		f,
		"t.yaml:7: WorkloadEndpoint default/w: spec.containerID: \"-x\" is not a valid container ID: letters, digits and '-'"));
	assert_true(has(
		f,
		"t.yaml:8: WorkloadEndpoint default/w: spec.ipNATs[0]: internalIP and externalIP must be the same IP version"));
	assert_true(has(
		f,
		"t.yaml:9: WorkloadEndpoint default/w: spec.ipv4Gateway: \"fd00::1\" is not an IPv4 address"));
	assert_true(has(f, "t.yaml:10: WorkloadEndpoint default/w: spec.ports[0].name: required"));
	done(f);
}

static void test_profile(void **state)
{
	struct fx *f = load(
		"apiVersion: projectcalico.org/v3\n"
		"kind: Profile\n"
		"metadata: {name: kns.shop}\n"
		"spec:\n"
		"  labelsToApply: {pcns.team: a}\n"
		"  ingress: [{action: Allow}]\n"
		"  egress: [{action: Allow}, {action: Deny, protocol: TCP, destination: {ports: [25]}}]\n");
	const struct res_profile *p;

	(void)state;
	assert_clean(f);
	p = &only(f, RES_PROFILE)->u.profile;
	assert_string_equal(labels_get(&p->labels_to_apply, "pcns.team"), "a");
	assert_int_equal(p->ningress, 1);
	assert_int_equal(p->negress, 2);
	assert_int_equal(p->egress[1].dst.ports[0].lo, 25);
	done(f);

	f = load("apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: p}\n"
		 "spec: {ingress: [{action: Reject}], labelsToApply: {a: [b]}}\n");
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:4: Profile p: spec.ingress[0].action: \"Reject\" is not one of Allow, Deny, Log, Pass"));
	assert_true(has(
		f, "t.yaml:4: Profile p: spec.labelsToApply.a: expected a string, found a list"));
	done(f);
}

/* ---- GlobalThreatFeed ----------------------------------------------------------------------- */

static void test_feed_full(void **state)
{
	struct fx *f = load(
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: csv-feed}\n"
		"spec:\n"
		"  content: IPSet\n"
		"  mode: Disabled\n"
		"  description: a CSV feed\n"
		"  feedType: Custom\n"
		"  pull:\n"
		"    period: 1h30m\n"
		"    http:\n"
		"      url: http://feeds.example/ips.csv\n"
		"      headers:\n"
		"      - {name: Accept, value: text/csv}\n"
		"      - name: Authorization\n"
		"        valueFrom: {secretKeyRef: {name: feed-creds, key: token, optional: true}}\n"
		"      format:\n"
		"        csv: {fieldName: ip, header: true, columnDelimiter: \";\", commentDelimiter: \"#\", recordSize: 3, disableRecordSizeValidation: true}\n"
		"  globalNetworkSet: {labels: {feed: csv}}\n"
		"status:\n"
		"  lastSuccessfulSync: \"2024-01-01T00:00:00Z\"\n"
		"  errorConditions: []\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: json-feed}\n"
		"spec:\n"
		"  pull:\n"
		"    period: 5m\n"
		"    http: {url: \"https://x.example/a.json\", format: {json: {path: \"$.ips[*]\"}}}\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: push-feed}\n"
		"spec: {}\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: nl-feed}\n"
		"spec: {pull: {http: {url: \"https://x\", format: {newlineDelimited: {}}}}}\n");
	const struct res_threat_feed *t;

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 4);
	t = &f->s.v[0]->u.feed;
	assert_string_equal(t->mode, "Disabled");
	assert_string_equal(t->description, "a CSV feed");
	assert_int_equal(t->period_s, 5400);
	assert_int_equal(t->nheaders, 2);
	assert_string_equal(t->headers[0].value, "text/csv");
	assert_null(t->headers[0].value_from_kind);
	assert_null(t->headers[1].value);
	assert_string_equal(t->headers[1].value_from_kind, "secretKeyRef");
	assert_string_equal(t->headers[1].value_from_name, "feed-creds");
	assert_string_equal(t->headers[1].value_from_key, "token");
	assert_true(t->headers[1].value_from_optional);
	assert_int_equal(t->format, FEED_FORMAT_CSV);
	assert_string_equal(t->field_name, "ip");
	assert_int_equal(t->field_num, -1);
	assert_true(t->header);
	assert_int_equal(t->column_delimiter, ';');
	assert_int_equal(t->comment_delimiter, '#');
	assert_int_equal(t->record_size, 3);
	assert_true(t->disable_record_size_validation);
	assert_true(t->has_gns);
	t = &f->s.v[1]->u.feed;
	assert_int_equal(t->format, FEED_FORMAT_JSON);
	assert_string_equal(t->json_path, "$.ips[*]");
	assert_int_equal(t->period_s, 300);
	assert_int_equal(t->column_delimiter, ','); /* the default, unused here */
	assert_int_equal(t->comment_delimiter, 0);
	t = &f->s.v[2]->u.feed;
	assert_false(t->has_pull);
	assert_false(t->has_gns);
	assert_null(t->url);
	assert_int_equal(f->s.v[3]->u.feed.format, FEED_FORMAT_NEWLINE);
	done(f);
}

static void test_feed_errors(void **state)
{
	struct fx *f = load(
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: f1}\n"
		"spec:\n"
		"  content: DomainNameSet\n"
		"  mode: enabled\n"
		"  pull:\n"
		"    period: 1m\n"
		"    http:\n"
		"      url: ftp://x\n"
		"      headers:\n"
		"      - {name: \"Bad Name\", value: x}\n"
		"      - {name: A, valueFrom: {secretKeyRef: {name: s}, configMapKeyRef: {name: c, key: k}}}\n"
		"      - {name: X}\n"
		"      - {name: Y, value: v, valueFrom: {secretKeyRef: {name: s, key: k}}}\n"
		"      format:\n"
		"        json: {path: \"$.ips\"}\n"
		"        csv: {fieldName: ip, fieldNum: 1, columnDelimiter: \";;\"}\n"
		"status:\n"
		"  bogus: 1\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: f2}\n"
		"spec:\n"
		"  pull:\n"
		"    period: 24\n"
		"    htp: {}\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalThreatFeed\n"
		"metadata: {name: f3}\n"
		"spec:\n"
		"  pull:\n"
		"    http:\n"
		"      format: {csv: {fieldName: ip}, json: {}}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:5: GlobalThreatFeed f1: spec.content: DomainNameSet is not supported by Palisade (only IPSet feeds are)"));
	assert_true(has(
		f,
		"t.yaml:6: GlobalThreatFeed f1: spec.mode: \"enabled\" is not one of Enabled, Disabled (did you mean \"Enabled\"?)"));
	assert_true(has(
		f,
		"t.yaml:8: GlobalThreatFeed f1: spec.pull.period: \"1m\" is shorter than the minimum of 5m"));
	assert_true(has(
		f,
		"t.yaml:10: GlobalThreatFeed f1: spec.pull.http.url: \"ftp://x\" is not an http:// or https:// URL"));
	assert_true(has(
		f,
		"t.yaml:12: GlobalThreatFeed f1: spec.pull.http.headers[0].name: \"Bad Name\" is not a valid HTTP header name"));
	assert_true(has(
		f,
		"t.yaml:13: GlobalThreatFeed f1: spec.pull.http.headers[1].valueFrom.secretKeyRef.key: required"));
	assert_true(has(
		f,
		"t.yaml:13: GlobalThreatFeed f1: spec.pull.http.headers[1].valueFrom: must have exactly one of configMapKeyRef, secretKeyRef"));
	assert_true(has(
		f,
		"t.yaml:14: GlobalThreatFeed f1: spec.pull.http.headers[2]: one of value or valueFrom is required"));
	assert_true(has(
		f,
		"t.yaml:15: GlobalThreatFeed f1: spec.pull.http.headers[3]: value and valueFrom cannot both be set"));
	assert_true(has(
		f,
		"t.yaml:17: GlobalThreatFeed f1: spec.pull.http.format: must have exactly one of newlineDelimited, json, csv"));
	assert_true(has(
		f,
		"t.yaml:18: GlobalThreatFeed f1: spec.pull.http.format.csv.columnDelimiter: must be a single character, found \";;\""));
	assert_true(has(
		f,
		"t.yaml:18: GlobalThreatFeed f1: spec.pull.http.format.csv: fieldNum and fieldName cannot both be set"));
	assert_true(has(f, "t.yaml:20: GlobalThreatFeed f1: status.bogus: unknown field"));
	assert_true(has(
		f,
		"t.yaml:27: GlobalThreatFeed f2: spec.pull.period: expected a duration such as \"24h\" or \"5m\", found a number"));
	assert_true(has(f, "t.yaml:27: GlobalThreatFeed f2: spec.pull.http: required"));
	assert_true(has(
		f,
		"t.yaml:28: GlobalThreatFeed f2: spec.pull.htp: unknown field (did you mean \"http\"?)"));
	assert_true(has(f, "t.yaml:36: GlobalThreatFeed f3: spec.pull.http.url: required"));
	assert_true(has(
		f,
		"t.yaml:36: GlobalThreatFeed f3: spec.pull.http.format: must have exactly one of newlineDelimited, json, csv"));
	assert_true(has(
		f, "t.yaml:36: GlobalThreatFeed f3: spec.pull.http.format.json.path: required"));
	assert_true(has(
		f,
		"t.yaml:36: GlobalThreatFeed f3: spec.pull.http.format.csv.fieldName: requires header: true"));
	done(f);
}

/* ---- GlobalAlert ---------------------------------------------------------------------------- */

static void test_alert(void **state)
{
	struct fx *f =
		load("apiVersion: projectcalico.org/v3\n"
		     "kind: GlobalAlert\n"
		     "metadata: {name: denies}\n"
		     "spec:\n"
		     "  summary: many denies from ${source_namespace}\n"
		     "  description: many denies\n"
		     "  severity: 100\n"
		     "  dataSet: flows\n"
		     "  query: action=deny\n"
		     "  aggregateBy: [source_namespace, source_name_aggr]\n"
		     "  metric: sum\n"
		     "  field: num_flows\n"
		     "  condition: gte\n"
		     "  threshold: 99.5\n"
		     "  period: 1m\n"
		     "  lookback: 90s\n"
		     "status: {active: true, healthy: true, lastUpdate: \"2024-01-01T00:00:00Z\"}\n"
		     "---\n"
		     "apiVersion: projectcalico.org/v3\n"
		     "kind: GlobalAlert\n"
		     "metadata: {name: minimal}\n"
		     "spec: {description: d, severity: 1, dataSet: flows}\n");
	const struct res_global_alert *a;

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 2);
	a = &f->s.v[0]->u.alert;
	assert_string_equal(a->type, "RuleBased");
	assert_int_equal(a->severity, 100);
	assert_string_equal(a->data_set, "flows");
	assert_string_equal(a->query, "action=deny");
	assert_int_equal(a->naggregate_by, 2);
	assert_string_equal(a->metric, "sum");
	assert_string_equal(a->field, "num_flows");
	assert_string_equal(a->condition, "gte");
	assert_true(a->has_threshold);
	assert_true(a->threshold == 99.5);
	assert_int_equal(a->period_s, 60);
	assert_int_equal(a->lookback_s, 90);
	a = &f->s.v[1]->u.alert;
	assert_int_equal(a->period_s, 300);
	assert_int_equal(a->lookback_s, 600);
	assert_string_equal(a->condition, "gt");
	assert_null(a->metric);
	assert_null(a->query);
	assert_false(a->has_threshold);
	done(f);
}

static void test_alert_errors(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalAlert\n"
			    "metadata: {name: a1}\n"
			    "spec:\n"
			    "  type: AnomalyDetection\n"
			    "  severity: 101\n"
			    "  period: 5x\n"
			    "  lookback: 0s\n"
			    "  dataSet: dns\n"
			    "  metric: avg\n"
			    "  condition: ge\n"
			    "  substitutions: []\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalAlert\n"
			    "metadata: {name: a2}\n"
			    "spec: {description: d, severity: \"5\", dataSet: logs}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:5: GlobalAlert a1: spec.type: AnomalyDetection is not supported by Palisade (only RuleBased)"));
	assert_true(has(f, "t.yaml:5: GlobalAlert a1: spec.description: required"));
	assert_true(
		has(f, "t.yaml:6: GlobalAlert a1: spec.severity: 101 is not between 1 and 100"));
	assert_true(has(
		f,
		"t.yaml:7: GlobalAlert a1: spec.period: \"5x\" is not a duration (write it like \"24h\", \"5m\" or \"1h30m\")"));
	assert_true(has(f, "t.yaml:8: GlobalAlert a1: spec.lookback: \"0s\" must be at least 1s"));
	assert_true(has(
		f,
		"t.yaml:9: GlobalAlert a1: spec.dataSet: dns is not supported by Palisade (only flows)"));
	assert_true(has(f, "t.yaml:10: GlobalAlert a1: spec.field: required with metric avg"));
	assert_true(has(
		f,
		"t.yaml:11: GlobalAlert a1: spec.condition: \"ge\" is not one of eq, not_eq, lt, lte, gt, gte"));
	assert_true(
		has(f, "t.yaml:12: GlobalAlert a1: spec.substitutions: not supported by Palisade"));
	assert_true(has(
		f,
		"t.yaml:17: GlobalAlert a2: spec.severity: expected an integer, found a string"));
	assert_true(has(
		f,
		"t.yaml:17: GlobalAlert a2: spec.dataSet: \"logs\" is not one of flows, audit, dns, l7, waf, vulnerability"));
	done(f);
}

/* ---- Lab ------------------------------------------------------------------------------------ */

static void test_lab(void **state)
{
	struct fx *f = load("apiVersion: palisade.dev/v1alpha1\n"
			    "kind: Lab\n"
			    "metadata: {name: demo}\n"
			    "spec:\n"
			    "  nodes: 3\n"
			    "  podCIDR: 10.32.0.0/12\n"
			    "  externalHosts:\n"
			    "  - {name: attacker, ip: 203.0.113.66}\n"
			    "  - {name: feed, ip: \"2001:db8::1\"}\n"
			    "---\n"
			    "apiVersion: palisade.dev/v1alpha1\n"
			    "kind: Lab\n"
			    "metadata: {name: defaults}\n");
	const struct res_lab *l;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 2);
	l = &f->s.v[0]->u.lab;
	assert_int_equal(l->nodes, 3);
	cidr_format(&l->pod_cidr, buf, sizeof(buf));
	assert_string_equal(buf, "10.32.0.0/12");
	assert_int_equal(l->nhosts, 2);
	assert_string_equal(l->hosts[0].name, "attacker");
	assert_int_equal(l->hosts[0].loc.line, 8);
	assert_int_equal(l->hosts[1].ip.family, 6);
	l = &f->s.v[1]->u.lab;
	assert_int_equal(l->nodes, 1);
	cidr_format(&l->pod_cidr, buf, sizeof(buf));
	assert_string_equal(buf, "10.244.0.0/16");
	assert_int_equal(l->nhosts, 0);
	done(f);
}

static void test_lab_errors(void **state)
{
	struct fx *f = load("apiVersion: palisade.dev/v1alpha1\n"
			    "kind: Lab\n"
			    "metadata: {name: demo, namespace: x}\n"
			    "spec:\n"
			    "  nodes: 0\n"
			    "  podCIDR: 10.244.0.0/99\n"
			    "  externalHosts:\n"
			    "  - {name: attacker, ip: 203.0.113.66}\n"
			    "  - {name: attacker, ip: 203.0.113.67}\n"
			    "  - {name: other, ip: 203.0.113.66}\n"
			    "  - {ip: x}\n"
			    "  - {name: inside, ip: 10.244.3.3, port: 1}\n"
			    "---\n"
			    "apiVersion: palisade.dev/v1\n"
			    "kind: Lab\n"
			    "metadata: {name: v}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:3: Lab demo: metadata.namespace: Lab is cluster-scoped and takes no namespace"));
	assert_true(has(f, "t.yaml:5: Lab demo: spec.nodes: 0 is not between 1 and 64"));
	assert_true(
		has(f, "t.yaml:6: Lab demo: spec.podCIDR: \"10.244.0.0/99\" is not a valid CIDR"));
	assert_true(has(
		f,
		"t.yaml:9: Lab demo: spec.externalHosts[1].name: duplicate host name \"attacker\" (also externalHosts[0])"));
	assert_true(has(
		f,
		"t.yaml:10: Lab demo: spec.externalHosts[2].ip: address already used by host \"attacker\""));
	assert_true(has(f, "t.yaml:11: Lab demo: spec.externalHosts[3].name: required"));
	assert_true(has(
		f,
		"t.yaml:11: Lab demo: spec.externalHosts[3].ip: \"x\" is not a valid IP address"));
	assert_true(has(f, "t.yaml:12: Lab demo: spec.externalHosts[4].port: unknown field"));
	assert_true(has(
		f,
		"t.yaml:12: Lab demo: spec.externalHosts[4].ip: 10.244.3.3 is inside spec.podCIDR 10.244.0.0/16"));
	assert_true(has(
		f,
		"t.yaml:14: apiVersion \"palisade.dev/v1\" is not accepted for kind Lab (use palisade.dev/v1alpha1)"));
	done(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_policy_fields),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_rule_bad_protocol_no_cascade),
		cmocka_unit_test(test_rule_mixed_families),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_gnp_host_flags),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_tier),
		cmocka_unit_test(test_network_sets),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_network_set_expires),
		cmocka_unit_test(test_expires_parse),
		cmocka_unit_test(test_host_endpoint),
		cmocka_unit_test(test_workload_endpoint),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_feed_full),
		cmocka_unit_test(test_feed_errors),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_alert_errors),
		cmocka_unit_test(test_lab),
		cmocka_unit_test(test_lab_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
