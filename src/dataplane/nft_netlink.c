/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "dataplane/nft_delta.h"
#include "lib/cidr.h"

#define NL_TABLE "palisade"
/* Elements per message: a netlink attribute (the element list nest) holds at most 64 KiB,
 * and an element here takes at most about 120 bytes. */
#define NL_CHUNK    256
#define NL_ELEM_MAX 160

enum nl_kind {
	NL_ADDR,   /* ipv4_addr / ipv6_addr, hash or interval */
	NL_NPORT,  /* addr . inet_proto . inet_service */
	NL_IFVMAP, /* ifname : verdict */
};

/*
 * One kernel element.  Keys are in the kernel's layout: addresses in network order; in a
 * concatenation every field takes a multiple of 4 bytes (a register), so the protocol is one
 * byte plus 3 of padding and the port 2 bytes in network order plus 2; an ifname is
 * IFNAMSIZ bytes padded with NULs.
 */
struct nl_elem {
	uint8_t key[40];
	uint8_t klen;
	bool end; /* NFT_SET_ELEM_INTERVAL_END */
	int verdict;
	char chain[NFT_CHAIN_MAXNAMELEN];
	uint64_t timeout_ms; /* NFTA_SET_ELEM_TIMEOUT and _EXPIRATION; 0: none (permanent) */
};

struct nl_list {
	struct nl_elem *v;
	size_t n, cap;
};

