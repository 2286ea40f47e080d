/* SPDX-License-Identifier: Apache-2.0 */
/* nflog_rec_parse: byte 0 picks the group, byte 1 the prefix length, then the prefix and the
 * packet.  A record that parses has a short NUL-terminated prefix; the prefix bytes also go
 * through nflog_rec_decision as text. */
#include "lib/nflog_rec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nflog_rec rec;
	size_t plen = size > 1 ? data[1] : 0;
	char *text;

	if (size < 2 || plen > size - 2)
		return 0;
	if (nflog_rec_parse(data[0] & 3, 1, 2, (const char *)data + 2, plen, data + 2 + plen,
			    size - 2 - plen, &rec) == NFLOG_REC_OK &&
	    (strnlen(rec.prefix, NFLOG_REC_PREFIX_MAX) >= NFLOG_REC_PREFIX_MAX ||
	     rec.key.reporter > FLOW_REPORTER_DST || rec.ip_len < 20))
		abort();
	text = strndup((const char *)data + 2, plen);
	if (text)
		nflog_rec_decision(text);
	free(text);
	return 0;
}
