/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading resources: files, directories and standard input go through doc_parse into
 * document trees; each document (and each item of a `kind: List`) is framed here (kind,
 * apiVersion, metadata) and handed to its kind's decoder (resource_k8s.c, resource_calico.c,
 * resource_feed.c, resource_lab.c).  An object with any error is left out of the set; the
 * rest still go in, so one run reports everything.
 */
#include "lib/resource.h"

#include "lib/arena.h"
#include "lib/decode.h"
#include "lib/diag.h"
#include "lib/doc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- kinds --------------------------------------------------------------------------------- */

struct kind_info {
	const char *name;
	const char *id;
	const char *api[2]; /* accepted apiVersions */
	bool namespaced;
	void (*decode)(struct dctx *d, const struct doc_node *root, struct resource *r);
};

static const struct kind_info kinds[RES_KIND_COUNT] = {
	[RES_NAMESPACE] = {"Namespace", "Namespace", {"v1"}, false, dec_namespace},
	[RES_POD] = {"Pod", "Pod", {"v1"}, true, dec_pod},
	[RES_SERVICE_ACCOUNT] =
		{"ServiceAccount", "ServiceAccount", {"v1"}, true, dec_service_account},
	[RES_SERVICE] = {"Service", "Service", {"v1"}, true, dec_service},
	[RES_DEPLOYMENT] = {"Deployment", "Deployment", {"apps/v1"}, true, dec_workload},
	[RES_REPLICA_SET] = {"ReplicaSet", "ReplicaSet", {"apps/v1"}, true, dec_workload},
	[RES_DAEMON_SET] = {"DaemonSet", "DaemonSet", {"apps/v1"}, true, dec_workload},
	[RES_STATEFUL_SET] = {"StatefulSet", "StatefulSet", {"apps/v1"}, true, dec_workload},
	[RES_K8S_NETWORK_POLICY] = {"NetworkPolicy",
				    "k8s.NetworkPolicy",
				    {"networking.k8s.io/v1", "extensions/v1beta1"},
				    true,
				    dec_k8s_network_policy},
	[RES_NETWORK_POLICY] = {"NetworkPolicy",
				"NetworkPolicy",
				{"projectcalico.org/v3"},
				true,
				dec_calico_policy},
	[RES_GLOBAL_NETWORK_POLICY] = {"GlobalNetworkPolicy",
				       "GlobalNetworkPolicy",
				       {"projectcalico.org/v3"},
				       false,
				       dec_calico_policy},
	[RES_TIER] = {"Tier", "Tier", {"projectcalico.org/v3"}, false, dec_tier},
	[RES_NETWORK_SET] =
		{"NetworkSet", "NetworkSet", {"projectcalico.org/v3"}, true, dec_network_set},
	[RES_GLOBAL_NETWORK_SET] = {"GlobalNetworkSet",
				    "GlobalNetworkSet",
				    {"projectcalico.org/v3"},
				    false,
				    dec_network_set},
	[RES_GLOBAL_THREAT_FEED] = {"GlobalThreatFeed",
				    "GlobalThreatFeed",
				    {"projectcalico.org/v3"},
				    false,
				    dec_threat_feed},
	[RES_GLOBAL_ALERT] =
		{"GlobalAlert", "GlobalAlert", {"projectcalico.org/v3"}, false, dec_global_alert},
	[RES_HOST_ENDPOINT] = {"HostEndpoint",
			       "HostEndpoint",
			       {"projectcalico.org/v3"},
			       false,
			       dec_host_endpoint},
	[RES_WORKLOAD_ENDPOINT] = {"WorkloadEndpoint",
				   "WorkloadEndpoint",
				   {"projectcalico.org/v3"},
				   true,
				   dec_workload_endpoint},
	[RES_PROFILE] = {"Profile", "Profile", {"projectcalico.org/v3"}, false, dec_profile},
	[RES_LAB] = {"Lab", "Lab", {"palisade.dev/v1alpha1"}, false, dec_lab},
};

/* A static string; "?" for a value outside the enum. */
const char *res_kind_name(enum res_kind k)
{
	return (unsigned)k < RES_KIND_COUNT ? kinds[k].name : "?";
}

/* A static string; "?" for a value outside the enum. */
const char *res_kind_id(enum res_kind k)
{
	return (unsigned)k < RES_KIND_COUNT ? kinds[k].id : "?";
}

/* From the kind table: the kinds that live in a namespace. */
bool res_kind_namespaced(enum res_kind k)
{
	return (unsigned)k < RES_KIND_COUNT && kinds[k].namespaced;
}

