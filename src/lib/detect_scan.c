/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/detect_scan.h"

#include "lib/distinct.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Scans and sweeps (DESIGN §7, docs/detectors.md).  Every job counts, per key, the distinct
 * values its records carry over a sliding span of windows:
 *
 *   job                 key                              value
 *   ip_sweep_external   source (IP, or aggregate)        destination in the cluster
 *   ip_sweep_pods       source pod (IP, or aggregate)    destination in the cluster
 *   port_scan_external  source and destination IP        destination port and protocol
 *   port_scan_pods      source and destination IP        destination port and protocol
 *
 * A key is a 64-bit hash (of the source IP, or "type/namespace/name_aggr" when the IP was
 * aggregated away, plus the destination IP for port scans); keys hold an exact set capped at
 * threshold + 2 (struct distinct) whose values carry the start of the last window that saw
 * them, so the span slides by expiring old values at the end of each window.  A key that
 * reaches the threshold gets an alert: the texts of its source (and target) copied from the
 * record that crossed, a few sample values, a HyperLogLog that estimates how far the key
 * went past its capped set, and the time of its last event, which suppresses repeats until
 * the key falls below the threshold or realert_seconds pass.
 *
 * Memory: keys live in one array (swap-removed) found through an open-addressing index of
 * positions (load at most 1/2); at max_keys a new key evicts, among a few sampled keys, the
 * one with the fewest values, the oldest among those, so a flood of one-off sources cannot
 * push out a scanner that is close to its threshold.  Alerts are capped by max_alerts.
 */

#define SCAN_SAMPLES	   5
#define SCAN_SAMPLE_SIZE   64
#define SCAN_EVICT_SAMPLES 8

enum {
	SCAN_UNUSED = 1, /* the key reached an address that no pod holds */
	SCAN_NOSLOT = 2, /* over the threshold, but max_alerts were in use this window */
};

struct scan_def {
	const char *name;
	bool ports; /* port scan: keyed by (source, destination IP), counting ports */
	bool pods;  /* sources are pods (wep), else outside the cluster (net, ns) */
	uint32_t threshold;
	const char *mitre_id, *mitre_tactic;
};

static const struct scan_def def_ip_sweep_external = {
	"ip_sweep_external", false, false, DETECT_SWEEP_THRESHOLD, "T1595.001", "Reconnaissance",
};
static const struct scan_def def_ip_sweep_pods = {
	"ip_sweep_pods", false, true, DETECT_SWEEP_THRESHOLD, "T1018", "Discovery",
};
static const struct scan_def def_port_scan_external = {
	"port_scan_external", true, false, DETECT_PORT_SCAN_THRESHOLD, "T1595", "Reconnaissance",
};
static const struct scan_def def_port_scan_pods = {
	"port_scan_pods", true, true, DETECT_PORT_SCAN_THRESHOLD, "T1046", "Discovery",
};

struct scan_alert {
	char key[384]; /* the key as text, for the event id */
	struct event_side src, dst;
	char dst_type[8]; /* port scans: the target's type */
	char samples[SCAN_SAMPLES][SCAN_SAMPLE_SIZE];
	uint32_t nsamples;
	uint64_t alerted_at; /* end of the window of the last event; 0: none yet */
	uint32_t since;	     /* the oldest stamp the sketch covers */
	struct hll hll;
};

struct scan_key {
	uint64_t key;
	struct scan_alert *alert;
	struct distinct set;
	uint32_t last_seen; /* start of the last window with a counted record */
	uint8_t flags;
};

struct scan {
	const struct scan_def *def;
	double sensitivity;
	uint32_t threshold, span, realert, warmup, max_keys, max_alerts;
	bool group_answered;
	uint64_t windows;
	struct scan_key *keys;
	uint32_t nkeys, capkeys;
	uint32_t *index; /* position + 1 in keys; 0: free */
	uint32_t icap;
	uint32_t nalerts;
	uint64_t rng;
	struct detect_scan_stats st;
};

/* ---- parameters ------------------------------------------------------------------------- */

