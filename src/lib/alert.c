/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GlobalAlert custom jobs: the checked form of the resource (struct spec), summary and
 * description templates, the grouped time buckets and the per-record queue.
 *
 * Layout.  Groups live in one array of slots indexed through a strmap from the group key;
 * freed slots are reused.  A group key is the aggregateBy values of a record, each written
 * as "<length>:<bytes>" so that any value (commas, colons, empty strings) keeps keys apart
 * and the values can be read back from the key alone.  Each group holds its buckets in an
 * array sorted by bucket number; records arrive roughly in time order, so the bucket of a
 * record is found from the end in one or two steps.  Buckets that no later window can need
 * are cut from the front at every evaluation, and a group without buckets is freed, so an
 * idle group costs nothing after one lookback.
 *
 * Without metric and aggregateBy there are no buckets: every matching record waits, reduced
 * to the text of its fields (the same "<length>:<bytes>" encoding, one value per
 * enum query_field, lists only when a template uses them), until the first evaluation whose
 * window holds it.
 */
#include "lib/alert.h"

#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/query.h"
#include "lib/resource.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"
#include "lib/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric { METRIC_NONE, METRIC_COUNT, METRIC_SUM, METRIC_AVG, METRIC_MIN, METRIC_MAX };
static const char *const metric_names[] = {"", "count", "sum", "avg", "min", "max"};
#define NMETRICS 6

enum cond { COND_EQ, COND_NOT_EQ, COND_LT, COND_LTE, COND_GT, COND_GTE };
static const char *const cond_names[] = {"eq", "not_eq", "lt", "lte", "gt", "gte"};
#define NCONDS 6

/* Template variables: 0..QUERY_FIELD_COUNT-1 are fields, VAR_METRIC + m the metric m. */
#define VAR_LITERAL (-1)
#define VAR_METRIC  QUERY_FIELD_COUNT

struct tpl_seg {
	const char *lit; /* VAR_LITERAL: into tpl.text */
	size_t len;
	int var;
};

struct tpl {
	char *text;
	struct tpl_seg *seg;
	size_t n;
};

/* The resource, checked. */
struct spec {
	struct query *query;
	enum query_field by[ALERT_MAX_AGGREGATE_BY];
	size_t nby;
	enum metric metric; /* METRIC_COUNT when only aggregateBy is given */
	bool has_field;
	enum query_field field;
	enum cond cond;
	double threshold;
	bool record_mode; /* neither metric nor aggregateBy */
	int severity;
	uint64_t period, lookback;
	struct tpl tpl;	  /* summary, or description when there is no summary */
	bool list_in_tpl; /* record mode: the template uses labels or policies */
};

/* Partial aggregate of the records of one group whose end_time falls in one bucket. */
struct bucket {
	uint64_t idx;
	uint64_t n;    /* records */
	uint64_t nval; /* records whose field is not null */
	double sum, min, max;
};

struct group {
	char *key; /* NULL: a free slot */
	struct bucket *b;
	size_t nb, cap;
};

struct hit {
	uint64_t start, end;
	char *proj; /* one value per enum query_field */
};

/* The aggregate of one group over a window. */
struct agg {
	uint64_t n, nval;
	double sum, min, max;
};

struct cand {
	const char *key; /* the group's; "" for the one group without aggregateBy */
	double value, dist;
	struct agg agg;
};

struct alert {
	char name[128];
	struct spec s;
	struct alert_limits lim;
	uint64_t g;
	bool evaluated;
	uint64_t last_w; /* the latest window end evaluated */

	struct group *groups;
	size_t nslots, capslots;
	uint32_t *free_slots;
	size_t nfree;
	size_t live;
	struct strmap map;
	size_t nbuckets;

	struct hit *hits;
	size_t nhits, caphits;

	struct strbuf key, val, text; /* scratch */
	size_t mem;		      /* bytes of keys, buckets and queued records */
	struct alert_stats st, st_prev;
	struct alert_status status;
	struct sec_event ev;
};

/* ---- checking ----------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int lookup_name(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (s && !strcmp(s, names[i]))
			return i;
	return -1;
}

static void tpl_fini(struct tpl *t)
{
	free(t->text);
	free(t->seg);
	memset(t, 0, sizeof(*t));
}

static void spec_fini(struct spec *s)
{
	query_free(s->query);
	tpl_fini(&s->tpl);
	memset(s, 0, sizeof(*s));
}

static bool grouped_by(const struct spec *s, enum query_field f)
{
	for (size_t i = 0; i < s->nby; i++)
		if (s->by[i] == f)
			return true;
	return false;
}

/* What a template of s may use, for messages: "source_namespace, count, sum". */
static void list_vars(const struct spec *s, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nby && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s${%s}", off ? ", " : "",
					query_field_name(s->by[i]));
	for (int m = METRIC_COUNT; m < NMETRICS && off < size; m++) {
		if (m != METRIC_COUNT && !s->has_field)
			break;
		off += (size_t)snprintf(buf + off, size - off, "%s${%s}", off ? ", " : "",
					metric_names[m]);
	}
}

