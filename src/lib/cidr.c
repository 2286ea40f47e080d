/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses and prefixes: strict parsing, canonical printing and containment tests.
 *
 * Parsing leans on inet_pton, which is pure (no sockets, no locale, no resolver) and already
 * strict about what an address is: glibc rejects whitespace, zone ids, octal or hex octets and
 * octets with leading zeros.  Everything around the address (the '/', the length) is checked
 * here by hand, because strtoul would accept signs, spaces and leading zeros.
 */
#include "lib/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The longest text inet_pton can accept: six hex groups and a dotted quad (45 characters). */
#define ADDR_TEXT_MAX 45

static unsigned family_width(uint8_t family)
{
	switch (family) {
	case 4:
		return 32;
	case 6:
		return 128;
	default:
		return 0;
	}
}

/* Clears every bit of a from position len on (len may be anything from 0 to 128). */
static void clear_host_bits(uint8_t a[16], unsigned len)
{
	unsigned byte = len / 8;

	if (byte >= 16)
		return;
	if (len % 8) {
		a[byte] &= (uint8_t)(0xff << (8 - len % 8));
		byte++;
	}
	memset(a + byte, 0, 16 - byte);
}

/* true when the first len bits of a and b agree (len <= 128). */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned bytes = len / 8, rest = len % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* The caller owns s and out; out is written only on success. */
int ipaddr_parse(const char *s, struct ipaddr *out)
{
	struct ipaddr a = {0};

	if (!s)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return -EINVAL;
		a.family = 6;
	} else {
		if (inet_pton(AF_INET, s, a.a) != 1)
			return -EINVAL;
		a.family = 4;
	}
	*out = a;
	return 0;
}

/* The caller owns buf; on -ENOSPC or -EINVAL (no address) buf is left untouched. */
int ipaddr_format(const struct ipaddr *a, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t len;

	if (a->family == 4) {
		if (!inet_ntop(AF_INET, a->a, tmp, sizeof(tmp)))
			return -EINVAL;
	} else if (a->family == 6) {
		if (!inet_ntop(AF_INET6, a->a, tmp, sizeof(tmp)))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	len = strlen(tmp);
	if (len >= size)
		return -ENOSPC;
	memcpy(buf, tmp, len + 1);
	return (int)len;
}

/* Orders by family, then address bytes.  Returns -1, 0 or 1.  Borrows both arguments. */
int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->a, b->a, sizeof(a->a));
	return (c > 0) - (c < 0);
}

/* Borrows both arguments. */
bool ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

/* Borrows a. */
int ipaddr_bit(const struct ipaddr *a, unsigned i)
{
	if (i >= family_width(a->family))
		return 0;
	return (a->a[i / 8] >> (7 - i % 8)) & 1;
}

/*
 * Reads a prefix length: one to three decimal digits, no sign, no leading zero (except "0"
 * itself), nothing after it.  Returns the value or -1.
 */
static int parse_len(const char *p)
{
	int v = 0;
	size_t n = 0;

	if (p[0] == '0' && p[1] != '\0')
		return -1;
	for (; p[n]; n++) {
		if (p[n] < '0' || p[n] > '9' || n == 3)
			return -1;
		v = v * 10 + (p[n] - '0');
	}
	return n ? v : -1;
}

/* The caller owns s, out and host_bits; neither out nor *host_bits is written on error. */
int cidr_parse(const char *s, struct cidr *out, bool *host_bits)
{
	char text[ADDR_TEXT_MAX + 1];
	const char *slash;
	struct cidr c = {0};
	struct ipaddr masked;
	size_t alen;
	unsigned width;
	int len;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen > ADDR_TEXT_MAX)
		return -EINVAL;
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (ipaddr_parse(text, &c.addr) != 0)
		return -EINVAL;
	width = family_width(c.addr.family);
	if (slash) {
		len = parse_len(slash + 1);
		if (len < 0 || (unsigned)len > width)
			return -EINVAL;
	} else {
		len = (int)width;
	}
	c.len = (uint8_t)len;
	masked = c.addr;
	clear_host_bits(masked.a, c.len);
	if (host_bits)
		*host_bits = !ipaddr_equal(&masked, &c.addr);
	c.addr = masked;
	*out = c;
	return 0;
}

/* The caller owns buf; on error buf is left untouched. */
int cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char tmp[CIDR_STRLEN];
	int n = ipaddr_format(&c->addr, tmp, IPADDR_STRLEN);

	if (n < 0)
		return n;
	n = snprintf(tmp + n, sizeof(tmp) - (size_t)n, "/%u", (unsigned)c->len) + n;
	if ((size_t)n >= size)
		return -ENOSPC;
	memcpy(buf, tmp, (size_t)n + 1);
	return n;
}

/* Borrows both arguments.  A length beyond the family's width counts as the full width. */
bool cidr_contains(const struct cidr *c, const struct ipaddr *a)
{
	unsigned width = family_width(c->addr.family);

	if (width == 0 || c->addr.family != a->family)
		return false;
	return prefix_equal(c->addr.a, a->a, c->len < width ? c->len : width);
}

/* Borrows both arguments. */
bool cidr_contains_cidr(const struct cidr *outer, const struct cidr *inner)
{
	return outer->len <= inner->len && cidr_contains(outer, &inner->addr);
}

/* Borrows both arguments. */
bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	return a->len <= b->len ? cidr_contains(a, &b->addr) : cidr_contains(b, &a->addr);
}

/* Borrows both arguments.  Returns -1, 0 or 1. */
int cidr_cmp(const struct cidr *a, const struct cidr *b)
{
	int c = ipaddr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/* Borrows a; the caller owns out, which may be the struct cidr that holds a. */
void cidr_from_addr(const struct ipaddr *a, unsigned len, struct cidr *out)
{
	unsigned width = family_width(a->family);
	struct cidr c = {.addr = *a};

	if (len > width)
		len = width;
	clear_host_bits(c.addr.a, len);
	c.len = (uint8_t)len;
	*out = c;
}
