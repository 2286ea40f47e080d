/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the document tree (src/lib/doc.h): parsing, positions, limits, typing. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/doc.h"

/* One parse and everything it produced. */
struct parsed {
	struct arena a;
	struct diag_list d;
	struct doc_node **docs;
	size_t n;
	int rc;
	char line[4096];
};

static struct parsed *parse_buf(const char *buf, size_t len)
{
	struct parsed *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	arena_init(&p->a);
	diag_list_init(&p->d);
	p->rc = doc_parse(buf, len, "t.yaml", &p->a, &p->docs, &p->n, &p->d);
	return p;
}

static struct parsed *parse(const char *text)
{
	return parse_buf(text, strlen(text));
}

static void done(struct parsed *p)
{
	arena_fini(&p->a);
	diag_list_fini(&p->d);
	free(p);
}

/* The text form of diagnostic i. */
static const char *diag_at(struct parsed *p, size_t i)
{
	assert_true(i < p->d.n);
	diag_format(&p->d.v[i], p->line, sizeof(p->line));
	return p->line;
}

/* Asserts that the parse produced exactly the one diagnostic msg and returned rc. */
static void expect_one(struct parsed *p, int rc, const char *msg)
{
	if (p->d.n != 1) {
		for (size_t i = 0; i < p->d.n; i++)
			print_message("diag: %s\n", diag_at(p, i));
	}
	assert_int_equal(p->d.n, 1);
	assert_string_equal(diag_at(p, 0), msg);
	assert_int_equal(p->rc, rc);
}

static void expect_clean(struct parsed *p)
{
	for (size_t i = 0; i < p->d.n; i++)
		print_message("diag: %s\n", diag_at(p, i));
	assert_int_equal(p->d.n, 0);
	assert_int_equal(p->rc, 0);
}

/*
 * A compact rendering of a tree: maps {k: v}, lists [a, b], nulls ~, quoted scalars in
 * double quotes, and with pos each node followed by @line:col.
 */
struct out {
	char *s;
	size_t len, cap;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (o->len + (size_t)n < o->cap)
			break;
		o->cap = (o->cap + (size_t)n) * 2;
		o->s = realloc(o->s, o->cap);
		assert_non_null(o->s);
	}
	o->len += (size_t)n;
}

static void render(struct out *o, const struct doc_node *n, bool pos)
{
	switch (n->type) {
	case DOC_NULL:
		out_add(o, "~");
		break;
	case DOC_SCALAR:
		if (n->quoted)
			out_add(o, "\"%s\"", n->str);
		else
			out_add(o, "%s", n->str);
		break;
	case DOC_SEQ:
		out_add(o, "[");
		for (size_t i = 0; i < n->n; i++) {
			out_add(o, i ? ", " : "");
			render(o, n->items[i], pos);
		}
		out_add(o, "]");
		break;
	case DOC_MAP:
		out_add(o, "{");
		for (size_t i = 0; i < n->n; i++) {
			out_add(o, i ? ", " : "");
			render(o, n->pairs[i].key, pos);
			out_add(o, ": ");
			render(o, n->pairs[i].value, pos);
		}
		out_add(o, "}");
		break;
	}
	if (pos)
		out_add(o, "@%d:%d", n->line, n->col);
}

static void expect_tree(const struct doc_node *n, bool pos, const char *want)
{
	struct out o = {.s = malloc(64), .cap = 64};

	assert_non_null(o.s);
	o.s[0] = '\0';
	render(&o, n, pos);
	assert_string_equal(o.s, want);
	free(o.s);
}

static const struct doc_node *path(const struct doc_node *n, const char *a, const char *b)
{
	n = doc_get(n, a);
	return b ? doc_get(n, b) : n;
}

static char *read_file(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- trees and positions ---- */

static void test_nested_positions(void **state)
{
	struct parsed *p = parse("# a comment\n"
				 "kind: Pod\n"
				 "metadata:\n"
				 "  name: web\n"
				 "  labels:\n"
				 "    app: \"web\"\n"
				 "spec:\n"
				 "  ports:\n"
				 "  - 80\n"
				 "  -   name: http\n"
				 "      port: 8080\n"
				 "  list: [a, {b: c}]\n");
	const struct doc_node *r, *ports, *item;

	expect_clean(p);
	assert_int_equal(p->n, 1);
	r = p->docs[0];
	expect_tree(r, false,
		    "{kind: Pod, metadata: {name: web, labels: {app: \"web\"}}, spec: {ports: [80, "
		    "{name: http, port: 8080}], list: [a, {b: c}]}}");
	expect_tree(r, true,
		    "{kind@2:1: Pod@2:7, metadata@3:1: {name@4:3: web@4:9, labels@5:3: "
		    "{app@6:5: \"web\"@6:10}@6:5}@4:3, spec@7:1: {ports@8:3: [80@9:5, "
		    "{name@10:7: http@10:13, port@11:7: 8080@11:13}@10:7]@9:3, list@12:3: "
		    "[a@12:10, {b@12:14: c@12:17}@12:13]@12:9}@8:3}@2:1");
	ports = path(r, "spec", "ports");
	assert_int_equal(ports->type, DOC_SEQ);
	assert_int_equal(ports->n, 2);
	item = ports->items[1];
	assert_int_equal(item->type, DOC_MAP);
	assert_int_equal(doc_get(item, "port")->line, 11);
	assert_int_equal(doc_get(item, "port")->col, 13);
	assert_false(path(r, "metadata", "name")->quoted);
	assert_true(doc_get(doc_get(path(r, "metadata", "labels"), "app"), NULL) == NULL);
	assert_true(doc_get(path(r, "metadata", "labels"), "app")->quoted);
	done(p);
}

static void test_scalar_styles(void **state)
{
	struct parsed *p = parse("plain: a b\n"
				 "single: 'it''s'\n"
				 "double: \"tab\\there\\u00e9\"\n"
				 "literal: |\n"
				 "  one\n"
				 "  two\n"
				 "folded: >-\n"
				 "  one\n"
				 "  two\n"
				 "nul: \"a\\0b\"\n");
	const struct doc_node *r, *n;

	expect_clean(p);
	r = p->docs[0];
	n = doc_get(r, "plain");
	assert_string_equal(n->str, "a b");
	assert_false(n->quoted);
	n = doc_get(r, "single");
	assert_string_equal(n->str, "it's");
	assert_true(n->quoted);
	n = doc_get(r, "double");
	assert_string_equal(n->str, "tab\there\xc3\xa9");
	assert_true(n->quoted);
	n = doc_get(r, "literal");
	assert_string_equal(n->str, "one\ntwo\n");
	assert_true(n->quoted);
	assert_int_equal(n->line, 4);
	assert_int_equal(n->col, 10);
	n = doc_get(r, "folded");
	assert_string_equal(n->str, "one two");
	assert_true(n->quoted);
	n = doc_get(r, "nul");
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->str, "a\0b", 4);
	done(p);
}

