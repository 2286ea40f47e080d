/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_SELECTOR_H
#define PALISADE_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

struct labels;

/*
 * Calico's selector language.
 *
 *   expr     := or
 *   or       := and ( "||" and )*
 *   and      := unary ( "&&" unary )*
 *   unary    := "!" unary | primary
 *   primary  := "(" expr ")" | "all()" | "global()" | "has(" key ")"
 *             | key "==" str | key "!=" str | key "in" set | key "not" "in" set
 *             | key "contains" str | key "starts" "with" str | key "ends" "with" str
 *   set      := "{" [ str ( "," str )* ] "}"
 *   str      := '...' | "..."            (no escapes, as in Calico)
 *   key      := [A-Za-z0-9_./-]+ beginning with a letter, digit or "_" ... see selector.c
 *
 * The empty selector (only whitespace) is all().  "k != v" and "k not in {..}" match when k
 * is absent.  global() matches labels without "projectcalico.org/namespace", which is how
 * Calico tells non-namespaced resources (global network sets, host endpoints) apart.
 *
 * A parsed selector is immutable and owned by the caller (selector_free).
 */
struct selector;

/*
 * Parses text.  On error returns NULL and, if err is not NULL, sets *err to a malloc'd
 * message "column N: what was expected" (N is the 1-based byte column in text).  Selectors
 * longer than SELECTOR_MAX_LEN bytes or nested deeper than SELECTOR_MAX_DEPTH are errors.
 */
#define SELECTOR_MAX_LEN   65536
#define SELECTOR_MAX_DEPTH 64

struct selector *selector_parse(const char *text, char **err);
void selector_free(struct selector *s);
bool selector_match(const struct selector *s, const struct labels *l);

/*
 * The canonical text, malloc'd: keys bare, strings in double quotes (single quotes when the
 * string contains a double quote), "in" sets sorted and de-duplicated, every && and ||
 * group parenthesised and flattened, "!" applied directly ("!has(a)", "!(a == \"b\")"),
 * spacing fixed.  parse(print(s)) is the same tree, and print(parse(print(s))) == print(s).
 * Examples: "(a == \"b\" && has(c))", "a in {\"x\", \"y\"}", "all()".
 */
char *selector_print(const struct selector *s);
/* Structural equality (two selectors with equal canonical text are equal). */
bool selector_equal(const struct selector *a, const struct selector *b);
/* A hash of the canonical tree, for interning. */
unsigned long selector_hash(const struct selector *s);

/* true for all() (also the empty selector) */
bool selector_is_all(const struct selector *s);

/*
 * For indexing: if every label set that matches s must contain key == value, sets *key and
 * *value (pointers into s) and returns true.  "a == 'b' && c" gives a=b.  Used to look up
 * candidate endpoints in a label index instead of testing every endpoint.
 */
bool selector_required_label(const struct selector *s, const char **key, const char **value);
/* Likewise for a key that must be present (has(k), k == v, k in {..}, k contains ..). */
bool selector_required_key(const struct selector *s, const char **key);

#endif
