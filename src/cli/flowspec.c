/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/flowspec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void flowspec_init(struct flowspec *s)
{
	memset(s, 0, sizeof(*s));
	s->port = -1;
	s->icmp_type = -1;
	s->icmp_code = -1;
	s->sport = -1;
}

static int resolve(const struct model *m, const char *what, const char *spec, struct eval_addr *a,
		   char *err, size_t errsize)
{
	int rc;

	if (!spec) {
		snprintf(err, errsize, "\"%s\" is required", what);
		return -1;
	}
	rc = eval_resolve(m, spec, a);
	if (rc == -ENOENT) {
		snprintf(err, errsize, "%s: no pod, external host or host endpoint named \"%s\"",
			 what, spec);
		return -1;
	}
	if (rc) {
		snprintf(err, errsize,
			 "%s: \"%s\" is neither namespace/pod, a host name nor an IP address", what,
			 spec);
		return -1;
	}
	return 0;
}

int flowspec_build(const struct model *m, const struct flowspec *s, struct eval_flow *f, char *err,
		   size_t errsize)
{
	memset(f, 0, sizeof(*f));
	if (resolve(m, "from", s->from, &f->src, err, errsize) ||
	    resolve(m, "to", s->to, &f->dst, err, errsize))
		return -1;
	f->proto = PROTO_TCP;
	if (s->protocol && proto_parse(s->protocol, &f->proto)) {
		snprintf(
			err, errsize,
			"protocol: \"%s\" is not TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number 1-255",
			s->protocol);
		return -1;
	}
	f->icmp_type = -1;
	f->icmp_code = -1;
	if (f->proto == PROTO_ICMP || f->proto == PROTO_ICMPV6) {
		if (s->icmp_type < -1 || s->icmp_type > 255 || s->icmp_code < -1 ||
		    s->icmp_code > 255) {
			snprintf(err, errsize, "icmp type and code must be 0-255");
			return -1;
		}
		f->icmp_type = (int)s->icmp_type;
		f->icmp_code = (int)s->icmp_code;
		return 0;
	}
	if (s->port < 0) {
		snprintf(err, errsize, "port is required for %s",
			 proto_name(f->proto) ? proto_name(f->proto) : "this protocol");
		return -1;
	}
	if (s->port > 65535) {
		snprintf(err, errsize, "port %ld is out of range 0-65535", s->port);
		return -1;
	}
	if (s->sport > 65535) {
		snprintf(err, errsize, "source port %ld is out of range 0-65535", s->sport);
		return -1;
	}
	f->dport = (uint16_t)s->port;
	f->sport = (uint16_t)(s->sport >= 0 ? s->sport : FLOWSPEC_DEFAULT_SPORT);
	return 0;
}
