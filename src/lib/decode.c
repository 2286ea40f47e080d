/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decoding context and its typed getters: the part of the resource decoder that knows
 * how to turn one document node into one C value and how to say what is wrong with it.
 * Kind-specific files (resource_k8s.c, resource_calico.c, ...) only say which fields exist.
 */
#include "lib/decode.h"

#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/selector.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The context borrows a, diags and file for its whole life. */
void dec_init(struct dctx *d, struct arena *a, struct diag_list *diags, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->arena = a;
	d->diags = diags;
	d->file = file;
	strbuf_init(&d->path);
}

/* Releases the path buffer; the arena and diagnostics stay with their owners. */
void dec_fini(struct dctx *d)
{
	strbuf_fini(&d->path);
}

/* obj is copied (cut to the prefix buffer); NULL clears the prefix. */
void dec_begin_object(struct dctx *d, const char *obj)
{
	snprintf(d->obj, sizeof(d->obj), "%s", obj ? obj : "");
	strbuf_reset(&d->path);
	d->errors = 0;
	d->oom = false;
}

static const char *path_str(const struct dctx *d)
{
	return d->path.s && !d->path.oom ? d->path.s : "";
}

/* A key prints bare after a dot when it is short and plain, else as ["..."]. */
static bool key_is_plain(const char *k)
{
	size_t n = 0;

	for (; k[n]; n++) {
		unsigned char c = (unsigned char)k[n];

		if (!isalnum(c) && c != '_' && c != '-')
			return false;
		if (n >= DEC_QUOTE_MAX)
			return false;
	}
	return n > 0;
}

/* Returns the mark to hand back to dec_pop(). */
size_t dec_push_key(struct dctx *d, const char *key)
{
	size_t mark = d->path.len;

	if (key_is_plain(key)) {
		if (d->path.len)
			strbuf_putc(&d->path, '.');
		strbuf_puts(&d->path, key);
	} else {
		strbuf_putc(&d->path, '[');
		strbuf_puts(&d->path, dec_quote(d, key));
		strbuf_putc(&d->path, ']');
	}
	return mark;
}

/* Returns the mark to hand back to dec_pop(). */
size_t dec_push_index(struct dctx *d, size_t i)
{
	size_t mark = d->path.len;

	strbuf_printf(&d->path, "[%zu]", i);
	return mark;
}

/* Returns the mark to hand back to dec_pop(). */
size_t dec_push_raw(struct dctx *d, const char *text)
{
	size_t mark = d->path.len;

	if (d->path.len)
		strbuf_putc(&d->path, '.');
	strbuf_puts(&d->path, text);
	return mark;
}

/* Truncates the path back to mark. */
void dec_pop(struct dctx *d, size_t mark)
{
	if (d->path.oom || mark > d->path.len)
		return;
	d->path.len = mark;
	if (d->path.s)
		d->path.s[mark] = '\0';
}

__attribute__((format(printf, 4, 0))) static void
dec_vreport(struct dctx *d, enum diag_severity sev, int line, const char *fmt, va_list ap)
{
	const char *p = path_str(d);
	char *msg = NULL;

	if (sev == DIAG_ERROR)
		d->errors++;
	if (vasprintf(&msg, fmt, ap) < 0) {
		d->oom = true;
		return;
	}
	if (d->obj[0] && p[0])
		diag_add(d->diags, sev, d->file, line, "%s: %s: %s", d->obj, p, msg);
	else if (d->obj[0])
		diag_add(d->diags, sev, d->file, line, "%s: %s", d->obj, msg);
	else if (p[0])
		diag_add(d->diags, sev, d->file, line, "%s: %s", p, msg);
	else
		diag_add(d->diags, sev, d->file, line, "%s", msg);
	free(msg);
}

/* Reports an error at the line of at (line 0 when at is NULL). */
void dec_error(struct dctx *d, const struct doc_node *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dec_vreport(d, DIAG_ERROR, at ? at->line : 0, fmt, ap);
	va_end(ap);
}

/* Reports a warning at the line of at (line 0 when at is NULL). */
void dec_warn(struct dctx *d, const struct doc_node *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dec_vreport(d, DIAG_WARNING, at ? at->line : 0, fmt, ap);
	va_end(ap);
}

