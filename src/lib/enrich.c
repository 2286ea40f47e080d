/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/enrich.h"

#include "lib/calc.h"
#include "lib/lpm.h"
#include "lib/model.h"

#include <stdio.h>
#include <string.h>

/* Candidates asked of calc_sets_containing: the sets of the longest prefix come first, so
 * a cap only cuts shorter prefixes unless more sets than this share one CIDR. */
#define ENRICH_MAX_SETS 64

struct private_range {
	uint8_t family;
	uint8_t len;
	uint8_t a[4];
};

static const struct private_range private_v4[] = {
	{4, 8, {10, 0, 0, 0}},	  {4, 12, {172, 16, 0, 0}}, {4, 16, {192, 168, 0, 0}},
	{4, 10, {100, 64, 0, 0}}, {4, 8, {127, 0, 0, 0}},   {4, 16, {169, 254, 0, 0}},
};

bool enrich_is_private(const struct ipaddr *a)
{
	if (a->family == 4) {
		for (size_t i = 0; i < sizeof(private_v4) / sizeof(private_v4[0]); i++) {
			struct cidr c = {.addr = {.family = 4}, .len = private_v4[i].len};

			memcpy(c.addr.a, private_v4[i].a, 4);
			if (cidr_contains(&c, a))
				return true;
		}
		return false;
	}
	if (a->family != 6)
		return false;
	if ((a->a[0] & 0xfe) == 0xfc) /* fc00::/7 */
		return true;
	if (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80) /* fe80::/10 */
		return true;
	for (size_t i = 0; i < 15; i++) /* ::1 */
		if (a->a[i])
			return false;
	return a->a[15] == 1;
}

static bool is_workload_controller(const char *kind)
{
	return kind && (!strcmp(kind, "ReplicaSet") || !strcmp(kind, "DaemonSet") ||
			!strcmp(kind, "StatefulSet") || !strcmp(kind, "Job"));
}

/* The pod's aggregate name into out (ENRICH_NAME_AGGR_SIZE bytes). */
static void pod_name_aggr(const struct m_endpoint *e, char *out)
{
	const struct meta *md = e->res && e->res->kind == RES_POD ? &e->res->meta : NULL;
	int n;

	if (md) {
		for (size_t i = 0; i < md->nowners; i++) {
			const struct owner_ref *o = &md->owners[i];

			if (!o->controller || !is_workload_controller(o->kind) || !o->name)
				continue;
			n = snprintf(out, ENRICH_NAME_AGGR_SIZE, "%s-*", o->name);
			if (n > 0 && n < ENRICH_NAME_AGGR_SIZE)
				return;
			break; /* an owner name longer than Kubernetes allows: fall through */
		}
		if (md->generate_name && md->generate_name[0]) {
			n = snprintf(out, ENRICH_NAME_AGGR_SIZE, "%s*", md->generate_name);
			if (n > 0 && n < ENRICH_NAME_AGGR_SIZE)
				return;
		}
	}
	snprintf(out, ENRICH_NAME_AGGR_SIZE, "%s", e->name);
}

/* Keeps the first (longest) prefix reported and lets the walk count the others. */
static int first_prefix(const struct cidr *c, void *value, void *ctx)
{
	struct cidr *longest = ctx;

	(void)value;
	if (!longest->addr.family)
		*longest = *c;
	return 0;
}

static bool set_holds(const struct m_netset *s, const struct cidr *c)
{
	for (size_t i = 0; i < s->nnets; i++)
		if (!cidr_cmp(&s->nets[i], c))
			return true;
	return false;
}

/* Tie-break among sets holding the same longest prefix: namespaced first, then name, then
 * namespace, then model order. */
static bool set_better(const struct m_netset *a, const struct m_netset *b)
{
	int c;

	if (!a->ns != !b->ns)
		return a->ns != NULL;
	c = strcmp(a->name, b->name);
	if (c)
		return c < 0;
	if (a->ns && b->ns)
		return strcmp(a->ns, b->ns) < 0;
	return false;
}

/* The winning network set for a, or MODEL_NONE. */
static uint32_t best_netset(const struct model *m, const struct ipaddr *a)
{
	uint32_t cand[ENRICH_MAX_SETS], best = MODEL_NONE;
	struct cidr longest;
	size_t n, nprefixes;

	if (!m->set_cidrs)
		return MODEL_NONE;
	n = calc_sets_containing(m, a, cand, ENRICH_MAX_SETS);
	if (!n)
		return MODEL_NONE;
	/*
	 * calc_sets_containing lists the sets of the longest prefix first, then those that
	 * only hold shorter prefixes.  With a single prefix around a every candidate holds it;
	 * otherwise the first candidate that does not hold the longest prefix ends the group.
	 */
	memset(&longest, 0, sizeof(longest));
	nprefixes = lpm_lookup_all(m->set_cidrs, a, first_prefix, &longest);
	for (size_t i = 0; i < n; i++) {
		const struct m_netset *s = &m->sets[cand[i]];

		if (i > 0 && nprefixes > 1 && !set_holds(s, &longest))
			break;
		if (best == MODEL_NONE || set_better(s, &m->sets[best]))
			best = cand[i];
	}
	return best;
}

void enrich_addr(const struct model *m, const struct ipaddr *a, struct enrich_info *out)
{
	uint32_t ep = MODEL_NONE, set;

	memset(out, 0, sizeof(*out));
	out->type = "net";
	out->name = "-";
	out->ns = "-";
	if (a->family != 4 && a->family != 6) {
		strcpy(out->name_aggr, "-");
		return;
	}
	strcpy(out->name_aggr, enrich_is_private(a) ? "pvt" : "pub");
	if (!m)
		return;
	ep = model_endpoint_by_ip(m, a);
	if (ep != MODEL_NONE) {
		const struct m_endpoint *e = &m->eps[ep];

		out->name = e->name;
		out->labels = &e->own;
		if (e->kind == M_EP_WORKLOAD) {
			out->type = "wep";
			out->ns = e->ns ? e->ns : "-";
			pod_name_aggr(e, out->name_aggr);
		} else {
			out->type = "hep";
			snprintf(out->name_aggr, sizeof(out->name_aggr), "%s", e->name);
		}
		return;
	}
	if (m->lab && cidr_contains(&m->lab->u.lab.pod_cidr, a)) {
		out->no_endpoint = true;
		strcpy(out->name_aggr, "pvt");
	}
	set = best_netset(m, a);
	if (set != MODEL_NONE) {
		const struct m_netset *s = &m->sets[set];

		out->type = "ns";
		out->name = s->name;
		out->ns = s->ns ? s->ns : "-";
		out->labels = s->res ? &s->res->meta.labels : &s->labels;
		snprintf(out->name_aggr, sizeof(out->name_aggr), "%s", s->name);
	}
}
