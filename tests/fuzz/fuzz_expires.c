/* SPDX-License-Identifier: Apache-2.0 */
/* netset_expires_parse(), netset_reasons_check() and res_time_parse() on any bytes: expiries
 * only for single-address entries, never 0 for a named one; a parsed time prints and parses
 * back to itself. */
#include "lib/resource.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const texts[] = {"198.51.100.66", "10.0.0.0/24", "2001:db8::1",
					    "198.51.100.66/32"};
	char *s = strndup((const char *)data, size), buf[RES_TIME_STRLEN];
	struct cidr nets[4];
	int64_t exp[4], t, t2;

	if (!s)
		return 0;
	for (int i = 0; i < 4; i++)
		if (cidr_parse(texts[i], &nets[i], NULL))
			abort();
	if (netset_expires_parse(s, nets, 4, exp, NULL, NULL) == 0 &&
	    (exp[1] != 0 || exp[0] != exp[3] || exp[0] < 0 || exp[2] < 0))
		abort();
	netset_expires_parse(s, NULL, 0, exp, NULL, NULL);
	netset_reasons_check(s, NULL, NULL);
	if (res_time_parse(s, &t) == 0 && res_time_format(t, buf, sizeof(buf)) > 0 &&
	    buf[0] != '@' && (res_time_parse(buf, &t2) || t2 != t))
		abort();
	free(s);
	return 0;
}
