/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's saved state (<state>/lab.json), its naming scheme and the registry of running
 * labs.  lab.json is the lab's own record; the datastore next to it is what the agents read.
 */
#include "lab/lab.h"

#include "lab/k8sname.h"
#include "lab/labfs.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void lab_free(struct lab *l)
{
	if (!l)
		return;
	for (size_t i = 0; l->nodes && i < l->nnodes; i++) {
		free(l->nodes[i].name);
		free(l->nodes[i].netns);
	}
	for (size_t i = 0; l->pods && i < l->npods; i++) {
		free(l->pods[i].ns);
		free(l->pods[i].name);
		free(l->pods[i].ref);
		free(l->pods[i].netns);
		free(l->pods[i].tcp);
		free(l->pods[i].udp);
	}
	for (size_t i = 0; l->hosts && i < l->nhosts; i++) {
		free(l->hosts[i].name);
		free(l->hosts[i].netns);
	}
	free(l->nodes);
	free(l->pods);
	free(l->hosts);
	free(l->name);
	free(l->prefix);
	free(l->state);
	free(l->datastore);
	free(l);
}

void lab_prefix(const char *state, char *out)
{
	uint64_t h = k8sname_fnv64a(state, K8SNAME_FNV64_INIT);

	snprintf(out, LAB_PREFIX_LEN + 1, "pl%04x-", (unsigned)((h ^ (h >> 32)) & 0xffff));
}

char *lab_abspath(const char *in)
{
	char *cwd = NULL, *joined = NULL, *out = NULL;
	size_t n = 0;

	if (!in || !*in)
		return NULL;
	if (in[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		if (asprintf(&joined, "%s/%s", cwd, in) < 0)
			joined = NULL;
		free(cwd);
	} else {
		joined = strdup(in);
	}
	if (!joined)
		return NULL;
	out = malloc(strlen(joined) + 2);
	if (!out)
		goto out;
	/* Component by component: skip "" and ".", pop on "..". */
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, c, strlen(c));
		n += strlen(c);
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
out:
	free(joined);
	return out;
}