/* Reports an error at line. */
void dec_error_line(struct dctx *d, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dec_vreport(d, DIAG_ERROR, line, fmt, ap);
	va_end(ap);
}

/* Reports a warning at line. */
void dec_warn_line(struct dctx *d, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dec_vreport(d, DIAG_WARNING, line, fmt, ap);
	va_end(ap);
}

/* The result is in a buffer of d, valid until DEC_QUOTE_BUFS more calls. */
const char *dec_quote(struct dctx *d, const char *s)
{
	char *buf = d->qbuf[d->qi++ % DEC_QUOTE_BUFS];
	size_t len = strlen(s), cut = len, o = 0;

	if (len > DEC_QUOTE_MAX) {
		cut = DEC_QUOTE_MAX;
		/* Do not split a UTF-8 sequence. */
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c == 0xc2 && i + 1 < cut && (unsigned char)s[i + 1] == 0xa0) {
			/* U+00A0 looks like a space but is not one: show it. */
			o += (size_t)sprintf(buf + o, "\\u00a0");
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	if (cut < len)
		snprintf(buf + o, sizeof(d->qbuf[0]) - o, "... (%zu bytes)", len);
	return buf;
}

/* Copies s into d's arena; NULL (and d->oom) when memory ran out. */
const char *dec_strdup(struct dctx *d, const char *s)
{
	char *c = arena_strdup(d->arena, s);

	if (!c)
		d->oom = true;
	return c;
}

/* A zeroed arena array; NULL for n == 0 or when memory ran out (then d->oom). */
void *dec_array(struct dctx *d, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	if (size && n > SIZE_MAX / size) {
		d->oom = true;
		return NULL;
	}
	p = arena_alloc(d->arena, n * size);
	if (!p)
		d->oom = true;
	return p;
}

/* ---- node level ---------------------------------------------------------------------------- */

static bool is_string_scalar(const struct doc_node *n)
{
	return n->type == DOC_SCALAR && strcmp(doc_type_name(n), "a string") == 0;
}

static bool is_number_scalar(const struct doc_node *n)
{
	return n->type == DOC_SCALAR && strcmp(doc_type_name(n), "a number") == 0;
}

static const char *type_wanted(enum doc_type t)
{
	switch (t) {
	case DOC_MAP:
		return "a map";
	case DOC_SEQ:
		return "a list";
	case DOC_SCALAR:
		return "a string";
	default:
		return "null";
	}
}

/* Borrows n. */
bool dec_node_is(struct dctx *d, const struct doc_node *n, enum doc_type t)
{
	if (n->type == t && (t != DOC_SCALAR || is_string_scalar(n)))
		return true;
	dec_error(d, n, "expected %s, found %s", type_wanted(t), doc_type_name(n));
	return false;
}

/* *out is an arena copy. */
int dec_node_str(struct dctx *d, const struct doc_node *n, const char **out)
{
	const char *s;

	if (!is_string_scalar(n)) {
		dec_error(d, n, "expected a string, found %s", doc_type_name(n));
		return DEC_BAD;
	}
	if (strlen(n->str) != n->len) {
		dec_error(d, n, "must not contain a NUL character");
		return DEC_BAD;
	}
	s = dec_strdup(d, n->str);
	if (!s)
		return DEC_BAD;
	*out = s;
	return DEC_OK;
}

/* Borrows n. */
int dec_node_int(struct dctx *d, const struct doc_node *n, long long lo, long long hi,
		 long long *out)
{
	long long v;
	int err;

	if (!is_number_scalar(n)) {
		dec_error(d, n, "expected an integer, found %s", doc_type_name(n));
		return DEC_BAD;
	}
	err = doc_to_int(n, &v);
	if (err == -ERANGE) {
		dec_error(d, n, "%s is not between %lld and %lld", dec_quote(d, n->str), lo, hi);
		return DEC_BAD;
	}
	if (err) {
		dec_error(d, n, "expected an integer, found %s", dec_quote(d, n->str));
		return DEC_BAD;
	}
	if (v < lo || v > hi) {
		dec_error(d, n, "%lld is not between %lld and %lld", v, lo, hi);
		return DEC_BAD;
	}
	*out = v;
	return DEC_OK;
}

/* Borrows n. */
int dec_node_double(struct dctx *d, const struct doc_node *n, double *out)
{
	double v;

	if (!is_number_scalar(n)) {
		dec_error(d, n, "expected a number, found %s", doc_type_name(n));
		return DEC_BAD;
	}
	if (doc_to_double(n, &v) || !isfinite(v)) {
		dec_error(d, n, "%s is not a finite number", dec_quote(d, n->str));
		return DEC_BAD;
	}
	*out = v;
	return DEC_OK;
}

/* Borrows n. */
int dec_node_bool(struct dctx *d, const struct doc_node *n, bool *out)
{
	bool v;

	if (n->type != DOC_SCALAR || strcmp(doc_type_name(n), "a boolean") != 0 ||
	    doc_to_bool(n, &v)) {
		dec_error(d, n, "expected a boolean (true or false), found %s", doc_type_name(n));
		return DEC_BAD;
	}
	*out = v;
	return DEC_OK;
}

static void join_values(char *buf, size_t size, const char *const *values)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; values[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", values[i]);
}

/* Borrows n and values. */
int dec_node_enum(struct dctx *d, const struct doc_node *n, const char *const *values, int *out)
{
	char list[256];

	if (!is_string_scalar(n)) {
		dec_error(d, n, "expected a string, found %s", doc_type_name(n));
		return DEC_BAD;
	}
	for (int i = 0; values[i]; i++) {
		if (strcmp(n->str, values[i]) == 0) {
			*out = i;
			return DEC_OK;
		}
	}
	join_values(list, sizeof(list), values);
	for (int i = 0; values[i]; i++) {
		if (strcasecmp(n->str, values[i]) == 0) {
			dec_error(d, n, "%s is not one of %s (did you mean \"%s\"?)",
				  dec_quote(d, n->str), list, values[i]);
			return DEC_BAD;
		}
	}
	dec_error(d, n, "%s is not one of %s", dec_quote(d, n->str), list);
	return DEC_BAD;
}

/* ---- field level --------------------------------------------------------------------------- */

/* Borrows map; the result points into it. */
const struct doc_node *dec_get(const struct doc_node *map, const char *key)
{
	const struct doc_node *v;

	if (!map || map->type != DOC_MAP)
		return NULL;
	v = doc_get(map, key);
	if (!v || v->type == DOC_NULL)
		return NULL;
	return v;
}

/* Levenshtein distance over lower-cased bytes, two rows, stopping early past cap. */
size_t dec_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65], prev[65];

	if ((la > lb ? la - lb : lb - la) > cap || lb > 64 || la > 64)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t best;

		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = row[j - 1] + 1;

			row[j] = sub < del ? sub : del;
			if (ins < row[j])
				row[j] = ins;
			if (row[j] < best)
				best = row[j];
		}
		if (best > cap)
			return cap + 1;
		memcpy(prev, row, (lb + 1) * sizeof(row[0]));
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

