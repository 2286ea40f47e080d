/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/feeds.h"

#include "agent/datastore.h"
#include "agent/http_fetch.h"
#include "agent/log.h"
#include "agent/protect.h"
#include "lib/diag.h"
#include "lib/feed_parse.h"
#include "lib/feed_rails.h"
#include "lib/jsonw.h"
#include "lib/resource.h"
#include "lib/strbuf.h"
#include "lib/readfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MAX_MS    1000	    /* the thread looks at markers at least this often */
#define SECRET_MAX     8192	    /* bytes of a header value read from a file */
#define LIST_MAX       5	    /* entries or lines named in one status message */
#define HELD_SUFFIX    "_held.json" /* '_' is never in a feed's name (a DNS subdomain) */
#define CONFIRM_SUFFIX "_confirm"
#define SYNC_SUFFIX    "_sync"

/*
 * The error conditions of a feed's status, one message each at most.  PullFailed and
 * GlobalNetworkSetSyncFailed are Calico's types; the other three are Palisade's, for what a
 * pull can leave behind without failing.
 */
enum cond {
	COND_PULL,
	COND_SYNC,
	COND_HELD,
	COND_REFUSED,
	COND_PARSE,
	COND_COUNT,
};

static const char *const cond_type[COND_COUNT] = {
	"PullFailed",	  "GlobalNetworkSetSyncFailed", "ShrinkHeld", "EntriesRefused",
	"LinesNotParsed",
};

/*
 * One feed: what the datastore says (res) and what the puller keeps about it.  Everything
 * but res, name and sync is saved in <state>/feeds/<name>.json after every change, so that a
 * restart sends the same validators, holds against the same set and keeps the schedule.
 */
struct feed {
	char *name;
	const struct resource *res; /* in feeds.rs; NULL: not in the datastore now */
	char *key;		    /* the spec the state belongs to (spec_key()) */
	char *url;		    /* where the set in force and the validators came from */
	char *etag, *last_modified;
	bool has_set;		 /* threatfeed.<name> was written from this feed */
	size_t accepted_entries; /* of the set in force, for the shrink check */
	bool held;
	size_t held_entries;
	int64_t last_sync, last_pull, next_pull; /* Unix ms; 0: never */
	uint64_t pulls, failures, not_modified, updates, holds;
	unsigned consecutive;
	/* the last body parsed */
	size_t entries, accepted, refused, parse_errors, host_bits;
	char *cond[COND_COUNT];
	bool sync; /* a pull was asked for */
};

