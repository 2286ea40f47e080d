/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_ROWS_H
#define PALISADE_CLI_ROWS_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/*
 * The rows the log query verbs (flows, events) print: kept for the table's column widths,
 * or with --limit only the last ones, in a ring.  A row holds up to ROWS_MAX_COLS cells
 * (malloc'ed strings; NULL prints as empty); a JSON line is kept in cell[0] alone.  Running
 * out of memory drops the row and latches oom, which the caller checks once at the end.
 */

#define ROWS_MAX_COLS 9

struct row {
	char *cell[ROWS_MAX_COLS];
};

struct rows {
	struct row *v;
	size_t n, cap, start;
	size_t limit; /* 0: keep every row */
	bool oom;
};

/* Keeps r, taking its strings; with a limit, drops (and frees) the oldest row beyond it. */
void rows_push(struct rows *rs, struct row *r);
/* The i-th row kept, oldest first (i < rs->n); owned by rs. */
struct row *rows_at(struct rows *rs, size_t i);
/* Frees every row and the array; a zeroed rs is fine. */
void rows_fini(struct rows *rs);

/*
 * Prints head and the rows to stdout as ncols (<= ROWS_MAX_COLS) left-aligned columns two
 * spaces apart, each as wide as its widest cell, the last one unpadded.  head is borrowed.
 */
void rows_print_table(const char *const *head, struct rows *rs, int ncols);
/* Prints cell[0] of every row to stdout as it is (the JSON lines kept for a limit). */
void rows_print_lines(struct rows *rs);

/*
 * One JSON line in sb: kept as a row (taken from sb) when rs has a limit, else written to
 * stdout at once.  sb must not be in its oom state.
 */
void rows_line(struct rows *rs, struct strbuf *sb);

#endif
