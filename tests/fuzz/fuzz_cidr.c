/* SPDX-License-Identifier: Apache-2.0 */
/* cidr_parse and ipaddr_parse: whatever parses must print and parse back to the same value. */
#include "lib/cidr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), buf[CIDR_STRLEN];
	struct cidr c, c2;
	struct ipaddr a, a2;
	bool hb;

	if (s && cidr_parse(s, &c, &hb) == 0 &&
	    (cidr_format(&c, buf, sizeof(buf)) < 0 || cidr_parse(buf, &c2, &hb) || hb ||
	     cidr_cmp(&c, &c2)))
		abort();
	if (s && ipaddr_parse(s, &a) == 0 &&
	    (ipaddr_format(&a, buf, IPADDR_STRLEN) < 0 || ipaddr_parse(buf, &a2) ||
	     !ipaddr_equal(&a, &a2)))
		abort();
	free(s);
	return 0;
}