static const char *suggest(const char *key, const char *const *known)
{
	size_t len = strlen(key), cap = len < 5 ? 1 : 2, best = cap + 1;
	const char *hit = NULL;

	for (size_t i = 0; known[i]; i++) {
		size_t dist = dec_edit_distance(key, known[i], cap);

		if (dist < best) {
			best = dist;
			hit = known[i];
		}
	}
	return hit;
}

/* Borrows map and known. */
void dec_check_keys(struct dctx *d, const struct doc_node *map, const char *const *known)
{
	if (!map || map->type != DOC_MAP)
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct doc_node *k = map->pairs[i].key;
		const char *hit;
		bool found = false;
		size_t mark;

		for (size_t j = 0; known[j] && !found; j++)
			found = strcmp(k->str, known[j]) == 0;
		if (found)
			continue;
		hit = suggest(k->str, known);
		mark = dec_push_key(d, k->str);
		if (hit)
			dec_error(d, k, "unknown field (did you mean \"%s\"?)", hit);
		else
			dec_error(d, k, "unknown field");
		dec_pop(d, mark);
	}
}

/* Borrows map. */
void dec_required(struct dctx *d, const struct doc_node *map, const char *key, int at_line)
{
	size_t mark = dec_push_key(d, key);

	dec_error_line(d, map ? map->line : at_line, "required");
	dec_pop(d, mark);
}

/* *out is an arena copy. */
int dec_str(struct dctx *d, const struct doc_node *map, const char *key, const char **out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_str(d, v, out);
	dec_pop(d, mark);
	return rc;
}

