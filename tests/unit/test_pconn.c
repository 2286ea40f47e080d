/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The offline connection tracker: TCP handshakes, unanswered SYNs, RSTs, FINs and tuple
 * reuse, UDP and ICMP timeouts, window cutting and alignment, and the bounded table.  Every
 * window the tracker yields is recorded and checked field by field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/packet.h"
#include "lib/pconn.h"

#define S  PCONN_SEC
#define MS (PCONN_SEC / 1000)
/* An aligned window start (a multiple of 15 s); tests start 2 s into it. */
#define W (1700000010ULL * S)

#define MAX_WINDOWS 16
#define MAX_FLOWS   16

struct got {
	uint64_t start, end;
	struct pconn_flow f[MAX_FLOWS];
	size_t n;
};

static struct got wins[MAX_WINDOWS];
static size_t nwins;

static int reset(void **state)
{
	memset(wins, 0, sizeof(wins));
	nwins = 0;
	return 0;
}

static void take(const struct pconn_window *w)
{
	assert_true(nwins < MAX_WINDOWS);
	assert_true(w->nflows <= MAX_FLOWS);
	assert_true(w->nflows > 0);
	wins[nwins].start = w->start_ns;
	wins[nwins].end = w->end_ns;
	memcpy(wins[nwins].f, w->flows, w->nflows * sizeof(*w->flows));
	wins[nwins].n = w->nflows;
	nwins++;
}

/* Closes the windows due by ns, then adds p; rc is what pconn_add must return. */
static void feed(struct pconn *t, uint64_t ns, const struct packet *p, int rc)
{
	struct pconn_window w;
	int r;

	while ((r = pconn_advance(t, ns, &w)) == 1)
		take(&w);
	assert_int_equal(r, 0);
	assert_int_equal(pconn_add(t, ns, p), rc);
}

static void finish(struct pconn *t, uint64_t ns)
{
	struct pconn_window w;
	int r;

	while ((r = pconn_advance(t, ns, &w)) == 1)
		take(&w);
	assert_int_equal(r, 0);
	if (pconn_finish(t, ns, &w) == 1)
		take(&w);
}

static struct packet pkt(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			 uint16_t dport, uint8_t flags, uint32_t len)
{
	struct packet p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(ipaddr_parse(src, &p.src), 0);
	assert_int_equal(ipaddr_parse(dst, &p.dst), 0);
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.ip_len = len;
	p.icmp_type = p.icmp_code = -1;
	return p;
}

static struct packet tcp(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			 uint8_t flags, uint32_t len)
{
	return pkt(src, dst, 6, sport, dport, flags, len);
}

static struct packet udp(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			 uint32_t len)
{
	return pkt(src, dst, 17, sport, dport, 0, len);
}

static struct packet icmp(const char *src, const char *dst, int type, uint32_t len)
{
	struct packet p = pkt(src, dst, strchr(src, ':') ? 58 : 1, 0, 0, 0, len);

	p.icmp_type = type;
	p.icmp_code = 0;
	return p;
}

static void assert_flow(const struct pconn_flow *f, const char *src, const char *dst,
			uint16_t sport, uint16_t dport)
{
	char s[IPADDR_STRLEN], d[IPADDR_STRLEN];

	assert_true(ipaddr_format(&f->src, s, sizeof(s)) > 0);
	assert_true(ipaddr_format(&f->dst, d, sizeof(d)) > 0);
	assert_string_equal(s, src);
	assert_string_equal(d, dst);
	assert_int_equal(f->sport, sport);
	assert_int_equal(f->dport, dport);
}

/* started, completed, answered as a 3-character string "sca" with '-' for false. */
static void assert_flags(const struct pconn_flow *f, const char *want)
{
	char got[4] = {f->started ? 's' : '-', f->completed ? 'c' : '-', f->answered ? 'a' : '-'};

	assert_string_equal(got, want);
}

static void assert_counts(const struct pconn_flow *f, uint64_t po, uint64_t bo, uint64_t pr,
			  uint64_t br)
{
	assert_int_equal(f->packets_orig, po);
	assert_int_equal(f->bytes_orig, bo);
	assert_int_equal(f->packets_reply, pr);
	assert_int_equal(f->bytes_reply, br);
}

#define A "10.244.0.20"
#define B "10.244.0.10"

