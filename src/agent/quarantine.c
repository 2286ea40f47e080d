/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/quarantine.h"

#include "agent/datastore.h"
#include "lib/resource.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCK_FILE ".quarantine.lock"

void quarantine_init(struct quarantine *q)
{
	memset(q, 0, sizeof(*q));
}

static void clear_labels(struct quarantine *q)
{
	for (size_t i = 0; i < q->nlabels; i++) {
		free(q->labels[i].key);
		free(q->labels[i].value);
	}
	free(q->labels);
	q->labels = NULL;
	q->nlabels = 0;
}

void quarantine_fini(struct quarantine *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].reason);
	free(q->v);
	clear_labels(q);
	free(q->name);
	quarantine_init(q);
}

int quarantine_lock(const char *dir)
{
	char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/%s", dir, LOCK_FILE) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return -e;
		}
	}
	return fd;
}

void quarantine_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}

static char *file_name(const char *name)
{
	char *s;

	if (asprintf(&s, "%s_-_%s.json", res_kind_id(RES_GLOBAL_NETWORK_SET), name) < 0)
		return NULL;
	return s;
}

char *quarantine_path(const char *dir, const char *name)
{
	char *file = file_name(name), *path = NULL;

	if (file && asprintf(&path, "%s/%s", dir, file) < 0)
		path = NULL;
	free(file);
	return path;
}

int quarantine_set_labels(struct quarantine *q, const char *const *keys, const char *const *values,
			  size_t n)
{
	struct quarantine_label *v = calloc(n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i].key = strdup(keys[i]);
		v[i].value = strdup(values[i]);
		if (!v[i].key || !v[i].value) {
			for (size_t k = 0; k <= i; k++) {
				free(v[k].key);
				free(v[k].value);
			}
			free(v);
			return -ENOMEM;
		}
	}
	clear_labels(q);
	q->labels = v;
	q->nlabels = n;
	return 0;
}

/* Index of addr in q->v, or where it would go (*found false). */
static size_t find(const struct quarantine *q, const struct cidr *addr, bool *found)
{
	size_t lo = 0, hi = q->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cidr_cmp(&q->v[mid].addr, addr);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static bool single(const struct cidr *c)
{
	return c->len == (c->addr.family == 6 ? 128 : 32);
}

int quarantine_add(struct quarantine *q, const struct cidr *addr, int64_t expires,
		   const char *reason)
{
	bool found;
	size_t i;
	struct quarantine_entry *e;
	char *r = NULL;

	if (!single(addr))
		return -EINVAL;
	if (reason && !(r = strdup(reason)))
		return -ENOMEM;
	i = find(q, addr, &found);
	if (found) {
		e = &q->v[i];
		/* 0 is "never": it beats any time, and a time never shortens it. */
		if (!e->expires || (expires && expires <= e->expires)) {
			free(r);
			return 0;
		}
		e->expires = expires;
		if (r) {
			free(e->reason);
			e->reason = r;
		}
		return 2;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		struct quarantine_entry *v = realloc(q->v, cap * sizeof(*v));

		if (!v) {
			free(r);
			return -ENOMEM;
		}
		q->v = v;
		q->cap = cap;
	}
	memmove(&q->v[i + 1], &q->v[i], (q->n - i) * sizeof(*q->v));
	q->v[i] = (struct quarantine_entry){.addr = *addr, .expires = expires, .reason = r};
	q->n++;
	return 1;
}

bool quarantine_has(const struct quarantine *q, const struct cidr *addr)
{
	bool found;

	find(q, addr, &found);
	return found;
}

int quarantine_remove(struct quarantine *q, const struct cidr *addr)
{
	bool found;
	size_t i = find(q, addr, &found);

	if (!found)
		return 0;
	free(q->v[i].reason);
	memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof(*q->v));
	q->n--;
	return 1;
}

size_t quarantine_prune(struct quarantine *q, int64_t now)
{
	size_t k = 0, gone = 0;

	for (size_t i = 0; i < q->n; i++) {
		if (q->v[i].expires && q->v[i].expires <= now) {
			free(q->v[i].reason);
			gone++;
			continue;
		}
		q->v[k++] = q->v[i];
	}
	q->n = k;
	return gone;
}

int64_t quarantine_next_expiry(const struct quarantine *q)
{
	int64_t t = 0;

	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].expires && (!t || q->v[i].expires < t))
			t = q->v[i].expires;
	return t;
}

/* ---- the file ------------------------------------------------------------------------- */

static int default_labels(struct quarantine *q)
{
	const char *k = "security-action", *v = "block";

	return quarantine_set_labels(q, &k, &v, 1);
}

struct report_ctx {
	const char *path, *key;
	char *err;
	size_t errsize;
};

/* The first problem netset_expires_parse() or netset_reasons_check() reports, with its field. */
static void report(void *arg, const char *msg)
{
	struct report_ctx *r = arg;

	if (!r->err[0])
		snprintf(r->err, r->errsize, "%s: metadata.annotations[\"%s\"]: %s", r->path,
			 r->key, msg);
}

