/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes label selectors: direct matching, the Calico text, and a randomized check that
 * the Calico text selects exactly what the label selector selects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/arena.h"
#include "lib/label.h"
#include "lib/labelselector.h"
#include "lib/selector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* "k=v,k2=v2" into a label set in a ("" is the empty set). */
static struct labels mklabels(struct arena *a, const char *spec)
{
	struct label pairs[16];
	struct labels out;
	char *save = arena_strdup(a, spec), *pair;
	size_t n = 0;

	assert_non_null(save);
	while (*spec && (pair = strsep(&save, ",")) != NULL) {
		char *eq = strchr(pair, '=');

		assert_non_null(eq);
		assert_true(n < NELEM(pairs));
		*eq = '\0';
		pairs[n++] = (struct label){pair, eq + 1};
	}
	assert_int_equal(labels_build(a, pairs, n, &out), 0);
	return out;
}

static bool lm(const struct label_selector *s, struct arena *a, const char *spec)
{
	struct labels l = mklabels(a, spec);

	return labelselector_match(s, &l);
}

static void check_calico(const struct label_selector *s, const char *prefix, const char *want)
{
	char *got = labelselector_to_calico(s, prefix);
	struct selector *sel;
	char *err = NULL;

	assert_non_null(got);
	assert_string_equal(got, want);
	sel = selector_parse(got, &err);
	if (!sel)
		fail_msg("%s does not parse: %s", got, err);
	selector_free(sel);
	free(got);
}

static void test_match(void **state)
{
	static const char *web[] = {"web"};
	static const char *web_api[] = {"web", "api"};
	struct label_requirement in = {"app", LSEL_IN, web_api, 2};
	struct label_requirement notin = {"app", LSEL_NOT_IN, web, 1};
	struct label_requirement exists = {"tier", LSEL_EXISTS, NULL, 0};
	struct label_requirement dne = {"tier", LSEL_DOES_NOT_EXIST, NULL, 0};
	struct label_selector s = {.present = true};
	struct arena a;
	struct labels l;

	arena_init(&a);
	/* {} matches everything. */
	l = mklabels(&a, "");
	assert_true(labelselector_match(&s, &l));
	l = mklabels(&a, "app=web");
	assert_true(labelselector_match(&s, &l));

	s.match_labels = mklabels(&a, "app=web,tier=fe");
	assert_true(lm(&s, &a, "app=web,tier=fe,x=y"));
	assert_false(lm(&s, &a, "app=web"));
	assert_false(lm(&s, &a, "app=web,tier=be"));
	assert_false(lm(&s, &a, ""));
	s.match_labels = mklabels(&a, "");

	s.exprs = &in;
	s.nexprs = 1;
	assert_true(lm(&s, &a, "app=api"));
	assert_false(lm(&s, &a, "app=db"));
	assert_false(lm(&s, &a, ""));
	s.exprs = &notin;
	assert_false(lm(&s, &a, "app=web"));
	assert_true(lm(&s, &a, "app=db"));
	assert_true(lm(&s, &a, "")); /* NotIn: absent matches */
	s.exprs = &exists;
	assert_true(lm(&s, &a, "tier="));
	assert_false(lm(&s, &a, "app=web"));
	s.exprs = &dne;
	assert_false(lm(&s, &a, "tier="));
	assert_true(lm(&s, &a, "app=web"));

	/* matchLabels and every expression are ANDed. */
	{
		struct label_requirement both[] = {in, dne};

		s.match_labels = mklabels(&a, "env=prod");
		s.exprs = both;
		s.nexprs = 2;
		assert_true(lm(&s, &a, "app=web,env=prod"));
		assert_false(lm(&s, &a, "app=web,env=dev"));
		assert_false(lm(&s, &a, "app=web,env=prod,tier=x"));
		assert_false(lm(&s, &a, "app=db,env=prod"));
	}
	arena_fini(&a);
}

static void test_to_calico(void **state)
{
	static const char *xy[] = {"y", "x"};
	static const char *quoted[] = {"say \"hi\"", "it's"};
	struct label_requirement reqs[] = {
		{"app", LSEL_IN, xy, 2},
		{"app", LSEL_NOT_IN, xy, 2},
		{"tier", LSEL_EXISTS, NULL, 0},
		{"tier", LSEL_DOES_NOT_EXIST, NULL, 0},
	};
	struct label_requirement q = {"k", LSEL_IN, quoted, 2};
	struct label_selector s = {.present = true};
	struct arena a;

	arena_init(&a);
	check_calico(&s, NULL, "all()");
	check_calico(&s, "pcns.", "all()");
	s.match_labels = mklabels(&a, "ns=x");
	check_calico(&s, "pcns.", "pcns.ns == \"x\"");
	check_calico(&s, "", "ns == \"x\"");
	check_calico(&s, NULL, "ns == \"x\"");
	s.match_labels = mklabels(&a, "b=2,a=1,kubernetes.io/metadata.name=prod");
	check_calico(&s, "pcns.",
		     "pcns.a == \"1\" && pcns.b == \"2\" && "
		     "pcns.kubernetes.io/metadata.name == \"prod\"");
	s.match_labels = mklabels(&a, "");
	s.exprs = reqs;
	s.nexprs = NELEM(reqs);
	check_calico(&s, NULL,
		     "app in {\"y\", \"x\"} && app not in {\"y\", \"x\"} && has(tier) && "
		     "!has(tier)");
	check_calico(&s, "pcsa.",
		     "pcsa.app in {\"y\", \"x\"} && pcsa.app not in {\"y\", \"x\"} && "
		     "has(pcsa.tier) && !has(pcsa.tier)");
	s.match_labels = mklabels(&a, "v=");
	s.exprs = &q;
	s.nexprs = 1;
	check_calico(&s, NULL, "v == \"\" && k in {'say \"hi\"', \"it's\"}");
	arena_fini(&a);
}

