/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/agent.h"

#include "agent/datastore.h"
#include "agent/flows.h"
#include "agent/log.h"
#include "dataplane/nft_apply.h"
#include "dataplane/nft_delta.h"
#include "dataplane/nft_netlink.h"
#include "dataplane/nft_patch.h"
#include "dataplane/nft_render.h"
#include "lib/diag.h"
#include "lib/model.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One loaded generation: the resources and the model built from them (BIRD-style swap). */
struct generation {
	struct resource_set rs;
	struct model *m;
	char *script;
};

struct agent {
	const struct agent_config *cfg;
	struct event_base *base;
	struct event *inotify_ev, *debounce_ev, *sigterm_ev, *sigint_ev;
	struct evhttp *http;
	int inotify_fd;
	struct nft_applier *nft;
	struct generation *cur;
	char *applied; /* the script the kernel holds (NULL until the first full apply) */
	/* metrics */
	unsigned long applies, apply_errors, load_errors, reloads, files_skipped;
	unsigned long deltas, delta_elements, delta_fallbacks, patches, patch_fallbacks;
	unsigned long delta_expired; /* timed elements to delete the kernel had expired first */
	double last_apply_seconds;
	size_t rules, sets, endpoints, policies;
	bool healthy;
	struct flows *flows;	 /* NULL when flow logs are off */
	const char *last_result; /* of the last reload, for status rewrites between reloads */
	char flows_json[1024];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void generation_free(struct generation *g)
{
	if (!g)
		return;
	model_free(g->m);
	resource_set_fini(&g->rs);
	free(g->script);
	free(g);
}

/* Makes g the current generation; the collector resolves rule ids against it from now on. */
static void swap_generation(struct agent *a, struct generation *g)
{
	generation_free(a->cur);
	a->cur = g;
	flows_model_changed(a->flows);
}

static void print_diags(const struct diag_list *d, enum plog_level lvl_err)
{
	char buf[2048];

	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->v[i], buf, sizeof(buf));
		plog(d->v[i].severity == DIAG_ERROR ? lvl_err : PLOG_WARN, "\"%s\"", buf);
	}
}

static void write_status(struct agent *a, const char *result);

/*
 * More than elements changed: the patch of changed chains and sets (nft_patch.h), one
 * libnftables transaction.  0 when applied; else the caller applies the whole table (a new
 * hook, a changed set declaration, or a patch the kernel refused).
 */
static int apply_patch(struct agent *a, const char *script)
{
	struct nft_patch_stats st;
	struct strbuf patch;
	const char *err = NULL;
	int rc;

	strbuf_init(&patch);
	rc = nft_patch_compute(a->applied, script, &patch, &st);
	if (!rc && patch.len)
		rc = nft_applier_run(a->nft, strbuf_str(&patch), &err);
	if (!rc) {
		a->patches++;
		plog(PLOG_INFO,
		     "patch chains_added=%zu chains_changed=%zu chains_removed=%zu sets_added=%zu "
		     "sets_removed=%zu rules=%zu elements=%zu",
		     st.chains_added, st.chains_changed, st.chains_removed, st.sets_added,
		     st.sets_removed, st.rules, st.elements);
	} else if (rc != -EAGAIN) {
		a->patch_fallbacks++;
		plog(PLOG_WARN, "patch failed, applying the whole table err=\"%s\"",
		     err ? err : strerror(-rc));
	}
	strbuf_fini(&patch);
	return rc;
}

