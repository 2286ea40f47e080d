/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/collector.h"

#include "dataplane/nft_names.h"
#include "dataplane/nft_render.h"
#include "lib/flow_agg.h"
#include "lib/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 1024
/* Dumps in a row that must miss a conntrack entry before its flow is taken as ended. */
#define VANISH_DUMPS 2

enum { C_PKT_ORIG, C_BYTES_ORIG, C_PKT_REPLY, C_BYTES_REPLY, C_N };

/*
 * One flow of one reporter.  Counters are cumulative since the flow began; rep holds what
 * earlier windows reported, so a window's delta is the difference.  Conntrack counters are
 * kept per entry: ct_cur is the entry joined now, ct_base what earlier entries of the same
 * tuple counted (a port reused after a destroy the flow had not yet reported).
 */
struct cflow {
	struct flow_key key;
	struct cflow *next; /* hash chain */
	char *hits[FLOW_MAX_HITS];
	size_t nhits, dropped_hits;
	bool decided; /* the first packet's hits ended in Allow or Deny */
	enum flow_action action;
	bool ct;      /* a conntrack entry has joined */
	bool ct_gone; /* ... and it ended */
	bool answered;
	bool started;  /* began while watched, not reported yet */
	bool touched;  /* an NFLOG decision or a conntrack event in this window */
	bool deferred; /* its first report waited a window for its hits */
	uint32_t ct_id;
	unsigned ct_missed; /* complete dumps in a row that did not list the entry */
	uint64_t dump_gen;  /* the last dump that listed it */
	uint64_t ct_base[C_N], ct_cur[C_N];
	uint64_t nf[C_N]; /* packets NFLOG decided, without conntrack (orig only) */
	uint64_t rep[C_N];
};

struct collector {
	struct collector_opts o;
	struct cflow **buckets;
	size_t nbuckets; /* a power of two */
	size_t n;
	uint64_t dump_gen;
	bool in_dump;
	bool baselined; /* a complete dump has been seen */
	struct collector_stats stats;
	/* The rule-id keys of the current model (nft_names.h), built on the first NFLOG record
	 * after a model change rather than for every record. */
	struct nft_names names;
	bool names_valid;
};

struct collector *collector_new(const struct collector_opts *opts)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->o = *opts;
	if (!c->o.max_flows)
		c->o.max_flows = COLLECTOR_MAX_FLOWS;
	c->nbuckets = MIN_BUCKETS;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

static void flow_free(struct cflow *f)
{
	for (size_t i = 0; i < f->nhits; i++)
		free(f->hits[i]);
	free(f);
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < c->nbuckets; b++) {
		struct cflow *f = c->buckets[b], *next;

		for (; f; f = next) {
			next = f->next;
			flow_free(f);
		}
	}
	free(c->buckets);
	nft_names_fini(&c->names);
	free(c);
}

static const struct model *model(const struct collector *c)
{
	return c->o.model ? c->o.model(c->o.model_arg) : NULL;
}

static struct cflow **slot(struct collector *c, const struct flow_key *k)
{
	struct cflow **p = &c->buckets[flow_key_hash(k) & (c->nbuckets - 1)];

	while (*p && memcmp(&(*p)->key, k, sizeof(*k)))
		p = &(*p)->next;
	return p;
}

/* Doubles the bucket array when the table outgrows it; on allocation failure the chains
 * just get longer. */
static void grow(struct collector *c)
{
	size_t nb = c->nbuckets * 2;
	struct cflow **v;

	if (c->n < c->nbuckets)
		return;
	v = calloc(nb, sizeof(*v));
	if (!v)
		return;
	for (size_t b = 0; b < c->nbuckets; b++) {
		struct cflow *f = c->buckets[b], *next;

		for (; f; f = next) {
			size_t i = flow_key_hash(&f->key) & (nb - 1);

			next = f->next;
			f->next = v[i];
			v[i] = f;
		}
	}
	free(c->buckets);
	c->buckets = v;
	c->nbuckets = nb;
}

/* The flow of k, created when create is set; NULL when absent, or when the table is full or
 * memory is short (counted). */
static struct cflow *lookup(struct collector *c, const struct flow_key *k, bool create)
{
	struct cflow **p = slot(c, k), *f;

	if (*p || !create)
		return *p;
	if (c->n >= c->o.max_flows) {
		c->stats.flows_dropped++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		c->stats.flows_dropped++;
		return NULL;
	}
	f->key = *k;
	f->started = true;
	f->touched = true;
	*p = f;
	c->n++;
	grow(c);
	return f;
}

/* Is a an endpoint of this node? */
static bool local(const struct collector *c, const struct model *m, const struct ipaddr *a)
{
	uint32_t ep = m ? model_endpoint_by_ip(m, a) : MODEL_NONE;

	if (ep == MODEL_NONE)
		return false;
	return !c->o.node || (m->eps[ep].node && !strcmp(m->eps[ep].node, c->o.node));
}

void collector_model_changed(struct collector *c)
{
	nft_names_fini(&c->names);
	c->names_valid = false;
}