/* Borrows map. */
int dec_int(struct dctx *d, const struct doc_node *map, const char *key, long long lo, long long hi,
	    long long *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_int(d, v, lo, hi, out);
	dec_pop(d, mark);
	return rc;
}

/* Borrows map. */
int dec_double(struct dctx *d, const struct doc_node *map, const char *key, double *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_double(d, v, out);
	dec_pop(d, mark);
	return rc;
}

/* Borrows map. */
int dec_bool(struct dctx *d, const struct doc_node *map, const char *key, bool *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_bool(d, v, out);
	dec_pop(d, mark);
	return rc;
}

/* Borrows map and values. */
int dec_enum(struct dctx *d, const struct doc_node *map, const char *key, const char *const *values,
	     int *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_enum(d, v, values, out);
	dec_pop(d, mark);
	return rc;
}

static const struct doc_node *dec_typed(struct dctx *d, const struct doc_node *map, const char *key,
					enum doc_type t)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	bool ok;

	if (!v)
		return NULL;
	mark = dec_push_key(d, key);
	ok = dec_node_is(d, v, t);
	dec_pop(d, mark);
	return ok ? v : NULL;
}

/* The result points into map. */
const struct doc_node *dec_map(struct dctx *d, const struct doc_node *map, const char *key)
{
	return dec_typed(d, map, key, DOC_MAP);
}

/* The result points into map. */
const struct doc_node *dec_seq(struct dctx *d, const struct doc_node *map, const char *key)
{
	return dec_typed(d, map, key, DOC_SEQ);
}

/* *out is an arena array of arena strings. */
int dec_str_list(struct dctx *d, const struct doc_node *map, const char *key, const char ***out,
		 size_t *n)
{
	const struct doc_node *v = dec_get(map, key);
	const char **a;
	size_t mark, k = 0;
	int rc = DEC_OK;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (!dec_node_is(d, v, DOC_SEQ)) {
		dec_pop(d, mark);
		return DEC_BAD;
	}
	a = dec_array(d, v->n, sizeof(*a));
	for (size_t i = 0; i < v->n; i++) {
		size_t m2 = dec_push_index(d, i);
		const char *s;

		if (dec_node_str(d, v->items[i], &s) == DEC_OK && a)
			a[k++] = s;
		else
			rc = DEC_BAD;
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
	if (rc == DEC_OK) {
		*out = a;
		*n = k;
	}
	return rc;
}

/* Total size Kubernetes allows for the annotations of one object. */
#define ANNOTATIONS_MAX (256 * 1024)

/* out->v is an arena array. */
int dec_labels(struct dctx *d, const struct doc_node *map, const char *key,
	       enum dec_labels_kind kind, struct labels *out)
{
	const struct doc_node *v = dec_get(map, key);
	const char *what = kind == DEC_LABELS ? "label" : "annotation";
	struct label *pairs;
	size_t mark, k = 0, total = 0;
	int rc = DEC_OK;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (!dec_node_is(d, v, DOC_MAP)) {
		dec_pop(d, mark);
		return DEC_BAD;
	}
	pairs = dec_array(d, v->n, sizeof(*pairs));
	for (size_t i = 0; i < v->n; i++) {
		const struct doc_node *kn = v->pairs[i].key, *vn = v->pairs[i].value;
		const char *why, *val = NULL;
		char *lower = NULL;
		size_t m2;

		if (kind == DEC_ANNOTATIONS) {
			/* Kubernetes checks annotation keys in lower case. */
			lower = strdup(kn->str);
			for (char *p = lower; p && *p; p++)
				*p = (char)tolower((unsigned char)*p);
			why = lower ? dec_qualified_name_err(lower) : NULL;
			free(lower);
		} else {
			why = dec_qualified_name_err(kn->str);
		}
		if (why) {
			dec_error(d, kn, "%s is not a valid %s key: %s", dec_quote(d, kn->str),
				  what, why);
			rc = DEC_BAD;
		}
		m2 = dec_push_key(d, kn->str);
		if (vn->type == DOC_SCALAR && !is_string_scalar(vn)) {
			dec_error(d, vn, "expected a string, found %s (quote it: \"%s\")",
				  doc_type_name(vn), vn->len <= DEC_QUOTE_MAX ? vn->str : "...");
			rc = DEC_BAD;
		} else if (vn->type == DOC_NULL) {
			/* An empty label value is written `k: ""`; a bare `k:` is null. */
			dec_error(d, vn,
				  "expected a string, found null (write \"\" for an empty value)");
			rc = DEC_BAD;
		} else if (dec_node_str(d, vn, &val) != DEC_OK) {
			rc = DEC_BAD;
		} else if (kind == DEC_LABELS && (why = dec_label_value_err(val))) {
			dec_error(d, vn, "%s is not a valid label value: %s", dec_quote(d, val),
				  why);
			rc = DEC_BAD;
		}
		dec_pop(d, m2);
		if (val)
			total += strlen(kn->str) + strlen(val);
		if (val && pairs) {
			pairs[k].key = dec_strdup(d, kn->str);
			pairs[k].value = val;
			k++;
		}
	}
	if (kind == DEC_ANNOTATIONS && total > ANNOTATIONS_MAX) {
		dec_error(d, v, "total size %zu bytes is more than the %d bytes allowed", total,
			  ANNOTATIONS_MAX);
		rc = DEC_BAD;
	}
	dec_pop(d, mark);
	if (rc != DEC_OK)
		return rc;
	if (labels_build(d->arena, pairs, k, out)) {
		d->oom = true;
		return DEC_BAD;
	}
	return DEC_OK;
}

static const char *const lsel_keys[] = {"matchLabels", "matchExpressions", NULL};
static const char *const lsel_req_keys[] = {"key", "operator", "values", NULL};
static const char *const lsel_ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};