static void test_nulls(void **state)
{
	struct parsed *p = parse("a:\n"
				 "b: ~\n"
				 "c: null\n"
				 "d: Null\n"
				 "e: NULL\n"
				 "f: \"null\"\n"
				 "g: 'null'\n"
				 "h: nULL\n"
				 "i: !!str null\n"
				 "j: !!null null\n"
				 "null: k\n"
				 "~: l\n"
				 "m: [~, null, {x: }]\n");
	const struct doc_node *r, *n;
	const char *nulls[] = {"a", "b", "c", "d", "e", "j"};
	const char *strings[] = {"f", "g", "h", "i"};

	expect_clean(p);
	r = p->docs[0];
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		n = doc_get(r, nulls[i]);
		assert_non_null(n);
		assert_int_equal(n->type, DOC_NULL);
		assert_true(doc_is_null(n));
		assert_int_equal(n->line, (int)i + 1 + (i == 5 ? 4 : 0));
		/* An empty value starts right after its colon. */
		assert_int_equal(n->col, i == 0 ? 3 : 4);
		assert_string_equal(doc_type_name(n), "null");
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		n = doc_get(r, strings[i]);
		assert_int_equal(n->type, DOC_SCALAR);
		assert_false(doc_is_null(n));
		assert_string_equal(doc_type_name(n), "a string");
	}
	assert_string_equal(doc_get(r, "h")->str, "nULL");
	assert_string_equal(doc_get(r, "i")->tag, "tag:yaml.org,2002:str");
	/* Keys are always scalars, even when their text reads as null. */
	assert_string_equal(doc_get(r, "null")->str, "k");
	assert_string_equal(doc_get(r, "~")->str, "l");
	assert_int_equal(r->pairs[10].key->type, DOC_SCALAR);
	assert_int_equal(r->pairs[11].key->type, DOC_SCALAR);
	expect_tree(doc_get(r, "m"), true, "[~@13:5, ~@13:8, {x@13:15: ~@13:18}@13:14]@13:4");
	done(p);
}

static void test_tags(void **state)
{
	struct parsed *p = parse("a: !!str 80\nb: !!int 80\nc: !custom x\nd: !!map {k: v}\n");
	const struct doc_node *r;
	long long v;

	expect_clean(p);
	r = p->docs[0];
	assert_string_equal(doc_get(r, "a")->tag, "tag:yaml.org,2002:str");
	assert_int_equal(doc_to_int(doc_get(r, "a"), &v), -EINVAL);
	assert_string_equal(doc_type_name(doc_get(r, "a")), "a string");
	assert_string_equal(doc_get(r, "b")->tag, "tag:yaml.org,2002:int");
	assert_int_equal(doc_to_int(doc_get(r, "b"), &v), 0);
	assert_int_equal(v, 80);
	assert_string_equal(doc_get(r, "c")->tag, "!custom");
	assert_string_equal(doc_type_name(doc_get(r, "c")), "a string");
	assert_string_equal(doc_get(r, "d")->tag, "tag:yaml.org,2002:map");
	assert_null(doc_get(r, "a")->items);
	done(p);
}

static void test_multi_document(void **state)
{
	struct parsed *p = parse("---\n"
				 "---\n"
				 "# only a comment\n"
				 "---\n"
				 "a: 1\n"
				 "...\n"
				 "---\n"
				 "...\n"
				 "--- ~\n"
				 "---\n"
				 "- x\n"
				 "---\n");

	expect_clean(p);
	assert_int_equal(p->n, 3);
	expect_tree(p->docs[0], true, "{a@5:1: 1@5:4}@5:1");
	/* An explicit null document is not empty: the decoder will say what it expected. */
	expect_tree(p->docs[1], true, "~@9:5");
	expect_tree(p->docs[2], true, "[x@11:3]@11:1");
	done(p);

	p = parse("");
	expect_clean(p);
	assert_int_equal(p->n, 0);
	assert_null(p->docs);
	done(p);

	p = parse("# nothing\n\n");
	expect_clean(p);
	assert_int_equal(p->n, 0);
	done(p);
}

