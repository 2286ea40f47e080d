/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/detect_peers.h"

#include "lib/detect_baseline.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/keytab.h"
#include "lib/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocator overhead counted per heap block, as keytab does. */
#define ALLOC_OVERHEAD 16
/* Replica sets with a ready, non-zero history needed before the cluster factor applies. */
#define CLUSTER_MIN_SETS 3

#define SIDE_NS	  sizeof(((struct flowlog_side *)0)->ns)
#define SIDE_NAME sizeof(((struct flowlog_side *)0)->name)
#define SIDE_AGGR sizeof(((struct flowlog_side *)0)->name_aggr)
#define SIDE_IP	  sizeof(((struct flowlog_side *)0)->ip)
/* "ns\0name_aggr": the longest key of either table (name_aggr is longer than name). */
#define KEY_MAX (SIDE_NS + SIDE_AGGR)

union peers_hist {
	struct baseline_mad mad;
	struct baseline_ewma ewma;
};

/*
 * Per-key state.  `win` is the window being built plus one when the key has a value in it
 * (so a zeroed entry is untouched); `last_seq` the sequence of the last window with a value;
 * `last_anom` the sequence plus one of the last anomalous window (0: never), per metric.
 */
struct peers_pod {
	uint32_t set; /* index in the set table, KEYTAB_NONE when that table was full */
	char ip[SIDE_IP];
	uint64_t win;
	uint64_t last_seq;
	uint64_t last_anom[PEERS_MAX_METRICS];
	double cur[PEERS_MAX_METRICS];
	union peers_hist h[PEERS_MAX_METRICS];
};

struct peers_set {
	uint64_t win;
	uint64_t last_seq;
	uint64_t last_anom[PEERS_MAX_METRICS];
	double cur[PEERS_MAX_METRICS];
	union peers_hist h[PEERS_MAX_METRICS];
	struct baseline_score score[PEERS_MAX_METRICS]; /* of the window being judged */
	uint32_t npods;
	bool pod_flagged[PEERS_MAX_METRICS];
};

struct pair {
	uint32_t set, pod;
};

struct peers {
	struct peers_params prm;
	unsigned nmetrics;
	enum peers_model model;
	bool require_peers;
	bool started; /* a value was added: history is fixed */
	struct keytab pods, sets;
	/* The keys with a value in the window being built. */
	uint32_t *tpods, *tsets;
	size_t ntpods, ntsets, captpods, captsets;
	/* Scratch for judging a window, kept between windows. */
	struct pair *pairs;
	size_t cappairs;
	double *vals, *scratch;
	size_t capvals;
	size_t hist_bytes; /* heap bytes of the MAD rings */
	uint64_t nwin;	   /* windows ended */
	uint64_t seq;	   /* sequence of the last window ended */
	uint64_t first_start, last_end;
	struct detect_baseline_stats st;
};

