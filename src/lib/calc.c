/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/calc.h"

#include "lib/lpm.h"
#include "lib/selector.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The private state of calc, hung off model->index.
 *
 * Candidate lists keep full builds fast: an address set or policy scoped to a namespace only
 * looks at that namespace's endpoints (20 on average in the benchmark cluster, instead of
 * 10,000), and one whose selector requires k == v only at endpoints with that label.  Lists
 * are arrays of endpoint indexes; the label index maps "k\x1fv" to a list.
 */
struct idlist {
	uint32_t *v;
	size_t n, cap;
};

struct calc_index {
	struct strmap sel_ids;	   /* canonical selector text -> interned id */
	struct strmap addrset_ids; /* address-set key -> id */
	struct strmap label_lists; /* "k\x1fv" -> index into lists */
	struct idlist *lists;
	size_t nlists, caplists;
	struct idlist *ns_eps; /* per namespace */
	struct idlist all_eps;
	struct idlist *cidr_sets; /* per distinct network-set CIDR: the sets holding it */
	size_t ncidr_sets;
};

static int idlist_add(struct idlist *l, uint32_t id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		uint32_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

static struct calc_index *index_of(const struct model *m)
{
	return m->index;
}

static struct calc_index *index_get(struct model *m)
{
	if (!m->index)
		m->index = calloc(1, sizeof(struct calc_index));
	return m->index;
}

uint32_t calc_intern_selector(struct model *m, const char *text)
{
	struct calc_index *ix = index_get(m);
	struct selector *s;
	char *canon;
	uint32_t id;

	if (!ix) {
		errno = ENOMEM;
		return MODEL_NONE;
	}
	s = selector_parse(text, NULL);
	if (!s) {
		errno = EINVAL;
		return MODEL_NONE;
	}
	canon = selector_print(s);
	if (!canon) {
		selector_free(s);
		errno = ENOMEM;
		return MODEL_NONE;
	}
	id = strmap_get(&ix->sel_ids, canon);
	if (id != UINT32_MAX)
		goto out;
	if (m->nsels == m->capsels) {
		size_t cap = m->capsels ? m->capsels * 2 : 64;
		struct selector **v = realloc(m->sels, cap * sizeof(*v));
		char **t;

		if (!v)
			goto nomem;
		m->sels = v;
		t = realloc(m->sel_text, cap * sizeof(*t));
		if (!t)
			goto nomem;
		m->sel_text = t;
		m->capsels = cap;
	}
	id = (uint32_t)m->nsels;
	if (strmap_put(&ix->sel_ids, canon, id))
		goto nomem;
	m->sels[m->nsels] = s;
	m->sel_text[m->nsels] = canon;
	m->nsels++;
	return id;
out:
	selector_free(s);
	free(canon);
	return id;
nomem:
	selector_free(s);
	free(canon);
	errno = ENOMEM;
	return MODEL_NONE;
}

static void addrset_key(const struct model *m, const struct m_addrset *s, struct strbuf *b)
{
	strbuf_printf(b, "scope=%s ", s->scope_ns == MODEL_NONE ? "*" : m->ns[s->scope_ns].name);
	strbuf_printf(b, "ns=%s ", s->ns_sel == MODEL_NONE ? "-" : m->sel_text[s->ns_sel]);
	strbuf_printf(b, "sel=%s", s->sel == MODEL_NONE ? "all()" : m->sel_text[s->sel]);
	if (s->endpoints_only)
		strbuf_puts(b, " pods-only");
	if (s->nsa_names || s->sa_sel != MODEL_NONE) {
		strbuf_puts(b, " sa=");
		for (size_t i = 0; i < s->nsa_names; i++)
			strbuf_printf(b, "%s%s", i ? "," : "", s->sa_names[i]);
		if (s->sa_sel != MODEL_NONE)
			strbuf_printf(b, " sasel=%s", m->sel_text[s->sa_sel]);
	}
}

uint32_t calc_intern_addrset(struct model *m, const struct m_addrset *proto)
{
	struct calc_index *ix = index_get(m);
	struct strbuf b;
	struct m_addrset *s;
	uint32_t id;

	if (!ix) {
		errno = ENOMEM;
		return MODEL_NONE;
	}
	strbuf_init(&b);
	addrset_key(m, proto, &b);
	if (b.oom)
		goto nomem;
	id = strmap_get(&ix->addrset_ids, strbuf_str(&b));
	if (id != UINT32_MAX) {
		strbuf_fini(&b);
		return id;
	}
	if (m->naddrsets == m->capaddrsets) {
		size_t cap = m->capaddrsets ? m->capaddrsets * 2 : 64;
		struct m_addrset *v = realloc(m->addrsets, cap * sizeof(*v));

		if (!v)
			goto nomem;
		m->addrsets = v;
		m->capaddrsets = cap;
	}
	id = (uint32_t)m->naddrsets;
	if (strmap_put(&ix->addrset_ids, strbuf_str(&b), id))
		goto nomem;
	s = &m->addrsets[m->naddrsets++];
	*s = *proto;
	memset(&s->eps, 0, sizeof(s->eps));
	memset(&s->sets, 0, sizeof(s->sets));
	s->key = strbuf_steal(&b);
	return id;
nomem:
	strbuf_fini(&b);
	errno = ENOMEM;
	return MODEL_NONE;
}

static const struct labels no_labels = {NULL, 0};

static bool sel_match(const struct model *m, uint32_t sel, const struct labels *l)
{
	return sel == MODEL_NONE || selector_match(m->sels[sel], l);
}

static const struct labels *ns_view(const struct model *m, uint32_t ns)
{
	return ns == MODEL_NONE ? &no_labels : &m->ns[ns].ns_view;
}

bool calc_addrset_match_endpoint(const struct model *m, const struct m_addrset *s, uint32_t ep)
{
	const struct m_endpoint *e = &m->eps[ep];

	if (s->scope_ns != MODEL_NONE && e->ns_idx != s->scope_ns)
		return false;
	if (s->endpoints_only && (e->kind != M_EP_WORKLOAD || !e->k8s))
		return false;
	if (s->ns_sel != MODEL_NONE && !selector_match(m->sels[s->ns_sel], ns_view(m, e->ns_idx)))
		return false;
	if (s->nsa_names) {
		bool found = false;

		for (size_t i = 0; i < s->nsa_names && e->sa && !found; i++)
			found = !strcmp(s->sa_names[i], e->sa);
		if (!found)
			return false;
	}
	if (s->sa_sel != MODEL_NONE &&
	    !selector_match(m->sels[s->sa_sel],
			    e->sa_idx == MODEL_NONE ? &no_labels : &m->sas[e->sa_idx].labels))
		return false;
	return sel_match(m, s->sel, &e->labels);
}

bool calc_addrset_match_netset(const struct model *m, const struct m_addrset *s, uint32_t set)
{
	const struct m_netset *n = &m->sets[set];

	if (s->endpoints_only || s->nsa_names || s->sa_sel != MODEL_NONE)
		return false;
	if (s->scope_ns != MODEL_NONE && n->ns_idx != s->scope_ns)
		return false;
	if (s->ns_sel != MODEL_NONE && !selector_match(m->sels[s->ns_sel], ns_view(m, n->ns_idx)))
		return false;
	return sel_match(m, s->sel, &n->labels);
}

bool calc_addrset_has_endpoint(const struct model *m, uint32_t set, uint32_t ep)
{
	return bitset_test(&m->addrsets[set].eps, ep);
}

bool calc_policy_selects(const struct model *m, const struct m_policy *p, uint32_t ep)
{
	const struct m_endpoint *e = &m->eps[ep];

	/* Policy is enforced on workloads; host endpoints are addresses only (docs). */
	if (e->kind != M_EP_WORKLOAD)
		return false;
	if (p->ns_idx != MODEL_NONE && e->ns_idx != p->ns_idx)
		return false;
	if (p->k8s_only && !e->k8s)
		return false;
	if (p->ns_sel != MODEL_NONE && !selector_match(m->sels[p->ns_sel], ns_view(m, e->ns_idx)))
		return false;
	if (p->sa_sel != MODEL_NONE &&
	    !selector_match(m->sels[p->sa_sel],
			    e->sa_idx == MODEL_NONE ? &no_labels : &m->sas[e->sa_idx].labels))
		return false;
	return sel_match(m, p->sel, &e->labels);
}

static char *label_key(const char *k, const char *v)
{
	char *s;

	if (asprintf(&s, "%s\x1f%s", k, v) < 0)
		return NULL;
	return s;
}

static int index_endpoint(struct model *m, struct calc_index *ix, uint32_t ep)
{
	const struct m_endpoint *e = &m->eps[ep];

	if (idlist_add(&ix->all_eps, ep))
		return -ENOMEM;
	if (e->ns_idx != MODEL_NONE && idlist_add(&ix->ns_eps[e->ns_idx], ep))
		return -ENOMEM;
	for (size_t i = 0; i < e->labels.n; i++) {
		char *k = label_key(e->labels.v[i].key, e->labels.v[i].value);
		uint32_t li;

		if (!k)
			return -ENOMEM;
		li = strmap_get(&ix->label_lists, k);
		if (li == UINT32_MAX) {
			if (ix->nlists == ix->caplists) {
				size_t cap = ix->caplists ? ix->caplists * 2 : 256;
				struct idlist *v = realloc(ix->lists, cap * sizeof(*v));

				if (!v) {
					free(k);
					return -ENOMEM;
				}
				ix->lists = v;
				ix->caplists = cap;
			}
			li = (uint32_t)ix->nlists;
			memset(&ix->lists[ix->nlists++], 0, sizeof(struct idlist));
			if (strmap_put(&ix->label_lists, k, li)) {
				free(k);
				return -ENOMEM;
			}
		}
		free(k);
		if (idlist_add(&ix->lists[li], ep))
			return -ENOMEM;
	}
	return 0;
}

/* The endpoints worth testing against a selector in a given scope. */
static const struct idlist *candidates(const struct model *m, uint32_t scope_ns, uint32_t sel)
{
	const struct calc_index *ix = index_of(m);
	static const struct idlist empty = {NULL, 0, 0};
	const char *k, *v;

	if (scope_ns != MODEL_NONE)
		return &ix->ns_eps[scope_ns];
	if (sel != MODEL_NONE && selector_required_label(m->sels[sel], &k, &v)) {
		char *key = label_key(k, v);
		uint32_t li;

		if (!key)
			return &ix->all_eps; /* no memory for the key: fall back to a full scan */
		li = strmap_get(&ix->label_lists, key);
		free(key);
		return li == UINT32_MAX ? &empty : &ix->lists[li];
	}
	return &ix->all_eps;
}

static int compute_addrset(struct model *m, struct m_addrset *s)
{
	const struct idlist *c;

	if (bitset_init(&s->eps, m->neps) || bitset_init(&s->sets, m->nsets))
		return -ENOMEM;
	c = candidates(m, s->scope_ns, s->sel);
	for (size_t i = 0; i < c->n; i++)
		if (calc_addrset_match_endpoint(m, s, c->v[i]))
			bitset_set(&s->eps, c->v[i]);
	for (size_t i = 0; i < m->nsets; i++)
		if (calc_addrset_match_netset(m, s, (uint32_t)i))
			bitset_set(&s->sets, i);
	return 0;
}

static int prog_add(struct m_endpoint *e, int dir, uint32_t rank)
{
	if (e->nprog[dir] == e->capprog[dir]) {
		size_t cap = e->capprog[dir] ? e->capprog[dir] * 2 : 4;
		uint32_t *v = realloc(e->prog[dir], cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->prog[dir] = v;
		e->capprog[dir] = cap;
	}
	e->prog[dir][e->nprog[dir]++] = rank;
	return 0;
}

static int index_netset_cidrs(struct model *m, struct calc_index *ix)
{
	for (size_t i = 0; i < m->nsets; i++) {
		const struct m_netset *n = &m->sets[i];

		for (size_t j = 0; j < n->nnets; j++) {
			void *v = lpm_get(m->set_cidrs, &n->nets[j]);
			size_t li;

			if (!v) {
				struct idlist *nl =
					realloc(ix->cidr_sets, (ix->ncidr_sets + 1) * sizeof(*nl));

				if (!nl)
					return -ENOMEM;
				ix->cidr_sets = nl;
				li = ix->ncidr_sets++;
				memset(&nl[li], 0, sizeof(*nl));
				if (lpm_insert(m->set_cidrs, &n->nets[j], (void *)(li + 1), NULL))
					return -ENOMEM;
			} else {
				li = (size_t)(uintptr_t)v - 1;
				/* The same set listing a CIDR twice is recorded once. */
				if (ix->cidr_sets[li].n &&
				    ix->cidr_sets[li].v[ix->cidr_sets[li].n - 1] == i)
					continue;
			}
			if (idlist_add(&ix->cidr_sets[li], (uint32_t)i))
				return -ENOMEM;
		}
	}
	return 0;
}

int calc_run(struct model *m)
{
	struct calc_index *ix = index_get(m);

	if (!ix)
		return -ENOMEM;
	ix->ns_eps = calloc(m->nns + 1, sizeof(*ix->ns_eps));
	if (!ix->ns_eps)
		return -ENOMEM;
	for (size_t i = 0; i < m->neps; i++)
		if (index_endpoint(m, ix, (uint32_t)i))
			return -ENOMEM;
	if (index_netset_cidrs(m, ix))
		return -ENOMEM;
	for (size_t i = 0; i < m->naddrsets; i++)
		if (compute_addrset(m, &m->addrsets[i]))
			return -ENOMEM;
	for (size_t i = 0; i < m->npols; i++) {
		struct m_policy *p = &m->pols[i];
		const struct idlist *c;

		if (bitset_init(&p->selected, m->neps))
			return -ENOMEM;
		c = candidates(m, p->ns_idx, p->sel);
		for (size_t j = 0; j < c->n; j++) {
			uint32_t ep = c->v[j];

			if (!calc_policy_selects(m, p, ep))
				continue;
			bitset_set(&p->selected, ep);
		}
	}
	/* Programs in rank order: walk policies in order so each list comes out sorted. */
	for (size_t i = 0; i < m->npols; i++) {
		struct m_policy *p = &m->pols[i];

		for (size_t ep = bitset_next(&p->selected, 0); ep < m->neps;
		     ep = bitset_next(&p->selected, ep + 1))
			for (int d = 0; d < 2; d++)
				if (p->applies[d] && prog_add(&m->eps[ep], d, p->rank))
					return -ENOMEM;
	}
	return 0;
}

int calc_update_endpoint(struct model *m, uint32_t ep)
{
	struct m_endpoint *e = &m->eps[ep];

	/* The label index is left as it was: it only narrows candidates for full builds, and
	 * calc_update_endpoint tests this endpoint against everything directly. */
	for (size_t i = 0; i < m->naddrsets; i++) {
		struct m_addrset *s = &m->addrsets[i];

		bitset_assign(&s->eps, ep, calc_addrset_match_endpoint(m, s, ep));
	}
	e->nprog[0] = e->nprog[1] = 0;
	for (size_t i = 0; i < m->npols; i++) {
		struct m_policy *p = &m->pols[i];
		bool sel = calc_policy_selects(m, p, ep);

		bitset_assign(&p->selected, ep, sel);
		if (!sel)
			continue;
		for (int d = 0; d < 2; d++)
			if (p->applies[d] && prog_add(e, d, p->rank))
				return -ENOMEM;
	}
	return 0;
}

void calc_free(struct model *m)
{
	struct calc_index *ix = m->index;

	for (size_t i = 0; i < m->nsels; i++) {
		selector_free(m->sels[i]);
		free(m->sel_text[i]);
	}
	free(m->sels);
	free(m->sel_text);
	for (size_t i = 0; i < m->naddrsets; i++) {
		bitset_fini(&m->addrsets[i].eps);
		bitset_fini(&m->addrsets[i].sets);
		free(m->addrsets[i].key);
	}
	free(m->addrsets);
	if (!ix)
		return;
	strmap_fini(&ix->sel_ids);
	strmap_fini(&ix->addrset_ids);
	strmap_fini(&ix->label_lists);
	for (size_t i = 0; i < ix->nlists; i++)
		free(ix->lists[i].v);
	free(ix->lists);
	if (ix->ns_eps)
		for (size_t i = 0; i < m->nns; i++)
			free(ix->ns_eps[i].v);
	free(ix->ns_eps);
	free(ix->all_eps.v);
	for (size_t i = 0; i < ix->ncidr_sets; i++)
		free(ix->cidr_sets[i].v);
	free(ix->cidr_sets);
	free(ix);
	m->index = NULL;
}

/* For eval: the network sets whose CIDRs contain a (deduplicated into out, at most max). */
struct sets_ctx {
	const struct calc_index *ix;
	uint32_t *out;
	size_t n, max;
};

static int collect_sets(const struct cidr *c, void *value, void *vctx)
{
	struct sets_ctx *ctx = vctx;
	const struct idlist *l = &ctx->ix->cidr_sets[(uintptr_t)value - 1];

	(void)c;
	for (size_t i = 0; i < l->n; i++) {
		bool dup = false;

		for (size_t j = 0; j < ctx->n && !dup; j++)
			dup = ctx->out[j] == l->v[i];
		if (!dup && ctx->n < ctx->max)
			ctx->out[ctx->n++] = l->v[i];
	}
	return 0;
}

size_t calc_sets_containing(const struct model *m, const struct ipaddr *a, uint32_t *out,
			    size_t max)
{
	struct sets_ctx ctx = {index_of(m), out, 0, max};

	if (!ctx.ix || !m->set_cidrs)
		return 0;
	lpm_lookup_all(m->set_cidrs, a, collect_sets, &ctx);
	return ctx.n;
}
