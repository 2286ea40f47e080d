/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calico selectors: a recursive-descent parser over the tokens of selector_lex.c, a compiled
 * form that selector_match() walks without allocating, and the canonical printer.
 *
 * Decisions the header leaves to this file:
 *
 * - Keywords.  "has", "all" and "global" are functions only when "(" follows them; "in",
 *   "not", "contains", "starts", "ends" and "with" are operators only right after a key.
 *   Anywhere else a word is a label key, so "in == 'x'" and "has(not)" are valid and name
 *   labels called "in" and "not".  In operator position they are keywords, as in Calico;
 *   they must stand alone there ("a notin {}" is an error, "a in{}" is not).
 * - Keys are runs of [A-Za-z0-9_./-] that begin with a letter, a digit or "_" (a superset of
 *   Kubernetes label keys, as Calico accepts).
 * - The tree is kept as parsed except that && inside && and || inside || are flattened into
 *   one n-ary node, parentheses vanish, and "in" sets are sorted (strcmp) and de-duplicated.
 *   "!!x" stays two negations.
 * - Depth.  SELECTOR_MAX_DEPTH bounds the depth of that tree: the number of !, && and ||
 *   nodes on the longest path from the root to a leaf.  Redundant parentheses add no depth,
 *   but the parser also refuses more than SELECTOR_MAX_NEST nested "(" and "!" so that no
 *   input can run the recursion deep.  The canonical text of a tree of depth d nests at
 *   most d + 1 levels ("!(a == \"b\")" nests two for one node), so it always parses again.
 * - Length.  The text must be at most SELECTOR_MAX_LEN bytes, and so must its canonical
 *   form (which can be up to twice as long: "a=='b'" prints as "a == \"b\""), so that
 *   parse(print(s)) never fails.
 */
#include "lib/selector.h"

#include "lib/label.h"
#include "lib/selector_lex.h"
#include "lib/strbuf.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELECTOR_MAX_NEST (2 * SELECTOR_MAX_DEPTH)

/* The label that only namespaced resources carry; global() is its absence. */
#define NAMESPACE_LABEL "projectcalico.org/namespace"

enum sel_op {
	SEL_ALL,
	SEL_GLOBAL,
	SEL_HAS,
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOT_IN,
	SEL_CONTAINS,
	SEL_STARTS,
	SEL_ENDS,
	SEL_NOT,
	SEL_AND,
	SEL_OR,
};

/*
 * The compiled selector is one malloc'd block: the header, the nodes in prefix order, the
 * "in" sets (arrays of string pointers) and the NUL-terminated strings they point to.
 * A node's children follow it directly; `size` (nodes in the subtree, itself included)
 * lets the matcher step from one child to the next, so && and || short-circuit without
 * any pointer chasing beyond the block.  32 bytes per node on LP64.
 */
struct sel_node {
	const char *key; /* HAS and the comparisons */
	union {
		const char *str;	/* EQ, NE, CONTAINS, STARTS, ENDS */
		const char *const *set; /* IN, NOT_IN: n strings in strcmp order, unique */
	};
	uint32_t len;  /* strlen(str) */
	uint32_t n;    /* AND, OR: children; NOT: 1; IN, NOT_IN: set elements */
	uint32_t size; /* nodes in this subtree */
	uint8_t op;    /* enum sel_op */
};

struct selector {
	unsigned long hash;
	size_t nnodes;
	size_t textlen; /* strlen of the canonical text */
	struct sel_node nodes[];
};

/* ---- parser -------------------------------------------------------------------------- */

/* A substring of the input (strings have no NUL: the input is a C string). */
struct pstr {
	const char *s;
	uint32_t len;
};

/*
 * Parse tree node.  Nodes live in one growing array and refer to each other by index, so
 * the array may move while the tree is being built.  Children form a list (first, last,
 * next) so that flattening "a && (b && c)" splices a list in O(1).
 */
struct pnode {
	enum sel_op op;
	uint32_t off;	 /* byte offset where the node's text starts, for errors */
	uint32_t depth;	 /* !, && and || nodes on the longest path down, this one included */
	size_t textlen;	 /* bytes of canonical text */
	struct pstr key; /* HAS and comparisons */
	struct pstr str; /* string comparisons */
	uint32_t set;	 /* IN, NOT_IN: first element in parser.strs */
	uint32_t nset;
	int32_t first, last, next;
	uint32_t nkids;
};

