/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/flow_agg.h"

#include "lib/arena.h"
#include "lib/enrich.h"
#include "lib/flowlog.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A record is its key (everything a line prints except counters and labels) plus its
 * counters and the labels common to all it absorbed.  Records and their strings live in the
 * window's arena, which a flush releases as a whole; the hash table (open addressing,
 * linear probing, power-of-two size, load at most 1/2) and the list in insertion order hold
 * pointers to them.  The converted policies are one block of NUL-terminated strings, so the
 * whole hits list is compared with one memcmp.
 */
struct agg_side {
	struct ipaddr ip; /* family 0: aggregated away */
	int port;	  /* -1: aggregated away or no ports */
	const char *type, *ns, *name, *name_aggr;
	struct label *labels; /* sorted by key, shrinks as observations disagree */
	size_t nlabels;
};

struct agg_rec {
	uint64_t hash;
	int action, reporter;
	uint8_t proto;
	struct agg_side src, dst;
	const char *pols; /* npols strings, each with its NUL, pols_len bytes in all */
	size_t pols_len, npols;
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	uint64_t flows, started, completed, unanswered;
};

struct flow_agg {
	int kind[2]; /* by enum flow_action */
	size_t max_records;
	char *host;
	struct arena arena;
	struct agg_rec **recs;
	size_t nrecs, caprecs;
	struct agg_rec **table;
	size_t tcap;
	struct strbuf pols;   /* the converted hits of the observation being added */
	struct strbuf labels; /* "k=v" texts of the record being printed */
	struct flowlog_rec *line;
	struct flow_agg_stats st;
};

#define JSON_INT_MAX ((uint64_t)INT64_MAX)

