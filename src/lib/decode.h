/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DECODE_H
#define PALISADE_DECODE_H

/*
 * The private helper layer of the resource decoder (resource*.c only; nothing outside
 * src/lib/resource*.c includes this header).
 *
 * A decoding context carries what every message needs: the file, the object ("Kind
 * ns/name") and the field path being decoded ("spec.ingress[0].source").  Decoders walk the
 * document tree, push a path component before looking at a child and pop it afterwards, and
 * report through dec_error(), which formats
 *
 *   "<file>:<line>: <Kind> <ns/name>: <field.path>: <what is wrong>"
 *
 * and counts the error against the current object, so the loader knows whether to keep it.
 * Decoders never stop at the first error: a bad field is reported and skipped, and the rest
 * of the object is still checked.
 *
 * Typed getters come in two layers.  dec_node_*() check a node the caller has already
 * pushed the path for.  dec_*() look a key up in a map, push the key, check, pop; they
 * return DEC_ABSENT when the key is missing or null (YAML null is "not given", as in
 * Kubernetes' JSON decoding), DEC_OK when the value was stored in *out, DEC_BAD when an
 * error was reported (and *out left alone).  Strings are copied into the context's arena.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"
#include "lib/doc.h"
#include "lib/label.h"
#include "lib/labelselector.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

struct arena;
struct diag_list;

enum {
	DEC_BAD = -1,
	DEC_ABSENT = 0,
	DEC_OK = 1,
};

/* Values quoted in messages are cut to this many bytes (a 1 MB string stays readable). */
#define DEC_QUOTE_MAX  64
#define DEC_QUOTE_BUFS 4

struct dctx {
	struct arena *arena;	 /* where decoded strings and arrays go (the resource set's) */
	struct diag_list *diags; /* not owned */
	const char *file;	 /* not owned */
	char obj[320];		 /* "GlobalNetworkPolicy default.x", or "" */
	struct strbuf path;	 /* "spec.ingress[0]" */
	size_t errors;		 /* errors reported since the last dec_begin_object() */
	bool oom;		 /* an allocation failed; the object is dropped */
	/* Ring of buffers for dec_quote(), so one message can quote several values. */
	char qbuf[DEC_QUOTE_BUFS][DEC_QUOTE_MAX * 4 + 48];
	unsigned qi;
};

/* The context borrows a, diags and file; dec_fini() releases only the path buffer. */
void dec_init(struct dctx *d, struct arena *a, struct diag_list *diags, const char *file);
void dec_fini(struct dctx *d);
/* Starts a new object: sets the message prefix (obj may be NULL), clears path and counts. */
void dec_begin_object(struct dctx *d, const char *obj);

/* Path components.  Each push returns a mark; dec_pop() returns to it. */
size_t dec_push_key(struct dctx *d, const char *key);
size_t dec_push_index(struct dctx *d, size_t i);
/* Appends text as it is (a prefix such as "items[3]" for objects inside a List). */
size_t dec_push_raw(struct dctx *d, const char *text);
void dec_pop(struct dctx *d, size_t mark);

/*
 * Diagnostics about the current path.  at names the line (NULL: the object's first line is
 * not known here, so line 0 is used).  dec_error_line takes a line directly.
 */
