/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GlobalThreatFeed and GlobalAlert, the detection side of Calico Enterprise's API
 * (DESIGN §7, §8).  Only IP-set feeds and flow-log alerts are implemented; the other
 * content types and data sets are errors that say so.
 */
#include "lib/decode.h"
#include "lib/query.h"

#include <stdlib.h>
#include <string.h>

#define NOT_SUPPORTED "not supported by Palisade"

/* ---- GlobalThreatFeed ----------------------------------------------------------------------- */

static const char *const gtf_spec_keys[] = {
	"content", "mode", "description", "feedType", "pull", "globalNetworkSet", NULL};
static const char *const gtf_status_keys[] = {"lastSuccessfulSync", "lastSuccessfulSearch",
					      "errorConditions", NULL};
static const char *const pull_keys[] = {"period", "http", NULL};
static const char *const http_keys[] = {"url", "headers", "format", NULL};
static const char *const header_keys[] = {"name", "value", "valueFrom", NULL};
static const char *const value_from_keys[] = {"configMapKeyRef", "secretKeyRef", NULL};
static const char *const key_ref_keys[] = {"name", "key", "optional", NULL};
static const char *const format_keys[] = {"newlineDelimited", "json", "csv", NULL};
static const char *const json_keys[] = {"path", NULL};
static const char *const csv_keys[] = {"fieldNum",
				       "fieldName",
				       "header",
				       "columnDelimiter",
				       "commentDelimiter",
				       "recordSize",
				       "disableRecordSizeValidation",
				       NULL};
static const char *const gns_keys[] = {"labels", NULL};
static const char *const contents[] = {"IPSet", "DomainNameSet", NULL};
static const char *const modes[] = {"Enabled", "Disabled", NULL};
static const char *const feed_types[] = {"Builtin", "Custom", NULL};

/* Calico Enterprise refuses to pull a feed more often than every five minutes. */
#define FEED_PERIOD_MIN	    300
#define FEED_PERIOD_DEFAULT 86400

/* An HTTP header field name: one or more token characters (RFC 9110). */
static bool header_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return false;
	}
	return true;
}

static void dec_value_from(struct dctx *d, const struct doc_node *h, struct feed_header *fh)
{
	const struct doc_node *vf = dec_map(d, h, "valueFrom");
	size_t mark, found = 0;

	if (!vf)
		return;
	mark = dec_push_key(d, "valueFrom");
	dec_check_keys(d, vf, value_from_keys);
	for (size_t i = 0; value_from_keys[i]; i++) {
		const struct doc_node *ref = dec_map(d, vf, value_from_keys[i]);
		size_t m2;

		if (!ref)
			continue;
		found++;
		m2 = dec_push_key(d, value_from_keys[i]);
		dec_check_keys(d, ref, key_ref_keys);
		fh->value_from_kind = value_from_keys[i];
		if (dec_str(d, ref, "name", &fh->value_from_name) == DEC_ABSENT)
			dec_required(d, ref, "name", 0);
		if (dec_str(d, ref, "key", &fh->value_from_key) == DEC_ABSENT)
			dec_required(d, ref, "key", 0);
		dec_bool(d, ref, "optional", &fh->value_from_optional);
		dec_pop(d, m2);
	}
	if (found != 1)
		dec_error(d, vf, "must have exactly one of configMapKeyRef, secretKeyRef");
	dec_pop(d, mark);
}

static void dec_headers(struct dctx *d, const struct doc_node *http, struct res_threat_feed *f)
{
	const struct doc_node *list = dec_seq(d, http, "headers");
	size_t mark;

	if (!list)
		return;
	mark = dec_push_key(d, "headers");
	f->headers = dec_array(d, list->n, sizeof(*f->headers));
	for (size_t i = 0; i < list->n && f->headers; i++) {
		const struct doc_node *h = list->items[i];
		struct feed_header *fh = &f->headers[i];
		size_t m2 = dec_push_index(d, i);

		if (dec_node_is(d, h, DOC_MAP)) {
			dec_check_keys(d, h, header_keys);
			if (dec_str(d, h, "name", &fh->name) == DEC_ABSENT) {
				dec_required(d, h, "name", 0);
			} else if (fh->name && !header_name_ok(fh->name)) {
				size_t m3 = dec_push_key(d, "name");

				dec_error(d, dec_get(h, "name"),
					  "%s is not a valid HTTP header name",
					  dec_quote(d, fh->name));
				dec_pop(d, m3);
			}
			dec_str(d, h, "value", &fh->value);
			dec_value_from(d, h, fh);
			if (dec_get(h, "value") && dec_get(h, "valueFrom"))
				dec_error(d, h, "value and valueFrom cannot both be set");
			else if (!dec_get(h, "value") && !dec_get(h, "valueFrom"))
				dec_error(d, h, "one of value or valueFrom is required");
		}
		dec_pop(d, m2);
	}
	if (f->headers)
		f->nheaders = list->n;
	dec_pop(d, mark);
}

