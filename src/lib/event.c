/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/event.h"

#include "lib/cidr.h"
#include "lib/jsonr.h"
#include "lib/jsonw.h"
#include "lib/strbuf.h"
#include "lib/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A fixed-size string field holds its NUL. */
#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

/* record's own members, printed before the extras; an extra may not reuse them. */
static const char *const record_keys[] = {"actual", "typical", "threshold", "window_start",
					  "window_end"};

void event_init(struct sec_event *e)
{
	memset(e, 0, sizeof(*e));
	e->src.port = -1;
	e->dst.port = -1;
}

/* ---- building ------------------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

void event_set_id(struct sec_event *e, const char *key)
{
	char win[48];
	uint64_t h = 0xcbf29ce484222325ull;

	snprintf(win, sizeof(win), "|%" PRIu64 "|%" PRIu64, e->window_start, e->window_end);
	h = fnv1a(h, e->type);
	h = fnv1a(h, "|");
	h = fnv1a(h, e->origin);
	h = fnv1a(h, "|");
	h = fnv1a(h, key ? key : "");
	h = fnv1a(h, win);
	snprintf(e->id, sizeof(e->id), "%016" PRIx64, h);
}

/* Is key usable for a new extra of e (or, with skip set, for extra number skip)? */
static bool extra_key_ok(const struct sec_event *e, const char *key, size_t nextra, size_t skip)
{
	size_t len = strnlen(key, sizeof(e->extra[0].key));

	/* Not repaired by the printer: two keys repaired alike would be duplicates. */
	if (!len || len >= sizeof(e->extra[0].key) || !utf8_valid(key))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(record_keys); i++)
		if (!strcmp(key, record_keys[i]))
			return false;
	for (size_t i = 0; i < nextra; i++)
		if (i != skip && !strcmp(key, e->extra[i].key))
			return false;
	return true;
}

static struct event_field *add_extra(struct sec_event *e, const char *key)
{
	struct event_field *f;

	if (e->nextra >= EVENT_MAX_EXTRA || !extra_key_ok(e, key, e->nextra, SIZE_MAX))
		return NULL;
	f = &e->extra[e->nextra++];
	memset(f, 0, sizeof(*f));
	memcpy(f->key, key, strlen(key) + 1);
	return f;
}

bool event_add_num(struct sec_event *e, const char *key, double v)
{
	struct event_field *f = add_extra(e, key);

	if (!f)
		return false;
	f->is_num = true;
	f->num = v;
	return true;
}

bool event_add_str(struct sec_event *e, const char *key, const char *v)
{
	struct event_field *f = add_extra(e, key);

	if (!f)
		return false;
	utf8_copy(f->str, sizeof(f->str), v);
	return true;
}

