/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/convert.h"

#include "lib/calc.h"
#include "lib/diag.h"
#include "lib/labelselector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t find_tier(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->ntiers; i++)
		if (!strcmp(m->tiers[i].name, name))
			return (uint32_t)i;
	return MODEL_NONE;
}

/* Interns the Calico form of a Kubernetes label selector; MODEL_NONE for "match all". */
static int intern_labelselector(struct model *m, const struct label_selector *ls, uint32_t *out)
{
	char *text = labelselector_to_calico(ls, NULL);

	if (!text)
		return -ENOMEM;
	errno = 0;
	*out = calc_intern_selector(m, text);
	free(text);
	if (*out == MODEL_NONE && errno == ENOMEM)
		return -ENOMEM;
	return 0;
}

static int k8s_peer_entity(struct model *m, uint32_t ns_idx, const struct k8s_np_peer *peer,
			   struct m_entity *e)
{
	struct m_addrset proto;
	int err;

	if (!peer)
		return 0; /* any address */
	if (peer->has_ip_block) {
		e->nets = &peer->ip_block;
		e->nnets = 1;
		e->not_nets = peer->except;
		e->nnot_nets = peer->nexcept;
		return 0;
	}
	memset(&proto, 0, sizeof(proto));
	proto.endpoints_only = true;
	proto.sel = MODEL_NONE;
	proto.ns_sel = MODEL_NONE;
	proto.sa_sel = MODEL_NONE;
	proto.scope_ns = MODEL_NONE;
	if (peer->pod_selector.present) {
		err = intern_labelselector(m, &peer->pod_selector, &proto.sel);
		if (err)
			return err;
	}
	if (peer->namespace_selector.present) {
		uint32_t nsel;

		err = intern_labelselector(m, &peer->namespace_selector, &nsel);
		if (err)
			return err;
		/* namespaceSelector: {} selects every namespace; keep that distinct from "no
		 * namespace selector" (the policy's own namespace) with an explicit all(). */
		proto.ns_sel = nsel == MODEL_NONE ? calc_intern_selector(m, "all()") : nsel;
		if (proto.ns_sel == MODEL_NONE)
			return -ENOMEM;
	} else {
		proto.scope_ns = ns_idx;
	}
	e->addrset = calc_intern_addrset(m, &proto);
	return e->addrset == MODEL_NONE ? -ENOMEM : 0;
}

static void entity_init(struct m_entity *e)
{
	memset(e, 0, sizeof(*e));
	e->addrset = MODEL_NONE;
	e->not_addrset = MODEL_NONE;
}

static void rule_init(struct m_rule *r, enum rule_action action)
{
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->icmp.type = r->icmp.code = -1;
	r->not_icmp.type = r->not_icmp.code = -1;
	entity_init(&r->src);
	entity_init(&r->dst);
}

/*
 * The ports of one Kubernetes rule grouped by protocol, as Calico's conversion does: one
 * group per protocol, in protocol-name order (SCTP, TCP, UDP), holding every port of that
 * protocol; a port entry without a port number makes its protocol match every port.
 */
struct k8s_port_group {
	uint8_t proto;
	bool all_ports;
	struct port_range *ports;
	size_t nports;
};

static int proto_rank(uint8_t p)
{
	return p == PROTO_SCTP ? 0 : p == PROTO_TCP ? 1 : 2;
}

