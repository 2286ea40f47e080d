/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses, prefixes and cidr_merge.  The merge is checked BIRD-style against a naive
 * oracle on random inputs; the seed comes from PALISADE_SEED when set and is printed, so a
 * failure can be replayed with the same seed.
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

#include "lib/cidr.h"

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

static struct ipaddr *addr_in(const char *s, struct ipaddr *a)
{
	assert_int_equal(ipaddr_parse(s, a), 0);
	return a;
}

static struct cidr *pfx_in(const char *s, struct cidr *c)
{
	assert_int_equal(cidr_parse(s, c, NULL), 0);
	return c;
}

/* Pointers to parsed values that live as long as the enclosing block. */
#define ADDR(s) addr_in(s, &(struct ipaddr){0})
#define PFX(s)	pfx_in(s, &(struct cidr){0})

static struct ipaddr addr(const char *s)
{
	return *ADDR(s);
}

static struct cidr pfx(const char *s)
{
	return *PFX(s);
}

static void assert_cidr_text(const struct cidr *c, const char *want)
{
	char buf[CIDR_STRLEN];

	assert_true(cidr_format(c, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

static void test_ipaddr_parse_valid(void **state)
{
	static const struct {
		const char *in;
		int family;
		const char *out;
	} cases[] = {
		{"0.0.0.0", 4, "0.0.0.0"},
		{"10.1.2.3", 4, "10.1.2.3"},
		{"255.255.255.255", 4, "255.255.255.255"},
		{"::", 6, "::"},
		{"::1", 6, "::1"},
		{"2001:DB8::0:1", 6, "2001:db8::1"},
		{"2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"},
		{"::ffff:1.2.3.4", 6, "::ffff:1.2.3.4"},
		{"0:0:0:0:0:ffff:255.255.255.255", 6, "::ffff:255.255.255.255"},
		{"fe80::1:2", 6, "fe80::1:2"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipaddr a;
		char buf[IPADDR_STRLEN];

		assert_int_equal(ipaddr_parse(cases[i].in, &a), 0);
		assert_int_equal(a.family, cases[i].family);
		assert_true(ipaddr_format(&a, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, cases[i].out);
	}
	/* IPv4 keeps a[4..15] zero, so whole-struct comparisons work. */
	{
		struct ipaddr a = addr("1.2.3.4");
		static const uint8_t want[16] = {1, 2, 3, 4};

		assert_memory_equal(a.a, want, 16);
	}
}

static void test_ipaddr_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"1.2.3",
		"1.2.3.4.5",
		"256.0.0.1",
		"010.0.0.1", /* leading zeros: glibc's inet_pton refuses, we do not read octal */
		"1.2.3.04",
		"0x1.2.3.4",
		" 1.2.3.4",
		"1.2.3.4 ",
		"1.2.3.4\n",
		"1.2.3.4/32",
		"1::2::3",
		":::",
		"12345::",
		"fe80::1%eth0",
		"::ffff:01.2.3.4",
		"1:2:3:4:5:6:7:8:9",
		"g::1",
		"localhost",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipaddr a, before;

		memset(&a, 0xa5, sizeof(a));
		before = a;
		assert_int_equal(ipaddr_parse(bad[i], &a), -EINVAL);
		assert_memory_equal(&a, &before, sizeof(a));
	}
	assert_int_equal(ipaddr_parse(NULL, &(struct ipaddr){0}), -EINVAL);
}

static void test_cidr_parse_valid(void **state)
{
	static const struct {
		const char *in;
		const char *out;
		bool host_bits;
	} cases[] = {
		{"10.0.0.0/8", "10.0.0.0/8", false},
		{"10.1.2.3/8", "10.0.0.0/8", true},
		{"10.1.2.3", "10.1.2.3/32", false},
		{"10.1.2.3/32", "10.1.2.3/32", false},
		{"0.0.0.0/0", "0.0.0.0/0", false},
		{"1.2.3.4/0", "0.0.0.0/0", true},
		{"192.168.1.255/31", "192.168.1.254/31", true},
		{"192.168.1.254/31", "192.168.1.254/31", false},
		{"::/0", "::/0", false},
		{"::", "::/128", false},
		{"2001:db8::1/64", "2001:db8::/64", true},
		{"2001:db8:0:0:8000::/65", "2001:db8:0:0:8000::/65", false},
		{"2001:db8::ffff/127", "2001:db8::fffe/127", true},
		{"::ffff:1.2.3.4/120", "::ffff:1.2.3.0/120", true},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4/128", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		bool hb = !cases[i].host_bits;

		assert_int_equal(cidr_parse(cases[i].in, &c, &hb), 0);
		assert_cidr_text(&c, cases[i].out);
		assert_int_equal(hb, cases[i].host_bits);
		/* host_bits may be NULL. */
		assert_int_equal(cidr_parse(cases[i].in, &c, NULL), 0);
	}
	/* An IPv4-mapped IPv6 prefix stays IPv6. */
	assert_int_equal(pfx("::ffff:1.2.3.4/96").addr.family, 6);
	assert_int_equal(pfx("::ffff:1.2.3.4/96").len, 96);
}

static void test_cidr_parse_invalid(void **state)
{
	char longer[300];
	static const char *const bad[] = {
		"",
		"/",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/08",
		"10.0.0.0/00",
		"10.0.0.0/+8",
		"10.0.0.0/-1",
		"10.0.0.0/ 8",
		"10.0.0.0 /8",
		" 10.0.0.0/8",
		"10.0.0.0/8 ",
		"10.0.0.0/8\n",
		"10.0.0.0/8/8",
		"10.0.0.0/8x",
		"10.0.0.0/0x8",
		"10.0.0.0/1000",
		"10.0.0.0/4294967304", /* 2^32 + 8: must not wrap to 8 */
		"010.0.0.0/8",
		"10.0.0/24",
		"::/129",
		"::/0128",
		"::/256",
		"2001:db8::/64%eth0",
		"fe80::1%eth0/64",
		"10.0.0.0\\8",
	};
	struct cidr c, before;
	bool hb;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		before = c;
		hb = true;
		assert_int_equal(cidr_parse(bad[i], &c, &hb), -EINVAL);
		assert_memory_equal(&c, &before, sizeof(c));
		assert_true(hb);
	}
	/* Address text longer than any address inet_pton accepts. */
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(cidr_parse(longer, &c, NULL), -EINVAL);
	assert_int_equal(cidr_parse(NULL, &c, NULL), -EINVAL);
}

static void test_format_sizes(void **state)
{
	struct cidr c;
	char buf[64];

	/* The longest texts inet_ntop writes fit the advertised sizes. */
	c = pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_int_equal(ipaddr_format(&c.addr, buf, IPADDR_STRLEN), 39);
	assert_int_equal(cidr_format(&c, buf, CIDR_STRLEN), 43);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	c = pfx("::ffff:255.255.255.255/128");
	assert_int_equal(cidr_format(&c, buf, CIDR_STRLEN), 26);

	/* Exactly enough room, then one byte short: -ENOSPC and the buffer untouched. */
	c = pfx("10.0.0.0/8");
	assert_int_equal(cidr_format(&c, buf, 11), 10);
	assert_string_equal(buf, "10.0.0.0/8");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(cidr_format(&c, buf, 10), -ENOSPC);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(ipaddr_format(&c.addr, buf, 9), 8);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ipaddr_format(&c.addr, buf, 8), -ENOSPC);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(ipaddr_format(&c.addr, buf, 0), -ENOSPC);

	/* No address to print. */
	assert_int_equal(ipaddr_format(&(struct ipaddr){0}, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cidr_format(&(struct cidr){0}, buf, sizeof(buf)), -EINVAL);
}

static void test_ipaddr_compare_and_bits(void **state)
{
	struct ipaddr a = addr("10.0.0.1"), b = addr("10.0.0.2"), v6 = addr("::a00:1");

	assert_int_equal(ipaddr_cmp(&a, &b), -1);
	assert_int_equal(ipaddr_cmp(&b, &a), 1);
	assert_int_equal(ipaddr_cmp(&a, &a), 0);
	/* IPv4 sorts before IPv6 whatever the bytes. */
	assert_int_equal(ipaddr_cmp(&b, &v6), -1);
	assert_int_equal(ipaddr_cmp(&v6, &a), 1);
	assert_true(ipaddr_equal(&a, &a));
	assert_false(ipaddr_equal(&a, &b));
	assert_false(ipaddr_equal(&a, &v6));
	assert_false(ipaddr_equal(ADDR("::ffff:10.0.0.1"), &a));

	a = addr("128.0.0.1");
	assert_int_equal(ipaddr_bit(&a, 0), 1);
	assert_int_equal(ipaddr_bit(&a, 1), 0);
	assert_int_equal(ipaddr_bit(&a, 31), 1);
	assert_int_equal(ipaddr_bit(&a, 30), 0);
	assert_int_equal(ipaddr_bit(&a, 32), 0); /* beyond the width */
	a = addr("::1");
	assert_int_equal(ipaddr_bit(&a, 127), 1);
	assert_int_equal(ipaddr_bit(&a, 126), 0);
	assert_int_equal(ipaddr_bit(&a, 128), 0);
	assert_int_equal(ipaddr_bit(&(struct ipaddr){0}, 0), 0);
}

static void test_contains_overlaps(void **state)
{
	struct cidr p8 = pfx("10.0.0.0/8"), p24 = pfx("10.1.2.0/24"), other = pfx("11.0.0.0/8");
	struct cidr all4 = pfx("0.0.0.0/0"), all6 = pfx("::/0"), v6 = pfx("2001:db8::/32");
	struct cidr odd = pfx("10.1.2.0/23");

	assert_true(cidr_contains(&p8, ADDR("10.255.255.255")));
	assert_true(cidr_contains(&p8, ADDR("10.0.0.0")));
	assert_false(cidr_contains(&p8, ADDR("11.0.0.0")));
	assert_false(cidr_contains(&p8, ADDR("9.255.255.255")));
	assert_true(cidr_contains(&odd, ADDR("10.1.3.200")));
	assert_false(cidr_contains(&odd, ADDR("10.1.4.0")));
	assert_true(cidr_contains(&all4, ADDR("1.2.3.4")));
	assert_false(cidr_contains(&all4, ADDR("::1")));
	assert_true(cidr_contains(&all6, ADDR("::1")));
	assert_false(cidr_contains(&all6, ADDR("1.2.3.4")));
	/* 10.0.0.0/8 and the mapped ::ffff:10.0.0.0 are different families. */
	assert_false(cidr_contains(&p8, ADDR("::ffff:10.0.0.1")));
	assert_true(cidr_contains(&v6, ADDR("2001:db8:ffff::1")));
	assert_false(cidr_contains(&v6, ADDR("2001:db9::")));

	assert_true(cidr_contains_cidr(&p8, &p24));
	assert_false(cidr_contains_cidr(&p24, &p8));
	assert_true(cidr_contains_cidr(&p8, &p8));
	assert_false(cidr_contains_cidr(&p8, &other));
	assert_true(cidr_contains_cidr(&all4, &p24));
	assert_false(cidr_contains_cidr(&all6, &p24));

	assert_true(cidr_overlaps(&p8, &p24));
	assert_true(cidr_overlaps(&p24, &p8));
	assert_false(cidr_overlaps(&p8, &other));
	assert_false(cidr_overlaps(&all4, &all6));
	assert_false(cidr_overlaps(PFX("10.1.2.0/24"), PFX("10.1.3.0/24")));
	assert_true(cidr_overlaps(&odd, PFX("10.1.3.0/24")));
}

static int cmp_for_qsort(const void *a, const void *b)
{
	return cidr_cmp(a, b);
}

static void test_cidr_cmp_order(void **state)
{
	static const char *const sorted[] = {
		"0.0.0.0/0",	 "10.0.0.0/8",	"10.0.0.0/24",	     "10.0.0.0/32",
		"10.0.0.1/32",	 "10.0.1.0/24", "11.0.0.0/8",	     "255.255.255.255/32",
		"::/0",		 "::/128",	"::ffff:0.0.0.0/96", "2001:db8::/32",
		"2001:db8::/64", "ffff::/16",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	struct cidr v[sizeof(sorted) / sizeof(sorted[0])];

	for (size_t i = 0; i < n; i++)
		v[i] = pfx(sorted[n - 1 - i]);
	qsort(v, n, sizeof(v[0]), cmp_for_qsort);
	for (size_t i = 0; i < n; i++)
		assert_cidr_text(&v[i], sorted[i]);
	assert_int_equal(cidr_cmp(&v[0], &v[0]), 0);
	assert_int_equal(cidr_cmp(&v[1], &v[2]), -1);
	assert_int_equal(cidr_cmp(&v[2], &v[1]), 1);
}

static void test_cidr_from_addr(void **state)
{
	struct cidr c;

	cidr_from_addr(ADDR("10.1.2.3"), 16, &c);
	assert_cidr_text(&c, "10.1.0.0/16");
	cidr_from_addr(ADDR("10.1.2.3"), 99, &c); /* clamped */
	assert_cidr_text(&c, "10.1.2.3/32");
	cidr_from_addr(ADDR("10.1.2.3"), 0, &c);
	assert_cidr_text(&c, "0.0.0.0/0");
	cidr_from_addr(ADDR("2001:db8::ff:1"), 127, &c);
	assert_cidr_text(&c, "2001:db8::ff:0/127");
	cidr_from_addr(ADDR("2001:db8::ff:1"), 1000, &c);
	assert_cidr_text(&c, "2001:db8::ff:1/128");
	cidr_from_addr(ADDR("ffff:ffff::"), 9, &c);
	assert_cidr_text(&c, "ff80::/9");
	/* out may hold the address it is built from. */
	c = pfx("192.168.77.1/32");
	cidr_from_addr(&c.addr, 20, &c);
	assert_cidr_text(&c, "192.168.64.0/20");
}

static void random_addr(struct ipaddr *a, int family)
{
	uint64_t r = rng(), s = rng();

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (int i = 0; i < (family == 4 ? 4 : 16); i++)
		a->a[i] = (uint8_t)((i < 8 ? r : s) >> (8 * (i % 8)));
}

static void test_roundtrip_random(void **state)
{
	seed_rng("roundtrip");
	for (int i = 0; i < 20000; i++) {
		int family = (rng() & 1) ? 4 : 6;
		struct ipaddr a, back;
		struct cidr c, cback;
		char buf[CIDR_STRLEN];
		bool hb = true;

		random_addr(&a, family);
		/* Mostly-zero IPv6 addresses exercise "::" compression and the mapped form. */
		if (family == 6 && (rng() & 1))
			memset(a.a, 0, 8 + rng() % 5);
		assert_true(ipaddr_format(&a, buf, sizeof(buf)) > 0);
		assert_int_equal(ipaddr_parse(buf, &back), 0);
		assert_true(ipaddr_equal(&a, &back));

		cidr_from_addr(&a, (unsigned)(rng() % 129), &c);
		assert_true(cidr_format(&c, buf, sizeof(buf)) > 0);
		assert_int_equal(cidr_parse(buf, &cback, &hb), 0);
		assert_false(hb);
		assert_int_equal(cidr_cmp(&c, &cback), 0);
	}
}

static void assert_merged(const char *const *in, size_t n, const char *const *want, size_t nw)
{
	struct cidr v[32];

	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++)
		v[i] = pfx(in[i]);
	assert_int_equal(cidr_merge(v, n), nw);
	for (size_t i = 0; i < nw; i++)
		assert_cidr_text(&v[i], want[i]);
}

#define MERGE(in, want) \
	assert_merged(in, sizeof(in) / sizeof(in[0]), want, sizeof(want) / sizeof(want[0]))

static void test_merge_examples(void **state)
{
	static const char *const sib_in[] = {"10.0.0.128/25", "10.0.0.0/25"};
	static const char *const sib_out[] = {"10.0.0.0/24"};
	static const char *const casc_in[] = {"10.0.0.192/26", "10.0.0.0/26", "10.0.1.0/24",
					      "10.0.0.64/26", "10.0.0.128/26"};
	static const char *const casc_out[] = {"10.0.0.0/23"};
	static const char *const cont_in[] = {"10.1.2.0/24", "10.0.0.0/8", "10.0.0.0/8",
					      "10.255.255.255/32", "12.0.0.0/8"};
	static const char *const cont_out[] = {"10.0.0.0/8", "12.0.0.0/8"};
	/* Adjacent but not siblings: 10.0.1.0/24 + 10.0.2.0/24 is no /23. */
	static const char *const adj_in[] = {"10.0.2.0/24", "10.0.1.0/24"};
	static const char *const adj_out[] = {"10.0.1.0/24", "10.0.2.0/24"};
	/* The left half already joined when the right half's pieces arrive. */
	static const char *const late_in[] = {"10.0.0.0/24", "10.0.1.128/25", "10.0.1.0/25",
					      "10.0.2.0/23"};
	static const char *const late_out[] = {"10.0.0.0/22"};
	static const char *const fam_in[] = {"2001:db8::/33", "10.0.0.0/9", "2001:db8:8000::/33",
					     "10.128.0.0/9",  "::/0",	    "::1/128"};
	static const char *const fam_out[] = {"10.0.0.0/8", "::/0"};
	static const char *const all_in[] = {"128.0.0.0/1", "0.0.0.0/1"};
	static const char *const all_out[] = {"0.0.0.0/0"};
	static const char *const v6_in[] = {"::/128", "::1/128", "::2/127", "::4/126"};
	static const char *const v6_out[] = {"::/125"};
	/* Siblings of different families never join. */
	static const char *const mix_in[] = {"0.0.0.0/1", "8000::/1"};
	static const char *const mix_out[] = {"0.0.0.0/1", "8000::/1"};

	MERGE(sib_in, sib_out);
	MERGE(casc_in, casc_out);
	MERGE(cont_in, cont_out);
	MERGE(adj_in, adj_out);
	MERGE(late_in, late_out);
	MERGE(fam_in, fam_out);
	MERGE(all_in, all_out);
	MERGE(v6_in, v6_out);
	MERGE(mix_in, mix_out);
	assert_int_equal(cidr_merge(NULL, 0), 0);
}

static void test_merge_normalises(void **state)
{
	struct cidr v[5];

	v[0] = pfx("10.0.0.0/24");
	v[0].addr.a[3] = 7; /* host bits set by hand */
	v[1] = pfx("10.0.1.0/24");
	v[2] = (struct cidr){.addr = {.family = 5}, .len = 8}; /* no such family */
	v[3] = pfx("10.9.0.0/16");
	v[3].len = 33;					       /* too long */
	v[4] = (struct cidr){.addr = {.family = 0}, .len = 0}; /* no address */
	assert_int_equal(cidr_merge(v, 5), 1);
	assert_cidr_text(&v[0], "10.0.0.0/23");
}

/*
 * The oracle: inside a window of 2^WBITS addresses, mark the addresses every input covers,
 * then the minimal list is every aligned block that is fully covered while its parent block
 * is not, in address order.
 */
#define WBITS 12
#define WSIZE (1u << WBITS)

struct window {
	struct cidr base; /* the window itself: len = width - WBITS */
	uint8_t covered[WSIZE];
};

static unsigned width_of(int family)
{
	return family == 4 ? 32 : 128;
}

/* The address at offset off in the window (the offset is in the last WBITS bits). */
static struct ipaddr window_addr(const struct window *w, unsigned off)
{
	struct ipaddr a = w->base.addr;
	unsigned bytes = w->base.addr.family == 4 ? 4 : 16;

	a.a[bytes - 1] |= (uint8_t)(off & 0xff);
	a.a[bytes - 2] |= (uint8_t)(off >> 8);
	return a;
}

static unsigned window_off(const struct window *w, const struct ipaddr *a)
{
	unsigned bytes = a->family == 4 ? 4 : 16;

	return ((unsigned)a->a[bytes - 2] << 8 | a->a[bytes - 1]) & (WSIZE - 1);
}

static void window_init(struct window *w, int family)
{
	struct ipaddr a;

	random_addr(&a, family);
	cidr_from_addr(&a, width_of(family) - WBITS, &w->base);
	memset(w->covered, 0, sizeof(w->covered));
}

/* A random prefix inside the window; marks what it covers. */
static struct cidr window_random(struct window *w)
{
	unsigned width = width_of(w->base.addr.family), off = (unsigned)(rng() % WSIZE);
	unsigned len = width - (unsigned)(rng() % (WBITS + 1)), size, first;
	struct ipaddr a = window_addr(w, off);
	struct cidr c;

	/* Favour long prefixes so that sibling joins have something to do. */
	if (rng() % 3 == 0)
		len = width - (unsigned)(rng() % 3);
	cidr_from_addr(&a, len, &c);
	size = 1u << (width - len);
	first = window_off(w, &c.addr);
	memset(w->covered + first, 1, size);
	return c;
}

static size_t window_expect(const struct window *w, unsigned off, unsigned bits, struct cidr *out)
{
	unsigned size = 1u << bits;
	size_t n;

	if (memchr(w->covered + off, 0, size) == NULL) {
		struct ipaddr a = window_addr(w, off);

		cidr_from_addr(&a, width_of(w->base.addr.family) - bits, out);
		return 1;
	}
	if (bits == 0)
		return 0;
	n = window_expect(w, off, bits - 1, out);
	return n + window_expect(w, off + size / 2, bits - 1, out + n);
}

static void test_merge_random_oracle(void **state)
{
	static struct window w4, w6;
	enum { MAXN = 600 };
	static struct cidr v[MAXN], want[2 * WSIZE];

	seed_rng("merge_random_oracle");
	for (int round = 0; round < 300; round++) {
		size_t n = 1 + (size_t)(rng() % MAXN), nw, got;

		window_init(&w4, 4);
		window_init(&w6, 6);
		for (size_t i = 0; i < n; i++)
			v[i] = window_random((rng() & 1) ? &w4 : &w6);
		nw = window_expect(&w4, 0, WBITS, want);
		nw += window_expect(&w6, 0, WBITS, want + nw);
		got = cidr_merge(v, n);
		if (got != nw)
			print_message("round %d: %zu inputs merged into %zu, want %zu\n", round, n,
				      got, nw);
		assert_int_equal(got, nw);
		for (size_t i = 0; i < nw; i++)
			assert_int_equal(cidr_cmp(&v[i], &want[i]), 0);
		/* Merging again changes nothing. */
		assert_int_equal(cidr_merge(v, got), got);
	}
}

/* A big input, to catch quadratic behaviour and to check the join cascade at scale. */
static void test_merge_large(void **state)
{
	enum { N = 1 << 16 };
	struct cidr *v = malloc(N * sizeof(*v));
	struct ipaddr a = addr("10.0.0.0");

	assert_non_null(v);
	seed_rng("merge_large");
	/* Every /32 of 10.0.0.0/16, shuffled, must become that one /16. */
	for (unsigned i = 0; i < N; i++) {
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
		cidr_from_addr(&a, 32, &v[i]);
	}
	for (unsigned i = N - 1; i > 0; i--) {
		unsigned j = (unsigned)(rng() % (i + 1));
		struct cidr tmp = v[i];

		v[i] = v[j];
		v[j] = tmp;
	}
	assert_int_equal(cidr_merge(v, N), 1);
	assert_cidr_text(&v[0], "10.0.0.0/16");
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipaddr_parse_valid),
		cmocka_unit_test(test_ipaddr_parse_invalid),
		cmocka_unit_test(test_cidr_parse_valid),
		cmocka_unit_test(test_cidr_parse_invalid),
		cmocka_unit_test(test_format_sizes),
		cmocka_unit_test(test_ipaddr_compare_and_bits),
		cmocka_unit_test(test_contains_overlaps),
		cmocka_unit_test(test_cidr_cmp_order),
		cmocka_unit_test(test_cidr_from_addr),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_merge_examples),
		cmocka_unit_test(test_merge_normalises),
		cmocka_unit_test(test_merge_random_oracle),
		cmocka_unit_test(test_merge_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
