/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/controller.h"

#include "agent/datastore.h"
#include "agent/event_sink.h"
#include "agent/feeds.h"
#include "agent/log.h"
#include "agent/protect.h"
#include "agent/response.h"
#include "agent/tail.h"
#include "lib/alert.h"
#include "lib/detect.h"
#include "lib/diag.h"
#include "lib/event.h"
#include "lib/flowlog.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TICK_MS	    500
#define MAX_PENDING 200000 /* lines read ahead of the window being filled */
#define MAX_EVENTS  10000  /* events of one window */
#define FLOW_LOG    "flows.log"
#define CURSOR_FILE "cursor.json"
#define STATUS_FILE "status.json"
#define ALERTS_FILE "alerts.json"

struct source {
	char *dir;
	struct tail *tail;
};

/* A line read ahead: it belongs to a window after the one being filled. */
struct pend {
	char *line;
	uint64_t end;
};

struct calert {
	struct alert *a;
	char *key; /* what the alert was made from (alert_key()); equal keys keep the state */
};

struct controller {
	const struct controller_config *cfg;
	struct event_base *base;
	struct event *tick_ev, *sigterm_ev, *sigint_ev, *sigusr1_ev;
	struct source *src;
	size_t nsrc;
	struct detect_job **jobs;
	size_t njobs;
	struct calert *alerts;
	size_t nalerts;
	struct timespec ds_mtime; /* the datastore directory when the alerts were loaded */
	struct event_sink *sink;
	struct responder *resp; /* NULL: response off */
	struct feeds *feeds;	/* the threat-feed puller; NULL without a datastore */
	uint64_t win_start;	/* the window being filled: [win_start, win_start + window) */
	struct pend *pend;
	size_t npend, cappend;
	struct sec_event *ev; /* the events of the window being closed */
	size_t nev, capev;
	/* counters: records of closed windows, of the window being filled, skipped at the first
	 * start (the logs are followed from their end) */
	uint64_t records, records_open, skipped;
	uint64_t parse_errors, late, pending_dropped, events, events_dropped, windows;
	uint64_t alert_errors;
};

static uint64_t wall(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t win_end(const struct controller *c)
{
	return c->win_start + c->cfg->window;
}

/* ---- events ---------------------------------------------------------------------------- */

static void collect_event(void *arg, const struct sec_event *e)
{
	struct controller *c = arg;

	if (c->nev == c->capev) {
		size_t cap = c->capev ? 2 * c->capev : 64;
		struct sec_event *v;

		if (cap > MAX_EVENTS || !(v = realloc(c->ev, cap * sizeof(*v)))) {
			c->events_dropped++;
			return;
		}
		c->ev = v;
		c->capev = cap;
	}
	c->ev[c->nev++] = *e;
}

/* ---- records --------------------------------------------------------------------------- */

static void feed(struct controller *c, const struct flowlog_rec *r)
{
	if (r->end_time <= c->win_start)
		c->late++; /* its window is closed: counted in this one */
	for (size_t i = 0; i < c->njobs; i++)
		detect_job_add(c->jobs[i], r);
	for (size_t i = 0; i < c->nalerts; i++)
		alert_add(c->alerts[i].a, r);
	c->records_open++;
}

static int push_pending(struct controller *c, const char *line, size_t len, uint64_t end)
{
	if (c->npend == c->cappend) {
		size_t cap = c->cappend ? 2 * c->cappend : 256;
		struct pend *v;

		if (cap > MAX_PENDING || !(v = realloc(c->pend, cap * sizeof(*v))))
			return -ENOSPC;
		c->pend = v;
		c->cappend = cap;
	}
	c->pend[c->npend].line = strndup(line, len);
	if (!c->pend[c->npend].line)
		return -ENOMEM;
	c->pend[c->npend++].end = end;
	return 0;
}

/* One line of a flow log: into the window being filled, or kept for a later one. */
static void on_line(void *arg, const char *line, size_t len)
{
	struct controller *c = arg;
	struct flowlog_rec r;
	char err[256];

	if (!len)
		return;
	if (flowlog_parse(line, len, &r, err, sizeof(err))) {
		if (c->parse_errors++ < 10)
			plog(PLOG_WARN, "flow log line skipped err=\"%s\"", err);
		return;
	}
	if (r.end_time <= win_end(c))
		feed(c, &r);
	else if (push_pending(c, line, len, r.end_time))
		c->pending_dropped++;
	flowlog_rec_fini(&r);
}

/* Feeds the lines read ahead that belong to the window being filled now. */
static void feed_pending(struct controller *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->npend; i++) {
		struct flowlog_rec r;
		char err[256];

		if (c->pend[i].end > win_end(c)) {
			c->pend[k++] = c->pend[i];
			continue;
		}
		if (!flowlog_parse(c->pend[i].line, strlen(c->pend[i].line), &r, err,
				   sizeof(err))) {
			feed(c, &r);
			flowlog_rec_fini(&r);
		}
		free(c->pend[i].line);
	}
	c->npend = k;
}

