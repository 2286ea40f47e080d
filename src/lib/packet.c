/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet parser.  Every read goes through a bounds check against the bytes captured, and
 * the transport header is also checked against the length the IP header claims: a header
 * that lies beyond what was captured but inside the IP packet is TRUNCATED (a short snap
 * length), a header that lies beyond the IP packet itself is MALFORMED.
 */
#include "lib/packet.h"

#include <string.h>

#define ETHERTYPE_IPV4	 0x0800
#define ETHERTYPE_IPV6	 0x86dd
#define ETHERTYPE_VLAN	 0x8100
#define ETHERTYPE_QINQ	 0x88a8
#define ETH_HLEN	 14
#define VLAN_HLEN	 4
#define MAX_VLAN_TAGS	 2
#define SLL_HLEN	 16
#define SLL2_HLEN	 20
#define NULL_HLEN	 4
#define IPV4_HLEN	 20
#define IPV6_HLEN	 40
#define MAX_IPV6_EXT	 8 /* more extension headers than this is not a packet we believe */
#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ICMP_	 1
#define IPPROTO_TCP_	 6
#define IPPROTO_UDP_	 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAG_	 44
#define IPPROTO_AH_	 51
#define IPPROTO_ICMPV6_	 58
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_SCTP_	 132
#define IPPROTO_UDPLITE_ 136

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rd32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/*
 * Is a header of need bytes at offset off inside the packet?  cap is what was captured of the
 * IP packet, ip the length its header claims.  Returns PACKET_OK, TRUNCATED or MALFORMED.
 */
static int need(size_t off, size_t n, size_t cap, size_t ip)
{
	if (off + n > ip)
		return PACKET_MALFORMED;
	if (off + n > cap)
		return PACKET_TRUNCATED;
	return PACKET_OK;
}

/* The transport header at off: ports, TCP flags, ICMP type and code. */
static int parse_transport(const uint8_t *d, size_t off, size_t cap, size_t ip, struct packet *out)
{
	const uint8_t *t = d + off;
	int rc;

	switch (out->proto) {
	case IPPROTO_TCP_:
		rc = need(off, 20, cap, ip);
		if (rc)
			return rc;
		if ((t[12] >> 4) < 5)
			return PACKET_MALFORMED;
		rc = need(off, (size_t)(t[12] >> 4) * 4, cap, ip);
		if (rc)
			return rc;
		out->sport = rd16(t);
		out->dport = rd16(t + 2);
		out->tcp_flags = t[13];
		return PACKET_OK;
	case IPPROTO_UDP_:
	case IPPROTO_UDPLITE_:
		rc = need(off, 8, cap, ip);
		if (rc)
			return rc;
		out->sport = rd16(t);
		out->dport = rd16(t + 2);
		return PACKET_OK;
	case IPPROTO_SCTP_:
		rc = need(off, 12, cap, ip);
		if (rc)
			return rc;
		out->sport = rd16(t);
		out->dport = rd16(t + 2);
		return PACKET_OK;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		/* Type, code and checksum: the part common to every ICMP message. */
		rc = need(off, 4, cap, ip);
		if (rc)
			return rc;
		out->icmp_type = t[0];
		out->icmp_code = t[1];
		return PACKET_OK;
	default:
		return PACKET_OK; /* a protocol without ports: the addresses are all we need */
	}
}

static int parse_ipv4(const uint8_t *d, size_t len, struct packet *out)
{
	size_t hl, total, cap;
	uint16_t frag;

	if (len < 1)
		return PACKET_TRUNCATED;
	if (d[0] >> 4 != 4)
		return PACKET_MALFORMED;
	hl = (size_t)(d[0] & 0x0f) * 4;
	if (hl < IPV4_HLEN)
		return PACKET_MALFORMED;
	if (len < IPV4_HLEN)
		return PACKET_TRUNCATED;
	total = rd16(d + 2);
	if (total < hl)
		return PACKET_MALFORMED;
	if (len < hl)
		return PACKET_TRUNCATED;
	out->src.family = out->dst.family = 4;
	memcpy(out->src.a, d + 12, 4);
	memcpy(out->dst.a, d + 16, 4);
	out->proto = d[9];
	out->ip_len = (uint32_t)total;
	frag = rd16(d + 6);
	if (frag & 0x1fff) {
		out->fragment = true; /* the transport header is in the first fragment only */
		return PACKET_OK;
	}
	cap = len < total ? len : total; /* bytes past total are link-layer padding */
	return parse_transport(d, hl, cap, total, out);
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_ROUTING_ || nh == IPPROTO_FRAG_ ||
	       nh == IPPROTO_DSTOPTS_ || nh == IPPROTO_AH_;
}

