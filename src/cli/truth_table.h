/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_TRUTH_TABLE_H
#define PALISADE_CLI_TRUTH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The allowed/denied table of `palisade matrix` and `palisade lab probe`: one printer for
 * both, so that the evaluator's table and the real packets' table can be compared cell by
 * cell, in text or JSON.  cells[((proto * nports + port) * nsrc + src) * ndst + dst].
 */
struct truth_table {
	const char *const *src;
	size_t nsrc;
	const char *const *dst;
	size_t ndst;
	const uint16_t *ports;
	size_t nports;
	const uint8_t *protos;
	size_t nprotos;
	const bool *cells;
};

/* A block per protocol (outer) and port: "<PROTO>/<port>" and the destinations, then a row
 * per source with "." (allowed) or "X" per destination; blocks separated by a blank line. */
void truth_table_print_text(FILE *f, const struct truth_table *t);
/* {"cells":[{"from":..,"to":..,"port":..,"protocol":..,"allowed":..}, ...]} on one line. */
void truth_table_print_json(FILE *f, const struct truth_table *t);

#endif