int lab_name_things(struct lab *l, const char *state)
{
	char prefix[LAB_PREFIX_LEN + 1];

	lab_prefix(state, prefix);
	free(l->prefix);
	free(l->state);
	free(l->datastore);
	l->prefix = strdup(prefix);
	l->state = strdup(state);
	if (asprintf(&l->datastore, "%s/datastore", state) < 0)
		l->datastore = NULL;
	if (!l->prefix || !l->state || !l->datastore)
		return -ENOMEM;
	for (size_t i = 0; i < l->nnodes; i++) {
		free(l->nodes[i].netns);
		if (asprintf(&l->nodes[i].netns, "%sn%zu", prefix, i + 1) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0, n = 0; i < l->npods; i++) {
		if (!l->pods[i].netns)
			continue; /* hostNetwork */
		free(l->pods[i].netns);
		if (asprintf(&l->pods[i].netns, "%sp%zu", prefix, ++n) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->nhosts; i++) {
		free(l->hosts[i].netns);
		if (asprintf(&l->hosts[i].netns, "%sh-%s", prefix, l->hosts[i].name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- lab.json ------------------------------------------------------------------------------ */

static json_t *ip_json(const struct ipaddr *a)
{
	char buf[IPADDR_STRLEN];

	ipaddr_format(a, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *ports_json(const uint16_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

int lab_save(const struct lab *l, const char *path)
{
	json_t *root = json_object(), *nodes = json_array(), *pods = json_array(),
	       *hosts = json_array();
	char *text = NULL;
	int err = -ENOMEM;

	if (!root || !nodes || !pods || !hosts)
		goto out;
	for (size_t i = 0; i < l->nnodes; i++) {
		char c[CIDR_STRLEN];

		cidr_format(&l->nodes[i].cidr, c, sizeof(c));
		json_array_append_new(nodes,
				      json_pack("{s:s, s:s, s:o, s:s}", "name", l->nodes[i].name,
						"netns", l->nodes[i].netns, "ip",
						ip_json(&l->nodes[i].ip), "podCIDR", c));
	}
	for (size_t i = 0; i < l->npods; i++) {
		const struct lab_pod *p = &l->pods[i];

		json_array_append_new(pods, json_pack("{s:s, s:o, s:s, s:s?, s:o, s:o}", "name",
						      p->ref, "ip", ip_json(&p->ip), "node",
						      l->nodes[p->node].name, "netns", p->netns,
						      "tcp", ports_json(p->tcp, p->ntcp), "udp",
						      ports_json(p->udp, p->nudp)));
	}
	for (size_t i = 0; i < l->nhosts; i++)
		json_array_append_new(hosts, json_pack("{s:s, s:o, s:s}", "name", l->hosts[i].name,
						       "ip", ip_json(&l->hosts[i].ip), "netns",
						       l->hosts[i].netns));
	json_object_set_new(root, "name", json_string(l->name));
	json_object_set_new(root, "prefix", json_string(l->prefix));
	json_object_set_new(root, "state", json_string(l->state));
	json_object_set_new(root, "datastore", json_string(l->datastore));
	json_object_set(root, "nodes", nodes);
	json_object_set(root, "pods", pods);
	json_object_set(root, "hosts", hosts);
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		goto out;
	err = labfs_write_atomic(path, text, strlen(text));
out:
	free(text);
	json_decref(root);
	json_decref(nodes);
	json_decref(pods);
	json_decref(hosts);
	return err;
}

static char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

static int jip(json_t *o, const char *key, struct ipaddr *out)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? ipaddr_parse(s, out) : -EINVAL;
}

static int jports(json_t *o, const char *key, uint16_t **v, size_t *n)
{
	json_t *a = json_object_get(o, key), *x;
	size_t i;

	*n = 0;
	*v = calloc(json_array_size(a) + 1, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	json_array_foreach(a, i, x)
	{
		json_int_t p = json_integer_value(x);

		if (p < 1 || p > 65535)
			return -EINVAL;
		(*v)[(*n)++] = (uint16_t)p;
	}
	return 0;
}

struct lab *lab_load(const char *path, char *err, size_t errsize)
{
	struct lab *l = calloc(1, sizeof(*l));
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *a, *x;
	size_t i;
	const char *bad = NULL;

	if (!l || !root) {
		snprintf(err, errsize, "%s: %s", path, root ? "out of memory" : je.text);
		goto fail;
	}
	l->name = jstr(root, "name");
	l->prefix = jstr(root, "prefix");
	l->state = jstr(root, "state");
	l->datastore = jstr(root, "datastore");
	if (!l->name || !l->prefix || !l->state || !l->datastore) {
		bad = "name, prefix, state or datastore missing";
		goto bad;
	}
	a = json_object_get(root, "nodes");
	l->nodes = calloc(json_array_size(a) + 1, sizeof(*l->nodes));
	if (!l->nodes)
		goto bad;
	json_array_foreach(a, i, x)
	{
		struct lab_node *n = &l->nodes[l->nnodes++];
		const char *c = json_string_value(json_object_get(x, "podCIDR"));

		n->name = jstr(x, "name");
		n->netns = jstr(x, "netns");
		if (!n->name || !n->netns || jip(x, "ip", &n->ip) || !c ||
		    cidr_parse(c, &n->cidr, NULL)) {
			bad = "a node is incomplete";
			goto bad;
		}
	}
	a = json_object_get(root, "pods");
	l->pods = calloc(json_array_size(a) + 1, sizeof(*l->pods));
	if (!l->pods)
		goto bad;
	json_array_foreach(a, i, x)
	{
		struct lab_pod *p = &l->pods[l->npods++];
		const char *node = json_string_value(json_object_get(x, "node"));
		char *slash;
		long ni = node ? lab_find_node(l, node) : -1;

		p->ref = jstr(x, "name");
		p->netns = jstr(x, "netns");
		if (!p->ref || !(slash = strchr(p->ref, '/')) || jip(x, "ip", &p->ip) || ni < 0 ||
		    jports(x, "tcp", &p->tcp, &p->ntcp) || jports(x, "udp", &p->udp, &p->nudp)) {
			bad = "a pod is incomplete";
			goto bad;
		}
		p->node = (size_t)ni;
		p->ns = strndup(p->ref, (size_t)(slash - p->ref));
		p->name = strdup(slash + 1);
		if (!p->ns || !p->name)
			goto bad;
	}
	a = json_object_get(root, "hosts");
	l->hosts = calloc(json_array_size(a) + 1, sizeof(*l->hosts));
	if (!l->hosts)
		goto bad;
	json_array_foreach(a, i, x)
	{
		struct lab_ext *h = &l->hosts[l->nhosts++];

		h->name = jstr(x, "name");
		h->netns = jstr(x, "netns");
		if (!h->name || !h->netns || jip(x, "ip", &h->ip)) {
			bad = "a host is incomplete";
			goto bad;
		}
	}
	json_decref(root);
	return l;
bad:
	snprintf(err, errsize, "%s: %s", path, bad ? bad : "out of memory");
fail:
	json_decref(root);
	lab_free(l);
	return NULL;
}

long lab_find_pod(const struct lab *l, const char *ref)
{
	for (size_t i = 0; i < l->npods; i++)
		if (!strcmp(l->pods[i].ref, ref))
			return (long)i;
	return -1;
}

long lab_find_host(const struct lab *l, const char *name)
{
	for (size_t i = 0; i < l->nhosts; i++)
		if (!strcmp(l->hosts[i].name, name))
			return (long)i;
	return -1;
}

long lab_find_node(const struct lab *l, const char *name)
{
	for (size_t i = 0; i < l->nnodes; i++)
		if (!strcmp(l->nodes[i].name, name))
			return (long)i;
	return -1;
}

/* ---- registry -------------------------------------------------------------------------------- */

/* The state path in a registry file, without the trailing newline; NULL if unreadable. */
static char *registry_read(const char *name)
{
	char *path = NULL, *text;
	size_t len = 0;

	if (asprintf(&path, "%s/%s", LAB_REGISTRY_DIR, name) < 0)
		return NULL;
	text = labfs_read(path, &len);
	free(path);
	if (!text)
		return NULL;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	return text;
}

static bool lab_present(const char *state)
{
	char *p = NULL;
	struct stat st;
	bool yes;

	if (asprintf(&p, "%s/%s", state, LAB_MARKER) < 0)
		return false;
	yes = stat(p, &st) == 0;
	free(p);
	return yes;
}

int lab_registry_add(const char *name, const char *state)
{
	char *old = registry_read(name), *path = NULL, *line = NULL;
	int err;

	if (old && strcmp(old, state) && lab_present(old)) {
		free(old);
		return -EEXIST;
	}
	free(old);
	err = labfs_mkdir_p(LAB_REGISTRY_DIR, 0755);
	if (err)
		return err;
	if (asprintf(&path, "%s/%s", LAB_REGISTRY_DIR, name) < 0 ||
	    asprintf(&line, "%s\n", state) < 0) {
		free(path);
		return -ENOMEM;
	}
	err = labfs_write_atomic(path, line, strlen(line));
	free(path);
	free(line);
	return err;
}

void lab_registry_remove(const char *state)
{
	DIR *d = opendir(LAB_REGISTRY_DIR);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *s, *path = NULL;

		if (e->d_name[0] == '.')
			continue;
		s = registry_read(e->d_name);
		if (s && !strcmp(s, state) &&
		    asprintf(&path, "%s/%s", LAB_REGISTRY_DIR, e->d_name) >= 0) {
			unlink(path);
			free(path);
		}
		free(s);
	}
	closedir(d);
}

int lab_registry_pick(char **state, char *err, size_t errsize)
{
	DIR *d = opendir(LAB_REGISTRY_DIR);
	struct dirent *e;
	size_t n = 0, off = 0;

	*state = NULL;
	err[0] = '\0';
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		char *s;

		if (e->d_name[0] == '.')
			continue;
		s = registry_read(e->d_name);
		if (!s)
			continue;
		if (off < errsize)
			off += (size_t)snprintf(err + off, errsize - off, "%s%s (%s)",
						n ? ", " : "", e->d_name, s);
		if (n++ == 0)
			*state = s;
		else
			free(s);
	}
	closedir(d);
	if (n == 1)
		return 0;
	free(*state);
	*state = NULL;
	return n ? -EEXIST : -ENOENT;
}
