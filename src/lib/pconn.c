/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The offline connection tracker: a chained hash table of connections keyed in their orig
 * direction, entries in one array addressed by index (so growing it moves nothing that is
 * pointed to), and a window clock.  See pconn.h for the states and the driving loop.
 *
 * An entry that ends (timeout, or a new connection reusing its tuple) while it has activity
 * to report in the open window is unlinked from the hash at once, so that a new connection
 * with the same tuple can be created, but kept in the array until the window is yielded.
 */
#include "lib/pconn.h"

#include "lib/packet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE		    UINT32_MAX
#define DEFAULT_WINDOW	    (15 * PCONN_SEC)
#define DEFAULT_MAX_ENTRIES 262144
#define INITIAL_CAP	    64

#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ICMPV6_ 58

enum state {
	ST_SYN_SENT,
	ST_SYN_RECV,
	ST_ESTABLISHED,
	ST_FIN_WAIT, /* one side has sent a FIN */
	ST_TIME_WAIT,
	ST_CLOSE, /* after an RST */
	ST_UDP_UNREPLIED,
	ST_UDP_REPLIED,
	ST_ICMP,
	ST_FRAGMENT,
	ST_OTHER,
};

/* Linux conntrack's default timeouts, in seconds, except the one-sided close (see pconn.h). */
static const uint64_t timeout_sec[] = {
	[ST_SYN_SENT] = 120,	 [ST_SYN_RECV] = 60,	 [ST_ESTABLISHED] = 5 * 24 * 3600,
	[ST_FIN_WAIT] = 120,	 [ST_TIME_WAIT] = 120,	 [ST_CLOSE] = 10,
	[ST_UDP_UNREPLIED] = 30, [ST_UDP_REPLIED] = 120, [ST_ICMP] = 30,
	[ST_FRAGMENT] = 30,	 [ST_OTHER] = 600,
};

enum dir {
	DIR_ORIG,
	DIR_REPLY,
};

struct key {
	struct ipaddr src, dst;
	uint8_t proto;
	bool fragment;
	uint16_t sport, dport;
	int icmp_type, icmp_code;
};

struct entry {
	struct pconn_flow f; /* the key in orig direction, and this window's activity */
	uint64_t deadline;   /* the timeout: last packet + the state's timeout */
	uint32_t next;	     /* hash chain when linked, free list when unused */
	uint32_t hash;
	uint8_t state;
	uint8_t fins; /* 1: orig has sent a FIN, 2: reply has */
	bool used;    /* holds a connection (linked, or retired with activity to report) */
	bool linked;  /* in the hash table: packets can still find it */
	bool done;    /* its completion has been reported or is pending in this window */
	bool active;  /* has something to report in the open window */
};

struct pconn {
	struct pconn_opts o;
	struct entry *ents;
	uint32_t cap; /* slots allocated */
	uint32_t top; /* slots ever used: [0, top) */
	uint32_t nused;
	uint32_t free_head;
	uint32_t *buckets;
	uint32_t nbuckets; /* a power of two, >= cap */
	bool open;
	uint64_t ws, we; /* the open window [ws, we) */
	struct pconn_flow *out;
	size_t outcap;
	uint64_t next_id;
	struct pconn_stats st;
};

struct pconn *pconn_new(const struct pconn_opts *o)
{
	struct pconn *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (o)
		t->o = *o;
	if (!t->o.window_ns)
		t->o.window_ns = DEFAULT_WINDOW;
	if (!t->o.max_entries)
		t->o.max_entries = DEFAULT_MAX_ENTRIES;
	if (t->o.max_entries >= NONE)
		t->o.max_entries = NONE - 1;
	t->free_head = NONE;
	return t;
}

