/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doc_parse(): bytes to document trees, in two passes.
 *
 * The first pass works on a private copy of the input.  It skips a UTF-8 byte order mark,
 * rewrites each U+00A0 of a line's leading run as one space (web pages turn indentation
 * into no-break spaces, and manifests get pasted from them), reports every other U+00A0,
 * and checks the encoding the way libyaml's reader does.  libyaml decodes its input in
 * 16 KB chunks, so an encoding error would otherwise make it drop documents that came
 * before the bad byte; finding the error first lets us hand libyaml only the lines before
 * it and report the error with its line and column.
 *
 * The second pass runs libyaml's event parser and builds the tree in the caller's arena
 * with an explicit stack of open collections (no recursion, so the depth limit is a check,
 * not a stack overflow).  Aliases share the anchored subtree; a copy of its root node
 * carries the alias's own position.  What an alias stands for is counted at its expanded
 * size, so the node limit bounds what a consumer walking the tree will visit.
 */
#include "lib/doc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/arena.h"
#include "lib/diag.h"

#define TAG_NULL "tag:yaml.org,2002:null"

/* Longest key text quoted in a duplicate-key message. */
#define KEY_SHOW_MAX 80

/* ---- first pass: byte order mark, U+00A0, encoding ---- */

struct doc_input {
	char *text;   /* malloc'd rewritten copy, NUL-terminated */
	size_t len;   /* bytes of text given to libyaml */
	int cut_line; /* > 0: text ends before this line, which holds an encoding error */
};

/*
 * Decodes one UTF-8 character as libyaml's reader does.  Returns its width and sets *cp,
 * or returns 0 and sets *problem to libyaml's wording of what is wrong.
 */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp, const char **problem)
{
	unsigned char c = s[0];
	size_t w;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		w = 2;
		v = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		w = 3;
		v = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		w = 4;
		v = c & 0x07;
	} else {
		*problem = "invalid leading UTF-8 octet";
		return 0;
	}
	if (w > avail) {
		*problem = "incomplete UTF-8 octet sequence";
		return 0;
	}
	for (size_t i = 1; i < w; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*problem = "invalid trailing UTF-8 octet";
			return 0;
		}
		v = v << 6 | (s[i] & 0x3F);
	}
	if ((w == 2 && v < 0x80) || (w == 3 && v < 0x800) || (w == 4 && v < 0x10000)) {
		*problem = "invalid length of a UTF-8 sequence";
		return 0;
	}
	if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) {
		*problem = "invalid Unicode character";
		return 0;
	}
	*cp = v;
	return w;
}

/* The characters YAML 1.1 lets a stream contain (libyaml's reader enforces the same set). */
static bool yaml_char_ok(uint32_t v)
{
	return v == 0x09 || v == 0x0A || v == 0x0D || (v >= 0x20 && v <= 0x7E) || v == 0x85 ||
	       (v >= 0xA0 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) ||
	       (v >= 0x10000 && v <= 0x10FFFF);
}

/* libyaml's line breaks: LF, CR, NEL, LS, PS (CR LF counts once; the caller handles it). */
static bool is_break(uint32_t cp)
{
	return cp == '\n' || cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

static void report_encoding(struct diag_list *diags, const char *file, int line, int col,
			    const unsigned char *s, size_t len, size_t at, const char *problem,
			    uint32_t cp)
{
	if (problem) {
		bool utf16 = at == 0 && len >= 2 &&
			     ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF));

		diag_error(diags, file, line, "YAML syntax error: %s (byte 0x%02X at column %d%s)",
			   problem, s[at], col,
			   utf16 ? "; the file looks like UTF-16, only UTF-8 is read" : "");
	} else {
		diag_error(diags, file, line,
			   "YAML syntax error: control characters are not allowed "
			   "(character U+%04X at column %d)",
			   (unsigned)cp, col);
	}
}

