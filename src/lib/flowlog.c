/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/flowlog.h"

#include "lib/cidr.h"
#include "lib/jsonr.h"
#include "lib/jsonw.h"
#include "lib/strbuf.h"
#include "lib/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- printing -------------------------------------------------------------------------- */

/*
 * The printer writes the line directly rather than through a jansson tree: it runs once per
 * record at every flush, and building and dumping a tree costs about ten times as much.  The
 * strings go through jsonw_str(), which escapes as jansson's compact dump does (the unit tests
 * check it against jansson itself); they are checked to be valid UTF-8 first, so that it
 * never has to repair one.  The parser reads the result back with jansson.
 */

static void put_list(struct strbuf *b, const char *inner, const char *const *v, size_t n)
{
	strbuf_puts(b, "{\"");
	strbuf_puts(b, inner);
	strbuf_puts(b, "\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_putc(b, ',');
		jsonw_str(b, v[i]);
	}
	strbuf_puts(b, "]}");
}

static void put_side(struct strbuf *b, const char *pfx, const struct flowlog_side *s)
{
	jsonw_key(b, pfx, "_ip");
	jsonw_str_or_null(b, s->ip);
	jsonw_key_str(b, pfx, "_name", s->name);
	jsonw_key_str(b, pfx, "_name_aggr", s->name_aggr);
	jsonw_key_str(b, pfx, "_namespace", s->ns);
	jsonw_key(b, pfx, "_port");
	jsonw_int_or_null(b, s->port);
	jsonw_key_str(b, pfx, "_type", s->type);
	jsonw_key(b, pfx, "_labels");
	put_list(b, "labels", s->labels, s->nlabels);
}

static bool side_valid(const struct flowlog_side *s)
{
	if (!utf8_valid(s->ip) || !utf8_valid(s->name) || !utf8_valid(s->name_aggr) ||
	    !utf8_valid(s->ns) || !utf8_valid(s->type) || s->nlabels > FLOWLOG_MAX_LABELS)
		return false;
	for (size_t i = 0; i < s->nlabels; i++)
		if (!s->labels[i] || !utf8_valid(s->labels[i]))
			return false;
	return true;
}

static bool rec_valid(const struct flowlog_rec *r)
{
	if (!side_valid(&r->src) || !side_valid(&r->dst) || !utf8_valid(r->proto) ||
	    !utf8_valid(r->action) || !utf8_valid(r->reporter) || !utf8_valid(r->host) ||
	    r->npolicies > FLOWLOG_MAX_POLICIES)
		return false;
	for (size_t i = 0; i < r->npolicies; i++)
		if (!r->policies[i] || !utf8_valid(r->policies[i]))
			return false;
	return true;
}

/* Counters beyond INT64_MAX print as INT64_MAX: JSON readers (jansson here) hold int64. */
static uint64_t clamp(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v;
}

int flowlog_print(const struct flowlog_rec *rec, struct strbuf *out)
{
	if (!rec_valid(rec))
		return -EINVAL;
	strbuf_printf(out, "{\"start_time\":%" PRIu64 ",\"end_time\":%" PRIu64,
		      clamp(rec->start_time), clamp(rec->end_time));
	put_side(out, "source", &rec->src);
	put_side(out, "dest", &rec->dst);
	jsonw_key_str(out, "proto", "", rec->proto);
	jsonw_key_str(out, "action", "", rec->action);
	jsonw_key_str(out, "reporter", "", rec->reporter);
	jsonw_key(out, "policies", "");
	put_list(out, "all_policies", rec->policies, rec->npolicies);
	strbuf_printf(out,
		      ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"packets_in\":%" PRIu64
		      ",\"packets_out\":%" PRIu64 ",\"num_flows\":%" PRIu64
		      ",\"num_flows_started\":%" PRIu64 ",\"num_flows_completed\":%" PRIu64
		      ",\"num_flows_unanswered\":%" PRIu64,
		      clamp(rec->bytes_in), clamp(rec->bytes_out), clamp(rec->packets_in),
		      clamp(rec->packets_out), clamp(rec->num_flows), clamp(rec->num_flows_started),
		      clamp(rec->num_flows_completed), clamp(rec->num_flows_unanswered));
	jsonw_key_str(out, "host", "", rec->host);
	strbuf_puts(out, "}\n");
	return out->oom ? -ENOMEM : 0;
}

/* ---- parsing --------------------------------------------------------------------------- */

/* A parse (its first error) and the object being read. */
struct pctx {
	struct jsonr r;
	json_t *root;
};

/* The value of key, or NULL after reporting it missing (optional keys use json_object_get). */
static json_t *need(struct pctx *p, const char *key)
{
	json_t *v = json_object_get(p->root, key);

	jsonr_field(&p->r, "", key);
	if (!v)
		jsonr_fail(&p->r, "missing");
	return v;
}

