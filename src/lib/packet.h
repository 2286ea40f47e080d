/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_PACKET_H
#define PALISADE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

/*
 * The packet parser: bytes of one captured frame or one IP packet (NFLOG payload) to the
 * fields flow logs need.  Pure and defensive: every length is checked against what was
 * captured, so garbage, truncation and odd link types are errors, never reads out of bounds.
 */

/* Link types, numbered as libpcap's LINKTYPE_* values. */
enum packet_link {
	PACKET_LINK_NULL = 0,	  /* BSD loopback: 4-byte host-order family */
	PACKET_LINK_ETHERNET = 1, /* with up to two 802.1Q/802.1ad tags */
	PACKET_LINK_RAW = 101,	  /* IPv4 or IPv6, told apart by the version nibble */
	PACKET_LINK_LINUX_SLL = 113,
	PACKET_LINK_IPV4 = 228,
	PACKET_LINK_IPV6 = 229,
	PACKET_LINK_LINUX_SLL2 = 276,
};

enum packet_error {
	PACKET_OK = 0,
	PACKET_TRUNCATED = 1,	/* a header is cut short by the capture length */
	PACKET_MALFORMED = 2,	/* a field is impossible (bad version, header length, ...) */
	PACKET_UNSUPPORTED = 3, /* not IP (ARP, ...), or an unsupported link type */
};

struct packet {
	struct ipaddr src, dst;
	uint8_t proto;		  /* transport protocol after IPv6 extension headers */
	uint16_t sport, dport;	  /* TCP, UDP, SCTP, UDPLite; 0 otherwise */
	int icmp_type, icmp_code; /* -1 when not ICMP/ICMPv6 */
	uint8_t tcp_flags;	  /* FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 */
	uint32_t ip_len; /* the IP packet's length from its header (what conntrack counts) */
	bool fragment;	 /* a non-first fragment: no transport header */
};

#define PACKET_TCP_FIN 0x01
#define PACKET_TCP_SYN 0x02
#define PACKET_TCP_RST 0x04
#define PACKET_TCP_ACK 0x10

/* Parses an IP packet (IPv4 or IPv6 by its version nibble).  Returns an enum packet_error. */
int packet_parse_ip(const uint8_t *data, size_t len, struct packet *out);
/* Parses a frame of the given link type down to the IP packet.  Returns an enum packet_error. */
int packet_parse_frame(int link, const uint8_t *data, size_t len, struct packet *out);

#endif