void event_describe(struct sec_event *e, const char *fmt, ...)
{
	char buf[sizeof(e->description) + 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* buf holds a few bytes more than the field, so a character cut by vsnprintf at the end
	 * of buf lies beyond the field's end and utf8_copy leaves it out whole. */
	utf8_copy(e->description, sizeof(e->description), buf);
}

/* ---- printing ------------------------------------------------------------------------- */

/*
 * Like flowlog_print(), the printer writes the line itself rather than building a jansson
 * tree; the strings go through jsonw_str(), which escapes as jansson does, and the parser
 * reads the result back with jansson.
 */

static bool id_valid(const char *id)
{
	for (size_t i = 0; i < 16; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[16] == '\0';
}

/* The canonical text of ip into buf; "" stays "".  false when ip does not parse. */
static bool canon_ip(const char *ip, char *buf, size_t size)
{
	struct ipaddr a;

	buf[0] = '\0';
	return !ip[0] || (ipaddr_parse(ip, &a) == 0 && ipaddr_format(&a, buf, size) >= 0);
}

static bool side_ok(const struct event_side *s)
{
	char ip[IPADDR_STRLEN];

	return TERMINATED(s->ip) && TERMINATED(s->name) && TERMINATED(s->name_aggr) &&
	       TERMINATED(s->ns) && canon_ip(s->ip, ip, sizeof(ip));
}

static bool event_ok(const struct sec_event *e)
{
	if (!id_valid(e->id) || !TERMINATED(e->type) || !TERMINATED(e->origin) || !e->type[0] ||
	    !e->origin[0] || !TERMINATED(e->description) || !TERMINATED(e->host) ||
	    !side_ok(&e->src) || !side_ok(&e->dst) || !TERMINATED(e->mitre_tactic) ||
	    !TERMINATED(e->attack_vector) || e->nextra > EVENT_MAX_EXTRA ||
	    e->nmitre > EVENT_MAX_MITRE || e->nmitigations > EVENT_MAX_MITIGATIONS)
		return false;
	for (size_t i = 0; i < e->nextra; i++)
		if (!TERMINATED(e->extra[i].key) || !extra_key_ok(e, e->extra[i].key, i, i) ||
		    (!e->extra[i].is_num && !TERMINATED(e->extra[i].str)))
			return false;
	for (size_t i = 0; i < e->nmitre; i++)
		if (!TERMINATED(e->mitre_ids[i]))
			return false;
	for (size_t i = 0; i < e->nmitigations; i++)
		if (!TERMINATED(e->mitigations[i]))
			return false;
	return true;
}

static uint64_t clamp(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v;
}

/* A member holding a name, "-" when there is none. */
static void put_name(struct strbuf *b, const char *pfx, const char *key, const char *s)
{
	jsonw_key_str(b, pfx, key, s[0] ? s : "-");
}

static void put_side(struct strbuf *b, const char *pfx, const struct event_side *s)
{
	char ip[IPADDR_STRLEN];

	jsonw_key(b, pfx, "_ip");
	canon_ip(s->ip, ip, sizeof(ip));
	jsonw_str_or_null(b, ip);
	jsonw_key(b, pfx, "_port");
	jsonw_int_or_null(b, s->port <= 65535 ? s->port : -1);
	put_name(b, pfx, "_namespace", s->ns);
	put_name(b, pfx, "_name", s->name);
	put_name(b, pfx, "_name_aggr", s->name_aggr);
}

static void put_strings(struct strbuf *b, const char *key, const char *v, size_t stride, size_t n)
{
	jsonw_key(b, key, "");
	strbuf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_putc(b, ',');
		jsonw_str(b, v + i * stride);
	}
	strbuf_putc(b, ']');
}

int event_print(const struct sec_event *e, struct strbuf *out)
{
	int sev = e->severity < 0 ? 0 : e->severity > 100 ? 100 : e->severity;

	if (!event_ok(e))
		return -EINVAL;
	strbuf_puts(out, "{\"id\":");
	jsonw_str(out, e->id);
	strbuf_printf(out, ",\"time\":%" PRIu64, clamp(e->time));
	jsonw_key_str(out, "type", "", e->type);
	jsonw_key_str(out, "origin", "", e->origin);
	strbuf_printf(out, ",\"severity\":%d", sev);
	jsonw_key_str(out, "description", "", e->description);
	put_side(out, "source", &e->src);
	put_side(out, "dest", &e->dst);
	put_name(out, "host", "", e->host);
	strbuf_puts(out, ",\"record\":{\"actual\":");
	jsonw_num(out, e->actual);
	strbuf_puts(out, ",\"typical\":");
	jsonw_num(out, e->has_typical ? e->typical : NAN);
	strbuf_puts(out, ",\"threshold\":");
	jsonw_num(out, e->has_threshold ? e->threshold : NAN);
	strbuf_printf(out, ",\"window_start\":%" PRIu64 ",\"window_end\":%" PRIu64,
		      clamp(e->window_start), clamp(e->window_end));
	for (size_t i = 0; i < e->nextra; i++) {
		strbuf_putc(out, ',');
		jsonw_str(out, e->extra[i].key);
		strbuf_putc(out, ':');
		if (e->extra[i].is_num)
			jsonw_num(out, e->extra[i].num);
		else
			jsonw_str(out, e->extra[i].str);
	}
	strbuf_putc(out, '}');
	if (e->nmitre)
		put_strings(out, "mitre_ids", e->mitre_ids[0], sizeof(e->mitre_ids[0]), e->nmitre);
	if (e->mitre_tactic[0])
		jsonw_key_str(out, "mitre_tactic", "", e->mitre_tactic);
	if (e->attack_vector[0])
		jsonw_key_str(out, "attack_vector", "", e->attack_vector);
	if (e->nmitigations)
		put_strings(out, "mitigations", e->mitigations[0], sizeof(e->mitigations[0]),
			    e->nmitigations);
	strbuf_puts(out, "}\n");
	return out->oom ? -ENOMEM : 0;
}

/* ---- parsing -------------------------------------------------------------------------- */

/* obj's member key, naming it (as "<pfx><key>") for the messages that follow.  NULL when
 * absent, after reporting it when required; a JSON null counts as absent when it may. */
static json_t *member(struct jsonr *p, json_t *obj, const char *pfx, const char *key, bool required,
		      bool null_ok)
{
	json_t *v = json_object_get(obj, key);

	jsonr_field(p, pfx, key);
	if (p->rc)
		return NULL;
	if (!v || (json_is_null(v) && null_ok)) {
		if (required)
			jsonr_fail(p, "missing");
		return NULL;
	}
	return v;
}

/* A string copied into buf (size bytes), cut at a character boundary when longer. */
static void get_text(struct jsonr *p, json_t *obj, const char *key, char *buf, size_t size,
		     bool required)
{
	json_t *v = member(p, obj, "", key, required, !required);
	const char *s;

	if (v && (s = jsonr_str(p, v, required ? "a string" : "a string or null")))
		utf8_copy(buf, size, s);
}

/* A name: a string where "-" means none. */
static void get_name(struct jsonr *p, json_t *obj, const char *key, char *buf, size_t size)
{
	get_text(p, obj, key, buf, size, false);
	if (!strcmp(buf, "-"))
		buf[0] = '\0';
}

static void get_u64(struct jsonr *p, json_t *obj, const char *pfx, const char *key, uint64_t *out,
		    bool required)
{
	json_t *v = member(p, obj, pfx, key, required, !required);

	if (!v)
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		jsonr_fail(p, required ? "expected a non-negative integer"
				       : "expected a non-negative integer or null");
		return;
	}
	*out = (uint64_t)json_integer_value(v);
}

