/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LPM table, checked BIRD-style: thousands of random inserts, removals and lookups are
 * applied both to the table and to a naive list, and every answer must agree.  The seed
 * comes from PALISADE_SEED when set and is printed, so a failure can be replayed.
 *
 * The trie is canonical (its shape depends only on the set of prefixes it holds), so after
 * any history of operations its memory must equal that of a table built afresh from the
 * same prefixes: that is how the tests check that removal re-compresses the trie.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/lpm.h"

#define DEFAULT_SEED 20240611ULL

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

/* Distinct non-NULL values to store. */
static char values[1 << 16];
#define VAL(i) ((void *)&values[(i) % sizeof(values)])

static struct cidr *pfx_in(const char *s, struct cidr *c)
{
	assert_int_equal(cidr_parse(s, c, NULL), 0);
	return c;
}

static struct ipaddr *addr_in(const char *s, struct ipaddr *a)
{
	assert_int_equal(ipaddr_parse(s, a), 0);
	return a;
}

/* Pointers to parsed values that live as long as the enclosing block. */
#define PFX(s)	pfx_in(s, &(struct cidr){0})
#define ADDR(s) addr_in(s, &(struct ipaddr){0})

static void assert_cidr_text(const struct cidr *c, const char *want)
{
	char buf[CIDR_STRLEN];

	assert_true(cidr_format(c, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

/* Collects a walk or a lookup_all into arrays, optionally stopping after `stop` calls. */
struct collect {
	struct cidr c[4096];
	void *v[4096];
	size_t n, stop;
};

static int collect_fn(const struct cidr *c, void *value, void *ctx)
{
	struct collect *col = ctx;

	assert_true(col->n < 4096);
	col->c[col->n] = *c;
	col->v[col->n++] = value;
	return col->stop && col->n == col->stop;
}

static void test_empty(void **state)
{
	struct lpm *t = lpm_new();
	struct collect col = {0};

	assert_non_null(t);
	assert_int_equal(lpm_count(t), 0);
	assert_null(lpm_lookup(t, ADDR("10.0.0.1"), NULL));
	assert_null(lpm_lookup(t, ADDR("::1"), NULL));
	assert_null(lpm_get(t, PFX("0.0.0.0/0")));
	assert_null(lpm_remove(t, PFX("::/0")));
	assert_int_equal(lpm_lookup_all(t, ADDR("10.0.0.1"), collect_fn, &col), 0);
	lpm_walk(t, collect_fn, &col);
	assert_int_equal(col.n, 0);
	assert_true(lpm_memory(t) > 0 && lpm_memory(t) < 1024);
	lpm_free(t);
	lpm_free(NULL);
}

static void test_default_routes(void **state)
{
	struct lpm *t = lpm_new();
	struct cidr m;

	assert_int_equal(lpm_insert(t, PFX("0.0.0.0/0"), VAL(1), NULL), 0);
	assert_ptr_equal(lpm_lookup(t, ADDR("1.2.3.4"), &m), VAL(1));
	assert_cidr_text(&m, "0.0.0.0/0");
	assert_ptr_equal(lpm_lookup(t, ADDR("255.255.255.255"), NULL), VAL(1));
	/* The IPv4 default does not match IPv6, mapped addresses included. */
	assert_null(lpm_lookup(t, ADDR("::ffff:1.2.3.4"), NULL));
	assert_null(lpm_lookup(t, ADDR("::"), NULL));
	assert_int_equal(lpm_insert(t, PFX("::/0"), VAL(2), NULL), 0);
	assert_ptr_equal(lpm_lookup(t, ADDR("ffff::1"), &m), VAL(2));
	assert_cidr_text(&m, "::/0");
	assert_ptr_equal(lpm_lookup(t, ADDR("1.2.3.4"), NULL), VAL(1));
	assert_int_equal(lpm_count(t), 2);
	assert_ptr_equal(lpm_remove(t, PFX("0.0.0.0/0")), VAL(1));
	assert_null(lpm_lookup(t, ADDR("1.2.3.4"), NULL));
	assert_ptr_equal(lpm_lookup(t, ADDR("::ffff:1.2.3.4"), NULL), VAL(2));
	lpm_free(t);
}

static void test_host_routes(void **state)
{
	struct lpm *t = lpm_new();
	struct cidr m;

	assert_int_equal(lpm_insert(t, PFX("10.0.0.1/32"), VAL(1), NULL), 0);
	assert_int_equal(lpm_insert(t, PFX("255.255.255.255/32"), VAL(2), NULL), 0);
	assert_int_equal(lpm_insert(t, PFX("2001:db8::1/128"), VAL(3), NULL), 0);
	assert_int_equal(
		lpm_insert(t, PFX("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), VAL(4), NULL), 0);
	assert_int_equal(lpm_insert(t, PFX("10.0.0.0/31"), VAL(5), NULL), 0);
	assert_ptr_equal(lpm_lookup(t, ADDR("10.0.0.1"), &m), VAL(1));
	assert_cidr_text(&m, "10.0.0.1/32");
	assert_ptr_equal(lpm_lookup(t, ADDR("10.0.0.0"), &m), VAL(5));
	assert_cidr_text(&m, "10.0.0.0/31");
	assert_null(lpm_lookup(t, ADDR("10.0.0.2"), NULL));
	assert_ptr_equal(lpm_lookup(t, ADDR("255.255.255.255"), NULL), VAL(2));
	assert_null(lpm_lookup(t, ADDR("255.255.255.254"), NULL));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::1"), &m), VAL(3));
	assert_cidr_text(&m, "2001:db8::1/128");
	assert_null(lpm_lookup(t, ADDR("2001:db8::"), NULL));
	assert_null(lpm_lookup(t, ADDR("2001:db8::3"), NULL));
	assert_ptr_equal(lpm_lookup(t, ADDR("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), NULL),
			 VAL(4));
	assert_null(lpm_lookup(t, ADDR("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), NULL));
	assert_ptr_equal(lpm_get(t, PFX("10.0.0.1/32")), VAL(1));
	assert_null(lpm_get(t, PFX("10.0.0.0/30")));
	assert_ptr_equal(lpm_get(t, PFX("10.0.0.0/31")), VAL(5));
	lpm_free(t);
}

static void test_replace_and_absent(void **state)
{
	struct lpm *t = lpm_new();
	void *old = VAL(99);
	size_t mem;

	assert_int_equal(lpm_insert(t, PFX("10.0.0.0/8"), VAL(1), &old), 0);
	assert_null(old);
	assert_int_equal(lpm_insert(t, PFX("10.1.0.0/16"), VAL(2), NULL), 0);
	mem = lpm_memory(t);
	assert_int_equal(lpm_insert(t, PFX("10.0.0.0/8"), VAL(3), &old), 0);
	assert_ptr_equal(old, VAL(1));
	assert_int_equal(lpm_count(t), 2);
	assert_int_equal(lpm_memory(t), mem);
	assert_ptr_equal(lpm_get(t, PFX("10.0.0.0/8")), VAL(3));
	/* Replacing without asking for the old value. */
	assert_int_equal(lpm_insert(t, PFX("10.1.0.0/16"), VAL(4), NULL), 0);
	assert_ptr_equal(lpm_get(t, PFX("10.1.0.0/16")), VAL(4));

	/* Absent: another length on the same address, inside, around, the other family. */
	assert_null(lpm_remove(t, PFX("10.0.0.0/9")));
	assert_null(lpm_remove(t, PFX("10.0.0.0/7")));
	assert_null(lpm_remove(t, PFX("10.1.0.0/24")));
	assert_null(lpm_remove(t, PFX("10.1.0.0/15")));
	assert_null(lpm_remove(t, PFX("11.0.0.0/8")));
	assert_null(lpm_remove(t, PFX("::ffff:10.0.0.0/104")));
	assert_null(lpm_remove(t, PFX("a00::/8")));
	assert_int_equal(lpm_count(t), 2);
	assert_int_equal(lpm_memory(t), mem);
	assert_ptr_equal(lpm_remove(t, PFX("10.0.0.0/8")), VAL(3));
	assert_null(lpm_remove(t, PFX("10.0.0.0/8")));
	assert_ptr_equal(lpm_lookup(t, ADDR("10.1.2.3"), NULL), VAL(4));
	assert_null(lpm_lookup(t, ADDR("10.2.0.0"), NULL));
	lpm_free(t);
}

static void test_invalid_and_host_bits(void **state)
{
	struct lpm *t = lpm_new();
	struct cidr c = *PFX("10.0.0.0/8");
	void *old = VAL(9);

	c.len = 33;
	assert_int_equal(lpm_insert(t, &c, VAL(1), &old), -EINVAL);
	assert_null(old);
	assert_null(lpm_get(t, &c));
	assert_null(lpm_remove(t, &c));
	c = *PFX("::/0");
	c.len = 129;
	assert_int_equal(lpm_insert(t, &c, VAL(1), NULL), -EINVAL);
	c = (struct cidr){.addr = {.family = 0}, .len = 0};
	assert_int_equal(lpm_insert(t, &c, VAL(1), NULL), -EINVAL);
	assert_int_equal(lpm_insert(t, PFX("10.0.0.0/8"), NULL, NULL), -EINVAL);
	assert_null(lpm_lookup(t, &(struct ipaddr){.family = 5}, NULL));
	assert_int_equal(lpm_lookup_all(t, &(struct ipaddr){.family = 0}, NULL, NULL), 0);
	assert_int_equal(lpm_count(t), 0);

	/* Host bits in the argument are ignored: 10.1.2.3/8 is 10.0.0.0/8. */
	c = *PFX("10.0.0.0/8");
	c.addr.a[1] = 1;
	c.addr.a[3] = 3;
	assert_int_equal(lpm_insert(t, &c, VAL(1), NULL), 0);
	assert_ptr_equal(lpm_get(t, PFX("10.0.0.0/8")), VAL(1));
	assert_ptr_equal(lpm_get(t, &c), VAL(1));
	assert_ptr_equal(lpm_remove(t, &c), VAL(1));
	assert_int_equal(lpm_count(t), 0);
	lpm_free(t);
}

static void test_walk_order(void **state)
{
	static const char *const sorted[] = {
		"0.0.0.0/0",	     "0.0.0.0/1",	    "10.0.0.0/8",    "10.0.0.0/9",
		"10.0.0.0/24",	     "10.0.0.0/32",	    "10.0.0.1/32",   "10.0.0.2/31",
		"10.0.0.64/26",	     "10.0.1.0/24",	    "10.128.0.0/9",  "128.0.0.0/1",
		"192.168.0.0/16",    "255.255.255.255/32",  "::/0",	     "::/128",
		"::1/128",	     "::ffff:10.0.0.0/104", "2001:db8::/32", "2001:db8::/64",
		"2001:db8:0:1::/64", "2001:db8:8000::/33",  "fe80::/10",     "ffff::/16",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	struct lpm *t = lpm_new();
	static struct collect col;
	size_t order[sizeof(sorted) / sizeof(sorted[0])];

	seed_rng("walk_order");
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rng() % (i + 1)), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(lpm_insert(t, PFX(sorted[order[i]]), VAL(order[i]), NULL), 0);
	col.n = 0;
	col.stop = 0;
	lpm_walk(t, collect_fn, &col);
	assert_int_equal(col.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_cidr_text(&col.c[i], sorted[i]);
		assert_ptr_equal(col.v[i], VAL(i));
	}
	/* Stopping early stops everything, the IPv6 tree included. */
	col.n = 0;
	col.stop = 3;
	lpm_walk(t, collect_fn, &col);
	assert_int_equal(col.n, 3);
	lpm_free(t);
}

static void test_lookup_all_order(void **state)
{
	static const char *const nested[] = {
		"10.1.2.3/32", "10.1.2.2/31", "10.1.2.0/24", "10.1.0.0/17",
		"10.1.0.0/16", "10.0.0.0/8",  "8.0.0.0/5",   "0.0.0.0/0",
	};
	size_t n = sizeof(nested) / sizeof(nested[0]);
	struct lpm *t = lpm_new();
	static struct collect col;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(lpm_insert(t, PFX(nested[i]), VAL(i), NULL), 0);
	/* Noise that must not show up. */
	assert_int_equal(lpm_insert(t, PFX("10.1.2.4/30"), VAL(100), NULL), 0);
	assert_int_equal(lpm_insert(t, PFX("10.1.128.0/17"), VAL(101), NULL), 0);
	assert_int_equal(lpm_insert(t, PFX("::/0"), VAL(102), NULL), 0);
	col.n = 0;
	col.stop = 0;
	assert_int_equal(lpm_lookup_all(t, ADDR("10.1.2.3"), collect_fn, &col), n);
	assert_int_equal(col.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_cidr_text(&col.c[i], nested[i]);
		assert_ptr_equal(col.v[i], VAL(i));
	}
	col.n = 0;
	col.stop = 2;
	assert_int_equal(lpm_lookup_all(t, ADDR("10.1.2.3"), collect_fn, &col), 2);
	assert_cidr_text(&col.c[1], "10.1.2.2/31");
	/* Without a callback it counts. */
	assert_int_equal(lpm_lookup_all(t, ADDR("10.1.2.2"), NULL, NULL), n - 1);
	assert_int_equal(lpm_lookup_all(t, ADDR("11.0.0.0"), NULL, NULL), 2);
	lpm_free(t);
}

/* Crossing the 64-bit boundary of IPv6 keys and the last stride (depth 126). */
static void test_ipv6_boundaries(void **state)
{
	static const char *const v[] = {
		"2001:db8:0:0:8000::/65", "2001:db8::/63",   "2001:db8:0:1::/64", "2001:db8::/66",
		"2001:db8:0:0:4000::/66", "2001:db8::/60",   "2001:db8::/127",	  "2001:db8::1/128",
		"2001:db8::/126",	  "2001:db8::2/128", "2001:db8::/125",	  "2001:db8::8/125",
	};
	size_t n = sizeof(v) / sizeof(v[0]);
	struct lpm *t = lpm_new();
	struct cidr m;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(lpm_insert(t, PFX(v[i]), VAL(i), NULL), 0);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(lpm_get(t, PFX(v[i])), VAL(i));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::1"), &m), VAL(7));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::0"), &m), VAL(6));
	assert_cidr_text(&m, "2001:db8::/127");
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::3"), &m), VAL(8));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::2"), &m), VAL(9));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::7"), &m), VAL(10));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::f"), &m), VAL(11));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8::10"), &m), VAL(3));
	assert_cidr_text(&m, "2001:db8::/66");
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8:0:0:4000::1"), &m), VAL(4));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8:0:0:8000::1"), &m), VAL(0));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8:0:0:c000::1"), &m), VAL(0));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8:0:1:ffff::"), &m), VAL(2));
	assert_ptr_equal(lpm_lookup(t, ADDR("2001:db8:0:2::"), &m), VAL(5));
	assert_cidr_text(&m, "2001:db8::/60");
	assert_null(lpm_lookup(t, ADDR("2001:db8:0:10::"), NULL));
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(lpm_remove(t, PFX(v[i])), VAL(i));
	assert_int_equal(lpm_count(t), 0);
	lpm_free(t);
}

