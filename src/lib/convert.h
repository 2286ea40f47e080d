/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CONVERT_H
#define PALISADE_CONVERT_H

#include "lib/model.h"

struct diag_list;

/*
 * Converts a Kubernetes NetworkPolicy, a Calico NetworkPolicy or a GlobalNetworkPolicy into
 * the model's policy form, as Calico does:
 *
 * Kubernetes: tier "default", order 1000, name "<ns>/knp.default.<name>", selects pods of
 * its namespace matching podSelector.  Each rule's ports are grouped by protocol (SCTP,
 * TCP, UDP order) and the rule becomes one Allow rule per (protocol group, peer), groups
 * outer and peers inner; no peers means any address, no ports any port and protocol.  A podSelector peer matches pods of the policy's namespace, a namespaceSelector
 * peer pods of matching namespaces, both in one peer must hold together; ipBlock becomes
 * nets and notNets (except), which match any address, pod IPs included.  Named ports are
 * kept by name and resolved on the destination endpoint at match time.
 *
 * Calico: selectors scoped as in calc's address sets, rules copied with their actions.
 *
 * out's arrays are allocated in m's arena; tier is looked up (and must exist).  0, or
 * -EINVAL (diagnostic added) or -ENOMEM.
 */
int convert_policy(struct model *m, const struct resource *r, struct m_policy *out,
		   struct diag_list *diags);

/* Converts a Profile's rules (not namespaced).  0 or -ENOMEM. */
int convert_profile(struct model *m, const struct resource *r, struct m_profile *out);

#endif
