/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capped distinct set and the HyperLogLog of lib/distinct.h.  The set is checked
 * BIRD-style against a naive array that applies the same rules (cap, stale replacement,
 * expiry): random values from a small universe (so that repeats are common), random stamps
 * moving forward, random expiries; every answer must agree.  The seed comes from
 * PALISADE_SEED when set and is printed.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/distinct.h"

#define DEFAULT_SEED 20261129ULL

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void seed_rng(const char *test)
{
	const char *env = getenv("PALISADE_SEED");
	uint64_t seed = env && *env ? strtoull(env, NULL, 0) : DEFAULT_SEED;

	print_message("%s: seed %llu (set PALISADE_SEED to change)\n", test,
		      (unsigned long long)seed);
	rng_state = seed;
}

static void test_basics(void **state)
{
	struct distinct d;

	assert_int_equal(sizeof(d), 32);
	distinct_init(&d);
	assert_int_equal(distinct_count(&d), 0);
	assert_int_equal(distinct_min_stamp(&d), UINT32_MAX);
	assert_int_equal(distinct_add(&d, 7, 100, 3, 0), DISTINCT_ADDED);
	assert_int_equal(distinct_memory(&d), 0); /* one value lives inline */
	assert_int_equal(distinct_add(&d, 7, 110, 3, 0), DISTINCT_HELD);
	assert_int_equal(distinct_add(&d, 8, 105, 3, 0), DISTINCT_ADDED);
	assert_int_equal(distinct_memory(&d), 2 * 12);
	assert_int_equal(distinct_add(&d, 0, 120, 3, 0), DISTINCT_ADDED); /* stored as 1 */
	assert_true(distinct_has(&d, 0));
	assert_true(distinct_has(&d, 1));
	assert_int_equal(distinct_count(&d), 3);
	assert_false(distinct_over(&d));
	/* Full at the limit: a newer value replaces the oldest (8 at 105), and since that one
	 * was still in the span (stale_before 0), the count is now past the limit. */
	assert_int_equal(distinct_add(&d, 9, 130, 3, 0), DISTINCT_ADDED);
	assert_true(distinct_over(&d));
	assert_false(distinct_has(&d, 8));
	assert_true(distinct_has(&d, 9));
	assert_int_equal(distinct_count(&d), 3);
	/* 7 was raised to 110 when seen again: it goes next. */
	assert_int_equal(distinct_min_stamp(&d), 110);
	assert_int_equal(distinct_add(&d, 10, 130, 3, 0), DISTINCT_ADDED);
	assert_false(distinct_has(&d, 7));
	/* Nothing older than 120 is left: a value stamped 120 is refused. */
	assert_int_equal(distinct_add(&d, 11, 120, 3, 0), DISTINCT_REFUSED);
	assert_false(distinct_has(&d, 11));
	assert_int_equal(distinct_expire(&d, 121), 1);
	assert_false(distinct_over(&d)); /* what was let go is older than what expired */
	assert_int_equal(distinct_count(&d), 2);
	assert_int_equal(distinct_min_stamp(&d), 130);
	assert_int_equal(distinct_expire(&d, 131), 2);
	assert_int_equal(distinct_count(&d), 0);
	assert_int_equal(distinct_memory(&d), 0); /* back inline */
	assert_int_equal(distinct_add(&d, 11, 140, 0, 0), -EINVAL);
	assert_int_equal(distinct_add(&d, 11, 140, DISTINCT_MAX_LIMIT + 1, 0), -EINVAL);
	distinct_fini(&d);
	assert_int_equal(distinct_count(&d), 0);
	distinct_fini(&d); /* twice is fine */

	/* Replacing a value already out of the span (stamp below stale_before) is no loss. */
	assert_int_equal(distinct_add(&d, 1, 10, 2, 0), DISTINCT_ADDED);
	assert_int_equal(distinct_add(&d, 2, 20, 2, 0), DISTINCT_ADDED);
	assert_int_equal(distinct_add(&d, 3, 30, 2, 15), DISTINCT_ADDED);
	assert_false(distinct_over(&d));
	assert_false(distinct_has(&d, 1));
	assert_int_equal(distinct_add(&d, 4, 30, 2, 15), DISTINCT_ADDED); /* 2 at 20 goes */
	assert_true(distinct_over(&d));
	assert_int_equal(distinct_expire(&d, 25), 0); /* nothing held is that old */
	assert_true(distinct_over(&d));
	distinct_fini(&d);
}

/* Memory stays within distinct_memory_max() however many values arrive. */
static void test_cap_bounds_memory(void **state)
{
	static const uint32_t limits[] = {1, 2, 3, 16, 17, 34, 52, 64, 65, 502, 10002};

	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		struct distinct d;
		uint32_t refused = 0;

		distinct_init(&d);
		for (uint64_t v = 1; v <= 20000; v++) {
			int rc = distinct_add(&d, v * 0x9e3779b97f4a7c15ULL, 1, limits[l], 0);

			assert_true(rc >= 0);
			refused += rc == DISTINCT_REFUSED;
			assert_true(distinct_memory(&d) <= distinct_memory_max(limits[l]));
		}
		assert_int_equal(distinct_count(&d), limits[l]);
		assert_int_equal(refused, 20000 - limits[l]);
		assert_true(distinct_over(&d));
		distinct_fini(&d);
	}
	/* The figures docs/detectors.md quotes. */
	assert_int_equal(distinct_memory_max(34), 34 * 12);
	assert_int_equal(distinct_memory_max(52), 52 * 12);
	assert_int_equal(distinct_memory_max(18), 18 * 12);
	assert_int_equal(distinct_memory_max(65), 128 * 12); /* hashed, at most 3/4 full */
	assert_int_equal(distinct_memory_max(97), 256 * 12);
	assert_int_equal(distinct_memory_max(1), 0);
}

