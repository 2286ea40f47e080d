/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks that need the whole set: one object per kind, namespace and name, and every tier a
 * Calico policy names must exist ("default" always does).  Decoding already checked each
 * object on its own, including the "<tier>." prefix of tiered policy names.
 */
#include "lib/resource.h"

#include "lib/diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int str_cmp_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

struct ident {
	const struct resource *r;
	size_t idx; /* load order */
};

static int ident_key_cmp(const struct ident *a, const struct ident *b)
{
	int c;

	if (a->r->kind != b->r->kind)
		return a->r->kind < b->r->kind ? -1 : 1;
	c = str_cmp_null(a->r->meta.namespace_, b->r->meta.namespace_);
	if (c)
		return c;
	return str_cmp_null(a->r->meta.name, b->r->meta.name);
}

/* Identity order (kind, namespace, name), then load order, so a run of equal identities
 * starts with the first definition. */
static int ident_cmp(const void *pa, const void *pb)
{
	const struct ident *a = pa, *b = pb;
	int c = ident_key_cmp(a, b);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_duplicates(const struct resource_set *s, struct diag_list *diags)
{
	struct ident *v;

	if (s->n < 2)
		return;
	v = malloc(s->n * sizeof(*v));
	if (!v) {
		diag_error(diags, NULL, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		v[i].r = s->v[i];
		v[i].idx = i;
	}
	qsort(v, s->n, sizeof(*v), ident_cmp);
	for (size_t i = 1, first = 0; i < s->n; i++) {
		const struct resource *r = v[i].r, *f;
		char ref[512];

		if (ident_key_cmp(&v[first], &v[i]) != 0) {
			first = i;
			continue;
		}
		f = v[first].r;
		resource_ref(r, ref, sizeof(ref));
		diag_error(diags, r->loc.file, r->loc.line,
			   "duplicate %s %s, first defined at %s:%d", res_kind_name(r->kind), ref,
			   f->loc.file, f->loc.line);
	}
	free(v);
}

static void check_tiers(const struct resource_set *s, struct diag_list *diags)
{
	const char **tiers = NULL;
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i]->kind == RES_TIER;
	if (n) {
		tiers = malloc(n * sizeof(*tiers));
		if (!tiers) {
			diag_error(diags, NULL, 0, "out of memory");
			return;
		}
		n = 0;
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i]->kind == RES_TIER)
				tiers[n++] = s->v[i]->meta.name;
		qsort(tiers, n, sizeof(*tiers), cmp_str);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct resource *r = s->v[i];
		const char *tier;
		char ref[512];

		if (r->kind != RES_NETWORK_POLICY && r->kind != RES_GLOBAL_NETWORK_POLICY)
			continue;
		tier = r->u.policy.tier;
		if (!tier || strcmp(tier, "default") == 0)
			continue;
		if (n && bsearch(&tier, tiers, n, sizeof(*tiers), cmp_str))
			continue;
		resource_ref(r, ref, sizeof(ref));
		diag_error(diags, r->loc.file, r->loc.line,
			   "%s %s: spec.tier: tier \"%s\" does not exist", res_kind_name(r->kind),
			   ref, tier);
	}
	free(tiers);
}

/* Borrows s; appends to diags. */
int resource_set_check(const struct resource_set *s, struct diag_list *diags)
{
	size_t errors = diags->errors;

	check_duplicates(s, diags);
	check_tiers(s, diags);
	return diags->errors > errors ? -EINVAL : 0;
}