/* The default resolver: nft_rule_id_parse, the cached names, nft_rule_id_decided. */
static int resolve_cached(struct collector *c, const struct model *m, const char *prefix,
			  uint32_t ep, char *buf, size_t size)
{
	struct nft_rule_id id;

	if (nft_rule_id_parse(prefix, &id))
		return -EINVAL;
	if (!c->names_valid) {
		if (nft_names_build(m, &c->names))
			return -ENOMEM;
		c->names_valid = true;
	}
	if (nft_rule_id_resolve(&c->names, m, &id))
		return -EINVAL;
	return nft_rule_id_decided(m, &id, ep, buf, size);
}

void collector_nflog(struct collector *c, const struct nflog_rec *rec)
{
	const struct model *m = model(c);
	const struct ipaddr *who =
		rec->key.reporter == FLOW_REPORTER_SRC ? &rec->key.src : &rec->key.dst;
	uint32_t ep = m ? model_endpoint_by_ip(m, who) : MODEL_NONE;
	char decided[1024];
	int n = !m	       ? -EINVAL
		: c->o.resolve ? c->o.resolve(m, rec->prefix, ep, decided, sizeof(decided))
			       : resolve_cached(c, m, rec->prefix, ep, decided, sizeof(decided));
	int d = n >= 0 && (size_t)n < sizeof(decided) ? nflog_rec_decision(decided)
						      : NFLOG_REC_INVALID;
	struct cflow *f;

	if (d == NFLOG_REC_INVALID) {
		c->stats.hits_unknown++;
		return;
	}
	f = lookup(c, &rec->key, true);
	if (!f)
		return;
	c->stats.hits++;
	if (!f->decided) {
		if (f->nhits < FLOW_MAX_HITS) {
			f->hits[f->nhits] = strdup(decided);
			if (f->hits[f->nhits])
				f->nhits++;
			else
				f->dropped_hits++;
		} else {
			f->dropped_hits++;
		}
	}
	if (d == NFLOG_REC_CONTINUE)
		return;
	if (!f->decided) {
		f->decided = true;
		f->action = d == NFLOG_REC_ALLOW ? FLOW_ALLOW : FLOW_DENY;
	}
	/* One decision per packet: without conntrack, NFLOG is what counts the packets. */
	if (!f->ct) {
		f->nf[C_PKT_ORIG]++;
		f->nf[C_BYTES_ORIG] += rec->ip_len;
	}
	f->touched = true;
}

static void key_of(const struct conntrack_entry *e, enum flow_reporter r, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = e->src;
	k->dst = e->dst;
	k->proto = e->proto;
	k->reporter = (uint8_t)r;
	k->sport = e->sport;
	k->dport = e->dport;
	k->icmp_type = (int16_t)e->icmp_type;
	k->icmp_code = (int16_t)e->icmp_code;
	k->icmp_id = e->icmp_id;
}

static void join(struct collector *c, struct cflow *f, const struct conntrack_entry *e,
		 bool created)
{
	const uint64_t v[C_N] = {e->packets_orig, e->bytes_orig, e->packets_reply, e->bytes_reply};

	if (!f->ct || f->ct_id != e->id) {
		/* A new entry: what an earlier one counted stays in the base. */
		for (int i = 0; f->ct && i < C_N; i++)
			f->ct_base[i] += f->ct_cur[i];
		memset(f->ct_cur, 0, sizeof(f->ct_cur));
		f->ct = true;
		f->ct_id = e->id;
		f->ct_gone = false;
	}
	/* Dumps and events race; counters only grow, so the largest is the latest. */
	for (int i = 0; e->has_counters && i < C_N; i++)
		if (v[i] > f->ct_cur[i])
			f->ct_cur[i] = v[i];
	if (e->status & (CONNTRACK_SEEN_REPLY | CONNTRACK_ASSURED) || f->ct_cur[C_PKT_REPLY])
		f->answered = true;
	if (e->type == CONNTRACK_DESTROY)
		f->ct_gone = true;
	if (e->type == CONNTRACK_DUMP || c->in_dump) {
		f->dump_gen = c->dump_gen;
		f->ct_missed = 0;
	}
	if (created && e->type == CONNTRACK_DUMP && !c->baselined) {
		/* Older than this collector: its past is not ours to report. */
		f->started = false;
		memcpy(f->rep, f->ct_cur, sizeof(f->rep));
	}
	if (e->type != CONNTRACK_DUMP)
		f->touched = true;
	c->stats.ct_entries++;
}

void collector_conntrack(struct collector *c, const struct conntrack_entry *e)
{
	const struct model *m = model(c);
	static const enum flow_reporter reps[] = {FLOW_REPORTER_SRC, FLOW_REPORTER_DST};

	for (size_t i = 0; i < 2; i++) {
		const struct ipaddr *who = reps[i] == FLOW_REPORTER_SRC ? &e->src : &e->dst;
		struct flow_key k;
		struct cflow *f;
		bool created;

		key_of(e, reps[i], &k);
		f = lookup(c, &k, false);
		created = !f;
		if (!f && local(c, m, who))
			f = lookup(c, &k, true);
		if (f)
			join(c, f, e, created);
	}
}

