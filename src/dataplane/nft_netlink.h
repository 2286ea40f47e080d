/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_NETLINK_H
#define PALISADE_NFT_NETLINK_H

#include <stddef.h>

struct nft_delta;

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
 * Returns 0 when the kernel acknowledged every message; else a negative errno (the kernel's,
 * e.g. -ENOENT when an element to delete is not there because the kernel does not hold the
 * old script, -EOPNOTSUPP, -EINVAL for an element the renderer would not print, -ENOMEM) and
 * a message in err (may be NULL).  On any error the kernel's ruleset is unchanged (the batch
 * is aborted) and the caller should fall back to the full transaction.  Needs CAP_NET_ADMIN
 * in the current network namespace.  d is borrowed.
 */
int nft_netlink_apply(const struct nft_delta *d, char *err, size_t errsize);

#endif
