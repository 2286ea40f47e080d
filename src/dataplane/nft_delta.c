/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Element deltas between two renders, read with nft_script_parse().  Nothing here depends on
 * the meaning of an element: they are compared as text.
 */
#include "dataplane/nft_delta.h"

#include "dataplane/nft_script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

static char *span_dup(struct nft_span s)
{
	return strndup(s.p, s.n);
}

static int list_add(char ***v, size_t *n, struct nft_span s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = span_dup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Fills ds with what is in o and not in n (del) and the other way round (add). */
static int diff_set(struct nft_script_set *o, struct nft_script_set *n, struct nft_delta_set *ds)
{
	size_t i = 0, j = 0;
	int err = 0;

	nft_script_sort_elements(o);
	nft_script_sort_elements(n);
	while (!err && (i < o->nel || j < n->nel)) {
		int c = i == o->nel ? 1 : j == n->nel ? -1 : nft_span_cmp(&o->el[i], &n->el[j]);

		if (c < 0)
			err = list_add(&ds->del, &ds->ndel, o->el[i++]);
		else if (c > 0)
			err = list_add(&ds->add, &ds->nadd, n->el[j++]);
		else
			i++, j++;
	}
	return err;
}

static void set_fini(struct nft_delta_set *s)
{
	for (size_t i = 0; i < s->ndel; i++)
		free(s->del[i]);
	for (size_t i = 0; i < s->nadd; i++)
		free(s->add[i]);
	free(s->del);
	free(s->add);
	free(s->name);
	free(s->type);
}

void nft_delta_free(struct nft_delta *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nsets; i++)
		set_fini(&d->sets[i]);
	free(d->sets);
	free(d);
}

int nft_delta_compute(const char *old_script, const char *new_script, struct nft_delta **out)
{
	struct nft_script po, pn;
	struct nft_delta *d = NULL;
	int err;

	*out = NULL;
	err = nft_script_parse(old_script, &po);
	if (err)
		return err == -ENOMEM ? err : 0;
	err = nft_script_parse(new_script, &pn);
	if (err) {
		nft_script_fini(&po);
		return err == -ENOMEM ? err : 0;
	}
	/* Equal skeletons have the same sets in the same order, with the same names. */
	if (po.skel.len != pn.skel.len || strcmp(strbuf_str(&po.skel), strbuf_str(&pn.skel)) ||
	    po.nsets != pn.nsets)
		goto out;
	d = calloc(1, sizeof(*d));
	if (d)
		d->sets = calloc(po.nsets + 1, sizeof(*d->sets));
	if (!d || !d->sets) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < po.nsets; i++) {
		struct nft_delta_set *ds = &d->sets[d->nsets];

		err = diff_set(&po.sets[i], &pn.sets[i], ds);
		if (!err && (ds->ndel || ds->nadd)) {
			ds->name = span_dup(pn.sets[i].name);
			ds->type = span_dup(pn.sets[i].type);
			ds->interval = pn.sets[i].interval;
			ds->map = pn.sets[i].map;
			d->nsets++;
			if (!ds->name || !ds->type)
				err = -ENOMEM;
		} else {
			set_fini(ds);
			memset(ds, 0, sizeof(*ds));
		}
		if (err)
			goto out;
	}
	*out = d;
	d = NULL;
out:
	nft_delta_free(d);
	nft_script_fini(&po);
	nft_script_fini(&pn);
	return err;
}

size_t nft_delta_count(const struct nft_delta *d)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->nsets; i++)
		n += d->sets[i].ndel + d->sets[i].nadd;
	return n;
}

static void put_elems(struct strbuf *out, const char *verb, const struct nft_delta_set *s, char **v,
		      size_t n, bool key_only)
{
	if (!n)
		return;
	strbuf_printf(out, "%s element inet palisade %s { ", verb, s->name);
	for (size_t i = 0; i < n; i++) {
		const char *colon = key_only ? strstr(v[i], " : ") : NULL;

		if (i)
			strbuf_puts(out, ", ");
		if (colon)
			strbuf_add(out, v[i], (size_t)(colon - v[i]));
		else
			strbuf_puts(out, v[i]);
	}
	strbuf_puts(out, " }\n");
}

void nft_delta_format(const struct nft_delta *d, struct strbuf *out)
{
	for (size_t i = 0; d && i < d->nsets; i++)
		put_elems(out, "delete", &d->sets[i], d->sets[i].del, d->sets[i].ndel,
			  d->sets[i].map);
	for (size_t i = 0; d && i < d->nsets; i++)
		put_elems(out, "add", &d->sets[i], d->sets[i].add, d->sets[i].nadd, false);
}
