/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet parser on hand-built frames: every link type, VLAN tags, IPv4 options and
 * fragments, IPv6 extension headers, the transport protocols, and every way of being short or
 * wrong.  A valid frame cut at every byte offset must be TRUNCATED until its last header is
 * complete, and OK from there on.
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

/* A frame under construction. */
struct frame {
	uint8_t b[512];
	size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct frame *f, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(f, &b, 1);
}

static void put16(struct frame *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void put_zero(struct frame *f, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memset(f->b + f->n, 0, n);
	f->n += n;
}

static void put_addr(struct frame *f, const char *s, int family)
{
	struct ipaddr a;

	assert_int_equal(ipaddr_parse(s, &a), 0);
	assert_int_equal(a.family, family);
	put(f, a.a, family == 4 ? 4 : 16);
}

static void eth(struct frame *f, unsigned type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	put(f, macs, sizeof(macs));
	put16(f, type);
}

/* An IPv4 header: total is the payload length plus 20 (plus the options' length). */
static void ipv4(struct frame *f, unsigned proto, const char *src, const char *dst,
		 unsigned payload, unsigned frag)
{
	put8(f, 0x45);
	put8(f, 0);
	put16(f, 20 + payload);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put_addr(f, src, 4);
	put_addr(f, dst, 4);
}

static void ipv6(struct frame *f, unsigned next, const char *src, const char *dst, unsigned payload)
{
	put32(f, 0x60000000);
	put16(f, payload);
	put8(f, next);
	put8(f, 64);
	put_addr(f, src, 6);
	put_addr(f, dst, 6);
}

static void tcp(struct frame *f, unsigned sport, unsigned dport, unsigned flags)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 1000);
	put32(f, 2000);
	put8(f, 5 << 4);
	put8(f, flags);
	put16(f, 65535);
	put32(f, 0);
}

static void udp(struct frame *f, unsigned sport, unsigned dport, unsigned payload)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, 8 + payload);
	put16(f, 0);
}

static struct ipaddr A(const char *s) {
	struct ipaddr a;

	assert_int_equal(ipaddr_parse(s, &a), 0);
	return a;
}

static void
assert_addrs(const struct packet *p, const char *src, const char *dst)
{
	struct ipaddr s = A(src), d = A(dst);

	assert_true(ipaddr_equal(&p->src, &s));
	assert_true(ipaddr_equal(&p->dst, &d));
}

/* Ethernet, IPv4, TCP SYN-ACK with 6 bytes of payload: 60 bytes, headers end at 54. */
static void eth_ipv4_tcp(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	eth(f, 0x0800);
	ipv4(f, 6, "10.244.0.20", "10.244.0.10", 20 + 6, 0);
	tcp(f, 40000, 80, PACKET_TCP_SYN | PACKET_TCP_ACK);
	put(f, "hello\n", 6);
}

static void test_ethernet_ipv4_tcp(void **state)
{
	struct frame f;
	struct packet p;

	eth_ipv4_tcp(&f);
	assert_int_equal(f.n, 60);
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_OK);
	assert_addrs(&p, "10.244.0.20", "10.244.0.10");
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, PACKET_TCP_SYN | PACKET_TCP_ACK);
	assert_int_equal(p.ip_len, 46);
	assert_int_equal(p.icmp_type, -1);
	assert_int_equal(p.icmp_code, -1);
	assert_false(p.fragment);
}

static void test_truncated_every_offset(void **state)
{
	struct frame f;
	struct packet p;

	eth_ipv4_tcp(&f);
	for (size_t k = 0; k < 54; k++) {
		uint8_t *copy = malloc(k ? k : 1); /* exact size, so ASan sees any overread */

		assert_non_null(copy);
		memcpy(copy, f.b, k);
		if (packet_parse_frame(PACKET_LINK_ETHERNET, copy, k, &p) != PACKET_TRUNCATED)
			fail_msg("cut at %zu: not TRUNCATED", k);
		free(copy);
	}
	for (size_t k = 54; k <= f.n; k++) {
		assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, k, &p), PACKET_OK);
		assert_int_equal(p.dport, 80);
		assert_int_equal(p.ip_len, 46); /* from the header, not from what was captured */
	}
}

