/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/eval.h"

#include "lib/calc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void eval_addr_from_ip(const struct model *m, const struct ipaddr *a, struct eval_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->ip = *a;
	out->ep = model_endpoint_by_ip(m, a);
	out->nsets = calc_sets_containing(m, a, out->sets, EVAL_MAX_SETS);
}

static void addr_from_endpoint(const struct model *m, uint32_t ep, struct eval_addr *out)
{
	const struct m_endpoint *e = &m->eps[ep];

	memset(out, 0, sizeof(*out));
	if (e->nips)
		eval_addr_from_ip(m, &e->ips[0], out);
	out->ep = ep;
}

int eval_resolve(const struct model *m, const char *spec, struct eval_addr *out)
{
	const char *slash = strchr(spec, '/');
	struct ipaddr a;

	if (ipaddr_parse(spec, &a) == 0) {
		eval_addr_from_ip(m, &a, out);
		return 0;
	}
	if (slash) {
		char ns[256];
		size_t n = (size_t)(slash - spec);
		uint32_t ep;

		if (n >= sizeof(ns))
			return -ENOENT;
		memcpy(ns, spec, n);
		ns[n] = '\0';
		ep = model_find_endpoint(m, ns, slash + 1);
		if (ep == MODEL_NONE)
			return -ENOENT;
		addr_from_endpoint(m, ep, out);
		out->name = spec;
		return 0;
	}
	if (m->lab) {
		const struct res_lab *lab = &m->lab->u.lab;

		for (size_t i = 0; i < lab->nhosts; i++) {
			if (strcmp(lab->hosts[i].name, spec))
				continue;
			eval_addr_from_ip(m, &lab->hosts[i].ip, out);
			out->name = lab->hosts[i].name;
			return 0;
		}
	}
	for (size_t i = 0; i < m->neps; i++) {
		if (m->eps[i].kind == M_EP_HOST && !strcmp(m->eps[i].name, spec)) {
			addr_from_endpoint(m, (uint32_t)i, out);
			out->name = m->eps[i].name;
			return 0;
		}
	}
	return strchr(spec, '.') || strchr(spec, ':') ? -EINVAL : -ENOENT;
}

static bool addrset_member(const struct model *m, uint32_t set, const struct eval_addr *a)
{
	const struct m_addrset *s = &m->addrsets[set];

	if (a->ep != MODEL_NONE && bitset_test(&s->eps, a->ep))
		return true;
	for (size_t i = 0; i < a->nsets; i++)
		if (bitset_test(&s->sets, a->sets[i]))
			return true;
	return false;
}

static bool in_nets(const struct cidr *nets, size_t n, const struct ipaddr *ip)
{
	if (!ip->family)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&nets[i], ip))
			return true;
	return false;
}

static bool proto_has_ports(uint8_t p)
{
	return p == PROTO_TCP || p == PROTO_UDP || p == PROTO_SCTP || p == PROTO_UDPLITE;
}

/* A named port resolves on the endpoint on that side of the flow, with the flow's protocol. */
static bool port_matches(const struct model *m, const struct port_range *pr, uint16_t port,
			 uint8_t proto, const struct eval_addr *a)
{
	if (!pr->name)
		return port >= pr->lo && port <= pr->hi;
	if (a->ep == MODEL_NONE)
		return false;
	for (size_t i = 0; i < m->eps[a->ep].nports; i++) {
		const struct endpoint_port *ep = &m->eps[a->ep].ports[i];

		if (ep->proto == proto && ep->port == port && !strcmp(ep->name, pr->name))
			return true;
	}
	return false;
}

static bool entity_matches(const struct model *m, const struct m_entity *e,
			   const struct eval_addr *a, uint16_t port, uint8_t proto)
{
	if (e->nnets && !in_nets(e->nets, e->nnets, &a->ip))
		return false;
	if (e->nnot_nets && in_nets(e->not_nets, e->nnot_nets, &a->ip))
		return false;
	if (e->addrset != MODEL_NONE && !addrset_member(m, e->addrset, a))
		return false;
	if (e->not_addrset != MODEL_NONE && addrset_member(m, e->not_addrset, a))
		return false;
	if (e->nports) {
		bool any = false;

		if (!proto_has_ports(proto))
			return false;
		for (size_t i = 0; i < e->nports && !any; i++)
			any = port_matches(m, &e->ports[i], port, proto, a);
		if (!any)
			return false;
	}
	if (e->nnot_ports) {
		if (!proto_has_ports(proto))
			return false;
		for (size_t i = 0; i < e->nnot_ports; i++)
			if (port_matches(m, &e->not_ports[i], port, proto, a))
				return false;
	}
	return true;
}