static void reload(struct agent *a)
{
	struct generation *g = calloc(1, sizeof(*g));
	struct diag_list d;
	struct strbuf script;
	struct nft_render_opts o;
	struct nft_render_stats stats;
	const char *err = NULL;
	size_t skipped = 0;
	double t0 = now_s();
	const char *result = "error";
	int rc;

	diag_list_init(&d);
	strbuf_init(&script);
	a->reloads++;
	if (!g)
		goto fail;
	resource_set_init(&g->rs);
	rc = datastore_load(a->cfg->datastore, &g->rs, &d, &skipped);
	a->files_skipped = skipped;
	print_diags(&d, PLOG_ERROR);
	if (skipped)
		plog(PLOG_WARN, "datastore files left out because they do not validate files=%zu",
		     skipped);
	if (rc) {
		plog(PLOG_ERROR, "datastore rejected, keeping the running ruleset dir=%s err=%s",
		     a->cfg->datastore, rc == -EINVAL ? "conflicting objects" : strerror(-rc));
		a->load_errors++;
		goto fail;
	}
	diag_list_fini(&d);
	diag_list_init(&d);
	g->m = model_build(&g->rs, &d);
	print_diags(&d, PLOG_ERROR);
	if (!g->m || d.errors) {
		plog(PLOG_ERROR, "model rejected, keeping the running ruleset");
		a->load_errors++;
		goto fail;
	}
	memset(&o, 0, sizeof(o));
	o.node = a->cfg->node;
	o.nflog_ingress = 1;
	o.nflog_egress = 2;
	o.stats = &stats;
	/* Network-set expiries become timeouts counted from the wall clock (nft_render.h). */
	o.now = (int64_t)time(NULL);
	memset(&stats, 0, sizeof(stats));
	if (g->m->lab) {
		o.pod_cidrs = &g->m->lab->u.lab.pod_cidr;
		o.npod_cidrs = 1;
	}
	if (nft_render(g->m, &o, &script) || script.oom) {
		plog(PLOG_ERROR, "render failed: out of memory");
		goto fail;
	}
	g->script = strbuf_steal(&script);
	if (a->cur && a->cur->script && !strcmp(a->cur->script, g->script)) {
		plog(PLOG_INFO, "datastore changed, ruleset unchanged");
		swap_generation(a, g);
		result = "unchanged";
		goto out;
	}
	/* After the first full apply, a change that only touches set and map elements goes to
	 * the kernel as one netlink batch of just those elements (DESIGN §5); anything else,
	 * or a batch the kernel refuses, takes the full transaction. */
	rc = -1;
	if (a->applied) {
		struct nft_delta *delta = NULL;
		char msg[256];

		if (nft_delta_compute(a->applied, g->script, &delta) == 0 && delta) {
			struct nft_netlink_stats ns = {0};
			size_t n = nft_delta_count(delta);

			rc = n ? nft_netlink_apply_stats(delta, &ns, msg, sizeof(msg)) : 0;
			if (rc) {
				a->delta_fallbacks++;
				plog(PLOG_WARN,
				     "delta apply failed, applying the whole table err=\"%s\"",
				     msg);
			} else if (!n) {
				/* Only the timeouts' text moved on with the clock: the elements
				 * and when they expire are the same. */
				nft_delta_free(delta);
				plog(PLOG_INFO, "datastore changed, ruleset unchanged");
				swap_generation(a, g);
				result = "unchanged";
				goto out;
			} else {
				a->deltas++;
				a->delta_elements += n;
				a->delta_expired += ns.expired;
				if (ns.expired)
					plog(PLOG_INFO,
					     "delta: timed elements already expired in the kernel "
					     "expired=%zu batches=%zu",
					     ns.expired, ns.batches);
				result = "delta";
			}
			nft_delta_free(delta);
		} else if (!delta) {
			rc = apply_patch(a, g->script);
			result = rc ? result : "patched";
		}
	}
	if (rc) {
		rc = nft_applier_run(a->nft, g->script, &err);
		result = "applied";
	}
	a->last_apply_seconds = now_s() - t0;
	if (rc) {
		a->apply_errors++;
		plog(PLOG_ERROR, "apply failed, keeping the running ruleset err=\"%s\"",
		     err ? err : "");
		goto fail;
	}
	a->applies++;
	a->healthy = true;
	free(a->applied);
	a->applied = strdup(g->script);
	a->rules = stats.rules;
	a->sets = stats.sets;
	a->endpoints = g->m->neps;
	a->policies = g->m->npols;
	plog(PLOG_INFO, "%s node=%s endpoints=%zu policies=%zu rules=%zu sets=%zu ms=%.1f", result,
	     a->cfg->node ? a->cfg->node : "*", a->endpoints, a->policies, a->rules, a->sets,
	     a->last_apply_seconds * 1e3);
	swap_generation(a, g);
	goto out;
fail:
	generation_free(g);
out:
	write_status(a, result);
	strbuf_fini(&script);
	diag_list_fini(&d);
}