static int k8s_group_ports(struct model *m, const struct k8s_np_rule *kr, struct k8s_port_group *g,
			   size_t *ng)
{
	*ng = 0;
	for (size_t i = 0; i < kr->nports; i++) {
		const struct k8s_np_port *kp = &kr->ports[i];
		struct k8s_port_group *grp = NULL;

		for (size_t j = 0; j < *ng; j++)
			if (g[j].proto == kp->proto)
				grp = &g[j];
		if (!grp) {
			grp = &g[(*ng)++];
			memset(grp, 0, sizeof(*grp));
			grp->proto = kp->proto;
			grp->ports = arena_alloc(&m->arena, kr->nports * sizeof(*grp->ports));
			if (!grp->ports)
				return -ENOMEM;
		}
		if (!kp->port.present) {
			grp->all_ports = true;
			continue;
		}
		if (kp->port.name) {
			grp->ports[grp->nports].name = kp->port.name;
		} else {
			grp->ports[grp->nports].lo = kp->port.num;
			grp->ports[grp->nports].hi = kp->end_port ? kp->end_port : kp->port.num;
		}
		grp->nports++;
	}
	/* Insertion sort by protocol name; at most three groups. */
	for (size_t i = 1; i < *ng; i++)
		for (size_t j = i; j > 0 && proto_rank(g[j].proto) < proto_rank(g[j - 1].proto);
		     j--) {
			struct k8s_port_group t = g[j];

			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	return 0;
}

static int convert_k8s_rules(struct model *m, uint32_t ns_idx, const struct k8s_np_rule *in,
			     size_t nin, enum m_dir dir, struct m_rule **out, size_t *nout)
{
	size_t n = 0, k = 0;
	struct m_rule *rules;

	for (size_t i = 0; i < nin; i++)
		n += (in[i].npeers ? in[i].npeers : 1) * (in[i].nports ? in[i].nports : 1);
	rules = arena_alloc(&m->arena, (n ? n : 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < nin; i++) {
		const struct k8s_np_rule *kr = &in[i];
		struct k8s_port_group groups[256];
		size_t ng, np = kr->npeers ? kr->npeers : 1;
		int err = k8s_group_ports(m, kr, groups, &ng);

		if (err)
			return err;
		for (size_t q = 0; q < (ng ? ng : 1); q++) {
			for (size_t p = 0; p < np; p++) {
				struct m_rule *r = &rules[k++];
				struct m_entity *peer = dir == M_INGRESS ? &r->src : &r->dst;

				rule_init(r, ACTION_ALLOW);
				r->loc = kr->loc;
				err = k8s_peer_entity(m, ns_idx, kr->npeers ? &kr->peers[p] : NULL,
						      peer);
				if (err)
					return err;
				if (!ng)
					continue;
				r->has_protocol = true;
				r->protocol = groups[q].proto;
				if (!groups[q].all_ports) {
					r->dst.ports = groups[q].ports;
					r->dst.nports = groups[q].nports;
				}
			}
		}
	}
	*out = rules;
	*nout = k;
	return 0;
}

static int convert_k8s(struct model *m, const struct resource *r, struct m_policy *p,
		       struct diag_list *diags)
{
	const struct res_k8s_network_policy *k = &r->u.knp;
	int err;

	p->name = arena_printf(&m->arena, "%s/knp.default.%s", r->meta.namespace_, r->meta.name);
	if (!p->name)
		return -ENOMEM;
	p->kind = "k8s NetworkPolicy";
	p->tier = find_tier(m, "default");
	p->has_order = true;
	p->order = MODEL_K8S_POLICY_ORDER;
	p->ns_idx = model_find_namespace(m, r->meta.namespace_);
	p->k8s_only = true;
	p->ns_sel = MODEL_NONE;
	p->sa_sel = MODEL_NONE;
	err = intern_labelselector(m, &k->pod_selector, &p->sel);
	if (err)
		return err;
	p->applies[M_INGRESS] = k->ingress_type;
	p->applies[M_EGRESS] = k->egress_type;
	err = convert_k8s_rules(m, p->ns_idx, k->ingress, k->ningress, M_INGRESS,
				&p->rules[M_INGRESS], &p->nrules[M_INGRESS]);
	if (err)
		return err;
	return convert_k8s_rules(m, p->ns_idx, k->egress, k->negress, M_EGRESS, &p->rules[M_EGRESS],
				 &p->nrules[M_EGRESS]);
}

static int intern_opt(struct model *m, const char *text, uint32_t *out)
{
	*out = MODEL_NONE;
	if (!text)
		return 0;
	errno = 0;
	*out = calc_intern_selector(m, text);
	if (*out == MODEL_NONE && errno == ENOMEM)
		return -ENOMEM;
	return 0;
}

static int calico_entity(struct model *m, uint32_t ns_idx, const struct entity_rule *er,
			 struct m_entity *e)
{
	int err;

	e->nets = er->nets;
	e->nnets = er->nnets;
	e->not_nets = er->not_nets;
	e->nnot_nets = er->nnot_nets;
	e->ports = er->ports;
	e->nports = er->nports;
	e->not_ports = er->not_ports;
	e->nnot_ports = er->nnot_ports;
	/* In a namespaced policy any selector field, notSelector included, limits the rule to
	 * the policy's namespace unless namespaceSelector says otherwise (Calico's rule
	 * conversion adds a positive namespace selector), so there a notSelector does not
	 * match other namespaces or unknown addresses.  In a global policy it does. */
	if (er->selector || er->namespace_selector || er->has_service_accounts ||
	    (er->not_selector && ns_idx != MODEL_NONE)) {
		struct m_addrset proto;

		memset(&proto, 0, sizeof(proto));
		proto.scope_ns = MODEL_NONE;
		err = intern_opt(m, er->selector, &proto.sel);
		if (!err)
			err = intern_opt(m, er->namespace_selector, &proto.ns_sel);
		if (!err)
			err = intern_opt(m, er->sa_selector, &proto.sa_sel);
		if (err)
			return err;
		if (er->namespace_selector && proto.ns_sel == MODEL_NONE) {
			proto.ns_sel = calc_intern_selector(m, "all()");
			if (proto.ns_sel == MODEL_NONE)
				return -ENOMEM;
		}
		if (!er->namespace_selector)
			proto.scope_ns = ns_idx; /* MODEL_NONE for global policies */
		if (er->has_service_accounts) {
			proto.sa_names = er->sa_names;
			proto.nsa_names = er->nsa_names;
			/* A service-account match only makes sense for workloads. */
			proto.endpoints_only = true;
		}
		e->addrset = calc_intern_addrset(m, &proto);
		if (e->addrset == MODEL_NONE)
			return -ENOMEM;
	}
	if (er->not_selector) {
		struct m_addrset proto;

		/* The excluded set itself is not scoped: it holds whatever matches, anywhere. */
		memset(&proto, 0, sizeof(proto));
		proto.scope_ns = MODEL_NONE;
		proto.ns_sel = MODEL_NONE;
		proto.sa_sel = MODEL_NONE;
		err = intern_opt(m, er->not_selector, &proto.sel);
		if (err)
			return err;
		e->not_addrset = calc_intern_addrset(m, &proto);
		if (e->not_addrset == MODEL_NONE)
			return -ENOMEM;
	}
	return 0;
}

static int convert_calico_rules(struct model *m, uint32_t ns_idx, const struct calico_rule *in,
				size_t nin, struct m_rule **out, size_t *nout)
{
	struct m_rule *rules = arena_alloc(&m->arena, (nin ? nin : 1) * sizeof(*rules));
	int err;

	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < nin; i++) {
		const struct calico_rule *cr = &in[i];
		struct m_rule *r = &rules[i];

		rule_init(r, cr->action);
		r->has_protocol = cr->has_protocol;
		r->protocol = cr->protocol;
		r->has_not_protocol = cr->has_not_protocol;
		r->not_protocol = cr->not_protocol;
		r->icmp = cr->icmp;
		r->not_icmp = cr->not_icmp;
		r->ip_version = cr->ip_version;
		r->loc = cr->loc;
		err = calico_entity(m, ns_idx, &cr->src, &r->src);
		if (!err)
			err = calico_entity(m, ns_idx, &cr->dst, &r->dst);
		if (err)
			return err;
	}
	*out = rules;
	*nout = nin;
	return 0;
}

static int convert_calico(struct model *m, const struct resource *r, struct m_policy *p,
			  struct diag_list *diags)
{
	const struct res_calico_policy *c = &r->u.policy;
	bool global = r->kind == RES_GLOBAL_NETWORK_POLICY;
	int err;

	p->tier = find_tier(m, c->tier);
	if (p->tier == MODEL_NONE) {
		diag_error(diags, r->loc.file, r->loc.line,
			   "%s %s: spec.tier: tier \"%s\" does not exist", res_kind_name(r->kind),
			   r->meta.name, c->tier);
		return -EINVAL;
	}
	if (global) {
		p->name = r->meta.name;
		p->ns_idx = MODEL_NONE;
	} else {
		p->name = arena_printf(&m->arena, "%s/%s", r->meta.namespace_, r->meta.name);
		if (!p->name)
			return -ENOMEM;
		p->ns_idx = model_find_namespace(m, r->meta.namespace_);
	}
	p->kind = res_kind_name(r->kind);
	p->has_order = c->has_order;
	p->order = c->order;
	err = intern_opt(m, c->selector, &p->sel);
	if (!err)
		err = intern_opt(m, c->namespace_selector, &p->ns_sel);
	if (!err && c->namespace_selector && p->ns_sel == MODEL_NONE)
		p->ns_sel = calc_intern_selector(m, "all()");
	if (!err)
		err = intern_opt(m, c->sa_selector, &p->sa_sel);
	if (err)
		return err;
	p->applies[M_INGRESS] = c->ingress_type;
	p->applies[M_EGRESS] = c->egress_type;
	err = convert_calico_rules(m, p->ns_idx, c->ingress, c->ningress, &p->rules[M_INGRESS],
				   &p->nrules[M_INGRESS]);
	if (err)
		return err;
	return convert_calico_rules(m, p->ns_idx, c->egress, c->negress, &p->rules[M_EGRESS],
				    &p->nrules[M_EGRESS]);
}

int convert_policy(struct model *m, const struct resource *r, struct m_policy *out,
		   struct diag_list *diags)
{
	memset(out, 0, sizeof(*out));
	out->res = r;
	out->sel = out->ns_sel = out->sa_sel = MODEL_NONE;
	out->ns_idx = MODEL_NONE;
	switch (r->kind) {
	case RES_K8S_NETWORK_POLICY:
		return convert_k8s(m, r, out, diags);
	case RES_NETWORK_POLICY:
	case RES_GLOBAL_NETWORK_POLICY:
		return convert_calico(m, r, out, diags);
	default:
		return -EINVAL;
	}
}

int convert_profile(struct model *m, const struct resource *r, struct m_profile *out)
{
	const struct res_profile *pr = &r->u.profile;
	int err;

	memset(out, 0, sizeof(*out));
	out->name = r->meta.name;
	out->res = r;
	err = convert_calico_rules(m, MODEL_NONE, pr->ingress, pr->ningress, &out->rules[M_INGRESS],
				   &out->nrules[M_INGRESS]);
	if (err)
		return err;
	return convert_calico_rules(m, MODEL_NONE, pr->egress, pr->negress, &out->rules[M_EGRESS],
				    &out->nrules[M_EGRESS]);
}
