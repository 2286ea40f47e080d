/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CALC_H
#define PALISADE_CALC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/model.h"

/*
 * calc: from the model's objects to the IR.  Selectors are interned (one parsed copy per
 * canonical text), rule selectors become address sets (interned by scope and selectors),
 * and the membership of every address set, the endpoints every policy selects and the
 * programs of every endpoint are computed.  Candidates come from a label index: a selector
 * that requires k == v is only tested on endpoints carrying k=v, a namespaced one only on
 * the namespace's endpoints.
 */

/* The interned id of the selector text, MODEL_NONE for all() (and the empty selector).
 * Text that does not parse also gives MODEL_NONE with errno = EINVAL; the resource layer
 * has rejected such text before it gets here. */
uint32_t calc_intern_selector(struct model *m, const char *text);
/* The interned id of an address set with proto's scope (members are ignored).  Copies what
 * it keeps.  MODEL_NONE with errno = ENOMEM on failure. */
uint32_t calc_intern_addrset(struct model *m, const struct m_addrset *proto);
/* Computes memberships, selections and programs from scratch.  0 or -ENOMEM. */
int calc_run(struct model *m);
/* Recomputes what depends on endpoint ep after its labels changed.  0 or -ENOMEM. */
int calc_update_endpoint(struct model *m, uint32_t ep);
void calc_free(struct model *m);

bool calc_addrset_has_endpoint(const struct model *m, uint32_t set, uint32_t ep);
/* Does endpoint ep's namespace view, service account etc. put it in address set s?  (The
 * raw test, without the cached bit.) */
bool calc_addrset_match_endpoint(const struct model *m, const struct m_addrset *s, uint32_t ep);
bool calc_addrset_match_netset(const struct model *m, const struct m_addrset *s, uint32_t set);
bool calc_policy_selects(const struct model *m, const struct m_policy *p, uint32_t ep);

/* The network sets holding address a, longest prefix first, at most max, into out.
 * Returns how many were written. */
size_t calc_sets_containing(const struct model *m, const struct ipaddr *a, uint32_t *out,
			    size_t max);

#endif