static void test_json(void **state)
{
	struct parsed *p = parse("{\n"
				 "  \"kind\": \"Pod\",\n"
				 "  \"spec\": {\n"
				 "\t\"port\": 80,\n"
				 "    \"ratio\": 0.5,\n"
				 "    \"on\": true,\n"
				 "    \"none\": null,\n"
				 "    \"s\": \"80\",\n"
				 "    \"list\": [1, \"two\", {\"three\":3}]\n"
				 "  }\n"
				 "}\n");
	const struct doc_node *spec, *n;
	long long v;
	double d;
	bool b;

	expect_clean(p);
	assert_int_equal(p->n, 1);
	spec = doc_get(p->docs[0], "spec");
	assert_int_equal(spec->line, 3);
	n = doc_get(spec, "port");
	assert_int_equal(n->line, 4);
	assert_int_equal(n->col, 10);
	assert_int_equal(doc_to_int(n, &v), 0);
	assert_int_equal(v, 80);
	n = doc_get(spec, "ratio");
	assert_int_equal(n->line, 5);
	assert_int_equal(doc_to_double(n, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(doc_to_bool(doc_get(spec, "on"), &b), 0);
	assert_true(b);
	assert_true(doc_is_null(doc_get(spec, "none")));
	assert_int_equal(doc_get(spec, "none")->line, 7);
	n = doc_get(spec, "s");
	assert_int_equal(doc_to_int(n, &v), -EINVAL);
	assert_string_equal(doc_type_name(n), "a string");
	expect_tree(doc_get(spec, "list"), true,
		    "[1@9:14, \"two\"@9:17, {\"three\"@9:25: 3@9:33}@9:24]@9:13");
	/* JSON keys are quoted scalars; lookup is by text. */
	assert_true(spec->pairs[0].key->quoted);
	done(p);
}

static void test_bom_and_crlf(void **state)
{
	struct parsed *p = parse("\xef\xbb\xbf"
				 "a: 1\r\n"
				 "b:\r\n"
				 "  c: 2\r\n");

	expect_clean(p);
	expect_tree(p->docs[0], true, "{a@1:1: 1@1:4, b@2:1: {c@3:3: 2@3:6}@3:3}@1:1");
	done(p);

	/* The first pass counts lines as libyaml does: CR LF, CR, LF and NEL each end one. */
	p = parse("a: 1\r\nb: 2\rc:\n\xc2\xa0"
		  "d: 3\xc2\x85"
		  "e: x\xc2\xa0\n");
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 2);
	assert_string_equal(diag_at(p, 0), "t.yaml:5: U+00A0 (no-break space) inside a value at "
					   "column 5; replace it with a space");
	assert_string_equal(diag_at(p, 1), "t.yaml:4: warning: indentation uses U+00A0 (no-break "
					   "space) on 1 line; read as spaces");
	expect_tree(
		p->docs[0], true,
		"{a@1:1: 1@1:4, b@2:1: 2@2:4, c@3:1: {d@4:2: 3@4:5}@4:2, e@5:1: x\xc2\xa0@5:4}@1:1");
	done(p);
}

/* ---- U+00A0 ---- */

static void test_nbsp_indentation(void **state)
{
	struct parsed *p = parse("a:\n"
				 "\xc2\xa0\xc2\xa0"
				 "b: 1\n"
				 "\xc2\xa0 c:\n"
				 "   \xc2\xa0"
				 "d: x y\n");

	assert_int_equal(p->rc, 0);
	expect_one(p, 0,
		   "t.yaml:2: warning: indentation uses U+00A0 (no-break space) on 3 lines; read "
		   "as spaces");
	assert_int_equal(p->d.errors, 0);
	expect_tree(p->docs[0], true,
		    "{a@1:1: {b@2:3: 1@2:6, c@3:3: {d@4:5: x y@4:8}@4:5}@2:3}@1:1");
	done(p);

	p = parse("x: 1\ny:\n\xc2\xa0 z: 2\n");
	expect_one(p, 0,
		   "t.yaml:3: warning: indentation uses U+00A0 (no-break space) on 1 line; read as "
		   "spaces");
	done(p);
}

static void test_nbsp_in_value(void **state)
{
	struct parsed *p = parse("a: b\xc2\xa0"
				 "c\n");

	expect_one(p, -EINVAL,
		   "t.yaml:1: U+00A0 (no-break space) inside a value at column 5; replace it with "
		   "a space");
	/* Still parsed, so later stages can report their own errors in the same pass. */
	assert_int_equal(p->n, 1);
	assert_string_equal(doc_get(p->docs[0], "a")->str, "b\xc2\xa0"
							   "c");
	done(p);

	/* Columns count characters, so leading no-break spaces count one each. */
	p = parse("a:\n\xc2\xa0 b: x\xc2\xa0\n# \xc2\xa0\n");
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 3);
	assert_int_equal(p->d.errors, 2);
	assert_string_equal(diag_at(p, 0), "t.yaml:2: U+00A0 (no-break space) inside a value at "
					   "column 7; replace it with a space");
	assert_string_equal(diag_at(p, 1), "t.yaml:3: U+00A0 (no-break space) inside a value at "
					   "column 3; replace it with a space");
	assert_string_equal(diag_at(p, 2), "t.yaml:2: warning: indentation uses U+00A0 (no-break "
					   "space) on 1 line; read as spaces");
	done(p);

	/* A tab ends the leading run: a no-break space after it is not indentation. */
	p = parse("a:\n\t\xc2\xa0"
		  "b: 1\n");
	assert_int_equal(p->rc, -EINVAL);
	assert_string_equal(diag_at(p, 0), "t.yaml:2: U+00A0 (no-break space) inside a value at "
					   "column 2; replace it with a space");
	done(p);
}

/* ---- the article's manifests ---- */

static const char *const article_files[4] = {
	"examples/article/01-access-nginx.yaml",
	"examples/article/02-allow-egress.yaml",
	"examples/article/03-threat-feed.yaml",
	"examples/article/04-blockthreats.yaml",
};

static const char *const article_trees[4] = {
	"{kind: NetworkPolicy, apiVersion: extensions/v1beta1, metadata: {name: access-nginx, "
	"namespace: policy-demo}, spec: {podSelector: {matchLabels: {run: nginx}}, ingress: "
	"[{from: [{podSelector: {matchLabels: {run: access}}}]}]}}",
	"{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: "
	"allow-egress-to-advance-policy-ns, namespace: advanced-policy-demo}, spec: {podSelector: "
	"{matchLabels: {}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: "
	"{run: nginx}}}]}]}}",
	"{apiVersion: projectcalico.org/v3, kind: GlobalThreatFeed, metadata: {name: "
	"sample-global-threat-feed}, spec: {content: IPSet, pull: {http: {url: "
	"https://an.example.threat.feed/blacklist}}, globalNetworkSet: {labels: {security-action: "
	"block}}}}",
	"{apiVersion: projectcalico.org/v3, kind: GlobalNetworkPolicy, metadata: {name: "
	"default.blockthreats}, spec: {tier: default, selector: all(), types: [Ingress], ingress: "
	"[{action: Deny, source: {selector: security-action == 'block'}}]}}",
};