struct peers *peers_new(unsigned nmetrics, enum peers_model model, bool require_peers,
			const struct peers_params *defaults)
{
	struct peers *p;

	if (nmetrics < 1 || nmetrics > PEERS_MAX_METRICS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->prm = *defaults;
	p->nmetrics = nmetrics;
	p->model = model;
	p->require_peers = require_peers;
	keytab_init(&p->pods, sizeof(struct peers_pod), p->prm.max_pods);
	keytab_init(&p->sets, sizeof(struct peers_set), p->prm.max_sets);
	return p;
}

static void hist_fini(struct peers *p, union peers_hist *h)
{
	if (p->model != PEERS_MAD)
		return;
	if (h->mad.ring)
		p->hist_bytes -= baseline_mad_memory(&h->mad) + ALLOC_OVERHEAD;
	baseline_mad_fini(&h->mad);
}

static int hist_init(struct peers *p, union peers_hist *h)
{
	if (p->model == PEERS_EWMA) {
		baseline_ewma_init(&h->ewma);
		return 0;
	}
	if (baseline_mad_init(&h->mad, p->prm.history))
		return -ENOMEM;
	p->hist_bytes += baseline_mad_memory(&h->mad) + ALLOC_OVERHEAD;
	return 0;
}

static double alpha(const struct peers *p)
{
	return 2.0 / (p->prm.history + 1.0);
}

static void hist_score(const struct peers *p, const union peers_hist *h, uint64_t t, double x,
		       const struct baseline_cfg *c, struct baseline_score *s)
{
	if (p->model == PEERS_MAD)
		baseline_mad_score(&h->mad, t, x, c, s);
	else
		baseline_ewma_score(&h->ewma, t, x, alpha(p), c, s);
}

static void hist_add(const struct peers *p, union peers_hist *h, uint64_t t, double x)
{
	if (p->model == PEERS_MAD)
		baseline_mad_add(&h->mad, t, x);
	else
		baseline_ewma_add(&h->ewma, t, x, alpha(p));
}

/* The histories of entry idx of t, the pod or the set table. */
static union peers_hist *hists_of(const struct peers *p, const struct keytab *t, uint32_t idx)
{
	if (t == &p->pods)
		return ((struct peers_pod *)keytab_val(t, idx))->h;
	return ((struct peers_set *)keytab_val(t, idx))->h;
}

static void entry_del(struct peers *p, struct keytab *t, uint32_t idx)
{
	union peers_hist *h = hists_of(p, t, idx);

	for (unsigned m = 0; m < p->nmetrics; m++)
		hist_fini(p, &h[m]);
	keytab_del(t, idx);
}

void peers_free(struct peers *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < keytab_end(&p->pods); i++)
		if (keytab_live(&p->pods, i))
			entry_del(p, &p->pods, (uint32_t)i);
	for (size_t i = 0; i < keytab_end(&p->sets); i++)
		if (keytab_live(&p->sets, i))
			entry_del(p, &p->sets, (uint32_t)i);
	keytab_fini(&p->pods);
	keytab_fini(&p->sets);
	free(p->tpods);
	free(p->tsets);
	free(p->pairs);
	free(p->vals);
	free(p->scratch);
	free(p);
}

/* v is a whole number in [lo, hi]. */
static bool whole(double v, double lo, double hi)
{
	return v >= lo && v <= hi && v == floor(v);
}

static bool finite_at_least(double v, double lo, bool strict)
{
	return isfinite(v) && (strict ? v > lo : v >= lo);
}

int peers_set_param(struct peers *p, const char *name, double v)
{
	struct peers_params q = p->prm;

	if (!strcmp(name, "sensitivity") && finite_at_least(v, 0, true) && v <= 1e6)
		q.sensitivity = v;
	else if (!strcmp(name, "warmup_windows") && whole(v, 0, 1e9))
		q.warmup_windows = (uint64_t)v;
	else if (!strcmp(name, "warmup_seconds") && whole(v, 0, 1e12))
		q.warmup_seconds = (uint64_t)v;
	else if (!strcmp(name, "history") && whole(v, 3, BASELINE_MAX_HISTORY) &&
		 !(p->started && p->model == PEERS_MAD))
		q.history = (uint32_t)v;
	else if (!strcmp(name, "z_threshold") && finite_at_least(v, 0, true))
		q.z_threshold = v;
	else if (!strcmp(name, "min_ratio") && finite_at_least(v, 1, false))
		q.min_ratio = v;
	else if (!strcmp(name, "floor") && finite_at_least(v, 0, false))
		q.floor = v;
	else if (!strcmp(name, "spread_floor") && finite_at_least(v, 0, true))
		q.spread_floor = v;
	else if (!strcmp(name, "spread_floor_ratio") && finite_at_least(v, 0, false))
		q.spread_floor_ratio = v;
	else if (!strcmp(name, "min_peers") && whole(v, 2, 100000))
		q.min_peers = (uint32_t)v;
	else if (!strcmp(name, "rearm_windows") && whole(v, 0, 1e9))
		q.rearm_windows = (uint64_t)v;
	else if (!strcmp(name, "idle_windows") && whole(v, 1, 1e9))
		q.idle_windows = (uint64_t)v;
	else if (!strcmp(name, "max_pods") && whole(v, 1, 1 << 26))
		q.max_pods = (size_t)v;
	else if (!strcmp(name, "max_replica_sets") && whole(v, 1, 1 << 26))
		q.max_sets = (size_t)v;
	else
		return -EINVAL;
	p->prm = q;
	p->pods.max = q.max_pods;
	p->sets.max = q.max_sets;
	return 0;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 16;
	void *a;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	a = realloc(*arr, nc * elem);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = nc;
	return 0;
}

