/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_VERDICT_H
#define PALISADE_CLI_VERDICT_H

#include <jansson.h>
#include <stdio.h>

#include "lib/eval.h"

/* Printers for evaluator verdicts, shared by eval and (later) analyze. */

/* The JSON object of one direction: allowed, decided, reason, endpoint, tier, policy, rule,
 * action, and the trace when with_trace.  New reference, NULL on ENOMEM. */
json_t *verdict_json(const struct model *m, const struct eval_verdict *v, int with_trace);

/* Words a person can act on: which policy isolated the endpoint and that no rule allowed the
 * peer, or which rule (with file and line) decided. */
void verdict_explain(FILE *f, const struct model *m, const struct eval_flow *flow,
		     const struct eval_verdict *v, enum m_dir dir);

/* "x/a", a host name, or the address. */
const char *verdict_addr_name(const struct model *m, const struct eval_addr *a, char *buf,
			      size_t size);

#endif
