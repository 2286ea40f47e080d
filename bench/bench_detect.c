/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The detector benchmark of `make bench`: every job of detect_jobs[] at once, as the
 * controller runs them, on a synthetic cluster's flow records.  It reports:
 *   detect.records_per_sec       records per second through all jobs together (add for each
 *                                job, then end_window for each job at every window)
 *   detect.mem_1M_keys.<job>     the job's memory() after a million new external sources,
 *                                client pods, server pods and pairs (replica sets of ten),
 *                                its key caps (max_keys, max_pods, max_replica_sets) raised
 *                                to a million where it has them
 *   detect.mem_capped.<job>      the same stream at the job's default caps
 *
 * The mix, per 15 s window of 20,000 records: flows between 2,000 pods in 100 replica sets
 * (reported by both nodes, with source ports aggregated away as at level 1), clients outside
 * the cluster calling pods, pods calling out, and three scanners (an external sweep of unused
 * pod addresses, an external port scan of one pod, a pod sweeping its neighbours), so that
 * distinct sets fill, alerts fire and the sketches run.  Between windows (untimed) each pod
 * picks new replicas among the five workloads it calls and external clients change.  Times
 * are the CPU time of this thread, best of 3.  BENCH_SCALE scales the number of windows (0.1
 * for a quick run).
 */
#include "lib/detect.h"
#include "lib/event.h"
#include "lib/flowlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOW	   15
#define PER_WINDOW 20000
#define PODS	   2000
#define SETS	   100
#define EXTERNAL   5000
#define T0	   1764370800ULL
#define REPEAT	   3
#define MILLION	   1000000

static const char *const pol_allow = "0|default|default/knp.default.allow|allow|0";
static const char *const pol_deny = "0|default|default.end-of-tier|deny|-1";
static const char *const pol_unused = "0|__NO_ENDPOINT__|__NO_ENDPOINT__|deny|-1";

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0xdeadbeefcafef00dULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void pod(struct flowlog_side *s, uint32_t i)
{
	snprintf(s->ip, sizeof(s->ip), "10.244.%u.%u", i / 200, 2 + i % 200);
	snprintf(s->name, sizeof(s->name), "app-%u-5d8f7c9b4-%05u", i % SETS, i);
	snprintf(s->name_aggr, sizeof(s->name_aggr), "app-%u-5d8f7c9b4-*", i % SETS);
	snprintf(s->ns, sizeof(s->ns), "ns-%u", i % SETS / 10);
	snprintf(s->type, sizeof(s->type), "wep");
	s->port = -1;
}

static void outside(struct flowlog_side *s, uint32_t i)
{
	snprintf(s->ip, sizeof(s->ip), "%u.%u.%u.%u", 11 + i / 16777216 % 200, i / 65536 % 256,
		 i / 256 % 256, i % 256);
	snprintf(s->name, sizeof(s->name), "-");
	snprintf(s->name_aggr, sizeof(s->name_aggr), "pub");
	snprintf(s->ns, sizeof(s->ns), "-");
	snprintf(s->type, sizeof(s->type), "net");
	s->port = -1;
}

static void unused(struct flowlog_side *s, uint32_t i)
{
	snprintf(s->ip, sizeof(s->ip), "10.245.%u.%u", i / 250 % 256, 1 + i % 250);
	snprintf(s->name, sizeof(s->name), "-");
	snprintf(s->name_aggr, sizeof(s->name_aggr), "pvt");
	snprintf(s->ns, sizeof(s->ns), "-");
	snprintf(s->type, sizeof(s->type), "net");
	s->port = -1;
}

static void fill(struct flowlog_rec *r, const char *reporter, const char *action, int port,
		 const char *pol, uint64_t unanswered)
{
	r->dst.port = port;
	snprintf(r->proto, sizeof(r->proto), "tcp");
	snprintf(r->action, sizeof(r->action), "%s", action);
	snprintf(r->reporter, sizeof(r->reporter), "%s", reporter);
	r->policies[0] = pol;
	r->npolicies = 1;
	r->bytes_in = 1200 + rng() % 5000;
	r->bytes_out = 600 + rng() % 50000;
	r->packets_in = 4 + rng() % 20;
	r->packets_out = 4 + rng() % 40;
	r->num_flows = 1 + rng() % 4;
	r->num_flows_started = r->num_flows;
	r->num_flows_completed = r->num_flows;
	r->num_flows_unanswered = unanswered;
	snprintf(r->host, sizeof(r->host), "node-%u", (unsigned)(rng() % 8));
}

