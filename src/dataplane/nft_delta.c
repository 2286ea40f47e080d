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

/* *out: a malloc'd array of copies of the n spans; *nout counts the copies made. */
static int copy_list(char ***out, size_t *nout, const struct nft_span *v, size_t n)
{
	if (!n)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*out)[i] = span_dup(v[i]);
		if (!(*out)[i])
			return -ENOMEM;
		(*nout)++;
	}
	return 0;
}

/* Fills ds with what changed from set o of po to set n of pn (nft_script_diff_set()). */
static int diff_set(const struct nft_script *po, struct nft_script_set *o,
		    const struct nft_script *pn, struct nft_script_set *n, struct nft_delta_set *ds)
{
	struct nft_elem_diff d;
	int err = nft_script_diff_set(po, o, pn, n, &d);

	if (!err)
		err = copy_list(&ds->del, &ds->ndel, d.del, d.ndel);
	if (!err)
		err = copy_list(&ds->gone, &ds->ngone, d.gone, d.ngone);
	if (!err)
		err = copy_list(&ds->add, &ds->nadd, d.add, d.nadd);
	nft_elem_diff_fini(&d);
	return err;
}

static void set_fini(struct nft_delta_set *s)
{
	for (size_t i = 0; i < s->ndel; i++)
		free(s->del[i]);
	for (size_t i = 0; i < s->ngone; i++)
		free(s->gone[i]);
	for (size_t i = 0; i < s->nadd; i++)
		free(s->add[i]);
	free(s->del);
	free(s->gone);
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

		err = diff_set(&po, &po.sets[i], &pn, &pn.sets[i], ds);
		if (!err && (ds->ndel || ds->ngone || ds->nadd)) {
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
		n += d->sets[i].ndel + d->sets[i].ngone + d->sets[i].nadd;
	return n;
}

/* How put_elems() writes an element. */
enum put_how {
	PUT_AS_IS,
	PUT_KEY,	/* a map delete: the key only */
	PUT_EXPIRES,	/* an add: a timeout restarts the clock ("expires") */
	PUT_TIMEOUT_1S, /* the add before a gone element's delete */
};

static void put_elems(struct strbuf *out, const char *verb, const struct nft_delta_set *s,
		      char *const *v, size_t n, enum put_how how)
{
	if (!n)
		return;
	strbuf_printf(out, "%s element inet palisade %s { ", verb, s->name);
	for (size_t i = 0; i < n; i++) {
		const char *colon = how == PUT_KEY ? strstr(v[i], " : ") : NULL;
		const char *t = how == PUT_EXPIRES ? strstr(v[i], " timeout ") : NULL;

		if (i)
			strbuf_puts(out, ", ");
		if (colon)
			strbuf_add(out, v[i], (size_t)(colon - v[i]));
		else
			strbuf_puts(out, v[i]);
		if (t)
			strbuf_printf(out, " expires %s", t + strlen(" timeout "));
		if (how == PUT_TIMEOUT_1S)
			strbuf_puts(out, " timeout 1s");
	}
	strbuf_puts(out, " }\n");
}

void nft_delta_format(const struct nft_delta *d, struct strbuf *out)
{
	for (size_t i = 0; d && i < d->nsets; i++) {
		const struct nft_delta_set *s = &d->sets[i];

		put_elems(out, "add", s, s->gone, s->ngone, PUT_TIMEOUT_1S);
		put_elems(out, "delete", s, s->gone, s->ngone, PUT_AS_IS);
		put_elems(out, "delete", s, s->del, s->ndel, s->map ? PUT_KEY : PUT_AS_IS);
	}
	for (size_t i = 0; d && i < d->nsets; i++)
		put_elems(out, "add", &d->sets[i], d->sets[i].add, d->sets[i].nadd, PUT_EXPIRES);
}
