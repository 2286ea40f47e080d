/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calico selectors: every operator and its absent-key rule, precedence, the golden canonical
 * forms and error messages (tests/golden/selector/), limits, and randomized selectors checked
 * against a naive evaluator written here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/arena.h"
#include "lib/label.h"
#include "lib/selector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------------------- */

/* "k=v,k2=v2" (a value may be empty; "" is the empty set) into a label set in a. */
static struct labels mklabels(struct arena *a, const char *spec)
{
	struct label pairs[32];
	struct labels out;
	char *copy = arena_strdup(a, spec), *save = copy, *pair;
	size_t n = 0;

	assert_non_null(copy);
	while (*spec && (pair = strsep(&save, ",")) != NULL) {
		char *eq = strchr(pair, '=');

		assert_non_null(eq);
		assert_true(n < 32);
		*eq = '\0';
		pairs[n].key = pair;
		pairs[n].value = eq + 1;
		n++;
	}
	assert_int_equal(labels_build(a, pairs, n, &out), 0);
	return out;
}

static struct selector *parse_ok(const char *text)
{
	char *err = NULL;
	struct selector *s = selector_parse(text, &err);

	if (!s)
		fail_msg("selector_parse(%s): %s", text, err ? err : "(no message)");
	assert_null(err);
	return s;
}

static bool matches(const char *sel, const char *labels)
{
	struct arena a;
	struct labels l;
	struct selector *s = parse_ok(sel);
	bool r;

	arena_init(&a);
	l = mklabels(&a, labels);
	r = selector_match(s, &l);
	selector_free(s);
	arena_fini(&a);
	return r;
}

static void check_print(const char *in, const char *want)
{
	struct selector *s = parse_ok(in);
	char *got = selector_print(s);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("print(%s):\n   got %s\n  want %s", in, got, want);
	free(got);
	selector_free(s);
}

static void check_error(const char *in, const char *want)
{
	char *err = NULL;
	struct selector *s;

	errno = 0;
	s = selector_parse(in, &err);
	if (s)
		fail_msg("selector_parse(%s) succeeded, expected: %s", in, want);
	assert_int_equal(errno, EINVAL);
	assert_non_null(err);
	if (strcmp(err, want))
		fail_msg("error for %s:\n   got %s\n  want %s", in, err, want);
	free(err);
}

