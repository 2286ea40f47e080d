/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_JSONR_H
#define PALISADE_JSONR_H

#include <jansson.h>
#include <stddef.h>

/*
 * Pieces for the parsers that read one JSON line with jansson into a fixed record (events,
 * flow logs; jsonw.h is the writing side).  A parse keeps its first error only, as
 * "<field>: <message>", so that a caller can go on reading fields after a failure and report
 * the first thing wrong with the line.
 */

struct jsonr {
	char *err; /* the caller's message buffer, may be NULL */
	size_t errsize;
	char field[64]; /* the field being read, for messages; "" for none */
	int rc;		/* 0, or the first error */
};

/* Starts a parse writing its message into err (errsize bytes; may be NULL), emptied here. */
void jsonr_init(struct jsonr *p, char *err, size_t errsize);

/* Names the field read next "<pfx><key>" in the messages that follow (cut to fit). */
void jsonr_field(struct jsonr *p, const char *pfx, const char *key);

/*
 * Records an error as "<field>: <message>" (the message alone when no field is named) when
 * it is the first one, and returns the first error (-EINVAL).
 */
int jsonr_fail(struct jsonr *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Loads the len bytes of line (with or without its newline), rejecting duplicate keys and
 * allowing \u0000 in strings for the parser to reject by field: the object, a new reference
 * (json_decref() it), or NULL after failing with "invalid JSON at byte N: ..." or "expected
 * a JSON object".
 */
json_t *jsonr_load(struct jsonr *p, const char *line, size_t len);

/*
 * The text of the string v (borrowed from v), or NULL after failing with "expected <what>"
 * when v is not a string, or "contains a NUL character".
 */
const char *jsonr_str(struct jsonr *p, const json_t *v, const char *what);

/*
 * A port: v is null (*out = -1) or an integer 0..65535, else the parse fails with "expected
 * an integer 0..65535 or null" and *out is -1.
 */
void jsonr_port(struct jsonr *p, const json_t *v, int *out);

#endif
