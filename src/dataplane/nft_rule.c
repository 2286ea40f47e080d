/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_render_int.h"

#include "lib/model.h"
#include "lib/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One Calico rule as nft rules, with exactly eval_rule_matches()'s meaning.
 *
 * Most of a rule is a conjunction and maps to one nft rule.  Three things are disjunctions
 * and become alternatives, one nft rule each:
 *   - the address family: a rule with address, selector or named-port matches and no
 *     ipVersion is rendered once for IPv4 and once for IPv6 (each family's rule only holds
 *     that family's prefixes, and a family in which a positive match is empty is left out);
 *   - a positive selector: the address is an endpoint address of the set (as<N>_e4) or in a
 *     member network set's prefixes (as<N>_n4);
 *   - a port list with numbers and names: a numeric port, or (address, protocol, port) in the
 *     named-port set np<K>.
 * Within a side the alternatives multiply, and the two sides multiply.  For a Log rule each
 * later alternative also excludes the earlier ones, so a packet logs once, as eval traces the
 * rule once; for the other actions the first match ends the walk anyway.
 *
 * Fragments are built with a trailing space and joined; nft ignores the redundancy of e.g.
 * `meta l4proto tcp` before `icmp type`.
 */

#define NFT_MAX_ALTS 2

struct side {
	struct strbuf pre;		  /* nets, notNets */
	struct strbuf addr[NFT_MAX_ALTS]; /* selector alternatives */
	struct strbuf mid;		  /* notSelector */
	struct strbuf port[NFT_MAX_ALTS]; /* port alternatives */
	struct strbuf post;		  /* notPorts */
	bool ip_pre, ip_mid, ip_post;	  /* the fragment names a family's address */
	bool ip_addr[NFT_MAX_ALTS], ip_port[NFT_MAX_ALTS];
	size_t naddr, nport;
	bool never; /* no packet of this family can match */
};

static void side_fini(struct side *s)
{
	strbuf_fini(&s->pre);
	strbuf_fini(&s->mid);
	strbuf_fini(&s->post);
	for (int i = 0; i < NFT_MAX_ALTS; i++) {
		strbuf_fini(&s->addr[i]);
		strbuf_fini(&s->port[i]);
	}
}

static bool side_oom(const struct side *s)
{
	bool oom = s->pre.oom || s->mid.oom || s->post.oom;

	for (int i = 0; i < NFT_MAX_ALTS; i++)
		oom = oom || s->addr[i].oom || s->port[i].oom;
	return oom;
}

static bool proto_has_ports(uint8_t p)
{
	return p == PROTO_TCP || p == PROTO_UDP || p == PROTO_SCTP || p == PROTO_UDPLITE;
}

/* `<key> [!= ]<prefixes of family fam>`; false (nothing printed) when there are none. */
static bool put_nets(struct strbuf *b, const char *key, const char *op, const struct cidr *nets,
		     size_t n, int fam)
{
	struct cidr *v = calloc(n + 1, sizeof(*v));
	char buf[CIDR_STRLEN];
	size_t k = 0;

	if (!v) {
		b->oom = true;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (nets[i].addr.family == fam)
			v[k++] = nets[i];
	k = cidr_merge(v, k);
	if (k) {
		strbuf_printf(b, "%s %s%s", key, op, k > 1 ? "{ " : "");
		for (size_t i = 0; i < k; i++) {
			nft_format_cidr(&v[i], buf, sizeof(buf));
			strbuf_printf(b, "%s%s", i ? ", " : "", buf);
		}
		strbuf_puts(b, k > 1 ? " } " : " ");
	}
	free(v);
	return k > 0;
}

static int cmp_port(const void *a, const void *b)
{
	const struct port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/* `<key> [!= ]<numeric ports>`, sorted and merged; false when the list has no numbers. */
static bool put_ports(struct strbuf *b, const char *key, const char *op,
		      const struct port_range *ports, size_t n)
{
	struct port_range *v = calloc(n + 1, sizeof(*v));
	size_t k = 0, j = 0;

	if (!v) {
		b->oom = true;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!ports[i].name)
			v[k++] = ports[i];
	qsort(v, k, sizeof(*v), cmp_port);
	for (size_t i = 0; i < k; i++) {
		if (j && v[i].lo <= (uint32_t)v[j - 1].hi + 1) {
			if (v[i].hi > v[j - 1].hi)
				v[j - 1].hi = v[i].hi;
			continue;
		}
		v[j++] = v[i];
	}
	if (j) {
		strbuf_printf(b, "%s %s%s", key, op, j > 1 ? "{ " : "");
		for (size_t i = 0; i < j; i++) {
			strbuf_printf(b, "%s%u", i ? ", " : "", v[i].lo);
			if (v[i].hi != v[i].lo)
				strbuf_printf(b, "-%u", v[i].hi);
		}
		strbuf_puts(b, j > 1 ? " } " : " ");
	}
	free(v);
	return j > 0;
}

static bool has_named(const struct port_range *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].name)
			return true;
	return false;
}

static void build_side(struct nft_ctx *R, const struct m_entity *e, bool src, int fam, bool log,
		       struct side *s)
{
	const char *ip = fam == 6 ? "ip6" : "ip";
	const char *dir = src ? "saddr" : "daddr";
	char akey[24], pkey[16], npkey[64];
	int fi = fam == 6;

	memset(s, 0, sizeof(*s));
	snprintf(akey, sizeof(akey), "%s %s", ip, dir);
	snprintf(pkey, sizeof(pkey), "th %s", src ? "sport" : "dport");
	snprintf(npkey, sizeof(npkey), "%s . meta l4proto . %s", akey, pkey);

	/* nets and notNets: fam is 4 or 6 whenever the entity has any. */
	if (e->nnets) {
		if (!put_nets(&s->pre, akey, "", e->nets, e->nnets, fam))
			s->never = true;
		s->ip_pre = true;
	}
	if (e->nnot_nets && put_nets(&s->pre, akey, "!= ", e->not_nets, e->nnot_nets, fam))
		s->ip_pre = true;

	if (e->addrset != MODEL_NONE) {
		const bool *has = R->as_has[e->addrset];

		if (has[NFT_E4 + fi]) {
			strbuf_printf(&s->addr[s->naddr], "%s @a%08x_e%d ", akey,
				      R->names.as[e->addrset], fam);
			s->ip_addr[s->naddr++] = true;
		}
		if (has[NFT_N4 + fi] && !R->m->addrsets[e->addrset].endpoints_only) {
			struct strbuf *b = &s->addr[s->naddr];

			strbuf_printf(b, "%s @a%08x_n%d ", akey, R->names.as[e->addrset], fam);
			if (log && has[NFT_E4 + fi])
				strbuf_printf(b, "%s != @a%08x_e%d ", akey, R->names.as[e->addrset],
					      fam);
			s->ip_addr[s->naddr++] = true;
		}
		if (!s->naddr)
			s->never = true;
	} else {
		s->naddr = 1;
	}

	if (e->not_addrset != MODEL_NONE) {
		const bool *has = R->as_has[e->not_addrset];

		if (has[NFT_E4 + fi]) {
			strbuf_printf(&s->mid, "%s != @a%08x_e%d ", akey,
				      R->names.as[e->not_addrset], fam);
			s->ip_mid = true;
		}
		if (has[NFT_N4 + fi] && !R->m->addrsets[e->not_addrset].endpoints_only) {
			strbuf_printf(&s->mid, "%s != @a%08x_n%d ", akey,
				      R->names.as[e->not_addrset], fam);
			s->ip_mid = true;
		}
	}

	if (e->nports) {
		int np = nft_np_lookup(R, e->ports, e->nports);
		bool numeric = put_ports(&s->port[0], pkey, "", e->ports, e->nports);

		if (numeric)
			s->nport++;
		if (np >= 0 && fam && R->np[np].has[fi]) {
			struct strbuf *b = &s->port[s->nport];

			strbuf_printf(b, "%s @n%08x_%d ", npkey, R->np[np].hkey, fam);
			if (log && numeric)
				put_ports(b, pkey, "!= ", e->ports, e->nports);
			s->ip_port[s->nport++] = true;
		}
		if (!s->nport)
			s->never = true;
	} else {
		s->nport = 1;
	}

	if (e->nnot_ports) {
		int np = nft_np_lookup(R, e->not_ports, e->nnot_ports);

		put_ports(&s->post, pkey, "!= ", e->not_ports, e->nnot_ports);
		if (np >= 0 && fam && R->np[np].has[fi]) {
			strbuf_printf(&s->post, "%s != @n%08x_%d ", npkey, R->np[np].hkey, fam);
			s->ip_post = true;
		}
	}
}

/* ICMP type and code as raw transport header bytes, for rules without a protocol. */
static void put_icmp_raw(struct strbuf *b, const struct icmp_match *im, bool neg)
{
	if (!neg) {
		strbuf_puts(b, "meta l4proto { icmp, 58 } ");
		if (im->type >= 0)
			strbuf_printf(b, "@th,0,8 %d ", im->type);
		if (im->code >= 0)
			strbuf_printf(b, "@th,8,8 %d ", im->code);
		return;
	}
	if (im->type < 0)
		strbuf_puts(b, "meta l4proto != { icmp, 58 } ");
	else if (im->code < 0)
		strbuf_printf(b, "meta l4proto . @th,0,8 != { 1 . %d, 58 . %d } ", im->type,
			      im->type);
	else
		strbuf_printf(b,
			      "meta l4proto . @th,0,8 . @th,8,8 != { 1 . %d . %d, 58 . %d . %d } ",
			      im->type, im->code, im->type, im->code);
}

/*
 * The family-independent head: protocol, notProtocol, icmp, notICMP, and the guard that
 * port matches imply.  Returns false when the rule can never match.
 */
static bool build_head(const struct m_rule *r, struct strbuf *b)
{
	bool ports = r->src.nports || r->src.nnot_ports || r->dst.nports || r->dst.nnot_ports;
	char p[16];

	if (r->has_protocol) {
		if (ports && !proto_has_ports(r->protocol))
			return false;
		if (r->icmp.present && r->protocol != PROTO_ICMP && r->protocol != PROTO_ICMPV6)
			return false;
		if (r->has_not_protocol && r->not_protocol == r->protocol)
			return false;
		nft_proto_format(r->protocol, p, sizeof(p));
		strbuf_printf(b, "meta l4proto %s ", p);
	} else if (ports) {
		strbuf_puts(b, "meta l4proto { tcp, udp, sctp, udplite } ");
	}
	if (r->has_not_protocol) {
		nft_proto_format(r->not_protocol, p, sizeof(p));
		strbuf_printf(b, "meta l4proto != %s ", p);
	}
	if (r->icmp.present) {
		const char *k = r->has_protocol && r->protocol == PROTO_ICMPV6 ? "icmpv6" : "icmp";

		if (!r->has_protocol)
			put_icmp_raw(b, &r->icmp, false);
		if (r->has_protocol && r->icmp.type >= 0)
			strbuf_printf(b, "%s type %d ", k, r->icmp.type);
		if (r->has_protocol && r->icmp.code >= 0)
			strbuf_printf(b, "%s code %d ", k, r->icmp.code);
	}
	if (r->not_icmp.present) {
		const struct icmp_match *im = &r->not_icmp;
		bool is_icmp = r->has_protocol &&
			       (r->protocol == PROTO_ICMP || r->protocol == PROTO_ICMPV6);
		const char *k = r->has_protocol && r->protocol == PROTO_ICMPV6 ? "icmpv6" : "icmp";

		if (!r->has_protocol) {
			put_icmp_raw(b, im, true);
		} else if (is_icmp) {
			/* Every packet of the protocol matches an empty notICMP. */
			if (im->type < 0)
				return false;
			if (im->code < 0)
				strbuf_printf(b, "%s type != %d ", k, im->type);
			else
				strbuf_printf(b, "%s type . %s code != { %d . %d } ", k, k,
					      im->type, im->code);
		}
		/* Any other protocol: notICMP always holds. */
	}
	return true;
}

static bool entity_has_addr(const struct m_entity *e)
{
	return e->nnets || e->nnot_nets || e->addrset != MODEL_NONE ||
	       e->not_addrset != MODEL_NONE || has_named(e->ports, e->nports) ||
	       has_named(e->not_ports, e->nnot_ports);
}

static void put_tail(struct nft_ctx *R, const struct m_rule *r, int dir,
		     const struct nft_rule_id *id)
{
	char buf[NFT_RULE_ID_LEN];

	nft_rule_id_format(id, buf, sizeof(buf));
	nft_put_log(R, dir, buf);
	switch (r->action) {
	case ACTION_ALLOW:
		strbuf_puts(R->out, " accept");
		break;
	case ACTION_DENY:
		strbuf_puts(R->out, " drop");
		break;
	case ACTION_LOG:
		break;
	case ACTION_PASS:
		/* A profile's Pass goes on with the next profile: the endpoint chain's next
		 * jump.  A policy's Pass tells the tier chain through the mark. */
		if (id->kind == NFT_ID_PROFILE_RULE)
			strbuf_puts(R->out, " return");
		else
			strbuf_printf(R->out, " meta mark set meta mark | 0x%08x return",
				      NFT_RENDER_PASS_MARK);
		break;
	}
	strbuf_putc(R->out, '\n');
}

/* One alternative: the match text (without `meta nfproto`), and whether it names an address
 * of its family (fam 0: the rule has no family). */
struct alt {
	char *text;
	int fam;
	bool ip;
	bool done;
};

#define NFT_MAX_LINES (2 * NFT_MAX_ALTS * NFT_MAX_ALTS * NFT_MAX_ALTS * NFT_MAX_ALTS)

static void add_alt(struct nft_ctx *R, struct alt *v, size_t *n, int fam, bool ip,
		    const char *const *frags, size_t nfrags)
{
	struct strbuf b;

	strbuf_init(&b);
	for (size_t i = 0; i < nfrags; i++)
		strbuf_puts(&b, frags[i]);
	v[*n].text = strbuf_steal(&b);
	if (!v[*n].text) {
		R->oom = true;
		return;
	}
	v[*n].fam = fam;
	v[*n].ip = ip;
	v[*n].done = false;
	(*n)++;
}

/* The alternatives of rule r in family fam, appended to v. */
static void family_alts(struct nft_ctx *R, const struct m_rule *r, int fam, const char *head,
			struct alt *v, size_t *n)
{
	bool log = r->action == ACTION_LOG;
	struct side s, d;

	build_side(R, &r->src, true, fam, log, &s);
	build_side(R, &r->dst, false, fam, log, &d);
	if (side_oom(&s) || side_oom(&d))
		R->oom = true;
	for (size_t a = 0; !s.never && !d.never && a < s.naddr; a++)
		for (size_t p = 0; p < s.nport; p++)
			for (size_t a2 = 0; a2 < d.naddr; a2++)
				for (size_t p2 = 0; p2 < d.nport; p2++) {
					const char *frags[] = {
						head,
						strbuf_str(&s.pre),
						strbuf_str(&s.addr[a]),
						strbuf_str(&s.mid),
						strbuf_str(&s.port[p]),
						strbuf_str(&s.post),
						strbuf_str(&d.pre),
						strbuf_str(&d.addr[a2]),
						strbuf_str(&d.mid),
						strbuf_str(&d.port[p2]),
						strbuf_str(&d.post),
					};
					bool ip = s.ip_pre || s.ip_mid || s.ip_post ||
						  s.ip_addr[a] || s.ip_port[p] || d.ip_pre ||
						  d.ip_mid || d.ip_post || d.ip_addr[a2] ||
						  d.ip_port[p2];

					add_alt(R, v, n, fam, ip, frags,
						sizeof(frags) / sizeof(frags[0]));
				}
	side_fini(&s);
	side_fini(&d);
}

/*
 * Prints the alternatives.  An alternative without address matches that both families have
 * (e.g. the numeric ports beside a named-port set) is printed once, without `meta nfproto`.
 */
static size_t put_alts(struct nft_ctx *R, const struct m_rule *r, int dir,
		       const struct nft_rule_id *id, struct alt *v, size_t n)
{
	size_t printed = 0;

	for (size_t i = 0; i < n; i++) {
		bool both = false;

		if (v[i].done)
			continue;
		for (size_t j = i + 1; j < n && v[i].fam && !v[i].ip; j++) {
			if (v[j].done || v[j].ip || v[j].fam == v[i].fam ||
			    strcmp(v[j].text, v[i].text))
				continue;
			v[j].done = both = true;
			break;
		}
		strbuf_puts(R->out, "\t\t");
		if (v[i].fam && !v[i].ip && !both)
			strbuf_printf(R->out, "meta nfproto ipv%d ", v[i].fam);
		strbuf_puts(R->out, v[i].text);
		put_tail(R, r, dir, id);
		printed++;
	}
	return printed;
}

void nft_put_rule(struct nft_ctx *R, const struct m_rule *r, int dir, const struct nft_rule_id *id)
{
	struct alt v[NFT_MAX_LINES];
	struct strbuf head;
	int fams[2], nfams = 0;
	size_t n = 0, printed = 0;
	char buf[NFT_RULE_ID_LEN];

	strbuf_init(&head);
	if (entity_has_addr(&r->src) || entity_has_addr(&r->dst)) {
		if (r->ip_version) {
			fams[nfams++] = r->ip_version;
		} else {
			fams[nfams++] = 4;
			fams[nfams++] = 6;
		}
	} else {
		fams[nfams++] = r->ip_version;
	}
	if (!build_head(r, &head))
		nfams = 0;
	if (head.oom)
		R->oom = true;
	for (int f = 0; f < nfams; f++)
		family_alts(R, r, fams[f], strbuf_str(&head), v, &n);
	printed = put_alts(R, r, dir, id, v, n);
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	strbuf_fini(&head);
	if (!printed) {
		nft_rule_id_format(id, buf, sizeof(buf));
		strbuf_printf(R->out, "\t\t# %s never matches (empty address sets or protocol)\n",
			      buf);
	}
}
