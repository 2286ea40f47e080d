/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the resource layer (src/lib/resource.h): loading, framing (kinds, lists,
 * metadata), the Kubernetes kinds, cross-object checks and the helpers.  Calico, feed and
 * lab kinds are in test_resource_calico.c.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/decode.h"
#include "lib/diag.h"
#include "lib/resource.h"

#include "resource_fixture.h"

/* ---- the article (examples/article, indented with U+00A0) ---------------------------------- */

static void test_article_loads(void **state)
{
	struct resource_set s;
	struct diag_list d;
	const struct resource *r;
	int rc;

	(void)state;
	if (access("examples/article/04-blockthreats.yaml", R_OK) != 0)
		fail_msg("examples/article is not readable: run the test from the repository root");
	resource_set_init(&s);
	diag_list_init(&d);
	rc = resource_load_path(&s, "examples/article", &d);
	if (d.errors)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "  %s:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].msg);
	assert_int_equal(rc, 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 4); /* one U+00A0 warning per file */
	assert_int_equal(s.files, 4);
	assert_int_equal(s.n, 4);
	assert_int_equal(resource_set_check(&s, &d), 0);

	r = s.v[0]; /* 01: extensions/v1beta1 NetworkPolicy, ingress from run=access */
	assert_int_equal(r->kind, RES_K8S_NETWORK_POLICY);
	assert_string_equal(r->api_version, "extensions/v1beta1");
	assert_string_equal(r->meta.name, "access-nginx");
	assert_string_equal(r->meta.namespace_, "policy-demo");
	assert_string_equal(labels_get(&r->u.knp.pod_selector.match_labels, "run"), "nginx");
	assert_false(r->u.knp.types_explicit);
	assert_true(r->u.knp.ingress_type);
	assert_false(r->u.knp.egress_type);
	assert_int_equal(r->u.knp.ningress, 1);
	assert_int_equal(r->u.knp.ingress[0].npeers, 1);
	assert_true(r->u.knp.ingress[0].peers[0].pod_selector.present);
	assert_false(r->u.knp.ingress[0].peers[0].namespace_selector.present);
	assert_string_equal(
		labels_get(&r->u.knp.ingress[0].peers[0].pod_selector.match_labels, "run"),
		"access");
	assert_int_equal(r->u.knp.ingress[0].nports, 0);

	r = s.v[1]; /* 02: networking.k8s.io/v1 egress-only */
	assert_int_equal(r->kind, RES_K8S_NETWORK_POLICY);
	assert_true(r->u.knp.pod_selector.present);
	assert_int_equal(r->u.knp.pod_selector.match_labels.n, 0);
	assert_true(r->u.knp.types_explicit);
	assert_false(r->u.knp.ingress_type);
	assert_true(r->u.knp.egress_type);
	assert_int_equal(r->u.knp.negress, 1);

	r = s.v[2]; /* 03: GlobalThreatFeed with every default */
	assert_int_equal(r->kind, RES_GLOBAL_THREAT_FEED);
	assert_null(r->meta.namespace_);
	assert_string_equal(r->u.feed.content, "IPSet");
	assert_string_equal(r->u.feed.mode, "Enabled");
	assert_true(r->u.feed.has_pull);
	assert_int_equal(r->u.feed.period_s, 86400);
	assert_string_equal(r->u.feed.url, "https://an.example.threat.feed/blacklist");
	assert_int_equal(r->u.feed.format, FEED_FORMAT_NEWLINE);
	assert_true(r->u.feed.has_gns);
	assert_string_equal(labels_get(&r->u.feed.gns_labels, "security-action"), "block");

	r = s.v[3]; /* 04: GlobalNetworkPolicy default.blockthreats */
	assert_int_equal(r->kind, RES_GLOBAL_NETWORK_POLICY);
	assert_string_equal(r->meta.name, "default.blockthreats");
	assert_string_equal(r->u.policy.tier, "default");
	assert_string_equal(r->u.policy.selector, "all()");
	assert_true(r->u.policy.types_explicit);
	assert_true(r->u.policy.ingress_type);
	assert_false(r->u.policy.egress_type);
	assert_int_equal(r->u.policy.ningress, 1);
	assert_int_equal(r->u.policy.ingress[0].action, ACTION_DENY);
	assert_string_equal(r->u.policy.ingress[0].src.selector, "security-action == 'block'");
	assert_int_equal(r->u.policy.ingress[0].loc.line, 11);

	resource_set_fini(&s);
	diag_list_fini(&d);
}

/* ---- framing: documents, kinds, lists, metadata -------------------------------------------- */

static void test_unknown_kind_and_api(void **state)
{
	struct fx *f = load("apiVersion: v1\n"
			    "kind: Foo\n"
			    "metadata: {name: x}\n"
			    "---\n"
			    "apiVersion: apps/v1\n"
			    "kind: Pod\n"
			    "metadata: {name: x}\n"
			    "---\n"
			    "apiVersion: v2\n"
			    "kind: NetworkPolicy\n"
			    "metadata: {name: x}\n");

	(void)state;
	assert_int_equal(f->rc, -EINVAL);
	assert_int_equal(f->s.n, 0);
	assert_true(has(f, "t.yaml:2: unknown kind \"Foo\" (apiVersion \"v1\")"));
	assert_true(
		has(f, "t.yaml:5: apiVersion \"apps/v1\" is not accepted for kind Pod (use v1)"));
	assert_true(has(
		f,
		"t.yaml:9: apiVersion \"v2\" is not accepted for kind NetworkPolicy (use networking.k8s.io/v1, extensions/v1beta1 or projectcalico.org/v3)"));
	assert_int_equal(f->d.errors, 3);
	done(f);
}

static void test_missing_kind_not_map(void **state)
{
	struct fx *f = load("metadata: {name: x}\n"
			    "---\n"
			    "kind: 12\n"
			    "apiVersion: v1\n"
			    "---\n"
			    "- a\n"
			    "---\n"
			    "just a string\n");

	(void)state;
	assert_true(has(f, "t.yaml:1: kind: required"));
	assert_true(has(f, "t.yaml:1: apiVersion: required"));
	assert_true(has(f, "t.yaml:3: kind: expected a string, found a number"));
	assert_true(has(
		f, "t.yaml:6: expected an object (a map with apiVersion and kind), found a list"));
	assert_true(has(
		f,
		"t.yaml:8: expected an object (a map with apiVersion and kind), found a string"));
	assert_int_equal(f->s.n, 0);
	done(f);
}

static void test_list_unwrapped(void **state)
{
	struct fx *f = load("apiVersion: v1\n"
			    "kind: List\n"
			    "items:\n"
			    "- apiVersion: v1\n"
			    "  kind: Namespace\n"
			    "  metadata: {name: a}\n"
			    "- apiVersion: v1\n"
			    "  kind: Namespace\n"
			    "  metadata: {name: B}\n"
			    "- apiVersion: v1\n"
			    "  kind: Bogus\n"
			    "- 7\n"
			    "- apiVersion: v1\n"
			    "  kind: Namespace\n"
			    "  metadata: {name: c}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: NamespaceList\n"
			    "metadata: {resourceVersion: \"1\"}\n"
			    "items:\n"
			    "- apiVersion: v1\n"
			    "  kind: Namespace\n"
			    "  metadata: {name: d}\n");

	(void)state;
	assert_int_equal(f->s.n, 3);
	assert_string_equal(f->s.v[0]->meta.name, "a");
	assert_int_equal(f->s.v[0]->loc.line, 4); /* item positions are kept */
	assert_string_equal(f->s.v[1]->meta.name, "c");
	assert_int_equal(f->s.v[1]->loc.line, 13);
	assert_string_equal(f->s.v[2]->meta.name, "d");
	assert_int_equal(f->s.v[2]->loc.line, 21);
	assert_true(has(
		f,
		"t.yaml:9: Namespace B: metadata.name: \"B\" is not a valid name (a DNS-1123 label): must consist of lowercase letters, digits and '-', and start and end with a letter or digit"));
	assert_true(has(f, "t.yaml:11: items[2]: unknown kind \"Bogus\" (apiVersion \"v1\")"));
	assert_true(has(
		f,
		"t.yaml:12: items[3]: expected an object (a map with apiVersion and kind), found a number"));
	assert_int_equal(f->d.errors, 3);
	done(f);
}

