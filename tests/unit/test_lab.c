/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the lab's pure parts: the YAML printer (src/lab/docgen.h) against the
 * parser, Kubernetes-style names (src/lab/k8sname.h) and planning (src/lab/plan.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lab/docgen.h"
#include "lab/k8sname.h"
#include "lab/lab.h"
#include "lab/labfs.h"
#include "lab/plan.h"
#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/doc.h"
#include "lib/strbuf.h"

/* What a scalar means to the decoder: its text and whether it is a number, bool or null. */
static int meaning(const struct doc_node *n)
{
	long long i;
	double d;
	bool b;

	if (n->type == DOC_NULL)
		return 'n';
	if (n->tag && strcmp(n->tag, "tag:yaml.org,2002:str") == 0)
		return 's';
	if (doc_to_int(n, &i) == 0)
		return 'i';
	if (doc_to_double(n, &d) == 0)
		return 'f';
	if (doc_to_bool(n, &b) == 0)
		return 'b';
	return 's';
}

static void assert_same(const struct doc_node *a, const struct doc_node *b)
{
	if (a->type == DOC_NULL || b->type == DOC_NULL) {
		assert_int_equal(meaning(a), meaning(b));
		return;
	}
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->n, b->n);
	switch (a->type) {
	case DOC_SCALAR:
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->str, b->str, a->len);
		assert_int_equal(meaning(a), meaning(b));
		break;
	case DOC_SEQ:
		for (size_t i = 0; i < a->n; i++)
			assert_same(a->items[i], b->items[i]);
		break;
	case DOC_MAP:
		for (size_t i = 0; i < a->n; i++) {
			assert_string_equal(a->pairs[i].key->str, b->pairs[i].key->str);
			assert_same(a->pairs[i].value, b->pairs[i].value);
		}
		break;
	default:
		break;
	}
}

/* Prints n, parses the text, and requires the same tree back. */
static void roundtrip(const struct doc_node *n)
{
	struct arena a;
	struct diag_list d;
	struct doc_node **docs = NULL;
	size_t ndocs = 0;
	struct strbuf sb;

	arena_init(&a);
	diag_list_init(&d);
	strbuf_init(&sb);
	docgen_emit(&sb, n);
	assert_false(sb.oom);
	if (doc_parse(sb.s, sb.len, "emitted.yaml", &a, &docs, &ndocs, &d) != 0 || ndocs != 1) {
		char line[512];

		for (size_t i = 0; i < d.n; i++) {
			diag_format(&d.v[i], line, sizeof(line));
			print_error("%s\n", line);
		}
		print_error("--- emitted:\n%s---\n", sb.s);
		fail();
	}
	assert_same(n, docs[0]);
	strbuf_fini(&sb);
	diag_list_fini(&d);
	arena_fini(&a);
}

static void test_roundtrip_file(void **state)
{
	static const char text[] = "apiVersion: v1\n"
				   "plain: word\n"
				   "num: 80\n"
				   "neg: -1\n"
				   "float: 1.5e3\n"
				   "hex: 0x1F\n"
				   "quotednum: \"80\"\n"
				   "bool: true\n"
				   "quotedbool: 'true'\n"
				   "nul: null\n"
				   "tilde: ~\n"
				   "empty:\n"
				   "colon: \"a: b\"\n"
				   "hash: \"x #y\"\n"
				   "range: 80:90\n"
				   "sel: app == 'web' && !has(x)\n"
				   "dash: \"-\"\n"
				   "lead: \" spaced \"\n"
				   "multi: |\n  line one\n  line two\n"
				   "esc: \"tab\\there \\\"q\\\" back\\\\slash \\x01\"\n"
				   "utf8: \"caf\xc3\xa9 \xe2\x9c\x93\"\n"
				   "tagged: !!str 42\n"
				   "\"quoted key\": v\n"
				   "\"80\": numeric key\n"
				   "emptymap: {}\n"
				   "emptyseq: []\n"
				   "seq:\n- a\n- - nested\n  - 2\n- {k: v, n: 1}\n- []\n- {}\n"
				   "map:\n  inner:\n    deeper: [1, \"2\", three]\n";
	struct arena a;
	struct diag_list d;
	struct doc_node **docs = NULL;
	size_t n = 0;

	(void)state;
	arena_init(&a);
	diag_list_init(&d);
	assert_int_equal(doc_parse(text, sizeof(text) - 1, "t.yaml", &a, &docs, &n, &d), 0);
	assert_int_equal(n, 1);
	roundtrip(docs[0]);
	diag_list_fini(&d);
	arena_fini(&a);
}

