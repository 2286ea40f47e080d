/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_IFNAME_H
#define PALISADE_IFNAME_H

#include <stddef.h>

/*
 * The node-side interface name of a workload endpoint, as the lab creates it and the
 * dataplane matches it: "cali" followed by 11 hex digits of a 64-bit FNV-1a hash of
 * "<namespace>.<pod>", like Calico's cali<hash> names (15 characters, the kernel's limit).
 */
#define IFNAME_LEN 16

void endpoint_ifname(const char *ns, const char *pod, char out[IFNAME_LEN]);

#endif
