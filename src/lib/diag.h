/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DIAG_H
#define PALISADE_DIAG_H

#include <stddef.h>

/*
 * Diagnostics: what the library has to say about bad input.  The library never prints;
 * parsers append to a diag_list and keep going, so that every error of a file is reported
 * in one pass (bgpd's errors++).  The CLI prints the list.
 *
 * Text form, one per line (diag_format):
 *   errors:   "<file>:<line>: <message>"
 *   warnings: "<file>:<line>: warning: <message>"
 * line 0 means the diagnostic is about the whole file: "<file>: <message>".
 * Resource errors put the object in the message: "GlobalNetworkPolicy default.x: spec.order: ...".
 */
enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
};

struct diag {
	enum diag_severity severity;
	char *file; /* owned */
	int line;
	char *msg; /* owned */
};

struct diag_list {
	struct diag *v;
	size_t n, cap;
	size_t errors;
	size_t warnings;
	size_t dropped; /* diagnostics beyond DIAG_LIST_MAX, counted not stored */
};

/* A list keeps at most this many diagnostics; a 1 MB file of garbage cannot exhaust memory. */
#define DIAG_LIST_MAX 1000

void diag_list_init(struct diag_list *l);
void diag_list_fini(struct diag_list *l);
/* file may be NULL ("<input>").  Copies file and the formatted message. */
void diag_add(struct diag_list *l, enum diag_severity sev, const char *file, int line,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag_error(struct diag_list *l, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_warn(struct diag_list *l, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Appends every diagnostic of src to dst; src is left as it was. */
void diag_list_merge(struct diag_list *dst, const struct diag_list *src);
/* Sorts by file, then line, keeping insertion order among equals. */
void diag_list_sort(struct diag_list *l);
/* Writes the text form of d (no newline) into buf; returns the length snprintf would. */
int diag_format(const struct diag *d, char *buf, size_t size);

#endif