static void read_sources(struct controller *c)
{
	for (size_t i = 0; i < c->nsrc; i++) {
		long n = tail_read(c->src[i].tail, on_line, c);

		if (n < 0)
			plog(PLOG_WARN, "cannot read flow log dir=%s err=%s", c->src[i].dir,
			     strerror((int)-n));
	}
}

/* ---- the cursor ------------------------------------------------------------------------ */

/* <state>/cursor.json: the window, every log's position, the lines read ahead. */
static void save_cursor(struct controller *c)
{
	json_t *o = json_object(), *pos = json_array(), *pend = json_array();
	char *text = NULL;

	if (!o || !pos || !pend)
		goto out;
	json_object_set_new(o, "window_start", json_integer((json_int_t)c->win_start));
	for (size_t i = 0; i < c->nsrc; i++) {
		struct tail_pos p;

		tail_position(c->src[i].tail, &p);
		json_array_append_new(pos, json_pack("{s:s,s:I,s:I,s:I,s:I,s:i}", "dir",
						     c->src[i].dir, "dev", (json_int_t)p.dev, "ino",
						     (json_int_t)p.ino, "off", (json_int_t)p.off,
						     "head_hash", (json_int_t)p.head_hash,
						     "head_len", (int)p.head_len));
	}
	for (size_t i = 0; i < c->npend; i++)
		json_array_append_new(pend, json_string(c->pend[i].line));
	json_object_set(o, "positions", pos);
	json_object_set(o, "pending", pend);
	text = json_dumps(o, JSON_COMPACT);
	if (!text || datastore_write(c->cfg->state, CURSOR_FILE, text, strlen(text)))
		plog(PLOG_ERROR, "cannot save the cursor dir=%s", c->cfg->state);
out:
	free(text);
	json_decref(pos);
	json_decref(pend);
	json_decref(o);
}

/* 1 when a cursor was restored, 0 when there is none, -1 when it is unreadable. */
static int load_cursor(struct controller *c)
{
	char *path = NULL;
	json_t *o, *pos, *pend, *v;
	json_error_t jerr;
	size_t i;

	if (asprintf(&path, "%s/%s", c->cfg->state, CURSOR_FILE) < 0)
		return -1;
	o = json_load_file(path, 0, &jerr);
	if (!o) {
		struct stat sb;
		int rc = stat(path, &sb) ? 0 : -1;

		if (rc)
			plog(PLOG_ERROR,
			     "cursor unreadable, following the logs from their end "
			     "file=%s err=\"%s\"",
			     path, jerr.text);
		free(path);
		return rc;
	}
	free(path);
	v = json_object_get(o, "window_start");
	if (json_is_integer(v))
		c->win_start = (uint64_t)json_integer_value(v);
	pos = json_object_get(o, "positions");
	json_array_foreach(pos, i, v)
	{
		const char *dir = json_string_value(json_object_get(v, "dir"));
		struct tail_pos p = {
			.dev = (uint64_t)json_integer_value(json_object_get(v, "dev")),
			.ino = (uint64_t)json_integer_value(json_object_get(v, "ino")),
			.off = (uint64_t)json_integer_value(json_object_get(v, "off")),
			.head_hash = (uint64_t)json_integer_value(json_object_get(v, "head_hash")),
			.head_len = (uint32_t)json_integer_value(json_object_get(v, "head_len")),
		};

		for (size_t k = 0; dir && k < c->nsrc; k++)
			if (!strcmp(c->src[k].dir, dir) && tail_restore(c->src[k].tail, &p))
				plog(PLOG_WARN, "cannot resume flow log dir=%s", dir);
	}
	pend = json_object_get(o, "pending");
	json_array_foreach(pend, i, v)
	{
		const char *line = json_string_value(v);
		struct flowlog_rec r;
		char err[256];

		if (!line || flowlog_parse(line, strlen(line), &r, err, sizeof(err)))
			continue;
		if (push_pending(c, line, strlen(line), r.end_time))
			c->pending_dropped++;
		flowlog_rec_fini(&r);
	}
	json_decref(o);
	return 1;
}

