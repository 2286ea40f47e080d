/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/ifname.h"

#include <stdint.h>
#include <stdio.h>

void endpoint_ifname(const char *ns, const char *pod, char out[IFNAME_LEN])
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[3] = {ns ? ns : "", ".", pod};

	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
	snprintf(out, IFNAME_LEN, "cali%011llx", (unsigned long long)(h & 0xfffffffffffULL));
}
