/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFLOG_REC_H
#define PALISADE_NFLOG_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"
#include "lib/flow.h"

/*
 * One NFLOG record as the flow collector reads it (DESIGN §6): the group it came in on, the
 * rule id in its prefix and the first bytes of the IP packet that met the rule.  Turning the
 * raw record into a flow key is pure and checks every length, so it is fuzzed
 * (tests/fuzz/fuzz_nflog.c); naming the rule with the model is the caller's business.
 */

/* NFLOG prefixes are at most 63 bytes and a NUL (the kernel's limit is 64 with the NUL). */
#define NFLOG_REC_PREFIX_MAX 64

/*
 * The collector's flow key: the 5-tuple of the first packet and who reports it.  ICMP echo
 * flows are told apart by the echo identifier, as conntrack does; other ICMP messages have
 * icmp_id 0.  ICMP type and code are -1 for other protocols.  Built with memset first, so
 * that hashing and comparing the bytes is exact (no padding garbage).
 */
struct flow_key {
	struct ipaddr src, dst;
	uint8_t proto;
	uint8_t reporter; /* enum flow_reporter */
	uint16_t sport, dport;
	uint16_t icmp_id;
	int16_t icmp_type, icmp_code;
};

enum nflog_rec_error {
	NFLOG_REC_OK = 0,
	NFLOG_REC_BAD_GROUP = 1,  /* neither the ingress nor the egress group */
	NFLOG_REC_BAD_PREFIX = 2, /* empty, too long, or not printable ASCII without spaces */
	NFLOG_REC_BAD_PACKET = 3, /* packet_parse_ip refused it, or a fragment without ports */
};

struct nflog_rec {
	struct flow_key key; /* reporter: DST for the ingress group, SRC for the egress group */
	char prefix[NFLOG_REC_PREFIX_MAX]; /* NUL-terminated */
	uint32_t ip_len;		   /* the IP packet's length, as conntrack counts it */
	uint8_t tcp_flags;
};

/*
 * Parses one record: prefix (prefix_len bytes, trailing NULs allowed: the kernel sends the
 * NUL) and the copied start of the packet.  The ingress group's records report the
 * destination, the egress group's the source.  Returns an enum nflog_rec_error; out is
 * complete only on NFLOG_REC_OK.
 */
int nflog_rec_parse(uint16_t group, uint16_t ingress_group, uint16_t egress_group,
		    const char *prefix, size_t prefix_len, const uint8_t *pkt, size_t len,
		    struct nflog_rec *out);

enum nflog_rec_decision {
	NFLOG_REC_CONTINUE = 0, /* Log or Pass: the packet goes on to further rules */
	NFLOG_REC_ALLOW = 1,
	NFLOG_REC_DENY = 2,
	NFLOG_REC_INVALID = -1,
};

/* What a hit in the evaluator's "decided" form ("<tier>|<policy>|<Action>|<rule>") did to
 * the packet, from its action field.  NFLOG_REC_INVALID when the text has no such field. */
int nflog_rec_decision(const char *decided);

/* A hash of every byte of k. */
uint64_t flow_key_hash(const struct flow_key *k);

#endif
