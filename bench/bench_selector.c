/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Selector throughput: 200 selectors of mixed shapes against 10,000 label sets of 5 to 10
 * labels with the keys a cluster really has (app, tier, version, pod-template-hash, the
 * namespace's pcns.* labels, projectcalico.org/namespace, ...).  Prints
 *   selector.matches_per_sec N
 *   selector.parse_per_sec N
 * on stdout; how many pairs matched goes to stderr, as a sanity check on the workload.
 */
#include "lib/arena.h"
#include "lib/label.h"
#include "lib/selector.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSETS	    10000
#define NSELS	    200
#define MIN_SECONDS 0.5

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const apps[] = {"web",     "api",	"db",	"cache",    "frontend",
				   "backend", "worker", "auth", "payments", "search"};
static const char *const tiers[] = {"frontend", "backend", "data", "infra"};
static const char *const versions[] = {"v1", "v1.2", "v1.2.3", "v2", "v2.0-rc1", "v3-beta"};
static const char *const namespaces[] = {"default",	"prod",	      "staging",  "dev",
					 "kube-system", "monitoring", "payments", "team-a"};
static const char *const envs[] = {"prod", "staging", "dev", "test"};
static const char *const teams[] = {"alpha", "bravo", "charlie", "delta", "echo"};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 33) % n;
}

#define PICK(a) ((a)[rnd(NELEM(a))])

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_labels(struct arena *a, struct labels *out)
{
	struct label p[10];
	size_t n = 0, want = 5 + rnd(6);
	const char *ns = PICK(namespaces);

	/* Every workload endpoint has these, as Calico gives them. */
	p[n++] = (struct label){"projectcalico.org/namespace", ns};
	p[n++] = (struct label){"pcns.projectcalico.org/name", ns};
	p[n++] = (struct label){"app", PICK(apps)};
	while (n < want) {
		switch (rnd(7)) {
		case 0:
			p[n++] = (struct label){"tier", PICK(tiers)};
			break;
		case 1:
			p[n++] = (struct label){"version", PICK(versions)};
			break;
		case 2:
			p[n++] = (struct label){"pod-template-hash",
						arena_printf(a, "%08x", rnd(1u << 30))};
			break;
		case 3:
			p[n++] = (struct label){"pcns.env", PICK(envs)};
			break;
		case 4:
			p[n++] = (struct label){"pcns.team", PICK(teams)};
			break;
		case 5:
			p[n++] = (struct label){"pcsa.projectcalico.org/name", "default"};
			break;
		default:
			p[n++] = (struct label){"role", rnd(2) ? "canary" : "stable"};
			break;
		}
	}
	if (labels_build(a, p, n, out) != 0) {
		fprintf(stderr, "bench_selector: out of memory\n");
		exit(1);
	}
}

static char *make_selector(void)
{
	char *s = NULL;
	int r;

	switch (rnd(12)) {
	case 0:
		r = asprintf(&s, "app == '%s'", PICK(apps));
		break;
	case 1:
		r = asprintf(&s, "app == '%s' && tier == '%s'", PICK(apps), PICK(tiers));
		break;
	case 2:
		r = asprintf(&s, "tier in {'%s', '%s', '%s'}", PICK(tiers), PICK(tiers),
			     PICK(tiers));
		break;
	case 3:
		r = asprintf(&s, "has(version) && !has(role)");
		break;
	case 4:
		r = asprintf(&s, "projectcalico.org/namespace == '%s' && app in {'%s', '%s'}",
			     PICK(namespaces), PICK(apps), PICK(apps));
		break;
	case 5:
		r = asprintf(&s, "pcns.env == '%s' || pcns.team == '%s'", PICK(envs), PICK(teams));
		break;
	case 6:
		r = asprintf(&s, "version starts with 'v%u' && app != '%s'", 1 + rnd(3),
			     PICK(apps));
		break;
	case 7:
		r = asprintf(&s, "pod-template-hash ends with '%x'", rnd(16));
		break;
	case 8:
		r = asprintf(&s, "%s", rnd(2) ? "all()" : "global()");
		break;
	case 9:
		r = asprintf(&s,
			     "(app == '%s' || app == '%s') && (tier == '%s' || has(role)) && "
			     "pcns.env not in {'dev', 'test'}",
			     PICK(apps), PICK(apps), PICK(tiers));
		break;
	case 10:
		r = asprintf(&s, "app contains '%.3s' && !(role == 'canary')", PICK(apps));
		break;
	default:
		r = asprintf(&s,
			     "pcns.projectcalico.org/name == '%s' && has(tier) && version "
			     "in {'v1', 'v2'}",
			     PICK(namespaces));
		break;
	}
	if (r < 0) {
		fprintf(stderr, "bench_selector: out of memory\n");
		exit(1);
	}
	return s;
}

int main(void)
{
	static struct labels sets[NSETS];
	static char *texts[NSELS];
	static struct selector *sels[NSELS];
	unsigned long long nmatch = 0, calls = 0, parses = 0;
	struct arena a;
	double t0, dt;
	char *err = NULL;

	arena_init(&a);
	for (size_t i = 0; i < NSETS; i++)
		make_labels(&a, &sets[i]);
	for (size_t i = 0; i < NSELS; i++) {
		texts[i] = make_selector();
		sels[i] = selector_parse(texts[i], &err);
		if (!sels[i]) {
			fprintf(stderr, "bench_selector: %s: %s\n", texts[i], err);
			return 1;
		}
	}

	t0 = now();
	do {
		for (size_t i = 0; i < NSELS; i++)
			for (size_t j = 0; j < NSETS; j++)
				nmatch += selector_match(sels[i], &sets[j]);
		calls += (unsigned long long)NSELS * NSETS;
		dt = now() - t0;
	} while (dt < MIN_SECONDS);
	printf("selector.matches_per_sec %.0f\n", (double)calls / dt);
	fprintf(stderr, "bench_selector: %.1f%% of %llu pairs matched\n",
		100.0 * (double)nmatch / (double)calls, calls);

	t0 = now();
	do {
		for (size_t i = 0; i < NSELS; i++) {
			struct selector *s = selector_parse(texts[i], NULL);

			if (!s)
				return 1;
			selector_free(s);
		}
		parses += NSELS;
		dt = now() - t0;
	} while (dt < MIN_SECONDS);
	printf("selector.parse_per_sec %.0f\n", (double)parses / dt);

	for (size_t i = 0; i < NSELS; i++) {
		selector_free(sels[i]);
		free(texts[i]);
	}
	arena_fini(&a);
	return 0;
}
