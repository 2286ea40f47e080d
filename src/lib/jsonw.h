/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_JSONW_H
#define PALISADE_JSONW_H

struct strbuf;

/*
 * Pieces of JSON for the printers that write their lines directly rather than through a
 * jansson tree (events, flow logs; jsonr.h is the reading side).  Output goes to a strbuf,
 * whose oom latch the caller checks once at the end.
 */

/*
 * Appends s as a JSON string, quotes included, escaped as jansson's compact dump does:
 * \" \\ \b \f \n \r \t, other control characters as \u00XX, everything else as is.  So that
 * the line is always valid JSON, s need not be valid UTF-8: an incomplete character at the
 * very end (a byte-wise truncation) is left out, and every other byte that does not belong
 * to a well-formed character is written as U+FFFD.
 */
void jsonw_str(struct strbuf *b, const char *s);
/* Appends s as jsonw_str() does, or null when s is empty. */
void jsonw_str_or_null(struct strbuf *b, const char *s);

/* Appends v, or null when it is negative (none, as for a port). */
void jsonw_int_or_null(struct strbuf *b, int v);

/* Appends the key of a member that follows another: ,"<pfx><key>": (neither is escaped). */
void jsonw_key(struct strbuf *b, const char *pfx, const char *key);
/* Appends a member that follows another with the string s: jsonw_key(), then jsonw_str(). */
void jsonw_key_str(struct strbuf *b, const char *pfx, const char *key, const char *s);

/*
 * Appends v as the shortest of "%.15g" and "%.17g" that reads back as the same double
 * (40 prints as 40, 0.1 as 0.1); -0 prints as 0, and NaN and infinities, which JSON cannot
 * hold, as null.
 */
void jsonw_num(struct strbuf *b, double v);

#endif
