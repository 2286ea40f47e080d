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
#include "cli/timearg.h"
#include "lab/lab.h"
#include "lib/event.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	bool has_since, has_until;
	uint64_t since, until;
	const char *type, *origin;
	int min_severity;
};

/* The next event of one stream, when have is set. */
struct head {
	bool have;
	struct sec_event ev;
};

/* A printed row, kept for the table's widths or for --limit; cell[0] alone for JSON. */
struct row {
	char *cell[TABLE_COLS];
};

/* The rows kept: all of them, or with a limit the last ones in a ring. */
struct rows {
	struct row *v;
	size_t n, cap, start, limit;
	bool oom;
};

static bool ev_matches(const struct filter *flt, const struct sec_event *e)
{
	if (flt->has_since && e->time < flt->since)
		return false;
	if (flt->has_until && e->time > flt->until)
		return false;
	if (flt->type && strcmp(flt->type, e->type))
		return false;
	if (flt->origin && fnmatch(flt->origin, e->origin, 0))
		return false;
	return e->severity >= flt->min_severity;
}

/* Moves stream i to its next event, or to its end; lines that do not parse are reported. */
static void stream_next(struct jsonl_reader *rd, size_t i, struct head *h)
{
	const char *line;
	char err[256];
	size_t len;

	h->have = false;
	while (jsonl_next(rd, &rd->v[i], &line, &len)) {
		err[0] = '\0';
		if (event_parse(line, len, &h->ev, err, sizeof(err))) {
			jsonl_malformed(rd, &rd->v[i], err[0] ? err : "not a security event");
			continue;
		}
		h->have = true;
		return;
	}
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

static void row_free(struct row *r)
{
	for (int i = 0; i < TABLE_COLS; i++)
		free(r->cell[i]);
}

/* Keeps r (taking its strings); with a limit, drops the oldest row beyond it. */
static void rows_push(struct rows *rs, struct row *r)
{
	if (rs->limit && rs->n == rs->limit) {
		struct row *slot = &rs->v[rs->start];

		row_free(slot);
		*slot = *r;
		rs->start = (rs->start + 1) % rs->limit;
		return;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct row *nv;

		if (rs->limit && cap > rs->limit)
			cap = rs->limit;
		nv = realloc(rs->v, cap * sizeof(*nv));
		if (!nv) {
			row_free(r);
			rs->oom = true;
			return;
		}
		rs->v = nv;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
}

static struct row *rows_at(struct rows *rs, size_t i)
{
	return &rs->v[rs->limit ? (rs->start + i) % rs->limit : i];
}

static void rows_fini(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		row_free(&rs->v[i]);
	free(rs->v);
}

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

/* Left-aligned columns two spaces apart, the last one unpadded. */
static void print_cells(const char *const *c, const size_t *w)
{
	for (int i = 0; i + 1 < TABLE_COLS; i++)
		printf("%-*s  ", (int)w[i], c[i] ? c[i] : "");
	printf("%s\n", c[TABLE_COLS - 1] ? c[TABLE_COLS - 1] : "");
}

static void print_table(struct rows *rs)
{
	static const char *const head[TABLE_COLS] = {"TIME",   "SEVERITY", "TYPE",	 "ORIGIN",
						     "SOURCE", "DEST",	   "DESCRIPTION"};
	size_t w[TABLE_COLS];

	for (int c = 0; c < TABLE_COLS; c++) {
		w[c] = strlen(head[c]);
		for (size_t i = 0; i < rs->n; i++) {
			const char *s = rows_at(rs, i)->cell[c];
			size_t l = s ? strlen(s) : 0;

			if (l > w[c])
				w[c] = l;
		}
	}
	print_cells(head, w);
	for (size_t i = 0; i < rs->n; i++)
		print_cells((const char *const *)rows_at(rs, i)->cell, w);
}

/* ---- Sources ---- */

/* The running lab's state directory, malloc'ed, or NULL after saying why. */
static char *running_lab(void)
{
	char err[1024], *state = NULL;
	int rc = lab_registry_pick(&state, err, sizeof(err));

	if (rc == 0)
		return state;
	if (rc == -EEXIST)
		fprintf(stderr, PROG ": several labs are up: %s; choose one with --state DIR\n",
			err);
	else
		fprintf(stderr,
			PROG
			": no lab is up (nothing in %s); give --state DIR, --dir DIR or -f FILE\n",
			LAB_REGISTRY_DIR);
	return NULL;
}

/* Adds a directory's events.log*; reports a problem and returns false when none could be. */
static bool add_dir(struct jsonl_reader *rd, const char *dir, bool *oom)
{
	int e = jsonl_add_dir(rd, dir, EVENTS_LOG);

	if (e == -ENOMEM)
		*oom = true;
	else if (e < 0)
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(-e));
	else if (e == 0)
		fprintf(stderr, PROG ": %s: no " EVENTS_LOG " files\n", dir);
	return e > 0;
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
		{"state", required_argument, NULL, 'S'},
		{"dir", required_argument, NULL, 'D'},
		{"file", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"type", required_argument, NULL, 't'},
		{"origin", required_argument, NULL, 'O'},
		{"min-severity", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct jsonl_reader rd = {.prog = PROG};
	struct filter flt = {0};
	struct rows rows = {0};
	struct strmap seen;
	struct strbuf sb;
	struct head *heads = NULL, *h;
	const char *output = "table", *state_opt = NULL, *since = NULL, *until = NULL;
	char **dirs = NULL, **files = NULL, *state = NULL;
	size_t ndirs = 0, nfiles = 0, unreadable = 0, at;
	unsigned long limit = 0, v;
	bool json, oom = false;
	time_t now = time(NULL);
	int c, rc = 2;

	strbuf_init(&sb);
	strmap_init(&seen);
	dirs = calloc((size_t)argc + 1, sizeof(*dirs));
	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!dirs || !files)
		goto nomem;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			state_opt = optarg;
			break;
		case 'D':
			dirs[ndirs++] = optarg;
			break;
		case 'f':
			files[nfiles++] = optarg;
			break;
		case 's':
			since = optarg;
			break;
		case 'u':
			until = optarg;
			break;
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
	if (since) {
		flt.has_since = true;
		if (timearg_parse(since, now, true, &flt.since)) {
			fprintf(stderr,
				PROG
				": --since: \"%s\" is not a duration (30s, 5m, 2h, 1d), an RFC 3339 time or epoch seconds\n",
				since);
			goto out;
		}
	}
	if (until) {
		flt.has_until = true;
		if (timearg_parse(until, now, false, &flt.until)) {
			fprintf(stderr,
				PROG
				": --until: \"%s\" is not a duration (30s, 5m, 2h, 1d), an RFC 3339 time or epoch seconds\n",
				until);
			goto out;
		}
	}

	/* Sources: they add up; the running lab only when none is given. */
	if (!state_opt && !ndirs && !nfiles) {
		state = running_lab();
		if (!state)
			goto out;
	} else if (state_opt) {
		state = strdup(state_opt);
		if (!state)
			goto nomem;
	}
	if (state) {
		char *dir = NULL;

		if (asprintf(&dir, "%s/" LAB_EVENTS, state) < 0)
			goto nomem;
		if (!add_dir(&rd, dir, &oom))
			unreadable++;
		free(dir);
	}
	for (size_t i = 0; i < ndirs; i++)
		if (!add_dir(&rd, dirs[i], &oom))
			unreadable++;
	for (size_t i = 0; i < nfiles; i++) {
		struct stat st;

		if (stat(files[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!add_dir(&rd, files[i], &oom))
				unreadable++;
		} else if (!strcmp(files[i], "-")) {
			oom |= jsonl_add(&rd, JSONL_STDIN, strlen(JSONL_STDIN), JSONL_STDIN, 0) !=
			       0;
		} else {
			oom |= jsonl_add_file(&rd, files[i]) != 0;
		}
	}
	if (oom)
		goto nomem;
	unreadable += jsonl_reader_open(&rd);
	if (unreadable)
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
				if (event_print(&h->ev, &sb)) {
					oom = true;
				} else if (limit) {
					struct row row = {{0}};

					row.cell[0] = strbuf_steal(&sb);
					rows_push(&rows, &row);
				} else {
					fwrite(sb.s, 1, sb.len, stdout);
				}
			}
		}
		stream_next(&rd, at, h);
	}
	if (!json)
		print_table(&rows);
	else
		for (size_t i = 0; i < rows.n; i++)
			fputs(rows_at(&rows, i)->cell[0], stdout);
	if (rows.oom)
		oom = true;
	if (rd.malformed)
		fprintf(stderr, PROG ": %lu malformed line(s) skipped\n", rd.malformed);
	rc = 0;
	if (oom) {
		fprintf(stderr, PROG ": out of memory; the output is incomplete\n");
		rc = 2;
	}
	if (rd.read_errors)
		rc = 2;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": cannot write the output\n");
		rc = 2;
	}
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
	free(state);
	free(dirs);
	free(files);
	return rc;
}