/* Finds or creates the entry "a\0b" of t, with its histories; KEYTAB_NONE when refused. */
static uint32_t entry_get(struct peers *p, struct keytab *t, const char *a, const char *b,
			  size_t bsize)
{
	char key[KEY_MAX];
	size_t la = strnlen(a, SIDE_NS - 1), lb = strnlen(b, bsize - 1);
	union peers_hist *h;
	uint32_t idx;
	bool created;
	int rc;

	memcpy(key, a, la);
	key[la] = '\0';
	memcpy(key + la + 1, b, lb);
	rc = keytab_get(t, key, la + 1 + lb, &idx, &created);
	if (rc == -ENOMEM)
		p->st.nomem++;
	if (rc)
		return KEYTAB_NONE; /* -ENOSPC is counted by the table */
	if (!created)
		return idx;
	h = hists_of(p, t, idx);
	for (unsigned m = 0; m < p->nmetrics; m++) {
		if (hist_init(p, &h[m])) {
			entry_del(p, t, idx);
			p->st.nomem++;
			return KEYTAB_NONE;
		}
	}
	return idx;
}

static bool is_none(const char *s)
{
	return !s[0] || !strcmp(s, "-");
}

void peers_add(struct peers *p, const struct flowlog_side *side, const double *v)
{
	struct peers_set *set;
	struct peers_pod *pod;
	uint32_t s, i;

	p->started = true;
	p->st.records++;
	s = entry_get(p, &p->sets, side->ns, side->name_aggr, SIDE_AGGR);
	if (s != KEYTAB_NONE) {
		set = keytab_val(&p->sets, s);
		if (set->win != p->nwin + 1) {
			if (grow((void **)&p->tsets, &p->captsets, p->ntsets + 1,
				 sizeof(*p->tsets))) {
				p->st.nomem++;
				return;
			}
			p->tsets[p->ntsets++] = s;
			memset(set->cur, 0, sizeof(set->cur));
			memset(set->pod_flagged, 0, sizeof(set->pod_flagged));
			set->npods = 0;
			set->win = p->nwin + 1;
		}
		for (unsigned m = 0; m < p->nmetrics; m++)
			set->cur[m] += v[m];
	}
	if (is_none(side->name)) {
		p->st.unattributed++;
		return;
	}
	i = entry_get(p, &p->pods, side->ns, side->name, SIDE_NAME);
	if (i == KEYTAB_NONE)
		return;
	pod = keytab_val(&p->pods, i);
	pod->set = s;
	if (side->ip[0])
		memcpy(pod->ip, side->ip, sizeof(pod->ip));
	if (pod->win != p->nwin + 1) {
		if (grow((void **)&p->tpods, &p->captpods, p->ntpods + 1, sizeof(*p->tpods))) {
			p->st.nomem++;
			return;
		}
		p->tpods[p->ntpods++] = i;
		memset(pod->cur, 0, sizeof(pod->cur));
		pod->win = p->nwin + 1;
	}
	for (unsigned m = 0; m < p->nmetrics; m++)
		pod->cur[m] += v[m];
}

static void make_cfg(const struct peers *p, struct baseline_cfg *c)
{
	double s = p->prm.sensitivity;

	c->z = p->prm.z_threshold / s;
	c->ratio = p->prm.min_ratio / s;
	if (c->ratio < 1)
		c->ratio = 1;
	c->floor = p->prm.floor;
	c->spread_abs = p->prm.spread_floor;
	c->spread_rel = p->prm.spread_floor_ratio;
	c->warmup = p->prm.warmup_windows;
}

/*
 * The sequence of the window [start, end): the next one, plus the whole windows of this
 * length that fit between the previous window's end and start (windows without records).
 */
static uint64_t next_seq(struct peers *p, uint64_t start, uint64_t end)
{
	uint64_t len = end > start ? end - start : 0;

	if (!p->nwin) {
		p->first_start = start;
		return 0;
	}
	if (len && start >= p->last_end)
		return p->seq + 1 + (start - p->last_end) / len;
	return p->seq + 1;
}