void pconn_free(struct pconn *t)
{
	if (!t)
		return;
	free(t->ents);
	free(t->buckets);
	free(t->out);
	free(t);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint32_t key_hash(const struct key *k)
{
	uint8_t tail[12] = {k->proto, k->fragment};
	uint64_t h = 0xcbf29ce484222325ULL;

	tail[2] = (uint8_t)(k->sport >> 8);
	tail[3] = (uint8_t)k->sport;
	tail[4] = (uint8_t)(k->dport >> 8);
	tail[5] = (uint8_t)k->dport;
	tail[6] = (uint8_t)k->icmp_type;
	tail[7] = (uint8_t)k->icmp_code;
	h = fnv(h, &k->src, sizeof(k->src));
	h = fnv(h, &k->dst, sizeof(k->dst));
	h = fnv(h, tail, sizeof(tail));
	return (uint32_t)(h ^ h >> 32);
}

static bool key_is(const struct pconn_flow *f, const struct key *k)
{
	return f->proto == k->proto && f->fragment == k->fragment && f->sport == k->sport &&
	       f->dport == k->dport && f->icmp_type == k->icmp_type &&
	       f->icmp_code == k->icmp_code && ipaddr_equal(&f->src, &k->src) &&
	       ipaddr_equal(&f->dst, &k->dst);
}

static uint32_t find(const struct pconn *t, const struct key *k, uint32_t h)
{
	if (!t->nbuckets)
		return NONE;
	for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != NONE; i = t->ents[i].next)
		if (t->ents[i].hash == h && key_is(&t->ents[i].f, k))
			return i;
	return NONE;
}

static void link_entry(struct pconn *t, uint32_t i)
{
	uint32_t *b = &t->buckets[t->ents[i].hash & (t->nbuckets - 1)];

	t->ents[i].next = *b;
	*b = i;
	t->ents[i].linked = true;
}

static void unlink_entry(struct pconn *t, uint32_t i)
{
	uint32_t *p = &t->buckets[t->ents[i].hash & (t->nbuckets - 1)];

	while (*p != i)
		p = &t->ents[*p].next;
	*p = t->ents[i].next;
	t->ents[i].linked = false;
	t->ents[i].next = NONE;
}

static void release(struct pconn *t, uint32_t i)
{
	t->ents[i].used = false;
	t->ents[i].next = t->free_head;
	t->free_head = i;
	t->nused--;
}

/* Takes i out of the hash; it stays until the window is yielded if it has news for it. */
static void retire(struct pconn *t, uint32_t i)
{
	unlink_entry(t, i);
	if (!t->ents[i].active)
		release(t, i);
}

static void complete(struct entry *e)
{
	if (e->done)
		return;
	e->done = true;
	e->f.completed = true;
	e->active = true;
}

/* Grows the arrays by doubling, up to max_entries slots; rehashes into more buckets. */
static int grow(struct pconn *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : INITIAL_CAP, nb = t->nbuckets ? t->nbuckets : 1;
	struct entry *ne;
	uint32_t *nbk;

	if (ncap > t->o.max_entries)
		ncap = (uint32_t)t->o.max_entries;
	if (ncap <= t->cap)
		return -ENOSPC;
	while (nb < ncap)
		nb *= 2;
	ne = realloc(t->ents, ncap * sizeof(*ne));
	if (!ne)
		return -ENOMEM;
	t->ents = ne;
	t->cap = ncap;
	if (nb == t->nbuckets)
		return 0;
	nbk = malloc(nb * sizeof(*nbk));
	if (!nbk)
		return -ENOMEM;
	free(t->buckets);
	t->buckets = nbk;
	t->nbuckets = nb;
	for (uint32_t i = 0; i < nb; i++)
		nbk[i] = NONE;
	for (uint32_t i = 0; i < t->top; i++)
		if (t->ents[i].used && t->ents[i].linked)
			link_entry(t, i);
	return 0;
}

static int alloc_entry(struct pconn *t, uint32_t *out)
{
	int rc;

	if (t->free_head != NONE) {
		*out = t->free_head;
		t->free_head = t->ents[*out].next;
	} else {
		if (t->top == t->cap) {
			rc = grow(t);
			if (rc)
				return rc;
		}
		*out = t->top++;
	}
	memset(&t->ents[*out], 0, sizeof(t->ents[*out]));
	t->ents[*out].used = true;
	t->ents[*out].next = NONE;
	t->nused++;
	return 0;
}

/* The query type an ICMP reply answers, or -1. */
static int icmp_query_of(uint8_t proto, int type)
{
	if (proto == IPPROTO_ICMPV6_)
		return type == 129 ? 128 : -1;
	switch (type) {
	case 0:
		return 8;
	case 14:
	case 16:
	case 18:
		return type - 1;
	default:
		return -1;
	}
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP_ || proto == IPPROTO_ICMPV6_;
}

