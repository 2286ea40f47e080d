/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_render.h"

#include "dataplane/nft_render_int.h"
#include "dataplane/nft_script.h"
#include "lib/ifname.h"
#include "lib/model.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The renderer walks the model twice.  The first pass decides what the node needs: the
 * workload endpoints on the node, the policy and profile chains their programs reach, the
 * address sets and named-port sets those rules refer to.  The second pass prints, in a fixed
 * order (sets, maps, base chains, endpoint and tier chains by endpoint index, policy chains by
 * rank, profile chains by index), so the same model always gives the same bytes.
 *
 * A Calico rule is a conjunction except in three places, where one nft rule per alternative
 * is printed (nft_rule.c): a positive selector (an endpoint address set or a network set
 * prefix set), a port list with numeric and named ports, and rules that hold both IPv4 and
 * IPv6 matches.  For Log rules the alternatives are made disjoint so a packet logs once.
 */

static const char *const dir_tag[2] = {"in", "eg"};

static void put_sanitized(struct strbuf *b, const char *s)
{
	for (; s && *s; s++)
		strbuf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The port names of a port list, sorted and unique, joined with ','; NULL if it has none. */
static char *port_names_key(const struct port_range *v, size_t n)
{
	const char **names = calloc(n ? n : 1, sizeof(*names));
	struct strbuf b;
	size_t k = 0;

	if (!names)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i].name)
			names[k++] = v[i].name;
	if (!k) {
		free(names);
		return NULL;
	}
	qsort(names, k, sizeof(*names), cmp_str);
	strbuf_init(&b);
	for (size_t i = 0; i < k; i++) {
		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		if (b.len)
			strbuf_putc(&b, ',');
		strbuf_puts(&b, names[i]);
	}
	free(names);
	return strbuf_steal(&b);
}

static bool key_has_name(const char *key, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = key; p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && !memcmp(p, name, n))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

int nft_np_lookup(const struct nft_ctx *R, const struct port_range *v, size_t n)
{
	char *key = port_names_key(v, n);
	int found = -1;

	if (!key)
		return -1;
	for (size_t i = 0; i < R->nnp; i++)
		if (!strcmp(R->np[i].key, key))
			found = (int)i;
	free(key);
	return found;
}

static int np_intern(struct nft_ctx *R, const struct port_range *v, size_t n)
{
	const struct model *m = R->m;
	struct nft_np_set *s;
	char *key;

	if (nft_np_lookup(R, v, n) >= 0)
		return 0;
	key = port_names_key(v, n);
	if (!key) {
		for (size_t i = 0; i < n; i++)
			if (v[i].name)
				return -ENOMEM;
		return 0;
	}
	if (R->nnp == R->capnp) {
		size_t cap = R->capnp ? 2 * R->capnp : 8;
		struct nft_np_set *nv = realloc(R->np, cap * sizeof(*nv));

		if (!nv) {
			free(key);
			return -ENOMEM;
		}
		R->np = nv;
		R->capnp = cap;
	}
	s = &R->np[R->nnp++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	for (unsigned salt = 0;; salt++) {
		bool taken = false;

		s->hkey = nft_name_hash(key, salt);
		for (size_t i = 0; i + 1 < R->nnp; i++)
			taken = taken || R->np[i].hkey == s->hkey;
		if (!taken)
			break;
	}
	for (size_t e = 0; e < m->neps; e++) {
		const struct m_endpoint *ep = &m->eps[e];

		for (size_t p = 0; p < ep->nports; p++) {
			if (!key_has_name(key, ep->ports[p].name))
				continue;
			for (size_t a = 0; a < ep->nips; a++)
				s->has[ep->ips[a].family == 6] = true;
		}
	}
	return 0;
}

static void addrset_use(struct nft_ctx *R, uint32_t set)
{
	if (set != MODEL_NONE)
		R->as_used[set] = true;
}

static int note_rules(struct nft_ctx *R, const struct m_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct m_rule *r = &rules[i];
		const struct m_entity *es[2] = {&r->src, &r->dst};

		for (int k = 0; k < 2; k++) {
			const struct m_entity *e = es[k];

			addrset_use(R, e->addrset);
			addrset_use(R, e->not_addrset);
			if (np_intern(R, e->ports, e->nports) ||
			    np_intern(R, e->not_ports, e->nnot_ports))
				return -ENOMEM;
		}
	}
	return 0;
}

uint32_t nft_find_profile(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->nprofiles; i++)
		if (!strcmp(m->profiles[i].name, name))
			return (uint32_t)i;
	return MODEL_NONE;
}

static bool ep_on_node(const struct m_endpoint *e, const char *node)
{
	if (e->kind != M_EP_WORKLOAD)
		return false;
	return !node || (e->node && !strcmp(e->node, node));
}

