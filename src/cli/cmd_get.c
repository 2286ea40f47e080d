/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"
#include "cli/store.h"

#include "agent/datastore.h"
#include "lib/diag.h"
#include "lib/resource.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* palisade get KIND [NAME] [-n NS] [-o table|yaml|json]: objects of the datastore. */

/*
 * The status the lab's controller keeps for a GlobalAlert (lastExecuted, lastEvent,
 * errorConditions: <state>/controller/alerts.json) or a GlobalThreatFeed (lastSuccessfulSync,
 * errorConditions and the puller's counts: <state>/controller/feeds.json), for the lab whose
 * datastore this is (<state>/datastore); it is shown as the object's status, in place of
 * whatever status the manifest had.
 */
static void add_status(json_t *obj, const char *datastore, const char *file, const char *name)
{
	char *path = NULL;
	json_t *all, *st;

	if (asprintf(&path, "%s/../controller/%s", datastore, file) < 0)
		return;
	all = json_load_file(path, 0, NULL);
	free(path);
	st = json_object_get(all, name);
	if (json_is_object(st))
		json_object_set(obj, "status", st);
	json_decref(all);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade get KIND [NAME] [-n NAMESPACE] [-o table|yaml|json] [--datastore DIR]\n"
		"KIND is a kind name (GlobalNetworkPolicy), its plural or lower case form, or \"all\";\n"
		"networkpolicy means both Kubernetes and Calico NetworkPolicies.\n");
}

/* Does the user's word name kind k?  Case-insensitive, singular or plural. */
bool cli_kind_matches(const char *word, enum res_kind k)
{
	const char *name = res_kind_name(k);
	size_t n = strlen(name), w = strlen(word);

	if (!strcasecmp(word, "all") || !strcasecmp(word, name) ||
	    !strcasecmp(word, res_kind_id(k)))
		return true;
	if (w == n + 1 && !strncasecmp(word, name, n) && (word[n] == 's' || word[n] == 'S'))
		return true;
	/* policy -> policies */
	if (n > 1 && name[n - 1] == 'y' && w == n + 2 && !strncasecmp(word, name, n - 1) &&
	    !strcasecmp(word + n - 1, "ies"))
		return true;
	return false;
}

int cli_kind_known(const char *word)
{
	for (int k = 0; k < RES_KIND_COUNT; k++)
		if (cli_kind_matches(word, (enum res_kind)k))
			return 1;
	return 0;
}

int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{"namespace", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"datastore", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *ns = NULL, *output = "table", *dsopt = NULL, *ds, *kind, *name = NULL;
	char dsbuf[4096], ref[512];
	struct resource_set rs;
	struct diag_list d;
	size_t skipped, found = 0;
	json_t *items = NULL;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'd':
			dsopt = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 2 ||
	    (strcmp(output, "table") && strcmp(output, "yaml") && strcmp(output, "json"))) {
		usage(stderr);
		return 2;
	}
	kind = argv[optind];
	if (argc - optind == 2)
		name = argv[optind + 1];
	if (!cli_kind_known(kind)) {
		fprintf(stderr, "palisade get: unknown kind \"%s\"\n", kind);
		return 2;
	}
	ds = store_resolve(dsopt, dsbuf, sizeof(dsbuf));
	if (!ds)
		return 2;
	resource_set_init(&rs);
	diag_list_init(&d);
	datastore_load(ds, &rs, &d, &skipped);
	if (skipped)
		fprintf(stderr,
			"palisade get: %zu file(s) in %s do not validate and are not shown\n",
			skipped, ds);
	items = json_array();
	if (!strcmp(output, "table"))
		printf("%-22s %-24s %s\n", "KIND", "NAMESPACE", "NAME");
	for (size_t i = 0; i < rs.n; i++) {
		const struct resource *r = rs.v[i];

		if (!cli_kind_matches(kind, r->kind))
			continue;
		if (name && strcmp(name, r->meta.name))
			continue;
		if (ns && (!r->meta.namespace_ || strcmp(ns, r->meta.namespace_)))
			continue;
		found++;
		if (!strcmp(output, "table")) {
			printf("%-22s %-24s %s\n", res_kind_name(r->kind),
			       r->meta.namespace_ ? r->meta.namespace_ : "-", r->meta.name);
		} else {
			json_t *j = store_resource_json(r);

			if (!j) {
				fprintf(stderr, "palisade get: cannot re-read %s\n",
					resource_ref(r, ref, sizeof(ref)));
				continue;
			}
			if (r->kind == RES_GLOBAL_ALERT)
				add_status(j, ds, "alerts.json", r->meta.name);
			else if (r->kind == RES_GLOBAL_THREAT_FEED)
				add_status(j, ds, "feeds.json", r->meta.name);
			json_array_append_new(items, j);
		}
	}
	if (name && !found) {
		fprintf(stderr, "palisade get: %s \"%s\" not found\n", kind, name);
		rc = 1;
		goto out;
	}
	if (strcmp(output, "table")) {
		json_t *v = name && found == 1 ? json_incref(json_array_get(items, 0))
					       : json_pack("{s:s,s:s,s:O}", "apiVersion", "v1",
							   "kind", "List", "items", items);

		if (!strcmp(output, "json")) {
			char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

			if (s)
				puts(s);
			free(s);
		} else {
			store_print_yaml(stdout, v);
		}
		json_decref(v);
	}
	rc = 0;
out:
	json_decref(items);
	diag_list_fini(&d);
	resource_set_fini(&rs);
	return rc;
}
