/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lab (palisade.dev/v1alpha1): the shape of the one-machine cluster `palisade lab` builds
 * (DESIGN §9): how many nodes, the pod address range, and named hosts outside the cluster.
 *
 *   apiVersion: palisade.dev/v1alpha1
 *   kind: Lab
 *   metadata: {name: demo}
 *   spec:
 *     nodes: 2
 *     podCIDR: 10.244.0.0/16
 *     externalHosts:
 *     - {name: attacker, ip: 203.0.113.66}
 */
#include "lib/decode.h"

#include <string.h>

static const char *const lab_spec_keys[] = {"nodes", "podCIDR", "externalHosts", NULL};
static const char *const host_keys[] = {"name", "ip", NULL};

/* Each node is a network namespace with its own bridge; more than this is not a lab. */
#define LAB_NODES_MAX 64

static void dec_hosts(struct dctx *d, const struct doc_node *spec, struct res_lab *lab)
{
	const struct doc_node *list = dec_seq(d, spec, "externalHosts");
	size_t mark;

	if (!list)
		return;
	mark = dec_push_key(d, "externalHosts");
	lab->hosts = dec_array(d, list->n, sizeof(*lab->hosts));
	for (size_t i = 0; i < list->n && lab->hosts; i++) {
		const struct doc_node *h = list->items[i];
		struct lab_host *lh = &lab->hosts[lab->nhosts];
		size_t m2 = dec_push_index(d, i), errors;
		const char *why;

		if (!dec_node_is(d, h, DOC_MAP)) {
			dec_pop(d, m2);
			continue;
		}
		dec_check_keys(d, h, host_keys);
		errors = d->errors; /* an unknown field does not stop the checks below */
		lh->loc.file = d->file;
		lh->loc.line = h->line;
		if (dec_str(d, h, "name", &lh->name) == DEC_ABSENT) {
			dec_required(d, h, "name", 0);
		} else if (lh->name && (why = dec_dns_label_err(lh->name))) {
			size_t m3 = dec_push_key(d, "name");

			dec_error(d, dec_get(h, "name"), "%s is not a valid host name: %s",
				  dec_quote(d, lh->name), why);
			dec_pop(d, m3);
		}
		if (dec_ip(d, h, "ip", &lh->ip) == DEC_ABSENT)
			dec_required(d, h, "ip", 0);
		if (d->errors != errors) {
			dec_pop(d, m2);
			continue;
		}
		if (cidr_contains(&lab->pod_cidr, &lh->ip)) {
			size_t m3 = dec_push_key(d, "ip");
			char a[IPADDR_STRLEN], c[CIDR_STRLEN];

			ipaddr_format(&lh->ip, a, sizeof(a));
			cidr_format(&lab->pod_cidr, c, sizeof(c));
			dec_error(d, dec_get(h, "ip"), "%s is inside spec.podCIDR %s", a, c);
			dec_pop(d, m3);
		}
		for (size_t j = 0; j < lab->nhosts; j++) {
			const char *key = NULL;
			size_t m3;

			if (strcmp(lab->hosts[j].name, lh->name) == 0)
				key = "name";
			else if (ipaddr_equal(&lab->hosts[j].ip, &lh->ip))
				key = "ip";
			if (!key)
				continue;
			m3 = dec_push_key(d, key);
			if (key[0] == 'n')
				dec_error(d, dec_get(h, key),
					  "duplicate host name %s (also externalHosts[%zu])",
					  dec_quote(d, lh->name), j);
			else
				dec_error(d, dec_get(h, key), "address already used by host %s",
					  dec_quote(d, lab->hosts[j].name));
			dec_pop(d, m3);
		}
		lab->nhosts++;
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

/* Fills r from root; errors go to d. */
void dec_lab(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_lab *lab = &r->u.lab;
	const struct doc_node *spec;
	long long v;
	size_t mark;

	lab->nodes = 1;
	cidr_parse("10.244.0.0/16", &lab->pod_cidr, NULL);
	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	if (!spec)
		return;
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, lab_spec_keys);
	if (dec_int(d, spec, "nodes", 1, LAB_NODES_MAX, &v) == DEC_OK)
		lab->nodes = (int)v;
	dec_cidr(d, spec, "podCIDR", &lab->pod_cidr);
	dec_hosts(d, spec, lab);
	dec_pop(d, mark);
}
