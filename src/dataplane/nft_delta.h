/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_DELTA_H
#define PALISADE_NFT_DELTA_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/*
 * The difference between two renders of table inet palisade (nft_render output) when they
 * differ only in the elements of named sets and maps (DESIGN §5): the agent then sends only
 * these elements to the kernel (nft_netlink_apply()) instead of replacing the whole table.
 *
 * Two scripts "differ only in elements" when they are equal once every `elements = { ... }`
 * block, every comment line and every blank line is removed: the same sets with the same
 * types and flags, the same chains with the same rules.  Comments are dropped because the
 * kernel never sees them (a chain's "shared by 2 endpoints" comment changes with the pods).
 *
 * Elements are kept as the renderer prints them: an address or prefix ("10.0.0.9",
 * "192.0.2.0/24"), an address with a timeout ("198.51.100.66 timeout 8s"), a named-port tuple
 * ("10.0.0.9 . tcp . 80") or a verdict map entry ("\"cali0123456789a\" : jump ep0_in").  A
 * verdict map entry whose target changes is a delete of the old entry and an add of the new
 * one.
 *
 * Elements with a timeout (expiring network-set entries, nft_render.h) are identified by
 * their key and compared by their absolute expiry (nft_script.h): unchanged expiry, nothing
 * to send, whatever the two renders' timeouts say; a new, extended or shortened expiry, or an
 * element turning permanent or timed, is an add of the new element, which updates the one the
 * kernel holds (no delete).  A timed element that goes away is in gone, not del: the kernel
 * may already have expired it, and deleting it must then not fail the change.
 */
struct nft_delta_set {
	char *name;    /* "as3_n4", "ep_ingress", ... */
	char *type;    /* the text after "type ": "ipv4_addr", "ifname : verdict", ... */
	bool interval; /* "flags interval" */
	bool map;      /* declared with "map" */
	char **del;    /* elements to delete (keys), sorted as strings */
	size_t ndel;
	char **gone; /* keys of elements with a timeout to delete, if the kernel still has them */
	size_t ngone;
	char **add; /* elements to add or update, sorted by key, with their timeouts */
	size_t nadd;
};

struct nft_delta {
	struct nft_delta_set *sets; /* only sets with something to delete or add */
	size_t nsets;
};

/*
 * Compares two scripts.  0 with *out a new delta (the caller frees it with nft_delta_free();
 * nft_delta_count() is 0 when the scripts are equal as far as the kernel is concerned), or 0
 * with *out NULL when they differ in more than elements (or a script does not have the
 * renderer's layout): a full apply is needed.  -ENOMEM with *out NULL.  The scripts are
 * borrowed.  Pure: no kernel access.
 */
int nft_delta_compute(const char *old_script, const char *new_script, struct nft_delta **out);
/* Elements to delete (del and gone) plus elements to add, over every set.  0 for NULL. */
size_t nft_delta_count(const struct nft_delta *d);
/* Frees d and everything it holds.  NULL is fine. */
void nft_delta_free(struct nft_delta *d);
/*
 * Appends the delta as nft commands for table inet palisade ("delete element inet palisade
 * NAME { ... }" for every set first, then "add element ..."), one transaction when run by
 * libnftables.  Map deletes name the key only.  The gone elements are deleted after an
 * "add element ... { KEY timeout 1s }", so that the transaction holds whether or not the
 * kernel still has them; an add with a timeout also says "expires <N>s", so that it restarts
 * the element's clock even when the timeout equals the one the kernel holds.  Used as the
 * slow path and for humans.
 */
void nft_delta_format(const struct nft_delta *d, struct strbuf *out);

#endif
