/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nflog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RECV_BUF	   (64 * 1024)
#define READ_BATCH	   4096 /* datagrams per nflog_reader_read call */
#define DEFAULT_COPY_RANGE 256	/* IPv6 with extension headers, then TCP with options */
#define DEFAULT_RCVBUF	   (8u << 20)
#define CONFIG_ACK_TIMEOUT 1000 /* ms */
/*
 * The kernel batches records until it holds QUEUE_THRESHOLD of them or FLUSH_TIMEOUT
 * (hundredths of a second) passes; its defaults (100 records, 1 s) would let a hit arrive
 * after the conntrack event of its connection and after the window it belongs to.
 */
#define QUEUE_THRESHOLD 64
#define FLUSH_TIMEOUT	1

struct nflog_reader {
	struct mnl_socket *nl;
	nflog_reader_cb *cb;
	void *arg;
	uint16_t groups[2]; /* ingress, egress */
	size_t nbound;
	uint32_t seq;
	struct nflog_reader_stats stats;
	uint8_t buf[RECV_BUF];
};

static void set_rcvbuf(int fd, size_t bytes)
{
	int v = bytes > (size_t)(1 << 30) ? 1 << 30 : (int)bytes;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static int on_msg(const struct nlmsghdr *nlh, void *data);

/*
 * Sends one configuration message for group and waits for its acknowledgement; records of
 * already-bound groups that arrive meanwhile are handed on as usual.  0 or -errno.
 */
static int configure(struct nflog_reader *r, uint16_t group, int cmd, uint32_t range)
{
	char req[8192] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = nflog_nlmsg_put_header(req, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
	unsigned int portid = mnl_socket_get_portid(r->nl);
	int fd = mnl_socket_get_fd(r->nl), len;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++r->seq;
	if (cmd >= 0) {
		nflog_attr_put_cfg_cmd(nlh, (uint8_t)cmd);
	} else {
		nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, range);
		mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(QUEUE_THRESHOLD));
		mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(FLUSH_TIMEOUT));
	}
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int rc = poll(&pf, 1, CONFIG_ACK_TIMEOUT);

		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = recv(fd, r->buf, sizeof(r->buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
				continue;
			return -errno;
		}
		/* The acknowledgement carries our sequence number; anything else is a record. */
		len = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)r->buf;
		     mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == r->seq &&
			    h->nlmsg_pid == portid) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				return e->error;
			}
			on_msg(h, r);
		}
	}
}

struct nflog_reader *nflog_reader_new(const struct nflog_reader_opts *o, nflog_reader_cb *cb,
				      void *arg)
{
	struct nflog_reader *r = calloc(1, sizeof(*r));
	uint32_t range = o && o->copy_range ? o->copy_range : DEFAULT_COPY_RANGE;
	int err = 0;

	if (!r)
		return NULL;
	r->cb = cb;
	r->arg = arg;
	r->groups[0] = o && o->ingress_group ? o->ingress_group : 1;
	r->groups[1] = o && o->egress_group ? o->egress_group : 2;
	r->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	set_rcvbuf(mnl_socket_get_fd(r->nl), o && o->rcvbuf ? o->rcvbuf : DEFAULT_RCVBUF);
	for (size_t i = 0; i < 2; i++) {
		err = configure(r, r->groups[i], NFULNL_CFG_CMD_BIND, 0);
		if (err)
			goto fail;
		r->nbound++;
		err = configure(r, r->groups[i], -1, range);
		if (err)
			goto fail;
	}
	return r;
fail:
	nflog_reader_free(r);
	errno = -err;
	return NULL;
}

void nflog_reader_free(struct nflog_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nbound; i++)
		configure(r, r->groups[i], NFULNL_CFG_CMD_UNBIND, 0);
	if (r->nl)
		mnl_socket_close(r->nl);
	free(r);
}

int nflog_reader_fd(const struct nflog_reader *r)
{
	return mnl_socket_get_fd(r->nl);
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nflog_reader *r = data;
	struct nlattr *attr[NFULA_MAX + 1];
	const struct nfgenmsg *nfg;
	const struct nlattr *pre, *pay;
	struct nflog_rec rec;
	int rc;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_ULOG ||
	    (nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET)
		return MNL_CB_OK;
	memset(attr, 0, sizeof(attr));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg) || nflog_nlmsg_parse(nlh, attr) < 0) {
		r->stats.unparsable++;
		return MNL_CB_OK;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	pre = attr[NFULA_PREFIX];
	pay = attr[NFULA_PAYLOAD];
	if (!pre || !pay) {
		r->stats.unparsable++;
		return MNL_CB_OK;
	}
	rc = nflog_rec_parse(ntohs(nfg->res_id), r->groups[0], r->groups[1],
			     mnl_attr_get_payload(pre), mnl_attr_get_payload_len(pre),
			     mnl_attr_get_payload(pay), mnl_attr_get_payload_len(pay), &rec);
	if (rc != NFLOG_REC_OK) {
		r->stats.unparsable++;
		return MNL_CB_OK;
	}
	r->stats.records++;
	r->cb(r->arg, &rec);
	return MNL_CB_OK;
}

int nflog_reader_read(struct nflog_reader *r)
{
	int fd = mnl_socket_get_fd(r->nl);

	for (int i = 0; i < READ_BATCH; i++) {
		ssize_t n = recv(fd, r->buf, sizeof(r->buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				r->stats.overflows++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		mnl_cb_run(r->buf, (size_t)n, 0, 0, on_msg, r);
	}
	return 0;
}

void nflog_reader_get_stats(const struct nflog_reader *r, struct nflog_reader_stats *out)
{
	*out = r->stats;
}