static void test_handshake(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet p;
	struct pconn_stats st;

	assert_non_null(t);
	p = tcp(A, B, 40000, 80, PACKET_TCP_SYN, 60);
	feed(t, W + 2 * S, &p, 0);
	p = tcp(B, A, 80, 40000, PACKET_TCP_SYN | PACKET_TCP_ACK, 60);
	feed(t, W + 2 * S + 1 * MS, &p, 0);
	p = tcp(A, B, 40000, 80, PACKET_TCP_ACK, 52);
	feed(t, W + 2 * S + 2 * MS, &p, 0);
	p = tcp(A, B, 40000, 80, PACKET_TCP_ACK, 152);
	feed(t, W + 3 * S, &p, 0);
	p = tcp(B, A, 80, 40000, PACKET_TCP_ACK, 552);
	feed(t, W + 3 * S + 100 * MS, &p, 0);
	p = tcp(A, B, 40000, 80, PACKET_TCP_FIN | PACKET_TCP_ACK, 52);
	feed(t, W + 4 * S, &p, 0);
	p = tcp(B, A, 80, 40000, PACKET_TCP_FIN | PACKET_TCP_ACK, 52);
	feed(t, W + 4 * S + 100 * MS, &p, 0);
	p = tcp(A, B, 40000, 80, PACKET_TCP_ACK, 52);
	feed(t, W + 4 * S + 200 * MS, &p, 0);
	assert_int_equal(nwins, 0);
	finish(t, W + 4 * S + 200 * MS);
	assert_int_equal(nwins, 1);
	assert_int_equal(wins[0].start, W);
	assert_int_equal(wins[0].end, W + 15 * S);
	assert_int_equal(wins[0].n, 1);
	assert_flow(&wins[0].f[0], A, B, 40000, 80);
	assert_flags(&wins[0].f[0], "sca");
	assert_counts(&wins[0].f[0], 5, 60 + 52 + 152 + 52 + 52, 3, 60 + 552 + 52);
	assert_int_equal(wins[0].f[0].id, 1);
	assert_int_equal(wins[0].f[0].proto, 6);
	assert_int_equal(wins[0].f[0].icmp_type, -1);
	assert_int_equal(wins[0].f[0].first_ns, W + 2 * S);
	assert_int_equal(wins[0].f[0].last_ns, W + 4 * S + 200 * MS);
	pconn_get_stats(t, &st);
	assert_int_equal(st.packets, 8);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.overflow, 0);
	assert_int_equal(st.windows, 1);
	assert_int_equal(st.entries, 1); /* in TIME_WAIT until its timeout */
	pconn_free(t);
}

static void test_unanswered_syn(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet p = tcp(A, B, 40001, 80, PACKET_TCP_SYN, 60), q;

	feed(t, W + 2 * S, &p, 0);
	feed(t, W + 3 * S, &p, 0);
	feed(t, W + 5 * S, &p, 0);
	/* SYN_SENT times out 120 s after the last retransmission: at W + 125 s. */
	q = udp("10.244.0.21", B, 5000, 53, 40);
	feed(t, W + 200 * S, &q, 0);
	assert_int_equal(nwins, 2);
	assert_int_equal(wins[0].start, W);
	assert_int_equal(wins[0].n, 1);
	assert_flags(&wins[0].f[0], "s--");
	assert_counts(&wins[0].f[0], 3, 180, 0, 0);
	assert_int_equal(wins[1].start, W + 120 * S);
	assert_int_equal(wins[1].end, W + 135 * S);
	assert_int_equal(wins[1].n, 1);
	assert_flow(&wins[1].f[0], A, B, 40001, 80);
	assert_flags(&wins[1].f[0], "-c-");
	assert_counts(&wins[1].f[0], 0, 0, 0, 0);
	finish(t, W + 200 * S);
	assert_int_equal(nwins, 3);
	assert_int_equal(wins[2].start, W + 195 * S);
	assert_int_equal(wins[2].n, 1);
	assert_flow(&wins[2].f[0], "10.244.0.21", B, 5000, 53);
	assert_flags(&wins[2].f[0], "s--");
	assert_int_equal(wins[2].f[0].id, 2);
	pconn_free(t);
}

