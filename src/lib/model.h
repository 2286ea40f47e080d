/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_MODEL_H
#define PALISADE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/bitset.h"
#include "lib/cidr.h"
#include "lib/label.h"
#include "lib/resource.h"

struct diag_list;
struct lpm;
struct selector;

/*
 * The model: one generation of the cluster as policy sees it, built from a resource_set,
 * plus the IR that calc derives from it (DESIGN §4).
 *
 *   namespaces, service accounts   label sources (pcns.*, pcsa.*)
 *   endpoints                      pods and WorkloadEndpoints (workloads), HostEndpoints;
 *                                  each with its effective labels (own + inherited)
 *   network sets                   NetworkSet / GlobalNetworkSet: labelled CIDR lists
 *   tiers, policies                Calico policies and Kubernetes NetworkPolicies converted
 *                                  to the Calico-equivalent form (convert.c), in one order
 *   address sets                   the "IP sets" rules refer to: a scoped selector and the
 *                                  endpoints and network sets it currently matches
 *   programs                       per endpoint and direction, the ranked list of policies
 *                                  that select it; eval walks it and nft renders it
 *
 * Ownership: everything lives in the model's arena or in arrays the model frees, except the
 * resource strings it points into: the resource_set given to model_build must outlive the
 * model.  A model is not shared between threads while being changed.
 */

#define MODEL_NONE UINT32_MAX

struct m_namespace {
	const char *name;
	struct labels labels;	    /* as written, plus kubernetes.io/metadata.name */
	struct labels ns_view;	    /* what a namespaceSelector sees (see calc.c) */
	struct labels inherited;    /* pcns.<k>=<v>, projectcalico.org/namespace */
	const struct resource *res; /* NULL when implied by a pod */
};

struct m_service_account {
	const char *name;
	uint32_t ns;
	struct labels labels;
};

enum m_endpoint_kind {
	M_EP_WORKLOAD,
	M_EP_HOST,
};

struct m_endpoint {
	enum m_endpoint_kind kind;
	const char *name; /* pod name (workloads) or HostEndpoint name */
	const char *ns;	  /* NULL for host endpoints */
	uint32_t ns_idx;  /* MODEL_NONE for host endpoints */
	const char *node;
	const char *sa;	      /* service account name, workloads only */
	uint32_t sa_idx;      /* MODEL_NONE if no ServiceAccount object */
	bool k8s;	      /* orchestrator k8s: selected by Kubernetes NetworkPolicies */
	struct labels own;    /* the object's labels */
	struct labels labels; /* effective: own, pcns.*, pcsa.* and projectcalico.org labels */
	struct ipaddr *ips;
	size_t nips;
	const struct endpoint_port *ports; /* named ports (container ports with a name) */
	size_t nports;
	const char **profiles; /* Calico profiles; pods: "kns.<ns>" (and "ksa.<ns>.<sa>") */
	size_t nprofiles;
	const struct resource *res;
	/* The program: ranks of the policies that select this endpoint, ascending. */
	uint32_t *prog[2];
	size_t nprog[2];
	size_t capprog[2];
};

struct m_netset {
	const char *name;
	const char *ns;	      /* NULL for GlobalNetworkSet */
	uint32_t ns_idx;      /* MODEL_NONE for global */
	struct labels labels; /* effective (namespaced sets inherit pcns.*) */
	const struct cidr *nets;
	size_t nnets;
	/* Per entry of nets: when it expires (seconds since the epoch), 0 for never; NULL when
	 * none does (resource.h).  Only the dataplane looks at it: eval, matrix and enrichment
	 * have no clock and treat an expiring entry as present. */
	const int64_t *expires;
	const struct resource *res;
};

struct m_tier {
	const char *name;
	bool has_order;
	double order;
	enum rule_action default_action;
	const struct resource *res; /* NULL for the implied default tier */
};

/* Order of the implied "default" tier, as in Calico. */
#define MODEL_DEFAULT_TIER_ORDER 1000000.0
/* Order of a converted Kubernetes NetworkPolicy, as in Calico. */
#define MODEL_K8S_POLICY_ORDER 1000.0

/*
 * An address set: which addresses a rule's selector stands for.  Scoping follows Calico's
 * conversion of rules: in a namespaced policy a selector without namespaceSelector only
 * matches objects of the policy's namespace; a namespaceSelector is evaluated on the
 * namespace's labels (global() on non-namespaced objects); service accounts constrain
 * workloads.  Members are endpoints (by index) and network sets (by index); the addresses
 * are their IPs and CIDRs.
 */