/* A prefix that is one address: it goes in a hash set, not an interval set (DESIGN §5). */
static bool cidr_is_single(const struct cidr *c)
{
	return c->len == (c->addr.family == 6 ? 128 : 32);
}

/*
 * What entry c of network set n becomes in a hash set: 0 for a permanent element, else the
 * expiry to render as a timeout; -1 when it has expired and is left out (nft_render.h).
 */
static int64_t entry_expiry(const struct nft_ctx *R, const struct m_netset *n, size_t c)
{
	int64_t e = n->expires ? n->expires[c] : 0;

	if (!e || !R->now)
		return 0;
	if (e <= R->now)
		return -1;
	return e - R->now > NFT_RENDER_TIMEOUT_MAX ? 0 : e;
}

/* First pass: what this node's script holds. */
static int plan(struct nft_ctx *R)
{
	const struct model *m = R->m;

	for (size_t i = 0; i < m->neps; i++) {
		const struct m_endpoint *e = &m->eps[i];

		R->ep_on[i] = ep_on_node(e, R->node);
		if (!R->ep_on[i])
			continue;
		for (int d = 0; d < 2; d++)
			for (size_t k = 0; k < e->nprog[d]; k++)
				R->pol_used[d][e->prog[d][k]] = true;
		for (size_t p = 0; p < e->nprofiles; p++) {
			uint32_t idx = nft_find_profile(m, e->profiles[p]);

			if (idx != MODEL_NONE) {
				R->prof_used[0][idx] = R->prof_used[1][idx] = true;
				continue;
			}
			if (!strncmp(e->profiles[p], "kns.", 4))
				break; /* allows everything; later profiles are never reached */
		}
	}
	for (int d = 0; d < 2; d++) {
		for (size_t r = 0; r < m->npols; r++)
			if (R->pol_used[d][r] &&
			    note_rules(R, m->pols[r].rules[d], m->pols[r].nrules[d]))
				return -ENOMEM;
		for (size_t p = 0; p < m->nprofiles; p++)
			if (R->prof_used[d][p] &&
			    note_rules(R, m->profiles[p].rules[d], m->profiles[p].nrules[d]))
				return -ENOMEM;
	}
	for (size_t s = 0; s < m->naddrsets; s++) {
		const struct m_addrset *as = &m->addrsets[s];

		if (!R->as_used[s])
			continue;
		for (size_t e = bitset_next(&as->eps, 0); e < as->eps.nbits;
		     e = bitset_next(&as->eps, e + 1))
			for (size_t a = 0; a < m->eps[e].nips; a++)
				R->as_has[s][NFT_E4 + (m->eps[e].ips[a].family == 6)] = true;
		if (as->endpoints_only)
			continue;
		for (size_t n = bitset_next(&as->sets, 0); n < as->sets.nbits;
		     n = bitset_next(&as->sets, n + 1)) {
			/* An empty network set (a quarantine set between two blocks) keeps its
			 * rules too, so its first entry is an element change, not a patch. */
			if (!m->sets[n].nnets)
				R->as_has[s][NFT_E4] = R->as_has[s][NFT_N4] = true;
			for (size_t c = 0; c < m->sets[n].nnets; c++) {
				int v6 = m->sets[n].nets[c].addr.family == 6;

				/* Both sets, whichever the entry goes to: a feed whose entries
				 * turn from prefixes into addresses changes elements, not rules. */
				R->as_has[s][NFT_E4 + v6] = R->as_has[s][NFT_N4 + v6] = true;
				if (cidr_is_single(&m->sets[n].nets[c]) &&
				    entry_expiry(R, &m->sets[n], c) > 0)
					R->timed = true;
			}
		}
	}
	return 0;
}

/* A blank line between top-level objects. */
static void begin_obj(struct nft_ctx *R)
{
	if (R->nobj++)
		strbuf_putc(R->out, '\n');
}

/* ---- sets ----------------------------------------------------------------------------- */

struct elems {
	struct strbuf *out;
	size_t n;
};

static void elem(struct elems *el, const char *s)
{
	strbuf_puts(el->out, el->n++ ? ",\n\t\t\t     " : "\t\telements = { ");
	strbuf_puts(el->out, s);
}

static void elems_end(struct elems *el)
{
	if (el->n)
		strbuf_puts(el->out, " }\n");
}

/* An element of a hash set of addresses and when it expires (0: never). */
struct addr_elem {
	struct ipaddr ip;
	int64_t expires;
};

static int cmp_addr_elem(const void *a, const void *b)
{
	const struct addr_elem *x = a, *y = b;

	return ipaddr_cmp(&x->ip, &y->ip);
}

