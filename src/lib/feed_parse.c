/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threat-feed bodies → prefixes: the newlineDelimited, csv and json formats of a
 * GlobalThreatFeed (DESIGN §8).
 *
 * Each format is one pass over the body.  Entries are parsed where they lie (a dotted quad,
 * the common case, by hand; anything else through cidr_parse) and appended to one growing
 * array.  Errors are counted; the first FEED_ERRORS_MAX are kept with their messages, so a
 * body of garbage costs its size in time and a bounded amount of memory in errors.
 */
#include "lib/feed_parse.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offending text is quoted in messages up to this many bytes. */
#define QUOTE_MAX 48
/* The longest entry text that can be valid: a 45-character IPv6 address and "/128". */
#define ENTRY_MAX 49

/* ---- Options and results ------------------------------------------------------------------ */

/* o is the caller's. */
void feed_parse_opts_init(struct feed_parse_opts *o, enum feed_format f)
{
	*o = (struct feed_parse_opts){
		.format = f,
		.field_num = 0,
		.column_delimiter = ',',
	};
}

/* o borrows the strings of f, which must outlive it. */
void feed_parse_opts_from_feed(struct feed_parse_opts *o, const struct res_threat_feed *f)
{
	feed_parse_opts_init(o, f->format);
	o->json_path = f->json_path;
	o->field_name = f->field_name;
	if (f->field_name)
		o->field_num = -1;
	else if (f->field_num >= 0)
		o->field_num = f->field_num;
	o->header = f->header;
	if (f->column_delimiter)
		o->column_delimiter = f->column_delimiter;
	o->comment_delimiter = f->comment_delimiter;
	o->record_size = f->record_size;
	o->disable_record_size_validation = f->disable_record_size_validation;
}

/* r is the caller's. */
void feed_result_init(struct feed_result *r)
{
	*r = (struct feed_result){0};
}

/* Frees what r owns; r may be half-built or already finished. */
void feed_result_fini(struct feed_result *r)
{
	for (size_t i = 0; i < r->nerrors; i++)
		free(r->errors[i].msg);
	free(r->errors);
	free(r->v);
	feed_result_init(r);
}

/*
 * Counts an error and keeps its message while there is room.  A message that cannot be
 * allocated is still counted: error_count never loses one.
 */
