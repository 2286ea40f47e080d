/* SPDX-License-Identifier: Apache-2.0 */
/* flowlog_parse() on any bytes: an error must say why; whatever parses must print, and the
 * printed line must parse back and print the same text again. */
#include "lib/flowlog.h"
#include "lib/strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flowlog_rec r, r2;
	struct strbuf a, b;
	char err[256];

	if (flowlog_parse((const char *)data, size, &r, err, sizeof(err)))
		return err[0] ? 0 : (abort(), 0);
	strbuf_init(&a);
	strbuf_init(&b);
	if (flowlog_print(&r, &a) || flowlog_parse(a.s, a.len, &r2, err, sizeof(err)))
		abort();
	if (flowlog_print(&r2, &b) || strcmp(a.s, b.s))
		abort();
	flowlog_rec_fini(&r);
	flowlog_rec_fini(&r2);
	strbuf_fini(&a);
	strbuf_fini(&b);
	return 0;
}