/* ,"flows":{...} for status.json when flow logs are on, else "". */
static const char *status_flows(struct agent *a)
{
	struct strbuf b;

	a->flows_json[0] = '\0';
	if (!a->flows)
		return a->flows_json;
	strbuf_init(&b);
	strbuf_puts(&b, ",\"flows\":");
	flows_status_json(a->flows, &b);
	if (!b.oom && b.len < sizeof(a->flows_json))
		memcpy(a->flows_json, strbuf_str(&b), b.len + 1);
	strbuf_fini(&b);
	return a->flows_json;
}

/* <state>/status.json: what the last reload did, for `palisade lab` and tests that wait
 * for an agent to catch up.  Written atomically. */
static void write_status(struct agent *a, const char *result)
{
	char *text = NULL;
	int n;

	a->last_result = result;
	if (!a->cfg->state)
		return;
	n = asprintf(
		&text,
		"{\"node\":\"%s\",\"reloads\":%lu,\"applies\":%lu,\"deltas\":%lu,\"patches\":%lu,"
		"\"delta_expired\":%lu,\"apply_errors\":%lu,"
		"\"load_errors\":%lu,\"files_skipped\":%lu,\"endpoints\":%zu,\"policies\":%zu,"
		"\"rules\":%zu,\"sets\":%zu,\"last\":\"%s\"%s}\n",
		a->cfg->node ? a->cfg->node : "", a->reloads, a->applies, a->deltas, a->patches,
		a->delta_expired, a->apply_errors, a->load_errors, a->files_skipped, a->endpoints,
		a->policies, a->rules, a->sets, result, status_flows(a));
	if (n > 0 && datastore_write(a->cfg->state, "status.json", text, (size_t)n))
		plog(PLOG_WARN, "cannot write %s/status.json", a->cfg->state);
	free(text);
}

