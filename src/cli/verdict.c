/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/verdict.h"

#include <string.h>

static const char *reason_name(enum eval_reason r)
{
	switch (r) {
	case EVAL_RULE:
		return "rule";
	case EVAL_END_OF_TIER:
		return "end-of-tier";
	case EVAL_PROFILE:
		return "profile";
	case EVAL_NO_PROFILE:
		return "no-profile";
	case EVAL_UNMANAGED:
		return "unmanaged";
	case EVAL_LOOPBACK:
		return "loopback";
	case EVAL_NO_ENDPOINT:
		return "no-endpoint";
	}
	return "?";
}

const char *verdict_addr_name(const struct model *m, const struct eval_addr *a, char *buf,
			      size_t size)
{
	if (a->name)
		return a->name;
	if (a->ep != MODEL_NONE) {
		const struct m_endpoint *e = &m->eps[a->ep];

		snprintf(buf, size, "%s%s%s", e->ns ? e->ns : "", e->ns ? "/" : "", e->name);
		return buf;
	}
	if (a->ip.family) {
		ipaddr_format(&a->ip, buf, size);
		return buf;
	}
	return "?";
}

json_t *verdict_json(const struct model *m, const struct eval_verdict *v, int with_trace)
{
	char buf[1024];
	json_t *o = json_object();

	if (!o)
		return NULL;
	eval_decided(m, v, buf, sizeof(buf));
	json_object_set_new(o, "allowed", json_boolean(v->allowed));
	json_object_set_new(o, "decided", json_string(buf));
	json_object_set_new(o, "reason", json_string(reason_name(v->reason)));
	if (v->ep != MODEL_NONE) {
		const struct m_endpoint *e = &m->eps[v->ep];

		snprintf(buf, sizeof(buf), "%s%s%s", e->ns ? e->ns : "", e->ns ? "/" : "", e->name);
		json_object_set_new(o, "endpoint", json_string(buf));
	}
	if (v->tier != MODEL_NONE)
		json_object_set_new(o, "tier", json_string(m->tiers[v->tier].name));
	if (v->policy != MODEL_NONE)
		json_object_set_new(o, "policy", json_string(m->pols[v->policy].name));
	json_object_set_new(o, "rule", json_integer(v->rule));
	json_object_set_new(o, "action", json_string(rule_action_name(v->action)));
	if (with_trace) {
		json_t *t = json_array();

		for (size_t i = 0; i < v->nsteps; i++) {
			const struct eval_step *s = &v->steps[i];
			json_t *st = json_object();

			json_object_set_new(st, "tier", json_string(m->tiers[s->tier].name));
			if (s->policy != MODEL_NONE)
				json_object_set_new(st, "policy",
						    json_string(m->pols[s->policy].name));
			json_object_set_new(st, "rule", json_integer(s->rule));
			switch (s->kind) {
			case EVAL_STEP_MATCH:
				json_object_set_new(st, "result", json_string("match"));
				json_object_set_new(st, "action",
						    json_string(rule_action_name(s->action)));
				break;
			case EVAL_STEP_NO_MATCH:
				json_object_set_new(st, "result", json_string("no-match"));
				break;
			case EVAL_STEP_TIER_END:
				json_object_set_new(st, "result", json_string("end-of-tier"));
				json_object_set_new(st, "action",
						    json_string(rule_action_name(s->action)));
				break;
			}
			json_array_append_new(t, st);
		}
		json_object_set_new(o, "trace", t);
		if (v->dropped_steps)
			json_object_set_new(o, "trace_dropped",
					    json_integer((json_int_t)v->dropped_steps));
	}
	return o;
}

static void rule_where(const struct m_rule *r, char *buf, size_t size)
{
	if (r->loc.file)
		snprintf(buf, size, ", %s:%d", r->loc.file, r->loc.line);
	else
		buf[0] = '\0';
}

