/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade quarantine list|add|remove: see and edit the quarantine network set that the
 * controller's responder fills (src/agent/quarantine.h, docs/response.md).
 */
#include "cli/cmd.h"
#include "cli/store.h"

#include "agent/datastore.h"
#include "agent/quarantine.h"
#include "agent/response.h"
#include "lib/decode.h"
#include "lib/diag.h"
#include "lib/resource.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG	      "palisade quarantine"
#define MAX_LABELS    16
#define DEFAULT_FOR_S 3600

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade quarantine list [-o text|json] [--set NAME] [--datastore DIR]\n"
		"       palisade quarantine add ADDRESS... [--for DURATION | --permanent]\n"
		"                              [--reason TEXT] [--force] [--set NAME]\n"
		"                              [--label KEY=VALUE]... [--datastore DIR]\n"
		"       palisade quarantine remove ADDRESS... [--set NAME] [--datastore DIR]\n"
		"The quarantine is GlobalNetworkSet %s (or --set) in the datastore (by default\n"
		"the running lab's); its entries are single addresses that expire (--for, default\n"
		"1h), blocked by any policy selecting its labels (default security-action=block).\n"
		"add refuses addresses of the lab's pod range unless --force.\n",
		RESPONSE_SET_DEFAULT);
}

struct opts {
	const char *set, *dsopt, *output, *reason;
	int64_t for_s;
	bool permanent, force;
	const char *keys[MAX_LABELS], *values[MAX_LABELS];
	size_t nlabels;
	char *label_buf[MAX_LABELS];
};

static int parse_label(struct opts *o, const char *arg)
{
	char *s, *eq;

	if (o->nlabels == MAX_LABELS) {
		fprintf(stderr, PROG ": at most %d --label options\n", MAX_LABELS);
		return -EINVAL;
	}
	s = strdup(arg);
	if (!s)
		return -ENOMEM;
	eq = strchr(s, '=');
	if (!eq || eq == s) {
		fprintf(stderr, PROG ": --label takes KEY=VALUE, not \"%s\"\n", arg);
		free(s);
		return -EINVAL;
	}
	*eq = '\0';
	o->label_buf[o->nlabels] = s;
	o->keys[o->nlabels] = s;
	o->values[o->nlabels++] = eq + 1;
	return 0;
}

static int parse_for(struct opts *o, const char *arg)
{
	int64_t ns;

	if (dec_parse_duration(arg, &ns) || ns < 1000000000LL) {
		fprintf(stderr,
			PROG ": --for takes a duration of at least 1s (\"90s\", \"1h\"), "
			     "not \"%s\"\n",
			arg);
		return -EINVAL;
	}
	o->for_s = ns / 1000000000LL;
	return 0;
}

/* A single address, or a clear error. */
static int parse_address(const char *s, struct cidr *c)
{
	bool host_bits;

	if (cidr_parse(s, c, &host_bits)) {
		fprintf(stderr, PROG ": \"%s\" is not an IP address\n", s);
		return -EINVAL;
	}
	if (c->len != (c->addr.family == 6 ? 128 : 32)) {
		fprintf(stderr,
			PROG ": \"%s\" is a prefix; the quarantine holds single addresses (block a "
			     "range with a GlobalNetworkSet of your own)\n",
			s);
		return -EINVAL;
	}
	return 0;
}

/* The lab's pod range, from its Lab object, when the datastore has one. */
static bool pod_range(const char *ds, struct cidr *out)
{
	struct resource_set rs;
	struct diag_list d;
	size_t skipped = 0;
	bool found = false;

	resource_set_init(&rs);
	diag_list_init(&d);
	datastore_load(ds, &rs, &d, &skipped);
	for (size_t i = 0; i < rs.n && !found; i++) {
		if (rs.v[i]->kind == RES_LAB) {
			*out = rs.v[i]->u.lab.pod_cidr;
			found = true;
		}
	}
	resource_set_fini(&rs);
	diag_list_fini(&d);
	return found;
}