/*
 * The oracle: an unsorted array of (prefix, value) with linear scans.
 */
struct oracle {
	struct cidr c[8192];
	void *v[8192];
	size_t n;
};

static long oracle_find(const struct oracle *o, const struct cidr *c)
{
	for (size_t i = 0; i < o->n; i++)
		if (cidr_cmp(&o->c[i], c) == 0)
			return (long)i;
	return -1;
}

static void *oracle_lookup(const struct oracle *o, const struct ipaddr *a, struct cidr *match)
{
	long best = -1;

	for (size_t i = 0; i < o->n; i++)
		if (cidr_contains(&o->c[i], a) && (best < 0 || o->c[i].len > o->c[best].len))
			best = (long)i;
	if (best < 0)
		return NULL;
	*match = o->c[best];
	return o->v[best];
}

static int cmp_cidr(const void *a, const void *b)
{
	return cidr_cmp(a, b);
}

/*
 * Random prefixes that share long paths: each starts from one of a few base addresses,
 * keeps a random number of its leading bits and randomises the rest, then takes a random
 * length.  Lengths favour both ends and the stride and word boundaries.
 */
struct gen {
	int family; /* 4, 6, or 0 for either */
	struct ipaddr base4[8], base6[8];
};

static void random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static void gen_init(struct gen *g, int family)
{
	g->family = family;
	for (int i = 0; i < 8; i++) {
		memset(&g->base4[i], 0, sizeof(g->base4[i]));
		g->base4[i].family = 4;
		random_bytes(g->base4[i].a, 4);
		memset(&g->base6[i], 0, sizeof(g->base6[i]));
		g->base6[i].family = 6;
		random_bytes(g->base6[i].a, 16);
	}
}