static struct nl_elem *nl_push(struct nl_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct nl_elem *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static int kind_of(const struct nft_delta_set *s, enum nl_kind *k, int *fam)
{
	if (!strcmp(s->type, "ipv4_addr") || !strcmp(s->type, "ipv6_addr")) {
		*k = NL_ADDR;
		*fam = s->type[3] == '6' ? 6 : 4;
	} else if (!s->interval && (!strcmp(s->type, "ipv4_addr . inet_proto . inet_service") ||
				    !strcmp(s->type, "ipv6_addr . inet_proto . inet_service"))) {
		*k = NL_NPORT;
		*fam = s->type[3] == '6' ? 6 : 4;
	} else if (!s->interval && s->map && !strcmp(s->type, "ifname : verdict")) {
		*k = NL_IFVMAP;
		*fam = 0;
	} else {
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * An element of a hash set of addresses may end in " timeout <N>s" (nft_delta.h): the key
 * goes to key, N in milliseconds to *ms (0 without a timeout).  0 or -EINVAL.
 */
static int split_timeout(const char *txt, char *key, size_t size, uint64_t *ms)
{
	const char *t = strstr(txt, " timeout ");
	size_t n = t ? (size_t)(t - txt) : strlen(txt);
	char *endp;
	unsigned long long v;

	*ms = 0;
	if (n >= size)
		return -EINVAL;
	memcpy(key, txt, n);
	key[n] = '\0';
	if (!t)
		return 0;
	t += strlen(" timeout ");
	if (*t < '1' || *t > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(t, &endp, 10);
	if (errno || strcmp(endp, "s") || v > UINT64_MAX / 1000)
		return -EINVAL;
	*ms = v * 1000;
	return 0;
}

/* A prefix: the start element, and unless the prefix runs to the end of the address space,
 * the end element at the first address after it.  A single address of a hash set may carry a
 * timeout. */
static int enc_addr(struct nl_list *l, const char *txt, int fam, bool interval)
{
	unsigned w = fam == 6 ? 16 : 4;
	struct nl_elem *e;
	struct cidr c;
	uint8_t end[16];
	char key[CIDR_STRLEN];
	uint64_t ms;
	bool carry = true;

	if (split_timeout(txt, key, sizeof(key), &ms) || (ms && interval))
		return -EINVAL;
	if (cidr_parse(key, &c, NULL) || c.addr.family != fam)
		return -EINVAL;
	if (!interval && c.len != w * 8)
		return -EINVAL;
	e = nl_push(l);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, c.addr.a, w);
	e->klen = (uint8_t)w;
	e->timeout_ms = ms;
	if (!interval)
		return 0;
	memcpy(end, c.addr.a, w);
	for (unsigned b = c.len; b < w * 8; b++)
		end[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	for (int i = (int)w - 1; i >= 0 && carry; i--)
		carry = ++end[i] == 0;
	if (carry)
		return 0; /* the prefix ends at the last address: no end element */
	e = nl_push(l);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, end, w);
	e->klen = (uint8_t)w;
	e->end = true;
	return 0;
}

static int proto_num(const char *s)
{
	static const struct {
		const char *name;
		int num;
	} names[] = {{"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"udplite", 136}, {"icmp", 1}};
	char *endp;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].num;
	v = strtol(s, &endp, 10);
	return *s && !*endp && v >= 0 && v <= 255 ? (int)v : -1;
}

/* "ADDR . PROTO . PORT" */
static int enc_nport(struct nl_list *l, const char *txt, int fam)
{
	unsigned w = fam == 6 ? 16 : 4;
	char buf[128], *a, *p, *port, *endp;
	struct nl_elem *e;
	struct ipaddr ip;
	long pv;
	int pr;

	if (strlen(txt) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, txt);
	a = buf;
	p = strstr(a, " . ");
	if (!p)
		return -EINVAL;
	*p = 0;
	p += 3;
	port = strstr(p, " . ");
	if (!port)
		return -EINVAL;
	*port = 0;
	port += 3;
	pr = proto_num(p);
	pv = strtol(port, &endp, 10);
	if (ipaddr_parse(a, &ip) || ip.family != fam || pr < 0 || !*port || *endp || pv < 0 ||
	    pv > 65535)
		return -EINVAL;
	e = nl_push(l);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, ip.a, w);
	e->key[w] = (uint8_t)pr;
	e->key[w + 4] = (uint8_t)(pv >> 8);
	e->key[w + 5] = (uint8_t)pv;
	e->klen = (uint8_t)(w + 8);
	return 0;
}

/* "\"IFNAME\" : jump CHAIN" (or goto); key_only for deletes, which need no verdict. */
static int enc_ifvmap(struct nl_list *l, const char *txt, bool key_only)
{
	const char *q, *rest;
	struct nl_elem *e;
	size_t n;

	if (txt[0] != '"')
		return -EINVAL;
	q = strchr(txt + 1, '"');
	if (!q || (n = (size_t)(q - txt - 1)) == 0 || n >= IFNAMSIZ)
		return -EINVAL;
	e = nl_push(l);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, txt + 1, n);
	e->klen = IFNAMSIZ;
	if (key_only)
		return 0;
	if (!strncmp(q, "\" : jump ", 9)) {
		e->verdict = NFT_JUMP;
		rest = q + 9;
	} else if (!strncmp(q, "\" : goto ", 9)) {
		e->verdict = NFT_GOTO;
		rest = q + 9;
	} else {
		l->n--;
		return -EINVAL;
	}
	if (!*rest || strlen(rest) >= sizeof(e->chain)) {
		l->n--;
		return -EINVAL;
	}
	strcpy(e->chain, rest);
	return 0;
}

static int enc_list(struct nl_list *l, const struct nft_delta_set *s, char **v, size_t n, bool del)
{
	enum nl_kind k;
	int fam, err = kind_of(s, &k, &fam);

	for (size_t i = 0; !err && i < n; i++) {
		switch (k) {
		case NL_ADDR:
			err = enc_addr(l, v[i], fam, s->interval);
			break;
		case NL_NPORT:
			err = enc_nport(l, v[i], fam);
			break;
		case NL_IFVMAP:
			err = enc_ifvmap(l, v[i], del);
			break;
		}
	}
	return err;
}

/*
 * In an interval set, a prefix replaced by a wider or narrower one can share its start or
 * end element with it (10.0.1.0/24 becoming 10.0.0.0/23 keeps the end 10.0.2.0).  Such an
 * element is deleted and added again in the same batch, as nft does: the kernel accepts
 * that, whereas leaving it alone makes the new start element look like an overlap with the
 * old interval (EEXIST, measured on 6.18).
 */

/* Sequence numbers go on from one batch to the next, as nft's do. */
static uint32_t seq_next = 1;

/* What each message of the batch was, to name the one the kernel refused. */
struct nl_msg_info {
	const char *set;
	bool del;
	size_t set_idx, gone_idx; /* a gone element's delete: which one (else SIZE_MAX) */
	int error;		  /* the kernel's answer */
};

struct nl_batch {
	struct mnl_nlmsg_batch *b;
	char *buf;
	uint32_t seq, first_seq;
	struct nl_msg_info *info;
	size_t nmsgs;
	int batch_error; /* an error answer that names no message of ours (the batch's) */
};

/*
 * The delta encoded: per set, the deletes, the gone elements (one message each, so that
 * the kernel's answer names the element it no longer has) and the adds.
 */
struct nl_work {
	struct nl_list *del, *gone, *add;
	bool **skip; /* per set, per gone element: the kernel has expired it, leave it out */
	size_t nsets;
};

static int put_msg(struct nl_batch *B, const char *set, const struct nl_elem *v, size_t n, bool del,
		   size_t set_idx, size_t gone_idx)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nl_msg_info *mi = &B->info[B->nmsgs];
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NL_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	for (size_t i = 0; i < n; i++) {
		const struct nl_elem *e = &v[i];
		struct nftnl_set_elem *se = nftnl_set_elem_alloc();

		if (!se) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e->key, e->klen);
		if (e->end)
			nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (e->chain[0]) {
			nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_VERDICT, (uint32_t)e->verdict);
			nftnl_set_elem_set_str(se, NFTNL_SET_ELEM_CHAIN, e->chain);
		}
		/* The expiration as well as the timeout: an element the kernel holds with the
		 * same timeout would otherwise keep its old expiry (measured on 6.18). */
		if (e->timeout_ms && !del) {
			nftnl_set_elem_set_u64(se, NFTNL_SET_ELEM_TIMEOUT, e->timeout_ms);
			nftnl_set_elem_set_u64(se, NFTNL_SET_ELEM_EXPIRATION, e->timeout_ms);
		}
		nftnl_set_elem_add(s, se);
	}
	memset(mi, 0, sizeof(*mi));
	mi->set = set;
	mi->del = del;
	mi->set_idx = set_idx;
	mi->gone_idx = gone_idx;
	B->nmsgs++;
	/* No NLM_F_EXCL on adds: adding an element the kernel holds updates its timeout. */
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(B->b),
				    del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, NFPROTO_INET,
				    (del ? 0 : NLM_F_CREATE) | NLM_F_ACK, B->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (!mnl_nlmsg_batch_next(B->b))
		return -ENOSPC; /* the buffer is sized for the delta: a bug */
	return 0;
}

