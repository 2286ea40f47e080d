/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_STRBUF_H
#define PALISADE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growable, always NUL-terminated byte string for printers.  On allocation failure the
 * buffer latches into an error state (oom = true) and further appends are ignored, so a
 * printer can append freely and check once at the end.
 */
struct strbuf {
	char *s; /* owned; "" until the first append */
	size_t len, cap;
	bool oom;
};

void strbuf_init(struct strbuf *b);
void strbuf_fini(struct strbuf *b);
void strbuf_reset(struct strbuf *b);
void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string to the caller (free() it) and leaves b empty.  NULL if b is in oom state. */
char *strbuf_steal(struct strbuf *b);
/* The current contents; valid until the next append. */
const char *strbuf_str(const struct strbuf *b);

#endif