static void __attribute__((format(printf, 3, 4)))
add_error(struct feed_result *r, size_t line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	r->error_count++;
	if (r->nerrors >= FEED_ERRORS_MAX)
		return;
	if (!r->errors) {
		r->errors = calloc(FEED_ERRORS_MAX, sizeof(*r->errors));
		if (!r->errors)
			return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	r->errors[r->nerrors].line = line;
	r->errors[r->nerrors].msg = msg;
	r->nerrors++;
}

/*
 * Writes s (n bytes) into buf as a double-quoted string for a message: at most QUOTE_MAX bytes
 * of it, then "..." when there was more; quotes and backslashes escaped, and every byte that
 * is not printable ASCII as \xNN.  buf must hold 4 * QUOTE_MAX + 8 bytes.
 */
#define QUOTE_BUF (4 * QUOTE_MAX + 8)
static const char *quote(char *buf, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	buf[k++] = '"';
	for (size_t i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[k++] = '\\';
			buf[k++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[k++] = '\\';
			buf[k++] = 'x';
			buf[k++] = hex[c >> 4];
			buf[k++] = hex[c & 15];
		} else {
			buf[k++] = (char)c;
		}
	}
	buf[k++] = '"';
	if (n > QUOTE_MAX) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads 1..max_digits decimal digits without a leading zero (a lone "0" is fine). */
static bool read_dec(const char *s, size_t n, size_t *i, unsigned max_digits, unsigned *out)
{
	size_t st = *i;
	unsigned v = 0;

	while (*i < n && is_digit(s[*i]) && *i - st < max_digits)
		v = v * 10 + (unsigned)(s[(*i)++] - '0');
	if (*i == st || (s[st] == '0' && *i - st > 1))
		return false;
	*out = v;
	return true;
}

/*
 * The fast path for the common entry: "a.b.c.d" or "a.b.c.d/len", exactly as strict as
 * cidr_parse (no leading zeros, octets up to 255, lengths up to 32).  false sends the text to
 * cidr_parse, which handles IPv6 and says what is wrong.
 */
static bool parse_v4(const char *s, size_t n, struct cidr *c, bool *host_bits)
{
	uint32_t addr = 0, mask;
	unsigned v, len = 32;
	size_t i = 0;

	for (int oct = 0; oct < 4; oct++) {
		if (!read_dec(s, n, &i, 3, &v) || v > 255)
			return false;
		addr = addr << 8 | v;
		if (oct < 3 && (i >= n || s[i++] != '.'))
			return false;
	}
	if (i < n) {
		if (s[i++] != '/' || !read_dec(s, n, &i, 2, &len) || len > 32)
			return false;
	}
	if (i != n)
		return false;
	mask = len ? ~(uint32_t)0 << (32 - len) : 0;
	*host_bits = (addr & ~mask) != 0;
	addr &= mask;
	*c = (struct cidr){.addr.family = 4, .len = (uint8_t)len};
	c->addr.a[0] = (uint8_t)(addr >> 24);
	c->addr.a[1] = (uint8_t)(addr >> 16);
	c->addr.a[2] = (uint8_t)(addr >> 8);
	c->addr.a[3] = (uint8_t)addr;
	return true;
}

static int push_entry(struct feed_result *r, const struct cidr *c)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct cidr *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *c;
	return 0;
}

/*
 * One entry's text (n bytes at s, blanks around it allowed) into *c.  0, or -EINVAL with the
 * problem written to msg when msg is not NULL ("\"x\": not an IP address or prefix").
 */
static int entry_parse(const char *s, size_t n, struct cidr *c, bool *hb, char *msg, size_t size)
{
	char text[ENTRY_MAX + 1], q[QUOTE_BUF];
	const char *slash;
	struct ipaddr a;

	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	while (n && is_blank(s[n - 1]))
		n--;
	*hb = false;
	if (n && parse_v4(s, n, c, hb))
		return 0;
	if (n == 0) {
		if (msg)
			snprintf(msg, size, "empty value");
		return -EINVAL;
	}
	if (n <= ENTRY_MAX && !memchr(s, '\0', n)) {
		memcpy(text, s, n);
		text[n] = '\0';
		if (cidr_parse(text, c, hb) == 0)
			return 0;
		slash = strchr(text, '/');
		if (slash && msg) {
			text[slash - text] = '\0';
			if (ipaddr_parse(text, &a) == 0) {
				snprintf(msg, size, "%s: prefix length must be 0 to %d",
					 quote(q, s, n), a.family == 4 ? 32 : 128);
				return -EINVAL;
			}
		}
	}
	if (msg)
		snprintf(msg, size, "%s: not an IP address or prefix", quote(q, s, n));
	return -EINVAL;
}

/* Messages of entry_parse fit in this. */
#define ENTRY_MSG (QUOTE_BUF + 64)

/* An entry of line line: appended, or counted as an error.  0, or -ENOMEM. */
static int add_entry(struct feed_result *r, size_t line, const char *s, size_t n)
{
	char msg[ENTRY_MSG] = "";
	struct cidr c;
	bool hb;

	if (entry_parse(s, n, &c, &hb, r->nerrors < FEED_ERRORS_MAX ? msg : NULL, sizeof(msg))) {
		add_error(r, line, "%s", msg);
		return 0;
	}
	if (hb)
		r->host_bits++;
	return push_entry(r, &c);
}

/* ---- newlineDelimited ------------------------------------------------------------------- */

static int parse_lines(const char *body, size_t len, struct feed_result *r)
{
	size_t pos = 0, line = 0;
	int ret;

	while (pos < len) {
		const char *s = body + pos, *eol = memchr(s, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - s) : len - pos;

		line++;
		pos += n + 1;
		/* The entry ends at the first comment character: '#', or ';' as in Spamhaus
		 * DROP ("1.10.16.0/20 ; SBL256894").  A CR before the LF is a blank. */
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '#' || s[i] == ';') {
				n = i;
				break;
			}
		}
		while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
			n--;
		while (n && is_blank(*s)) {
			s++;
			n--;
		}
		if (n == 0)
			continue;
		ret = add_entry(r, line, s, n);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- csv ------------------------------------------------------------------------------ */

/*
 * The reader follows Go's encoding/csv, which Calico uses: a record per line; a field that
 * starts with '"' is quoted, may hold delimiters, line breaks and "" for a quote, and must be
 * followed by a delimiter or the end of the line; a '"' anywhere else in a field is an error;
 * lines that start with the comment character are skipped, and so are empty lines (and, here,
 * lines of blanks only).  With record-size validation the first record (the header, if any)
 * sets the size unless recordSize does.
 *
 * A broken record is reported with the line it started on and skipped to the end of the line
 * where the problem was; an opening quote that is never closed skips only its own line, so one
 * stray quote does not swallow the rest of the file.  (If no '"' follows, none can open
 * again, so the search to the end of the body happens at most once.)
 */
struct csv {
	const char *body;
	size_t len, pos, line;
	const struct feed_parse_opts *o;
	struct feed_result *r;
	char *buf; /* a quoted field with "" escapes, unescaped; owned */
	size_t blen, bcap;
	int want;	/* the column to read; -1 until the header names it */
	long want_size; /* fields per record: 0 not yet known, -1 not checked */
	bool header_pending;
	/* The wanted field of the current record. */
	const char *val;
	size_t vlen;
	bool have_val;
};

static int csv_buf_add(struct csv *c, const char *s, size_t n)
{
	if (c->blen + n > c->bcap) {
		size_t cap = c->bcap ? c->bcap : 64;
		char *b;

		while (cap < c->blen + n)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->bcap = cap;
	}
	memcpy(c->buf + c->blen, s, n);
	c->blen += n;
	return 0;
}

static size_t count_lf(const char *s, size_t n)
{
	size_t k = 0;

	for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))) != NULL; p++)
		k++;
	return k;
}