static void test_rst_and_reuse(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct pconn_stats st;
	struct packet p;

	p = tcp(A, B, 40002, 81, PACKET_TCP_SYN, 60);
	feed(t, W + 2 * S, &p, 0);
	p = tcp(B, A, 81, 40002, PACKET_TCP_RST | PACKET_TCP_ACK, 40);
	feed(t, W + 2 * S + 1 * MS, &p, 0);
	/* A new SYN on the tuple of a closed connection is a new connection. */
	p = tcp(A, B, 40002, 81, PACKET_TCP_SYN, 60);
	feed(t, W + 3 * S, &p, 0);
	finish(t, W + 3 * S);
	assert_int_equal(nwins, 1);
	assert_int_equal(wins[0].n, 2);
	assert_int_equal(wins[0].f[0].id, 1);
	assert_flow(&wins[0].f[0], A, B, 40002, 81);
	assert_flags(&wins[0].f[0], "sca");
	assert_counts(&wins[0].f[0], 1, 60, 1, 40);
	assert_int_equal(wins[0].f[1].id, 2);
	assert_flow(&wins[0].f[1], A, B, 40002, 81);
	assert_flags(&wins[0].f[1], "s--");
	assert_counts(&wins[0].f[1], 1, 60, 0, 0);
	pconn_get_stats(t, &st);
	assert_int_equal(st.connections, 2);
	assert_int_equal(st.entries, 1);
	pconn_free(t);
}

static void test_time_wait_reuse_and_late_packets(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet p;

	p = tcp(A, B, 40003, 80, PACKET_TCP_SYN, 60);
	feed(t, W + 2 * S, &p, 0);
	p = tcp(B, A, 80, 40003, PACKET_TCP_SYN | PACKET_TCP_ACK, 60);
	feed(t, W + 2 * S, &p, 0);
	p = tcp(A, B, 40003, 80, PACKET_TCP_FIN | PACKET_TCP_ACK, 52);
	feed(t, W + 3 * S, &p, 0);
	p = tcp(B, A, 80, 40003, PACKET_TCP_FIN | PACKET_TCP_ACK, 52);
	feed(t, W + 3 * S, &p, 0);
	/* The last ACK in the next window: counted, the completion is not reported twice. */
	p = tcp(A, B, 40003, 80, PACKET_TCP_ACK, 52);
	feed(t, W + 16 * S, &p, 0);
	p = tcp(A, B, 40003, 80, PACKET_TCP_SYN, 60);
	feed(t, W + 17 * S, &p, 0);
	finish(t, W + 17 * S);
	assert_int_equal(nwins, 2);
	assert_int_equal(wins[0].n, 1);
	assert_flags(&wins[0].f[0], "sca");
	assert_counts(&wins[0].f[0], 2, 112, 2, 112);
	assert_int_equal(wins[1].start, W + 15 * S);
	assert_int_equal(wins[1].n, 2);
	assert_int_equal(wins[1].f[0].id, 1);
	assert_flags(&wins[1].f[0], "--a");
	assert_counts(&wins[1].f[0], 1, 52, 0, 0);
	assert_int_equal(wins[1].f[1].id, 2);
	assert_flags(&wins[1].f[1], "s--");
	pconn_free(t);
}

static void test_syn_ack_first(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet p;

	/* The capture started between SYN and SYN-ACK: B's SYN-ACK makes A the originator. */
	p = tcp(B, A, 80, 40004, PACKET_TCP_SYN | PACKET_TCP_ACK, 60);
	feed(t, W + 2 * S, &p, 0);
	p = tcp(A, B, 40004, 80, PACKET_TCP_ACK, 52);
	feed(t, W + 2 * S, &p, 0);
	finish(t, W + 2 * S);
	assert_int_equal(nwins, 1);
	assert_int_equal(wins[0].n, 1);
	assert_flow(&wins[0].f[0], A, B, 40004, 80);
	assert_flags(&wins[0].f[0], "s-a");
	assert_counts(&wins[0].f[0], 1, 52, 1, 60);
	pconn_free(t);
}

static void test_udp_timeouts(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet o = udp(A, B, 5000, 53, 40), r = udp(B, A, 53, 5000, 80);

	/* Unreplied: 30 s.  The next datagram 39 s later is a new connection. */
	feed(t, W + 2 * S, &o, 0);
	feed(t, W + 41 * S, &o, 0);
	finish(t, W + 41 * S);
	assert_int_equal(nwins, 2);
	assert_int_equal(wins[0].n, 1);
	assert_flags(&wins[0].f[0], "s--");
	assert_counts(&wins[0].f[0], 1, 40, 0, 0);
	assert_int_equal(wins[1].start, W + 30 * S);
	assert_int_equal(wins[1].n, 2);
	assert_int_equal(wins[1].f[0].id, 1);
	assert_flags(&wins[1].f[0], "-c-");
	assert_counts(&wins[1].f[0], 0, 0, 0, 0);
	assert_int_equal(wins[1].f[1].id, 2);
	assert_flags(&wins[1].f[1], "s--");
	pconn_free(t);

	/* Replied: 120 s, so 100 s later it is the same connection. */
	reset(state);
	t = pconn_new(NULL);
	feed(t, W + 2 * S, &o, 0);
	feed(t, W + 3 * S, &r, 0);
	feed(t, W + 103 * S, &o, 0);
	finish(t, W + 103 * S);
	assert_int_equal(nwins, 2);
	assert_flags(&wins[0].f[0], "s-a");
	assert_counts(&wins[0].f[0], 1, 40, 1, 80);
	assert_int_equal(wins[1].start, W + 90 * S);
	assert_int_equal(wins[1].n, 1);
	assert_int_equal(wins[1].f[0].id, 1);
	assert_flags(&wins[1].f[0], "--a");
	assert_counts(&wins[1].f[0], 1, 40, 0, 0);
	/* Nothing more: it expires at W + 223 s, beyond the end of the capture. */
	pconn_free(t);
}