static const char *const article_warnings[4] = {
	"t.yaml:4: warning: indentation uses U+00A0 (no-break space) on 10 lines; read as spaces",
	"t.yaml:4: warning: indentation uses U+00A0 (no-break space) on 11 lines; read as spaces",
	"t.yaml:4: warning: indentation uses U+00A0 (no-break space) on 8 lines; read as spaces",
	"t.yaml:4: warning: indentation uses U+00A0 (no-break space) on 9 lines; read as spaces",
};

static void check_article_manifest(size_t i, const char *buf, size_t len)
{
	struct parsed *p = parse_buf(buf, len);
	const struct doc_node *r, *n;

	/* The file really is indented with U+00A0 only. */
	assert_non_null(memmem(buf, len, "\n\xc2\xa0\xc2\xa0name: ", 10));
	expect_one(p, 0, article_warnings[i]);
	assert_int_equal(p->n, 1);
	r = p->docs[0];
	expect_tree(r, false, article_trees[i]);
	n = path(r, "metadata", "name");
	assert_int_equal(n->line, 4);
	assert_int_equal(n->col, 9);
	if (i == 0) {
		/* "run: access", under twelve no-break spaces on the file's last line. */
		n = doc_get(r, "spec");
		n = doc_get(doc_get(n, "ingress")->items[0], "from")->items[0];
		n = path(path(n, "podSelector", "matchLabels"), "run", NULL);
		assert_string_equal(n->str, "access");
		assert_int_equal(n->line, 14);
		assert_int_equal(n->col, 18);
	}
	if (i == 3) {
		n = doc_get(doc_get(r, "spec"), "ingress")->items[0];
		assert_int_equal(n->line, 11);
		assert_int_equal(n->col, 5);
		n = path(doc_get(n, "source"), "selector", NULL);
		assert_string_equal(n->str, "security-action == 'block'");
		assert_int_equal(n->line, 13);
		assert_int_equal(n->col, 17);
	}
	done(p);
}

/* The manifests saved in examples/article/ parse with one warning each. */
static void test_article_examples(void **state)
{
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		char *buf = read_file(article_files[i], &len);

		if (!buf)
			fail_msg("cannot read %s (run the tests from the repository root)",
				 article_files[i]);
		check_article_manifest(i, buf, len);
		free(buf);
	}
}

static bool only_blank_or_nbsp(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ')
			continue;
		if (i + 1 < len && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0) {
			i++;
			continue;
		}
		return false;
	}
	return true;
}

/*
 * The same four manifests cut out of the article itself: the two heredocs between
 * "kubectl create -f - <<EOF" and "EOF", and the two Calico blocks that run from an
 * "apiVersion: projectcalico.org/v3" line to the next empty (or U+00A0 only) line.  They
 * must be byte-for-byte what examples/article/ holds.
 */
static void test_article_extract(void **state)
{
	const char *name = getenv("PALISADE_ARTICLE");
	size_t len, found = 0;
	char *buf, *line, *start = NULL;
	bool heredoc = false;

	/* The article lives in the project's shared folder, beside the repository (CI lays a
	 * copy there too). */
	if (!name)
		name = "../shared/reference/layered-defense-article.txt";
	buf = read_file(name, &len);
	if (!buf && !getenv("PALISADE_ARTICLE")) {
		name = "/work/shared/reference/layered-defense-article.txt";
		buf = read_file(name, &len);
	}
	if (!buf) {
		print_message("article %s not found\n", name);
		skip();
	}
	for (line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		char *next = nl ? nl + 1 : buf + len;
		size_t ll = (size_t)((nl ? nl : buf + len) - line);
		char *end = NULL;

		if (!start && ll == 25 && !memcmp(line, "kubectl create -f - <<EOF", 25)) {
			start = next;
			heredoc = true;
		} else if (!start && ll == 32 &&
			   !memcmp(line, "apiVersion: projectcalico.org/v3", 32)) {
			start = line;
			heredoc = false;
		} else if (start && heredoc && ll == 3 && !memcmp(line, "EOF", 3)) {
			end = line;
		} else if (start && !heredoc && only_blank_or_nbsp(line, ll)) {
			end = line;
		}
		if (end) {
			size_t elen;
			char *expect;

			assert_true(found < 4);
			expect = read_file(article_files[found], &elen);
			assert_non_null(expect);
			assert_int_equal(elen, (size_t)(end - start));
			assert_memory_equal(expect, start, elen);
			free(expect);
			check_article_manifest(found, start, (size_t)(end - start));
			found++;
			start = NULL;
		}
		line = next;
	}
	assert_int_equal(found, 4);
	free(buf);
}

/* ---- syntax errors ---- */

static void test_tab_indentation(void **state)
{
	struct parsed *p = parse("a:\n\tb: 1\n");

	expect_one(
		p, -EINVAL,
		"t.yaml:2: YAML syntax error: found character that cannot start any token (while "
		"scanning for the next token); indent with spaces, YAML does not allow tabs for "
		"indentation");
	assert_int_equal(p->n, 0);
	done(p);

	p = parse("a:\n  b:\n  \t c: 1\n");
	expect_one(
		p, -EINVAL,
		"t.yaml:3: YAML syntax error: found character that cannot start any token (while "
		"scanning for the next token); indent with spaces, YAML does not allow tabs for "
		"indentation");
	done(p);

	p = parse("a: |\n  x\n\ty\n");
	expect_one(p, -EINVAL,
		   "t.yaml:3: YAML syntax error: found a tab character where an indentation space "
		   "is expected (while scanning a block scalar)");
	done(p);
}