/* Skips to just past the end of the current line (pos may already be at its '\n'). */
static void csv_skip_line(struct csv *c)
{
	const char *eol = memchr(c->body + c->pos, '\n', c->len - c->pos);

	c->pos = eol ? (size_t)(eol - c->body) + 1 : c->len;
	c->line++;
}

/* The header's field i is s: the column, when its name is the one asked for. */
static void csv_header_field(struct csv *c, size_t i, const char *s, size_t n)
{
	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	while (n && is_blank(s[n - 1]))
		n--;
	if (c->want < 0 && c->o->field_name && strlen(c->o->field_name) == n &&
	    memcmp(c->o->field_name, s, n) == 0 && i <= INT32_MAX)
		c->want = (int)i;
}

static void csv_field(struct csv *c, size_t i, const char *s, size_t n)
{
	if (c->header_pending) {
		csv_header_field(c, i, s, n);
	} else if (c->want >= 0 && i == (size_t)c->want) {
		c->val = s;
		c->vlen = n;
		c->have_val = true;
	}
}

/*
 * One quoted field, c->pos just after its opening quote.  Returns 1 with the field handed to
 * csv_field, 0 when it was broken (reported; c->pos at the next line), -ENOMEM.
 */
static int csv_quoted(struct csv *c, size_t i, size_t rec_line)
{
	size_t start = c->pos, open_line = c->line;
	bool copied = false;

	c->blen = 0;
	for (;;) {
		const char *q = memchr(c->body + c->pos, '"', c->len - c->pos);
		size_t qi;

		if (!q) {
			add_error(c->r, rec_line, "quoted field is not closed");
			c->pos = start;
			c->line = open_line;
			csv_skip_line(c);
			return 0;
		}
		qi = (size_t)(q - c->body);
		c->line += count_lf(c->body + c->pos, qi - c->pos);
		if (qi + 1 < c->len && c->body[qi + 1] == '"') {
			if (csv_buf_add(c, c->body + c->pos, qi + 1 - c->pos))
				return -ENOMEM;
			copied = true;
			c->pos = qi + 2;
			continue;
		}
		if (copied) {
			if (csv_buf_add(c, c->body + c->pos, qi - c->pos))
				return -ENOMEM;
			csv_field(c, i, c->buf, c->blen);
		} else {
			csv_field(c, i, c->body + start, qi - start);
		}
		c->pos = qi + 1;
		return 1;
	}
}

/*
 * One record from c->pos (the start of a line that is neither empty nor a comment).  0 when
 * the record was read or reported, -EINVAL for a header without the named column, -ENOMEM.
 */
static int csv_record(struct csv *c)
{
	const char delim = c->o->column_delimiter;
	size_t rec_line = c->line, nfields = 0;
	char q[QUOTE_BUF];
	int ret;

	c->have_val = false;
	for (;;) {
		bool last;

		if (c->pos < c->len && c->body[c->pos] == '"') {
			c->pos++;
			ret = csv_quoted(c, nfields, rec_line);
			if (ret <= 0)
				return ret;
			if (c->pos < c->len && c->body[c->pos] == '\r' &&
			    (c->pos + 1 == c->len || c->body[c->pos + 1] == '\n'))
				c->pos++;
			if (c->pos < c->len && c->body[c->pos] != '\n' &&
			    c->body[c->pos] != delim) {
				add_error(c->r, rec_line,
					  "text after the closing quote of field %zu", nfields);
				csv_skip_line(c);
				return 0;
			}
		} else {
			size_t st = c->pos, n;

			while (c->pos < c->len && c->body[c->pos] != delim &&
			       c->body[c->pos] != '\n' && c->body[c->pos] != '"')
				c->pos++;
			if (c->pos < c->len && c->body[c->pos] == '"') {
				add_error(c->r, rec_line, "quote inside unquoted field %zu",
					  nfields);
				csv_skip_line(c);
				return 0;
			}
			n = c->pos - st;
			if ((c->pos == c->len || c->body[c->pos] == '\n') && n &&
			    c->body[st + n - 1] == '\r')
				n--;
			csv_field(c, nfields, c->body + st, n);
		}
		nfields++;
		last = c->pos >= c->len || c->body[c->pos] == '\n';
		if (last) {
			if (c->pos < c->len)
				c->pos++;
			c->line++;
			break;
		}
		c->pos++; /* the delimiter */
	}

	if (c->want_size == 0)
		c->want_size = (long)nfields;
	if (c->want_size > 0 && nfields != (size_t)c->want_size) {
		add_error(c->r, rec_line, "record has %zu field%s, expected %ld", nfields,
			  nfields == 1 ? "" : "s", c->want_size);
		if (!c->header_pending)
			return 0;
	}
	if (c->header_pending) {
		c->header_pending = false;
		if (c->o->field_name && c->want < 0) {
			add_error(c->r, rec_line, "header has no column %s",
				  quote(q, c->o->field_name, strlen(c->o->field_name)));
			return -EINVAL;
		}
		return 0;
	}
	if (!c->have_val) {
		add_error(c->r, rec_line, "record has %zu field%s, no field %d (counting from 0)",
			  nfields, nfields == 1 ? "" : "s", c->want);
		return 0;
	}
	return add_entry(c->r, rec_line, c->val, c->vlen);
}