/* A one-character delimiter. */
static void dec_delim(struct dctx *d, const struct doc_node *csv, const char *key, char *out)
{
	const char *s;

	if (dec_str(d, csv, key, &s) != DEC_OK)
		return;
	if (strlen(s) != 1) {
		size_t mark = dec_push_key(d, key);

		dec_error(d, dec_get(csv, key), "must be a single character, found %s",
			  dec_quote(d, s));
		dec_pop(d, mark);
		return;
	}
	*out = s[0];
}

static void dec_csv(struct dctx *d, const struct doc_node *csv, struct res_threat_feed *f)
{
	long long v;

	dec_check_keys(d, csv, csv_keys);
	if (dec_int(d, csv, "fieldNum", 0, 65535, &v) == DEC_OK)
		f->field_num = (int)v;
	dec_str(d, csv, "fieldName", &f->field_name);
	dec_bool(d, csv, "header", &f->header);
	dec_delim(d, csv, "columnDelimiter", &f->column_delimiter);
	dec_delim(d, csv, "commentDelimiter", &f->comment_delimiter);
	if (dec_int(d, csv, "recordSize", 0, 65535, &v) == DEC_OK)
		f->record_size = (int)v;
	dec_bool(d, csv, "disableRecordSizeValidation", &f->disable_record_size_validation);
	if (dec_get(csv, "fieldNum") && dec_get(csv, "fieldName"))
		dec_error(d, csv, "fieldNum and fieldName cannot both be set");
	else if (f->field_name && !f->header) {
		size_t mark = dec_push_key(d, "fieldName");

		dec_error(d, dec_get(csv, "fieldName"), "requires header: true");
		dec_pop(d, mark);
	}
}

static void dec_format(struct dctx *d, const struct doc_node *http, struct res_threat_feed *f)
{
	const struct doc_node *fmt = dec_map(d, http, "format"), *n;
	size_t mark, count = 0;

	if (!fmt)
		return;
	mark = dec_push_key(d, "format");
	dec_check_keys(d, fmt, format_keys);
	for (size_t i = 0; format_keys[i]; i++)
		count += doc_get(fmt, format_keys[i]) != NULL;
	if (count != 1)
		dec_error(d, fmt, "must have exactly one of newlineDelimited, json, csv");
	/* `newlineDelimited: {}` and a bare `newlineDelimited:` (null) both select it. */
	if (doc_get(fmt, "newlineDelimited")) {
		n = doc_get(fmt, "newlineDelimited");
		f->format = FEED_FORMAT_NEWLINE;
		if (n->type != DOC_NULL) {
			size_t m2 = dec_push_key(d, "newlineDelimited");

			if (dec_node_is(d, n, DOC_MAP))
				dec_check_keys(d, n, (const char *const[]){NULL});
			dec_pop(d, m2);
		}
	}
	if ((n = dec_map(d, fmt, "json"))) {
		size_t m2 = dec_push_key(d, "json");

		f->format = FEED_FORMAT_JSON;
		dec_check_keys(d, n, json_keys);
		if (dec_str(d, n, "path", &f->json_path) == DEC_ABSENT)
			dec_required(d, n, "path", 0);
		dec_pop(d, m2);
	} else if (doc_get(fmt, "json") && !dec_get(fmt, "json")) {
		size_t m2 = dec_push_key(d, "json"), m3 = dec_push_key(d, "path");

		dec_error(d, doc_get(fmt, "json"), "required");
		dec_pop(d, m3);
		dec_pop(d, m2);
	}
	if (doc_get(fmt, "csv")) {
		n = doc_get(fmt, "csv");
		f->format = FEED_FORMAT_CSV;
		if (n->type != DOC_NULL) {
			size_t m2 = dec_push_key(d, "csv");

			if (dec_node_is(d, n, DOC_MAP))
				dec_csv(d, n, f);
			dec_pop(d, m2);
		}
	}
	dec_pop(d, mark);
}

