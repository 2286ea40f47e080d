/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_RESOURCE_H
#define PALISADE_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/cidr.h"
#include "lib/label.h"
#include "lib/labelselector.h"

struct diag_list;

/*
 * Typed resources: every kind of DESIGN §3, decoded from the document tree with the file
 * and line of the object and of each rule, validated field by field.  Strings, arrays and
 * the structs themselves live in the resource_set's arena and are read-only afterwards.
 * Selectors are kept as text (already checked to parse); the model parses and interns them.
 *
 * Defaults are applied while decoding, so consumers never re-derive them: a Calico policy
 * without tier is in "default", K8s ports without protocol are TCP, policy types are
 * filled in by each API's own rule (the *_explicit flags say whether the author wrote them).
 */

enum res_kind {
	RES_NAMESPACE,
	RES_POD,
	RES_SERVICE_ACCOUNT,
	RES_SERVICE,
	RES_DEPLOYMENT,
	RES_REPLICA_SET,
	RES_DAEMON_SET,
	RES_STATEFUL_SET,
	RES_K8S_NETWORK_POLICY, /* networking.k8s.io/v1 and extensions/v1beta1 */
	RES_NETWORK_POLICY,	/* projectcalico.org/v3, namespaced */
	RES_GLOBAL_NETWORK_POLICY,
	RES_TIER,
	RES_NETWORK_SET,
	RES_GLOBAL_NETWORK_SET,
	RES_GLOBAL_THREAT_FEED,
	RES_GLOBAL_ALERT,
	RES_HOST_ENDPOINT,
	RES_WORKLOAD_ENDPOINT,
	RES_PROFILE,
	RES_LAB, /* palisade.dev/v1alpha1 */
	RES_KIND_COUNT,
};

/* "NetworkPolicy", "GlobalNetworkPolicy", ...  (K8s and Calico NetworkPolicy both print
 * "NetworkPolicy"; res_kind_id() tells them apart where it matters.) */
const char *res_kind_name(enum res_kind k);
/* A stable identifier: "Namespace", "Pod", ..., "k8s.NetworkPolicy", "NetworkPolicy", ... */
const char *res_kind_id(enum res_kind k);
bool res_kind_namespaced(enum res_kind k);

struct srcloc {
	const char *file;
	int line;
};

/* IP protocol numbers as used throughout (struct calico_rule.protocol etc.). */
#define PROTO_ICMP    1
#define PROTO_TCP     6
#define PROTO_UDP     17
#define PROTO_ICMPV6  58
#define PROTO_SCTP    132
#define PROTO_UDPLITE 136

/* "TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite", else the number as text (static buffer
 * is not used: returns NULL for numbers without a name). */
const char *proto_name(uint8_t proto);
/* Parses a protocol name (case-sensitive Calico/K8s spelling) or a number 1..255. 0 or -EINVAL */
int proto_parse(const char *s, uint8_t *out);

struct owner_ref {
	const char *api_version;
	const char *kind;
	const char *name;
	const char *uid;
	bool controller;
};

struct meta {
	const char *name;
	const char *namespace_; /* NULL for cluster-scoped kinds; "default" when omitted */
	const char *uid;
	const char *resource_version;
	struct labels labels;
	struct labels annotations;
	struct owner_ref *owners;
	size_t nowners;
	const char *generate_name; /* metadata.generateName, NULL when absent (name_aggr) */
};

/* ---- Kubernetes core and workloads ---------------------------------------------------- */

struct container_port {
	const char *name; /* NULL if unnamed */
	uint16_t port;
	uint8_t proto; /* default TCP */
	uint16_t host_port;
};

/* What the lab and the model need of a pod spec; other pod spec fields are accepted and
 * ignored (listed in docs/resources.md), unknown ones reported. */
struct pod_spec {
	const char *
		service_account; /* serviceAccountName (or deprecated serviceAccount); NULL = "default" */
	const char *node_name;
	bool host_network;
	struct container_port *ports; /* all containers' ports, in order */
	size_t nports;
	const char **container_names;
	const char **container_images;
	size_t ncontainers;
};

struct res_pod {
	struct pod_spec spec;
	struct ipaddr *ips; /* status.podIPs (or status.podIP) */
	size_t nips;
	const char *phase;
};

struct pod_template {
	struct labels labels;
	struct labels annotations;
	struct pod_spec spec;
};

/* Deployment, ReplicaSet, DaemonSet, StatefulSet */
struct res_workload {
	bool has_replicas;
	int32_t replicas; /* default 1 (not used for DaemonSet) */
	struct label_selector selector;
	struct pod_template tmpl;
};