struct feeds {
	const struct feeds_config *cfg;
	const char *ds, *state;
	char *dir; /* <state>/feeds */
	struct resource_set *rs;
	struct feed **v;
	size_t n;
	struct cidr *protect; /* cfg->protect and the cluster's own ranges */
	size_t nprotect;
	bool ds_dirty, status_dirty, threaded;
	int ino, wake;
	pthread_t thread;
	bool running;
	atomic_bool stop, sync_all;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RFC 3339 in UTC, second precision. */
static void rfc3339(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_str(char **dst, const char *s)
{
	char *c = s ? strdup(s) : NULL;

	free(*dst);
	*dst = c;
}

static void set_cond(struct feed *fd, enum cond c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_cond(struct feed *fd, enum cond c, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(fd->cond[c]);
	fd->cond[c] = s;
}

static void clear_cond(struct feed *fd, enum cond c)
{
	free(fd->cond[c]);
	fd->cond[c] = NULL;
}

static char *path2(const char *dir, const char *name, const char *suffix)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s%s", dir, name, suffix ? suffix : "") < 0)
		return NULL;
	return p;
}

/* ---- configuration and the pure pieces --------------------------------------------------- */

int64_t feeds_period_ms(const struct feeds_config *c, int64_t spec_period_s)
{
	int64_t p = spec_period_s * 1000;

	if (c->period_override_ms > 0)
		return c->period_override_ms;
	return p < c->min_period_ms ? c->min_period_ms : p;
}

int64_t feeds_backoff_ms(const struct feeds_config *c, unsigned failures, int64_t period_ms)
{
	int64_t b = c->backoff_ms > 0 ? c->backoff_ms : FEEDS_BACKOFF_DEFAULT_MS;

	for (unsigned i = 1; i < failures && b < period_ms; i++)
		b *= 2;
	return b < period_ms ? b : period_ms;
}

char *feeds_gns_file(const char *feed)
{
	char *s = NULL;

	if (asprintf(&s, "%s_-_" FEEDS_SET_PREFIX "%s.json", res_kind_id(RES_GLOBAL_NETWORK_SET),
		     feed) < 0)
		return NULL;
	return s;
}

char *feeds_gns_text(const char *feed, const struct labels *labels, const struct cidr *v, size_t n)
{
	struct strbuf b;
	char c[CIDR_STRLEN];

	strbuf_init(&b);
	strbuf_puts(&b, "{\n  \"apiVersion\": \"projectcalico.org/v3\",\n"
			"  \"kind\": \"GlobalNetworkSet\",\n  \"metadata\": {\n    \"name\": \"");
	strbuf_puts(&b, FEEDS_SET_PREFIX);
	strbuf_puts(&b, feed);
	strbuf_puts(&b, "\",\n    \"labels\": {");
	for (size_t i = 0; labels && i < labels->n; i++) {
		strbuf_puts(&b, i ? ", " : "");
		jsonw_str(&b, labels->v[i].key);
		strbuf_puts(&b, ": ");
		jsonw_str(&b, labels->v[i].value);
	}
	strbuf_puts(&b, "},\n    \"annotations\": {\"palisade.dev/threatfeed\": ");
	jsonw_str(&b, feed);
	strbuf_puts(&b, "}\n  },\n  \"spec\": {\n    \"nets\": [");
	for (size_t i = 0; i < n; i++) {
		cidr_format(&v[i], c, sizeof(c));
		strbuf_printf(&b, "%s\n      \"%s\"", i ? "," : "", c);
	}
	strbuf_puts(&b, n ? "\n    ]\n  }\n}\n" : "]\n  }\n}\n");
	return strbuf_steal(&b);
}

/* Everything of a spec that changes what a pull gives: a new key pulls again, in full. */
static char *spec_key(const struct res_threat_feed *t)
{
	struct strbuf b;

	strbuf_init(&b);
	strbuf_printf(&b, "%s|%s|%d|%lld|%s|%d|%s|%d|%s|%d|%d|%d|%d|%d|%d", t->content, t->mode,
		      t->has_pull, (long long)t->period_s, t->url ? t->url : "", (int)t->format,
		      t->json_path ? t->json_path : "", t->field_num,
		      t->field_name ? t->field_name : "", t->header, t->column_delimiter,
		      t->comment_delimiter, t->record_size, t->disable_record_size_validation,
		      t->has_gns);
	for (size_t i = 0; i < t->nheaders; i++) {
		const struct feed_header *h = &t->headers[i];

		strbuf_printf(&b, "|h:%s=%s/%s/%s/%s/%d", h->name, h->value ? h->value : "",
			      h->value_from_kind ? h->value_from_kind : "",
			      h->value_from_name ? h->value_from_name : "",
			      h->value_from_key ? h->value_from_key : "", h->value_from_optional);
	}
	for (size_t i = 0; i < t->gns_labels.n; i++)
		strbuf_printf(&b, "|l:%s=%s", t->gns_labels.v[i].key, t->gns_labels.v[i].value);
	return strbuf_steal(&b);
}

/* ---- per-feed state ---------------------------------------------------------------------- */

static void feed_free(struct feed *fd)
{
	if (!fd)
		return;
	free(fd->name);
	free(fd->key);
	free(fd->url);
	free(fd->etag);
	free(fd->last_modified);
	for (int i = 0; i < COND_COUNT; i++)
		free(fd->cond[i]);
	free(fd);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static uint64_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

/* Reads <dir>/<name>.json into fd; a missing or damaged file leaves fd fresh. */
static void state_load(struct feeds *f, struct feed *fd)
{
	char *p = path2(f->dir, fd->name, ".json");
	json_error_t jerr;
	json_t *o = p ? json_load_file(p, 0, &jerr) : NULL, *conds;
	const char *k;
	json_t *v;

	if (!o) {
		if (p && access(p, F_OK) == 0)
			plog(PLOG_WARN, "feed state unreadable, starting afresh file=%s err=\"%s\"",
			     p, jerr.text);
		free(p);
		return;
	}
	free(p);
	set_str(&fd->key, jstr(o, "key"));
	set_str(&fd->url, jstr(o, "url"));
	set_str(&fd->etag, jstr(o, "etag"));
	set_str(&fd->last_modified, jstr(o, "lastModified"));
	fd->has_set = json_is_true(json_object_get(o, "hasSet"));
	fd->accepted_entries = (size_t)jint(o, "acceptedEntries");
	fd->held = json_is_true(json_object_get(o, "held"));
	fd->held_entries = (size_t)jint(o, "heldEntries");
	fd->last_sync = (int64_t)jint(o, "lastSuccessfulSync");
	fd->last_pull = (int64_t)jint(o, "lastPull");
	fd->next_pull = (int64_t)jint(o, "nextPull");
	fd->pulls = jint(o, "pulls");
	fd->failures = jint(o, "failures");
	fd->not_modified = jint(o, "notModified");
	fd->updates = jint(o, "updates");
	fd->holds = jint(o, "holds");
	fd->consecutive = (unsigned)jint(o, "consecutiveFailures");
	fd->entries = (size_t)jint(o, "entries");
	fd->accepted = (size_t)jint(o, "accepted");
	fd->refused = (size_t)jint(o, "refused");
	fd->parse_errors = (size_t)jint(o, "parseErrors");
	fd->host_bits = (size_t)jint(o, "hostBits");
	conds = json_object_get(o, "conditions");
	json_object_foreach(conds, k, v)
	{
		for (int i = 0; i < COND_COUNT; i++)
			if (!strcmp(k, cond_type[i]) && json_is_string(v))
				set_str(&fd->cond[i], json_string_value(v));
	}
	json_decref(o);
}

static void state_save(struct feeds *f, struct feed *fd)
{
	json_t *o = json_object(), *conds = json_object();
	char *text = NULL, *name = NULL;

	if (!o || !conds || asprintf(&name, "%s.json", fd->name) < 0) {
		name = NULL;
		goto out;
	}
	json_object_set_new(o, "key", fd->key ? json_string(fd->key) : json_null());
	json_object_set_new(o, "url", fd->url ? json_string(fd->url) : json_null());
	json_object_set_new(o, "etag", fd->etag ? json_string(fd->etag) : json_null());
	json_object_set_new(o, "lastModified",
			    fd->last_modified ? json_string(fd->last_modified) : json_null());
	json_object_set_new(o, "hasSet", json_boolean(fd->has_set));
	json_object_set_new(o, "acceptedEntries", json_integer((json_int_t)fd->accepted_entries));
	json_object_set_new(o, "held", json_boolean(fd->held));
	json_object_set_new(o, "heldEntries", json_integer((json_int_t)fd->held_entries));
	json_object_set_new(o, "lastSuccessfulSync", json_integer(fd->last_sync));
	json_object_set_new(o, "lastPull", json_integer(fd->last_pull));
	json_object_set_new(o, "nextPull", json_integer(fd->next_pull));
	json_object_set_new(o, "pulls", json_integer((json_int_t)fd->pulls));
	json_object_set_new(o, "failures", json_integer((json_int_t)fd->failures));
	json_object_set_new(o, "notModified", json_integer((json_int_t)fd->not_modified));
	json_object_set_new(o, "updates", json_integer((json_int_t)fd->updates));
	json_object_set_new(o, "holds", json_integer((json_int_t)fd->holds));
	json_object_set_new(o, "consecutiveFailures", json_integer(fd->consecutive));
	json_object_set_new(o, "entries", json_integer((json_int_t)fd->entries));
	json_object_set_new(o, "accepted", json_integer((json_int_t)fd->accepted));
	json_object_set_new(o, "refused", json_integer((json_int_t)fd->refused));
	json_object_set_new(o, "parseErrors", json_integer((json_int_t)fd->parse_errors));
	json_object_set_new(o, "hostBits", json_integer((json_int_t)fd->host_bits));
	for (int i = 0; i < COND_COUNT; i++)
		if (fd->cond[i])
			json_object_set_new(conds, cond_type[i], json_string(fd->cond[i]));
	json_object_set(o, "conditions", conds);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text || !name || datastore_write(f->dir, name, text, strlen(text)))
		plog(PLOG_WARN, "cannot save the feed state feed=%s dir=%s", fd->name, f->dir);
out:
	free(name);
	free(text);
	json_decref(conds);
	json_decref(o);
}

/* Removes <dir>/<name><suffix>; quiet when it is not there. */
static void unlink3(const char *dir, const char *name, const char *suffix)
{
	char *p = path2(dir, name, suffix);

	if (p && unlink(p) && errno != ENOENT)
		plog(PLOG_WARN, "cannot remove %s err=%s", p, strerror(errno));
	free(p);
}

static bool exists3(const char *dir, const char *name, const char *suffix)
{
	char *p = path2(dir, name, suffix);
	bool yes = p && access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* ---- the set in the datastore ------------------------------------------------------------ */

/* Writes text as the feed's set unless the file holds it already.  0 or -errno. */
static int write_set(struct feeds *f, const char *feed, const char *text, bool *changed)
{
	char *name = feeds_gns_file(feed), *p = name ? path2(f->ds, name, NULL) : NULL, *cur;
	int rc = 0;

	*changed = false;
	if (!p) {
		free(name);
		return -ENOMEM;
	}
	cur = read_file(p, 0, NULL);
	if (!cur || strcmp(cur, text)) {
		rc = datastore_write(f->ds, name, text, strlen(text));
		*changed = rc == 0;
	}
	free(cur);
	free(p);
	free(name);
	return rc;
}

static bool set_exists(struct feeds *f, const char *feed)
{
	char *name = feeds_gns_file(feed);
	bool yes = name && exists3(f->ds, name, "");

	free(name);
	return yes;
}

static void remove_set(struct feeds *f, const char *feed)
{
	char *name = feeds_gns_file(feed);

	if (name)
		unlink3(f->ds, name, "");
	free(name);
}

/* The feed no longer has a set of its own: nothing held, no validators. */
static void drop_set(struct feeds *f, struct feed *fd)
{
	remove_set(f, fd->name);
	unlink3(f->dir, fd->name, HELD_SUFFIX);
	fd->has_set = fd->held = false;
	fd->accepted_entries = fd->held_entries = 0;
	set_str(&fd->etag, NULL);
	set_str(&fd->last_modified, NULL);
	set_str(&fd->url, NULL);
	clear_cond(fd, COND_HELD);
}

/* ---- the datastore ---------------------------------------------------------------------- */

static struct feed *find(struct feeds *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i]->name, name))
			return f->v[i];
	return NULL;
}