/* flags: NULL, "interval" or "timeout". */
static void set_head(struct strbuf *out, const char *name, const char *type, const char *flags)
{
	strbuf_printf(out, "\tset %s {\n\t\ttype %s\n", name, type);
	if (flags)
		strbuf_printf(out, "\t\tflags %s\n", flags);
}

/*
 * A hash set of single addresses, declared `flags timeout` when timeout says so: v is sorted
 * here and each address printed once, permanent when any of its entries is, else with a
 * timeout up to its latest expiry.
 */
static void put_addr_set(struct strbuf *out, int64_t now, const char *name, int fam, bool timeout,
			 struct addr_elem *v, size_t n)
{
	struct elems el = {out, 0};
	char buf[IPADDR_STRLEN + 48];

	set_head(out, name, fam == 6 ? "ipv6_addr" : "ipv4_addr", timeout ? "timeout" : NULL);
	qsort(v, n, sizeof(*v), cmp_addr_elem);
	for (size_t i = 0, j; i < n; i = j) {
		int64_t e = v[i].expires;
		int len;

		for (j = i + 1; j < n && ipaddr_equal(&v[j].ip, &v[i].ip); j++)
			e = !e || !v[j].expires ? 0 : v[j].expires > e ? v[j].expires : e;
		len = ipaddr_format(&v[i].ip, buf, sizeof(buf));
		if (e && len > 0)
			snprintf(buf + len, sizeof(buf) - (size_t)len, " timeout %llds",
				 (long long)(e - now));
		elem(&el, buf);
	}
	elems_end(&el);
	strbuf_puts(out, "\t}\n");
}

/* An interval set of prefixes: v is merged here (nft refuses overlapping elements). */
static void put_prefix_set(struct strbuf *out, const char *name, int fam, struct cidr *v, size_t n)
{
	struct elems el = {out, 0};
	char buf[CIDR_STRLEN];

	set_head(out, name, fam == 6 ? "ipv6_addr" : "ipv4_addr", "interval");
	n = cidr_merge(v, n);
	for (size_t i = 0; i < n; i++) {
		nft_format_cidr(&v[i], buf, sizeof(buf));
		elem(&el, buf);
	}
	elems_end(&el);
	strbuf_puts(out, "\t}\n");
}

void nft_format_cidr(const struct cidr *c, char *buf, size_t size)
{
	if (c->len == (c->addr.family == 6 ? 128 : 32))
		ipaddr_format(&c->addr, buf, size);
	else
		cidr_format(c, buf, size);
}

static int put_pod_sets(struct nft_ctx *R, int fam, bool *any)
{
	const struct model *m = R->m;
	const char *sfx = fam == 6 ? "6" : "";
	struct cidr *pc = NULL;
	struct addr_elem *ips = NULL;
	size_t npc = 0, nips = 0, cap = 0;
	char name[32];
	int err = -ENOMEM;

	*any = false;
	pc = calloc(R->npod + 1, sizeof(*pc));
	if (!pc)
		goto out;
	for (size_t i = 0; i < R->npod; i++)
		if (R->pod[i].addr.family == fam)
			pc[npc++] = R->pod[i];
	if (!npc) {
		err = 0;
		goto out;
	}
	for (size_t i = 0; i < m->neps; i++)
		cap += m->eps[i].nips;
	ips = calloc(cap + 1, sizeof(*ips));
	if (!ips)
		goto out;
	for (size_t i = 0; i < m->neps; i++)
		for (size_t a = 0; a < m->eps[i].nips; a++)
			if (m->eps[i].ips[a].family == fam)
				ips[nips++].ip = m->eps[i].ips[a];
	snprintf(name, sizeof(name), "pod_cidrs%s", sfx);
	begin_obj(R);
	put_prefix_set(R->out, name, fam, pc, npc);
	snprintf(name, sizeof(name), "endpoint_ips%s", sfx);
	begin_obj(R);
	put_addr_set(R->out, R->now, name, fam, false, ips, nips);
	*any = true;
	err = 0;
out:
	free(pc);
	free(ips);
	return err;
}