struct service_port {
	const char *name;
	uint8_t proto;
	uint16_t port;
	const char *target_name; /* named targetPort, or NULL */
	uint16_t target_port;	 /* numeric targetPort; defaults to port */
	uint16_t node_port;
};

struct res_service {
	const char *type; /* ClusterIP (default), NodePort, LoadBalancer, ExternalName */
	struct labels selector;
	struct ipaddr *cluster_ips;
	size_t ncluster_ips;
	struct service_port *ports;
	size_t nports;
};

/* ---- Kubernetes NetworkPolicy ---------------------------------------------------------- */

/* A port that is a number or a name (IntOrString). */
struct port_ref {
	bool present;
	const char *name; /* named port, or NULL */
	uint16_t num;
};

struct k8s_np_port {
	uint8_t proto; /* default TCP */
	struct port_ref port;
	uint16_t end_port; /* 0 when absent; only with a numeric port, end_port >= port */
	struct srcloc loc;
};

struct k8s_np_peer {
	/* At most one of: pod/namespace selectors (either or both), or ipBlock. */
	struct label_selector pod_selector;	  /* .present says whether given */
	struct label_selector namespace_selector; /* .present says whether given */
	bool has_ip_block;
	struct cidr ip_block;
	struct cidr *except;
	size_t nexcept;
	struct srcloc loc;
};

struct k8s_np_rule {
	struct k8s_np_peer *peers; /* from / to; none (absent or []) = all peers */
	size_t npeers;
	struct k8s_np_port *ports; /* none (absent or []) = all ports and protocols */
	size_t nports;
	struct srcloc loc;
};

struct res_k8s_network_policy {
	struct label_selector pod_selector;
	bool types_explicit;
	bool ingress_type; /* after defaulting: always, unless policyTypes says otherwise */
	bool egress_type;  /* after defaulting: len(egress) != 0, unless policyTypes says */
	struct k8s_np_rule *ingress;
	size_t ningress;
	struct k8s_np_rule *egress;
	size_t negress;
};

/* ---- Calico ----------------------------------------------------------------------------- */

enum rule_action {
	ACTION_ALLOW,
	ACTION_DENY,
	ACTION_LOG,
	ACTION_PASS,
};
/* "Allow", "Deny", "Log", "Pass" */
const char *rule_action_name(enum rule_action a);

/* A port, a range "a:b", or a named port. */
struct port_range {
	uint16_t lo, hi;  /* lo == hi for a single port */
	const char *name; /* named port (lo = hi = 0), or NULL */
};

struct entity_rule {
	struct cidr *nets;
	size_t nnets;
	struct cidr *not_nets;
	size_t nnot_nets;
	const char *selector;		/* NULL when absent */
	const char *not_selector;	/* NULL when absent */
	const char *namespace_selector; /* NULL when absent */
	struct port_range *ports;
	size_t nports;
	struct port_range *not_ports;
	size_t nnot_ports;
	bool has_service_accounts;
	const char **sa_names;
	size_t nsa_names;
	const char *sa_selector; /* NULL when absent */
};

struct icmp_match {
	bool present;
	int type; /* 0..254, -1 when absent */
	int code; /* 0..255, -1 when absent (requires type) */
};

struct calico_rule {
	enum rule_action action;
	bool has_protocol;
	uint8_t protocol;
	bool has_not_protocol;
	uint8_t not_protocol;
	struct icmp_match icmp;
	struct icmp_match not_icmp;
	int ip_version; /* 0 (any), 4 or 6 */
	struct entity_rule src;
	struct entity_rule dst;
	const char *name; /* metadata.annotations["name"] if any, for traces */
	struct srcloc loc;
};

/* NetworkPolicy (namespaced) and GlobalNetworkPolicy. */
struct res_calico_policy {
	const char *tier; /* "default" when omitted */
	bool has_order;
	double order;
	const char *selector;		/* "all()" when omitted */
	const char *namespace_selector; /* GlobalNetworkPolicy only; NULL when omitted */
	const char *sa_selector;	/* serviceAccountSelector; NULL when omitted */
	bool types_explicit;
	bool ingress_type; /* defaulted as Calico: ingress rules or no rules at all -> Ingress */
	bool egress_type;  /* egress rules -> Egress */
	struct calico_rule *ingress;
	size_t ningress;
	struct calico_rule *egress;
	size_t negress;
	bool do_not_track;
	bool pre_dnat;
	bool apply_on_forward;
};