static void get_ip(struct jsonr *p, json_t *obj, const char *key, char *buf, size_t size)
{
	json_t *v = member(p, obj, "", key, false, true);
	struct ipaddr a;
	const char *s;

	if (!v)
		return;
	s = json_is_string(v) ? json_string_value(v) : NULL;
	if (!s || strlen(s) != json_string_length(v) || ipaddr_parse(s, &a) ||
	    ipaddr_format(&a, buf, size) < 0) {
		buf[0] = '\0';
		jsonr_fail(p, "expected an IP address or null");
	}
}

static void get_port(struct jsonr *p, json_t *obj, const char *key, int *out)
{
	json_t *v = member(p, obj, "", key, false, true);

	if (v)
		jsonr_port(p, v, out);
}

static void get_side(struct jsonr *p, json_t *root, const char *pfx, struct event_side *s)
{
	char key[32];

#define SIDE_KEY(k) (snprintf(key, sizeof(key), "%s_%s", pfx, k), key)
	get_ip(p, root, SIDE_KEY("ip"), s->ip, sizeof(s->ip));
	get_port(p, root, SIDE_KEY("port"), &s->port);
	get_name(p, root, SIDE_KEY("namespace"), s->ns, sizeof(s->ns));
	get_name(p, root, SIDE_KEY("name"), s->name, sizeof(s->name));
	get_name(p, root, SIDE_KEY("name_aggr"), s->name_aggr, sizeof(s->name_aggr));
#undef SIDE_KEY
}

/* A number, or null (NaN; *has false). */
static void get_num(struct jsonr *p, json_t *rec, const char *key, double *out, bool *has)
{
	json_t *v = member(p, rec, "record.", key, false, false);

	if (!v)
		return;
	if (json_is_null(v)) {
		*out = has ? 0 : NAN;
		return;
	}
	if (!json_is_number(v)) {
		jsonr_fail(p, "expected a number or null");
		return;
	}
	*out = json_number_value(v);
	if (has)
		*has = true;
}

static bool is_record_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(record_keys); i++)
		if (!strcmp(key, record_keys[i]))
			return true;
	return false;
}

