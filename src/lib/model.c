/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/model.h"

#include "lib/calc.h"
#include "lib/convert.h"
#include "lib/diag.h"
#include "lib/lpm.h"
#include "lib/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Growable arrays of the model live in the arena; counts are known before filling, since
 * every object comes from the resource set (plus implied namespaces, at most one per
 * object). */

uint32_t model_find_namespace(const struct model *m, const char *name)
{
	if (!name)
		return MODEL_NONE;
	for (size_t i = 0; i < m->nns; i++)
		if (!strcmp(m->ns[i].name, name))
			return (uint32_t)i;
	return MODEL_NONE;
}

static char *endpoint_key(const char *ns, const char *name)
{
	char *k;

	if (asprintf(&k, "%s/%s", ns ? ns : "", name) < 0)
		return NULL;
	return k;
}

uint32_t model_find_endpoint(const struct model *m, const char *ns, const char *name)
{
	if (m->ep_names) {
		char *k = endpoint_key(ns, name);
		uint32_t v;

		if (k) {
			v = strmap_get(m->ep_names, k);
			free(k);
			return v;
		}
	}
	for (size_t i = 0; i < m->neps; i++) {
		const struct m_endpoint *e = &m->eps[i];

		if (strcmp(e->name, name))
			continue;
		if ((!ns && !e->ns) || (ns && e->ns && !strcmp(ns, e->ns)))
			return (uint32_t)i;
	}
	return MODEL_NONE;
}

uint32_t model_endpoint_by_ip(const struct model *m, const struct ipaddr *a)
{
	struct cidr c;
	void *v;

	if (!m->ep_by_ip)
		return MODEL_NONE;
	cidr_from_addr(a, a->family == 4 ? 32 : 128, &c);
	v = lpm_get(m->ep_by_ip, &c);
	return v ? (uint32_t)((uintptr_t)v - 1) : MODEL_NONE;
}

const char *model_endpoint_profile(const struct model *m, uint32_t ep)
{
	const struct m_endpoint *e = &m->eps[ep];

	return e->nprofiles ? e->profiles[0] : "";
}

/* Prefixes every key of l: "ns" -> "pcns.ns". */
static int prefixed_labels(struct arena *a, const struct labels *l, const char *prefix,
			   struct label *out)
{
	for (size_t i = 0; i < l->n; i++) {
		out[i].key = arena_printf(a, "%s%s", prefix, l->v[i].key);
		out[i].value = l->v[i].value;
		if (!out[i].key)
			return -ENOMEM;
	}
	return 0;
}

static uint32_t add_namespace(struct model *m, const char *name, const struct resource *r)
{
	struct m_namespace *ns = &m->ns[m->nns];
	const struct labels *own = r ? &r->meta.labels : NULL;
	size_t n = own ? own->n : 0;
	struct label *tmp = calloc(n * 2 + 4, sizeof(*tmp));
	size_t k = 0;
	int err = -ENOMEM;

	if (!tmp)
		return MODEL_NONE;
	ns->name = name;
	ns->res = r;
	/* Kubernetes sets kubernetes.io/metadata.name on every namespace (1.21 and later). */
	for (size_t i = 0; i < n; i++)
		tmp[k++] = own->v[i];
	tmp[k].key = "kubernetes.io/metadata.name";
	tmp[k++].value = name;
	if (labels_build(&m->arena, tmp, k, &ns->labels))
		goto out;
	/* What a namespaceSelector sees: the labels, Calico's projectcalico.org/name, and
	 * the namespace marker that makes global() false for namespaced objects. */
	k = 0;
	for (size_t i = 0; i < ns->labels.n; i++)
		tmp[k++] = ns->labels.v[i];
	tmp[k].key = "projectcalico.org/name";
	tmp[k++].value = name;
	tmp[k].key = "projectcalico.org/namespace";
	tmp[k++].value = name;
	if (labels_build(&m->arena, tmp, k, &ns->ns_view))
		goto out;
	/* What objects of the namespace inherit (Calico's kns.<ns> profile labels). */
	if (prefixed_labels(&m->arena, &ns->labels, "pcns.", tmp))
		goto out;
	k = ns->labels.n;
	tmp[k].key = "projectcalico.org/namespace";
	tmp[k++].value = name;
	if (labels_build(&m->arena, tmp, k, &ns->inherited))
		goto out;
	err = 0;
out:
	free(tmp);
	if (err)
		return MODEL_NONE;
	return (uint32_t)m->nns++;
}