struct res_tier {
	bool has_order;
	double order;
	enum rule_action default_action; /* ACTION_DENY (default) or ACTION_PASS */
};

/*
 * NetworkSet and GlobalNetworkSet: labels are in meta.  Entries may expire (the response's
 * quarantine sets, DESIGN §8): the annotation palisade.dev/expires maps single-address
 * entries of spec.nets to RFC 3339 UTC times; expires[i] is when nets[i] stops being in the
 * set, in seconds since the epoch (a fraction of a second rounded up), 0 for never.  The pure
 * core has no clock: eval and matrix treat an expiring entry as present; the dataplane turns
 * expires into kernel set-element timeouts (docs/dataplane.md).
 */
struct res_network_set {
	struct cidr *nets;
	size_t nnets;
	int64_t *expires; /* parallel to nets; NULL when no entry expires */
};

/* The annotations of a network set that the response writes (docs/resources.md). */
#define RES_ANN_EXPIRES "palisade.dev/expires"
#define RES_ANN_REASONS "palisade.dev/reasons"

struct endpoint_port {
	const char *name;
	uint8_t proto;
	uint16_t port;
};

struct res_host_endpoint {
	const char *node;
	const char *interface_name;
	struct ipaddr *expected_ips;
	size_t nexpected_ips;
	const char **profiles;
	size_t nprofiles;
	struct endpoint_port *ports;
	size_t nports;
};

struct res_workload_endpoint {
	const char *node;
	const char *orchestrator;
	const char *workload;
	const char *pod;
	const char *endpoint;
	const char *container_id;
	const char *interface_name;
	const char *service_account;
	struct cidr *ip_networks;
	size_t nip_networks;
	const char **profiles;
	size_t nprofiles;
	struct endpoint_port *ports;
	size_t nports;
};

struct res_profile {
	struct labels labels_to_apply;
	struct calico_rule *ingress;
	size_t ningress;
	struct calico_rule *egress;
	size_t negress;
};

enum feed_format {
	FEED_FORMAT_NEWLINE, /* newlineDelimited (default) */
	FEED_FORMAT_JSON,
	FEED_FORMAT_CSV,
};

struct feed_header {
	const char *name;
	const char *value; /* plain value, or NULL when value_from is used */
	/* valueFrom: configMapKeyRef or secretKeyRef {name, key}, resolved by the controller
	 * from files it is configured with. */
	const char *value_from_kind; /* "configMapKeyRef" | "secretKeyRef" | NULL */
	const char *value_from_name;
	const char *value_from_key;
	bool value_from_optional;
};

struct res_threat_feed {
	const char *content; /* "IPSet" (default) */
	const char *mode;    /* "Enabled" (default) | "Disabled" */
	const char *description;
	bool has_pull;
	int64_t period_s; /* pull.period, default 86400; minimum 300 */
	const char *url;
	struct feed_header *headers;
	size_t nheaders;
	enum feed_format format;
	const char *json_path; /* format.json.path */
	/* format.csv */
	int field_num; /* -1 when absent */
	const char *field_name;
	bool header;
	char column_delimiter;	/* default ',' */
	char comment_delimiter; /* 0 when absent */
	int record_size;	/* 0 when absent */
	bool disable_record_size_validation;
	struct labels gns_labels; /* globalNetworkSet.labels */
	bool has_gns;
};

struct res_global_alert {
	const char *type; /* "RuleBased" (default) */
	const char *summary;
	const char *description;
	int severity;	      /* 1..100 */
	int64_t period_s;     /* default 300 */
	int64_t lookback_s;   /* default 600 */
	const char *data_set; /* "flows" */
	const char *query;    /* may be NULL: every record */
	const char **aggregate_by;
	size_t naggregate_by;
	const char *field;
	const char *metric;    /* NULL, count, sum, avg, min, max */
	const char *condition; /* eq, not_eq, lt, lte, gt, gte; default gt */
	bool has_threshold;
	double threshold;
};

struct lab_host {
	const char *name;
	struct ipaddr ip;
	struct srcloc loc;
};

struct res_lab {
	int nodes;	      /* default 1 */
	struct cidr pod_cidr; /* default 10.244.0.0/16 */
	struct lab_host *hosts;
	size_t nhosts;
};

