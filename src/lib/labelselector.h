/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LABELSELECTOR_H
#define PALISADE_LABELSELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/label.h"

/*
 * Kubernetes label selectors (metav1.LabelSelector): matchLabels ANDed with
 * matchExpressions.  An empty selector ({}) matches everything; whether the field was
 * present at all is the caller's business (a NetworkPolicy peer without podSelector is not
 * the same as one with podSelector: {}), recorded in `present`.
 */
enum lsel_op {
	LSEL_IN,
	LSEL_NOT_IN,
	LSEL_EXISTS,
	LSEL_DOES_NOT_EXIST,
};

struct label_requirement {
	const char *key;
	enum lsel_op op;
	const char **values; /* In, NotIn: at least one; Exists, DoesNotExist: none */
	size_t nvalues;
};

struct label_selector {
	bool present;
	struct labels match_labels;
	struct label_requirement *exprs;
	size_t nexprs;
};

bool labelselector_match(const struct label_selector *s, const struct labels *l);

/*
 * The equivalent Calico selector text, malloc'd, with key_prefix (may be NULL or "")
 * prepended to every key: Calico turns a namespaceSelector into a selector over "pcns."
 * labels.  matchLabels k: v -> k == "v"; In -> k in {..}; NotIn -> k not in {..};
 * Exists -> has(k); DoesNotExist -> !has(k); all joined with &&; empty -> "all()".
 * NotIn matches when the key is absent, exactly as in Kubernetes.  NULL on ENOMEM.
 */
char *labelselector_to_calico(const struct label_selector *s, const char *key_prefix);

#endif