static struct feed *add_feed(struct feeds *f, const char *name)
{
	struct feed **v = realloc(f->v, (f->n + 1) * sizeof(*v)), *fd;

	if (!v)
		return NULL;
	f->v = v;
	fd = calloc(1, sizeof(*fd));
	if (!fd || !(fd->name = strdup(name))) {
		free(fd);
		return NULL;
	}
	state_load(f, fd);
	f->v[f->n++] = fd;
	return fd;
}

static int cmp_feed(const void *a, const void *b)
{
	return strcmp((*(struct feed *const *)a)->name, (*(struct feed *const *)b)->name);
}

/* The feeds a previous run knew: every <dir>/<name>.json. */
static void load_known(struct feeds *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[256];

		if (e->d_name[0] == '.' || len <= 5 || len - 5 >= sizeof(name) ||
		    strcmp(e->d_name + len - 5, ".json") || strchr(e->d_name, '_'))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		if (!find(f, name) && !add_feed(f, name))
			plog(PLOG_ERROR, "out of memory loading feed state name=%s", name);
	}
	if (d)
		closedir(d);
}

static bool enabled(const struct feed *fd)
{
	return fd->res && !strcmp(fd->res->u.feed.mode, "Enabled") && fd->res->u.feed.has_pull;
}

/*
 * Reads the datastore again.  A datastore that cannot be read, or whose files contradict each
 * other, changes nothing.  Feeds are matched by name; a changed spec is pulled again at once
 * and in full; a feed that is gone (and cannot be hiding in a file that did not validate)
 * loses its set and its state.
 */