static int put_addrset(struct nft_ctx *R, uint32_t s)
{
	const struct model *m = R->m;
	const struct m_addrset *as = &m->addrsets[s];
	struct addr_elem *ips = NULL;
	struct cidr *nets = NULL;
	size_t nips = 0, nnets = 0, capips = 0, capnets = 0;
	char name[32];
	int err = -ENOMEM;

	for (size_t e = bitset_next(&as->eps, 0); e < as->eps.nbits;
	     e = bitset_next(&as->eps, e + 1))
		capips += m->eps[e].nips;
	for (size_t n = bitset_next(&as->sets, 0); n < as->sets.nbits;
	     n = bitset_next(&as->sets, n + 1))
		capnets += m->sets[n].nnets;
	capips += capnets; /* network-set entries that are single addresses */
	ips = calloc(capips + 1, sizeof(*ips));
	nets = calloc(capnets + 1, sizeof(*nets));
	if (!ips || !nets)
		goto out;
	begin_obj(R);
	strbuf_printf(R->out, "\t# a%08x: ", R->names.as[s]);
	put_sanitized(R->out, as->key);
	strbuf_putc(R->out, '\n');
	for (int fam = 4; fam <= 6; fam += 2) {
		bool v6 = fam == 6;

		/* IPv6 sets only exist when some member has an IPv6 address. */
		if (v6 && !R->as_has[s][NFT_E6] && !R->as_has[s][NFT_N6])
			continue;
		nips = nnets = 0;
		for (size_t e = bitset_next(&as->eps, 0); e < as->eps.nbits;
		     e = bitset_next(&as->eps, e + 1))
			for (size_t a = 0; a < m->eps[e].nips; a++)
				if (m->eps[e].ips[a].family == fam)
					ips[nips++] = (struct addr_elem){m->eps[e].ips[a], 0};
		/* Network-set entries: single addresses join the hash set (one element changes
		 * in O(1) there, and it can time out), prefixes go to the interval set.
		 * Kubernetes peers never match network sets. */
		for (size_t n = bitset_next(&as->sets, 0);
		     !as->endpoints_only && n < as->sets.nbits; n = bitset_next(&as->sets, n + 1))
			for (size_t c = 0; c < m->sets[n].nnets; c++) {
				const struct cidr *net = &m->sets[n].nets[c];
				int64_t e;

				if (net->addr.family != fam)
					continue;
				if (!cidr_is_single(net)) {
					nets[nnets++] = *net;
					continue;
				}
				e = entry_expiry(R, &m->sets[n], c);
				if (e >= 0)
					ips[nips++] = (struct addr_elem){net->addr, e};
			}
		snprintf(name, sizeof(name), "a%08x_e%d", R->names.as[s], fam);
		put_addr_set(R->out, R->now, name, fam, !as->endpoints_only, ips, nips);
		if (as->endpoints_only)
			continue;
		snprintf(name, sizeof(name), "a%08x_n%d", R->names.as[s], fam);
		put_prefix_set(R->out, name, fam, nets, nnets);
	}
	err = 0;
out:
	free(ips);
	free(nets);
	return err;
}

struct np_elem {
	struct ipaddr ip;
	uint8_t proto;
	uint16_t port;
};