static void dec_url(struct dctx *d, const struct doc_node *http, struct res_threat_feed *f)
{
	const char *u, *host;
	size_t mark;

	if (dec_str(d, http, "url", &f->url) == DEC_ABSENT) {
		dec_required(d, http, "url", 0);
		return;
	}
	if (!f->url)
		return;
	u = f->url;
	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		host = NULL;
	if (host && *host && *host != '/' && !strpbrk(u, " \t\r\n"))
		return;
	mark = dec_push_key(d, "url");
	dec_error(d, dec_get(http, "url"), "%s is not an http:// or https:// URL", dec_quote(d, u));
	dec_pop(d, mark);
}

static void dec_pull(struct dctx *d, const struct doc_node *spec, struct res_threat_feed *f)
{
	const struct doc_node *pull = dec_map(d, spec, "pull"), *http;
	size_t mark;

	if (!pull)
		return;
	f->has_pull = true;
	mark = dec_push_key(d, "pull");
	dec_check_keys(d, pull, pull_keys);
	if (dec_duration(d, pull, "period", &f->period_s) == DEC_OK &&
	    f->period_s < FEED_PERIOD_MIN) {
		const struct doc_node *p = dec_get(pull, "period");
		size_t m2 = dec_push_key(d, "period");

		dec_error(d, p, "%s is shorter than the minimum of 5m", dec_quote(d, p->str));
		dec_pop(d, m2);
	}
	http = dec_map(d, pull, "http");
	if (http) {
		size_t m2 = dec_push_key(d, "http");

		dec_check_keys(d, http, http_keys);
		dec_url(d, http, f);
		dec_headers(d, http, f);
		dec_format(d, http, f);
		dec_pop(d, m2);
	} else if (!dec_get(pull, "http")) {
		dec_required(d, pull, "http", 0);
	}
	dec_pop(d, mark);
}