struct resource {
	enum res_kind kind;
	const char *api_version;
	struct srcloc loc; /* the line of the object's first key */
	struct meta meta;
	union {
		struct res_pod pod;
		struct res_workload workload;
		struct res_service service;
		struct res_k8s_network_policy knp;
		struct res_calico_policy policy; /* NetworkPolicy, GlobalNetworkPolicy */
		struct res_tier tier;
		struct res_network_set netset; /* NetworkSet, GlobalNetworkSet */
		struct res_host_endpoint hep;
		struct res_workload_endpoint wep;
		struct res_profile profile;
		struct res_threat_feed feed;
		struct res_global_alert alert;
		struct res_lab lab;
	} u;
};

/*
 * A loaded set of resources, in load order.  The set owns everything it points to (one
 * arena).  Loading appends; objects that fail validation are not added, but every error is
 * in the diag_list.
 */
struct resource_set {
	struct arena arena;
	struct resource **v;
	size_t n, cap;
	size_t files; /* files read */
};

void resource_set_init(struct resource_set *s);
void resource_set_fini(struct resource_set *s);

/*
 * Loads path: a file (.yaml, .yml, .json or anything else, sniffed as YAML), a directory
 * (every *.yaml, *.yml and *.json in it and below, in sorted order, hidden files skipped),
 * or "-" for standard input.  YAML may hold several documents; `kind: List` (and any
 * `*List` kind with `items`) is unwrapped.  Returns 0 when no error was added, -EINVAL
 * when some were (the valid objects are still appended), -errno when path cannot be read.
 */
int resource_load_path(struct resource_set *s, const char *path, struct diag_list *diags);
/* The same for a buffer; name is used in diagnostics. */
int resource_load_buffer(struct resource_set *s, const char *buf, size_t len, const char *name,
			 struct diag_list *diags);

/*
 * Checks across objects: duplicate kind/namespace/name ("duplicate GlobalNetworkPolicy x,
 * first defined at f:L"), a Calico policy naming a tier that is not in the set (other than
 * "default"), a tiered policy whose name lacks the "<tier>." prefix.  Returns 0 or -EINVAL.
 */
int resource_set_check(const struct resource_set *s, struct diag_list *diags);

/* "ns/name" or "name" for cluster-scoped kinds, into buf. */
const char *resource_ref(const struct resource *r, char *buf, size_t size);

/* ---- expiring network-set entries (resource_expires.c) ---------------------------------- */

/*
 * An RFC 3339 time in UTC, "YYYY-MM-DDTHH:MM:SS" with an optional fraction, then "Z" (or
 * "z"), "+00:00" or "-00:00", as seconds since the epoch; a fraction of a second rounds up
 * (an entry expiring at 02:00:00.5 is still in the set at 02:00:00).  A leap second :60 is
 * the first second of the next minute.  0, or -EINVAL for anything else, another offset
 * included.  Pure: no clock, no time zone.
 */
int res_time_parse(const char *s, int64_t *out);
/* What a JSON value is, for messages: "an object", "an array", "a string", "a number",
 * "a boolean" or "null". */
struct json_t;
const char *res_json_type_name(const struct json_t *v);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (RES_TIME_STRLEN bytes hold it).  Returns the length
 * snprintf would; a time outside the years 0000-9999 prints as "@<seconds>". */
int res_time_format(int64_t t, char *buf, size_t size);
#define RES_TIME_STRLEN 32

/*
 * The value of the palisade.dev/expires annotation of a network set: a JSON object whose keys
 * are entries of nets (written like them; compared after normalisation, so "198.51.100.66"
 * names the entry 198.51.100.66/32) and whose values are res_time_parse() times.  Fills
 * expires[i] (nnets of them, zeroed here) for every entry its keys name; a time at or before
 * the epoch is stored as 1 (long expired), so that 0 keeps meaning never.
 *
 * Every problem is reported through report(arg, message) (report may be NULL), as one
 * sentence without the field path: the value is not a JSON object of strings, a key is not
 * an address or CIDR, is not a single address (/32 or /128), is not in nets or names the same
 * entry as another key, a time does not parse.  nets NULL means the entries are not known
 * (they did not decode): keys are then not checked against them.  Returns 0, -EINVAL after
 * reporting at least one problem, or -ENOMEM.  json and nets are borrowed.  Pure.
 */
int netset_expires_parse(const char *json, const struct cidr *nets, size_t nnets, int64_t *expires,
			 void (*report)(void *arg, const char *msg), void *arg);
/* The value of palisade.dev/reasons: a JSON object of strings (keys are not checked; the
 * dataplane does not use it).  Reports and returns as netset_expires_parse(). */
int netset_reasons_check(const char *json, void (*report)(void *arg, const char *msg), void *arg);

#endif
