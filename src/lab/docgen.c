/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Document trees built in code and printed as YAML: the lab's datastore writer.  The printer
 * only has to produce what lib/doc_yaml.c reads back as the same tree, so it uses two scalar
 * styles: plain for the few characters that can never need quoting, double quoted for the
 * rest.
 */
#include "lab/docgen.h"

#include "lib/arena.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct doc_node *node_new(struct arena *a, enum doc_type t)
{
	struct doc_node *n = arena_alloc(a, sizeof(*n));

	if (n)
		n->type = t;
	return n;
}

static struct doc_node *scalar(struct arena *a, const char *s, bool quoted)
{
	struct doc_node *n = node_new(a, DOC_SCALAR);

	if (!n)
		return NULL;
	n->str = arena_strdup(a, s ? s : "");
	if (!n->str)
		return NULL;
	n->len = strlen(n->str);
	n->quoted = quoted;
	return n;
}

struct doc_node *docgen_str(struct arena *a, const char *s)
{
	return scalar(a, s, true);
}

struct doc_node *docgen_plain(struct arena *a, const char *s)
{
	return scalar(a, s, false);
}

struct doc_node *docgen_int(struct arena *a, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return scalar(a, buf, false);
}

struct doc_node *docgen_map(struct arena *a)
{
	return node_new(a, DOC_MAP);
}

struct doc_node *docgen_seq(struct arena *a)
{
	return node_new(a, DOC_SEQ);
}

struct doc_node *docgen_map_copy(struct arena *a, const struct doc_node *map, bool empty_ok)
{
	struct doc_node *n;

	if (!map || map->type != DOC_MAP)
		return empty_ok ? docgen_map(a) : NULL;
	n = node_new(a, DOC_MAP);
	if (!n)
		return NULL;
	*n = *map;
	if (map->n) {
		n->pairs = arena_memdup(a, map->pairs, map->n * sizeof(*map->pairs));
		if (!n->pairs)
			return NULL;
	}
	return n;
}

int docgen_set(struct arena *a, struct doc_node *map, const char *key, const struct doc_node *value)
{
	struct doc_pair *pairs;
	struct doc_node *k;

	if (!map || map->type != DOC_MAP || !value)
		return -EINVAL;
	for (size_t i = 0; i < map->n; i++) {
		if (map->pairs[i].key->type == DOC_SCALAR && !strcmp(map->pairs[i].key->str, key)) {
			map->pairs[i].value = (struct doc_node *)value;
			return 0;
		}
	}
	/* Arena memory is not freed one by one: growing copies the array, which is fine for
	 * the handful of keys an object has. */
	pairs = arena_alloc(a, (map->n + 1) * sizeof(*pairs));
	k = docgen_str(a, key);
	if (!pairs || !k)
		return -ENOMEM;
	k->quoted = false;
	if (map->n)
		memcpy(pairs, map->pairs, map->n * sizeof(*pairs));
	pairs[map->n].key = k;
	pairs[map->n].value = (struct doc_node *)value;
	map->pairs = pairs;
	map->n++;
	return 0;
}

int docgen_set_str(struct arena *a, struct doc_node *map, const char *key, const char *s)
{
	struct doc_node *v = docgen_str(a, s);

	if (!v)
		return -ENOMEM;
	return docgen_set(a, map, key, v);
}

void docgen_del(struct doc_node *map, const char *key)
{
	if (!map || map->type != DOC_MAP)
		return;
	for (size_t i = 0; i < map->n; i++) {
		if (map->pairs[i].key->type == DOC_SCALAR && !strcmp(map->pairs[i].key->str, key)) {
			memmove(&map->pairs[i], &map->pairs[i + 1],
				(map->n - i - 1) * sizeof(*map->pairs));
			map->n--;
			return;
		}
	}
}