/* Starts (true) or continues an episode of a key anomalous at seq; counts either way. */
static bool new_episode(struct peers *p, uint64_t *last_anom, uint64_t seq, bool warm)
{
	bool fresh = !*last_anom || seq - (*last_anom - 1) > p->prm.rearm_windows;

	*last_anom = seq + 1;
	if (fresh && warm) {
		p->st.events++;
		return true;
	}
	p->st.suppressed++;
	return false;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return (x->pod > y->pod) - (x->pod < y->pod);
}

/* The part of a "a\0b" key after the NUL. */
static const char *key_second(const struct keytab *t, uint32_t idx)
{
	const char *k = keytab_key(t, idx, NULL);

	return k + strlen(k) + 1;
}

struct judge_ctx {
	const struct baseline_cfg *cfg;
	uint64_t seq, start, end;
	bool warm;
	peers_finding_fn *fn;
	void *arg;
};

/*
 * The peers' median and MAD for pod number `self` of a group of n pods (values vals): the
 * others', or in a large group the whole group's (gmed, gmad, computed once by the caller).
 */
static double peer_stats(struct peers *p, const double *vals, size_t n, size_t self, double gmed,
			 double gmad, double *mad)
{
	size_t j = 0;

	if (n > PEERS_EXACT_MAX) {
		*mad = gmad;
		return gmed;
	}
	for (size_t k = 0; k < n; k++)
		if (k != self)
			p->scratch[j++] = vals[k];
	return baseline_median_mad(p->scratch, j, mad);
}

/* Judges pod number `self` of a group of n pods (values vals) in metric m. */
static void judge_pod(struct peers *p, const struct judge_ctx *c, uint32_t setidx, uint32_t idx,
		      const double *vals, size_t n, size_t self, unsigned m, double gmed,
		      double gmad)
{
	struct peers_pod *pod = keytab_val(&p->pods, idx);
	struct peers_set *set = setidx != KEYTAB_NONE ? keytab_val(&p->sets, setidx) : NULL;
	struct peers_finding f;
	double x = pod->cur[m];
	bool flagged = false;

	memset(&f, 0, sizeof(f));
	pod->last_seq = c->seq;
	hist_score(p, &pod->h[m], c->seq, x, c->cfg, &f.own);
	f.npeers = n - 1;
	if (f.own.anomalous) {
		if (f.npeers >= p->prm.min_peers) {
			struct baseline_cfg pc = *c->cfg;
			double med, mad;

			pc.warmup = 1; /* the peers are there now: no history to wait for */
			med = peer_stats(p, vals, n, self, gmed, gmad, &mad);
			baseline_judge(&pc, x, med, mad, BASELINE_MAD_SCALE, f.npeers, &f.peer);
			f.has_peers = true;
			flagged = f.peer.anomalous;
		} else {
			flagged = !p->require_peers;
		}
	}
	hist_add(p, &pod->h[m], c->seq, x);
	if (!flagged)
		return;
	if (set)
		set->pod_flagged[m] = true;
	if (!new_episode(p, &pod->last_anom[m], c->seq, c->warm))
		return;
	f.metric = m;
	f.ns = keytab_key(&p->pods, idx, NULL);
	f.name = key_second(&p->pods, idx);
	f.name_aggr = set ? key_second(&p->sets, setidx) : "";
	f.ip = pod->ip;
	f.actual = x;
	f.threshold = f.own.threshold;
	if (f.has_peers && f.peer.threshold > f.threshold)
		f.threshold = f.peer.threshold;
	f.set_total = set ? set->cur[m] : x;
	f.set_typical = set ? set->score[m].typical : 0;
	f.set_pods = n;
	f.cluster_factor = 1;
	f.start = c->start;
	f.end = c->end;
	c->fn(c->arg, &f);
}

/* Sorts the window's pods by replica set into p->pairs; false on ENOMEM. */
static bool group_pods(struct peers *p)
{
	size_t need = p->ntpods > p->ntsets ? p->ntpods : p->ntsets;

	if (grow((void **)&p->pairs, &p->cappairs, p->ntpods, sizeof(*p->pairs)))
		return false;
	if (need > p->capvals) {
		size_t cap = p->capvals;

		if (grow((void **)&p->vals, &cap, need, sizeof(double)))
			return false;
		cap = p->capvals;
		if (grow((void **)&p->scratch, &cap, need, sizeof(double)))
			return false;
		p->capvals = cap;
	}
	for (size_t i = 0; i < p->ntpods; i++) {
		const struct peers_pod *pod = keytab_val(&p->pods, p->tpods[i]);

		p->pairs[i] = (struct pair){.set = pod->set, .pod = p->tpods[i]};
	}
	qsort(p->pairs, p->ntpods, sizeof(*p->pairs), cmp_pair);
	return true;
}

