/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calico projectcalico.org/v3 kinds: NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet,
 * GlobalNetworkSet, HostEndpoint, WorkloadEndpoint and Profile, with rules and entity rules.
 * The checks are Calico's own (libcalico-go's validator): policy and tier names, ports only
 * with port-carrying protocols, ICMP fields only with ICMP, one IP version per rule,
 * global() only in a rule's namespaceSelector, the preDNAT/doNotTrack/applyOnForward
 * combinations.  Features Palisade does not implement (service matches, HTTP matches,
 * domain-based network sets) are errors that say so, rather than silently ignored fields
 * that would make a policy allow or deny something other than what it says.
 */
#include "lib/decode.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* ---- entity rules and rules ----------------------------------------------------------------- */

static const char *const entity_keys[] = {
	"nets",	 "notNets",  "selector",	"notSelector", "namespaceSelector",
	"ports", "notPorts", "serviceAccounts", "services",    NULL};
static const char *const sa_match_keys[] = {"names", "selector", NULL};
static const char *const rule_keys[] = {"action",  "protocol",	"notProtocol", "icmp",
					"notICMP", "ipVersion", "source",      "destination",
					"http",	   "metadata",	NULL};
static const char *const rule_meta_keys[] = {"annotations", NULL};
static const char *const icmp_keys[] = {"type", "code", NULL};
static const char *const actions[] = {"Allow", "Deny", "Log", "Pass", NULL};

#define NOT_SUPPORTED "not supported by Palisade"

/* true when s mentions global() (Calico's own test is a substring match). */
static bool has_global(const char *s)
{
	return s && strstr(s, "global()");
}

static void global_only_in_ns_selector(struct dctx *d, const struct doc_node *map, const char *key,
				       const char *sel)
{
	size_t mark;

	if (!has_global(sel))
		return;
	mark = dec_push_key(d, key);
	dec_error(d, dec_get(map, key), "global() can only be used in a rule's namespaceSelector");
	dec_pop(d, mark);
}