/* Random strings from an alphabet that has every character class the printer treats
 * differently. */
static char *random_string(struct arena *a, unsigned *seed)
{
	static const char chars[] = "aZ09.-_/+:# '\"\\\t\n{}[],&*!|>%@`~?=\x01\x7f\xc3\xa9";
	size_t len = (size_t)(rand_r(seed) % 12);
	char buf[16];

	for (size_t i = 0; i < len; i++)
		buf[i] = chars[rand_r(seed) % (sizeof(chars) - 1)];
	buf[len] = '\0';
	/* Keep UTF-8 valid: drop a lone lead or continuation byte. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] == 0xc3 && (unsigned char)buf[i + 1] != 0xa9)
			buf[i] = 'x';
		else if ((unsigned char)buf[i] == 0xa9 &&
			 (i == 0 || (unsigned char)buf[i - 1] != 0xc3))
			buf[i] = 'y';
	return arena_strdup(a, buf);
}

static struct doc_node *random_tree(struct arena *a, unsigned *seed, int depth)
{
	int kind = depth > 3 ? 0 : rand_r(seed) % 4;
	struct doc_node *n;

	if (kind == 0) {
		const char *s = random_string(a, seed);

		if (rand_r(seed) % 3 == 0)
			return docgen_plain(a, rand_r(seed) % 2 ? "123" : "true");
		return docgen_str(a, s);
	}
	if (kind == 1) {
		n = docgen_seq(a);
		for (int i = rand_r(seed) % 4; i > 0; i--)
			assert_int_equal(docgen_append(a, n, random_tree(a, seed, depth + 1)), 0);
		return n;
	}
	n = docgen_map(a);
	for (int i = rand_r(seed) % 4; i > 0; i--) {
		char key[32];

		snprintf(key, sizeof(key), "k%d-%s", i, rand_r(seed) % 2 ? "x.y/z" : "w");
		assert_int_equal(docgen_set(a, n, key, random_tree(a, seed, depth + 1)), 0);
	}
	return n;
}

static void test_roundtrip_random(void **state)
{
	unsigned seed = (unsigned)time(NULL);

	(void)state;
	print_message("test_roundtrip_random: seed %u\n", seed);
	for (int i = 0; i < 500; i++) {
		struct arena a;

		arena_init(&a);
		roundtrip(random_tree(&a, &seed, 0));
		arena_fini(&a);
	}
}

static void test_builder(void **state)
{
	struct arena a;
	struct doc_node *m;

	(void)state;
	arena_init(&a);
	m = docgen_map(&a);
	assert_int_equal(docgen_set_str(&a, m, "a", "1"), 0);
	assert_int_equal(docgen_set_str(&a, m, "b", "2"), 0);
	assert_int_equal(docgen_set_str(&a, m, "a", "3"), 0);
	assert_int_equal(m->n, 2);
	assert_string_equal(doc_get(m, "a")->str, "3");
	assert_true(doc_get(m, "a")->quoted);
	docgen_del(m, "a");
	assert_int_equal(m->n, 1);
	assert_null(doc_get(m, "a"));
	assert_null(docgen_map_copy(&a, docgen_seq(&a), false));
	assert_int_equal(docgen_map_copy(&a, NULL, true)->n, 0);
	arena_fini(&a);
}

static bool in_alphabet(const char *s)
{
	return strspn(s, k8sname_alphabet) == strlen(s);
}

static void test_names(void **state)
{
	char h[16], sfx[8], again[8], uid[40];
	uint64_t s1 = 42, s2 = 42;

	(void)state;
	/* Kubernetes: rand.SafeEncodeString(fmt.Sprint(hash)); '0' is byte 48, 48 % 27 = 21. */
	k8sname_hash_string(0, h);
	assert_string_equal(h, "4");
	k8sname_hash_string(4294967295u, h);
	assert_int_equal(strlen(h), 10);
	assert_true(in_alphabet(h));
	k8sname_suffix(&s1, sfx);
	k8sname_suffix(&s2, again);
	assert_string_equal(sfx, again);
	assert_int_equal(strlen(sfx), 5);
	assert_true(in_alphabet(sfx));
	k8sname_suffix(&s1, again);
	assert_string_not_equal(sfx, again);
	k8sname_uid("Pod/default/x", uid);
	assert_int_equal(strlen(uid), 36);
	assert_true(uid[8] == '-' && uid[13] == '-' && uid[14] == '4' && uid[18] == '-');
	/* FNV-1a test vector. */
	assert_int_equal(k8sname_fnv32a("a", 1, K8SNAME_FNV32_INIT), 0xe40c292cu);
}