static void test_truncated_every_offset_ipv6_ext(void **state)
{
	struct frame f = {0};
	struct packet p;

	/* IPv6, hop-by-hop (8), destination options (16), UDP: headers end at 40+8+16+8 = 72. */
	ipv6(&f, 0, "fd00::1", "fd00::2", 8 + 16 + 8 + 4);
	put8(&f, 60);
	put8(&f, 0);
	put_zero(&f, 6);
	put8(&f, 17);
	put8(&f, 1);
	put_zero(&f, 14);
	udp(&f, 5353, 53, 4);
	put32(&f, 0xdeadbeef);
	for (size_t k = 0; k < 72; k++)
		if (packet_parse_frame(PACKET_LINK_RAW, f.b, k, &p) != PACKET_TRUNCATED)
			fail_msg("cut at %zu: not TRUNCATED", k);
	for (size_t k = 72; k <= f.n; k++) {
		assert_int_equal(packet_parse_frame(PACKET_LINK_RAW, f.b, k, &p), PACKET_OK);
		assert_int_equal(p.proto, 17);
		assert_int_equal(p.sport, 5353);
		assert_int_equal(p.dport, 53);
		assert_int_equal(p.ip_len, 76);
	}
}

static void test_vlan(void **state)
{
	struct frame f = {0};
	struct packet p;

	eth(&f, 0x8100);
	put16(&f, 100);
	put16(&f, 0x0800);
	ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 8, 0);
	udp(&f, 1000, 53, 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_OK);
	assert_addrs(&p, "10.0.0.1", "10.0.0.2");
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 1000);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.ip_len, 28);

	/* 802.1ad outer tag, 802.1Q inner tag. */
	memset(&f, 0, sizeof(f));
	eth(&f, 0x88a8);
	put16(&f, 10);
	put16(&f, 0x8100);
	put16(&f, 20);
	put16(&f, 0x86dd);
	ipv6(&f, 6, "2001:db8::1", "2001:db8::2", 20);
	tcp(&f, 1234, 443, PACKET_TCP_SYN);
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_OK);
	assert_addrs(&p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(p.sport, 1234);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, PACKET_TCP_SYN);
	assert_int_equal(p.ip_len, 60);
	/* Cut inside the second tag. */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, 20, &p), PACKET_TRUNCATED);

	/* A third tag is more than we accept. */
	memset(&f, 0, sizeof(f));
	eth(&f, 0x88a8);
	put16(&f, 10);
	put16(&f, 0x8100);
	put16(&f, 20);
	put16(&f, 0x8100);
	put16(&f, 30);
	put16(&f, 0x0800);
	ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 8, 0);
	udp(&f, 1000, 53, 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p),
			 PACKET_UNSUPPORTED);
}

static void test_not_ip(void **state)
{
	struct frame f = {0};
	struct packet p;

	eth(&f, 0x0806); /* ARP */
	put_zero(&f, 28);
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p),
			 PACKET_UNSUPPORTED);
	assert_int_equal(packet_parse_frame(12345, f.b, f.n, &p), PACKET_UNSUPPORTED);
	/* An IPv6 packet on a LINKTYPE_IPV4 link, and the reverse. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 59, "::1", "::1", 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV4, f.b, f.n, &p), PACKET_MALFORMED);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV6, f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.proto, 59);
	assert_int_equal(p.ip_len, 40);
	memset(&f, 0, sizeof(f));
	ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 8, 0);
	udp(&f, 1, 2, 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV6, f.b, f.n, &p), PACKET_MALFORMED);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV4, f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.dport, 2);
}

static void test_sll(void **state)
{
	struct frame f = {0};
	struct packet p;

	put16(&f, 0);	   /* packet type: to us */
	put16(&f, 1);	   /* ARPHRD_ETHER */
	put16(&f, 6);	   /* address length */
	put_zero(&f, 8);   /* address */
	put16(&f, 0x0800); /* protocol */
	ipv4(&f, 17, "192.0.2.1", "198.51.100.2", 8 + 3, 0);
	udp(&f, 5000, 6000, 3);
	put(&f, "abc", 3);
	assert_int_equal(packet_parse_frame(PACKET_LINK_LINUX_SLL, f.b, f.n, &p), PACKET_OK);
	assert_addrs(&p, "192.0.2.1", "198.51.100.2");
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 5000);
	assert_int_equal(p.dport, 6000);
	assert_int_equal(p.ip_len, 31);
	assert_int_equal(packet_parse_frame(PACKET_LINK_LINUX_SLL, f.b, 15, &p), PACKET_TRUNCATED);
	f.b[14] = 0x00;
	f.b[15] = 0x04; /* 802.2 LLC */
	assert_int_equal(packet_parse_frame(PACKET_LINK_LINUX_SLL, f.b, f.n, &p),
			 PACKET_UNSUPPORTED);
}