/* Checks variable name[0..len) of template key for s; its code in *var. */
static int tpl_var(struct spec *s, const char *key, const char *name, size_t len, int *var,
		   char *err, size_t errsize)
{
	char avail[256];
	int f;

	for (int m = METRIC_COUNT; m < NMETRICS; m++) {
		if (strlen(metric_names[m]) != len || memcmp(metric_names[m], name, len))
			continue;
		if (s->record_mode)
			return bad(err, errsize,
				   "spec.%s: ${%s} needs a metric or aggregateBy (without them "
				   "each event is one record)",
				   key, metric_names[m]);
		if (m != METRIC_COUNT && !s->has_field)
			return bad(err, errsize,
				   "spec.%s: ${%s} needs a field (metric sum, avg, min or max)",
				   key, metric_names[m]);
		*var = VAR_METRIC + m;
		return 0;
	}
	f = query_field_lookup(name, len);
	if (f < 0)
		return bad(err, errsize, "spec.%s: ${%.*s} is not a flow log field nor a metric",
			   key, (int)(len > 64 ? 64 : len), name);
	if (!s->record_mode && !grouped_by(s, (enum query_field)f)) {
		list_vars(s, avail, sizeof(avail));
		return bad(err, errsize,
			   "spec.%s: ${%.*s} is not an aggregateBy field (the events of this alert "
			   "know %s)",
			   key, (int)len, name, avail);
	}
	if (s->record_mode && query_field_type((enum query_field)f) == QUERY_TYPE_LIST)
		s->list_in_tpl = true;
	*var = f;
	return 0;
}

static int tpl_push(struct tpl *t, size_t *cap, const char *lit, size_t len, int var)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct tpl_seg *ns = realloc(t->seg, ncap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		t->seg = ns;
		*cap = ncap;
	}
	t->seg[t->n++] = (struct tpl_seg){lit, len, var};
	return 0;
}