static struct ipaddr gen_addr(struct gen *g)
{
	int family = g->family ? g->family : (rng() & 1) ? 4 : 6;
	unsigned width = family == 4 ? 32 : 128;
	struct ipaddr a = family == 4 ? g->base4[rng() % 8] : g->base6[rng() % 8];
	unsigned keep = (unsigned)(rng() % (width + 1));
	uint8_t noise[16];

	if (rng() % 4 == 0)
		keep = width - (unsigned)(rng() % 9); /* near the end: dense small subtrees */
	random_bytes(noise, sizeof(noise));
	for (unsigned i = keep; i < width; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;

		a.a[byte] = (uint8_t)((a.a[byte] & ~(1u << bit)) | (noise[byte] & (1u << bit)));
	}
	return a;
}

static struct cidr gen_prefix(struct gen *g)
{
	static const unsigned special[] = {0,  1,  5,  6,  7,  11,  12,	 30,  31,  32, 59,
					   60, 63, 64, 65, 66, 120, 125, 126, 127, 128};
	struct ipaddr a = gen_addr(g);
	unsigned width = a.family == 4 ? 32 : 128, len;
	struct cidr c;

	len = (unsigned)(rng() % (width + 1));
	if (rng() % 3 == 0) {
		len = special[rng() % (sizeof(special) / sizeof(special[0]))];
		if (len > width)
			len = width - (len % 4);
	}
	cidr_from_addr(&a, len, &c);
	return c;
}