static void test_syntax_error_keeps_earlier_docs(void **state)
{
	struct parsed *p = parse("a: 1\n"
				 "---\n"
				 "b: 2\n"
				 "---\n"
				 "c: [1, 2\n"
				 "---\n"
				 "d: 4\n");

	expect_one(p, -EINVAL,
		   "t.yaml:6: YAML syntax error: did not find expected ',' or ']' (while parsing a "
		   "flow sequence)");
	assert_int_equal(p->n, 2);
	expect_tree(p->docs[0], true, "{a@1:1: 1@1:4}@1:1");
	expect_tree(p->docs[1], true, "{b@3:1: 2@3:4}@3:1");
	done(p);

	p = parse("a:\n  b: 1\n c: 2\n");
	expect_one(p, -EINVAL,
		   "t.yaml:3: YAML syntax error: did not find expected key (while parsing a block "
		   "mapping)");
	assert_int_equal(p->n, 0);
	done(p);

	p = parse("a: b\n  c: d\n");
	expect_one(p, -EINVAL,
		   "t.yaml:2: YAML syntax error: mapping values are not allowed in this context");
	done(p);

	p = parse("k: 'unterminated\n");
	expect_one(p, -EINVAL,
		   "t.yaml:2: YAML syntax error: found unexpected end of stream (while scanning a "
		   "quoted scalar)");
	done(p);
}

static void test_encoding_errors(void **state)
{
	struct parsed *p = parse("a: 1\n---\nb: \xff\n---\nc: 3\n");

	expect_one(
		p, -EINVAL,
		"t.yaml:3: YAML syntax error: invalid leading UTF-8 octet (byte 0xFF at column 4)");
	assert_int_equal(p->n, 1);
	expect_tree(p->docs[0], false, "{a: 1}");
	done(p);

	p = parse("a: x\x01y\n");
	expect_one(p, -EINVAL,
		   "t.yaml:1: YAML syntax error: control characters are not allowed (character "
		   "U+0001 at column 5)");
	assert_int_equal(p->n, 0);
	done(p);

	p = parse("a: \xc3\n");
	expect_one(p, -EINVAL,
		   "t.yaml:1: YAML syntax error: invalid trailing UTF-8 octet (byte 0xC3 at column "
		   "4)");
	done(p);

	p = parse_buf("a: \xe2\x82", 5);
	expect_one(p, -EINVAL,
		   "t.yaml:1: YAML syntax error: incomplete UTF-8 octet sequence (byte 0xE2 at "
		   "column 4)");
	done(p);

	p = parse_buf("\xff\xfe"
		      "a\0:\0",
		      6);
	expect_one(p, -EINVAL,
		   "t.yaml:1: YAML syntax error: invalid leading UTF-8 octet (byte 0xFF at column "
		   "1; the file looks like UTF-16, only UTF-8 is read)");
	done(p);

	p = parse_buf("a: b\0c\n", 7);
	expect_one(p, -EINVAL,
		   "t.yaml:1: YAML syntax error: control characters are not allowed (character "
		   "U+0000 at column 5)");
	done(p);

	/* A document closed by "..." before the bad line is complete: kept. */
	p = parse("a: 1\n...\nb: \xff\n");
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 1);
	assert_int_equal(p->n, 1);
	done(p);

	/* An implicitly ended document right before the bad line may be cut short: dropped. */
	p = parse("a: 1\nb: \xff\n");
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 1);
	assert_int_equal(p->n, 0);
	done(p);
}

/* libyaml reads 16 KB at a time; documents long before a bad byte must all come back. */
static void test_encoding_error_after_many_docs(void **state)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	struct parsed *p;
	int ndocs = 0;
	char want[32];

	assert_non_null(buf);
	while (len < 40000) {
		len += (size_t)snprintf(buf + len, cap - len, "---\nname: doc%d\n", ndocs);
		ndocs++;
	}
	len += (size_t)snprintf(buf + len, cap - len, "---\nname: \x80\n");
	p = parse_buf(buf, len);
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 1);
	assert_int_equal(p->n, (size_t)ndocs);
	snprintf(want, sizeof(want), "doc%d", ndocs - 1);
	assert_string_equal(doc_get(p->docs[ndocs - 1], "name")->str, want);
	assert_int_equal(doc_get(p->docs[ndocs - 1], "name")->line, 2 * ndocs);
	done(p);
	free(buf);
}

/* ---- aliases ---- */

static void test_aliases(void **state)
{
	struct parsed *p = parse("base: &b\n"
				 "  x: 1\n"
				 "  y: [a, b]\n"
				 "s: &s hello\n"
				 "one: *b\n"
				 "two: *s\n"
				 "empty: &e\n"
				 "three: *e\n"
				 "*s : key-from-alias\n"
				 "nk: &n ~\n"
				 "*n : null-key\n");
	const struct doc_node *r, *base, *one;

	expect_clean(p);
	r = p->docs[0];
	base = doc_get(r, "base");
	one = doc_get(r, "one");
	/* The subtree is shared; the alias's own node has the alias's position. */
	assert_true(one->pairs == base->pairs);
	assert_int_equal(one->n, 2);
	assert_int_equal(one->line, 5);
	assert_int_equal(one->col, 6);
	/* A collection starts at its properties (anchor, tag), as libyaml marks it. */
	assert_int_equal(base->line, 1);
	assert_int_equal(base->col, 7);
	assert_int_equal(doc_get(base, "x")->line, 2);
	assert_string_equal(doc_get(r, "two")->str, "hello");
	assert_int_equal(doc_get(r, "two")->line, 6);
	assert_true(doc_is_null(doc_get(r, "three")));
	assert_string_equal(doc_get(r, "hello")->str, "key-from-alias");
	/* An alias of a null used as a key is a scalar key. */
	assert_int_equal(r->pairs[8].key->type, DOC_SCALAR);
	assert_string_equal(r->pairs[8].key->str, "~");
	assert_string_equal(doc_get(r, "~")->str, "null-key");
	assert_true(doc_is_null(doc_get(r, "nk")));
	done(p);
}

