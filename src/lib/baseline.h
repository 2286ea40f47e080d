/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_BASELINE_H
#define PALISADE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Robust online baselines for the detectors (DESIGN §7): "is this value far above what is
 * usual?", with bounded memory per key and time as a parameter.
 *
 * Time is a sample index t that the caller passes (the detectors count windows); nothing
 * here reads a clock.  When t skips ahead, the samples in between are taken as zeros: a pod
 * without flow records in a window received no flows in it.  A t that is not after the
 * newest sample is taken as the sample right after it.
 *
 * Two models:
 *   - baseline_mad: the median and MAD (median absolute deviation) of the last k samples,
 *     judged by the modified z-score 0.6745 (x - median) / MAD (Iglewicz and Hoaglin).  Robust:
 *     up to half of the window can be outliers without moving the typical value much.
 *   - baseline_ewma: an exponentially weighted mean and variance, weight alpha per sample
 *     (alpha = 2 / (span + 1) gives the same centre of mass as a span-sample average).  Two
 *     doubles per key, for keys where k floats would cost too much.
 *
 * Both are judged by baseline_judge() with the same struct baseline_cfg: a value is anomalous
 * when the model has seen at least `warmup` samples (no verdict before), the value is at or
 * above the absolute `floor` (a quiet pod going from 1 to 5 flows is not a spike), its
 * z-score is at least `z`, and it is at least `ratio` times the typical value.  The spread
 * (MAD or standard deviation) has a floor of max(spread_abs, spread_rel * typical) so that a
 * perfectly steady series does not make every blip infinitely anomalous.  Together these
 * give one number, the threshold: the smallest value that would have been anomalous.
 */

#define BASELINE_MAX_HISTORY 1024
/* The modified z-score's constant: 0.6745 = Phi^-1(0.75), so that MAD / 0.6745 estimates the
 * standard deviation of a normal sample. */
#define BASELINE_MAD_SCALE 0.6745

struct baseline_cfg {
	double z;	   /* threshold on the (modified) z-score, > 0 */
	double ratio;	   /* minimum multiple of the typical value, >= 1 */
	double floor;	   /* values below are never anomalous, >= 0 */
	double spread_abs; /* floor on the MAD or standard deviation, > 0 */
	double spread_rel; /* and relative to the typical value, >= 0 */
	uint64_t warmup;   /* samples needed before a verdict (at least 1 is always needed) */
};

struct baseline_score {
	bool ready;	  /* enough samples for a verdict */
	bool anomalous;	  /* ready, x >= threshold and x > typical */
	double typical;	  /* median or mean */
	double spread;	  /* MAD or standard deviation, after its floor */
	double z;	  /* (modified) z-score of x */
	double threshold; /* the smallest anomalous value: max(floor, z part, ratio part) */
	uint64_t samples; /* samples behind the verdict */
};

/*
 * Judges x against a typical value and a raw spread (MAD with scale BASELINE_MAD_SCALE, or a
 * standard deviation with scale 1) computed from `samples` samples.  Fills *s.
 */
void baseline_judge(const struct baseline_cfg *c, double x, double typical, double spread,
		    double scale, uint64_t samples, struct baseline_score *s);

/*
 * The median and the MAD of v[0..n), n >= 1.  v is reordered and overwritten (it is the
 * scratch space).  Returns the median; *mad gets the MAD.
 */
double baseline_median_mad(double *v, size_t n, double *mad);

/* The rolling median/MAD model over the last k samples. */
struct baseline_mad {
	float *ring;   /* k samples, owned; floats: 7 significant digits are plenty here */
	uint32_t k;    /* capacity */
	uint32_t n;    /* samples held, <= k */
	uint32_t pos;  /* where the next sample goes */
	uint64_t seen; /* samples ever recorded, zeros for skipped times included */
	uint64_t last; /* t of the newest sample (when seen > 0) */
};

/* 0, -EINVAL (k not in 1..BASELINE_MAX_HISTORY) or -ENOMEM.  Finish with baseline_mad_fini. */
int baseline_mad_init(struct baseline_mad *b, uint32_t k);
/* Frees the ring; accepts a zeroed or finished b. */
void baseline_mad_fini(struct baseline_mad *b);
/* Scores x as the sample at t against the k samples before it (skipped times as zeros),
 * without recording it. */
void baseline_mad_score(const struct baseline_mad *b, uint64_t t, double x,
			const struct baseline_cfg *c, struct baseline_score *s);
/* Records x as the sample at t. */
void baseline_mad_add(struct baseline_mad *b, uint64_t t, double x);
/* Bytes of heap memory held (the ring). */
size_t baseline_mad_memory(const struct baseline_mad *b);

/* The EWMA model: no heap memory; alpha in (0, 1] is passed to each call. */
struct baseline_ewma {
	double mean, var;
	uint64_t seen; /* samples ever recorded, zeros for skipped times included */
	uint64_t last; /* t of the newest sample (when seen > 0) */
};

void baseline_ewma_init(struct baseline_ewma *b);
void baseline_ewma_score(const struct baseline_ewma *b, uint64_t t, double x, double alpha,
			 const struct baseline_cfg *c, struct baseline_score *s);
void baseline_ewma_add(struct baseline_ewma *b, uint64_t t, double x, double alpha);

#endif
