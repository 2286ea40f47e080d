/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/distinct.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_BYTES (sizeof(uint64_t) + sizeof(uint32_t))

static bool hashed(const struct distinct *d)
{
	return d->cap > DISTINCT_LINEAR_MAX;
}

static uint64_t *vals(struct distinct *d)
{
	return d->cap == DISTINCT_INLINE ? &d->u.in.v : d->u.heap;
}

static uint32_t *stamps(struct distinct *d)
{
	return d->cap == DISTINCT_INLINE ? &d->u.in.stamp : (uint32_t *)(d->u.heap + d->cap);
}

/* The const twins, for the read-only entry points. */
static const uint64_t *cvals(const struct distinct *d)
{
	return d->cap == DISTINCT_INLINE ? &d->u.in.v : d->u.heap;
}

static const uint32_t *cstamps(const struct distinct *d)
{
	return d->cap == DISTINCT_INLINE ? &d->u.in.stamp : (const uint32_t *)(d->u.heap + d->cap);
}

/* The slots to look at: the first n in linear mode, all of them (free ones are 0) hashed. */
static uint32_t span_of(const struct distinct *d)
{
	return hashed(d) ? d->cap : d->n;
}

void distinct_init(struct distinct *d)
{
	memset(d, 0, sizeof(*d));
	d->cap = DISTINCT_INLINE;
	d->oldest = UINT32_MAX;
}

void distinct_fini(struct distinct *d)
{
	if (d->cap > DISTINCT_INLINE)
		free(d->u.heap);
	distinct_init(d);
}

/*
 * The capacity that holds m values: inline for one, a linear array of the next power of two
 * (but not beyond limit, which is >= m) up to DISTINCT_LINEAR_MAX, else the smallest
 * power-of-two table at most 3/4 full.  Growing from a full block asks for m = n + 1, which
 * doubles it, so growth is amortised.
 */
static uint32_t cap_for(uint32_t m, uint32_t limit)
{
	uint32_t c;

	if (m <= DISTINCT_INLINE)
		return DISTINCT_INLINE;
	if (m <= DISTINCT_LINEAR_MAX) {
		for (c = 2; c < m; c *= 2)
			;
		return c < limit ? c : limit;
	}
	for (c = 2 * DISTINCT_LINEAR_MAX; (uint64_t)c * 3 < (uint64_t)m * 4; c *= 2)
		;
	return c;
}

static long find(const struct distinct *d, uint64_t v)
{
	const uint64_t *vs = cvals(d);

	if (hashed(d)) {
		uint32_t mask = d->cap - 1;

		for (uint32_t i = (uint32_t)v & mask; vs[i]; i = (i + 1) & mask)
			if (vs[i] == v)
				return i;
		return -1;
	}
	for (uint32_t i = 0; i < d->n; i++)
		if (vs[i] == v)
			return i;
	return -1;
}

/* Stores v (not held, room guaranteed). */
static void put(struct distinct *d, uint64_t v, uint32_t stamp)
{
	uint64_t *vs = vals(d);
	uint32_t *ss = stamps(d), i;

	if (hashed(d)) {
		uint32_t mask = d->cap - 1;

		for (i = (uint32_t)v & mask; vs[i]; i = (i + 1) & mask)
			;
	} else {
		i = d->n;
	}
	vs[i] = v;
	ss[i] = stamp;
	d->n++;
}

/* Removes the value in slot i of a hashed set, shifting its cluster back (no tombstones). */
static void hashed_del(struct distinct *d, uint32_t i)
{
	uint64_t *vs = vals(d);
	uint32_t *ss = stamps(d), mask = d->cap - 1, j = i;

	vs[i] = 0;
	d->n--;
	for (;;) {
		uint32_t home;
		bool stays;

		j = (j + 1) & mask;
		if (!vs[j])
			return;
		home = (uint32_t)vs[j] & mask;
		/* The value at j may fill the hole at i unless its home lies cyclically in (i, j]. */
		if (i <= j)
			stays = home > i && home <= j;
		else
			stays = home > i || home <= j;
		if (stays)
			continue;
		vs[i] = vs[j];
		ss[i] = ss[j];
		vs[j] = 0;
		i = j;
	}
}

/* Moves the values into a block of newcap slots.  0 or -ENOMEM (d unchanged). */
static int rebuild(struct distinct *d, uint32_t newcap)
{
	struct distinct nd = *d;
	const uint64_t *ov = vals(d);
	const uint32_t *os = stamps(d);
	uint32_t span = span_of(d);

	nd.cap = newcap;
	nd.n = 0;
	if (newcap > DISTINCT_INLINE) {
		nd.u.heap = calloc(newcap, SLOT_BYTES);
		if (!nd.u.heap)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < span; i++)
		if (ov[i])
			put(&nd, ov[i], os[i]);
	if (d->cap > DISTINCT_INLINE)
		free(d->u.heap);
	*d = nd;
	return 0;
}

/*
 * The slot of a value with the oldest stamp (the set is not empty).  The walk starts at the
 * cursor and stops at the first value stamped d->oldest; when a whole walk finds none, oldest
 * was only a lower bound: it becomes the exact minimum and the walk runs again.
 */