static int put_msgs(struct nl_batch *B, const char *set, const struct nl_list *l, bool del)
{
	int err = 0;

	for (size_t off = 0; !err && off < l->n; off += NL_CHUNK)
		err = put_msg(B, set, &l->v[off], l->n - off < NL_CHUNK ? l->n - off : NL_CHUNK,
			      del, SIZE_MAX, SIZE_MAX);
	return err;
}

static void say(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsize)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

/*
 * Reads the kernel's answers: one per message (all were sent with NLM_F_ACK), an error code
 * of 0 for success, kept in B->info.  The kernel goes through the whole batch even after an
 * error, so every refused message is known.  The batch was processed while sendto ran, so
 * the answers are queued; the receive timeout only guards against a kernel that sends fewer.
 * 0 when every answer was 0, else the first error (a socket error with its message in err).
 */
static int read_acks(struct mnl_socket *nl, struct nl_batch *B, char *err, size_t errsize)
{
	/* An error answer quotes the refused message, up to 64 KiB. */
	size_t bufsize = 128 * 1024, acks = 0;
	char *buf = malloc(bufsize);
	int first = 0;

	if (!buf) {
		say(err, errsize, "netlink: reading acks: out of memory");
		return -ENOMEM;
	}
	while (acks < B->nmsgs) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, bufsize);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0) {
			first = -errno;
			say(err, errsize, "netlink: reading acks: %s", strerror(errno));
			break;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;
			size_t i;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			acks++;
			if (!e->error)
				continue;
			first = first ? first : e->error;
			i = e->msg.nlmsg_seq - B->first_seq;
			if (i < B->nmsgs)
				B->info[i].error = e->error;
			else
				B->batch_error = e->error;
		}
	}
	free(buf);
	return first;
}

