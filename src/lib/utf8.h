/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_UTF8_H
#define PALISADE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * UTF-8 as RFC 3629 (and jansson) define it: no overlong forms, no surrogates, nothing above
 * U+10FFFF.  For the printers that write JSON themselves and for fixed-size string fields
 * that must not end in half a character.
 */

/* The length (1..4) of the well-formed character at s, or 0 when s does not start one (a
 * NUL byte starts none).  Reads no further than the first byte that breaks the sequence. */
size_t utf8_char_len(const char *s);

/* Whether the NUL-terminated s is well-formed throughout. */
bool utf8_valid(const char *s);

/*
 * The length of the longest prefix of s (NUL-terminated) that is at most max bytes long and
 * does not end inside a character: a multi-byte character that would straddle max is left
 * out whole.  Bytes that are not UTF-8 are treated as one-byte characters.
 */
size_t utf8_prefix_len(const char *s, size_t max);

/*
 * Copies src into dst (size bytes, size > 0), cut at a character boundary when it does not
 * fit, and always NUL-terminated.  Returns true when src fitted whole.  dst and src must not
 * overlap.
 */
bool utf8_copy(char *dst, size_t size, const char *src);

#endif