/* Parses template text of spec.<key> into t (t is the caller's: tpl_fini). */
static int tpl_parse(struct spec *s, const char *key, const char *text, struct tpl *t, char *err,
		     size_t errsize)
{
	size_t cap = 0, i = 0, lit = 0;
	const char *p;
	int var, rc;

	t->text = strdup(text ? text : "");
	if (!t->text)
		return -ENOMEM;
	p = t->text;
	while (p[i]) {
		const char *close;

		if (p[i] != '$' || p[i + 1] != '{') {
			i++;
			continue;
		}
		close = strchr(p + i + 2, '}');
		if (!close)
			return bad(err, errsize, "spec.%s: \"${\" at byte %zu has no closing \"}\"",
				   key, i + 1);
		if (close == p + i + 2)
			return bad(err, errsize, "spec.%s: \"${}\" at byte %zu names nothing", key,
				   i + 1);
		rc = tpl_var(s, key, p + i + 2, (size_t)(close - p - i - 2), &var, err, errsize);
		if (rc)
			return rc;
		if ((i > lit && tpl_push(t, &cap, p + lit, i - lit, VAR_LITERAL)) ||
		    tpl_push(t, &cap, NULL, 0, var))
			return -ENOMEM;
		i = lit = (size_t)(close - p) + 1;
	}
	if (i > lit && tpl_push(t, &cap, p + lit, i - lit, VAR_LITERAL))
		return -ENOMEM;
	return 0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Fills s from res; on error s holds what was built (spec_fini). */
static int spec_build(const struct res_global_alert *res, struct spec *s, char *err, size_t errsize)
{
	struct tpl other = {0};
	char *qerr = NULL;
	int i, rc;

	memset(s, 0, sizeof(*s));
	if (res->type && strcmp(res->type, "RuleBased"))
		return bad(err, errsize, "spec.type: %s is not supported (only RuleBased)",
			   res->type);
	if (!res->data_set || strcmp(res->data_set, "flows"))
		return bad(err, errsize, "spec.dataSet: %s is not supported (only flows)",
			   res->data_set ? res->data_set : "(none)");
	if (!res->description)
		return bad(err, errsize, "spec.description: required");
	if (res->severity < 1 || res->severity > 100)
		return bad(err, errsize, "spec.severity: %d is not between 1 and 100",
			   res->severity);
	if (res->period_s < 1)
		return bad(err, errsize, "spec.period: must be at least 1s");
	if (res->lookback_s < 1)
		return bad(err, errsize, "spec.lookback: must be at least 1s");
	s->severity = res->severity;
	s->period = (uint64_t)res->period_s;
	s->lookback = (uint64_t)res->lookback_s;

	s->query = query_parse(res->query, &qerr);
	if (!s->query) {
		if (!qerr)
			return -ENOMEM;
		rc = bad(err, errsize, "spec.query: %s", qerr);
		free(qerr);
		return rc;
	}

	if (res->naggregate_by > ALERT_MAX_AGGREGATE_BY)
		return bad(err, errsize, "spec.aggregateBy: %zu fields, at most %d",
			   res->naggregate_by, ALERT_MAX_AGGREGATE_BY);
	for (size_t k = 0; k < res->naggregate_by; k++) {
		const char *name = res->aggregate_by[k] ? res->aggregate_by[k] : "";
		int f = query_field_lookup(name, strlen(name));

		if (f < 0)
			return bad(err, errsize, "spec.aggregateBy: unknown field '%.64s'", name);
		if (query_field_type((enum query_field)f) == QUERY_TYPE_LIST)
			return bad(
				err, errsize,
				"spec.aggregateBy: %s holds several values and cannot group records",
				query_field_name((enum query_field)f));
		if (grouped_by(s, (enum query_field)f))
			return bad(err, errsize, "spec.aggregateBy: %s is listed twice",
				   query_field_name((enum query_field)f));
		s->by[s->nby++] = (enum query_field)f;
	}

	if (res->metric) {
		i = lookup_name(res->metric, metric_names + 1, NMETRICS - 1);
		if (i < 0)
			return bad(err, errsize,
				   "spec.metric: '%.64s' is not one of count, sum, avg, min, max",
				   res->metric);
		s->metric = (enum metric)(i + 1);
	}
	if (res->field) {
		int f = query_field_lookup(res->field, strlen(res->field));

		if (!res->metric)
			return bad(err, errsize,
				   "spec.field: needs a metric (sum, avg, min or max)");
		if (s->metric == METRIC_COUNT)
			return bad(err, errsize,
				   "spec.field: not used with metric count (count counts records)");
		if (f < 0)
			return bad(err, errsize, "spec.field: unknown field '%.64s'", res->field);
		if (query_field_type((enum query_field)f) != QUERY_TYPE_NUM)
			return bad(err, errsize,
				   "spec.field: %s is not a number field (metric %s needs one such "
				   "as bytes_out or num_flows)",
				   query_field_name((enum query_field)f), metric_names[s->metric]);
		s->has_field = true;
		s->field = (enum query_field)f;
	} else if (s->metric > METRIC_COUNT) {
		return bad(err, errsize, "spec.field: required with metric %s",
			   metric_names[s->metric]);
	}
	s->cond = COND_GT;
	if (res->condition) {
		i = lookup_name(res->condition, cond_names, NCONDS);
		if (i < 0)
			return bad(
				err, errsize,
				"spec.condition: '%.64s' is not one of eq, not_eq, lt, lte, gt, gte",
				res->condition);
		s->cond = (enum cond)i;
	}
	if (!res->metric && s->cond != COND_GT)
		return bad(err, errsize, "spec.condition: needs a metric");
	if (!res->metric && res->has_threshold)
		return bad(err, errsize, "spec.threshold: needs a metric");
	s->threshold = res->has_threshold ? res->threshold : 0;
	if (!isfinite(s->threshold))
		return bad(err, errsize, "spec.threshold: must be a finite number");
	s->record_mode = !res->metric && !s->nby;
	if (!res->metric && s->nby)
		s->metric = METRIC_COUNT; /* one event per group that has records */

	rc = tpl_parse(s, "description", res->description, res->summary ? &other : &s->tpl, err,
		       errsize);
	if (!rc && res->summary)
		rc = tpl_parse(s, "summary", res->summary, &s->tpl, err, errsize);
	tpl_fini(&other);
	return rc;
}

/* res is borrowed. */
int alert_check(const struct res_global_alert *res, char *err, size_t errsize)
{
	struct spec s;
	int rc = spec_build(res, &s, err, errsize);

	spec_fini(&s);
	return rc;
}

/* ---- lifetime ------------------------------------------------------------------------ */

/* l is the caller's. */
void alert_limits_default(struct alert_limits *l)
{
	l->max_groups = 10000;
	l->max_buckets = 65536;
	l->max_pending = 1000;
	l->max_events = 100;
}

/* Copies everything it keeps; see alert.h. */
struct alert *alert_new(const char *name, const struct res_global_alert *res,
			const struct alert_limits *lim, char *err, size_t errsize)
{
	struct alert *a = calloc(1, sizeof(*a));
	int rc;

	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	rc = spec_build(res, &a->s, err, errsize);
	if (rc) {
		spec_fini(&a->s);
		free(a);
		errno = -rc;
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
	if (lim)
		a->lim = *lim;
	else
		alert_limits_default(&a->lim);
	a->g = gcd(a->s.period, a->s.lookback);
	strmap_init(&a->map);
	strbuf_init(&a->key);
	strbuf_init(&a->val);
	strbuf_init(&a->text);
	return a;
}

static void free_hits(struct alert *a)
{
	for (size_t i = 0; i < a->nhits; i++)
		free(a->hits[i].proj);
	free(a->hits);
}

/* Frees a; accepts NULL. */
void alert_free(struct alert *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nslots; i++) {
		free(a->groups[i].key);
		free(a->groups[i].b);
	}
	free(a->groups);
	free(a->free_slots);
	strmap_fini(&a->map);
	free_hits(a);
	strbuf_fini(&a->key);
	strbuf_fini(&a->val);
	strbuf_fini(&a->text);
	spec_fini(&a->s);
	free(a);
}

/* ---- adding records ------------------------------------------------------------------ */

/* Appends "<length>:<text of f>" for each field of fs (NULL: every field) to out. */
static void project(struct alert *a, const struct flowlog_rec *r, const enum query_field *fs,
		    size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		enum query_field f = fs ? fs[i] : (enum query_field)i;

		strbuf_reset(&a->val);
		if (fs || query_field_type(f) != QUERY_TYPE_LIST || a->s.list_in_tpl)
			query_field_text(r, f, &a->val);
		strbuf_printf(out, "%zu:", a->val.len);
		strbuf_add(out, strbuf_str(&a->val), a->val.len);
	}
	if (a->val.oom) {
		strbuf_fini(&a->val);
		out->oom = true;
	}
}