/* The source pod of each pod-to-pod pair (at its first record), else -1. */
static int pair_src[PER_WINDOW];

/* One window's worth of records; times are set per window when they are replayed. */
static size_t gen_window(struct flowlog_rec *v)
{
	size_t n = 0;

	while (n < PER_WINDOW) {
		uint64_t k = rng() % 100;
		struct flowlog_rec *r = &v[n];

		memset(r, 0, sizeof(*r));
		pair_src[n] = -1;
		if (k < 60 && n + 1 < PER_WINDOW) {
			/* pod to pod, reported by both nodes */
			uint32_t a = (uint32_t)(rng() % PODS), b = (uint32_t)(rng() % PODS);

			pod(&r->src, a);
			pod(&r->dst, b);
			fill(r, "src", "allow", 8080, pol_allow, 0);
			v[n + 1] = *r;
			snprintf(v[n + 1].reporter, sizeof(v[n + 1].reporter), "dst");
			pair_src[n] = (int)a;
			pair_src[n + 1] = -1;
			n += 2;
			continue;
		} else if (k < 80) {
			outside(&r->src, (uint32_t)(rng() % EXTERNAL));
			pod(&r->dst, (uint32_t)(rng() % PODS));
			fill(r, "dst", "allow", 443, pol_allow, 0);
		} else if (k < 92) {
			pod(&r->src, (uint32_t)(rng() % PODS));
			outside(&r->dst, 1000000 + (uint32_t)(rng() % EXTERNAL));
			fill(r, "src", "allow", 443, pol_allow, 0);
		} else if (k < 95) {
			outside(&r->src, 4242); /* sweeping unused addresses */
			unused(&r->dst, (uint32_t)(rng() % 60000));
			fill(r, "dst", "deny", 22, pol_unused, 1);
		} else if (k < 98) {
			outside(&r->src, 4343); /* port scan of one pod */
			pod(&r->dst, 7);
			fill(r, "dst", "deny", 1 + (int)(rng() % 1000), pol_deny, 1);
		} else {
			pod(&r->src, 99); /* a pod sweeping its neighbours */
			pod(&r->dst, (uint32_t)(rng() % PODS));
			fill(r, "src", "deny", 22, pol_deny, 1);
		}
		n++;
	}
	return n;
}

/*
 * Between windows (not timed): every pod-to-pod pair picks a new replica of one of the five
 * workloads its source depends on, and external clients change, so the sets keep changing
 * as a real cluster's would.
 */
static void shuffle_window(struct flowlog_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pair_src[i] >= 0) {
			uint32_t set = (uint32_t)(pair_src[i] % SETS + rng() % 5) % SETS;
			uint32_t b = set + SETS * (uint32_t)(rng() % (PODS / SETS));

			pod(&v[i].dst, b);
			v[i + 1].dst = v[i].dst;
		} else if (v[i].dst.port == 443 && !strcmp(v[i].src.type, "net")) {
			outside(&v[i].src, (uint32_t)(rng() % EXTERNAL));
		}
	}
}

static void count_event(void *arg, const struct sec_event *e)
{
	(*(size_t *)arg)++;
}

static struct detect_job **jobs_new(size_t *n)
{
	struct detect_job **j;

	for (*n = 0; detect_jobs[*n]; (*n)++)
		;
	j = calloc(*n, sizeof(*j));
	if (!j)
		return NULL;
	for (size_t i = 0; i < *n; i++) {
		j[i] = detect_job_new(detect_jobs[i]->name);
		if (!j[i]) {
			fprintf(stderr, "bench_detect: cannot create %s\n", detect_jobs[i]->name);
			exit(1);
		}
	}
	return j;
}

static void jobs_free(struct detect_job **j, size_t n)
{
	for (size_t i = 0; i < n; i++)
		detect_job_free(j[i]);
	free(j);
}

/* Pod number i of a million, in replica sets of ten; side is 0 (sources) or 1 (targets). */
static void pod_million(struct flowlog_side *s, uint32_t i, int side)
{
	snprintf(s->ip, sizeof(s->ip), "10.%u.%u.%u", 64 * (side + 1) + i / 65536, i / 256 % 256,
		 i % 256);
	snprintf(s->name, sizeof(s->name), "%s-%u-7d9f8c6b5-%u", side ? "svc" : "client", i / 10,
		 i % 10);
	snprintf(s->name_aggr, sizeof(s->name_aggr), "%s-%u-7d9f8c6b5-*", side ? "svc" : "client",
		 i / 10);
	snprintf(s->ns, sizeof(s->ns), "ns-%u", i / 10000);
	snprintf(s->type, sizeof(s->type), "wep");
	s->port = -1;
}