/* ---- small shared helpers ------------------------------------------------------------------- */

/* A static string, or NULL for protocols without a name. */
const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case PROTO_TCP:
		return "TCP";
	case PROTO_UDP:
		return "UDP";
	case PROTO_ICMP:
		return "ICMP";
	case PROTO_ICMPV6:
		return "ICMPv6";
	case PROTO_SCTP:
		return "SCTP";
	case PROTO_UDPLITE:
		return "UDPLite";
	default:
		return NULL;
	}
}

/* Borrows s; *out is written only on success. */
int proto_parse(const char *s, uint8_t *out)
{
	static const uint8_t named[] = {PROTO_TCP,    PROTO_UDP,  PROTO_ICMP,
					PROTO_ICMPV6, PROTO_SCTP, PROTO_UDPLITE};
	unsigned v = 0;
	size_t n;

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(named); i++) {
		if (strcmp(s, proto_name(named[i])) == 0) {
			*out = named[i];
			return 0;
		}
	}
	n = strlen(s);
	if (n == 0 || n > 3)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 255)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

/* A static string. */
const char *rule_action_name(enum rule_action a)
{
	switch (a) {
	case ACTION_ALLOW:
		return "Allow";
	case ACTION_DENY:
		return "Deny";
	case ACTION_LOG:
		return "Log";
	case ACTION_PASS:
		return "Pass";
	}
	return "?";
}

/* Writes into buf (the caller's); returns buf. */
const char *resource_ref(const struct resource *r, char *buf, size_t size)
{
	const char *name = r->meta.name ? r->meta.name : "";

	if (res_kind_namespaced(r->kind) && r->meta.namespace_)
		snprintf(buf, size, "%s/%s", r->meta.namespace_, name);
	else
		snprintf(buf, size, "%s", name);
	return buf;
}

/* ---- the set -------------------------------------------------------------------------------- */

/* s is the caller's; resource_set_fini() releases what loading puts in it. */
void resource_set_init(struct resource_set *s)
{
	memset(s, 0, sizeof(*s));
	arena_init(&s->arena);
}

/* Frees every resource and string of the set; accepts a zeroed or half-built set. */
void resource_set_fini(struct resource_set *s)
{
	free(s->v);
	arena_fini(&s->arena);
	memset(s, 0, sizeof(*s));
}

static int set_append(struct resource_set *s, struct resource *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct resource **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = r;
	return 0;
}

/* ---- metadata ------------------------------------------------------------------------------- */

const char *const dec_top_keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};

static const char *const meta_keys[] = {
	"name",
	"namespace",
	"labels",
	"annotations",
	"uid",
	"resourceVersion",
	"generation",
	"creationTimestamp",
	"ownerReferences",
	"finalizers",
	"generateName",
	"managedFields",
	"deletionTimestamp",
	"deletionGracePeriodSeconds",
	"selfLink",
	NULL,
};

static const char *const owner_keys[] = {"apiVersion",	       "kind", "name", "uid", "controller",
					 "blockOwnerDeletion", NULL};

static void dec_owner_refs(struct dctx *d, const struct doc_node *md, struct meta *m)
{
	const struct doc_node *refs = dec_seq(d, md, "ownerReferences");
	size_t mark;
	int controllers = 0;

	if (!refs)
		return;
	mark = dec_push_key(d, "ownerReferences");
	m->owners = dec_array(d, refs->n, sizeof(*m->owners));
	for (size_t i = 0; i < refs->n && m->owners; i++) {
		const struct doc_node *o = refs->items[i];
		struct owner_ref *ref = &m->owners[i];
		size_t m2 = dec_push_index(d, i);
		bool block;

		if (dec_node_is(d, o, DOC_MAP)) {
			dec_check_keys(d, o, owner_keys);
			if (dec_str(d, o, "apiVersion", &ref->api_version) == DEC_ABSENT)
				dec_required(d, o, "apiVersion", 0);
			if (dec_str(d, o, "kind", &ref->kind) == DEC_ABSENT)
				dec_required(d, o, "kind", 0);
			if (dec_str(d, o, "name", &ref->name) == DEC_ABSENT)
				dec_required(d, o, "name", 0);
			if (dec_str(d, o, "uid", &ref->uid) == DEC_ABSENT)
				dec_required(d, o, "uid", 0);
			dec_bool(d, o, "controller", &ref->controller);
			dec_bool(d, o, "blockOwnerDeletion", &block);
			if (ref->controller && ++controllers == 2)
				dec_error(d, o, "only one owner reference can be the controller");
		}
		dec_pop(d, m2);
	}
	if (m->owners)
		m->nowners = refs->n;
	dec_pop(d, mark);
}