static size_t group_end(const struct peers *p, size_t a)
{
	size_t b = a + 1;

	if (p->pairs[a].set == KEYTAB_NONE)
		return b; /* a pod whose set was refused stands alone */
	while (b < p->ntpods && p->pairs[b].set == p->pairs[a].set)
		b++;
	return b;
}

static void judge_sets(struct peers *p, const struct judge_ctx *c, const double *factor)
{
	for (size_t i = 0; i < p->ntsets; i++) {
		uint32_t s = p->tsets[i];
		struct peers_set *set = keytab_val(&p->sets, s);

		for (unsigned m = 0; m < p->nmetrics; m++) {
			const struct baseline_score *sc = &set->score[m];
			double x = set->cur[m], thr = sc->threshold * factor[m];
			struct peers_finding f;

			if (!sc->ready || x < thr || x <= sc->typical)
				continue;
			if (set->pod_flagged[m]) {
				set->last_anom[m] = c->seq + 1; /* reported with the pod */
				continue;
			}
			if (!new_episode(p, &set->last_anom[m], c->seq, c->warm))
				continue;
			memset(&f, 0, sizeof(f));
			f.is_set = true;
			f.metric = m;
			f.ns = keytab_key(&p->sets, s, NULL);
			f.name_aggr = key_second(&p->sets, s);
			f.name = "";
			f.ip = "";
			f.actual = x;
			f.threshold = thr;
			f.own = *sc;
			f.set_total = x;
			f.set_typical = sc->typical;
			f.set_pods = set->npods;
			f.cluster_factor = factor[m];
			f.start = c->start;
			f.end = c->end;
			c->fn(c->arg, &f);
		}
	}
}

/* The median over the window's replica sets of value / typical, at least 1 (per metric). */
static void cluster_factors(struct peers *p, double *factor)
{
	for (unsigned m = 0; m < p->nmetrics; m++) {
		size_t n = 0;
		double mad;

		factor[m] = 1;
		for (size_t i = 0; i < p->ntsets; i++) {
			const struct peers_set *set = keytab_val(&p->sets, p->tsets[i]);
			const struct baseline_score *sc = &set->score[m];

			if (sc->ready && sc->typical > 0)
				p->vals[n++] = set->cur[m] / sc->typical;
		}
		if (n >= CLUSTER_MIN_SETS) {
			double med = baseline_median_mad(p->vals, n, &mad);

			if (med > 1)
				factor[m] = med;
		}
	}
}

static void expire(struct peers *p, struct keytab *t, uint64_t seq)
{
	for (size_t i = 0; i < keytab_end(t); i++) {
		uint64_t last;

		if (!keytab_live(t, i))
			continue;
		last = t == &p->pods ? ((struct peers_pod *)keytab_val(t, (uint32_t)i))->last_seq
				     : ((struct peers_set *)keytab_val(t, (uint32_t)i))->last_seq;
		if (seq - last >= p->prm.idle_windows) {
			entry_del(p, t, (uint32_t)i);
			p->st.expired++;
		}
	}
}

