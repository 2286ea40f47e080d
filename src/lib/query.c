/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GlobalAlert queries: a tokenizer, a recursive-descent parser that builds a tree in an
 * arena, the evaluator and the canonical printer.
 *
 * Decisions the header leaves to this file:
 *
 * - Keywords.  AND, OR, NOT, IN and NOTIN are recognised in upper or lower case (as Calico
 *   Enterprise does), and only where an operator can stand: a word in value position is a
 *   value, so "action = AND" compares with the word AND (and fails the check of action).
 *   Field names never collide with keywords since only the schema's names are fields.
 * - Tree.  AND inside AND and OR inside OR are flattened into one n-ary node; parentheses
 *   vanish; "NOT NOT x" stays two negations.  Sets are sorted (numerically for number
 *   fields, byte-wise otherwise) and de-duplicated, so the printer needs no sorting.
 * - Depth.  At most QUERY_MAX_DEPTH "(" and NOT may be open at once, which bounds the
 *   parser's recursion, and the tree may be at most QUERY_MAX_DEPTH AND, OR and NOT nodes
 *   deep, which bounds the evaluator's.  The printer opens one parenthesis or NOT per such
 *   node at most, so the canonical text always parses again.
 * - Numbers.  Integer literals that fit int64_t compare exactly with the record's uint64_t
 *   counters; other numbers ("1.5", "1e3", huge ones) compare as doubles.
 */
#include "lib/query.h"

#include "lib/arena.h"
#include "lib/cidr.h"
#include "lib/flow.h"
#include "lib/flowlog.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokens longer than this are shortened in error messages. */
#define DESCRIBE_MAX 32

/* ---- fields --------------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum query_type type;
} field_defs[QUERY_FIELD_COUNT] = {
	[QUERY_FIELD_START_TIME] = {"start_time", QUERY_TYPE_NUM},
	[QUERY_FIELD_END_TIME] = {"end_time", QUERY_TYPE_NUM},
	[QUERY_FIELD_SOURCE_IP] = {"source_ip", QUERY_TYPE_IP},
	[QUERY_FIELD_SOURCE_NAME] = {"source_name", QUERY_TYPE_TEXT},
	[QUERY_FIELD_SOURCE_NAME_AGGR] = {"source_name_aggr", QUERY_TYPE_TEXT},
	[QUERY_FIELD_SOURCE_NAMESPACE] = {"source_namespace", QUERY_TYPE_TEXT},
	[QUERY_FIELD_SOURCE_PORT] = {"source_port", QUERY_TYPE_NUM},
	[QUERY_FIELD_SOURCE_TYPE] = {"source_type", QUERY_TYPE_TEXT},
	[QUERY_FIELD_SOURCE_LABELS] = {"source_labels", QUERY_TYPE_LIST},
	[QUERY_FIELD_DEST_IP] = {"dest_ip", QUERY_TYPE_IP},
	[QUERY_FIELD_DEST_NAME] = {"dest_name", QUERY_TYPE_TEXT},
	[QUERY_FIELD_DEST_NAME_AGGR] = {"dest_name_aggr", QUERY_TYPE_TEXT},
	[QUERY_FIELD_DEST_NAMESPACE] = {"dest_namespace", QUERY_TYPE_TEXT},
	[QUERY_FIELD_DEST_PORT] = {"dest_port", QUERY_TYPE_NUM},
	[QUERY_FIELD_DEST_TYPE] = {"dest_type", QUERY_TYPE_TEXT},
	[QUERY_FIELD_DEST_LABELS] = {"dest_labels", QUERY_TYPE_LIST},
	[QUERY_FIELD_PROTO] = {"proto", QUERY_TYPE_TEXT},
	[QUERY_FIELD_ACTION] = {"action", QUERY_TYPE_TEXT},
	[QUERY_FIELD_REPORTER] = {"reporter", QUERY_TYPE_TEXT},
	[QUERY_FIELD_POLICIES] = {"policies", QUERY_TYPE_LIST},
	[QUERY_FIELD_BYTES_IN] = {"bytes_in", QUERY_TYPE_NUM},
	[QUERY_FIELD_BYTES_OUT] = {"bytes_out", QUERY_TYPE_NUM},
	[QUERY_FIELD_PACKETS_IN] = {"packets_in", QUERY_TYPE_NUM},
	[QUERY_FIELD_PACKETS_OUT] = {"packets_out", QUERY_TYPE_NUM},
	[QUERY_FIELD_NUM_FLOWS] = {"num_flows", QUERY_TYPE_NUM},
	[QUERY_FIELD_NUM_FLOWS_STARTED] = {"num_flows_started", QUERY_TYPE_NUM},
	[QUERY_FIELD_NUM_FLOWS_COMPLETED] = {"num_flows_completed", QUERY_TYPE_NUM},
	[QUERY_FIELD_NUM_FLOWS_UNANSWERED] = {"num_flows_unanswered", QUERY_TYPE_NUM},
	[QUERY_FIELD_HOST] = {"host", QUERY_TYPE_TEXT},
};

/* Calico Enterprise's names for the same fields (its Elasticsearch document paths). */
static const struct {
	const char *name;
	enum query_field field;
} field_aliases[] = {
	{"source_labels.labels", QUERY_FIELD_SOURCE_LABELS},
	{"dest_labels.labels", QUERY_FIELD_DEST_LABELS},
	{"policies.all_policies", QUERY_FIELD_POLICIES},
	{"source_port_num", QUERY_FIELD_SOURCE_PORT},
	{"dest_port_num", QUERY_FIELD_DEST_PORT},
};

