/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the small leaf modules: arena, diag, strbuf, label, strmap, bitset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "lib/bitset.h"
#include "lib/diag.h"
#include "lib/label.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_arena(void **state)
{
	struct arena a;
	char *big, *s;
	long *p;

	arena_init(&a);
	p = arena_alloc(&a, sizeof(*p) * 3);
	assert_non_null(p);
	assert_int_equal(((uintptr_t)p) % _Alignof(max_align_t), 0);
	assert_int_equal(p[0] | p[1] | p[2], 0);
	s = arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	assert_string_equal(arena_strndup(&a, "hello", 3), "hel");
	assert_string_equal(arena_printf(&a, "%s-%d", "x", 42), "x-42");
	assert_null(arena_strdup(&a, NULL));
	/* A block bigger than the default block size still works and keeps earlier data. */
	big = arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 'x', 1 << 20);
	assert_string_equal(s, "hello");
	assert_true(a.used >= (1 << 20));
	arena_fini(&a);
	assert_int_equal(a.total, 0);
	arena_fini(&a); /* twice is fine */
}

static void test_diag(void **state)
{
	struct diag_list l, m;
	char buf[256];

	diag_list_init(&l);
	diag_error(&l, "b.yaml", 3, "second %s", "file");
	diag_warn(&l, "a.yaml", 7, "later line");
	diag_error(&l, "a.yaml", 2, "earlier line");
	diag_error(&l, NULL, 0, "no file");
	assert_int_equal(l.errors, 3);
	assert_int_equal(l.warnings, 1);
	diag_list_sort(&l);
	diag_format(&l.v[0], buf, sizeof(buf));
	assert_string_equal(buf, "<input>: no file");
	diag_format(&l.v[1], buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:2: earlier line");
	diag_format(&l.v[2], buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:7: warning: later line");
	diag_format(&l.v[3], buf, sizeof(buf));
	assert_string_equal(buf, "b.yaml:3: second file");
	diag_list_init(&m);
	diag_list_merge(&m, &l);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.errors, 3);
	diag_list_fini(&m);
	/* Past the cap, diagnostics are counted, not stored. */
	for (int i = 0; i < DIAG_LIST_MAX + 10; i++)
		diag_error(&l, "x", i, "e");
	assert_int_equal(l.n, DIAG_LIST_MAX);
	assert_int_equal(l.dropped, 14);
	assert_int_equal(l.errors, 3 + DIAG_LIST_MAX + 10);
	diag_list_fini(&l);
}

static void test_strbuf(void **state)
{
	struct strbuf b;
	char *s;

	strbuf_init(&b);
	assert_string_equal(strbuf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		strbuf_printf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 2000);
	strbuf_putc(&b, '!');
	strbuf_puts(&b, "end");
	assert_string_equal(b.s + 2000, "!end");
	s = strbuf_steal(&b);
	assert_int_equal(strlen(s), 2004);
	free(s);
	assert_int_equal(b.len, 0);
	strbuf_add(&b, "abc", 2);
	assert_string_equal(strbuf_str(&b), "ab");
	strbuf_reset(&b);
	assert_string_equal(strbuf_str(&b), "");
	strbuf_fini(&b);
}

static void test_labels(void **state)
{
	struct arena a;
	struct label in[] = {{"b", "2"}, {"a", "1"}, {"c", "3"}, {"a", "last"}};
	struct label over[] = {{"b", "B"}, {"d", "D"}};
	struct labels l, o, mrg, l2;

	arena_init(&a);
	assert_int_equal(labels_build(&a, in, 4, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].key, "a");
	assert_string_equal(labels_get(&l, "a"), "last");
	assert_string_equal(labels_get(&l, "c"), "3");
	assert_null(labels_get(&l, "zz"));
	assert_int_equal(labels_build(&a, over, 2, &o), 0);
	assert_int_equal(labels_merge(&a, &l, &o, &mrg), 0);
	assert_int_equal(mrg.n, 4);
	assert_string_equal(labels_get(&mrg, "b"), "B");
	assert_string_equal(labels_get(&mrg, "d"), "D");
	assert_string_equal(labels_get(&mrg, "a"), "last");
	assert_int_equal(labels_build(&a, in, 4, &l2), 0);
	assert_true(labels_equal(&l, &l2));
	assert_false(labels_equal(&l, &mrg));
	assert_int_equal(labels_build(&a, NULL, 0, &l2), 0);
	assert_int_equal(l2.n, 0);
	assert_null(labels_get(&l2, "a"));
	arena_fini(&a);
}

/* strmap against a naive array, with deletions, over a fixed seed. */
static void test_strmap_oracle(void **state)
{
	enum { N = 3000 };
	static uint32_t naive[N];
	struct strmap m;
	unsigned seed = 99;
	char key[32];

	strmap_init(&m);
	for (int i = 0; i < N; i++)
		naive[i] = UINT32_MAX;
	for (int op = 0; op < 40000; op++) {
		int k = rand_r(&seed) % N;
		int what = rand_r(&seed) % 3;

		snprintf(key, sizeof(key), "key-%d", k);
		if (what == 0) {
			assert_int_equal(strmap_put(&m, key, (uint32_t)op), 0);
			naive[k] = (uint32_t)op;
		} else if (what == 1) {
			assert_int_equal(strmap_del(&m, key), naive[k]);
			naive[k] = UINT32_MAX;
		} else {
			assert_int_equal(strmap_get(&m, key), naive[k]);
		}
	}
	for (int k = 0; k < N; k++) {
		snprintf(key, sizeof(key), "key-%d", k);
		assert_int_equal(strmap_get(&m, key), naive[k]);
	}
	strmap_fini(&m);
}

static void test_bitset(void **state)
{
	struct bitset b;

	assert_int_equal(bitset_init(&b, 130), 0);
	assert_int_equal(bitset_count(&b), 0);
	assert_int_equal(bitset_next(&b, 0), 130);
	bitset_set(&b, 0);
	bitset_set(&b, 64);
	bitset_set(&b, 129);
	assert_true(bitset_test(&b, 64));
	assert_false(bitset_test(&b, 63));
	assert_false(bitset_test(&b, 500)); /* out of range reads as clear */
	assert_int_equal(bitset_count(&b), 3);
	assert_int_equal(bitset_next(&b, 1), 64);
	assert_int_equal(bitset_next(&b, 65), 129);
	assert_int_equal(bitset_next(&b, 130), 130);
	bitset_assign(&b, 64, false);
	assert_int_equal(bitset_next(&b, 1), 129);
	bitset_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),	      cmocka_unit_test(test_diag),
		cmocka_unit_test(test_strbuf),	      cmocka_unit_test(test_labels),
		cmocka_unit_test(test_strmap_oracle), cmocka_unit_test(test_bitset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