static void check_lookup(const struct lpm *t, const struct oracle *o, const struct ipaddr *a)
{
	struct cidr want_m, got_m;
	void *want = oracle_lookup(o, a, &want_m), *got = lpm_lookup(t, a, &got_m);
	static struct collect col;
	size_t k = 0, visited;
	long by_len[129];

	assert_ptr_equal(got, want);
	if (want)
		assert_int_equal(cidr_cmp(&got_m, &want_m), 0);

	/* lookup_all: every containing prefix, longest first (at most one per length). */
	memset(by_len, 0xff, sizeof(by_len));
	for (size_t i = 0; i < o->n; i++)
		if (cidr_contains(&o->c[i], a))
			by_len[o->c[i].len] = (long)i;
	col.n = 0;
	col.stop = 0;
	visited = lpm_lookup_all(t, a, collect_fn, &col);
	assert_int_equal(visited, col.n);
	for (int len = 128; len >= 0; len--) {
		if (by_len[len] < 0)
			continue;
		assert_true(k < col.n);
		assert_int_equal(cidr_cmp(&col.c[k], &o->c[by_len[len]]), 0);
		assert_ptr_equal(col.v[k], o->v[by_len[len]]);
		k++;
	}
	assert_int_equal(col.n, k);
}

static void check_walk(const struct lpm *t, struct oracle *o)
{
	static struct collect col;
	static struct oracle sorted;

	sorted.n = o->n;
	memcpy(sorted.c, o->c, o->n * sizeof(o->c[0]));
	qsort(sorted.c, sorted.n, sizeof(sorted.c[0]), cmp_cidr);
	col.n = 0;
	col.stop = 0;
	lpm_walk(t, collect_fn, &col);
	assert_int_equal(col.n, o->n);
	for (size_t i = 0; i < col.n; i++) {
		assert_int_equal(cidr_cmp(&col.c[i], &sorted.c[i]), 0);
		assert_ptr_equal(col.v[i], o->v[oracle_find(o, &col.c[i])]);
	}
}