static int doc_prepass(const char *buf, size_t len, const char *file, struct diag_list *diags,
		       struct doc_input *in)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, o = 0, nbsp_lines = 0;
	int line = 1, first_nbsp = 0;
	char *t;

	in->cut_line = 0;
	if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	t = malloc(len + 1);
	if (!t)
		return -ENOMEM;
	while (i < len) {
		size_t line_out = o;
		bool nbsp = false;
		int col = 1;

		/* The leading run: spaces and no-break spaces, the latter written as spaces. */
		for (;;) {
			if (i < len && s[i] == ' ') {
				i++;
			} else if (i + 1 < len && s[i] == 0xC2 && s[i + 1] == 0xA0) {
				i += 2;
				nbsp = true;
			} else {
				break;
			}
			t[o++] = ' ';
			col++;
		}
		if (nbsp && nbsp_lines++ == 0)
			first_nbsp = line;
		/* The rest of the line, up to and including its line break. */
		while (i < len) {
			const char *problem = NULL;
			uint32_t cp = 0;
			size_t w = utf8_decode(s + i, len - i, &cp, &problem);

			if (problem || !yaml_char_ok(cp)) {
				report_encoding(diags, file, line, col, s, len, i, problem, cp);
				in->cut_line = line;
				o = line_out;
				goto out;
			}
			memcpy(t + o, s + i, w);
			o += w;
			i += w;
			if (is_break(cp)) {
				if (cp == '\r' && i < len && s[i] == '\n') {
					t[o++] = '\n';
					i++;
				}
				line++;
				break;
			}
			if (cp == 0xA0)
				diag_error(diags, file, line,
					   "U+00A0 (no-break space) inside a value at column %d; "
					   "replace it with a space",
					   col);
			col++;
		}
	}
out:
	if (nbsp_lines)
		diag_warn(diags, file, first_nbsp,
			  "indentation uses U+00A0 (no-break space) on %zu line%s; read as spaces",
			  nbsp_lines, nbsp_lines == 1 ? "" : "s");
	t[o] = '\0';
	in->text = t;
	in->len = o;
	return 0;
}

/* ---- second pass: libyaml events to the tree ---- */

/*
 * Anchors of the current document, by name.  An anchor on a collection is entered when the
 * collection opens, with node NULL until it closes: an alias that finds NULL refers to a
 * node that contains it, which would make the tree a cycle.  A name can be anchored again;
 * gen tells a closing collection whether the entry still describes its own anchor.
 */
struct doc_anchor {
	char *name; /* malloc'd; NULL marks a free slot */
	struct doc_node *node;
	size_t size; /* nodes in node's subtree, aliases expanded */
	unsigned long gen;
};

struct anchor_table {
	struct doc_anchor *v; /* open addressing, linear probing, cap a power of two */
	size_t cap, n;
	unsigned long gen;
};

/* An open collection.  The item buffers are reused by the next collection at this depth. */
struct doc_frame {
	struct doc_node *node;
	struct doc_node **items;
	size_t items_cap;
	struct doc_pair *pairs;
	size_t pairs_cap;
	size_t n;
	struct doc_node *key; /* maps: the key waiting for its value */
	bool have_key;
	bool drop; /* the pending key was refused: drop the pair */
	size_t size;
	const char *anchor; /* the anchor table's copy of the name, or NULL */
	unsigned long anchor_gen;
};

struct doc_builder {
	struct arena *a;
	const char *file;
	struct diag_list *diags;
	const struct doc_input *in;
	struct doc_frame frames[DOC_MAX_DEPTH];
	size_t depth;
	struct doc_node *root;
	size_t total; /* nodes of the whole stream, aliases expanded */
	struct anchor_table anchors;
	struct doc_node **docs; /* malloc'd, copied to the arena at the end */
	size_t ndocs, docs_cap;
	struct doc_node *pending; /* see doc_end() */
};

static size_t str_hash(const char *s)
{
	size_t h = 14695981039346656037u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static struct doc_anchor *anchor_slot(struct anchor_table *t, const char *name)
{
	size_t m = t->cap - 1, i = str_hash(name) & m;

	while (t->v[i].name && strcmp(t->v[i].name, name) != 0)
		i = (i + 1) & m;
	return &t->v[i];
}

static struct doc_anchor *anchor_find(struct anchor_table *t, const char *name)
{
	struct doc_anchor *e;

	if (!t->cap)
		return NULL;
	e = anchor_slot(t, name);
	return e->name ? e : NULL;
}

/* Enters (or re-enters) name with no node yet.  Returns the entry or NULL (ENOMEM). */
static struct doc_anchor *anchor_define(struct anchor_table *t, const char *name)
{
	struct doc_anchor *e;

	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct doc_anchor *old = t->v;
		size_t old_cap = t->cap;

		t->v = calloc(cap, sizeof(*t->v));
		if (!t->v) {
			t->v = old;
			return NULL;
		}
		t->cap = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].name)
				*anchor_slot(t, old[i].name) = old[i];
		free(old);
	}
	e = anchor_slot(t, name);
	if (!e->name) {
		e->name = strdup(name);
		if (!e->name)
			return NULL;
		t->n++;
	}
	e->node = NULL;
	e->size = 0;
	e->gen = ++t->gen;
	return e;
}

