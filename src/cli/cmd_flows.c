/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade flows: reads back the flow logs the node agents write (DESIGN §6, the record in
 * src/lib/flowlog.h), filters them and prints them as a table, as JSON lines or as a summary
 * per edge.
 *
 * Every source is a stream: one rotated log (flows.log.N ... flows.log.1, flows.log, oldest
 * first), so each stream is in time order by itself.  The streams of several nodes are merged
 * by start time, holding one record per stream, so a long log is never loaded whole; only
 * the table (for its column widths) and --limit keep rows, and those are short strings.
 */
#include "cli/cmd.h"

#include "cli/jsonl_logs.h"
#include "cli/logsrc.h"
#include "cli/rows.h"
#include "cli/timearg.h"
#include "lib/cidr.h"
#include "lib/flowlog.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG	     "palisade flows"
#define FLOWS_LOG    "flows.log"
#define POLICY_WIDTH 40 /* the table's POLICY column is cut to this many characters */
#define TABLE_COLS   9
#define SUMMARY_COLS 6

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade flows [--state DIR] [--dir DIR]... [-f FILE]...\n"
		"                      [--since DUR|TIME] [--until DUR|TIME] [--action allow|deny]\n"
		"                      [--namespace NS] [--source SPEC] [--dest SPEC] [--policy TEXT]\n"
		"                      [--reporter src|dst] [--node NAME] [-o table|json|summary]\n"
		"                      [--limit N]\n"
		"Sources: the flow logs of every node of a lab state directory (default: the running\n"
		"lab), directories holding flows.log*, or files; they add up when several are given.\n"
		"DUR is 30s, 5m, 2h, 1d (before now); TIME is RFC 3339 or epoch seconds.\n"
		"SPEC is an IP, a CIDR, ns/name, a name or an aggregated name; '*' is a wildcard.\n");
}

enum out_mode { OUT_TABLE, OUT_JSON, OUT_SUMMARY };

struct filter {
	struct timearg_window win;
	const char *action, *reporter, *ns, *source, *dest, *policy, *node;
};

/*
 * The head of one stream (one rotated log, cli/jsonl_logs.h, in the reader's order): its
 * next matching record when have is set.
 */
struct head {
	bool have;
	struct flowlog_rec rec;
};

/*
 * One edge of the summary.  A flow between two managed endpoints is reported twice, by the
 * source's node (reporter src, the egress decision) and by the destination's (reporter dst,
 * the ingress decision); an edge counts it once: allowed flows come from the destination's
 * reports when the edge has any (the source's otherwise), denied flows from both ends,
 * since each end reports only what it denied itself.
 */
struct edge {
	char *src, *dst;
	uint64_t flows[2][2], bytes[2][2]; /* [reporter dst?][action deny?] */
	bool has_dst;
};

struct summary {
	struct strmap index; /* "src\tdst" -> position in v */
	struct edge *v;
	size_t n, cap;
	bool oom;
};

/* ---- Matching ---- */

