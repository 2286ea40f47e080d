/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_RENDER_H
#define PALISADE_NFT_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

struct model;
struct strbuf;

/*
 * Renders the model's IR for one node as an nftables script (DESIGN §5): one table
 * `inet palisade`, replaced in one transaction ("add table; delete table; table { ... }"),
 * so applying it is atomic and leaves conntrack state alone.  The same script is what
 * `palisade agent --dry-run` prints; golden tests freeze it.  Pure: no kernel access.
 */
/* What a render produced, for the agent's metrics. */
struct nft_render_stats {
	size_t chains; /* base, endpoint, tier, policy and profile chains */
	size_t rules;  /* nft rules in those chains */
	size_t sets;   /* named sets and maps */
};

struct nft_render_opts {
	const char *node; /* endpoints with this spec.nodeName get chains; NULL: every endpoint */
	const struct cidr *pod_cidrs; /* the cluster's pod ranges (unused addresses are dropped) */
	size_t npod_cidrs;
	uint16_t nflog_ingress;		/* NFLOG group for ingress decisions, default 1 */
	uint16_t nflog_egress;		/* NFLOG group for egress decisions, default 2 */
	struct nft_render_stats *stats; /* filled in when not NULL */
	/*
	 * Wall-clock seconds since the epoch that network-set expiries are rendered against
	 * (the agent passes the clock, `agent --dry-run` the clock or --now).  An entry
	 * expiring at E > now becomes an element with `timeout <E - now>s`; one with E <= now
	 * is left out.  0: no clock, expiring entries are rendered as permanent elements (what
	 * eval assumes).
	 */
	int64_t now;
};

/*
 * Expiring network-set entries (the response's quarantine, DESIGN §8) are kernel set-element
 * timeouts, so that a block ends on time even when no agent runs.  The hash sets a network set
 * can add to (a<K>_e4 / _e6 of every selector that is not a Kubernetes peer) are always
 * declared `flags timeout`, so that the first expiring entry never changes a declaration.  An
 * address that is both permanent (an endpoint, another entry) and expiring is permanent; one
 * that expires twice takes the later time.  An expiry more than NFT_RENDER_TIMEOUT_MAX seconds
 * after now is rendered as permanent (the kernel takes timeouts up to about 584 years, the
 * annotation times up to the year 9999).
 *
 * Timeouts are relative to the render, so a script with any of them starts with the line
 * "# now=<seconds> (<RFC 3339>): ..." (NFT_SCRIPT_NOW, nft_script.h); with it an element's
 * absolute expiry is now + its timeout, and two renders compare by that (nft_delta.h).
 */
#define NFT_RENDER_TIMEOUT_MAX (10LL * 366 * 86400)

/*
 * The packet mark bit a Pass rule sets before it returns from a policy chain; the tier chain
 * that jumped to the policy tests it, clears it and returns to the endpoint chain, which goes
 * on with the next tier.  Endpoint chains that can see it clear it first.
 */
#define NFT_RENDER_PASS_MARK 0x00100000u

/*
 * Appends the script to out (o may be NULL: every node, no pod ranges, groups 1 and 2).
 * 0, or -ENOMEM (out may then hold part of the script).
 *
 * Shape: base chains `egress` (forward, priority 0) and `ingress` (forward, priority 1)
 * accept established traffic, drop invalid, and jump through the verdict maps ep_egress
 * (iifname) and ep_ingress (oifname) to chains ep<idx>_eg / ep<idx>_in of the workload
 * endpoints on the node (endpoint_ifname()).  Those jump to one chain per tier of the program,
 * ep<idx>_<dir>_t<tier>, which jumps to the shared policy chains pol<rank>_<in|eg>; then the
 * profiles decide (Profile resources: chains prof<idx>_<in|eg>).  Rule selectors are named
 * sets as<N>_e4/_e6 (endpoint addresses, hash) and as<N>_n4/_n6 (network set prefixes,
 * interval); named ports are concatenated sets np<K>_4/_6 of (address, protocol, port).
 * Packets conntrack finds invalid (e.g. an ICMP error that belongs to no connection) are
 * dropped before any policy: they start no connection, which is all the evaluator models.
 */