/* The bucket holding end time t: k with g(k-1) < t <= gk. */
static uint64_t bucket_of(const struct alert *a, uint64_t t)
{
	return t / a->g + (t % a->g != 0);
}

/* The last bucket no window from now on can hold: those up to it are freed. */
static uint64_t cut_of(const struct alert *a, uint64_t w)
{
	return w >= a->s.lookback ? (w - a->s.lookback) / a->g : 0;
}

static int new_group(struct alert *a, const char *key, uint32_t *slot)
{
	struct group *gr;
	uint32_t s;

	if (a->nfree) {
		s = a->free_slots[--a->nfree];
	} else {
		if (a->nslots == a->capslots) {
			size_t cap = a->capslots ? 2 * a->capslots : 16;
			struct group *ng = realloc(a->groups, cap * sizeof(*ng));
			uint32_t *nf;

			if (!ng)
				return -ENOMEM;
			a->groups = ng;
			nf = realloc(a->free_slots, cap * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			a->free_slots = nf;
			a->capslots = cap;
		}
		s = (uint32_t)a->nslots++;
	}
	gr = &a->groups[s];
	memset(gr, 0, sizeof(*gr));
	gr->key = strdup(key);
	if (!gr->key || strmap_put(&a->map, key, s)) {
		free(gr->key);
		gr->key = NULL;
		a->free_slots[a->nfree++] = s;
		return -ENOMEM;
	}
	a->mem += 2 * (strlen(key) + 1); /* ours and the map's copy */
	a->live++;
	*slot = s;
	return 0;
}

static void free_group(struct alert *a, uint32_t s)
{
	struct group *gr = &a->groups[s];

	strmap_del(&a->map, gr->key);
	a->mem -= 2 * (strlen(gr->key) + 1) + gr->cap * sizeof(struct bucket);
	a->nbuckets -= gr->nb;
	free(gr->key);
	free(gr->b);
	memset(gr, 0, sizeof(*gr));
	a->free_slots[a->nfree++] = s;
	a->live--;
}

/* The bucket k of gr, opened if need be; NULL (counted) past max_buckets or on ENOMEM. */
static struct bucket *bucket_at(struct alert *a, struct group *gr, uint64_t k)
{
	size_t i = gr->nb;

	while (i > 0 && gr->b[i - 1].idx > k)
		i--;
	if (i > 0 && gr->b[i - 1].idx == k)
		return &gr->b[i - 1];
	if (a->nbuckets >= a->lim.max_buckets) {
		a->st.dropped_buckets++;
		return NULL;
	}
	if (gr->nb == gr->cap) {
		size_t cap = gr->cap ? 2 * gr->cap : 2;
		struct bucket *nb = realloc(gr->b, cap * sizeof(*nb));

		if (!nb) {
			a->st.dropped_nomem++;
			return NULL;
		}
		a->mem += (cap - gr->cap) * sizeof(*nb);
		gr->b = nb;
		gr->cap = cap;
	}
	memmove(gr->b + i + 1, gr->b + i, (gr->nb - i) * sizeof(*gr->b));
	gr->b[i] = (struct bucket){.idx = k, .min = INFINITY, .max = -INFINITY};
	gr->nb++;
	a->nbuckets++;
	return &gr->b[i];
}

static void add_grouped(struct alert *a, const struct flowlog_rec *r, uint64_t k)
{
	struct bucket *bk;
	struct group *gr;
	uint32_t slot;
	uint64_t v;

	strbuf_reset(&a->key);
	project(a, r, a->s.by, a->s.nby, &a->key);
	if (a->key.oom) {
		strbuf_fini(&a->key);
		a->st.dropped_nomem++;
		return;
	}
	slot = strmap_get(&a->map, strbuf_str(&a->key));
	if (slot == UINT32_MAX) {
		if (a->live >= a->lim.max_groups) {
			a->st.dropped_groups++;
			return;
		}
		if (a->nbuckets >= a->lim.max_buckets) {
			a->st.dropped_buckets++;
			return;
		}
		if (new_group(a, strbuf_str(&a->key), &slot)) {
			a->st.dropped_nomem++;
			return;
		}
	}
	gr = &a->groups[slot];
	bk = bucket_at(a, gr, k);
	if (!bk) {
		if (!gr->nb)
			free_group(a, slot);
		return;
	}
	bk->n++;
	if (a->s.has_field && query_field_num(r, a->s.field, &v)) {
		bk->nval++;
		bk->sum += (double)v;
		if ((double)v < bk->min)
			bk->min = (double)v;
		if ((double)v > bk->max)
			bk->max = (double)v;
	}
}

static void add_hit(struct alert *a, const struct flowlog_rec *r)
{
	struct hit *h;
	char *proj;

	if (a->nhits >= a->lim.max_pending) {
		a->st.dropped_pending++;
		return;
	}
	if (a->nhits == a->caphits) {
		size_t cap = a->caphits ? 2 * a->caphits : 16;
		struct hit *nh = realloc(a->hits, cap * sizeof(*nh));

		if (!nh) {
			a->st.dropped_nomem++;
			return;
		}
		a->hits = nh;
		a->caphits = cap;
	}
	strbuf_reset(&a->key);
	project(a, r, NULL, QUERY_FIELD_COUNT, &a->key);
	proj = a->key.oom ? NULL : strdup(strbuf_str(&a->key));
	if (!proj) {
		strbuf_fini(&a->key);
		a->st.dropped_nomem++;
		return;
	}
	h = &a->hits[a->nhits++];
	h->start = r->start_time;
	h->end = r->end_time;
	h->proj = proj;
	a->mem += strlen(proj) + 1;
}

/* r is borrowed. */
void alert_add(struct alert *a, const struct flowlog_rec *r)
{
	uint64_t k;

	a->st.records++;
	if (!query_match(a->s.query, r))
		return;
	a->st.matched++;
	k = bucket_of(a, r->end_time);
	if (a->evaluated && k <= cut_of(a, a->last_w)) {
		a->st.late++;
		return;
	}
	if (a->s.record_mode)
		add_hit(a, r);
	else
		add_grouped(a, r, k);
}

/* ---- events -------------------------------------------------------------------------- */

/* A number as templates and messages show it: integers without a fraction. */
static void put_num(struct strbuf *b, double v)
{
	if (v == floor(v) && fabs(v) < 1e18)
		strbuf_printf(b, "%.0f", v);
	else
		strbuf_printf(b, "%.6g", v);
}

/* The values known to an event, by field (NULL when unknown), and the group's aggregate. */
struct ev_ctx {
	const char *vals[QUERY_FIELD_COUNT];
	const struct agg *agg; /* NULL in record mode */
};

static void expand(const struct tpl *t, const struct ev_ctx *c, struct strbuf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tpl_seg *sg = &t->seg[i];
		const struct agg *ag = c->agg;

		if (sg->var == VAR_LITERAL) {
			strbuf_add(out, sg->lit, sg->len);
		} else if (sg->var < VAR_METRIC) {
			const char *v = c->vals[sg->var];

			strbuf_puts(out, v && *v ? v : "-");
		} else if (!ag) {
			strbuf_putc(out, '-');
		} else {
			switch (sg->var - VAR_METRIC) {
			case METRIC_COUNT:
				put_num(out, (double)ag->n);
				break;
			case METRIC_SUM:
				put_num(out, ag->sum);
				break;
			case METRIC_AVG:
				if (ag->nval)
					put_num(out, ag->sum / (double)ag->nval);
				else
					strbuf_putc(out, '-');
				break;
			case METRIC_MIN:
			case METRIC_MAX:
				if (ag->nval)
					put_num(out, sg->var - VAR_METRIC == METRIC_MIN ? ag->min
											: ag->max);
				else
					strbuf_putc(out, '-');
				break;
			}
		}
	}
}

