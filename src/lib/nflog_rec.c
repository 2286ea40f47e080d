/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/nflog_rec.h"

#include "lib/packet.h"

#include <string.h>

#define ICMP6_ECHO_REQUEST 128

static bool prefix_ok(const char *p, size_t n)
{
	if (!n || n >= NFLOG_REC_PREFIX_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	return true;
}

/* ICMPv4 requests that conntrack tracks with their identifier: echo, timestamp,
 * information, address mask. */
static bool icmp4_query(int type)
{
	return type == 8 || type == 13 || type == 15 || type == 17;
}

/*
 * The identifier of an ICMP query (an echo request, ...), which conntrack keeps in the tuple:
 * after the IPv4 header, or right after the fixed IPv6 header (an echo behind extension
 * headers keeps 0: such flows still have a key, only a coarser one).  Only requests start
 * connections; 0 for anything else.
 */
static uint16_t echo_id(const uint8_t *pkt, size_t len, const struct packet *p)
{
	size_t off;

	if (p->proto == 1 && icmp4_query(p->icmp_type))
		off = (size_t)(pkt[0] & 0x0f) * 4;
	else if (p->proto == 58 && pkt[6] == 58 && p->icmp_type == ICMP6_ECHO_REQUEST)
		off = 40;
	else
		return 0;
	if (off + 6 > len)
		return 0;
	return (uint16_t)(pkt[off + 4] << 8 | pkt[off + 5]);
}

int nflog_rec_parse(uint16_t group, uint16_t ingress_group, uint16_t egress_group,
		    const char *prefix, size_t prefix_len, const uint8_t *pkt, size_t len,
		    struct nflog_rec *out)
{
	struct packet p;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (group == ingress_group)
		out->key.reporter = FLOW_REPORTER_DST;
	else if (group == egress_group)
		out->key.reporter = FLOW_REPORTER_SRC;
	else
		return NFLOG_REC_BAD_GROUP;
	while (n < prefix_len && prefix[n])
		n++;
	for (size_t i = n; i < prefix_len; i++)
		if (prefix[i])
			return NFLOG_REC_BAD_PREFIX; /* text after a NUL */
	if (!prefix_ok(prefix, n))
		return NFLOG_REC_BAD_PREFIX;
	memcpy(out->prefix, prefix, n);
	out->prefix[n] = '\0';
	if (packet_parse_ip(pkt, len, &p) != PACKET_OK || p.fragment)
		return NFLOG_REC_BAD_PACKET;
	out->key.src = p.src;
	out->key.dst = p.dst;
	out->key.proto = p.proto;
	out->key.sport = p.sport;
	out->key.dport = p.dport;
	out->key.icmp_type = (int16_t)p.icmp_type;
	out->key.icmp_code = (int16_t)p.icmp_code;
	out->key.icmp_id = echo_id(pkt, len, &p);
	out->ip_len = p.ip_len;
	out->tcp_flags = p.tcp_flags;
	return NFLOG_REC_OK;
}

int nflog_rec_decision(const char *decided)
{
	const char *end = strrchr(decided, '|'), *start;
	size_t n;

	if (!end || end == decided)
		return NFLOG_REC_INVALID;
	start = end;
	while (start > decided && start[-1] != '|')
		start--;
	if (start == decided)
		return NFLOG_REC_INVALID; /* fewer than three fields */
	n = (size_t)(end - start);
	if (n == 5 && !memcmp(start, "Allow", 5))
		return NFLOG_REC_ALLOW;
	if (n == 4 && !memcmp(start, "Deny", 4))
		return NFLOG_REC_DENY;
	if ((n == 3 && !memcmp(start, "Log", 3)) || (n == 4 && !memcmp(start, "Pass", 4)))
		return NFLOG_REC_CONTINUE;
	return NFLOG_REC_INVALID;
}

uint64_t flow_key_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}