static void reload(struct feeds *f, int64_t now)
{
	struct resource_set *rs = calloc(1, sizeof(*rs));
	struct diag_list d;
	size_t skipped = 0, k = 0;
	int rc;

	f->ds_dirty = false;
	if (!rs)
		return;
	resource_set_init(rs);
	diag_list_init(&d);
	rc = datastore_load(f->ds, rs, &d, &skipped);
	diag_list_fini(&d);
	if (rc) {
		plog(PLOG_WARN, "datastore not usable, feeds unchanged dir=%s err=%s", f->ds,
		     strerror(-rc));
		resource_set_fini(rs);
		free(rs);
		return;
	}
	for (size_t i = 0; i < f->n; i++)
		f->v[i]->res = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		const struct resource *r = rs->v[i];
		struct feed *fd;
		char *key;

		if (r->kind != RES_GLOBAL_THREAT_FEED)
			continue;
		fd = find(f, r->meta.name);
		if (!fd)
			fd = add_feed(f, r->meta.name);
		key = spec_key(&r->u.feed);
		if (!fd || !key) {
			plog(PLOG_ERROR, "out of memory for feed name=%s", r->meta.name);
			free(key);
			continue;
		}
		fd->res = r;
		if (!fd->key || strcmp(fd->key, key)) {
			/* New or changed: pulled now, in full; what was held was for the old spec. */
			if (fd->key)
				plog(PLOG_INFO, "feed changed name=%s", fd->name);
			set_str(&fd->etag, NULL);
			set_str(&fd->last_modified, NULL);
			if (fd->held) {
				unlink3(f->dir, fd->name, HELD_SUFFIX);
				fd->held = false;
				clear_cond(fd, COND_HELD);
			}
			fd->next_pull = now;
			fd->consecutive = 0;
			free(fd->key);
			fd->key = key;
			key = NULL;
			state_save(f, fd);
		}
		free(key);
		if (!enabled(fd) && (fd->has_set || fd->held)) {
			plog(PLOG_INFO, "feed %s, its set is removed name=%s",
			     fd->res->u.feed.has_pull ? "disabled" : "has no pull", fd->name);
			drop_set(f, fd);
			state_save(f, fd);
		}
	}
	/* Gone from the datastore. */
	for (size_t i = 0; i < f->n; i++) {
		struct feed *fd = f->v[i];

		if (fd->res || skipped) {
			f->v[k++] = fd;
			continue;
		}
		plog(PLOG_INFO, "feed deleted, its set is removed name=%s", fd->name);
		drop_set(f, fd);
		unlink3(f->dir, fd->name, ".json");
		unlink3(f->dir, fd->name, CONFIRM_SUFFIX);
		unlink3(f->dir, fd->name, SYNC_SUFFIX);
		feed_free(fd);
	}
	f->n = k;
	if (skipped)
		plog(PLOG_WARN,
		     "%zu datastore file(s) do not validate: sets of feeds not found are kept",
		     skipped);
	qsort(f->v, f->n, sizeof(*f->v), cmp_feed);
	if (protect_ranges(rs, f->cfg->protect, f->cfg->nprotect, &f->protect, &f->nprotect))
		plog(PLOG_ERROR, "out of memory listing the protected ranges");
	if (f->rs) {
		resource_set_fini(f->rs);
		free(f->rs);
	}
	f->rs = rs;
	f->status_dirty = true;
}

/* ---- a pull ------------------------------------------------------------------------------ */

/*
 * The value of a header from <secrets_dir>/<name>/<key>: one trailing line break is dropped,
 * others are refused.  0; 1 when the file is missing and the reference optional (the header
 * is left out); -1 with a message in err.
 */
