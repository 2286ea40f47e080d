/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the document tree: map lookup and the typing of scalars.  The tree keeps every
 * scalar as text; what it means is decided here, by the YAML 1.2 core schema, and only for
 * plain (unquoted) scalars whose tag is absent or names the type asked for.  So `port: 80`
 * is a number and `port: "80"` or `port: !!str 80` a string, as Kubernetes reads them.
 * The parser is in doc_yaml.c.
 */
#include "lib/doc.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG_BOOL  "tag:yaml.org,2002:bool"
#define TAG_INT	  "tag:yaml.org,2002:int"
#define TAG_FLOAT "tag:yaml.org,2002:float"

enum doc_num {
	NUM_NONE,
	NUM_DEC,     /* [-+]?[0-9]+ */
	NUM_HEX,     /* 0x[0-9a-fA-F]+ */
	NUM_OCT,     /* 0o[0-7]+ */
	NUM_FLOAT,   /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	NUM_SPECIAL, /* [-+]?\.(inf|Inf|INF), \.(nan|NaN|NAN) */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool text_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Classifies s by the core schema's number patterns (the whole text must match). */
static enum doc_num number_kind(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		for (i = 2; i < len; i++)
			if (s[1] == 'x' ? hex_value(s[i]) < 0 : (s[i] < '0' || s[i] > '7'))
				return NUM_NONE;
		return s[1] == 'x' ? NUM_HEX : NUM_OCT;
	}
	if (text_is(s, len, ".nan") || text_is(s, len, ".NaN") || text_is(s, len, ".NAN"))
		return NUM_SPECIAL;
	if (len && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (text_is(s + i, len - i, ".inf") || text_is(s + i, len - i, ".Inf") ||
	    text_is(s + i, len - i, ".INF"))
		return NUM_SPECIAL;
	while (i < len && is_digit(s[i])) {
		i++;
		digits++;
	}
	if (i == len)
		return digits ? NUM_DEC : NUM_NONE;
	if (s[i] == '.') {
		size_t frac = 0;

		for (i++; i < len && is_digit(s[i]); i++)
			frac++;
		/* "1." is a float; "." alone is not, and ".5" needs its digits. */
		if (!digits && !frac)
			return NUM_NONE;
	} else if (!digits) {
		return NUM_NONE;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp = 0;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < len && is_digit(s[i]); i++)
			exp++;
		if (!exp)
			return NUM_NONE;
	}
	return i == len ? NUM_FLOAT : NUM_NONE;
}

/* An unquoted scalar whose tag is absent or one of the two given (which may be NULL). */
static bool typed_scalar(const struct doc_node *n, const char *tag1, const char *tag2)
{
	if (!n || n->type != DOC_SCALAR || n->quoted || !n->str)
		return false;
	return !n->tag || (tag1 && !strcmp(n->tag, tag1)) || (tag2 && !strcmp(n->tag, tag2));
}

/*
 * Returns the value of key in map n, or NULL when n is not a map or has no such key.  The
 * result is owned by the tree's arena.
 */
const struct doc_node *doc_get(const struct doc_node *n, const char *key)
{
	size_t klen;

	if (!n || n->type != DOC_MAP || !key)
		return NULL;
	klen = strlen(key);
	for (size_t i = 0; i < n->n; i++) {
		const struct doc_node *k = n->pairs[i].key;

		if (k->len == klen && memcmp(k->str, key, klen) == 0)
			return n->pairs[i].value;
	}
	return NULL;
}

/* True for a DOC_NULL node; false for any other node and for NULL (an absent value). */
bool doc_is_null(const struct doc_node *n)
{
	return n && n->type == DOC_NULL;
}

/* Stores n's boolean in *out and returns 0, or returns -EINVAL (and leaves *out alone). */
int doc_to_bool(const struct doc_node *n, bool *out)
{
	if (!typed_scalar(n, TAG_BOOL, NULL))
		return -EINVAL;
	if (text_is(n->str, n->len, "true") || text_is(n->str, n->len, "True") ||
	    text_is(n->str, n->len, "TRUE")) {
		*out = true;
		return 0;
	}
	if (text_is(n->str, n->len, "false") || text_is(n->str, n->len, "False") ||
	    text_is(n->str, n->len, "FALSE")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* Stores n's integer in *out and returns 0; -EINVAL or -ERANGE leave *out alone. */
int doc_to_int(const struct doc_node *n, long long *out)
{
	enum doc_num kind;
	unsigned long long v = 0, limit = LLONG_MAX;
	unsigned base = 10;
	size_t i = 0;
	bool neg = false;

	if (!typed_scalar(n, TAG_INT, NULL))
		return -EINVAL;
	kind = number_kind(n->str, n->len);
	if (kind == NUM_HEX || kind == NUM_OCT) {
		base = kind == NUM_HEX ? 16 : 8;
		i = 2;
	} else if (kind == NUM_DEC) {
		if (n->str[0] == '-' || n->str[0] == '+') {
			neg = n->str[0] == '-';
			i = 1;
		}
	} else {
		return -EINVAL;
	}
	if (neg)
		limit = (unsigned long long)LLONG_MAX + 1;
	for (; i < n->len; i++) {
		unsigned d = (unsigned)hex_value(n->str[i]);

		if (v > (limit - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (neg)
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	else
		*out = (long long)v;
	return 0;
}

/*
 * Stores n's number in *out and returns 0.  -EINVAL when n is not a number or is .inf or
 * .nan; -ERANGE when it is too big for a double.  *out is left alone on error.
 */
int doc_to_double(const struct doc_node *n, double *out)
{
	enum doc_num kind;
	locale_t c_locale;
	double v;
	char *end;

	if (!typed_scalar(n, TAG_FLOAT, TAG_INT))
		return -EINVAL;
	kind = number_kind(n->str, n->len);
	switch (kind) {
	case NUM_OCT:
		v = 0;
		for (size_t i = 2; i < n->len; i++)
			v = v * 8 + (n->str[i] - '0');
		break;
	case NUM_DEC:
	case NUM_HEX:
	case NUM_FLOAT:
		/*
		 * The pattern matched all of the text, which the parser NUL-terminated, and
		 * strtod reads hexadecimal too.  The "C" locale keeps the decimal point a dot
		 * whatever the program's locale; glibc hands out a static object for it.
		 */
		c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
		if (!c_locale)
			return -ENOMEM;
		v = strtod_l(n->str, &end, c_locale);
		freelocale(c_locale);
		if (end != n->str + n->len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (isinf(v))
		return -ERANGE;
	*out = v;
	return 0;
}

/* A static string naming n's type for messages; "nothing" for NULL (an absent value). */
const char *doc_type_name(const struct doc_node *n)
{
	bool b;

	if (!n)
		return "nothing";
	switch (n->type) {
	case DOC_NULL:
		return "null";
	case DOC_SEQ:
		return "a list";
	case DOC_MAP:
		return "a map";
	case DOC_SCALAR:
		break;
	}
	if (doc_to_bool(n, &b) == 0)
		return "a boolean";
	if (typed_scalar(n, TAG_FLOAT, TAG_INT) && number_kind(n->str, n->len) != NUM_NONE)
		return "a number";
	return "a string";
}
