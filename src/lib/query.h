/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_QUERY_H
#define PALISADE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowlog_rec;
struct strbuf;

/*
 * The query language of GlobalAlert resources (spec.query, docs/alerts.md): a condition on
 * one flow log record.
 *
 *   query   := [ or ]                      (empty: every record)
 *   or      := and ( ("OR" | "or" | "||") and )*
 *   and     := unary ( ("AND" | "and" | "&&") unary )*
 *   unary   := ("NOT" | "not" | "!") unary | primary
 *   primary := "(" or ")" | field cmp value | field ("IN" | "in") set
 *            | field ("NOTIN" | "notin") set
 *   cmp     := "=" | "!=" | "<" | "<=" | ">" | ">="
 *   set     := "{" value ( "," value )* "}"
 *   value   := bare | "\"" ... "\""        (escapes \" and \\ only)
 *   field   := bare | "\"" ... "\""        (a flow log field, enum query_field)
 *   bare    := one or more of A-Z a-z 0-9 _ . : / * ? @ + - and bytes >= 0x80
 *
 * Comparisons by field type: numbers (ports, counters, times) compare numerically and need a
 * number; addresses compare as addresses (= is address equality, < orders them); other text
 * compares byte-wise.  "*" and "?" are wildcards in IN and NOTIN sets only ("?" is one UTF-8
 * character); "=" compares exactly.  Labels and policies hold several entries: a positive
 * condition (=, <, <=, >, >=, IN) holds when any entry satisfies it, and != and NOTIN are
 * the negations of = and IN (no entry matches).  A null port or address satisfies only !=
 * and NOTIN.  Values are checked as they are parsed: action, reporter and the types take
 * their fixed words, ports are 0..65535, addresses parse, labels are "key=value", proto
 * numbers become names (6 is tcp).
 *
 * Errors are "column N: <message>", N the 1-based byte column, e.g. "column 17: expected a
 * value after '='".  A parsed query is immutable and the caller's (query_free).
 */

#define QUERY_MAX_LEN	65536
#define QUERY_MAX_DEPTH 64

/* The fields of docs/flowlogs.md, in schema order. */
enum query_field {
	QUERY_FIELD_START_TIME,
	QUERY_FIELD_END_TIME,
	QUERY_FIELD_SOURCE_IP,
	QUERY_FIELD_SOURCE_NAME,
	QUERY_FIELD_SOURCE_NAME_AGGR,
	QUERY_FIELD_SOURCE_NAMESPACE,
	QUERY_FIELD_SOURCE_PORT,
	QUERY_FIELD_SOURCE_TYPE,
	QUERY_FIELD_SOURCE_LABELS,
	QUERY_FIELD_DEST_IP,
	QUERY_FIELD_DEST_NAME,
	QUERY_FIELD_DEST_NAME_AGGR,
	QUERY_FIELD_DEST_NAMESPACE,
	QUERY_FIELD_DEST_PORT,
	QUERY_FIELD_DEST_TYPE,
	QUERY_FIELD_DEST_LABELS,
	QUERY_FIELD_PROTO,
	QUERY_FIELD_ACTION,
	QUERY_FIELD_REPORTER,
	QUERY_FIELD_POLICIES,
	QUERY_FIELD_BYTES_IN,
	QUERY_FIELD_BYTES_OUT,
	QUERY_FIELD_PACKETS_IN,
	QUERY_FIELD_PACKETS_OUT,
	QUERY_FIELD_NUM_FLOWS,
	QUERY_FIELD_NUM_FLOWS_STARTED,
	QUERY_FIELD_NUM_FLOWS_COMPLETED,
	QUERY_FIELD_NUM_FLOWS_UNANSWERED,
	QUERY_FIELD_HOST,
	QUERY_FIELD_COUNT
};

enum query_type {
	QUERY_TYPE_NUM,	 /* unsigned integers; ports may be null */
	QUERY_TYPE_IP,	 /* an address or null */
	QUERY_TYPE_TEXT, /* a string */
	QUERY_TYPE_LIST, /* several strings: labels, policies */
};

/*
 * The field called name[0..len): its schema name, or Calico Enterprise's spelling
 * ("source_labels.labels", "dest_labels.labels", "policies.all_policies",
 * "source_port_num", "dest_port_num").  -1 when there is none.
 */
int query_field_lookup(const char *name, size_t len);
/* The schema name ("dest_port"); static storage. */
const char *query_field_name(enum query_field f);
enum query_type query_field_type(enum query_field f);

/*
 * Reads a number field of r into *v; false when it is null (a port of -1) or f is not a
 * number field.  r is borrowed.
 */
bool query_field_num(const struct flowlog_rec *r, enum query_field f, uint64_t *v);
/*
 * Appends the value of f in r as text: numbers in decimal, lists joined with ",", and ""
 * for a null port or address.  out is the caller's.
 */
void query_field_text(const struct flowlog_rec *r, enum query_field f, struct strbuf *out);

struct query;

/*
 * Parses text (NUL-terminated; NULL is the empty query).  Returns the query, or NULL with
 * errno EINVAL and, when err is not NULL, *err set to a malloc'd "column N: ..." message;
 * on ENOMEM *err stays NULL.  Queries longer than QUERY_MAX_LEN bytes (also in canonical
 * form) or nested deeper than QUERY_MAX_DEPTH levels of NOT, AND, OR and parentheses are
 * errors.  The result keeps no pointer into text.
 */
struct query *query_parse(const char *text, char **err);
/* Frees q; accepts NULL. */
void query_free(struct query *q);
/* Whether r satisfies q (the empty query: always).  Both are borrowed; no allocation. */
bool query_match(const struct query *q, const struct flowlog_rec *r);
/* Whether q is the empty query. */
bool query_is_empty(const struct query *q);

/*
 * The canonical text, malloc'd (NULL on ENOMEM): fields by schema name, operators spaced
 * ("dest_port = 80", "action IN {allow, deny}"), keywords upper case, values bare when they
 * can be and in double quotes otherwise, numbers in shortest form, sets sorted and without
 * duplicates, AND and OR flattened, every AND or OR inside another operator
 * parenthesised ("(a = b AND c = d) OR e = f", "NOT (a = b OR c = d)"), no other
 * parentheses; "" for the empty query.  parse(print(q)) prints the
 * same text and matches the same records.
 */
char *query_print(const struct query *q);

#endif