struct parser {
	const char *text;
	size_t len;
	struct sel_token tok; /* the current token */
	size_t next;	      /* offset after it */
	struct pnode *nodes;
	size_t n, cap;
	struct pstr *strs; /* set elements of every set, each set contiguous */
	size_t nstrs, capstrs;
	unsigned int nest; /* "(" and "!" currently open */
	char *err;	   /* first error message, malloc'd */
	bool oom;
};

static bool is_comparison(enum sel_op op)
{
	return op >= SEL_EQ && op <= SEL_ENDS;
}

static int fail_oom(struct parser *p)
{
	p->oom = true;
	return -1;
}

static int fail_buf(struct parser *p, struct strbuf *b)
{
	if (!p->err && !p->oom) {
		p->err = strbuf_steal(b);
		if (!p->err)
			p->oom = true;
	}
	strbuf_fini(b);
	return -1;
}

/* "column N: <message>", N being the 1-based column of byte offset off. */
__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, size_t off, const char *fmt,
						      ...)
{
	struct strbuf b;
	va_list ap;
	char *msg;

	strbuf_init(&b);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return fail_oom(p);
	strbuf_printf(&b, "column %zu: %s", off + 1, msg);
	free(msg);
	return fail_buf(p, &b);
}

/* "column N: expected <what>, found <current token>" */
__attribute__((format(printf, 2, 3))) static int fail_expected(struct parser *p, const char *fmt,
							       ...)
{
	struct strbuf b;
	va_list ap;
	char *what;

	strbuf_init(&b);
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (!what)
		return fail_oom(p);
	strbuf_printf(&b, "column %zu: expected %s, found ", p->tok.start + 1, what);
	free(what);
	sel_token_describe(&b, p->text, &p->tok);
	return fail_buf(p, &b);
}

static int advance(struct parser *p)
{
	struct strbuf b;

	p->next = sel_lex(p->text, p->len, p->next, &p->tok);
	if (p->tok.kind != SEL_TOK_BAD_CHAR && p->tok.kind != SEL_TOK_UNTERMINATED)
		return 0;
	strbuf_init(&b);
	strbuf_printf(&b, "column %zu: ", p->tok.start + 1);
	sel_token_error(&b, p->text, &p->tok);
	return fail_buf(p, &b);
}

static bool tok_is_word(const struct parser *p, const struct sel_token *t, const char *w)
{
	return t->kind == SEL_TOK_WORD && t->len == strlen(w) &&
	       !memcmp(p->text + t->start, w, t->len);
}

static int new_node(struct parser *p, enum sel_op op, size_t off)
{
	struct pnode *nd;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		nd = realloc(p->nodes, cap * sizeof(*nd));
		if (!nd)
			return fail_oom(p);
		p->nodes = nd;
		p->cap = cap;
	}
	nd = &p->nodes[p->n];
	memset(nd, 0, sizeof(*nd));
	nd->op = op;
	nd->off = (uint32_t)off;
	nd->first = nd->last = nd->next = -1;
	return (int)p->n++;
}

/* Appends kid to parent's children; a kid of the same kind (&& in &&) gives its children. */
static void add_kid(struct parser *p, int parent, int kid)
{
	struct pnode *pa = &p->nodes[parent], *k = &p->nodes[kid];
	int first = kid, last = kid;
	uint32_t n = 1;

	if (k->op == pa->op && (k->op == SEL_AND || k->op == SEL_OR)) {
		first = k->first;
		last = k->last;
		n = k->nkids;
	}
	if (pa->first < 0)
		pa->first = first;
	else
		p->nodes[pa->last].next = first;
	pa->last = last;
	pa->nkids += n;
}

static int check_depth(struct parser *p, int idx)
{
	if (p->nodes[idx].depth > SELECTOR_MAX_DEPTH)
		return fail(p, p->nodes[idx].off, "expression nested deeper than %d levels",
			    SELECTOR_MAX_DEPTH);
	return idx;
}

