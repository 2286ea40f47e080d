/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/baseline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void baseline_judge(const struct baseline_cfg *c, double x, double typical, double spread,
		    double scale, uint64_t samples, struct baseline_score *s)
{
	double sp = c->spread_rel * fabs(typical);
	double thr;

	if (c->spread_abs > sp)
		sp = c->spread_abs;
	if (spread > sp)
		sp = spread;
	if (!(sp > 0))
		sp = 1e-9; /* only when the caller set both spread floors to 0 */
	thr = typical + c->z * sp / scale;
	if (c->ratio * typical > thr)
		thr = c->ratio * typical;
	if (c->floor > thr)
		thr = c->floor;
	s->samples = samples;
	s->ready = samples > 0 && samples >= c->warmup;
	s->typical = typical;
	s->spread = sp;
	s->z = scale * (x - typical) / sp;
	s->threshold = thr;
	s->anomalous = s->ready && x >= thr && x > typical;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double sorted_median(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double baseline_median_mad(double *v, size_t n, double *mad)
{
	double med;

	qsort(v, n, sizeof(*v), cmp_double);
	med = sorted_median(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - med);
	qsort(v, n, sizeof(*v), cmp_double);
	*mad = sorted_median(v, n);
	return med;
}

/* Samples skipped between the newest one and t (taken as zeros). */
static uint64_t gap_before(uint64_t seen, uint64_t last, uint64_t t)
{
	return seen && t > last ? t - last - 1 : 0;
}

int baseline_mad_init(struct baseline_mad *b, uint32_t k)
{
	memset(b, 0, sizeof(*b));
	if (k < 1 || k > BASELINE_MAX_HISTORY)
		return -EINVAL;
	b->ring = calloc(k, sizeof(*b->ring));
	if (!b->ring)
		return -ENOMEM;
	b->k = k;
	return 0;
}

void baseline_mad_fini(struct baseline_mad *b)
{
	free(b->ring);
	memset(b, 0, sizeof(*b));
}

void baseline_mad_score(const struct baseline_mad *b, uint64_t t, double x,
			const struct baseline_cfg *c, struct baseline_score *s)
{
	double v[BASELINE_MAX_HISTORY];
	uint64_t gap = gap_before(b->seen, b->last, t);
	size_t zeros = gap < b->k ? (size_t)gap : b->k;
	size_t take = b->n < b->k - zeros ? b->n : b->k - zeros;
	size_t n = 0;
	double med = 0, mad = 0;

	/* The newest `take` samples of the ring, then the zeros of the skipped times. */
	for (size_t i = 0; i < take; i++)
		v[n++] = b->ring[(b->pos + b->k - 1 - i) % b->k];
	for (size_t i = 0; i < zeros; i++)
		v[n++] = 0;
	if (n)
		med = baseline_median_mad(v, n, &mad);
	baseline_judge(c, x, med, mad, BASELINE_MAD_SCALE, n ? b->seen + gap : 0, s);
}

static void mad_push(struct baseline_mad *b, double x)
{
	b->ring[b->pos] = (float)x;
	b->pos = (b->pos + 1) % b->k;
	if (b->n < b->k)
		b->n++;
}

void baseline_mad_add(struct baseline_mad *b, uint64_t t, double x)
{
	uint64_t gap = gap_before(b->seen, b->last, t);

	if (!b->k)
		return;
	for (uint64_t i = 0; i < gap && i < b->k; i++)
		mad_push(b, 0);
	mad_push(b, x);
	b->last = !b->seen || t > b->last ? t : b->last + 1;
	b->seen += gap + 1;
}

size_t baseline_mad_memory(const struct baseline_mad *b)
{
	return (size_t)b->k * sizeof(*b->ring);
}

void baseline_ewma_init(struct baseline_ewma *b)
{
	memset(b, 0, sizeof(*b));
}

/*
 * g zero samples in closed form.  One zero turns (m, v) into ((1-a) m, (1-a)(v + a m^2));
 * g of them give q = (1-a)^g, m' = q m and v' = q (v + m^2 (1 - q)).
 */
static void ewma_zeros(double *mean, double *var, uint64_t g, double alpha)
{
	double q;

	if (!g)
		return;
	q = pow(1 - alpha, (double)g);
	*var = q * (*var + *mean * *mean * (1 - q));
	*mean *= q;
}

void baseline_ewma_score(const struct baseline_ewma *b, uint64_t t, double x, double alpha,
			 const struct baseline_cfg *c, struct baseline_score *s)
{
	uint64_t gap = gap_before(b->seen, b->last, t);
	double mean = b->mean, var = b->var;

	ewma_zeros(&mean, &var, gap, alpha);
	baseline_judge(c, x, mean, sqrt(var > 0 ? var : 0), 1.0, b->seen ? b->seen + gap : 0, s);
}

void baseline_ewma_add(struct baseline_ewma *b, uint64_t t, double x, double alpha)
{
	uint64_t gap = gap_before(b->seen, b->last, t);
	double diff, incr;

	if (!b->seen) {
		b->mean = x;
		b->var = 0;
		b->last = t;
		b->seen = 1;
		return;
	}
	ewma_zeros(&b->mean, &b->var, gap, alpha);
	diff = x - b->mean;
	incr = alpha * diff;
	b->mean += incr;
	b->var = (1 - alpha) * (b->var + diff * incr);
	b->last = t > b->last ? t : b->last + 1;
	b->seen += gap + 1;
}
