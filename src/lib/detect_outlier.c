/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pod_outlier_ip_activity (docs/detectors.md): after a learning period, a pod reaching a
 * destination that no pod of its replica set has used during the learning period or since.
 *
 * Counted: the source's reports (reporter "src") of flows from pods (source_type wep), allowed
 * or denied; every flow a pod starts is reported by its own node, so the destination's
 * report would only count it twice.
 *
 * A destination is what stays the same while the destination's pods come and go:
 *   - a pod (wep): its namespace and name_aggr, with the Deployment's pod-template-hash taken
 *     out ("nginx-7d9f8c6b5-*" with label pod-template-hash=7d9f8c6b5 is "nginx-*"), so that a
 *     rolling update of the destination, which brings new pods, new addresses and a new
 *     ReplicaSet, is not new;
 *   - a host endpoint (hep) or network set (ns): its namespace and name;
 *   - any other address (net): the address, or its prefix of prefix_v4 / prefix_v6 bits.
 * A net record whose address was aggregated away (kind 3) cannot be judged and is counted.
 *
 * Per replica set (source namespace and name_aggr) the destinations are an exact set of
 * 64-bit hashes, open addressing, at most max_destinations; a set that fills up stops
 * learning, is counted as saturated, and its new destinations from then on are counted as
 * unjudged rather than reported (a workload that talks to that many places has no profile to
 * stand out from).  A replica set learns for learning_windows windows from its first record;
 * after that, each window with at least min_new new destinations is an anomaly of the set,
 * reported once per episode with the first pod and destination, and the new destinations are
 * learnt.
 */
#include "lib/detect_baseline.h"
#include "lib/cidr.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/keytab.h"
#include "lib/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOC_OVERHEAD 16
#define SIDE_NS	       sizeof(((struct flowlog_side *)0)->ns)
#define SIDE_AGGR      sizeof(((struct flowlog_side *)0)->name_aggr)
#define KEY_MAX	       (SIDE_NS + SIDE_AGGR)
#define HASH_TEMPLATE  "pod-template-hash="

struct outlier_params {
	double sensitivity;
	uint64_t warmup_windows, warmup_seconds;
	uint64_t learning_windows;
	double min_new;
	uint32_t max_destinations;
	size_t max_sets;
	uint64_t rearm_windows, idle_windows;
	unsigned prefix_v4, prefix_v6;
};

/* One source replica set. */
struct oset {
	uint64_t first_win; /* windows ended when the set was first seen */
	uint64_t last_win;  /* windows ended at its last record */
	uint64_t last_anom; /* windows ended + 1 at its last anomalous window; 0 never */
	uint64_t *dest;	    /* destination hashes, 0 = empty slot */
	uint32_t dcap;	    /* slots: 0 or a power of two, load at most 1/2 */
	uint32_t n;	    /* destinations held */
	uint32_t pending;   /* index + 1 of its entry in the window's pending list, 0 none */
	bool saturated;
};

/* A replica set with new destinations in the window being built, and the evidence. */
struct pending {
	uint32_t set;
	uint32_t nnew;		    /* new destinations */
	uint32_t known;		    /* destinations held before the first of them */
	struct event_side src, dst; /* the first pod and destination */
	char dst_type[8];
	char list[256]; /* the new destinations, ", "-separated, as many as fit */
};

struct outlier {
	struct outlier_params prm;
	struct keytab sets;
	struct pending *pend;
	size_t npend, cappend;
	size_t dest_bytes;
	uint64_t nwin;
	uint64_t first_start;
	bool have_first;
	struct detect_baseline_stats st;
};

static const struct outlier_params outlier_defaults = {
	.sensitivity = 1.0,
	.warmup_windows = DETECT_BASELINE_WARMUP_WINDOWS,
	.warmup_seconds = DETECT_BASELINE_WARMUP_SECONDS,
	.learning_windows = DETECT_OUTLIER_LEARNING_WINDOWS,
	.min_new = 1,
	.max_destinations = DETECT_OUTLIER_MAX_DESTINATIONS,
	.max_sets = DETECT_OUTLIER_MAX_SETS,
	.rearm_windows = DETECT_BASELINE_REARM_WINDOWS,
	.idle_windows = DETECT_OUTLIER_IDLE_WINDOWS,
	.prefix_v4 = 32,
	.prefix_v6 = 128,
};

