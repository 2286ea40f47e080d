/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_patch.h"

#include "dataplane/nft_script.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char table[] = "inet palisade";

/* Index of each old object by name, and whether the new script still has it. */
struct index {
	struct strmap by_name;
	bool *kept;
};

/* Indexes n objects whose names name(objs, i) gives. */
static int index_build(struct index *ix, const void *objs, size_t n,
		       const struct nft_span *(*name)(const void *, size_t))
{
	int err = 0;

	strmap_init(&ix->by_name);
	ix->kept = calloc(n + 1, sizeof(*ix->kept));
	if (!ix->kept)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		const struct nft_span *s = name(objs, i);
		char *k = strndup(s->p, s->n);

		err = k ? strmap_put(&ix->by_name, k, (uint32_t)i) : -ENOMEM;
		free(k);
	}
	return err;
}

static const struct nft_span *set_name(const void *v, size_t i)
{
	return &((const struct nft_script_set *)v)[i].name;
}

static const struct nft_span *chain_name(const void *v, size_t i)
{
	return &((const struct nft_script_chain *)v)[i].name;
}

static void index_fini(struct index *ix)
{
	strmap_fini(&ix->by_name);
	free(ix->kept);
}

static uint32_t index_find(const struct index *ix, const struct nft_span *name)
{
	char buf[256];

	if (name->n >= sizeof(buf))
		return UINT32_MAX;
	memcpy(buf, name->p, name->n);
	buf[name->n] = '\0';
	return strmap_get(&ix->by_name, buf);
}

static void put_span(struct strbuf *b, const struct nft_span *s)
{
	strbuf_add(b, s->p, s->n);
}

/* How put_elements() writes an element. */
enum put_how {
	PUT_AS_IS,
	PUT_KEY,	/* a map delete: the key only */
	PUT_EXPIRES,	/* an add to an existing set: a timeout restarts the clock */
	PUT_TIMEOUT_1S, /* the add that makes a gone element's delete hold */
};

/* "VERB element inet palisade NAME { a, b }". */
static void put_elements(struct strbuf *b, const char *verb, const struct nft_script_set *set,
			 const struct nft_span *v, size_t n, enum put_how how)
{
	static const char kw[] = " timeout ";

	if (!n)
		return;
	strbuf_printf(b, "%s element %s ", verb, table);
	put_span(b, &set->name);
	strbuf_puts(b, " { ");
	for (size_t i = 0; i < n; i++) {
		const char *colon = how == PUT_KEY ? memmem(v[i].p, v[i].n, " : ", 3) : NULL;
		const char *t =
			how == PUT_EXPIRES ? memmem(v[i].p, v[i].n, kw, sizeof(kw) - 1) : NULL;

		if (i)
			strbuf_puts(b, ", ");
		if (colon)
			strbuf_add(b, v[i].p, (size_t)(colon - v[i].p));
		else
			put_span(b, &v[i]);
		if (t) {
			strbuf_puts(b, " expires ");
			strbuf_add(b, t + sizeof(kw) - 1,
				   v[i].n - (size_t)(t - v[i].p) - (sizeof(kw) - 1));
		}
		if (how == PUT_TIMEOUT_1S)
			strbuf_puts(b, " timeout 1s");
	}
	strbuf_puts(b, " }\n");
}

/* A new set or map with all its elements in one command.  0 or -ENOMEM. */
static int put_new_set(struct strbuf *b, const struct nft_script_set *s)
{
	strbuf_printf(b, "add %s %s ", s->map ? "map" : "set", table);
	put_span(b, &s->name);
	strbuf_puts(b, " { type ");
	put_span(b, &s->type);
	if (s->flags.n) {
		strbuf_puts(b, "; flags ");
		put_span(b, &s->flags);
	}
	strbuf_puts(b, "; }\n");
	put_elements(b, "add", s, s->el, s->nel, PUT_AS_IS);
	return 0;
}

/*
 * The element changes of a set the patch keeps (nft_script_diff_set()): deletes into del,
 * adds and updates into add.  A timed element that went away may have expired in the kernel
 * already, and a delete of a missing element would fail the whole transaction, so it is
 * first added with a 1 s timeout (an update when the kernel still holds it), then deleted.
 */
static int diff_elements(const struct nft_script *po, struct nft_script_set *o,
			 const struct nft_script *pn, struct nft_script_set *n, struct strbuf *del,
			 struct strbuf *add, size_t *count)
{
	struct nft_elem_diff d;
	int err = nft_script_diff_set(po, o, pn, n, &d);

	if (err)
		return err;
	put_elements(del, "add", n, d.gone, d.ngone, PUT_TIMEOUT_1S);
	put_elements(del, "delete", n, d.gone, d.ngone, PUT_AS_IS);
	put_elements(del, "delete", n, d.del, d.ndel, n->map ? PUT_KEY : PUT_AS_IS);
	put_elements(add, "add", n, d.add, d.nadd, PUT_EXPIRES);
	*count += d.ndel + d.ngone + d.nadd;
	nft_elem_diff_fini(&d);
	return 0;
}

static bool same_lines(const struct nft_script_chain *a, const struct nft_script_chain *b)
{
	if (a->nlines != b->nlines)
		return false;
	for (size_t i = 0; i < a->nlines; i++)
		if (!nft_span_eq(&a->lines[i], &b->lines[i]))
			return false;
	return true;
}