static bool valid_host(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

struct flow_agg *flow_agg_new(const struct flow_agg_opts *o)
{
	struct flow_agg_opts def = {FLOW_AGG_DEFAULT_KIND, FLOW_AGG_DEFAULT_KIND, 0, NULL};
	struct flow_agg *a;

	if (!o)
		o = &def;
	if (o->kind_allowed < 0 || o->kind_allowed > 3 || o->kind_denied < 0 ||
	    o->kind_denied > 3 || (o->host && o->host[0] && !valid_host(o->host))) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->kind[FLOW_ALLOW] = o->kind_allowed;
	a->kind[FLOW_DENY] = o->kind_denied;
	a->max_records = o->max_records ? o->max_records : FLOW_AGG_DEFAULT_MAX_RECORDS;
	a->host = strdup(o->host && o->host[0] ? o->host : "-");
	a->line = calloc(1, sizeof(*a->line));
	arena_init(&a->arena);
	strbuf_init(&a->pols);
	strbuf_init(&a->labels);
	if (!a->host || !a->line) {
		flow_agg_free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void flow_agg_free(struct flow_agg *a)
{
	if (!a)
		return;
	arena_fini(&a->arena);
	free(a->recs);
	free(a->table);
	strbuf_fini(&a->pols);
	strbuf_fini(&a->labels);
	free(a->line);
	free(a->host);
	free(a);
}

/* ---- keys ------------------------------------------------------------------------------ */

static bool proto_has_ports(uint8_t p)
{
	return p == PROTO_TCP || p == PROTO_UDP || p == PROTO_SCTP || p == PROTO_UDPLITE;
}

/* FNV-1a, 64 bit, fed field by field. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return hash_bytes(h, s, strlen(s) + 1);
}

static uint64_t hash_side(uint64_t h, const struct agg_side *s)
{
	h = hash_bytes(h, &s->ip, sizeof(s->ip));
	h = hash_bytes(h, &s->port, sizeof(s->port));
	h = hash_str(h, s->type);
	h = hash_str(h, s->ns);
	h = hash_str(h, s->name);
	return hash_str(h, s->name_aggr);
}

static uint64_t hash_key(const struct agg_rec *k)
{
	uint64_t h = 1469598103934665603ULL;

	h = hash_bytes(h, &k->action, sizeof(k->action));
	h = hash_bytes(h, &k->reporter, sizeof(k->reporter));
	h = hash_bytes(h, &k->proto, sizeof(k->proto));
	h = hash_side(h, &k->src);
	h = hash_side(h, &k->dst);
	return hash_bytes(h, k->pols, k->pols_len);
}

static bool side_equal(const struct agg_side *a, const struct agg_side *b)
{
	return ipaddr_equal(&a->ip, &b->ip) && a->port == b->port && !strcmp(a->type, b->type) &&
	       !strcmp(a->ns, b->ns) && !strcmp(a->name, b->name) &&
	       !strcmp(a->name_aggr, b->name_aggr);
}

static bool key_equal(const struct agg_rec *a, const struct agg_rec *b)
{
	return a->hash == b->hash && a->action == b->action && a->reporter == b->reporter &&
	       a->proto == b->proto && a->pols_len == b->pols_len && a->npols == b->npols &&
	       !memcmp(a->pols, b->pols, a->pols_len) && side_equal(&a->src, &b->src) &&
	       side_equal(&a->dst, &b->dst);
}

/* One side of the key from its enrichment; kind says what is aggregated away. */
static void side_key(struct agg_side *s, const struct ipaddr *ip, const struct enrich_info *e,
		     bool keep_ip, int port)
{
	memset(s, 0, sizeof(*s));
	/* Only the family's bytes count, whatever a producer left in the rest. */
	if (keep_ip && (ip->family == 4 || ip->family == 6)) {
		s->ip.family = ip->family;
		memcpy(s->ip.a, ip->a, ip->family == 4 ? 4 : 16);
	}
	s->port = port;
	s->type = e->type;
	s->ns = e->ns;
	s->name = keep_ip ? e->name : "-";
	s->name_aggr = e->name_aggr;
}

/* ---- the table ------------------------------------------------------------------------- */

static size_t slot_of(const struct flow_agg *a, const struct agg_rec *k)
{
	size_t mask = a->tcap - 1, i = (size_t)k->hash & mask;

	while (a->table[i] && !key_equal(a->table[i], k))
		i = (i + 1) & mask;
	return i;
}

static int table_grow(struct flow_agg *a)
{
	size_t cap = a->tcap ? a->tcap * 2 : 64;
	struct agg_rec **t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < a->nrecs; i++) {
		size_t j = (size_t)a->recs[i]->hash & (cap - 1);

		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = a->recs[i];
	}
	free(a->table);
	a->table = t;
	a->tcap = cap;
	return 0;
}

/* ---- adding ---------------------------------------------------------------------------- */

static const char *copy_str(struct flow_agg *a, const char *s)
{
	return arena_strdup(&a->arena, s);
}

static int side_copy(struct flow_agg *a, struct agg_side *dst, const struct agg_side *key,
		     const struct labels *l)
{
	*dst = *key;
	dst->type = copy_str(a, key->type);
	dst->ns = copy_str(a, key->ns);
	dst->name = copy_str(a, key->name);
	dst->name_aggr = copy_str(a, key->name_aggr);
	if (!dst->type || !dst->ns || !dst->name || !dst->name_aggr)
		return -ENOMEM;
	dst->labels = NULL;
	dst->nlabels = l ? l->n : 0;
	if (!dst->nlabels)
		return 0;
	dst->labels = arena_alloc(&a->arena, dst->nlabels * sizeof(*dst->labels));
	if (!dst->labels)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		dst->labels[i].key = copy_str(a, l->v[i].key);
		dst->labels[i].value = copy_str(a, l->v[i].value);
		if (!dst->labels[i].key || !dst->labels[i].value)
			return -ENOMEM;
	}
	return 0;
}

/* Keeps the labels of s that l has with the same value (both sorted by key). */
static void side_intersect(struct agg_side *s, const struct labels *l)
{
	size_t i = 0, j = 0, k = 0, n = l ? l->n : 0;

	while (i < s->nlabels && j < n) {
		int c = strcmp(s->labels[i].key, l->v[j].key);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			if (!strcmp(s->labels[i].value, l->v[j].value))
				s->labels[k++] = s->labels[i];
			i++;
			j++;
		}
	}
	s->nlabels = k;
}

/* a is at most JSON_INT_MAX, as every counter is. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return b > JSON_INT_MAX - a ? JSON_INT_MAX : a + b;
}

static void count(struct agg_rec *r, const struct flow_obs *o)
{
	uint64_t in_b = o->reporter == FLOW_REPORTER_SRC ? o->bytes_reply : o->bytes_orig;
	uint64_t out_b = o->reporter == FLOW_REPORTER_SRC ? o->bytes_orig : o->bytes_reply;
	uint64_t in_p = o->reporter == FLOW_REPORTER_SRC ? o->packets_reply : o->packets_orig;
	uint64_t out_p = o->reporter == FLOW_REPORTER_SRC ? o->packets_orig : o->packets_reply;

	r->bytes_in = sat_add(r->bytes_in, in_b);
	r->bytes_out = sat_add(r->bytes_out, out_b);
	r->packets_in = sat_add(r->packets_in, in_p);
	r->packets_out = sat_add(r->packets_out, out_p);
	r->flows++;
	r->started += o->started;
	r->completed += o->completed;
	r->unanswered += !o->answered;
}

static struct agg_rec *rec_new(struct flow_agg *a, const struct agg_rec *k,
			       const struct enrich_info *src, const struct enrich_info *dst)
{
	struct agg_rec *r = arena_alloc(&a->arena, sizeof(*r));

	if (!r)
		return NULL;
	*r = *k;
	r->pols = arena_memdup(&a->arena, k->pols, k->pols_len ? k->pols_len : 1);
	if (!r->pols || side_copy(a, &r->src, &k->src, src->labels) ||
	    side_copy(a, &r->dst, &k->dst, dst->labels))
		return NULL;
	return r;
}

static int obs_check(struct flow_agg *a, const struct flow_obs *o)
{
	if ((o->reporter != FLOW_REPORTER_SRC && o->reporter != FLOW_REPORTER_DST) ||
	    (o->action != FLOW_ALLOW && o->action != FLOW_DENY) || o->nhits > FLOW_MAX_HITS)
		return -EINVAL;
	if (a->pols.oom)
		strbuf_fini(&a->pols); /* a failed add leaves no latched error behind */
	strbuf_reset(&a->pols);
	for (size_t i = 0; i < o->nhits; i++) {
		if (flow_hit_policy(o->hits[i], i, &a->pols))
			return -EINVAL;
		strbuf_putc(&a->pols, '\0');
	}
	return a->pols.oom ? -ENOMEM : 0;
}