static void check_name(struct dctx *d, const struct doc_node *md, enum res_kind kind,
		       const char *name)
{
	const char *why, *what = "name";
	size_t mark;

	switch (kind) {
	case RES_NAMESPACE:
	case RES_TIER:
		why = dec_dns_label_err(name);
		what = "name (a DNS-1123 label)";
		break;
	case RES_SERVICE:
		why = dec_dns1035_err(name);
		what = "Service name (a DNS-1035 label)";
		break;
	case RES_NETWORK_POLICY:
	case RES_GLOBAL_NETWORK_POLICY:
		return; /* resource_calico.c checks policy names together with the tier */
	default:
		why = dec_dns_subdomain_err(name);
		break;
	}
	if (!why)
		return;
	mark = dec_push_key(d, "name");
	dec_error(d, dec_get(md, "name"), "%s is not a valid %s: %s", dec_quote(d, name), what,
		  why);
	dec_pop(d, mark);
}

/* Decodes root.metadata into m (strings in the context's arena); reports what is wrong. */
void dec_meta(struct dctx *d, const struct doc_node *root, enum res_kind kind, struct meta *m)
{
	const struct doc_node *md = dec_map(d, root, "metadata");
	const char *why, *unused;
	long long gen;
	size_t mark;

	if (!md) {
		if (!dec_get(root, "metadata"))
			dec_required(d, root, "metadata", root->line);
		if (res_kind_namespaced(kind))
			m->namespace_ = "default";
		return;
	}
	mark = dec_push_key(d, "metadata");
	dec_check_keys(d, md, meta_keys);
	if (dec_str(d, md, "name", &m->name) == DEC_ABSENT)
		dec_required(d, md, "name", 0);
	else if (m->name)
		check_name(d, md, kind, m->name);
	if (res_kind_namespaced(kind)) {
		/* namespace: "" means the default namespace, as kubectl reads it. */
		if (dec_str(d, md, "namespace", &m->namespace_) == DEC_OK && m->namespace_[0] &&
		    (why = dec_dns_label_err(m->namespace_))) {
			size_t m2 = dec_push_key(d, "namespace");

			dec_error(d, dec_get(md, "namespace"),
				  "%s is not a valid namespace name: %s",
				  dec_quote(d, m->namespace_), why);
			dec_pop(d, m2);
		}
		if (!m->namespace_ || !m->namespace_[0])
			m->namespace_ = "default";
	} else if (dec_get(md, "namespace")) {
		size_t m2 = dec_push_key(d, "namespace");

		dec_error(d, dec_get(md, "namespace"),
			  "%s is cluster-scoped and takes no namespace", res_kind_name(kind));
		dec_pop(d, m2);
	}
	dec_labels(d, md, "labels", DEC_LABELS, &m->labels);
	dec_labels(d, md, "annotations", DEC_ANNOTATIONS, &m->annotations);
	dec_str(d, md, "uid", &m->uid);
	dec_str(d, md, "resourceVersion", &m->resource_version);
	dec_int(d, md, "generation", 0, INT64_MAX, &gen);
	dec_int(d, md, "deletionGracePeriodSeconds", 0, INT64_MAX, &gen);
	dec_str(d, md, "creationTimestamp", &unused);
	dec_str(d, md, "deletionTimestamp", &unused);
	dec_str(d, md, "generateName", &m->generate_name);
	dec_str(d, md, "selfLink", &unused);
	{
		const char **fin;
		size_t nfin;

		dec_str_list(d, md, "finalizers", &fin, &nfin);
	}
	dec_owner_refs(d, md, m);
	dec_pop(d, mark);
}

/* ---- documents ------------------------------------------------------------------------------ */

struct loader {
	struct resource_set *s;
	struct dctx d;
};

static bool is_list_kind(const char *kind, const struct doc_node *root)
{
	size_t n = strlen(kind);

	if (strcmp(kind, "List") == 0)
		return true;
	return n > 4 && strcmp(kind + n - 4, "List") == 0 && dec_get(root, "items");
}

static const char *const list_keys[] = {"apiVersion", "kind", "metadata", "items", NULL};

static void decode_root(struct loader *L, const struct doc_node *root, const char *where,
			int depth);

