/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LINT_H
#define PALISADE_LINT_H

struct model;
struct diag_list;

/*
 * Warnings about policies that are valid but likely not what their author meant.  Adds
 * warnings (never errors) to diags; returns how many it added.
 *
 * deny-only-in-deny-tier: a Calico policy whose tier ends in Deny, that selects endpoints,
 * and that has rules for a direction it covers but no Allow or Pass among them.  Every
 * other connection of every endpoint it selects then falls to the end-of-tier drop.  The
 * article's default.blockthreats does exactly that.  Kubernetes policies and Calico
 * policies without rules in that direction are default-deny on purpose and not reported,
 * and neither are doNotTrack and preDNAT policies (unmatched traffic goes on to normal
 * policy there).
 */
int lint_model(const struct model *m, struct diag_list *diags);

#endif
