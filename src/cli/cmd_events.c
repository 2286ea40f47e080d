/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade events: reads back the security events the controller writes (DESIGN §7, the
 * event in src/lib/event.h, docs/events.md), de-duplicates them by id, filters them and prints
 * them as a table or as JSON lines.
 *
 * Every source is a stream, one rotated log (events.log.N ... events.log.1, events.log, oldest
 * first; cli/jsonl_logs.h), and the streams are merged by time holding one event per stream.
 * The ids seen are kept to drop repeats, and the table (for its column widths) or --limit
 * keeps rows; events are few, so both stay small.
 */
#include "cli/cmd.h"

#include "cli/jsonl_logs.h"
#include "cli/logsrc.h"
#include "cli/rows.h"
#include "cli/timearg.h"
#include "lib/event.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG	   "palisade events"
#define EVENTS_LOG "events.log"
#define LAB_EVENTS "controller/events" /* under a lab's state directory */
#define TABLE_COLS 7

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade events [--state DIR] [--dir DIR]... [-f FILE]...\n"
		"                       [--since DUR|TIME] [--until DUR|TIME] [--type TYPE]\n"
		"                       [--origin NAME] [--min-severity N] [-o table|json]\n"
		"                       [--limit N]\n"
		"Sources: the controller's events of a lab state directory (default: the running\n"
		"lab), directories holding events.log*, or files; they add up when several are given.\n"
		"DUR is 30s, 5m, 2h, 1d (before now); TIME is RFC 3339 or epoch seconds.\n"
		"NAME may hold shell wildcards ('ip_sweep_*'); N is 0..100.\n");
}

struct filter {
	struct timearg_window win;
	const char *type, *origin;
	int min_severity;
};

/* The next event of one stream, when have is set. */
struct head {
	bool have;
	struct sec_event ev;
};

static bool ev_matches(const struct filter *flt, const struct sec_event *e)
{
	if (!timearg_window_overlaps(&flt->win, e->time, e->time))
		return false;
	if (flt->type && strcmp(flt->type, e->type))
		return false;
	if (flt->origin && fnmatch(flt->origin, e->origin, 0))
		return false;
	return e->severity >= flt->min_severity;
}

static int parse_event(const char *line, size_t len, void *ev, char *err, size_t errsize)
{
	return event_parse(line, len, ev, err, errsize);
}

/* Moves stream i to its next event, or to its end; lines that do not parse are reported. */
static void stream_next(struct jsonl_reader *rd, size_t i, struct head *h)
{
	h->have = jsonl_next_rec(rd, &rd->v[i], parse_event, &h->ev, "not a security event");
}

/* The stream holding the earliest event (ties to the first), or n when all are done. */
static size_t earliest(const struct head *heads, size_t n)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (heads[i].have && (best == n || heads[i].ev.time < heads[best].ev.time))
			best = i;
	return best;
}

/* ---- Output ---- */

/* A copy of s for a table cell: control characters (a newline in a description) become
 * spaces, so that a row stays on one line. */