static void test_list_without_items(void **state)
{
	struct fx *f = load("apiVersion: v1\nkind: List\n");

	(void)state;
	assert_true(has(f, "t.yaml:1: items: required"));
	done(f);
}

static void test_metadata(void **state)
{
	struct fx *f =
		load("apiVersion: v1\n"
		     "kind: ServiceAccount\n"
		     "metadata:\n"
		     "  name: web\n"
		     "  namespace: shop\n"
		     "  uid: 0b6c-11\n"
		     "  resourceVersion: \"42\"\n"
		     "  generation: 3\n"
		     "  creationTimestamp: null\n"
		     "  labels: {app: web, app.kubernetes.io/part-of: shop, empty: \"\"}\n"
		     "  annotations: {note: \"any text, even spaces\", Example.com/Key: x}\n"
		     "  ownerReferences:\n"
		     "  - {apiVersion: v1, kind: Thing, name: t, uid: u1, controller: true}\n"
		     "  finalizers: [a/b]\n"
		     "  managedFields: [{manager: kubectl}]\n"
		     "automountServiceAccountToken: false\n");
	const struct resource *r;

	(void)state;
	assert_clean(f);
	r = only(f, RES_SERVICE_ACCOUNT);
	assert_string_equal(r->meta.name, "web");
	assert_string_equal(r->meta.namespace_, "shop");
	assert_string_equal(r->meta.uid, "0b6c-11");
	assert_string_equal(r->meta.resource_version, "42");
	assert_int_equal(r->meta.labels.n, 3);
	assert_string_equal(labels_get(&r->meta.labels, "app.kubernetes.io/part-of"), "shop");
	assert_string_equal(labels_get(&r->meta.labels, "empty"), "");
	assert_string_equal(labels_get(&r->meta.annotations, "note"), "any text, even spaces");
	assert_int_equal(r->meta.nowners, 1);
	assert_string_equal(r->meta.owners[0].kind, "Thing");
	assert_true(r->meta.owners[0].controller);
	assert_int_equal(r->loc.line, 1);
	assert_string_equal(r->loc.file, "t.yaml");
	done(f);
}

