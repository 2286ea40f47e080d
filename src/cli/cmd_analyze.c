/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade analyze: flow logs from a capture, as the policies of the manifests would have
 * made them (DESIGN §6).  The capture's packets go through the offline connection tracker
 * (pconn.h); at the end of every window each active connection is judged by the reference
 * evaluator and becomes one observation per reporting endpoint, which the aggregator folds
 * into flow log records.
 */
#include "cli/cmd.h"

#include "dataplane/pcap_read.h"
#include "lib/eval.h"
#include "lib/flow.h"
#include "lib/flow_agg.h"
#include "lib/flowlog.h"
#include "lib/model.h"
#include "lib/pconn.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HIT_LEN 512

struct analyze {
	const struct model *m;
	struct flow_agg *agg;
	struct strbuf out;
	bool table;
	bool header_done;
	bool opened; /* the capture could be opened: a summary is due */
	uint64_t records;
	uint64_t agg_errors; /* -EINVAL from flow_agg_add: a bug, but counted, not hidden */
	char hits[FLOW_MAX_HITS][HIT_LEN]; /* the current observation's hit strings */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: palisade analyze -f PATH... --pcap FILE [--interval SECONDS]\n"
		   "                        [--aggregation-allowed N] [--aggregation-denied N]\n"
		   "                        [--host NAME] [-o json|table]\n"
		   "Prints the flow logs the policies of PATH... would have produced for the\n"
		   "capture FILE: JSON lines (-o json, the default) or a table.  A summary goes\n"
		   "to stderr.  Exit status: 0 done, 1 invalid manifests, 2 other errors.\n");
}

static long parse_num(const char *s, const char *what, long min, long max, int *bad)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "palisade analyze: %s: \"%s\" is not a number from %ld to %ld\n",
			what, s, min, max);
		*bad = 1;
	}
	return v;
}

/* One hit in the evaluator's "decided" form; the last slot is kept for the deciding step. */
static void push_hit(struct flow_obs *o, char (*bufs)[HIT_LEN], const struct model *m,
		     const struct eval_verdict *v, bool deciding)
{
	if (o->nhits >= FLOW_MAX_HITS - (deciding ? 0 : 1)) {
		o->dropped_hits++;
		return;
	}
	eval_decided(m, v, bufs[o->nhits], HIT_LEN);
	o->hits[o->nhits] = bufs[o->nhits];
	o->nhits++;
}

/* The hits of one direction: its Log and Pass matches in order, then what decided. */
static void set_hits(struct flow_obs *o, char (*bufs)[HIT_LEN], const struct model *m,
		     const struct eval_verdict *v)
{
	o->nhits = 0;
	o->dropped_hits = v->dropped_steps;
	for (size_t i = 0; i < v->nsteps; i++) {
		const struct eval_step *s = &v->steps[i];
		struct eval_verdict step;

		if (s->kind != EVAL_STEP_MATCH ||
		    (s->action != ACTION_LOG && s->action != ACTION_PASS))
			continue;
		memset(&step, 0, sizeof(step));
		step.reason = EVAL_RULE;
		step.tier = s->tier;
		step.policy = s->policy;
		step.rule = s->rule;
		step.action = s->action;
		push_hit(o, bufs, m, &step, false);
	}
	push_hit(o, bufs, m, v, true);
}

static int add_obs(struct analyze *an, const struct flow_obs *o)
{
	int rc = flow_agg_add(an->agg, an->m, o);

	if (rc == -EINVAL) {
		an->agg_errors++;
		return 0;
	}
	return rc == -ENOSPC ? 0 : rc; /* -ENOSPC is counted in the aggregator's dropped */
}

/*
 * One connection's activity in one window.  The egress verdict belongs to the source when it
 * is a workload (reporter src), the ingress verdict to the destination when it is a workload
 * or an unused pod address (reporter dst); what egress denied never reaches the destination.
 * A denied connection would never have been answered, whatever the capture shows, so its
 * reply counters are not reported.
 */
static int observe(struct analyze *an, const struct pconn_flow *f)
{
	struct eval_verdict eg, in;
	struct eval_flow ef;
	struct flow_obs o;
	bool allowed;
	int rc;

	memset(&ef, 0, sizeof(ef));
	eval_addr_from_ip(an->m, &f->src, &ef.src);
	eval_addr_from_ip(an->m, &f->dst, &ef.dst);
	ef.proto = f->proto;
	ef.sport = f->sport;
	ef.dport = f->dport;
	ef.icmp_type = f->icmp_type;
	ef.icmp_code = f->icmp_code;
	allowed = eval_flow(an->m, &ef, true, &eg, &in);

	memset(&o, 0, sizeof(o));
	o.src = f->src;
	o.dst = f->dst;
	o.proto = f->proto;
	o.sport = f->sport;
	o.dport = f->dport;
	o.icmp_type = f->icmp_type;
	o.icmp_code = f->icmp_code;
	o.started = f->started;
	o.completed = f->completed;
	o.answered = allowed && f->answered;
	o.bytes_orig = f->bytes_orig;
	o.packets_orig = f->packets_orig;
	o.bytes_reply = allowed ? f->bytes_reply : 0;
	o.packets_reply = allowed ? f->packets_reply : 0;
	if (eg.reason != EVAL_UNMANAGED) {
		o.reporter = FLOW_REPORTER_SRC;
		o.action = eg.allowed ? FLOW_ALLOW : FLOW_DENY;
		set_hits(&o, an->hits, an->m, &eg);
		rc = add_obs(an, &o);
		if (rc)
			return rc;
	}
	if (eg.allowed && in.reason != EVAL_UNMANAGED) {
		o.reporter = FLOW_REPORTER_DST;
		o.action = in.allowed ? FLOW_ALLOW : FLOW_DENY;
		set_hits(&o, an->hits, an->m, &in);
		rc = add_obs(an, &o);
		if (rc)
			return rc;
	}
	return 0;
}