static void test_prefix_and_paths(void **state)
{
	char p1[LAB_PREFIX_LEN + 1], p2[LAB_PREFIX_LEN + 1];
	char *a;

	(void)state;
	lab_prefix("/run/palisade/lab", p1);
	lab_prefix("/run/palisade/lab2", p2);
	assert_int_equal(strlen(p1), LAB_PREFIX_LEN);
	assert_memory_equal(p1, "pl", 2);
	assert_int_equal(p1[LAB_PREFIX_LEN - 1], '-');
	assert_string_not_equal(p1, p2);
	a = lab_abspath("/a/./b//c/../d/");
	assert_string_equal(a, "/a/b/d");
	free(a);
	a = lab_abspath("/..");
	assert_string_equal(a, "/");
	free(a);
}

static const char manifest[] =
	"apiVersion: palisade.dev/v1alpha1\n"
	"kind: Lab\n"
	"metadata: {name: t}\n"
	"spec:\n"
	"  nodes: 2\n"
	"  externalHosts: [{name: client, ip: 203.0.113.10}]\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata: {name: nginx, namespace: web}\n"
	"spec:\n"
	"  replicas: 3\n"
	"  selector: {matchLabels: {app: nginx}}\n"
	"  template:\n"
	"    metadata: {labels: {app: nginx}}\n"
	"    spec:\n"
	"      containers:\n"
	"      - {name: n, image: nginx, ports: [{containerPort: 80}, {containerPort: 53, "
	"protocol: UDP}, {containerPort: 9, protocol: SCTP}, {containerPort: 80, name: again}]}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata: {name: db, namespace: data, labels: {app: db}}\n"
	"spec: {nodeName: node2, containers: [{name: db, image: pg}]}\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: deny, namespace: web}\n"
	"spec: {podSelector: {}}\n";

/* Plans the manifest above from a file in dir; returns the plan's result. */
static int plan_from(struct lab_plan *p, const char *dir, const char *text, uint64_t seed)
{
	char path[512];
	struct diag_list d;
	char *paths[1] = {path};
	int rc;

	snprintf(path, sizeof(path), "%s/in.yaml", dir);
	assert_int_equal(labfs_write_atomic(path, text, strlen(text)), 0);
	diag_list_init(&d);
	lab_plan_init(p);
	rc = lab_plan_build(p, paths, 1, seed, &d);
	diag_list_fini(&d);
	return rc;
}

