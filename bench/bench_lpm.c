/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LPM benchmark: tables of 10k, 200k and 1M random IPv4 prefixes (/8 to /32, uniform
 * lengths, a fixed seed), then 200k random IPv6 prefixes (/16 to /64 under 2000::/4, the
 * shape of a large IPv6 feed).  For each table it prints the insert rate, the rate of lookups
 * of uniformly random addresses, the fraction of those that matched, the removal rate and
 * the memory per prefix as counted by lpm_memory() (random prefixes repeat a little, so the
 * table holds somewhat fewer prefixes than were inserted; the count is printed too).  Lines
 * are "lpm.<name> <value> <unit>".  Removing everything must give the memory back: the
 * program fails if it does not.
 *
 * Times are this thread's CPU time, best of REPEAT runs: the machine is shared, and time spent
 * descheduled is not the table's.  (Neighbours still share the caches, so a busy machine
 * reads slower, never faster.)
 *
 * Usage: bench_lpm [lookups-per-table [table-name]]   (default 4,000,000, every table)
 */
#include "lib/lpm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED   0x70a115adeULL
#define REPEAT 3

static uint64_t rng_state;

/* splitmix64: small, fast and good enough to spread prefixes. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double min_time(double best, double t)
{
	return best == 0 || t < best ? t : best;
}

static void random_addr(struct ipaddr *a, int family)
{
	uint64_t r = rng(), s = rng();

	*a = (struct ipaddr){.family = (uint8_t)family};
	for (int i = 0; i < 8; i++) {
		a->a[i] = (uint8_t)(r >> (8 * i));
		a->a[8 + i] = (uint8_t)(s >> (8 * i));
	}
	if (family == 4)
		for (int i = 4; i < 16; i++)
			a->a[i] = 0;
}

static int run(const char *name, int family, size_t n, unsigned minlen, unsigned maxlen,
	       size_t lookups)
{
	struct cidr *v = malloc(n * sizeof(*v));
	struct ipaddr *q = malloc(lookups * sizeof(*q));
	struct lpm *t = lpm_new();
	size_t hits = 0, empty;
	double t0, t1, best_insert = 0, best_remove = 0, best_lookup = 0;

	if (!v || !q || !t) {
		fprintf(stderr, "bench_lpm: out of memory\n");
		return 1;
	}
	empty = lpm_memory(t);
	for (size_t i = 0; i < n; i++) {
		struct ipaddr a;

		random_addr(&a, family);
		if (family == 6)
			a.a[0] = (uint8_t)(0x20 | (a.a[0] & 0x0f));
		cidr_from_addr(&a, minlen + (unsigned)(rng() % (maxlen - minlen + 1)), &v[i]);
	}
	for (size_t i = 0; i < lookups; i++) {
		random_addr(&q[i], family);
		if (family == 6)
			q[i].a[0] = (uint8_t)(0x20 | (q[i].a[0] & 0x0f));
	}

	for (int r = 0; r < REPEAT; r++) {
		t0 = now();
		for (size_t i = 0; i < n; i++) {
			/* Any non-NULL value will do; the prefix's own address is handy. */
			if (lpm_insert(t, &v[i], &v[i], NULL) != 0) {
				fprintf(stderr, "bench_lpm: insert failed\n");
				return 1;
			}
		}
		t1 = now();
		best_insert = min_time(best_insert, t1 - t0);
		if (r == REPEAT - 1)
			break;
		t0 = now();
		for (size_t i = 0; i < n; i++)
			lpm_remove(t, &v[i]);
		t1 = now();
		best_remove = min_time(best_remove, t1 - t0);
		if (lpm_count(t) != 0 || lpm_memory(t) != empty) {
			fprintf(stderr,
				"bench_lpm: removing everything left %zu prefixes, %zu bytes\n",
				lpm_count(t), lpm_memory(t));
			return 1;
		}
	}
	printf("lpm.insert_%s %.2f Minserts/s\n", name, (double)n / best_insert / 1e6);
	printf("lpm.remove_%s %.2f Mremovals/s\n", name, (double)n / best_remove / 1e6);
	printf("lpm.prefixes_%s %zu prefixes\n", name, lpm_count(t));
	printf("lpm.bytes_per_prefix_%s %.1f bytes\n", name,
	       (double)lpm_memory(t) / (double)lpm_count(t));

	for (int r = 0; r < REPEAT; r++) {
		hits = 0;
		t0 = now();
		for (size_t i = 0; i < lookups; i++)
			hits += lpm_lookup(t, &q[i], NULL) != NULL;
		t1 = now();
		best_lookup = min_time(best_lookup, t1 - t0);
	}
	printf("lpm.lookup_%s %.2f Mlookups/s\n", name, (double)lookups / best_lookup / 1e6);
	printf("lpm.hit_ratio_%s %.3f fraction\n", name, (double)hits / (double)lookups);

	lpm_free(t);
	free(q);
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int family;
		size_t n;
		unsigned minlen, maxlen;
	} tables[] = {
		{"10k", 4, 10000, 8, 32},
		{"200k", 4, 200000, 8, 32},
		{"1m", 4, 1000000, 8, 32},
		{"v6_200k", 6, 200000, 16, 64},
	};
	size_t lookups = argc > 1 ? strtoul(argv[1], NULL, 10) : 4000000;
	const char *only = argc > 2 ? argv[2] : NULL;

	if (lookups == 0)
		lookups = 1;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		/* Each table has its own seed, so that a filtered run measures the same table. */
		rng_state = SEED + i;
		if (only && strcmp(only, tables[i].name) != 0)
			continue;
		if (run(tables[i].name, tables[i].family, tables[i].n, tables[i].minlen,
			tables[i].maxlen, lookups))
			return 1;
	}
	return 0;
}