/*
 * The oracle remembers, for every value of a small universe, the stamp it was last seen with,
 * and checks what the set promises (distinct.h) against that history after every step:
 *   - n <= limit, over only when n == limit, and n is the number of values held;
 *   - when over is clear, every value seen since the last expiry's cutoff is held;
 *   - every value seen but not held is at most as new as the oldest value held.
 * Stamps advance slowly so that many values share one, as they share a window.
 */
static void oracle_run(uint32_t limit, uint32_t universe, int steps)
{
	struct distinct d;
	uint32_t *last = calloc(universe + 1, sizeof(*last));
	uint32_t now = 1000, cutoff = 0;

	assert_non_null(last);
	distinct_init(&d);
	for (int step = 0; step < steps; step++) {
		uint64_t r = rng();

		if (r % 50 == 0) {
			uint32_t c = now - (uint32_t)(rng() % 40);
			uint32_t want = 0, n = distinct_count(&d);

			if (c > cutoff)
				cutoff = c;
			for (uint32_t id = 1; id <= universe; id++)
				want += last[id] && last[id] < cutoff &&
					distinct_has(&d, distinct_mix(id));
			assert_int_equal(distinct_expire(&d, cutoff), want);
			assert_int_equal(distinct_count(&d), n - want);
		} else {
			uint32_t id = (uint32_t)(rng() % universe) + 1;
			uint64_t v = distinct_mix(id);
			bool held = distinct_has(&d, v);
			uint32_t n = distinct_count(&d);
			int got;

			now += rng() % 8 == 0;
			got = distinct_add(&d, v, now, limit, cutoff);
			if (held)
				assert_int_equal(got, DISTINCT_HELD);
			else if (n < limit)
				assert_int_equal(got, DISTINCT_ADDED);
			else
				assert_true(got == DISTINCT_ADDED || got == DISTINCT_REFUSED);
			assert_int_equal(distinct_has(&d, v), got != DISTINCT_REFUSED);
			last[id] = now;
		}
		assert_true(distinct_count(&d) <= limit);
		if (distinct_over(&d))
			assert_int_equal(distinct_count(&d), limit);
		if (step % 61 == 0 || step == steps - 1) {
			uint32_t min = distinct_min_stamp(&d), held = 0;

			for (uint32_t id = 1; id <= universe; id++) {
				bool h = distinct_has(&d, distinct_mix(id));

				held += h;
				if (h)
					assert_true(last[id] >= min);
				else if (last[id] && distinct_count(&d))
					assert_true(last[id] <= min);
				if (!distinct_over(&d) && last[id] >= cutoff && last[id])
					assert_true(h);
			}
			assert_int_equal(held, distinct_count(&d));
			assert_false(distinct_has(&d, distinct_mix(universe + 7)));
			assert_true(distinct_memory(&d) <= distinct_memory_max(limit));
		}
	}
	distinct_fini(&d);
	free(last);
}

static void test_oracle(void **state)
{
	seed_rng("test_oracle");
	oracle_run(1, 4, 5000);
	oracle_run(5, 12, 20000);
	oracle_run(16, 40, 20000);
	oracle_run(34, 80, 40000);
	oracle_run(52, 60, 40000);
	oracle_run(65, 100, 40000);
	oracle_run(500, 900, 60000);
	oracle_run(3000, 4000, 60000);
}

static void test_values(void **state)
{
	struct distinct d;
	uint64_t out[64];
	uint64_t sum = 0;

	distinct_init(&d);
	for (uint64_t v = 1; v <= 40; v++)
		assert_int_equal(distinct_add(&d, v, 5, 64, 0), DISTINCT_ADDED);
	assert_int_equal(distinct_values(&d, out, 64), 40);
	for (int i = 0; i < 40; i++)
		sum += out[i];
	assert_int_equal(sum, 40 * 41 / 2);
	assert_int_equal(distinct_values(&d, out, 3), 3);
	distinct_fini(&d);
}

static void test_hash(void **state)
{
	assert_int_equal(distinct_hash("10.0.0.1", 8, 4), distinct_hash("10.0.0.1", 8, 4));
	assert_true(distinct_hash("10.0.0.1", 8, 4) != distinct_hash("10.0.0.1", 8, 5));
	assert_true(distinct_hash("10.0.0.1", 8, 4) != distinct_hash("10.0.0.2", 8, 4));
	assert_int_equal(distinct_mix(0), 0);
	assert_true(distinct_mix(1) != 1);
}

/* Within four standard errors (1.04 / 16 = 6.5% each) for large counts, closer for small. */
static void test_hll(void **state)
{
	static const uint32_t counts[] = {0, 1, 10, 40, 100, 1000, 10000, 100000, 1000000};
	struct hll h;

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		double e, err;

		hll_init(&h);
		for (uint32_t i = 0; i < counts[c]; i++) {
			hll_add(&h, i);
			hll_add(&h, i); /* repeats do not count */
		}
		e = hll_estimate(&h);
		err = counts[c] ? fabs(e - counts[c]) / counts[c] : e;
		print_message("hll: %u distinct -> %.1f\n", counts[c], e);
		if (counts[c] <= 1)
			assert_true(fabs(e - counts[c]) < 0.5);
		else if (counts[c] <= 100)
			assert_true(err < 0.1);
		else
			assert_true(err < 0.26);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics), cmocka_unit_test(test_cap_bounds_memory),
		cmocka_unit_test(test_oracle), cmocka_unit_test(test_values),
		cmocka_unit_test(test_hash),   cmocka_unit_test(test_hll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