static void test_sll2(void **state)
{
	struct frame f = {0};
	struct packet p;

	put16(&f, 0x86dd); /* protocol */
	put16(&f, 0);	   /* reserved */
	put32(&f, 3);	   /* interface index */
	put16(&f, 1);	   /* ARPHRD_ETHER */
	put8(&f, 4);	   /* packet type: outgoing */
	put8(&f, 6);	   /* address length */
	put_zero(&f, 8);
	assert_int_equal(f.n, 20);
	ipv6(&f, 6, "fd00::a", "fd00::b", 20);
	tcp(&f, 33000, 8080, PACKET_TCP_FIN | PACKET_TCP_ACK);
	assert_int_equal(packet_parse_frame(PACKET_LINK_LINUX_SLL2, f.b, f.n, &p), PACKET_OK);
	assert_addrs(&p, "fd00::a", "fd00::b");
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 33000);
	assert_int_equal(p.dport, 8080);
	assert_int_equal(p.tcp_flags, PACKET_TCP_FIN | PACKET_TCP_ACK);
	assert_int_equal(p.ip_len, 60);
	assert_int_equal(packet_parse_frame(PACKET_LINK_LINUX_SLL2, f.b, 19, &p), PACKET_TRUNCATED);
	f.b[0] = 0x08;
	f.b[1] = 0x06;
	assert_int_equal(packet_parse_frame(PACKET_LINK_LINUX_SLL2, f.b, f.n, &p),
			 PACKET_UNSUPPORTED);
}

static void test_null_loopback(void **state)
{
	/* The family word in either byte order: 2 (AF_INET), 10, 24, 28, 30 (AF_INET6). */
	static const uint8_t fam_v4[2][4] = {{2, 0, 0, 0}, {0, 0, 0, 2}};
	static const uint8_t fam_v6[4][4] = {
		{10, 0, 0, 0}, {0, 0, 0, 24}, {28, 0, 0, 0}, {0, 0, 0, 30}};
	struct frame f;
	struct packet p;

	for (int i = 0; i < 2; i++) {
		memset(&f, 0, sizeof(f));
		put(&f, fam_v4[i], 4);
		ipv4(&f, 1, "127.0.0.1", "127.0.0.2", 8, 0);
		put8(&f, 8); /* echo request */
		put8(&f, 0);
		put_zero(&f, 6);
		assert_int_equal(packet_parse_frame(PACKET_LINK_NULL, f.b, f.n, &p), PACKET_OK);
		assert_addrs(&p, "127.0.0.1", "127.0.0.2");
		assert_int_equal(p.proto, 1);
		assert_int_equal(p.icmp_type, 8);
		assert_int_equal(p.icmp_code, 0);
		assert_int_equal(p.sport, 0);
		assert_int_equal(p.dport, 0);
		assert_int_equal(p.ip_len, 28);
	}
	for (int i = 0; i < 4; i++) {
		memset(&f, 0, sizeof(f));
		put(&f, fam_v6[i], 4);
		ipv6(&f, 58, "::1", "::2", 8);
		put8(&f, 129); /* echo reply */
		put8(&f, 0);
		put_zero(&f, 6);
		assert_int_equal(packet_parse_frame(PACKET_LINK_NULL, f.b, f.n, &p), PACKET_OK);
		assert_addrs(&p, "::1", "::2");
		assert_int_equal(p.proto, 58);
		assert_int_equal(p.icmp_type, 129);
		assert_int_equal(p.icmp_code, 0);
		assert_int_equal(p.ip_len, 48);
	}
	memset(&f, 0, sizeof(f));
	put32(&f, 7);
	ipv4(&f, 1, "127.0.0.1", "127.0.0.2", 0, 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_NULL, f.b, f.n, &p), PACKET_UNSUPPORTED);
	assert_int_equal(packet_parse_frame(PACKET_LINK_NULL, f.b, 3, &p), PACKET_TRUNCATED);
}