static void skip(void *arg, const char *line, size_t len)
{
	struct controller *c = arg;

	c->skipped++;
}

/* ---- GlobalAlerts ---------------------------------------------------------------------- */

/* Everything an alert is made of, as text: an edit of any field makes a new alert. */
static char *alert_key(const struct resource *r)
{
	const struct res_global_alert *a = &r->u.alert;
	struct strbuf b;

	strbuf_init(&b);
	strbuf_printf(&b, "%s|%s|%s|%s|%d|%lld|%lld|%s|%s|%s|%s|%s|%d|%.17g", r->meta.name,
		      a->type ? a->type : "", a->summary ? a->summary : "",
		      a->description ? a->description : "", a->severity, (long long)a->period_s,
		      (long long)a->lookback_s, a->data_set ? a->data_set : "",
		      a->query ? a->query : "", a->field ? a->field : "",
		      a->metric ? a->metric : "", a->condition ? a->condition : "",
		      a->has_threshold, a->threshold);
	for (size_t i = 0; i < a->naggregate_by; i++)
		strbuf_printf(&b, "|%s", a->aggregate_by[i]);
	return strbuf_steal(&b);
}

/* Reloads the GlobalAlerts when the datastore changed; unchanged alerts keep their state. */
static void load_alerts(struct controller *c)
{
	struct resource_set rs;
	struct diag_list d;
	struct calert *next = NULL;
	size_t nnext = 0, skipped = 0;
	struct stat sb;

	if (!c->cfg->datastore || stat(c->cfg->datastore, &sb))
		return;
	if (sb.st_mtim.tv_sec == c->ds_mtime.tv_sec && sb.st_mtim.tv_nsec == c->ds_mtime.tv_nsec)
		return;
	c->ds_mtime = sb.st_mtim;
	resource_set_init(&rs);
	diag_list_init(&d);
	if (datastore_load(c->cfg->datastore, &rs, &d, &skipped))
		plog(PLOG_WARN, "datastore rejected, keeping the alerts dir=%s", c->cfg->datastore);
	else
		next = calloc(rs.n + 1, sizeof(*next));
	for (size_t i = 0; next && i < rs.n; i++) {
		const struct resource *r = rs.v[i];
		char *key, err[256];

		if (r->kind != RES_GLOBAL_ALERT)
			continue;
		key = alert_key(r);
		if (!key)
			continue;
		next[nnext].key = key;
		for (size_t k = 0; k < c->nalerts; k++) {
			if (c->alerts[k].a && !strcmp(c->alerts[k].key, key)) {
				next[nnext].a = c->alerts[k].a;
				c->alerts[k].a = NULL;
			}
		}
		if (!next[nnext].a)
			next[nnext].a =
				alert_new(r->meta.name, &r->u.alert, NULL, err, sizeof(err));
		if (!next[nnext].a) {
			c->alert_errors++;
			plog(PLOG_ERROR, "GlobalAlert %s refused err=\"%s\"", r->meta.name, err);
			free(key);
			continue;
		}
		nnext++;
	}
	if (next) {
		for (size_t k = 0; k < c->nalerts; k++) {
			alert_free(c->alerts[k].a);
			free(c->alerts[k].key);
		}
		free(c->alerts);
		c->alerts = next;
		c->nalerts = nnext;
		plog(PLOG_INFO, "alerts loaded count=%zu", nnext);
	}
	resource_set_fini(&rs);
	diag_list_fini(&d);
}