static void test_to_calico_invalid(void **state)
{
	static const char *both[] = {"it's \"x\""};
	struct label_requirement r = {"k", LSEL_IN, both, 1};
	struct label_requirement badkey = {"k y", LSEL_EXISTS, NULL, 0};
	struct label_selector s = {.present = true};
	struct arena a;

	arena_init(&a);
	/* A value with both quote kinds has no Calico spelling. */
	s.exprs = &r;
	s.nexprs = 1;
	errno = 0;
	assert_null(labelselector_to_calico(&s, NULL));
	assert_int_equal(errno, EINVAL);
	s.exprs = NULL;
	s.nexprs = 0;
	s.match_labels = mklabels(&a, "k=it's \"x\"");
	errno = 0;
	assert_null(labelselector_to_calico(&s, NULL));
	assert_int_equal(errno, EINVAL);
	/* Neither has a key the selector language cannot read back as one key. */
	s.match_labels = mklabels(&a, "");
	s.exprs = &badkey;
	s.nexprs = 1;
	errno = 0;
	assert_null(labelselector_to_calico(&s, NULL));
	assert_int_equal(errno, EINVAL);
	s.exprs = NULL;
	s.nexprs = 0;
	s.match_labels = mklabels(&a, "-k=v");
	assert_null(labelselector_to_calico(&s, NULL));
	/* ... unless a prefix makes it one. */
	assert_non_null(s.match_labels.v);
	{
		char *t = labelselector_to_calico(&s, "pcns.");

		assert_string_equal(t, "pcns.-k == \"v\"");
		free(t);
	}
	arena_fini(&a);
}

/* ---- randomized equivalence ---------------------------------------------------------- */

static const char *const rkeys[] = {"app", "tier", "in", "has", "example.com/role", "a-b_c.d"};
static const char *const rvals[] = {"", "x", "y", "v1.2", "it's", "say \"hi\""};

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static void random_labels(struct arena *a, const char *prefix, struct labels *plain,
			  struct labels *prefixed)
{
	struct label p[8], q[8];
	size_t n = rnd(6);

	for (size_t i = 0; i < n; i++) {
		p[i] = (struct label){rkeys[rnd(NELEM(rkeys))], rvals[rnd(NELEM(rvals))]};
		q[i] = (struct label){arena_printf(a, "%s%s", prefix, p[i].key), p[i].value};
	}
	assert_int_equal(labels_build(a, p, n, plain), 0);
	assert_int_equal(labels_build(a, q, n, prefixed), 0);
}

static void test_random_equivalence(void **state)
{
	static const char *const prefixes[] = {"", "pcns.", "pcsa."};
	uint64_t seed = 0x1abe15e1ec7ULL;
	struct arena a;
	size_t matched = 0, total = 0;

	print_message("test_random_equivalence: seed %#llx\n", (unsigned long long)seed);
	rng_state = seed;
	arena_init(&a);
	for (int iter = 0; iter < 2000; iter++) {
		const char *prefix = prefixes[rnd(NELEM(prefixes))];
		struct label ml[3];
		struct label_requirement req[3];
		struct label_selector s = {.present = true, .exprs = req};
		struct selector *sel;
		char *text, *err = NULL;
		size_t nml = rnd(3);

		for (size_t i = 0; i < nml; i++)
			ml[i] = (struct label){rkeys[rnd(NELEM(rkeys))], rvals[rnd(NELEM(rvals))]};
		assert_int_equal(labels_build(&a, ml, nml, &s.match_labels), 0);
		s.nexprs = rnd(4);
		for (size_t i = 0; i < s.nexprs; i++) {
			const char **vals = arena_alloc(&a, 3 * sizeof(*vals));

			req[i].key = rkeys[rnd(NELEM(rkeys))];
			req[i].op = (enum lsel_op)rnd(4);
			req[i].nvalues = 0;
			req[i].values = vals;
			if (req[i].op == LSEL_IN || req[i].op == LSEL_NOT_IN) {
				/* Mostly 1 to 3 values; now and then none, which the API rejects. */
				req[i].nvalues = rnd(10) ? 1 + rnd(3) : 0;
				for (size_t j = 0; j < req[i].nvalues; j++)
					vals[j] = rvals[rnd(NELEM(rvals))];
			}
		}
		text = labelselector_to_calico(&s, prefix);
		assert_non_null(text);
		sel = selector_parse(text, &err);
		if (!sel)
			fail_msg("iteration %d: %s: %s", iter, text, err);
		for (int j = 0; j < 50; j++) {
			struct labels plain, prefixed;
			bool want, got;

			random_labels(&a, prefix, &plain, &prefixed);
			want = labelselector_match(&s, &plain);
			got = selector_match(sel, &prefixed);
			if (want != got)
				fail_msg("iteration %d: %s: Calico says %d, Kubernetes %d", iter,
					 text, got, want);
			matched += want;
			total++;
		}
		selector_free(sel);
		free(text);
		arena_fini(&a);
	}
	print_message("test_random_equivalence: %zu of %zu matched\n", matched, total);
	/* Both outcomes must be well represented for the comparison to mean anything. */
	assert_true(matched > total / 10 && matched < total * 9 / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_to_calico),
		cmocka_unit_test(test_to_calico_invalid),
		cmocka_unit_test(test_random_equivalence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
