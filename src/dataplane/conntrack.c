/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Big enough for any datagram the kernel sends on these sockets (dumps use 16 KiB pages). */
#define RECV_BUF (64 * 1024)
/* Datagrams read per conntrack_read_events call, so one busy socket cannot starve a loop. */
#define EVENT_BATCH 4096
#define ACCT_PATH   "/proc/sys/net/netfilter/nf_conntrack_acct"

struct conntrack {
	struct mnl_socket *ev;	 /* subscribed to the event groups */
	struct mnl_socket *dump; /* requests and their replies; reopened after a failed dump */
	conntrack_cb *cb;
	void *arg;
	uint32_t seq;
	bool lost; /* an overflow not yet reported by conntrack_read_events */
	struct conntrack_stats stats;
	uint8_t buf[RECV_BUF];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets a receive buffer of bytes: SO_RCVBUFFORCE (CAP_NET_ADMIN) goes past rmem_max. */
static void set_rcvbuf(int fd, size_t bytes)
{
	int v = bytes > (size_t)(1 << 30) ? 1 << 30 : (int)bytes;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static struct mnl_socket *open_socket(unsigned int groups)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int err;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

static void get_addr(const struct nf_conntrack *c, int attr4, int attr6, uint8_t l3,
		     struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (l3 == AF_INET && nfct_attr_is_set(c, attr4) > 0) {
		uint32_t a = nfct_get_attr_u32(c, attr4); /* network order */

		out->family = 4;
		memcpy(out->a, &a, 4);
	} else if (l3 == AF_INET6 && nfct_attr_is_set(c, attr6) > 0) {
		out->family = 6;
		memcpy(out->a, nfct_get_attr(c, attr6), 16);
	}
}

/* The entry of one ctnetlink message; false when it is not a conntrack the collector can
 * use (no addresses). */
static bool to_entry(const struct nf_conntrack *c, struct conntrack_entry *e)
{
	uint8_t l3 = nfct_get_attr_u8(c, ATTR_ORIG_L3PROTO);

	get_addr(c, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, l3, &e->src);
	get_addr(c, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, l3, &e->dst);
	if (!e->src.family || !e->dst.family)
		return false;
	e->id = nfct_attr_is_set(c, ATTR_ID) > 0 ? nfct_get_attr_u32(c, ATTR_ID) : 0;
	e->proto = nfct_get_attr_u8(c, ATTR_ORIG_L4PROTO);
	e->icmp_type = e->icmp_code = -1;
	if (e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6) {
		if (nfct_attr_is_set(c, ATTR_ICMP_TYPE) > 0) {
			e->icmp_type = nfct_get_attr_u8(c, ATTR_ICMP_TYPE);
			e->icmp_code = nfct_get_attr_u8(c, ATTR_ICMP_CODE);
			e->icmp_id = ntohs(nfct_get_attr_u16(c, ATTR_ICMP_ID));
		}
	} else if (nfct_attr_is_set(c, ATTR_ORIG_PORT_SRC) > 0) {
		e->sport = ntohs(nfct_get_attr_u16(c, ATTR_ORIG_PORT_SRC));
		e->dport = ntohs(nfct_get_attr_u16(c, ATTR_ORIG_PORT_DST));
	}
	e->status = nfct_attr_is_set(c, ATTR_STATUS) > 0 ? nfct_get_attr_u32(c, ATTR_STATUS) : 0;
	if (nfct_attr_is_set(c, ATTR_ORIG_COUNTER_PACKETS) > 0) {
		e->has_counters = true;
		e->packets_orig = nfct_get_attr_u64(c, ATTR_ORIG_COUNTER_PACKETS);
		e->bytes_orig = nfct_get_attr_u64(c, ATTR_ORIG_COUNTER_BYTES);
		e->packets_reply = nfct_get_attr_u64(c, ATTR_REPL_COUNTER_PACKETS);
		e->bytes_reply = nfct_get_attr_u64(c, ATTR_REPL_COUNTER_BYTES);
	}
	return true;
}

struct parse_ctx {
	struct conntrack *ct;
	bool dump;
};

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *p = data;
	struct conntrack *ct = p->ct;
	struct conntrack_entry e;
	struct nf_conntrack *c;
	uint8_t type = (uint8_t)(nlh->nlmsg_type & 0xff);

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return MNL_CB_OK;
	memset(&e, 0, sizeof(e));
	if (p->dump)
		e.type = CONNTRACK_DUMP;
	else if (type == IPCTNL_MSG_CT_DELETE)
		e.type = CONNTRACK_DESTROY;
	else if (type == IPCTNL_MSG_CT_NEW)
		e.type = nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL) ? CONNTRACK_NEW
									: CONNTRACK_UPDATE;
	else
		return MNL_CB_OK;
	c = nfct_new();
	if (!c)
		return MNL_CB_ERROR;
	if (nfct_nlmsg_parse(nlh, c) < 0 || !to_entry(c, &e)) {
		ct->stats.unparsable++;
	} else {
		if (!p->dump)
			ct->stats.events++;
		ct->cb(ct->arg, &e);
	}
	nfct_destroy(c);
	return MNL_CB_OK;
}

