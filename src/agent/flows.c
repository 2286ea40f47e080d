/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/flows.h"

#include "agent/flowlog_writer.h"
#include "agent/log.h"
#include "dataplane/conntrack.h"
#include "dataplane/nflog.h"
#include "lib/flow_agg.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SOCKET_RCVBUF	 (8u << 20)
#define DUMP_TIMEOUT_MS	 5000
#define RESYNC_MIN_GAP_S 1.0

struct flows {
	struct flows_config cfg;
	struct event_base *base;
	struct collector *c;
	struct flow_agg *agg;
	struct conntrack *ct;
	struct nflog_reader *nflog;
	struct flowlog_writer *w;
	struct event *nflog_ev, *ct_ev, *window_ev, *resync_ev;
	struct strbuf buf;
	uint64_t window_start; /* seconds since the epoch */
	double last_resync;    /* monotonic seconds */
	bool resync_pending;
	bool ct_err_logged, nflog_err_logged;
	uint64_t resyncs;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_nflog_rec(void *arg, const struct nflog_rec *rec)
{
	collector_nflog(arg, rec);
}

static void on_ct_entry(void *arg, const struct conntrack_entry *e)
{
	collector_conntrack(arg, e);
}

/* A full table dump into the collector: fresh counters, and the entries events missed. */
static void dump(struct flows *f)
{
	int rc;

	collector_dump_begin(f->c);
	rc = conntrack_dump(f->ct, DUMP_TIMEOUT_MS);
	collector_dump_end(f->c, rc == 0);
	if (rc)
		plog(PLOG_WARN, "conntrack dump failed, counters of this window may be late err=%s",
		     strerror(-rc));
}

static void resync(struct flows *f)
{
	double now = mono_s(), gap = now - f->last_resync;

	if (gap >= RESYNC_MIN_GAP_S) {
		f->resyncs++;
		f->last_resync = now;
		f->resync_pending = false;
		dump(f);
	} else if (!f->resync_pending) {
		struct timeval tv = {0, (long)((RESYNC_MIN_GAP_S - gap) * 1e6) + 1};

		f->resync_pending = true;
		event_add(f->resync_ev, &tv);
	}
}

static void read_conntrack(struct flows *f)
{
	int rc = conntrack_read_events(f->ct);

	if (rc == -ENOBUFS) {
		resync(f);
	} else if (rc && !f->ct_err_logged) {
		plog(PLOG_ERROR, "reading conntrack events failed err=%s", strerror(-rc));
		f->ct_err_logged = true;
	}
}

static void read_nflog(struct flows *f)
{
	int rc = nflog_reader_read(f->nflog);

	if (rc && !f->nflog_err_logged) {
		plog(PLOG_ERROR, "reading NFLOG records failed err=%s", strerror(-rc));
		f->nflog_err_logged = true;
	}
}

static void on_nflog(evutil_socket_t fd, short what, void *arg)
{
	read_nflog(arg);
}

static void on_conntrack(evutil_socket_t fd, short what, void *arg)
{
	read_conntrack(arg);
}

static void on_resync(evutil_socket_t fd, short what, void *arg)
{
	struct flows *f = arg;

	if (f->resync_pending)
		resync(f);
}

/* Everything queued goes in first, then a dump refreshes the counters, then the window
 * [window_start, now). */
static void end_window(struct flows *f, uint64_t now)
{
	int n;

	read_conntrack(f);
	read_nflog(f);
	dump(f);
	if (now < f->window_start)
		now = f->window_start; /* the clock went back */
	strbuf_reset(&f->buf);
	n = collector_flush(f->c, f->agg, f->window_start, now, &f->buf);
	if (n < 0 || f->buf.oom) {
		plog(PLOG_ERROR, "flow window not written: out of memory");
	} else if (n > 0) {
		int rc = flowlog_writer_write(f->w, f->buf.s, f->buf.len);

		if (rc)
			plog(PLOG_ERROR, "flow window not written dir=%s records=%d err=%s",
			     f->cfg.dir, n, strerror(-rc));
	}
	f->window_start = now;
	if (f->cfg.on_window)
		f->cfg.on_window(f->cfg.arg);
}

/*
 * Arms the window timer for the next multiple of the interval on the wall clock (and a
 * little after, so that time() has reached it): every agent's windows then end at the same
 * instants, and the controller can close a window as soon as they have been written.
 */
static void arm_window(struct flows *f)
{
	struct timespec ts;
	uint64_t now_ms, w = (uint64_t)f->cfg.interval * 1000, wait;
	struct timeval tv;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	wait = (now_ms / w + 1) * w - now_ms + 20;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	event_add(f->window_ev, &tv);
}

static void on_window(evutil_socket_t fd, short what, void *arg)
{
	struct flows *f = arg;
	uint64_t now = (uint64_t)time(NULL);

	end_window(f, now - now % f->cfg.interval);
	arm_window(f);
}

static void flows_free(struct flows *f)
{
	if (f->nflog_ev)
		event_free(f->nflog_ev);
	if (f->ct_ev)
		event_free(f->ct_ev);
	if (f->window_ev)
		event_free(f->window_ev);
	if (f->resync_ev)
		event_free(f->resync_ev);
	nflog_reader_free(f->nflog);
	conntrack_free(f->ct);
	flowlog_writer_free(f->w);
	flow_agg_free(f->agg);
	collector_free(f->c);
	strbuf_fini(&f->buf);
	free(f);
}

struct flows *flows_start(struct event_base *base, const struct flows_config *cfg)
{
	struct flows *f = calloc(1, sizeof(*f));
	struct collector_opts co = {
		.node = cfg->node, .model = cfg->model, .model_arg = cfg->model_arg};
	struct flow_agg_opts ao = {.kind_allowed = cfg->kind_allowed,
				   .kind_denied = cfg->kind_denied,
				   .host = cfg->node};
	struct nflog_reader_opts no = {.rcvbuf = SOCKET_RCVBUF};
	int rc;

