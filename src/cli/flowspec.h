/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_FLOWSPEC_H
#define PALISADE_CLI_FLOWSPEC_H

#include "lib/eval.h"

/*
 * Builds an evaluator flow from the words of a query (CLI options or a batch line):
 * from, to (endpoint specs), port, protocol name or number, ICMP type and code.  On error
 * writes a message to err and returns -1.
 */
struct flowspec {
	const char *from;
	const char *to;
	long port;	      /* -1 when absent */
	const char *protocol; /* NULL: TCP */
	long icmp_type;	      /* -1 when absent */
	long icmp_code;	      /* -1 when absent */
	long sport;	      /* -1: the default source port */
};

#define FLOWSPEC_DEFAULT_SPORT 32768

void flowspec_init(struct flowspec *s);
int flowspec_build(const struct model *m, const struct flowspec *s, struct eval_flow *f, char *err,
		   size_t errsize);

#endif