/* <state>/alerts.json: each GlobalAlert's status (lastExecuted, lastEvent, errorConditions). */
static void write_alert_status(struct controller *c)
{
	json_t *o = json_object();
	char *text;

	for (size_t i = 0; o && i < c->nalerts; i++) {
		const struct alert_status *s = alert_status(c->alerts[i].a);
		json_t *st = json_object(), *errs = json_array();

		for (size_t k = 0; k < s->nerrors; k++)
			json_array_append_new(errs,
					      json_pack("{s:s,s:s}", "type", s->errors[k].type,
							"message", s->errors[k].message));
		json_object_set_new(st, "lastExecuted", json_integer((json_int_t)s->last_executed));
		json_object_set_new(st, "lastEvent", json_integer((json_int_t)s->last_event));
		json_object_set_new(st, "errorConditions", errs);
		json_object_set_new(o, alert_name(c->alerts[i].a), st);
	}
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text || datastore_write(c->cfg->state, ALERTS_FILE, text, strlen(text)))
		plog(PLOG_WARN, "cannot write %s/%s", c->cfg->state, ALERTS_FILE);
	free(text);
	json_decref(o);
}

/* ---- windows --------------------------------------------------------------------------- */

static void write_status(struct controller *c)
{
	static const struct response_stats none;
	const struct response_stats *rs = c->resp ? responder_stats(c->resp) : &none;
	char *text = NULL;
	int n = asprintf(
		&text,
		"{\"window_start\":%llu,\"window\":%u,\"windows\":%llu,\"records\":%llu,"
		"\"records_open\":%llu,\"skipped\":%llu,"
		"\"parse_errors\":%llu,\"late\":%llu,\"pending\":%zu,"
		"\"pending_dropped\":%llu,\"events\":%llu,\"events_dropped\":%llu,"
		"\"jobs\":%zu,\"alerts\":%zu,\"alert_errors\":%llu,"
		"\"response\":{\"enabled\":%s,\"events\":%llu,\"quarantined\":%llu,"
		"\"extended\":%llu,\"refused_protected\":%llu,"
		"\"refused_no_address\":%llu,\"refused_full\":%llu,\"expired\":%llu,"
		"\"write_errors\":%llu}}\n",
		(unsigned long long)c->win_start, c->cfg->window, (unsigned long long)c->windows,
		(unsigned long long)c->records, (unsigned long long)c->records_open,
		(unsigned long long)c->skipped, (unsigned long long)c->parse_errors,
		(unsigned long long)c->late, c->npend, (unsigned long long)c->pending_dropped,
		(unsigned long long)c->events, (unsigned long long)c->events_dropped, c->njobs,
		c->nalerts, (unsigned long long)c->alert_errors, c->resp ? "true" : "false",
		(unsigned long long)rs->events, (unsigned long long)rs->quarantined,
		(unsigned long long)rs->extended, (unsigned long long)rs->refused_protected,
		(unsigned long long)rs->refused_no_address, (unsigned long long)rs->refused_full,
		(unsigned long long)rs->expired, (unsigned long long)rs->write_errors);

	if (n > 0 && datastore_write(c->cfg->state, STATUS_FILE, text, (size_t)n))
		plog(PLOG_WARN, "cannot write %s/%s", c->cfg->state, STATUS_FILE);
	free(text);
}

/* Ends the window being filled: detectors and due alerts, the events, the cursor. */
static void close_window(struct controller *c)
{
	uint64_t end = win_end(c);
	int rc;

	c->nev = 0;
	for (size_t i = 0; i < c->njobs; i++)
		detect_job_end_window(c->jobs[i], c->win_start, end, collect_event, c);
	for (size_t i = 0; i < c->nalerts; i++)
		if (alert_next_run(c->alerts[i].a) <= end &&
		    alert_evaluate(c->alerts[i].a, end, collect_event, c) < 0)
			c->alert_errors++;
	if (c->nev) {
		rc = event_sink_write(c->sink, c->ev, c->nev);
		if (rc)
			plog(PLOG_ERROR, "events not written count=%zu err=%s", c->nev,
			     strerror(-rc));
		for (size_t i = 0; i < c->nev; i++)
			plog(PLOG_INFO, "event type=%s origin=%s severity=%d id=%s", c->ev[i].type,
			     c->ev[i].origin, c->ev[i].severity, c->ev[i].id);
		c->events += c->nev;
		if (c->resp && responder_handle(c->resp, c->ev, c->nev, (int64_t)wall()) < 0)
			plog(PLOG_ERROR, "quarantine not written; retrying at the next tick");
	} else {
		event_sink_write(c->sink, NULL, 0); /* retries the webhook's queue */
	}
	c->windows++;
	c->records += c->records_open;
	c->records_open = 0;
	c->win_start = end;
	/* The cursor first: the lines read ahead stay in it until their window is closed. */
	save_cursor(c);
	feed_pending(c);
	if (c->nalerts)
		write_alert_status(c);
	load_alerts(c);
	write_status(c);
}