static int parse_csv(const char *body, size_t len, const struct feed_parse_opts *o,
		     struct feed_result *r)
{
	struct csv c = {
		.body = body,
		.len = len,
		.line = 1,
		.o = o,
		.r = r,
		.want = o->field_name ? -1 : o->field_num,
		.want_size = o->disable_record_size_validation ? -1 : o->record_size,
		.header_pending = o->header,
	};
	int ret = 0;

	while (c.pos < len) {
		const char *s = body + c.pos, *eol = memchr(s, '\n', len - c.pos);
		size_t n = eol ? (size_t)(eol - s) : len - c.pos, k = 0;

		while (k < n && (is_blank(s[k]) || s[k] == '\r'))
			k++;
		if (k == n || (o->comment_delimiter && s[0] == o->comment_delimiter)) {
			csv_skip_line(&c);
			continue;
		}
		ret = csv_record(&c);
		if (ret)
			break;
	}
	free(c.buf);
	return ret;
}

/* ---- json ----------------------------------------------------------------------------- */

/*
 * The path language: the subset of Goessner's JSONPath that Calico documents ("no support for
 * subexpressions and filters; strings in brackets must use double quotes").
 *   $            the document; "$." is the document too (Calico's example for a bare array)
 *   .name        a member             ["name"], ["a","b"]   members by quoted name
 *   .* or [*]    every member or element
 *   [2], [-1], [0,2]   elements (negative counts from the end)
 *   [1:3], [::2]       a slice [start:end:step], step positive
 *   ..sel        sel applied to the node and every node below it ($..ip, $..[0], $..*)
 * The path selects strings, or arrays of strings, which are the entries.
 *
 * Evaluation keeps the selected nodes of each step in one growing array, each with the index
 * of its parent, so that an error can name the location of the value ($.data[3].ip).  Each
 * step's selection is de-duplicated by node (jansson allocates one node per value, except for
 * the shared true, false and null, which have no children), so neither ".." twice nor a union
 * that names an element twice can multiply the work: every step costs at most the size of the
 * document.
 */
#define PATH_MAX_LEN   1024
#define PATH_MAX_STEPS 64
#define PATH_MAX_SUBS  64

enum jp_sel {
	JP_NAMES,
	JP_INDEXES,
	JP_SLICE,
	JP_ALL,
};

struct jp_step {
	bool descend;
	enum jp_sel sel;
	size_t nsubs;
	char *names[PATH_MAX_SUBS]; /* owned */
	long idx[PATH_MAX_SUBS];
	long start, end, step;
	bool has_start, has_end;
};

struct jpath {
	struct jp_step *steps;
	size_t n;
};

static void jpath_free(struct jpath *p)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; p->steps[i].sel == JP_NAMES && j < p->steps[i].nsubs; j++)
			free(p->steps[i].names[j]);
	free(p->steps);
	p->steps = NULL;
	p->n = 0;
}

static bool name_char(char c)
{
	return c && !strchr(".[]()'\"?@$,:* \t\r\n", c);
}

static void skip_ws(const char *s, size_t *i)
{
	while (s[*i] == ' ' || s[*i] == '\t')
		(*i)++;
}

/* A signed decimal (for indexes and slices), bounded so that it cannot overflow. */
static bool read_long(const char *s, size_t *i, long *out)
{
	size_t st, at = *i;
	bool neg = false;
	long v = 0;

	if (s[*i] == '-') {
		neg = true;
		(*i)++;
	}
	st = *i;
	while (is_digit(s[*i]) && *i - st < 9)
		v = v * 10 + (s[(*i)++] - '0');
	if (*i == st || is_digit(s[*i])) {
		*i = at; /* the error points at the number */
		return false;
	}
	*out = neg ? -v : v;
	return true;
}

