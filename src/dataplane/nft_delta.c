/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Element deltas between two renders.  The renderer's layout is stable (nft_render.c): a set
 * or map is "\tset NAME {" or "\tmap NAME {", then "\t\ttype T", maybe "\t\tflags interval",
 * then the elements, the first after "\t\telements = { ", each further one on its own line
 * after "\t\t\t     ", separated by "," and closed by " }", and the set ends with "\t}".
 * Nothing here depends on the meaning of an element: they are compared as text.
 */
#include "dataplane/nft_delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

struct span {
	const char *p;
	size_t n;
};

/* One set of a parsed script: spans point into the script. */
struct pset {
	struct span name, type;
	bool interval, map;
	struct span *el;
	size_t nel, cap;
};

struct parsed {
	struct strbuf skel; /* the script without elements, comments and blank lines */
	struct pset *sets;
	size_t nsets, cap;
};

static const char elems_first[] = "\t\telements = { ";
static const char elems_next[] = "\t\t\t     ";

static bool starts(const char *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && !memcmp(p, pre, k);
}

static bool ends(const char *p, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && !memcmp(p + n - k, suf, k);
}

static void parsed_fini(struct parsed *ps)
{
	for (size_t i = 0; i < ps->nsets; i++)
		free(ps->sets[i].el);
	free(ps->sets);
	strbuf_fini(&ps->skel);
}

static int push_elem(struct pset *s, const char *p, size_t n)
{
	if (s->nel == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct span *v = realloc(s->el, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->el = v;
		s->cap = cap;
	}
	s->el[s->nel].p = p;
	s->el[s->nel++].n = n;
	return 0;
}

static struct pset *push_set(struct parsed *ps)
{
	if (ps->nsets == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;
		struct pset *v = realloc(ps->sets, cap * sizeof(*v));

		if (!v)
			return NULL;
		ps->sets = v;
		ps->cap = cap;
	}
	memset(&ps->sets[ps->nsets], 0, sizeof(ps->sets[0]));
	return &ps->sets[ps->nsets++];
}

/*
 * One element line (without its prefix): "a," goes on, "a }" ends the list.  Returns 1 when
 * the list goes on, 0 when it ended, -EINVAL for another layout, -ENOMEM.
 */
static int elem_line(struct pset *s, const char *p, size_t n)
{
	int err;

	if (ends(p, n, ",")) {
		err = push_elem(s, p, n - 1);
		return err ? err : 1;
	}
	if (ends(p, n, " }")) {
		err = push_elem(s, p, n - 2);
		return err ? err : 0;
	}
	return -EINVAL;
}

/* 0, -EINVAL when the script does not have the renderer's layout, or -ENOMEM. */
static int parse(const char *script, struct parsed *ps)
{
	struct pset *cur = NULL;
	bool in_elems = false;
	const char *p = script;
	int err = 0;

	memset(ps, 0, sizeof(*ps));
	strbuf_init(&ps->skel);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *t = p;

		if (in_elems) {
			if (!starts(p, n, elems_next)) {
				err = -EINVAL;
				goto out;
			}
			err = elem_line(cur, p + strlen(elems_next), n - strlen(elems_next));
			if (err < 0)
				goto out;
			in_elems = err;
			err = 0;
		} else if (starts(p, n, elems_first)) {
			if (!cur) {
				err = -EINVAL;
				goto out;
			}
			err = elem_line(cur, p + strlen(elems_first), n - strlen(elems_first));
			if (err < 0)
				goto out;
			in_elems = err;
			err = 0;
		} else {
			while (t < p + n && (*t == '\t' || *t == ' '))
				t++;
			if (t == p + n || *t == '#')
				goto next; /* blank or comment: the kernel never sees it */
			strbuf_add(&ps->skel, p, n);
			strbuf_putc(&ps->skel, '\n');
			if ((starts(p, n, "\tset ") || starts(p, n, "\tmap ")) &&
			    ends(p, n, " {")) {
				cur = push_set(ps);
				if (!cur) {
					err = -ENOMEM;
					goto out;
				}
				cur->map = p[1] == 'm';
				cur->name.p = p + 5;
				cur->name.n = n - 5 - 2;
			} else if (cur && starts(p, n, "\t\ttype ")) {
				cur->type.p = p + 7;
				cur->type.n = n - 7;
			} else if (cur && starts(p, n, "\t\tflags ")) {
				cur->interval = memmem(p, n, "interval", 8) != NULL;
			} else if (cur && n == 2 && !memcmp(p, "\t}", 2)) {
				cur = NULL;
			}
		}
	next:
		p += n;
		if (*p == '\n')
			p++;
	}
	if (in_elems)
		err = -EINVAL;
	else if (ps->skel.oom)
		err = -ENOMEM;
out:
	if (err)
		parsed_fini(ps);
	return err;
}

static int span_cmp(const struct span *a, const struct span *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, n);

	return c ? c : (a->n > b->n) - (a->n < b->n);
}

static int span_qcmp(const void *a, const void *b)
{
	return span_cmp(a, b);
}

static char *span_dup(struct span s)
{
	return strndup(s.p, s.n);
}

static int list_add(char ***v, size_t *n, struct span s)
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
static int diff_set(struct pset *o, struct pset *n, struct nft_delta_set *ds)
{
	size_t i = 0, j = 0;
	int err = 0;

	if (o->nel > 1)
		qsort(o->el, o->nel, sizeof(*o->el), span_qcmp);
	if (n->nel > 1)
		qsort(n->el, n->nel, sizeof(*n->el), span_qcmp);
	while (!err && (i < o->nel || j < n->nel)) {
		int c = i == o->nel ? 1 : j == n->nel ? -1 : span_cmp(&o->el[i], &n->el[j]);

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
	struct parsed po, pn;
	struct nft_delta *d = NULL;
	int err;

	*out = NULL;
	err = parse(old_script, &po);
	if (err)
		return err == -ENOMEM ? err : 0;
	err = parse(new_script, &pn);
	if (err) {
		parsed_fini(&po);
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
	parsed_fini(&po);
	parsed_fini(&pn);
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