#define NALIASES (sizeof(field_aliases) / sizeof(field_aliases[0]))

static bool name_is(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && !memcmp(name, s, len);
}

/* Pure; name is only read. */
int query_field_lookup(const char *name, size_t len)
{
	for (int i = 0; i < QUERY_FIELD_COUNT; i++)
		if (name_is(field_defs[i].name, name, len))
			return i;
	for (size_t i = 0; i < NALIASES; i++)
		if (name_is(field_aliases[i].name, name, len))
			return (int)field_aliases[i].field;
	return -1;
}

/* Static storage. */
const char *query_field_name(enum query_field f)
{
	return (unsigned)f < QUERY_FIELD_COUNT ? field_defs[f].name : "?";
}

/* Pure. */
enum query_type query_field_type(enum query_field f)
{
	return (unsigned)f < QUERY_FIELD_COUNT ? field_defs[f].type : QUERY_TYPE_TEXT;
}

/* r is borrowed. */
bool query_field_num(const struct flowlog_rec *r, enum query_field f, uint64_t *v)
{
	switch (f) {
	case QUERY_FIELD_START_TIME:
		*v = r->start_time;
		return true;
	case QUERY_FIELD_END_TIME:
		*v = r->end_time;
		return true;
	case QUERY_FIELD_SOURCE_PORT:
	case QUERY_FIELD_DEST_PORT: {
		int port = f == QUERY_FIELD_SOURCE_PORT ? r->src.port : r->dst.port;

		if (port < 0)
			return false;
		*v = (uint64_t)port;
		return true;
	}
	case QUERY_FIELD_BYTES_IN:
		*v = r->bytes_in;
		return true;
	case QUERY_FIELD_BYTES_OUT:
		*v = r->bytes_out;
		return true;
	case QUERY_FIELD_PACKETS_IN:
		*v = r->packets_in;
		return true;
	case QUERY_FIELD_PACKETS_OUT:
		*v = r->packets_out;
		return true;
	case QUERY_FIELD_NUM_FLOWS:
		*v = r->num_flows;
		return true;
	case QUERY_FIELD_NUM_FLOWS_STARTED:
		*v = r->num_flows_started;
		return true;
	case QUERY_FIELD_NUM_FLOWS_COMPLETED:
		*v = r->num_flows_completed;
		return true;
	case QUERY_FIELD_NUM_FLOWS_UNANSWERED:
		*v = r->num_flows_unanswered;
		return true;
	default:
		return false;
	}
}

/* The string of a text or address field ("" for a null address); NULL for other types. */
static const char *field_str(const struct flowlog_rec *r, enum query_field f)
{
	switch (f) {
	case QUERY_FIELD_SOURCE_IP:
		return r->src.ip;
	case QUERY_FIELD_SOURCE_NAME:
		return r->src.name;
	case QUERY_FIELD_SOURCE_NAME_AGGR:
		return r->src.name_aggr;
	case QUERY_FIELD_SOURCE_NAMESPACE:
		return r->src.ns;
	case QUERY_FIELD_SOURCE_TYPE:
		return r->src.type;
	case QUERY_FIELD_DEST_IP:
		return r->dst.ip;
	case QUERY_FIELD_DEST_NAME:
		return r->dst.name;
	case QUERY_FIELD_DEST_NAME_AGGR:
		return r->dst.name_aggr;
	case QUERY_FIELD_DEST_NAMESPACE:
		return r->dst.ns;
	case QUERY_FIELD_DEST_TYPE:
		return r->dst.type;
	case QUERY_FIELD_PROTO:
		return r->proto;
	case QUERY_FIELD_ACTION:
		return r->action;
	case QUERY_FIELD_REPORTER:
		return r->reporter;
	case QUERY_FIELD_HOST:
		return r->host;
	default:
		return NULL;
	}
}

/* The entries of a list field. */
static size_t field_list(const struct flowlog_rec *r, enum query_field f, const char *const **v)
{
	switch (f) {
	case QUERY_FIELD_SOURCE_LABELS:
		*v = r->src.labels;
		return r->src.nlabels;
	case QUERY_FIELD_DEST_LABELS:
		*v = r->dst.labels;
		return r->dst.nlabels;
	case QUERY_FIELD_POLICIES:
		*v = r->policies;
		return r->npolicies;
	default:
		*v = NULL;
		return 0;
	}
}

/* r is borrowed; out is the caller's. */
void query_field_text(const struct flowlog_rec *r, enum query_field f, struct strbuf *out)
{
	const char *const *v;
	const char *s;
	uint64_t n;
	size_t cnt;

	switch (query_field_type(f)) {
	case QUERY_TYPE_NUM:
		if (query_field_num(r, f, &n))
			strbuf_printf(out, "%llu", (unsigned long long)n);
		return;
	case QUERY_TYPE_LIST:
		cnt = field_list(r, f, &v);
		for (size_t i = 0; i < cnt; i++) {
			if (i)
				strbuf_putc(out, ',');
			strbuf_puts(out, v[i]);
		}
		return;
	default:
		s = field_str(r, f);
		strbuf_puts(out, s ? s : "");
		return;
	}
}

/* ---- tree ----------------------------------------------------------------------------- */

enum qop { QOP_AND, QOP_OR, QOP_NOT, QOP_CMP, QOP_IN, QOP_NOTIN };
enum qcmp { QCMP_EQ, QCMP_NE, QCMP_LT, QCMP_LE, QCMP_GT, QCMP_GE };

static const char *const cmp_text[] = {"=", "!=", "<", "<=", ">", ">="};