void dec_error(struct dctx *d, const struct doc_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dec_warn(struct dctx *d, const struct doc_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dec_error_line(struct dctx *d, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dec_warn_line(struct dctx *d, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s in double quotes with control characters and U+00A0 escaped, cut to DEC_QUOTE_MAX bytes
 * with "... (N bytes)".
 * The result lives in one of the context's DEC_QUOTE_BUFS buffers. */
const char *dec_quote(struct dctx *d, const char *s);
/* Copies s into the arena (marks the context oom on failure). */
const char *dec_strdup(struct dctx *d, const char *s);
/* Zeroed arena array of n elements of size bytes (NULL for n == 0). */
void *dec_array(struct dctx *d, size_t n, size_t size);

/* ---- node level: the caller has pushed the path ------------------------------------------ */

/* true if n is of type t; otherwise reports "expected <what>, found <type>". */
bool dec_node_is(struct dctx *d, const struct doc_node *n, enum doc_type t);
int dec_node_str(struct dctx *d, const struct doc_node *n, const char **out);
int dec_node_int(struct dctx *d, const struct doc_node *n, long long lo, long long hi,
		 long long *out);
int dec_node_double(struct dctx *d, const struct doc_node *n, double *out);
int dec_node_bool(struct dctx *d, const struct doc_node *n, bool *out);
/* A string that must be one of values (NULL-terminated); *out is its index. */
int dec_node_enum(struct dctx *d, const struct doc_node *n, const char *const *values, int *out);

/* ---- field level: key of a map (map may be NULL or not a map: then the key is absent) ---- */

/* The value node of key, or NULL when absent or null. */
const struct doc_node *dec_get(const struct doc_node *map, const char *key);
/*
 * Reports every key of map that is not in known (NULL-terminated) as
 * "<path>.<key>: unknown field", with "(did you mean \"x\"?)" when a known key is close.
 */
void dec_check_keys(struct dctx *d, const struct doc_node *map, const char *const *known);
/* "<path>.<key>: required", on the line of map (or at_line when map is NULL). */
void dec_required(struct dctx *d, const struct doc_node *map, const char *key, int at_line);

int dec_str(struct dctx *d, const struct doc_node *map, const char *key, const char **out);
int dec_int(struct dctx *d, const struct doc_node *map, const char *key, long long lo, long long hi,
	    long long *out);
int dec_double(struct dctx *d, const struct doc_node *map, const char *key, double *out);
int dec_bool(struct dctx *d, const struct doc_node *map, const char *key, bool *out);
int dec_enum(struct dctx *d, const struct doc_node *map, const char *key, const char *const *values,
	     int *out);
/* A map or a list value: NULL when absent/null or of the wrong type (then reported). */
const struct doc_node *dec_map(struct dctx *d, const struct doc_node *map, const char *key);
const struct doc_node *dec_seq(struct dctx *d, const struct doc_node *map, const char *key);
/* A list of strings into an arena array. */
int dec_str_list(struct dctx *d, const struct doc_node *map, const char *key, const char ***out,
		 size_t *n);

/*
 * A map of string to string.  DEC_LABELS checks keys as Kubernetes label keys and values
 * as label values; DEC_ANNOTATIONS checks keys only (and the 256 KiB total).  A value that
 * is not a string is an error that says to quote it, as Kubernetes does.
 */
enum dec_labels_kind {
	DEC_LABELS,
	DEC_ANNOTATIONS,
};
int dec_labels(struct dctx *d, const struct doc_node *map, const char *key,
	       enum dec_labels_kind kind, struct labels *out);

/* A Kubernetes metav1.LabelSelector (matchLabels, matchExpressions); sets out->present. */
int dec_label_selector(struct dctx *d, const struct doc_node *map, const char *key,
		       struct label_selector *out);

/* A CIDR or a bare address; host bits set -> warning "<text> has host bits set; read as X". */
int dec_node_cidr(struct dctx *d, const struct doc_node *n, struct cidr *out);
int dec_cidr(struct dctx *d, const struct doc_node *map, const char *key, struct cidr *out);
int dec_cidr_list(struct dctx *d, const struct doc_node *map, const char *key, struct cidr **out,
		  size_t *n);
int dec_node_ip(struct dctx *d, const struct doc_node *n, struct ipaddr *out);
int dec_ip(struct dctx *d, const struct doc_node *map, const char *key, struct ipaddr *out);

/* A Calico selector string, checked with selector_parse(). */
int dec_selector(struct dctx *d, const struct doc_node *map, const char *key, const char **out);

/* A protocol: a Kubernetes one (TCP, UDP, SCTP), or Calico's names and numbers 1..255. */
int dec_k8s_proto(struct dctx *d, const struct doc_node *map, const char *key, uint8_t *out);
int dec_calico_proto(struct dctx *d, const struct doc_node *map, const char *key, uint8_t *out);

/*
 * A Go duration ("24h", "5m", "1h30m", "300ms") in nanoseconds.  0 or -EINVAL (-ERANGE on
 * overflow).  The field getter stores whole seconds.
 */
int dec_parse_duration(const char *s, int64_t *ns);
int dec_duration(struct dctx *d, const struct doc_node *map, const char *key, int64_t *secs);

/* ---- names --------------------------------------------------------------------------------- */

/*
 * Each returns NULL when s is valid, or a reason that completes "\"s\" is not a valid ...: ".
 * DNS-1123 label (namespaces, tiers): [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63.
 * DNS-1123 subdomain (most object names): labels joined by '.', at most 253.
 * DNS-1035 label (Services): a DNS-1123 label starting with a letter.
 * Qualified name (label and annotation keys): [prefix/]name, prefix a subdomain.
 * Label value: empty, or at most 63 of [A-Za-z0-9_.-] starting and ending alphanumeric.
 * IANA service name (named ports): at most 15 of [a-z0-9-], one letter at least, no '--'
 * and no '-' at either end.
 */
const char *dec_dns_label_err(const char *s);
const char *dec_dns_subdomain_err(const char *s);
const char *dec_dns1035_err(const char *s);
const char *dec_qualified_name_err(const char *s);
const char *dec_label_value_err(const char *s);
const char *dec_port_name_err(const char *s);

/* Edit distance (case-insensitive), capped: returns cap + 1 when larger than cap. */
size_t dec_edit_distance(const char *a, const char *b, size_t cap);

/* ---- kind decoders (resource_*.c), called by resource.c with the object's root map -------- */

/* Known top-level keys of every object. */
extern const char *const dec_top_keys[];
/* Known metadata keys; dec_meta() decodes them into m. */
void dec_meta(struct dctx *d, const struct doc_node *root, enum res_kind kind, struct meta *m);

void dec_namespace(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_pod(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_service_account(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_service(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_workload(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_k8s_network_policy(struct dctx *d, const struct doc_node *root, struct resource *r);

void dec_calico_policy(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_tier(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_network_set(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_host_endpoint(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_workload_endpoint(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_profile(struct dctx *d, const struct doc_node *root, struct resource *r);

void dec_threat_feed(struct dctx *d, const struct doc_node *root, struct resource *r);
void dec_global_alert(struct dctx *d, const struct doc_node *root, struct resource *r);

void dec_lab(struct dctx *d, const struct doc_node *root, struct resource *r);

/*
 * Reads a list of policy types ("Ingress", "Egress") at key of spec, as Kubernetes'
 * policyTypes and Calico's types both are: each at most once.  When the list is given and
 * not empty, *ingress and *egress are set from it (otherwise left as the caller's defaults)
 * and true is returned.
 */
bool dec_policy_types(struct dctx *d, const struct doc_node *spec, const char *key, bool *ingress,
		      bool *egress);

#endif