static void test_ipv4_options_and_padding(void **state)
{
	struct frame f = {0};
	struct packet p;

	/* IHL 6: four bytes of options (NOPs) before UDP; the frame is padded to 64 bytes. */
	eth(&f, 0x0800);
	put8(&f, 0x46);
	put8(&f, 0);
	put16(&f, 24 + 8);
	put16(&f, 1);
	put16(&f, 0x4000); /* DF */
	put8(&f, 64);
	put8(&f, 17);
	put16(&f, 0);
	put_addr(&f, "10.1.1.1", 4);
	put_addr(&f, "10.1.1.2", 4);
	put32(&f, 0x01010101);
	udp(&f, 123, 123, 0);
	put_zero(&f, 64 - f.n);
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.sport, 123);
	assert_int_equal(p.dport, 123);
	assert_int_equal(p.ip_len, 32);
	assert_false(p.fragment);
	/* Cut inside the options. */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, 14 + 22, &p),
			 PACKET_TRUNCATED);
}

static void test_ipv4_fragments(void **state)
{
	struct frame f = {0};
	struct packet p;

	/* First fragment (MF, offset 0): the transport header is there. */
	ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 1480, 0x2000);
	udp(&f, 4000, 53, 1472);
	assert_int_equal(packet_parse_frame(PACKET_LINK_RAW, f.b, f.n, &p), PACKET_OK);
	assert_false(p.fragment);
	assert_int_equal(p.sport, 4000);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.ip_len, 1500);

	/* Last fragment (offset 185 * 8): no ports, whatever the bytes after the header. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 100, 185);
	put16(&f, 9999);
	put16(&f, 9999);
	assert_int_equal(packet_parse_frame(PACKET_LINK_RAW, f.b, f.n, &p), PACKET_OK);
	assert_true(p.fragment);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.ip_len, 120);
	assert_addrs(&p, "10.0.0.1", "10.0.0.2");

	/* A middle fragment of TCP: no flags either. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 8, 0x2000 | 1);
	put_zero(&f, 8);
	assert_int_equal(packet_parse_frame(PACKET_LINK_RAW, f.b, f.n, &p), PACKET_OK);
	assert_true(p.fragment);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.icmp_type, -1);
}

static void test_ipv6_extension_headers(void **state)
{
	struct frame f = {0};
	struct packet p;

	/* Hop-by-hop (8), routing (24), destination options (8), AH (16), TCP. */
	ipv6(&f, 0, "2001:db8::1", "2001:db8::2", 8 + 24 + 8 + 16 + 20);
	put8(&f, 43);
	put8(&f, 0);
	put_zero(&f, 6);
	put8(&f, 60);
	put8(&f, 2);
	put_zero(&f, 22);
	put8(&f, 51);
	put8(&f, 0);
	put_zero(&f, 6);
	put8(&f, 6);
	put8(&f, 2); /* AH: (2 + 2) * 4 = 16 bytes */
	put_zero(&f, 14);
	tcp(&f, 50000, 22, PACKET_TCP_ACK);
	assert_int_equal(packet_parse_frame(PACKET_LINK_RAW, f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 50000);
	assert_int_equal(p.dport, 22);
	assert_int_equal(p.tcp_flags, PACKET_TCP_ACK);
	assert_int_equal(p.ip_len, 40 + 76);
	assert_false(p.fragment);

	/* A first fragment (offset 0, M set) goes on to the transport header. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 44, "fd00::1", "fd00::2", 8 + 8);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0x0001);
	put32(&f, 42);
	udp(&f, 7, 9, 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV6, f.b, f.n, &p), PACKET_OK);
	assert_false(p.fragment);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 7);
	assert_int_equal(p.dport, 9);

	/* A later fragment stops at the fragment header. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 0, "fd00::1", "fd00::2", 8 + 8 + 8);
	put8(&f, 44);
	put8(&f, 0);
	put_zero(&f, 6);
	put8(&f, 58);
	put8(&f, 0);
	put16(&f, 1448);
	put32(&f, 42);
	put_zero(&f, 8);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV6, f.b, f.n, &p), PACKET_OK);
	assert_true(p.fragment);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, -1);
	assert_int_equal(p.ip_len, 64);

	/* Nine destination options headers: more than the walk allows. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 60, "fd00::1", "fd00::2", 9 * 8 + 8);
	for (int i = 0; i < 9; i++) {
		put8(&f, i == 8 ? 17 : 60);
		put8(&f, 0);
		put_zero(&f, 6);
	}
	udp(&f, 1, 2, 0);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV6, f.b, f.n, &p), PACKET_MALFORMED);

	/* An extension header longer than the payload length allows. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 60, "fd00::1", "fd00::2", 8);
	put8(&f, 17);
	put8(&f, 1); /* 16 bytes */
	put_zero(&f, 14);
	assert_int_equal(packet_parse_frame(PACKET_LINK_IPV6, f.b, f.n, &p), PACKET_MALFORMED);
}