static void decode_list(struct loader *L, const struct doc_node *root, const char *where, int depth)
{
	struct dctx *d = &L->d;
	const struct doc_node *items;
	char sub[256];

	dec_check_keys(d, root, list_keys);
	items = dec_seq(d, root, "items");
	if (!items) {
		if (!dec_get(root, "items"))
			dec_required(d, root, "items", 0);
		return;
	}
	for (size_t i = 0; i < items->n; i++) {
		snprintf(sub, sizeof(sub), "%s%sitems[%zu]", where ? where : "", where ? "." : "",
			 i);
		decode_root(L, items->items[i], sub, depth + 1);
	}
}

static int find_kind(const char *kind, const char *api, bool *kind_known)
{
	*kind_known = false;
	for (int k = 0; k < RES_KIND_COUNT; k++) {
		if (strcmp(kinds[k].name, kind) != 0)
			continue;
		*kind_known = true;
		for (int j = 0; j < 2 && kinds[k].api[j]; j++)
			if (strcmp(kinds[k].api[j], api) == 0)
				return k;
	}
	return -1;
}

static void accepted_apis(const char *kind, char *buf, size_t size)
{
	size_t o = 0, total = 0;
	const char *list[4];

	for (int k = 0; k < RES_KIND_COUNT; k++)
		if (strcmp(kinds[k].name, kind) == 0)
			for (int j = 0; j < 2 && kinds[k].api[j] && total < 4; j++)
				list[total++] = kinds[k].api[j];
	buf[0] = '\0';
	for (size_t i = 0; i < total && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s",
				      i == 0 ? "" : (i + 1 == total ? " or " : ", "), list[i]);
}

/* "Kind ns/name" for messages, from the raw tree (before metadata is validated). */
static void object_prefix(const struct doc_node *root, enum res_kind k, char *buf, size_t size)
{
	const struct doc_node *md = dec_get(root, "metadata");
	const struct doc_node *name = dec_get(md, "name"), *ns = dec_get(md, "namespace");
	const char *nsname = "default";

	if (!name || name->type != DOC_SCALAR) {
		snprintf(buf, size, "%s", res_kind_name(k));
		return;
	}
	if (ns && ns->type == DOC_SCALAR && ns->str[0])
		nsname = ns->str;
	/* Names are at most 253 characters when valid; a longer one is cut here and its
	 * error says how long it was. */
	if (res_kind_namespaced(k))
		snprintf(buf, size, "%s %.64s%s/%.100s%s", res_kind_name(k), nsname,
			 strlen(nsname) > 64 ? "..." : "", name->str,
			 strlen(name->str) > 100 ? "..." : "");
	else
		snprintf(buf, size, "%s %.100s%s", res_kind_name(k), name->str,
			 strlen(name->str) > 100 ? "..." : "");
}

static void decode_root(struct loader *L, const struct doc_node *root, const char *where, int depth)
{
	struct dctx *d = &L->d;
	const char *kind = NULL, *api = NULL;
	struct resource *r;
	char prefix[320];
	bool kind_known;
	int k;

	dec_begin_object(d, NULL);
	if (where)
		dec_push_raw(d, where);
	if (root->type != DOC_MAP) {
		dec_error(d, root, "expected an object (a map with apiVersion and kind), found %s",
			  doc_type_name(root));
		return;
	}
	if (dec_str(d, root, "kind", &kind) == DEC_ABSENT)
		dec_required(d, root, "kind", 0);
	if (dec_str(d, root, "apiVersion", &api) == DEC_ABSENT)
		dec_required(d, root, "apiVersion", 0);
	if (!kind || !api)
		return;
	if (is_list_kind(kind, root)) {
		if (depth > 8) {
			dec_error(d, root, "lists nested too deeply");
			return;
		}
		decode_list(L, root, where, depth);
		return;
	}
	k = find_kind(kind, api, &kind_known);
	if (k < 0) {
		const struct doc_node *kn = dec_get(root, "kind");

		if (kind_known) {
			char apis[200];

			accepted_apis(kind, apis, sizeof(apis));
			dec_error(d, dec_get(root, "apiVersion"),
				  "apiVersion %s is not accepted for kind %s (use %s)",
				  dec_quote(d, api), kind, apis);
		} else {
			dec_error(d, kn, "unknown kind %s (apiVersion %s)", dec_quote(d, kind),
				  dec_quote(d, api));
		}
		return;
	}
	object_prefix(root, (enum res_kind)k, prefix, sizeof(prefix));
	dec_begin_object(d, prefix);
	r = dec_array(d, 1, sizeof(*r));
	if (!r)
		goto oom;
	r->kind = (enum res_kind)k;
	r->api_version = api;
	r->loc.file = d->file;
	r->loc.line = root->line;
	dec_meta(d, root, r->kind, &r->meta);
	kinds[k].decode(d, root, r);
	if (d->oom)
		goto oom;
	if (d->errors == 0 && set_append(L->s, r) != 0)
		goto oom;
	return;
oom:
	dec_error(d, root, "out of memory");
}