int flow_agg_add(struct flow_agg *a, const struct model *m, const struct flow_obs *o)
{
	struct enrich_info es, ed;
	struct agg_rec k, *r;
	int kind, err;
	bool ports;
	size_t slot;

	err = obs_check(a, o);
	if (err) {
		if (err == -EINVAL)
			a->st.invalid++;
		return err;
	}
	kind = a->kind[o->action];
	ports = proto_has_ports(o->proto);
	enrich_addr(m, &o->src, &es);
	enrich_addr(m, &o->dst, &ed);
	memset(&k, 0, sizeof(k));
	k.action = o->action;
	k.reporter = o->reporter;
	k.proto = o->proto;
	side_key(&k.src, &o->src, &es, kind < 2, kind == 0 && ports ? o->sport : -1);
	side_key(&k.dst, &o->dst, &ed, kind < 3, ports ? o->dport : -1);
	k.pols = a->pols.s ? a->pols.s : "";
	k.pols_len = a->pols.len;
	k.npols = o->nhits;
	k.hash = hash_key(&k);

	slot = a->tcap ? slot_of(a, &k) : 0;
	r = a->tcap ? a->table[slot] : NULL;
	if (r) {
		side_intersect(&r->src, es.labels);
		side_intersect(&r->dst, ed.labels);
	} else {
		if (a->nrecs >= a->max_records) {
			a->st.dropped++;
			return -ENOSPC;
		}
		if ((a->nrecs + 1) * 2 > a->tcap) {
			if (table_grow(a))
				return -ENOMEM;
			slot = slot_of(a, &k);
		}
		if (a->nrecs == a->caprecs) {
			size_t cap = a->caprecs ? a->caprecs * 2 : 64;
			struct agg_rec **v = realloc(a->recs, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			a->recs = v;
			a->caprecs = cap;
		}
		r = rec_new(a, &k, &es, &ed);
		if (!r)
			return -ENOMEM;
		a->recs[a->nrecs++] = r;
		a->table[slot] = r;
	}
	count(r, o);
	a->st.added++;
	a->st.dropped_hits += o->dropped_hits;
	return 0;
}

/* ---- flushing -------------------------------------------------------------------------- */

static int side_cmp(const struct agg_side *a, const struct agg_side *b)
{
	int c;

	if ((c = strcmp(a->ns, b->ns)) || (c = strcmp(a->name_aggr, b->name_aggr)) ||
	    (c = strcmp(a->name, b->name)) || (c = ipaddr_cmp(&a->ip, &b->ip)))
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct agg_rec *a = *(const struct agg_rec *const *)pa;
	const struct agg_rec *b = *(const struct agg_rec *const *)pb;
	size_t n = a->pols_len < b->pols_len ? a->pols_len : b->pols_len;
	int c;

	if ((c = side_cmp(&a->src, &b->src)) || (c = side_cmp(&a->dst, &b->dst)))
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->action != b->action)
		return a->action < b->action ? -1 : 1;
	if (a->reporter != b->reporter)
		return a->reporter < b->reporter ? -1 : 1;
	if ((c = strcmp(a->src.type, b->src.type)) || (c = strcmp(a->dst.type, b->dst.type)))
		return c;
	if ((c = memcmp(a->pols, b->pols, n)))
		return c;
	return a->pols_len < b->pols_len ? -1 : a->pols_len > b->pols_len;
}

/* Copies s into a fixed field; true when it had to be cut. */
static bool put_field(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);
	bool cut = n >= size;

	if (cut)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return cut;
}

/*
 * Fills out from s; the label texts are appended to a->labels and their offsets to off, to
 * be turned into pointers once the buffer stops moving.  Returns true when something had to
 * be cut to fit.
 */