static void key_of(const struct packet *p, bool reverse, struct key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = reverse ? p->dst : p->src;
	k->dst = reverse ? p->src : p->dst;
	k->sport = reverse ? p->dport : p->sport;
	k->dport = reverse ? p->sport : p->dport;
	k->proto = p->proto;
	k->fragment = p->fragment;
	k->icmp_type = p->icmp_type;
	k->icmp_code = p->icmp_code;
	if (reverse && is_icmp(p->proto) && !p->fragment)
		k->icmp_type = icmp_query_of(p->proto, p->icmp_type);
}

static bool tcp_syn_only(const struct packet *p)
{
	return p->proto == IPPROTO_TCP_ && !p->fragment &&
	       (p->tcp_flags & (PACKET_TCP_SYN | PACKET_TCP_ACK | PACKET_TCP_RST)) ==
		       PACKET_TCP_SYN;
}

static uint8_t initial_state(const struct packet *p)
{
	if (p->fragment)
		return ST_FRAGMENT;
	switch (p->proto) {
	case IPPROTO_TCP_:
		/* Only a SYN opens a connection properly; anything else is picked up mid-stream,
		 * as conntrack does with nf_conntrack_tcp_loose. */
		return tcp_syn_only(p) ? ST_SYN_SENT : ST_ESTABLISHED;
	case IPPROTO_UDP_:
		return ST_UDP_UNREPLIED;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		return ST_ICMP;
	default:
		return ST_OTHER;
	}
}

static void tcp_update(struct entry *e, enum dir d, uint8_t flags)
{
	bool syn = flags & PACKET_TCP_SYN, ack = flags & PACKET_TCP_ACK;

	if (flags & PACKET_TCP_RST) {
		e->state = ST_CLOSE;
		complete(e);
		return;
	}
	if (e->state == ST_CLOSE || e->state == ST_TIME_WAIT)
		return;
	if (syn && ack && d == DIR_REPLY && e->state == ST_SYN_SENT)
		e->state = ST_SYN_RECV;
	else if (ack && !syn && d == DIR_ORIG && e->state == ST_SYN_RECV)
		e->state = ST_ESTABLISHED;
	if (flags & PACKET_TCP_FIN) {
		e->fins |= d == DIR_ORIG ? 1 : 2;
		if (e->fins == 3) {
			e->state = ST_TIME_WAIT;
			complete(e);
		} else {
			e->state = ST_FIN_WAIT;
		}
	}
}

static uint64_t align(const struct pconn *t, uint64_t ns)
{
	return ns - ns % t->o.window_ns;
}