/* A value of a comparison or a set. */
struct qval {
	const char *str; /* text: canonical for addresses and proto numbers, in the arena */
	double num;	 /* number fields */
	int64_t i;	 /* number fields, when is_int */
	bool is_int;
	bool wild;	  /* a set pattern with "*" or "?" (text, address and list fields) */
	bool has_ip;	  /* address fields, not wild */
	struct ipaddr ip; /* when has_ip */
};

struct qnode {
	enum qop op;
	enum qcmp cmp;		/* CMP */
	enum query_field field; /* CMP, IN, NOTIN */
	unsigned depth;	     /* AND, OR and NOT nodes on the longest path down, this one included */
	struct qnode **kids; /* AND, OR: nkids >= 2; NOT: 1 */
	size_t nkids;
	struct qval val;  /* CMP */
	struct qval *set; /* IN, NOTIN: sorted, unique */
	size_t nset;
};

struct query {
	struct arena arena;
	struct qnode *root; /* NULL: the empty query */
};

/* ---- tokenizer ------------------------------------------------------------------------ */

enum tok_kind {
	T_EOF,
	T_WORD,
	T_STRING, /* start/len cover the quotes */
	T_LPAREN,
	T_RPAREN,
	T_LBRACE,
	T_RBRACE,
	T_COMMA,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_ANDAND, /* && */
	T_OROR,	  /* || */
	T_BANG,	  /* ! */
};

enum keyword { KW_NONE, KW_AND, KW_OR, KW_NOT, KW_IN, KW_NOTIN };

struct parser {
	const char *text;
	size_t len;
	enum tok_kind kind; /* the current token */
	size_t start, tlen;
	size_t prev_start, prev_len; /* the token before it */
	size_t next;		     /* offset after the current token */
	struct arena *arena;
	unsigned nest; /* "(" and NOT currently open */
	char *err;     /* first error, malloc'd */
	bool oom;
};