/*
 * A million keys for every kind of job: record i has its own external source probing its own
 * unused address, and its own client pod calling its own server pod (reported by both
 * sides), so sources, targets, pairs and replica sets (of ten pods) are all new.
 */
static void feed_million(struct detect_job **j, size_t njobs, struct flowlog_rec *r)
{
	for (uint32_t i = 0; i < MILLION; i++) {
		uint64_t t = T0 + (uint64_t)(i / (MILLION / 10)) * WINDOW;

		memset(&r[0], 0, sizeof(r[0]));
		outside(&r[0].src, i);
		unused(&r[0].dst, i);
		fill(&r[0], "dst", "deny", 22, pol_unused, 1);
		memset(&r[1], 0, sizeof(r[1]));
		pod_million(&r[1].src, i, 0);
		pod_million(&r[1].dst, i, 1);
		fill(&r[1], "src", "allow", 8080, pol_allow, 0);
		r[2] = r[1];
		snprintf(r[2].reporter, sizeof(r[2].reporter), "dst");
		for (int k = 0; k < 3; k++) {
			r[k].start_time = t;
			r[k].end_time = t + WINDOW;
			for (size_t x = 0; x < njobs; x++)
				detect_job_add(j[x], &r[k]);
		}
		if ((i + 1) % (MILLION / 10) == 0)
			for (size_t x = 0; x < njobs; x++)
				detect_job_end_window(j[x], t, t + WINDOW, NULL, NULL);
	}
}

int main(void)
{
	double scale = getenv("BENCH_SCALE") ? atof(getenv("BENCH_SCALE")) : 1.0;
	int windows = (int)(40 * scale);
	struct flowlog_rec *v = calloc(PER_WINDOW, sizeof(*v));
	struct detect_job **j;
	size_t njobs, events = 0, nrec;
	double best = 1e30;

	if (windows < 2)
		windows = 2;
	if (!v) {
		fprintf(stderr, "bench_detect: out of memory\n");
		return 1;
	}
	nrec = gen_window(v);
	for (int rep = 0; rep < REPEAT; rep++) {
		double t0, t;

		j = jobs_new(&njobs);
		if (!j) {
			fprintf(stderr, "bench_detect: out of memory\n");
			return 1;
		}
		events = 0;
		t0 = cpu_s();
		for (int w = 0; w < windows; w++) {
			uint64_t start = T0 + (uint64_t)w * WINDOW;
			double ts = cpu_s();

			shuffle_window(v, nrec);
			t0 += cpu_s() - ts;
			for (size_t i = 0; i < nrec; i++) {
				v[i].start_time = start;
				v[i].end_time = start + WINDOW;
				for (size_t x = 0; x < njobs; x++)
					detect_job_add(j[x], &v[i]);
			}
			for (size_t x = 0; x < njobs; x++)
				detect_job_end_window(j[x], start, start + WINDOW, count_event,
						      &events);
		}
		t = cpu_s() - t0;
		if (t < best)
			best = t;
		jobs_free(j, njobs);
	}
	printf("detect.records_per_sec %.0f per second (%zu jobs together, %zu records in %d windows, "
	       "%zu events)\n",
	       (double)nrec * windows / best, njobs, nrec * (size_t)windows, windows, events);

	for (int capped = 0; capped < 2; capped++) {
		j = jobs_new(&njobs);
		if (!j) {
			fprintf(stderr, "bench_detect: out of memory\n");
			return 1;
		}
		/* Raise the key caps to a million where a job has them (others refuse the name). */
		for (size_t x = 0; x < njobs && !capped; x++) {
			(void)detect_set_param(j[x], "max_keys", MILLION);
			(void)detect_set_param(j[x], "max_pods", MILLION);
			(void)detect_set_param(j[x], "max_replica_sets", MILLION);
		}
		feed_million(j, njobs, v);
		for (size_t x = 0; x < njobs; x++)
			printf("detect.mem_%s.%s %.1f MiB (%s)\n", capped ? "capped" : "1M_keys",
			       detect_job_name(j[x]), (double)detect_job_memory(j[x]) / (1 << 20),
			       capped ? "default caps" : "caps raised to a million");
		jobs_free(j, njobs);
	}
	free(v);
	return 0;
}