static void test_alias_errors(void **state)
{
	struct parsed *p = parse("a: *nope\nb: 2\n");

	expect_one(p, -EINVAL, "t.yaml:1: undefined alias *nope");
	assert_int_equal(p->n, 1);
	assert_true(doc_is_null(doc_get(p->docs[0], "a")));
	assert_string_equal(doc_get(p->docs[0], "b")->str, "2");
	done(p);

	/* Anchors end with their document. */
	p = parse("a: &x 1\n---\nb: *x\n");
	expect_one(p, -EINVAL, "t.yaml:3: undefined alias *x");
	done(p);

	/* A node cannot contain an alias of itself: the tree would be a cycle. */
	p = parse("&a [1, *a]\n");
	expect_one(p, -EINVAL, "t.yaml:1: alias *a refers to a node that contains it");
	expect_tree(p->docs[0], false, "[1, ~]");
	done(p);

	p = parse("a: &m\n  b: *m\n");
	expect_one(p, -EINVAL, "t.yaml:2: alias *m refers to a node that contains it");
	done(p);

	/* A redefined anchor: the alias names the latest definition. */
	p = parse("- &a [1]\n- &a [2, &a three]\n- *a\n");
	expect_clean(p);
	expect_tree(p->docs[0], false, "[[1], [2, three], three]");
	done(p);
}

static void test_billion_laughs(void **state)
{
	struct timespec t0;
	struct parsed *p;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = parse("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		  "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		  "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n");
	expect_one(p, -EINVAL, "t.yaml:7: document too large after alias expansion");
	assert_int_equal(p->n, 0);
	assert_true(seconds_since(&t0) < 5);
	done(p);

	/* One level less is about 670,000 nodes once expanded: under the limit, fine. */
	p = parse("a: &a [x, x, x, x, x, x, x, x, x]\n"
		  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		  "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n");
	expect_clean(p);
	done(p);

	/* Spread over documents it is caught too: the limit is per stream (679,000 each). */
	p = parse("- &a [x, x, x, x, x, x, x, x, x, x]\n"
		  "- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		  "- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		  "- &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		  "- &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		  "- &f [*e, *e, *e, *e, *e]\n"
		  "---\n"
		  "- &a [x, x, x, x, x, x, x, x, x, x]\n"
		  "- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		  "- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		  "- &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		  "- &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		  "- &f [*e, *e, *e, *e, *e]\n");
	expect_one(p, -EINVAL, "t.yaml:13: document too large after alias expansion");
	assert_int_equal(p->n, 1);
	done(p);
}

/* ---- maps ---- */

static void test_merge_keys(void **state)
{
	struct parsed *p = parse("base: &b {x: 1}\n"
				 "m:\n"
				 "  <<: *b\n"
				 "  y: 2\n"
				 "q:\n"
				 "  \"<<\": quoted is a plain key\n");

	expect_one(p, -EINVAL, "t.yaml:3: merge keys (<<) are not supported");
	assert_int_equal(p->n, 1);
	expect_tree(doc_get(p->docs[0], "m"), false, "{y: 2}");
	expect_tree(doc_get(p->docs[0], "q"), false, "{\"<<\": quoted is a plain key}");
	done(p);
}

static void test_duplicate_keys(void **state)
{
	struct parsed *p = parse("a: 1\n"
				 "b: 2\n"
				 "a: 3\n"
				 "c:\n"
				 "  d: x\n"
				 "  \"d\": y\n"
				 "a: 4\n");

	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 3);
	/* Reported when each map closes: the inner map first. */
	assert_string_equal(diag_at(p, 0), "t.yaml:6: duplicate key \"d\" (first at line 5)");
	assert_string_equal(diag_at(p, 1), "t.yaml:3: duplicate key \"a\" (first at line 1)");
	assert_string_equal(diag_at(p, 2), "t.yaml:7: duplicate key \"a\" (first at line 1)");
	assert_int_equal(p->n, 1);
	expect_tree(p->docs[0], false, "{a: 1, b: 2, c: {d: x}}");
	done(p);
}

/* A big map takes the sorting path; the result must be the same. */
static void test_duplicate_keys_big_map(void **state)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	struct parsed *p;

	assert_non_null(buf);
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(buf + len, cap - len, "k%d: %d\n", i, i);
	len += (size_t)snprintf(buf + len, cap - len, "k500: dup\nk7: dup\nk500: again\n");
	p = parse_buf(buf, len);
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->d.n, 3);
	assert_string_equal(diag_at(p, 0),
			    "t.yaml:1001: duplicate key \"k500\" (first at line 501)");
	assert_string_equal(diag_at(p, 1), "t.yaml:1002: duplicate key \"k7\" (first at line 8)");
	assert_string_equal(diag_at(p, 2),
			    "t.yaml:1003: duplicate key \"k500\" (first at line 501)");
	assert_int_equal(p->docs[0]->n, 1000);
	assert_string_equal(doc_get(p->docs[0], "k500")->str, "500");
	assert_string_equal(p->docs[0]->pairs[999].key->str, "k999");
	done(p);
	free(buf);
}

static void test_long_duplicate_key(void **state)
{
	char buf[512];
	char key[201];
	struct parsed *p;

	memset(key, 'k', 200);
	key[200] = '\0';
	snprintf(buf, sizeof(buf), "%s: 1\n%s: 2\n", key, key);
	p = parse(buf);
	snprintf(buf, sizeof(buf), "t.yaml:2: duplicate key \"%.80s...\" (first at line 1)", key);
	expect_one(p, -EINVAL, buf);
	done(p);
}

static void test_non_scalar_keys(void **state)
{
	struct parsed *p = parse("? [a]\n: b\nc: d\n");

	expect_one(p, -EINVAL, "t.yaml:1: a map key must be a scalar, not a list");
	expect_tree(p->docs[0], false, "{c: d}");
	done(p);

	p = parse("{{x: y}: z, w: v}\n");
	expect_one(p, -EINVAL, "t.yaml:1: a map key must be a scalar, not a map");
	expect_tree(p->docs[0], false, "{w: v}");
	done(p);
}

/* ---- limits ---- */

static char *repeat(const char *head, const char *unit, size_t count, const char *tail, size_t *len)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *buf = malloc(hl + ul * count + tl + 1);

	assert_non_null(buf);
	memcpy(buf, head, hl);
	for (size_t i = 0; i < count; i++)
		memcpy(buf + hl + i * ul, unit, ul);
	memcpy(buf + hl + ul * count, tail, tl + 1);
	*len = hl + ul * count + tl;
	return buf;
}