static void test_plan(void **state)
{
	char tmpl[] = "/tmp/palisade-test-lab.XXXXXX", *dir = mkdtemp(tmpl), ds[600];
	struct lab_plan p, q;
	struct resource_set rs;
	struct diag_list d;
	const struct lab *l;
	size_t npods = 0;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(plan_from(&p, dir, manifest, 0), 0);
	l = p.lab;
	assert_string_equal(l->name, "t");
	assert_int_equal(l->nnodes, 2);
	assert_int_equal(l->npods, 4);
	assert_int_equal(p.generated, 3);
	assert_int_equal(l->nhosts, 1);
	/* Round-robin over the nodes; the pod that names node2 stays there. */
	assert_int_equal(l->pods[0].node, 0);
	assert_int_equal(l->pods[1].node, 1);
	assert_int_equal(l->pods[2].node, 0);
	assert_string_equal(l->pods[3].ref, "data/db");
	assert_int_equal(l->pods[3].node, 1);
	/* TCP 80 once, UDP 53, no SCTP. */
	assert_int_equal(l->pods[0].ntcp, 1);
	assert_int_equal(l->pods[0].tcp[0], 80);
	assert_int_equal(l->pods[0].nudp, 1);
	assert_int_equal(l->pods[0].udp[0], 53);
	for (size_t i = 0; i < 3; i++) {
		const char *n = l->pods[i].name;

		assert_memory_equal(n, "nginx-", 6);
		assert_int_equal(strlen(strrchr(n, '-') + 1), 5);
	}
	/* Objects: Lab, Deployment, ReplicaSet, 4 pods, NetworkPolicy, Namespaces web and data. */
	assert_int_equal(p.nobjs, 10);

	/* The same input gives the same names; another seed other names. */
	assert_int_equal(plan_from(&q, dir, manifest, 0), 0);
	assert_string_equal(q.lab->pods[0].name, l->pods[0].name);
	lab_plan_fini(&q);
	assert_int_equal(plan_from(&q, dir, manifest, 7), 0);
	assert_string_not_equal(q.lab->pods[0].name, l->pods[0].name);
	lab_plan_fini(&q);

	/* The datastore reads back without a diagnostic. */
	snprintf(ds, sizeof(ds), "%s/ds", dir);
	assert_int_equal(labfs_mkdir_p(ds, 0755), 0);
	{
		char err[256];

		assert_int_equal(lab_plan_write(&p, ds, err, sizeof(err)), 0);
	}
	resource_set_init(&rs);
	diag_list_init(&d);
	assert_int_equal(resource_load_path(&rs, ds, &d), 0);
	assert_int_equal(resource_set_check(&rs, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(rs.n, 10);
	for (size_t i = 0; i < rs.n; i++)
		if (rs.v[i]->kind == RES_POD) {
			npods++;
			assert_int_equal(rs.v[i]->u.pod.nips, 1);
			assert_non_null(rs.v[i]->u.pod.spec.node_name);
			if (!strcmp(rs.v[i]->meta.namespace_, "web")) {
				assert_int_equal(rs.v[i]->meta.nowners, 1);
				assert_string_equal(rs.v[i]->meta.owners[0].kind, "ReplicaSet");
				assert_true(rs.v[i]->meta.owners[0].controller);
			}
		}
	assert_int_equal(npods, 4);
	diag_list_fini(&d);
	resource_set_fini(&rs);
	lab_plan_fini(&p);
	assert_int_equal(labfs_rmtree(dir), 0);
}

static void test_plan_refusals(void **state)
{
	char tmpl[] = "/tmp/palisade-test-lab.XXXXXX", *dir = mkdtemp(tmpl);
	struct lab_plan p;

	(void)state;
	assert_non_null(dir);
	/* Too many nodes for the pod range, two Lab objects, invalid input. */
	assert_int_equal(
		plan_from(&p, dir,
			  "apiVersion: palisade.dev/v1alpha1\nkind: Lab\nmetadata: {name: a}\n"
			  "spec: {nodes: 3, podCIDR: 10.9.0.0/23}\n",
			  0),
		-EINVAL);
	lab_plan_fini(&p);
	assert_int_equal(
		plan_from(&p, dir,
			  "apiVersion: palisade.dev/v1alpha1\nkind: Lab\nmetadata: {name: a}\n"
			  "---\napiVersion: palisade.dev/v1alpha1\nkind: Lab\n"
			  "metadata: {name: b}\n",
			  0),
		-EINVAL);
	lab_plan_fini(&p);
	assert_int_equal(plan_from(&p, dir, "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", 0),
			 -EINVAL);
	lab_plan_fini(&p);
	/* No Lab object: one node, and a Lab in the datastore. */
	assert_int_equal(plan_from(&p, dir,
				   "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"
				   "spec: {containers: [{name: c, image: i}]}\n",
				   0),
			 0);
	assert_int_equal(p.lab->nnodes, 1);
	assert_int_equal(p.nobjs, 3); /* the pod, Namespace default, the Lab */
	lab_plan_fini(&p);
	assert_int_equal(labfs_rmtree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_file),	 cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_builder),		 cmocka_unit_test(test_names),
		cmocka_unit_test(test_prefix_and_paths), cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