/* Does text match pattern, where '*' stands for any run of characters? */
static bool glob_match(const char *pat, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text) {
		if (*pat == '*') {
			star = pat++;
			resume = text;
		} else if (*pat == *text) {
			pat++;
			text++;
		} else if (star) {
			pat = star + 1;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

static bool glob_match_n(const char *pat, size_t plen, const char *text)
{
	char buf[512];

	if (plen >= sizeof(buf))
		return false;
	memcpy(buf, pat, plen);
	buf[plen] = '\0';
	return glob_match(buf, text);
}

/* SPEC against one side: IP, CIDR, "ns/name", name or name_aggr, with '*' wildcards. */
static bool side_matches(const char *spec, const struct flowlog_side *side)
{
	struct ipaddr a, ip;
	struct cidr c;
	const char *slash = strchr(spec, '/');

	if (ipaddr_parse(spec, &a) == 0)
		return side->ip[0] && ipaddr_parse(side->ip, &ip) == 0 && ipaddr_equal(&a, &ip);
	if (slash && cidr_parse(spec, &c, NULL) == 0)
		return side->ip[0] && ipaddr_parse(side->ip, &ip) == 0 && cidr_contains(&c, &ip);
	if (slash)
		return glob_match_n(spec, (size_t)(slash - spec), side->ns) &&
		       (glob_match(slash + 1, side->name) ||
			glob_match(slash + 1, side->name_aggr));
	return glob_match(spec, side->name) || glob_match(spec, side->name_aggr) ||
	       (side->ip[0] && glob_match(spec, side->ip));
}

static bool rec_matches(const struct filter *flt, const struct flowlog_rec *r)
{
	if (!timearg_window_overlaps(&flt->win, r->start_time, r->end_time))
		return false;
	if (flt->action && strcmp(flt->action, r->action))
		return false;
	if (flt->reporter && strcmp(flt->reporter, r->reporter))
		return false;
	if (flt->node && !glob_match(flt->node, r->host))
		return false;
	if (flt->ns && !glob_match(flt->ns, r->src.ns) && !glob_match(flt->ns, r->dst.ns))
		return false;
	if (flt->source && !side_matches(flt->source, &r->src))
		return false;
	if (flt->dest && !side_matches(flt->dest, &r->dst))
		return false;
	if (flt->policy) {
		size_t i;

		for (i = 0; i < r->npolicies; i++)
			if (strstr(r->policies[i], flt->policy))
				break;
		if (i == r->npolicies)
			return false;
	}
	return true;
}

/* ---- Sources ---- */

static int dir_entry_visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/*
 * Every node's log under state/nodes/<node>/flows, nodes in name order (a logsrc_state_fn):
 * 0, 1 when there is none (reported), or -errno.
 */
static int add_state(const struct logsrc *src, struct jsonl_reader *rd, const char *state)
{
	struct dirent **names = NULL;
	char *nodes = NULL;
	size_t before = rd->n;
	int n, rc = 0;

	if (asprintf(&nodes, "%s/nodes", state) < 0)
		return -ENOMEM;
	n = scandir(nodes, &names, dir_entry_visible, alphasort);
	if (n < 0) {
		rc = -errno;
		fprintf(stderr, PROG ": %s: %s\n", nodes, strerror(-rc));
		free(nodes);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		char *dir = NULL;

		if (!rc && asprintf(&dir, "%s/%s/flows", nodes, names[i]->d_name) < 0) {
			dir = NULL;
			rc = -ENOMEM;
		}
		/* A node whose agent has not written a flow log yet has no directory. */
		if (!rc) {
			int e = jsonl_add_dir(rd, dir, FLOWS_LOG);

			if (e < 0 && e != -ENOENT && e != -ENOTDIR) {
				fprintf(stderr, PROG ": %s: %s\n", dir, strerror(-e));
				rc = e;
			}
		}
		free(dir);
		free(names[i]);
	}
	free(names);
	free(nodes);
	if (!rc && rd->n == before) {
		fprintf(stderr, PROG ": no flow logs in %s/nodes/*/flows\n", state);
		rc = 1;
	}
	return rc;
}

static int parse_rec(const char *line, size_t len, void *rec, char *err, size_t errsize)
{
	return flowlog_parse(line, len, rec, err, errsize);
}

/*
 * Moves stream i to its next record that passes flt (h->have), or to its end.  A line that
 * does not parse is reported with its file and line and counted (jsonl_logs.h skips the
 * torn last line of a log being written).
 */
static void stream_next(struct jsonl_reader *rd, size_t i, struct head *h, const struct filter *flt)
{
	while ((h->have = jsonl_next_rec(rd, &rd->v[i], parse_rec, &h->rec,
					 "not a flow log record")) &&
	       !rec_matches(flt, &h->rec))
		flowlog_rec_fini(&h->rec);
}

/* The stream holding the earliest record (by start, then end time; ties to the first), or
 * n when every stream is at its end. */
static size_t reader_earliest(const struct head *heads, size_t n)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		const struct head *h = &heads[i];

		if (!h->have)
			continue;
		if (best == n || h->rec.start_time < heads[best].rec.start_time ||
		    (h->rec.start_time == heads[best].rec.start_time &&
		     h->rec.end_time < heads[best].rec.end_time))
			best = i;
	}
	return best;
}

/* ---- Output ---- */

static char *xstrdup(const char *s, bool *oom)
{
	char *d = strdup(s);

	if (!d)
		*oom = true;
	return d;
}

static char *xprintf(bool *oom, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *xprintf(bool *oom, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		*oom = true;
	}
	va_end(ap);
	return s;
}

static bool named(const char *s)
{
	return s[0] && strcmp(s, "-");
}