static void test_metadata_errors(void **state)
{
	struct fx *f = load(
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata:\n"
		"  namespace: Shop\n"
		"  labels:\n"
		"    version: 1\n"
		"    enabled: true\n"
		"    bad key: x\n"
		"    ok: \"has space\"\n"
		"    nul:\n"
		"    toolong: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		"  annotaions: {}\n"
		"  ownerReferences: [{kind: X}]\n"
		"spec:\n"
		"  containers: [{name: c, image: i}]\n"
		"---\n"
		"apiVersion: projectcalico.org/v3\n"
		"kind: GlobalNetworkSet\n"
		"metadata: {name: g, namespace: x}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Namespace\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(f, "t.yaml:4: Pod: metadata.name: required"));
	assert_true(has(
		f,
		"t.yaml:4: Pod: metadata.namespace: \"Shop\" is not a valid namespace name: must consist of lowercase letters, digits and '-', and start and end with a letter or digit"));
	assert_true(has(
		f,
		"t.yaml:6: Pod: metadata.labels.version: expected a string, found a number (quote it: \"1\")"));
	assert_true(has(
		f,
		"t.yaml:7: Pod: metadata.labels.enabled: expected a string, found a boolean (quote it: \"true\")"));
	assert_true(has(
		f,
		"t.yaml:8: Pod: metadata.labels: \"bad key\" is not a valid label key: name part must consist of letters, digits, '-', '_' and '.'"));
	assert_true(has(
		f,
		"t.yaml:9: Pod: metadata.labels.ok: \"has space\" is not a valid label value: must consist of letters, digits, '-', '_' and '.'"));
	assert_true(has(
		f,
		"t.yaml:10: Pod: metadata.labels.nul: expected a string, found null (write \"\" for an empty value)"));
	assert_true(has(
		f,
		"t.yaml:11: Pod: metadata.labels.toolong: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"... (67 bytes) is not a valid label value: must be at most 63 characters"));
	assert_true(has(
		f,
		"t.yaml:12: Pod: metadata.annotaions: unknown field (did you mean \"annotations\"?)"));
	assert_true(has(f, "t.yaml:13: Pod: metadata.ownerReferences[0].apiVersion: required"));
	assert_true(has(f, "t.yaml:13: Pod: metadata.ownerReferences[0].uid: required"));
	assert_true(has(
		f,
		"t.yaml:19: GlobalNetworkSet g: metadata.namespace: GlobalNetworkSet is cluster-scoped and takes no namespace"));
	assert_true(has(f, "t.yaml:21: Namespace: metadata: required"));
	done(f);
}

static void test_namespace_defaults(void **state)
{
	struct fx *f = load("apiVersion: v1\n"
			    "kind: Namespace\n"
			    "metadata: {name: prod, labels: {env: prod}}\n"
			    "spec: {finalizers: [kubernetes]}\n"
			    "status: {phase: Active}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: ServiceAccount\n"
			    "metadata: {name: sa}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: ServiceAccount\n"
			    "metadata: {name: sa2, namespace: \"\"}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\n"
			    "kind: Tier\n"
			    "metadata: {name: t}\n"
			    "status: {anything: [goes]}\n");

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 4);
	assert_null(f->s.v[0]->meta.namespace_);
	assert_string_equal(f->s.v[1]->meta.namespace_, "default");
	assert_string_equal(f->s.v[2]->meta.namespace_, "default"); /* "" reads as default */
	assert_int_equal(f->s.v[3]->kind, RES_TIER);		    /* status is ignored */
	done(f);
}

/* ---- Pod ------------------------------------------------------------------------------------ */

static const char pod_good[] =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  name: web-1\n"
	"  namespace: shop\n"
	"  labels: {app: web}\n"
	"spec:\n"
	"  serviceAccountName: web-sa\n"
	"  nodeName: node1\n"
	"  restartPolicy: Always\n"
	"  volumes: [{name: v, emptyDir: {}}]\n"
	"  containers:\n"
	"  - name: nginx\n"
	"    image: nginx:1.25\n"
	"    env: [{name: A, value: b}]\n"
	"    resources: {limits: {cpu: 1}}\n"
	"    ports:\n"
	"    - {name: http, containerPort: 80}\n"
	"    - {containerPort: 53, protocol: UDP, hostPort: 5353, hostIP: 0.0.0.0}\n"
	"  - name: side\n"
	"    image: busybox\n"
	"    ports: [{name: metrics, containerPort: 9090, protocol: SCTP}]\n"
	"  initContainers: [{name: init, image: busybox, ports: [{containerPort: 1}]}]\n"
	"status:\n"
	"  phase: Running\n"
	"  podIP: 10.244.1.5\n"
	"  podIPs: [{ip: 10.244.1.5}, {ip: \"fd00::5\"}]\n"
	"  conditions: [{type: Ready, status: \"True\"}]\n";

static void test_pod_good(void **state)
{
	struct fx *f = load(pod_good);
	const struct resource *r;
	const struct pod_spec *ps;

	(void)state;
	assert_clean(f);
	r = only(f, RES_POD);
	ps = &r->u.pod.spec;
	assert_string_equal(ps->service_account, "web-sa");
	assert_string_equal(ps->node_name, "node1");
	assert_false(ps->host_network);
	assert_int_equal(ps->ncontainers, 2);
	assert_string_equal(ps->container_names[1], "side");
	assert_string_equal(ps->container_images[0], "nginx:1.25");
	assert_int_equal(ps->nports, 3); /* init containers' ports are not serving ports */
	assert_string_equal(ps->ports[0].name, "http");
	assert_int_equal(ps->ports[0].port, 80);
	assert_int_equal(ps->ports[0].proto, PROTO_TCP);
	assert_null(ps->ports[1].name);
	assert_int_equal(ps->ports[1].proto, PROTO_UDP);
	assert_int_equal(ps->ports[1].host_port, 5353);
	assert_int_equal(ps->ports[2].proto, PROTO_SCTP);
	assert_string_equal(r->u.pod.phase, "Running");
	assert_int_equal(r->u.pod.nips, 2);
	assert_int_equal(r->u.pod.ips[1].family, 6);
	done(f);
}

static void test_pod_defaults(void **state)
{
	struct fx *f = load("apiVersion: v1\n"
			    "kind: Pod\n"
			    "metadata: {name: p}\n"
			    "spec:\n"
			    "  serviceAccount: old-style\n"
			    "  hostNetwork: true\n"
			    "  containers: [{name: c, image: i}]\n"
			    "status: {podIP: 10.0.0.9}\n");
	const struct resource *r;

	(void)state;
	assert_clean(f);
	r = only(f, RES_POD);
	assert_string_equal(r->meta.namespace_, "default");
	assert_string_equal(r->u.pod.spec.service_account, "old-style");
	assert_true(r->u.pod.spec.host_network);
	assert_int_equal(r->u.pod.nips, 1);
	assert_null(r->u.pod.phase);
	done(f);

	f = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
		 "spec: {containers: [{name: c, image: i}]}\n");
	r = only(f, RES_POD);
	assert_null(r->u.pod.spec.service_account); /* NULL means "default" */
	assert_int_equal(r->u.pod.nips, 0);
	done(f);
}

static void test_pod_errors(void **state)
{
	struct fx *f = load("apiVersion: v1\n"
			    "kind: Pod\n"
			    "metadata: {name: p}\n"
			    "spec:\n"
			    "  containres: []\n"
			    "  hostNetwork: yes\n"
			    "  initContainers:\n"
			    "  - name: Init_1\n"
			    "    image: i\n"
			    "    prots: []\n"
			    "    ports:\n"
			    "    - {name: web-http-server-1, containerPort: 70000}\n"
			    "    - {name: \"80\", containerPort: 80, protocol: ICMP}\n"
			    "    - {name: a--b}\n"
			    "    - {name: ok, containerPort: \"80\", hostIP: 1.2.3}\n"
			    "    - {name: ok, containerPort: 81}\n"
			    "  - {image: i}\n"
			    "status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.2}, {}]}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:5: Pod default/p: spec.containres: unknown field (did you mean \"containers\"?)"));
	assert_true(has(f, "t.yaml:5: Pod default/p: spec.containers: required"));
	assert_true(has(
		f,
		"t.yaml:6: Pod default/p: spec.hostNetwork: expected a boolean (true or false), found a string"));
	assert_true(has(
		f,
		"t.yaml:8: Pod default/p: spec.initContainers[0].name: \"Init_1\" is not a valid container name: must consist of lowercase letters, digits and '-', and start and end with a letter or digit"));
	assert_true(has(
		f,
		"t.yaml:10: Pod default/p: spec.initContainers[0].prots: unknown field (did you mean \"ports\"?)"));
	assert_true(has(
		f,
		"t.yaml:12: Pod default/p: spec.initContainers[0].ports[0].name: \"web-http-server-1\" is not a valid port name: must be at most 15 characters"));
	assert_true(has(
		f,
		"t.yaml:12: Pod default/p: spec.initContainers[0].ports[0].containerPort: 70000 is not between 1 and 65535"));
	assert_true(has(
		f,
		"t.yaml:13: Pod default/p: spec.initContainers[0].ports[1].name: \"80\" is not a valid port name: must contain at least one letter"));
	assert_true(has(
		f,
		"t.yaml:13: Pod default/p: spec.initContainers[0].ports[1].protocol: \"ICMP\" is not one of TCP, UDP, SCTP"));
	assert_true(has(
		f,
		"t.yaml:14: Pod default/p: spec.initContainers[0].ports[2].name: \"a--b\" is not a valid port name: must not contain '--'"));
	assert_true(has(
		f,
		"t.yaml:14: Pod default/p: spec.initContainers[0].ports[2].containerPort: required"));
	assert_true(has(
		f,
		"t.yaml:15: Pod default/p: spec.initContainers[0].ports[3].containerPort: expected an integer, found a string"));
	assert_true(has(
		f,
		"t.yaml:15: Pod default/p: spec.initContainers[0].ports[3].hostIP: \"1.2.3\" is not a valid IP address"));
	assert_true(has(
		f,
		"t.yaml:16: Pod default/p: spec.initContainers[0].ports[4].name: duplicate port name \"ok\" (also ports[3])"));
	assert_true(has(f, "t.yaml:17: Pod default/p: spec.initContainers[1].name: required"));
	assert_true(has(
		f,
		"t.yaml:18: Pod default/p: status.podIPs[0]: must be the same address as status.podIP"));
	assert_true(has(f, "t.yaml:18: Pod default/p: status.podIPs[1].ip: required"));
	done(f);
}

static void test_pod_containers_empty(void **state)
{
	struct fx *f = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
			    "spec: {containers: [], serviceAccountName: Bad}\n"
			    "---\n"
			    "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\n"
			    "spec: {containers: [{name: a, image: i}, {name: a}]}\n");

	(void)state;
	assert_true(has(
		f, "t.yaml:4: Pod default/p: spec.containers: must have at least one container"));
	assert_true(has(
		f,
		"t.yaml:4: Pod default/p: spec.serviceAccountName: \"Bad\" is not a valid service account name: must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit"));
	assert_true(has(
		f,
		"t.yaml:9: Pod default/q: spec.containers[1].name: duplicate container name \"a\" (also containers[0])"));
	assert_true(has(f, "t.yaml:9: Pod default/q: spec.containers[1].image: required"));
	done(f);
}

/* ---- workloads ------------------------------------------------------------------------------ */