/* The memory of a table built afresh from the oracle's prefixes (in a shuffled order). */
static size_t fresh_memory(const struct oracle *o)
{
	struct lpm *t = lpm_new();
	size_t mem, start = o->n ? (size_t)(rng() % o->n) : 0;

	for (size_t i = 0; i < o->n; i++) {
		size_t j = (start + i * 7919) % o->n; /* 7919 is prime; o->n is below it */

		assert_int_equal(lpm_insert(t, &o->c[j], o->v[j], NULL), 0);
	}
	assert_int_equal(lpm_count(t), o->n);
	mem = lpm_memory(t);
	lpm_free(t);
	return mem;
}

static void run_oracle(int family, size_t ops, size_t max_entries)
{
	static struct oracle o;
	struct lpm *t = lpm_new();
	size_t empty = lpm_memory(t), next_value = 1;
	struct gen g;

	assert_true(max_entries < 7919);
	gen_init(&g, family);
	o.n = 0;
	for (size_t step = 0; step < ops; step++) {
		unsigned op = (unsigned)(rng() % 100);
		struct cidr c = gen_prefix(&g);
		struct ipaddr a = gen_addr(&g);
		long i;

		if (op < 50 && o.n < max_entries) {
			/* Insert (a new prefix or a replacement). */
			void *v = VAL(next_value++), *old = VAL(0);

			i = oracle_find(&o, &c);
			assert_int_equal(lpm_insert(t, &c, v, &old), 0);
			if (i >= 0) {
				assert_ptr_equal(old, o.v[i]);
				o.v[i] = v;
			} else {
				assert_null(old);
				o.c[o.n] = c;
				o.v[o.n++] = v;
			}
		} else if (op < 85) {
			/* Remove: an existing prefix most of the time, else a random one. */
			if (o.n && op < 75)
				c = o.c[rng() % o.n];
			i = oracle_find(&o, &c);
			if (i >= 0) {
				assert_ptr_equal(lpm_remove(t, &c), o.v[i]);
				o.c[i] = o.c[--o.n];
				o.v[i] = o.v[o.n];
			} else {
				assert_null(lpm_remove(t, &c));
			}
		} else {
			/* Exact get, of a present prefix or a random one. */
			if (o.n && op < 92)
				c = o.c[rng() % o.n];
			i = oracle_find(&o, &c);
			assert_ptr_equal(lpm_get(t, &c), i >= 0 ? o.v[i] : NULL);
		}
		assert_int_equal(lpm_count(t), o.n);
		check_lookup(t, &o, &a);
		/* Addresses inside a present prefix hit deep paths. */
		if (o.n) {
			struct cidr in = o.c[rng() % o.n];
			uint8_t noise[16];

			random_bytes(noise, sizeof(noise));
			for (unsigned b = in.len; b < (in.addr.family == 4 ? 32u : 128u); b++)
				in.addr.a[b / 8] ^= noise[b / 8] & (uint8_t)(1u << (7 - b % 8));
			check_lookup(t, &o, &in.addr);
		}
		if (step % 512 == 511) {
			check_walk(t, &o);
			assert_int_equal(lpm_memory(t), fresh_memory(&o));
		}
	}
	check_walk(t, &o);
	assert_int_equal(lpm_memory(t), fresh_memory(&o));
	/* Empty it in a random order: the memory must come back to that of an empty table. */
	while (o.n) {
		size_t i = (size_t)(rng() % o.n);

		assert_ptr_equal(lpm_remove(t, &o.c[i]), o.v[i]);
		o.c[i] = o.c[--o.n];
		o.v[i] = o.v[o.n];
		if (o.n % 64 == 0)
			assert_int_equal(lpm_memory(t), fresh_memory(&o));
	}
	assert_int_equal(lpm_count(t), 0);
	assert_int_equal(lpm_memory(t), empty);
	lpm_free(t);
}

