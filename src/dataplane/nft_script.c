/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char elems_first[] = "\t\telements = { ";
static const char elems_next[] = "\t\t\t     ";
static const char timeout_kw[] = " timeout ";

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

void nft_script_fini(struct nft_script *s)
{
	for (size_t i = 0; i < s->nsets; i++)
		free(s->sets[i].el);
	for (size_t i = 0; i < s->nchains; i++)
		free(s->chains[i].lines);
	free(s->sets);
	free(s->chains);
	strbuf_fini(&s->skel);
	memset(s, 0, sizeof(*s));
}

static int push_span(struct nft_span **v, size_t *n, size_t *cap, const char *p, size_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct nft_span *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[*n].p = p;
	(*v)[(*n)++].n = len;
	return 0;
}

/* Grows an array of elements of size sz by one zeroed element; NULL on ENOMEM. */
static void *push_obj(void **v, size_t *n, size_t *cap, size_t sz)
{
	char *p;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		void *nv = realloc(*v, c * sz);

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	p = (char *)*v + (*n)++ * sz;
	memset(p, 0, sz);
	return p;
}

/*
 * One element line (without its prefix): "a," goes on, "a }" ends the list.  Returns 1 when
 * the list goes on, 0 when it ended, -EINVAL for another layout, -ENOMEM.
 */
static int elem_line(struct nft_script_set *s, const char *p, size_t n)
{
	int err;

	if (ends(p, n, ",")) {
		err = push_span(&s->el, &s->nel, &s->cap, p, n - 1);
		return err ? err : 1;
	}
	if (ends(p, n, " }")) {
		err = push_span(&s->el, &s->nel, &s->cap, p, n - 2);
		return err ? err : 0;
	}
	return -EINVAL;
}

/* A line outside element lists: set, chain, their declarations and statements. */
static int other_line(struct nft_script *s, const char *p, size_t n, struct nft_script_set **set,
		      struct nft_script_chain **chain)
{
	strbuf_add(&s->skel, p, n);
	strbuf_putc(&s->skel, '\n');
	if ((starts(p, n, "\tset ") || starts(p, n, "\tmap ")) && ends(p, n, " {")) {
		*set = push_obj((void **)&s->sets, &s->nsets, &s->capsets, sizeof(**set));
		if (!*set)
			return -ENOMEM;
		(*set)->map = p[1] == 'm';
		(*set)->name.p = p + 5;
		(*set)->name.n = n - 5 - 2;
		*chain = NULL;
	} else if (starts(p, n, "\tchain ") && ends(p, n, " {")) {
		*chain = push_obj((void **)&s->chains, &s->nchains, &s->capchains, sizeof(**chain));
		if (!*chain)
			return -ENOMEM;
		(*chain)->name.p = p + 7;
		(*chain)->name.n = n - 7 - 2;
		*set = NULL;
	} else if (n == 2 && !memcmp(p, "\t}", 2)) {
		*set = NULL;
		*chain = NULL;
	} else if (*set && starts(p, n, "\t\ttype ")) {
		(*set)->type.p = p + 7;
		(*set)->type.n = n - 7;
	} else if (*set && starts(p, n, "\t\tflags ")) {
		(*set)->flags.p = p + 8;
		(*set)->flags.n = n - 8;
		(*set)->interval = memmem(p, n, "interval", 8) != NULL;
	} else if (*chain && starts(p, n, "\t\t")) {
		struct nft_script_chain *c = *chain;

		if (!c->nlines && starts(p, n, "\t\ttype "))
			c->base = true;
		return push_span(&c->lines, &c->nlines, &c->cap, p + 2, n - 2);
	}
	return 0;
}

