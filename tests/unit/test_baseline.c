/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The robust baselines: median and MAD, the modified z-score with its spread floor, the
 * absolute floor and the ratio, the warm-up, the rolling window's bound, time gaps taken as
 * zeros, and the EWMA (its closed form for gaps checked against one zero at a time).
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

#include "lib/baseline.h"

#define EPS 1e-9

/* The spike job's defaults: z 3.5, ratio 3, floor 30 flows, spread floor max(1, 10 %). */
static const struct baseline_cfg spike_cfg = {
	.z = 3.5, .ratio = 3, .floor = 30, .spread_abs = 1, .spread_rel = 0.1, .warmup = 10};

static void test_median_mad(void **state)
{
	double odd[] = {100, 3, 1, 4, 2};
	double even[] = {4, 1, 3, 2};
	double one[] = {7};
	double same[] = {5, 5, 5, 5};
	double mad;

	assert_float_equal(baseline_median_mad(odd, 5, &mad), 3, EPS);
	assert_float_equal(mad, 1, EPS); /* deviations 97 0 2 1 1 */
	assert_float_equal(baseline_median_mad(even, 4, &mad), 2.5, EPS);
	assert_float_equal(mad, 1, EPS); /* deviations 1.5 0.5 0.5 1.5 */
	assert_float_equal(baseline_median_mad(one, 1, &mad), 7, EPS);
	assert_float_equal(mad, 0, EPS);
	assert_float_equal(baseline_median_mad(same, 4, &mad), 5, EPS);
	assert_float_equal(mad, 0, EPS);
}