/* A side of a record for the table: ns/name for endpoints, the IP or aggregate otherwise. */
static const char *side_text(const struct flowlog_side *s, char *buf, size_t size)
{
	const char *name = strcmp(s->name, "-") ? s->name : s->name_aggr;

	if (!strcmp(s->type, "wep"))
		snprintf(buf, size, "%s/%s", s->ns, name);
	else if (!strcmp(s->type, "net") && s->ip[0])
		snprintf(buf, size, "%s", s->ip);
	else
		snprintf(buf, size, "%s", name);
	if (s->port >= 0) {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, ":%d", s->port);
	}
	return buf;
}

static int print_table(struct analyze *an, const char *text)
{
	const char *line = text;

	if (!an->header_done) {
		printf("%-20s %-4s %-5s %-38s %-38s %-5s %5s %5s %7s %7s %9s %9s  %s\n", "START",
		       "REP", "ACT", "SOURCE", "DEST", "PROTO", "FLOWS", "UNANS", "PKT_IN",
		       "PKT_OUT", "BYTES_IN", "BYTES_OUT", "POLICY");
		an->header_done = true;
	}
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct flowlog_rec r;
		char err[256], ts[32], s[400], d[400];
		time_t t;
		struct tm tm;

		if (flowlog_parse(line, len, &r, err, sizeof(err))) {
			fprintf(stderr, "palisade analyze: internal error: %s\n", err);
			return -EINVAL;
		}
		t = (time_t)r.start_time;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%-20s %-4s %-5s %-38s %-38s %-5s %5llu %5llu %7llu %7llu %9llu %9llu  %s\n",
		       ts, r.reporter, r.action, side_text(&r.src, s, sizeof(s)),
		       side_text(&r.dst, d, sizeof(d)), r.proto, (unsigned long long)r.num_flows,
		       (unsigned long long)r.num_flows_unanswered, (unsigned long long)r.packets_in,
		       (unsigned long long)r.packets_out, (unsigned long long)r.bytes_in,
		       (unsigned long long)r.bytes_out,
		       r.npolicies ? r.policies[r.npolicies - 1] : "-");
		flowlog_rec_fini(&r);
		line += len + (nl ? 1 : 0);
	}
	return 0;
}

/* Judges every connection of the window, then prints the window's records. */
static int window(struct analyze *an, const struct pconn_window *w)
{
	int rc, n;

	for (size_t i = 0; i < w->nflows; i++) {
		rc = observe(an, &w->flows[i]);
		if (rc)
			return rc;
	}
	strbuf_reset(&an->out);
	n = flow_agg_flush(an->agg, w->start_ns / PCONN_SEC, w->end_ns / PCONN_SEC, &an->out);
	if (n < 0)
		return n;
	if (an->out.oom)
		return -ENOMEM;
	an->records += (uint64_t)n;
	if (an->table)
		return print_table(an, strbuf_str(&an->out));
	fwrite(an->out.s, 1, an->out.len, stdout);
	return 0;
}

/* Reads the capture through the tracker.  0, or the exit status 2 after a message. */
static int run(struct analyze *an, const char *pcap, uint64_t interval, struct pconn_stats *cs,
	       struct pcap_read_stats *ps)
{
	struct pconn_opts po = {.window_ns = interval * PCONN_SEC};
	struct pcap_reader *r;
	struct pconn *t = NULL;
	struct pconn_window w;
	struct packet p;
	uint64_t ts = 0, last = 0;
	char err[512];
	int rc = 0, status = 0;

	r = pcap_read_open(pcap, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "palisade analyze: %s\n", err);
		return 2;
	}
	an->opened = true;
	t = pconn_new(&po);
	if (!t) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		int got = pcap_read_next(r, &p, &ts, err, sizeof(err));

		if (got < 0) {
			/* Report what was read before the damage, then fail. */
			fprintf(stderr, "palisade analyze: %s: %s\n", pcap, err);
			status = 2;
			break;
		}
		if (got == 0)
			break;
		while ((rc = pconn_advance(t, ts, &w)) == 1) {
			rc = window(an, &w);
			if (rc)
				goto out;
		}
		if (rc)
			goto out;
		rc = pconn_add(t, ts, &p);
		if (rc && rc != -ENOSPC) /* -ENOSPC: counted in overflow */
			goto out;
		rc = 0;
		if (ts > last)
			last = ts;
	}
	/* The window the capture ended in (the packet at last was added, so none is due). */
	rc = pconn_finish(t, last, &w);
	if (rc == 1)
		rc = window(an, &w);
