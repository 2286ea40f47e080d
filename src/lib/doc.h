/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DOC_H
#define PALISADE_DOC_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct diag_list;

/*
 * The document tree: what a YAML or JSON file says, before it means anything.  Every node
 * remembers where it started (1-based line and column) so that the resource decoder can name
 * the line of any field.  JSON is read by the same YAML parser (libyaml), so both formats
 * carry positions the same way.
 *
 * Scalars keep their text and whether they were quoted: an unquoted 80 is a number, "80" a
 * string; unquoted null, ~ and the empty scalar are null (DOC_NULL).  Aliases are expanded
 * (bounded: see doc_parse).  All nodes and strings live in the arena given to doc_parse.
 */
enum doc_type {
	DOC_NULL,
	DOC_SCALAR,
	DOC_SEQ,
	DOC_MAP,
};

struct doc_node;

struct doc_pair {
	struct doc_node *key; /* always a DOC_SCALAR */
	struct doc_node *value;
};

struct doc_node {
	enum doc_type type;
	int line, col;
	/* DOC_SCALAR: NUL-terminated text (may contain NUL bytes only if len says so). */
	const char *str;
	size_t len;
	bool quoted;	 /* single, double, literal or folded style: never a number, bool or null */
	const char *tag; /* explicit tag such as "tag:yaml.org,2002:str", else NULL */
	/* DOC_SEQ: items; DOC_MAP: pairs in document order (duplicates reported, first kept). */
	struct doc_node **items;
	struct doc_pair *pairs;
	size_t n;
};

/*
 * Parses buf (len bytes, need not be NUL-terminated) as a stream of YAML documents (JSON is
 * one document).  file names the input in diagnostics.
 *
 * Before parsing, each line's leading run of spaces and U+00A0 (no-break space, UTF-8 C2 A0)
 * is read as spaces, with one warning per file naming the first such line and the count:
 *   "<file>:<line>: warning: indentation uses U+00A0 (no-break space) on N lines; read as spaces"
 * A U+00A0 anywhere else is an error naming its line:
 *   "<file>:<line>: U+00A0 (no-break space) inside a value at column C; replace it with a space"
 * A byte order mark at the start is skipped.  Syntax errors are reported as
 *   "<file>:<line>: YAML syntax error: <libyaml problem> (<context>)"
 * Limits, each an error rather than a crash or a hang: nesting deeper than DOC_MAX_DEPTH,
 * more than DOC_MAX_NODES nodes after alias expansion, a duplicate key in one map
 * ("duplicate key \"k\" (first at line L)"), a non-scalar map key.
 *
 * On success returns 0 and sets *docs to an arena array of *ndocs roots (documents that are
 * empty are skipped).  Returns -EINVAL if any error was added to diags; the documents that
 * parsed before the error are still returned in *docs.  -ENOMEM on allocation failure.
 */
#define DOC_MAX_DEPTH 128
#define DOC_MAX_NODES 1000000

int doc_parse(const char *buf, size_t len, const char *file, struct arena *a,
	      struct doc_node ***docs, size_t *ndocs, struct diag_list *diags);

/* Map lookup: the value of key in a DOC_MAP node, or NULL (also when n is not a map). */
const struct doc_node *doc_get(const struct doc_node *n, const char *key);

/* Scalar typing, YAML 1.2 core schema on unquoted scalars only. */
bool doc_is_null(const struct doc_node *n);
/* true/false (also True, TRUE, False, FALSE); returns -EINVAL when n is not a boolean. */
int doc_to_bool(const struct doc_node *n, bool *out);
/* Decimal integer (optional sign), also 0x.. and 0o..; -EINVAL if not one, -ERANGE if too big. */
int doc_to_int(const struct doc_node *n, long long *out);
/* Any YAML number (integer or float, .inf, .nan refused); -EINVAL if not one. */
int doc_to_double(const struct doc_node *n, double *out);
/* A name for n's type in messages: "a string", "a number", "a boolean", "null", "a list",
 * "a map". */
const char *doc_type_name(const struct doc_node *n);

#endif