static uint32_t find_oldest(struct distinct *d)
{
	const uint64_t *vs = vals(d);
	const uint32_t *ss = stamps(d);
	uint32_t span = span_of(d), start = d->cursor < span ? d->cursor : 0;

	for (;;) {
		uint32_t min = UINT32_MAX;

		for (uint32_t k = 0; k < span; k++) {
			uint32_t j = start + k < span ? start + k : start + k - span;

			if (!vs[j])
				continue;
			if (ss[j] <= d->oldest) {
				d->cursor = (uint16_t)j;
				return j;
			}
			if (ss[j] < min)
				min = ss[j];
		}
		d->oldest = min;
	}
}

int distinct_add(struct distinct *d, uint64_t v, uint32_t stamp, uint32_t limit,
		 uint32_t stale_before)
{
	uint32_t *ss, victim;
	long i;

	if (limit < 1 || limit > DISTINCT_MAX_LIMIT)
		return -EINVAL;
	if (!v)
		v = 1;
	i = find(d, v);
	if (i >= 0) {
		ss = stamps(d);
		if (ss[i] < stamp)
			ss[i] = stamp;
		return DISTINCT_HELD;
	}
	if (d->n < limit) {
		bool full = hashed(d) ? ((uint64_t)d->n + 1) * 4 > (uint64_t)d->cap * 3
				      : d->n == d->cap;

		if (full && rebuild(d, cap_for(d->n + 1, limit)))
			return -ENOMEM;
		put(d, v, stamp);
		if (stamp < d->oldest)
			d->oldest = stamp;
		return DISTINCT_ADDED;
	}
	/* Full: the oldest value makes room if it is older than v. */
	if (d->oldest >= stamp) {
		d->over = 1;
		return DISTINCT_REFUSED;
	}
	victim = find_oldest(d);
	ss = stamps(d);
	if (ss[victim] >= stamp) {
		d->over = 1;
		return DISTINCT_REFUSED;
	}
	if (ss[victim] >= stale_before)
		d->over = 1;
	if (hashed(d)) {
		hashed_del(d, victim);
		put(d, v, stamp);
	} else {
		vals(d)[victim] = v;
		ss[victim] = stamp;
	}
	/* oldest stays a lower bound: other values may share the replaced one's stamp. */
	return DISTINCT_ADDED;
}

bool distinct_has(const struct distinct *d, uint64_t v)
{
	return find(d, v ? v : 1) >= 0;
}

uint32_t distinct_min_stamp(const struct distinct *d)
{
	const uint64_t *vs = cvals(d);
	const uint32_t *ss = cstamps(d);
	uint32_t min = UINT32_MAX, span = span_of(d);

	for (uint32_t i = 0; i < span; i++)
		if (vs[i] && ss[i] < min)
			min = ss[i];
	return min;
}

uint32_t distinct_expire(struct distinct *d, uint32_t before)
{
	uint64_t *vs;
	uint32_t *ss, removed = 0, want;

	if (!d->n || d->oldest >= before)
		return 0;
	vs = vals(d);
	ss = stamps(d);
	if (hashed(d)) {
		/*
		 * A value shifted back into slot i is looked at again by the inner loop; one
		 * shifted from the table's start to its end was already kept, and is kept again.
		 */
		for (uint32_t i = 0; i < d->cap; i++)
			while (vs[i] && ss[i] < before) {
				hashed_del(d, i);
				removed++;
			}
	} else {
		uint32_t w = 0;

		for (uint32_t r = 0; r < d->n; r++) {
			if (ss[r] < before)
				continue;
			vs[w] = vs[r];
			ss[w] = ss[r];
			w++;
		}
		removed = d->n - w;
		d->n = w;
	}
	if (removed)
		d->over = 0;
	/* Shrink a block now four times too big; keep it when memory is short. */
	want = cap_for(d->n, d->n);
	if (d->cap > DISTINCT_INLINE && (want == DISTINCT_INLINE || (uint64_t)want * 4 <= d->cap))
		(void)rebuild(d, want);
	d->oldest = distinct_min_stamp(d);
	return removed;
}

size_t distinct_values(const struct distinct *d, uint64_t *out, size_t max)
{
	const uint64_t *vs = cvals(d);
	uint32_t span = span_of(d);
	size_t k = 0;

	for (uint32_t i = 0; i < span && k < max; i++)
		if (vs[i])
			out[k++] = vs[i];
	return k;
}

size_t distinct_memory(const struct distinct *d)
{
	return d->cap > DISTINCT_INLINE ? (size_t)d->cap * SLOT_BYTES : 0;
}

size_t distinct_memory_max(uint32_t limit)
{
	uint32_t c = cap_for(limit, limit);

	return c > DISTINCT_INLINE ? (size_t)c * SLOT_BYTES : 0;
}

uint64_t distinct_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t distinct_hash(const void *p, size_t len, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ distinct_mix(seed);

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return distinct_mix(h);
}

/* ---- HyperLogLog ----------------------------------------------------------------------- */

void hll_init(struct hll *h)
{
	memset(h, 0, sizeof(*h));
}

void hll_add(struct hll *h, uint64_t v)
{
	uint64_t x = distinct_mix(v ^ 0x9e3779b97f4a7c15ULL);
	uint32_t idx = (uint32_t)(x >> (64 - HLL_P));
	uint64_t rest = x << HLL_P;
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - HLL_P + 1);

	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

double hll_estimate(const struct hll *h)
{
	double m = HLL_REGS, sum = 0, e;
	unsigned zeros = 0;

	for (unsigned i = 0; i < HLL_REGS; i++) {
		sum += ldexp(1.0, -(int)h->reg[i]);
		zeros += !h->reg[i];
	}
	e = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
	/* Small range: linear counting on the empty registers is the better estimate. */
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros);
	return e;
}