static void put_rules(struct strbuf *b, const struct nft_script_chain *c, size_t *rules)
{
	for (size_t i = c->base ? 1 : 0; i < c->nlines; i++) {
		strbuf_printf(b, "add rule %s ", table);
		put_span(b, &c->name);
		strbuf_putc(b, ' ');
		put_span(b, &c->lines[i]);
		strbuf_putc(b, '\n');
		(*rules)++;
	}
}

static void put_chain_cmd(struct strbuf *b, const char *verb, const struct nft_span *name)
{
	strbuf_printf(b, "%s chain %s ", verb, table);
	put_span(b, name);
	strbuf_putc(b, '\n');
}

/* The six sections of nft_patch.h, written in parallel and joined at the end. */
enum {
	SEC_NEW_SETS,
	SEC_NEW_CHAINS,
	SEC_DEL_ELEMS,
	SEC_ADD_ELEMS,
	SEC_RULES,
	SEC_DEL_CHAINS,
	SEC_DEL_SETS,
	NSEC
};

static int diff_sets(struct nft_script *po, struct nft_script *pn, struct strbuf *sec,
		     struct nft_patch_stats *st)
{
	struct index ix;
	int err = index_build(&ix, po->sets, po->nsets, set_name);

	for (size_t i = 0; !err && i < pn->nsets; i++) {
		struct nft_script_set *n = &pn->sets[i];
		uint32_t k = index_find(&ix, &n->name);
		struct nft_script_set *o = k == UINT32_MAX ? NULL : &po->sets[k];
		size_t before = st->elements;

		if (!o) {
			err = put_new_set(&sec[SEC_NEW_SETS], n);
			st->sets_added++;
			continue;
		}
		ix.kept[k] = true;
		if (o->map != n->map || !nft_span_eq(&o->flags, &n->flags) ||
		    !nft_span_eq(&o->type, &n->type)) {
			err = -EAGAIN;
			break;
		}
		err = diff_elements(po, o, pn, n, &sec[SEC_DEL_ELEMS], &sec[SEC_ADD_ELEMS],
				    &st->elements);
		st->sets_changed += st->elements != before;
	}
	for (size_t k = 0; !err && k < po->nsets; k++) {
		if (ix.kept[k])
			continue;
		strbuf_printf(&sec[SEC_DEL_SETS], "delete %s %s ", po->sets[k].map ? "map" : "set",
			      table);
		put_span(&sec[SEC_DEL_SETS], &po->sets[k].name);
		strbuf_putc(&sec[SEC_DEL_SETS], '\n');
		st->sets_removed++;
	}
	index_fini(&ix);
	return err;
}

static int diff_chains(struct nft_script *po, struct nft_script *pn, struct strbuf *sec,
		       struct nft_patch_stats *st)
{
	struct index ix;
	int err = index_build(&ix, po->chains, po->nchains, chain_name);

	for (size_t i = 0; !err && i < pn->nchains; i++) {
		const struct nft_script_chain *n = &pn->chains[i];
		uint32_t k = index_find(&ix, &n->name);
		const struct nft_script_chain *o = k == UINT32_MAX ? NULL : &po->chains[k];

		if (!o) {
			if (n->base) {
				err = -EAGAIN; /* a new hook: the whole table */
				break;
			}
			put_chain_cmd(&sec[SEC_NEW_CHAINS], "add", &n->name);
			put_rules(&sec[SEC_RULES], n, &st->rules);
			st->chains_added++;
			continue;
		}
		ix.kept[k] = true;
		if (same_lines(o, n))
			continue;
		if (o->base != n->base || (n->base && !nft_span_eq(&o->lines[0], &n->lines[0]))) {
			err = -EAGAIN;
			break;
		}
		put_chain_cmd(&sec[SEC_RULES], "flush", &n->name);
		put_rules(&sec[SEC_RULES], n, &st->rules);
		st->chains_changed++;
	}
	for (size_t k = 0; !err && k < po->nchains; k++) {
		if (ix.kept[k])
			continue;
		if (po->chains[k].base) {
			err = -EAGAIN;
			break;
		}
		put_chain_cmd(&sec[SEC_RULES], "flush", &po->chains[k].name);
		put_chain_cmd(&sec[SEC_DEL_CHAINS], "delete", &po->chains[k].name);
		st->chains_removed++;
	}
	index_fini(&ix);
	return err;
}

int nft_patch_compute(const char *old_script, const char *new_script, struct strbuf *out,
		      struct nft_patch_stats *st)
{
	struct nft_script po, pn;
	struct nft_patch_stats local;
	struct strbuf sec[NSEC];
	int err;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	err = nft_script_parse(old_script, &po);
	if (err)
		return err == -ENOMEM ? err : -EAGAIN;
	err = nft_script_parse(new_script, &pn);
	if (err) {
		nft_script_fini(&po);
		return err == -ENOMEM ? err : -EAGAIN;
	}
	for (int i = 0; i < NSEC; i++)
		strbuf_init(&sec[i]);
	err = diff_sets(&po, &pn, sec, st);
	if (!err)
		err = diff_chains(&po, &pn, sec, st);
	for (int i = 0; !err && i < NSEC; i++) {
		strbuf_add(out, sec[i].s ? sec[i].s : "", sec[i].len);
		if (sec[i].oom)
			err = -ENOMEM;
	}
	if (!err && out->oom)
		err = -ENOMEM;
	for (int i = 0; i < NSEC; i++)
		strbuf_fini(&sec[i]);
	nft_script_fini(&po);
	nft_script_fini(&pn);
	return err;
}