static void get_u64(struct pctx *p, const char *key, uint64_t *out)
{
	json_t *v = need(p, key);

	if (!v)
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		jsonr_fail(&p->r, "expected a non-negative integer");
		return;
	}
	*out = (uint64_t)json_integer_value(v);
}

/* A string that fits size (with its NUL) and holds no NUL byte. */
static const char *str_value(struct pctx *p, json_t *v, size_t size)
{
	const char *s = jsonr_str(&p->r, v, "a string");

	if (s && json_string_length(v) >= size) {
		jsonr_fail(&p->r, "longer than %zu bytes", size - 1);
		return NULL;
	}
	return s;
}

static void get_str(struct pctx *p, const char *key, char *buf, size_t size, bool nonempty)
{
	json_t *v = need(p, key);
	const char *s;

	if (!v || !(s = str_value(p, v, size)))
		return;
	if (nonempty && !s[0]) {
		jsonr_fail(&p->r, "must not be empty");
		return;
	}
	memcpy(buf, s, strlen(s) + 1);
}

/* One of the NULL-terminated choices. */
static void get_enum(struct pctx *p, const char *key, char *buf, size_t size,
		     const char *const *choices, const char *what)
{
	json_t *v = need(p, key);
	const char *s;

	if (!v)
		return;
	s = json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)
		    ? json_string_value(v)
		    : NULL;
	for (size_t i = 0; s && choices[i]; i++) {
		if (!strcmp(s, choices[i]) && strlen(s) < size) {
			memcpy(buf, s, strlen(s) + 1);
			return;
		}
	}
	jsonr_fail(&p->r, "expected one of %s", what);
}

static void get_ip(struct pctx *p, const char *key, char *buf, size_t size)
{
	json_t *v = need(p, key);
	struct ipaddr a;
	const char *s;

	if (!v)
		return;
	buf[0] = '\0';
	if (json_is_null(v))
		return;
	s = json_is_string(v) ? json_string_value(v) : NULL;
	if (!s || ipaddr_parse(s, &a) || ipaddr_format(&a, buf, size) < 0) {
		buf[0] = '\0';
		jsonr_fail(&p->r, "expected an IP address or null");
	}
}

static void get_port(struct pctx *p, const char *key, int *out)
{
	json_t *v = need(p, key);

	if (v)
		jsonr_port(&p->r, v, out);
}

/*
 * A list of strings held as {"<inner>": [...]} (or null: none).  The strings are only
 * checked and collected here (borrowed from the tree); flowlog_parse copies them into the
 * record's storage once all are known.  *total grows by the bytes they need.
 */
static void get_list(struct pctx *p, const char *key, const char *inner, size_t max,
		     bool (*valid)(const char *), const char *shape, json_t **items, size_t *n,
		     size_t *total)
{
	json_t *v = need(p, key), *a;

	*n = 0;
	if (!v || json_is_null(v))
		return;
	a = json_is_object(v) ? json_object_get(v, inner) : NULL;
	if (!json_is_object(v) || !a) {
		jsonr_fail(&p->r, "expected {\"%s\":[...]} or null", inner);
		return;
	}
	if (json_is_null(a))
		return;
	if (!json_is_array(a)) {
		jsonr_fail(&p->r, "%s: expected an array of strings", inner);
		return;
	}
	if (json_array_size(a) > max) {
		jsonr_fail(&p->r, "%s: more than %zu entries", inner, max);
		return;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *s = json_array_get(a, i);

		if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s) ||
		    !valid(json_string_value(s))) {
			jsonr_fail(&p->r, "%s[%zu]: expected %s", inner, i, shape);
			return;
		}
		items[i] = s;
		*total += json_string_length(s) + 1;
	}
	*n = json_array_size(a);
}

static bool valid_label(const char *s)
{
	return s[0] != '=' && strchr(s, '=') != NULL;
}