static char *cell(const char *s, bool *oom)
{
	char *d = strdup(s);

	if (!d) {
		*oom = true;
		return NULL;
	}
	for (char *p = d; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return d;
}

/*
 * A side for the table: ns/name (the aggregated name when there is no name), else the IP,
 * else whatever name there is, else the namespace and a star for all of it, else "-"; with
 * ":port" when with_port and it has one.
 */
static void side_label(const struct event_side *s, bool with_port, char *buf, size_t size)
{
	const char *name = s->name[0] ? s->name : s->name_aggr;
	size_t n;

	if (s->ns[0] && name[0])
		snprintf(buf, size, "%s/%s", s->ns, name);
	else if (s->ip[0])
		snprintf(buf, size, "%s", s->ip);
	else if (name[0])
		snprintf(buf, size, "%s", name);
	else if (s->ns[0])
		snprintf(buf, size, "%s/*", s->ns);
	else
		snprintf(buf, size, "-");
	n = strlen(buf);
	if (with_port && s->port >= 0 && n < size)
		snprintf(buf + n, size - n, ":%d", s->port);
}

static void table_row(struct rows *rs, const struct sec_event *e)
{
	char when[32], sev[8], src[640], dst[640];
	struct row row = {{0}};
	time_t t = (time_t)e->time;
	struct tm tm;

	if ((uint64_t)t != e->time || !gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "%" PRIu64, e->time);
	snprintf(sev, sizeof(sev), "%d", e->severity);
	side_label(&e->src, false, src, sizeof(src));
	side_label(&e->dst, true, dst, sizeof(dst));
	row.cell[0] = cell(when, &rs->oom);
	row.cell[1] = cell(sev, &rs->oom);
	row.cell[2] = cell(e->type, &rs->oom);
	row.cell[3] = cell(e->origin, &rs->oom);
	row.cell[4] = cell(src, &rs->oom);
	row.cell[5] = cell(dst, &rs->oom);
	row.cell[6] = cell(e->description, &rs->oom);
	rows_push(rs, &row);
}

/* ---- Sources ---- */

/* The controller's events of a lab state directory. */
static int add_state(const struct logsrc *src, struct jsonl_reader *rd, const char *state)
{
	char *dir = NULL;
	int e;

	if (asprintf(&dir, "%s/" LAB_EVENTS, state) < 0)
		return -ENOMEM;
	e = logsrc_add_dir(src, rd, dir);
	free(dir);
	return e;
}

static int parse_num(const char *opt, const char *arg, unsigned long min, unsigned long max,
		     unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *out < min || *out > max) {
		fprintf(stderr, PROG ": %s: \"%s\" is not a number from %lu to %lu\n", opt, arg,
			min, max);
		return -EINVAL;
	}
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		LOGSRC_OPTIONS,
		{"type", required_argument, NULL, 't'},
		{"origin", required_argument, NULL, 'O'},
		{"min-severity", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const head[TABLE_COLS] = {"TIME",   "SEVERITY", "TYPE",	 "ORIGIN",
						     "SOURCE", "DEST",	   "DESCRIPTION"};
	struct jsonl_reader rd = {.prog = PROG};
	struct logsrc src;
	struct filter flt = {0};
	struct rows rows = {0};
	struct strmap seen;
	struct strbuf sb;
	struct head *heads = NULL, *h;
	const char *output = "table";
	size_t at;
	unsigned long limit = 0, v;
	bool json, oom = false;
	time_t now = time(NULL);
	int c, rc = 2;

	strbuf_init(&sb);
	strmap_init(&seen);
	if (logsrc_init(&src, PROG, EVENTS_LOG, argc))
		goto nomem;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			flt.type = optarg;
			break;
		case 'O':
			flt.origin = optarg;
			break;
		case 'm':
			if (parse_num("--min-severity", optarg, 0, 100, &v))
				goto out;
			flt.min_severity = (int)v;
			break;
		case 'o':
			output = optarg;
			break;
		case 'l':
			if (parse_num("--limit", optarg, 1, 100000000, &limit))
				goto out;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			if (logsrc_option(&src, c, optarg))
				break;
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		goto out;
	}
	if (strcmp(output, "table") && strcmp(output, "json")) {
		fprintf(stderr, PROG ": -o: \"%s\" is not table or json\n", output);
		goto out;
	}
	json = !strcmp(output, "json");
	if (timearg_window_parse(&flt.win, PROG, src.since, src.until, now))
		goto out;
	if (logsrc_open(&src, &rd, add_state))
		goto out;
	heads = calloc(rd.n + 1, sizeof(*heads));
	if (!heads)
		goto nomem;

	rows.limit = limit;
	for (size_t i = 0; i < rd.n; i++)
		stream_next(&rd, i, &heads[i]);
	while ((at = earliest(heads, rd.n)) < rd.n) {
		h = &heads[at];
		/* The first of several with one id is kept, whether or not it matches. */
		if (strmap_get(&seen, h->ev.id) == UINT32_MAX) {
			if (strmap_put(&seen, h->ev.id, 0))
				oom = true;
			else if (ev_matches(&flt, &h->ev) && !json)
				table_row(&rows, &h->ev);
			else if (ev_matches(&flt, &h->ev)) {
				strbuf_reset(&sb);
				if (event_print(&h->ev, &sb))
					oom = true;
				else
					rows_line(&rows, &sb);
			}
		}
		stream_next(&rd, at, h);
	}
	if (!json)
		rows_print_table(head, &rows, TABLE_COLS);
	else
		rows_print_lines(&rows);
	rc = logsrc_finish(&rd, oom || rows.oom);
	goto out;
nomem:
	fprintf(stderr, PROG ": out of memory\n");
	rc = 2;
out:
	free(heads);
	rows_fini(&rows);
	jsonl_reader_fini(&rd);
	strmap_fini(&seen);
	strbuf_fini(&sb);
	logsrc_fini(&src);
	return rc;
}