/* Decimal digits of p[0..n) as a positive number; -1 for anything else. */
static int64_t number(const char *p, size_t n)
{
	int64_t v = 0;

	if (!n || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Where " timeout " starts in an element, or its length when it has none. */
static size_t key_len(const struct nft_span *el)
{
	const char *t = memmem(el->p, el->n, timeout_kw, sizeof(timeout_kw) - 1);

	return t ? (size_t)(t - el->p) : el->n;
}

/* The N of an element's " timeout <N>s" (0 without one), or -1 for another layout. */
static int64_t elem_timeout(const struct nft_span *el)
{
	size_t k = key_len(el), skip = sizeof(timeout_kw) - 1;
	int64_t v;

	if (k == el->n)
		return 0;
	if (el->n < k + skip + 2 || el->p[el->n - 1] != 's')
		return -1;
	v = number(el->p + k + skip, el->n - k - skip - 1);
	return v > 0 ? v : -1;
}

/* Every timeout is "<N>s", N > 0, and the script says when they count from. */
static int check_timeouts(const struct nft_script *s)
{
	for (size_t i = 0; i < s->nsets; i++)
		for (size_t j = 0; j < s->sets[i].nel; j++) {
			int64_t t = elem_timeout(&s->sets[i].el[j]);

			if (t < 0 || (t > 0 && !s->has_now))
				return -EINVAL;
		}
	return 0;
}

int nft_script_parse(const char *script, struct nft_script *s)
{
	struct nft_script_set *set = NULL;
	struct nft_script_chain *chain = NULL;
	bool in_elems = false;
	const char *p = script;
	int err = 0;

	memset(s, 0, sizeof(*s));
	strbuf_init(&s->skel);
	/* The time element timeouts count from: "# now=<seconds> ...". */
	if (!strncmp(p, NFT_SCRIPT_NOW, strlen(NFT_SCRIPT_NOW))) {
		const char *d = p + strlen(NFT_SCRIPT_NOW);
		size_t n = strspn(d, "0123456789");

		s->now = number(d, n);
		s->has_now = s->now > 0;
		if (!s->has_now) {
			err = -EINVAL;
			goto out;
		}
	}
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *t = p;

		if (in_elems || starts(p, n, elems_first)) {
			size_t k = in_elems ? strlen(elems_next) : strlen(elems_first);

			if (!set || (in_elems && !starts(p, n, elems_next))) {
				err = -EINVAL;
				goto out;
			}
			err = elem_line(set, p + k, n - k);
			if (err < 0)
				goto out;
			in_elems = err;
			err = 0;
		} else {
			while (t < p + n && (*t == '\t' || *t == ' '))
				t++;
			/* Blank and comment lines: the kernel never sees them. */
			if (t != p + n && *t != '#') {
				err = other_line(s, p, n, &set, &chain);
				if (err)
					goto out;
			}
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (in_elems)
		err = -EINVAL;
	else if (s->skel.oom)
		err = -ENOMEM;
	else
		err = check_timeouts(s);
out:
	if (err)
		nft_script_fini(s);
	return err;
}

int nft_span_cmp(const struct nft_span *a, const struct nft_span *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = n ? memcmp(a->p, b->p, n) : 0; /* an empty span may have no pointer */

	return c ? c : (a->n > b->n) - (a->n < b->n);
}

bool nft_span_eq(const struct nft_span *a, const struct nft_span *b)
{
	return a->n == b->n && (!a->n || !memcmp(a->p, b->p, a->n));
}

/* Orders elements by key: the text before " timeout ". */
static int key_cmp(const struct nft_span *a, const struct nft_span *b)
{
	struct nft_span ka = {a->p, key_len(a)}, kb = {b->p, key_len(b)};

	return nft_span_cmp(&ka, &kb);
}

static int key_qcmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

void nft_script_sort_elements(struct nft_script_set *set)
{
	if (set->nel > 1)
		qsort(set->el, set->nel, sizeof(*set->el), key_qcmp);
}

int64_t nft_script_elem(const struct nft_script *s, const struct nft_span *el, struct nft_span *key,
			int64_t *expires)
{
	int64_t t = elem_timeout(el);

	if (t < 0)
		t = 0; /* nft_script_parse() refuses such scripts */
	key->p = el->p;
	key->n = key_len(el);
	*expires = t ? s->now + t : 0;
	return t;
}

static int push_el(struct nft_span **v, size_t *n, struct nft_span sp)
{
	struct nft_span *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = sp;
	*v = nv;
	return 0;
}

void nft_elem_diff_fini(struct nft_elem_diff *d)
{
	free(d->del);
	free(d->gone);
	free(d->add);
	memset(d, 0, sizeof(*d));
}

int nft_script_diff_set(const struct nft_script *po, struct nft_script_set *o,
			const struct nft_script *pn, struct nft_script_set *n,
			struct nft_elem_diff *d)
{
	size_t i = 0, j = 0;
	int err = 0;

	memset(d, 0, sizeof(*d));
	nft_script_sort_elements(o);
	nft_script_sort_elements(n);
	while (!err && (i < o->nel || j < n->nel)) {
		int c = i == o->nel ? 1 : j == n->nel ? -1 : key_cmp(&o->el[i], &n->el[j]);
		struct nft_span ko, kn;
		int64_t eo, en;

		if (c < 0) {
			if (nft_script_elem(po, &o->el[i++], &ko, &eo))
				err = push_el(&d->gone, &d->ngone, ko);
			else
				err = push_el(&d->del, &d->ndel, ko);
		} else if (c > 0) {
			err = push_el(&d->add, &d->nadd, n->el[j++]);
		} else {
			nft_script_elem(po, &o->el[i], &ko, &eo);
			nft_script_elem(pn, &n->el[j], &kn, &en);
			if (eo != en)
				err = push_el(&d->add, &d->nadd, n->el[j]);
			i++, j++;
		}
	}
	if (err)
		nft_elem_diff_fini(d);
	return err;
}
