/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_SELECTOR_LEX_H
#define PALISADE_SELECTOR_LEX_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/*
 * The selector tokenizer, private to selector.c (labelselector.c borrows sel_is_key_char
 * to check that a key it writes reads back as one key).
 *
 * It is context free: every run of key characters [A-Za-z0-9_./-] is one SEL_TOK_WORD, and
 * the parser decides whether a word is a label key, a function name (has, all, global:
 * only when "(" follows) or an operator word (in, not, contains, starts, ends, with: only
 * right after a key).  So every keyword can also be used as a label key, and "a=='b'" needs
 * no spaces because '=' is not a key character.
 *
 * Whitespace is space, tab, CR and LF.  Strings are '...' or "..." without escapes: a string
 * ends at the next quote of the kind that opened it, and may hold any other byte.
 */
enum sel_tok {
	SEL_TOK_EOF,
	SEL_TOK_WORD,
	SEL_TOK_STRING, /* start/len cover the quotes; the content is start+1, len-2 */
	SEL_TOK_LPAREN,
	SEL_TOK_RPAREN,
	SEL_TOK_LBRACE,
	SEL_TOK_RBRACE,
	SEL_TOK_COMMA,
	SEL_TOK_EQ,	      /* == */
	SEL_TOK_NE,	      /* != */
	SEL_TOK_NOT,	      /* ! */
	SEL_TOK_AND,	      /* && */
	SEL_TOK_OR,	      /* || */
	SEL_TOK_BAD_CHAR,     /* a byte that starts no token; len 1 */
	SEL_TOK_UNTERMINATED, /* a quote without its closing quote; runs to the end */
};

struct sel_token {
	enum sel_tok kind;
	size_t start; /* byte offset of the token in the text */
	size_t len;   /* bytes as written */
};

/* true for the bytes that make up words (label keys and keywords) */
bool sel_is_key_char(unsigned char c);

/*
 * Reads the token that starts at or after byte pos of text (len bytes, no NUL inside) into
 * *t and returns the offset just past it.  Never fails: bad input comes back as
 * SEL_TOK_BAD_CHAR or SEL_TOK_UNTERMINATED, and the end as SEL_TOK_EOF (start == len).
 */
size_t sel_lex(const char *text, size_t len, size_t pos, struct sel_token *t);

/*
 * Appends to b how an error message names token t of text: "end of input", "\"word\"",
 * "\"==\"", "string 'x'" (a string as it was written).  Long tokens are cut at 32 bytes and
 * end in "...".  The caller owns b.
 */
void sel_token_describe(struct strbuf *b, const char *text, const struct sel_token *t);

/*
 * Appends to b the message for a SEL_TOK_BAD_CHAR or SEL_TOK_UNTERMINATED token, without
 * the column: "unexpected character \"&\" (did you mean \"&&\"?)", "unexpected byte 0x01",
 * "unterminated string: no closing ' before end of input".
 */
void sel_token_error(struct strbuf *b, const char *text, const struct sel_token *t);

#endif
