/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_NETLINK_H
#define PALISADE_NFT_NETLINK_H

#include <stddef.h>

struct nft_delta;

/* What nft_netlink_apply_stats() did. */
struct nft_netlink_stats {
	size_t expired; /* timed elements to delete that the kernel had already expired */
	size_t batches; /* batches sent: 1, plus one per round of expired elements found */
};

/*
 * Applies an element delta (nft_delta_compute()) to table inet palisade as ONE nf_tables
 * netlink batch built with libnftnl and sent with libmnl (DESIGN §5): every delete of every
 * set, then every add, all or nothing.  The nft command would re-read and re-check the whole
 * set for each change (seconds for a 200,000-element interval set); the kernel does not.
 *
 * Set types: ipv4_addr and ipv6_addr (hash sets of addresses; interval sets of prefixes, sent
 * as a start element and an end element flagged NFT_SET_ELEM_INTERVAL_END at the first
 * address after the prefix, none when the prefix reaches the end of the address space, as
 * nft does), "ipv4_addr . inet_proto . inet_service" and its ipv6 form (named ports), and
 * "ifname : verdict" maps with jump or goto targets.  Anything else is -EOPNOTSUPP before
 * anything is sent.
 *
 * Elements with a timeout are sent with NFTA_SET_ELEM_TIMEOUT and NFTA_SET_ELEM_EXPIRATION
 * (milliseconds) and without NLM_F_EXCL, so that adding one the kernel holds updates when it
 * expires.  The deletes of the delta's gone elements (timed elements that went away) go one
 * element per message: the kernel goes through a whole batch and answers each message, so
 * when the only refusals are ENOENT for such deletes (the kernel expired them first), those
 * elements are counted in st->expired, left out, and the batch is sent again; nothing of a
 * refused batch was applied, so the end state is the same as if they had been deleted.
 *
 * Returns 0 when the kernel acknowledged every message; else a negative errno (the kernel's,
 * e.g. -ENOENT when an element to delete is not there because the kernel does not hold the
 * old script, -EOPNOTSUPP, -EINVAL for an element the renderer would not print, -ENOMEM) and
 * a message in err (may be NULL).  On any error the kernel's ruleset is unchanged (the batch
 * is aborted) and the caller should fall back to the full transaction.  Needs CAP_NET_ADMIN
 * in the current network namespace.  d is borrowed; st (may be NULL) is filled in.
 */
int nft_netlink_apply_stats(const struct nft_delta *d, struct nft_netlink_stats *st, char *err,
			    size_t errsize);
/* nft_netlink_apply_stats() without the statistics. */
int nft_netlink_apply(const struct nft_delta *d, char *err, size_t errsize);

#endif
