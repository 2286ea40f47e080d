/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes label selectors: direct evaluation, and translation into Calico's selector
 * language (which is how Calico enforces a NetworkPolicy's podSelector and
 * namespaceSelector).  The two must agree on every label set; tests/unit/test_labelselector.c
 * checks that on random inputs.
 */
#include "lib/labelselector.h"

#include "lib/selector_lex.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <string.h>

static bool value_in(const struct label_requirement *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

/*
 * Borrows s and l.  An In without values never matches and a NotIn without values always
 * does (the API server rejects both; this is what "k in {}" means in Calico).
 */
bool labelselector_match(const struct label_selector *s, const struct labels *l)
{
	for (size_t i = 0; i < s->match_labels.n; i++) {
		const char *v = labels_get(l, s->match_labels.v[i].key);

		if (!v || strcmp(v, s->match_labels.v[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < s->nexprs; i++) {
		const struct label_requirement *r = &s->exprs[i];
		const char *v = labels_get(l, r->key);
		bool ok;

		switch (r->op) {
		case LSEL_IN:
			ok = v && value_in(r, v);
			break;
		case LSEL_NOT_IN:
			ok = !v || !value_in(r, v);
			break;
		case LSEL_EXISTS:
			ok = v != NULL;
			break;
		case LSEL_DOES_NOT_EXIST:
			ok = v == NULL;
			break;
		default:
			ok = false;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* A key the selector parser reads back as the same key, or -EINVAL. */
static int put_key(struct strbuf *b, const char *prefix, const char *key)
{
	size_t start = b->len;

	strbuf_puts(b, prefix);
	strbuf_puts(b, key);
	if (b->oom)
		return -ENOMEM;
	if (b->len == start || b->s[start] == '.' || b->s[start] == '/' || b->s[start] == '-')
		return -EINVAL;
	for (size_t i = start; i < b->len; i++)
		if (!sel_is_key_char((unsigned char)b->s[i]))
			return -EINVAL;
	return 0;
}

/* A Calico string literal: double quotes unless the value holds one.  -EINVAL if both. */
static int put_value(struct strbuf *b, const char *v)
{
	char q = strchr(v, '"') ? '\'' : '"';

	if (q == '\'' && strchr(v, '\''))
		return -EINVAL;
	strbuf_putc(b, q);
	strbuf_puts(b, v);
	strbuf_putc(b, q);
	return 0;
}

static int put_requirement(struct strbuf *b, const char *prefix, const struct label_requirement *r)
{
	int ret = 0;

	switch (r->op) {
	case LSEL_IN:
	case LSEL_NOT_IN:
		ret = put_key(b, prefix, r->key);
		strbuf_puts(b, r->op == LSEL_IN ? " in {" : " not in {");
		for (size_t i = 0; i < r->nvalues && !ret; i++) {
			if (i)
				strbuf_puts(b, ", ");
			ret = put_value(b, r->values[i]);
		}
		strbuf_putc(b, '}');
		return ret;
	case LSEL_EXISTS:
	case LSEL_DOES_NOT_EXIST:
		strbuf_puts(b, r->op == LSEL_EXISTS ? "has(" : "!has(");
		ret = put_key(b, prefix, r->key);
		strbuf_putc(b, ')');
		return ret;
	default:
		return -EINVAL;
	}
}

/*
 * Borrows s and key_prefix; the caller frees the result.  NULL with errno ENOMEM when memory
 * ran out, or EINVAL when a key is not a selector key or a value holds both quote kinds
 * (neither is a valid Kubernetes label; the validator reports them first).
 */
char *labelselector_to_calico(const struct label_selector *s, const char *key_prefix)
{
	const char *prefix = key_prefix ? key_prefix : "";
	struct strbuf b;
	size_t parts = 0;
	int ret = 0;

	strbuf_init(&b);
	for (size_t i = 0; i < s->match_labels.n && !ret; i++, parts++) {
		if (parts)
			strbuf_puts(&b, " && ");
		ret = put_key(&b, prefix, s->match_labels.v[i].key);
		strbuf_puts(&b, " == ");
		if (!ret)
			ret = put_value(&b, s->match_labels.v[i].value);
	}
	for (size_t i = 0; i < s->nexprs && !ret; i++, parts++) {
		if (parts)
			strbuf_puts(&b, " && ");
		ret = put_requirement(&b, prefix, &s->exprs[i]);
	}
	if (!ret && parts == 0)
		strbuf_puts(&b, "all()");
	if (!ret && b.oom)
		ret = -ENOMEM;
	if (ret) {
		strbuf_fini(&b);
		errno = -ret;
		return NULL;
	}
	return strbuf_steal(&b);
}