static uint32_t ensure_namespace(struct model *m, const char *name)
{
	uint32_t i = model_find_namespace(m, name);

	return i != MODEL_NONE ? i : add_namespace(m, name, NULL);
}

static int effective_endpoint_labels(struct model *m, struct m_endpoint *e)
{
	struct labels inh = {0}, tmp;
	struct label *extra;
	size_t k = 0, cap = 4;

	if (e->ns_idx != MODEL_NONE)
		cap += m->ns[e->ns_idx].inherited.n;
	if (e->sa_idx != MODEL_NONE)
		cap += m->sas[e->sa_idx].labels.n;
	extra = calloc(cap, sizeof(*extra));
	if (!extra)
		return -ENOMEM;
	if (e->ns_idx != MODEL_NONE) {
		const struct labels *nl = &m->ns[e->ns_idx].inherited;

		for (size_t i = 0; i < nl->n; i++)
			extra[k++] = nl->v[i];
	}
	if (e->k8s) {
		extra[k].key = "projectcalico.org/orchestrator";
		extra[k++].value = "k8s";
	}
	if (e->sa) {
		extra[k].key = "projectcalico.org/serviceaccount";
		extra[k++].value = e->sa;
	}
	if (e->sa_idx != MODEL_NONE) {
		if (prefixed_labels(&m->arena, &m->sas[e->sa_idx].labels, "pcsa.", extra + k)) {
			free(extra);
			return -ENOMEM;
		}
		k += m->sas[e->sa_idx].labels.n;
	}
	if (labels_build(&m->arena, extra, k, &inh)) {
		free(extra);
		return -ENOMEM;
	}
	free(extra);
	/* The endpoint's own labels win over inherited ones, as in Calico. */
	if (labels_merge(&m->arena, &inh, &e->own, &tmp))
		return -ENOMEM;
	e->labels = tmp;
	return 0;
}

static uint32_t find_sa(const struct model *m, uint32_t ns, const char *name)
{
	for (size_t i = 0; i < m->nsas; i++)
		if (m->sas[i].ns == ns && !strcmp(m->sas[i].name, name))
			return (uint32_t)i;
	return MODEL_NONE;
}

static int add_ep_ip(struct model *m, uint32_t idx, const struct ipaddr *ip,
		     struct diag_list *diags)
{
	struct cidr c;
	void *old = NULL;
	int err;

	cidr_from_addr(ip, ip->family == 4 ? 32 : 128, &c);
	err = lpm_insert(m->ep_by_ip, &c, (void *)(uintptr_t)(idx + 1), &old);
	if (err)
		return err;
	if (old) {
		const struct m_endpoint *a = &m->eps[(uintptr_t)old - 1], *b = &m->eps[idx];
		char buf[IPADDR_STRLEN];

		ipaddr_format(ip, buf, sizeof(buf));
		diag_warn(diags, b->res->loc.file, b->res->loc.line,
			  "%s %s%s%s: address %s is also used by %s%s%s; the later object wins",
			  res_kind_name(b->res->kind), b->ns ? b->ns : "", b->ns ? "/" : "",
			  b->name, buf, a->ns ? a->ns : "", a->ns ? "/" : "", a->name);
	}
	return 0;
}

