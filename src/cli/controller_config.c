/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/controller_config.h"

#include "agent/controller.h"
#include "lib/arena.h"
#include "lib/cidr.h"
#include "lib/decode.h"
#include "lib/detect.h"
#include "lib/diag.h"
#include "lib/doc.h"
#include "lib/readfile.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_LIMIT	  (1LL << 30) /* 1 GiB: more is a mistake, not a feed */
#define MAX_ENTRIES_LIMIT 1000000
#define DURATION_MAX_MS	  (366LL * 24 * 3600 * 1000)
#define TOP_KEYS                                                                             \
	"lab, flows, state, datastore, window, grace, webhook, jobs, disable, once, feeds, " \
	"response"
#define FEEDS_KEYS                                                                             \
	"minPeriod, periodOverride, backoff, timeout, connectTimeout, lowSpeedTime, "          \
	"maxBodyBytes, secretsDir, caFile, protect, allowBroad, allowProtected, maxPrefixV4, " \
	"maxPrefixV6, shrinkFraction"
#define RESPONSE_KEYS "events, minSeverity, duration, networkSet, labels, maxEntries"

void controller_config_init(struct controller_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->window = 15;
	cfg->grace = 2;
	cfg->keep = 5;
	feeds_config_init(&cfg->feeds);
	cfg->response.min_severity = RESPONSE_MIN_SEVERITY_DEFAULT;
	cfg->response.duration_s = RESPONSE_DURATION_DEFAULT;
	cfg->response.network_set = RESPONSE_SET_DEFAULT;
	cfg->response.max_entries = RESPONSE_MAX_ENTRIES_DEFAULT;
}

int controller_config_duration_ms(const char *s, int64_t *ms)
{
	int64_t ns;

	if (!s || dec_parse_duration(s, &ns) || ns < 0)
		return -EINVAL;
	if (ns && ns < 1000000)
		return -EINVAL;
	*ms = ns / 1000000;
	return 0;
}

const char *controller_config_event_err(const char *type)
{
	if (detect_job_find(type))
		return NULL;
	return "not a detector job (ip_sweep_external, ip_sweep_pods, port_scan_external, "
	       "port_scan_pods, inbound_connection_spike, service_bytes_anomaly, "
	       "pod_outlier_ip_activity, gtf_suspicious_flow)";
}

const char *controller_config_set_name_err(const char *name)
{
	return dec_dns_subdomain_err(name);
}