void peers_end_window(struct peers *p, uint64_t start, uint64_t end, peers_finding_fn *fn,
		      void *arg)
{
	struct baseline_cfg cfg;
	struct judge_ctx c;
	double factor[PEERS_MAX_METRICS];

	make_cfg(p, &cfg);
	c.cfg = &cfg;
	c.seq = next_seq(p, start, end);
	c.start = start;
	c.end = end;
	c.warm = p->nwin >= p->prm.warmup_windows && start >= p->first_start &&
		 start - p->first_start >= p->prm.warmup_seconds;
	c.fn = fn;
	c.arg = arg;

	if (!group_pods(p)) {
		/* No room to judge this window: its values are lost, and counted. */
		p->st.nomem += p->ntpods + p->ntsets;
		goto next;
	}
	for (size_t a = 0, b; a < p->ntpods; a = b) {
		b = group_end(p, a);
		if (p->pairs[a].set != KEYTAB_NONE)
			((struct peers_set *)keytab_val(&p->sets, p->pairs[a].set))->npods =
				(uint32_t)(b - a);
	}
	/* The replica sets' own histories first: the pods' findings carry the set's typical. */
	for (size_t i = 0; i < p->ntsets; i++) {
		struct peers_set *set = keytab_val(&p->sets, p->tsets[i]);

		set->last_seq = c.seq;
		for (unsigned m = 0; m < p->nmetrics; m++) {
			hist_score(p, &set->h[m], c.seq, set->cur[m], &cfg, &set->score[m]);
			hist_add(p, &set->h[m], c.seq, set->cur[m]);
		}
	}
	cluster_factors(p, factor);
	for (size_t a = 0, b; a < p->ntpods; a = b) {
		b = group_end(p, a);
		for (unsigned m = 0; m < p->nmetrics; m++) {
			double gmed = 0, gmad = 0;

			for (size_t k = a; k < b; k++)
				p->vals[k - a] =
					((struct peers_pod *)keytab_val(&p->pods, p->pairs[k].pod))
						->cur[m];
			if (b - a > PEERS_EXACT_MAX) {
				memcpy(p->scratch, p->vals, (b - a) * sizeof(double));
				gmed = baseline_median_mad(p->scratch, b - a, &gmad);
			}
			for (size_t k = a; k < b; k++)
				judge_pod(p, &c, p->pairs[k].set, p->pairs[k].pod, p->vals, b - a,
					  k - a, m, gmed, gmad);
		}
	}
	judge_sets(p, &c, factor);
next:
	expire(p, &p->pods, c.seq);
	expire(p, &p->sets, c.seq);
	p->ntpods = 0;
	p->ntsets = 0;
	p->nwin++;
	p->seq = c.seq;
	p->last_end = end;
}

size_t peers_memory(const struct peers *p)
{
	return sizeof(*p) + keytab_memory(&p->pods) + keytab_memory(&p->sets) + p->hist_bytes +
	       (p->captpods + p->captsets) * sizeof(uint32_t) + p->cappairs * sizeof(struct pair) +
	       2 * p->capvals * sizeof(double);
}

static size_t pow2_at_least(size_t n)
{
	size_t v = 16;

	while (v < n)
		v *= 2;
	return v;
}

/* A table of max keys of at most keylen bytes, each with nmetrics histories. */
static size_t table_bound(const struct peers *p, const struct keytab *t, size_t keylen)
{
	size_t max = t->max > t->nalloc ? t->max : t->nalloc;
	size_t hist = p->model == PEERS_MAD
			      ? p->nmetrics * (p->prm.history * sizeof(float) + ALLOC_OVERHEAD)
			      : 0;

	return pow2_at_least(2 * max) * sizeof(uint32_t) +
	       max * (sizeof(struct keytab_key) + t->esize + sizeof(uint32_t) + keylen + 1 +
		      ALLOC_OVERHEAD + hist);
}

size_t peers_memory_bound(const struct peers *p)
{
	size_t mp = p->pods.max > p->pods.nalloc ? p->pods.max : p->pods.nalloc;
	size_t ms = p->sets.max > p->sets.nalloc ? p->sets.max : p->sets.nalloc;
	size_t mv = mp > ms ? mp : ms;

	/* The window lists and scratch grow by doubling, so they hold at most twice their use. */
	return sizeof(*p) + table_bound(p, &p->pods, SIDE_NS + SIDE_NAME - 1) +
	       table_bound(p, &p->sets, SIDE_NS + SIDE_AGGR - 1) +
	       pow2_at_least(mp) * (sizeof(uint32_t) + sizeof(struct pair)) +
	       pow2_at_least(ms) * sizeof(uint32_t) + 2 * pow2_at_least(mv) * sizeof(double);
}

void peers_stats(const struct peers *p, struct detect_baseline_stats *out)
{
	*out = p->st;
	out->windows = p->nwin;
	out->pods = p->pods.n;
	out->sets = p->sets.n;
	out->dropped_pods = p->pods.dropped;
	out->dropped_sets = p->sets.dropped;
}

