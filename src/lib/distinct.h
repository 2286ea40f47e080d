/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DISTINCT_H
#define PALISADE_DISTINCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Distinct counting for the detectors (DESIGN §7).
 *
 * struct distinct is an exact set of 64-bit values (hashes of addresses, ports, ...) capped at
 * a limit chosen by the caller, as Zeek's scan detection does: a detector that alerts at T
 * distinct values keeps at most T + 2, so its answer is exact below the limit and "more than
 * the limit" past it, and its memory is bounded whatever the traffic.  Each value carries a
 * stamp (the caller's time, e.g. the start of the window that last saw it) so that a sliding
 * span is kept by expiring old values.
 *
 * A full set keeps the newest values: a new value takes the place of one with the oldest
 * stamp, if that is older than the new one.  So every value seen but not held is at most as
 * new as every value held, and when an expiry removes a value, every value not held is out
 * of the span too: below the limit, and whenever over is clear, the set holds exactly the
 * values seen since the last expiry's cutoff.  The victim is found by a cursor that walks the
 * slots looking for the oldest stamp, so replacing costs O(1) amortised per value (a full walk
 * once per distinct oldest stamp, i.e. once per window).
 *
 * The layout keeps the common case free of allocations: one value lives inside the struct;
 * up to DISTINCT_LINEAR_MAX live in a heap array that doubles but never grows past the limit,
 * searched linearly (a few cache lines: about the cost of hashing, and a set capped at the
 * detectors' default limits of 34 or 52 costs 12 bytes a value, no table slack); beyond that
 * in an open-addressing table (linear probing, power-of-two size, load at most 3/4).  A heap
 * block holds the cap values followed by their cap stamps, 12 bytes a slot.  The value 0
 * marks a free slot, so a value 0 is stored as 1 (values are hashes: the collision is as
 * likely as any other).  The set owns its heap block (distinct_fini frees it) and holds no
 * pointer into itself, so a struct distinct may be moved with memcpy or assignment.
 *
 * struct hll is a HyperLogLog sketch of 2^8 one-byte registers (256 bytes, standard error
 * about 6.5%, exact-ish by linear counting below a few hundred values).  It is used only for
 * high-cardinality keys: a detector that has seen a key cross its threshold keeps one to
 * estimate how far past the capped exact set the key went (a sweep of 65,000 addresses is
 * reported as about 65,000, not as "more than 34").
 */

#define DISTINCT_INLINE	    1
#define DISTINCT_LINEAR_MAX 64
#define DISTINCT_MAX_LIMIT  16384

struct distinct {
	uint32_t cap;	 /* slots: DISTINCT_INLINE while inline, else the heap block's */
	uint32_t n;	 /* values held, <= the limit */
	uint32_t oldest; /* a lower bound of the stamps held (exact after an expiry) */
	uint8_t over;	 /* a value in the span is not held (refused or replaced) */
	uint8_t pad;
	uint16_t cursor; /* where the search for the oldest value resumes */
	union {
		struct {
			uint64_t v;
			uint32_t stamp;
		} in;
		uint64_t *heap; /* cap values, then cap uint32_t stamps */
	} u;
};

enum distinct_result {
	DISTINCT_HELD,	  /* already in the set; its stamp was raised to the new one */
	DISTINCT_ADDED,	  /* added (possibly in place of the oldest value) */
	DISTINCT_REFUSED, /* the set is full of values at least as new: over is set */
};

/* An empty set; it owns nothing until a second value arrives. */
void distinct_init(struct distinct *d);
/* Frees the heap block; the set is empty (as after distinct_init) afterwards. */
void distinct_fini(struct distinct *d);

/*
 * Adds v with the given stamp.  limit (1..DISTINCT_MAX_LIMIT) caps the set: when it holds
 * limit values and v is new, v replaces a value with the oldest stamp if that stamp is below
 * v's, else v is refused.  over is set when v is refused or when the value it replaced was
 * still in the span (its stamp at least stale_before, the caller's span start; 0 when every
 * value counts).  Returns an enum distinct_result, or -ENOMEM (the set is unchanged) or
 * -EINVAL (limit out of range).  A lower limit than the set holds only stops growth.
 */
int distinct_add(struct distinct *d, uint64_t v, uint32_t stamp, uint32_t limit,
		 uint32_t stale_before);
bool distinct_has(const struct distinct *d, uint64_t v);
static inline uint32_t distinct_count(const struct distinct *d)
{
	return d->n;
}
/* Whether a value seen in the span is not held (the true count exceeds n). */
static inline bool distinct_over(const struct distinct *d)
{
	return d->over;
}
/*
 * Removes the values whose stamp is below before and returns how many went.  When one went,
 * over is cleared: every value not held is at most as old as it, so out of the span too.
 * The heap block shrinks with the set and is freed when at most one value is left.  Never
 * fails: when a smaller block cannot be allocated the old one is kept.
 */
uint32_t distinct_expire(struct distinct *d, uint32_t before);
/* The smallest stamp held, UINT32_MAX when empty. */
uint32_t distinct_min_stamp(const struct distinct *d);
/* Copies up to max values into out (in no particular order) and returns how many. */
size_t distinct_values(const struct distinct *d, uint64_t *out, size_t max);
/* Heap bytes held (the struct itself is the caller's). */
size_t distinct_memory(const struct distinct *d);
/* Bytes of heap a set capped at limit can hold at most. */
size_t distinct_memory_max(uint32_t limit);

/*
 * A 64-bit hash of len bytes at p, mixed with seed: FNV-1a followed by the splitmix64
 * finaliser, so that every bit depends on every input byte (tables use the low bits, the
 * sketch the high ones).
 */
uint64_t distinct_hash(const void *p, size_t len, uint64_t seed);
/* The splitmix64 finaliser: a bijection of 64-bit values that spreads every bit. */
uint64_t distinct_mix(uint64_t x);

#define HLL_P	 8
#define HLL_REGS (1u << HLL_P)

struct hll {
	uint8_t reg[HLL_REGS];
};

void hll_init(struct hll *h);
/* Adds a value; v should be a hash (it is mixed again, so sequential numbers work too). */
void hll_add(struct hll *h, uint64_t v);
/* The estimated number of distinct values added (0 for an empty sketch). */
double hll_estimate(const struct hll *h);

#endif
