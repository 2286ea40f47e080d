/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CONNTRACK_H
#define PALISADE_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

/*
 * The flow collector's view of conntrack (DESIGN §6), in the network namespace of the
 * calling process: an event subscription (new, update, destroy) and table dumps with the
 * per-connection counters.  Both sockets are non-blocking netlink sockets (libmnl) whose
 * messages are parsed by libnetfilter_conntrack.
 *
 * Events are lost when the kernel cannot queue them: under a flood of new connections the
 * event socket overflows (ENOBUFS was seen at 52,000 connections per second), so the socket
 * gets a large receive buffer, every overflow is counted, and the caller resynchronises with
 * a dump.  Counters need nf_conntrack_acct=1, which is per network namespace and only
 * applies to connections created after it is set (conntrack_enable_acct()).  In the
 * kernel's "auto" event mode (nf_conntrack_events=2) a connection created before anyone
 * listened sends no events at all, not even its destroy: dumps are the only way to see it.
 */

enum conntrack_event_type {
	CONNTRACK_NEW = 0,
	CONNTRACK_UPDATE = 1,  /* a state or status change (seen reply, assured, ...) */
	CONNTRACK_DESTROY = 2, /* with the final counters */
	CONNTRACK_DUMP = 3,    /* an entry of a table dump, with its current counters */
};

/* One connection as an event or a dump reports it; the tuple is the original direction. */
struct conntrack_entry {
	enum conntrack_event_type type;
	uint32_t id; /* the kernel's id of the entry (unique while it lives) */
	struct ipaddr src, dst;
	uint8_t proto;
	uint16_t sport, dport;	  /* host order; 0 without ports */
	int icmp_type, icmp_code; /* -1 when not ICMP */
	uint16_t icmp_id;	  /* echo identifier, host order */
	uint32_t status;	  /* IPS_* bits of linux/netfilter/nf_conntrack_common.h */
	bool has_counters;	  /* accounting was on when the entry was created */
	uint64_t packets_orig, bytes_orig, packets_reply, bytes_reply;
};

#define CONNTRACK_SEEN_REPLY 0x02u /* IPS_SEEN_REPLY */
#define CONNTRACK_ASSURED    0x04u /* IPS_ASSURED */

typedef void conntrack_cb(void *arg, const struct conntrack_entry *e);

struct conntrack_stats {
	uint64_t events;      /* event messages delivered */
	uint64_t overflows;   /* ENOBUFS on the event socket: events were lost */
	uint64_t dumps;	      /* dumps completed */
	uint64_t dump_errors; /* dumps that failed or timed out */
	uint64_t unparsable;  /* messages libnetfilter_conntrack could not read */
};

struct conntrack;

/*
 * Subscribes to new, update and destroy events and opens a socket for dumps; rcvbuf is the
 * event socket's receive buffer in bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF and
 * whatever the kernel's limit allows).  cb receives every entry, from events and dumps; e is
 * valid during the call only.  NULL with errno set (EPERM without CAP_NET_ADMIN).
 */
struct conntrack *conntrack_new(size_t rcvbuf, conntrack_cb *cb, void *arg);
/* Closes both sockets; accepts NULL. */
void conntrack_free(struct conntrack *ct);

/* The event socket, for an event loop: readable when conntrack_read_events has work. */
int conntrack_event_fd(const struct conntrack *ct);

/*
 * Reads every pending event (a bounded number of datagrams per call) and hands each to cb.
 * Returns 0, or -ENOBUFS when the socket overflowed since the last call (counted: events
 * were lost and the caller should dump), or another -errno.
 */
int conntrack_read_events(struct conntrack *ct);

/*
 * Dumps the whole table (IPv4 and IPv6), every entry going to cb as CONNTRACK_DUMP, waiting
 * at most timeout_ms.  0 when the dump is complete, else -errno (-ETIMEDOUT); a failed or
 * partial dump is counted in dump_errors.
 */
int conntrack_dump(struct conntrack *ct, int timeout_ms);

void conntrack_get_stats(const struct conntrack *ct, struct conntrack_stats *out);

/* Writes 1 to /proc/sys/net/netfilter/nf_conntrack_acct (of the caller's network
 * namespace).  0 or -errno. */
int conntrack_enable_acct(void);

#endif