static bool fill_side(struct flow_agg *a, struct flowlog_side *out, const struct agg_side *s,
		      size_t *off)
{
	size_t n = s->nlabels;
	bool cut = false;

	out->ip[0] = '\0';
	if (s->ip.family)
		ipaddr_format(&s->ip, out->ip, sizeof(out->ip));
	cut |= put_field(out->name, sizeof(out->name), s->name);
	cut |= put_field(out->name_aggr, sizeof(out->name_aggr), s->name_aggr);
	cut |= put_field(out->ns, sizeof(out->ns), s->ns);
	cut |= put_field(out->type, sizeof(out->type), s->type);
	out->port = s->port;
	if (n > FLOWLOG_MAX_LABELS) {
		n = FLOWLOG_MAX_LABELS;
		cut = true;
	}
	for (size_t i = 0; i < n; i++) {
		off[i] = a->labels.len;
		strbuf_puts(&a->labels, s->labels[i].key);
		strbuf_putc(&a->labels, '=');
		strbuf_add(&a->labels, s->labels[i].value, strlen(s->labels[i].value) + 1);
	}
	out->nlabels = n;
	return cut;
}

static void label_ptrs(struct flow_agg *a, struct flowlog_side *out, const size_t *off)
{
	for (size_t i = 0; i < out->nlabels; i++)
		out->labels[i] = a->labels.s + off[i];
}

/* Prints one record; 0, -EINVAL (not UTF-8, counted) or -ENOMEM. */
static int print_rec(struct flow_agg *a, const struct agg_rec *r, uint64_t start, uint64_t end,
		     struct strbuf *out)
{
	size_t off_src[FLOWLOG_MAX_LABELS], off_dst[FLOWLOG_MAX_LABELS];
	struct flowlog_rec *l = a->line;
	const char *p = r->pols;
	bool cut;
	int err;

	/* Every field is set below (the record is large: no memset per line). */
	l->storage = NULL;
	l->npolicies = 0;
	l->start_time = start;
	l->end_time = end;
	if (a->labels.oom)
		strbuf_fini(&a->labels);
	strbuf_reset(&a->labels);
	cut = fill_side(a, &l->src, &r->src, off_src);
	cut |= fill_side(a, &l->dst, &r->dst, off_dst);
	if (a->labels.oom)
		return -ENOMEM;
	label_ptrs(a, &l->src, off_src);
	label_ptrs(a, &l->dst, off_dst);
	snprintf(l->proto, sizeof(l->proto), "%s",
		 flow_proto_name(r->proto, l->proto, sizeof(l->proto)));
	strcpy(l->action, r->action == FLOW_ALLOW ? "allow" : "deny");
	strcpy(l->reporter, r->reporter == FLOW_REPORTER_SRC ? "src" : "dst");
	for (size_t i = 0; i < r->npols && i < FLOWLOG_MAX_POLICIES; i++) {
		l->policies[l->npolicies++] = p;
		p += strlen(p) + 1;
	}
	l->bytes_in = r->bytes_in;
	l->bytes_out = r->bytes_out;
	l->packets_in = r->packets_in;
	l->packets_out = r->packets_out;
	l->num_flows = r->flows;
	l->num_flows_started = r->started;
	l->num_flows_completed = r->completed;
	l->num_flows_unanswered = r->unanswered;
	cut |= put_field(l->host, sizeof(l->host), a->host);
	err = flowlog_print(l, out);
	if (err == -EINVAL)
		a->st.unprintable++;
	else if (!err && cut)
		a->st.truncated++;
	return err;
}

int flow_agg_flush(struct flow_agg *a, uint64_t start, uint64_t end, struct strbuf *out)
{
	uint64_t printed = 0, unprintable = a->st.unprintable, truncated = a->st.truncated;
	int err;

	if (end < start || end > JSON_INT_MAX)
		return -EINVAL;
	if (a->nrecs > 1)
		qsort(a->recs, a->nrecs, sizeof(*a->recs), rec_cmp);
	for (size_t i = 0; i < a->nrecs; i++) {
		err = print_rec(a, a->recs[i], start, end, out);
		if (err == -ENOMEM) {
			/* Nothing is emptied; the counts of this attempt are taken back. */
			a->st.unprintable = unprintable;
			a->st.truncated = truncated;
			return -ENOMEM;
		}
		printed += !err;
	}
	a->st.records += printed;
	arena_fini(&a->arena);
	arena_init(&a->arena);
	a->nrecs = 0;
	if (a->tcap)
		memset(a->table, 0, a->tcap * sizeof(*a->table));
	return printed > INT_MAX ? INT_MAX : (int)printed;
}

void flow_agg_get_stats(const struct flow_agg *a, struct flow_agg_stats *out)
{
	*out = a->st;
	out->pending = a->nrecs;
}