struct m_addrset {
	uint32_t scope_ns;     /* MODEL_NONE: any; else only namespaced objects of this namespace */
	uint32_t ns_sel;       /* interned selector on namespace view, or MODEL_NONE */
	uint32_t sel;	       /* interned selector on effective labels, or MODEL_NONE (all) */
	bool endpoints_only;   /* Kubernetes peers match pods only, never network sets */
	const char **sa_names; /* service account names (any of), or none */
	size_t nsa_names;
	uint32_t sa_sel;    /* selector on the service account's labels, or MODEL_NONE */
	struct bitset eps;  /* member endpoints */
	struct bitset sets; /* member network sets */
	char *key;	    /* canonical description, for interning and printing */
};

struct m_entity {
	const struct cidr *nets;
	size_t nnets;
	const struct cidr *not_nets;
	size_t nnot_nets;
	uint32_t addrset;     /* MODEL_NONE when the rule has no selector */
	uint32_t not_addrset; /* MODEL_NONE when the rule has no notSelector */
	const struct port_range *ports;
	size_t nports;
	const struct port_range *not_ports;
	size_t nnot_ports;
};

struct m_rule {
	enum rule_action action;
	bool has_protocol;
	uint8_t protocol;
	bool has_not_protocol;
	uint8_t not_protocol;
	struct icmp_match icmp;
	struct icmp_match not_icmp;
	int ip_version;
	struct m_entity src, dst;
	struct srcloc loc;
};

enum m_dir {
	M_INGRESS = 0,
	M_EGRESS = 1,
};

struct m_policy {
	const char *name; /* as in traces and flow logs: "ns/knp.default.x", "ns/x", "x" */
	const char *kind; /* "NetworkPolicy", "GlobalNetworkPolicy", "k8s NetworkPolicy" */
	uint32_t tier;
	bool has_order;
	double order;
	uint32_t ns_idx; /* namespaced policies select only endpoints of this namespace */
	uint32_t sel;	 /* selector on effective labels (MODEL_NONE: all()) */
	uint32_t ns_sel; /* GlobalNetworkPolicy namespaceSelector or MODEL_NONE */
	uint32_t sa_sel; /* serviceAccountSelector or MODEL_NONE */
	bool k8s_only;	 /* select pods only (Kubernetes NetworkPolicy) */
	bool applies[2]; /* types: Ingress, Egress */
	struct m_rule *rules[2];
	size_t nrules[2];
	uint32_t rank;		/* position in the global evaluation order */
	struct bitset selected; /* endpoints this policy selects */
	const struct resource *res;
};

/* A Calico Profile resource: evaluated after the tiers for endpoints that list it. */
struct m_profile {
	const char *name;
	struct m_rule *rules[2];
	size_t nrules[2];
	const struct resource *res;
};

struct model {
	struct arena arena;
	const struct resource_set *rs;

	struct m_namespace *ns;
	size_t nns;
	struct m_service_account *sas;
	size_t nsas;
	struct m_endpoint *eps;
	size_t neps;
	struct m_netset *sets;
	size_t nsets;
	struct m_tier *tiers; /* sorted: order ascending, no order last, ties by name */
	size_t ntiers;
	struct m_policy *pols; /* sorted in evaluation order; pols[i].rank == i */
	size_t npols;
	struct m_profile *profiles;
	size_t nprofiles;
	const struct resource *lab; /* the Lab object, if any */

	/* calc state */
	struct selector **sels; /* interned selectors */
	char **sel_text;
	size_t nsels, capsels;
	struct m_addrset *addrsets;
	size_t naddrsets, capaddrsets;
	struct lpm *ep_by_ip;  /* address -> endpoint index + 1 */
	struct lpm *set_cidrs; /* CIDR -> list of network sets holding it */
	void *index;	       /* label index (calc.c) */
	void *ep_names;	       /* "ns/name" -> endpoint (struct strmap) */
};

/*
 * Builds a model from a validated resource set and computes its IR.  Problems that only
 * show at this stage (a pod whose IP another pod already has, a policy naming a missing
 * tier) go to diags.  Returns NULL with errno set on allocation failure.
 */
struct model *model_build(const struct resource_set *rs, struct diag_list *diags);
void model_free(struct model *m);

/* Lookups; MODEL_NONE when absent. */
uint32_t model_find_namespace(const struct model *m, const char *name);
uint32_t model_find_endpoint(const struct model *m, const char *ns, const char *name);
uint32_t model_endpoint_by_ip(const struct model *m, const struct ipaddr *a);

/*
 * Incremental update: gives workload endpoint ep the label set own (copied) and recomputes
 * only what depends on it: its effective labels, its membership in every address set, the
 * policies that select it and its programs.  0 or -ENOMEM.
 */
int model_set_endpoint_labels(struct model *m, uint32_t ep, const struct labels *own);

/* Name of the namespace profile of an endpoint's namespace: "kns.<ns>". */
const char *model_endpoint_profile(const struct model *m, uint32_t ep);

#endif