static void get_record(struct jsonr *p, json_t *root, struct sec_event *e)
{
	json_t *rec = member(p, root, "", "record", false, true), *v;
	const char *key;
	size_t keylen;

	if (!rec)
		return;
	if (!json_is_object(rec)) {
		jsonr_fail(p, "expected an object or null");
		return;
	}
	get_num(p, rec, "actual", &e->actual, NULL);
	get_num(p, rec, "typical", &e->typical, &e->has_typical);
	get_num(p, rec, "threshold", &e->threshold, &e->has_threshold);
	get_u64(p, rec, "record.", "window_start", &e->window_start, false);
	get_u64(p, rec, "record.", "window_end", &e->window_end, false);
	if (!p->rc && e->window_end < e->window_start)
		jsonr_fail(p, "before window_start");
	json_object_keylen_foreach(rec, key, keylen, v)
	{
		struct event_field *f;

		if (p->rc)
			return;
		jsonr_field(p, "record.", key);
		if (strlen(key) != keylen) {
			jsonr_fail(p, "key contains a NUL character");
			return;
		}
		if (is_record_key(key))
			continue;
		if (keylen >= sizeof(e->extra[0].key)) {
			jsonr_fail(p, "key longer than %zu bytes", sizeof(e->extra[0].key) - 1);
			return;
		}
		if (e->nextra == EVENT_MAX_EXTRA) {
			jsonr_field(p, "", "record");
			jsonr_fail(p, "more than %d extra members", EVENT_MAX_EXTRA);
			return;
		}
		if (!key[0]) {
			jsonr_fail(p, "empty key");
			return;
		}
		f = &e->extra[e->nextra];
		memcpy(f->key, key, strlen(key) + 1);
		if (json_is_number(v) || json_is_null(v)) {
			f->is_num = true;
			f->num = json_is_null(v) ? NAN : json_number_value(v);
		} else if (json_is_string(v)) {
			const char *s = jsonr_str(p, v, "a number, a string or null");

			if (!s)
				return;
			utf8_copy(f->str, sizeof(f->str), s);
		} else {
			jsonr_fail(p, "expected a number, a string or null");
			return;
		}
		e->nextra++;
	}
}

/* An array of at most max strings (or null: none) into rows of stride bytes. */
static void get_strings(struct jsonr *p, json_t *root, const char *key, char *rows, size_t stride,
			size_t max, size_t *n)
{
	json_t *a = member(p, root, "", key, false, true);

	if (!a)
		return;
	if (!json_is_array(a)) {
		jsonr_fail(p, "expected an array of strings or null");
		return;
	}
	if (json_array_size(a) > max) {
		jsonr_fail(p, "more than %zu entries", max);
		return;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s;

		snprintf(p->field, sizeof(p->field), "%s[%zu]", key, i);
		s = jsonr_str(p, json_array_get(a, i), "a string");
		if (!s)
			return;
		utf8_copy(rows + i * stride, stride, s);
	}
	*n = json_array_size(a);
}

int event_parse(const char *line, size_t len, struct sec_event *e, char *err, size_t errsize)
{
	struct jsonr p;
	json_t *root, *v;
	const char *s;

	event_init(e);
	jsonr_init(&p, err, errsize);
	root = jsonr_load(&p, line, len);
	if (!root)
		return p.rc;
	v = member(&p, root, "", "id", true, false);
	if (v && (s = jsonr_str(&p, v, "16 hexadecimal digits"))) {
		if (id_valid(s))
			memcpy(e->id, s, 17);
		else
			jsonr_fail(&p, "expected 16 hexadecimal digits");
	}
	get_u64(&p, root, "", "time", &e->time, true);
	v = member(&p, root, "", "type", true, false);
	if (v && (s = jsonr_str(&p, v, "a string"))) {
		if (!s[0] || strlen(s) >= sizeof(e->type))
			jsonr_fail(&p, "expected a non-empty string of at most %zu bytes",
				   sizeof(e->type) - 1);
		else
			memcpy(e->type, s, strlen(s) + 1);
	}
	get_text(&p, root, "origin", e->origin, sizeof(e->origin), true);
	if (!p.rc && !e->origin[0])
		jsonr_fail(&p, "must not be empty");
	v = member(&p, root, "", "severity", true, false);
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100))
		jsonr_fail(&p, "expected an integer 0..100");
	else if (v)
		e->severity = (int)json_integer_value(v);
	get_text(&p, root, "description", e->description, sizeof(e->description), true);
	get_side(&p, root, "source", &e->src);
	get_side(&p, root, "dest", &e->dst);
	get_name(&p, root, "host", e->host, sizeof(e->host));
	get_record(&p, root, e);
	get_strings(&p, root, "mitre_ids", e->mitre_ids[0], sizeof(e->mitre_ids[0]),
		    EVENT_MAX_MITRE, &e->nmitre);
	get_text(&p, root, "mitre_tactic", e->mitre_tactic, sizeof(e->mitre_tactic), false);
	get_text(&p, root, "attack_vector", e->attack_vector, sizeof(e->attack_vector), false);
	get_strings(&p, root, "mitigations", e->mitigations[0], sizeof(e->mitigations[0]),
		    EVENT_MAX_MITIGATIONS, &e->nmitigations);
	json_decref(root);
	if (p.rc)
		event_init(e);
	return p.rc;
}