static void *outlier_create(void)
{
	struct outlier *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->prm = outlier_defaults;
	keytab_init(&o->sets, sizeof(struct oset), o->prm.max_sets);
	return o;
}

static void set_del(struct outlier *o, uint32_t idx)
{
	struct oset *s = keytab_val(&o->sets, idx);

	if (s->dest)
		o->dest_bytes -= s->dcap * sizeof(*s->dest) + ALLOC_OVERHEAD;
	free(s->dest);
	keytab_del(&o->sets, idx);
}

static void outlier_destroy(void *st)
{
	struct outlier *o = st;

	if (!o)
		return;
	for (size_t i = 0; i < keytab_end(&o->sets); i++)
		if (keytab_live(&o->sets, i))
			set_del(o, (uint32_t)i);
	keytab_fini(&o->sets);
	free(o->pend);
	free(o);
}

static bool whole(double v, double lo, double hi)
{
	return v >= lo && v <= hi && v == floor(v);
}

static int outlier_set_param(void *st, const char *name, double v)
{
	struct outlier *o = st;
	struct outlier_params q = o->prm;

	if (!strcmp(name, "sensitivity") && isfinite(v) && v > 0 && v <= 1e6)
		q.sensitivity = v;
	else if (!strcmp(name, "warmup_windows") && whole(v, 0, 1e9))
		q.warmup_windows = (uint64_t)v;
	else if (!strcmp(name, "warmup_seconds") && whole(v, 0, 1e12))
		q.warmup_seconds = (uint64_t)v;
	else if (!strcmp(name, "learning_windows") && whole(v, 0, 1e9))
		q.learning_windows = (uint64_t)v;
	else if (!strcmp(name, "min_new") && whole(v, 1, 1e6))
		q.min_new = v;
	else if (!strcmp(name, "max_destinations") && whole(v, 1, 1 << 20))
		q.max_destinations = (uint32_t)v;
	else if (!strcmp(name, "max_replica_sets") && whole(v, 1, 1 << 26))
		q.max_sets = (size_t)v;
	else if (!strcmp(name, "rearm_windows") && whole(v, 0, 1e9))
		q.rearm_windows = (uint64_t)v;
	else if (!strcmp(name, "idle_windows") && whole(v, 1, 1e9))
		q.idle_windows = (uint64_t)v;
	else if (!strcmp(name, "prefix_v4") && whole(v, 0, 32))
		q.prefix_v4 = (unsigned)v;
	else if (!strcmp(name, "prefix_v6") && whole(v, 0, 128))
		q.prefix_v6 = (unsigned)v;
	else
		return -EINVAL;
	o->prm = q;
	o->sets.max = q.max_sets;
	return 0;
}

/* FNV-1a, 64 bit, over n bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Hashes the NUL-terminated s with its NUL, so that consecutive fields cannot run together. */
static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

/*
 * The length of the part of d's name_aggr (la bytes) before "-<pod-template-hash>-*", or la
 * when it does not end that way.
 */
static size_t aggr_without_hash(const struct flowlog_side *d, size_t la)
{
	for (size_t i = 0; i < d->nlabels; i++) {
		const char *hv;
		size_t lh;

		if (strncmp(d->labels[i], HASH_TEMPLATE, sizeof(HASH_TEMPLATE) - 1))
			continue;
		hv = d->labels[i] + sizeof(HASH_TEMPLATE) - 1;
		lh = strlen(hv);
		/* "...-<hash>-*": a dash, the hash, then the "-*" that stays. */
		if (lh && la >= lh + 4 && !strcmp(d->name_aggr + la - 2, "-*") &&
		    d->name_aggr[la - lh - 3] == '-' && !memcmp(d->name_aggr + la - lh - 2, hv, lh))
			return la - lh - 3;
		break;
	}
	return la;
}

/*
 * The identity of r's destination as a non-zero hash; 0 when it cannot be told (a net
 * address aggregated away).
 */