/* parse(print(s)) == s, print(parse(print(s))) == print(s), equal hashes. */
static void check_roundtrip(const struct selector *s, const char *what)
{
	char *p1 = selector_print(s), *p2, *err = NULL;
	struct selector *s2;

	assert_non_null(p1);
	s2 = selector_parse(p1, &err);
	if (!s2)
		fail_msg("%s: canonical %s does not parse: %s", what, p1, err);
	if (!selector_equal(s, s2))
		fail_msg("%s: parse(print(s)) differs from s (%s)", what, p1);
	assert_true(selector_equal(s2, s));
	assert_true(selector_hash(s) == selector_hash(s2));
	p2 = selector_print(s2);
	assert_non_null(p2);
	if (strcmp(p1, p2))
		fail_msg("%s: print not idempotent:\n  %s\n  %s", what, p1, p2);
	free(p1);
	free(p2);
	selector_free(s2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- operators ----------------------------------------------------------------------- */

struct match_case {
	const char *sel, *labels;
	bool want;
};

static void run_cases(const struct match_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (matches(c[i].sel, c[i].labels) != c[i].want)
			fail_msg("%s on {%s}: expected %s", c[i].sel, c[i].labels,
				 c[i].want ? "true" : "false");
}

static void test_equality(void **state)
{
	static const struct match_case c[] = {
		{"a == 'x'", "a=x", true},
		{"a == 'x'", "a=y", false},
		{"a == 'x'", "a=xx", false},
		{"a == 'x'", "b=x", false}, /* absent: false */
		{"a == ''", "a=", true},
		{"a == ''", "", false},
		{"a != 'x'", "a=x", false},
		{"a != 'x'", "a=y", true},
		{"a != 'x'", "", true}, /* absent: true */
		{"a != ''", "a=", false},
		{"a.b/c-d_e == \"v\"", "a.b/c-d_e=v", true},
		{"projectcalico.org/namespace == 'ns1'", "projectcalico.org/namespace=ns1", true},
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void test_sets(void **state)
{
	static const struct match_case c[] = {
		{"a in {'x', 'y'}", "a=x", true},
		{"a in {'x', 'y'}", "a=y", true},
		{"a in {'x', 'y'}", "a=z", false},
		{"a in {'x', 'y'}", "", false}, /* absent: false */
		{"a in {}", "a=x", false},
		{"a in {}", "", false},
		{"a in {''}", "a=", true},
		{"a not in {'x', 'y'}", "a=x", false},
		{"a not in {'x', 'y'}", "a=z", true},
		{"a not in {'x', 'y'}", "", true}, /* absent: true */
		{"a not in {}", "a=x", true},
		{"a not in {}", "", true},
		{"a in {'q','c','z','a','m','b'}", "a=m", true},
		{"a in {'q','c','z','a','m','b'}", "a=n", false},
		{"a in {'q','c','z','a','m','b'}", "a=a", true},
		{"a in {'q','c','z','a','m','b'}", "a=z", true},
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void test_has_all_global(void **state)
{
	static const struct match_case c[] = {
		{"has(a)", "a=", true},
		{"has(a)", "a=x", true},
		{"has(a)", "b=x", false},
		{"!has(a)", "b=x", true},
		{"!has(a)", "a=x", false},
		{"all()", "", true},
		{"all()", "a=x", true},
		{"", "a=x", true},
		{" \t\n ", "", true},
		{"!all()", "a=x", false},
		{"global()", "", true},
		{"global()", "a=x", true},
		{"global()", "projectcalico.org/namespace=default", false},
		{"global()", "projectcalico.org/namespace=", false},
		{"!global()", "projectcalico.org/namespace=default", true},
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void test_string_ops(void **state)
{
	static const struct match_case c[] = {
		{"a contains 'ell'", "a=hello", true},
		{"a contains 'ell'", "a=help", false},
		{"a contains ''", "a=", true},
		{"a contains ''", "", false}, /* absent: false */
		{"a contains 'hello'", "a=hello", true},
		{"a contains 'hellos'", "a=hello", false},
		{"a starts with 'he'", "a=hello", true},
		{"a starts with 'lo'", "a=hello", false},
		{"a starts with 'hello!'", "a=hello", false},
		{"a starts with ''", "a=", true},
		{"a starts with ''", "", false},
		{"a ends with 'lo'", "a=hello", true},
		{"a ends with 'he'", "a=hello", false},
		{"a ends with 'xhello'", "a=hello", false},
		{"a ends with 'hello'", "a=hello", true},
		{"a ends with ''", "b=x", false},
		{"!(a contains 'x')", "", true},
		{"!(a starts with 'x')", "", true},
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void test_boolean(void **state)
{
	static const struct match_case c[] = {
		{"has(a) && has(b)", "a=1,b=2", true},
		{"has(a) && has(b)", "a=1", false},
		{"has(a) || has(b)", "b=2", true},
		{"has(a) || has(b)", "c=2", false},
		{"!has(a) && !has(b)", "c=1", true},
		{"!(has(a) || has(b))", "a=1", false},
		{"!!has(a)", "a=1", true},
		{"!!has(a)", "", false},
		{"!!!has(a)", "", true},
		{"has(a) && has(b) && has(c) && has(d)", "a=,b=,c=,d=", true},
		{"has(a) && has(b) && has(c) && has(d)", "a=,b=,c=", false},
		{"has(a) || has(b) || has(c) || has(d)", "d=", true},
		{"has(a) || has(b) || has(c) || has(d)", "e=", false},
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void test_precedence(void **state)
{
	/* && binds tighter than ||: a || (b && c), not (a || b) && c. */
	assert_true(matches("has(a) || has(b) && has(c)", "a=1"));
	assert_false(matches("(has(a) || has(b)) && has(c)", "a=1"));
	assert_true(matches("has(c) && has(b) || has(a)", "a=1"));
	assert_false(matches("has(c) && (has(b) || has(a))", "a=1"));
	/* ! binds tighter than &&: (!a) && b. */
	assert_true(matches("!has(a) && has(b)", "b=1"));
	assert_false(matches("!has(a) && has(b)", ""));
	assert_true(matches("!(has(a) && has(b))", ""));
	/* ! applies to the whole comparison. */
	assert_true(matches("!a == 'x'", "a=y"));
	assert_false(matches("!a == 'x'", "a=x"));
	assert_true(matches("!a == 'x'", ""));
	check_print("!a == 'x'", "!(a == \"x\")");
	check_print("a == '1' || b == '2' && c == '3'",
		    "(a == \"1\" || (b == \"2\" && c == \"3\"))");
	check_print("a == '1' && b == '2' || c == '3'",
		    "((a == \"1\" && b == \"2\") || c == \"3\")");
	check_print("!has(a) && has(b) || !has(c) && has(d)",
		    "((!has(a) && has(b)) || (!has(c) && has(d)))");
	/* Flattening: left and right nesting both become one n-ary node. */
	check_print("(has(a) && has(b)) && has(c)", "(has(a) && has(b) && has(c))");
	check_print("has(a) && (has(b) && has(c))", "(has(a) && has(b) && has(c))");
	check_print("has(a) || (has(b) || (has(c) || has(d)))",
		    "(has(a) || has(b) || has(c) || has(d))");
	/* ... but not across a !. */
	check_print("has(a) && !(has(b) && has(c))", "(has(a) && !(has(b) && has(c)))");
}

static void test_spacing_and_quotes(void **state)
{
	check_print("a=='b'", "a == \"b\"");
	check_print("a\t==\n'b'", "a == \"b\"");
	check_print("\r\n  a  !=  \"b\"  \t", "a != \"b\"");
	check_print("a in{'x'}", "a in {\"x\"}");
	check_print("a not\tin\n{ 'x' ,'y' }", "a not in {\"x\", \"y\"}");
	check_print("has ( a )", "has(a)");
	check_print("all ( )", "all()");
	check_print("global(\n)", "global()");
	check_print("!\thas(a)", "!has(a)");
	check_print("has(a)&&has(b)||has(c)", "((has(a) && has(b)) || has(c))");
	check_print("a=='it\"s'", "a == 'it\"s'");
	check_print("a==\"it's\"", "a == \"it's\"");
	check_print("a in {'say \"hi\"', \"it's\"}", "a in {\"it's\", 'say \"hi\"'}");
	/* No escapes: a backslash is an ordinary byte and the string ends at its quote. */
	check_print("a == 'x\\'", "a == \"x\\\"");
	assert_true(matches("a == 'x\\'", "a=x\\"));
	/* Strings hold any byte but their quote, including newlines and UTF-8. */
	check_print("a == 'l1\nl2'", "a == \"l1\nl2\"");
	assert_true(matches("a == 'caf\xc3\xa9'", "a=caf\xc3\xa9"));
}

static void test_keywords_as_keys(void **state)
{
	check_print("in == 'x'", "in == \"x\"");
	check_print("has == 'x' && all != 'y' && global in {}",
		    "(has == \"x\" && all != \"y\" && global in {})");
	check_print("not not in {'a'}", "not not in {\"a\"}");
	check_print("contains contains 'x'", "contains contains \"x\"");
	check_print("starts starts with 'x' || ends ends with 'y' || with == 'z'",
		    "(starts starts with \"x\" || ends ends with \"y\" || with == \"z\")");
	check_print("has(in) && has(has)", "(has(in) && has(has))");
	assert_true(matches("in == 'x'", "in=x"));
	assert_true(matches("has(has)", "has=1"));
	assert_false(matches("has(has)", "hass=1"));
	/* "has" followed by "(" is always the function. */
	check_error("has ('x')", "column 6: expected a label key after \"has(\", found string 'x'");
}

static void test_dedup_and_sort(void **state)
{
	check_print("a in {'b', 'a', 'b', 'c', 'a'}", "a in {\"a\", \"b\", \"c\"}");
	check_print("a in {'B', 'a', '_', '1', ''}", "a in {\"\", \"1\", \"B\", \"_\", \"a\"}");
	check_print("a in {'ab', 'a', 'abc'}", "a in {\"a\", \"ab\", \"abc\"}");
	assert_true(matches("a in {'b', 'a', 'b'}", "a=b"));
}

/* ---- equality, hashing, queries ------------------------------------------------------ */

static void test_equal_hash(void **state)
{
	static const char *const same[][2] = {
		{"", "all()"},
		{"   ", "(all())"},
		{"a=='b'", "a == \"b\""},
		{"a in {'y','x'}", "a in {'x', 'y', 'x'}"},
		{"has(a) && (has(b) && has(c))", "(has(a) && has(b)) && has(c)"},
		{"!a == 'b'", "!(a == 'b')"},
	};
	static const char *const differ[][2] = {
		{"has(a) && has(b)", "has(b) && has(a)"},
		{"has(a) && has(b)", "has(a) || has(b)"},
		{"a == 'b'", "a != 'b'"},
		{"a == 'b'", "a == 'c'"},
		{"a == 'b'", "b == 'b'"},
		{"a in {'x'}", "a not in {'x'}"},
		{"a in {'x'}", "a in {'x', 'y'}"},
		{"a in {'x'}", "a == 'x'"},
		{"!!has(a)", "has(a)"},
		{"a starts with 'x'", "a ends with 'x'"},
		{"a contains 'x'", "a starts with 'x'"},
		{"all()", "global()"},
		{"(has(a) && has(b)) || has(c)", "has(a) && (has(b) || has(c))"},
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct selector *a = parse_ok(same[i][0]), *b = parse_ok(same[i][1]);

		if (!selector_equal(a, b))
			fail_msg("%s and %s should be equal", same[i][0], same[i][1]);
		assert_true(selector_hash(a) == selector_hash(b));
		selector_free(a);
		selector_free(b);
	}
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		struct selector *a = parse_ok(differ[i][0]), *b = parse_ok(differ[i][1]);

		if (selector_equal(a, b) || selector_equal(b, a))
			fail_msg("%s and %s should differ", differ[i][0], differ[i][1]);
		/* Not guaranteed in general, but FNV-1a separates these. */
		assert_true(selector_hash(a) != selector_hash(b));
		selector_free(a);
		selector_free(b);
	}
}

static void test_is_all(void **state)
{
	static const char *const yes[] = {"", " ", "all()", "((all()))"};
	static const char *const no[] = {"!all()", "all() && all()", "global()", "has(a)"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		struct selector *s = parse_ok(yes[i]);

		assert_true(selector_is_all(s));
		selector_free(s);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct selector *s = parse_ok(no[i]);

		assert_false(selector_is_all(s));
		selector_free(s);
	}
}

static void test_required(void **state)
{
	static const struct {
		const char *sel, *label, *key; /* label "k=v" or NULL; key or NULL */
	} c[] = {
		{"a == 'b'", "a=b", "a"},
		{"a == 'b' && has(c)", "a=b", "a"},
		{"has(c) && a == 'b'", "a=b", "c"},
		{"has(c) && a == 'b' && d == 'e'", "a=b", "c"},
		{"(x == '1' || y == '2') && c == 'z'", "c=z", "c"},
		{"a in {'x'} && b == 'y'", "a=x", "a"},
		{"a in {'x', 'y'} && b == 'y'", "b=y", "a"},
		{"a in {'x', 'y'}", NULL, "a"},
		{"has(a) && (b == 'c' && d == 'e')", "b=c", "a"},
		{"a contains 'x'", NULL, "a"},
		{"a starts with 'x'", NULL, "a"},
		{"a ends with 'x'", NULL, "a"},
		{"a != 'b'", NULL, NULL},
		{"a not in {'b'}", NULL, NULL},
		{"a != 'b' && has(c)", NULL, "c"},
		{"!(a == 'b')", NULL, NULL},
		{"!(a != 'b')", NULL, NULL},
		{"!has(a) && b != 'c'", NULL, NULL},
		{"a == 'b' || a == 'b'", NULL, NULL},
		{"a == 'b' || c == 'd'", NULL, NULL},
		{"all()", NULL, NULL},
		{"global()", NULL, NULL},
		{"", NULL, NULL},
		{"!(a == 'b' && c == 'd')", NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct selector *s = parse_ok(c[i].sel);
		const char *k = NULL, *v = NULL;
		char buf[64];
		bool got = selector_required_label(s, &k, &v);

		if (got != (c[i].label != NULL))
			fail_msg("required_label(%s) returned %d", c[i].sel, got);
		if (got) {
			snprintf(buf, sizeof(buf), "%s=%s", k, v);
			assert_string_equal(buf, c[i].label);
		}
		k = NULL;
		got = selector_required_key(s, &k);
		if (got != (c[i].key != NULL))
			fail_msg("required_key(%s) returned %d", c[i].sel, got);
		if (got)
			assert_string_equal(k, c[i].key);
		selector_free(s);
	}
}

/* ---- golden files -------------------------------------------------------------------- */

static FILE *open_golden(const char *name)
{
	const char *dir = getenv("PALISADE_SRCDIR");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/golden/selector/%s", dir && *dir ? dir : ".", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s (run from the repository root or set PALISADE_SRCDIR)", path,
			 strerror(errno));
	return f;
}

/* Calls fn(input, expected, lineno) for every "input<TAB>expected" line; returns the count. */
static size_t each_golden(const char *name, void (*fn)(const char *, const char *, size_t))
{
	FILE *f = open_golden(name);
	char *line = NULL, *tab;
	size_t cap = 0, lineno = 0, n = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		tab = strchr(line, '\t');
		if (!tab)
			fail_msg("%s:%zu: no tab", name, lineno);
		*tab = '\0';
		fn(line, tab + 1, lineno);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

static void golden_canonical(const char *in, const char *want, size_t lineno)
{
	struct selector *s, *c;

	check_print(in, want);
	s = parse_ok(in);
	c = parse_ok(want);
	if (!selector_equal(s, c))
		fail_msg("canonical.txt:%zu: the canonical text is not the same tree", lineno);
	check_roundtrip(s, in);
	selector_free(s);
	selector_free(c);
}

static void test_golden_canonical(void **state)
{
	size_t n = each_golden("canonical.txt", golden_canonical);

	print_message("canonical.txt: %zu cases\n", n);
	assert_true(n >= 60);
}

static void golden_error(const char *in, const char *want, size_t lineno)
{
	check_error(in, want);
}

static void test_golden_errors(void **state)
{
	size_t n = each_golden("errors.txt", golden_error);

	print_message("errors.txt: %zu cases\n", n);
	assert_true(n >= 25);
}

/* ---- errors and limits --------------------------------------------------------------- */

static void test_errors_misc(void **state)
{
	char *err = (char *)"untouched";

	/* err may be NULL. */
	assert_null(selector_parse("a ==", NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(selector_parse(NULL, &err));
	assert_non_null(err);
	free(err);
	/* Bytes that begin no token. */
	check_error("a == 'b' # comment", "column 10: unexpected character \"#\"");
	check_error("a\x01", "column 2: unexpected byte 0x01");
	check_error("a == 'b' &", "column 10: unexpected character \"&\" (did you mean \"&&\"?)");
	check_error("\xc3\xa9 == 'x'", "column 1: unexpected byte 0xc3");
	check_error("a == 'b'\f", "column 9: unexpected byte 0x0c");
	/* Long tokens are shortened in messages. */
	check_error("a == 'b' "
		    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789",
		    "column 10: expected \"&&\", \"||\" or end of input, found "
		    "\"abcdefghijklmnopqrstuvwxyz012345...\"");
}

static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
	char *s = malloc(pl + ul * n + sl + 1), *p = s;

	assert_non_null(s);
	memcpy(p, prefix, pl);
	p += pl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, suffix, sl + 1);
	return s;
}

static void test_length_limit(void **state)
{
	size_t big = 1 << 20;
	char *s = malloc(big + 1);
	struct selector *sel;
	char *err = NULL, *t;
	double t0;

	/* 1 MB of a valid-looking selector fails at once, without reading past the limit. */
	memset(s, ' ', big);
	memcpy(s, "a == '", 6);
	s[big - 1] = '\'';
	s[big] = '\0';
	t0 = now();
	assert_null(selector_parse(s, &err));
	assert_true(now() - t0 < 0.5);
	assert_string_equal(err, "column 65537: selector is longer than 65536 bytes");
	free(err);
	/* Exactly at the limit is fine, and prints to the same length. */
	memset(s, 'x', SELECTOR_MAX_LEN);
	memcpy(s, "a == \"", 6);
	s[SELECTOR_MAX_LEN - 1] = '"';
	s[SELECTOR_MAX_LEN] = '\0';
	sel = parse_ok(s);
	t = selector_print(sel);
	assert_string_equal(t, s);
	check_roundtrip(sel, "64 KiB string");
	free(t);
	selector_free(sel);
	/* Short enough as written but not in canonical form: refused, so print always parses. */
	t = repeat("has(a)", "&&has(a)", SELECTOR_MAX_LEN / 8 - 1, "");
	assert_true(strlen(t) <= SELECTOR_MAX_LEN);
	check_error(t, "column 1: selector is longer than 65536 bytes in canonical form");
	free(t);
	free(s);
}

static void test_depth_limit(void **state)
{
	char *s;
	struct selector *sel;
	double t0;

	/* 64 levels of ! are fine; 65 are not. */
	s = repeat("", "!", SELECTOR_MAX_DEPTH, "has(a)");
	sel = parse_ok(s);
	check_roundtrip(sel, "64 negations");
	assert_false(selector_match(sel, &(struct labels){0}));
	selector_free(sel);
	free(s);
	s = repeat("", "!", SELECTOR_MAX_DEPTH + 1, "has(a)");
	check_error(s, "column 1: expression nested deeper than 64 levels");
	free(s);
	/* The canonical form of 64 negations of a comparison nests 65 deep: still parses. */
	s = repeat("", "!", SELECTOR_MAX_DEPTH, "a == 'b'");
	sel = parse_ok(s);
	check_roundtrip(sel, "64 negations of ==");
	selector_free(sel);
	free(s);
	/* Redundant parentheses add no depth, up to the nesting guard. */
	{
		char *open = repeat("", "(", 2 * SELECTOR_MAX_DEPTH, "has(a)");
		char *full = repeat(open, ")", 2 * SELECTOR_MAX_DEPTH, "");

		sel = parse_ok(full);
		check_print(full, "has(a)");
		selector_free(sel);
		free(full);
		free(open);
		open = repeat("", "(", 2 * SELECTOR_MAX_DEPTH + 1, "has(a)");
		full = repeat(open, ")", 2 * SELECTOR_MAX_DEPTH + 1, "");
		check_error(full,
			    "column 129: parentheses and \"!\" nested deeper than 128 levels");
		free(full);
		free(open);
	}
	/* Alternating && and || nested 64 deep: fine; 65: too deep. */
	for (int depth = SELECTOR_MAX_DEPTH; depth <= SELECTOR_MAX_DEPTH + 1; depth++) {
		char *t = strdup("has(k)"), *u;
		char *err = NULL;

		for (int i = 0; i < depth; i++) {
			assert_true(asprintf(&u, "has(k%d) %s (%s)", i, i % 2 ? "&&" : "||", t) >
				    0);
			free(t);
			t = u;
		}
		sel = selector_parse(t, &err);
		if (depth <= SELECTOR_MAX_DEPTH) {
			assert_non_null(sel);
			check_roundtrip(sel, "64 alternating levels");
		} else {
			assert_null(sel);
			assert_string_equal(err,
					    "column 1: expression nested deeper than 64 levels");
		}
		free(err);
		selector_free(sel);
		free(t);
	}
	/* 10,000 nested parentheses and 10,000 negations fail fast, without deep recursion. */
	t0 = now();
	s = repeat("", "(", 10000, "");
	check_error(s, "column 129: parentheses and \"!\" nested deeper than 128 levels");
	free(s);
	s = repeat("", "!", 10000, "has(a)");
	check_error(s, "column 129: parentheses and \"!\" nested deeper than 128 levels");
	free(s);
	s = repeat("", "!(", 5000, "");
	check_error(s, "column 129: parentheses and \"!\" nested deeper than 128 levels");
	free(s);
	assert_true(now() - t0 < 0.5);
	/* Long flat lists are not deep. */
	s = repeat("has(a0)", " && has(a)", 5000, "");
	sel = parse_ok(s);
	check_roundtrip(sel, "5000 conjuncts");
	selector_free(sel);
	free(s);
}

/* ---- randomized: generated selectors against a naive evaluator ----------------------- */

enum gop {
	G_ALL,
	G_GLOBAL,
	G_HAS,
	G_EQ,
	G_NE,
	G_IN,
	G_NOTIN,
	G_CONT,
	G_START,
	G_END,
	G_NOT,
	G_AND,
	G_OR
};

struct gnode {
	enum gop op;
	const char *key, *str;
	const char *set[4];
	int nset;
	struct gnode *kid[4];
	int nkid;
};

static const char *const gkeys[] = {
	"a", "b", "app", "in", "has", "x.y/z-1_2", "projectcalico.org/namespace"};
static const char *const gvals[] = {"", "x", "y", "xy", "yx", "it's", "say \"hi\"", "x y"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: deterministic for a seed, good enough for test inputs. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static struct gnode *gen(int depth)
{
	struct gnode *g = calloc(1, sizeof(*g));
	int r = (int)rnd(depth > 0 ? 13 : 10);

	assert_non_null(g);
	g->op = (enum gop)r;
	g->key = gkeys[rnd(NELEM(gkeys))];
	g->str = gvals[rnd(NELEM(gvals))];
	if (g->op == G_IN || g->op == G_NOTIN) {
		g->nset = (int)rnd(5);
		for (int i = 0; i < g->nset; i++)
			g->set[i] = gvals[rnd(NELEM(gvals))];
	}
	if (g->op == G_NOT) {
		g->nkid = 1;
	} else if (g->op == G_AND || g->op == G_OR) {
		g->nkid = 2 + (int)rnd(3);
	}
	for (int i = 0; i < g->nkid; i++)
		g->kid[i] = gen(depth - 1);
	return g;
}

static void gfree(struct gnode *g)
{
	for (int i = 0; i < g->nkid; i++)
		gfree(g->kid[i]);
	free(g);
}

static const char *glookup(const struct label *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return v[i].value;
	return NULL;
}

static bool geval(const struct gnode *g, const struct label *v, size_t n)
{
	const char *x = glookup(v, n, g->key);
	size_t xl, sl;
	bool r;

	switch (g->op) {
	case G_ALL:
		return true;
	case G_GLOBAL:
		return !glookup(v, n, "projectcalico.org/namespace");
	case G_HAS:
		return x != NULL;
	case G_EQ:
		return x && !strcmp(x, g->str);
	case G_NE:
		return !x || strcmp(x, g->str);
	case G_IN:
	case G_NOTIN:
		r = false;
		for (int i = 0; x && i < g->nset; i++)
			r |= !strcmp(x, g->set[i]);
		return g->op == G_IN ? r : !r;
	case G_CONT:
		return x && strstr(x, g->str);
	case G_START:
		return x && !strncmp(x, g->str, strlen(g->str));
	case G_END:
		if (!x)
			return false;
		xl = strlen(x);
		sl = strlen(g->str);
		return xl >= sl && !strcmp(x + xl - sl, g->str);
	case G_NOT:
		return !geval(g->kid[0], v, n);
	case G_AND:
		for (int i = 0; i < g->nkid; i++)
			if (!geval(g->kid[i], v, n))
				return false;
		return true;
	case G_OR:
		for (int i = 0; i < g->nkid; i++)
			if (geval(g->kid[i], v, n))
				return true;
		return false;
	}
	return false;
}

static void gsp(FILE *f, bool required)
{
	static const char *const ws[] = {"", "", " ", " ", "  ", "\t", "\n"};
	const char *w = ws[rnd(NELEM(ws))];

	fputs(required && !*w ? " " : w, f);
}

static void gquote(FILE *f, const char *s)
{
	bool sq = !strchr(s, '\'') && (strchr(s, '"') || rnd(2));

	fprintf(f, sq ? "'%s'" : "\"%s\"", s);
}

/* Writes g with random spacing, quoting and redundant parentheses. */
static void gwrite(FILE *f, const struct gnode *g, bool need_parens)
{
	static const char *const ops[] = {[G_EQ] = "==",
					  [G_NE] = "!=",
					  [G_CONT] = "contains",
					  [G_START] = "starts with",
					  [G_END] = "ends with"};
	bool parens = need_parens || rnd(6) == 0;

	gsp(f, false);
	if (parens)
		fputc('(', f);
	gsp(f, false);
	switch (g->op) {
	case G_ALL:
		fputs("all()", f);
		break;
	case G_GLOBAL:
		fputs(rnd(2) ? "global()" : "global ( )", f);
		break;
	case G_HAS:
		fprintf(f, "has(%s)", g->key);
		break;
	case G_EQ:
	case G_NE:
	case G_CONT:
	case G_START:
	case G_END:
		fputs(g->key, f);
		gsp(f, g->op >= G_CONT);
		fputs(ops[g->op], f);
		gsp(f, false);
		gquote(f, g->str);
		break;
	case G_IN:
	case G_NOTIN:
		fputs(g->key, f);
		gsp(f, true);
		fputs(g->op == G_IN ? "in" : "not in", f);
		gsp(f, false);
		fputc('{', f);
		for (int i = 0; i < g->nset; i++) {
			if (i)
				fputc(',', f);
			gsp(f, false);
			gquote(f, g->set[i]);
			gsp(f, false);
		}
		fputc('}', f);
		break;
	case G_NOT:
		fputc('!', f);
		gwrite(f, g->kid[0], g->kid[0]->op == G_AND || g->kid[0]->op == G_OR);
		break;
	case G_AND:
	case G_OR:
		for (int i = 0; i < g->nkid; i++) {
			if (i)
				fputs(g->op == G_AND ? "&&" : "||", f);
			/* An || operand of && needs parentheses; the rest are optional. */
			gwrite(f, g->kid[i], g->op == G_AND && g->kid[i]->op == G_OR);
		}
		break;
	}
	gsp(f, false);
	if (parens)
		fputc(')', f);
	gsp(f, false);
}

static void test_random(void **state)
{
	uint64_t seed = 0x5e1ec7025eedULL;
	struct arena a;

	print_message("test_random: seed %#llx\n", (unsigned long long)seed);
	rng_state = seed;
	arena_init(&a);
	for (int iter = 0; iter < 3000; iter++) {
		struct gnode *g = gen((int)rnd(6));
		char *text = NULL, *err = NULL;
		size_t tlen = 0;
		FILE *f = open_memstream(&text, &tlen);
		struct selector *s;
		const char *rk, *rv, *rkey;
		bool has_rl, has_rk;

		assert_non_null(f);
		gwrite(f, g, false);
		fclose(f);
		s = selector_parse(text, &err);
		if (!s)
			fail_msg("iteration %d: %s: %s", iter, text, err);
		check_roundtrip(s, text);
		has_rl = selector_required_label(s, &rk, &rv);
		has_rk = selector_required_key(s, &rkey);
		for (int j = 0; j < 40; j++) {
			struct label pairs[6];
			size_t n = rnd(6);
			struct labels l;
			bool got, want;

			for (size_t k = 0; k < n; k++) {
				pairs[k].key = gkeys[rnd(NELEM(gkeys))];
				pairs[k].value = gvals[rnd(NELEM(gvals))];
			}
			assert_int_equal(labels_build(&a, pairs, n, &l), 0);
			/* labels_build keeps the last of equal keys; so must the oracle. */
			want = geval(g, l.v, l.n);
			got = selector_match(s, &l);
			if (got != want)
				fail_msg("iteration %d: %s: got %d, naive evaluator says %d", iter,
					 text, got, want);
			/* An index must never miss a match. */
			if (got && has_rl) {
				const char *v = labels_get(&l, rk);

				if (!v || strcmp(v, rv))
					fail_msg("%s: matched without required label %s=%s", text,
						 rk, rv);
			}
			if (got && has_rk && !labels_get(&l, rkey))
				fail_msg("%s: matched without required key %s", text, rkey);
		}
		arena_fini(&a);
		selector_free(s);
		free(text);
		gfree(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_has_all_global),
		cmocka_unit_test(test_string_ops),
		cmocka_unit_test(test_boolean),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_spacing_and_quotes),
		cmocka_unit_test(test_keywords_as_keys),
		cmocka_unit_test(test_dedup_and_sort),
		cmocka_unit_test(test_equal_hash),
		cmocka_unit_test(test_is_all),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_golden_canonical),
		cmocka_unit_test(test_golden_errors),
		cmocka_unit_test(test_errors_misc),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