/* A side for the table: ns/name (the aggregated name when the name is gone), else the IP,
 * else whatever name there is. */
static void side_label(const struct flowlog_side *s, char *buf, size_t size)
{
	const char *name = named(s->name) ? s->name : s->name_aggr;

	if (named(s->ns) && named(name))
		snprintf(buf, size, "%s/%s", s->ns, name);
	else if (s->ip[0])
		snprintf(buf, size, "%s", s->ip);
	else
		snprintf(buf, size, "%s", named(name) ? name : "-");
}

/* A side for the summary: ns/name_aggr, else name_aggr, else the IP. */
static void side_aggr_label(const struct flowlog_side *s, char *buf, size_t size)
{
	if (named(s->ns) && named(s->name_aggr))
		snprintf(buf, size, "%s/%s", s->ns, s->name_aggr);
	else if (named(s->name_aggr))
		snprintf(buf, size, "%s", s->name_aggr);
	else
		snprintf(buf, size, "%s", s->ip[0] ? s->ip : "-");
}

/*
 * The last (deciding) policies entry, "<idx>|<tier>|<policy>|<action>|<rule>", shortened:
 * "policy#rule", or for the evaluator's special decisions the words `eval` uses
 * (end-of-tier, profile, no-profile, no-endpoint, unmanaged).  Longer than POLICY_WIDTH, it
 * keeps its end.
 */
static void policy_label(const struct flowlog_rec *r, char *buf, size_t size)
{
	char ent[600], out[620];
	const char *f[5];
	size_t n = 0, len;

	if (!r->npolicies) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(ent, sizeof(ent), "%s", r->policies[r->npolicies - 1]);
	for (char *p = ent, *tok; n < 5 && (tok = strsep(&p, "|"));)
		f[n++] = tok;
	if (n != 5)
		snprintf(out, sizeof(out), "%s", r->policies[r->npolicies - 1]);
	else if (!strcmp(f[1], "__PROFILE__") && !strcmp(f[2], "__PROFILE__.__NO_MATCH__"))
		snprintf(out, sizeof(out), "no-profile");
	else if (!strcmp(f[1], "__PROFILE__") && !strncmp(f[2], "__PROFILE__.", 12))
		snprintf(out, sizeof(out), "profile %s", f[2] + 12);
	else if (!strcmp(f[1], "__NO_ENDPOINT__"))
		snprintf(out, sizeof(out), "no-endpoint");
	else if (!strcmp(f[1], "__UNMANAGED__"))
		snprintf(out, sizeof(out), "unmanaged");
	else if (strcmp(f[4], "-1"))
		snprintf(out, sizeof(out), "%s#%s", f[2], f[4]);
	else
		snprintf(out, sizeof(out), "%s", f[2]);
	len = strlen(out);
	if (len > POLICY_WIDTH)
		snprintf(buf, size, "...%s", out + len - (POLICY_WIDTH - 3));
	else
		snprintf(buf, size, "%s", out);
}