const char *controller_config_label_err(const char *key, const char *value)
{
	if (dec_qualified_name_err(key))
		return "the key is not a qualified name ([prefix/]name, at most 63 characters of "
		       "[A-Za-z0-9_.-] starting and ending alphanumeric)";
	if (dec_label_value_err(value))
		return "the value is not a label value (at most 63 characters of [A-Za-z0-9_.-] "
		       "starting and ending alphanumeric, or empty)";
	return NULL;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* What the keys are read with: the file, its arena and diagnostics, the section's name. */
struct rd {
	const char *file;
	struct arena *a;
	struct diag_list *d;
	const char *sect; /* "", "feeds.", "response." */
};

static int bad(struct rd *r, const struct doc_node *v, const char *key, const char *what)
{
	diag_error(r->d, r->file, v->line, "%s%s: expected %s", r->sect, key, what);
	return -EINVAL;
}

static bool scalar(const struct doc_node *v)
{
	return v->type == DOC_SCALAR && !(v->quoted == false && doc_is_null(v));
}

static int get_string(struct rd *r, const struct doc_node *v, const char *key, const char **out)
{
	if (!scalar(v))
		return bad(r, v, key, "a string");
	*out = v->str;
	return 0;
}

static int get_int(struct rd *r, const struct doc_node *v, const char *key, long long lo,
		   long long hi, long long *out)
{
	long long n;
	char what[96];

	if (v->type != DOC_SCALAR || v->quoted || doc_to_int(v, &n) || n < lo || n > hi) {
		snprintf(what, sizeof(what), "a whole number from %lld to %lld", lo, hi);
		return bad(r, v, key, what);
	}
	*out = n;
	return 0;
}

static int get_bool(struct rd *r, const struct doc_node *v, const char *key, bool *out)
{
	if (v->type != DOC_SCALAR || v->quoted || doc_to_bool(v, out))
		return bad(r, v, key, "true or false");
	return 0;
}

/* A duration in ms; zero allowed only when zero_ok. */
static int get_duration(struct rd *r, const struct doc_node *v, const char *key, bool zero_ok,
			int64_t *out)
{
	int64_t ms;

	if (!scalar(v) || controller_config_duration_ms(v->str, &ms) || ms > DURATION_MAX_MS ||
	    (!zero_ok && ms == 0))
		return bad(r, v, key,
			   zero_ok ? "a duration such as 30s or 0 (at most a year)"
				   : "a duration greater than 0, such as 30s (at most a year)");
	*out = ms;
	return 0;
}

static int get_strings(struct rd *r, const struct doc_node *v, const char *key, const char ***out,
		       size_t *n)
{
	const char **list;

	if (v->type != DOC_SEQ)
		return bad(r, v, key, "a list of strings");
	list = arena_alloc(r->a, (v->n + 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		if (!scalar(v->items[i]))
			return bad(r, v->items[i], key, "a list of strings");
		list[i] = v->items[i]->str;
	}
	*out = list;
	*n = v->n;
	return 0;
}

static int unknown(struct rd *r, const struct doc_node *k, const char *known)
{
	diag_error(r->d, r->file, k->line, "unknown key \"%s%s\" (%s)", r->sect, k->str, known);
	return -EINVAL;
}

/* ---- feeds ------------------------------------------------------------------------------- */

static int feeds_key(struct rd *r, const char *key, const struct doc_node *v,
		     struct feeds_config *f)
{
	long long n;
	bool b;
	int err;

	if (!strcmp(key, "minPeriod"))
		return get_duration(r, v, key, false, &f->min_period_ms);
	if (!strcmp(key, "periodOverride"))
		return get_duration(r, v, key, true, &f->period_override_ms);
	if (!strcmp(key, "backoff"))
		return get_duration(r, v, key, false, &f->backoff_ms);
	if (!strcmp(key, "timeout"))
		return get_duration(r, v, key, false, &f->timeout_ms);
	if (!strcmp(key, "connectTimeout"))
		return get_duration(r, v, key, false, &f->connect_timeout_ms);
	if (!strcmp(key, "lowSpeedTime"))
		return get_duration(r, v, key, false, &f->low_speed_time_ms);
	if (!strcmp(key, "maxBodyBytes")) {
		err = get_int(r, v, key, 1, MAX_BODY_LIMIT, &n);
		f->max_body = err ? f->max_body : (size_t)n;
		return err;
	}
	if (!strcmp(key, "secretsDir"))
		return get_string(r, v, key, &f->secrets_dir);
	if (!strcmp(key, "caFile"))
		return get_string(r, v, key, &f->ca_file);
	if (!strcmp(key, "protect")) {
		const char **s = NULL;
		size_t ns = 0;
		struct cidr *c;

		err = get_strings(r, v, key, &s, &ns);
		if (err)
			return err;
		c = arena_alloc(r->a, (ns + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		for (size_t i = 0; i < ns; i++) {
			if (cidr_parse(s[i], &c[i], NULL)) {
				diag_error(
					r->d, r->file, v->items[i]->line,
					"feeds.protect[%zu]: \"%s\" is not an IP address or prefix",
					i, s[i]);
				err = -EINVAL;
			}
		}
		if (!err) {
			f->protect = c;
			f->nprotect = ns;
		}
		return err;
	}
	if (!strcmp(key, "allowBroad") || !strcmp(key, "allowProtected")) {
		err = get_bool(r, v, key, &b);
		if (!err && key[5] == 'B')
			f->allow_broad = b;
		else if (!err)
			f->allow_protected = b;
		return err;
	}
	if (!strcmp(key, "maxPrefixV4") || !strcmp(key, "maxPrefixV6")) {
		bool v4 = key[10] == '4';

		err = get_int(r, v, key, 0, v4 ? 32 : 128, &n);
		if (!err && v4)
			f->max_prefix_v4 = (unsigned)n;
		else if (!err)
			f->max_prefix_v6 = (unsigned)n;
		return err;
	}
	if (!strcmp(key, "shrinkFraction")) {
		double x;

		if (v->type != DOC_SCALAR || v->quoted || doc_to_double(v, &x) || !(x >= 0) ||
		    x > 1)
			return bad(r, v, key, "a number from 0 to 1");
		f->shrink_fraction = x;
		return 0;
	}
	return -ENOENT;
}

/* ---- response ---------------------------------------------------------------------------- */

static int response_key(struct rd *r, const char *key, const struct doc_node *v,
			struct response_config *rc)
{
	const char *why;
	long long n;
	int err;

	if (!strcmp(key, "events")) {
		const char **s = NULL;
		size_t ns = 0;

		err = get_strings(r, v, key, &s, &ns);
		for (size_t i = 0; !err && i < ns; i++) {
			if ((why = controller_config_event_err(s[i]))) {
				diag_error(r->d, r->file, v->items[i]->line,
					   "response.events[%zu]: \"%s\" is %s", i, s[i], why);
				err = -EINVAL;
			}
		}
		if (!err) {
			rc->events = s;
			rc->nevents = ns;
		}
		return err;
	}
	if (!strcmp(key, "minSeverity")) {
		err = get_int(r, v, key, 0, 100, &n);
		rc->min_severity = err ? rc->min_severity : (int)n;
		return err;
	}
	if (!strcmp(key, "duration")) {
		int64_t ms;

		err = get_duration(r, v, key, false, &ms);
		if (!err && ms < 1000)
			err = bad(r, v, key, "a duration of at least 1s");
		rc->duration_s = err ? rc->duration_s : ms / 1000;
		return err;
	}
	if (!strcmp(key, "networkSet")) {
		const char *s;

		err = get_string(r, v, key, &s);
		if (!err && (why = controller_config_set_name_err(s))) {
			diag_error(r->d, r->file, v->line,
				   "response.networkSet: \"%s\" is not a valid GlobalNetworkSet "
				   "name: %s",
				   s, why);
			err = -EINVAL;
		}
		rc->network_set = err ? rc->network_set : s;
		return err;
	}
	if (!strcmp(key, "labels")) {
		struct response_label *l;

		if (v->type != DOC_MAP)
			return bad(r, v, key, "a map of label keys to values");
		l = arena_alloc(r->a, (v->n + 1) * sizeof(*l));
		if (!l)
			return -ENOMEM;
		err = 0;
		for (size_t i = 0; i < v->n; i++) {
			const struct doc_node *k = v->pairs[i].key, *val = v->pairs[i].value;

			if (!scalar(val)) {
				diag_error(r->d, r->file, val->line,
					   "response.labels.%s: expected a string", k->str);
				err = -EINVAL;
				continue;
			}
			if ((why = controller_config_label_err(k->str, val->str))) {
				diag_error(r->d, r->file, k->line, "response.labels.%s: %s", k->str,
					   why);
				err = -EINVAL;
				continue;
			}
			l[i] = (struct response_label){k->str, val->str};
		}
		if (!err) {
			rc->labels = l;
			rc->nlabels = v->n;
		}
		return err;
	}
	if (!strcmp(key, "maxEntries")) {
		err = get_int(r, v, key, 1, MAX_ENTRIES_LIMIT, &n);
		rc->max_entries = err ? rc->max_entries : (size_t)n;
		return err;
	}
	return -ENOENT;
}

/* ---- the top level ----------------------------------------------------------------------- */

/* jobs: {JOB: {PARAM: VALUE}}, each checked against a job instance. */
static int read_jobs(struct rd *r, const struct doc_node *v, struct controller_job_param **out,
		     size_t *nout)
{
	struct controller_job_param *p;
	size_t n = 0, total = 0;
	int err = 0;

	if (v->type != DOC_MAP)
		return bad(r, v, "jobs", "a map of detector jobs to maps of parameters");
	for (size_t i = 0; i < v->n; i++)
		total += v->pairs[i].value->type == DOC_MAP ? v->pairs[i].value->n : 0;
	p = arena_alloc(r->a, (*nout + total + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (*nout)
		memcpy(p, *out, *nout * sizeof(*p));
	n = *nout;
	for (size_t i = 0; i < v->n; i++) {
		const char *job = v->pairs[i].key->str;
		const struct doc_node *params = v->pairs[i].value;
		struct detect_job *inst;

		if (!detect_job_find(job)) {
			diag_error(r->d, r->file, v->pairs[i].key->line, "jobs.%s: %s", job,
				   controller_config_event_err(job));
			err = -EINVAL;
			continue;
		}
		if (params->type != DOC_MAP) {
			diag_error(r->d, r->file, params->line,
				   "jobs.%s: expected a map of parameters to numbers", job);
			err = -EINVAL;
			continue;
		}
		inst = detect_job_new(job);
		if (!inst)
			return -ENOMEM;
		for (size_t k = 0; k < params->n; k++) {
			const char *name = params->pairs[k].key->str;
			const struct doc_node *val = params->pairs[k].value;
			double x;

			if (val->type != DOC_SCALAR || val->quoted || doc_to_double(val, &x) ||
			    detect_set_param(inst, name, x)) {
				diag_error(r->d, r->file, val->line,
					   "jobs.%s.%s: not a parameter of the job, or a value it "
					   "does not take (docs/detectors.md)",
					   job, name);
				err = -EINVAL;
				continue;
			}
			p[n++] = (struct controller_job_param){job, name, x};
		}
		detect_job_free(inst);
	}
	if (!err) {
		*out = p;
		*nout = n;
	}
	return err;
}

static int read_disable(struct rd *r, const struct doc_node *v, struct controller_job_param **out,
			size_t *nout)
{
	const char **s = NULL;
	size_t ns = 0;
	struct controller_job_param *p;
	int err = get_strings(r, v, "disable", &s, &ns);

	if (err)
		return err;
	p = arena_alloc(r->a, (*nout + ns + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (*nout)
		memcpy(p, *out, *nout * sizeof(*p));
	for (size_t i = 0; i < ns; i++) {
		if (!detect_job_find(s[i])) {
			diag_error(r->d, r->file, v->items[i]->line, "disable[%zu]: \"%s\" is %s",
				   i, s[i], controller_config_event_err(s[i]));
			err = -EINVAL;
		}
		p[*nout + i] = (struct controller_job_param){s[i], "enabled", 0};
	}
	if (!err) {
		*out = p;
		*nout += ns;
	}
	return err;
}

static int section(struct rd *r, const struct doc_node *v, const char *name,
		   struct controller_config *c)
{
	struct rd sub = *r;
	int bad_keys = 0, err;

	if (v->type != DOC_MAP)
		return bad(r, v, name, "a map");
	sub.sect = !strcmp(name, "feeds") ? "feeds." : "response.";
	for (size_t i = 0; i < v->n; i++) {
		const struct doc_node *k = v->pairs[i].key;

		err = sub.sect[0] == 'f'
			      ? feeds_key(&sub, k->str, v->pairs[i].value, &c->feeds)
			      : response_key(&sub, k->str, v->pairs[i].value, &c->response);
		if (err == -ENOENT)
			err = unknown(&sub, k, sub.sect[0] == 'f' ? FEEDS_KEYS : RESPONSE_KEYS);
		if (err == -ENOMEM)
			return err;
		bad_keys |= err != 0;
	}
	return bad_keys ? -EINVAL : 0;
}

/* One key of the top-level map into c. */
static int set_key(struct rd *r, const struct doc_node *k, const struct doc_node *v,
		   struct controller_config *c, const char **lab)
{
	const char *key = k->str;
	long long n;
	int err;

	if (!strcmp(key, "lab"))
		return get_string(r, v, key, lab);
	if (!strcmp(key, "flows")) {
		const char **s = NULL;
		size_t ns = 0;

		err = get_strings(r, v, key, &s, &ns);
		if (!err) {
			c->flow_dirs = s;
			c->nflow_dirs = ns;
		}
		return err;
	}
	if (!strcmp(key, "state"))
		return get_string(r, v, key, &c->state);
	if (!strcmp(key, "datastore"))
		return get_string(r, v, key, &c->datastore);
	if (!strcmp(key, "window")) {
		err = get_int(r, v, key, 1, 3600, &n);
		c->window = err ? c->window : (unsigned)n;
		return err;
	}
	if (!strcmp(key, "grace")) {
		err = get_int(r, v, key, 0, 3600, &n);
		c->grace = err ? c->grace : (unsigned)n;
		return err;
	}
	if (!strcmp(key, "webhook"))
		return get_string(r, v, key, &c->webhook);
	if (!strcmp(key, "jobs") || !strcmp(key, "disable")) {
		struct controller_job_param *p = (struct controller_job_param *)c->params;
		size_t np = c->nparams;

		err = key[0] == 'j' ? read_jobs(r, v, &p, &np) : read_disable(r, v, &p, &np);
		if (!err) {
			c->params = p;
			c->nparams = np;
		}
		return err;
	}
	if (!strcmp(key, "once"))
		return get_bool(r, v, key, &c->once);
	if (!strcmp(key, "feeds") || !strcmp(key, "response"))
		return section(r, v, key, c);
	return unknown(r, k, TOP_KEYS);
}

int controller_config_parse(const char *buf, size_t len, const char *name,
			    struct controller_config *cfg, const char **lab, struct arena *a,
			    struct diag_list *diags)
{
	struct controller_config c = *cfg;
	const char *l = *lab;
	struct rd r = {.file = name, .a = a, .d = diags, .sect = ""};
	struct doc_node **docs = NULL;
	size_t ndocs = 0;
	int err, bad_keys = 0;

	err = doc_parse(buf, len, name, a, &docs, &ndocs, diags);
	if (err)
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	if (ndocs != 1 || docs[0]->type != DOC_MAP) {
		diag_error(diags, name, ndocs ? docs[0]->line : 1,
			   "expected one map of settings (state, datastore, feeds, ...)");
		return -EINVAL;
	}
	/* jobs and disable append to params in the order the file has them. */
	for (size_t i = 0; i < docs[0]->n; i++) {
		err = set_key(&r, docs[0]->pairs[i].key, docs[0]->pairs[i].value, &c, &l);
		if (err == -ENOMEM)
			return err;
		bad_keys |= err != 0;
	}
	if (bad_keys)
		return -EINVAL;
	*cfg = c;
	*lab = l;
	return 0;
}

int controller_config_load(const char *path, struct controller_config *cfg, const char **lab,
			   struct arena *a, struct diag_list *diags)
{
	size_t len = 0;
	char *buf = read_file(path, 0, &len);
	int err;

	if (!buf) {
		err = errno == ENOENT ? -ENOENT : errno == ENOMEM ? -ENOMEM : -EIO;
		diag_error(diags, path, 0, "cannot read the configuration: %s", strerror(-err));
		return err;
	}
	err = controller_config_parse(buf, len, path, cfg, lab, a, diags);
	free(buf);
	return err;
}

/* ---- printing ---------------------------------------------------------------------------- */

/* "2s", "5m", "1h", "1500ms": the shortest whole unit. */
static json_t *duration_json(int64_t ms)
{
	char buf[48];

	if (ms == 0)
		snprintf(buf, sizeof(buf), "0");
	else if (ms % 3600000 == 0)
		snprintf(buf, sizeof(buf), "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, sizeof(buf), "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, sizeof(buf), "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, sizeof(buf), "%lldms", (long long)ms);
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

void controller_config_print(FILE *f, const struct controller_config *cfg, const char *lab)
{
	const struct feeds_config *fc = &cfg->feeds;
	const struct response_config *rc = &cfg->response;
	json_t *o = json_object(), *flows = json_array(), *jobs = json_array(),
	       *feeds = json_object(), *resp = json_object(), *protect = json_array(),
	       *events = json_array(), *labels = json_object();
	char c[CIDR_STRLEN], *text;

	for (size_t i = 0; i < cfg->nflow_dirs; i++)
		json_array_append_new(flows, json_string(cfg->flow_dirs[i]));
	for (size_t i = 0; i < cfg->nparams; i++)
		json_array_append_new(jobs, json_pack("{s:s,s:s,s:f}", "job", cfg->params[i].job,
						      "param", cfg->params[i].name, "value",
						      cfg->params[i].value));
	for (size_t i = 0; i < fc->nprotect; i++) {
		cidr_format(&fc->protect[i], c, sizeof(c));
		json_array_append_new(protect, json_string(c));
	}
	for (size_t i = 0; i < rc->nevents; i++)
		json_array_append_new(events, json_string(rc->events[i]));
	if (rc->labels)
		for (size_t i = 0; i < rc->nlabels; i++)
			json_object_set_new(labels, rc->labels[i].key,
					    json_string(rc->labels[i].value));
	else
		json_object_set_new(labels, "security-action", json_string("block"));
	json_object_set_new(o, "lab", str_or_null(lab));
	json_object_set_new(o, "flows", flows);
	json_object_set_new(o, "state", str_or_null(cfg->state));
	json_object_set_new(o, "datastore", str_or_null(cfg->datastore));
	json_object_set_new(o, "window", json_integer(cfg->window));
	json_object_set_new(o, "grace", json_integer(cfg->grace));
	json_object_set_new(o, "webhook", str_or_null(cfg->webhook));
	json_object_set_new(o, "jobs", jobs);
	json_object_set_new(o, "once", json_boolean(cfg->once));
	json_object_set_new(feeds, "minPeriod", duration_json(fc->min_period_ms));
	json_object_set_new(feeds, "periodOverride", duration_json(fc->period_override_ms));
	json_object_set_new(feeds, "backoff", duration_json(fc->backoff_ms));
	json_object_set_new(feeds, "timeout", duration_json(fc->timeout_ms));
	json_object_set_new(feeds, "connectTimeout", duration_json(fc->connect_timeout_ms));
	json_object_set_new(feeds, "lowSpeedTime", duration_json(fc->low_speed_time_ms));
	json_object_set_new(feeds, "maxBodyBytes", json_integer((json_int_t)fc->max_body));
	json_object_set_new(feeds, "secretsDir", str_or_null(fc->secrets_dir));
	json_object_set_new(feeds, "caFile", str_or_null(fc->ca_file));
	json_object_set_new(feeds, "protect", protect);
	json_object_set_new(feeds, "allowBroad", json_boolean(fc->allow_broad));
	json_object_set_new(feeds, "allowProtected", json_boolean(fc->allow_protected));
	json_object_set_new(feeds, "maxPrefixV4", json_integer(fc->max_prefix_v4));
	json_object_set_new(feeds, "maxPrefixV6", json_integer(fc->max_prefix_v6));
	json_object_set_new(feeds, "shrinkFraction", json_real(fc->shrink_fraction));
	json_object_set_new(o, "feeds", feeds);
	json_object_set_new(resp, "events", events);
	json_object_set_new(resp, "minSeverity", json_integer(rc->min_severity));
	json_object_set_new(resp, "duration", duration_json(rc->duration_s * 1000));
	json_object_set_new(resp, "networkSet", str_or_null(rc->network_set));
	json_object_set_new(resp, "labels", labels);
	json_object_set_new(resp, "maxEntries", json_integer((json_int_t)rc->max_entries));
	json_object_set_new(o, "response", resp);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (text)
		fprintf(f, "%s\n", text);
	free(text);
	json_decref(o);
}