static void fill_side(struct event_side *s, const struct ev_ctx *c, enum query_field ip,
		      enum query_field port, enum query_field name, enum query_field aggr,
		      enum query_field ns)
{
	if (c->vals[ip])
		utf8_copy(s->ip, sizeof(s->ip), c->vals[ip]);
	if (c->vals[port] && *c->vals[port])
		s->port = atoi(c->vals[port]);
	if (c->vals[name])
		utf8_copy(s->name, sizeof(s->name), c->vals[name]);
	if (c->vals[aggr])
		utf8_copy(s->name_aggr, sizeof(s->name_aggr), c->vals[aggr]);
	if (c->vals[ns])
		utf8_copy(s->ns, sizeof(s->ns), c->vals[ns]);
}

/* The parts every event of a shares: type, origin, severity, description, sides, host. */
static void event_common(struct alert *a, const struct ev_ctx *c)
{
	struct sec_event *e = &a->ev;

	event_init(e);
	utf8_copy(e->type, sizeof(e->type), "global_alert");
	utf8_copy(e->origin, sizeof(e->origin), a->name);
	e->severity = a->s.severity;
	strbuf_reset(&a->text);
	expand(&a->s.tpl, c, &a->text);
	utf8_copy(e->description, sizeof(e->description), strbuf_str(&a->text));
	fill_side(&e->src, c, QUERY_FIELD_SOURCE_IP, QUERY_FIELD_SOURCE_PORT,
		  QUERY_FIELD_SOURCE_NAME, QUERY_FIELD_SOURCE_NAME_AGGR,
		  QUERY_FIELD_SOURCE_NAMESPACE);
	fill_side(&e->dst, c, QUERY_FIELD_DEST_IP, QUERY_FIELD_DEST_PORT, QUERY_FIELD_DEST_NAME,
		  QUERY_FIELD_DEST_NAME_AGGR, QUERY_FIELD_DEST_NAMESPACE);
	if (c->vals[QUERY_FIELD_HOST])
		utf8_copy(e->host, sizeof(e->host), c->vals[QUERY_FIELD_HOST]);
}