static int dec_label_requirement(struct dctx *d, const struct doc_node *n,
				 struct label_requirement *r)
{
	const struct doc_node *vals;
	size_t errors = d->errors;
	const char *why;
	int op = -1;

	if (!dec_node_is(d, n, DOC_MAP))
		return DEC_BAD;
	dec_check_keys(d, n, lsel_req_keys);
	if (dec_str(d, n, "key", &r->key) == DEC_ABSENT) {
		dec_required(d, n, "key", 0);
	} else if (r->key && (why = dec_qualified_name_err(r->key))) {
		size_t mark = dec_push_key(d, "key");

		dec_error(d, dec_get(n, "key"), "%s is not a valid label key: %s",
			  dec_quote(d, r->key), why);
		dec_pop(d, mark);
	}
	if (dec_enum(d, n, "operator", lsel_ops, &op) == DEC_ABSENT)
		dec_required(d, n, "operator", 0);
	if (op >= 0)
		r->op = (enum lsel_op)op;
	vals = dec_get(n, "values");
	if (dec_str_list(d, n, "values", &r->values, &r->nvalues) == DEC_OK) {
		size_t mark = dec_push_key(d, "values");

		for (size_t i = 0; i < r->nvalues; i++) {
			if ((why = dec_label_value_err(r->values[i]))) {
				size_t m2 = dec_push_index(d, i);

				dec_error(d, vals->items[i], "%s is not a valid label value: %s",
					  dec_quote(d, r->values[i]), why);
				dec_pop(d, m2);
			}
		}
		dec_pop(d, mark);
	}
	if ((op == LSEL_IN || op == LSEL_NOT_IN) && r->nvalues == 0) {
		size_t mark = dec_push_key(d, "values");

		dec_error(d, vals ? vals : n, "must be specified when operator is %s",
			  lsel_ops[op]);
		dec_pop(d, mark);
	} else if ((op == LSEL_EXISTS || op == LSEL_DOES_NOT_EXIST) && vals && vals->n) {
		size_t mark = dec_push_key(d, "values");

		dec_error(d, vals, "may not be specified when operator is %s", lsel_ops[op]);
		dec_pop(d, mark);
	}
	return d->errors == errors ? DEC_OK : DEC_BAD;
}

/* out's arrays live in the arena. */
int dec_label_selector(struct dctx *d, const struct doc_node *map, const char *key,
		       struct label_selector *out)
{
	const struct doc_node *v = dec_get(map, key), *exprs;
	size_t mark, errors = d->errors;

