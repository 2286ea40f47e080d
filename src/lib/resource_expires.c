/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Expiring network-set entries: the annotations palisade.dev/expires and palisade.dev/reasons
 * that the response writes on its quarantine set (docs/resources.md), and the RFC 3339 UTC
 * times they hold.  Pure: the times are compared with a clock by the dataplane only.
 */
#include "lib/resource.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- times ----------------------------------------------------------------------------- */

/* Exactly n decimal digits at *s, advancing it; -1 when they are not there. */
static int digits(const char **s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*s)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*s += n;
	return v;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar: years are counted from
 * March, so that the leap day ends a year, in eras of 400 years (146,097 days each).
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil(). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int res_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	bool frac = false;

	if ((y = digits(&s, 4)) < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 0)
		return -EINVAL;
	if (*s != 'T' && *s != 't')
		return -EINVAL;
	s++;
	if ((h = digits(&s, 2)) < 0 || *s++ != ':' || (mi = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (sec = digits(&s, 2)) < 0)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++)
			frac = frac || *s != '0';
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if ((*s == '+' || *s == '-') && !strncmp(s + 1, "00:00", 5))
		s += 6;
	else
		return -EINVAL;
	if (*s)
		return -EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec + frac;
	return 0;
}

int res_time_format(int64_t t, char *buf, size_t size)
{
	int64_t days = t / 86400, rem = t % 86400, y;
	int m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return snprintf(buf, size, "@%lld", (long long)t);
	return snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
			(int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

/* ---- annotations ----------------------------------------------------------------------- */

/* Reports are sentences; values in them are quoted and cut, as the decoder's are. */
#define QUOTE_MAX 64

struct reporter {
	void (*fn)(void *arg, const char *msg);
	void *arg;
	int errors;
};

static void say(struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct reporter *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	r->errors++;
	if (!r->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->fn(r->arg, msg);
}

/* s in double quotes, control characters escaped, cut after QUOTE_MAX bytes. */
static const char *quote(const char *s, char *buf, size_t size)
{
	size_t n = 0, len = strlen(s);

	buf[n++] = '"';
	for (size_t i = 0; i < len && i < QUOTE_MAX && n + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, size - n, "\\%c", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	if (len > QUOTE_MAX)
		snprintf(buf + n, size - n, "... (%zu bytes)", len);
	return buf;
}

const char *res_json_type_name(const struct json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* The annotation's object, or NULL after reporting why it is not one. */
static json_t *load_object(struct reporter *r, const char *json, const char *what)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);

	if (!root) {
		say(r, "not valid JSON (%s at character %d); expected %s", jerr.text, jerr.position,
		    what);
		return NULL;
	}
	if (!json_is_object(root)) {
		say(r, "expected %s, found %s", what, res_json_type_name(root));
		json_decref(root);
		return NULL;
	}
	return root;
}

static const char expires_what[] =
	"a JSON object mapping entries of spec.nets to RFC 3339 UTC times";

int netset_expires_parse(const char *json, const struct cidr *nets, size_t nnets, int64_t *expires,
			 void (*report)(void *arg, const char *msg), void *arg)
{
	struct reporter r = {report, arg, 0};
	const char **names = NULL; /* the key that named each entry, for repeats */
	const char *key;
	json_t *root, *v;
	char q1[QUOTE_MAX * 4 + 48], q2[QUOTE_MAX * 4 + 48];

	if (nnets)
		memset(expires, 0, nnets * sizeof(*expires));
	root = load_object(&r, json, expires_what);
	if (!root)
		return -EINVAL;
	names = calloc(nnets + 1, sizeof(*names));
	if (!names) {
		json_decref(root);
		return -ENOMEM;
	}
	json_object_foreach(root, key, v)
	{
		const char *text = json_string_value(v);
		struct cidr c;
		int64_t t;
		bool found = false;

		quote(key, q1, sizeof(q1));
		if (cidr_parse(key, &c, NULL)) {
			say(&r, "%s is not an IP address or CIDR", q1);
			continue;
		}
		if (c.len != (c.addr.family == 6 ? 128 : 32)) {
			say(&r, "%s is not a single address (only /32 and /128 entries can expire)",
			    q1);
			continue;
		}
		if (!text) {
			say(&r, "%s: expected an RFC 3339 UTC time string, found %s", q1,
			    res_json_type_name(v));
			continue;
		}
		if (strlen(text) != json_string_length(v) || res_time_parse(text, &t)) {
			say(&r, "%s: %s is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)", q1,
			    quote(text, q2, sizeof(q2)));
			continue;
		}
		if (!nets)
			continue;
		for (size_t i = 0; i < nnets; i++) {
			if (cidr_cmp(&nets[i], &c))
				continue;
			if (names[i] && !found) {
				say(&r, "%s names the same entry as %s", q1,
				    quote(names[i], q2, sizeof(q2)));
				found = true;
				break;
			}
			names[i] = key;
			expires[i] = t > 0 ? t : 1;
			found = true;
		}
		if (!found)
			say(&r, "%s is not in spec.nets", q1);
	}
	free(names);
	json_decref(root);
	return r.errors ? -EINVAL : 0;
}

int netset_reasons_check(const char *json, void (*report)(void *arg, const char *msg), void *arg)
{
	struct reporter r = {report, arg, 0};
	const char *key;
	json_t *root, *v;
	char q[QUOTE_MAX * 4 + 48];

	root = load_object(&r, json, "a JSON object of strings");
	if (!root)
		return -EINVAL;
	json_object_foreach(root, key, v)
	{
		if (!json_is_string(v))
			say(&r, "%s: expected a string, found %s", quote(key, q, sizeof(q)),
			    res_json_type_name(v));
	}
	json_decref(root);
	return r.errors ? -EINVAL : 0;
}
