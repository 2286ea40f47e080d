/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/detect_gtf.h"

#include "lib/distinct.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Threat-feed hits (DESIGN §8, docs/detectors.md#gtf_suspicious_flow).  A record touches a
 * feed when one of its sides is the GlobalNetworkSet "threatfeed.<feed>" (type "ns", global,
 * the name the flow log enrichment gives an outside address that a feed lists).  Its flow
 * identity is the text
 *
 *   <set>|<source>|<destination>|<destination port>|<protocol>
 *
 * where a side is its IP, or "type/namespace/name_aggr" when the IP was aggregated away.  The
 * source and destination IPs name the flow whatever node reports it, so the "src" and "dst"
 * reports of one flow are the same identity and count once.
 *
 * The job remembers every identity it reported for realert_seconds (the start of the window of
 * the event, `alerted`), so that a flow that goes on, or repeats, gives one event per
 * interval.  A record of an identity not remembered, or remembered for longer than the
 * interval, opens an episode: a *hit*, a copy of what the event will say, waits for the end of
 * the window (so that the other reporter's record of the same window folds into it: a denial
 * by either side makes the flow denied), and end_window() emits the hits in the order they
 * were opened.
 *
 * Memory: identities are 128 bits (two 64-bit hashes of the text with different seeds; the
 * text itself is only kept in a hit), held in an array of entries found through a chained
 * hash table (load at most 1) and linked in least-recently-seen order.  At the end of every
 * window the entries not seen for realert_seconds are dropped (nothing they could suppress is
 * left); at max_keys a new identity evicts the least recently seen one, which may then be
 * reported again before its interval is over (counted `evicted`).  Hits are capped by
 * max_pending per window: a new identity beyond it is not remembered (counted `deferred`), so
 * its next record, in a later window, reports it.
 */

#define NONE 0u /* "no entry" in the position + 1 links below */

struct gtf_hit {
	char key[1024]; /* the identity, for the event id */
	char set[256];	/* "threatfeed.<feed>" */
	struct event_side src, dst;
	char other_type[8]; /* the type of the side that is not the feed's */
	char proto[16];
	char policy[256]; /* the policy that denied (denied) or allowed the flow; "" unknown */
	char label[256];  /* the set's first label "k=v", "" when none */
	char host[64];
	bool inbound; /* the feed's address is the source */
	bool denied;
	uint8_t reporters; /* 1: src, 2: dst */
	uint64_t flows;
	uint64_t start, end;
};

struct gtf_entry {
	uint64_t h1, h2;
	uint64_t alerted;      /* start of the window of the identity's last event */
	uint64_t last_seen;    /* start of the last window with a record */
	uint32_t bnext;	       /* next in the bucket (or the free list): position + 1 */
	uint32_t older, newer; /* the recency list: position + 1 */
	uint32_t pend;	       /* the pending hit: index + 1 in gtf->pend, NONE */
};

struct gtf_pend {
	uint32_t ent;
	struct gtf_hit *hit;
};

struct gtf {
	uint32_t realert, warmup, max_keys, max_pending;
	uint64_t windows;
	struct gtf_entry *ents;
	uint32_t capents, nslots; /* allocated, and positions ever used */
	uint32_t nkeys;
	uint32_t free_head; /* position + 1 */
	uint32_t *buckets;  /* position + 1 */
	uint32_t nbuckets;
	uint32_t oldest, newest; /* position + 1 */
	struct gtf_pend *pend;
	uint32_t npend, cappend;
	struct detect_gtf_stats st;
};

static bool is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/* ---- state and parameters ---------------------------------------------------------------- */

static void *gtf_create(void)
{
	struct gtf *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->realert = DETECT_GTF_REALERT_SECONDS;
	s->max_keys = DETECT_GTF_MAX_KEYS;
	s->max_pending = DETECT_GTF_MAX_PENDING;
	return s;
}

