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

/* A prefix: the start element, and unless the prefix runs to the end of the address space,
 * the end element at the first address after it. */
static int enc_addr(struct nl_list *l, const char *txt, int fam, bool interval)
{
	unsigned w = fam == 6 ? 16 : 4;
	struct nl_elem *e;
	struct cidr c;
	uint8_t end[16];
	bool carry = true;

	if (cidr_parse(txt, &c, NULL) || c.addr.family != fam)
		return -EINVAL;
	if (!interval && c.len != w * 8)
		return -EINVAL;
	e = nl_push(l);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, c.addr.a, w);
	e->klen = (uint8_t)w;
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
};

struct nl_batch {
	struct mnl_nlmsg_batch *b;
	char *buf;
	uint32_t seq, first_seq;
	struct nl_msg_info *info;
	size_t nmsgs;
};

static int put_msgs(struct nl_batch *B, const char *set, const struct nl_list *l, bool del)
{
	for (size_t off = 0; off < l->n; off += NL_CHUNK) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;

		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NL_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		for (size_t i = off; i < l->n && i < off + NL_CHUNK; i++) {
			const struct nl_elem *e = &l->v[i];
			struct nftnl_set_elem *se = nftnl_set_elem_alloc();

			if (!se) {
				nftnl_set_free(s);
				return -ENOMEM;
			}
			nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e->key, e->klen);
			if (e->end)
				nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_FLAGS,
						       NFT_SET_ELEM_INTERVAL_END);
			if (e->chain[0]) {
				nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_VERDICT,
						       (uint32_t)e->verdict);
				nftnl_set_elem_set_str(se, NFTNL_SET_ELEM_CHAIN, e->chain);
			}
			nftnl_set_elem_add(s, se);
		}
		B->info[B->nmsgs].set = set;
		B->info[B->nmsgs++].del = del;
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(B->b),
					    del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
					    NFPROTO_INET, (del ? 0 : NLM_F_CREATE) | NLM_F_ACK,
					    B->seq++);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (!mnl_nlmsg_batch_next(B->b))
			return -ENOSPC; /* the buffer is sized for the delta: a bug */
	}
	return 0;
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
 * of 0 for success.  The batch was processed while sendto ran, so the answers are queued;
 * the receive timeout only guards against a kernel that sends fewer.
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
			if (!first) {
				first = -errno;
				say(err, errsize, "netlink: reading acks: %s", strerror(errno));
			}
			break;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;
			size_t i;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			acks++;
			if (!e->error || first)
				continue;
			first = e->error;
			i = e->msg.nlmsg_seq - B->first_seq;
			if (i < B->nmsgs)
				say(err, errsize, "kernel refused %s elements of set %s: ",
				    B->info[i].del ? "deleting" : "adding", B->info[i].set);
			else
				say(err, errsize, "kernel refused the batch: ");
			if (err && errsize > strlen(err))
				snprintf(err + strlen(err), errsize - strlen(err), "%s",
					 strerror(-first));
		}
	}
	free(buf);
	return first;
}

int nft_netlink_apply(const struct nft_delta *d, char *err, size_t errsize)
{
	struct nl_list *del = NULL, *add = NULL;
	struct mnl_socket *nl = NULL;
	struct nl_batch B;
	size_t nelem = 0, nmsgs = 0, size;
	struct timeval tv = {.tv_sec = 5};
	int rc = 0, sndbuf;

	memset(&B, 0, sizeof(B));
	if (err && errsize)
		err[0] = 0;
	if (!nft_delta_count(d))
		return 0;
	del = calloc(d->nsets, sizeof(*del));
	add = calloc(d->nsets, sizeof(*add));
	if (!del || !add) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < d->nsets; i++) {
		const struct nft_delta_set *s = &d->sets[i];

		rc = enc_list(&del[i], s, s->del, s->ndel, true);
		if (!rc)
			rc = enc_list(&add[i], s, s->add, s->nadd, false);
		if (rc) {
			say(err, errsize, "set %s (type %s): element not supported", s->name,
			    s->type);
			goto out;
		}
		nelem += del[i].n + add[i].n;
		nmsgs +=
			(del[i].n + NL_CHUNK - 1) / NL_CHUNK + (add[i].n + NL_CHUNK - 1) / NL_CHUNK;
	}
	if (!nmsgs)
		goto out;
	size = nelem * NL_ELEM_MAX + (nmsgs + 2) * 256 + MNL_SOCKET_BUFFER_SIZE;
	/* mnl_nlmsg_batch lets the last message run past the limit: twice the room. */
	B.buf = malloc(2 * size);
	B.info = calloc(nmsgs, sizeof(*B.info));
	B.b = B.buf ? mnl_nlmsg_batch_start(B.buf, size) : NULL;
	if (!B.buf || !B.info || !B.b) {
		rc = -ENOMEM;
		goto out;
	}
	B.seq = seq_next;
	nftnl_batch_begin(mnl_nlmsg_batch_current(B.b), B.seq++);
	mnl_nlmsg_batch_next(B.b);
	B.first_seq = B.seq;
	for (size_t i = 0; !rc && i < d->nsets; i++)
		rc = put_msgs(&B, d->sets[i].name, &del[i], true);
	for (size_t i = 0; !rc && i < d->nsets; i++)
		rc = put_msgs(&B, d->sets[i].name, &add[i], false);
	if (rc) {
		say(err, errsize, "netlink: building the batch: %s", strerror(-rc));
		goto out;
	}
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
out:
	if (nl)
		mnl_socket_close(nl);
	if (B.b)
		mnl_nlmsg_batch_stop(B.b);
	free(B.buf);
	free(B.info);
	for (size_t i = 0; d && i < d->nsets; i++) {
		if (del)
			free(del[i].v);
		if (add)
			free(add[i].v);
	}
	free(del);
	free(add);
	return rc;
}