static bool is_bare(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '/' || c == '*' || c == '?' || c == '@' ||
	       c == '+' || c == '-' || c >= 0x80;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void *fail_oom(struct parser *p)
{
	p->oom = true;
	return NULL;
}

static void *fail_buf(struct parser *p, struct strbuf *b)
{
	if (!p->err && !p->oom) {
		p->err = strbuf_steal(b);
		if (!p->err)
			p->oom = true;
	}
	strbuf_fini(b);
	return NULL;
}

/* "column N: <message>", N being the 1-based column of byte offset off. */
__attribute__((format(printf, 3, 4))) static void *fail(struct parser *p, size_t off,
							const char *fmt, ...)
{
	struct strbuf b;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return fail_oom(p);
	strbuf_init(&b);
	strbuf_printf(&b, "column %zu: %s", off + 1, msg);
	free(msg);
	return fail_buf(p, &b);
}

/* Appends how messages name text[start..start+len): 'word', "string" as written. */
static void describe(struct strbuf *b, const char *text, size_t start, size_t len, bool string)
{
	size_t n = len > DESCRIBE_MAX ? DESCRIBE_MAX : len;
	const char *q = string ? "" : "'";

	strbuf_puts(b, q);
	strbuf_add(b, text + start, n);
	if (n < len)
		strbuf_puts(b, "...");
	strbuf_puts(b, q);
}

/* "column N: expected <what>[, found <current token>]": nothing found at the end. */
__attribute__((format(printf, 2, 3))) static void *fail_expected(struct parser *p, const char *fmt,
								 ...)
{
	struct strbuf b;
	va_list ap;
	char *what;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (!what)
		return fail_oom(p);
	strbuf_init(&b);
	strbuf_printf(&b, "column %zu: expected %s", p->start + 1, what);
	free(what);
	if (p->kind != T_EOF) {
		strbuf_puts(&b, ", found ");
		describe(&b, p->text, p->start, p->tlen, p->kind == T_STRING);
	}
	return fail_buf(p, &b);
}

static int set_tok(struct parser *p, enum tok_kind kind, size_t start, size_t len)
{
	p->kind = kind;
	p->start = start;
	p->tlen = len;
	p->next = start + len;
	return 0;
}

/* A string from text[pos] (the quote): checks its escapes and finds its end. */
static int lex_string(struct parser *p, size_t pos)
{
	for (size_t i = pos + 1; i < p->len; i++) {
		if (p->text[i] == '"')
			return set_tok(p, T_STRING, pos, i + 1 - pos);
		if (p->text[i] != '\\')
			continue;
		if (i + 1 < p->len && (p->text[i + 1] == '"' || p->text[i + 1] == '\\')) {
			i++;
			continue;
		}
		if (i + 1 >= p->len)
			break;
		if ((unsigned char)p->text[i + 1] > ' ' && (unsigned char)p->text[i + 1] < 0x7f)
			fail(p, i,
			     "unknown escape '\\%c' in a string (only \\\" and \\\\ are escapes)",
			     p->text[i + 1]);
		else
			fail(p, i, "unknown escape in a string (only \\\" and \\\\ are escapes)");
		return -1;
	}
	fail(p, pos, "unterminated string: no closing '\"' before the end of the query");
	return -1;
}

/* Moves to the next token; -1 (with the error set) for a byte that starts no token. */
static int advance(struct parser *p)
{
	size_t pos = p->next;
	char c, n;

	p->prev_start = p->start;
	p->prev_len = p->tlen;
	while (pos < p->len && is_space(p->text[pos]))
		pos++;
	if (pos >= p->len)
		return set_tok(p, T_EOF, p->len, 0);
	c = p->text[pos];
	n = pos + 1 < p->len ? p->text[pos + 1] : '\0';
	switch (c) {
	case '(':
		return set_tok(p, T_LPAREN, pos, 1);
	case ')':
		return set_tok(p, T_RPAREN, pos, 1);
	case '{':
		return set_tok(p, T_LBRACE, pos, 1);
	case '}':
		return set_tok(p, T_RBRACE, pos, 1);
	case ',':
		return set_tok(p, T_COMMA, pos, 1);
	case '=':
		return set_tok(p, T_EQ, pos, 1);
	case '!':
		return n == '=' ? set_tok(p, T_NE, pos, 2) : set_tok(p, T_BANG, pos, 1);
	case '<':
		return n == '=' ? set_tok(p, T_LE, pos, 2) : set_tok(p, T_LT, pos, 1);
	case '>':
		return n == '=' ? set_tok(p, T_GE, pos, 2) : set_tok(p, T_GT, pos, 1);
	case '&':
		if (n == '&')
			return set_tok(p, T_ANDAND, pos, 2);
		fail(p, pos, "unexpected character '&' (did you mean AND?)");
		return -1;
	case '|':
		if (n == '|')
			return set_tok(p, T_OROR, pos, 2);
		fail(p, pos,
		     "unexpected character '|' (did you mean OR? quote values holding '|')");
		return -1;
	case '"':
		return lex_string(p, pos);
	default:
		if (is_bare((unsigned char)c)) {
			size_t end = pos + 1;

			while (end < p->len && is_bare((unsigned char)p->text[end]))
				end++;
			return set_tok(p, T_WORD, pos, end - pos);
		}
		if ((unsigned char)c > ' ' && (unsigned char)c < 0x7f)
			fail(p, pos, "unexpected character '%c' (quote values holding it)", c);
		else
			fail(p, pos, "unexpected byte 0x%02x", (unsigned char)c);
		return -1;
	}
}

static bool word_eq(const struct parser *p, const char *upper, const char *lower)
{
	return p->kind == T_WORD && (name_is(upper, p->text + p->start, p->tlen) ||
				     name_is(lower, p->text + p->start, p->tlen));
}

/* The keyword the current token is, if it stands where an operator may. */
static enum keyword keyword(const struct parser *p)
{
	if (p->kind == T_ANDAND || word_eq(p, "AND", "and"))
		return KW_AND;
	if (p->kind == T_OROR || word_eq(p, "OR", "or"))
		return KW_OR;
	if (p->kind == T_BANG || word_eq(p, "NOT", "not"))
		return KW_NOT;
	if (word_eq(p, "IN", "in"))
		return KW_IN;
	if (word_eq(p, "NOTIN", "notin"))
		return KW_NOTIN;
	return KW_NONE;
}

/* The text of the current word or string (unescaped), copied into the arena. */
static char *tok_text(struct parser *p)
{
	const char *s = p->text + p->start;
	char *out, *o;

	if (p->kind != T_STRING) {
		out = arena_strndup(p->arena, s, p->tlen);
		return out ? out : fail_oom(p);
	}
	out = arena_alloc(p->arena, p->tlen);
	if (!out)
		return fail_oom(p);
	o = out;
	for (size_t i = 1; i + 1 < p->tlen; i++) {
		if (s[i] == '\\')
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* ---- values --------------------------------------------------------------------------- */

/* [+-]digits[.digits][(e|E)[+-]digits], or digits after the point only ("-.5"). */
static bool number_syntax(const char *s, bool *is_int)
{
	size_t digits = 0;

	*is_int = true;
	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.') {
		*is_int = false;
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		*is_int = false;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static bool parse_number(const char *s, struct qval *v)
{
	bool is_int;
	char *end;

	if (!number_syntax(s, &is_int))
		return false;
	errno = 0;
	if (is_int) {
		long long i = strtoll(s, &end, 10);

		if (errno == 0) {
			v->is_int = true;
			v->i = i;
			v->num = (double)i;
			return true;
		}
	}
	errno = 0;
	v->num = strtod(s, &end);
	v->is_int = false;
	return isfinite(v->num);
}

static bool is_port(enum query_field f)
{
	return f == QUERY_FIELD_SOURCE_PORT || f == QUERY_FIELD_DEST_PORT;
}

/* The fixed words of an enumerated text field, and how messages list them. */
static const char *const *field_words(enum query_field f, const char **list)
{
	static const char *const actions[] = {"allow", "deny", NULL};
	static const char *const reporters[] = {"src", "dst", NULL};
	static const char *const types[] = {"wep", "hep", "ns", "net", NULL};

	switch (f) {
	case QUERY_FIELD_ACTION:
		*list = "allow or deny";
		return actions;
	case QUERY_FIELD_REPORTER:
		*list = "src or dst";
		return reporters;
	case QUERY_FIELD_SOURCE_TYPE:
	case QUERY_FIELD_DEST_TYPE:
		*list = "wep, hep, ns or net";
		return types;
	default:
		return NULL;
	}
}

/* "column N: <field>: <message>, found <the value token>"; returns false. */
static bool fail_value(struct parser *p, enum query_field f, const char *what)
{
	struct strbuf b;

	strbuf_init(&b);
	strbuf_printf(&b, "column %zu: %s: %s, found ", p->start + 1, query_field_name(f), what);
	describe(&b, p->text, p->start, p->tlen, p->kind == T_STRING);
	fail_buf(p, &b);
	return false;
}

static bool fail_oom_bool(struct parser *p)
{
	p->oom = true;
	return false;
}

/*
 * Converts the current token into a value of field f for comparison cmp (or, with in_set,
 * for a set member) and checks it.  Returns false with the error set.
 */
static bool make_val(struct parser *p, enum query_field f, enum qcmp cmp, bool in_set,
		     struct qval *v)
{
	bool exact = in_set || cmp == QCMP_EQ || cmp == QCMP_NE;
	char buf[IPADDR_STRLEN], what[64];
	const char *list;
	const char *const *words;
	char *s = tok_text(p);

	memset(v, 0, sizeof(*v));
	if (!s)
		return false;
	v->str = s;
	switch (query_field_type(f)) {
	case QUERY_TYPE_NUM:
		if (!parse_number(s, v))
			return fail_value(p, f, "expected a number");
		if (is_port(f) && exact && !(v->is_int && v->i >= 0 && v->i <= 65535))
			return fail_value(p, f, "expected a port number 0..65535");
		return true;
	case QUERY_TYPE_IP:
		v->wild = in_set && strpbrk(s, "*?");
		if (v->wild)
			return true;
		if (ipaddr_parse(s, &v->ip) || ipaddr_format(&v->ip, buf, sizeof(buf)) < 0)
			return fail_value(p, f, "expected an IP address");
		v->has_ip = true;
		v->str = arena_strdup(p->arena, buf);
		return v->str ? true : fail_oom_bool(p);
	case QUERY_TYPE_LIST:
		v->wild = in_set && strpbrk(s, "*?");
		if (v->wild || !exact || f == QUERY_FIELD_POLICIES)
			return true;
		if (s[0] == '=' || !strchr(s, '='))
			return fail_value(p, f, "expected a label 'key=value'");
		return true;
	default:
		v->wild = in_set && strpbrk(s, "*?");
		if (v->wild || !exact)
			return true;
		words = field_words(f, &list);
		if (words) {
			for (size_t i = 0; words[i]; i++)
				if (!strcmp(words[i], s))
					return true;
			snprintf(what, sizeof(what), "expected %s", list);
			return fail_value(p, f, what);
		}
		if (f == QUERY_FIELD_PROTO && s[0] >= '0' && s[0] <= '9' &&
		    strspn(s, "0123456789") == strlen(s)) {
			unsigned long n = strlen(s) <= 3 ? strtoul(s, NULL, 10) : 256;

			if (n > 255)
				return fail_value(p, f,
						  "expected a protocol name or number 0..255");
			v->str = arena_strdup(p->arena,
					      flow_proto_name((uint8_t)n, buf, sizeof(buf)));
			return v->str ? true : fail_oom_bool(p);
		}
		return true;
	}
}

/* The value as a long double: exact for every int64_t on x86-64 and arm64 Linux. */
static long double val_ld(const struct qval *v)
{
	return v->is_int ? (long double)v->i : (long double)v->num;
}

static int num_cmp3(const struct qval *a, const struct qval *b)
{
	long double x, y;

	if (a->is_int && b->is_int)
		return (a->i > b->i) - (a->i < b->i);
	x = val_ld(a);
	y = val_ld(b);
	return (x > y) - (x < y);
}

static int qsort_num(const void *a, const void *b)
{
	return num_cmp3(a, b);
}

static int qsort_str(const void *a, const void *b)
{
	const struct qval *x = a, *y = b;

	return strcmp(x->str, y->str);
}

/* Sorts and de-duplicates v[0..n); returns the new count. */
static size_t sort_set(struct qval *v, size_t n, bool numeric)
{
	size_t out = 0;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), numeric ? qsort_num : qsort_str);
	for (size_t i = 1; i < n; i++) {
		bool same = numeric ? num_cmp3(&v[out], &v[i]) == 0 : !strcmp(v[out].str, v[i].str);

		if (!same)
			v[++out] = v[i];
	}
	return out + 1;
}

/* ---- parser --------------------------------------------------------------------------- */

struct nvec {
	struct qnode **v;
	size_t n, cap;
};

static int nvec_push(struct parser *p, struct nvec *v, struct qnode *n)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 4;
		struct qnode **nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv) {
			p->oom = true;
			return -1;
		}
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = n;
	return 0;
}