/* Fills r from root; errors go to d. */
void dec_threat_feed(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_threat_feed *f = &r->u.feed;
	const struct doc_node *spec, *gns, *status;
	size_t mark;
	int i;

	f->content = contents[0];
	f->mode = modes[0];
	f->period_s = FEED_PERIOD_DEFAULT;
	f->format = FEED_FORMAT_NEWLINE;
	f->field_num = -1;
	f->column_delimiter = ',';
	dec_check_keys(d, root, dec_top_keys);
	status = dec_map(d, root, "status");
	if (status) {
		mark = dec_push_key(d, "status");
		dec_check_keys(d, status, gtf_status_keys);
		dec_pop(d, mark);
	}
	spec = dec_map(d, root, "spec");
	mark = dec_push_key(d, "spec");
	if (!spec && !dec_get(root, "spec"))
		dec_error_line(d, root->line, "required");
	dec_check_keys(d, spec, gtf_spec_keys);
	if (dec_enum(d, spec, "content", contents, &i) == DEC_OK) {
		f->content = contents[i];
		if (i == 1) {
			size_t m2 = dec_push_key(d, "content");

			dec_error(d, dec_get(spec, "content"),
				  "DomainNameSet is " NOT_SUPPORTED " (only IPSet feeds are)");
			dec_pop(d, m2);
		}
	}
	if (dec_enum(d, spec, "mode", modes, &i) == DEC_OK)
		f->mode = modes[i];
	dec_str(d, spec, "description", &f->description);
	dec_enum(d, spec, "feedType", feed_types, &i);
	dec_pull(d, spec, f);
	gns = dec_map(d, spec, "globalNetworkSet");
	if (gns) {
		size_t m2 = dec_push_key(d, "globalNetworkSet");

		f->has_gns = true;
		dec_check_keys(d, gns, gns_keys);
		dec_labels(d, gns, "labels", DEC_LABELS, &f->gns_labels);
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

/* ---- GlobalAlert ---------------------------------------------------------------------------- */

static const char *const ga_spec_keys[] = {
	"type",	     "summary",	 "description",	  "severity", "period", "lookback",
	"dataSet",   "query",	 "aggregateBy",	  "field",    "metric", "condition",
	"threshold", "detector", "substitutions", NULL,
};
static const char *const ga_status_keys[] = {
	"active",	"healthy",   "executionState",	"lastUpdate",
	"lastExecuted", "lastEvent", "errorConditions", NULL};
static const char *const ga_types[] = {"RuleBased", "AnomalyDetection", NULL};
static const char *const ga_metrics[] = {"count", "sum", "avg", "min", "max", NULL};
static const char *const ga_conditions[] = {"eq", "not_eq", "lt", "lte", "gt", "gte", NULL};
/* Calico Enterprise's data sets; only flow logs exist in Palisade. */
static const char *const ga_data_sets[] = {"flows", "audit",	     "dns", "l7",
					   "waf",   "vulnerability", NULL};

static void dec_alert_duration(struct dctx *d, const struct doc_node *spec, const char *key,
			       int64_t *secs)
{
	if (dec_duration(d, spec, key, secs) == DEC_OK && *secs < 1) {
		const struct doc_node *n = dec_get(spec, key);
		size_t mark = dec_push_key(d, key);

		dec_error(d, n, "%s must be at least 1s", dec_quote(d, n->str));
		dec_pop(d, mark);
	}
}

/* Fills r from root; errors go to d. */
void dec_global_alert(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_global_alert *a = &r->u.alert;
	const struct doc_node *spec, *status;
	long long sev;
	size_t mark;
	int i;

	a->type = ga_types[0];
	a->period_s = 300;
	a->lookback_s = 600;
	a->condition = "gt";
	dec_check_keys(d, root, dec_top_keys);
	status = dec_map(d, root, "status");
	if (status) {
		mark = dec_push_key(d, "status");
		dec_check_keys(d, status, ga_status_keys);
		dec_pop(d, mark);
	}
	spec = dec_map(d, root, "spec");
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, ga_spec_keys);
	if (dec_enum(d, spec, "type", ga_types, &i) == DEC_OK && i != 0) {
		size_t m2 = dec_push_key(d, "type");

		dec_error(d, dec_get(spec, "type"), "%s is " NOT_SUPPORTED " (only RuleBased)",
			  ga_types[i]);
		dec_pop(d, m2);
	}
	dec_str(d, spec, "summary", &a->summary);
	if (dec_str(d, spec, "description", &a->description) == DEC_ABSENT)
		dec_required(d, spec, "description", root->line);
	if (dec_int(d, spec, "severity", 1, 100, &sev) == DEC_OK)
		a->severity = (int)sev;
	else if (!dec_get(spec, "severity"))
		dec_required(d, spec, "severity", root->line);
	dec_alert_duration(d, spec, "period", &a->period_s);
	dec_alert_duration(d, spec, "lookback", &a->lookback_s);
	if (dec_enum(d, spec, "dataSet", ga_data_sets, &i) == DEC_OK) {
		a->data_set = ga_data_sets[i];
		if (i != 0) {
			size_t m2 = dec_push_key(d, "dataSet");

			dec_error(d, dec_get(spec, "dataSet"),
				  "%s is " NOT_SUPPORTED " (only flows)", ga_data_sets[i]);
			dec_pop(d, m2);
		}
	} else if (!dec_get(spec, "dataSet")) {
		dec_required(d, spec, "dataSet", root->line);
	}
	if (dec_str(d, spec, "query", &a->query) == DEC_OK) {
		char *err = NULL;
		struct query *q = query_parse(a->query, &err);

		if (!q) {
			size_t m2 = dec_push_key(d, "query");

			dec_error(d, dec_get(spec, "query"), "%s", err ? err : "out of memory");
			dec_pop(d, m2);
		}
		query_free(q);
		free(err);
	}
	dec_str_list(d, spec, "aggregateBy", &a->aggregate_by, &a->naggregate_by);
	dec_str(d, spec, "field", &a->field);
	if (dec_enum(d, spec, "metric", ga_metrics, &i) == DEC_OK) {
		a->metric = ga_metrics[i];
		if (i != 0 && !dec_get(spec, "field")) {
			size_t m2 = dec_push_key(d, "field");

			dec_error(d, dec_get(spec, "metric"), "required with metric %s",
				  ga_metrics[i]);
			dec_pop(d, m2);
		}
	}
	if (dec_enum(d, spec, "condition", ga_conditions, &i) == DEC_OK)
		a->condition = ga_conditions[i];
	a->has_threshold = dec_double(d, spec, "threshold", &a->threshold) == DEC_OK;
	for (size_t k = 0; k < 2; k++) {
		static const char *const unsupported[] = {"detector", "substitutions"};
		size_t m2;

		if (!dec_get(spec, unsupported[k]))
			continue;
		m2 = dec_push_key(d, unsupported[k]);
		dec_error(d, dec_get(spec, unsupported[k]), NOT_SUPPORTED);
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}