/* The threshold after sensitivity: ceil(threshold / sensitivity) in 1..MAX_THRESHOLD. */
static uint32_t eff_threshold(const struct scan *s)
{
	double t = ceil((double)s->threshold / s->sensitivity - 1e-9);

	if (!(t >= 1))
		return 1;
	if (t > DETECT_SCAN_MAX_THRESHOLD)
		return DETECT_SCAN_MAX_THRESHOLD;
	return (uint32_t)t;
}

static uint32_t eff_limit(const struct scan *s)
{
	return eff_threshold(s) + 2;
}

static void *scan_create(const struct scan_def *def)
{
	struct scan *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->def = def;
	s->sensitivity = 1.0;
	s->threshold = def->threshold;
	s->span = DETECT_SCAN_SPAN_SECONDS;
	s->realert = DETECT_SCAN_REALERT_SECONDS;
	s->max_keys = DETECT_SCAN_MAX_KEYS;
	s->max_alerts = DETECT_SCAN_MAX_ALERTS;
	s->group_answered = true;
	s->rng = 0x853c49e6748fea9bULL;
	return s;
}

static void *create_ip_sweep_external(void)
{
	return scan_create(&def_ip_sweep_external);
}

static void *create_ip_sweep_pods(void)
{
	return scan_create(&def_ip_sweep_pods);
}

static void *create_port_scan_external(void)
{
	return scan_create(&def_port_scan_external);
}

static void *create_port_scan_pods(void)
{
	return scan_create(&def_port_scan_pods);
}

static void alert_free(struct scan *s, struct scan_key *k)
{
	if (!k->alert)
		return;
	free(k->alert);
	k->alert = NULL;
	s->nalerts--;
}

static void scan_destroy(void *p)
{
	struct scan *s = p;

	if (!s)
		return;
	for (uint32_t i = 0; i < s->nkeys; i++) {
		distinct_fini(&s->keys[i].set);
		free(s->keys[i].alert);
	}
	free(s->keys);
	free(s->index);
	free(s);
}