out:
	pcap_read_get_stats(r, ps);
	if (t)
		pconn_get_stats(t, cs);
	pconn_free(t);
	pcap_read_close(r);
	if (rc < 0) {
		fprintf(stderr, "palisade analyze: %s\n", strerror(-rc));
		return 2;
	}
	return status;
}

int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"pcap", required_argument, NULL, 'p'},
		{"interval", required_argument, NULL, 'i'},
		{"aggregation-allowed", required_argument, NULL, 'A'},
		{"aggregation-denied", required_argument, NULL, 'D'},
		{"host", required_argument, NULL, 'H'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	int npaths = 0, c, bad = 0, rc = 2;
	const char *pcap = NULL, *output = "json";
	struct flow_agg_opts ao = {FLOW_AGG_DEFAULT_KIND, FLOW_AGG_DEFAULT_KIND, 0, NULL};
	long interval = 15;
	struct analyze an = {0};
	struct cli_world w = {0};
	struct pconn_stats cs = {0};
	struct pcap_read_stats ps = {0};
	struct flow_agg_stats as = {0};

	if (!paths)
		return 2;
	strbuf_init(&an.out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 'p':
			pcap = optarg;
			break;
		case 'i':
			interval = parse_num(optarg, "--interval", 1, 86400, &bad);
			break;
		case 'A':
			ao.kind_allowed =
				(int)parse_num(optarg, "--aggregation-allowed", 0, 3, &bad);
			break;
		case 'D':
			ao.kind_denied = (int)parse_num(optarg, "--aggregation-denied", 0, 3, &bad);
			break;
		case 'H':
			ao.host = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			free(paths);
			return 0;
		default:
			bad = 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "palisade analyze: unexpected argument \"%s\"\n", argv[optind]);
		bad = 1;
	}
	if (strcmp(output, "json") && strcmp(output, "table")) {
		fprintf(stderr, "palisade analyze: -o must be json or table\n");
		bad = 1;
	}
	if (!pcap) {
		fprintf(stderr, "palisade analyze: --pcap FILE is required\n");
		bad = 1;
	}
	if (bad) {
		usage(stderr);
		goto out;
	}
	rc = cli_world_load(&w, paths, npaths);
	if (rc) /* 1: the manifests are invalid (as eval and validate say), 2: other errors */
		goto out;
	an.m = w.m;
	an.table = !strcmp(output, "table");
	an.agg = flow_agg_new(&ao);
	if (!an.agg) {
		fprintf(stderr, "palisade analyze: %s\n",
			errno == EINVAL ? "--host must be 1 to 253 printable characters"
					: strerror(errno));
		rc = 2;
		goto out;
	}
	rc = run(&an, pcap, (uint64_t)interval, &cs, &ps);
	flow_agg_get_stats(an.agg, &as);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "palisade analyze: writing the output: %s\n", strerror(errno));
		rc = 2;
	}
	if (!an.opened)
		goto out;
	fprintf(stderr,
		"analyze: packets=%llu ip=%llu truncated=%llu malformed=%llu unsupported=%llu "
		"flows=%llu records=%llu\n",
		(unsigned long long)ps.packets, (unsigned long long)ps.ip,
		(unsigned long long)ps.truncated, (unsigned long long)ps.malformed,
		(unsigned long long)ps.unsupported, (unsigned long long)cs.connections,
		(unsigned long long)an.records);
	/* Whatever was left out is said, never silently dropped. */
	if (cs.overflow)
		fprintf(stderr, "analyze: %llu packets not tracked: connection table full\n",
			(unsigned long long)cs.overflow);
	if (cs.late)
		fprintf(stderr,
			"analyze: %llu packets out of time order, counted at their window's start\n",
			(unsigned long long)cs.late);
	if (as.dropped)
		fprintf(stderr,
			"analyze: %llu observations dropped: too many records in a window\n",
			(unsigned long long)as.dropped);
	if (as.dropped_hits)
		fprintf(stderr, "analyze: %llu policy hits beyond %d per flow not recorded\n",
			(unsigned long long)as.dropped_hits, FLOW_MAX_HITS);
	if (as.truncated || as.unprintable)
		fprintf(stderr, "analyze: %llu records shortened, %llu not printable\n",
			(unsigned long long)as.truncated, (unsigned long long)as.unprintable);
	if (an.agg_errors) {
		fprintf(stderr, "analyze: %llu observations refused by the aggregator\n",
			(unsigned long long)an.agg_errors);
		rc = 2;
	}
out:
	flow_agg_free(an.agg);
	strbuf_fini(&an.out);
	cli_world_fini(&w);
	free(paths);
	return rc;
}