/* A double-quoted string with \" and \\ escapes; *out owned by the caller. */
static const char *read_qstr(const char *s, size_t *i, char **out)
{
	size_t st = ++*i, k = 0;
	char *v;

	while (s[*i] && s[*i] != '"') {
		if (s[*i] == '\\' && (s[*i + 1] == '"' || s[*i + 1] == '\\'))
			(*i)++;
		(*i)++;
	}
	if (!s[*i])
		return "string is not closed";
	v = malloc(*i - st + 1);
	if (!v)
		return "out of memory";
	for (size_t j = st; j < *i; j++) {
		if (s[j] == '\\' && (s[j + 1] == '"' || s[j + 1] == '\\'))
			j++;
		v[k++] = s[j];
	}
	v[k] = '\0';
	(*i)++;
	*out = v;
	return NULL;
}

static bool has_index(const struct jp_step *st, long v)
{
	for (size_t k = 0; k < st->nsubs; k++)
		if (st->idx[k] == v)
			return true;
	return false;
}

/* The inside of [...], s[*i] just after '['.  NULL, or what is wrong. */
static const char *parse_bracket(const char *s, size_t *i, struct jp_step *st)
{
	const char *err;
	long v;

	skip_ws(s, i);
	if (s[*i] == '*') {
		st->sel = JP_ALL;
		(*i)++;
	} else if (s[*i] == '\'') {
		return "strings in brackets must use double quotes";
	} else if (s[*i] == '?') {
		return "filters are not supported";
	} else if (s[*i] == '(') {
		return "subexpressions are not supported";
	} else if (s[*i] == '"') {
		st->sel = JP_NAMES;
		for (;;) {
			char *name = NULL;

			if (st->nsubs == PATH_MAX_SUBS)
				return "too many names in one bracket";
			if (s[*i] != '"')
				return s[*i] == '\'' ? "strings in brackets must use double quotes"
						     : "expected a double-quoted name";
			err = read_qstr(s, i, &name);
			if (err)
				return err;
			st->names[st->nsubs++] = name;
			skip_ws(s, i);
			if (s[*i] != ',')
				break;
			(*i)++;
			skip_ws(s, i);
		}
	} else if (s[*i] == ':' || s[*i] == '-' || is_digit(s[*i])) {
		bool slice = false;

		st->sel = JP_INDEXES;
		if (s[*i] != ':') {
			if (!read_long(s, i, &v))
				return "bad index";
			st->idx[st->nsubs++] = v;
			skip_ws(s, i);
		}
		if (s[*i] == ':') {
			slice = true;
			st->sel = JP_SLICE;
			st->step = 1;
			st->has_start = st->nsubs == 1;
			st->start = st->has_start ? st->idx[0] : 0;
			st->nsubs = 0;
			(*i)++;
			skip_ws(s, i);
			if (s[*i] == '-' || is_digit(s[*i])) {
				if (!read_long(s, i, &st->end))
					return "bad slice end";
				st->has_end = true;
				skip_ws(s, i);
			}
			if (s[*i] == ':') {
				(*i)++;
				skip_ws(s, i);
				if (s[*i] == '-' || is_digit(s[*i])) {
					if (!read_long(s, i, &st->step))
						return "bad slice step";
					if (st->step <= 0)
						return "slice step must be positive";
					skip_ws(s, i);
				}
			}
		}
		while (!slice && s[*i] == ',') {
			(*i)++;
			skip_ws(s, i);
			if (st->nsubs == PATH_MAX_SUBS)
				return "too many indexes in one bracket";
			if (!read_long(s, i, &v))
				return "bad index";
			/* A repeated index would select the same element twice. */
			if (!has_index(st, v))
				st->idx[st->nsubs++] = v;
			skip_ws(s, i);
		}
	} else {
		return "expected *, an index, a slice or a double-quoted name";
	}
	skip_ws(s, i);
	if (s[*i] != ']')
		return "expected ]";
	(*i)++;
	return NULL;
}

/*
 * Compiles path into p (owned by the caller, freed with jpath_free).  NULL, or the problem
 * with *col set to its 1-based column.
 */