	if (!f) {
		plog(PLOG_ERROR, "flow logs off: out of memory");
		return NULL;
	}
	f->cfg = *cfg;
	f->base = base;
	strbuf_init(&f->buf);
	f->c = collector_new(&co);
	f->agg = flow_agg_new(&ao);
	if (!f->c || !f->agg) {
		plog(PLOG_ERROR, "flow logs off: cannot create the collector err=%s",
		     strerror(errno));
		goto fail;
	}
	f->w = flowlog_writer_new(cfg->dir, NULL);
	if (!f->w) {
		plog(PLOG_ERROR, "flow logs off: cannot open %s/flows.log err=%s", cfg->dir,
		     strerror(errno));
		goto fail;
	}
	/* Per network namespace, and only for connections created from now on. */
	rc = conntrack_enable_acct();
	if (rc)
		plog(PLOG_WARN,
		     "cannot turn on conntrack accounting (net.netfilter.nf_conntrack_acct=1); "
		     "flows will have no byte and packet counts err=%s",
		     strerror(-rc));
	f->ct = conntrack_new(SOCKET_RCVBUF, on_ct_entry, f->c);
	if (!f->ct) {
		plog(PLOG_ERROR, "flow logs off: cannot subscribe to conntrack events err=%s",
		     strerror(errno));
		goto fail;
	}
	f->nflog = nflog_reader_new(&no, on_nflog_rec, f->c);
	if (!f->nflog) {
		plog(PLOG_ERROR, "flow logs off: cannot bind NFLOG groups 1 and 2 err=%s%s",
		     strerror(errno),
		     errno == EBUSY ? " (another process of this network namespace has them)" : "");
		goto fail;
	}
	f->nflog_ev = event_new(base, nflog_reader_fd(f->nflog), EV_READ | EV_PERSIST, on_nflog, f);
	f->ct_ev =
		event_new(base, conntrack_event_fd(f->ct), EV_READ | EV_PERSIST, on_conntrack, f);
	f->window_ev = evtimer_new(base, on_window, f);
	f->resync_ev = evtimer_new(base, on_resync, f);
	if (!f->nflog_ev || !f->ct_ev || !f->window_ev || !f->resync_ev ||
	    event_add(f->nflog_ev, NULL) || event_add(f->ct_ev, NULL)) {
		plog(PLOG_ERROR, "flow logs off: cannot register events");
		goto fail;
	}
	/* The baseline: connections older than the agent, whose past is not reported again. */
	dump(f);
	f->window_start = (uint64_t)time(NULL);
	arm_window(f);
	plog(PLOG_INFO,
	     "flow logs on dir=%s interval=%us aggregation_allowed=%d aggregation_denied=%d",
	     cfg->dir, cfg->interval, cfg->kind_allowed, cfg->kind_denied);
	return f;
fail:
	flows_free(f);
	return NULL;
}

void flows_stop(struct flows *f)
{
	if (!f)
		return;
	end_window(f, (uint64_t)time(NULL));
	flows_free(f);
}

struct counters {
	struct collector_stats c;
	struct conntrack_stats ct;
	struct nflog_reader_stats nl;
	struct flowlog_writer_stats w;
	struct flow_agg_stats agg;
};

static void get_counters(const struct flows *f, struct counters *k)
{
	collector_get_stats(f->c, &k->c);
	conntrack_get_stats(f->ct, &k->ct);
	nflog_reader_get_stats(f->nflog, &k->nl);
	flowlog_writer_get_stats(f->w, &k->w);
	flow_agg_get_stats(f->agg, &k->agg);
}

void flows_model_changed(struct flows *f)
{
	if (f)
		collector_model_changed(f->c);
}

void flows_status_json(const struct flows *f, struct strbuf *out)
{
	struct counters k;

	get_counters(f, &k);
	strbuf_printf(out,
		      "{\"active\":%llu,\"dropped\":%llu,\"nflog_records\":%llu,"
		      "\"nflog_overflows\":%llu,\"nflog_unparsable\":%llu,\"hits_unknown\":%llu,"
		      "\"conntrack_events\":%llu,\"conntrack_overflows\":%llu,"
		      "\"conntrack_resyncs\":%llu,\"conntrack_dump_errors\":%llu,\"windows\":%llu,"
		      "\"records_written\":%llu,\"write_errors\":%llu,\"records_dropped\":%llu}",
		      (unsigned long long)k.c.flows_active, (unsigned long long)k.c.flows_dropped,
		      (unsigned long long)k.nl.records, (unsigned long long)k.nl.overflows,
		      (unsigned long long)k.nl.unparsable, (unsigned long long)k.c.hits_unknown,
		      (unsigned long long)k.ct.events, (unsigned long long)k.ct.overflows,
		      (unsigned long long)f->resyncs, (unsigned long long)k.ct.dump_errors,
		      (unsigned long long)k.c.windows, (unsigned long long)k.w.records,
		      (unsigned long long)k.w.write_errors,
		      (unsigned long long)(k.agg.dropped + k.agg.invalid));
}

static void metric(struct strbuf *out, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
		      (unsigned long long)v);
}