static int add_pod(struct model *m, const struct resource *r, struct diag_list *diags)
{
	const struct res_pod *p = &r->u.pod;
	struct m_endpoint *e;
	uint32_t idx;
	struct endpoint_port *ports;
	size_t np = 0;

	if (p->spec.host_network)
		return 0; /* host-networked pods share the node's addresses: no endpoint */
	idx = (uint32_t)m->neps;
	e = &m->eps[m->neps++];
	e->kind = M_EP_WORKLOAD;
	e->res = r;
	e->name = r->meta.name;
	e->ns = r->meta.namespace_;
	e->ns_idx = ensure_namespace(m, e->ns);
	if (e->ns_idx == MODEL_NONE)
		return -ENOMEM;
	e->node = p->spec.node_name;
	e->sa = p->spec.service_account ? p->spec.service_account : "default";
	e->sa_idx = find_sa(m, e->ns_idx, e->sa);
	e->k8s = true;
	e->own = r->meta.labels;
	e->ips = p->ips;
	e->nips = p->nips;
	ports = arena_alloc(&m->arena, (p->spec.nports + 1) * sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	for (size_t i = 0; i < p->spec.nports; i++) {
		if (!p->spec.ports[i].name)
			continue;
		ports[np].name = p->spec.ports[i].name;
		ports[np].proto = p->spec.ports[i].proto;
		ports[np].port = p->spec.ports[i].port;
		np++;
	}
	e->ports = ports;
	e->nports = np;
	e->profiles = arena_alloc(&m->arena, 2 * sizeof(*e->profiles));
	if (!e->profiles)
		return -ENOMEM;
	e->profiles[0] = arena_printf(&m->arena, "kns.%s", e->ns);
	e->profiles[1] = arena_printf(&m->arena, "ksa.%s.%s", e->ns, e->sa);
	e->nprofiles = 2;
	for (size_t i = 0; i < e->nips; i++) {
		int err = add_ep_ip(m, idx, &e->ips[i], diags);

		if (err)
			return err;
	}
	return effective_endpoint_labels(m, e);
}

static int add_wep(struct model *m, const struct resource *r, struct diag_list *diags)
{
	const struct res_workload_endpoint *w = &r->u.wep;
	struct m_endpoint *e;
	uint32_t idx = (uint32_t)m->neps;

	for (size_t i = 0; i < m->neps; i++)
		if (m->eps[i].kind == M_EP_WORKLOAD && m->eps[i].ns &&
		    !strcmp(m->eps[i].ns, r->meta.namespace_) &&
		    !strcmp(m->eps[i].name, w->pod ? w->pod : r->meta.name))
			return 0;
	e = &m->eps[m->neps++];
	e->kind = M_EP_WORKLOAD;
	e->res = r;
	e->name = w->pod ? w->pod : r->meta.name;
	e->ns = r->meta.namespace_;
	e->ns_idx = ensure_namespace(m, e->ns);
	if (e->ns_idx == MODEL_NONE)
		return -ENOMEM;
	e->node = w->node;
	e->sa = w->service_account;
	e->sa_idx = e->sa ? find_sa(m, e->ns_idx, e->sa) : MODEL_NONE;
	e->k8s = w->orchestrator && !strcmp(w->orchestrator, "k8s");
	e->own = r->meta.labels;
	e->ips = arena_alloc(&m->arena, (w->nip_networks + 1) * sizeof(*e->ips));
	if (!e->ips)
		return -ENOMEM;
	for (size_t i = 0; i < w->nip_networks; i++) {
		e->ips[e->nips++] = w->ip_networks[i].addr;
		if (add_ep_ip(m, idx, &w->ip_networks[i].addr, diags))
			return -ENOMEM;
	}
	e->ports = w->ports;
	e->nports = w->nports;
	e->profiles = w->profiles;
	e->nprofiles = w->nprofiles;
	return effective_endpoint_labels(m, e);
}

static int add_hep(struct model *m, const struct resource *r, struct diag_list *diags)
{
	const struct res_host_endpoint *h = &r->u.hep;
	struct m_endpoint *e;
	uint32_t idx = (uint32_t)m->neps;

	e = &m->eps[m->neps++];
	e->kind = M_EP_HOST;
	e->res = r;
	e->name = r->meta.name;
	e->ns_idx = MODEL_NONE;
	e->sa_idx = MODEL_NONE;
	e->node = h->node;
	e->own = r->meta.labels;
	e->labels = r->meta.labels;
	e->ips = h->expected_ips;
	e->nips = h->nexpected_ips;
	e->ports = h->ports;
	e->nports = h->nports;
	e->profiles = h->profiles;
	e->nprofiles = h->nprofiles;
	for (size_t i = 0; i < e->nips; i++)
		if (add_ep_ip(m, idx, &e->ips[i], diags))
			return -ENOMEM;
	return 0;
}

static int add_netset(struct model *m, const struct resource *r)
{
	struct m_netset *s = &m->sets[m->nsets++];

	s->res = r;
	s->name = r->meta.name;
	s->nets = r->u.netset.nets;
	s->nnets = r->u.netset.nnets;
	s->expires = r->u.netset.expires;
	s->ns_idx = MODEL_NONE;
	s->labels = r->meta.labels;
	if (r->kind == RES_NETWORK_SET) {
		s->ns = r->meta.namespace_;
		s->ns_idx = ensure_namespace(m, s->ns);
		if (s->ns_idx == MODEL_NONE)
			return -ENOMEM;
		if (labels_merge(&m->arena, &m->ns[s->ns_idx].inherited, &r->meta.labels,
				 &s->labels))
			return -ENOMEM;
	}
	return 0;
}

static int tier_cmp(const void *pa, const void *pb)
{
	const struct m_tier *a = pa, *b = pb;

	if (a->has_order != b->has_order)
		return a->has_order ? -1 : 1;
	if (a->has_order && a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int policy_cmp(const void *pa, const void *pb)
{
	const struct m_policy *a = pa, *b = pb;

	if (a->tier != b->tier)
		return a->tier < b->tier ? -1 : 1;
	if (a->has_order != b->has_order)
		return a->has_order ? -1 : 1;
	if (a->has_order && a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int build_tiers(struct model *m, size_t ntiers)
{
	bool have_default = false;

	m->tiers = arena_alloc(&m->arena, (ntiers + 1) * sizeof(*m->tiers));
	if (!m->tiers)
		return -ENOMEM;
	for (size_t i = 0; i < m->rs->n; i++) {
		const struct resource *r = m->rs->v[i];
		struct m_tier *t;

		if (r->kind != RES_TIER)
			continue;
		t = &m->tiers[m->ntiers++];
		t->name = r->meta.name;
		t->has_order = r->u.tier.has_order;
		t->order = r->u.tier.order;
		t->default_action = r->u.tier.default_action;
		t->res = r;
		if (!strcmp(t->name, "default"))
			have_default = true;
	}
	if (!have_default) {
		struct m_tier *t = &m->tiers[m->ntiers++];

		t->name = "default";
		t->has_order = true;
		t->order = MODEL_DEFAULT_TIER_ORDER;
		t->default_action = ACTION_DENY;
	}
	qsort(m->tiers, m->ntiers, sizeof(*m->tiers), tier_cmp);
	return 0;
}

struct model *model_build(const struct resource_set *rs, struct diag_list *diags)
{
	struct model *m = calloc(1, sizeof(*m));
	size_t count[RES_KIND_COUNT] = {0};
	size_t nobj = rs->n;
	int err = -ENOMEM;

	if (!m)
		return NULL;
	arena_init(&m->arena);
	m->rs = rs;
	for (size_t i = 0; i < rs->n; i++)
		count[rs->v[i]->kind]++;
	m->ns = arena_alloc(&m->arena, (nobj + 1) * sizeof(*m->ns));
	m->sas = arena_alloc(&m->arena, (count[RES_SERVICE_ACCOUNT] + 1) * sizeof(*m->sas));
	m->eps = arena_alloc(&m->arena, (count[RES_POD] + count[RES_WORKLOAD_ENDPOINT] +
					 count[RES_HOST_ENDPOINT] + 1) *
						sizeof(*m->eps));
	m->sets = arena_alloc(&m->arena, (count[RES_NETWORK_SET] + count[RES_GLOBAL_NETWORK_SET] +
					  1) * sizeof(*m->sets));
	m->pols = calloc(count[RES_K8S_NETWORK_POLICY] + count[RES_NETWORK_POLICY] +
				 count[RES_GLOBAL_NETWORK_POLICY] + 1,
			 sizeof(*m->pols));
	m->ep_by_ip = lpm_new();
	m->set_cidrs = lpm_new();
	if (!m->ns || !m->sas || !m->eps || !m->sets || !m->pols || !m->ep_by_ip || !m->set_cidrs)
		goto fail;

	/* Namespaces first, so that pods find them; then implied ones on demand. */
	for (size_t i = 0; i < rs->n; i++) {
		const struct resource *r = rs->v[i];

		if (r->kind == RES_NAMESPACE && model_find_namespace(m, r->meta.name) == MODEL_NONE)
			if (add_namespace(m, r->meta.name, r) == MODEL_NONE)
				goto fail;
		if (r->kind == RES_LAB)
			m->lab = r;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct resource *r = rs->v[i];
		struct m_service_account *sa;

		if (r->kind != RES_SERVICE_ACCOUNT)
			continue;
		sa = &m->sas[m->nsas++];
		sa->name = r->meta.name;
		sa->ns = ensure_namespace(m, r->meta.namespace_);
		sa->labels = r->meta.labels;
		if (sa->ns == MODEL_NONE)
			goto fail;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct resource *r = rs->v[i];

		err = 0;
		switch (r->kind) {
		case RES_POD:
			err = add_pod(m, r, diags);
			break;
		case RES_HOST_ENDPOINT:
			err = add_hep(m, r, diags);
			break;
		case RES_NETWORK_SET:
		case RES_GLOBAL_NETWORK_SET:
			err = add_netset(m, r);
			break;
		case RES_K8S_NETWORK_POLICY:
		case RES_NETWORK_POLICY:
			if (ensure_namespace(m, r->meta.namespace_) == MODEL_NONE)
				err = -ENOMEM;
			break;
		default:
			break;
		}
		if (err)
			goto fail;
	}
	/* WorkloadEndpoints after pods: one that describes a pod already loaded is that pod. */
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i]->kind == RES_WORKLOAD_ENDPOINT && add_wep(m, rs->v[i], diags))
			goto fail;
	m->ep_names = calloc(1, sizeof(struct strmap));
	if (!m->ep_names)
		goto fail;
	for (size_t i = 0; i < m->neps; i++) {
		char *k = endpoint_key(m->eps[i].ns, m->eps[i].name);

		if (!k || strmap_put(m->ep_names, k, (uint32_t)i)) {
			free(k);
			goto fail;
		}
		free(k);
	}
	if (build_tiers(m, count[RES_TIER]))
		goto fail;
	m->profiles = arena_alloc(&m->arena, (count[RES_PROFILE] + 1) * sizeof(*m->profiles));
	if (!m->profiles)
		goto fail;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i]->kind == RES_PROFILE &&
		    convert_profile(m, rs->v[i], &m->profiles[m->nprofiles++]))
			goto fail;
	for (size_t i = 0; i < rs->n; i++) {
		const struct resource *r = rs->v[i];

		if (r->kind != RES_K8S_NETWORK_POLICY && r->kind != RES_NETWORK_POLICY &&
		    r->kind != RES_GLOBAL_NETWORK_POLICY)
			continue;
		err = convert_policy(m, r, &m->pols[m->npols], diags);
		if (err == -EINVAL)
			continue; /* reported; the policy is left out */
		if (err)
			goto fail;
		m->npols++;
	}
	qsort(m->pols, m->npols, sizeof(*m->pols), policy_cmp);
	for (size_t i = 0; i < m->npols; i++)
		m->pols[i].rank = (uint32_t)i;
	if (calc_run(m))
		goto fail;
	return m;
fail:
	model_free(m);
	errno = ENOMEM;
	return NULL;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	calc_free(m);
	for (size_t i = 0; i < m->neps; i++) {
		free(m->eps[i].prog[0]);
		free(m->eps[i].prog[1]);
	}
	for (size_t i = 0; i < m->npols; i++)
		bitset_fini(&m->pols[i].selected);
	free(m->pols);
	lpm_free(m->ep_by_ip);
	lpm_free(m->set_cidrs);
	if (m->ep_names) {
		strmap_fini(m->ep_names);
		free(m->ep_names);
	}
	arena_fini(&m->arena);
	free(m);
}

int model_set_endpoint_labels(struct model *m, uint32_t ep, const struct labels *own)
{
	struct m_endpoint *e = &m->eps[ep];
	struct label *copy;
	struct labels l;

	copy = arena_alloc(&m->arena, (own->n + 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < own->n; i++) {
		copy[i].key = arena_strdup(&m->arena, own->v[i].key);
		copy[i].value = arena_strdup(&m->arena, own->v[i].value);
		if (!copy[i].key || !copy[i].value)
			return -ENOMEM;
	}
	if (labels_build(&m->arena, copy, own->n, &l))
		return -ENOMEM;
	e->own = l;
	if (e->kind == M_EP_HOST)
		e->labels = l;
	else if (effective_endpoint_labels(m, e))
		return -ENOMEM;
	return calc_update_endpoint(m, ep);
}