static bool icmp_matches(const struct icmp_match *im, const struct eval_flow *f)
{
	if (f->proto != PROTO_ICMP && f->proto != PROTO_ICMPV6)
		return false;
	if (im->type >= 0 && im->type != f->icmp_type)
		return false;
	if (im->code >= 0 && im->code != f->icmp_code)
		return false;
	return true;
}

static int flow_family(const struct eval_flow *f)
{
	if (f->src.ip.family)
		return f->src.ip.family;
	return f->dst.ip.family;
}

bool eval_rule_matches(const struct model *m, const struct m_rule *r, const struct eval_flow *f)
{
	if (r->ip_version && flow_family(f) && flow_family(f) != r->ip_version)
		return false;
	if (r->has_protocol && f->proto != r->protocol)
		return false;
	if (r->has_not_protocol && f->proto == r->not_protocol)
		return false;
	if (r->icmp.present && !icmp_matches(&r->icmp, f))
		return false;
	if (r->not_icmp.present && icmp_matches(&r->not_icmp, f))
		return false;
	return entity_matches(m, &r->src, &f->src, f->sport, f->proto) &&
	       entity_matches(m, &r->dst, &f->dst, f->dport, f->proto);
}

static void add_step(struct eval_verdict *v, bool trace, enum eval_step_kind kind, uint32_t tier,
		     uint32_t policy, int rule, enum rule_action action)
{
	struct eval_step *s;

	if (!trace)
		return;
	if (v->nsteps == EVAL_MAX_STEPS) {
		v->dropped_steps++;
		return;
	}
	s = &v->steps[v->nsteps++];
	s->kind = kind;
	s->tier = tier;
	s->policy = policy;
	s->rule = rule;
	s->action = action;
}

static void decide(struct eval_verdict *v, bool allowed, enum eval_reason reason, uint32_t tier,
		   uint32_t policy, int rule, enum rule_action action)
{
	v->allowed = allowed;
	v->reason = reason;
	v->tier = tier;
	v->policy = policy;
	v->rule = rule;
	v->action = action;
}

static const struct m_profile *find_profile(const struct model *m, const char *name, uint32_t *idx)
{
	for (size_t i = 0; i < m->nprofiles; i++) {
		if (!strcmp(m->profiles[i].name, name)) {
			*idx = (uint32_t)i;
			return &m->profiles[i];
		}
	}
	return NULL;
}

/* After the tiers: the endpoint's profiles in order.  A pod's namespace profile kns.<ns>
 * allows everything unless a Profile object of that name says otherwise; ksa.* profiles
 * carry labels only. */
static void eval_profiles(const struct model *m, const struct eval_flow *f, enum m_dir dir,
			  const struct m_endpoint *e, struct eval_verdict *v)
{
	for (size_t i = 0; i < e->nprofiles; i++) {
		uint32_t idx;
		const struct m_profile *p = find_profile(m, e->profiles[i], &idx);

		if (!p) {
			if (!strncmp(e->profiles[i], "kns.", 4)) {
				decide(v, true, EVAL_PROFILE, MODEL_NONE, MODEL_NONE, -1,
				       ACTION_ALLOW);
				v->profile = MODEL_NONE;
				return;
			}
			continue;
		}
		for (size_t r = 0; r < p->nrules[dir]; r++) {
			const struct m_rule *rule = &p->rules[dir][r];

			if (!eval_rule_matches(m, rule, f))
				continue;
			if (rule->action == ACTION_ALLOW || rule->action == ACTION_DENY) {
				decide(v, rule->action == ACTION_ALLOW, EVAL_PROFILE, MODEL_NONE,
				       MODEL_NONE, (int)r, rule->action);
				v->profile = idx;
				return;
			}
			if (rule->action == ACTION_PASS)
				break; /* to the next profile */
		}
	}
	decide(v, false, EVAL_NO_PROFILE, MODEL_NONE, MODEL_NONE, -1, ACTION_DENY);
}

void eval_direction(const struct model *m, const struct eval_flow *f, enum m_dir dir, bool trace,
		    struct eval_verdict *v)
{
	uint32_t ep = dir == M_INGRESS ? f->dst.ep : f->src.ep;
	const struct m_endpoint *e;
	const uint32_t *prog;
	size_t n, i = 0;