/* Forgets every anchor; the table shrinks back to nothing so resets stay cheap. */
static void anchor_reset(struct anchor_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->cap = 0;
	t->n = 0;
}

static int count_nodes(struct doc_builder *b, size_t size, const yaml_mark_t *m, bool alias)
{
	if (size > DOC_MAX_NODES - b->total) {
		if (alias)
			diag_error(b->diags, b->file, (int)m->line + 1,
				   "document too large after alias expansion");
		else
			diag_error(b->diags, b->file, (int)m->line + 1,
				   "document too large (more than %d nodes)", DOC_MAX_NODES);
		return -EINVAL;
	}
	b->total += size;
	return 0;
}

static struct doc_node *node_new(struct doc_builder *b, enum doc_type type, const yaml_mark_t *m)
{
	struct doc_node *n = arena_alloc(b->a, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static int set_tag(struct doc_builder *b, struct doc_node *n, const yaml_char_t *tag)
{
	if (!tag)
		return 0;
	n->tag = arena_strdup(b->a, (const char *)tag);
	return n->tag ? 0 : -ENOMEM;
}

static int push_item(struct doc_frame *f, struct doc_node *n)
{
	if (f->n == f->items_cap) {
		size_t cap = f->items_cap ? f->items_cap * 2 : 8;
		struct doc_node **v = realloc(f->items, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->items = v;
		f->items_cap = cap;
	}
	f->items[f->n++] = n;
	return 0;
}

static int push_pair(struct doc_frame *f, struct doc_node *k, struct doc_node *v)
{
	if (f->n == f->pairs_cap) {
		size_t cap = f->pairs_cap ? f->pairs_cap * 2 : 8;
		struct doc_pair *p = realloc(f->pairs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		f->pairs = p;
		f->pairs_cap = cap;
	}
	f->pairs[f->n].key = k;
	f->pairs[f->n].value = v;
	f->n++;
	return 0;
}

/* Hands a finished node (size: its expanded node count) to the open collection or the root. */
static int attach(struct doc_builder *b, struct doc_node *n, size_t size)
{
	struct doc_frame *f;

	if (!b->depth) {
		b->root = n;
		return 0;
	}
	f = &b->frames[b->depth - 1];
	f->size += size;
	if (f->node->type == DOC_SEQ)
		return push_item(f, n);
	if (!f->have_key) {
		f->have_key = true;
		f->drop = false;
		f->key = n;
		if (n->type == DOC_SEQ || n->type == DOC_MAP) {
			diag_error(b->diags, b->file, n->line, "a map key must be a scalar, not %s",
				   n->type == DOC_SEQ ? "a list" : "a map");
			f->drop = true;
		} else if (!n->quoted && !n->tag && n->len == 2 && memcmp(n->str, "<<", 2) == 0) {
			diag_error(b->diags, b->file, n->line, "merge keys (<<) are not supported");
			f->drop = true;
		} else if (n->type == DOC_NULL) {
			/*
			 * Keys are scalars: "null: x" has the key "null".  n is this key's own
			 * node (a new scalar or the copy an alias makes), so retyping is safe.
			 */
			n->type = DOC_SCALAR;
		}
		return 0;
	}
	f->have_key = false;
	if (f->drop)
		return 0;
	return push_pair(f, f->key, n);
}

static bool null_text(const char *s, size_t len)
{
	return len == 0 || (len == 1 && s[0] == '~') ||
	       (len == 4 &&
		(!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int on_scalar(struct doc_builder *b, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	enum doc_type type = DOC_SCALAR;
	struct doc_node *n;
	int err;

	/* A null in key position becomes a scalar again in attach(). */
	if (plain && (!tag || !strcmp(tag, TAG_NULL)) && null_text(text, len))
		type = DOC_NULL;
	err = count_nodes(b, 1, &ev->start_mark, false);
	if (err)
		return err;
	n = node_new(b, type, &ev->start_mark);
	if (!n)
		return -ENOMEM;
	n->str = arena_strndup(b->a, text ? text : "", text ? len : 0);
	if (!n->str)
		return -ENOMEM;
	n->len = text ? len : 0;
	n->quoted = !plain;
	err = set_tag(b, n, ev->data.scalar.tag);
	if (err)
		return err;
	if (ev->data.scalar.anchor) {
		struct doc_anchor *e =
			anchor_define(&b->anchors, (const char *)ev->data.scalar.anchor);

		if (!e)
			return -ENOMEM;
		e->node = n;
		e->size = 1;
	}
	return attach(b, n, 1);
}

static int on_alias(struct doc_builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct doc_anchor *e = anchor_find(&b->anchors, name);
	struct doc_node *n;
	int err;

	if (!e || !e->node) {
		if (!e)
			diag_error(b->diags, b->file, (int)ev->start_mark.line + 1,
				   "undefined alias *%s", name);
		else
			diag_error(b->diags, b->file, (int)ev->start_mark.line + 1,
				   "alias *%s refers to a node that contains it", name);
		/* Stand in a null so the rest of the document can still be checked. */
		err = count_nodes(b, 1, &ev->start_mark, false);
		if (err)
			return err;
		n = node_new(b, DOC_NULL, &ev->start_mark);
		if (!n)
			return -ENOMEM;
		n->str = "";
		return attach(b, n, 1);
	}
	err = count_nodes(b, e->size, &ev->start_mark, true);
	if (err)
		return err;
	n = arena_memdup(b->a, e->node, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	return attach(b, n, e->size);
}

static int on_collection_start(struct doc_builder *b, const yaml_event_t *ev, enum doc_type type)
{
	const yaml_char_t *anchor, *tag;
	struct doc_frame *f;
	struct doc_node *n;
	int err;

	if (type == DOC_SEQ) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (b->depth == DOC_MAX_DEPTH) {
		diag_error(b->diags, b->file, (int)ev->start_mark.line + 1,
			   "document nested deeper than %d levels", DOC_MAX_DEPTH);
		return -EINVAL;
	}
	err = count_nodes(b, 1, &ev->start_mark, false);
	if (err)
		return err;
	n = node_new(b, type, &ev->start_mark);
	if (!n)
		return -ENOMEM;
	err = set_tag(b, n, tag);
	if (err)
		return err;
	f = &b->frames[b->depth++];
	f->node = n;
	f->n = 0;
	f->key = NULL;
	f->have_key = false;
	f->drop = false;
	f->size = 1;
	f->anchor = NULL;
	if (anchor) {
		struct doc_anchor *e = anchor_define(&b->anchors, (const char *)anchor);

		if (!e)
			return -ENOMEM;
		f->anchor = e->name;
		f->anchor_gen = e->gen;
	}
	return 0;
}

struct key_ref {
	const char *s;
	size_t len;
	size_t idx;
};

static int key_ref_cmp(const void *pa, const void *pb)
{
	const struct key_ref *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);

	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool same_key(const struct doc_node *x, const struct doc_node *y)
{
	return x->len == y->len && memcmp(x->str, y->str, x->len) == 0;
}

/*
 * Reports every repeated key of the map being closed and keeps the first of each, in
 * document order.  Small maps compare pairwise; big ones sort references to the keys so
 * that a map of a hundred thousand keys costs n log n, not n squared.
 */
static int dedup_pairs(struct doc_builder *b, struct doc_frame *f)
{
	size_t n = f->n, kept = 0;
	size_t *first = NULL; /* for each pair, the index of its key's first occurrence */
	struct key_ref *refs = NULL;
	int err = 0;

	if (n < 2)
		return 0;
	first = malloc(n * sizeof(*first));
	if (!first)
		return -ENOMEM;
	if (n <= 16) {
		for (size_t j = 0; j < n; j++) {
			first[j] = j;
			for (size_t i = 0; i < j; i++) {
				if (first[i] == i && same_key(f->pairs[i].key, f->pairs[j].key)) {
					first[j] = i;
					break;
				}
			}
		}
	} else {
		refs = malloc(n * sizeof(*refs));
		if (!refs) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			refs[i].s = f->pairs[i].key->str;
			refs[i].len = f->pairs[i].key->len;
			refs[i].idx = i;
		}
		qsort(refs, n, sizeof(*refs), key_ref_cmp);
		for (size_t i = 0, head = 0; i < n; i++) {
			if (i > 0 && refs[i].len == refs[head].len &&
			    memcmp(refs[i].s, refs[head].s, refs[i].len) == 0) {
				first[refs[i].idx] = refs[head].idx;
			} else {
				head = i;
				first[refs[i].idx] = refs[i].idx;
			}
		}
	}
	for (size_t j = 0; j < n; j++) {
		const struct doc_node *k = f->pairs[j].key;

		if (first[j] != j) {
			int show = k->len > KEY_SHOW_MAX ? KEY_SHOW_MAX : (int)k->len;

			diag_error(b->diags, b->file, k->line,
				   "duplicate key \"%.*s%s\" (first at line %d)", show, k->str,
				   k->len > KEY_SHOW_MAX ? "..." : "",
				   f->pairs[first[j]].key->line);
			continue;
		}
		f->pairs[kept++] = f->pairs[j];
	}
	f->n = kept;
out:
	free(refs);
	free(first);
	return err;
}

static int on_collection_end(struct doc_builder *b)
{
	struct doc_frame *f = &b->frames[b->depth - 1];
	struct doc_node *n = f->node;
	int err;

	if (n->type == DOC_MAP) {
		err = dedup_pairs(b, f);
		if (err)
			return err;
		if (f->n) {
			n->pairs = arena_memdup(b->a, f->pairs, f->n * sizeof(*f->pairs));
			if (!n->pairs)
				return -ENOMEM;
		}
	} else if (f->n) {
		n->items = arena_memdup(b->a, f->items, f->n * sizeof(*f->items));
		if (!n->items)
			return -ENOMEM;
	}
	n->n = f->n;
	b->depth--;
	if (f->anchor) {
		struct doc_anchor *e = anchor_find(&b->anchors, f->anchor);

		if (e && e->gen == f->anchor_gen) {
			e->node = n;
			e->size = f->size;
		}
	}
	return attach(b, n, f->size);
}

static int commit_doc(struct doc_builder *b, struct doc_node *root)
{
	if (b->ndocs == b->docs_cap) {
		size_t cap = b->docs_cap ? b->docs_cap * 2 : 8;
		struct doc_node **v = realloc(b->docs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->docs = v;
		b->docs_cap = cap;
	}
	b->docs[b->ndocs++] = root;
	return 0;
}

/*
 * A document is kept unless it is empty (no content, or only comments).  When the input was
 * cut before an encoding error, a document that ended implicitly may have been cut short
 * too: it is held back until the next "---" proves that it was complete.
 */
static int doc_end(struct doc_builder *b, const yaml_event_t *ev)
{
	struct doc_node *r = b->root;

	b->root = NULL;
	if (!r || (r->type == DOC_NULL && r->len == 0 && !r->tag))
		return 0;
	if (b->in->cut_line && ev->data.document_end.implicit) {
		b->pending = r;
		return 0;
	}
	return commit_doc(b, r);
}

static int on_event(struct doc_builder *b, const yaml_event_t *ev)
{
	int err;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		anchor_reset(&b->anchors);
		b->root = NULL;
		if (b->pending) {
			err = commit_doc(b, b->pending);
			b->pending = NULL;
			return err;
		}
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return doc_end(b, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_collection_start(b, ev, DOC_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev, DOC_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return b->depth ? on_collection_end(b) : 0;
	default:
		return 0;
	}
}

/* Byte offset of the start of 0-based line in text, or SIZE_MAX past the end. */
static size_t line_start(const char *text, size_t len, size_t line)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (line > 0) {
		if (i >= len)
			return SIZE_MAX;
		if (s[i] == '\n') {
			i++;
		} else if (s[i] == '\r') {
			i += (i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
		} else if (i + 1 < len && s[i] == 0xC2 && s[i + 1] == 0x85) {
			i += 2;
		} else if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80 &&
			   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
			i += 3;
		} else {
			i++;
			continue;
		}
		line--;
	}
	return i;
}

/* Does the error mark sit on a tab that only blanks precede on its line? */
static bool tab_indent_at(const struct doc_input *in, const yaml_mark_t *m)
{
	size_t ls = line_start(in->text, in->len, m->line);

	if (ls == SIZE_MAX || m->column >= in->len - ls)
		return false;
	for (size_t k = 0; k < m->column; k++)
		if (in->text[ls + k] != ' ' && in->text[ls + k] != '\t')
			return false;
	return in->text[ls + m->column] == '\t';
}

static int line_of_offset(const struct doc_input *in, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off && i < in->len; i++) {
		unsigned char c = (unsigned char)in->text[i];

		if (c == '\n' || (c == '\r' && (i + 1 >= in->len || in->text[i + 1] != '\n')))
			line++;
	}
	return line;
}

static int report_syntax(struct doc_builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown problem";
	const char *hint = "";
	int line;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		/* The first pass checks the encoding, so this is a safety net only. */
		line = line_of_offset(b->in, p->problem_offset);
		if (b->in->cut_line && line >= b->in->cut_line)
			return 0;
		diag_error(b->diags, b->file, line, "YAML syntax error: %s (value 0x%X)", problem,
			   (unsigned)p->problem_value);
		return 0;
	}
	line = (int)p->problem_mark.line + 1;
	/* After a cut, errors from the cut onwards are artefacts of the cut. */
	if (b->in->cut_line && line >= b->in->cut_line)
		return 0;
	if (p->error == YAML_SCANNER_ERROR && !strstr(problem, "tab") &&
	    tab_indent_at(b->in, &p->problem_mark))
		hint = "; indent with spaces, YAML does not allow tabs for indentation";
	if (p->context)
		diag_error(b->diags, b->file, line, "YAML syntax error: %s (%s)%s", problem,
			   p->context, hint);
	else
		diag_error(b->diags, b->file, line, "YAML syntax error: %s%s", problem, hint);
	return 0;
}

static void builder_fini(struct doc_builder *b)
{
	for (size_t i = 0; i < DOC_MAX_DEPTH; i++) {
		free(b->frames[i].items);
		free(b->frames[i].pairs);
	}
	anchor_reset(&b->anchors);
	free(b->docs);
}

/*
 * See doc.h.  The trees, their strings and the *docs array belong to arena a; nothing else
 * is kept after the call.  diags receives copies of every message.
 */
int doc_parse(const char *buf, size_t len, const char *file, struct arena *a,
	      struct doc_node ***docs, size_t *ndocs, struct diag_list *diags)
{
	struct doc_input in = {0};
	struct doc_builder *b = NULL;
	yaml_parser_t parser;
	bool parser_ready = false;
	size_t errors0 = diags->errors;
	int err;

	*docs = NULL;
	*ndocs = 0;
	err = doc_prepass(buf, len, file, diags, &in);
	if (err)
		goto out;
	b = calloc(1, sizeof(*b));
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	b->a = a;
	b->file = file;
	b->diags = diags;
	b->in = &in;
	if (!yaml_parser_initialize(&parser)) {
		err = -ENOMEM;
		goto out;
	}
	parser_ready = true;
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)in.text, in.len);
	for (;;) {
		yaml_event_t ev;
		bool end;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = report_syntax(b, &parser);
			break;
		}
		err = on_event(b, &ev);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (err || end)
			break;
	}
	if (err == -EINVAL)
		err = 0; /* a limit was hit and reported: keep what came before */
	if (err)
		goto out;
	if (b->ndocs) {
		*docs = arena_memdup(a, b->docs, b->ndocs * sizeof(*b->docs));
		if (!*docs) {
			err = -ENOMEM;
			goto out;
		}
		*ndocs = b->ndocs;
	}
	if (diags->errors > errors0)
		err = -EINVAL;
out:
	if (parser_ready)
		yaml_parser_delete(&parser);
	if (b)
		builder_fini(b);
	free(b);
	free(in.text);
	return err;
}