static void table_row(struct rows *rs, const struct flowlog_rec *r)
{
	char src[600], dst[620], pol[600];
	struct row row = {{0}};
	time_t t = (time_t)r->start_time;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	side_label(&r->src, src, sizeof(src));
	side_label(&r->dst, dst, sizeof(dst));
	if (r->dst.port >= 0) {
		size_t n = strlen(dst);

		snprintf(dst + n, sizeof(dst) - n, ":%d", r->dst.port);
	}
	policy_label(r, pol, sizeof(pol));
	row.cell[0] = xprintf(&rs->oom, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	row.cell[1] = xstrdup(src, &rs->oom);
	row.cell[2] = xstrdup(dst, &rs->oom);
	row.cell[3] = xstrdup(r->proto, &rs->oom);
	row.cell[4] = xstrdup(r->action, &rs->oom);
	row.cell[5] = xstrdup(r->reporter, &rs->oom);
	row.cell[6] = xstrdup(pol, &rs->oom);
	row.cell[7] = xprintf(&rs->oom, "%" PRIu64, r->num_flows);
	row.cell[8] = xprintf(&rs->oom, "%" PRIu64 "/%" PRIu64, r->bytes_in, r->bytes_out);
	rows_push(rs, &row);
}

static void summary_add(struct summary *sm, const struct flowlog_rec *r)
{
	char src[600], dst[640], key[1300];
	struct edge *e;
	uint32_t at;
	size_t n;
	int rep = !strcmp(r->reporter, "dst"), deny = !strcmp(r->action, "deny");

	side_aggr_label(&r->src, src, sizeof(src));
	side_aggr_label(&r->dst, dst, sizeof(dst));
	n = strlen(dst);
	if (r->dst.port >= 0)
		snprintf(dst + n, sizeof(dst) - n, ":%d/%s", r->dst.port, r->proto);
	else
		snprintf(dst + n, sizeof(dst) - n, ":%s", r->proto);
	snprintf(key, sizeof(key), "%s\t%s", src, dst);
	at = strmap_get(&sm->index, key);
	if (at == UINT32_MAX) {
		if (sm->n == sm->cap) {
			size_t cap = sm->cap ? sm->cap * 2 : 64;
			struct edge *nv = realloc(sm->v, cap * sizeof(*nv));

			if (!nv) {
				sm->oom = true;
				return;
			}
			sm->v = nv;
			sm->cap = cap;
		}
		e = &sm->v[sm->n];
		memset(e, 0, sizeof(*e));
		e->src = strdup(src);
		e->dst = strdup(dst);
		if (!e->src || !e->dst || strmap_put(&sm->index, key, (uint32_t)sm->n)) {
			free(e->src);
			free(e->dst);
			sm->oom = true;
			return;
		}
		at = (uint32_t)sm->n++;
	}
	e = &sm->v[at];
	e->flows[rep][deny] += r->num_flows;
	e->bytes[rep][deny] += r->bytes_in + r->bytes_out;
	if (rep)
		e->has_dst = true;
}

static uint64_t edge_allowed(const struct edge *e, const uint64_t v[2][2])
{
	return e->has_dst ? v[1][0] : v[0][0];
}

static uint64_t edge_denied(const uint64_t v[2][2])
{
	return v[0][1] + v[1][1];
}

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	uint64_t tx = edge_allowed(x, x->flows) + edge_denied(x->flows);
	uint64_t ty = edge_allowed(y, y->flows) + edge_denied(y->flows);
	int c;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	c = strcmp(x->src, y->src);
	return c ? c : strcmp(x->dst, y->dst);
}

static void summary_print(struct summary *sm, size_t limit, bool *oom)
{
	static const char *const head[SUMMARY_COLS] = {"SOURCE", "DEST",	  "ALLOWED",
						       "DENIED", "ALLOWED-BYTES", "DENIED-BYTES"};
	struct rows rs = {0};

	if (sm->n)
		qsort(sm->v, sm->n, sizeof(*sm->v), edge_cmp);
	for (size_t i = 0; i < sm->n && (!limit || i < limit); i++) {
		struct edge *e = &sm->v[i];
		struct row row = {{0}};

		row.cell[0] = xstrdup(e->src, &rs.oom);
		row.cell[1] = xstrdup(e->dst, &rs.oom);
		row.cell[2] = xprintf(&rs.oom, "%" PRIu64, edge_allowed(e, e->flows));
		row.cell[3] = xprintf(&rs.oom, "%" PRIu64, edge_denied(e->flows));
		row.cell[4] = xprintf(&rs.oom, "%" PRIu64, edge_allowed(e, e->bytes));
		row.cell[5] = xprintf(&rs.oom, "%" PRIu64, edge_denied(e->bytes));
		rows_push(&rs, &row);
	}
	rows_print_table(head, &rs, SUMMARY_COLS);
	if (rs.oom)
		*oom = true;
	rows_fini(&rs);
}

static void summary_fini(struct summary *sm)
{
	for (size_t i = 0; i < sm->n; i++) {
		free(sm->v[i].src);
		free(sm->v[i].dst);
	}
	free(sm->v);
	strmap_fini(&sm->index);
}

/* ---- The verb ---- */

static bool one_of(const char *v, const char *a, const char *b)
{
	return !strcmp(v, a) || !strcmp(v, b);
}

