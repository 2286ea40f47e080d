/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/selector_lex.h"

#include "lib/strbuf.h"

#include <string.h>

/* Tokens longer than this are shortened in error messages. */
#define DESCRIBE_MAX 32

/* Pure; no state. */
bool sel_is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '/' || c == '-';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t tok(struct sel_token *t, enum sel_tok kind, size_t start, size_t len)
{
	t->kind = kind;
	t->start = start;
	t->len = len;
	return start + len;
}

/* Borrows text; *t is the caller's and holds offsets into text, not pointers. */
size_t sel_lex(const char *text, size_t len, size_t pos, struct sel_token *t)
{
	const char *q;
	char c, n;

	while (pos < len && is_space(text[pos]))
		pos++;
	if (pos >= len)
		return tok(t, SEL_TOK_EOF, len, 0);
	c = text[pos];
	n = pos + 1 < len ? text[pos + 1] : '\0';
	switch (c) {
	case '(':
		return tok(t, SEL_TOK_LPAREN, pos, 1);
	case ')':
		return tok(t, SEL_TOK_RPAREN, pos, 1);
	case '{':
		return tok(t, SEL_TOK_LBRACE, pos, 1);
	case '}':
		return tok(t, SEL_TOK_RBRACE, pos, 1);
	case ',':
		return tok(t, SEL_TOK_COMMA, pos, 1);
	case '!':
		if (n == '=')
			return tok(t, SEL_TOK_NE, pos, 2);
		return tok(t, SEL_TOK_NOT, pos, 1);
	case '=':
		if (n == '=')
			return tok(t, SEL_TOK_EQ, pos, 2);
		break;
	case '&':
		if (n == '&')
			return tok(t, SEL_TOK_AND, pos, 2);
		break;
	case '|':
		if (n == '|')
			return tok(t, SEL_TOK_OR, pos, 2);
		break;
	case '"':
	case '\'':
		q = memchr(text + pos + 1, c, len - pos - 1);
		if (!q)
			return tok(t, SEL_TOK_UNTERMINATED, pos, len - pos);
		return tok(t, SEL_TOK_STRING, pos, (size_t)(q - text) + 1 - pos);
	default:
		if (sel_is_key_char((unsigned char)c)) {
			size_t end = pos + 1;

			while (end < len && sel_is_key_char((unsigned char)text[end]))
				end++;
			return tok(t, SEL_TOK_WORD, pos, end - pos);
		}
		break;
	}
	return tok(t, SEL_TOK_BAD_CHAR, pos, 1);
}

static void put_cut(struct strbuf *b, const char *s, size_t n)
{
	if (n <= DESCRIBE_MAX) {
		strbuf_add(b, s, n);
		return;
	}
	strbuf_add(b, s, DESCRIBE_MAX);
	strbuf_puts(b, "...");
}

/* Borrows text and t; appends to the caller's b. */
void sel_token_describe(struct strbuf *b, const char *text, const struct sel_token *t)
{
	switch (t->kind) {
	case SEL_TOK_EOF:
		strbuf_puts(b, "end of input");
		return;
	case SEL_TOK_STRING:
		/* As written, in its own quotes, so that a '"' inside reads unambiguously. */
		strbuf_puts(b, "string ");
		put_cut(b, text + t->start, t->len);
		return;
	case SEL_TOK_BAD_CHAR:
	case SEL_TOK_UNTERMINATED:
		sel_token_error(b, text, t);
		return;
	default:
		strbuf_putc(b, '"');
		put_cut(b, text + t->start, t->len);
		strbuf_putc(b, '"');
		return;
	}
}

/* Borrows text and t; appends to the caller's b. */
void sel_token_error(struct strbuf *b, const char *text, const struct sel_token *t)
{
	unsigned char c = (unsigned char)text[t->start];

	if (t->kind == SEL_TOK_UNTERMINATED) {
		strbuf_printf(b, "unterminated string: no closing %c before end of input", c);
		return;
	}
	if (c < 0x21 || c > 0x7e) {
		strbuf_printf(b, "unexpected byte 0x%02x", c);
		return;
	}
	strbuf_printf(b, "unexpected character \"%c\"", c);
	if (c == '&' || c == '|' || c == '=')
		strbuf_printf(b, " (did you mean \"%c%c\"?)", c, c);
}
