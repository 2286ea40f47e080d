/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Merging a prefix list into its smallest equivalent form, the step that turns a threat feed
 * of a million overlapping entries into what the dataplane loads.
 *
 * After sorting in cidr_cmp order (family, address, shorter first) one pass suffices.  The
 * output, kept at the front of the same array, is used as a stack of disjoint prefixes in
 * address order.  Each input is dropped when the top of the stack contains it (only the top
 * can: everything below ends before the top starts); otherwise it is pushed, and as long as
 * the two topmost entries are the two halves of one prefix they are replaced by it.  A joined
 * prefix can only pair with its left neighbour, which is the entry under it; its right
 * neighbour, if any, is still to come and will pair with it when pushed.
 */
#include "lib/cidr.h"

#include <stdlib.h>
#include <string.h>

static int cmp_cidr(const void *a, const void *b)
{
	return cidr_cmp(a, b);
}

static unsigned width_of(uint8_t family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}

/* true when a and b are the lower and upper halves of one prefix. */
static bool halves(const struct cidr *a, const struct cidr *b)
{
	struct cidr parent;
	unsigned bit;

	if (a->addr.family != b->addr.family || a->len != b->len || a->len == 0)
		return false;
	bit = a->len - 1u;
	if (ipaddr_bit(&a->addr, bit) != 0 || ipaddr_bit(&b->addr, bit) != 1)
		return false;
	cidr_from_addr(&b->addr, bit, &parent);
	return memcmp(parent.addr.a, a->addr.a, sizeof(parent.addr.a)) == 0;
}

/* The caller owns v; it is reordered and overwritten in place, and nothing is allocated. */
size_t cidr_merge(struct cidr *v, size_t n)
{
	size_t k = 0, i;

	/* Normalise first, so that the sort and the stack only ever see valid prefixes. */
	for (i = 0; i < n; i++) {
		unsigned width = width_of(v[i].addr.family);

		if (width == 0 || v[i].len > width)
			continue;
		cidr_from_addr(&v[i].addr, v[i].len, &v[k++]);
	}
	n = k;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_cidr);
	k = 0;
	for (i = 0; i < n; i++) {
		if (k > 0 && cidr_contains_cidr(&v[k - 1], &v[i]))
			continue;
		v[k++] = v[i];
		while (k >= 2 && halves(&v[k - 2], &v[k - 1])) {
			cidr_from_addr(&v[k - 2].addr, v[k - 2].len - 1u, &v[k - 2]);
			k--;
		}
	}
	return k;
}
