/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/flow.h"

#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *flow_proto_name(uint8_t proto, char *buf, size_t size)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmp6";
	case 132:
		return "sctp";
	default:
		if (size)
			snprintf(buf, size, "%u", (unsigned)proto);
		return size ? buf : "";
	}
}

/* Printable ASCII without space and '|': what tier, policy and profile names are made of. */
static bool name_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '|')
			return false;
	return true;
}

static bool rule_ok(const char *s, size_t n)
{
	if (n == 2 && !memcmp(s, "-1", 2))
		return true;
	if (!n || n > 9 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool field_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

int flow_hit_policy(const char *hit, size_t idx, struct strbuf *out)
{
	static const char *const actions[][2] = {
		{"Allow", "allow"}, {"Deny", "deny"}, {"Log", "log"}, {"Pass", "pass"}};
	static const char *const specials[][2] = {{"no-endpoint", "__NO_ENDPOINT__"},
						  {"unmanaged", "__UNMANAGED__"},
						  {"loopback", "__LOOPBACK__"}};
	const char *f[4], *action = NULL, *bar;
	size_t n[4], k;

	if (!hit)
		return -EINVAL;
	f[0] = hit;
	for (k = 0; k < 3; k++) {
		bar = strchr(f[k], '|');
		if (!bar)
			return -EINVAL;
		n[k] = (size_t)(bar - f[k]);
		f[k + 1] = bar + 1;
	}
	n[3] = strlen(f[3]);
	if (!name_ok(f[0], n[0]) || !name_ok(f[1], n[1]) || !rule_ok(f[3], n[3]))
		return -EINVAL;
	for (k = 0; k < 4 && !action; k++)
		if (field_is(f[2], n[2], actions[k][0]))
			action = actions[k][1];
	if (!action)
		return -EINVAL;
	for (k = 0; k < 3; k++) {
		if (!field_is(f[0], n[0], specials[k][0]))
			continue;
		if (!field_is(f[1], n[1], "-"))
			return -EINVAL;
		strbuf_printf(out, "%zu|%s|%s|%s|%.*s", idx, specials[k][1], specials[k][1], action,
			      (int)n[3], f[3]);
		return 0;
	}
	if (field_is(f[0], n[0], "profile")) {
		if (field_is(f[1], n[1], "-"))
			strbuf_printf(out, "%zu|__PROFILE__|__PROFILE__.__NO_MATCH__|%s|%.*s", idx,
				      action, (int)n[3], f[3]);
		else
			strbuf_printf(out, "%zu|__PROFILE__|__PROFILE__.%.*s|%s|%.*s", idx,
				      (int)n[1], f[1], action, (int)n[3], f[3]);
		return 0;
	}
	if (field_is(f[1], n[1], "end-of-tier")) {
		strbuf_printf(out, "%zu|%.*s|%.*s.end-of-tier|%s|%.*s", idx, (int)n[0], f[0],
			      (int)n[0], f[0], action, (int)n[3], f[3]);
		return 0;
	}
	strbuf_printf(out, "%zu|%.*s|%.*s|%s|%.*s", idx, (int)n[0], f[0], (int)n[1], f[1], action,
		      (int)n[3], f[3]);
	return 0;
}