static const char *jpath_compile(const char *path, struct jpath *p, size_t *col)
{
	size_t i = 1, len = strlen(path);
	const char *err = NULL;

	p->steps = NULL;
	p->n = 0;
	*col = 1;
	if (len > PATH_MAX_LEN)
		return "path is too long";
	if (path[0] != '$')
		return path[0] == '@' ? "subexpressions are not supported" : "must start with $";
	p->steps = calloc(PATH_MAX_STEPS, sizeof(*p->steps));
	if (!p->steps)
		return "out of memory";
	while (path[i]) {
		struct jp_step *st;

		*col = i + 1;
		if (p->n == PATH_MAX_STEPS)
			return "too many steps";
		st = &p->steps[p->n];
		if (path[i] == '.' && path[i + 1] == '.') {
			st->descend = true;
			i += 2;
			if (path[i] == '[') {
				i++;
				p->n++;
				err = parse_bracket(path, &i, st);
				if (err)
					break;
				continue;
			}
		} else if (path[i] == '.') {
			i++;
			if (!path[i])
				break; /* "$." and a trailing dot select what is already selected */
		} else if (path[i] == '[') {
			i++;
			p->n++;
			err = parse_bracket(path, &i, st);
			if (err)
				break;
			continue;
		} else {
			err = path[i] == '?'   ? "filters are not supported"
			      : path[i] == '(' ? "subexpressions are not supported"
					       : "expected . or [";
			break;
		}
		/* After "." or "..": a name or *. */
		*col = i + 1;
		if (path[i] == '*') {
			st->sel = JP_ALL;
			i++;
		} else if (name_char(path[i])) {
			size_t st0 = i;

			while (name_char(path[i]))
				i++;
			st->sel = JP_NAMES;
			st->names[0] = strndup(path + st0, i - st0);
			if (!st->names[0])
				return "out of memory";
			st->nsubs = 1;
		} else {
			err = path[i] == '('	? "subexpressions are not supported"
			      : path[i] == '?'	? "filters are not supported"
			      : path[i] == '\'' ? "strings in brackets must use double quotes"
						: "expected a name or *";
			break;
		}
		p->n++;
	}
	if (err)
		*col = i + 1;
	return err;
}

/* path is borrowed; buf is the caller's and gets the message on -EINVAL. */
int feed_json_path_check(const char *path, char *buf, size_t size)
{
	struct jpath p;
	const char *err;
	size_t col;

	if (!path || !*path) {
		snprintf(buf, size, "json format needs a path");
		return -EINVAL;
	}
	err = jpath_compile(path, &p, &col);
	jpath_free(&p);
	if (!err)
		return 0;
	snprintf(buf, size, "json path \"%s\": column %zu: %s", path, col, err);
	return -EINVAL;
}

/* A selected node: the value, and where it came from (for messages). */
struct jnode {
	json_t *v;
	size_t parent;	 /* index in the node array; SIZE_MAX for the document */
	const char *key; /* member name, or NULL for an array element */
	size_t index;
};

struct jeval {
	struct jnode *v;
	size_t n, cap;
	/* The de-duplication set of the step being built: open addressing on pointers. */
	json_t **set;
	size_t set_cap, set_n;
};

static bool is_shared(const json_t *v)
{
	return json_is_true(v) || json_is_false(v) || json_is_null(v);
}

