/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/lint.h"

#include "lib/diag.h"
#include "lib/model.h"

#include <stdio.h>
#include <string.h>

static bool has_workloads(const struct model *m)
{
	for (size_t i = 0; i < m->neps; i++)
		if (m->eps[i].kind == M_EP_WORKLOAD)
			return true;
	return false;
}

static int lint_deny_only(const struct model *m, const struct m_policy *p, enum m_dir dir,
			  struct diag_list *diags)
{
	static const char *const dname[2] = {"ingress", "egress"};
	const struct m_tier *t = &m->tiers[p->tier];
	const struct resource *r = p->res;
	size_t nsel;
	char who[256];

	if (!p->applies[dir] || p->nrules[dir] == 0 || t->default_action != ACTION_DENY)
		return 0;
	/* Untracked and pre-DNAT policy let unmatched traffic go on to normal policy: no
	 * end-of-tier drop there. */
	if (r->u.policy.do_not_track || r->u.policy.pre_dnat)
		return 0;
	for (size_t i = 0; i < p->nrules[dir]; i++)
		if (p->rules[dir][i].action == ACTION_ALLOW ||
		    p->rules[dir][i].action == ACTION_PASS)
			return 0;
	nsel = bitset_count(&p->selected);
	if (nsel == 0 && has_workloads(m))
		return 0; /* selects nothing here: harmless for now */
	if (nsel)
		snprintf(who, sizeof(who), "the %zu endpoint%s it selects", nsel,
			 nsel == 1 ? "" : "s");
	else
		snprintf(who, sizeof(who), "every endpoint its selector %s matches",
			 r->u.policy.selector);
	diag_warn(
		diags, p->rules[dir][0].loc.file ? p->rules[dir][0].loc.file : r->loc.file,
		p->rules[dir][0].loc.file ? p->rules[dir][0].loc.line : r->loc.line,
		"%s %s: spec.%s: no rule allows or passes (only Deny or Log), and tier \"%s\" ends in Deny: "
		"all other %s traffic of %s falls to the end-of-tier drop; to block only what the rules "
		"match, move the policy to a tier of its own and end it with a rule \"action: Pass\"",
		res_kind_name(r->kind), r->meta.name, dname[dir], t->name, dname[dir], who);
	return 1;
}

int lint_model(const struct model *m, struct diag_list *diags)
{
	int n = 0;

	for (size_t i = 0; i < m->npols; i++) {
		const struct m_policy *p = &m->pols[i];

		if (!p->res || p->res->kind == RES_K8S_NETWORK_POLICY)
			continue;
		n += lint_deny_only(m, p, M_INGRESS, diags);
		n += lint_deny_only(m, p, M_EGRESS, diags);
	}
	return n;
}