static int enter(struct parser *p, size_t off)
{
	if (++p->nest > SELECTOR_MAX_NEST)
		return fail(p, off, "parentheses and \"!\" nested deeper than %d levels",
			    SELECTOR_MAX_NEST);
	return 0;
}

static int parse_list(struct parser *p, enum sel_op op);

static int check_key(struct parser *p)
{
	unsigned char c = (unsigned char)p->text[p->tok.start];
	struct strbuf b;

	if (c != '.' && c != '/' && c != '-')
		return 0;
	strbuf_init(&b);
	strbuf_printf(&b, "column %zu: label key ", p->tok.start + 1);
	sel_token_describe(&b, p->text, &p->tok);
	strbuf_puts(&b, " must begin with a letter, a digit or \"_\"");
	return fail_buf(p, &b);
}

static struct pstr tok_str(const struct parser *p)
{
	struct pstr s = {p->text + p->tok.start, (uint32_t)p->tok.len};

	if (p->tok.kind == SEL_TOK_STRING) {
		s.s++;
		s.len -= 2;
	}
	return s;
}

static int pstr_cmp(const void *pa, const void *pb)
{
	const struct pstr *a = pa, *b = pb;
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int add_str(struct parser *p, struct pstr s)
{
	if (p->nstrs == p->capstrs) {
		size_t cap = p->capstrs ? p->capstrs * 2 : 16;
		struct pstr *v = realloc(p->strs, cap * sizeof(*v));

		if (!v)
			return fail_oom(p);
		p->strs = v;
		p->capstrs = cap;
	}
	p->strs[p->nstrs++] = s;
	return 0;
}

/* At "{": reads the set into the node, sorted and de-duplicated. */
static int parse_set(struct parser *p, int node)
{
	size_t first = p->nstrs, k = 0;
	struct pnode *nd;

	if (p->tok.kind != SEL_TOK_LBRACE)
		return fail_expected(p, "\"{\" after \"in\"");
	if (advance(p))
		return -1;
	if (p->tok.kind != SEL_TOK_RBRACE) {
		if (p->tok.kind != SEL_TOK_STRING)
			return fail_expected(p, "a quoted string or \"}\"");
		for (;;) {
			if (add_str(p, tok_str(p)) || advance(p))
				return -1;
			if (p->tok.kind == SEL_TOK_RBRACE)
				break;
			if (p->tok.kind != SEL_TOK_COMMA)
				return fail_expected(p, "\",\" or \"}\"");
			if (advance(p))
				return -1;
			if (p->tok.kind != SEL_TOK_STRING)
				return fail_expected(p, "a quoted string after \",\"");
		}
	}
	if (advance(p))
		return -1;
	/* This set is the last one added, so it may shrink in place. */
	if (p->nstrs > first)
		qsort(p->strs + first, p->nstrs - first, sizeof(*p->strs), pstr_cmp);
	for (size_t i = first; i < p->nstrs; i++)
		if (k == 0 || pstr_cmp(&p->strs[first + k - 1], &p->strs[i]))
			p->strs[first + k++] = p->strs[i];
	p->nstrs = first + k;
	nd = &p->nodes[node];
	nd->set = (uint32_t)first;
	nd->nset = (uint32_t)k;
	nd->textlen = nd->key.len + (nd->op == SEL_IN ? strlen(" in {") : strlen(" not in {")) + 1;
	for (size_t i = 0; i < k; i++)
		nd->textlen += p->strs[first + i].len + 2 + (i ? 2 : 0);
	return node;
}

/* At a word that is not a function call: key, operator, operand. */
static int parse_comparison(struct parser *p)
{
	struct pstr key = tok_str(p);
	const char *opname;
	enum sel_op op;
	int node;

	if (check_key(p) || advance(p))
		return -1;
	if (p->tok.kind == SEL_TOK_EQ) {
		op = SEL_EQ;
		opname = "==";
	} else if (p->tok.kind == SEL_TOK_NE) {
		op = SEL_NE;
		opname = "!=";
	} else if (tok_is_word(p, &p->tok, "in")) {
		op = SEL_IN;
		opname = "in";
	} else if (tok_is_word(p, &p->tok, "not")) {
		op = SEL_NOT_IN;
		opname = "not in";
		if (advance(p))
			return -1;
		if (!tok_is_word(p, &p->tok, "in"))
			return fail_expected(p, "\"in\" after \"not\"");
	} else if (tok_is_word(p, &p->tok, "contains")) {
		op = SEL_CONTAINS;
		opname = "contains";
	} else if (tok_is_word(p, &p->tok, "starts") || tok_is_word(p, &p->tok, "ends")) {
		bool starts = p->text[p->tok.start] == 's';

		op = starts ? SEL_STARTS : SEL_ENDS;
		opname = starts ? "starts with" : "ends with";
		if (advance(p))
			return -1;
		if (!tok_is_word(p, &p->tok, "with"))
			return fail_expected(p, "\"with\" after \"%s\"",
					     starts ? "starts" : "ends");
	} else {
		return fail_expected(p,
				     "==, !=, in, not in, contains, starts with or ends with after "
				     "\"%.*s%s\"",
				     (int)(key.len > 32 ? 32 : key.len), key.s,
				     key.len > 32 ? "..." : "");
	}
	node = new_node(p, op, (size_t)(key.s - p->text));
	if (node < 0 || advance(p))
		return -1;
	p->nodes[node].key = key;
	if (op == SEL_IN || op == SEL_NOT_IN)
		return parse_set(p, node);
	if (p->tok.kind != SEL_TOK_STRING)
		return fail_expected(p, "a quoted string after \"%s\"", opname);
	p->nodes[node].str = tok_str(p);
	/* key, " op ", and the string in quotes */
	p->nodes[node].textlen = key.len + strlen(opname) + 2 + p->nodes[node].str.len + 2;
	if (advance(p))
		return -1;
	return node;
}

/* At "has", "all" or "global" followed by "(". */
static int parse_call(struct parser *p, enum sel_op op)
{
	const char *name = op == SEL_HAS ? "has" : op == SEL_ALL ? "all" : "global";
	int node = new_node(p, op, p->tok.start);

	if (node < 0 || advance(p) || advance(p))
		return -1;
	if (op == SEL_HAS) {
		if (p->tok.kind != SEL_TOK_WORD)
			return fail_expected(p, "a label key after \"has(\"");
		if (check_key(p))
			return -1;
		p->nodes[node].key = tok_str(p);
		if (advance(p))
			return -1;
		if (p->tok.kind != SEL_TOK_RPAREN)
			return fail_expected(p, "\")\" to close \"has(\"");
	} else if (p->tok.kind != SEL_TOK_RPAREN) {
		return fail_expected(p, "\")\" after \"%s(\"", name);
	}
	p->nodes[node].textlen = strlen(name) + 2 + p->nodes[node].key.len;
	if (advance(p))
		return -1;
	return node;
}

static int parse_primary(struct parser *p)
{
	struct sel_token peek;
	size_t open;
	int e;

	if (p->tok.kind == SEL_TOK_LPAREN) {
		open = p->tok.start;
		if (enter(p, open) || advance(p))
			return -1;
		e = parse_list(p, SEL_OR);
		if (e < 0)
			return -1;
		if (p->tok.kind != SEL_TOK_RPAREN)
			return fail_expected(p,
					     "\"&&\", \"||\" or \")\" to close \"(\" at column %zu",
					     open + 1);
		if (advance(p))
			return -1;
		p->nest--;
		return e;
	}
	if (p->tok.kind != SEL_TOK_WORD)
		return fail_expected(p, "a label key, \"!\", \"(\", has(), all() or global()");
	/* A bad token after the word is reported when the parser gets to it. */
	sel_lex(p->text, p->len, p->next, &peek);
	if (peek.kind == SEL_TOK_LPAREN) {
		if (tok_is_word(p, &p->tok, "has"))
			return parse_call(p, SEL_HAS);
		if (tok_is_word(p, &p->tok, "all"))
			return parse_call(p, SEL_ALL);
		if (tok_is_word(p, &p->tok, "global"))
			return parse_call(p, SEL_GLOBAL);
	}
	return parse_comparison(p);
}

static int parse_unary(struct parser *p)
{
	size_t off = p->tok.start;
	int kid, node;
	struct pnode *nd, *k;

	if (p->tok.kind != SEL_TOK_NOT)
		return parse_primary(p);
	if (enter(p, off) || advance(p))
		return -1;
	kid = parse_unary(p);
	if (kid < 0)
		return -1;
	p->nest--;
	node = new_node(p, SEL_NOT, off);
	if (node < 0)
		return -1;
	add_kid(p, node, kid);
	nd = &p->nodes[node];
	k = &p->nodes[kid];
	nd->depth = k->depth + 1;
	/* "!" and, for a comparison, parentheses: "!(a == \"b\")" */
	nd->textlen = 1 + k->textlen + (is_comparison(k->op) ? 2 : 0);
	return check_depth(p, node);
}

/* op is SEL_OR (operands: && lists) or SEL_AND (operands: unary expressions). */
static int parse_list(struct parser *p, enum sel_op op)
{
	enum sel_tok sep = op == SEL_OR ? SEL_TOK_OR : SEL_TOK_AND;
	int kid, node;
	struct pnode *nd;

	kid = op == SEL_OR ? parse_list(p, SEL_AND) : parse_unary(p);
	if (kid < 0 || p->tok.kind != sep)
		return kid;
	node = new_node(p, op, p->nodes[kid].off);
	if (node < 0)
		return -1;
	add_kid(p, node, kid);
	while (p->tok.kind == sep) {
		if (advance(p))
			return -1;
		kid = op == SEL_OR ? parse_list(p, SEL_AND) : parse_unary(p);
		if (kid < 0)
			return -1;
		add_kid(p, node, kid);
	}
	nd = &p->nodes[node];
	/* "(" kids joined by " && " ")" */
	nd->textlen = 2 + 4 * (nd->nkids - 1);
	for (int i = nd->first; i >= 0; i = p->nodes[i].next) {
		if (p->nodes[i].depth + 1 > nd->depth)
			nd->depth = p->nodes[i].depth + 1;
		nd->textlen += p->nodes[i].textlen;
	}
	return check_depth(p, node);
}

/* ---- compiler ------------------------------------------------------------------------ */

struct emit {
	const struct parser *p;
	struct selector *s;
	size_t nnodes, nset, nbytes; /* counted, then used as cursors */
	const char **sets;
	char *pool;
};

static void count(struct emit *e, int idx)
{
	const struct pnode *nd = &e->p->nodes[idx];

	e->nnodes++;
	if (nd->op == SEL_HAS || is_comparison(nd->op))
		e->nbytes += nd->key.len + 1;
	if (nd->op == SEL_IN || nd->op == SEL_NOT_IN) {
		e->nset += nd->nset;
		for (uint32_t i = 0; i < nd->nset; i++)
			e->nbytes += e->p->strs[nd->set + i].len + 1;
	} else if (is_comparison(nd->op)) {
		e->nbytes += nd->str.len + 1;
	}
	for (int i = nd->first; i >= 0; i = e->p->nodes[i].next)
		count(e, i);
}

static const char *pool_add(struct emit *e, struct pstr s)
{
	char *d = e->pool;

	memcpy(d, s.s, s.len);
	d[s.len] = '\0';
	e->pool += s.len + 1;
	return d;
}

static void emit(struct emit *e, int idx)
{
	const struct pnode *nd = &e->p->nodes[idx];
	size_t pos = e->nnodes++;
	struct sel_node *out = &e->s->nodes[pos];

	out->op = (uint8_t)nd->op;
	if (nd->op == SEL_HAS || is_comparison(nd->op))
		out->key = pool_add(e, nd->key);
	if (nd->op == SEL_IN || nd->op == SEL_NOT_IN) {
		const char **set = e->sets;

		for (uint32_t i = 0; i < nd->nset; i++)
			set[i] = pool_add(e, e->p->strs[nd->set + i]);
		e->sets += nd->nset;
		out->set = set;
		out->n = nd->nset;
	} else if (is_comparison(nd->op)) {
		out->str = pool_add(e, nd->str);
		out->len = nd->str.len;
	} else {
		out->n = nd->nkids;
	}
	for (int i = nd->first; i >= 0; i = e->p->nodes[i].next)
		emit(e, i);
	e->s->nodes[pos].size = (uint32_t)(e->nnodes - pos);
}

static unsigned long fnv(unsigned long h, const void *data, size_t n)
{
	const unsigned char *d = data;

	for (size_t i = 0; i < n; i++) {
		h ^= d[i];
		h *= 1099511628211UL;
	}
	return h;
}

static unsigned long hash_nodes(const struct selector *s)
{
	unsigned long h = 14695981039346656037UL;

	for (size_t i = 0; i < s->nnodes; i++) {
		const struct sel_node *nd = &s->nodes[i];
		uint32_t hdr[3] = {nd->op, nd->n, nd->size};

		h = fnv(h, hdr, sizeof(hdr));
		if (nd->key)
			h = fnv(h, nd->key, strlen(nd->key) + 1);
		if (nd->op == SEL_IN || nd->op == SEL_NOT_IN) {
			for (uint32_t j = 0; j < nd->n; j++)
				h = fnv(h, nd->set[j], strlen(nd->set[j]) + 1);
		} else if (nd->str) {
			h = fnv(h, nd->str, nd->len + 1);
		}
	}
	return h;
}

static struct selector *compile(struct parser *p, int root)
{
	struct emit e = {.p = p};
	struct selector *s;
	size_t size;

	count(&e, root);
	size = sizeof(*s) + e.nnodes * sizeof(struct sel_node) + e.nset * sizeof(char *) + e.nbytes;
	s = calloc(1, size);
	if (!s) {
		p->oom = true;
		return NULL;
	}
	s->nnodes = e.nnodes;
	s->textlen = p->nodes[root].textlen;
	e.s = s;
	e.sets = (const char **)(s->nodes + e.nnodes);
	e.pool = (char *)(e.sets + e.nset);
	e.nnodes = 0;
	emit(&e, root);
	s->hash = hash_nodes(s);
	return s;
}

/*
 * text is only read; the result is the caller's (selector_free) and keeps no pointer into
 * text.  On failure *err (when err is not NULL) is the caller's to free; it stays NULL and
 * errno is ENOMEM when memory ran out, errno is EINVAL for a syntax error.
 */
struct selector *selector_parse(const char *text, char **err)
{
	struct parser p = {0};
	struct selector *s = NULL;
	int root;

	if (err)
		*err = NULL;
	if (!text) {
		fail(&p, 0, "no selector text");
		goto out;
	}
	p.text = text;
	p.len = strnlen(text, (size_t)SELECTOR_MAX_LEN + 1);
	if (p.len > SELECTOR_MAX_LEN) {
		fail(&p, SELECTOR_MAX_LEN, "selector is longer than %d bytes", SELECTOR_MAX_LEN);
		goto out;
	}
	if (advance(&p))
		goto out;
	if (p.tok.kind == SEL_TOK_EOF) {
		/* Nothing but whitespace: all(). */
		root = new_node(&p, SEL_ALL, 0);
		if (root < 0)
			goto out;
		p.nodes[root].textlen = strlen("all()");
	} else {
		root = parse_list(&p, SEL_OR);
		if (root < 0)
			goto out;
		if (p.tok.kind == SEL_TOK_RPAREN) {
			fail(&p, p.tok.start, "\")\" has no matching \"(\"");
			goto out;
		}
		if (p.tok.kind != SEL_TOK_EOF) {
			fail_expected(&p, "\"&&\", \"||\" or end of input");
			goto out;
		}
	}
	if (p.nodes[root].textlen > SELECTOR_MAX_LEN) {
		fail(&p, 0, "selector is longer than %d bytes in canonical form", SELECTOR_MAX_LEN);
		goto out;
	}
	s = compile(&p, root);
out:
	if (!s) {
		errno = p.oom ? ENOMEM : EINVAL;
		if (err && !p.oom)
			*err = p.err;
		else
			free(p.err);
	}
	free(p.nodes);
	free(p.strs);
	return s;
}

/* Frees s and everything in it; accepts NULL. */
void selector_free(struct selector *s)
{
	free(s);
}

/* ---- matcher ------------------------------------------------------------------------- */

/*
 * labels_get(), inlined: the matcher spends most of its time here.  Label keys are short
 * and usually differ in the first byte or two, where an inline loop beats calling strcmp()
 * three or four times per lookup (bench_selector: about 10 % more matches per second).
 */
static inline int keycmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static inline const char *lookup(const struct labels *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = keycmp(key, l->v[mid].key);

		if (c == 0)
			return l->v[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool in_set(const struct sel_node *nd, const char *v)
{
	size_t lo = 0, hi = nd->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v, nd->set[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static bool match_node(const struct sel_node *nd, const struct labels *l)
{
	const struct sel_node *kid;
	const char *v;
	size_t vlen;

	switch ((enum sel_op)nd->op) {
	case SEL_ALL:
		return true;
	case SEL_GLOBAL:
		return lookup(l, NAMESPACE_LABEL) == NULL;
	case SEL_NOT:
		return !match_node(nd + 1, l);
	case SEL_AND:
		kid = nd + 1;
		for (uint32_t i = 0; i < nd->n; i++, kid += kid->size)
			if (!match_node(kid, l))
				return false;
		return true;
	case SEL_OR:
		kid = nd + 1;
		for (uint32_t i = 0; i < nd->n; i++, kid += kid->size)
			if (match_node(kid, l))
				return true;
		return false;
	default:
		break;
	}
	v = lookup(l, nd->key);
	switch ((enum sel_op)nd->op) {
	case SEL_HAS:
		return v != NULL;
	case SEL_EQ:
		return v && strcmp(v, nd->str) == 0;
	case SEL_NE:
		return !v || strcmp(v, nd->str) != 0;
	case SEL_IN:
		return v && in_set(nd, v);
	case SEL_NOT_IN:
		return !v || !in_set(nd, v);
	case SEL_CONTAINS:
		return v && strstr(v, nd->str) != NULL;
	case SEL_STARTS:
		return v && strncmp(v, nd->str, nd->len) == 0;
	case SEL_ENDS:
		if (!v)
			return false;
		vlen = strlen(v);
		return vlen >= nd->len && memcmp(v + vlen - nd->len, nd->str, nd->len) == 0;
	default:
		return false;
	}
}

/* Borrows s and l; allocates nothing.  Safe to call from several threads at once. */
bool selector_match(const struct selector *s, const struct labels *l)
{
	return match_node(s->nodes, l);
}

/* ---- printer and queries ------------------------------------------------------------- */

static void print_str(struct strbuf *b, const char *s)
{
	char q = strchr(s, '"') ? '\'' : '"';

	/* The lexer ends a string at its own quote: no parsed string holds both kinds. */
	assert(q == '"' || !strchr(s, '\''));
	strbuf_putc(b, q);
	strbuf_puts(b, s);
	strbuf_putc(b, q);
}

static const struct sel_node *print_node(struct strbuf *b, const struct sel_node *nd)
{
	static const char *const opnames[] = {
		[SEL_EQ] = " == ",
		[SEL_NE] = " != ",
		[SEL_IN] = " in {",
		[SEL_NOT_IN] = " not in {",
		[SEL_CONTAINS] = " contains ",
		[SEL_STARTS] = " starts with ",
		[SEL_ENDS] = " ends with ",
	};
	const struct sel_node *kid = nd + 1;

	switch ((enum sel_op)nd->op) {
	case SEL_ALL:
		strbuf_puts(b, "all()");
		break;
	case SEL_GLOBAL:
		strbuf_puts(b, "global()");
		break;
	case SEL_HAS:
		strbuf_puts(b, "has(");
		strbuf_puts(b, nd->key);
		strbuf_putc(b, ')');
		break;
	case SEL_NOT:
		strbuf_putc(b, '!');
		if (is_comparison((enum sel_op)kid->op)) {
			strbuf_putc(b, '(');
			print_node(b, kid);
			strbuf_putc(b, ')');
		} else {
			print_node(b, kid);
		}
		break;
	case SEL_AND:
	case SEL_OR:
		strbuf_putc(b, '(');
		for (uint32_t i = 0; i < nd->n; i++) {
			if (i)
				strbuf_puts(b, nd->op == SEL_AND ? " && " : " || ");
			kid = print_node(b, kid);
		}
		strbuf_putc(b, ')');
		break;
	case SEL_IN:
	case SEL_NOT_IN:
		strbuf_puts(b, nd->key);
		strbuf_puts(b, opnames[nd->op]);
		for (uint32_t i = 0; i < nd->n; i++) {
			if (i)
				strbuf_puts(b, ", ");
			print_str(b, nd->set[i]);
		}
		strbuf_putc(b, '}');
		break;
	default:
		strbuf_puts(b, nd->key);
		strbuf_puts(b, opnames[nd->op]);
		print_str(b, nd->str);
		break;
	}
	return nd + nd->size;
}

/* The caller frees the returned string; NULL when memory ran out. */
char *selector_print(const struct selector *s)
{
	struct strbuf b;

	strbuf_init(&b);
	print_node(&b, s->nodes);
	assert(b.oom || b.len == s->textlen);
	return strbuf_steal(&b);
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Borrows both. */
bool selector_equal(const struct selector *a, const struct selector *b)
{
	if (a == b)
		return true;
	if (a->nnodes != b->nnodes || a->hash != b->hash)
		return false;
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct sel_node *x = &a->nodes[i], *y = &b->nodes[i];

		if (x->op != y->op || x->n != y->n || x->size != y->size || !str_eq(x->key, y->key))
			return false;
		if (x->op == SEL_IN || x->op == SEL_NOT_IN) {
			for (uint32_t j = 0; j < x->n; j++)
				if (strcmp(x->set[j], y->set[j]))
					return false;
		} else if (!str_eq(x->str, y->str)) {
			return false;
		}
	}
	return true;
}

/* Computed once by selector_parse(); equal selectors hash equal. */
unsigned long selector_hash(const struct selector *s)
{
	return s->hash;
}

/* Borrows s. */
bool selector_is_all(const struct selector *s)
{
	return s->nodes[0].op == SEL_ALL;
}

/*
 * The conjuncts every match must satisfy: the root itself, or each child of a root &&.
 * Anything under || or ! is never a requirement.  Calls fn on each in canonical order until
 * it returns true.
 */
static bool conjuncts(const struct selector *s, bool (*fn)(const struct sel_node *, void *),
		      void *arg)
{
	const struct sel_node *nd = s->nodes, *kid = nd + 1;

	if (nd->op != SEL_AND)
		return fn(nd, arg);
	for (uint32_t i = 0; i < nd->n; i++, kid += kid->size)
		if (fn(kid, arg))
			return true;
	return false;
}

struct required {
	const char *key, *value;
};

static bool required_label(const struct sel_node *nd, void *arg)
{
	struct required *r = arg;

	if (nd->op == SEL_EQ) {
		r->key = nd->key;
		r->value = nd->str;
		return true;
	}
	if (nd->op == SEL_IN && nd->n == 1) {
		r->key = nd->key;
		r->value = nd->set[0];
		return true;
	}
	return false;
}

/*
 * *key and *value point into s and live as long as s.  The first == (or "in" with one
 * element) among the conjuncts, in canonical order: "(a == \"x\" || b == \"y\") && c == \"z\""
 * gives c=z, "a in {\"x\"} && b == \"y\"" gives a=x.
 */
bool selector_required_label(const struct selector *s, const char **key, const char **value)
{
	struct required r = {0};

	if (!conjuncts(s, required_label, &r))
		return false;
	*key = r.key;
	*value = r.value;
	return true;
}

static bool required_key(const struct sel_node *nd, void *arg)
{
	struct required *r = arg;

	switch ((enum sel_op)nd->op) {
	case SEL_HAS:
	case SEL_EQ:
	case SEL_IN:
	case SEL_CONTAINS:
	case SEL_STARTS:
	case SEL_ENDS:
		r->key = nd->key;
		return true;
	default:
		return false;
	}
}

/*
 * *key points into s.  The key of the first conjunct that needs its key present: has(),
 * ==, in (any set: an empty set matches nothing, so the claim holds), contains, starts with
 * or ends with.  != and "not in" match absent keys and never count.
 */
bool selector_required_key(const struct selector *s, const char **key)
{
	struct required r = {0};

	if (!conjuncts(s, required_key, &r))
		return false;
	*key = r.key;
	return true;
}