static int parse_ipv6(const uint8_t *d, size_t len, struct packet *out)
{
	size_t total, cap, off = IPV6_HLEN;
	uint8_t nh;
	int rc;

	if (len < 1)
		return PACKET_TRUNCATED;
	if (d[0] >> 4 != 6)
		return PACKET_MALFORMED;
	if (len < IPV6_HLEN)
		return PACKET_TRUNCATED;
	total = IPV6_HLEN + (size_t)rd16(d + 4);
	out->src.family = out->dst.family = 6;
	memcpy(out->src.a, d + 8, 16);
	memcpy(out->dst.a, d + 24, 16);
	out->ip_len = (uint32_t)total;
	cap = len < total ? len : total;
	nh = d[6];
	/*
	 * The extension header chain, bounded.  Every header but the fragment header starts with
	 * the next header and a length; AH counts its length in 4-byte units, the others in
	 * 8-byte units, neither counting the first 8 bytes.
	 */
	for (int i = 0; ipv6_ext(nh); i++) {
		const uint8_t *h = d + off;
		size_t hl;

		if (i == MAX_IPV6_EXT)
			return PACKET_MALFORMED;
		rc = need(off, 8, cap, total);
		if (rc)
			return rc;
		if (nh == IPPROTO_FRAG_) {
			if (rd16(h + 2) & 0xfff8) {
				out->proto = h[0];
				out->fragment = true;
				return PACKET_OK;
			}
			hl = 8;
		} else if (nh == IPPROTO_AH_) {
			hl = ((size_t)h[1] + 2) * 4;
		} else {
			hl = ((size_t)h[1] + 1) * 8;
		}
		rc = need(off, hl, cap, total);
		if (rc)
			return rc;
		nh = h[0];
		off += hl;
	}
	out->proto = nh;
	return parse_transport(d, off, cap, total, out);
}

static void init(struct packet *out)
{
	memset(out, 0, sizeof(*out));
	out->icmp_type = -1;
	out->icmp_code = -1;
}

int packet_parse_ip(const uint8_t *data, size_t len, struct packet *out)
{
	init(out);
	if (len < 1)
		return PACKET_TRUNCATED;
	switch (data[0] >> 4) {
	case 4:
		return parse_ipv4(data, len, out);
	case 6:
		return parse_ipv6(data, len, out);
	default:
		return PACKET_MALFORMED;
	}
}

/* The payload at off of EtherType type (Ethernet, SLL, SLL2), through up to two VLAN tags. */
static int parse_ethertype(const uint8_t *d, size_t len, size_t off, uint16_t type,
			   struct packet *out)
{
	for (int tags = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ; tags++) {
		if (tags == MAX_VLAN_TAGS)
			return PACKET_UNSUPPORTED;
		if (len < off + VLAN_HLEN)
			return PACKET_TRUNCATED;
		type = rd16(d + off + 2);
		off += VLAN_HLEN;
	}
	switch (type) {
	case ETHERTYPE_IPV4:
		return parse_ipv4(d + off, len - off, out);
	case ETHERTYPE_IPV6:
		return parse_ipv6(d + off, len - off, out);
	default:
		return PACKET_UNSUPPORTED;
	}
}

/*
 * BSD loopback: the address family in the byte order of the machine that wrote the capture,
 * which the file does not tell, so both orders are tried.  AF_INET is 2 everywhere; AF_INET6
 * is 10 on Linux, 24 on NetBSD and OpenBSD, 28 on FreeBSD and 30 on Darwin.
 */
static int parse_null(const uint8_t *d, size_t len, struct packet *out)
{
	uint32_t fam[2];

	if (len < NULL_HLEN)
		return PACKET_TRUNCATED;
	fam[0] = rd32le(d);
	fam[1] = rd32be(d);
	for (int i = 0; i < 2; i++) {
		if (fam[i] == 2)
			return parse_ipv4(d + NULL_HLEN, len - NULL_HLEN, out);
		if (fam[i] == 10 || fam[i] == 24 || fam[i] == 28 || fam[i] == 30)
			return parse_ipv6(d + NULL_HLEN, len - NULL_HLEN, out);
	}
	return PACKET_UNSUPPORTED;
}

int packet_parse_frame(int link, const uint8_t *data, size_t len, struct packet *out)
{
	init(out);
	switch (link) {
	case PACKET_LINK_NULL:
		return parse_null(data, len, out);
	case PACKET_LINK_ETHERNET:
		if (len < ETH_HLEN)
			return PACKET_TRUNCATED;
		return parse_ethertype(data, len, ETH_HLEN, rd16(data + 12), out);
	case PACKET_LINK_LINUX_SLL:
		/* Packet type, ARPHRD type, address length, 8 address bytes, protocol. */
		if (len < SLL_HLEN)
			return PACKET_TRUNCATED;
		return parse_ethertype(data, len, SLL_HLEN, rd16(data + 14), out);
	case PACKET_LINK_LINUX_SLL2:
		/* Protocol first, then reserved, ifindex, ARPHRD type, packet type, address. */
		if (len < SLL2_HLEN)
			return PACKET_TRUNCATED;
		return parse_ethertype(data, len, SLL2_HLEN, rd16(data), out);
	case PACKET_LINK_RAW:
		return packet_parse_ip(data, len, out);
	case PACKET_LINK_IPV4:
		return parse_ipv4(data, len, out);
	case PACKET_LINK_IPV6:
		return parse_ipv6(data, len, out);
	default:
		return PACKET_UNSUPPORTED;
	}
}