/* Names the first refusal that is not a gone element's ENOENT in err; returns its error. */
static int say_refused(const struct nl_batch *B, char *err, size_t errsize)
{
	for (size_t i = 0; i < B->nmsgs; i++) {
		const struct nl_msg_info *mi = &B->info[i];

		if (!mi->error || (mi->error == -ENOENT && mi->gone_idx != SIZE_MAX))
			continue;
		say(err, errsize, "kernel refused %s elements of set %s: %s",
		    mi->del ? "deleting" : "adding", mi->set, strerror(-mi->error));
		return mi->error;
	}
	say(err, errsize, "kernel refused the batch: %s", strerror(-B->batch_error));
	return B->batch_error;
}

/*
 * Builds one batch from w (leaving out the gone elements marked skip) and sends it.  0 when
 * the kernel took it (or nothing was left to send).  1 when the only refusals were deletes of
 * gone elements the kernel no longer has (ENOENT): the batch was aborted, those elements are
 * marked skip and counted in *expired, and the caller sends again.  Any other error is
 * returned with its message in err.
 */
static int send_batch(const struct nft_delta *d, struct nl_work *w, size_t *expired, char *err,
		      size_t errsize)
{
	struct mnl_socket *nl = NULL;
	struct nl_batch B;
	size_t nelem = 0, nmsgs = 0, size;
	struct timeval tv = {.tv_sec = 5};
	int rc = 0, sndbuf;
	size_t nexp = 0;
	bool other = false;

	memset(&B, 0, sizeof(B));
	for (size_t i = 0; i < w->nsets; i++) {
		nelem += w->del[i].n + w->gone[i].n + w->add[i].n;
		nmsgs += (w->del[i].n + NL_CHUNK - 1) / NL_CHUNK + w->gone[i].n +
			 (w->add[i].n + NL_CHUNK - 1) / NL_CHUNK;
	}
	size = nelem * NL_ELEM_MAX + (nmsgs + 2) * 256 + MNL_SOCKET_BUFFER_SIZE;
	/* mnl_nlmsg_batch lets the last message run past the limit: twice the room. */
	B.buf = malloc(2 * size);
	B.info = calloc(nmsgs + 1, sizeof(*B.info));
	B.b = B.buf ? mnl_nlmsg_batch_start(B.buf, size) : NULL;
	if (!B.buf || !B.info || !B.b) {
		rc = -ENOMEM;
		goto out;
	}
	B.seq = seq_next;
	nftnl_batch_begin(mnl_nlmsg_batch_current(B.b), B.seq++);
	mnl_nlmsg_batch_next(B.b);
	B.first_seq = B.seq;
	for (size_t i = 0; !rc && i < w->nsets; i++) {
		for (size_t k = 0; !rc && k < w->gone[i].n; k++)
			if (!w->skip[i][k])
				rc = put_msg(&B, d->sets[i].name, &w->gone[i].v[k], 1, true, i, k);
		if (!rc)
			rc = put_msgs(&B, d->sets[i].name, &w->del[i], true);
	}
	for (size_t i = 0; !rc && i < w->nsets; i++)
		rc = put_msgs(&B, d->sets[i].name, &w->add[i], false);
	if (rc) {
		say(err, errsize, "netlink: building the batch: %s", strerror(-rc));
		goto out;
	}
	if (!B.nmsgs)
		goto out; /* every element to send was a gone one, and all of them expired */
	nftnl_batch_end(mnl_nlmsg_batch_current(B.b), B.seq++);
	seq_next = B.seq;
	mnl_nlmsg_batch_next(B.b);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		say(err, errsize, "netlink: %s", strerror(errno));
		goto out;
	}
	/* A large batch goes in one sendmsg: the socket's send buffer must hold it. */
	sndbuf = (int)(mnl_nlmsg_batch_size(B.b) + 4096);
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(B.b), mnl_nlmsg_batch_size(B.b)) < 0) {
		rc = -errno;
		say(err, errsize, "netlink: sending the batch: %s", strerror(errno));
		goto out;
	}
	rc = read_acks(nl, &B, err, errsize);
	if (!rc)
		goto out;
	/* Refused: was it only deletes of timed elements the kernel has expired meanwhile? */
	other = B.batch_error != 0;
	for (size_t i = 0; i < B.nmsgs; i++) {
		if (B.info[i].error == -ENOENT && B.info[i].gone_idx != SIZE_MAX)
			nexp++;
		else if (B.info[i].error)
			other = true;
	}
	if (other) {
		rc = say_refused(&B, err, errsize);
	} else if (nexp) {
		for (size_t i = 0; i < B.nmsgs; i++)
			if (B.info[i].error)
				w->skip[B.info[i].set_idx][B.info[i].gone_idx] = true;
		*expired += nexp;
		rc = 1;
	} /* else a socket error, reported by read_acks() */