static struct qnode *new_node(struct parser *p, enum qop op)
{
	struct qnode *n = arena_alloc(p->arena, sizeof(*n));

	if (!n)
		return fail_oom(p);
	n->op = op;
	return n;
}

/* Sets the depth of AND, OR or NOT node n from its children; fails past QUERY_MAX_DEPTH. */
static struct qnode *finish_depth(struct parser *p, struct qnode *n, size_t off)
{
	unsigned d = 0;

	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->depth > d)
			d = n->kids[i]->depth;
	n->depth = d + 1;
	if (n->depth > QUERY_MAX_DEPTH)
		return fail(p, off, "conditions nested deeper than %d levels", QUERY_MAX_DEPTH);
	return n;
}

static struct qnode *parse_list(struct parser *p, enum qop op);

/* The column and text of the previous token, for "after 'X'" messages. */
static char *prev_text(struct parser *p, char *buf, size_t size)
{
	size_t n = p->prev_len < size - 1 ? p->prev_len : size - 1;

	memcpy(buf, p->text + p->prev_start, n);
	buf[n] = '\0';
	return buf;
}

static struct qnode *parse_set(struct parser *p, struct qnode *n)
{
	size_t open, cap = 0;
	struct qval *vals = NULL, *nv;
	struct qnode *res = NULL;
	char prev[16];

