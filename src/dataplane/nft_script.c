/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
		(*set)->interval = memmem(p, n, "interval", 8) != NULL;
	} else if (*chain && starts(p, n, "\t\t")) {
		struct nft_script_chain *c = *chain;

		if (!c->nlines && starts(p, n, "\t\ttype "))
			c->base = true;
		return push_span(&c->lines, &c->nlines, &c->cap, p + 2, n - 2);
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
out:
	if (err)
		nft_script_fini(s);
	return err;
}

int nft_span_cmp(const struct nft_span *a, const struct nft_span *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, n);

	return c ? c : (a->n > b->n) - (a->n < b->n);
}

bool nft_span_eq(const struct nft_span *a, const struct nft_span *b)
{
	return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

static int span_qcmp(const void *a, const void *b)
{
	return nft_span_cmp(a, b);
}

void nft_script_sort_elements(struct nft_script_set *set)
{
	if (set->nel > 1)
		qsort(set->el, set->nel, sizeof(*set->el), span_qcmp);
}