static size_t ptr_hash(const json_t *v)
{
	uint64_t x = (uint64_t)(uintptr_t)v;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static int set_reset(struct jeval *e, size_t expect)
{
	size_t cap = 64;

	while (cap < expect * 2)
		cap *= 2;
	if (cap > e->set_cap) {
		json_t **s = realloc(e->set, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		e->set = s;
		e->set_cap = cap;
	}
	memset(e->set, 0, e->set_cap * sizeof(*e->set));
	e->set_n = 0;
	return 0;
}

/* 1 when v was added to the set, 0 when it was there already, -ENOMEM. */
static int set_add(struct jeval *e, json_t *v)
{
	size_t mask, h;

	if (is_shared(v))
		return 1;
	if ((e->set_n + 1) * 2 > e->set_cap) {
		json_t **old = e->set;
		size_t old_cap = e->set_cap;

		e->set = NULL;
		e->set_cap = 0;
		if (set_reset(e, old_cap)) {
			e->set = old;
			e->set_cap = old_cap;
			return -ENOMEM;
		}
		for (size_t i = 0; i < old_cap; i++) {
			if (!old[i])
				continue;
			for (h = ptr_hash(old[i]) & (e->set_cap - 1); e->set[h];
			     h = (h + 1) & (e->set_cap - 1))
				;
			e->set[h] = old[i];
			e->set_n++;
		}
		free(old);
	}
	mask = e->set_cap - 1;
	for (h = ptr_hash(v) & mask; e->set[h]; h = (h + 1) & mask)
		if (e->set[h] == v)
			return 0;
	e->set[h] = v;
	e->set_n++;
	return 1;
}

static int push_node(struct jeval *e, json_t *v, size_t parent, const char *key, size_t index)
{
	int r = set_add(e, v);

	if (r <= 0)
		return r;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct jnode *nv = realloc(e->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		e->v = nv;
		e->cap = cap;
	}
	e->v[e->n++] = (struct jnode){v, parent, key, index};
	return 0;
}

/* A resolved array position, or -1 when i is outside an array of n elements. */
static long array_pos(long i, size_t n)
{
	if (i < 0)
		i += (long)n;
	return i >= 0 && (size_t)i < n ? i : -1;
}

/* Appends what step st selects from node k. */
static int apply_sel(struct jeval *e, const struct jp_step *st, size_t k)
{
	json_t *v = e->v[k].v, *x;
	const char *key;
	size_t n, i;
	int ret = 0;

	if (json_is_object(v)) {
		if (st->sel == JP_ALL) {
			json_object_foreach(v, key, x)
			{
				if ((ret = push_node(e, x, k, key, 0)))
					return ret;
			}
		} else if (st->sel == JP_NAMES) {
			for (i = 0; i < st->nsubs; i++) {
				void *it = json_object_iter_at(v, st->names[i]);

				if (it && (ret = push_node(e, json_object_iter_value(it), k,
							   json_object_iter_key(it), 0)))
					return ret;
			}
		}
		return 0;
	}
	if (!json_is_array(v))
		return 0;
	n = json_array_size(v);
	switch (st->sel) {
	case JP_ALL:
		for (i = 0; i < n && !ret; i++)
			ret = push_node(e, json_array_get(v, i), k, NULL, i);
		break;
	case JP_INDEXES:
		for (i = 0; i < st->nsubs && !ret; i++) {
			long p = array_pos(st->idx[i], n);

			if (p >= 0)
				ret = push_node(e, json_array_get(v, (size_t)p), k, NULL,
						(size_t)p);
		}
		break;
	case JP_SLICE: {
		long from = st->has_start ? st->start : 0, to = st->has_end ? st->end : (long)n;

		if (from < 0)
			from = from + (long)n < 0 ? 0 : from + (long)n;
		if (to < 0)
			to += (long)n;
		if (to > (long)n)
			to = (long)n;
		for (long p = from; p < to && !ret; p += st->step)
			ret = push_node(e, json_array_get(v, (size_t)p), k, NULL, (size_t)p);
		break;
	}
	case JP_NAMES:
		break;
	}
	return ret;
}

/* Appends every node below the nodes [lo, hi) to them (breadth first), each once. */
static int descend(struct jeval *e, size_t lo, size_t hi)
{
	struct jp_step all = {.sel = JP_ALL};
	int ret;

	if ((ret = set_reset(e, hi - lo)))
		return ret;
	for (size_t k = lo; k < hi; k++) {
		struct jnode nd = e->v[k];

		if ((ret = push_node(e, nd.v, nd.parent, nd.key, nd.index)))
			return ret;
	}
	for (size_t k = hi; k < e->n; k++)
		if ((ret = apply_sel(e, &all, k)))
			return ret;
	return 0;
}

static bool plain_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!name_char(*k) || (unsigned char)*k >= 0x7f)
			return false;
	return true;
}

/* The location of node k as a path ("$.data[3].ip"), shortened in the middle if long. */
static void location(const struct jeval *e, size_t k, char *buf, size_t size)
{
	char seg[QUOTE_BUF + 4], q[QUOTE_BUF];
	size_t segs[64], nsegs = 0, depth = 0, len;

	for (size_t j = k; j != SIZE_MAX; j = e->v[j].parent) {
		if (e->v[j].parent == SIZE_MAX)
			break;
		if (nsegs < 64)
			segs[nsegs++] = j;
		depth++;
	}
	len = (size_t)snprintf(buf, size, "$%s", depth > nsegs ? "(...)" : "");
	while (nsegs-- > 0 && len < size) {
		const struct jnode *nd = &e->v[segs[nsegs]];

		if (!nd->key)
			snprintf(seg, sizeof(seg), "[%zu]", nd->index);
		else if (plain_key(nd->key) && strlen(nd->key) < 48)
			snprintf(seg, sizeof(seg), ".%s", nd->key);
		else
			snprintf(seg, sizeof(seg), "[%s]", quote(q, nd->key, strlen(nd->key)));
		len += (size_t)snprintf(buf + len, size - len, "%s", seg);
	}
}

/*
 * A selected string (element i of the selected array at k, or k itself when i is SIZE_MAX):
 * an entry, or an error that names its location.  Locations are only worked out for messages
 * that will be kept.
 */
static int json_entry(struct jeval *e, size_t k, size_t i, json_t *x, struct feed_result *r)
{
	char msg[ENTRY_MSG], where[512];
	bool keep = r->nerrors < FEED_ERRORS_MAX;
	struct cidr c;
	bool hb;

	msg[0] = where[0] = '\0';
	if (json_is_string(x) && !entry_parse(json_string_value(x), json_string_length(x), &c, &hb,
					      keep ? msg : NULL, sizeof(msg))) {
		if (hb)
			r->host_bits++;
		return push_entry(r, &c);
	}
	if (keep) {
		size_t n;

		location(e, k, where, sizeof(where));
		n = strlen(where);
		if (i != SIZE_MAX)
			snprintf(where + n, sizeof(where) - n, "[%zu]", i);
	}
	if (json_is_string(x))
		add_error(r, 0, "%s: %s", where, msg);
	else if (i != SIZE_MAX)
		add_error(r, 0, "%s: expected a string, found %s", where, res_json_type_name(x));
	else
		add_error(r, 0, "%s: expected a string or an array of strings, found %s", where,
			  res_json_type_name(x));
	return 0;
}