static uint64_t dest_hash(const struct outlier *o, const struct flowlog_side *d)
{
	uint64_t h = 1469598103934665603ULL;

	h = fnv_str(h, d->type);
	if (!strcmp(d->type, "net")) {
		struct ipaddr a;
		struct cidr c;

		if (!d->ip[0] || ipaddr_parse(d->ip, &a))
			return 0;
		cidr_from_addr(&a, a.family == 4 ? o->prm.prefix_v4 : o->prm.prefix_v6, &c);
		h = fnv(h, &c.addr.family, 1);
		h = fnv(h, c.addr.a, sizeof(c.addr.a));
		h = fnv(h, &c.len, 1);
	} else if (!strcmp(d->type, "wep")) {
		size_t la = strlen(d->name_aggr);
		size_t keep = aggr_without_hash(d, la);

		h = fnv_str(h, d->ns);
		h = fnv(h, d->name_aggr, keep);
		if (keep != la)
			h = fnv(h, "-*", 2);
		h = fnv(h, "", 1);
	} else {
		h = fnv_str(h, d->ns);
		h = fnv_str(h, d->name_aggr);
	}
	return h ? h : 1;
}

static bool dest_has(const struct oset *s, uint64_t h)
{
	if (!s->dcap)
		return false;
	for (size_t i = h & (s->dcap - 1); s->dest[i]; i = (i + 1) & (s->dcap - 1))
		if (s->dest[i] == h)
			return true;
	return false;
}

static void dest_place(uint64_t *d, uint32_t cap, uint64_t h)
{
	size_t i = h & (cap - 1);

	while (d[i])
		i = (i + 1) & (cap - 1);
	d[i] = h;
}

/* Adds h (not held); 0, -ENOSPC (the set is full: now saturated) or -ENOMEM. */
static int dest_add(struct outlier *o, struct oset *s, uint64_t h)
{
	if (s->n >= o->prm.max_destinations) {
		if (!s->saturated)
			o->st.saturated++;
		s->saturated = true;
		return -ENOSPC;
	}
	if ((s->n + 1) * 2 > s->dcap) {
		uint32_t cap = s->dcap ? s->dcap * 2 : 8;
		uint64_t *d = calloc(cap, sizeof(*d));

		if (!d)
			return -ENOMEM;
		for (size_t i = 0; i < s->dcap; i++)
			if (s->dest[i])
				dest_place(d, cap, s->dest[i]);
		if (s->dest)
			o->dest_bytes -= s->dcap * sizeof(*s->dest) + ALLOC_OVERHEAD;
		free(s->dest);
		s->dest = d;
		s->dcap = cap;
		o->dest_bytes += cap * sizeof(*d) + ALLOC_OVERHEAD;
	}
	dest_place(s->dest, s->dcap, h);
	s->n++;
	return 0;
}

static void side_copy(struct event_side *e, const struct flowlog_side *s)
{
	utf8_copy(e->ip, sizeof(e->ip), s->ip);
	e->port = s->port;
	utf8_copy(e->name, sizeof(e->name), strcmp(s->name, "-") ? s->name : "");
	utf8_copy(e->name_aggr, sizeof(e->name_aggr),
		  strcmp(s->name_aggr, "-") ? s->name_aggr : "");
	utf8_copy(e->ns, sizeof(e->ns), strcmp(s->ns, "-") ? s->ns : "");
}

/* How the list of new destinations names d. */
static const char *dest_text(const struct flowlog_side *d)
{
	return d->ip[0] ? d->ip : d->name_aggr;
}

/*
 * Notes a new destination of set idx for the window's event (the set held `known` before it);
 * false on ENOMEM.
 */