static int cmp_np_elem(const void *a, const void *b)
{
	const struct np_elem *x = a, *y = b;
	int c = ipaddr_cmp(&x->ip, &y->ip);

	if (c)
		return c;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static int put_np_set(struct nft_ctx *R, size_t k)
{
	const struct model *m = R->m;
	const struct nft_np_set *s = &R->np[k];
	struct np_elem *v = NULL;
	size_t n, cap = 0;
	char name[32], addr[IPADDR_STRLEN], proto[16], buf[96];

	for (size_t e = 0; e < m->neps; e++)
		cap += m->eps[e].nports * m->eps[e].nips;
	v = calloc(cap + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	begin_obj(R);
	strbuf_printf(R->out, "\t# n%08x: named ports ", s->hkey);
	put_sanitized(R->out, s->key);
	strbuf_putc(R->out, '\n');
	for (int fam = 4; fam <= 6; fam += 2) {
		struct elems el = {R->out, 0};

		if (!s->has[fam == 6])
			continue;
		n = 0;
		for (size_t e = 0; e < m->neps; e++) {
			const struct m_endpoint *ep = &m->eps[e];

			for (size_t p = 0; p < ep->nports; p++) {
				if (!key_has_name(s->key, ep->ports[p].name))
					continue;
				for (size_t a = 0; a < ep->nips; a++) {
					if (ep->ips[a].family != fam)
						continue;
					v[n].ip = ep->ips[a];
					v[n].proto = ep->ports[p].proto;
					v[n].port = ep->ports[p].port;
					n++;
				}
			}
		}
		qsort(v, n, sizeof(*v), cmp_np_elem);
		snprintf(name, sizeof(name), "n%08x_%d", s->hkey, fam);
		set_head(R->out, name,
			 fam == 6 ? "ipv6_addr . inet_proto . inet_service"
				  : "ipv4_addr . inet_proto . inet_service",
			 NULL);
		for (size_t i = 0; i < n; i++) {
			if (i && !cmp_np_elem(&v[i], &v[i - 1]))
				continue;
			ipaddr_format(&v[i].ip, addr, sizeof(addr));
			nft_proto_format(v[i].proto, proto, sizeof(proto));
			snprintf(buf, sizeof(buf), "%s . %s . %u", addr, proto, v[i].port);
			elem(&el, buf);
		}
		elems_end(&el);
		strbuf_puts(R->out, "\t}\n");
	}
	free(v);
	return 0;
}

/*
 * nft knows tcp, udp, sctp, udplite and icmp as keywords; other names (ipv6-icmp) need
 * /etc/protocols, which a minimal node image may lack, so those are printed as numbers.
 */
void nft_proto_format(uint8_t p, char *buf, size_t size)
{
	switch (p) {
	case PROTO_TCP:
		snprintf(buf, size, "tcp");
		break;
	case PROTO_UDP:
		snprintf(buf, size, "udp");
		break;
	case PROTO_SCTP:
		snprintf(buf, size, "sctp");
		break;
	case PROTO_UDPLITE:
		snprintf(buf, size, "udplite");
		break;
	case PROTO_ICMP:
		snprintf(buf, size, "icmp");
		break;
	default:
		snprintf(buf, size, "%u", p);
		break;
	}
}

/* ---- maps and chains ------------------------------------------------------------------ */

struct vmap_elem {
	char ifname[IFNAME_LEN];
	size_t ep;
};

static int cmp_vmap_elem(const void *a, const void *b)
{
	const struct vmap_elem *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	return c ? c : (x->ep > y->ep) - (x->ep < y->ep);
}

static int put_maps(struct nft_ctx *R)
{
	const struct model *m = R->m;
	struct vmap_elem *v = calloc(m->neps + 1, sizeof(*v));
	size_t n = 0;
	char buf[64];

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->neps; i++) {
		if (!R->ep_on[i])
			continue;
		endpoint_ifname(m->eps[i].ns, m->eps[i].name, v[n].ifname);
		v[n++].ep = i;
	}
	qsort(v, n, sizeof(*v), cmp_vmap_elem);
	for (int d = 0; d < 2; d++) {
		struct elems el = {R->out, 0};

		begin_obj(R);
		strbuf_printf(R->out, "\tmap ep_%s {\n\t\ttype ifname : verdict\n",
			      d == M_INGRESS ? "ingress" : "egress");
		for (size_t i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "\"%s\" : jump e%08x_%s", v[i].ifname,
				 R->prog_key[d][v[i].ep], dir_tag[d]);
			elem(&el, buf);
		}
		elems_end(&el);
		strbuf_puts(R->out, "\t}\n");
	}
	free(v);
	return 0;
}

void nft_put_log(const struct nft_ctx *R, int dir, const char *id)
{
	strbuf_printf(R->out, "log prefix \"%s\" group %u", id, R->group[dir]);
}

static void put_base_chains(struct nft_ctx *R, bool pods4, bool pods6)
{
	struct strbuf *out = R->out;
	static const char established[] = "\t\tct state established,related accept\n"
					  "\t\tct state invalid drop\n";

	begin_obj(R);
	strbuf_puts(out, "\tchain egress {\n"
			 "\t\ttype filter hook forward priority 0; policy accept;\n");
	strbuf_puts(out, established);
	strbuf_puts(out, "\t\tiifname vmap @ep_egress\n\t}\n");
	begin_obj(R);
	strbuf_puts(out, "\tchain ingress {\n"
			 "\t\ttype filter hook forward priority 1; policy accept;\n");
	strbuf_puts(out, established);
	strbuf_puts(out, "\t\toifname vmap @ep_ingress\n\t}\n");
	if (!pods4 && !pods6)
		return;
	/* Addresses of the pod ranges that no endpoint has: dropped and logged before routing,
	 * since a node has no route for them and would otherwise discard them unseen.  A sweep
	 * mostly hits such addresses. */
	begin_obj(R);
	strbuf_puts(out, "\tchain unused {\n"
			 "\t\ttype filter hook prerouting priority 0; policy accept;\n");
	if (pods4) {
		strbuf_puts(out, "\t\tip daddr @pod_cidrs ip daddr != @endpoint_ips ");
		nft_put_log(R, M_INGRESS, "U:i:D");
		strbuf_puts(out, " drop\n");
	}
	if (pods6) {
		strbuf_puts(out, "\t\tip6 daddr @pod_cidrs6 ip6 daddr != @endpoint_ips6 ");
		nft_put_log(R, M_INGRESS, "U:i:D");
		strbuf_puts(out, " drop\n");
	}
	strbuf_puts(out, "\t}\n");
}

static bool policy_has_pass(const struct m_policy *p, int dir)
{
	for (size_t r = 0; r < p->nrules[dir]; r++)
		if (p->rules[dir][r].action == ACTION_PASS)
			return true;
	return false;
}