static bool digits_only(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static unsigned to_num(const char *s, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

/* One Calico port: 80, "80", "1000:2000" or a port name. */
static int dec_port_range(struct dctx *d, const struct doc_node *n, struct port_range *out)
{
	const char *s, *colon, *why;
	long long v;

	memset(out, 0, sizeof(*out));
	if (n->type == DOC_SCALAR && strcmp(doc_type_name(n), "a number") == 0) {
		if (dec_node_int(d, n, 1, 65535, &v) != DEC_OK)
			return DEC_BAD;
		out->lo = out->hi = (uint16_t)v;
		return DEC_OK;
	}
	if (n->type != DOC_SCALAR || strcmp(doc_type_name(n), "a string") != 0) {
		dec_error(d, n, "expected a port, a range \"lo:hi\" or a port name, found %s",
			  doc_type_name(n));
		return DEC_BAD;
	}
	if (dec_node_str(d, n, &s) != DEC_OK)
		return DEC_BAD;
	colon = strchr(s, ':');
	if (colon && digits_only(s, (size_t)(colon - s)) &&
	    digits_only(colon + 1, strlen(colon + 1))) {
		unsigned lo = to_num(s, (size_t)(colon - s));
		unsigned hi = to_num(colon + 1, strlen(colon + 1));

		if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
			dec_error(d, n,
				  "%s is not a valid port range: ports must be between 1 and 65535",
				  dec_quote(d, s));
			return DEC_BAD;
		}
		if (lo > hi) {
			dec_error(d, n, "%s is not a valid port range: %u is greater than %u",
				  dec_quote(d, s), lo, hi);
			return DEC_BAD;
		}
		out->lo = (uint16_t)lo;
		out->hi = (uint16_t)hi;
		return DEC_OK;
	}
	if (digits_only(s, strlen(s))) {
		unsigned p = to_num(s, strlen(s));

		if (p < 1 || p > 65535) {
			dec_error(d, n, "%u is not between 1 and 65535", p);
			return DEC_BAD;
		}
		out->lo = out->hi = (uint16_t)p;
		return DEC_OK;
	}
	if ((why = dec_port_name_err(s))) {
		dec_error(d, n, "%s is not a port, a range \"lo:hi\" or a valid port name: %s",
			  dec_quote(d, s), why);
		return DEC_BAD;
	}
	out->name = s;
	return DEC_OK;
}

static void dec_port_list(struct dctx *d, const struct doc_node *er, const char *key,
			  struct port_range **out, size_t *n)
{
	const struct doc_node *list = dec_seq(d, er, key);
	struct port_range *v;
	size_t mark, k = 0;

	if (!list)
		return;
	mark = dec_push_key(d, key);
	v = dec_array(d, list->n, sizeof(*v));
	for (size_t i = 0; i < list->n; i++) {
		size_t m2 = dec_push_index(d, i);
		struct port_range pr;

		if (dec_port_range(d, list->items[i], &pr) == DEC_OK && v)
			v[k++] = pr;
		dec_pop(d, m2);
	}
	*out = v;
	*n = k;
	dec_pop(d, mark);
}

static void dec_sa_match(struct dctx *d, const struct doc_node *er, struct entity_rule *e)
{
	const struct doc_node *sa = dec_map(d, er, "serviceAccounts"), *names;
	size_t mark;

	if (!sa)
		return;
	e->has_service_accounts = true;
	mark = dec_push_key(d, "serviceAccounts");
	dec_check_keys(d, sa, sa_match_keys);
	names = dec_get(sa, "names");
	if (dec_str_list(d, sa, "names", &e->sa_names, &e->nsa_names) == DEC_OK) {
		size_t m2 = dec_push_key(d, "names");

		for (size_t i = 0; i < e->nsa_names; i++) {
			const char *why = dec_dns_subdomain_err(e->sa_names[i]);

			if (why) {
				size_t m3 = dec_push_index(d, i);

				dec_error(d, names->items[i],
					  "%s is not a valid service account name: %s",
					  dec_quote(d, e->sa_names[i]), why);
				dec_pop(d, m3);
			}
		}
		dec_pop(d, m2);
	}
	if (dec_selector(d, sa, "selector", &e->sa_selector) == DEC_OK)
		global_only_in_ns_selector(d, sa, "selector", e->sa_selector);
	dec_pop(d, mark);
}

static void dec_entity(struct dctx *d, const struct doc_node *er, struct entity_rule *e)
{
	const char *ns;

	dec_check_keys(d, er, entity_keys);
	dec_cidr_list(d, er, "nets", &e->nets, &e->nnets);
	dec_cidr_list(d, er, "notNets", &e->not_nets, &e->nnot_nets);
	if (dec_selector(d, er, "selector", &e->selector) == DEC_OK)
		global_only_in_ns_selector(d, er, "selector", e->selector);
	if (dec_selector(d, er, "notSelector", &e->not_selector) == DEC_OK)
		global_only_in_ns_selector(d, er, "notSelector", e->not_selector);
	if (dec_selector(d, er, "namespaceSelector", &e->namespace_selector) == DEC_OK) {
		ns = e->namespace_selector;
		if (strstr(ns, "global(")) {
			size_t b = strspn(ns, " \t"), len = strlen(ns);

			while (len > b && (ns[len - 1] == ' ' || ns[len - 1] == '\t'))
				len--;
			if (len - b != 8 || strncmp(ns + b, "global()", 8) != 0) {
				size_t mark = dec_push_key(d, "namespaceSelector");

				dec_error(d, dec_get(er, "namespaceSelector"),
					  "global() cannot be combined with other selectors");
				dec_pop(d, mark);
			}
		}
	}
	dec_port_list(d, er, "ports", &e->ports, &e->nports);
	dec_port_list(d, er, "notPorts", &e->not_ports, &e->nnot_ports);
	dec_sa_match(d, er, e);
	if (dec_get(er, "services")) {
		size_t mark = dec_push_key(d, "services");

		dec_error(d, dec_get(er, "services"),
			  NOT_SUPPORTED " (match the service's pods with a selector instead)");
		dec_pop(d, mark);
	}
}

static void dec_icmp(struct dctx *d, const struct doc_node *rn, const char *key,
		     struct icmp_match *m, bool icmp_proto)
{
	const struct doc_node *n = dec_map(d, rn, key);
	long long v;
	size_t mark;

	m->type = -1;
	m->code = -1;
	if (!n)
		return;
	m->present = true;
	mark = dec_push_key(d, key);
	dec_check_keys(d, n, icmp_keys);
	if (dec_int(d, n, "type", 0, 254, &v) == DEC_OK)
		m->type = (int)v;
	if (dec_int(d, n, "code", 0, 255, &v) == DEC_OK) {
		m->code = (int)v;
		if (!dec_get(n, "type")) {
			size_t m2 = dec_push_key(d, "code");

			dec_error(d, dec_get(n, "code"), "requires an ICMP type");
			dec_pop(d, m2);
		}
	}
	if (!icmp_proto)
		dec_error(d, n, "only valid with protocol ICMP or ICMPv6");
	dec_pop(d, mark);
}

/* Calico's rule: one IP version per rule, and it must agree with ipVersion. */
static void check_nets(struct dctx *d, const struct doc_node *er, const char *key,
		       const struct cidr *nets, size_t n, int ip_version, int *family)
{
	const struct doc_node *list = dec_get(er, key);
	size_t mark;

	if (!n || !list || list->type != DOC_SEQ || list->n != n)
		return;
	mark = dec_push_key(d, key);
	for (size_t i = 0; i < n; i++) {
		int fam = nets[i].addr.family;
		size_t m2 = dec_push_index(d, i);
		char buf[CIDR_STRLEN];

		cidr_format(&nets[i], buf, sizeof(buf));
		if (ip_version && fam != ip_version) {
			dec_error(d, list->items[i], "%s is IPv%d but the rule's ipVersion is %d",
				  buf, fam, ip_version);
		} else if (!ip_version && *family && fam != *family) {
			dec_error(
				d, list->items[i],
				"%s is IPv%d but the rule already matches IPv%d addresses; one rule cannot mix them",
				buf, fam, *family);
		} else {
			*family = fam;
		}
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

static bool proto_has_ports(uint8_t p)
{
	return p == PROTO_TCP || p == PROTO_UDP || p == PROTO_SCTP || p == PROTO_UDPLITE;
}

static void check_ports_allowed(struct dctx *d, const struct doc_node *er, const char *side,
				const struct calico_rule *r, bool proto_bad)
{
	static const char *const keys[] = {"ports", "notPorts"};

	/* A protocol that did not parse was reported already; do not pile on. */
	if ((r->has_protocol && proto_has_ports(r->protocol)) || (!r->has_protocol && proto_bad))
		return;
	for (size_t i = 0; i < 2; i++) {
		const struct doc_node *n = dec_get(er, keys[i]);
		size_t m1, m2;

		if (!n || n->type != DOC_SEQ || n->n == 0)
			continue;
		m1 = dec_push_key(d, side);
		m2 = dec_push_key(d, keys[i]);
		dec_error(d, n, "ports are only valid with protocol TCP, UDP, SCTP or UDPLite");
		dec_pop(d, m2);
		dec_pop(d, m1);
	}
}

static void dec_rule(struct dctx *d, const struct doc_node *rn, struct calico_rule *r)
{
	const struct doc_node *src, *dst, *md;
	bool icmp_proto, proto_bad;
	long long v;
	int a = 0, family = 0;

	r->loc.file = d->file;
	r->loc.line = rn->line;
	r->icmp.type = r->icmp.code = r->not_icmp.type = r->not_icmp.code = -1;
	dec_check_keys(d, rn, rule_keys);
	if (dec_enum(d, rn, "action", actions, &a) == DEC_ABSENT)
		dec_required(d, rn, "action", 0);
	r->action = (enum rule_action)a;
	r->has_protocol = dec_calico_proto(d, rn, "protocol", &r->protocol) == DEC_OK;
	proto_bad = !r->has_protocol && dec_get(rn, "protocol");
	r->has_not_protocol = dec_calico_proto(d, rn, "notProtocol", &r->not_protocol) == DEC_OK;
	if (dec_int(d, rn, "ipVersion", LLONG_MIN, LLONG_MAX, &v) == DEC_OK) {
		if (v != 4 && v != 6) {
			size_t mark = dec_push_key(d, "ipVersion");

			dec_error(d, dec_get(rn, "ipVersion"), "must be 4 or 6");
			dec_pop(d, mark);
		} else {
			r->ip_version = (int)v;
		}
	}
	/* Calico: ICMP (as protocol or notProtocol) needs IPv4, ICMPv6 needs IPv6. */
	if (r->ip_version) {
		bool v4only = (r->has_protocol && r->protocol == PROTO_ICMP) ||
			      (r->has_not_protocol && r->not_protocol == PROTO_ICMP);
		bool v6only = (r->has_protocol && r->protocol == PROTO_ICMPV6) ||
			      (r->has_not_protocol && r->not_protocol == PROTO_ICMPV6);
		size_t mark = dec_push_key(d, "ipVersion");

		if (v4only && r->ip_version != 4)
			dec_error(d, dec_get(rn, "ipVersion"), "must be 4 with protocol ICMP");
		else if (v6only && r->ip_version != 6)
			dec_error(d, dec_get(rn, "ipVersion"), "must be 6 with protocol ICMPv6");
		dec_pop(d, mark);
	}
	/* An unparsable protocol counts as ICMP here, so that it is reported only once. */
	icmp_proto = proto_bad || (r->has_protocol &&
				   (r->protocol == PROTO_ICMP || r->protocol == PROTO_ICMPV6));
	dec_icmp(d, rn, "icmp", &r->icmp, icmp_proto);
	dec_icmp(d, rn, "notICMP", &r->not_icmp, icmp_proto);
	src = dec_map(d, rn, "source");
	if (src) {
		size_t mark = dec_push_key(d, "source");

		dec_entity(d, src, &r->src);
		check_nets(d, src, "nets", r->src.nets, r->src.nnets, r->ip_version, &family);
		check_nets(d, src, "notNets", r->src.not_nets, r->src.nnot_nets, r->ip_version,
			   &family);
		dec_pop(d, mark);
		check_ports_allowed(d, src, "source", r, proto_bad);
	}
	dst = dec_map(d, rn, "destination");
	if (dst) {
		size_t mark = dec_push_key(d, "destination");

		dec_entity(d, dst, &r->dst);
		check_nets(d, dst, "nets", r->dst.nets, r->dst.nnets, r->ip_version, &family);
		check_nets(d, dst, "notNets", r->dst.not_nets, r->dst.nnot_nets, r->ip_version,
			   &family);
		dec_pop(d, mark);
		check_ports_allowed(d, dst, "destination", r, proto_bad);
	}
	if (dec_get(rn, "http")) {
		size_t mark = dec_push_key(d, "http");

		dec_error(d, dec_get(rn, "http"), NOT_SUPPORTED " (HTTP matches need a proxy)");
		dec_pop(d, mark);
	}
	md = dec_map(d, rn, "metadata");
	if (md) {
		size_t mark = dec_push_key(d, "metadata");
		struct labels ann;

		dec_check_keys(d, md, rule_meta_keys);
		if (dec_labels(d, md, "annotations", DEC_ANNOTATIONS, &ann) == DEC_OK)
			r->name = labels_get(&ann, "name");
		dec_pop(d, mark);
	}
}

static void dec_rules(struct dctx *d, const struct doc_node *spec, const char *key,
		      struct calico_rule **out, size_t *n)
{
	const struct doc_node *list = dec_seq(d, spec, key);
	struct calico_rule *v;
	size_t mark;

	if (!list)
		return;
	mark = dec_push_key(d, key);
	v = dec_array(d, list->n, sizeof(*v));
	for (size_t i = 0; i < list->n && v; i++) {
		size_t m2 = dec_push_index(d, i);

		if (dec_node_is(d, list->items[i], DOC_MAP))
			dec_rule(d, list->items[i], &v[i]);
		dec_pop(d, m2);
	}
	if (v) {
		*out = v;
		*n = list->n;
	}
	dec_pop(d, mark);
}

/* ---- policies ------------------------------------------------------------------------------- */

static const char *const policy_spec_keys[] = {
	"tier",
	"order",
	"selector",
	"serviceAccountSelector",
	"types",
	"ingress",
	"egress",
	"performanceHints",
	"namespaceSelector",
	"doNotTrack",
	"preDNAT",
	"applyOnForward",
	NULL,
};
static const char *const gnp_only[] = {"namespaceSelector", "doNotTrack", "preDNAT",
				       "applyOnForward"};

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool label_n(const char *s, size_t n)
{
	char tmp[64];

	if (n == 0 || n > 63)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return dec_dns_label_err(tmp) == NULL;
}

/* Calico's policy name rules: NetworkPolicy "label" or "label.label" (or Calico's own
 * "knp.default.<subdomain>"), GlobalNetworkPolicy "label" or "label.label". */
static bool policy_name_ok(const char *name, bool global)
{
	const char *dot = strchr(name, '.');
	size_t n = strlen(name);

	if (n > 253)
		return false;
	if (!global &&
	    (strncmp(name, "knp.default.", 12) == 0 || strncmp(name, "ossg.default.", 13) == 0))
		return dec_dns_subdomain_err(strchr(name + 4, '.') + 1) == NULL;
	if (!dot)
		return label_n(name, n);
	return label_n(name, (size_t)(dot - name)) && !strchr(dot + 1, '.') &&
	       label_n(dot + 1, strlen(dot + 1));
}

static void check_policy_name(struct dctx *d, const struct doc_node *root, const struct resource *r)
{
	const struct doc_node *nn = dec_get(dec_get(root, "metadata"), "name");
	const char *name = r->meta.name, *tier = r->u.policy.tier;
	size_t tl = strlen(tier), m1, m2;

	if (!name || !nn)
		return;
	m1 = dec_push_key(d, "metadata");
	m2 = dec_push_key(d, "name");
	if (!policy_name_ok(name, r->kind == RES_GLOBAL_NETWORK_POLICY)) {
		dec_error(
			d, nn,
			"%s is not a valid policy name: use lowercase letters, digits and '-', with at most one '.' after the tier name",
			dec_quote(d, name));
	} else if (strcmp(tier, "default") != 0) {
		if (strncmp(name, tier, tl) != 0 || name[tl] != '.')
			dec_error(d, nn, "a policy in tier \"%s\" must be named \"%s.<name>\"",
				  tier, tier);
	} else if (strchr(name, '.') && strncmp(name, "default.", 8) != 0 &&
		   strncmp(name, "knp.default.", 12) != 0 &&
		   strncmp(name, "ossg.default.", 13) != 0) {
		dec_error(
			d, nn,
			"a policy in tier \"default\" must be named \"<name>\" or \"default.<name>\"");
	}
	dec_pop(d, m2);
	dec_pop(d, m1);
}

static void dec_types(struct dctx *d, const struct doc_node *spec, struct res_calico_policy *p)
{
	/* Calico: without types, Ingress if there are ingress rules or no rules at all, and
	 * Egress if there are egress rules. */
	p->ingress_type = p->ningress > 0 || p->negress == 0;
	p->egress_type = p->negress > 0;
	p->types_explicit = dec_policy_types(d, spec, "types", &p->ingress_type, &p->egress_type);
}

/* The host-endpoint flags of a GlobalNetworkPolicy: checked as Calico checks them, and
 * accepted, but the nftables dataplane does not implement them yet (no raw-table or
 * pre-DNAT chains, no forwarded-traffic hooks for host endpoints), so each one in use gets
 * a warning. */
static void check_gnp_flags(struct dctx *d, const struct doc_node *spec,
			    const struct res_calico_policy *p)
{
	static const char *const flags[] = {"doNotTrack", "preDNAT", "applyOnForward"};
	const bool on[] = {p->do_not_track, p->pre_dnat, p->apply_on_forward};
	size_t mark;

	for (size_t i = 0; i < 3; i++) {
		if (!on[i])
			continue;
		mark = dec_push_key(d, flags[i]);
		dec_warn(d, dec_get(spec, flags[i]), "not enforced by Palisade yet");
		dec_pop(d, mark);
	}
	if (p->do_not_track && p->pre_dnat) {
		mark = dec_push_key(d, "preDNAT");
		dec_error(d, dec_get(spec, "preDNAT"),
			  "preDNAT and doNotTrack cannot both be true");
		dec_pop(d, mark);
	}
	if (p->pre_dnat && p->negress) {
		mark = dec_push_key(d, "egress");
		dec_error(d, dec_get(spec, "egress"), "a preDNAT policy cannot have egress rules");
		dec_pop(d, mark);
	}
	if (p->pre_dnat && p->types_explicit && p->egress_type) {
		mark = dec_push_key(d, "types");
		dec_error(d, dec_get(spec, "types"), "a preDNAT policy cannot have type Egress");
		dec_pop(d, mark);
	}
	if ((p->do_not_track || p->pre_dnat) && !p->apply_on_forward) {
		mark = dec_push_key(d, "applyOnForward");
		dec_error(d,
			  dec_get(spec, "applyOnForward") ? dec_get(spec, "applyOnForward") : spec,
			  "must be true when preDNAT or doNotTrack is true");
		dec_pop(d, mark);
	}
}

/* NetworkPolicy and GlobalNetworkPolicy: fills r from root; errors go to d. */
void dec_calico_policy(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_calico_policy *p = &r->u.policy;
	const bool global = r->kind == RES_GLOBAL_NETWORK_POLICY;
	const struct doc_node *spec;
	const char *why;
	size_t mark;

	p->tier = "default";
	p->selector = "all()";
	p->ingress_type = true;
	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	mark = dec_push_key(d, "spec");
	if (dec_str(d, spec, "tier", &p->tier) == DEC_OK && (why = dec_dns_label_err(p->tier))) {
		size_t m2 = dec_push_key(d, "tier");

		dec_error(d, dec_get(spec, "tier"), "%s is not a valid tier name: %s",
			  dec_quote(d, p->tier), why);
		dec_pop(d, m2);
	}
	if (!p->tier)
		p->tier = "default";
	dec_check_keys(d, spec, policy_spec_keys);
	p->has_order = dec_double(d, spec, "order", &p->order) == DEC_OK;
	if (dec_selector(d, spec, "selector", &p->selector) == DEC_OK)
		global_only_in_ns_selector(d, spec, "selector", p->selector);
	if (dec_selector(d, spec, "serviceAccountSelector", &p->sa_selector) == DEC_OK)
		global_only_in_ns_selector(d, spec, "serviceAccountSelector", p->sa_selector);
	if (global) {
		if (dec_selector(d, spec, "namespaceSelector", &p->namespace_selector) == DEC_OK)
			global_only_in_ns_selector(d, spec, "namespaceSelector",
						   p->namespace_selector);
		dec_bool(d, spec, "doNotTrack", &p->do_not_track);
		dec_bool(d, spec, "preDNAT", &p->pre_dnat);
		dec_bool(d, spec, "applyOnForward", &p->apply_on_forward);
	} else {
		for (size_t i = 0; i < sizeof(gnp_only) / sizeof(gnp_only[0]); i++) {
			size_t m2;

			if (!dec_get(spec, gnp_only[i]))
				continue;
			m2 = dec_push_key(d, gnp_only[i]);
			dec_error(d, dec_get(spec, gnp_only[i]),
				  "only valid in a GlobalNetworkPolicy");
			dec_pop(d, m2);
		}
	}
	dec_seq(d, spec, "performanceHints");
	dec_rules(d, spec, "ingress", &p->ingress, &p->ningress);
	dec_rules(d, spec, "egress", &p->egress, &p->negress);
	dec_types(d, spec, p);
	if (global && spec)
		check_gnp_flags(d, spec, p);
	dec_pop(d, mark);
	check_policy_name(d, root, r);
}

/* ---- Tier ------------------------------------------------------------------------------------ */

static const char *const tier_spec_keys[] = {"order", "defaultAction", NULL};
static const char *const tier_actions[] = {"Deny", "Pass", NULL};

/* Fills r from root; errors go to d. */
void dec_tier(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_tier *t = &r->u.tier;
	const struct doc_node *spec;
	size_t mark;
	int a;

	t->default_action = ACTION_DENY;
	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	if (!spec)
		return;
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, tier_spec_keys);
	t->has_order = dec_double(d, spec, "order", &t->order) == DEC_OK;
	if (dec_enum(d, spec, "defaultAction", tier_actions, &a) == DEC_OK)
		t->default_action = a == 0 ? ACTION_DENY : ACTION_PASS;
	dec_pop(d, mark);
}

/* ---- network sets --------------------------------------------------------------------------- */

static const char *const netset_spec_keys[] = {"nets", "allowedEgressDomains", NULL};

/* A problem netset_expires_parse() or netset_reasons_check() found, at the annotation. */
struct ann_report {
	struct dctx *d;
	const struct doc_node *at;
};

static void ann_error(void *arg, const char *msg)
{
	struct ann_report *a = arg;

	dec_error(a->d, a->at, "%s", msg);
}

/*
 * The annotations of an expiring set (resource.h): palisade.dev/expires into
 * r->u.netset.expires (left NULL when absent), palisade.dev/reasons checked.  nets_ok says
 * whether spec.nets decoded: when it did not, keys are not checked against it.
 */
static void dec_netset_annotations(struct dctx *d, const struct doc_node *root, struct resource *r,
				   bool nets_ok)
{
	const struct doc_node *anns = dec_get(dec_get(root, "metadata"), "annotations");
	const char *keys[] = {RES_ANN_EXPIRES, RES_ANN_REASONS};
	struct res_network_set *n = &r->u.netset;

	for (int k = 0; k < 2; k++) {
		const char *value = labels_get(&r->meta.annotations, keys[k]);
		struct ann_report a = {d, dec_get(anns, keys[k])};
		size_t m1, m2, m3;
		int64_t *exp;
		int err;

		if (!value)
			continue;
		m1 = dec_push_key(d, "metadata");
		m2 = dec_push_key(d, "annotations");
		m3 = dec_push_key(d, keys[k]);
		if (k == 1) {
			err = netset_reasons_check(value, ann_error, &a);
		} else {
			exp = dec_array(d, n->nnets + 1, sizeof(*exp));
			err = exp ? netset_expires_parse(value, nets_ok ? n->nets : NULL, n->nnets,
							 exp, ann_error, &a)
				  : -ENOMEM;
			if (!err)
				n->expires = exp;
		}
		if (err == -ENOMEM)
			d->oom = true;
		dec_pop(d, m3);
		dec_pop(d, m2);
		dec_pop(d, m1);
	}
}

/* NetworkSet and GlobalNetworkSet: fills r from root; errors go to d. */
void dec_network_set(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	const struct doc_node *spec, *labels;
	bool nets_ok = true;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	labels = dec_get(dec_get(root, "metadata"), "labels");
	if (labels_get(&r->meta.labels, "projectcalico.org/namespace")) {
		size_t m1 = dec_push_key(d, "metadata"), m2 = dec_push_key(d, "labels");

		dec_error(
			d, labels,
			"\"projectcalico.org/namespace\" is reserved for Calico and cannot be set on a network set");
		dec_pop(d, m2);
		dec_pop(d, m1);
	}
	spec = dec_map(d, root, "spec");
	if (spec) {
		mark = dec_push_key(d, "spec");
		dec_check_keys(d, spec, netset_spec_keys);
		nets_ok = dec_cidr_list(d, spec, "nets", &r->u.netset.nets, &r->u.netset.nnets) !=
			  DEC_BAD;
		if (dec_get(spec, "allowedEgressDomains")) {
			size_t m2 = dec_push_key(d, "allowedEgressDomains");

			dec_error(d, dec_get(spec, "allowedEgressDomains"),
				  NOT_SUPPORTED " (domain-based network sets need DNS policy)");
			dec_pop(d, m2);
		}
		dec_pop(d, mark);
	} else if (dec_get(root, "spec")) {
		nets_ok = false; /* not a map: reported */
	}
	dec_netset_annotations(d, root, r, nets_ok);
}

/* ---- endpoints and profiles ------------------------------------------------------------------ */

static const char *const hep_spec_keys[] = {"node",	"interfaceName", "expectedIPs",
					    "profiles", "ports",	 NULL};
static const char *const ep_port_keys[] = {"name", "port", "protocol", NULL};
static const char *const wep_port_keys[] = {"name", "port", "protocol", "hostPort", "hostIP", NULL};
static const char *const wep_spec_keys[] = {
	"orchestrator",
	"workload",
	"node",
	"containerID",
	"pod",
	"endpoint",
	"serviceAccountName",
	"ipNetworks",
	"ipNATs",
	"ipv4Gateway",
	"ipv6Gateway",
	"profiles",
	"interfaceName",
	"mac",
	"ports",
	"allowSpoofedSourcePrefixes",
	"qosControls",
	NULL,
};
static const char *const ipnat_keys[] = {"internalIP", "externalIP", NULL};

/* [a-zA-Z0-9_.-]{1,15}, or "*" when star is allowed (host endpoints). */
static void check_iface(struct dctx *d, const struct doc_node *spec, const char *iface, bool star)
{
	size_t n = strlen(iface), mark;
	bool ok = n >= 1 && n <= 15;

	if (star && strcmp(iface, "*") == 0)
		return;
	for (size_t i = 0; i < n && ok; i++) {
		char c = iface[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '_' || c == '.' || c == '-';
	}
	if (ok)
		return;
	mark = dec_push_key(d, "interfaceName");
	dec_error(d, dec_get(spec, "interfaceName"),
		  "%s is not a valid interface name: 1 to 15 letters, digits, '_', '.' or '-'%s",
		  dec_quote(d, iface), star ? ", or \"*\"" : "");
	dec_pop(d, mark);
}

/* Host and workload endpoint ports: name (a port name), port, protocol (TCP, UDP, SCTP). */
static void dec_endpoint_ports(struct dctx *d, const struct doc_node *spec, bool wep,
			       struct endpoint_port **out, size_t *n)
{
	const struct doc_node *list = dec_seq(d, spec, "ports");
	struct endpoint_port *v;
	size_t mark;

	if (!list)
		return;
	mark = dec_push_key(d, "ports");
	v = dec_array(d, list->n, sizeof(*v));
	for (size_t i = 0; i < list->n && v; i++) {
		const struct doc_node *p = list->items[i];
		struct endpoint_port *ep = &v[i];
		size_t m2 = dec_push_index(d, i);
		long long num, host = 0;
		struct ipaddr hip;
		const char *why;

		if (!dec_node_is(d, p, DOC_MAP)) {
			dec_pop(d, m2);
			continue;
		}
		dec_check_keys(d, p, wep ? wep_port_keys : ep_port_keys);
		ep->proto = PROTO_TCP;
		if (wep) {
			dec_int(d, p, "hostPort", 0, 65535, &host);
			dec_ip(d, p, "hostIP", &hip);
		}
		if (dec_str(d, p, "name", &ep->name) == DEC_OK &&
		    (why = dec_port_name_err(ep->name))) {
			size_t m3 = dec_push_key(d, "name");

			dec_error(d, dec_get(p, "name"), "%s is not a valid port name: %s",
				  dec_quote(d, ep->name), why);
			dec_pop(d, m3);
		} else if (!dec_get(p, "name") && !(wep && host)) {
			dec_required(d, p, "name", 0);
		}
		if (dec_int(d, p, "port", 1, 65535, &num) == DEC_OK)
			ep->port = (uint16_t)num;
		else if (!dec_get(p, "port"))
			dec_required(d, p, "port", 0);
		if (dec_calico_proto(d, p, "protocol", &ep->proto) == DEC_OK &&
		    ep->proto != PROTO_TCP && ep->proto != PROTO_UDP && ep->proto != PROTO_SCTP) {
			size_t m3 = dec_push_key(d, "protocol");

			dec_error(d, dec_get(p, "protocol"), "must be TCP, UDP or SCTP");
			dec_pop(d, m3);
		}
		dec_pop(d, m2);
	}
	if (v) {
		*out = v;
		*n = list->n;
	}
	dec_pop(d, mark);
}

/* Fills r from root; errors go to d. */
void dec_host_endpoint(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_host_endpoint *h = &r->u.hep;
	const struct doc_node *spec, *ips;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, hep_spec_keys);
	if (dec_str(d, spec, "node", &h->node) == DEC_ABSENT)
		dec_required(d, spec, "node", root->line);
	if (dec_str(d, spec, "interfaceName", &h->interface_name) == DEC_OK)
		check_iface(d, spec, h->interface_name, true);
	ips = dec_seq(d, spec, "expectedIPs");
	if (ips && ips->n) {
		size_t m2 = dec_push_key(d, "expectedIPs");

		h->expected_ips = dec_array(d, ips->n, sizeof(*h->expected_ips));
		for (size_t i = 0; i < ips->n && h->expected_ips; i++) {
			size_t m3 = dec_push_index(d, i);

			if (dec_node_ip(d, ips->items[i], &h->expected_ips[h->nexpected_ips]) ==
			    DEC_OK)
				h->nexpected_ips++;
			dec_pop(d, m3);
		}
		dec_pop(d, m2);
	}
	if (!dec_get(spec, "interfaceName") && !(ips && ips->n))
		dec_error_line(d, spec ? spec->line : root->line,
			       "interfaceName or expectedIPs is required");
	dec_str_list(d, spec, "profiles", &h->profiles, &h->nprofiles);
	dec_endpoint_ports(d, spec, false, &h->ports, &h->nports);
	dec_pop(d, mark);
}

static bool mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (size_t i = 0; i < 17; i++) {
		char c = s[i];

		if (i % 3 == 2) {
			if (c != s[2] || (c != ':' && c != '-'))
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

static void dec_ipnats(struct dctx *d, const struct doc_node *spec)
{
	const struct doc_node *list = dec_seq(d, spec, "ipNATs");
	size_t mark;

	if (!list)
		return;
	mark = dec_push_key(d, "ipNATs");
	for (size_t i = 0; i < list->n; i++) {
		const struct doc_node *n = list->items[i];
		size_t m2 = dec_push_index(d, i);
		struct ipaddr in, ex;
		int a, b;

		if (dec_node_is(d, n, DOC_MAP)) {
			dec_check_keys(d, n, ipnat_keys);
			if ((a = dec_ip(d, n, "internalIP", &in)) == DEC_ABSENT)
				dec_required(d, n, "internalIP", 0);
			if ((b = dec_ip(d, n, "externalIP", &ex)) == DEC_ABSENT)
				dec_required(d, n, "externalIP", 0);
			if (a == DEC_OK && b == DEC_OK && in.family != ex.family)
				dec_error(d, n,
					  "internalIP and externalIP must be the same IP version");
		}
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

/* Fills r from root; errors go to d. */
void dec_workload_endpoint(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_workload_endpoint *w = &r->u.wep;
	const struct doc_node *spec, *nets;
	const char *mac, *gw;
	struct ipaddr gwa;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	if (!spec)
		return;
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, wep_spec_keys);
	dec_str(d, spec, "node", &w->node);
	dec_str(d, spec, "orchestrator", &w->orchestrator);
	dec_str(d, spec, "workload", &w->workload);
	dec_str(d, spec, "pod", &w->pod);
	dec_str(d, spec, "endpoint", &w->endpoint);
	if (dec_str(d, spec, "containerID", &w->container_id) == DEC_OK) {
		const char *c = w->container_id;
		size_t n = strlen(c);
		bool ok = n > 0 && c[0] != '-' && c[n - 1] != '-';

		for (size_t i = 0; i < n && ok; i++)
			ok = (c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') ||
			     (c[i] >= '0' && c[i] <= '9') || c[i] == '-';
		if (!ok) {
			size_t m2 = dec_push_key(d, "containerID");

			dec_error(d, dec_get(spec, "containerID"),
				  "%s is not a valid container ID: letters, digits and '-'",
				  dec_quote(d, c));
			dec_pop(d, m2);
		}
	}
	if (dec_str(d, spec, "interfaceName", &w->interface_name) == DEC_OK)
		check_iface(d, spec, w->interface_name, false);
	dec_str(d, spec, "serviceAccountName", &w->service_account);
	nets = dec_get(spec, "ipNetworks");
	if (dec_cidr_list(d, spec, "ipNetworks", &w->ip_networks, &w->nip_networks) == DEC_OK) {
		size_t m2 = dec_push_key(d, "ipNetworks");

		for (size_t i = 0; i < w->nip_networks; i++) {
			const struct cidr *c = &w->ip_networks[i];

			if (c->len != (c->addr.family == 4 ? 32 : 128)) {
				size_t m3 = dec_push_index(d, i);

				dec_error(d, nets->items[i],
					  "must be a single address (/32 or /128)");
				dec_pop(d, m3);
			}
		}
		dec_pop(d, m2);
	}
	dec_ipnats(d, spec);
	if (dec_str(d, spec, "ipv4Gateway", &gw) == DEC_OK &&
	    (ipaddr_parse(gw, &gwa) || gwa.family != 4)) {
		size_t m2 = dec_push_key(d, "ipv4Gateway");

		dec_error(d, dec_get(spec, "ipv4Gateway"), "%s is not an IPv4 address",
			  dec_quote(d, gw));
		dec_pop(d, m2);
	}
	if (dec_str(d, spec, "ipv6Gateway", &gw) == DEC_OK &&
	    (ipaddr_parse(gw, &gwa) || gwa.family != 6)) {
		size_t m2 = dec_push_key(d, "ipv6Gateway");

		dec_error(d, dec_get(spec, "ipv6Gateway"), "%s is not an IPv6 address",
			  dec_quote(d, gw));
		dec_pop(d, m2);
	}
	if (dec_str(d, spec, "mac", &mac) == DEC_OK && !mac_ok(mac)) {
		size_t m2 = dec_push_key(d, "mac");

		dec_error(d, dec_get(spec, "mac"),
			  "%s is not a MAC address (like 02:00:00:00:00:01)", dec_quote(d, mac));
		dec_pop(d, m2);
	}
	dec_str_list(d, spec, "profiles", &w->profiles, &w->nprofiles);
	dec_endpoint_ports(d, spec, true, &w->ports, &w->nports);
	{
		struct cidr *prefixes;
		size_t nprefixes;

		dec_cidr_list(d, spec, "allowSpoofedSourcePrefixes", &prefixes, &nprefixes);
	}
	dec_pop(d, mark);
}

static const char *const profile_spec_keys[] = {"labelsToApply", "ingress", "egress", NULL};

/* Fills r from root; errors go to d. */
void dec_profile(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_profile *p = &r->u.profile;
	const struct doc_node *spec;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	if (!spec)
		return;
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, profile_spec_keys);
	dec_labels(d, spec, "labelsToApply", DEC_LABELS, &p->labels_to_apply);
	dec_rules(d, spec, "ingress", &p->ingress, &p->ningress);
	dec_rules(d, spec, "egress", &p->egress, &p->negress);
	dec_pop(d, mark);
}