static void test_icmp_sctp_udplite(void **state)
{
	struct frame f = {0};
	struct packet p;

	ipv4(&f, 1, "10.0.0.1", "10.0.0.2", 8, 0);
	put8(&f, 3); /* destination unreachable, port */
	put8(&f, 3);
	put_zero(&f, 6);
	assert_int_equal(packet_parse_ip(f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.icmp_type, 3);
	assert_int_equal(p.icmp_code, 3);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(packet_parse_ip(f.b, 23, &p), PACKET_TRUNCATED);

	memset(&f, 0, sizeof(f));
	ipv6(&f, 58, "fd00::1", "fd00::2", 8);
	put8(&f, 128);
	put8(&f, 0);
	put_zero(&f, 6);
	assert_int_equal(packet_parse_ip(f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.icmp_code, 0);

	memset(&f, 0, sizeof(f));
	ipv4(&f, 132, "10.0.0.1", "10.0.0.2", 12, 0);
	put16(&f, 2905);
	put16(&f, 38412);
	put32(&f, 0);
	put32(&f, 0);
	assert_int_equal(packet_parse_ip(f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.proto, 132);
	assert_int_equal(p.sport, 2905);
	assert_int_equal(p.dport, 38412);
	assert_int_equal(packet_parse_ip(f.b, f.n - 1, &p), PACKET_TRUNCATED);

	memset(&f, 0, sizeof(f));
	ipv4(&f, 136, "10.0.0.1", "10.0.0.2", 8, 0);
	udp(&f, 111, 222, 0);
	assert_int_equal(packet_parse_ip(f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.proto, 136);
	assert_int_equal(p.sport, 111);
	assert_int_equal(p.dport, 222);

	/* GRE: no ports, the addresses and protocol are all there is. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, 47, "10.0.0.1", "10.0.0.2", 4, 0);
	put32(&f, 0x00000800);
	assert_int_equal(packet_parse_ip(f.b, f.n, &p), PACKET_OK);
	assert_int_equal(p.proto, 47);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.icmp_type, -1);
}

static void test_malformed(void **state)
{
	struct frame f;
	struct packet p;

	assert_int_equal(packet_parse_ip(NULL, 0, &p), PACKET_TRUNCATED);
	eth_ipv4_tcp(&f);
	f.b[14] = 0x44; /* IHL 4 */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_MALFORMED);
	f.b[14] = 0x55; /* version 5 */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_MALFORMED);
	assert_int_equal(packet_parse_ip(f.b + 14, f.n - 14, &p), PACKET_MALFORMED);

	eth_ipv4_tcp(&f);
	f.b[16] = 0;
	f.b[17] = 19; /* total length shorter than the header */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_MALFORMED);

	eth_ipv4_tcp(&f);
	f.b[17] = 30; /* 10 bytes for a 20-byte TCP header */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_MALFORMED);

	eth_ipv4_tcp(&f);
	f.b[14 + 20 + 12] = 4 << 4; /* TCP data offset 4 */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_MALFORMED);

	eth_ipv4_tcp(&f);
	f.b[14 + 20 + 12] = 8 << 4; /* 32 bytes of TCP header in a 26-byte IP payload */
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, f.n, &p), PACKET_MALFORMED);

	/* A short snap length: headers complete, the IP packet claims more. */
	eth_ipv4_tcp(&f);
	f.b[16] = 0x05;
	f.b[17] = 0xdc;
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, 54, &p), PACKET_OK);
	assert_int_equal(p.ip_len, 1500);
	/* TCP options announced (data offset 6) but cut off by the snap length. */
	f.b[14 + 20 + 12] = 6 << 4;
	assert_int_equal(packet_parse_frame(PACKET_LINK_ETHERNET, f.b, 54, &p), PACKET_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_tcp),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_truncated_every_offset_ipv6_ext),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_null_loopback),
		cmocka_unit_test(test_ipv4_options_and_padding),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_icmp_sctp_udplite),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