	if (p->kind != T_LBRACE)
		return fail_expected(p, "'{' after '%s'", prev_text(p, prev, sizeof(prev)));
	open = p->start;
	if (advance(p))
		return NULL;
	for (;;) {
		if (p->kind != T_WORD && p->kind != T_STRING) {
			fail_expected(p, "a value after '%s'", prev_text(p, prev, sizeof(prev)));
			goto out;
		}
		if (n->nset == cap) {
			cap = cap ? 2 * cap : 4;
			nv = realloc(vals, cap * sizeof(*nv));
			if (!nv) {
				p->oom = true;
				goto out;
			}
			vals = nv;
		}
		if (!make_val(p, n->field, QCMP_EQ, true, &vals[n->nset]))
			goto out;
		n->nset++;
		if (advance(p))
			goto out;
		if (p->kind == T_RBRACE)
			break;
		if (p->kind != T_COMMA) {
			fail_expected(p, "',' or '}' in the set opened at column %zu", open + 1);
			goto out;
		}
		if (advance(p))
			goto out;
	}
	if (advance(p))
		goto out;
	n->nset = sort_set(vals, n->nset, query_field_type(n->field) == QUERY_TYPE_NUM);
	n->set = arena_memdup(p->arena, vals, n->nset * sizeof(*vals));
	res = n->set ? n : fail_oom(p);
out:
	free(vals);
	return res;
}

/* Levenshtein distance of a and b, both at most 63 bytes. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[64], prev_diag, tmp;

	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		prev_diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t best = prev_diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev_diag = tmp;
		}
	}
	return row[nb];
}

/* The schema name closest to name, when it is close enough to be a typo; else NULL. */
static const char *suggest(const char *name, size_t len)
{
	const char *best = NULL;
	size_t bestd = len / 3 + 1;

	if (len >= 64)
		return NULL;
	for (int i = 0; i < QUERY_FIELD_COUNT; i++) {
		size_t d = distance(name, len, field_defs[i].name, strlen(field_defs[i].name));

		if (d < bestd || (d == bestd && !best && d <= 2)) {
			bestd = d;
			best = field_defs[i].name;
		}
	}
	return best;
}

static struct qnode *parse_comparison(struct parser *p)
{
	static const enum tok_kind cmp_toks[] = {T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE};
	size_t fstart = p->start;
	const char *fname, *hint;
	struct qnode *n;
	enum keyword kw;
	char *name;
	int f;

	name = tok_text(p);
	if (!name)
		return NULL;
	f = query_field_lookup(name, strlen(name));
	if (f < 0) {
		hint = suggest(name, strlen(name));
		if (hint)
			return fail(p, fstart, "unknown field '%s' (did you mean '%s'?)", name,
				    hint);
		return fail(p, fstart,
			    "unknown field '%.64s' (the fields are those of a flow log record)",
			    name);
	}
	fname = query_field_name((enum query_field)f);
	if (advance(p))
		return NULL;
	n = new_node(p, QOP_CMP);
	if (!n)
		return NULL;
	n->field = (enum query_field)f;
	for (size_t i = 0; i < sizeof(cmp_toks) / sizeof(cmp_toks[0]); i++) {
		if (p->kind != cmp_toks[i])
			continue;
		n->cmp = (enum qcmp)i;
		if (advance(p))
			return NULL;
		if (p->kind != T_WORD && p->kind != T_STRING)
			return fail_expected(p, "a value after '%s'", cmp_text[i]);
		if (!make_val(p, n->field, n->cmp, false, &n->val))
			return NULL;
		if (advance(p))
			return NULL;
		return n;
	}
	kw = keyword(p);
	if (kw == KW_IN || kw == KW_NOTIN) {
		n->op = kw == KW_IN ? QOP_IN : QOP_NOTIN;
		if (advance(p))
			return NULL;
		return parse_set(p, n);
	}
	if (kw == KW_NOT && p->kind == T_WORD)
		return fail_expected(p,
				     "an operator (=, !=, <, <=, >, >=, IN or NOTIN) after '%s' "
				     "(NOT IN is written NOTIN)",
				     fname);
	return fail_expected(p, "an operator (=, !=, <, <=, >, >=, IN or NOTIN) after '%s'", fname);
}

static struct qnode *parse_unary(struct parser *p)
{
	size_t open = p->start;
	struct qnode *n, *kid;
	char prev[16];

	if (keyword(p) == KW_NOT) {
		if (++p->nest > QUERY_MAX_DEPTH)
			return fail(p, open, "conditions nested deeper than %d levels",
				    QUERY_MAX_DEPTH);
		if (advance(p))
			return NULL;
		kid = parse_unary(p);
		p->nest--;
		if (!kid)
			return NULL;
		n = new_node(p, QOP_NOT);
		if (!n)
			return NULL;
		n->kids = arena_memdup(p->arena, &kid, sizeof(kid));
		if (!n->kids)
			return fail_oom(p);
		n->nkids = 1;
		return finish_depth(p, n, open);
	}
	if (p->kind == T_LPAREN) {
		if (++p->nest > QUERY_MAX_DEPTH)
			return fail(p, open, "conditions nested deeper than %d levels",
				    QUERY_MAX_DEPTH);
		if (advance(p))
			return NULL;
		n = parse_list(p, QOP_OR);
		if (!n)
			return NULL;
		if (p->kind != T_RPAREN)
			return fail_expected(p, "')' to close the '(' at column %zu", open + 1);
		p->nest--;
		if (advance(p))
			return NULL;
		return n;
	}
	if ((p->kind == T_WORD && keyword(p) == KW_NONE) || p->kind == T_STRING)
		return parse_comparison(p);
	if (p->prev_len)
		return fail_expected(p, "a condition after '%s'", prev_text(p, prev, sizeof(prev)));
	return fail_expected(p, "a condition (a field and a value, NOT or '(')");
}

