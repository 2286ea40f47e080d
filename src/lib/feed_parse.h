/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_FEED_PARSE_H
#define PALISADE_FEED_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/cidr.h"
#include "lib/resource.h"

/*
 * Threat-feed bodies (GlobalThreatFeed content: IPSet) → a list of prefixes (DESIGN §8).
 *
 * Three formats, as the resource names them:
 *   newlineDelimited  one address or prefix per line; '#' starts a comment (whole line or
 *                     trailing), and so does ';' (Spamhaus DROP: "1.2.3.0/24 ; SBL123");
 *                     blank lines, CRLF and surrounding blanks are fine (FireHOL netsets).
 *   json              a JSONPath-like expression (the subset Calico documents, see
 *                     feed_json_path_check) selects strings, or arrays of strings.
 *   csv               one column, by number (0-based) or by header name; quoted fields with
 *                     "" escapes, comment lines, record-size validation as Go's encoding/csv.
 * A single address is a /32 or /128.  Host bits that are set are cleared and counted.
 *
 * A bad line is never fatal: it is counted, and the first FEED_ERRORS_MAX of them are kept
 * with their line number and a message.  Only a body that cannot be read as a whole (JSON that
 * does not parse, a CSV header without the named column) or options that make no sense are
 * refused, and they say why in the same error list.  Every format is parsed in one pass over
 * the body, in time linear in its size.  The size limit is the caller's: FEED_BODY_MAX is
 * the suggested default, and what `palisade feed check` uses.
 */

#define FEED_ERRORS_MAX 100
#define FEED_BODY_MAX	(32u << 20)

/* What to parse.  feed_parse_opts_init() gives the defaults of the resource. */
struct feed_parse_opts {
	enum feed_format format;
	const char *json_path; /* required for json */
	/* csv */
	int field_num;		/* 0-based column; -1 when field_name is used (default 0) */
	const char *field_name; /* needs header */
	bool header;
	char column_delimiter;	/* default ',' */
	char comment_delimiter; /* 0: none */
	int record_size;	/* 0: the first record's size */
	bool disable_record_size_validation;
};

/*
 * One bad line.  line is 1-based; for json it is the line of a syntax error, or 0 for a value
 * the path selected that is not an address (the message then names the value's location,
 * "$.data[3].ip: ...").
 */
struct feed_error {
	size_t line;
	char *msg; /* owned */
};

struct feed_result {
	struct cidr *v; /* owned; the entries in input order, duplicates kept */
	size_t n, cap;
	size_t host_bits;	   /* entries whose host bits were set (and were cleared) */
	struct feed_error *errors; /* owned; the first FEED_ERRORS_MAX errors */
	size_t nerrors;
	size_t error_count; /* every error, kept or not */
};

/* Defaults for format f: field 0, ',' delimiter, no header, no comments, size validated. */
void feed_parse_opts_init(struct feed_parse_opts *o, enum feed_format f);
/* The options of a decoded GlobalThreatFeed; o borrows f's strings. */
void feed_parse_opts_from_feed(struct feed_parse_opts *o, const struct res_threat_feed *f);

void feed_result_init(struct feed_result *r);
/* Frees what r owns and leaves it empty; r may be half-built. */
void feed_result_fini(struct feed_result *r);

/*
 * Parses the len bytes at body (not NUL-terminated; NUL bytes are ordinary, bad, characters)
 * into r, which must be initialised and is appended to.  body is borrowed.  Returns 0 when the
 * body was read (line errors and all), -EINVAL when the options or the body as a whole are
 * unusable (the reason is in r->errors, line 0 or the line of a JSON syntax error), or
 * -ENOMEM (r then holds what was parsed so far).
 */
int feed_parse(const char *body, size_t len, const struct feed_parse_opts *o,
	       struct feed_result *r);

/*
 * Checks a json path without a document.  0, or -EINVAL with a message ("column 4: filters
 * are not supported") in buf.  Also what feed_parse says for a bad path.
 */
int feed_json_path_check(const char *path, char *buf, size_t size);

#endif