static void put_pass_check(struct strbuf *out)
{
	strbuf_printf(out,
		      "\t\tmeta mark & 0x%08x == 0x%08x meta mark set meta mark & 0x%08x return\n",
		      NFT_RENDER_PASS_MARK, NFT_RENDER_PASS_MARK, ~NFT_RENDER_PASS_MARK);
}

/* The endpoint chain of one direction and its tier chains. */
static void put_endpoint_chains(struct nft_ctx *R, size_t ei, int d)
{
	const struct model *m = R->m;
	const struct m_endpoint *e = &m->eps[ei];
	const uint32_t *prog = e->prog[d];
	size_t n = e->nprog[d];
	bool pass = false, decided = false;
	char ifname[IFNAME_LEN], id[NFT_RULE_ID_LEN];

	for (size_t i = 0; i < n; i++)
		pass = pass || policy_has_pass(&m->pols[prog[i]], d);
	endpoint_ifname(e->ns, e->name, ifname);
	begin_obj(R);
	strbuf_printf(R->out, "\t# e%08x_%s: ", R->prog_key[d][ei], dir_tag[d]);
	put_sanitized(R->out, e->ns);
	strbuf_putc(R->out, '/');
	put_sanitized(R->out, e->name);
	strbuf_printf(R->out, " %s via %s", d == M_INGRESS ? "ingress" : "egress", ifname);
	if (R->nshare[d][ei] > 1)
		strbuf_printf(R->out, ", shared by %zu endpoints with the same program",
			      R->nshare[d][ei]);
	strbuf_putc(R->out, '\n');
	strbuf_printf(R->out, "\tchain e%08x_%s {\n", R->prog_key[d][ei], dir_tag[d]);
	if (pass)
		strbuf_printf(R->out, "\t\tmeta mark set meta mark & 0x%08x\n",
			      ~NFT_RENDER_PASS_MARK);
	for (size_t i = 0; i < n; i++) {
		uint32_t tier = m->pols[prog[i]].tier;

		if (i && m->pols[prog[i - 1]].tier == tier)
			continue;
		strbuf_printf(R->out, "\t\tjump e%08x_%s_t%08x\n", R->prog_key[d][ei], dir_tag[d],
			      R->names.tier[tier]);
	}
	for (size_t p = 0; p < e->nprofiles && !decided; p++) {
		uint32_t idx = nft_find_profile(m, e->profiles[p]);

		if (idx != MODEL_NONE) {
			strbuf_printf(R->out, "\t\tjump f%08x_%s\n", R->names.prof[idx],
				      dir_tag[d]);
		} else if (!strncmp(e->profiles[p], "kns.", 4)) {
			struct nft_rule_id rid = {.kind = NFT_ID_PROFILE_ALLOW, .dir = d};

			nft_rule_id_format(&rid, id, sizeof(id));
			strbuf_puts(R->out, "\t\t");
			nft_put_log(R, d, id);
			strbuf_puts(R->out, " accept\n");
			decided = true;
		}
	}
	if (!decided) {
		struct nft_rule_id rid = {.kind = NFT_ID_NO_PROFILE, .dir = d};

		nft_rule_id_format(&rid, id, sizeof(id));
		strbuf_puts(R->out, "\t\t");
		nft_put_log(R, d, id);
		strbuf_puts(R->out, " drop\n");
	}
	strbuf_puts(R->out, "\t}\n");

	for (size_t i = 0; i < n;) {
		uint32_t tier = m->pols[prog[i]].tier;
		const struct m_tier *t = &m->tiers[tier];

		begin_obj(R);
		strbuf_printf(R->out, "\tchain e%08x_%s_t%08x {\n", R->prog_key[d][ei], dir_tag[d],
			      R->names.tier[tier]);
		for (; i < n && m->pols[prog[i]].tier == tier; i++) {
			strbuf_printf(R->out, "\t\tjump p%08x_%s\n", R->names.pol[prog[i]],
				      dir_tag[d]);
			if (policy_has_pass(&m->pols[prog[i]], d))
				put_pass_check(R->out);
		}
		if (t->default_action != ACTION_PASS) {
			struct nft_rule_id rid = {.kind = NFT_ID_TIER_END,
						  .dir = d,
						  .tier = tier,
						  .key = R->names.tier[tier]};

			nft_rule_id_format(&rid, id, sizeof(id));
			strbuf_puts(R->out, "\t\t");
			nft_put_log(R, d, id);
			strbuf_puts(R->out, " drop\n");
		}
		strbuf_puts(R->out, "\t}\n");
	}
}