/* Reads what is new and closes every window whose records are all in. */
static void step(struct controller *c)
{
	read_sources(c);
	while (wall() >= win_end(c) + c->cfg->grace)
		close_window(c);
	if (c->resp)
		responder_tick(c->resp, (int64_t)wall());
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	step(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct controller *c = arg;

	plog(PLOG_INFO, "stopping on signal %d", (int)sig);
	event_base_loopbreak(c->base);
}

static void on_sigusr1(evutil_socket_t sig, short what, void *arg)
{
	struct controller *c = arg;

	plog(PLOG_INFO, "feeds: pull requested (SIGUSR1)");
	feeds_sync_now(c->feeds);
}

/* ---- set-up ---------------------------------------------------------------------------- */

static int make_jobs(struct controller *c)
{
	size_t n = 0;

	while (detect_jobs[n])
		n++;
	c->jobs = calloc(n + 1, sizeof(*c->jobs));
	if (!c->jobs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c->jobs[i] = detect_job_new(detect_jobs[i]->name);
		if (!c->jobs[i])
			return -ENOMEM;
		c->njobs++;
	}
	for (size_t i = 0; i < c->cfg->nparams; i++) {
		const struct controller_job_param *p = &c->cfg->params[i];
		bool known = false;

		for (size_t k = 0; k < c->njobs; k++) {
			if (strcmp(detect_job_name(c->jobs[k]), p->job))
				continue;
			known = true;
			if (detect_set_param(c->jobs[k], p->name, p->value)) {
				plog(PLOG_ERROR, "job %s: bad parameter %s=%g", p->job, p->name,
				     p->value);
				return -EINVAL;
			}
		}
		if (!known) {
			plog(PLOG_ERROR, "no job called %s", p->job);
			return -EINVAL;
		}
	}
	return 0;
}

static int make_sources(struct controller *c)
{
	c->src = calloc(c->cfg->nflow_dirs + 1, sizeof(*c->src));
	if (!c->src)
		return -ENOMEM;
	for (size_t i = 0; i < c->cfg->nflow_dirs; i++) {
		char *path = NULL;

		if (asprintf(&path, "%s/%s", c->cfg->flow_dirs[i], FLOW_LOG) < 0)
			return -ENOMEM;
		c->src[i].dir = strdup(c->cfg->flow_dirs[i]);
		c->src[i].tail = tail_new(path, c->cfg->keep);
		free(path);
		if (!c->src[i].dir || !c->src[i].tail)
			return -ENOMEM;
		c->nsrc++;
	}
	return 0;
}

/*
 * The responder, when response is on.  It never quarantines the cluster's own addresses
 * (protect.h: the Lab's pod range and fabric, Services, feeds.protect).
 */
static int make_responder(struct controller *c)
{
	struct resource_set rs;
	struct diag_list d;
	struct cidr *protect = NULL;
	size_t nprotect = 0, skipped = 0;
	int rc;

	if (!response_enabled(&c->cfg->response))
		return 0;
	if (!c->cfg->datastore) {
		plog(PLOG_ERROR, "response needs a datastore to write the quarantine set to");
		return -EINVAL;
	}
	resource_set_init(&rs);
	diag_list_init(&d);
	datastore_load(c->cfg->datastore, &rs, &d, &skipped);
	rc = protect_ranges(&rs, c->cfg->feeds.protect, c->cfg->feeds.nprotect, &protect,
			    &nprotect);
	resource_set_fini(&rs);
	diag_list_fini(&d);
	if (!rc)
		c->resp = responder_new(&c->cfg->response, c->cfg->datastore, protect, nprotect);
	free(protect);
	if (!c->resp)
		return -ENOMEM;
	if (responder_start(c->resp, (int64_t)wall()))
		plog(PLOG_WARN, "quarantine set not created yet; retrying with the first event");
	plog(PLOG_INFO, "response on events=%zu min_severity=%d duration=%llds set=%s",
	     c->cfg->response.nevents, c->cfg->response.min_severity,
	     (long long)c->cfg->response.duration_s,
	     c->cfg->response.network_set ? c->cfg->response.network_set : RESPONSE_SET_DEFAULT);
	return 0;
}

static void controller_fini(struct controller *c)
{
	feeds_free(c->feeds); /* stops and joins the puller first */
	for (size_t i = 0; i < c->nsrc; i++) {
		tail_free(c->src[i].tail);
		free(c->src[i].dir);
	}
	free(c->src);
	for (size_t i = 0; i < c->njobs; i++)
		detect_job_free(c->jobs[i]);
	free(c->jobs);
	for (size_t i = 0; i < c->nalerts; i++) {
		alert_free(c->alerts[i].a);
		free(c->alerts[i].key);
	}
	free(c->alerts);
	for (size_t i = 0; i < c->npend; i++)
		free(c->pend[i].line);
	free(c->pend);
	free(c->ev);
	event_sink_free(c->sink);
	responder_free(c->resp);
	if (c->tick_ev)
		event_free(c->tick_ev);
	if (c->sigterm_ev)
		event_free(c->sigterm_ev);
	if (c->sigint_ev)
		event_free(c->sigint_ev);
	if (c->sigusr1_ev)
		event_free(c->sigusr1_ev);
	if (c->base)
		event_base_free(c->base);
}

int controller_run(const struct controller_config *cfg)
{
	struct controller c;
	struct timeval tick = {0, TICK_MS * 1000};
	char *events_dir = NULL;
	int rc = 1, restored;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN); /* until the event loop takes it: a sync must not kill us */
	if ((mkdir(cfg->state, 0755) && errno != EEXIST) ||
	    asprintf(&events_dir, "%s/events", cfg->state) < 0) {
		plog(PLOG_ERROR, "cannot create the state directory dir=%s", cfg->state);
		goto out;
	}
	c.sink = event_sink_new(events_dir, cfg->webhook);
	if (cfg->datastore && !(c.feeds = feeds_new(&cfg->feeds, cfg->datastore, cfg->state)))
		plog(PLOG_ERROR, "cannot start the feed puller err=%s", strerror(errno));
	if (!c.sink || make_sources(&c) || make_jobs(&c) || (cfg->datastore && !c.feeds) ||
	    make_responder(&c)) {
		plog(PLOG_ERROR, "controller not started");
		goto out;
	}
	restored = load_cursor(&c);
	if (restored <= 0) {
		/* No cursor: follow the logs from their end, as `tail -f` does. */
		for (size_t i = 0; i < c.nsrc; i++)
			tail_read(c.src[i].tail, skip, &c);
		c.win_start = wall() - wall() % cfg->window;
	}
	load_alerts(&c);
	plog(PLOG_INFO, "controller started logs=%zu jobs=%zu alerts=%zu window=%us resumed=%s",
	     c.nsrc, c.njobs, c.nalerts, cfg->window, restored > 0 ? "yes" : "no");
	feed_pending(&c);
	if (cfg->once) {
		if (c.feeds)
			feeds_run_once(c.feeds, (int64_t)time(NULL) * 1000);
		step(&c);
		write_status(&c);
		rc = 0;
		goto out;
	}
	c.base = event_base_new();
	if (!c.base)
		goto out;
	c.tick_ev = event_new(c.base, -1, EV_PERSIST, on_tick, &c);
	c.sigterm_ev = evsignal_new(c.base, SIGTERM, on_signal, &c);
	c.sigint_ev = evsignal_new(c.base, SIGINT, on_signal, &c);
	c.sigusr1_ev = evsignal_new(c.base, SIGUSR1, on_sigusr1, &c);
	if (!c.tick_ev || !c.sigterm_ev || !c.sigint_ev || !c.sigusr1_ev ||
	    event_add(c.tick_ev, &tick) || event_add(c.sigterm_ev, NULL) ||
	    event_add(c.sigint_ev, NULL) || event_add(c.sigusr1_ev, NULL))
		goto out;
	if (c.feeds && feeds_start(c.feeds)) {
		plog(PLOG_ERROR, "cannot start the feed puller's thread");
		goto out;
	}
	write_status(&c);
	/* No cursor here: the window being filled is read again after a restart. */
	event_base_dispatch(c.base);
	rc = 0;
out:
	free(events_dir);
	controller_fini(&c);
	return rc;
}