out:
	if (nl)
		mnl_socket_close(nl);
	if (B.b)
		mnl_nlmsg_batch_stop(B.b);
	free(B.buf);
	free(B.info);
	return rc;
}

static void work_fini(struct nl_work *w)
{
	for (size_t i = 0; i < w->nsets; i++) {
		if (w->del)
			free(w->del[i].v);
		if (w->gone)
			free(w->gone[i].v);
		if (w->add)
			free(w->add[i].v);
		if (w->skip)
			free(w->skip[i]);
	}
	free(w->del);
	free(w->gone);
	free(w->add);
	free(w->skip);
}

int nft_netlink_apply_stats(const struct nft_delta *d, struct nft_netlink_stats *st, char *err,
			    size_t errsize)
{
	struct nft_netlink_stats local;
	struct nl_work w;
	int rc = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	if (err && errsize)
		err[0] = 0;
	if (!nft_delta_count(d))
		return 0;
	w.nsets = d->nsets;
	w.del = calloc(d->nsets, sizeof(*w.del));
	w.gone = calloc(d->nsets, sizeof(*w.gone));
	w.add = calloc(d->nsets, sizeof(*w.add));
	w.skip = calloc(d->nsets, sizeof(*w.skip));
	if (!w.del || !w.gone || !w.add || !w.skip) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < d->nsets; i++) {
		const struct nft_delta_set *s = &d->sets[i];

		rc = enc_list(&w.del[i], s, s->del, s->ndel, true);
		if (!rc)
			rc = enc_list(&w.gone[i], s, s->gone, s->ngone, true);
		if (!rc && w.gone[i].n != s->ngone)
			rc = -EINVAL; /* a gone element is one address of a hash set */
		if (!rc)
			rc = enc_list(&w.add[i], s, s->add, s->nadd, false);
		if (rc) {
			say(err, errsize, "set %s (type %s): element not supported", s->name,
			    s->type);
			goto out;
		}
		w.skip[i] = calloc(s->ngone + 1, sizeof(**w.skip));
		if (!w.skip[i]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* Every retry leaves out at least one more gone element, so this ends. */
	do {
		st->batches++;
		rc = send_batch(d, &w, &st->expired, err, errsize);
	} while (rc == 1);
out:
	work_fini(&w);
	return rc;
}

int nft_netlink_apply(const struct nft_delta *d, char *err, size_t errsize)
{
	return nft_netlink_apply_stats(d, NULL, err, errsize);
}