static void test_deployment_good(void **state)
{
	struct fx *f = load(
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata: {name: web, namespace: shop}\n"
		"spec:\n"
		"  replicas: 3\n"
		"  strategy: {type: RollingUpdate}\n"
		"  selector:\n"
		"    matchLabels: {app: web}\n"
		"    matchExpressions: [{key: tier, operator: In, values: [front, edge]}]\n"
		"  template:\n"
		"    metadata:\n"
		"      creationTimestamp: null\n"
		"      labels: {app: web, tier: front}\n"
		"    spec:\n"
		"      containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]\n");
	const struct resource *r;

	(void)state;
	assert_clean(f);
	r = only(f, RES_DEPLOYMENT);
	assert_true(r->u.workload.has_replicas);
	assert_int_equal(r->u.workload.replicas, 3);
	assert_true(r->u.workload.selector.present);
	assert_int_equal(r->u.workload.selector.nexprs, 1);
	assert_int_equal(r->u.workload.selector.exprs[0].op, LSEL_IN);
	assert_int_equal(r->u.workload.selector.exprs[0].nvalues, 2);
	assert_string_equal(labels_get(&r->u.workload.tmpl.labels, "tier"), "front");
	assert_int_equal(r->u.workload.tmpl.spec.nports, 1);
	assert_int_equal(r->u.workload.tmpl.spec.ports[0].port, 8080);
	done(f);
}

static void test_workload_kinds(void **state)
{
	static const char *const tmpl = "  selector: {matchLabels: {a: b}}\n"
					"  template:\n"
					"    metadata: {labels: {a: b}}\n"
					"    spec: {containers: [{name: c, image: i}]}\n";
	char buf[1024];
	struct fx *f;

	(void)state;
	snprintf(buf, sizeof(buf),
		 "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n%s"
		 "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n"
		 "  serviceName: s\n  podManagementPolicy: Parallel\n%s"
		 "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r}\nspec:\n%s",
		 tmpl, tmpl, tmpl);
	f = load(buf);
	assert_clean(f);
	assert_int_equal(f->s.n, 3);
	assert_int_equal(f->s.v[0]->kind, RES_DAEMON_SET);
	assert_false(f->s.v[0]->u.workload.has_replicas);
	assert_int_equal(f->s.v[0]->u.workload.replicas, 1); /* the default */
	assert_int_equal(f->s.v[1]->kind, RES_STATEFUL_SET);
	assert_int_equal(f->s.v[2]->kind, RES_REPLICA_SET);
	done(f);
}

static void test_workload_errors(void **state)
{
	struct fx *f = load("apiVersion: apps/v1\n"
			    "kind: Deployment\n"
			    "metadata: {name: web}\n"
			    "spec:\n"
			    "  replicas: -1\n"
			    "  selector: {matchLabels: {app: web}}\n"
			    "  template:\n"
			    "    metadata: {labels: {app: api}}\n"
			    "    spec: {containers: [{name: c, image: i}]}\n"
			    "---\n"
			    "apiVersion: apps/v1\n"
			    "kind: DaemonSet\n"
			    "metadata: {name: d}\n"
			    "spec:\n"
			    "  replicas: 2\n"
			    "  template: {spec: {containers: [{name: c, image: i}]}}\n"
			    "---\n"
			    "apiVersion: apps/v1\n"
			    "kind: ReplicaSet\n"
			    "metadata: {name: r}\n"
			    "spec:\n"
			    "  selector: {}\n"
			    "  template: {metadata: {labels: {a: b}}}\n"
			    "---\n"
			    "apiVersion: apps/v1\n"
			    "kind: StatefulSet\n"
			    "metadata: {name: s}\n"
			    "spec:\n"
			    "  selector:\n"
			    "    matchExpressions:\n"
			    "    - {key: a, operator: In}\n"
			    "    - {key: b, operator: Exists, values: [x]}\n"
			    "    - {key: c, operator: Like}\n"
			    "    - {operator: DoesNotExist}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:5: Deployment default/web: spec.replicas: -1 is not between 0 and 2147483647"));
	assert_true(has(
		f,
		"t.yaml:8: Deployment default/web: spec.template.metadata.labels: do not match spec.selector"));
	assert_true(has(f, "t.yaml:15: DaemonSet default/d: spec.replicas: unknown field"));
	assert_true(has(f, "t.yaml:15: DaemonSet default/d: spec.selector: required"));
	assert_true(has(
		f,
		"t.yaml:22: ReplicaSet default/r: spec.selector: must not be empty (it would select every pod in the namespace)"));
	assert_true(has(f, "t.yaml:23: ReplicaSet default/r: spec.template.spec: required"));
	assert_true(has(f, "t.yaml:29: StatefulSet default/s: spec.template: required"));
	assert_true(has(
		f,
		"t.yaml:31: StatefulSet default/s: spec.selector.matchExpressions[0].values: must be specified when operator is In"));
	assert_true(has(
		f,
		"t.yaml:32: StatefulSet default/s: spec.selector.matchExpressions[1].values: may not be specified when operator is Exists"));
	assert_true(has(
		f,
		"t.yaml:33: StatefulSet default/s: spec.selector.matchExpressions[2].operator: \"Like\" is not one of In, NotIn, Exists, DoesNotExist"));
	assert_true(has(
		f,
		"t.yaml:34: StatefulSet default/s: spec.selector.matchExpressions[3].key: required"));
	done(f);
}

/* ---- Service -------------------------------------------------------------------------------- */

static void test_service(void **state)
{
	struct fx *f = load(
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: web, namespace: shop}\n"
		"spec:\n"
		"  type: NodePort\n"
		"  selector: {app: web}\n"
		"  clusterIP: 10.96.0.10\n"
		"  clusterIPs: [10.96.0.10, \"fd00::10\"]\n"
		"  sessionAffinity: None\n"
		"  ports:\n"
		"  - {name: http, port: 80, targetPort: http, nodePort: 30080}\n"
		"  - {name: dns, port: 53, protocol: UDP, targetPort: 5353, appProtocol: dns}\n"
		"  - {name: raw, port: 9000}\n");
	const struct res_service *s;

	(void)state;
	assert_clean(f);
	s = &only(f, RES_SERVICE)->u.service;
	assert_string_equal(s->type, "NodePort");
	assert_string_equal(labels_get(&s->selector, "app"), "web");
	assert_int_equal(s->ncluster_ips, 2);
	assert_int_equal(s->nports, 3);
	assert_string_equal(s->ports[0].target_name, "http");
	assert_int_equal(s->ports[0].target_port, 0);
	assert_int_equal(s->ports[0].node_port, 30080);
	assert_int_equal(s->ports[1].proto, PROTO_UDP);
	assert_int_equal(s->ports[1].target_port, 5353);
	assert_null(s->ports[2].target_name);
	assert_int_equal(s->ports[2].target_port, 9000); /* defaults to port */
	done(f);

	f = load("apiVersion: v1\nkind: Service\nmetadata: {name: h}\n"
		 "spec: {clusterIP: None, selector: {a: b}}\n");
	assert_clean(f);
	s = &only(f, RES_SERVICE)->u.service;
	assert_string_equal(s->type, "ClusterIP");
	assert_int_equal(s->ncluster_ips, 0);
	done(f);
}