/* Adds field f's value v as a number when it is one, else as text ("-" for null). */
static void add_value(struct sec_event *e, enum query_field f, const char *v)
{
	if (query_field_type(f) == QUERY_TYPE_NUM && *v)
		event_add_num(e, query_field_name(f), strtod(v, NULL));
	else
		event_add_str(e, query_field_name(f), *v ? v : "-");
}

/*
 * Decodes n encoded values of proj (a group key or a queued record) into c->vals, value i
 * going to field fs[i] (fs NULL: field i).  The strings live in a->val until its next use.
 */
static void decode(struct alert *a, const char *proj, const enum query_field *fs, size_t n,
		   struct ev_ctx *c)
{
	size_t off[QUERY_FIELD_COUNT];
	const char *p = proj;
	char *end;

	strbuf_reset(&a->val);
	for (size_t i = 0; i < n; i++) {
		size_t len = strtoul(p, &end, 10);

		p = end + 1; /* past ':' */
		off[i] = a->val.len;
		strbuf_add(&a->val, p, len);
		strbuf_add(&a->val, "", 1);
		p += len;
	}
	for (size_t i = 0; i < n; i++)
		c->vals[fs ? fs[i] : i] = a->val.oom ? "" : a->val.s + off[i];
	if (a->val.oom)
		strbuf_fini(&a->val);
}

static void group_event(struct alert *a, const struct cand *cd, uint64_t w)
{
	const char *key = cd->key;
	struct sec_event *e = &a->ev;
	struct ev_ctx c = {.agg = &cd->agg};

	decode(a, key, a->s.by, a->s.nby, &c);
	event_common(a, &c);
	e->time = w;
	e->window_end = w;
	e->window_start = w >= a->s.lookback ? w - a->s.lookback : 0;
	e->actual = cd->value;
	e->has_threshold = true;
	e->threshold = a->s.threshold;
	event_add_str(e, "metric", metric_names[a->s.metric]);
	if (a->s.has_field)
		event_add_str(e, "field", query_field_name(a->s.field));
	event_add_str(e, "condition", cond_names[a->s.cond]);
	if (a->s.metric != METRIC_COUNT)
		event_add_num(e, "records", (double)cd->agg.n);
	for (size_t i = 0; i < a->s.nby; i++)
		add_value(e, a->s.by[i], c.vals[a->s.by[i]]);
	event_set_id(e, key);
}

static void hit_event(struct alert *a, const struct hit *h)
{
	static const enum query_field extra[] = {
		QUERY_FIELD_PROTO,     QUERY_FIELD_ACTION,   QUERY_FIELD_REPORTER,
		QUERY_FIELD_NUM_FLOWS, QUERY_FIELD_BYTES_IN, QUERY_FIELD_BYTES_OUT,
	};
	struct sec_event *e = &a->ev;
	struct ev_ctx c = {0};

	decode(a, h->proj, NULL, QUERY_FIELD_COUNT, &c);
	event_common(a, &c);
	e->time = h->end;
	e->window_start = h->start;
	e->window_end = h->end;
	e->actual = 1;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		add_value(e, extra[i], c.vals[extra[i]]);
	event_set_id(e, h->proj);
}

