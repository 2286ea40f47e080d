/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_EVAL_H
#define PALISADE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/model.h"

/*
 * The reference evaluator: walks an endpoint's program for one flow and returns the verdict
 * with a trace.  It is deliberately simple (DESIGN §4): the dataplane is tested against it.
 * A new connection is allowed when the source's egress and the destination's ingress both
 * allow it; a side that is not a workload the model knows has no policy ("unmanaged").
 */

#define EVAL_MAX_SETS  16
#define EVAL_MAX_STEPS 64

/* One side of a flow, resolved against the model once per query. */
struct eval_addr {
	struct ipaddr ip;	      /* family 0 when the endpoint has no address */
	uint32_t ep;		      /* MODEL_NONE when the address is no endpoint */
	uint32_t sets[EVAL_MAX_SETS]; /* network sets holding ip, longest prefix first */
	size_t nsets;
	const char *name; /* "ns/pod", an external host's name, or NULL */
};

struct eval_flow {
	struct eval_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	int icmp_type, icmp_code; /* -1 when not ICMP */
};

enum eval_reason {
	EVAL_RULE,	  /* an Allow or Deny rule decided */
	EVAL_END_OF_TIER, /* a tier selected the endpoint and no rule decided: default action */
	EVAL_PROFILE,	  /* no tier decided; a profile (kns.<ns>) allowed or denied */
	EVAL_NO_PROFILE,  /* no tier decided and no profile allowed: denied */
	EVAL_UNMANAGED,	  /* not a workload known to the model: no policy */
	EVAL_LOOPBACK,	  /* an endpoint talking to itself: never leaves it, no policy */
	EVAL_NO_ENDPOINT, /* an address of the pod ranges that no endpoint has: dropped */
};

enum eval_step_kind {
	EVAL_STEP_MATCH,    /* a rule matched (Log, Pass, Allow, Deny) */
	EVAL_STEP_NO_MATCH, /* a policy was visited and none of its rules matched */
	EVAL_STEP_TIER_END, /* end of a tier reached: its default action applied */
};

struct eval_step {
	enum eval_step_kind kind;
	uint32_t tier;
	uint32_t policy; /* MODEL_NONE for a tier end */
	int rule;	 /* index in the direction's rules, -1 for none */
	enum rule_action action;
};

struct eval_verdict {
	bool allowed;
	enum eval_reason reason;
	uint32_t tier;	  /* deciding tier, or MODEL_NONE */
	uint32_t policy;  /* deciding policy, or MODEL_NONE */
	uint32_t profile; /* deciding profile (m->profiles index), or MODEL_NONE */
	int rule;	  /* deciding rule, or -1 */
	enum rule_action action;
	uint32_t ep; /* the endpoint whose program was walked, or MODEL_NONE */
	/* The trace, when asked for. */
	struct eval_step steps[EVAL_MAX_STEPS];
	size_t nsteps;
	size_t dropped_steps; /* steps beyond EVAL_MAX_STEPS, counted */
};

/*
 * Resolves "namespace/pod", the name of an external host of the Lab, a HostEndpoint name, or
 * an IP address into out.  Returns 0, or -ENOENT (no such pod or host) or -EINVAL (neither
 * a name nor an address).
 */
int eval_resolve(const struct model *m, const char *spec, struct eval_addr *out);
/* Fills out for address a (looks up the endpoint and the network sets). */
void eval_addr_from_ip(const struct model *m, const struct ipaddr *a, struct eval_addr *out);

/* Evaluates one direction: M_EGRESS walks the source's program, M_INGRESS the destination's. */
void eval_direction(const struct model *m, const struct eval_flow *f, enum m_dir dir, bool trace,
		    struct eval_verdict *out);
/* Both directions; returns egress->allowed && ingress->allowed. */
bool eval_flow(const struct model *m, const struct eval_flow *f, bool trace,
	       struct eval_verdict *egress, struct eval_verdict *ingress);

/*
 * The "decided" string of the CLI contract:
 *   "<tier>|<policy>|<Action>|<rule>", "<tier>|end-of-tier|Deny|-1",
 *   "profile|<profile>|Allow|-1", "profile|-|Deny|-1", "unmanaged|-|Allow|-1",
 *   "loopback|-|Allow|-1", "no-endpoint|-|Deny|-1".
 * Returns the length snprintf would.
 */
int eval_decided(const struct model *m, const struct eval_verdict *v, char *buf, size_t size);

/* Does rule r of a policy match flow f?  Exposed for lint and the dataplane tests. */
bool eval_rule_matches(const struct model *m, const struct m_rule *r, const struct eval_flow *f);

#endif