static void test_icmp(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet p;

	p = icmp(A, B, 8, 84);
	feed(t, W + 2 * S, &p, 0);
	p = icmp(B, A, 0, 84);
	feed(t, W + 2 * S, &p, 0);
	p = icmp("198.51.100.66", A, 0, 84); /* a reply nobody asked for */
	feed(t, W + 2 * S, &p, 0);
	p = icmp("fd00::1", "fd00::2", 128, 104);
	feed(t, W + 2 * S, &p, 0);
	p = icmp("fd00::2", "fd00::1", 129, 104);
	feed(t, W + 2 * S, &p, 0);
	finish(t, W + 40 * S);
	assert_int_equal(nwins, 2);
	assert_int_equal(wins[0].n, 3);
	assert_flow(&wins[0].f[0], A, B, 0, 0);
	assert_int_equal(wins[0].f[0].icmp_type, 8);
	assert_int_equal(wins[0].f[0].icmp_code, 0);
	assert_flags(&wins[0].f[0], "s-a");
	assert_counts(&wins[0].f[0], 1, 84, 1, 84);
	assert_flow(&wins[0].f[1], "198.51.100.66", A, 0, 0);
	assert_int_equal(wins[0].f[1].icmp_type, 0);
	assert_flags(&wins[0].f[1], "s--");
	assert_flow(&wins[0].f[2], "fd00::1", "fd00::2", 0, 0);
	assert_int_equal(wins[0].f[2].proto, 58);
	assert_int_equal(wins[0].f[2].icmp_type, 128);
	assert_flags(&wins[0].f[2], "s-a");
	/* All three time out after 30 s, at W + 32 s, before the end at W + 40 s. */
	assert_int_equal(wins[1].start, W + 30 * S);
	assert_int_equal(wins[1].n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wins[1].f[i].id, i + 1);
		assert_true(wins[1].f[i].completed);
	}
	pconn_free(t);
}

static void test_fragments(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct packet p = udp(A, B, 5000, 53, 1500), f = udp(A, B, 0, 0, 200);

	f.fragment = true;
	feed(t, W + 2 * S, &p, 0);
	feed(t, W + 2 * S, &f, 0);
	finish(t, W + 2 * S);
	assert_int_equal(nwins, 1);
	assert_int_equal(wins[0].n, 2);
	assert_false(wins[0].f[0].fragment);
	assert_counts(&wins[0].f[0], 1, 1500, 0, 0);
	assert_true(wins[0].f[1].fragment);
	assert_flow(&wins[0].f[1], A, B, 0, 0);
	assert_counts(&wins[0].f[1], 1, 200, 0, 0);
	pconn_free(t);
}