/* The entries of spec.nets with their expiries and reasons (the agents' rules, resource.h). */
static int load_entries(struct quarantine *q, json_t *doc, const char *path, char *err,
			size_t errsize)
{
	json_t *ann = json_object_get(json_object_get(doc, "metadata"), "annotations");
	json_t *nets = json_object_get(json_object_get(doc, "spec"), "nets"), *why = NULL, *v;
	const char *exp_text = json_string_value(json_object_get(ann, QUARANTINE_EXPIRES));
	const char *why_text = json_string_value(json_object_get(ann, QUARANTINE_REASONS));
	struct report_ctx ctx = {.path = path, .err = err, .errsize = errsize};
	struct cidr *v4 = NULL;
	int64_t *expires = NULL;
	size_t i, n = json_array_size(nets);
	int rc = 0;

	err[0] = '\0';
	if (nets && !json_is_array(nets)) {
		snprintf(err, errsize, "%s: spec.nets: not a list", path);
		return -EINVAL;
	}
	v4 = calloc(n + 1, sizeof(*v4));
	expires = calloc(n + 1, sizeof(*expires));
	if (!v4 || !expires) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(nets, i, v)
	{
		const char *s = json_string_value(v);
		bool host_bits;

		if (!s || cidr_parse(s, &v4[i], &host_bits) || !single(&v4[i])) {
			snprintf(err, errsize, "%s: spec.nets[%zu]: not a single address", path, i);
			rc = -EINVAL;
			goto out;
		}
	}
	ctx.key = QUARANTINE_EXPIRES;
	if (exp_text && (rc = netset_expires_parse(exp_text, v4, n, expires, report, &ctx)))
		goto out;
	ctx.key = QUARANTINE_REASONS;
	if (why_text && (rc = netset_reasons_check(why_text, report, &ctx)))
		goto out;
	why = why_text ? json_loads(why_text, 0, NULL) : NULL;
	for (i = 0; i < n; i++) {
		char key[CIDR_STRLEN];
		const char *reason;

		cidr_format(&v4[i], key, sizeof(key));
		reason = json_string_value(json_object_get(why, key));
		if (!reason)
			reason = json_string_value(
				json_object_get(why, json_string_value(json_array_get(nets, i))));
		rc = quarantine_add(q, &v4[i], expires[i], reason);
		if (rc < 0)
			goto out;
		rc = 0;
	}
out:
	json_decref(why);
	free(v4);
	free(expires);
	return rc;
}

int quarantine_load(const char *dir, const char *name, struct quarantine *q, char *err,
		    size_t errsize)
{
	char *file = file_name(name), *path = NULL;
	json_t *doc = NULL, *labels, *v;
	json_error_t jerr;
	const char *k;
	int rc = 0;

	quarantine_fini(q);
	if (!file || asprintf(&path, "%s/%s", dir, file) < 0 || !(q->name = strdup(name))) {
		rc = -ENOMEM;
		goto out;
	}
	doc = json_load_file(path, 0, &jerr);
	if (!doc) {
		if (access(path, F_OK) && errno == ENOENT) {
			rc = default_labels(q);
			goto out;
		}
		snprintf(err, errsize, "%s: line %d: %s", path, jerr.line, jerr.text);
		rc = -EINVAL;
		goto out;
	}
	q->exists = true;
	labels = json_object_get(json_object_get(doc, "metadata"), "labels");
	json_object_foreach(labels, k, v)
	{
		const char *val = json_string_value(v);
		struct quarantine_label *nv;

		if (!val)
			continue;
		nv = realloc(q->labels, (q->nlabels + 1) * sizeof(*nv));
		if (!nv) {
			rc = -ENOMEM;
			goto out;
		}
		q->labels = nv;
		nv[q->nlabels].key = strdup(k);
		nv[q->nlabels].value = strdup(val);
		q->nlabels++;
		if (!nv[q->nlabels - 1].key || !nv[q->nlabels - 1].value) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = load_entries(q, doc, path, err, errsize);
out:
	if (rc)
		quarantine_fini(q);
	json_decref(doc);
	free(file);
	free(path);
	return rc;
}

int quarantine_save(const char *dir, const struct quarantine *q)
{
	json_t *doc = NULL, *labels = json_object(), *nets = json_array();
	json_t *exp = json_object(), *why = json_object(), *ann = json_object();
	char *file = file_name(q->name), *text = NULL, *exp_text = NULL, *why_text = NULL;
	size_t len;
	int rc = -ENOMEM;

	if (!file || !labels || !nets || !exp || !why || !ann)
		goto out;
	for (size_t i = 0; i < q->nlabels; i++)
		json_object_set_new(labels, q->labels[i].key, json_string(q->labels[i].value));
	for (size_t i = 0; i < q->n; i++) {
		char addr[64], when[RES_TIME_STRLEN];

		cidr_format(&q->v[i].addr, addr, sizeof(addr));
		json_array_append_new(nets, json_string(addr));
		if (q->v[i].expires) {
			res_time_format(q->v[i].expires, when, sizeof(when));
			json_object_set_new(exp, addr, json_string(when));
		}
		if (q->v[i].reason)
			json_object_set_new(why, addr, json_string(q->v[i].reason));
	}
	exp_text = json_dumps(exp, JSON_COMPACT | JSON_SORT_KEYS);
	why_text = json_dumps(why, JSON_COMPACT | JSON_SORT_KEYS);
	if (!exp_text || !why_text)
		goto out;
	json_object_set_new(ann, QUARANTINE_EXPIRES, json_string(exp_text));
	json_object_set_new(ann, QUARANTINE_REASONS, json_string(why_text));
	doc = json_pack("{s:s,s:s,s:{s:s,s:O,s:O},s:{s:O}}", "apiVersion", "projectcalico.org/v3",
			"kind", "GlobalNetworkSet", "metadata", "name", q->name, "labels", labels,
			"annotations", ann, "spec", "nets", nets);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		goto out;
	len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room: its NUL becomes the last line's end */
	rc = datastore_write(dir, file, text, len + 1);
out:
	free(text);
	free(exp_text);
	free(why_text);
	free(file);
	json_decref(doc);
	json_decref(labels);
	json_decref(nets);
	json_decref(exp);
	json_decref(why);
	json_decref(ann);
	return rc;
}