static int header_from_file(struct feeds *f, const struct feed_header *h, char **out, char *err,
			    size_t errsize)
{
	const char *n = h->value_from_name, *k = h->value_from_key;
	char *p = NULL, *v;
	size_t len = 0;

	if (!f->cfg->secrets_dir) {
		snprintf(err, errsize,
			 "header %s: %s needs the controller's feeds.secretsDir (not set)", h->name,
			 h->value_from_kind);
		return -1;
	}
	if (!n || !k || strchr(n, '/') || strchr(k, '/') || n[0] == '.' || k[0] == '.') {
		snprintf(err, errsize, "header %s: %s %s/%s is not a file name", h->name,
			 h->value_from_kind, n ? n : "", k ? k : "");
		return -1;
	}
	if (asprintf(&p, "%s/%s/%s", f->cfg->secrets_dir, n, k) < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	v = read_file(p, SECRET_MAX, &len);
	if (!v) {
		int e = errno;

		if (e == ENOENT && h->value_from_optional) {
			free(p);
			return 1;
		}
		snprintf(err, errsize, "header %s: %s %s/%s: %s: %s", h->name, h->value_from_kind,
			 n, k, p, e == EFBIG ? "larger than 8 KiB" : strerror(e));
		free(p);
		return -1;
	}
	free(p);
	if (len && v[len - 1] == '\n')
		v[--len] = '\0';
	if (len && v[len - 1] == '\r')
		v[--len] = '\0';
	if (strlen(v) != len || strpbrk(v, "\r\n")) {
		snprintf(err, errsize, "header %s: %s %s/%s holds a line break or a NUL byte",
			 h->name, h->value_from_kind, n, k);
		free(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* What a failed pull leaves: the set stays, the retry comes after the backoff. */
static void fail(struct feeds *f, struct feed *fd, int64_t now, int64_t period, enum cond c,
		 const char *msg)
{
	fd->failures++;
	fd->consecutive++;
	fd->next_pull = now + feeds_backoff_ms(f->cfg, fd->consecutive, period);
	set_cond(fd, c, "%s", msg);
	plog(PLOG_WARN, "feed pull failed name=%s failures=%u retry_in_ms=%lld err=\"%s\"",
	     fd->name, fd->consecutive, (long long)(fd->next_pull - now), msg);
}

static void succeed(struct feed *fd, int64_t now, int64_t period)
{
	fd->consecutive = 0;
	fd->next_pull = now + period;
	clear_cond(fd, COND_PULL);
}

/* The status messages of what the last parse refused or could not read. */
static void note_parse(struct feed *fd, const struct feed_result *fr,
		       const struct feed_rails_result *rr)
{
	struct strbuf b;
	char c[CIDR_STRLEN], why[128];

	strbuf_init(&b);
	if (rr && rr->nrefused) {
		strbuf_printf(&b, "%zu entr%s refused by the safety rails:", rr->refused_entries,
			      rr->refused_entries == 1 ? "y" : "ies");
		for (size_t i = 0; i < rr->nrefused && i < LIST_MAX; i++) {
			cidr_format(&rr->refused[i].entry, c, sizeof(c));
			feed_refusal_format(&rr->refused[i], why, sizeof(why));
			strbuf_printf(&b, "%s %s (%s)", i ? ";" : "", c, why);
		}
		if (rr->nrefused > LIST_MAX)
			strbuf_printf(&b, "; and %zu more", rr->nrefused - LIST_MAX);
		set_cond(fd, COND_REFUSED, "%s", b.oom ? "entries refused" : strbuf_str(&b));
	} else {
		clear_cond(fd, COND_REFUSED);
	}
	strbuf_reset(&b);
	if (fr->error_count) {
		strbuf_printf(&b, "%zu line%s did not parse:", fr->error_count,
			      fr->error_count == 1 ? "" : "s");
		for (size_t i = 0; i < fr->nerrors && i < LIST_MAX; i++) {
			if (fr->errors[i].line)
				strbuf_printf(&b, "%s line %zu: %s", i ? ";" : "",
					      fr->errors[i].line, fr->errors[i].msg);
			else
				strbuf_printf(&b, "%s %s", i ? ";" : "", fr->errors[i].msg);
		}
		if (fr->error_count > LIST_MAX)
			strbuf_printf(&b, "; and %zu more", fr->error_count - LIST_MAX);
		set_cond(fd, COND_PARSE, "%s", b.oom ? "lines did not parse" : strbuf_str(&b));
	} else {
		clear_cond(fd, COND_PARSE);
	}
	strbuf_fini(&b);
}

/*
 * One pull of fd at now.  Every outcome is in fd (counts, conditions, schedule) and saved;
 * the set in the datastore changes only on success.
 */
static void pull(struct feeds *f, struct feed *fd, int64_t now)
{
	const struct res_threat_feed *t = &fd->res->u.feed;
	int64_t period = feeds_period_ms(f->cfg, t->period_s);
	struct http_header *hdrs = calloc(t->nheaders + 1, sizeof(*hdrs));
	char **owned = calloc(t->nheaders + 1, sizeof(*owned));
	struct http_fetch_opts o = {
		.url = t->url,
		.ca_file = f->cfg->ca_file,
		.connect_timeout_ms = (long)f->cfg->connect_timeout_ms,
		.timeout_ms = (long)f->cfg->timeout_ms,
		.low_speed_time_s = (long)((f->cfg->low_speed_time_ms + 999) / 1000),
		.max_body = f->cfg->max_body,
		.cancel = &f->stop,
	};
	struct http_result hr;
	struct feed_parse_opts po;
	struct feed_result fr;
	struct feed_rails_opts ro;
	struct feed_rails_result rr;
	char err[512], *text = NULL;
	bool conditional, changed = false;
	double t0 = mono_s(), t_fetch = 0, t_parse = 0, t_write = 0;
	const char *result = NULL; /* set by the outcomes that are not failures */
	int rc;

	http_result_init(&hr);
	feed_result_init(&fr);
	feed_rails_result_init(&rr);
	fd->pulls++;
	fd->last_pull = now;
	fd->sync = false;
	f->status_dirty = true;
	if (!hdrs || !owned) {
		fail(f, fd, now, period, COND_PULL, "out of memory");
		goto out;
	}
	if (strlen(FEEDS_SET_PREFIX) + strlen(fd->name) > 253) {
		/* A name no GlobalNetworkSet can have: the agents would refuse the file. */
		fail(f, fd, now, period, COND_SYNC,
		     "the set's name " FEEDS_SET_PREFIX
		     "<name> would be longer than 253 characters");
		goto out;
	}
	for (size_t i = 0; i < t->nheaders; i++) {
		const struct feed_header *h = &t->headers[i];

		if (h->value) {
			hdrs[o.nheaders++] = (struct http_header){h->name, h->value};
			continue;
		}
		rc = header_from_file(f, h, &owned[i], err, sizeof(err));
		if (rc < 0) {
			fail(f, fd, now, period, COND_PULL, err);
			goto out;
		}
		if (rc == 0)
			hdrs[o.nheaders++] = (struct http_header){h->name, owned[i]};
	}
	o.headers = hdrs;
	/* Validators only for the set in force, from this URL, still in the datastore. */
	conditional = fd->has_set && fd->url && !strcmp(fd->url, t->url) && set_exists(f, fd->name);
	if (conditional) {
		o.etag = fd->etag;
		o.last_modified = fd->last_modified;
	}
	rc = http_fetch(&o, &hr);
	t_fetch = mono_s() - t0;
	if (rc == -ECANCELED)
		goto out; /* stopping: neither a failure nor a success */
	if (rc) {
		fail(f, fd, now, period, COND_PULL, hr.error);
		goto out;
	}
	if (hr.status == 304) {
		if (!conditional) {
			fail(f, fd, now, period, COND_PULL,
			     "HTTP 304 to a request without validators");
			goto out;
		}
		fd->not_modified++;
		fd->last_sync = now;
		succeed(fd, now, period);
		clear_cond(fd, COND_SYNC);
		result = "not-modified";
		goto out;
	}
	feed_parse_opts_from_feed(&po, t);
	rc = feed_parse(hr.body, hr.len, &po, &fr);
	if (rc == -ENOMEM) {
		fail(f, fd, now, period, COND_PULL, "out of memory while parsing");
		goto out;
	}
	if (rc) {
		const struct feed_error *e = fr.nerrors ? &fr.errors[0] : NULL;

		if (e && e->line)
			snprintf(err, sizeof(err), "body refused: line %zu: %s", e->line, e->msg);
		else
			snprintf(err, sizeof(err), "body refused: %s", e ? e->msg : "unusable");
		fail(f, fd, now, period, COND_PULL, err);
		goto out;
	}
	/* Malformed: more lines failed than parsed (garbage, an HTML error page with 200). */
	if (fr.error_count > fr.n) {
		const struct feed_error *e = fr.nerrors ? &fr.errors[0] : NULL;

		snprintf(err, sizeof(err),
			 "malformed: %zu line%s did not parse and %zu entr%s did (line %zu: %s)",
			 fr.error_count, fr.error_count == 1 ? "" : "s", fr.n,
			 fr.n == 1 ? "y" : "ies", e ? e->line : 0, e ? e->msg : "?");
		fail(f, fd, now, period, COND_PULL, err);
		goto out;
	}
	feed_rails_opts_init(&ro);
	ro.max_prefix_v4 = f->cfg->max_prefix_v4;
	ro.max_prefix_v6 = f->cfg->max_prefix_v6;
	ro.allow_broad = f->cfg->allow_broad;
	ro.allow_protected = f->cfg->allow_protected;
	ro.protect = f->protect;
	ro.nprotect = f->nprotect;
	if (feed_rails_apply(fr.v, fr.n, &ro, &rr)) {
		fail(f, fd, now, period, COND_PULL, "out of memory in the safety rails");
		goto out;
	}
	fd->entries = fr.n;
	fd->parse_errors = fr.error_count;
	fd->host_bits = fr.host_bits;
	fd->refused = rr.refused_entries;
	note_parse(fd, &fr, &rr);
	text = feeds_gns_text(fd->name, &t->gns_labels, rr.accepted, rr.naccepted);
	t_parse = mono_s() - t0 - t_fetch;
	if (!text) {
		fail(f, fd, now, period, COND_PULL, "out of memory for the set");
		goto out;
	}
	if (feed_shrink_check(fd->has_set ? fd->accepted_entries : 0, rr.accepted_entries,
			      f->cfg->shrink_fraction) == FEED_SHRINK_HOLD) {
		char *name = NULL;

		if (asprintf(&name, "%s" HELD_SUFFIX, fd->name) < 0) {
			name = NULL;
			rc = -ENOMEM;
		} else {
			rc = datastore_write(f->dir, name, text, strlen(text));
		}
		free(name);
		if (rc) {
			snprintf(err, sizeof(err), "cannot keep the held set in %s: %s", f->dir,
				 strerror(-rc));
			clear_cond(fd, COND_PULL);
			fail(f, fd, now, period, COND_SYNC, err);
			goto out;
		}
		/* The validators are the held body's: while it is held, an unchanged feed is a
		 * 304 and stays held. */
		set_str(&fd->url, t->url);
		set_str(&fd->etag, hr.etag);
		set_str(&fd->last_modified, hr.last_modified);
		fd->held = true;
		fd->held_entries = rr.accepted_entries;
		fd->holds++;
		set_cond(fd, COND_HELD,
			 "pull held: %zu entr%s where %zu are in force, a shrink of more than "
			 "%.0f%%; `palisade feed confirm %s` applies it",
			 rr.accepted_entries, rr.accepted_entries == 1 ? "y" : "ies",
			 fd->accepted_entries, f->cfg->shrink_fraction * 100, fd->name);
		succeed(fd, now, period);
		result = "held";
		goto out;
	}
	rc = write_set(f, fd->name, text, &changed);
	t_write = mono_s() - t0 - t_fetch - t_parse;
	if (rc) {
		snprintf(err, sizeof(err), "cannot write %s%s to %s: %s", FEEDS_SET_PREFIX,
			 fd->name, f->ds, strerror(-rc));
		clear_cond(fd, COND_PULL);
		fail(f, fd, now, period, COND_SYNC, err);
		goto out;
	}
	clear_cond(fd, COND_SYNC);
	/* Only now: validators of a set that was not written would make the next pull a 304. */
	set_str(&fd->url, t->url);
	set_str(&fd->etag, hr.etag);
	set_str(&fd->last_modified, hr.last_modified);
	if (fd->held) {
		/* A pull that may apply replaces whatever was held. */
		unlink3(f->dir, fd->name, HELD_SUFFIX);
		fd->held = false;
		fd->held_entries = 0;
		clear_cond(fd, COND_HELD);
	}
	fd->has_set = true;
	fd->accepted_entries = rr.accepted_entries;
	fd->accepted = rr.naccepted;
	fd->last_sync = now;
	fd->updates += changed;
	result = changed ? "updated" : "unchanged";
	succeed(fd, now, period);
out:
	if (result)
		plog(PLOG_INFO,
		     "feed pulled name=%s result=%s status=%ld bytes=%zu entries=%zu "
		     "accepted=%zu prefixes=%zu refused=%zu errors=%zu held=%zu ms=%.1f "
		     "fetch_ms=%.1f parse_ms=%.1f write_ms=%.1f",
		     fd->name, result, hr.status, hr.len, fd->entries, fd->accepted_entries,
		     fd->accepted, fd->refused, fd->parse_errors, fd->held ? fd->held_entries : 0,
		     (mono_s() - t0) * 1e3, t_fetch * 1e3, t_parse * 1e3, t_write * 1e3);
	state_save(f, fd);
	for (size_t i = 0; owned && i < t->nheaders; i++)
		free(owned[i]);
	free(owned);
	free(hdrs);
	free(text);
	http_result_fini(&hr);
	feed_result_fini(&fr);
	feed_rails_result_fini(&rr);
}

/* ---- requests: confirmations and syncs ---------------------------------------------------- */

/* Applies the held set of fd (a `palisade feed confirm`). */
static void confirm(struct feeds *f, struct feed *fd, int64_t now)
{
	char *p = path2(f->dir, fd->name, HELD_SUFFIX), *text = p ? read_file(p, 0, NULL) : NULL;
	bool changed;
	int rc;

	unlink3(f->dir, fd->name, CONFIRM_SUFFIX);
	if (!enabled(fd) || !fd->held || !text) {
		plog(PLOG_WARN, "feed confirm: nothing held name=%s", fd->name);
		free(p);
		free(text);
		return;
	}
	rc = write_set(f, fd->name, text, &changed);
	if (rc) {
		set_cond(fd, COND_SYNC, "cannot write the confirmed set to %s: %s", f->ds,
			 strerror(-rc));
	} else {
		plog(PLOG_INFO, "feed confirmed: the held pull is applied name=%s entries=%zu",
		     fd->name, fd->held_entries);
		unlink(p);
		fd->has_set = true;
		fd->accepted_entries = fd->held_entries;
		fd->held = false;
		fd->held_entries = 0;
		fd->last_sync = now;
		fd->updates += changed;
		clear_cond(fd, COND_HELD);
		clear_cond(fd, COND_SYNC);
	}
	f->status_dirty = true;
	state_save(f, fd);
	free(p);
	free(text);
}

/*
 * Markers left by `palisade feed confirm|sync NAME`, and SIGUSR1: a signal with sync markers
 * pulls the marked feeds, one without pulls them all.  A marker found without a signal (the
 * controller was not told) counts as well.
 */
static void requests(struct feeds *f, int64_t now)
{
	bool all = atomic_exchange(&f->sync_all, false), marked = false;

	for (size_t i = 0; i < f->n; i++) {
		struct feed *fd = f->v[i];

		if (exists3(f->dir, fd->name, CONFIRM_SUFFIX))
			confirm(f, fd, now);
		if (exists3(f->dir, fd->name, SYNC_SUFFIX)) {
			unlink3(f->dir, fd->name, SYNC_SUFFIX);
			fd->sync = marked = true;
		}
	}
	for (size_t i = 0; all && !marked && i < f->n; i++)
		f->v[i]->sync = true;
}

/* ---- the status -------------------------------------------------------------------------- */

static json_t *time_json(int64_t ms)
{
	char buf[40];

	if (!ms)
		return json_null();
	rfc3339(ms, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *feed_status(struct feeds *f, const struct feed *fd)
{
	const struct res_threat_feed *t = &fd->res->u.feed;
	json_t *o = json_object(), *errs = json_array();
	char set[300];

	for (int i = 0; i < COND_COUNT; i++)
		if (fd->cond[i])
			json_array_append_new(errs, json_pack("{s:s,s:s}", "type", cond_type[i],
							      "message", fd->cond[i]));
	snprintf(set, sizeof(set), FEEDS_SET_PREFIX "%s", fd->name);
	json_object_set_new(o, "lastSuccessfulSync", time_json(fd->last_sync));
	json_object_set_new(o, "errorConditions", errs);
	json_object_set_new(o, "mode", json_string(t->mode));
	json_object_set_new(o, "url", t->url ? json_string(t->url) : json_null());
	json_object_set_new(o, "globalNetworkSet", fd->has_set ? json_string(set) : json_null());
	json_object_set_new(o, "periodSeconds",
			    json_integer(feeds_period_ms(f->cfg, t->period_s) / 1000));
	json_object_set_new(o, "lastPull", time_json(fd->last_pull));
	json_object_set_new(o, "nextPull", time_json(enabled(fd) ? fd->next_pull : 0));
	json_object_set_new(o, "entries", json_integer((json_int_t)fd->entries));
	json_object_set_new(o, "acceptedEntries", json_integer((json_int_t)fd->accepted_entries));
	json_object_set_new(o, "prefixes", json_integer((json_int_t)fd->accepted));
	json_object_set_new(o, "refused", json_integer((json_int_t)fd->refused));
	json_object_set_new(o, "parseErrors", json_integer((json_int_t)fd->parse_errors));
	json_object_set_new(o, "hostBits", json_integer((json_int_t)fd->host_bits));
	json_object_set_new(o, "pulls", json_integer((json_int_t)fd->pulls));
	json_object_set_new(o, "failures", json_integer((json_int_t)fd->failures));
	json_object_set_new(o, "consecutiveFailures", json_integer(fd->consecutive));
	json_object_set_new(o, "notModified", json_integer((json_int_t)fd->not_modified));
	json_object_set_new(o, "updates", json_integer((json_int_t)fd->updates));
	json_object_set_new(o, "holds", json_integer((json_int_t)fd->holds));
	json_object_set_new(o, "heldEntries",
			    fd->held ? json_integer((json_int_t)fd->held_entries) : json_null());
	return o;
}

/* <state>/feeds.json: every feed of the datastore, by name. */
static void write_status(struct feeds *f)
{
	json_t *o = json_object();
	char *text;

	for (size_t i = 0; o && i < f->n; i++)
		if (f->v[i]->res)
			json_object_set_new(o, f->v[i]->name, feed_status(f, f->v[i]));
	text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text || datastore_write(f->state, FEEDS_STATUS_FILE, text, strlen(text)))
		plog(PLOG_WARN, "cannot write %s/%s", f->state, FEEDS_STATUS_FILE);
	else
		f->status_dirty = false;
	free(text);
	json_decref(o);
}

/* ---- rounds and the thread --------------------------------------------------------------- */

/*
 * (Re)watches the datastore directory: a change there means a reload, but for temporary files
 * and GlobalNetworkSet files (named as `palisade apply` names them).  Network sets do not
 * change what a feed pulls or protects, and they are what changes most: the feeds' own sets,
 * the responder's quarantine set.
 */
static void watch(struct feeds *f)
{
	if (f->ino >= 0)
		return;
	f->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ino < 0)
		return;
	if (inotify_add_watch(f->ino, f->ds,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
				      IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(f->ino);
		f->ino = -1;
		return;
	}
	f->ds_dirty = true; /* what happened before the watch is unknown */
}

static void drain_inotify(struct feeds *f)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	static const char sets[] = "GlobalNetworkSet_-_";
	ssize_t n;

	while (f->ino >= 0 && (n = read(f->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				f->ds_dirty = true;
			else if (e->len && e->name[0] != '.' &&
				 strncmp(e->name, sets, sizeof(sets) - 1))
				f->ds_dirty = true;
			if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
				close(f->ino);
				f->ino = -1;
				break;
			}
			p += sizeof(*e) + e->len;
		}
	}
}

/* One round; *due is when the next feed is due (INT64_MAX: none). */
static int round_at(struct feeds *f, int64_t now, int64_t *due)
{
	int pulls = 0;

	watch(f);
	drain_inotify(f);
	if (f->ds_dirty)
		reload(f, now);
	requests(f, now);
	*due = INT64_MAX;
	for (size_t i = 0; i < f->n && !atomic_load(&f->stop); i++) {
		struct feed *fd = f->v[i];

		if (!enabled(fd))
			continue;
		if (fd->sync || fd->next_pull <= now) {
			pull(f, fd, f->threaded ? wall_ms() : now);
			pulls++;
			write_status(f);
		}
		if (fd->next_pull < *due)
			*due = fd->next_pull;
	}
	if (f->status_dirty)
		write_status(f);
	return pulls;
}

int feeds_run_once(struct feeds *f, int64_t now_ms)
{
	int64_t due;

	return round_at(f, now_ms, &due);
}

static void *thread_main(void *arg)
{
	struct feeds *f = arg;

	while (!atomic_load(&f->stop)) {
		int64_t now = wall_ms(), due;
		struct pollfd p[2] = {{.fd = f->wake, .events = POLLIN},
				      {.fd = f->ino, .events = POLLIN}};
		uint64_t v;
		int wait;

		round_at(f, now, &due);
		now = wall_ms();
		wait = due <= now ? 0 : due - now > WAIT_MAX_MS ? WAIT_MAX_MS : (int)(due - now);
		if (poll(p, f->ino >= 0 ? 2 : 1, wait) > 0 && (p[0].revents & POLLIN) &&
		    read(f->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
			plog(PLOG_WARN, "feeds: wake-up read failed err=%s", strerror(errno));
	}
	return NULL;
}

struct feeds *feeds_new(const struct feeds_config *cfg, const char *ds, const char *state)
{
	struct feeds *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cfg = cfg;
	f->ds = ds;
	f->state = state;
	f->ino = -1;
	f->ds_dirty = true;
	f->status_dirty = true;
	atomic_init(&f->stop, false);
	atomic_init(&f->sync_all, false);
	f->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->wake < 0 || asprintf(&f->dir, "%s/" FEEDS_STATE_DIR, state) < 0 ||
	    (mkdir(state, 0755) && errno != EEXIST) || (mkdir(f->dir, 0755) && errno != EEXIST) ||
	    http_fetch_global_init()) {
		int e = errno ? errno : EIO;

		feeds_free(f);
		errno = e;
		return NULL;
	}
	load_known(f);
	return f;
}

int feeds_start(struct feeds *f)
{
	int rc;

	f->threaded = true;
	rc = pthread_create(&f->thread, NULL, thread_main, f);
	if (rc)
		return -rc;
	f->running = true;
	return 0;
}

void feeds_sync_now(struct feeds *f)
{
	uint64_t one = 1;

	if (!f)
		return;
	atomic_store(&f->sync_all, true);
	if (write(f->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		plog(PLOG_WARN, "feeds: cannot wake the puller err=%s", strerror(errno));
}

void feeds_free(struct feeds *f)
{
	uint64_t one = 1;

	if (!f)
		return;
	if (f->running) {
		atomic_store(&f->stop, true);
		if (write(f->wake, &one, sizeof(one)) < 0)
			plog(PLOG_WARN, "feeds: cannot wake the puller err=%s", strerror(errno));
		pthread_join(f->thread, NULL);
	}
	for (size_t i = 0; i < f->n; i++)
		feed_free(f->v[i]);
	free(f->v);
	if (f->rs) {
		resource_set_fini(f->rs);
		free(f->rs);
	}
	free(f->protect);
	free(f->dir);
	if (f->ino >= 0)
		close(f->ino);
	if (f->wake >= 0)
		close(f->wake);
	free(f);
}
