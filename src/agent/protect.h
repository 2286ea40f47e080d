/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_PROTECT_H
#define PALISADE_AGENT_PROTECT_H

#include <stddef.h>

#include "lib/cidr.h"

struct resource_set;

/*
 * The cluster's own ranges, which neither a threat feed (feeds.h) nor automatic response
 * (response.h) may block: the n ranges at extra (the operator's), then, from the datastore's
 * resources rs, the Lab's pod range and the lab fabric, and every Service's cluster IPs.
 * Replaces *out (malloc'd, the caller frees it) and *nout.  0 or -ENOMEM (then *out is NULL,
 * *nout 0).
 */
int protect_ranges(const struct resource_set *rs, const struct cidr *extra, size_t n,
		   struct cidr **out, size_t *nout);

#endif