static void test_judge(void **state)
{
	struct baseline_score s;

	/* A steady 10 (MAD 0): the spread floor is 1, the z part 10 + 3.5 / 0.6745 = 15.19, the
	 * ratio part 30, the floor 30: 30 it is. */
	baseline_judge(&spike_cfg, 100, 10, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_true(s.ready);
	assert_true(s.anomalous);
	assert_float_equal(s.typical, 10, EPS);
	assert_float_equal(s.spread, 1, EPS);
	assert_float_equal(s.z, 0.6745 * 90, EPS);
	assert_float_equal(s.threshold, 30, EPS);
	assert_int_equal(s.samples, 20);
	baseline_judge(&spike_cfg, 30, 10, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_true(s.anomalous);
	baseline_judge(&spike_cfg, 29, 10, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_false(s.anomalous);

	/* A quiet pod going from 1 to 5 flows: z = 0.6745 * 4 = 2.7 and 5x its typical, but
	 * below the floor. */
	baseline_judge(&spike_cfg, 5, 1, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_false(s.anomalous);
	assert_float_equal(s.threshold, 30, EPS);
	/* Without the floor it would be. */
	{
		struct baseline_cfg c = spike_cfg;

		c.floor = 0;
		baseline_judge(&c, 5, 1, 0, BASELINE_MAD_SCALE, 20, &s);
		assert_false(s.anomalous); /* z 2.7 < 3.5 */
		baseline_judge(&c, 7, 1, 0, BASELINE_MAD_SCALE, 20, &s);
		assert_true(s.anomalous); /* z 4.05, 7x */
		assert_float_equal(s.threshold, 1 + 3.5 / 0.6745, EPS);
	}

	/* A steady 1000 (MAD 0): the relative spread floor (100) keeps a blip of 1100 at z 0.67;
	 * 2x is z 6.7 but under the ratio; 3x is anomalous. */
	baseline_judge(&spike_cfg, 1100, 1000, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_float_equal(s.spread, 100, EPS);
	assert_float_equal(s.z, 0.6745, EPS);
	assert_false(s.anomalous);
	baseline_judge(&spike_cfg, 2000, 1000, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_true(s.z > 3.5);
	assert_false(s.anomalous);
	assert_float_equal(s.threshold, 3000, EPS);
	baseline_judge(&spike_cfg, 3000, 1000, 0, BASELINE_MAD_SCALE, 20, &s);
	assert_true(s.anomalous);

	/* A wide spread raises the z part above the ratio part: MAD 40 around 100. */
	baseline_judge(&spike_cfg, 300, 100, 40, BASELINE_MAD_SCALE, 20, &s);
	assert_float_equal(s.threshold, 100 + 3.5 * 40 / 0.6745, EPS);
	assert_false(s.anomalous); /* 300 < 307.6 */

	/* Not ready: too few samples, however far above. */
	baseline_judge(&spike_cfg, 1000, 10, 0, BASELINE_MAD_SCALE, 9, &s);
	assert_false(s.ready);
	assert_false(s.anomalous);
	baseline_judge(&spike_cfg, 1000, 10, 0, BASELINE_MAD_SCALE, 0, &s);
	assert_false(s.ready);
	/* A value at or below the typical one never is, even with every threshold at 0. */
	{
		struct baseline_cfg c = {.z = 0.001, .ratio = 1, .warmup = 1, .spread_abs = 1};

		baseline_judge(&c, 10, 10, 0, 1, 5, &s);
		assert_false(s.anomalous);
		baseline_judge(&c, 10.01, 10, 0, 1, 5, &s);
		assert_true(s.anomalous);
	}
}

static void test_mad_warmup_and_window(void **state)
{
	struct baseline_mad b;
	struct baseline_score s;

	assert_int_equal(baseline_mad_init(&b, 0), -EINVAL);
	assert_int_equal(baseline_mad_init(&b, BASELINE_MAX_HISTORY + 1), -EINVAL);
	assert_int_equal(baseline_mad_init(&b, 20), 0);
	assert_int_equal(baseline_mad_memory(&b), 20 * sizeof(float));

	baseline_mad_score(&b, 0, 100, &spike_cfg, &s);
	assert_false(s.ready);
	assert_int_equal(s.samples, 0);
	for (uint64_t t = 0; t < 9; t++)
		baseline_mad_add(&b, t, 10);
	baseline_mad_score(&b, 9, 100, &spike_cfg, &s);
	assert_false(s.ready); /* 9 samples, warm-up 10 */
	assert_false(s.anomalous);
	baseline_mad_add(&b, 9, 10);
	baseline_mad_score(&b, 10, 100, &spike_cfg, &s);
	assert_true(s.ready);
	assert_true(s.anomalous);
	assert_int_equal(s.samples, 10);
	assert_float_equal(s.typical, 10, EPS);
	baseline_mad_fini(&b);
	baseline_mad_fini(&b); /* twice is fine */

	/* The window holds the last k samples only. */
	assert_int_equal(baseline_mad_init(&b, 5), 0);
	for (uint64_t t = 0; t < 100; t++)
		baseline_mad_add(&b, t, (double)t + 1);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.seen, 100);
	baseline_mad_score(&b, 100, 0, &spike_cfg, &s);
	assert_float_equal(s.typical, 98, EPS); /* 96..100 */
	assert_float_equal(s.spread, 9.8, EPS); /* MAD 1, floor 10 % of 98 */
	assert_int_equal(s.samples, 100);

	/* Robust: two outliers among five samples do not move the median. */
	for (uint64_t t = 100; t < 105; t++)
		baseline_mad_add(&b, t, t < 102 ? 1e6 : 10);
	baseline_mad_score(&b, 105, 0, &spike_cfg, &s);
	assert_float_equal(s.typical, 10, EPS);
	baseline_mad_fini(&b);
}

static void test_mad_time_gaps(void **state)
{
	struct baseline_mad b;
	struct baseline_score s;
	struct baseline_cfg c = spike_cfg;

	c.warmup = 1;
	assert_int_equal(baseline_mad_init(&b, 10), 0);
	for (uint64_t t = 0; t < 5; t++)
		baseline_mad_add(&b, t, 10);
	/* Five windows skipped (5..9): five zeros with the five tens. */
	baseline_mad_score(&b, 10, 10, &c, &s);
	assert_float_equal(s.typical, 5, EPS);
	assert_int_equal(s.samples, 10);
	assert_int_equal(b.seen, 5); /* scoring records nothing */
	baseline_mad_add(&b, 10, 10);
	assert_int_equal(b.seen, 11);
	assert_int_equal(b.last, 10);
	/* The ring now holds t = 1..10: 10 10 10 10 0 0 0 0 0 10. */
	baseline_mad_score(&b, 11, 0, &c, &s);
	assert_float_equal(s.typical, 5, EPS);
	/* A gap longer than the window: all zeros. */
	baseline_mad_score(&b, 1000, 40, &c, &s);
	assert_float_equal(s.typical, 0, EPS);
	assert_int_equal(s.samples, 11 + 989);
	assert_true(s.anomalous); /* 40 >= floor 30 against nothing */
	baseline_mad_add(&b, 1000, 40);
	assert_int_equal(b.n, 10);
	assert_int_equal(b.seen, 1001);
	/* A time not after the newest is the next sample, no gap. */
	baseline_mad_add(&b, 3, 40);
	assert_int_equal(b.last, 1001);
	assert_int_equal(b.seen, 1002);
	baseline_mad_score(&b, 1002, 0, &c, &s);
	assert_float_equal(s.typical, 0, EPS); /* 8 zeros, two 40s */
	baseline_mad_add(&b, 1002, 40);
	baseline_mad_add(&b, 1003, 40);
	baseline_mad_add(&b, 1004, 40);
	baseline_mad_score(&b, 1005, 0, &c, &s);
	assert_float_equal(s.typical, 20, EPS); /* 5 zeros, five 40s */
	baseline_mad_fini(&b);
}

static void test_ewma(void **state)
{
	struct baseline_cfg c = {.z = 3.5, .ratio = 1, .floor = 0, .spread_abs = 1, .warmup = 2};
	struct baseline_ewma a, z;
	struct baseline_score s;

	baseline_ewma_init(&a);
	baseline_ewma_score(&a, 0, 5, 0.5, &c, &s);
	assert_false(s.ready);
	baseline_ewma_add(&a, 0, 10, 0.5);
	assert_float_equal(a.mean, 10, EPS);
	assert_float_equal(a.var, 0, EPS);
	baseline_ewma_score(&a, 1, 50, 0.5, &c, &s);
	assert_false(s.ready); /* one sample, warm-up 2 */
	baseline_ewma_add(&a, 1, 20, 0.5);
	/* diff 10, incr 5: mean 15, var 0.5 * (0 + 10 * 5) = 25. */
	assert_float_equal(a.mean, 15, EPS);
	assert_float_equal(a.var, 25, EPS);
	baseline_ewma_score(&a, 2, 35, 0.5, &c, &s);
	assert_true(s.ready);
	assert_float_equal(s.typical, 15, EPS);
	assert_float_equal(s.spread, 5, EPS);
	assert_float_equal(s.z, 4, EPS);
	assert_float_equal(s.threshold, 15 + 3.5 * 5, EPS);
	assert_true(s.anomalous);
	baseline_ewma_score(&a, 2, 32, 0.5, &c, &s);
	assert_false(s.anomalous);

	/* A gap of g windows equals g zeros added one at a time. */
	z = a;
	for (uint64_t t = 2; t < 9; t++)
		baseline_ewma_add(&z, t, 0, 0.5);
	baseline_ewma_score(&a, 9, 100, 0.5, &c, &s);
	assert_float_equal(s.typical, z.mean, EPS);
	assert_float_equal(s.spread, sqrt(z.var), EPS);
	assert_int_equal(s.samples, z.seen);
	baseline_ewma_add(&a, 9, 100, 0.5);
	baseline_ewma_add(&z, 9, 100, 0.5);
	assert_float_equal(a.mean, z.mean, EPS);
	assert_float_equal(a.var, z.var, EPS);
	assert_int_equal(a.seen, z.seen);
	assert_int_equal(a.last, 9);

	/* A slow alpha over many samples: the mean converges on a constant, the variance to 0. */
	baseline_ewma_init(&a);
	for (uint64_t t = 0; t < 2000; t++)
		baseline_ewma_add(&a, t, t % 2 ? 110 : 90, 2.0 / 21);
	assert_true(fabs(a.mean - 100) < 1);
	assert_true(fabs(sqrt(a.var) - 10) < 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_mad),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_mad_warmup_and_window),
		cmocka_unit_test(test_mad_time_gaps),
		cmocka_unit_test(test_ewma),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