static void on_debounce(evutil_socket_t fd, short what, void *arg)
{
	reload(arg);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct timeval tv = {0, 100 * 1000};

	/* Drain, then reload once after 100 ms of quiet: an editor or `palisade apply` often
	 * writes several files in a burst. */
	while (read(a->inotify_fd, buf, sizeof(buf)) > 0)
		;
	event_add(a->debounce_ev, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	plog(PLOG_INFO, "stopping on signal %d; the ruleset stays in force", (int)sig);
	event_base_loopbreak(a->base);
}

static void add_flow_metrics(struct agent *a, struct evbuffer *b)
{
	struct strbuf m;

	if (!a->flows)
		return;
	strbuf_init(&m);
	flows_metrics(a->flows, &m);
	if (!m.oom)
		evbuffer_add(b, strbuf_str(&m), m.len);
	strbuf_fini(&m);
}

static void on_http(struct evhttp_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *b = evbuffer_new();

	if (!b)
		return;
	if (!strcmp(uri, "/healthz")) {
		evbuffer_add_printf(b, "%s\n", a->healthy ? "ok" : "not applied yet");
		evhttp_send_reply(req, a->healthy ? 200 : 503, a->healthy ? "OK" : "Unavailable",
				  b);
	} else if (!strcmp(uri, "/metrics")) {
		evbuffer_add_printf(
			b,
			"# HELP palisade_rules Rules in the applied ruleset.\n# TYPE palisade_rules gauge\n"
			"palisade_rules %zu\n"
			"# HELP palisade_sets Sets and maps in the applied ruleset.\n# TYPE palisade_sets gauge\n"
			"palisade_sets %zu\n"
			"# TYPE palisade_endpoints gauge\npalisade_endpoints %zu\n"
			"# TYPE palisade_policies gauge\npalisade_policies %zu\n"
			"# HELP palisade_applies_total Successful ruleset transactions.\n"
			"# TYPE palisade_applies_total counter\npalisade_applies_total %lu\n"
			"# TYPE palisade_apply_errors_total counter\npalisade_apply_errors_total %lu\n"
			"# TYPE palisade_load_errors_total counter\npalisade_load_errors_total %lu\n"
			"# TYPE palisade_reloads_total counter\npalisade_reloads_total %lu\n"
			"# HELP palisade_deltas_total Changes applied as netlink element deltas.\n"
			"# TYPE palisade_deltas_total counter\npalisade_deltas_total %lu\n"
			"# TYPE palisade_delta_elements_total counter\npalisade_delta_elements_total %lu\n"
			"# HELP palisade_delta_fallbacks_total Deltas the kernel refused (whole table applied instead).\n"
			"# TYPE palisade_delta_fallbacks_total counter\npalisade_delta_fallbacks_total %lu\n"
			"# HELP palisade_delta_expired_total Timed elements a delta deleted that the kernel had already expired.\n"
			"# TYPE palisade_delta_expired_total counter\npalisade_delta_expired_total %lu\n"
			"# HELP palisade_patches_total Changes applied as patches of chains and sets.\n"
			"# TYPE palisade_patches_total counter\npalisade_patches_total %lu\n"
			"# HELP palisade_patch_fallbacks_total Patches the kernel refused (whole table applied instead).\n"
			"# TYPE palisade_patch_fallbacks_total counter\npalisade_patch_fallbacks_total %lu\n"
			"# TYPE palisade_datastore_files_skipped gauge\npalisade_datastore_files_skipped %lu\n"
			"# HELP palisade_apply_seconds Load, render and apply time of the last change.\n"
			"# TYPE palisade_apply_seconds gauge\npalisade_apply_seconds %.6f\n",
			a->rules, a->sets, a->endpoints, a->policies, a->applies, a->apply_errors,
			a->load_errors, a->reloads, a->deltas, a->delta_elements,
			a->delta_fallbacks, a->delta_expired, a->patches, a->patch_fallbacks,
			a->files_skipped, a->last_apply_seconds);
		add_flow_metrics(a, b);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "text/plain; version=0.0.4");
		evhttp_send_reply(req, 200, "OK", b);
	} else {
		evbuffer_add_printf(b, "not found\n");
		evhttp_send_reply(req, 404, "Not Found", b);
	}
	evbuffer_free(b);
}

static int start_http(struct agent *a)
{
	char host[256];
	const char *colon;
	long port;

	if (!a->cfg->listen || !*a->cfg->listen)
		return 0;
	colon = strrchr(a->cfg->listen, ':');
	if (!colon || (size_t)(colon - a->cfg->listen) >= sizeof(host)) {
		plog(PLOG_ERROR, "bad --listen address \"%s\" (want HOST:PORT)", a->cfg->listen);
		return -EINVAL;
	}
	memcpy(host, a->cfg->listen, (size_t)(colon - a->cfg->listen));
	host[colon - a->cfg->listen] = '\0';
	port = strtol(colon + 1, NULL, 10);
	a->http = evhttp_new(a->base);
	if (!a->http || port <= 0 || port > 65535 ||
	    evhttp_bind_socket(a->http, host, (unsigned short)port)) {
		plog(PLOG_ERROR, "cannot listen on %s", a->cfg->listen);
		return -EADDRINUSE;
	}
	evhttp_set_gencb(a->http, on_http, a);
	plog(PLOG_INFO, "serving /healthz and /metrics on %s", a->cfg->listen);
	return 0;
}