static void test_depth_limit(void **state)
{
	char *open, *buf;
	size_t len, olen;
	struct parsed *p;
	const struct doc_node *n;

	/* DOC_MAX_DEPTH nested lists are fine. */
	open = repeat("", "[", DOC_MAX_DEPTH, "", &olen);
	buf = repeat(open, "]", DOC_MAX_DEPTH, "\n", &len);
	p = parse_buf(buf, len);
	expect_clean(p);
	n = p->docs[0];
	for (int i = 1; i < DOC_MAX_DEPTH; i++) {
		assert_int_equal(n->type, DOC_SEQ);
		assert_int_equal(n->col, i);
		n = n->items[0];
	}
	assert_int_equal(n->n, 0);
	done(p);
	free(buf);
	free(open);

	/* One more is an error. */
	open = repeat("", "[", DOC_MAX_DEPTH + 1, "", &olen);
	buf = repeat(open, "]", DOC_MAX_DEPTH + 1, "\n", &len);
	p = parse_buf(buf, len);
	expect_one(p, -EINVAL, "t.yaml:1: document nested deeper than 128 levels");
	assert_int_equal(p->n, 0);
	done(p);
	free(buf);
	free(open);

	/* A hundred thousand is the same error, not a stack overflow. */
	buf = repeat("ok: 1\n---\n", "[", 100000, "\n", &len);
	p = parse_buf(buf, len);
	expect_one(p, -EINVAL, "t.yaml:3: document nested deeper than 128 levels");
	assert_int_equal(p->n, 1);
	done(p);
	free(buf);

	/* Block style too. */
	{
		size_t cap = 200 * 1024, l = 0;
		char *b = malloc(cap);

		assert_non_null(b);
		for (int i = 0; i < 200; i++)
			l += (size_t)snprintf(b + l, cap - l, "%*sk:\n", i, "");
		p = parse_buf(b, l);
		expect_one(p, -EINVAL, "t.yaml:129: document nested deeper than 128 levels");
		done(p);
		free(b);
	}
}

static void test_node_limit(void **state)
{
	size_t len;
	char *buf = repeat("[", "0,", DOC_MAX_NODES, "0]\n", &len);
	struct parsed *p = parse_buf(buf, len);

	/* The list itself is one node: its millionth item is the first too many. */
	expect_one(p, -EINVAL, "t.yaml:1: document too large (more than 1000000 nodes)");
	assert_int_equal(p->n, 0);
	done(p);
	free(buf);

	buf = repeat("[", "0,", DOC_MAX_NODES - 2, "0]\n", &len);
	p = parse_buf(buf, len);
	expect_clean(p);
	assert_int_equal(p->docs[0]->n, DOC_MAX_NODES - 1);
	done(p);
	free(buf);
}

static void test_megabyte_strings(void **state)
{
	size_t len, big = 1024 * 1024;
	char *buf = repeat("a: \"", "x", big, "\"\nb: 2\n", &len);
	struct parsed *p = parse_buf(buf, len);
	const struct doc_node *n;

	expect_clean(p);
	n = doc_get(p->docs[0], "a");
	assert_int_equal(n->len, big);
	assert_true(n->quoted);
	assert_int_equal(doc_get(p->docs[0], "b")->line, 2);
	done(p);
	free(buf);

	buf = repeat("a: ", "y", big, "\n", &len);
	p = parse_buf(buf, len);
	expect_clean(p);
	assert_int_equal(doc_get(p->docs[0], "a")->len, big);
	done(p);
	free(buf);

	/* A literal block of a megabyte of lines. */
	buf = repeat("a: |\n", "  0123456789abcd\n", big / 16, "b: 1\n", &len);
	p = parse_buf(buf, len);
	expect_clean(p);
	assert_int_equal(doc_get(p->docs[0], "a")->len, big / 16 * 15);
	assert_int_equal(doc_get(p->docs[0], "b")->line, (int)(big / 16) + 2);
	done(p);
	free(buf);
}

static void test_megabyte_garbage(void **state)
{
	size_t len = 1024 * 1024;
	char *buf = malloc(len);
	const char alphabet[] = "[]{}:,-?&*!|>'\"%@` #\n\t abc123";
	uint32_t x = 2463534242u;
	struct timespec t0;
	struct parsed *p;

	assert_non_null(buf);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			if (round == 0)
				buf[i] = (char)(x & 0xFF);
			else if (round == 1)
				buf[i] = alphabet[x % (sizeof(alphabet) - 1)];
			else
				buf[i] = (i % 3 == 2) ? '\n' : (char)(x % 2 ? 0xC2 : 0xA0);
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		p = parse_buf(buf, len);
		assert_int_equal(p->rc, -EINVAL);
		assert_true(p->d.errors > 0);
		assert_true(seconds_since(&t0) < 10);
		done(p);
	}
	free(buf);
}

/* ---- typing ---- */

/* Parses "v: <text>" and returns v's node; the caller frees p. */
static const struct doc_node *value_of(struct parsed **pp, const char *text)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "v: %s\n", text);
	*pp = parse(buf);
	if ((*pp)->rc != 0)
		fail_msg("cannot parse %s", buf);
	return doc_get((*pp)->docs[0], "v");
}

