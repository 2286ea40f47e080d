/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/timearg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "30s", "5m", "2h", "1d", or a sequence of them ("1h30m"), in seconds. */
static int parse_duration(const char *s, uint64_t *out)
{
	uint64_t total = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		uint64_t v = 0, unit;
		const char *p = s;

		while (*s >= '0' && *s <= '9') {
			if (v > UINT64_MAX / 10 / 86400)
				return -EINVAL;
			v = v * 10 + (uint64_t)(*s++ - '0');
		}
		if (s == p)
			return -EINVAL;
		switch (*s++) {
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		default:
			return -EINVAL;
		}
		total += v * unit;
		if (total > UINT64_MAX / 2)
			return -EINVAL;
	}
	*out = total;
	return 0;
}

static int digits(const char **s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/*
 * RFC 3339 "2025-11-28T23:00:00Z", with optional fraction and a Z or +hh:mm offset, as
 * epoch seconds.  *frac says whether the fraction was not zero.
 */
static int parse_rfc3339(const char *s, int64_t *out, bool *frac)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, off = 0;
	time_t t;

	*frac = false;
	if ((y = digits(&s, 4)) < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 0)
		return -EINVAL;
	if (*s != 'T' && *s != 't' && *s != ' ')
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
			if (*s != '0')
				*frac = true;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;

		if ((oh = digits(&s, 2)) < 0 || *s++ != ':' || (om = digits(&s, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -EINVAL;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (int64_t)t - off;
	return 0;
}

int timearg_parse(const char *s, time_t now, bool round_up, uint64_t *out)
{
	uint64_t v;
	int64_t t;
	bool frac;
	char *end;

	if (all_digits(s)) {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (parse_duration(s, &v) == 0) {
		*out = (uint64_t)now > v ? (uint64_t)now - v : 0;
		return 0;
	}
	if (parse_rfc3339(s, &t, &frac) == 0) {
		if (frac && round_up)
			t++;
		*out = t > 0 ? (uint64_t)t : 0;
		return 0;
	}
	return -EINVAL;
}

/* One bound of the window; its message names the option. */
static int window_bound(const char *prog, const char *opt, const char *arg, time_t now,
			bool round_up, bool *has, uint64_t *out)
{
	if (!arg)
		return 0;
	*has = true;
	if (timearg_parse(arg, now, round_up, out)) {
		fprintf(stderr,
			"%s: %s: \"%s\" is not a duration (30s, 5m, 2h, 1d), an RFC 3339 time or epoch seconds\n",
			prog, opt, arg);
		return -EINVAL;
	}
	return 0;
}

int timearg_window_parse(struct timearg_window *w, const char *prog, const char *since,
			 const char *until, time_t now)
{
	if (window_bound(prog, "--since", since, now, true, &w->has_since, &w->since) ||
	    window_bound(prog, "--until", until, now, false, &w->has_until, &w->until))
		return -EINVAL;
	return 0;
}

bool timearg_window_overlaps(const struct timearg_window *w, uint64_t start, uint64_t end)
{
	return !(w->has_since && end < w->since) && !(w->has_until && start > w->until);
}