	memset(out, 0, sizeof(*out));
	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (!dec_node_is(d, v, DOC_MAP)) {
		dec_pop(d, mark);
		return DEC_BAD;
	}
	out->present = true;
	dec_check_keys(d, v, lsel_keys);
	dec_labels(d, v, "matchLabels", DEC_LABELS, &out->match_labels);
	exprs = dec_seq(d, v, "matchExpressions");
	if (exprs) {
		size_t m2 = dec_push_key(d, "matchExpressions");

		out->exprs = dec_array(d, exprs->n, sizeof(*out->exprs));
		for (size_t i = 0; i < exprs->n && out->exprs; i++) {
			size_t m3 = dec_push_index(d, i);

			dec_label_requirement(d, exprs->items[i], &out->exprs[i]);
			dec_pop(d, m3);
		}
		if (out->exprs)
			out->nexprs = exprs->n;
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
	return d->errors == errors ? DEC_OK : DEC_BAD;
}

/* Borrows n. */
int dec_node_cidr(struct dctx *d, const struct doc_node *n, struct cidr *out)
{
	char canon[CIDR_STRLEN];
	const char *s;
	bool host_bits = false;

	if (dec_node_str(d, n, &s) != DEC_OK)
		return DEC_BAD;
	if (cidr_parse(s, out, &host_bits)) {
		dec_error(d, n, "%s is not a valid CIDR", dec_quote(d, s));
		return DEC_BAD;
	}
	if (host_bits) {
		cidr_format(out, canon, sizeof(canon));
		dec_warn(d, n, "%s has host bits set; read as %s", s, canon);
	}
	return DEC_OK;
}

/* Borrows map. */
int dec_cidr(struct dctx *d, const struct doc_node *map, const char *key, struct cidr *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_cidr(d, v, out);
	dec_pop(d, mark);
	return rc;
}

/* *out is an arena array. */
int dec_cidr_list(struct dctx *d, const struct doc_node *map, const char *key, struct cidr **out,
		  size_t *n)
{
	const struct doc_node *v = dec_get(map, key);
	struct cidr *a;
	size_t mark, k = 0;
	int rc = DEC_OK;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (!dec_node_is(d, v, DOC_SEQ)) {
		dec_pop(d, mark);
		return DEC_BAD;
	}
	a = dec_array(d, v->n, sizeof(*a));
	for (size_t i = 0; i < v->n; i++) {
		size_t m2 = dec_push_index(d, i);
		struct cidr c;

		if (dec_node_cidr(d, v->items[i], &c) == DEC_OK && a)
			a[k++] = c;
		else
			rc = DEC_BAD;
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
	if (rc == DEC_OK) {
		*out = a;
		*n = k;
	}
	return rc;
}

/* Borrows n. */
int dec_node_ip(struct dctx *d, const struct doc_node *n, struct ipaddr *out)
{
	const char *s;

	if (dec_node_str(d, n, &s) != DEC_OK)
		return DEC_BAD;
	if (ipaddr_parse(s, out)) {
		dec_error(d, n, "%s is not a valid IP address", dec_quote(d, s));
		return DEC_BAD;
	}
	return DEC_OK;
}

/* Borrows map. */
int dec_ip(struct dctx *d, const struct doc_node *map, const char *key, struct ipaddr *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	rc = dec_node_ip(d, v, out);
	dec_pop(d, mark);
	return rc;
}

/* *out is an arena copy of the selector text, as written. */
int dec_selector(struct dctx *d, const struct doc_node *map, const char *key, const char **out)
{
	const struct doc_node *v = dec_get(map, key);
	struct selector *sel;
	const char *s;
	char *err = NULL;
	size_t mark;
	int rc = DEC_OK;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (dec_node_str(d, v, &s) != DEC_OK) {
		rc = DEC_BAD;
		goto out;
	}
	sel = selector_parse(s, &err);
	if (!sel) {
		dec_error(d, v, "invalid selector %s: %s", dec_quote(d, s),
			  err ? err : "out of memory");
		free(err);
		rc = DEC_BAD;
		goto out;
	}
	selector_free(sel);
	*out = s;
out:
	dec_pop(d, mark);
	return rc;
}

static const char *const k8s_protos[] = {"TCP", "UDP", "SCTP", NULL};
static const uint8_t k8s_proto_nums[] = {PROTO_TCP, PROTO_UDP, PROTO_SCTP};

/* Borrows map. */
int dec_k8s_proto(struct dctx *d, const struct doc_node *map, const char *key, uint8_t *out)
{
	int i = -1;
	int rc = dec_enum(d, map, key, k8s_protos, &i);

	if (rc == DEC_OK)
		*out = k8s_proto_nums[i];
	return rc;
}

static const char *const calico_protos[] = {"TCP",  "UDP",     "ICMP", "ICMPv6",
					    "SCTP", "UDPLite", NULL};

/* Borrows map. */
int dec_calico_proto(struct dctx *d, const struct doc_node *map, const char *key, uint8_t *out)
{
	const struct doc_node *v = dec_get(map, key);
	size_t mark;
	int rc = DEC_BAD;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (is_number_scalar(v)) {
		long long n;

		if (dec_node_int(d, v, 1, 255, &n) == DEC_OK) {
			*out = (uint8_t)n;
			rc = DEC_OK;
		}
	} else if (!is_string_scalar(v)) {
		dec_error(d, v, "expected a protocol name or number, found %s", doc_type_name(v));
	} else if (proto_parse(v->str, out) == 0) {
		rc = DEC_OK;
	} else {
		const char *hint = NULL;

		for (size_t i = 0; calico_protos[i]; i++)
			if (strcasecmp(v->str, calico_protos[i]) == 0)
				hint = calico_protos[i];
		if (hint)
			dec_error(
				d, v,
				"%s is not a protocol: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255 (did you mean \"%s\"?)",
				dec_quote(d, v->str), hint);
		else
			dec_error(
				d, v,
				"%s is not a protocol: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255",
				dec_quote(d, v->str));
	}
	dec_pop(d, mark);
	return rc;
}

/* ---- durations ----------------------------------------------------------------------------- */

struct dur_unit {
	const char *name;
	int64_t ns;
};

static const struct dur_unit dur_units[] = {
	{"ns", 1LL},
	{"us", 1000LL},
	{"\xc2\xb5s", 1000LL}, /* U+00B5 micro sign */
	{"\xce\xbcs", 1000LL}, /* U+03BC Greek mu */
	{"ms", 1000000LL},
	{"s", 1000000000LL},
	{"m", 60LL * 1000000000LL},
	{"h", 3600LL * 1000000000LL},
};

/* Go's time.ParseDuration grammar: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0". */
int dec_parse_duration(const char *s, int64_t *ns)
{
	const char *p = s;
	bool neg = false;
	uint64_t total = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		uint64_t v = 0;
		double frac = 0, scale = 1;
		bool digits = false;
		const struct dur_unit *u = NULL;
		size_t ulen = 0;
		uint64_t add;

		if (!(isdigit((unsigned char)*p) || *p == '.'))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (v > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*p - '0');
			digits = true;
		}
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++) {
				if (scale < 1e18) {
					frac = frac * 10 + (*p - '0');
					scale *= 10;
				}
				digits = true;
			}
		}
		if (!digits)
			return -EINVAL;
		while (p[ulen] && !isdigit((unsigned char)p[ulen]) && p[ulen] != '.')
			ulen++;
		for (size_t i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]); i++)
			if (strlen(dur_units[i].name) == ulen &&
			    memcmp(p, dur_units[i].name, ulen) == 0)
				u = &dur_units[i];
		if (!u)
			return -EINVAL;
		p += ulen;
		if (v > (uint64_t)INT64_MAX / (uint64_t)u->ns)
			return -ERANGE;
		add = v * (uint64_t)u->ns;
		if (frac > 0)
			add += (uint64_t)(frac * ((double)u->ns / scale));
		total += add;
		if (total > (uint64_t)INT64_MAX)
			return -ERANGE;
	}
	*ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