/* ---- evaluation ---------------------------------------------------------------------- */

static bool cond_holds(enum cond c, double v, double t)
{
	switch (c) {
	case COND_EQ:
		return v == t;
	case COND_NOT_EQ:
		return v != t;
	case COND_LT:
		return v < t;
	case COND_LTE:
		return v <= t;
	case COND_GT:
		return v > t;
	default:
		return v >= t;
	}
}

/* How far v is past the threshold, larger first when events must be cut. */
static double distance(enum cond c, double v, double t)
{
	switch (c) {
	case COND_LT:
	case COND_LTE:
		return t - v;
	case COND_GT:
	case COND_GTE:
		return v - t;
	case COND_NOT_EQ:
		return fabs(v - t);
	default:
		return 0;
	}
}

static bool metric_value(const struct spec *s, const struct agg *ag, double *v)
{
	switch (s->metric) {
	case METRIC_SUM:
		*v = ag->sum;
		return true;
	case METRIC_AVG:
		*v = ag->nval ? ag->sum / (double)ag->nval : 0;
		return ag->nval > 0;
	case METRIC_MIN:
		*v = ag->min;
		return ag->nval > 0;
	case METRIC_MAX:
		*v = ag->max;
		return ag->nval > 0;
	default:
		*v = (double)ag->n;
		return true;
	}
}

static void aggregate(const struct group *gr, uint64_t lo, uint64_t hi, struct agg *ag)
{
	*ag = (struct agg){.min = INFINITY, .max = -INFINITY};
	for (size_t i = 0; i < gr->nb; i++) {
		const struct bucket *b = &gr->b[i];

		if (b->idx <= lo || b->idx > hi)
			continue;
		ag->n += b->n;
		ag->nval += b->nval;
		ag->sum += b->sum;
		if (b->min < ag->min)
			ag->min = b->min;
		if (b->max > ag->max)
			ag->max = b->max;
	}
}

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->dist != b->dist)
		return a->dist > b->dist ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Frees the buckets up to cut, and the groups left without any. */
static void prune(struct alert *a, uint64_t cut)
{
	for (size_t s = 0; s < a->nslots; s++) {
		struct group *gr = &a->groups[s];
		size_t k = 0;

		if (!gr->key)
			continue;
		while (k < gr->nb && gr->b[k].idx <= cut)
			k++;
		if (k == gr->nb) {
			free_group(a, (uint32_t)s);
			continue;
		}
		if (k) {
			memmove(gr->b, gr->b + k, (gr->nb - k) * sizeof(*gr->b));
			gr->nb -= k;
			a->nbuckets -= k;
		}
		/* Keep cap <= 2 * nb (or 2), so that all arrays together hold at most twice
		 * max_buckets: each group has at least one bucket. */
		if (gr->cap > 2 && gr->cap > 2 * gr->nb) {
			size_t cap = 2 * gr->nb;
			struct bucket *nb = realloc(gr->b, cap * sizeof(*nb));

			if (nb) {
				a->mem -= (gr->cap - cap) * sizeof(*nb);
				gr->b = nb;
				gr->cap = cap;
			}
		}
	}
}

