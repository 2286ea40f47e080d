/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_PROBE_H
#define PALISADE_LAB_PROBE_H

#include "lib/cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Real packets between the lab's namespaces: from each source's namespace, a TCP connect or
 * a UDP datagram to every destination pod on every port, all at once with non-blocking
 * sockets.  A cell is allowed when the destination's responder answered with its own name
 * ("<ns>/<pod>\n") within the timeout; UDP is sent twice (the second time halfway through
 * the timeout).  Each source runs in a child process that entered the source's namespace
 * with setns(2); up to PROBE_PARALLEL sources run at a time.
 */

#define PROBE_PARALLEL 64

struct probe_source {
	const char *name;
	const char *netns;
};

struct probe_target {
	const char *name; /* "ns/pod": the reply expected */
	struct ipaddr ip;
};

struct probe_spec {
	const struct probe_source *src;
	size_t nsrc;
	const struct probe_target *dst;
	size_t ndst;
	const uint16_t *ports;
	size_t nports;
	const uint8_t *protos; /* PROTO_TCP or PROTO_UDP */
	size_t nprotos;
	int timeout_ms;
	/* UDP source ports: the n-th UDP cell of a source binds PROBE_SPORT_LO + (udp_sport +
	 * n) % PROBE_SPORT_RANGE.  Callers advance udp_sport between runs so that a probe never
	 * reuses the 5-tuple of a recent one: conntrack would take the datagram for part of
	 * the earlier, perhaps allowed, flow.  0 lets the kernel choose. */
	uint32_t udp_sport;
};

#define PROBE_SPORT_LO	  20000
#define PROBE_SPORT_RANGE 40000

/*
 * Fills result[((proto * nports + port) * nsrc + src) * ndst + dst].  Returns 0, or -1 with
 * a reason in err when some source could not be probed (its cells are false).
 */
int probe_run(const struct probe_spec *ps, bool *result, char *err, size_t errsize);

#endif