static void test_service_errors(void **state)
{
	struct fx *f = load(
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: 1web}\n"
		"spec:\n"
		"  type: Internal\n"
		"  clusterIP: 10.96.0.300\n"
		"  ports:\n"
		"  - {port: 80, nodePort: 30000, targetPort: 0}\n"
		"  - {name: a, port: 80, targetPort: Web}\n"
		"---\n"
		"apiVersion: v1\nkind: Service\nmetadata: {name: e}\nspec: {type: ExternalName}\n"
		"---\n"
		"apiVersion: v1\nkind: Service\nmetadata: {name: n}\nspec: {selector: {a: b}}\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:3: Service default/1web: metadata.name: \"1web\" is not a valid Service name (a DNS-1035 label): must consist of lowercase letters, digits and '-', start with a letter and end with a letter or digit"));
	assert_true(has(
		f,
		"t.yaml:5: Service default/1web: spec.type: \"Internal\" is not one of ClusterIP, NodePort, LoadBalancer, ExternalName"));
	assert_true(has(
		f,
		"t.yaml:6: Service default/1web: spec.clusterIP: \"10.96.0.300\" is not a valid IP address or \"None\""));
	assert_true(has(
		f,
		"t.yaml:8: Service default/1web: spec.ports[0].name: required when a Service has more than one port"));
	assert_true(has(
		f,
		"t.yaml:8: Service default/1web: spec.ports[0].targetPort: 0 is not between 1 and 65535"));
	assert_true(has(
		f,
		"t.yaml:8: Service default/1web: spec.ports[0].nodePort: only valid with type NodePort or LoadBalancer"));
	assert_true(has(
		f,
		"t.yaml:9: Service default/1web: spec.ports[1].targetPort: \"Web\" is not a valid port name: must consist of lowercase letters, digits and '-'"));
	assert_true(has(
		f,
		"t.yaml:9: Service default/1web: spec.ports[1]: duplicate port 80/TCP (also ports[0])"));
	assert_true(has(f, "t.yaml:14: Service default/e: spec.externalName: required"));
	assert_true(has(f, "t.yaml:19: Service default/n: spec.ports: required"));
	done(f);
}

/* ---- Kubernetes NetworkPolicy ---------------------------------------------------------------- */

static const struct res_k8s_network_policy *knp(const struct fx *f, size_t i)
{
	assert_true(i < f->s.n);
	assert_int_equal(f->s.v[i]->kind, RES_K8S_NETWORK_POLICY);
	return &f->s.v[i]->u.knp;
}

static void test_knp_types_default(void **state)
{
	struct fx *f = load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: a}\nspec: {podSelector: {}}\n"
			    "---\n"
			    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: b}\nspec: {egress: [{}]}\n"
			    "---\n"
			    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: c}\nspec: {egress: []}\n"
			    "---\n"
			    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: d}\nspec: {policyTypes: [Egress], ingress: [{}]}\n"
			    "---\n"
			    "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\n"
			    "metadata: {name: e}\nspec: {policyTypes: [], egress: [{to: []}]}\n"
			    "---\n"
			    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: f}\n");

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 6);
	/* a: nothing -> Ingress only; the omitted selector is {} */
	assert_true(knp(f, 0)->ingress_type && !knp(f, 0)->egress_type);
	assert_false(knp(f, 0)->types_explicit);
	/* b: an egress list with one rule -> Ingress and Egress */
	assert_true(knp(f, 1)->ingress_type && knp(f, 1)->egress_type);
	assert_true(knp(f, 1)->pod_selector.present);
	/* c: an empty egress list does not make it an egress policy */
	assert_true(knp(f, 2)->ingress_type && !knp(f, 2)->egress_type);
	/* d: explicit types win over rules */
	assert_true(!knp(f, 3)->ingress_type && knp(f, 3)->egress_type);
	assert_true(knp(f, 3)->types_explicit);
	assert_int_equal(knp(f, 3)->ningress, 1);
	/* e: policyTypes: [] is the same as absent; extensions/v1beta1 reads as v1 */
	assert_false(knp(f, 4)->types_explicit);
	assert_true(knp(f, 4)->ingress_type && knp(f, 4)->egress_type);
	assert_int_equal(knp(f, 4)->egress[0].npeers, 0);
	/* f: no spec at all */
	assert_true(knp(f, 5)->ingress_type && !knp(f, 5)->egress_type);
	assert_true(knp(f, 5)->pod_selector.present);
	done(f);
}

static void test_knp_peers_ports(void **state)
{
	struct fx *f =
		load("apiVersion: networking.k8s.io/v1\n"
		     "kind: NetworkPolicy\n"
		     "metadata: {name: p, namespace: shop}\n"
		     "spec:\n"
		     "  podSelector: {matchLabels: {app: db}}\n"
		     "  ingress:\n"
		     "  - from:\n"
		     "    - namespaceSelector: {matchLabels: {team: a}}\n"
		     "      podSelector: {}\n"
		     "    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.3.4/32]}\n"
		     "    ports:\n"
		     "    - {port: 5432}\n"
		     "    - {protocol: UDP, port: 1000, endPort: 2000}\n"
		     "    - {port: metrics}\n"
		     "    - {protocol: SCTP}\n"
		     "  egress:\n"
		     "  - to: [{ipBlock: {cidr: \"2001:db8::/32\"}}]\n");
	const struct res_k8s_network_policy *p;
	const struct k8s_np_rule *r;

	(void)state;
	assert_clean(f);
	p = knp(f, 0);
	assert_int_equal(p->ningress, 1);
	r = &p->ingress[0];
	assert_int_equal(r->loc.line, 7);
	assert_int_equal(r->npeers, 2);
	assert_true(r->peers[0].namespace_selector.present);
	assert_true(r->peers[0].pod_selector.present);
	assert_false(r->peers[0].has_ip_block);
	assert_int_equal(r->peers[1].loc.line, 10);
	assert_true(r->peers[1].has_ip_block);
	assert_false(r->peers[1].pod_selector.present);
	assert_int_equal(r->peers[1].ip_block.len, 8);
	assert_int_equal(r->peers[1].nexcept, 2);
	assert_int_equal(r->peers[1].except[1].len, 32);
	assert_int_equal(r->nports, 4);
	assert_int_equal(r->ports[0].proto, PROTO_TCP);
	assert_true(r->ports[0].port.present);
	assert_int_equal(r->ports[0].port.num, 5432);
	assert_int_equal(r->ports[0].end_port, 0);
	assert_int_equal(r->ports[1].proto, PROTO_UDP);
	assert_int_equal(r->ports[1].end_port, 2000);
	assert_string_equal(r->ports[2].port.name, "metrics");
	assert_false(r->ports[3].port.present);
	assert_int_equal(r->ports[3].proto, PROTO_SCTP);
	assert_int_equal(p->egress[0].peers[0].ip_block.addr.family, 6);
	assert_true(p->egress_type); /* egress rules present, no policyTypes */
	done(f);
}