/* One value the path selected: a string, or an array of strings. */
static int json_value(struct jeval *e, size_t k, struct feed_result *r)
{
	json_t *v = e->v[k].v;
	int ret = 0;

	if (!json_is_array(v))
		return json_entry(e, k, SIZE_MAX, v, r);
	for (size_t i = 0; i < json_array_size(v) && !ret; i++)
		ret = json_entry(e, k, i, json_array_get(v, i), r);
	return ret;
}

static int parse_json(const char *body, size_t len, const char *path, struct feed_result *r)
{
	struct jeval e = {0};
	struct jpath p;
	json_error_t jerr;
	json_t *root = NULL;
	const char *err;
	size_t col, lo = 0, hi;
	int ret = 0;

	err = jpath_compile(path, &p, &col);
	if (err) {
		add_error(r, 0, "json path \"%s\": column %zu: %s", path, col, err);
		ret = -EINVAL;
		goto out;
	}
	root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		add_error(r, jerr.line > 0 ? (size_t)jerr.line : 0, "invalid JSON: %s", jerr.text);
		ret = -EINVAL;
		goto out;
	}
	if ((ret = set_reset(&e, 1)) || (ret = push_node(&e, root, SIZE_MAX, NULL, 0)))
		goto out;
	hi = e.n;
	for (size_t s = 0; s < p.n; s++) {
		if (p.steps[s].descend) {
			if ((ret = descend(&e, lo, hi)))
				goto out;
			lo = hi;
			hi = e.n;
		}
		if ((ret = set_reset(&e, hi - lo)))
			goto out;
		for (size_t k = lo; k < hi; k++)
			if ((ret = apply_sel(&e, &p.steps[s], k)))
				goto out;
		lo = hi;
		hi = e.n;
	}
	if (lo == hi)
		add_error(r, 0, "json path \"%s\" selected nothing", path);
	for (size_t k = lo; k < hi; k++)
		if ((ret = json_value(&e, k, r)))
			goto out;
out:
	json_decref(root);
	jpath_free(&p);
	free(e.v);
	free(e.set);
	return ret;
}

/* ---- Entry point ------------------------------------------------------------------------ */

static int check_opts(const struct feed_parse_opts *o, struct feed_result *r)
{
	char d = o->column_delimiter, c = o->comment_delimiter;

	if (o->format == FEED_FORMAT_NEWLINE)
		return 0;
	if (o->format == FEED_FORMAT_JSON) {
		if (!o->json_path || !*o->json_path) {
			add_error(r, 0, "json format needs a path");
			return -EINVAL;
		}
		return 0;
	}
	if (o->format != FEED_FORMAT_CSV) {
		add_error(r, 0, "unknown feed format");
		return -EINVAL;
	}
	if (o->field_name && !o->header) {
		add_error(r, 0, "fieldName requires a header");
		return -EINVAL;
	}
	if (!o->field_name && o->field_num < 0) {
		add_error(r, 0, "csv format needs fieldNum or fieldName");
		return -EINVAL;
	}
	if (d == '\0' || d == '"' || d == '\r' || d == '\n') {
		add_error(r, 0, "column delimiter cannot be a quote, a line break or NUL");
		return -EINVAL;
	}
	if (c == '"' || c == '\r' || c == '\n' || (c && c == d)) {
		add_error(r, 0,
			  "comment delimiter cannot be a quote, a line break or the column "
			  "delimiter");
		return -EINVAL;
	}
	if (o->record_size < 0) {
		add_error(r, 0, "record size cannot be negative");
		return -EINVAL;
	}
	return 0;
}

/* body is borrowed; r is appended to (see feed_parse.h). */
int feed_parse(const char *body, size_t len, const struct feed_parse_opts *o, struct feed_result *r)
{
	int ret = check_opts(o, r);

	if (ret)
		return ret;
	/* A UTF-8 byte order mark, as some exporters write, is not part of the content. */
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		body += 3;
		len -= 3;
	}
	switch (o->format) {
	case FEED_FORMAT_NEWLINE:
		return parse_lines(body, len, r);
	case FEED_FORMAT_CSV:
		return parse_csv(body, len, o, r);
	case FEED_FORMAT_JSON:
		return parse_json(body, len, o->json_path, r);
	}
	return -EINVAL;
}
