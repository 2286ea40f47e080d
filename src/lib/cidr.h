/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CIDR_H
#define PALISADE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * IP addresses and prefixes, IPv4 and IPv6 alike.  An IPv4 address keeps its 4 bytes in
 * a[0..3] with the rest zero, so comparisons and hashing are one memcmp over 17 bytes.
 */
struct ipaddr {
	uint8_t family; /* 4 or 6; 0 for "no address" */
	uint8_t a[16];
};

struct cidr {
	struct ipaddr addr; /* host bits are always zero */
	uint8_t len;	    /* 0..32 or 0..128 */
};

#define IPADDR_STRLEN 46
#define CIDR_STRLEN   50

/*
 * Parses dotted-quad IPv4 or RFC 4291 IPv6 text with inet_pton.  0, or -EINVAL with nothing
 * written.  Text with a ':' is IPv6, so "::ffff:1.2.3.4" stays an IPv6 address.  IPv4 octets
 * with leading zeros ("010.0.0.1") are rejected, as glibc's inet_pton does, rather than read
 * as octal; zone ids ("fe80::1%eth0") and surrounding whitespace are rejected too.
 */
int ipaddr_parse(const char *s, struct ipaddr *out);
/* Canonical text (inet_ntop form).  Returns the length, or -ENOSPC. */
int ipaddr_format(const struct ipaddr *a, char *buf, size_t size);
int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b);
bool ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b);
/* The bit at position i (0 = most significant); 0 for i at or beyond the family's width. */
int ipaddr_bit(const struct ipaddr *a, unsigned i);

/*
 * Parses "addr/len" or a bare address (taken as /32 or /128).  Host bits that are set are
 * cleared; *host_bits (may be NULL) says whether any were.  0, or -EINVAL with nothing
 * written for anything else (bad address, len out of range, trailing text, leading zeros
 * in the length, whitespace).
 */
int cidr_parse(const char *s, struct cidr *out, bool *host_bits);
/* Canonical text, always with the length ("10.0.0.1/32").  Returns the length or -ENOSPC. */
int cidr_format(const struct cidr *c, char *buf, size_t size);
bool cidr_contains(const struct cidr *c, const struct ipaddr *a);
/* true when every address of inner is in outer (same family). */
bool cidr_contains_cidr(const struct cidr *outer, const struct cidr *inner);
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
/* Orders by family, then address, then length (shorter first). */
int cidr_cmp(const struct cidr *a, const struct cidr *b);
/* The prefix of length len around a; len is clamped to the family's width. */
void cidr_from_addr(const struct ipaddr *a, unsigned len, struct cidr *out);

/*
 * Merges a list of prefixes into the smallest equivalent list: contained prefixes dropped,
 * adjacent siblings joined (10.0.0.0/25 + 10.0.0.128/25 = 10.0.0.0/24).  Sorts v in place and
 * returns the new count.  Used for feeds and for `feed check`.
 * Both families may be mixed.  Entries whose family is not 4 or 6 or whose length exceeds the
 * family's width are dropped; host bits that are set are cleared.  O(n log n), no allocation.
 */
size_t cidr_merge(struct cidr *v, size_t n);

#endif