	memset(v, 0, sizeof(*v));
	v->tier = v->policy = v->profile = MODEL_NONE;
	v->rule = -1;
	v->ep = ep;
	if (ep != MODEL_NONE && f->src.ep == f->dst.ep) {
		/* A pod connecting to its own address is routed inside its own network
		 * namespace: the packet never reaches the node, so no policy applies. */
		decide(v, true, EVAL_LOOPBACK, MODEL_NONE, MODEL_NONE, -1, ACTION_ALLOW);
		return;
	}
	if (dir == M_INGRESS && ep == MODEL_NONE && m->lab && f->dst.ip.family &&
	    cidr_contains(&m->lab->u.lab.pod_cidr, &f->dst.ip)) {
		/* The dataplane drops (and logs) traffic to unused pod addresses. */
		decide(v, false, EVAL_NO_ENDPOINT, MODEL_NONE, MODEL_NONE, -1, ACTION_DENY);
		return;
	}
	if (ep == MODEL_NONE || m->eps[ep].kind != M_EP_WORKLOAD) {
		decide(v, true, EVAL_UNMANAGED, MODEL_NONE, MODEL_NONE, -1, ACTION_ALLOW);
		return;
	}
	e = &m->eps[ep];
	prog = e->prog[dir];
	n = e->nprog[dir];
	while (i < n) {
		uint32_t tier = m->pols[prog[i]].tier;
		bool passed = false;

		for (; i < n && m->pols[prog[i]].tier == tier && !passed; i++) {
			const struct m_policy *p = &m->pols[prog[i]];
			bool any = false;

			for (size_t r = 0; r < p->nrules[dir]; r++) {
				const struct m_rule *rule = &p->rules[dir][r];

				if (!eval_rule_matches(m, rule, f))
					continue;
				any = true;
				add_step(v, trace, EVAL_STEP_MATCH, tier, p->rank, (int)r,
					 rule->action);
				if (rule->action == ACTION_LOG)
					continue;
				if (rule->action == ACTION_PASS) {
					passed = true;
					break;
				}
				decide(v, rule->action == ACTION_ALLOW, EVAL_RULE, tier, p->rank,
				       (int)r, rule->action);
				return;
			}
			if (!any)
				add_step(v, trace, EVAL_STEP_NO_MATCH, tier, p->rank, -1,
					 ACTION_LOG);
		}
		if (passed) {
			while (i < n && m->pols[prog[i]].tier == tier)
				i++;
			continue;
		}
		add_step(v, trace, EVAL_STEP_TIER_END, tier, MODEL_NONE, -1,
			 m->tiers[tier].default_action);
		if (m->tiers[tier].default_action == ACTION_PASS)
			continue;
		decide(v, false, EVAL_END_OF_TIER, tier, MODEL_NONE, -1, ACTION_DENY);
		return;
	}
	eval_profiles(m, f, dir, e, v);
}

bool eval_flow(const struct model *m, const struct eval_flow *f, bool trace,
	       struct eval_verdict *egress, struct eval_verdict *ingress)
{
	eval_direction(m, f, M_EGRESS, trace, egress);
	eval_direction(m, f, M_INGRESS, trace, ingress);
	return egress->allowed && ingress->allowed;
}

int eval_decided(const struct model *m, const struct eval_verdict *v, char *buf, size_t size)
{
	switch (v->reason) {
	case EVAL_RULE:
		return snprintf(buf, size, "%s|%s|%s|%d", m->tiers[v->tier].name,
				m->pols[v->policy].name, rule_action_name(v->action), v->rule);
	case EVAL_END_OF_TIER:
		return snprintf(buf, size, "%s|end-of-tier|Deny|-1", m->tiers[v->tier].name);
	case EVAL_PROFILE:
		if (v->profile != MODEL_NONE)
			return snprintf(buf, size, "profile|%s|%s|%d", m->profiles[v->profile].name,
					rule_action_name(v->action), v->rule);
		return snprintf(buf, size, "profile|%s|Allow|-1", model_endpoint_profile(m, v->ep));
	case EVAL_NO_PROFILE:
		return snprintf(buf, size, "profile|-|Deny|-1");
	case EVAL_LOOPBACK:
		return snprintf(buf, size, "loopback|-|Allow|-1");
	case EVAL_NO_ENDPOINT:
		return snprintf(buf, size, "no-endpoint|-|Deny|-1");
	case EVAL_UNMANAGED:
	default:
		return snprintf(buf, size, "unmanaged|-|Allow|-1");
	}
}