static bool note_new(struct outlier *o, uint32_t idx, const struct flowlog_rec *r, uint32_t known)
{
	struct oset *s = keytab_val(&o->sets, idx);
	struct pending *p;
	size_t len;

	if (!s->pending) {
		if (o->npend == o->cappend) {
			size_t cap = o->cappend ? o->cappend * 2 : 16;
			struct pending *np = realloc(o->pend, cap * sizeof(*np));

			if (!np)
				return false;
			o->pend = np;
			o->cappend = cap;
		}
		p = &o->pend[o->npend++];
		memset(p, 0, sizeof(*p));
		p->set = idx;
		p->known = known;
		side_copy(&p->src, &r->src);
		p->src.port = -1;
		side_copy(&p->dst, &r->dst);
		utf8_copy(p->dst_type, sizeof(p->dst_type), r->dst.type);
		utf8_copy(p->list, sizeof(p->list), dest_text(&r->dst));
		s->pending = (uint32_t)o->npend;
	} else {
		p = &o->pend[s->pending - 1];
		len = strlen(p->list);
		/* Only whole entries: one that does not fit is left out (nnew still counts it). */
		if (len + 2 + strlen(dest_text(&r->dst)) < sizeof(p->list))
			snprintf(p->list + len, sizeof(p->list) - len, ", %s", dest_text(&r->dst));
	}
	p->nnew++;
	return true;
}

static bool learning(const struct outlier *o, const struct oset *s, const struct flowlog_rec *r)
{
	return o->nwin - s->first_win < o->prm.learning_windows ||
	       o->nwin < o->prm.warmup_windows || r->start_time < o->first_start ||
	       r->start_time - o->first_start < o->prm.warmup_seconds;
}

static void outlier_add(void *st, const struct flowlog_rec *r)
{
	struct outlier *o = st;
	char key[KEY_MAX];
	size_t ln, la;
	struct oset *s;
	uint32_t idx, known;
	uint64_t h;
	bool created;
	int rc;

	if (strcmp(r->reporter, "src") || strcmp(r->src.type, "wep"))
		return;
	o->st.records++;
	if (!o->have_first) {
		o->first_start = r->start_time;
		o->have_first = true;
	}
	ln = strnlen(r->src.ns, SIDE_NS - 1);
	la = strnlen(r->src.name_aggr, SIDE_AGGR - 1);
	memcpy(key, r->src.ns, ln);
	key[ln] = '\0';
	memcpy(key + ln + 1, r->src.name_aggr, la);
	rc = keytab_get(&o->sets, key, ln + 1 + la, &idx, &created);
	if (rc == -ENOMEM)
		o->st.nomem++;
	if (rc)
		return; /* -ENOSPC is counted by the table */
	s = keytab_val(&o->sets, idx);
	if (created)
		s->first_win = o->nwin;
	s->last_win = o->nwin;
	h = dest_hash(o, &r->dst);
	if (!h) {
		o->st.unattributed++;
		return;
	}
	if (dest_has(s, h))
		return;
	if (learning(o, s, r)) {
		rc = dest_add(o, s, h);
		if (rc == -ENOSPC)
			o->st.unjudged++;
		else if (rc)
			o->st.nomem++;
		return;
	}
	if (s->saturated) {
		o->st.unjudged++;
		return;
	}
	/* Not learnt and the set is exact: the destination is new.  Learn it (a set that is full
	 * now becomes saturated), then report. */
	known = s->n;
	rc = dest_add(o, s, h);
	if (rc == -ENOMEM) {
		o->st.nomem++;
		return;
	}
	if (!note_new(o, idx, r, known))
		o->st.nomem++;
}

static void emit_pending(struct outlier *o, const struct pending *p, uint64_t start, uint64_t end,
			 detect_emit_fn *emit, void *arg)
{
	const char *ns = keytab_key(&o->sets, p->set, NULL);
	const char *aggr = ns + strlen(ns) + 1;
	char key[KEY_MAX + 16];
	char first[sizeof(p->list)];
	struct sec_event e;

	event_init(&e);
	utf8_copy(e.type, sizeof(e.type), "anomaly_detection_job");
	utf8_copy(e.origin, sizeof(e.origin), "pod_outlier_ip_activity");
	e.time = end;
	e.window_start = start;
	e.window_end = end;
	e.severity = EVENT_SEVERITY_MEDIUM;
	e.src = p->src;
	e.dst = p->dst;
	e.actual = p->nnew;
	e.has_typical = true;
	e.typical = 0;
	e.has_threshold = true;
	e.threshold = ceil(o->prm.min_new / o->prm.sensitivity);
	if (e.threshold < 1)
		e.threshold = 1;
	snprintf(key, sizeof(key), "replica_set:%s/%s", ns, aggr);
	event_set_id(&e, key);
	event_add_str(&e, "entity", "replica_set");
	event_add_str(&e, "dest_type", p->dst_type);
	event_add_str(&e, "new_destinations", p->list);
	event_add_num(&e, "known_destinations", p->known);
	event_add_num(&e, "learning_windows", (double)o->prm.learning_windows);
	/* The list starts with the first destination; the description names that one. */
	utf8_copy(first, sizeof(first), p->list[0] ? p->list : "-");
	first[strcspn(first, ",")] = '\0';
	event_describe(&e,
		       "pod %s/%s (replica set %s) reached %s, a destination its replica set had "
		       "not used during learning or since; %u new in %" PRIu64 " s, %u known",
		       ns, p->src.name[0] ? p->src.name : "-", aggr[0] ? aggr : "-", first, p->nnew,
		       end - start, p->known);
	emit(arg, &e);
}