void collector_dump_begin(struct collector *c)
{
	c->dump_gen++;
	c->in_dump = true;
}

void collector_dump_end(struct collector *c, bool complete)
{
	c->in_dump = false;
	if (!complete)
		return;
	for (size_t b = 0; b < c->nbuckets; b++) {
		for (struct cflow *f = c->buckets[b]; f; f = f->next) {
			if (!f->ct || f->ct_gone || f->dump_gen == c->dump_gen)
				continue;
			if (++f->ct_missed >= VANISH_DUMPS) {
				f->ct_gone = true;
				c->stats.ct_vanished++;
			}
		}
	}
	c->baselined = true;
}

static void totals(const struct cflow *f, uint64_t t[C_N])
{
	for (int i = 0; i < C_N; i++)
		t[i] = f->ct ? f->ct_base[i] + f->ct_cur[i] : f->nf[i];
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* The window's observation of f, if it has one; *remove when f has ended. */
static bool observe(struct collector *c, struct cflow *f, struct flow_obs *o, bool *remove)
{
	uint64_t t[C_N], d[C_N];
	bool moved = false, completed, emit;

	totals(f, t);
	for (int i = 0; i < C_N; i++) {
		d[i] = delta(t[i], f->rep[i]);
		moved = moved || d[i];
	}
	if (f->ct) {
		completed = f->ct_gone;
		emit = f->started || moved || completed;
		/* NFLOG delivers a hit a little after conntrack announces the connection: one
		 * that began at the end of the window waits for it, so that its hits are in its
		 * first report rather than splitting it in two. */
		if (emit && f->started && !f->decided && !completed && !f->deferred) {
			f->deferred = true;
			emit = false;
		}
	} else {
		/* Without conntrack a flow ends when a whole window passes without a packet;
		 * one that never got a decision has no action to report. */
		completed = !f->touched;
		emit = f->decided;
		if (completed && !f->decided)
			c->stats.flows_undecided++;
	}
	*remove = completed;
	if (!emit)
		return false;
	for (int i = 0; i < C_N; i++)
		if (t[i] > f->rep[i])
			f->rep[i] = t[i];
	memset(o, 0, sizeof(*o));
	o->src = f->key.src;
	o->dst = f->key.dst;
	o->proto = f->key.proto;
	o->icmp_type = f->key.icmp_type;
	o->icmp_code = f->key.icmp_code;
	if (f->key.icmp_type < 0) {
		o->sport = f->key.sport;
		o->dport = f->key.dport;
	}
	o->reporter = (enum flow_reporter)f->key.reporter;
	/* A connection conntrack confirmed got through this node's policy. */
	o->action = f->decided ? f->action : FLOW_ALLOW;
	for (size_t i = 0; i < f->nhits; i++)
		o->hits[i] = f->hits[i];
	o->nhits = f->nhits;
	o->dropped_hits = f->dropped_hits;
	o->started = f->started;
	o->completed = completed;
	o->answered = f->ct && (f->answered || t[C_PKT_REPLY]);
	o->packets_orig = d[C_PKT_ORIG];
	o->bytes_orig = d[C_BYTES_ORIG];
	o->packets_reply = d[C_PKT_REPLY];
	o->bytes_reply = d[C_BYTES_REPLY];
	f->started = false;
	return true;
}

size_t collector_end_window(struct collector *c, collector_obs_fn *fn, void *arg)
{
	size_t n = 0;

	for (size_t b = 0; b < c->nbuckets; b++) {
		struct cflow **p = &c->buckets[b];

		while (*p) {
			struct cflow *f = *p;
			struct flow_obs o;
			bool remove;

			if (observe(c, f, &o, &remove)) {
				fn(arg, &o);
				n++;
			}
			f->touched = false;
			if (remove) {
				*p = f->next;
				flow_free(f);
				c->n--;
			} else {
				p = &f->next;
			}
		}
	}
	c->stats.observations += n;
	c->stats.windows++;
	return n;
}

struct agg_ctx {
	struct flow_agg *agg;
	const struct model *m;
	int err;
};

static void to_agg(void *arg, const struct flow_obs *o)
{
	struct agg_ctx *x = arg;
	int rc = flow_agg_add(x->agg, x->m, o);

	/* -ENOSPC and -EINVAL are counted by the aggregator. */
	if (rc == -ENOMEM)
		x->err = rc;
}

int collector_flush(struct collector *c, struct flow_agg *agg, uint64_t start, uint64_t end,
		    struct strbuf *out)
{
	struct agg_ctx x = {agg, model(c), 0};

	collector_end_window(c, to_agg, &x);
	if (x.err)
		return x.err;
	return flow_agg_flush(agg, start, end, out);
}

void collector_get_stats(const struct collector *c, struct collector_stats *out)
{
	*out = c->stats;
	out->flows_active = c->n;
}
