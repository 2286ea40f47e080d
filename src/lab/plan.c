/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Planning a lab: manifests in, resolved objects and a struct lab out (see plan.h).  Pure
 * apart from reading the input files: nothing here touches the network or the clock.
 *
 * The input is read twice from the same bytes: once by the resource loader, which checks
 * everything and gives typed values (replicas, ports, the Lab's spec), and once as document
 * trees, which are what the datastore gets back, unchanged but for what the lab decides
 * (spec.nodeName, status, a uid where there was none).  The loader appends one resource per
 * object in input order, so when it reported no error the i-th tree is the i-th resource;
 * that is checked (kind and name) rather than assumed.
 */
#include "lab/plan.h"

#include "lab/docgen.h"
#include "lab/k8sname.h"
#include "lab/lab.h"
#include "lab/labfs.h"
#include "lib/diag.h"
#include "lib/doc.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_DEPTH_MAX	  32
#define LIST_DEPTH_MAX	  8
#define PODS_PER_NODE	  253 /* .1 to .253 of the node's /24 */
#define NAME_TRIES	  100
#define GENERATE_NAME_MAX 58 /* Kubernetes: 63 minus the 5 random characters */

struct src_obj {
	const char *file;
	const struct doc_node *root;
	const struct resource *r;
};

struct builder {
	struct lab_plan *p;
	struct arena *a;
	struct diag_list *d;
	uint64_t seed;
	struct src_obj *src;
	size_t nsrc, srccap;
	const struct resource *labr;
	const char *labfile;
	size_t rr;	  /* round-robin position */
	size_t *per_node; /* pods placed on each node */
	size_t podcap;
	int err; /* first allocation failure */
};

void lab_plan_init(struct lab_plan *p)
{
	memset(p, 0, sizeof(*p));
	arena_init(&p->arena);
	resource_set_init(&p->rs);
}

void lab_plan_fini(struct lab_plan *p)
{
	lab_free(p->lab);
	free(p->objs);
	resource_set_fini(&p->rs);
	arena_fini(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- reading ------------------------------------------------------------------------------- */

static int push_src(struct builder *b, const char *file, const struct doc_node *root)
{
	if (b->nsrc == b->srccap) {
		size_t nc = b->srccap ? b->srccap * 2 : 32;
		struct src_obj *nv = realloc(b->src, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		b->src = nv;
		b->srccap = nc;
	}
	b->src[b->nsrc++] = (struct src_obj){.file = file, .root = root};
	return 0;
}

static const char *scalar_of(const struct doc_node *n)
{
	return n && n->type == DOC_SCALAR ? n->str : NULL;
}

/* The objects of one document, with lists unwrapped as the loader does. */
static int collect(struct builder *b, const char *file, const struct doc_node *root, int depth)
{
	const char *kind = scalar_of(doc_get(root, "kind"));
	const struct doc_node *items = doc_get(root, "items");
	size_t n = kind ? strlen(kind) : 0;
	bool list = kind &&
		    (!strcmp(kind, "List") || (n > 4 && !strcmp(kind + n - 4, "List") && items));

	if (!list || depth > LIST_DEPTH_MAX || !items || items->type != DOC_SEQ)
		return push_src(b, file, root);
	for (size_t i = 0; i < items->n; i++) {
		int err = collect(b, file, items->items[i], depth + 1);

		if (err)
			return err;
	}
	return 0;
}

static int add_buffer(struct builder *b, const char *buf, size_t len, const char *name)
{
	struct doc_node **docs = NULL;
	struct diag_list scratch;
	size_t ndocs = 0;
	const char *file;
	int err = resource_load_buffer(&b->p->rs, buf, len, name, b->d);

	if (err && err != -EINVAL)
		return err;
	file = arena_strdup(b->a, name);
	if (!file)
		return -ENOMEM;
	/* The loader has reported this file's problems already. */
	diag_list_init(&scratch);
	doc_parse(buf, len, file, b->a, &docs, &ndocs, &scratch);
	diag_list_fini(&scratch);
	for (size_t i = 0; i < ndocs && docs; i++) {
		err = collect(b, file, docs[i], 0);
		if (err)
			return err;
	}
	return 0;
}

static int add_file(struct builder *b, const char *path, const char *name)
{
	size_t len = 0;
	char *buf = labfs_read(path, &len);
	int err;

	if (!buf) {
		diag_error(b->d, name, 0, "cannot read: %s", strerror(errno));
		return 0;
	}
	err = add_buffer(b, buf, len, name);
	free(buf);
	return err;
}

static bool manifest_suffix(const char *name)
{
	static const char *const sfx[] = {".yaml", ".yml", ".json"};
	size_t n = strlen(name);

	for (size_t i = 0; i < 3; i++)
		if (n > strlen(sfx[i]) && !strcmp(name + n - strlen(sfx[i]), sfx[i]))
			return true;
	return false;
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every *.yaml, *.yml and *.json below dir, sorted, hidden entries skipped (as the loader). */
static int add_dir(struct builder *b, const char *dir, int depth)
{
	size_t n = 0, cap = 0, dlen = strlen(dir);
	char **names = NULL;
	struct dirent *e;
	int err = 0;
	DIR *dp;

	if (depth > DIR_DEPTH_MAX) {
		diag_error(b->d, dir, 0, "directories nested more than %d deep", DIR_DEPTH_MAX);
		return 0;
	}
	dp = opendir(dir);
	if (!dp) {
		diag_error(b->d, dir, 0, "cannot read directory: %s", strerror(errno));
		return 0;
	}
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nv = realloc(names, nc * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
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

		if (!err && asprintf(&path, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/",
				     names[i]) < 0) {
			path = NULL;
			err = -ENOMEM;
		}
		if (err) {
			/* keep freeing */
		} else if (stat(path, &st) != 0) {
			diag_error(b->d, path, 0, "cannot read: %s", strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			err = add_dir(b, path, depth + 1);
		} else if (S_ISREG(st.st_mode) && manifest_suffix(names[i])) {
			err = add_file(b, path, path);
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return err;
}

static int add_path(struct builder *b, const char *path)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return add_file(b, "/dev/stdin", "<stdin>");
	if (stat(path, &st) != 0) {
		diag_error(b->d, path, 0, "cannot read: %s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(b, path, 0);
	return add_file(b, path, path);
}

/* Pairs trees with resources (see the top of the file). */
static int match_sources(struct builder *b)
{
	if (b->nsrc != b->p->rs.n) {
		diag_error(b->d, NULL, 0, "lab: %zu objects read but %zu decoded", b->nsrc,
			   b->p->rs.n);
		return -EINVAL;
	}
	for (size_t i = 0; i < b->nsrc; i++) {
		const struct resource *r = b->p->rs.v[i];
		const char *kind = scalar_of(doc_get(b->src[i].root, "kind"));
		const char *name = scalar_of(doc_get(doc_get(b->src[i].root, "metadata"), "name"));

		if (!kind || !name || strcmp(kind, res_kind_name(r->kind)) ||
		    strcmp(name, r->meta.name)) {
			diag_error(b->d, b->src[i].file, r->loc.line,
				   "lab: object %zu of the input is not the one decoded", i);
			return -EINVAL;
		}
		b->src[i].r = r;
	}
	return 0;
}

/* ---- the lab's shape ----------------------------------------------------------------------- */

static uint32_t ip4(const struct ipaddr *a)
{
	return (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 | (uint32_t)a->a[2] << 8 | a->a[3];
}

static void set_ip4(struct ipaddr *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = (uint8_t)(v >> 24);
	a->a[1] = (uint8_t)(v >> 16);
	a->a[2] = (uint8_t)(v >> 8);
	a->a[3] = (uint8_t)v;
}

static int shape(struct builder *b)
{
	static const struct res_lab defaults = {.nodes = 1};
	const struct res_lab *spec = b->labr ? &b->labr->u.lab : &defaults;
	const char *file = b->labr ? b->labr->loc.file : NULL;
	int line = b->labr ? b->labr->loc.line : 0;
	const char *lname = b->labr ? b->labr->meta.name : "lab";
	struct lab *l = calloc(1, sizeof(*l));
	struct cidr pod, fabric, gw;
	size_t errors = b->d->errors;
	char c[CIDR_STRLEN];

	if (!l)
		return -ENOMEM;
	b->p->lab = l;
	if (b->labr)
		pod = spec->pod_cidr;
	else
		cidr_parse("10.244.0.0/16", &pod, NULL);
	cidr_parse(LAB_FABRIC_NET, &fabric, NULL);
	cidr_parse(LAB_POD_GATEWAY "/32", &gw, NULL);
	cidr_format(&pod, c, sizeof(c));
	if (pod.addr.family != 4) {
		diag_error(b->d, file, line, "Lab %s: spec.podCIDR: %s: the lab builds IPv4 only",
			   lname, c);
	} else if (pod.len > 24) {
		diag_error(b->d, file, line,
			   "Lab %s: spec.podCIDR: %s is smaller than a /24 (each node gets a /24)",
			   lname, c);
	} else if ((uint64_t)spec->nodes > (1ULL << (24 - pod.len))) {
		diag_error(b->d, file, line,
			   "Lab %s: spec.podCIDR: %s has room for %llu node /24s, spec.nodes is %d",
			   lname, c, 1ULL << (24 - pod.len), spec->nodes);
	} else if (cidr_overlaps(&pod, &fabric) || cidr_overlaps(&pod, &gw)) {
		diag_error(b->d, file, line,
			   "Lab %s: spec.podCIDR: %s overlaps the lab's own %s or %s", lname, c,
			   LAB_FABRIC_NET, LAB_POD_GATEWAY);
	}
	for (size_t i = 0; i < spec->nhosts; i++) {
		const struct lab_host *h = &spec->hosts[i];

		if (h->ip.family != 4)
			diag_error(b->d, h->loc.file, h->loc.line,
				   "Lab %s: spec.externalHosts[%zu].ip: the lab builds IPv4 only",
				   lname, i);
		else if (cidr_contains(&fabric, &h->ip) || cidr_contains(&gw, &h->ip))
			diag_error(b->d, h->loc.file, h->loc.line,
				   "Lab %s: spec.externalHosts[%zu].ip: inside the lab's own %s or "
				   "%s",
				   lname, i, LAB_FABRIC_NET, LAB_POD_GATEWAY);
	}
	if (b->d->errors != errors)
		return -EINVAL;
	l->name = strdup(lname);
	l->nodes = calloc((size_t)spec->nodes, sizeof(*l->nodes));
	l->hosts = calloc(spec->nhosts + 1, sizeof(*l->hosts));
	b->per_node = calloc((size_t)spec->nodes, sizeof(*b->per_node));
	if (!l->name || !l->nodes || !l->hosts || !b->per_node)
		return -ENOMEM;
	for (int i = 0; i < spec->nodes; i++) {
		struct lab_node *n = &l->nodes[l->nnodes++];

		if (asprintf(&n->name, "node%d", i + 1) < 0) {
			n->name = NULL;
			return -ENOMEM;
		}
		set_ip4(&n->ip, ip4(&fabric.addr) + (uint32_t)i + 1);
		set_ip4(&n->cidr.addr, ip4(&pod.addr) + ((uint32_t)i << 8));
		n->cidr.len = 24;
	}
	for (size_t i = 0; i < spec->nhosts; i++) {
		struct lab_ext *h = &l->hosts[l->nhosts++];

		h->name = strdup(spec->hosts[i].name);
		h->ip = spec->hosts[i].ip;
		if (!h->name)
			return -ENOMEM;
	}
	return 0;
}

/* ---- building documents --------------------------------------------------------------------- */

static void oom(struct builder *b)
{
	if (!b->err)
		b->err = -ENOMEM;
}

/* Sets key on map (recording an allocation failure). */
static void set(struct builder *b, struct doc_node *map, const char *key, const struct doc_node *v)
{
	if (!map || !v || docgen_set(b->a, map, key, v))
		oom(b);
}

static void set_str(struct builder *b, struct doc_node *map, const char *key, const char *s)
{
	set(b, map, key, docgen_str(b->a, s));
}

static void set_plain(struct builder *b, struct doc_node *map, const char *key, const char *s)
{
	set(b, map, key, docgen_plain(b->a, s));
}

static const char *uid_for(struct builder *b, const char *kind, const char *ns, const char *name)
{
	char text[1024], uid[40];

	snprintf(text, sizeof(text), "%s/%s/%s/%s/%llu", b->p->lab->name, kind, ns ? ns : "", name,
		 (unsigned long long)b->seed);
	k8sname_uid(text, uid);
	return arena_strdup(b->a, uid);
}

static const char *uid_of(struct builder *b, const struct resource *r)
{
	if (r->meta.uid)
		return r->meta.uid;
	return uid_for(b, res_kind_name(r->kind), r->meta.namespace_, r->meta.name);
}

static void add_obj(struct builder *b, const char *kind_id, const char *ns, const char *name,
		    const struct doc_node *doc)
{
	struct lab_plan *p = b->p;
	char *file;

	if (!doc) {
		oom(b);
		return;
	}
	if (ns)
		file = arena_printf(b->a, "%s_%s_%s.yaml", kind_id, ns, name);
	else
		file = arena_printf(b->a, "%s_%s.yaml", kind_id, name);
	if (!file) {
		oom(b);
		return;
	}
	for (char *s = file; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	if (p->nobjs == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 32;
		struct lab_obj *nv = realloc(p->objs, nc * sizeof(*nv));

		if (!nv) {
			oom(b);
			return;
		}
		p->objs = nv;
		p->cap = nc;
	}
	p->objs[p->nobjs++] = (struct lab_obj){.file = file, .doc = doc};
}

/* root with metadata.uid set to uid when it has none (a copy; root is not changed). */
static const struct doc_node *with_uid(struct builder *b, const struct doc_node *root,
				       const char *uid)
{
	const struct doc_node *md = doc_get(root, "metadata");
	struct doc_node *nr, *nm;

	if (doc_get(md, "uid"))
		return root;
	nr = docgen_map_copy(b->a, root, false);
	nm = docgen_map_copy(b->a, md, true);
	set_str(b, nm, "uid", uid);
	set(b, nr, "metadata", nm);
	return nr;
}

static struct doc_node *owner_ref(struct builder *b, const char *api, const char *kind,
				  const char *name, const char *uid)
{
	struct doc_node *seq = docgen_seq(b->a), *o = docgen_map(b->a);

	set_plain(b, o, "apiVersion", api);
	set_str(b, o, "kind", kind);
	set_str(b, o, "name", name);
	set_str(b, o, "uid", uid);
	set_plain(b, o, "controller", "true");
	set_plain(b, o, "blockOwnerDeletion", "true");
	if (!seq || docgen_append(b->a, seq, o))
		oom(b);
	return seq;
}

/* A copy of the labels map (or a new one) with up to two more labels (NULL keys skipped). */
static struct doc_node *labels_plus(struct builder *b, const struct doc_node *labels,
				    const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct doc_node *m = docgen_map_copy(b->a, labels, true);

	if (k1)
		set_str(b, m, k1, v1);
	if (k2)
		set_str(b, m, k2, v2);
	return m;
}

/* ---- pods ------------------------------------------------------------------------------------ */

static bool pod_name_taken(struct builder *b, const char *ns, const char *name)
{
	const struct lab *l = b->p->lab;

	for (size_t i = 0; i < l->npods; i++)
		if (!strcmp(l->pods[i].ns, ns) && !strcmp(l->pods[i].name, name))
			return true;
	for (size_t i = 0; i < b->p->rs.n; i++) {
		const struct resource *r = b->p->rs.v[i];

		if (r->kind == RES_POD && !strcmp(r->meta.namespace_, ns) &&
		    !strcmp(r->meta.name, name))
			return true;
	}
	return false;
}

static int add_ports(uint16_t **v, size_t *n, uint16_t port)
{
	size_t i = 0;
	uint16_t *nv;

	while (i < *n && (*v)[i] < port)
		i++;
	if (i < *n && (*v)[i] == port)
		return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	memmove(nv + i + 1, nv + i, (*n - i) * sizeof(*nv));
	nv[i] = port;
	*v = nv;
	(*n)++;
	return 0;
}

/*
 * Places a pod: on pinned when >= 0, else on the node spec.nodeName names, else the next
 * node round-robin; gives it the next address there and records it in the lab.  Returns the
 * lab_pod, or NULL (with an error in d when the node is full).
 */
static struct lab_pod *place(struct builder *b, const char *file, int line, const char *ns,
			     const char *name, const struct pod_spec *ps, long pinned)
{
	struct lab *l = b->p->lab;
	long n = pinned;
	struct lab_pod *pod;

	if (n < 0 && ps->node_name)
		n = lab_find_node(l, ps->node_name);
	if (n < 0)
		n = (long)(b->rr++ % l->nnodes);
	if (b->per_node[n] >= PODS_PER_NODE) {
		diag_error(b->d, file, line, "lab: pod %s/%s: %s is full (%d pods)", ns, name,
			   l->nodes[n].name, PODS_PER_NODE);
		return NULL;
	}
	if (l->npods == b->podcap) {
		size_t nc = b->podcap ? b->podcap * 2 : 32;
		struct lab_pod *nv = realloc(l->pods, nc * sizeof(*nv));

		if (!nv) {
			oom(b);
			return NULL;
		}
		l->pods = nv;
		b->podcap = nc;
	}
	pod = &l->pods[l->npods++];
	memset(pod, 0, sizeof(*pod));
	pod->node = (size_t)n;
	pod->ns = strdup(ns);
	pod->name = strdup(name);
	if (asprintf(&pod->ref, "%s/%s", ns, name) < 0)
		pod->ref = NULL;
	if (ps->host_network) {
		pod->ip = l->nodes[n].ip;
	} else {
		set_ip4(&pod->ip, ip4(&l->nodes[n].cidr.addr) + (uint32_t)++b->per_node[n]);
		pod->netns = strdup(""); /* named by lab_name_things() */
		if (!pod->netns)
			oom(b);
	}
	if (!pod->ns || !pod->name || !pod->ref)
		oom(b);
	/* SCTP ports are not served by the lab's responders. */
	for (size_t i = 0; i < ps->nports; i++) {
		int err = 0;

		if (ps->ports[i].proto == PROTO_TCP)
			err = add_ports(&pod->tcp, &pod->ntcp, ps->ports[i].port);
		else if (ps->ports[i].proto == PROTO_UDP)
			err = add_ports(&pod->udp, &pod->nudp, ps->ports[i].port);
		if (err)
			oom(b);
	}
	return pod;
}

/* spec (copied) with nodeName, and a status that says where the pod runs. */
static void pod_finish(struct builder *b, struct doc_node *root, const struct doc_node *spec,
		       const struct lab_pod *pod)
{
	const struct lab_node *n = &b->p->lab->nodes[pod->node];
	struct doc_node *ns = docgen_map_copy(b->a, spec, true), *st = docgen_map(b->a);
	struct doc_node *ips = docgen_seq(b->a), *one = docgen_map(b->a);
	char ip[IPADDR_STRLEN], host[IPADDR_STRLEN];

	ipaddr_format(&pod->ip, ip, sizeof(ip));
	ipaddr_format(&n->ip, host, sizeof(host));
	set_str(b, ns, "nodeName", n->name);
	set(b, root, "spec", ns);
	set_plain(b, st, "phase", "Running");
	set_str(b, st, "hostIP", host);
	set_str(b, st, "podIP", ip);
	set_str(b, one, "ip", ip);
	if (!ips || docgen_append(b->a, ips, one))
		oom(b);
	set(b, st, "podIPs", ips);
	set(b, root, "status", st);
}

static void given_pod(struct builder *b, const struct src_obj *o)
{
	const struct resource *r = o->r;
	const struct doc_node *md = doc_get(o->root, "metadata");
	struct doc_node *root = docgen_map_copy(b->a, o->root, false);
	struct doc_node *nm = docgen_map_copy(b->a, md, true);
	struct lab_pod *pod = place(b, o->file, r->loc.line, r->meta.namespace_, r->meta.name,
				    &r->u.pod.spec, -1);

	if (!pod)
		return;
	set_str(b, nm, "namespace", r->meta.namespace_);
	if (!r->meta.uid)
		set_str(b, nm, "uid", uid_of(b, r));
	set(b, root, "metadata", nm);
	pod_finish(b, root, doc_get(o->root, "spec"), pod);
	add_obj(b, "Pod", r->meta.namespace_, r->meta.name, root);
}

/* A pod of a workload, from its template. */
static void template_pod(struct builder *b, const struct src_obj *o, const char *name,
			 const struct doc_node *labels, const struct doc_node *owners, long pinned)
{
	const struct resource *r = o->r;
	const char *ns = r->meta.namespace_;
	const struct doc_node *tmpl = doc_get(doc_get(o->root, "spec"), "template");
	const struct doc_node *ann = doc_get(doc_get(tmpl, "metadata"), "annotations");
	struct doc_node *root = docgen_map(b->a), *md = docgen_map(b->a);
	struct lab_pod *pod =
		place(b, o->file, r->loc.line, ns, name, &r->u.workload.tmpl.spec, pinned);

	if (!pod)
		return;
	set_plain(b, root, "apiVersion", "v1");
	set_plain(b, root, "kind", "Pod");
	set_str(b, md, "name", name);
	set_str(b, md, "namespace", ns);
	set_str(b, md, "uid", uid_for(b, "Pod", ns, name));
	set(b, md, "labels", labels);
	if (ann && ann->type == DOC_MAP)
		set(b, md, "annotations", ann);
	set(b, md, "ownerReferences", owners);
	set(b, root, "metadata", md);
	pod_finish(b, root, doc_get(tmpl, "spec"), pod);
	add_obj(b, "Pod", ns, name, root);
	b->p->generated++;
}

/* "<base>-<5 characters>", unique in the namespace; NULL when no free name was found. */
static const char *random_name(struct builder *b, const char *ns, const char *base, uint64_t *state)
{
	char prefix[GENERATE_NAME_MAX + 1], sfx[8];

	snprintf(prefix, sizeof(prefix), "%s-", base);
	for (int i = 0; i < NAME_TRIES; i++) {
		char name[GENERATE_NAME_MAX + 8];

		k8sname_suffix(state, sfx);
		snprintf(name, sizeof(name), "%s%s", prefix, sfx);
		if (!pod_name_taken(b, ns, name))
			return arena_strdup(b->a, name);
	}
	diag_error(b->d, NULL, 0, "lab: no free pod name for %s/%s-*", ns, base);
	return NULL;
}

static uint64_t seed_for(struct builder *b, const char *ns, const char *owner)
{
	char text[600];

	snprintf(text, sizeof(text), "%s/%s/%s", b->p->lab->name, ns, owner);
	return k8sname_fnv64a(text, K8SNAME_FNV64_INIT) ^ (b->seed * 0x9e3779b97f4a7c15ULL);
}

/* The pod-template-hash of a template: FNV-32a of its YAML, in the safe alphabet. */
static void template_hash(const struct doc_node *tmpl, char *out)
{
	struct strbuf sb;

	strbuf_init(&sb);
	docgen_emit(&sb, tmpl);
	k8sname_hash_string(k8sname_fnv32a(sb.s ? sb.s : "", sb.len, K8SNAME_FNV32_INIT), out);
	strbuf_fini(&sb);
}

/* Does a controller among the input (kind child_kind, same namespace) name owner? */
static bool owned_in_input(struct builder *b, enum res_kind child_kind,
			   const struct resource *owner)
{
	for (size_t i = 0; i < b->p->rs.n; i++) {
		const struct resource *r = b->p->rs.v[i];

		if (r->kind != child_kind || strcmp(r->meta.namespace_, owner->meta.namespace_))
			continue;
		for (size_t j = 0; j < r->meta.nowners; j++)
			if (r->meta.owners[j].kind && r->meta.owners[j].name &&
			    !strcmp(r->meta.owners[j].kind, res_kind_name(owner->kind)) &&
			    !strcmp(r->meta.owners[j].name, owner->meta.name))
				return true;
	}
	return false;
}

/* The pods of a ReplicaSet (given, or generated by a Deployment: then tmpl_labels carry
 * the pod-template-hash). */
static void replicaset_pods(struct builder *b, const struct src_obj *o, const char *rs_name,
			    const char *rs_uid, const struct doc_node *labels)
{
	const struct resource *r = o->r;
	uint64_t state = seed_for(b, r->meta.namespace_, rs_name);

	for (int32_t i = 0; i < r->u.workload.replicas && !b->err; i++) {
		const char *name = random_name(b, r->meta.namespace_, rs_name, &state);
		size_t before = b->p->lab->npods;

		if (!name)
			return;
		template_pod(b, o, name, labels,
			     owner_ref(b, "apps/v1", "ReplicaSet", rs_name, rs_uid), -1);
		if (b->p->lab->npods == before)
			return; /* node full: reported */
	}
}

static void deployment(struct builder *b, const struct src_obj *o)
{
	const struct resource *r = o->r;
	const char *ns = r->meta.namespace_, *uid = uid_of(b, r), *rs_name, *rs_uid;
	const struct doc_node *spec = doc_get(o->root, "spec");
	const struct doc_node *tmpl = doc_get(spec, "template");
	const struct doc_node *tmd = doc_get(tmpl, "metadata");
	const struct doc_node *sel = doc_get(spec, "selector");
	struct doc_node *labels, *rs, *md, *ann, *rspec, *selector, *ml, *t, *tm;
	char hash[16];

	add_obj(b, "Deployment", ns, r->meta.name, with_uid(b, o->root, uid));
	if (owned_in_input(b, RES_REPLICA_SET, r))
		return;
	template_hash(tmpl, hash);
	rs_name = arena_printf(b->a, "%s-%s", r->meta.name, hash);
	if (!rs_name) {
		oom(b);
		return;
	}
	rs_uid = uid_for(b, "ReplicaSet", ns, rs_name);
	labels = labels_plus(b, doc_get(tmd, "labels"), "pod-template-hash", hash, NULL, NULL);

	rs = docgen_map(b->a);
	md = docgen_map(b->a);
	ann = docgen_map(b->a);
	set_plain(b, rs, "apiVersion", "apps/v1");
	set_plain(b, rs, "kind", "ReplicaSet");
	set_str(b, md, "name", rs_name);
	set_str(b, md, "namespace", ns);
	set_str(b, md, "uid", rs_uid);
	set(b, md, "labels", labels);
	set_str(b, ann, "deployment.kubernetes.io/revision", "1");
	set(b, md, "annotations", ann);
	set(b, md, "ownerReferences",
	    owner_ref(b, r->api_version, "Deployment", r->meta.name, uid));
	set(b, rs, "metadata", md);

	rspec = docgen_map(b->a);
	set(b, rspec, "replicas", docgen_int(b->a, r->u.workload.replicas));
	selector = docgen_map_copy(b->a, sel, true);
	ml = docgen_map_copy(b->a, doc_get(sel, "matchLabels"), true);
	set_str(b, ml, "pod-template-hash", hash);
	set(b, selector, "matchLabels", ml);
	set(b, rspec, "selector", selector);
	t = docgen_map(b->a);
	tm = docgen_map_copy(b->a, tmd, true);
	set(b, tm, "labels", labels);
	set(b, t, "metadata", tm);
	set(b, t, "spec", doc_get(tmpl, "spec"));
	set(b, rspec, "template", t);
	set(b, rs, "spec", rspec);
	add_obj(b, "ReplicaSet", ns, rs_name, rs);
	replicaset_pods(b, o, rs_name, rs_uid, labels);
}

static void workload(struct builder *b, const struct src_obj *o)
{
	const struct resource *r = o->r;
	const char *ns = r->meta.namespace_, *uid = uid_of(b, r);
	const struct doc_node *tmpl = doc_get(doc_get(o->root, "spec"), "template");
	const struct doc_node *tlabels = doc_get(doc_get(tmpl, "metadata"), "labels");
	const char *kind = res_kind_name(r->kind);
	char hash[16], *rev;

	add_obj(b, kind, ns, r->meta.name, with_uid(b, o->root, uid));
	if (owned_in_input(b, RES_POD, r))
		return;
	if (r->kind == RES_REPLICA_SET) {
		replicaset_pods(b, o, r->meta.name, uid, tlabels);
		return;
	}
	template_hash(tmpl, hash);
	rev = arena_printf(b->a, "%s-%s", r->meta.name, hash);
	if (!rev) {
		oom(b);
		return;
	}
	if (r->kind == RES_STATEFUL_SET) {
		for (int32_t i = 0; i < r->u.workload.replicas && !b->err; i++) {
			const char *name = arena_printf(b->a, "%s-%d", r->meta.name, (int)i);
			size_t before = b->p->lab->npods;

			if (!name) {
				oom(b);
				return;
			}
			template_pod(b, o, name,
				     labels_plus(b, tlabels, "controller-revision-hash", rev,
						 "statefulset.kubernetes.io/pod-name", name),
				     owner_ref(b, r->api_version, kind, r->meta.name, uid), -1);
			if (b->p->lab->npods == before)
				return;
		}
		return;
	}
	/* DaemonSet: one pod per node. */
	uint64_t state = seed_for(b, ns, r->meta.name);

	for (size_t i = 0; i < b->p->lab->nnodes && !b->err; i++) {
		const char *name = random_name(b, ns, r->meta.name, &state);

		if (!name)
			return;
		template_pod(b, o, name,
			     labels_plus(b, tlabels, "controller-revision-hash", hash,
					 "pod-template-generation", "1"),
			     owner_ref(b, r->api_version, kind, r->meta.name, uid), (long)i);
	}
}

/* Namespaces that objects live in but no Namespace declares. */
static void implied_namespaces(struct builder *b)
{
	const struct resource_set *rs = &b->p->rs;
	const char **seen = calloc(rs->n + b->p->lab->npods + 1, sizeof(*seen));
	size_t n = 0;

	if (!seen) {
		oom(b);
		return;
	}
	for (size_t i = 0; i < rs->n + b->p->lab->npods; i++) {
		const char *ns;
		bool known = false;

		if (i < rs->n)
			ns = res_kind_namespaced(rs->v[i]->kind) ? rs->v[i]->meta.namespace_ : NULL;
		else
			ns = b->p->lab->pods[i - rs->n].ns;
		if (!ns)
			continue;
		for (size_t j = 0; j < rs->n && !known; j++)
			known = rs->v[j]->kind == RES_NAMESPACE && !strcmp(rs->v[j]->meta.name, ns);
		for (size_t j = 0; j < n && !known; j++)
			known = !strcmp(seen[j], ns);
		if (known)
			continue;
		seen[n++] = ns;
	}
	for (size_t i = 0; i < n; i++) {
		struct doc_node *root = docgen_map(b->a), *md = docgen_map(b->a);
		struct doc_node *labels = docgen_map(b->a);

		set_plain(b, root, "apiVersion", "v1");
		set_plain(b, root, "kind", "Namespace");
		set_str(b, md, "name", seen[i]);
		set_str(b, md, "uid", uid_for(b, "Namespace", NULL, seen[i]));
		set_str(b, labels, "kubernetes.io/metadata.name", seen[i]);
		set(b, md, "labels", labels);
		set(b, root, "metadata", md);
		add_obj(b, "Namespace", NULL, seen[i], root);
	}
	free(seen);
}

/* The Lab object the datastore gets when the input had none. */
static void default_lab(struct builder *b)
{
	struct doc_node *root = docgen_map(b->a), *md = docgen_map(b->a), *spec = docgen_map(b->a);

	set_plain(b, root, "apiVersion", "palisade.dev/v1alpha1");
	set_plain(b, root, "kind", "Lab");
	set_str(b, md, "name", b->p->lab->name);
	set(b, root, "metadata", md);
	set(b, spec, "nodes", docgen_int(b->a, 1));
	set_str(b, spec, "podCIDR", "10.244.0.0/16");
	set(b, root, "spec", spec);
	add_obj(b, "Lab", NULL, b->p->lab->name, root);
}

int lab_plan_build(struct lab_plan *p, char **paths, int npaths, uint64_t seed, struct diag_list *d)
{
	struct builder b = {.p = p, .a = &p->arena, .d = d, .seed = seed};
	size_t errors = d->errors;
	int err = 0;

	for (int i = 0; i < npaths && !err; i++)
		err = add_path(&b, paths[i]);
	if (err)
		goto out;
	if (d->errors != errors) {
		err = -EINVAL;
		goto out;
	}
	err = match_sources(&b);
	if (err)
		goto out;
	if (resource_set_check(&p->rs, d) || d->errors != errors) {
		err = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < b.nsrc; i++) {
		if (b.src[i].r->kind != RES_LAB)
			continue;
		if (b.labr) {
			diag_error(d, b.src[i].file, b.src[i].r->loc.line,
				   "Lab %s: only one Lab object can be given (the first is %s at "
				   "%s:%d)",
				   b.src[i].r->meta.name, b.labr->meta.name, b.labr->loc.file,
				   b.labr->loc.line);
			err = -EINVAL;
		}
		b.labr = b.src[i].r;
	}
	if (err)
		goto out;
	err = shape(&b);
	if (err)
		goto out;
	for (size_t i = 0; i < b.nsrc && !b.err; i++) {
		const struct src_obj *o = &b.src[i];
		const struct resource *r = o->r;

		switch (r->kind) {
		case RES_POD:
			given_pod(&b, o);
			break;
		case RES_DEPLOYMENT:
			deployment(&b, o);
			break;
		case RES_REPLICA_SET:
		case RES_STATEFUL_SET:
		case RES_DAEMON_SET:
			workload(&b, o);
			break;
		default:
			add_obj(&b, res_kind_id(r->kind),
				res_kind_namespaced(r->kind) ? r->meta.namespace_ : NULL,
				r->meta.name, o->root);
		}
	}
	implied_namespaces(&b);
	if (!b.labr)
		default_lab(&b);
	err = b.err;
	if (!err && d->errors != errors)
		err = -EINVAL;
out:
	free(b.src);
	free(b.per_node);
	if (err == -ENOMEM)
		diag_error(d, NULL, 0, "lab: out of memory");
	return err;
}

int lab_plan_write(const struct lab_plan *p, const char *dir, char *err, size_t errsize)
{
	struct strbuf sb;
	int rc = 0;

	strbuf_init(&sb);
	for (size_t i = 0; i < p->nobjs; i++) {
		char *path = NULL;
		int e;

		strbuf_reset(&sb);
		strbuf_puts(&sb, "# Written by palisade lab up.\n");
		docgen_emit(&sb, p->objs[i].doc);
		if (sb.oom || asprintf(&path, "%s/%s", dir, p->objs[i].file) < 0) {
			snprintf(err, errsize, "out of memory");
			rc = -1;
			break;
		}
		e = labfs_write_atomic(path, sb.s, sb.len);
		if (e) {
			snprintf(err, errsize, "%s: %s", path, strerror(-e));
			free(path);
			rc = -1;
			break;
		}
		free(path);
	}
	strbuf_fini(&sb);
	return rc;
}