static void test_knp_errors(void **state)
{
	struct fx *f = load(
		"apiVersion: networking.k8s.io/v1\n"
		"kind: NetworkPolicy\n"
		"metadata: {name: p}\n"
		"spec:\n"
		"  policyTypes: [Ingress, Ingress, egress]\n"
		"  ingress:\n"
		"  - from:\n"
		"    - {}\n"
		"    - ipBlock: {cidr: 10.0.0.0/16}\n"
		"      podSelector: {}\n"
		"    - ipBlock: {except: [10.0.0.0/24]}\n"
		"    - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24, 10.0.0.0/16, \"fd00::/64\"]}\n"
		"    - ipBlock: {cidr: 10.0.0.0/33}\n"
		"    ports:\n"
		"    - {port: 0}\n"
		"    - {port: 80, endPort: 79}\n"
		"    - {port: http, endPort: 90}\n"
		"    - {endPort: 90}\n"
		"    - {port: [1]}\n"
		"    - {port: 80, endPort: 70000}\n"
		"  egress:\n"
		"  - too: []\n");

	(void)state;
	assert_int_equal(f->s.n, 0);
	assert_true(has(
		f,
		"t.yaml:5: NetworkPolicy default/p: spec.policyTypes[1]: Ingress is listed twice"));
	assert_true(has(
		f,
		"t.yaml:5: NetworkPolicy default/p: spec.policyTypes[2]: \"egress\" is not one of Ingress, Egress (did you mean \"Egress\"?)"));
	assert_true(has(
		f,
		"t.yaml:5: NetworkPolicy default/p: spec.policyTypes: may not list more than two policy types"));
	assert_true(has(
		f,
		"t.yaml:8: NetworkPolicy default/p: spec.ingress[0].from[0]: must specify at least one of podSelector, namespaceSelector, ipBlock"));
	assert_true(has(
		f,
		"t.yaml:9: NetworkPolicy default/p: spec.ingress[0].from[1]: ipBlock cannot be combined with podSelector or namespaceSelector"));
	assert_true(has(
		f,
		"t.yaml:11: NetworkPolicy default/p: spec.ingress[0].from[2].ipBlock.cidr: required"));
	assert_true(has(
		f,
		"t.yaml:12: NetworkPolicy default/p: spec.ingress[0].from[3].ipBlock.except[0]: 10.1.0.0/24 is not strictly inside cidr 10.0.0.0/16"));
	assert_true(has(
		f,
		"t.yaml:12: NetworkPolicy default/p: spec.ingress[0].from[3].ipBlock.except[1]: 10.0.0.0/16 is not strictly inside cidr 10.0.0.0/16"));
	assert_true(has(
		f,
		"t.yaml:12: NetworkPolicy default/p: spec.ingress[0].from[3].ipBlock.except[2]: fd00::/64 is not strictly inside cidr 10.0.0.0/16"));
	assert_true(has(
		f,
		"t.yaml:13: NetworkPolicy default/p: spec.ingress[0].from[4].ipBlock.cidr: \"10.0.0.0/33\" is not a valid CIDR"));
	assert_true(has(
		f,
		"t.yaml:15: NetworkPolicy default/p: spec.ingress[0].ports[0].port: 0 is not between 1 and 65535"));
	assert_true(has(
		f,
		"t.yaml:16: NetworkPolicy default/p: spec.ingress[0].ports[1].endPort: 79 is less than port 80"));
	assert_true(has(
		f,
		"t.yaml:17: NetworkPolicy default/p: spec.ingress[0].ports[2].endPort: may not be specified when port is a name"));
	assert_true(has(
		f,
		"t.yaml:18: NetworkPolicy default/p: spec.ingress[0].ports[3].endPort: may not be specified when port is not specified"));
	assert_true(has(
		f,
		"t.yaml:19: NetworkPolicy default/p: spec.ingress[0].ports[4].port: expected a port number or name, found a list"));
	assert_true(has(
		f,
		"t.yaml:20: NetworkPolicy default/p: spec.ingress[0].ports[5].endPort: 70000 is not between 1 and 65535"));
	assert_true(has(
		f,
		"t.yaml:22: NetworkPolicy default/p: spec.egress[0].too: unknown field (did you mean \"to\"?)"));
	done(f);
}

static void test_knp_host_bits_warning(void **state)
{
	struct fx *f = load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: p}\n"
			    "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/8}}]}]}\n");

	(void)state;
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->d.warnings, 1);
	assert_true(has(
		f,
		"t.yaml:4: warning: NetworkPolicy default/p: spec.ingress[0].from[0].ipBlock.cidr: 10.0.0.1/8 has host bits set; read as 10.0.0.0/8"));
	assert_int_equal(knp(f, 0)->ingress[0].peers[0].ip_block.addr.a[3], 0);
	done(f);
}

/* ---- hostile input -------------------------------------------------------------------------- */

static void test_truncated_yaml(void **state)
{
	struct fx *f = load("apiVersion: v1\n"
			    "kind: Namespace\n"
			    "metadata: {name: good}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: Namespace\n"
			    "metadata:\n"
			    "  name: \"unterminated\n");

	(void)state;
	assert_int_equal(f->rc, -EINVAL);
	assert_true(f->d.errors >= 1);
	assert_true(has_sub(f, "YAML syntax error"));
	/* The document before the syntax error still loads. */
	assert_int_equal(f->s.n, 1);
	assert_string_equal(f->s.v[0]->meta.name, "good");
	done(f);
}

static void test_truncated_json(void **state)
{
	static const char *const cuts[] = {
		"{",
		"{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"x\"",
		"{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"x",
		"{\"apiVersion\": \"v1\", \"kind\": \"Namesp",
		"[1, 2, ",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct fx *f = load(cuts[i]);

		assert_int_equal(f->rc, -EINVAL);
		assert_int_equal(f->s.n, 0);
		assert_true(f->d.errors >= 1);
		done(f);
	}
}

static void test_json_document(void **state)
{
	struct fx *f = load(
		"{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"GlobalNetworkPolicy\",\n"
		" \"metadata\": {\"name\": \"allow-dns\"},\n"
		" \"spec\": {\"order\": 10.5, \"egress\": [\n"
		"   {\"action\": \"Allow\", \"protocol\": \"UDP\",\n"
		"    \"destination\": {\"ports\": [53]}}]}}\n");
	const struct resource *r;

	(void)state;
	assert_clean(f);
	r = only(f, RES_GLOBAL_NETWORK_POLICY);
	assert_true(r->u.policy.has_order);
	assert_true(r->u.policy.order == 10.5);
	assert_true(r->u.policy.egress_type);
	assert_false(r->u.policy.ingress_type); /* egress rules only -> Egress only */
	assert_int_equal(r->u.policy.egress[0].loc.line, 4);
	done(f);
}

