/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_FLOW_H
#define PALISADE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

/*
 * A flow observation: what a collector (conntrack + NFLOG in the agent) or the pcap analyzer
 * knows about one flow during one aggregation window, before enrichment and aggregation
 * (DESIGN §6).  A flow is one connection or connection attempt, identified by its 5-tuple and
 * by who reports it:
 *
 *   reporter SRC   the source endpoint's node saw it leave (egress policy decided)
 *   reporter DST   the destination endpoint's node saw it arrive (ingress policy decided)
 *
 * A producer keeps its own table of live flows and, at the end of every window, hands the
 * aggregator exactly one observation per flow that was active in the window (new packets,
 * started, or ended), with counter deltas for that window.  So `num_flows` of an aggregated
 * record is the number of observations it absorbed.
 *
 * Counters are direction-neutral: "orig" is source → destination (the direction of the first
 * packet), "reply" the other way.  The aggregator maps them to Calico's reporter-relative
 * bytes_in / bytes_out.
 */

enum flow_reporter {
	FLOW_REPORTER_SRC = 0,
	FLOW_REPORTER_DST = 1,
};

enum flow_action {
	FLOW_ALLOW = 0,
	FLOW_DENY = 1,
};

/* Policy hits kept per observation; further hits are counted in dropped_hits. */
#define FLOW_MAX_HITS 8

struct flow_obs {
	struct ipaddr src, dst;
	uint8_t proto;
	uint16_t sport, dport;	  /* ICMP/ICMPv6: 0 and 0 (type and code go in icmp_*) */
	int icmp_type, icmp_code; /* -1 when not ICMP */
	enum flow_reporter reporter;
	enum flow_action action;
	/*
	 * Policy hits in the order the packet met them, each in the evaluator's "decided" form
	 * (eval_decided(), nft_rule_id_decided()): "<tier>|<policy>|<Action>|<rule>",
	 * "<tier>|end-of-tier|Deny|-1", "profile|<name>|<Action>|<rule>", "profile|-|Deny|-1",
	 * "no-endpoint|-|Deny|-1", "unmanaged|-|Allow|-1".  Borrowed: valid for the call that
	 * receives the observation only.
	 */
	const char *hits[FLOW_MAX_HITS];
	size_t nhits;
	size_t dropped_hits;
	bool started;	/* the flow's first packet fell in this window */
	bool completed; /* the flow ended in this window (conntrack destroy, FIN/RST, timeout) */
	bool answered;	/* the destination has replied at least once (TCP SYN-ACK, any reply) */
	uint64_t bytes_orig, packets_orig;   /* this window's delta, source → destination */
	uint64_t bytes_reply, packets_reply; /* this window's delta, destination → source */
};

/* "tcp", "udp", "icmp", "icmp6", "sctp", else the number in buf.  Returns buf or a literal. */
const char *flow_proto_name(uint8_t proto, char *buf, size_t size);

struct strbuf;

/*
 * Appends the flow-log form (flowlog.h) of hit, the idx-th entry of a hits list, to out:
 *   "default|policy-demo/knp.default.access-nginx|Allow|0"
 *                       -> "0|default|policy-demo/knp.default.access-nginx|allow|0"
 *   "security|end-of-tier|Deny|-1" -> "N|security|security.end-of-tier|deny|-1"
 *   "profile|kns.policy-demo|Allow|-1" -> "N|__PROFILE__|__PROFILE__.kns.policy-demo|allow|-1"
 *   "profile|-|Deny|-1"       -> "N|__PROFILE__|__PROFILE__.__NO_MATCH__|deny|-1"
 *   "no-endpoint|-|Deny|-1"   -> "N|__NO_ENDPOINT__|__NO_ENDPOINT__|deny|-1"
 *   "unmanaged|-|Allow|-1"    -> "N|__UNMANAGED__|__UNMANAGED__|allow|-1"
 *   "loopback|-|Allow|-1"     -> "N|__LOOPBACK__|__LOOPBACK__|allow|-1" (Palisade's own)
 * Log and Pass map the same way ("...|log|2", "...|pass|0").  Returns 0, or -EINVAL with
 * nothing appended when hit is not in a decided form: four '|'-separated fields, tier and
 * policy non-empty printable ASCII without spaces, action Allow/Deny/Log/Pass, rule -1 or a
 * decimal index, and policy "-" for no-endpoint, unmanaged and loopback.
 */
int flow_hit_policy(const char *hit, size_t idx, struct strbuf *out);

#endif
