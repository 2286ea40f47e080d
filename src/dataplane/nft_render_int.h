/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_RENDER_INT_H
#define PALISADE_NFT_RENDER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/nft_names.h"
#include "dataplane/nft_render.h"
#include "lib/cidr.h"

/*
 * Shared between the renderer's files (nft_render.c: plan, sets, chains; nft_rule.c: one
 * Calico rule as nft rules; nft_rule_id.c: the NFLOG ids).  Not for use outside
 * src/dataplane.
 */

struct m_rule;
struct port_range;

/* A named-port set: every (address, protocol, port) of an endpoint port with one of the
 * names in key.  One per distinct list of names used by a rendered rule. */
struct nft_np_set {
	char *key;     /* the names, sorted and unique, joined with ',' (owned) */
	uint32_t hkey; /* stable name: the set is n<hkey>_4 / n<hkey>_6 */
	bool has[2];   /* some member has an IPv4 (has[0]) / IPv6 (has[1]) address */
};

/* Indexes of nft_ctx.as_has[set]: which of an address set's four nft sets have elements. */
enum {
	NFT_E4,
	NFT_E6,
	NFT_N4,
	NFT_N6,
};

struct nft_ctx {
	const struct model *m;
	struct strbuf *out;
	const char *node;
	const struct cidr *pod;
	size_t npod;
	uint16_t group[2]; /* NFLOG group per direction */
	bool *ep_on;	   /* endpoints with chains on this node */
	/* Endpoints with the same program (policies and profiles) share one chain: canon[d][i]
	 * is the first endpoint with endpoint i's program, nshare[d][i] how many share it. */
	size_t *canon[2];
	size_t *nshare[2];
	uint32_t *prog_key[2];	/* per endpoint: the stable key of its program's chains */
	struct nft_names names; /* stable keys of policies, tiers, profiles, address sets */
	bool *pol_used[2];	/* policy chains to render, by rank, per direction */
	bool *prof_used[2];	/* profile chains to render */
	bool *as_used;		/* address sets rules refer to */
	bool (*as_has)[4];	/* per address set: E4, E6, N4, N6 non-empty */
	struct nft_np_set *np;
	size_t nnp, capnp;
	size_t nobj; /* top-level objects printed so far (blank lines between) */
	int64_t now; /* nft_render_opts.now */
	bool timed;  /* some element has a timeout: the script starts with NFT_SCRIPT_NOW */
	bool oom;
};

/* The np set for a port list's names, or -1 when it has none. */
int nft_np_lookup(const struct nft_ctx *R, const struct port_range *v, size_t n);
/* m->profiles index of a Profile by name, or MODEL_NONE. */
uint32_t nft_find_profile(const struct model *m, const char *name);
/* A prefix, without the length when it is a single address. */
void nft_format_cidr(const struct cidr *c, char *buf, size_t size);
/* A protocol as nft reads it without /etc/protocols. */
void nft_proto_format(uint8_t p, char *buf, size_t size);
/* `log prefix "<id>" group <g>` */
void nft_put_log(const struct nft_ctx *R, int dir, const char *id);
/* Prints rule r of a policy or profile chain: one nft rule per alternative, or a comment
 * when it can never match. */
void nft_put_rule(struct nft_ctx *R, const struct m_rule *r, int dir, const struct nft_rule_id *id);

#endif