int pconn_add(struct pconn *t, uint64_t now, const struct packet *p)
{
	enum dir d = DIR_ORIG;
	struct key k;
	uint32_t h, i;
	struct entry *e;
	int rc;

	if (!t->open) {
		t->ws = align(t, now);
		t->we = t->ws + t->o.window_ns;
		t->open = true;
	}
	if (now >= t->we)
		return -EAGAIN;
	if (now < t->ws) {
		t->st.late++;
		now = t->ws;
	}
	key_of(p, false, &k);
	h = key_hash(&k);
	i = find(t, &k, h);
	if (i == NONE &&
	    (!is_icmp(p->proto) || p->fragment || icmp_query_of(p->proto, p->icmp_type) >= 0)) {
		struct key r;
		uint32_t rh;

		key_of(p, true, &r);
		rh = key_hash(&r);
		i = find(t, &r, rh);
		d = DIR_REPLY;
	}
	if (i != NONE) {
		e = &t->ents[i];
		/* Timed out, or a new connection on the tuple of one that has ended. */
		if (e->deadline <= now) {
			complete(e);
			retire(t, i);
			i = NONE;
		} else if (e->done && tcp_syn_only(p)) {
			retire(t, i);
			i = NONE;
		}
	}
	if (i == NONE) {
		/* A SYN-ACK seen first: its receiver opened the connection. */
		bool swap = p->proto == IPPROTO_TCP_ && !p->fragment &&
			    (p->tcp_flags & (PACKET_TCP_SYN | PACKET_TCP_ACK | PACKET_TCP_RST)) ==
				    (PACKET_TCP_SYN | PACKET_TCP_ACK);

		d = swap ? DIR_REPLY : DIR_ORIG;
		if (t->nused >= t->o.max_entries) {
			t->st.overflow++;
			return -ENOSPC;
		}
		rc = alloc_entry(t, &i);
		if (rc) {
			if (rc == -ENOSPC)
				t->st.overflow++;
			return rc;
		}
		e = &t->ents[i];
		key_of(p, swap, &k);
		e->f.src = k.src;
		e->f.dst = k.dst;
		e->f.proto = k.proto;
		e->f.fragment = k.fragment;
		e->f.sport = k.sport;
		e->f.dport = k.dport;
		e->f.icmp_type = k.icmp_type;
		e->f.icmp_code = k.icmp_code;
		e->f.id = ++t->next_id;
		e->f.first_ns = now;
		e->f.started = true;
		e->active = true;
		e->state = swap ? ST_SYN_SENT : initial_state(p);
		e->hash = key_hash(&k);
		link_entry(t, i);
		t->st.connections++;
	}
	e = &t->ents[i];
	e->active = true;
	e->f.last_ns = now;
	if (d == DIR_ORIG) {
		e->f.bytes_orig += p->ip_len;
		e->f.packets_orig++;
	} else {
		e->f.bytes_reply += p->ip_len;
		e->f.packets_reply++;
		e->f.answered = true;
		if (e->state == ST_UDP_UNREPLIED)
			e->state = ST_UDP_REPLIED;
	}
	if (p->proto == IPPROTO_TCP_ && !p->fragment)
		tcp_update(e, d, p->tcp_flags);
	e->deadline = now + timeout_sec[e->state] * PCONN_SEC;
	t->st.packets++;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct pconn_flow *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Ends the open window: expires the connections whose deadline is before cutoff (or at it,
 * when inclusive), copies the active ones to t->out and clears the window's counters.
 * Returns how many were active, or -ENOMEM (nothing cleared: the call can be repeated).
 * *min_deadline gets the earliest deadline of the connections that remain.
 */
static int close_window(struct pconn *t, uint64_t cutoff, bool inclusive, uint64_t *min_deadline)
{
	size_t n = 0;

	*min_deadline = UINT64_MAX;
	for (uint32_t i = 0; i < t->top; i++) {
		struct entry *e = &t->ents[i];

		if (!e->used || !e->linked)
			continue;
		if (e->deadline < cutoff || (inclusive && e->deadline == cutoff)) {
			complete(e);
			retire(t, i);
		}
	}
	for (uint32_t i = 0; i < t->top; i++)
		if (t->ents[i].used && t->ents[i].active)
			n++;
	if (n > t->outcap) {
		struct pconn_flow *no = realloc(t->out, n * sizeof(*no));

		if (!no)
			return -ENOMEM;
		t->out = no;
		t->outcap = n;
	}
	n = 0;
	for (uint32_t i = 0; i < t->top; i++) {
		struct entry *e = &t->ents[i];

		if (!e->used)
			continue;
		if (e->active) {
			t->out[n++] = e->f;
			e->active = false;
			e->f.started = e->f.completed = false;
			e->f.bytes_orig = e->f.packets_orig = 0;
			e->f.bytes_reply = e->f.packets_reply = 0;
		}
		if (!e->linked)
			release(t, i);
		else if (e->deadline < *min_deadline)
			*min_deadline = e->deadline;
	}
	qsort(t->out, n, sizeof(*t->out), cmp_id);
	return (int)n;
}

static void fill(struct pconn *t, uint64_t ws, uint64_t we, int n, struct pconn_window *w)
{
	w->start_ns = ws;
	w->end_ns = we;
	w->flows = t->out;
	w->nflows = (size_t)n;
	t->st.windows++;
}

int pconn_advance(struct pconn *t, uint64_t now, struct pconn_window *w)
{
	while (t->open && now >= t->we) {
		uint64_t ws = t->ws, we = t->we, md, next;
		int n = close_window(t, we, false, &md);

		if (n < 0)
			return n;
		/* The next window with anything in it: now's, or an earlier timeout's. */
		next = align(t, now);
		if (md != UINT64_MAX && align(t, md) < next)
			next = align(t, md);
		t->ws = next;
		t->we = next + t->o.window_ns;
		if (n > 0) {
			fill(t, ws, we, n, w);
			return 1;
		}
	}
	return 0;
}

int pconn_finish(struct pconn *t, uint64_t now, struct pconn_window *w)
{
	uint64_t md;
	int n;

	if (!t->open)
		return 0;
	n = close_window(t, now, true, &md);
	if (n < 0)
		return n;
	t->open = false;
	if (n == 0)
		return 0;
	fill(t, t->ws, t->we, n, w);
	return 1;
}

void pconn_get_stats(const struct pconn *t, struct pconn_stats *out)
{
	*out = t->st;
	out->entries = t->nused;
}