void peers_event(const struct peers_finding *f, const char *origin, const char *metric,
		 bool pod_is_src, struct sec_event *e)
{
	struct event_side *side = pod_is_src ? &e->src : &e->dst;
	char key[KEY_MAX + SIDE_NAME + 64];

	event_init(e);
	utf8_copy(e->type, sizeof(e->type), "anomaly_detection_job");
	utf8_copy(e->origin, sizeof(e->origin), origin);
	e->time = f->end;
	e->window_start = f->start;
	e->window_end = f->end;
	e->severity = f->actual >= 2 * f->threshold ? EVENT_SEVERITY_HIGH : EVENT_SEVERITY_MEDIUM;
	utf8_copy(side->ip, sizeof(side->ip), f->ip);
	utf8_copy(side->name, sizeof(side->name), f->name);
	utf8_copy(side->name_aggr, sizeof(side->name_aggr), f->name_aggr);
	utf8_copy(side->ns, sizeof(side->ns), f->ns);
	e->actual = f->actual;
	e->has_typical = true;
	e->typical = f->has_peers ? f->peer.typical : f->own.typical;
	e->has_threshold = true;
	e->threshold = f->threshold;
	if (f->is_set)
		snprintf(key, sizeof(key), "replica_set:%s/%s:%s", f->ns, f->name_aggr, metric);
	else
		snprintf(key, sizeof(key), "pod:%s/%s:%s", f->ns, f->name, metric);
	event_set_id(e, key);

	event_add_str(e, "entity", f->is_set ? "replica_set" : "pod");
	event_add_str(e, "metric", metric);
	event_add_num(e, "z_score", f->has_peers ? f->peer.z : f->own.z);
	if (f->is_set) {
		event_add_num(e, "spread", f->own.spread);
		event_add_num(e, "samples", (double)f->own.samples);
		event_add_num(e, "cluster_factor", f->cluster_factor);
		event_add_num(e, "pods", (double)f->set_pods);
		return;
	}
	event_add_num(e, "own_typical", f->own.typical);
	event_add_num(e, "own_spread", f->own.spread);
	event_add_num(e, "own_z_score", f->own.z);
	event_add_num(e, "own_samples", (double)f->own.samples);
	event_add_num(e, "peers", (double)f->npeers);
	if (f->has_peers) {
		event_add_num(e, "peer_median", f->peer.typical);
		event_add_num(e, "peer_spread", f->peer.spread);
	}
	event_add_num(e, "replica_set_total", f->set_total);
	event_add_num(e, "replica_set_typical", f->set_typical);
	event_add_num(e, "replica_set_pods", (double)f->set_pods);
}

void peers_baseline_params(struct peers_params *prm, double floor, double spread_floor)
{
	*prm = (struct peers_params){
		.sensitivity = 1.0,
		.warmup_windows = DETECT_BASELINE_WARMUP_WINDOWS,
		.warmup_seconds = DETECT_BASELINE_WARMUP_SECONDS,
		.history = DETECT_BASELINE_HISTORY,
		.z_threshold = DETECT_BASELINE_Z,
		.min_ratio = DETECT_BASELINE_RATIO,
		.floor = floor,
		.spread_floor = spread_floor,
		.spread_floor_ratio = 0.1,
		.min_peers = 2,
		.rearm_windows = DETECT_BASELINE_REARM_WINDOWS,
		.idle_windows = DETECT_BASELINE_IDLE_WINDOWS,
		.max_pods = DETECT_BASELINE_MAX_PODS,
		.max_sets = DETECT_BASELINE_MAX_SETS,
	};
}

void peers_job_destroy(void *st)
{
	peers_free(st);
}

int peers_job_set_param(void *st, const char *name, double value)
{
	return peers_set_param(st, name, value);
}

size_t peers_job_memory(const void *st)
{
	return peers_memory(st);
}

struct emit_ctx {
	peers_describe_fn *describe;
	detect_emit_fn *emit;
	void *arg;
};

static void emit_finding(void *arg, const struct peers_finding *f)
{
	const struct emit_ctx *c = arg;
	struct sec_event e;

	c->describe(f, &e);
	c->emit(c->arg, &e);
}

void peers_job_end_window(void *st, uint64_t start, uint64_t end, peers_describe_fn *describe,
			  detect_emit_fn *emit, void *arg)
{
	struct emit_ctx c = {describe, emit, arg};

	peers_end_window(st, start, end, emit_finding, &c);
}