static void test_oracle_ipv4(void **state)
{
	seed_rng("oracle_ipv4");
	run_oracle(4, 20000, 1500);
	run_oracle(4, 5000, 60); /* small and dense */
}

static void test_oracle_ipv6(void **state)
{
	seed_rng("oracle_ipv6");
	run_oracle(6, 20000, 1500);
	run_oracle(6, 5000, 60);
}

static void test_oracle_mixed(void **state)
{
	seed_rng("oracle_mixed");
	run_oracle(0, 20000, 3000);
}

/* Many random prefixes at once, removed in another order; memory returns to the start. */
static void test_bulk_memory(void **state)
{
	enum { N = 100000 };
	struct cidr *v = malloc(N * sizeof(*v));
	struct lpm *t = lpm_new();
	size_t empty = lpm_memory(t), n;
	struct ipaddr a = {.family = 4};

	assert_non_null(v);
	seed_rng("bulk_memory");
	for (size_t i = 0; i < N; i++) {
		random_bytes(a.a, 4);
		cidr_from_addr(&a, 8 + (unsigned)(rng() % 25), &v[i]);
		assert_int_equal(lpm_insert(t, &v[i], VAL(i), NULL), 0);
	}
	n = lpm_count(t);
	assert_true(n > N / 2 && n <= N);
	/* The table is compact: well under 100 bytes per prefix. */
	assert_true(lpm_memory(t) / n < 100);
	for (size_t i = N; i-- > 0;)
		lpm_remove(t, &v[(i * 7) % N]); /* 7 is prime to N: every index once */
	assert_int_equal(lpm_count(t), 0);
	assert_int_equal(lpm_memory(t), empty);
	free(v);
	lpm_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test(test_host_routes),
		cmocka_unit_test(test_replace_and_absent),
		cmocka_unit_test(test_invalid_and_host_bits),
		cmocka_unit_test(test_walk_order),
		cmocka_unit_test(test_lookup_all_order),
		cmocka_unit_test(test_ipv6_boundaries),
		cmocka_unit_test(test_oracle_ipv4),
		cmocka_unit_test(test_oracle_ipv6),
		cmocka_unit_test(test_oracle_mixed),
		cmocka_unit_test(test_bulk_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