/* ---- input ---------------------------------------------------------------------------------- */

/* Files above this size are refused rather than read into memory. */
#define RESOURCE_FILE_MAX (256u << 20)

static int read_fd(int fd, char **out, size_t *outlen)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= RESOURCE_FILE_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int read_path(const char *path, char **out, size_t *len)
{
	int fd, err;

	if (strcmp(path, "-") == 0)
		return read_fd(STDIN_FILENO, out, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_fd(fd, out, len);
	close(fd);
	return err;
}

/* buf is borrowed; name is copied into the set's arena for the source locations. */
int resource_load_buffer(struct resource_set *s, const char *buf, size_t len, const char *name,
			 struct diag_list *diags)
{
	size_t errors = diags->errors, ndocs = 0;
	struct doc_node **docs = NULL;
	struct arena tmp;
	struct loader L;
	const char *file;
	int err;

	if (!name)
		name = "<input>";
	file = arena_strdup(&s->arena, name);
	if (!file)
		return -ENOMEM;
	s->files++;
	arena_init(&tmp);
	err = doc_parse(buf, len, file, &tmp, &docs, &ndocs, diags);
	if (err == -ENOMEM)
		diag_error(diags, file, 0, "out of memory");
	L.s = s;
	dec_init(&L.d, &s->arena, diags, file);
	for (size_t i = 0; i < ndocs && docs; i++)
		decode_root(&L, docs[i], NULL, 0);
	dec_fini(&L.d);
	arena_fini(&tmp);
	return diags->errors > errors ? -EINVAL : 0;
}

static int load_file(struct resource_set *s, const char *path, const char *name,
		     struct diag_list *diags)
{
	char *buf = NULL;
	size_t len = 0;
	int err = read_path(path, &buf, &len);

	if (err)
		return err;
	err = resource_load_buffer(s, buf, len, name, diags);
	free(buf);
	return err;
}

static bool has_manifest_suffix(const char *name)
{
	static const char *const sfx[] = {".yaml", ".yml", ".json"};
	size_t n = strlen(name);

	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(sfx[i]);

		if (n > k && strcmp(name + n - k, sfx[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define DIR_DEPTH_MAX 32

static void load_dir(struct resource_set *s, const char *dir, int depth, struct diag_list *diags)
{
	size_t n = 0, cap = 0, dlen = strlen(dir);
	char **names = NULL;
	struct dirent *e;
	DIR *dp;

	if (depth > DIR_DEPTH_MAX) {
		diag_error(diags, dir, 0, "directories nested more than %d deep", DIR_DEPTH_MAX);
		return;
	}
	dp = opendir(dir);
	if (!dp) {
		diag_error(diags, dir, 0, "cannot read directory: %s", strerror(errno));
		return;
	}
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nv = realloc(names, nc * sizeof(*nv));

			if (!nv)
				break;
			names = nv;
			cap = nc;
		}
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/",
			     names[i]) < 0) {
			path = NULL;
			diag_error(diags, dir, 0, "out of memory");
		} else if (stat(path, &st) != 0) {
			diag_error(diags, path, 0, "cannot read: %s", strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			load_dir(s, path, depth + 1, diags);
		} else if (S_ISREG(st.st_mode) && has_manifest_suffix(names[i])) {
			int err = load_file(s, path, path, diags);

			if (err && err != -EINVAL)
				diag_error(diags, path, 0, "cannot read: %s", strerror(-err));
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

/* path is borrowed. */
int resource_load_path(struct resource_set *s, const char *path, struct diag_list *diags)
{
	size_t errors = diags->errors;
	struct stat st;
	int err;

	if (strcmp(path, "-") == 0) {
		err = load_file(s, "-", "<stdin>", diags);
	} else {
		if (stat(path, &st) != 0)
			return -errno;
		if (S_ISDIR(st.st_mode)) {
			load_dir(s, path, 0, diags);
			err = 0;
		} else {
			err = load_file(s, path, path, diags);
		}
	}
	if (err && err != -EINVAL)
		return err;
	return diags->errors > errors ? -EINVAL : 0;
}