static void test_window_cutting(void **state)
{
	struct pconn_opts o = {.window_ns = 10 * S};
	struct pconn *t = pconn_new(&o);
	struct packet p = tcp(A, B, 40005, 80, PACKET_TCP_ACK, 100);
	struct pconn_window w;
	struct pconn_stats st;

	/* Windows of 10 s aligned to multiples of 10 s: W is 1700000010 s. */
	feed(t, W + 1 * S, &p, 0);
	feed(t, W + 10 * S - 1, &p, 0);
	feed(t, W + 10 * S, &p, 0); /* exactly at the boundary: the next window */
	/* Adding past the open window without advancing first is refused. */
	assert_int_equal(pconn_add(t, W + 25 * S, &p), -EAGAIN);
	feed(t, W + 25 * S, &p, 0);
	/* A packet stamped before the open window is counted at its start. */
	assert_int_equal(pconn_advance(t, W + 5 * S, &w), 0);
	assert_int_equal(pconn_add(t, W + 5 * S, &p), 0);
	finish(t, W + 25 * S);
	assert_int_equal(nwins, 3);
	assert_int_equal(wins[0].start, W);
	assert_int_equal(wins[0].end, W + 10 * S);
	assert_flags(&wins[0].f[0], "s--"); /* picked up mid-stream */
	assert_counts(&wins[0].f[0], 2, 200, 0, 0);
	assert_int_equal(wins[1].start, W + 10 * S);
	assert_flags(&wins[1].f[0], "---");
	assert_counts(&wins[1].f[0], 1, 100, 0, 0);
	assert_int_equal(wins[2].start, W + 20 * S);
	assert_int_equal(wins[2].end, W + 30 * S);
	assert_counts(&wins[2].f[0], 2, 200, 0, 0);
	assert_int_equal(wins[2].f[0].id, 1);
	pconn_get_stats(t, &st);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.windows, 3);
	assert_int_equal(st.connections, 1);
	pconn_free(t);
}

static void test_overflow(void **state)
{
	struct pconn_opts o = {.max_entries = 4};
	struct pconn *t = pconn_new(&o);
	struct pconn_stats st;
	struct packet p;

	for (uint16_t i = 0; i < 6; i++) {
		p = udp(A, B, 1000 + i, 53, 40);
		feed(t, W + 2 * S, &p, i < 4 ? 0 : -ENOSPC);
	}
	/* Known connections still count. */
	p = udp(B, A, 53, 1000, 80);
	feed(t, W + 2 * S, &p, 0);
	pconn_get_stats(t, &st);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.packets, 5);
	/* The unreplied ones time out at W + 32 s and leave when their window (W + 30 s to
	 * W + 45 s) has been yielded: then there is room again. */
	p = udp(A, B, 2000, 53, 40);
	feed(t, W + 50 * S, &p, 0);
	finish(t, W + 50 * S);
	pconn_get_stats(t, &st);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.entries, 2); /* the replied one (120 s) and the new one */
	assert_int_equal(nwins, 3);
	assert_int_equal(wins[0].n, 4);
	assert_counts(&wins[0].f[0], 1, 40, 1, 80);
	assert_int_equal(wins[1].start, W + 30 * S);
	assert_int_equal(wins[1].n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wins[1].f[i].id, i + 2);
		assert_flags(&wins[1].f[i], "-c-");
	}
	assert_int_equal(wins[2].start, W + 45 * S);
	assert_int_equal(wins[2].n, 1);
	assert_int_equal(wins[2].f[0].id, 5);
	assert_flow(&wins[2].f[0], A, B, 2000, 53);
	assert_flags(&wins[2].f[0], "s--");
	pconn_free(t);
}

static void test_many_connections(void **state)
{
	struct pconn *t = pconn_new(NULL);
	struct pconn_window w;
	struct pconn_stats st;
	size_t total = 0;

	/* Enough to grow and rehash several times; every connection is found again. */
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < 5000; i++) {
			char src[32];
			struct packet p;

			snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
			p = tcp(src, B, (uint16_t)(1024 + i % 50000), 443, PACKET_TCP_SYN, 60);
			assert_int_equal(pconn_add(t, W + (uint64_t)round * S, &p), 0);
		}
	}
	pconn_get_stats(t, &st);
	assert_int_equal(st.connections, 5000);
	assert_int_equal(st.entries, 5000);
	assert_int_equal(pconn_finish(t, W + 1 * S, &w), 1);
	assert_int_equal(w.nflows, 5000);
	for (size_t i = 0; i < w.nflows; i++) {
		assert_int_equal(w.flows[i].id, i + 1);
		assert_int_equal(w.flows[i].packets_orig, 2);
		total += w.flows[i].packets_orig;
	}
	assert_int_equal(total, 10000);
	pconn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_handshake, reset),
		cmocka_unit_test_setup(test_unanswered_syn, reset),
		cmocka_unit_test_setup(test_rst_and_reuse, reset),
		cmocka_unit_test_setup(test_time_wait_reuse_and_late_packets, reset),
		cmocka_unit_test_setup(test_syn_ack_first, reset),
		cmocka_unit_test_setup(test_udp_timeouts, reset),
		cmocka_unit_test_setup(test_icmp, reset),
		cmocka_unit_test_setup(test_fragments, reset),
		cmocka_unit_test_setup(test_window_cutting, reset),
		cmocka_unit_test_setup(test_overflow, reset),
		cmocka_unit_test_setup(test_many_connections, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
