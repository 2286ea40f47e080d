/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capped key table: find, insert, delete with index reuse, the cap and its drop counter,
 * binary keys, and a random run against a plain array as the oracle (the seed is printed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/keytab.h"

struct val {
	uint64_t a, b;
};

static void test_basic(void **state)
{
	struct keytab t;
	uint32_t i1, i2, i3, i;
	bool created;
	struct val *v;

	keytab_init(&t, sizeof(struct val), 3);
	assert_int_equal(keytab_find(&t, "a", 1), KEYTAB_NONE);
	assert_int_equal(keytab_memory(&t), 0);
	assert_int_equal(keytab_get(&t, "ns\0web", 6, &i1, &created), 0);
	assert_true(created);
	v = keytab_val(&t, i1);
	assert_int_equal(v->a, 0);
	v->a = 42;
	/* "ns\0web" and "ns" + "web" differ: keys are bytes with their length. */
	assert_int_equal(keytab_get(&t, "nsweb", 5, &i2, &created), 0);
	assert_true(created);
	assert_int_not_equal(i1, i2);
	assert_int_equal(keytab_get(&t, "ns\0web", 6, &i, &created), 0);
	assert_false(created);
	assert_int_equal(i, i1);
	assert_int_equal(((struct val *)keytab_val(&t, i))->a, 42);
	assert_int_equal(keytab_find(&t, "nsweb", 5), i2);
	assert_int_equal(keytab_get(&t, "x", 1, &i3, NULL), 0);
	/* Full: a fourth key is refused and counted; existing keys are still found. */
	assert_int_equal(keytab_get(&t, "y", 1, &i, &created), -ENOSPC);
	assert_int_equal(t.dropped, 1);
	assert_int_equal(keytab_get(&t, "x", 1, &i, &created), 0);
	assert_int_equal(i, i3);
	assert_int_equal(t.n, 3);
	/* Delete, and the index comes back zeroed for the next key. */
	keytab_del(&t, i1);
	assert_false(keytab_live(&t, i1));
	assert_int_equal(keytab_find(&t, "ns\0web", 6), KEYTAB_NONE);
	assert_int_equal(keytab_find(&t, "nsweb", 5), i2);
	assert_int_equal(keytab_get(&t, "y", 1, &i, &created), 0);
	assert_int_equal(i, i1);
	assert_int_equal(((struct val *)keytab_val(&t, i))->a, 0);
	assert_string_equal(keytab_key(&t, i, NULL), "y");
	assert_int_equal(keytab_end(&t), 3);
	/* 16 buckets, 16 entries allocated (cut to max = 3: 3), three keys of 2, 6 and 2 bytes
	 * with 16 bytes of overhead each. */
	assert_int_equal(keytab_memory(&t),
			 16 * 4 + 3 * (16 + sizeof(struct val) + 4) + 2 + 6 + 2 + 3 * 16);
	keytab_fini(&t);
	keytab_fini(&t);
}

static void test_random_against_oracle(void **state)
{
	enum { NKEYS = 3000, MAX = 2000, STEPS = 200000 };
	static uint32_t idx[NKEYS]; /* the oracle: the key's index, or KEYTAB_NONE */
	unsigned seed = (unsigned)time(NULL);
	uint64_t dropped = 0;
	size_t live = 0;
	struct keytab t;

	printf("# keytab seed %u\n", seed);
	srand(seed);
	keytab_init(&t, sizeof(struct val), MAX);
	for (size_t k = 0; k < NKEYS; k++)
		idx[k] = KEYTAB_NONE;
	for (size_t step = 0; step < STEPS; step++) {
		size_t k = (size_t)rand() % NKEYS;
		char key[16];
		int len = snprintf(key, sizeof(key), "k%zu", k);
		uint32_t i;
		bool created;
		int rc;

		if (rand() % 3 == 0 && idx[k] != KEYTAB_NONE) {
			keytab_del(&t, idx[k]);
			idx[k] = KEYTAB_NONE;
			live--;
		} else {
			rc = keytab_get(&t, key, (size_t)len, &i, &created);
			if (idx[k] != KEYTAB_NONE) {
				assert_int_equal(rc, 0);
				assert_false(created);
				assert_int_equal(i, idx[k]);
				assert_int_equal(((struct val *)keytab_val(&t, i))->a, k);
			} else if (live == MAX) {
				assert_int_equal(rc, -ENOSPC);
				dropped++;
			} else {
				assert_int_equal(rc, 0);
				assert_true(created);
				((struct val *)keytab_val(&t, i))->a = k;
				idx[k] = i;
				live++;
			}
		}
		assert_int_equal(t.n, live);
	}
	assert_int_equal(t.dropped, dropped);
	for (size_t k = 0; k < NKEYS; k++) {
		char key[16];
		int len = snprintf(key, sizeof(key), "k%zu", k);

		assert_int_equal(keytab_find(&t, key, (size_t)len), idx[k]);
	}
	assert_true(t.nbucket <= 4096); /* the smallest power of two >= 2 * MAX */
	assert_true(t.nalloc <= MAX);
	keytab_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_random_against_oracle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