int docgen_append(struct arena *a, struct doc_node *seq, const struct doc_node *item)
{
	struct doc_node **items;

	if (!seq || seq->type != DOC_SEQ || !item)
		return -EINVAL;
	items = arena_alloc(a, (seq->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	if (seq->n)
		memcpy(items, seq->items, seq->n * sizeof(*items));
	items[seq->n++] = (struct doc_node *)item;
	seq->items = items;
	return 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '/' || c == '+' || c == '-';
}

/* A scalar that may be written plain: only safe characters, and not "-" alone (a sequence
 * entry).  Everything the core schema types as a number, boolean or null passes. */
static bool plain_ok(const struct doc_node *n)
{
	if (n->len == 0 || strlen(n->str) != n->len)
		return false;
	if (n->len == 1 && n->str[0] == '-')
		return false;
	for (size_t i = 0; i < n->len; i++)
		if (!plain_char(n->str[i]))
			return false;
	return true;
}

static void emit_quoted(struct strbuf *b, const char *s, size_t len)
{
	strbuf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			strbuf_puts(b, "\\\"");
			break;
		case '\\':
			strbuf_puts(b, "\\\\");
			break;
		case '\n':
			strbuf_puts(b, "\\n");
			break;
		case '\t':
			strbuf_puts(b, "\\t");
			break;
		case '\r':
			strbuf_puts(b, "\\r");
			break;
		case '\0':
			strbuf_puts(b, "\\0");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				strbuf_printf(b, "\\x%02x", c);
			else
				strbuf_putc(b, (char)c);
		}
	}
	strbuf_putc(b, '"');
}

static void emit_scalar(struct strbuf *b, const struct doc_node *n)
{
	if (n->tag) {
		strbuf_puts(b, "!<");
		strbuf_puts(b, n->tag);
		strbuf_puts(b, "> ");
	}
	if (!n->quoted && plain_ok(n))
		strbuf_add(b, n->str, n->len);
	else
		emit_quoted(b, n->str, n->len);
}

/* Keys are looked up by their text, so a key from JSON ("kind") is written plain when it is
 * a word: the quotes carried no meaning. */
static void emit_key(struct strbuf *b, const struct doc_node *k)
{
	char c = k->str ? k->str[0] : 0;

	if (!k->tag && plain_ok(k) && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
	    strcasecmp(k->str, "true") && strcasecmp(k->str, "false") && strcasecmp(k->str, "null"))
		strbuf_add(b, k->str, k->len);
	else
		emit_scalar(b, k);
}

static bool is_inline(const struct doc_node *n)
{
	return n->type == DOC_NULL || n->type == DOC_SCALAR || n->n == 0;
}

static void emit_inline(struct strbuf *b, const struct doc_node *n)
{
	switch (n->type) {
	case DOC_NULL:
		strbuf_puts(b, "null");
		break;
	case DOC_SCALAR:
		emit_scalar(b, n);
		break;
	case DOC_SEQ:
		strbuf_puts(b, "[]");
		break;
	case DOC_MAP:
		strbuf_puts(b, "{}");
		break;
	}
}

static void pad(struct strbuf *b, int indent)
{
	for (int i = 0; i < indent; i++)
		strbuf_putc(b, ' ');
}

static void emit_map(struct strbuf *b, const struct doc_node *n, int indent, bool first_inline);
static void emit_seq(struct strbuf *b, const struct doc_node *n, int indent);

/* After "key:" or "-": the rest of the line and the nested block. */
static void emit_value(struct strbuf *b, const struct doc_node *n, int indent)
{
	if (is_inline(n)) {
		strbuf_putc(b, ' ');
		emit_inline(b, n);
		strbuf_putc(b, '\n');
		return;
	}
	strbuf_putc(b, '\n');
	if (n->type == DOC_MAP)
		emit_map(b, n, indent + 2, false);
	else
		emit_seq(b, n, indent + 2);
}

static void emit_map(struct strbuf *b, const struct doc_node *n, int indent, bool first_inline)
{
	for (size_t i = 0; i < n->n; i++) {
		if (i > 0 || !first_inline)
			pad(b, indent);
		emit_key(b, n->pairs[i].key);
		strbuf_putc(b, ':');
		emit_value(b, n->pairs[i].value, indent);
	}
}

static void emit_seq(struct strbuf *b, const struct doc_node *n, int indent)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct doc_node *item = n->items[i];

		pad(b, indent);
		strbuf_putc(b, '-');
		if (!is_inline(item) && item->type == DOC_MAP) {
			strbuf_putc(b, ' ');
			emit_map(b, item, indent + 2, true);
		} else {
			emit_value(b, item, indent);
		}
	}
}

void docgen_emit(struct strbuf *b, const struct doc_node *n)
{
	if (is_inline(n)) {
		emit_inline(b, n);
		strbuf_putc(b, '\n');
	} else if (n->type == DOC_MAP) {
		emit_map(b, n, 0, false);
	} else {
		emit_seq(b, n, 0);
	}
}