static void gtf_destroy(void *p)
{
	struct gtf *s = p;

	if (!s)
		return;
	for (uint32_t i = 0; i < s->npend; i++)
		free(s->pend[i].hit);
	free(s->pend);
	free(s->ents);
	free(s->buckets);
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

static bool evict_oldest(struct gtf *s, uint64_t now);

static int gtf_set_param(void *p, const char *name, double v)
{
	struct gtf *s = p;
	uint32_t u;

	if (!strcmp(name, "sensitivity")) {
		/* Accepted as every job must; a hit has no threshold to scale. */
		if (!(v > 0 && v <= 1e6))
			return -EINVAL;
	} else if (!strcmp(name, "warmup_windows")) {
		if (!int_param(v, 0, 1e6, &u))
			return -EINVAL;
		s->warmup = u;
	} else if (!strcmp(name, "realert_seconds")) {
		if (!int_param(v, 0, 30 * 86400, &u))
			return -EINVAL;
		s->realert = u;
	} else if (!strcmp(name, "max_keys")) {
		if (!int_param(v, 16, 1e8, &u))
			return -EINVAL;
		s->max_keys = u;
		/* Down to the new cap; flows with an event pending stay until it is emitted. */
		while (s->nkeys > s->max_keys && evict_oldest(s, UINT64_MAX))
			;
	} else if (!strcmp(name, "max_pending")) {
		if (!int_param(v, 1, 1e6, &u))
			return -EINVAL;
		s->max_pending = u;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ---- the identity table ------------------------------------------------------------------- */

static uint32_t bucket_of(const struct gtf *s, uint64_t h1)
{
	return (uint32_t)h1 & (s->nbuckets - 1);
}

static long lookup(const struct gtf *s, uint64_t h1, uint64_t h2)
{
	if (!s->nbuckets)
		return -1;
	for (uint32_t i = s->buckets[bucket_of(s, h1)]; i != NONE; i = s->ents[i - 1].bnext) {
		const struct gtf_entry *e = &s->ents[i - 1];

		if (e->h1 == h1 && e->h2 == h2)
			return (long)i - 1;
	}
	return -1;
}

static int buckets_resize(struct gtf *s, uint32_t n)
{
	uint32_t *b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
	/* Every live entry is on the recency list. */
	for (uint32_t i = s->oldest; i != NONE; i = s->ents[i - 1].newer) {
		struct gtf_entry *e = &s->ents[i - 1];
		uint32_t k = bucket_of(s, e->h1);

		e->bnext = s->buckets[k];
		s->buckets[k] = i;
	}
	return 0;
}

static void list_unlink(struct gtf *s, uint32_t pos)
{
	struct gtf_entry *e = &s->ents[pos];

	if (e->older)
		s->ents[e->older - 1].newer = e->newer;
	else
		s->oldest = e->newer;
	if (e->newer)
		s->ents[e->newer - 1].older = e->older;
	else
		s->newest = e->older;
	e->older = e->newer = NONE;
}

static void list_append(struct gtf *s, uint32_t pos)
{
	struct gtf_entry *e = &s->ents[pos];

	e->older = s->newest;
	e->newer = NONE;
	if (s->newest)
		s->ents[s->newest - 1].newer = pos + 1;
	else
		s->oldest = pos + 1;
	s->newest = pos + 1;
}

/* Drops the entry at pos (which has no pending hit) from the table and the list. */
static void entry_remove(struct gtf *s, uint32_t pos)
{
	struct gtf_entry *e = &s->ents[pos];
	uint32_t *link = &s->buckets[bucket_of(s, e->h1)];

	while (*link != pos + 1)
		link = &s->ents[*link - 1].bnext;
	*link = e->bnext;
	list_unlink(s, pos);
	e->bnext = s->free_head;
	s->free_head = pos + 1;
	s->nkeys--;
}

/*
 * Drops the least recently seen entry unless its event is still pending; false when it is
 * (then every entry was seen in the current window).  An entry whose interval ran out by now
 * counts as expired, any other as evicted.
 */
static bool evict_oldest(struct gtf *s, uint64_t now)
{
	uint32_t pos;
	const struct gtf_entry *e;

	if (s->oldest == NONE)
		return false;
	pos = s->oldest - 1;
	e = &s->ents[pos];
	if (e->pend != NONE)
		return false;
	if (now != UINT64_MAX && now >= e->alerted && now - e->alerted >= s->realert)
		s->st.expired++;
	else
		s->st.evicted++;
	entry_remove(s, pos);
	return true;
}

/* A new entry (not yet in the list), or -ENOMEM. */
static long entry_new(struct gtf *s, uint64_t h1, uint64_t h2)
{
	struct gtf_entry *e;
	uint32_t pos, k;

	if ((uint64_t)s->nkeys + 1 > s->nbuckets) {
		uint32_t n = s->nbuckets ? s->nbuckets * 2 : 64;

		if (n > s->nbuckets && buckets_resize(s, n))
			return -ENOMEM;
	}
	if (s->free_head != NONE) {
		pos = s->free_head - 1;
		s->free_head = s->ents[pos].bnext;
	} else {
		if (s->nslots == s->capents) {
			uint32_t cap = s->capents ? s->capents * 2 : 64;

			if (cap > s->max_keys || cap < s->capents)
				cap = s->max_keys > s->capents ? s->max_keys : s->capents + 1;
			e = realloc(s->ents, (size_t)cap * sizeof(*e));
			if (!e)
				return -ENOMEM;
			s->ents = e;
			s->capents = cap;
		}
		pos = s->nslots++;
	}
	e = &s->ents[pos];
	memset(e, 0, sizeof(*e));
	e->h1 = h1;
	e->h2 = h2;
	k = bucket_of(s, h1);
	e->bnext = s->buckets[k];
	s->buckets[k] = pos + 1;
	s->nkeys++;
	return pos;
}

/* ---- records ----------------------------------------------------------------------------- */

static const size_t prefix_len = sizeof(DETECT_GTF_SET_PREFIX) - 1;

/* Whether f is a threat feed's GlobalNetworkSet. */
static bool is_feed(const struct flowlog_side *f)
{
	return is(f->type, "ns") && is(f->ns, "-") &&
	       !strncmp(f->name_aggr, DETECT_GTF_SET_PREFIX, prefix_len) &&
	       f->name_aggr[prefix_len] != '\0';
}

static int side_key(char *out, size_t size, const struct flowlog_side *f)
{
	if (f->ip[0])
		return snprintf(out, size, "%s", f->ip);
	return snprintf(out, size, "%s/%s/%s", f->type, f->ns, f->name_aggr);
}

static void identity(char *out, size_t size, const struct flowlog_rec *r, const char *set)
{
	size_t n = (size_t)snprintf(out, size, "%s|", set);

	n += (size_t)side_key(out + n, size - n, &r->src);
	n += (size_t)snprintf(out + n, size - n, "|");
	n += (size_t)side_key(out + n, size - n, &r->dst);
	if (r->dst.port >= 0)
		snprintf(out + n, size - n, "|%d|%s", r->dst.port, r->proto);
	else
		snprintf(out + n, size - n, "|-|%s", r->proto);
}

/*
 * The policy of the last hit of r whose action is action ("deny", "allow"), copied into out
 * ("" when none): the third field of "<idx>|<tier>|<policy>|<action>|<rule>".
 */
static void policy_of(const struct flowlog_rec *r, const char *action, char *out, size_t size)
{
	size_t alen = strlen(action);

	out[0] = '\0';
	for (size_t i = r->npolicies; i-- > 0;) {
		const char *h = r->policies[i], *p = strchr(h, '|'), *q, *a;

		p = p ? strchr(p + 1, '|') : NULL;
		q = p ? strchr(p + 1, '|') : NULL;
		if (!q)
			continue;
		a = q + 1;
		if (strncmp(a, action, alen) || a[alen] != '|')
			continue;
		p++;
		if ((size_t)(q - p) >= size)
			q = p + utf8_prefix_len(p, size - 1);
		memcpy(out, p, (size_t)(q - p));
		out[q - p] = '\0';
		return;
	}
}

static void side_copy(struct event_side *e, const struct flowlog_side *f)
{
	utf8_copy(e->ip, sizeof(e->ip), f->ip);
	e->port = f->port;
	utf8_copy(e->name, sizeof(e->name), is(f->name, "-") ? "" : f->name);
	utf8_copy(e->name_aggr, sizeof(e->name_aggr), is(f->name_aggr, "-") ? "" : f->name_aggr);
	utf8_copy(e->ns, sizeof(e->ns), is(f->ns, "-") ? "" : f->ns);
}

static uint8_t reporter_bit(const struct flowlog_rec *r)
{
	return is(r->reporter, "src") ? 1 : is(r->reporter, "dst") ? 2 : 0;
}

static struct gtf_hit *hit_new(const struct flowlog_rec *r, const char *key, bool inbound)
{
	const struct flowlog_side *feed = inbound ? &r->src : &r->dst;
	const struct flowlog_side *other = inbound ? &r->dst : &r->src;
	struct gtf_hit *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	snprintf(h->key, sizeof(h->key), "%s", key);
	snprintf(h->set, sizeof(h->set), "%s", feed->name_aggr);
	side_copy(&h->src, &r->src);
	side_copy(&h->dst, &r->dst);
	snprintf(h->other_type, sizeof(h->other_type), "%s", other->type);
	snprintf(h->proto, sizeof(h->proto), "%s", r->proto);
	h->denied = is(r->action, "deny");
	policy_of(r, h->denied ? "deny" : "allow", h->policy, sizeof(h->policy));
	if (feed->nlabels)
		utf8_copy(h->label, sizeof(h->label), feed->labels[0]);
	utf8_copy(h->host, sizeof(h->host), is(r->host, "-") ? "" : r->host);
	h->inbound = inbound;
	h->reporters = reporter_bit(r);
	h->flows = r->num_flows;
	h->start = r->start_time;
	h->end = r->end_time;
	return h;
}

/* The other reporter's record of the same flow in the same window: a denial on either side wins. */
static void hit_merge(struct gtf_hit *h, const struct flowlog_rec *r)
{
	h->reporters |= reporter_bit(r);
	if (r->num_flows > h->flows)
		h->flows = r->num_flows;
	if (!h->denied && is(r->action, "deny")) {
		h->denied = true;
		policy_of(r, "deny", h->policy, sizeof(h->policy));
	}
}

/* Opens an episode for the entry at pos; false (nothing changed) when the window is full. */
static bool open_hit(struct gtf *s, uint32_t pos, const struct flowlog_rec *r, const char *key,
		     bool inbound)
{
	struct gtf_hit *h;

	if (s->npend >= s->max_pending) {
		s->st.deferred++;
		return false;
	}
	if (s->npend == s->cappend) {
		uint32_t cap = s->cappend ? s->cappend * 2 : 16;
		struct gtf_pend *p;

		if (cap > s->max_pending)
			cap = s->max_pending;
		p = realloc(s->pend, (size_t)cap * sizeof(*p));
		if (!p) {
			s->st.nomem++;
			return false;
		}
		s->pend = p;
		s->cappend = cap;
	}
	h = hit_new(r, key, inbound);
	if (!h) {
		s->st.nomem++;
		return false;
	}
	s->pend[s->npend].ent = pos;
	s->pend[s->npend].hit = h;
	s->ents[pos].pend = ++s->npend;
	s->ents[pos].alerted = r->start_time;
	return true;
}

static void gtf_add(void *p, const struct flowlog_rec *r)
{
	struct gtf *s = p;
	struct gtf_entry *e;
	char key[1024];
	bool inbound;
	uint64_t h1, h2;
	long pos;

	if (is_feed(&r->src))
		inbound = true;
	else if (is_feed(&r->dst))
		inbound = false;
	else
		return;
	s->st.records++;
	if (s->windows < s->warmup) {
		s->st.warmup++;
		return;
	}
	identity(key, sizeof(key), r, inbound ? r->src.name_aggr : r->dst.name_aggr);
	h1 = distinct_hash(key, strlen(key), 0x6774665f31ULL);
	h2 = distinct_hash(key, strlen(key), 0x6774665f32ULL);

	pos = lookup(s, h1, h2);
	if (pos >= 0) {
		e = &s->ents[pos];
		if (e->last_seen < r->start_time)
			e->last_seen = r->start_time;
		list_unlink(s, (uint32_t)pos);
		list_append(s, (uint32_t)pos);
		if (e->pend != NONE) {
			hit_merge(s->pend[e->pend - 1].hit, r);
			s->st.merged++;
		} else if (r->start_time >= e->alerted &&
			   r->start_time - e->alerted >= s->realert) {
			(void)open_hit(s, (uint32_t)pos, r, key, inbound);
		} else {
			s->st.repeats++;
		}
		return;
	}

	if (s->npend >= s->max_pending) {
		s->st.deferred++;
		return;
	}
	if (s->nkeys >= s->max_keys && !evict_oldest(s, r->start_time)) {
		/* Every flow held was seen in this window and waits for its event. */
		s->st.deferred++;
		return;
	}
	pos = entry_new(s, h1, h2);
	if (pos < 0) {
		s->st.nomem++;
		return;
	}
	e = &s->ents[pos];
	e->last_seen = r->start_time;
	list_append(s, (uint32_t)pos);
	if (!open_hit(s, (uint32_t)pos, r, key, inbound))
		entry_remove(s, (uint32_t)pos);
}

/* ---- events ------------------------------------------------------------------------------ */

/* The endpoint that is not the feed's, as the description names it. */
static void describe_other(const struct event_side *o, const char *type, bool subject, char *out,
			   size_t size)
{
	const char *name = o->name[0] ? o->name : o->name_aggr;

	if (is(type, "wep"))
		snprintf(out, size, "%s%s/%s", subject ? "pod " : "", o->ns, name);
	else if (is(type, "hep"))
		snprintf(out, size, "host endpoint %s", name);
	else if (o->ip[0] && name[0] && !is(name, "pub") && !is(name, "pvt"))
		snprintf(out, size, "%s (%s)", o->ip, name);
	else if (o->ip[0])
		snprintf(out, size, "%s", o->ip);
	else
		snprintf(out, size, "%s%s%s", o->ns, o->ns[0] ? "/" : "", name);
}

/* Adds text (cut at a character boundary to fit) to e's mitigations. */
static void mitigate(struct sec_event *e, const char *text)
{
	if (e->nmitigations >= EVENT_MAX_MITIGATIONS)
		return;
	utf8_copy(e->mitigations[e->nmitigations], sizeof(e->mitigations[0]), text);
	e->nmitigations++;
}

/* "feed == 'blocklist'" from the label "feed=blocklist" into out; false when there is none. */
static bool selector_of(const char *label, char *out, size_t size)
{
	const char *eq = strchr(label, '=');

	if (!label[0] || !eq)
		return false;
	snprintf(out, size, "%.*s == '%s'", (int)(eq - label), label, eq + 1);
	return true;
}

static void gtf_emit(struct gtf *s, const struct gtf_hit *h, uint64_t end, detect_emit_fn *emit,
		     void *arg)
{
	const struct event_side *feed = h->inbound ? &h->src : &h->dst;
	const struct event_side *other = h->inbound ? &h->dst : &h->src;
	const char *name = h->set + prefix_len;
	char sip[64], who[600], sel[600], text[1400];
	struct sec_event *e = malloc(sizeof(*e));

	if (!e) {
		s->st.nomem++;
		return;
	}
	event_init(e);
	e->time = end;
	snprintf(e->type, sizeof(e->type), "%s", DETECT_GTF_TYPE);
	utf8_copy(e->origin, sizeof(e->origin), h->set);
	e->severity = h->denied ? DETECT_GTF_SEVERITY_DENIED : DETECT_GTF_SEVERITY_ALLOWED;
	e->src = h->src;
	e->dst = h->dst;
	snprintf(e->host, sizeof(e->host), "%s", h->host);
	e->actual = (double)h->flows;
	e->window_start = h->start;
	e->window_end = h->end;
	event_set_id(e, h->key);

	if (feed->ip[0])
		snprintf(sip, sizeof(sip), "suspicious IP %s", feed->ip);
	else
		snprintf(sip, sizeof(sip), "a suspicious IP");
	describe_other(other, h->other_type, !h->inbound, who, sizeof(who));
	if (h->inbound)
		event_describe(e, "%s, listed in Global Threat Feed %s, connected to %s", sip, name,
			       who);
	else
		event_describe(e, "%s connected to %s which is listed in Global Threat Feed %s",
			       who, sip, name);

	event_add_str(e, "feeds", name);
	event_add_str(e, "network_set", h->set);
	event_add_str(e, "suspicious_ip", feed->ip);
	event_add_str(e, "direction", h->inbound ? "inbound" : "outbound");
	event_add_str(e, "flow_action", h->denied ? "deny" : "allow");
	event_add_str(e, "protocol", h->proto);
	event_add_str(e, "policy", h->policy);
	event_add_str(e, "reporters",
		      h->reporters == 3	  ? "src,dst"
		      : h->reporters == 2 ? "dst"
		      : h->reporters == 1 ? "src"
					  : "");
	event_add_num(e, "realert_seconds", s->realert);

	/* Calico Enterprise's ids and tactics by direction (docs/detectors.md). */
	snprintf(e->mitre_ids[0], sizeof(e->mitre_ids[0]), "%s", h->inbound ? "T1090" : "T1041");
	e->nmitre = 1;
	snprintf(e->mitre_tactic, sizeof(e->mitre_tactic), "%s",
		 h->inbound ? "Command and Control" : "Exfiltration");
	snprintf(e->attack_vector, sizeof(e->attack_vector), "Network");

	describe_other(other, h->other_type, true, who, sizeof(who));
	if (h->denied) {
		snprintf(text, sizeof(text),
			 "The connection was denied by policy %s: no action needed beyond review",
			 h->policy[0] ? h->policy : "(unknown)");
		mitigate(e, text);
		if (!h->inbound) {
			snprintf(
				text, sizeof(text),
				"Check %s for compromise: it tried to reach an address listed in a "
				"threat feed",
				who);
			mitigate(e, text);
		}
		goto out;
	}
	snprintf(text, sizeof(text),
		 "Create a global network policy to prevent traffic %s this IP address",
		 h->inbound ? "from" : "to");
	mitigate(e, text);
	if (selector_of(h->label, sel, sizeof(sel)))
		snprintf(text, sizeof(text),
			 "Deny traffic %s the GlobalNetworkSet %s, e.g. a GlobalNetworkPolicy with "
			 "the rule {action: Deny, %s: {selector: \"%s\"}}",
			 h->inbound ? "from" : "to", h->set, h->inbound ? "source" : "destination",
			 sel);
	else
		snprintf(
			text, sizeof(text),
			"Deny traffic %s the GlobalNetworkSet %s: give it a label (the "
			"GlobalThreatFeed's spec.globalNetworkSet.labels) and deny a selector on it",
			h->inbound ? "from" : "to", h->set);
	mitigate(e, text);
	if (!h->inbound) {
		snprintf(
			text, sizeof(text),
			"Check %s for compromise: it connected to an address listed in a threat feed",
			who);
		mitigate(e, text);
	}
out:
	emit(arg, e);
	free(e);
	s->st.events++;
}

static void gtf_end_window(void *p, uint64_t start, uint64_t end, detect_emit_fn *emit, void *arg)
{
	struct gtf *s = p;

	s->windows++;
	for (uint32_t i = 0; i < s->npend; i++) {
		if (emit)
			gtf_emit(s, s->pend[i].hit, end, emit, arg);
		free(s->pend[i].hit);
		s->ents[s->pend[i].ent].pend = NONE;
	}
	s->npend = 0;
	/* Flows not seen for an interval can suppress nothing any more. */
	while (s->oldest != NONE) {
		const struct gtf_entry *e = &s->ents[s->oldest - 1];

		if (end < e->last_seen || end - e->last_seen < s->realert)
			break;
		entry_remove(s, s->oldest - 1);
		s->st.expired++;
	}
}

static size_t gtf_memory(const void *p)
{
	const struct gtf *s = p;

	return sizeof(*s) + (size_t)s->capents * sizeof(*s->ents) +
	       (size_t)s->nbuckets * sizeof(*s->buckets) + (size_t)s->cappend * sizeof(*s->pend) +
	       (size_t)s->npend * sizeof(struct gtf_hit);
}

size_t detect_gtf_memory_bound(const void *p)
{
	const struct gtf *s = p;
	uint64_t keys = s->max_keys > s->capents ? s->max_keys : s->capents;
	uint64_t pend = s->max_pending > s->cappend ? s->max_pending : s->cappend;
	uint64_t hits = s->max_pending > s->npend ? s->max_pending : s->npend;
	uint64_t nb = 64;

	/* The buckets double while nkeys + 1 > nbuckets, from 64. */
	while (nb < keys)
		nb *= 2;
	if (nb < s->nbuckets)
		nb = s->nbuckets;
	return sizeof(*s) + (size_t)keys * sizeof(*s->ents) + (size_t)nb * sizeof(*s->buckets) +
	       (size_t)pend * sizeof(*s->pend) + (size_t)hits * sizeof(struct gtf_hit);
}

void detect_gtf_stats(const void *p, struct detect_gtf_stats *out)
{
	const struct gtf *s = p;

	*out = s->st;
	out->keys = s->nkeys;
	out->pending = s->npend;
}

const struct detect_job_ops detect_gtf_suspicious_flow = {
	.name = "gtf_suspicious_flow",
	.description = "flows to or from an address listed in a threat feed's network set",
	.create = gtf_create,
	.destroy = gtf_destroy,
	.set_param = gtf_set_param,
	.add = gtf_add,
	.end_window = gtf_end_window,
	.memory = gtf_memory,
};