/* Borrows map; *secs is whole seconds (rounded down). */
int dec_duration(struct dctx *d, const struct doc_node *map, const char *key, int64_t *secs)
{
	const struct doc_node *v = dec_get(map, key);
	int64_t ns;
	size_t mark;
	int rc = DEC_BAD;

	if (!v)
		return DEC_ABSENT;
	mark = dec_push_key(d, key);
	if (!is_string_scalar(v)) {
		dec_error(d, v, "expected a duration such as \"24h\" or \"5m\", found %s",
			  doc_type_name(v));
	} else if (dec_parse_duration(v->str, &ns)) {
		dec_error(d, v, "%s is not a duration (write it like \"24h\", \"5m\" or \"1h30m\")",
			  dec_quote(d, v->str));
	} else {
		*secs = ns / 1000000000LL;
		rc = DEC_OK;
	}
	dec_pop(d, mark);
	return rc;
}

/* ---- names --------------------------------------------------------------------------------- */

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* s[0..n) is [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool is_dns_label(const char *s, size_t n)
{
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool is_dns_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!is_dns_label(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* Static reason or NULL. */
const char *dec_dns_label_err(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "must not be empty";
	if (n > 63)
		return "must be at most 63 characters";
	if (!is_dns_label(s, n))
		return "must consist of lowercase letters, digits and '-', and start and end with a letter or digit";
	return NULL;
}

/* Static reason or NULL. */
const char *dec_dns_subdomain_err(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "must not be empty";
	if (n > 253)
		return "must be at most 253 characters";
	if (!is_dns_subdomain(s, n))
		return "must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit";
	return NULL;
}

/* Static reason or NULL. */
const char *dec_dns1035_err(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "must not be empty";
	if (n > 63)
		return "must be at most 63 characters";
	if (!is_dns_label(s, n) || !(s[0] >= 'a' && s[0] <= 'z'))
		return "must consist of lowercase letters, digits and '-', start with a letter and end with a letter or digit";
	return NULL;
}

/* Static reason or NULL. */
const char *dec_qualified_name_err(const char *s)
{
	const char *slash = strchr(s, '/'), *name = s;
	size_t n;

	if (slash) {
		size_t plen = (size_t)(slash - s);

		if (strchr(slash + 1, '/'))
			return "must contain at most one '/'";
		if (plen == 0)
			return "prefix before '/' must not be empty";
		if (plen > 253)
			return "prefix before '/' must be at most 253 characters";
		if (!is_dns_subdomain(s, plen))
			return "prefix before '/' must be a DNS subdomain (lowercase letters, digits, '-' and '.')";
		name = slash + 1;
	}
	n = strlen(name);
	if (n == 0)
		return "name part must not be empty";
	if (n > 63)
		return "name part must be at most 63 characters";
	if (!alnum(name[0]) || !alnum(name[n - 1]))
		return "name part must start and end with a letter or digit";
	for (size_t i = 0; i < n; i++)
		if (!alnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
			return "name part must consist of letters, digits, '-', '_' and '.'";
	return NULL;
}

/* Static reason or NULL. */
const char *dec_label_value_err(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return NULL;
	if (n > 63)
		return "must be at most 63 characters";
	if (!alnum(s[0]) || !alnum(s[n - 1]))
		return "must start and end with a letter or digit";
	for (size_t i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return "must consist of letters, digits, '-', '_' and '.'";
	return NULL;
}

/* Static reason or NULL. */
const char *dec_port_name_err(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (n == 0)
		return "must not be empty";
	if (n > 15)
		return "must be at most 15 characters";
	for (size_t i = 0; i < n; i++) {
		if (!lower_alnum(s[i]) && s[i] != '-')
			return "must consist of lowercase letters, digits and '-'";
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
	}
	if (!letter)
		return "must contain at least one letter";
	if (s[0] == '-' || s[n - 1] == '-')
		return "must not begin or end with '-'";
	if (strstr(s, "--"))
		return "must not contain '--'";
	return NULL;
}

bool dec_policy_types(struct dctx *d, const struct doc_node *spec, const char *key, bool *ingress,
		      bool *egress)
{
	static const char *const names[] = {"Ingress", "Egress", NULL};
	const struct doc_node *types = dec_seq(d, spec, key);
	size_t mark;

	if (!types || types->n == 0)
		return false;
	*ingress = false;
	*egress = false;
	mark = dec_push_key(d, key);
	if (types->n > 2)
		dec_error(d, types, "may not list more than two policy types");
	for (size_t i = 0; i < types->n; i++) {
		size_t m2 = dec_push_index(d, i);
		int t;

		if (dec_node_enum(d, types->items[i], names, &t) == DEC_OK) {
			bool *flag = t == 0 ? ingress : egress;

			if (*flag)
				dec_error(d, types->items[i], "%s is listed twice", names[t]);
			*flag = true;
		}
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
	return true;
}