static int eval_groups(struct alert *a, uint64_t w, uint64_t lo, uint64_t hi, detect_emit_fn *emit,
		       void *arg)
{
	struct cand *c = NULL;
	size_t n = 0, emitted = 0;
	struct agg ag;
	double v;

	c = malloc((a->live + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t s = 0; s < a->nslots; s++) {
		if (!a->groups[s].key)
			continue;
		aggregate(&a->groups[s], lo, hi, &ag);
		if (!ag.n || !metric_value(&a->s, &ag, &v) ||
		    !cond_holds(a->s.cond, v, a->s.threshold))
			continue;
		c[n++] = (struct cand){a->groups[s].key, v, distance(a->s.cond, v, a->s.threshold),
				       ag};
	}
	/* Without aggregateBy the one group is judged even when the window is empty. */
	if (!a->s.nby && !n) {
		bool found = false;

		for (size_t s = 0; s < a->nslots && !found; s++)
			if (a->groups[s].key) {
				aggregate(&a->groups[s], lo, hi, &ag);
				found = ag.n > 0;
			}
		if (!found) {
			ag = (struct agg){.min = INFINITY, .max = -INFINITY};
			if (metric_value(&a->s, &ag, &v) &&
			    cond_holds(a->s.cond, v, a->s.threshold))
				c[n++] = (struct cand){"", v,
						       distance(a->s.cond, v, a->s.threshold), ag};
		}
	}
	qsort(c, n, sizeof(*c), cand_cmp);
	for (size_t i = 0; i < n; i++) {
		if (emitted >= a->lim.max_events) {
			a->st.events_dropped += n - i;
			break;
		}
		group_event(a, &c[i], w);
		emit(arg, &a->ev);
		emitted++;
	}
	free(c);
	return (int)emitted;
}

static int eval_hits(struct alert *a, uint64_t lo, uint64_t hi, detect_emit_fn *emit, void *arg)
{
	size_t keep = 0, emitted = 0;

	for (size_t i = 0; i < a->nhits; i++) {
		struct hit *h = &a->hits[i];
		uint64_t k = bucket_of(a, h->end);

		if (k > hi) {
			a->hits[keep++] = *h;
			continue;
		}
		if (k <= lo) {
			a->st.late++;
		} else if (emitted >= a->lim.max_events) {
			a->st.events_dropped++;
		} else {
			hit_event(a, h);
			emit(arg, &a->ev);
			emitted++;
		}
		a->mem -= strlen(h->proj) + 1;
		free(h->proj);
	}
	a->nhits = keep;
	return (int)emitted;
}

__attribute__((format(printf, 3, 4))) static void status_error(struct alert *a, const char *type,
							       const char *fmt, ...)
{
	struct alert_error *e;
	va_list ap;

	if (a->status.nerrors >= ALERT_MAX_ERRORS)
		return;
	e = &a->status.errors[a->status.nerrors++];
	utf8_copy(e->type, sizeof(e->type), type);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The status's errors: what went wrong since the previous evaluation. */
static void update_errors(struct alert *a)
{
	const struct alert_stats *n = &a->st, *o = &a->st_prev;
	uint64_t d;

	a->status.nerrors = 0;
	d = n->late - o->late;
	if (d)
		status_error(a, "LateRecords",
			     "%llu record%s older than every window still to come",
			     (unsigned long long)d, plural(d));
	d = n->dropped_groups - o->dropped_groups;
	if (d)
		status_error(a, "GroupLimit", "%llu record%s dropped: more than %zu groups",
			     (unsigned long long)d, plural(d), a->lim.max_groups);
	d = n->dropped_buckets - o->dropped_buckets;
	if (d)
		status_error(a, "BucketLimit", "%llu record%s dropped: more than %zu time buckets",
			     (unsigned long long)d, plural(d), a->lim.max_buckets);
	d = n->dropped_pending - o->dropped_pending;
	if (d)
		status_error(a, "PendingLimit",
			     "%llu record%s dropped: more than %zu waiting for an evaluation",
			     (unsigned long long)d, plural(d), a->lim.max_pending);
	d = n->events_dropped - o->events_dropped;
	if (d)
		status_error(a, "EventLimit",
			     "%llu event%s not emitted: more than %zu in one evaluation",
			     (unsigned long long)d, plural(d), a->lim.max_events);
	d = n->dropped_nomem - o->dropped_nomem;
	if (d)
		status_error(a, "OutOfMemory", "%llu record%s dropped: out of memory",
			     (unsigned long long)d, plural(d));
	a->st_prev = a->st;
}

/* emit receives events valid during the call only; see alert.h. */
int alert_evaluate(struct alert *a, uint64_t now, detect_emit_fn *emit, void *arg)
{
	uint64_t w = now / a->g * a->g, lo = cut_of(a, w), hi = w / a->g;
	int rc;

	if (a->s.record_mode)
		rc = eval_hits(a, lo, hi, emit, arg);
	else
		rc = eval_groups(a, w, lo, hi, emit, arg);
	if (rc < 0)
		a->st.dropped_nomem++;
	if (!a->evaluated || w > a->last_w)
		a->last_w = w;
	a->evaluated = true;
	if (!a->s.record_mode)
		prune(a, cut_of(a, a->last_w));
	a->st.evaluations++;
	if (rc > 0) {
		a->st.events += (uint64_t)rc;
		a->status.last_event = now;
	}
	a->status.last_executed = now;
	update_errors(a);
	return rc;
}

/* ---- getters ------------------------------------------------------------------------- */

uint64_t alert_next_run(const struct alert *a)
{
	return a->st.evaluations ? a->status.last_executed + a->s.period : 0;
}

uint64_t alert_granularity(const struct alert *a)
{
	return a->g;
}

/* Borrowed from a. */
const char *alert_name(const struct alert *a)
{
	return a->name;
}

/* Borrowed from a. */
const struct alert_status *alert_status(const struct alert *a)
{
	return &a->status;
}

/* Borrowed from a. */
const struct alert_stats *alert_stats(const struct alert *a)
{
	return &a->st;
}

size_t alert_memory(const struct alert *a)
{
	const struct tpl *t = &a->s.tpl;

	return sizeof(*a) + a->mem + a->capslots * (sizeof(struct group) + sizeof(uint32_t)) +
	       a->map.cap * (sizeof(char *) + sizeof(uint32_t)) + a->caphits * sizeof(struct hit) +
	       a->key.cap + a->val.cap + a->text.cap + strlen(t->text) + 1 +
	       t->n * sizeof(struct tpl_seg);
}
