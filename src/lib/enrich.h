/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_ENRICH_H
#define PALISADE_ENRICH_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/cidr.h"
#include "lib/label.h"

struct model;

/*
 * Enrichment at collection time (DESIGN §6): who an address is, from the live model, in the
 * terms of Calico Enterprise's flow logs.  The first rule that applies wins:
 *
 *   type "wep"  a workload endpoint (pod): name = pod name, namespace = its namespace,
 *               labels = the pod's own labels (not the inherited pcns.* / pcsa.* ones),
 *               name_aggr = owner-based aggregate: a pod whose controller owner reference
 *               is a ReplicaSet, DaemonSet, StatefulSet or Job gives "<owner name>-*"
 *               (ReplicaSet nginx-7d9f8c6b5 gives "nginx-7d9f8c6b5-*"); otherwise a pod
 *               with metadata.generateName gives generateName + "*" ("nginx-7d9f8c6b5-"
 *               gives the same "nginx-7d9f8c6b5-*"); otherwise the pod's own name.  A
 *               Calico WorkloadEndpoint without a Pod object keeps its pod name.
 *   type "hep"  a HostEndpoint: name = name_aggr = its name, namespace "-", its own labels.
 *   type "ns"   an address outside every endpoint held by a NetworkSet or GlobalNetworkSet
 *               (the longest matching prefix wins; among sets holding that same prefix,
 *               namespaced before global, then by name, then by namespace): name =
 *               name_aggr = the set's name, namespace = its namespace or "-", labels = the
 *               set's labels as written (no inherited pcns.* labels).
 *   type "net"  anything else: name "-", namespace "-", name_aggr "pvt" for private
 *               addresses (enrich_is_private) and "pub" otherwise; no labels.
 *
 * An address inside the Lab's pod range (the cluster's pods) that no endpoint has is given
 * no_endpoint = true; its type is "ns" if a network set holds it, else "net" with name_aggr
 * "pvt" (always, whatever the range).  An address of family 0 ("no address") is "net" with
 * name_aggr "-".
 *
 * name, ns and labels point into the model (valid while it lives) or are literals;
 * name_aggr is held in the struct itself, because "<owner>-*" is not a string of the model.
 */

/* Longest name_aggr: a 253-byte owner name + "-*" + NUL. */
#define ENRICH_NAME_AGGR_SIZE 256

struct enrich_info {
	const char *type;
	const char *name;
	char name_aggr[ENRICH_NAME_AGGR_SIZE];
	const char *ns;
	const struct labels *labels; /* NULL: none */
	bool no_endpoint;
};

/* Resolves a; never fails (unknown addresses are "net").  m may be NULL (everything "net").
 * Costs two LPM lookups; the network-set tie-break scans the CIDRs of the candidate sets only
 * when nested prefixes of several sets hold the address. */
void enrich_addr(const struct model *m, const struct ipaddr *a, struct enrich_info *out);

/*
 * true for addresses that are private in the sense of flow logs ("pvt"): IPv4 10/8,
 * 172.16/12, 192.168/16 (RFC 1918), 100.64/10 (CGNAT), 127/8, 169.254/16; IPv6 fc00::/7
 * (RFC 4193), ::1, fe80::/10.
 */
bool enrich_is_private(const struct ipaddr *a);

#endif