static void put_policy_chain(struct nft_ctx *R, uint32_t rank, int d)
{
	const struct m_policy *p = &R->m->pols[rank];

	begin_obj(R);
	strbuf_printf(R->out, "\t# p%08x_%s: ", R->names.pol[rank], dir_tag[d]);
	put_sanitized(R->out, p->kind);
	strbuf_putc(R->out, ' ');
	put_sanitized(R->out, p->name);
	strbuf_puts(R->out, " in tier ");
	put_sanitized(R->out, R->m->tiers[p->tier].name);
	strbuf_putc(R->out, '\n');
	strbuf_printf(R->out, "\tchain p%08x_%s {\n", R->names.pol[rank], dir_tag[d]);
	for (size_t r = 0; r < p->nrules[d]; r++) {
		struct nft_rule_id rid = {.kind = NFT_ID_POLICY_RULE,
					  .dir = d,
					  .tier = p->tier,
					  .policy = rank,
					  .rule = (int)r,
					  .action = p->rules[d][r].action,
					  .key = R->names.pol[rank]};

		nft_put_rule(R, &p->rules[d][r], d, &rid);
	}
	strbuf_puts(R->out, "\t}\n");
}

static void put_profile_chain(struct nft_ctx *R, uint32_t idx, int d)
{
	const struct m_profile *p = &R->m->profiles[idx];

	begin_obj(R);
	strbuf_printf(R->out, "\t# f%08x_%s: Profile ", R->names.prof[idx], dir_tag[d]);
	put_sanitized(R->out, p->name);
	strbuf_putc(R->out, '\n');
	strbuf_printf(R->out, "\tchain f%08x_%s {\n", R->names.prof[idx], dir_tag[d]);
	for (size_t r = 0; r < p->nrules[d]; r++) {
		struct nft_rule_id rid = {.kind = NFT_ID_PROFILE_RULE,
					  .dir = d,
					  .profile = idx,
					  .rule = (int)r,
					  .action = p->rules[d][r].action,
					  .key = R->names.prof[idx]};

		nft_put_rule(R, &p->rules[d][r], d, &rid);
	}
	strbuf_puts(R->out, "\t}\n");
}