void flows_metrics(const struct flows *f, struct strbuf *out)
{
	struct counters k;

	get_counters(f, &k);
	metric(out, "palisade_flows_active", "gauge", "Flows in the collector's table.",
	       k.c.flows_active);
	metric(out, "palisade_flows_dropped_total", "counter",
	       "Flow events refused because the table was full.", k.c.flows_dropped);
	metric(out, "palisade_nflog_records_total", "counter", "NFLOG rule hits read.",
	       k.nl.records);
	metric(out, "palisade_nflog_overflows_total", "counter",
	       "NFLOG socket overflows (rule hits lost).", k.nl.overflows);
	metric(out, "palisade_nflog_unparsable_total", "counter",
	       "NFLOG records without a valid prefix or IP packet.", k.nl.unparsable);
	metric(out, "palisade_flow_hits_unknown_total", "counter",
	       "NFLOG rule ids the current model does not name.", k.c.hits_unknown);
	metric(out, "palisade_conntrack_events_total", "counter", "Conntrack events read.",
	       k.ct.events);
	metric(out, "palisade_conntrack_overflows_total", "counter",
	       "Conntrack event socket overflows (events lost).", k.ct.overflows);
	metric(out, "palisade_conntrack_resyncs_total", "counter",
	       "Conntrack dumps after an overflow.", f->resyncs);
	metric(out, "palisade_conntrack_dump_errors_total", "counter",
	       "Conntrack dumps that failed or timed out.", k.ct.dump_errors);
	metric(out, "palisade_flow_windows_total", "counter", "Flow log windows ended.",
	       k.c.windows);
	metric(out, "palisade_flow_records_written_total", "counter",
	       "Flow log records written to flows.log.", k.w.records);
	metric(out, "palisade_flow_write_errors_total", "counter",
	       "Flow log windows that could not be written.", k.w.write_errors);
	metric(out, "palisade_flow_records_dropped_total", "counter",
	       "Flow observations the aggregator refused (record limit or malformed).",
	       k.agg.dropped + k.agg.invalid);
}