static void test_megabyte_strings(void **state)
{
	const size_t big = 1 << 20;
	char *buf = malloc(big + 512), *p;
	struct fx *f;

	(void)state;
	assert_non_null(buf);
	p = buf + sprintf(buf, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ");
	memset(p, 'a', big);
	p += big;
	p += sprintf(p, "\n  labels: {k: v}\n---\napiVersion: projectcalico.org/v3\n"
			"kind: GlobalNetworkPolicy\nmetadata: {name: x}\nspec:\n  selector: \"");
	*p = '\0';
	/* The second document's selector is a megabyte long too. */
	{
		size_t used = (size_t)(p - buf);
		char *nb = realloc(buf, used + big + 16);

		assert_non_null(nb);
		buf = nb;
		p = buf + used;
		memset(p, 'b', big);
		strcpy(p + big, "\"\n");
	}
	f = load(buf);
	assert_int_equal(f->s.n, 0);
	assert_true(has_sub(f, "t.yaml:4: Namespace "));
	assert_true(has_sub(
		f,
		"... (1048576 bytes) is not a valid name (a DNS-1123 label): must be at most 63 characters"));
	assert_true(has_sub(f, "GlobalNetworkPolicy x: spec.selector: invalid selector \"bbbb"));
	/* No diagnostic carries the megabyte. */
	for (size_t i = 0; i < f->d.n; i++)
		assert_true(strlen(f->d.v[i].msg) < 1024);
	done(f);
	free(buf);
}

static void test_deep_nesting(void **state)
{
	char buf[8192], *p = buf;
	struct fx *f;

	(void)state;
	p += sprintf(p, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: ");
	for (int i = 0; i < 500; i++)
		*p++ = '[';
	for (int i = 0; i < 500; i++)
		*p++ = ']';
	strcpy(p, "\n");
	f = load(buf);
	assert_int_equal(f->rc, -EINVAL);
	assert_int_equal(f->s.n, 0);
	assert_true(f->d.errors >= 1);
	done(f);

	/* Deep but legal nesting inside an ignored field is accepted as is. */
	p = buf;
	p += sprintf(p, "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n"
			"  containers: [{name: c, image: i}]\n  affinity: ");
	for (int i = 0; i < 100; i++)
		*p++ = '[';
	for (int i = 0; i < 100; i++)
		*p++ = ']';
	strcpy(p, "\n");
	f = load(buf);
	assert_clean(f);
	done(f);
}

static void test_many_errors_one_pass(void **state)
{
	struct fx *f = load("apiVersion: projectcalico.org/v3\n"
			    "kind: GlobalNetworkPolicy\n"
			    "metadata: {name: a}\n"
			    "spec:\n"
			    "  order: high\n"
			    "  ingress:\n"
			    "  - action: Block\n"
			    "  - action: Allow\n"
			    "    protocol: TCPP\n"
			    "  - action: Allow\n"
			    "    sorce: {}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: Namespace\n"
			    "metadata: {name: ok}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: Namespace\n"
			    "metadata: {name: Not_ok}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: Wat\n");

	(void)state;
	assert_int_equal(f->rc, -EINVAL);
	assert_int_equal(f->d.errors, 6);
	assert_true(has(
		f,
		"t.yaml:5: GlobalNetworkPolicy a: spec.order: expected a number, found a string"));
	assert_true(has(
		f,
		"t.yaml:7: GlobalNetworkPolicy a: spec.ingress[0].action: \"Block\" is not one of Allow, Deny, Log, Pass"));
	assert_true(has(
		f,
		"t.yaml:9: GlobalNetworkPolicy a: spec.ingress[1].protocol: \"TCPP\" is not a protocol: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255"));
	assert_true(has(
		f,
		"t.yaml:11: GlobalNetworkPolicy a: spec.ingress[2].sorce: unknown field (did you mean \"source\"?)"));
	assert_true(has_sub(f, "t.yaml:19: Namespace Not_ok: metadata.name:"));
	assert_true(has(f, "t.yaml:22: unknown kind \"Wat\" (apiVersion \"v1\")"));
	/* Objects with errors are left out; the good one is in. */
	assert_int_equal(f->s.n, 1);
	assert_string_equal(f->s.v[0]->meta.name, "ok");
	done(f);
}

/* ---- cross-object checks -------------------------------------------------------------------- */

static void test_duplicates(void **state)
{
	struct fx *f = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
			    "---\n"
			    "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
			    "---\n"
			    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: p, namespace: x}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
			    "metadata: {name: p, namespace: x}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
			    "metadata: {name: p, namespace: y}\n"
			    "---\n"
			    "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
			    "---\n"
			    "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
			    "metadata: {name: p, namespace: x}\n");

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 7);
	assert_int_equal(resource_set_check(&f->s, &f->d), -EINVAL);
	assert_int_equal(f->d.errors, 3);
	assert_true(has(f, "t.yaml:5: duplicate Namespace a, first defined at t.yaml:1"));
	assert_true(has(f, "t.yaml:21: duplicate Namespace a, first defined at t.yaml:1"));
	assert_true(has(f, "t.yaml:25: duplicate NetworkPolicy x/p, first defined at t.yaml:13"));
	done(f);
}

static void test_duplicates_across_files(void **state)
{
	struct resource_set s;
	struct diag_list d;
	static const char a[] = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n";

	(void)state;
	resource_set_init(&s);
	diag_list_init(&d);
	assert_int_equal(resource_load_buffer(&s, a, strlen(a), "one.yaml", &d), 0);
	assert_int_equal(resource_load_buffer(&s, a, strlen(a), "two.yaml", &d), 0);
	assert_int_equal(s.files, 2);
	assert_int_equal(resource_set_check(&s, &d), -EINVAL);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].file, "two.yaml");
	assert_int_equal(d.v[0].line, 1);
	assert_string_equal(d.v[0].msg, "duplicate Namespace a, first defined at one.yaml:1");
	resource_set_fini(&s);
	diag_list_fini(&d);
}

static void test_tier_exists(void **state)
{
	struct fx *f =
		load("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n"
		     "spec: {order: 100}\n"
		     "---\n"
		     "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		     "metadata: {name: security.a}\nspec: {tier: security}\n"
		     "---\n"
		     "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
		     "metadata: {name: platform.b, namespace: n}\nspec: {tier: platform}\n"
		     "---\n"
		     "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		     "metadata: {name: c}\nspec: {tier: default}\n");

	(void)state;
	assert_clean(f);
	assert_int_equal(resource_set_check(&f->s, &f->d), -EINVAL);
	assert_int_equal(f->d.errors, 1);
	assert_true(has(
		f,
		"t.yaml:11: NetworkPolicy n/platform.b: spec.tier: tier \"platform\" does not exist"));
	done(f);
}

/* ---- loading paths -------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_load_dir(void **state)
{
	char dir[] = "/tmp/palisade-test-XXXXXX", path[512];
	struct resource_set s;
	struct diag_list d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	write_file(path, "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");
	snprintf(path, sizeof(path), "%s/a.yml", dir);
	write_file(path, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
	snprintf(path, sizeof(path), "%s/.hidden.yaml", dir);
	write_file(path, "apiVersion: v1\nkind: Nope\n");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not yaml at all: [\n");
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/c.json", dir);
	write_file(path,
		   "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"c\"}}");
	snprintf(path, sizeof(path), "%s/.git", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.git/x.yaml", dir);
	write_file(path, "kind: Broken\n");

	resource_set_init(&s);
	diag_list_init(&d);
	assert_int_equal(resource_load_path(&s, dir, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(s.files, 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0]->meta.name, "a"); /* sorted: a.yml, b.yaml, sub/c.json */
	assert_string_equal(s.v[1]->meta.name, "b");
	assert_string_equal(s.v[2]->meta.name, "c");
	snprintf(path, sizeof(path), "%s/sub/c.json", dir);
	assert_string_equal(s.v[2]->loc.file, path);

	/* A file given by name is read whatever its suffix. */
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	assert_int_equal(resource_load_path(&s, path, &d), -EINVAL);
	assert_true(d.errors >= 1);
	assert_int_equal(resource_load_path(&s, "/nonexistent/palisade", &d), -ENOENT);
	resource_set_fini(&s);
	diag_list_fini(&d);

	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_empty_input(void **state)
{
	struct fx *f = load("");

	(void)state;
	assert_clean(f);
	assert_int_equal(f->s.n, 0);
	assert_int_equal(f->s.files, 1);
	done(f);
	f = load("# only a comment\n---\n---\n");
	assert_clean(f);
	assert_int_equal(f->s.n, 0);
	done(f);
}

/* ---- helpers -------------------------------------------------------------------------------- */

static void test_kind_helpers(void **state)
{
	(void)state;
	assert_string_equal(res_kind_name(RES_K8S_NETWORK_POLICY), "NetworkPolicy");
	assert_string_equal(res_kind_name(RES_NETWORK_POLICY), "NetworkPolicy");
	assert_string_equal(res_kind_id(RES_K8S_NETWORK_POLICY), "k8s.NetworkPolicy");
	assert_string_equal(res_kind_id(RES_NETWORK_POLICY), "NetworkPolicy");
	assert_string_equal(res_kind_name(RES_LAB), "Lab");
	assert_string_equal(res_kind_name(RES_GLOBAL_THREAT_FEED), "GlobalThreatFeed");
	assert_true(res_kind_namespaced(RES_POD));
	assert_true(res_kind_namespaced(RES_NETWORK_SET));
	assert_true(res_kind_namespaced(RES_WORKLOAD_ENDPOINT));
	assert_false(res_kind_namespaced(RES_GLOBAL_NETWORK_SET));
	assert_false(res_kind_namespaced(RES_NAMESPACE));
	assert_false(res_kind_namespaced(RES_TIER));
	assert_false(res_kind_namespaced(RES_HOST_ENDPOINT));
	for (int k = 0; k < RES_KIND_COUNT; k++) {
		assert_non_null(res_kind_name((enum res_kind)k));
		assert_string_not_equal(res_kind_name((enum res_kind)k), "?");
	}
	assert_string_equal(rule_action_name(ACTION_ALLOW), "Allow");
	assert_string_equal(rule_action_name(ACTION_DENY), "Deny");
	assert_string_equal(rule_action_name(ACTION_LOG), "Log");
	assert_string_equal(rule_action_name(ACTION_PASS), "Pass");
}

static void test_proto(void **state)
{
	uint8_t p = 0;

	(void)state;
	assert_int_equal(proto_parse("TCP", &p), 0);
	assert_int_equal(p, PROTO_TCP);
	assert_int_equal(proto_parse("ICMPv6", &p), 0);
	assert_int_equal(p, PROTO_ICMPV6);
	assert_int_equal(proto_parse("UDPLite", &p), 0);
	assert_int_equal(p, PROTO_UDPLITE);
	assert_int_equal(proto_parse("47", &p), 0);
	assert_int_equal(p, 47);
	assert_int_equal(proto_parse("255", &p), 0);
	assert_int_equal(proto_parse("tcp", &p), -EINVAL);
	assert_int_equal(proto_parse("0", &p), -EINVAL);
	assert_int_equal(proto_parse("256", &p), -EINVAL);
	assert_int_equal(proto_parse("", &p), -EINVAL);
	assert_int_equal(proto_parse("-1", &p), -EINVAL);
	assert_int_equal(proto_parse("1000", &p), -EINVAL);
	assert_int_equal(proto_parse(NULL, &p), -EINVAL);
	assert_string_equal(proto_name(PROTO_SCTP), "SCTP");
	assert_string_equal(proto_name(PROTO_ICMP), "ICMP");
	assert_null(proto_name(47));
}

static void test_resource_ref(void **state)
{
	struct fx *f = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\n"
			    "spec: {containers: [{name: c, image: i}]}\n"
			    "---\n"
			    "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n");
	char buf[64];

	(void)state;
	assert_clean(f);
	assert_string_equal(resource_ref(f->s.v[0], buf, sizeof(buf)), "n/p");
	assert_string_equal(resource_ref(f->s.v[1], buf, sizeof(buf)), "n");
	done(f);
}