static void outlier_end_window(void *st, uint64_t start, uint64_t end, detect_emit_fn *emit,
			       void *arg)
{
	struct outlier *o = st;
	double need = ceil(o->prm.min_new / o->prm.sensitivity);
	bool warm;

	if (!o->have_first) {
		o->first_start = start;
		o->have_first = true;
	}
	warm = o->nwin >= o->prm.warmup_windows && start >= o->first_start &&
	       start - o->first_start >= o->prm.warmup_seconds;
	for (size_t i = 0; i < o->npend; i++) {
		const struct pending *p = &o->pend[i];
		struct oset *s = keytab_val(&o->sets, p->set);
		bool fresh = !s->last_anom || o->nwin - (s->last_anom - 1) > o->prm.rearm_windows;

		s->pending = 0;
		if (p->nnew < need)
			continue; /* learnt without a report: fewer than min_new */
		s->last_anom = o->nwin + 1;
		if (!fresh || !warm) {
			o->st.suppressed++;
			continue;
		}
		o->st.events++;
		emit_pending(o, p, start, end, emit, arg);
	}
	o->npend = 0;
	for (size_t i = 0; i < keytab_end(&o->sets); i++) {
		const struct oset *s;

		if (!keytab_live(&o->sets, i))
			continue;
		s = keytab_val(&o->sets, (uint32_t)i);
		if (o->nwin - s->last_win >= o->prm.idle_windows) {
			set_del(o, (uint32_t)i);
			o->st.expired++;
		}
	}
	o->nwin++;
}

static size_t outlier_memory(const void *st)
{
	const struct outlier *o = st;

	return sizeof(*o) + keytab_memory(&o->sets) + o->dest_bytes + o->cappend * sizeof(*o->pend);
}

void detect_outlier_stats(const void *st, struct detect_baseline_stats *out)
{
	const struct outlier *o = st;

	*out = o->st;
	out->windows = o->nwin;
	out->sets = o->sets.n;
	out->dropped_sets = o->sets.dropped;
}

static size_t pow2_at_least(size_t n, size_t from)
{
	size_t v = from;

	while (v < n)
		v *= 2;
	return v;
}

size_t detect_outlier_memory_bound(const void *st)
{
	const struct outlier *o = st;
	size_t max = o->sets.max > o->sets.nalloc ? o->sets.max : o->sets.nalloc;
	size_t dest = pow2_at_least(2 * (size_t)o->prm.max_destinations, 8) * sizeof(uint64_t);

	return sizeof(*o) + pow2_at_least(2 * max, 16) * sizeof(uint32_t) +
	       max * (sizeof(struct keytab_key) + sizeof(struct oset) + sizeof(uint32_t) + KEY_MAX +
		      ALLOC_OVERHEAD + dest + ALLOC_OVERHEAD) +
	       pow2_at_least(max, 16) * sizeof(struct pending);
}

const struct detect_job_ops detect_pod_outlier_ip_activity = {
	.name = "pod_outlier_ip_activity",
	.description = "pods reaching a destination their replica set has not used during its "
		       "learning period or since",
	.create = outlier_create,
	.destroy = outlier_destroy,
	.set_param = outlier_set_param,
	.add = outlier_add,
	.end_window = outlier_end_window,
	.memory = outlier_memory,
};