/* An integer parameter in lo..hi; false for fractions, NaN and out-of-range values. */
static bool int_param(double v, double lo, double hi, uint32_t *out)
{
	if (!(v >= lo && v <= hi) || v != floor(v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static void evict_one(struct scan *s);
static int index_resize(struct scan *s, uint32_t cap);

/* Lowers max_keys: evicts down to it and gives the array and index back. */
static void shrink_keys(struct scan *s)
{
	struct scan_key *nk;
	uint32_t icap = 128;

	while (s->nkeys > s->max_keys)
		evict_one(s);
	if (s->capkeys > s->max_keys) {
		nk = realloc(s->keys, (size_t)s->max_keys * sizeof(*nk));
		if (nk) {
			s->keys = nk;
			s->capkeys = s->max_keys;
		}
	}
	while (icap < 2 * (uint64_t)s->max_keys && icap < (1u << 31))
		icap *= 2;
	if (s->icap > icap)
		(void)index_resize(s, icap);
}

static int scan_set_param(void *p, const char *name, double v)
{
	struct scan *s = p;
	uint32_t u;

	if (!strcmp(name, "sensitivity")) {
		if (!(v > 0 && v <= 1e6))
			return -EINVAL;
		s->sensitivity = v;
	} else if (!strcmp(name, "warmup_windows")) {
		if (!int_param(v, 0, 1e6, &u))
			return -EINVAL;
		s->warmup = u;
	} else if (!strcmp(name, "threshold")) {
		if (!int_param(v, 1, DETECT_SCAN_MAX_THRESHOLD, &u))
			return -EINVAL;
		s->threshold = u;
	} else if (!strcmp(name, "span_seconds")) {
		if (!int_param(v, 1, 86400, &u))
			return -EINVAL;
		s->span = u;
	} else if (!strcmp(name, "realert_seconds")) {
		if (!int_param(v, 0, 7 * 86400, &u))
			return -EINVAL;
		s->realert = u;
	} else if (!strcmp(name, "max_keys")) {
		if (!int_param(v, 16, 1e8, &u))
			return -EINVAL;
		s->max_keys = u;
		shrink_keys(s);
	} else if (!strcmp(name, "max_alerts")) {
		if (!int_param(v, 1, 1e6, &u))
			return -EINVAL;
		s->max_alerts = u; /* alerts held beyond a lowered cap end with their episode */
	} else if (!strcmp(name, "group_answered") && !s->def->ports) {
		if (v != 0.0 && v != 1.0)
			return -EINVAL;
		s->group_answered = v == 1.0;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ---- keys -------------------------------------------------------------------------------- */

static uint32_t index_slot(const struct scan *s, uint64_t key)
{
	uint32_t mask = s->icap - 1, i = (uint32_t)key & mask;

	while (s->index[i] && s->keys[s->index[i] - 1].key != key)
		i = (i + 1) & mask;
	return i;
}

static int index_resize(struct scan *s, uint32_t cap)
{
	uint32_t *old = s->index;

	s->index = calloc(cap, sizeof(*s->index));
	if (!s->index) {
		s->index = old;
		return -ENOMEM;
	}
	s->icap = cap;
	for (uint32_t i = 0; i < s->nkeys; i++)
		s->index[index_slot(s, s->keys[i].key)] = i + 1;
	free(old);
	return 0;
}

/* Frees index slot i, shifting the rest of its cluster back. */
static void index_del(struct scan *s, uint32_t i)
{
	uint32_t mask = s->icap - 1, j = i;

	s->index[i] = 0;
	for (;;) {
		uint32_t home;
		bool stays;

		j = (j + 1) & mask;
		if (!s->index[j])
			return;
		home = (uint32_t)s->keys[s->index[j] - 1].key & mask;
		if (i <= j)
			stays = home > i && home <= j;
		else
			stays = home > i || home <= j;
		if (stays)
			continue;
		s->index[i] = s->index[j];
		s->index[j] = 0;
		i = j;
	}
}

static void key_remove(struct scan *s, uint32_t pos)
{
	struct scan_key *k = &s->keys[pos];
	uint32_t last = s->nkeys - 1;

	index_del(s, index_slot(s, k->key));
	distinct_fini(&k->set);
	alert_free(s, k);
	if (pos != last) {
		s->keys[pos] = s->keys[last];
		s->index[index_slot(s, s->keys[pos].key)] = pos + 1;
	}
	s->nkeys--;
}

static uint64_t next_rand(struct scan *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* Drops the least promising of a few sampled keys: fewest values, then oldest. */
static void evict_one(struct scan *s)
{
	uint32_t best = 0;

	for (int t = 0; t < SCAN_EVICT_SAMPLES; t++) {
		uint32_t pos = (uint32_t)(next_rand(s) % s->nkeys);
		const struct scan_key *a = &s->keys[pos], *b = &s->keys[best];
		uint32_t na = distinct_count(&a->set), nb = distinct_count(&b->set);

		if (!t || na < nb || (na == nb && a->last_seen < b->last_seen))
			best = pos;
	}
	key_remove(s, best);
	s->st.evicted++;
}

/* The position of key, added (evicting one when full) if new; -ENOMEM. */
static long key_get(struct scan *s, uint64_t key)
{
	struct scan_key *k;
	uint32_t slot;

	if (s->icap) {
		slot = index_slot(s, key);
		if (s->index[slot])
			return s->index[slot] - 1;
	}
	while (s->nkeys >= s->max_keys)
		evict_one(s);
	if (s->nkeys == s->capkeys) {
		uint32_t cap = s->capkeys ? s->capkeys * 2 : 64;

		if (cap > s->max_keys || cap < s->capkeys)
			cap = s->max_keys;
		k = realloc(s->keys, (size_t)cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		s->keys = k;
		s->capkeys = cap;
	}
	if (((uint64_t)s->nkeys + 1) * 2 > s->icap && index_resize(s, s->icap ? s->icap * 2 : 128))
		return -ENOMEM;
	slot = index_slot(s, key);
	k = &s->keys[s->nkeys];
	memset(k, 0, sizeof(*k));
	k->key = key;
	distinct_init(&k->set);
	s->index[slot] = ++s->nkeys;
	return s->nkeys - 1;
}

/* ---- records ----------------------------------------------------------------------------- */

static bool is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/* Whether the flow went to an address no pod holds (the __NO_ENDPOINT__ decision). */
static bool no_endpoint(const struct flowlog_rec *r)
{
	for (size_t i = 0; i < r->npolicies; i++)
		if (strstr(r->policies[i], "|__NO_ENDPOINT__|"))
			return true;
	return false;
}

/*
 * Whether r is one the job counts, and on which report.  External sources (net, ns) are only
 * ever reported by the destination's node; a pod source is counted on its own node's report,
 * or on the destination's when no endpoint holds the address (no source report names it as
 * such).  Destinations must be in the cluster: a pod, an unused pod address, and for port
 * scans a host endpoint too (sweeps leave those out: load balancers and node monitors reach
 * every node).
 */
static bool relevant(const struct scan *s, const struct flowlog_rec *r, bool *unused)
{
	const struct flowlog_side *d = &r->dst;

	*unused = no_endpoint(r);
	if (s->def->pods) {
		if (!is(r->src.type, "wep"))
			return false;
		if (!is(r->reporter, "src") && !(is(r->reporter, "dst") && *unused))
			return false;
	} else {
		if (!is(r->src.type, "net") && !is(r->src.type, "ns"))
			return false;
		if (!is(r->reporter, "dst"))
			return false;
	}
	if (is(d->type, "wep")) {
		if (r->src.ip[0] && is(r->src.ip, d->ip))
			return false; /* a pod talking to itself */
	} else if (!(*unused && is(d->type, "net") && is(d->name_aggr, "pvt")) &&
		   !(s->def->ports && is(d->type, "hep"))) {
		return false;
	}
	return !s->def->ports || d->port >= 0;
}

static uint64_t hash_str(const char *str, uint64_t seed)
{
	return distinct_hash(str, strlen(str), seed);
}

static uint64_t source_key(const struct flowlog_rec *r)
{
	if (r->src.ip[0])
		return hash_str(r->src.ip, 1);
	return hash_str(r->src.name_aggr, hash_str(r->src.ns, hash_str(r->src.type, 2)));
}

/* A sweep counts a pod that answered an allowed flow once per workload (group_answered). */
static bool answered_workload(const struct scan *s, const struct flowlog_rec *r)
{
	return s->group_answered && is(r->dst.type, "wep") && is(r->action, "allow") &&
	       r->num_flows_unanswered < r->num_flows && !is(r->dst.name_aggr, "-");
}

/* The value r counts, as text for the samples (cut at a character boundary). */
static void sample_text(const struct scan *s, const struct flowlog_rec *r, char *out, size_t size)
{
	char t[sizeof(r->dst.ns) + sizeof(r->dst.name_aggr) + sizeof(r->proto) + 16];

	if (s->def->ports)
		snprintf(t, sizeof(t), "%d/%s", r->dst.port, r->proto);
	else if (answered_workload(s, r))
		snprintf(t, sizeof(t), "%s/%s", r->dst.ns, r->dst.name_aggr);
	else
		snprintf(t, sizeof(t), "%s", r->dst.ip);
	utf8_copy(out, size, t);
}

static void add_sample(struct scan_alert *a, const struct scan *s, const struct flowlog_rec *r)
{
	char t[SCAN_SAMPLE_SIZE];

	if (a->nsamples == SCAN_SAMPLES)
		return;
	sample_text(s, r, t, sizeof(t));
	for (uint32_t i = 0; i < a->nsamples; i++)
		if (is(a->samples[i], t))
			return;
	memcpy(a->samples[a->nsamples++], t, sizeof(t));
}

/* An event side from a record's side: "-" names are none, ports stay -1. */
static void side_copy(struct event_side *e, const struct flowlog_side *f)
{
	utf8_copy(e->ip, sizeof(e->ip), f->ip);
	e->port = -1;
	utf8_copy(e->name, sizeof(e->name), is(f->name, "-") ? "" : f->name);
	utf8_copy(e->name_aggr, sizeof(e->name_aggr), is(f->name_aggr, "-") ? "" : f->name_aggr);
	utf8_copy(e->ns, sizeof(e->ns), is(f->ns, "-") ? "" : f->ns);
}

/*
 * (Re)starts a's sketch from what the key's exact set holds: it then estimates the distinct
 * values seen since the oldest of them, however many the capped set had to let go.
 */
static void alert_seed(struct scan_alert *a, const struct distinct *set)
{
	uint64_t buf[64];
	size_t n = distinct_count(set);
	uint64_t *v = n <= 64 ? buf : malloc(n * sizeof(*v));

	hll_init(&a->hll);
	a->since = distinct_min_stamp(set);
	if (!v) {
		/* Without the seed the estimate only starts lower; the exact count still holds. */
		return;
	}
	n = distinct_values(set, v, n);
	for (size_t i = 0; i < n; i++)
		hll_add(&a->hll, v[i]);
	if (v != buf)
		free(v);
}

static void alert_new(struct scan *s, struct scan_key *k, const struct flowlog_rec *r)
{
	struct scan_alert *a;

	if (s->nalerts >= s->max_alerts) {
		k->flags |= SCAN_NOSLOT;
		s->st.alerts_dropped++;
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		s->st.nomem++;
		return;
	}
	s->nalerts++;
	side_copy(&a->src, &r->src);
	a->dst.port = -1;
	if (s->def->ports) {
		side_copy(&a->dst, &r->dst);
		snprintf(a->dst_type, sizeof(a->dst_type), "%s", r->dst.type);
	}
	if (r->src.ip[0])
		snprintf(a->key, sizeof(a->key), "%s", r->src.ip);
	else
		snprintf(a->key, sizeof(a->key), "%s/%s/%s", r->src.type, r->src.ns,
			 r->src.name_aggr);
	if (s->def->ports) {
		size_t n = strlen(a->key);

		snprintf(a->key + n, sizeof(a->key) - n, ">%s", r->dst.ip);
	}
	alert_seed(a, &k->set);
	add_sample(a, s, r);
	k->alert = a;
}

static void scan_add(void *p, const struct flowlog_rec *r)
{
	struct scan *s = p;
	struct scan_key *k;
	uint32_t stamp, stale, limit = eff_limit(s);
	uint64_t key, v;
	bool unused;
	long pos;
	int rc;

	if (!relevant(s, r, &unused))
		return;
	s->st.records++;
	key = source_key(r);
	if (s->def->ports) {
		if (!r->dst.ip[0]) {
			s->st.unkeyed++;
			return;
		}
		key = hash_str(r->dst.ip, key);
		v = hash_str(r->proto, 5 + (uint64_t)r->dst.port);
	} else if (answered_workload(s, r)) {
		v = hash_str(r->dst.name_aggr, hash_str(r->dst.ns, 3));
	} else {
		if (!r->dst.ip[0]) {
			s->st.unkeyed++;
			return;
		}
		v = hash_str(r->dst.ip, 4);
	}
	stamp = r->start_time > UINT32_MAX ? UINT32_MAX : (uint32_t)r->start_time;
	stale = r->end_time > UINT32_MAX ? UINT32_MAX : (uint32_t)r->end_time;
	stale = stale > s->span ? stale - s->span : 0;

	pos = key_get(s, key);
	if (pos < 0) {
		s->st.nomem++;
		return;
	}
	k = &s->keys[pos];
	rc = distinct_add(&k->set, v, stamp, limit, stale);
	if (rc < 0) {
		s->st.nomem++;
		if (!distinct_count(&k->set))
			key_remove(s, (uint32_t)pos);
		return;
	}
	if (rc == DISTINCT_REFUSED)
		s->st.refused++;
	if (unused)
		k->flags |= SCAN_UNUSED;
	if (k->last_seen < stamp)
		k->last_seen = stamp;
	if (k->alert) {
		hll_add(&k->alert->hll, v);
		if (rc != DISTINCT_HELD)
			add_sample(k->alert, s, r);
	} else if (distinct_count(&k->set) >= eff_threshold(s) && !(k->flags & SCAN_NOSLOT)) {
		alert_new(s, k, r);
	}
}

/* ---- events ------------------------------------------------------------------------------ */

/* "pod ns/name (ip)", "198.51.100.66 (set)", "host endpoint node-1 (ip)", ... into out. */
static void describe_side(const struct event_side *e, const char *type, char *out, size_t size)
{
	const char *name = e->name[0] ? e->name : e->name_aggr;

	if (is(type, "hep")) {
		snprintf(out, size, "host endpoint %s (%s)", name, e->ip);
	} else if (is(type, "wep")) {
		if (e->ip[0])
			snprintf(out, size, "pod %s%s%s (%s)", e->ns, e->ns[0] ? "/" : "", name,
				 e->ip);
		else
			snprintf(out, size, "pods %s%s%s", e->ns, e->ns[0] ? "/" : "", name);
	} else if (e->ip[0]) {
		if (name[0] && !is(name, "pub") && !is(name, "pvt"))
			snprintf(out, size, "%s (%s)", e->ip, name);
		else
			snprintf(out, size, "%s", e->ip);
	} else {
		snprintf(out, size, "%s%s%s", e->ns, e->ns[0] ? "/" : "", name);
	}
}

static int severity_of(const struct scan *s, const struct scan_key *k)
{
	if (s->def->pods)
		return EVENT_SEVERITY_HIGH;
	if (!s->def->ports && (k->flags & SCAN_UNUSED))
		return EVENT_SEVERITY_HIGH;
	return EVENT_SEVERITY_MEDIUM;
}

static void scan_emit(struct scan *s, struct scan_key *k, uint64_t end, detect_emit_fn *emit,
		      void *arg)
{
	struct scan_alert *a = k->alert;
	uint32_t n = distinct_count(&k->set), thr = eff_threshold(s);
	char who[384], target[384], samples[SCAN_SAMPLES * (SCAN_SAMPLE_SIZE + 1)];
	struct sec_event *e;
	double actual = n;
	bool estimated = false;
	size_t len = 0;

	e = malloc(sizeof(*e));
	if (!e) {
		s->st.nomem++;
		return;
	}
	if (distinct_over(&k->set)) {
		double est = round(hll_estimate(&a->hll));

		actual = est > n ? est : n + 1;
		estimated = true;
	}
	event_init(e);
	e->time = end;
	snprintf(e->type, sizeof(e->type), "anomaly_detection_job");
	snprintf(e->origin, sizeof(e->origin), "%s", s->def->name);
	e->severity = severity_of(s, k);
	e->src = a->src;
	e->dst = a->dst;
	e->actual = actual;
	e->has_threshold = true;
	e->threshold = thr;
	/* The window the count covers: the values held, or all the sketch saw. */
	e->window_start = estimated ? a->since : distinct_min_stamp(&k->set);
	if (e->window_start > end)
		e->window_start = end;
	e->window_end = end;
	event_set_id(e, a->key);

	describe_side(&e->src, s->def->pods ? "wep" : "", who, sizeof(who));
	if (s->def->ports) {
		if (is(a->dst_type, "net"))
			snprintf(target, sizeof(target), "unused address %s", e->dst.ip);
		else
			describe_side(&e->dst, a->dst_type, target, sizeof(target));
		event_describe(
			e, "%s tried %s%.0f distinct ports on %s in %" PRIu64 " s (threshold %u)",
			who, estimated ? "about " : "", actual, target,
			e->window_end - e->window_start, thr);
	} else {
		event_describe(e,
			       "%s sent to %s%.0f distinct destinations in the cluster in %" PRIu64
			       " s (threshold %u)",
			       who, estimated ? "about " : "", actual,
			       e->window_end - e->window_start, thr);
	}

	samples[0] = '\0';
	for (uint32_t i = 0; i < a->nsamples; i++)
		len += (size_t)snprintf(samples + len, sizeof(samples) - len, "%s%s", i ? "," : "",
					a->samples[i]);
	event_add_num(e, "distinct_held", n);
	event_add_num(e, "limit", eff_limit(s));
	event_add_num(e, "estimated", estimated);
	event_add_num(e, "span_seconds", s->span);
	if (!s->def->ports)
		event_add_num(e, "unused_addresses", !!(k->flags & SCAN_UNUSED));
	event_add_str(e, s->def->ports ? "sample_ports" : "sample_destinations", samples);
	snprintf(e->mitre_ids[0], sizeof(e->mitre_ids[0]), "%s", s->def->mitre_id);
	e->nmitre = 1;
	snprintf(e->mitre_tactic, sizeof(e->mitre_tactic), "%s", s->def->mitre_tactic);
	snprintf(e->attack_vector, sizeof(e->attack_vector), "Network");
	emit(arg, e);
	free(e);

	a->alerted_at = end;
	alert_seed(a, &k->set);
	s->st.events++;
}

static void scan_end_window(void *p, uint64_t start, uint64_t end, detect_emit_fn *emit, void *arg)
{
	struct scan *s = p;
	uint32_t thr = eff_threshold(s), cutoff;

	s->windows++;
	cutoff = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
	cutoff = cutoff > s->span ? cutoff - s->span : 0;
	for (uint32_t i = 0; i < s->nkeys;) {
		struct scan_key *k = &s->keys[i];

		if (k->last_seen < cutoff) {
			key_remove(s, i);
			s->st.expired++;
			continue;
		}
		distinct_expire(&k->set, cutoff);
		if (!distinct_count(&k->set)) {
			key_remove(s, i);
			s->st.expired++;
			continue;
		}
		k->flags &= (uint8_t)~SCAN_NOSLOT;
		if (distinct_count(&k->set) < thr) {
			alert_free(s, k);
		} else if (k->alert && s->windows > s->warmup && emit &&
			   (!k->alert->alerted_at || end - k->alert->alerted_at >= s->realert)) {
			scan_emit(s, k, end, emit, arg);
		}
		i++;
	}
}

static size_t scan_memory(const void *p)
{
	const struct scan *s = p;
	size_t m = sizeof(*s) + (size_t)s->capkeys * sizeof(*s->keys) +
		   (size_t)s->icap * sizeof(*s->index) +
		   (size_t)s->nalerts * sizeof(struct scan_alert);

	for (uint32_t i = 0; i < s->nkeys; i++)
		m += distinct_memory(&s->keys[i].set);
	return m;
}

size_t detect_scan_memory_bound(const void *p)
{
	const struct scan *s = p;
	uint64_t icap = 128;
	uint32_t alerts = s->max_alerts > s->nalerts ? s->max_alerts : s->nalerts;
	uint32_t keys = s->max_keys > s->capkeys ? s->max_keys : s->capkeys;

	/* The index doubles while (n + 1) * 2 > icap, from 128. */
	while (icap < 2 * (uint64_t)s->max_keys)
		icap *= 2;
	if (icap < s->icap)
		icap = s->icap;
	return sizeof(*s) + (size_t)icap * sizeof(*s->index) + (size_t)keys * sizeof(*s->keys) +
	       (size_t)s->max_keys * distinct_memory_max(eff_limit(s)) +
	       (size_t)alerts * sizeof(struct scan_alert);
}

void detect_scan_stats(const void *p, struct detect_scan_stats *out)
{
	const struct scan *s = p;

	*out = s->st;
	out->keys = s->nkeys;
	out->alerting = s->nalerts;
}

const struct detect_job_ops detect_ip_sweep_external = {
	.name = "ip_sweep_external",
	.description = "addresses outside the cluster sending to many distinct destinations in it",
	.create = create_ip_sweep_external,
	.destroy = scan_destroy,
	.set_param = scan_set_param,
	.add = scan_add,
	.end_window = scan_end_window,
	.memory = scan_memory,
};

const struct detect_job_ops detect_ip_sweep_pods = {
	.name = "ip_sweep_pods",
	.description = "pods sending to many distinct destinations in the cluster",
	.create = create_ip_sweep_pods,
	.destroy = scan_destroy,
	.set_param = scan_set_param,
	.add = scan_add,
	.end_window = scan_end_window,
	.memory = scan_memory,
};

const struct detect_job_ops detect_port_scan_external = {
	.name = "port_scan_external",
	.description = "addresses outside the cluster trying many ports on one target in it",
	.create = create_port_scan_external,
	.destroy = scan_destroy,
	.set_param = scan_set_param,
	.add = scan_add,
	.end_window = scan_end_window,
	.memory = scan_memory,
};

const struct detect_job_ops detect_port_scan_pods = {
	.name = "port_scan_pods",
	.description = "pods trying many ports on one target in the cluster",
	.create = create_port_scan_pods,
	.destroy = scan_destroy,
	.set_param = scan_set_param,
	.add = scan_add,
	.end_window = scan_end_window,
	.memory = scan_memory,
};