static void test_names(void **state)
{
	(void)state;
	assert_null(dec_dns_label_err("a-1"));
	assert_non_null(dec_dns_label_err("-a"));
	assert_non_null(dec_dns_label_err("a."));
	assert_non_null(dec_dns_label_err(""));
	assert_non_null(dec_dns_label_err(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_null(dec_dns_subdomain_err("a.b-c.d"));
	assert_non_null(dec_dns_subdomain_err("a..b"));
	assert_non_null(dec_dns_subdomain_err("A.b"));
	assert_null(dec_dns1035_err("svc-1"));
	assert_non_null(dec_dns1035_err("1svc"));
	assert_null(dec_qualified_name_err("app"));
	assert_null(dec_qualified_name_err("example.com/My_Key.v1"));
	assert_non_null(dec_qualified_name_err("/x"));
	assert_non_null(dec_qualified_name_err("a/b/c"));
	assert_non_null(dec_qualified_name_err("Example.com/x"));
	assert_non_null(dec_qualified_name_err("x/"));
	assert_non_null(dec_qualified_name_err("_x"));
	assert_null(dec_label_value_err(""));
	assert_null(dec_label_value_err("v1.2_3-X"));
	assert_non_null(dec_label_value_err("a b"));
	assert_non_null(dec_label_value_err("-a"));
	assert_null(dec_port_name_err("http"));
	assert_null(dec_port_name_err("h2c-8080"));
	assert_non_null(dec_port_name_err("8080"));
	assert_non_null(dec_port_name_err("HTTP"));
	assert_non_null(dec_port_name_err("-http"));
	assert_non_null(dec_port_name_err("a--b"));
	assert_non_null(dec_port_name_err("abcdefghijklmnop"));
}

static void test_durations(void **state)
{
	int64_t ns;

	(void)state;
	assert_int_equal(dec_parse_duration("24h", &ns), 0);
	assert_true(ns == 86400LL * 1000000000LL);
	assert_int_equal(dec_parse_duration("1h30m", &ns), 0);
	assert_true(ns == 5400LL * 1000000000LL);
	assert_int_equal(dec_parse_duration("1.5h", &ns), 0);
	assert_true(ns == 5400LL * 1000000000LL);
	assert_int_equal(dec_parse_duration("300ms", &ns), 0);
	assert_true(ns == 300000000LL);
	assert_int_equal(dec_parse_duration("2us", &ns), 0);
	assert_true(ns == 2000);
	assert_int_equal(dec_parse_duration("2\xc2\xb5s", &ns), 0);
	assert_true(ns == 2000);
	assert_int_equal(dec_parse_duration("0", &ns), 0);
	assert_true(ns == 0);
	assert_int_equal(dec_parse_duration("-5m", &ns), 0);
	assert_true(ns == -300LL * 1000000000LL);
	assert_int_equal(dec_parse_duration(".5s", &ns), 0);
	assert_true(ns == 500000000LL);
	assert_int_equal(dec_parse_duration("24", &ns), -EINVAL);
	assert_int_equal(dec_parse_duration("", &ns), -EINVAL);
	assert_int_equal(dec_parse_duration("h", &ns), -EINVAL);
	assert_int_equal(dec_parse_duration("1d", &ns), -EINVAL);
	assert_int_equal(dec_parse_duration("1 h", &ns), -EINVAL);
	assert_int_equal(dec_parse_duration(".s", &ns), -EINVAL);
	assert_int_equal(dec_parse_duration("99999999999h", &ns), -ERANGE);
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(dec_edit_distance("sorce", "source", 2), 1);
	assert_int_equal(dec_edit_distance("Source", "source", 2), 0);
	assert_int_equal(dec_edit_distance("namespace_selector", "namespaceSelector", 2), 1);
	assert_int_equal(dec_edit_distance("abc", "xyz", 2), 3);
	assert_int_equal(dec_edit_distance("a", "abcdef", 2), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_article_loads),
		cmocka_unit_test(test_unknown_kind_and_api),
		cmocka_unit_test(test_missing_kind_not_map),
		cmocka_unit_test(test_list_unwrapped),
		cmocka_unit_test(test_list_without_items),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_metadata_errors),
		cmocka_unit_test(test_namespace_defaults),
		cmocka_unit_test(test_pod_good),
		cmocka_unit_test(test_pod_defaults),
		cmocka_unit_test(test_pod_errors),
		cmocka_unit_test(test_pod_containers_empty),
		cmocka_unit_test(test_deployment_good),
		cmocka_unit_test(test_workload_kinds),
		cmocka_unit_test(test_workload_errors),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_service_errors),
		cmocka_unit_test(test_knp_types_default),
		cmocka_unit_test(test_knp_peers_ports),
		cmocka_unit_test(test_knp_errors),
		cmocka_unit_test(test_knp_host_bits_warning),
		cmocka_unit_test(test_truncated_yaml),
		cmocka_unit_test(test_truncated_json),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_megabyte_strings),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_many_errors_one_pass),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_duplicates_across_files),
		cmocka_unit_test(test_tier_exists),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_kind_helpers),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_resource_ref),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_edit_distance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