void verdict_explain(FILE *f, const struct model *m, const struct eval_flow *flow,
		     const struct eval_verdict *v, enum m_dir dir)
{
	char self_buf[512], peer_buf[512], where[600];
	const struct eval_addr *self = dir == M_INGRESS ? &flow->dst : &flow->src;
	const struct eval_addr *peer = dir == M_INGRESS ? &flow->src : &flow->dst;
	const char *self_name = verdict_addr_name(m, self, self_buf, sizeof(self_buf));
	const char *peer_name = verdict_addr_name(m, peer, peer_buf, sizeof(peer_buf));
	const char *dname = dir == M_INGRESS ? "ingress" : "egress";

	fprintf(f, "  %s of %s: %s\n", dname, self_name, v->allowed ? "allowed" : "DENIED");
	switch (v->reason) {
	case EVAL_UNMANAGED:
		fprintf(f,
			"    %s is not a workload Palisade manages, so no policy applies on its side.\n",
			self_name);
		break;
	case EVAL_NO_ENDPOINT:
		fprintf(f,
			"    %s is in the cluster's pod range but no endpoint has it: the dataplane drops (and logs) such traffic, the mark of a sweep.\n",
			self_name);
		break;
	case EVAL_LOOPBACK:
		fprintf(f,
			"    %s is talking to itself: the traffic never leaves it, so no policy applies.\n",
			self_name);
		break;
	case EVAL_PROFILE:
		if (v->profile != MODEL_NONE)
			fprintf(f, "    No tier decided; rule %d of profile %s %s it.\n", v->rule,
				m->profiles[v->profile].name, v->allowed ? "allows" : "denies");
		else if (m->eps[v->ep].nprog[dir] == 0)
			fprintf(f,
				"    No policy selects %s for %s, so it is not isolated; namespace profile %s allows.\n",
				self_name, dname, model_endpoint_profile(m, v->ep));
		else
			fprintf(f,
				"    Every tier that selects %s passed the connection on; namespace profile %s allows.\n",
				self_name, model_endpoint_profile(m, v->ep));
		break;
	case EVAL_NO_PROFILE:
		fprintf(f,
			"    No tier decided and none of the endpoint's profiles allowed the connection.\n");
		break;
	case EVAL_RULE: {
		const struct m_policy *p = &m->pols[v->policy];
		const struct m_rule *r = &p->rules[dir][v->rule];

		rule_where(r, where, sizeof(where));
		fprintf(f, "    %s rule %d of %s %s (tier %s%s) %s traffic %s %s.\n", dname,
			v->rule, p->kind, p->name, m->tiers[v->tier].name, where,
			v->allowed ? "allows" : "denies", dir == M_INGRESS ? "from" : "to",
			peer_name);
		break;
	}
	case EVAL_END_OF_TIER: {
		size_t nsel = 0;

		fprintf(f, "    %s is isolated for %s by tier %s, whose policies select it:\n",
			self_name, dname, m->tiers[v->tier].name);
		for (size_t i = 0; i < m->eps[v->ep].nprog[dir]; i++) {
			const struct m_policy *p = &m->pols[m->eps[v->ep].prog[dir][i]];

			if (p->tier != v->tier)
				continue;
			nsel++;
			fprintf(f, "      %s %s%s%s%s\n", p->kind, p->name, p->res ? " (" : "",
				p->res ? p->res->loc.file : "", p->res ? ")" : "");
		}
		fprintf(f,
			"    and no rule in them allows traffic %s %s on %s port %u, so the end of tier %s drops it.\n",
			dir == M_INGRESS ? "from" : "to", peer_name,
			proto_name(flow->proto) ? proto_name(flow->proto) : "protocol", flow->dport,
			m->tiers[v->tier].name);
		if (nsel == 1)
			fprintf(f, "    To allow it, add a rule to that policy that matches %s.\n",
				peer_name);
		else
			fprintf(f,
				"    To allow it, add a rule that matches %s to one of these %zu policies.\n",
				peer_name, nsel);
		break;
	}
	}
	for (size_t i = 0; i < v->nsteps; i++) {
		const struct eval_step *s = &v->steps[i];

		if (i == 0)
			fprintf(f, "    trace:\n");
		switch (s->kind) {
		case EVAL_STEP_MATCH:
			fprintf(f, "      tier %s, %s: rule %d matched: %s\n",
				m->tiers[s->tier].name, m->pols[s->policy].name, s->rule,
				rule_action_name(s->action));
			break;
		case EVAL_STEP_NO_MATCH:
			fprintf(f, "      tier %s, %s: no rule matched\n", m->tiers[s->tier].name,
				m->pols[s->policy].name);
			break;
		case EVAL_STEP_TIER_END:
			fprintf(f, "      tier %s: end of tier: %s\n", m->tiers[s->tier].name,
				rule_action_name(s->action));
			break;
		}
	}
}