static bool at_op(struct parser *p, enum qop op)
{
	return keyword(p) == (op == QOP_AND ? KW_AND : KW_OR);
}

static int push_flat(struct parser *p, struct nvec *v, struct qnode *n, enum qop op)
{
	if (n->op != op)
		return nvec_push(p, v, n);
	for (size_t i = 0; i < n->nkids; i++)
		if (nvec_push(p, v, n->kids[i]))
			return -1;
	return 0;
}

/* or (op OR) or and (op AND): operands joined by op, flattened. */
static struct qnode *parse_list(struct parser *p, enum qop op)
{
	struct nvec v = {0};
	struct qnode *n, *res = NULL;
	size_t off = p->start;

	n = op == QOP_OR ? parse_list(p, QOP_AND) : parse_unary(p);
	if (!n || !at_op(p, op)) {
		res = n;
		goto out;
	}
	if (push_flat(p, &v, n, op))
		goto out;
	while (at_op(p, op)) {
		if (advance(p))
			goto out;
		n = op == QOP_OR ? parse_list(p, QOP_AND) : parse_unary(p);
		if (!n || push_flat(p, &v, n, op))
			goto out;
	}
	n = new_node(p, op);
	if (!n)
		goto out;
	n->kids = arena_memdup(p->arena, v.v, v.n * sizeof(*v.v));
	if (!n->kids) {
		fail_oom(p);
		goto out;
	}
	n->nkids = v.n;
	res = finish_depth(p, n, off);
out:
	free(v.v);
	return res;
}

/*
 * text is only read; the result is the caller's (query_free) and keeps no pointer into
 * text.  On failure *err (when err is not NULL) is the caller's to free; it stays NULL and
 * errno is ENOMEM when memory ran out, errno is EINVAL for a bad query.
 */
struct query *query_parse(const char *text, char **err)
{
	struct parser p = {0};
	struct query *q;
	char *canon;
	size_t clen;

	if (err)
		*err = NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	arena_init(&q->arena);
	p.arena = &q->arena;
	p.text = text ? text : "";
	p.len = strnlen(p.text, (size_t)QUERY_MAX_LEN + 1);
	if (p.len > QUERY_MAX_LEN) {
		fail(&p, QUERY_MAX_LEN, "the query is longer than %d bytes", QUERY_MAX_LEN);
		goto fail;
	}
	if (advance(&p))
		goto fail;
	p.prev_len = 0;
	if (p.kind == T_EOF)
		return q;
	q->root = parse_list(&p, QOP_OR);
	if (!q->root)
		goto fail;
	if (p.kind == T_RPAREN) {
		fail(&p, p.start, "')' has no matching '('");
		goto fail;
	}
	if (p.kind != T_EOF) {
		fail_expected(&p, "AND, OR or the end of the query");
		goto fail;
	}
	canon = query_print(q);
	if (!canon) {
		p.oom = true;
		goto fail;
	}
	clen = strlen(canon);
	free(canon);
	if (clen > QUERY_MAX_LEN) {
		fail(&p, 0, "the query is longer than %d bytes in canonical form", QUERY_MAX_LEN);
		goto fail;
	}
	return q;
fail:
	errno = p.oom ? ENOMEM : EINVAL;
	if (err && !p.oom)
		*err = p.err;
	else
		free(p.err);
	query_free(q);
	return NULL;
}

/* Frees q and everything in it; accepts NULL. */
void query_free(struct query *q)
{
	if (!q)
		return;
	arena_fini(&q->arena);
	free(q);
}

/* Pure. */
bool query_is_empty(const struct query *q)
{
	return !q->root;
}

/* ---- evaluator ------------------------------------------------------------------------ */

/* One character: a byte and its UTF-8 continuation bytes. */
static size_t utf8_next(const char *s, size_t i, size_t n)
{
	for (i++; i < n && ((unsigned char)s[i] & 0xc0) == 0x80; i++)
		;
	return i;
}

/*
 * Wildcard match of the whole of s against pattern p: "*" any run of characters, "?" one
 * character.  Greedy with one backtracking point (the last "*"), O(len(p) * len(s)).
 */
