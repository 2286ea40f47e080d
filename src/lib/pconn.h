/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_PCONN_H
#define PALISADE_PCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

struct packet;

/*
 * An offline connection tracker for captures (`palisade analyze`): it turns a time-ordered
 * stream of parsed packets into the per-window flow observations the aggregator wants, the
 * way conntrack and its events do on a live node (DESIGN §6).  Pure: time is a parameter, in
 * nanoseconds since the epoch.
 *
 * Connections are keyed by their 5-tuple in both directions; the first packet's direction
 * is "orig" (a SYN-ACK seen first makes its receiver the originator).  ICMP echo, timestamp,
 * information and address-mask requests are matched with their replies (the key keeps the
 * request's type and code); other ICMP messages, and non-first fragments (no ports), are
 * flows of their own.  States and timeouts follow Linux conntrack's defaults:
 *
 *   TCP   SYN_SENT 120 s, SYN_RECV 60 s, ESTABLISHED 5 days (also for connections picked up
 *         mid-stream), one side closed (FIN) 120 s, TIME_WAIT 120 s, CLOSE (after RST) 10 s
 *   UDP   30 s until the first reply, 120 s after
 *   ICMP  30 s;   other protocols 600 s;   non-first fragments 30 s
 *
 * A connection is "answered" once a packet went the reply way, and "completed" in the window
 * where FINs have gone both ways, an RST was seen, or its timeout expired (whichever is
 * first; packets after that are still counted to it until it times out, and a new SYN on it
 * starts a new connection).
 *
 * Time is cut into windows of a fixed length aligned to multiples of it (15 s windows start at
 * :00, :15, ...).  The caller drives the windows:
 *
 *	while (pconn_advance(t, now, &w) == 1)
 *		consume(&w);	// every connection active in a window that ended by now
 *	pconn_add(t, now, &pkt);
 *	...
 *	if (pconn_finish(t, last, &w) == 1)
 *		consume(&w);	// the window the capture ended in
 *
 * A window is yielded only when at least one connection was active in it (packets, started or
 * completed), so a quiet hour costs nothing.  The table holds at most max_entries
 * connections; a packet that would open one more is counted in overflow and not tracked.  A
 * connection that ended keeps its slot until the window it ended in has been yielded.
 */

#define PCONN_SEC 1000000000ULL

struct pconn_opts {
	uint64_t window_ns; /* 0: 15 s */
	size_t max_entries; /* 0: 262144 */
};

/* One connection's activity in one window. */
struct pconn_flow {
	struct ipaddr src, dst; /* orig direction */
	uint8_t proto;
	uint16_t sport, dport;	  /* 0 for protocols without ports and non-first fragments */
	int icmp_type, icmp_code; /* the request's; -1 when not ICMP */
	bool fragment;		  /* a flow of non-first fragments */
	uint64_t id;		  /* 1, 2, ... in the order connections were first seen */
	uint64_t first_ns, last_ns;
	bool started;	/* the first packet fell in this window */
	bool completed; /* ended in this window */
	bool answered;	/* a reply has been seen, in this window or before */
	uint64_t bytes_orig, packets_orig, bytes_reply, packets_reply; /* this window's deltas */
};

struct pconn_window {
	uint64_t start_ns, end_ns;	/* [start, end) */
	const struct pconn_flow *flows; /* by id; owned by the tracker, valid until its next call */
	size_t nflows;
};

struct pconn_stats {
	uint64_t packets;     /* packets counted to a connection */
	uint64_t connections; /* connections created */
	uint64_t overflow;    /* packets refused because the table was full */
	uint64_t late;	      /* packets stamped before the open window (counted at its start) */
	uint64_t windows;     /* windows yielded */
	size_t entries;	      /* connections in the table now */
};

/* A new, empty tracker; options are copied (o may be NULL).  NULL with errno set (ENOMEM). */
struct pconn *pconn_new(const struct pconn_opts *o);
/* Frees the tracker and every window it handed out; accepts NULL. */
void pconn_free(struct pconn *t);

/*
 * Closes the open window if it ended at or before now: expires connections whose timeout
 * fell in it and fills w.  Returns 1 with w filled, 0 when no window is due (call pconn_add),
 * -ENOMEM.  Call it until it returns 0 before each pconn_add.
 */
int pconn_advance(struct pconn *t, uint64_t now_ns, struct pconn_window *w);

/*
 * Counts packet p, seen at now, to its connection (creating it).  p must be a parsed IP
 * packet (packet_parse_*() returned PACKET_OK).  A packet stamped before the open window is
 * counted at the window's start (late).  Returns 0, -ENOSPC (table full: counted in overflow),
 * -EAGAIN (the open window ended by now: call pconn_advance first) or -ENOMEM.
 */
int pconn_add(struct pconn *t, uint64_t now_ns, const struct packet *p);

/*
 * The capture ended at now: closes the open window early, expiring only the connections whose
 * timeout fell at or before now (the others are still open, neither completed nor dropped).
 * Returns 1 with w filled, 0 when there was nothing to report, -ENOMEM.  Packets added after
 * this open a new window.
 */
int pconn_finish(struct pconn *t, uint64_t now_ns, struct pconn_window *w);

/* Copies the counters (since pconn_new) into out. */
void pconn_get_stats(const struct pconn *t, struct pconn_stats *out);

#endif