static void remaining(int64_t expires, int64_t now, char *buf, size_t size)
{
	int64_t s = expires - now;

	if (!expires)
		snprintf(buf, size, "never");
	else if (s <= 0)
		snprintf(buf, size, "expired");
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

static int list(const struct quarantine *q, const char *output, int64_t now)
{
	if (!strcmp(output, "json")) {
		json_t *o = json_object(), *labels = json_object(), *entries = json_array();
		char *text;

		for (size_t i = 0; i < q->nlabels; i++)
			json_object_set_new(labels, q->labels[i].key,
					    json_string(q->labels[i].value));
		for (size_t i = 0; i < q->n; i++) {
			const struct quarantine_entry *e = &q->v[i];
			char addr[CIDR_STRLEN], when[RES_TIME_STRLEN];
			json_t *j;

			cidr_format(&e->addr, addr, sizeof(addr));
			j = json_pack("{s:s}", "address", addr);
			if (e->expires) {
				res_time_format(e->expires, when, sizeof(when));
				json_object_set_new(j, "expires", json_string(when));
				json_object_set_new(
					j, "remaining",
					json_integer(e->expires > now ? e->expires - now : 0));
			} else {
				json_object_set_new(j, "expires", json_null());
			}
			json_object_set_new(j, "reason",
					    e->reason ? json_string(e->reason) : json_null());
			json_array_append_new(entries, j);
		}
		json_object_set_new(o, "set", json_string(q->name));
		json_object_set_new(o, "exists", json_boolean(q->exists));
		json_object_set_new(o, "labels", labels);
		json_object_set_new(o, "entries", entries);
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return text ? 0 : 1;
	}
	printf("set %s (", q->name);
	for (size_t i = 0; i < q->nlabels; i++)
		printf("%s%s=%s", i ? "," : "", q->labels[i].key, q->labels[i].value);
	printf(")%s: %zu %s\n", q->exists ? "" : ", not created yet", q->n,
	       q->n == 1 ? "entry" : "entries");
	if (!q->n)
		return 0;
	printf("%-40s  %-20s  %-9s  %s\n", "ADDRESS", "EXPIRES", "REMAINING", "REASON");
	for (size_t i = 0; i < q->n; i++) {
		const struct quarantine_entry *e = &q->v[i];
		char addr[CIDR_STRLEN], when[RES_TIME_STRLEN], left[32];

		cidr_format(&e->addr, addr, sizeof(addr));
		if (e->expires)
			res_time_format(e->expires, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "-");
		remaining(e->expires, now, left, sizeof(left));
		printf("%-40s  %-20s  %-9s  %s\n", addr, when, left, e->reason ? e->reason : "-");
	}
	return 0;
}

/* add and remove: one locked read-modify-write of the set. */
static int edit(const char *ds, const struct opts *o, bool add, char **addrs, int naddrs,
		int64_t now)
{
	struct quarantine q;
	struct cidr pods, *v = calloc((size_t)naddrs + 1, sizeof(*v));
	bool have_pods = add && !o->force && pod_range(ds, &pods);
	char err[512];
	int fd = -1, rc = 1, changed = 0;

	quarantine_init(&q);
	if (!v)
		goto out;
	for (int i = 0; i < naddrs; i++) {
		if (parse_address(addrs[i], &v[i]))
			goto out;
		if (have_pods && cidr_contains(&pods, &v[i].addr)) {
			fprintf(stderr,
				PROG
				": %s is in the lab's pod range; quarantining a pod blocks its "
				"traffic everywhere (add --force if you mean it)\n",
				addrs[i]);
			goto out;
		}
	}
	fd = quarantine_lock(ds);
	if (fd < 0) {
		fprintf(stderr, PROG ": cannot lock %s: %s\n", ds, strerror(-fd));
		goto out;
	}
	if (quarantine_load(ds, o->set, &q, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	if (o->nlabels && quarantine_set_labels(&q, o->keys, o->values, o->nlabels))
		goto out;
	for (int i = 0; i < naddrs; i++) {
		char a[CIDR_STRLEN];
		int r;

		cidr_format(&v[i], a, sizeof(a));
		if (add) {
			int64_t until = o->permanent ? 0 : now + o->for_s;

			r = quarantine_add(&q, &v[i], until,
					   o->reason ? o->reason : "added by hand");
			if (r < 0)
				goto out;
			printf("%s %s\n", a, r == 1 ? "added" : r == 2 ? "extended" : "unchanged");
		} else {
			r = quarantine_remove(&q, &v[i]);
			if (!r) {
				fprintf(stderr, PROG ": %s is not in %s\n", a, q.name);
				goto out;
			}
			printf("%s removed\n", a);
		}
		changed += r > 0;
	}
	if ((changed || o->nlabels || !q.exists) && quarantine_save(ds, &q)) {
		fprintf(stderr, PROG ": cannot write the set to %s\n", ds);
		goto out;
	}
	rc = 0;
out:
	quarantine_unlock(fd);
	quarantine_fini(&q);
	free(v);
	return rc;
}

int cmd_quarantine(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"set", required_argument, NULL, 's'},
		{"datastore", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"for", required_argument, NULL, 'F'},
		{"permanent", no_argument, NULL, 'P'},
		{"reason", required_argument, NULL, 'r'},
		{"label", required_argument, NULL, 'l'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct opts o = {.set = RESPONSE_SET_DEFAULT, .output = "text", .for_s = DEFAULT_FOR_S};
	const char *sub, *ds;
	char dsbuf[4096];
	int c, rc = 2;
	int64_t now = (int64_t)time(NULL);

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	sub = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.set = optarg;
			break;
		case 'd':
			o.dsopt = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'F':
			if (parse_for(&o, optarg))
				goto out;
			break;
		case 'P':
			o.permanent = true;
			break;
		case 'r':
			o.reason = optarg;
			break;
		case 'l':
			if (parse_label(&o, optarg))
				goto out;
			break;
		case 'f':
			o.force = true;
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
	if (strcmp(o.output, "text") && strcmp(o.output, "json")) {
		fprintf(stderr, PROG ": -o takes text or json, not \"%s\"\n", o.output);
		goto out;
	}
	if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "remove")) {
		fprintf(stderr, PROG ": unknown subcommand \"%s\" (list, add or remove)\n", sub);
		goto out;
	}
	if (!strcmp(sub, "list") ? optind != argc : optind == argc) {
		usage(stderr);
		goto out;
	}
	ds = store_resolve(o.dsopt, dsbuf, sizeof(dsbuf));
	if (!ds) {
		rc = 1;
		goto out;
	}
	if (!strcmp(sub, "list")) {
		struct quarantine q;
		char err[512];

		quarantine_init(&q);
		rc = quarantine_load(ds, o.set, &q, err, sizeof(err));
		if (rc)
			fprintf(stderr, PROG ": %s\n", rc == -EINVAL ? err : strerror(-rc));
		rc = rc ? 1 : list(&q, o.output, now);
		quarantine_fini(&q);
		goto out;
	}
	rc = edit(ds, &o, !strcmp(sub, "add"), argv + optind, argc - optind, now);
out:
	for (size_t i = 0; i < o.nlabels; i++)
		free(o.label_buf[i]);
	return rc;
}