int cmd_flows(int argc, char **argv)
{
	static const struct option opts[] = {
		LOGSRC_OPTIONS,
		{"action", required_argument, NULL, 'a'},
		{"namespace", required_argument, NULL, 'n'},
		{"source", required_argument, NULL, 'F'},
		{"dest", required_argument, NULL, 'T'},
		{"policy", required_argument, NULL, 'P'},
		{"reporter", required_argument, NULL, 'r'},
		{"node", required_argument, NULL, 'N'},
		{"output", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const head[TABLE_COLS] = {"START",  "SOURCE", "DEST",
						     "PROTO",  "ACTION", "REPORTER",
						     "POLICY", "FLOWS",	 "BYTES(in/out)"};
	struct filter flt = {0};
	struct jsonl_reader rd = {.prog = PROG};
	struct logsrc src;
	struct head *heads = NULL, *h;
	struct rows rows = {0};
	struct summary sm = {0};
	struct strbuf sb;
	const char *output = "table";
	char *end;
	size_t limit = 0, at;
	enum out_mode mode;
	bool oom = false;
	time_t now = time(NULL);
	int c, e, rc = 2;

	strbuf_init(&sb);
	strmap_init(&sm.index);
	if (logsrc_init(&src, PROG, FLOWS_LOG, argc)) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			flt.action = optarg;
			break;
		case 'n':
			flt.ns = optarg;
			break;
		case 'F':
			flt.source = optarg;
			break;
		case 'T':
			flt.dest = optarg;
			break;
		case 'P':
			flt.policy = optarg;
			break;
		case 'r':
			flt.reporter = optarg;
			break;
		case 'N':
			flt.node = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'l':
			errno = 0;
			limit = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || !limit) {
				fprintf(stderr, PROG ": --limit: \"%s\" is not a positive number\n",
					optarg);
				goto out;
			}
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
	if (!strcmp(output, "table")) {
		mode = OUT_TABLE;
	} else if (!strcmp(output, "json")) {
		mode = OUT_JSON;
	} else if (!strcmp(output, "summary")) {
		mode = OUT_SUMMARY;
	} else {
		fprintf(stderr, PROG ": -o: \"%s\" is not table, json or summary\n", output);
		goto out;
	}
	if (flt.action && !one_of(flt.action, "allow", "deny")) {
		fprintf(stderr, PROG ": --action: \"%s\" is not allow or deny\n", flt.action);
		goto out;
	}
	if (flt.reporter && !one_of(flt.reporter, "src", "dst")) {
		fprintf(stderr, PROG ": --reporter: \"%s\" is not src or dst\n", flt.reporter);
		goto out;
	}
	if (timearg_window_parse(&flt.win, PROG, src.since, src.until, now))
		goto out;
	if (logsrc_open(&src, &rd, add_state))
		goto out;
	heads = calloc(rd.n + 1, sizeof(*heads));
	if (!heads) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}

	rows.limit = mode == OUT_SUMMARY ? 0 : limit;
	for (size_t i = 0; i < rd.n; i++)
		stream_next(&rd, i, &heads[i], &flt);
	while ((at = reader_earliest(heads, rd.n)) < rd.n) {
		h = &heads[at];
		switch (mode) {
		case OUT_TABLE:
			table_row(&rows, &h->rec);
			break;
		case OUT_JSON:
			strbuf_reset(&sb);
			e = flowlog_print(&h->rec, &sb);
			if (e == -ENOMEM || sb.oom) {
				oom = true;
			} else if (e) {
				fprintf(stderr, "%s:%lu: cannot print the record: %s\n",
					jsonl_path(&rd.v[at]), rd.v[at].lineno, strerror(-e));
				rd.malformed++;
			} else {
				rows_line(&rows, &sb);
			}
			break;
		case OUT_SUMMARY:
			summary_add(&sm, &h->rec);
			break;
		}
		flowlog_rec_fini(&h->rec);
		h->have = false;
		stream_next(&rd, at, h, &flt);
	}
	if (mode == OUT_TABLE)
		rows_print_table(head, &rows, TABLE_COLS);
	else if (mode == OUT_JSON)
		rows_print_lines(&rows);
	else
		summary_print(&sm, limit, &oom);
	rc = logsrc_finish(&rd, oom || rows.oom || sm.oom);
out:
	summary_fini(&sm);
	rows_fini(&rows);
	for (size_t i = 0; heads && i < rd.n; i++)
		if (heads[i].have)
			flowlog_rec_fini(&heads[i].rec);
	free(heads);
	jsonl_reader_fini(&rd);
	strbuf_fini(&sb);
	logsrc_fini(&src);
	return rc;
}