int nft_render(const struct model *m, const struct nft_render_opts *o, struct strbuf *out);

/*
 * NFLOG prefixes: every rule that decides (and every Log rule) logs with a compact id that
 * names what decided, so a flow-log collector can map a record back to the model:
 *
 *   P<key>:<i|e>:<rule>:<A|D|L|P>   rule <rule> of the policy with that key, in that direction
 *   T<key>:<i|e>:D                  end of the tier with that key, default action Deny
 *   F<key>:<i|e>:<rule>:<A|D|L|P>   rule of the Profile resource with that key
 *   R:<i|e>:A                        the namespace profile kns.<ns> allowed (no Profile object)
 *   R:<i|e>:D                        no profile allowed: denied
 *   U:i:D                            a pod range address that no endpoint has: dropped
 *
 * <key> is 8 hex digits naming the policy, tier or profile by a hash of its name
 * (nft_names.h), so an id means the same thing in every generation of the model that still
 * has that object.  Ids are at most NFT_RULE_ID_LEN - 1 bytes (well under NFLOG's 64).
 */
#define NFT_RULE_ID_LEN 32

enum nft_rule_id_kind {
	NFT_ID_POLICY_RULE,
	NFT_ID_TIER_END,
	NFT_ID_PROFILE_RULE,
	NFT_ID_PROFILE_ALLOW,
	NFT_ID_NO_PROFILE,
	NFT_ID_UNUSED_ADDRESS,
};

struct nft_rule_id {
	enum nft_rule_id_kind kind;
	int dir;	  /* enum m_dir: 0 ingress, 1 egress */
	uint32_t tier;	  /* policy rules and tier ends; else UINT32_MAX */
	uint32_t policy;  /* rank, policy rules; else UINT32_MAX */
	uint32_t profile; /* m->profiles index, profile rules; else UINT32_MAX */
	int rule;	  /* rule index in the direction's rules, or -1 */
	int action;	  /* enum rule_action */
	uint32_t key;	  /* the stable key of the policy, tier or profile (what is printed) */
};

/* Formats id as its prefix text.  Returns the length snprintf would. */
int nft_rule_id_format(const struct nft_rule_id *id, char *buf, size_t size);
/* Parses a prefix back: kind, dir, key, rule and action; the model indexes (tier, policy,
 * profile) are left UINT32_MAX: nft_rule_id_resolve() finds them.  0 or -EINVAL. */
int nft_rule_id_parse(const char *s, struct nft_rule_id *out);
struct nft_names;
/* Fills id's tier, policy and profile indexes from its key using the names of one model
 * (build them once per model generation with nft_names_build()).  0, or -ENOENT when the
 * model has no object with that key. */
int nft_rule_id_resolve(const struct nft_names *n, const struct model *m, struct nft_rule_id *id);
/*
 * The "decided" text of an id, as eval_decided() prints it for the same decision:
 * "<tier>|<policy>|<Action>|<rule>", "<tier>|end-of-tier|Deny|-1", "profile|<name>|<Action>|
 * <rule>", "profile|kns.<ns>|Allow|-1" (ep: the endpoint whose chain logged, or UINT32_MAX:
 * "profile|kns.*|Allow|-1"), "profile|-|Deny|-1", "no-endpoint|-|Deny|-1".  An id straight
 * from nft_rule_id_parse() is resolved first (building the model's names each call: collectors
 * resolve once per id with cached names instead).  -EINVAL when the id names something the
 * model does not have; else the length snprintf would return.
 */
int nft_rule_id_decided(const struct model *m, const struct nft_rule_id *id, uint32_t ep, char *buf,
			size_t size);
/*
 * Every id a render of m can log, for any node: per direction the policy rules by rank, the
 * ends of tiers that deny, the Profile rules, R:<d>:A and R:<d>:D; then U:i:D.  *out is
 * malloc'd, the caller frees it.  0 or -ENOMEM.
 */
int nft_rule_ids(const struct model *m, struct nft_rule_id **out, size_t *n);
/* The id table as text, one "<id> <decided>" line per id, for collectors and humans.
 * 0 or -ENOMEM. */
int nft_rule_ids_print(const struct model *m, struct strbuf *out);

#endif