static bool glob(const char *p, const char *s)
{
	size_t pn = strlen(p), sn = strlen(s), pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && p[pi] == '?') {
			pi++;
			si = utf8_next(s, si, sn);
		} else if (pi < pn && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			mark = utf8_next(s, mark, sn);
			si = mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static bool cmp_holds(int r, enum qcmp c)
{
	switch (c) {
	case QCMP_EQ:
		return r == 0;
	case QCMP_NE:
		return r != 0;
	case QCMP_LT:
		return r < 0;
	case QCMP_LE:
		return r <= 0;
	case QCMP_GT:
		return r > 0;
	default:
		return r >= 0;
	}
}

/* Sign of v - q. */
static int num_cmp(uint64_t v, const struct qval *q)
{
	if (q->is_int) {
		if (q->i < 0)
			return 1;
		return (v > (uint64_t)q->i) - (v < (uint64_t)q->i);
	}
	return ((long double)v > (long double)q->num) - ((long double)v < (long double)q->num);
}

/* Whether address text s equals value q (exact, not a pattern). */
static bool ip_equal(const char *s, const struct qval *q)
{
	struct ipaddr a;

	if (!strcmp(s, q->str))
		return true;
	return ipaddr_parse(s, &a) == 0 && ipaddr_equal(&a, &q->ip);
}

/* Whether the string s of a text, address or list field is in the set of n. */
static bool str_in_set(const struct qnode *n, const char *s, bool ip)
{
	for (size_t i = 0; i < n->nset; i++) {
		const struct qval *v = &n->set[i];

		if (v->wild ? glob(v->str, s) : ip ? ip_equal(s, v) : !strcmp(s, v->str))
			return true;
	}
	return false;
}

/* Whether a positive condition (a comparison other than !=, or IN) holds for string s. */
static bool str_holds(const struct qnode *n, const char *s, bool ip)
{
	struct ipaddr a;

	if (n->op != QOP_CMP)
		return str_in_set(n, s, ip);
	if (!ip)
		return cmp_holds(strcmp(s, n->val.str), n->cmp);
	if (n->cmp == QCMP_EQ)
		return ip_equal(s, &n->val);
	return ipaddr_parse(s, &a) == 0 && cmp_holds(ipaddr_cmp(&a, &n->val.ip), n->cmp);
}

static bool eval_leaf(const struct qnode *n, const struct flowlog_rec *r)
{
	/* != and NOTIN are the negations of = and IN, for every type. */
	bool neg = n->op == QOP_NOTIN || (n->op == QOP_CMP && n->cmp == QCMP_NE);
	const char *const *list;
	struct qnode pos;
	const char *s;
	size_t cnt;
	uint64_t v;
	bool hit = false;

	if (neg) {
		pos = *n;
		pos.op = n->op == QOP_NOTIN ? QOP_IN : QOP_CMP;
		pos.cmp = QCMP_EQ;
		n = &pos;
	}
	switch (query_field_type(n->field)) {
	case QUERY_TYPE_NUM:
		if (!query_field_num(r, n->field, &v))
			break;
		if (n->op == QOP_CMP) {
			hit = cmp_holds(num_cmp(v, &n->val), n->cmp);
			break;
		}
		for (size_t i = 0; i < n->nset && !hit; i++)
			hit = num_cmp(v, &n->set[i]) == 0;
		break;
	case QUERY_TYPE_LIST:
		cnt = field_list(r, n->field, &list);
		for (size_t i = 0; i < cnt && !hit; i++)
			hit = str_holds(n, list[i], false);
		break;
	case QUERY_TYPE_IP:
		s = field_str(r, n->field);
		hit = *s && str_holds(n, s, true);
		break;
	default:
		hit = str_holds(n, field_str(r, n->field), false);
		break;
	}
	return hit != neg;
}

static bool eval(const struct qnode *n, const struct flowlog_rec *r)
{
	switch (n->op) {
	case QOP_AND:
		for (size_t i = 0; i < n->nkids; i++)
			if (!eval(n->kids[i], r))
				return false;
		return true;
	case QOP_OR:
		for (size_t i = 0; i < n->nkids; i++)
			if (eval(n->kids[i], r))
				return true;
		return false;
	case QOP_NOT:
		return !eval(n->kids[0], r);
	default:
		return eval_leaf(n, r);
	}
}

/* Both borrowed; allocates nothing. */
bool query_match(const struct query *q, const struct flowlog_rec *r)
{
	return !q->root || eval(q->root, r);
}

/* ---- printer -------------------------------------------------------------------------- */

static void print_text(struct strbuf *b, const char *s)
{
	bool bare = *s != '\0';

	for (const char *c = s; *c && bare; c++)
		bare = is_bare((unsigned char)*c);
	if (bare) {
		strbuf_puts(b, s);
		return;
	}
	strbuf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_putc(b, '\\');
		strbuf_putc(b, *s);
	}
	strbuf_putc(b, '"');
}

/* Integers in int64_t range as integers, others as the shortest "%.<n>g" that reads back. */
static void print_double(struct strbuf *b, double d)
{
	char buf[40];

	if (d == floor(d) && fabs(d) < 9e18) {
		strbuf_printf(b, "%lld", (long long)d); /* -0.0 prints as 0 */
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	strbuf_puts(b, buf);
}

static void print_val(struct strbuf *b, enum query_field f, const struct qval *v)
{
	if (query_field_type(f) != QUERY_TYPE_NUM)
		print_text(b, v->str);
	else if (v->is_int)
		strbuf_printf(b, "%lld", (long long)v->i);
	else
		print_double(b, v->num);
}

static void print_node(struct strbuf *b, const struct qnode *n, bool paren)
{
	switch (n->op) {
	case QOP_AND:
	case QOP_OR:
		if (paren)
			strbuf_putc(b, '(');
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				strbuf_puts(b, n->op == QOP_AND ? " AND " : " OR ");
			print_node(b, n->kids[i], true);
		}
		if (paren)
			strbuf_putc(b, ')');
		return;
	case QOP_NOT:
		strbuf_puts(b, "NOT ");
		print_node(b, n->kids[0], true);
		return;
	case QOP_CMP:
		strbuf_printf(b, "%s %s ", query_field_name(n->field), cmp_text[n->cmp]);
		print_val(b, n->field, &n->val);
		return;
	default:
		strbuf_printf(b, "%s %s {", query_field_name(n->field),
			      n->op == QOP_IN ? "IN" : "NOTIN");
		for (size_t i = 0; i < n->nset; i++) {
			if (i)
				strbuf_puts(b, ", ");
			print_val(b, n->field, &n->set[i]);
		}
		strbuf_putc(b, '}');
		return;
	}
}

/* q is borrowed; the result is the caller's to free. */
char *query_print(const struct query *q)
{
	struct strbuf b;

	strbuf_init(&b);
	if (q->root)
		print_node(&b, q->root, false);
	else
		strbuf_add(&b, "", 0);
	return strbuf_steal(&b);
}