static void test_to_bool(void **state)
{
	static const struct {
		const char *text;
		int rc;
		bool v;
	} cases[] = {
		{"true", 0, true},	  {"True", 0, true},	      {"TRUE", 0, true},
		{"false", 0, false},	  {"False", 0, false},	      {"FALSE", 0, false},
		{"tRUE", -EINVAL, 0},	  {"yes", -EINVAL, 0},	      {"on", -EINVAL, 0},
		{"\"true\"", -EINVAL, 0}, {"!!str true", -EINVAL, 0}, {"!!bool true", 0, true},
		{"1", -EINVAL, 0},	  {"~", -EINVAL, 0},	      {"[true]", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p;
		const struct doc_node *n = value_of(&p, cases[i].text);
		bool v = !cases[i].v;

		assert_int_equal(doc_to_bool(n, &v), cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(v, cases[i].v);
		else
			assert_int_equal(v, !cases[i].v);
		done(p);
	}
	assert_int_equal(doc_to_bool(NULL, &(bool){false}), -EINVAL);
}

static void test_to_int(void **state)
{
	static const struct {
		const char *text;
		int rc;
		long long v;
	} cases[] = {
		{"80", 0, 80},
		{"-7", 0, -7},
		{"+7", 0, 7},
		{"007", 0, 7},
		{"0x1F", 0, 31},
		{"0xff", 0, 255},
		{"0o17", 0, 15},
		{"9223372036854775807", 0, LLONG_MAX},
		{"-9223372036854775808", 0, LLONG_MIN},
		{"9223372036854775808", -ERANGE, 0},
		{"-9223372036854775809", -ERANGE, 0},
		{"0x10000000000000000", -ERANGE, 0},
		{"0x7fffffffffffffff", 0, LLONG_MAX},
		{"\"80\"", -EINVAL, 0},
		{"'80'", -EINVAL, 0},
		{"!!str 80", -EINVAL, 0},
		{"!!int 80", 0, 80},
		{"80.0", -EINVAL, 0},
		{"1e3", -EINVAL, 0},
		{"0x", -EINVAL, 0},
		{"0o8", -EINVAL, 0},
		{"-0x1", -EINVAL, 0},
		{"8O", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"1_000", -EINVAL, 0},
		{"true", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p;
		const struct doc_node *n = value_of(&p, cases[i].text);
		long long v = 12345;

		assert_int_equal(doc_to_int(n, &v), cases[i].rc);
		assert_true(v == (cases[i].rc ? 12345 : cases[i].v));
		done(p);
	}
	assert_int_equal(doc_to_int(NULL, &(long long){0}), -EINVAL);
}

static void test_to_double(void **state)
{
	static const struct {
		const char *text;
		int rc;
		double v;
	} cases[] = {
		{"80", 0, 80},	       {"-1.5", 0, -1.5},
		{".5", 0, 0.5},	       {"1.", 0, 1},
		{"2.5e3", 0, 2500},    {"1E-2", 0, 0.01},
		{"+3", 0, 3},	       {"0x10", 0, 16},
		{"0o10", 0, 8},	       {"!!float 2", 0, 2},
		{"!!int 2", 0, 2},     {".inf", -EINVAL, 0},
		{"-.Inf", -EINVAL, 0}, {".nan", -EINVAL, 0},
		{"1e999", -ERANGE, 0}, {"\"1.5\"", -EINVAL, 0},
		{"1.5.2", -EINVAL, 0}, {"e5", -EINVAL, 0},
		{"1e", -EINVAL, 0},    {".", -EINVAL, 0},
		{"1,5", -EINVAL, 0},   {"!!str 1", -EINVAL, 0},
		{"nan", -EINVAL, 0},   {"inf", -EINVAL, 0},
		{"0x1p3", -EINVAL, 0}, {" ", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p;
		const struct doc_node *n = value_of(&p, cases[i].text);
		double v = 12345;

		assert_int_equal(doc_to_double(n, &v), cases[i].rc);
		assert_true(v == (cases[i].rc ? 12345 : cases[i].v));
		done(p);
	}
}

static void test_type_names(void **state)
{
	static const struct {
		const char *text;
		const char *name;
	} cases[] = {
		{"x", "a string"},     {"\"1\"", "a string"},  {"1", "a number"},
		{"-2.5", "a number"},  {".inf", "a number"},   {"0x1F", "a number"},
		{"true", "a boolean"}, {"False", "a boolean"}, {"'true'", "a string"},
		{"~", "null"},	       {"", "null"},	       {"[1]", "a list"},
		{"{a: 1}", "a map"},   {"yes", "a string"},    {"!!str 1", "a string"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p;
		const struct doc_node *n = value_of(&p, cases[i].text);

		assert_string_equal(doc_type_name(n), cases[i].name);
		done(p);
	}
	assert_string_equal(doc_type_name(NULL), "nothing");
}

static void test_get(void **state)
{
	struct parsed *p = parse("a: 1\nab: 2\n\"\": empty\nlist: [a]\n");
	const struct doc_node *r;

	expect_clean(p);
	r = p->docs[0];
	assert_string_equal(doc_get(r, "a")->str, "1");
	assert_string_equal(doc_get(r, "ab")->str, "2");
	assert_string_equal(doc_get(r, "")->str, "empty");
	assert_null(doc_get(r, "b"));
	assert_null(doc_get(r, "A"));
	assert_null(doc_get(doc_get(r, "list"), "a"));
	assert_null(doc_get(doc_get(r, "a"), "a"));
	assert_null(doc_get(NULL, "a"));
	assert_false(doc_is_null(NULL));
	assert_false(doc_is_null(r));
	done(p);
}

static void test_diag_file_name(void **state)
{
	struct arena a;
	struct diag_list d;
	struct doc_node **docs;
	size_t n;
	char line[256];

	arena_init(&a);
	diag_list_init(&d);
	assert_int_equal(doc_parse("a: [", 4, NULL, &a, &docs, &n, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	diag_format(&d.v[0], line, sizeof(line));
	assert_string_equal(line, "<input>:2: YAML syntax error: did not find expected node "
				  "content (while parsing a flow node)");
	diag_list_fini(&d);
	arena_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_positions),
		cmocka_unit_test(test_scalar_styles),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_bom_and_crlf),
		cmocka_unit_test(test_nbsp_indentation),
		cmocka_unit_test(test_nbsp_in_value),
		cmocka_unit_test(test_article_examples),
		cmocka_unit_test(test_article_extract),
		cmocka_unit_test(test_tab_indentation),
		cmocka_unit_test(test_syntax_error_keeps_earlier_docs),
		cmocka_unit_test(test_encoding_errors),
		cmocka_unit_test(test_encoding_error_after_many_docs),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_alias_errors),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_duplicate_keys_big_map),
		cmocka_unit_test(test_long_duplicate_key),
		cmocka_unit_test(test_non_scalar_keys),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_megabyte_strings),
		cmocka_unit_test(test_megabyte_garbage),
		cmocka_unit_test(test_to_bool),
		cmocka_unit_test(test_to_int),
		cmocka_unit_test(test_to_double),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_diag_file_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