static const struct model *current_model(void *arg)
{
	struct agent *a = arg;

	return a->cur ? a->cur->m : NULL;
}

static void on_flow_window(void *arg)
{
	struct agent *a = arg;

	write_status(a, a->last_result ? a->last_result : "none");
}

/* Flow logs in <state>/flows (agent/flows.h); without them the agent still enforces. */
static void start_flows(struct agent *a)
{
	struct flows_config fc = {.node = a->cfg->node,
				  .interval = a->cfg->flow_interval,
				  .kind_allowed = a->cfg->flow_kind_allowed,
				  .kind_denied = a->cfg->flow_kind_denied,
				  .model = current_model,
				  .model_arg = a,
				  .on_window = on_flow_window,
				  .arg = a};
	char *dir = NULL;

	if (a->cfg->no_flows)
		return;
	if (!a->cfg->state) {
		plog(PLOG_WARN, "flow logs off: they need --state DIR");
		return;
	}
	if (asprintf(&dir, "%s/flows", a->cfg->state) < 0) {
		plog(PLOG_ERROR, "flow logs off: out of memory");
		return;
	}
	fc.dir = dir;
	a->flows = flows_start(a->base, &fc);
	free(dir);
}

int agent_run(const struct agent_config *cfg)
{
	struct agent a;
	int rc = 1;

	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	a.inotify_fd = -1;
	if (cfg->state && mkdir(cfg->state, 0755) && errno != EEXIST) {
		plog(PLOG_ERROR, "cannot create state directory %s: %s", cfg->state,
		     strerror(errno));
		return 1;
	}
	a.nft = nft_applier_new();
	if (!a.nft) {
		plog(PLOG_ERROR, "cannot create an nftables context");
		return 1;
	}
	if (cfg->once) {
		reload(&a);
		rc = a.applies ? 0 : 1;
		goto out;
	}
	a.base = event_base_new();
	a.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!a.base || a.inotify_fd < 0 ||
	    inotify_add_watch(a.inotify_fd, cfg->datastore,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
				      IN_CREATE) < 0) {
		plog(PLOG_ERROR, "cannot watch %s: %s", cfg->datastore, strerror(errno));
		goto out;
	}
	a.inotify_ev = event_new(a.base, a.inotify_fd, EV_READ | EV_PERSIST, on_inotify, &a);
	a.debounce_ev = evtimer_new(a.base, on_debounce, &a);
	a.sigterm_ev = evsignal_new(a.base, SIGTERM, on_signal, &a);
	a.sigint_ev = evsignal_new(a.base, SIGINT, on_signal, &a);
	if (!a.inotify_ev || !a.debounce_ev || !a.sigterm_ev || !a.sigint_ev)
		goto out;
	event_add(a.inotify_ev, NULL);
	event_add(a.sigterm_ev, NULL);
	event_add(a.sigint_ev, NULL);
	if (start_http(&a))
		goto out;
	plog(PLOG_INFO, "agent started node=%s datastore=%s", cfg->node ? cfg->node : "*",
	     cfg->datastore);
	reload(&a);
	start_flows(&a);
	event_base_dispatch(a.base);
	rc = 0;
out:
	flows_stop(a.flows);
	if (a.http)
		evhttp_free(a.http);
	if (a.inotify_ev)
		event_free(a.inotify_ev);
	if (a.debounce_ev)
		event_free(a.debounce_ev);
	if (a.sigterm_ev)
		event_free(a.sigterm_ev);
	if (a.sigint_ev)
		event_free(a.sigint_ev);
	if (a.base)
		event_base_free(a.base);
	if (a.inotify_fd >= 0)
		close(a.inotify_fd);
	generation_free(a.cur);
	free(a.applied);
	nft_applier_free(a.nft);
	return rc;
}