struct conntrack *conntrack_new(size_t rcvbuf, conntrack_cb *cb, void *arg)
{
	struct conntrack *ct = calloc(1, sizeof(*ct));
	int err;

	if (!ct)
		return NULL;
	ct->cb = cb;
	ct->arg = arg;
	ct->ev = open_socket(NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE |
			     NF_NETLINK_CONNTRACK_DESTROY);
	if (!ct->ev)
		goto fail;
	set_rcvbuf(mnl_socket_get_fd(ct->ev), rcvbuf);
	ct->dump = open_socket(0);
	if (!ct->dump)
		goto fail;
	return ct;
fail:
	err = errno;
	conntrack_free(ct);
	errno = err;
	return NULL;
}

void conntrack_free(struct conntrack *ct)
{
	if (!ct)
		return;
	if (ct->ev)
		mnl_socket_close(ct->ev);
	if (ct->dump)
		mnl_socket_close(ct->dump);
	free(ct);
}

int conntrack_event_fd(const struct conntrack *ct)
{
	return mnl_socket_get_fd(ct->ev);
}

int conntrack_read_events(struct conntrack *ct)
{
	struct parse_ctx p = {ct, false};

	for (int i = 0; i < EVENT_BATCH; i++) {
		ssize_t n = recv(mnl_socket_get_fd(ct->ev), ct->buf, sizeof(ct->buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ct->stats.overflows++;
				ct->lost = true;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		if (mnl_cb_run(ct->buf, (size_t)n, 0, 0, on_msg, &p) < 0 && errno == ENOMEM)
			return -ENOMEM;
	}
	if (ct->lost) {
		ct->lost = false;
		return -ENOBUFS;
	}
	return 0;
}

/* After a failed dump its remaining replies may still arrive: a fresh socket drops them. */
static void reopen_dump(struct conntrack *ct)
{
	struct mnl_socket *nl = open_socket(0);

	if (!nl)
		return; /* keep the old one; the sequence check skips stale replies */
	mnl_socket_close(ct->dump);
	ct->dump = nl;
}

int conntrack_dump(struct conntrack *ct, int timeout_ms)
{
	char req[8192] __attribute__((aligned(4)));
	struct parse_ctx p = {ct, true};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nfgenmsg *nfh;
	long long deadline = now_ms() + timeout_ms;
	unsigned int portid = mnl_socket_get_portid(ct->dump);
	int fd = mnl_socket_get_fd(ct->dump), err = 0;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++ct->seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = AF_UNSPEC;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	if (mnl_socket_sendto(ct->dump, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;
		int rc;

		if (left <= 0) {
			err = -ETIMEDOUT;
			goto out;
		}
		rc = poll(&pf, 1, (int)left);
		if (rc < 0 && errno != EINTR) {
			err = -errno;
			goto out;
		}
		if (rc <= 0)
			continue;
		n = recv(fd, ct->buf, sizeof(ct->buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			err = -errno;
			goto out;
		}
		rc = mnl_cb_run(ct->buf, (size_t)n, ct->seq, portid, on_msg, &p);
		if (rc == MNL_CB_STOP)
			break;
		if (rc < 0) {
			err = errno ? -errno : -EIO;
			goto out;
		}
	}
out:
	if (err) {
		ct->stats.dump_errors++;
		reopen_dump(ct);
	} else {
		ct->stats.dumps++;
	}
	return err;
}

void conntrack_get_stats(const struct conntrack *ct, struct conntrack_stats *out)
{
	*out = ct->stats;
}

int conntrack_enable_acct(void)
{
	int fd = open(ACCT_PATH, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}