/* "-1" or a decimal without sign and leading zeros, of at most 9 digits. */
static bool valid_int(const char *s, size_t n, bool minus_one)
{
	if (minus_one && n == 2 && !memcmp(s, "-1", 2))
		return true;
	if (!n || n > 9 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "<idx>|<tier>|<policy>|<action>|<rule>" with the action in lower case. */
static bool valid_policy(const char *s)
{
	static const char *const actions[] = {"allow", "deny", "pass", "log"};
	const char *f[5];
	size_t len[5], k = 0;
	bool ok = false;

	f[0] = s;
	for (const char *c = s;; c++) {
		if (*c == '|' || !*c) {
			if (k == 5)
				return false;
			len[k] = (size_t)(c - f[k]);
			k++;
			if (!*c)
				break;
			if (k < 5)
				f[k] = c + 1;
			else
				return false;
		}
	}
	if (k != 5 || !valid_int(f[0], len[0], false) || !len[1] || !len[2] ||
	    !valid_int(f[4], len[4], true))
		return false;
	for (size_t i = 0; i < 4; i++)
		ok = ok || (len[3] == strlen(actions[i]) && !memcmp(f[3], actions[i], len[3]));
	return ok;
}

static const char *const types[] = {"wep", "hep", "ns", "net", NULL};

static void get_side(struct pctx *p, const char *pfx, struct flowlog_side *s, json_t **labels,
		     size_t *total)
{
	char key[32];

#define SIDE_KEY(k) (snprintf(key, sizeof(key), "%s_%s", pfx, k), key)
	get_ip(p, SIDE_KEY("ip"), s->ip, sizeof(s->ip));
	get_str(p, SIDE_KEY("name"), s->name, sizeof(s->name), true);
	get_str(p, SIDE_KEY("name_aggr"), s->name_aggr, sizeof(s->name_aggr), true);
	get_str(p, SIDE_KEY("namespace"), s->ns, sizeof(s->ns), true);
	get_port(p, SIDE_KEY("port"), &s->port);
	get_enum(p, SIDE_KEY("type"), s->type, sizeof(s->type), types, "wep, hep, ns, net");
	get_list(p, SIDE_KEY("labels"), "labels", FLOWLOG_MAX_LABELS, valid_label,
		 "a \"key=value\" string", labels, &s->nlabels, total);
#undef SIDE_KEY
}

static char *copy_list(char *dst, const char **out, json_t **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = json_string_length(items[i]);

		memcpy(dst, json_string_value(items[i]), len + 1);
		out[i] = dst;
		dst += len + 1;
	}
	return dst;
}

int flowlog_parse(const char *line, size_t len, struct flowlog_rec *rec, char *err, size_t errsize)
{
	static const char *const actions[] = {"allow", "deny", NULL};
	static const char *const reporters[] = {"src", "dst", NULL};
	json_t *src_labels[FLOWLOG_MAX_LABELS], *dst_labels[FLOWLOG_MAX_LABELS];
	json_t *policies[FLOWLOG_MAX_POLICIES], *v;
	struct pctx p;
	size_t total = 0;
	char *dst;

	memset(rec, 0, sizeof(*rec));
	jsonr_init(&p.r, err, errsize);
	p.root = jsonr_load(&p.r, line, len);
	if (!p.root)
		return p.r.rc;
	get_u64(&p, "start_time", &rec->start_time);
	get_u64(&p, "end_time", &rec->end_time);
	if (!p.r.rc && rec->end_time < rec->start_time)
		jsonr_fail(&p.r, "before start_time");
	get_side(&p, "source", &rec->src, src_labels, &total);
	get_side(&p, "dest", &rec->dst, dst_labels, &total);
	get_str(&p, "proto", rec->proto, sizeof(rec->proto), true);
	get_enum(&p, "action", rec->action, sizeof(rec->action), actions, "allow, deny");
	get_enum(&p, "reporter", rec->reporter, sizeof(rec->reporter), reporters, "src, dst");
	get_list(&p, "policies", "all_policies", FLOWLOG_MAX_POLICIES, valid_policy,
		 "\"<idx>|<tier>|<policy>|<action>|<rule>\"", policies, &rec->npolicies, &total);
	get_u64(&p, "bytes_in", &rec->bytes_in);
	get_u64(&p, "bytes_out", &rec->bytes_out);
	get_u64(&p, "packets_in", &rec->packets_in);
	get_u64(&p, "packets_out", &rec->packets_out);
	get_u64(&p, "num_flows", &rec->num_flows);
	get_u64(&p, "num_flows_started", &rec->num_flows_started);
	get_u64(&p, "num_flows_completed", &rec->num_flows_completed);
	v = json_object_get(p.root, "num_flows_unanswered");
	if (v && !json_is_null(v))
		get_u64(&p, "num_flows_unanswered", &rec->num_flows_unanswered);
	get_str(&p, "host", rec->host, sizeof(rec->host), true);
	if (p.r.rc)
		goto out;
	rec->storage = malloc(total ? total : 1);
	if (!rec->storage) {
		jsonr_field(&p.r, "", "");
		jsonr_fail(&p.r, "out of memory");
		p.r.rc = -ENOMEM;
		goto out;
	}
	dst = copy_list(rec->storage, rec->src.labels, src_labels, rec->src.nlabels);
	dst = copy_list(dst, rec->dst.labels, dst_labels, rec->dst.nlabels);
	copy_list(dst, rec->policies, policies, rec->npolicies);
out:
	json_decref(p.root);
	if (p.r.rc) {
		free(rec->storage);
		memset(rec, 0, sizeof(*rec));
	}
	return p.r.rc;
}

void flowlog_rec_fini(struct flowlog_rec *rec)
{
	free(rec->storage);
	rec->storage = NULL;
	rec->src.nlabels = rec->dst.nlabels = rec->npolicies = 0;
}