/* Counts the chains, rules and sets of a script in the layout printed above. */
static void count(const char *s, struct nft_render_stats *st)
{
	bool in_chain = false;

	memset(st, 0, sizeof(*st));
	for (const char *line = s; *line;) {
		const char *nl = strchr(line, '\n');

		if (!strncmp(line, "\tchain ", 7)) {
			in_chain = true;
			st->chains++;
		} else if (!strncmp(line, "\tset ", 5) || !strncmp(line, "\tmap ", 5)) {
			in_chain = false;
			st->sets++;
		} else if (in_chain && !strncmp(line, "\t\t", 2) && line[2] != '#' &&
			   strncmp(line + 2, "type ", 5)) {
			st->rules++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
}

static void ctx_fini(struct nft_ctx *R)
{
	free(R->ep_on);
	for (int d = 0; d < 2; d++) {
		free(R->pol_used[d]);
		free(R->prof_used[d]);
		free(R->canon[d]);
		free(R->nshare[d]);
		free(R->prog_key[d]);
	}
	free(R->as_used);
	free(R->as_has);
	for (size_t i = 0; i < R->nnp; i++)
		free(R->np[i].key);
	free(R->np);
	nft_names_fini(&R->names);
}

/*
 * Finds the endpoints whose program is the same (the same policies in the direction and the
 * same profiles): they get one chain between them, named after a hash of the program
 * (e<key>_in, e<key>_eg), so the name stays while the program does.  A node's pods mostly fall into a few
 * such groups (the replicas of a Deployment always do), which keeps the ruleset from growing
 * with the number of pods times the number of policies.
 */
static int share_programs(struct nft_ctx *R)
{
	const struct model *m = R->m;
	struct strbuf key;
	int err = 0;

	strbuf_init(&key);
	for (int d = 0; d < 2 && !err; d++) {
		struct strmap seen, used;
		char hex[16];

		strmap_init(&seen);
		strmap_init(&used);
		R->canon[d] = calloc(m->neps + 1, sizeof(size_t));
		R->nshare[d] = calloc(m->neps + 1, sizeof(size_t));
		R->prog_key[d] = calloc(m->neps + 1, sizeof(uint32_t));
		if (!R->canon[d] || !R->nshare[d] || !R->prog_key[d]) {
			err = -ENOMEM;
			strmap_fini(&seen);
			strmap_fini(&used);
			break;
		}
		for (size_t i = 0; i < m->neps && !err; i++) {
			const struct m_endpoint *e = &m->eps[i];
			uint32_t first;

			R->canon[d][i] = i;
			if (!R->ep_on[i])
				continue;
			strbuf_reset(&key);
			for (size_t k = 0; k < e->nprog[d]; k++)
				strbuf_printf(&key, "%08x,", R->names.pol[e->prog[d][k]]);
			strbuf_putc(&key, '|');
			for (size_t k = 0; k < e->nprofiles; k++)
				strbuf_printf(&key, "%s,", e->profiles[k]);
			if (key.oom) {
				err = -ENOMEM;
				break;
			}
			first = strmap_get(&seen, strbuf_str(&key));
			if (first == UINT32_MAX) {
				uint32_t h;

				for (unsigned salt = 0;; salt++) {
					h = nft_name_hash(strbuf_str(&key), salt);
					snprintf(hex, sizeof(hex), "%08x", h);
					if (strmap_get(&used, hex) == UINT32_MAX)
						break;
				}
				if (strmap_put(&seen, strbuf_str(&key), (uint32_t)i) ||
				    strmap_put(&used, hex, (uint32_t)i))
					err = -ENOMEM;
				first = (uint32_t)i;
				R->prog_key[d][i] = h;
			}
			R->canon[d][i] = first;
			R->prog_key[d][i] = R->prog_key[d][first];
			R->nshare[d][first]++;
		}
		strmap_fini(&seen);
		strmap_fini(&used);
	}
	strbuf_fini(&key);
	return err;
}

int nft_render(const struct model *m, const struct nft_render_opts *o, struct strbuf *out)
{
	struct nft_ctx R;
	size_t start = out->len;
	bool pods4 = false, pods6 = false;
	int err = -ENOMEM;

	memset(&R, 0, sizeof(R));
	R.m = m;
	R.out = out;
	R.group[M_INGRESS] = o && o->nflog_ingress ? o->nflog_ingress : 1;
	R.group[M_EGRESS] = o && o->nflog_egress ? o->nflog_egress : 2;
	R.node = o ? o->node : NULL;
	R.pod = o ? o->pod_cidrs : NULL;
	R.npod = o && o->pod_cidrs ? o->npod_cidrs : 0;
	R.now = o ? o->now : 0;
	R.ep_on = calloc(m->neps + 1, sizeof(*R.ep_on));
	R.as_used = calloc(m->naddrsets + 1, sizeof(*R.as_used));
	R.as_has = calloc(m->naddrsets + 1, sizeof(*R.as_has));
	if (!R.ep_on || !R.as_used || !R.as_has)
		goto out;
	for (int d = 0; d < 2; d++) {
		R.pol_used[d] = calloc(m->npols + 1, sizeof(bool));
		R.prof_used[d] = calloc(m->nprofiles + 1, sizeof(bool));
		if (!R.pol_used[d] || !R.prof_used[d])
			goto out;
	}
	err = nft_names_build(m, &R.names);
	if (!err)
		err = plan(&R);
	if (!err)
		err = share_programs(&R);
	if (err)
		goto out;

	if (R.timed) {
		char when[RES_TIME_STRLEN];

		res_time_format(R.now, when, sizeof(when));
		strbuf_printf(out, NFT_SCRIPT_NOW "%lld (%s): element timeouts count from here\n",
			      (long long)R.now, when);
	}
	strbuf_puts(out, "add table inet palisade\ndelete table inet palisade\n"
			 "table inet palisade {\n");
	err = put_pod_sets(&R, 4, &pods4);
	if (!err)
		err = put_pod_sets(&R, 6, &pods6);
	for (uint32_t s = 0; !err && s < m->naddrsets; s++)
		if (R.as_used[s])
			err = put_addrset(&R, s);
	for (size_t k = 0; !err && k < R.nnp; k++)
		err = put_np_set(&R, k);
	if (!err)
		err = put_maps(&R);
	if (err)
		goto out;
	put_base_chains(&R, pods4, pods6);
	for (size_t i = 0; i < m->neps; i++)
		for (int d = 0; d < 2 && R.ep_on[i]; d++)
			if (R.canon[d][i] == i)
				put_endpoint_chains(&R, i, d);
	for (uint32_t r = 0; r < m->npols; r++)
		for (int d = 0; d < 2; d++)
			if (R.pol_used[d][r])
				put_policy_chain(&R, r, d);
	for (uint32_t p = 0; p < m->nprofiles; p++)
		for (int d = 0; d < 2; d++)
			if (R.prof_used[d][p])
				put_profile_chain(&R, p, d);
	strbuf_puts(out, "}\n");
	err = out->oom || R.oom ? -ENOMEM : 0;
	if (!err && o && o->stats)
		count(out->s + start, o->stats);
out:
	ctx_fini(&R);
	return err;
}
