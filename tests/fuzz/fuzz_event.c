/* SPDX-License-Identifier: Apache-2.0 */
/* event_parse() on any bytes: an error must say why; whatever parses must print, and the
 * printed line must parse back and print the same text again. */
#include "lib/event.h"
#include "lib/strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_event e, e2;
	struct strbuf a, b;
	char err[256];

	if (event_parse((const char *)data, size, &e, err, sizeof(err)))
		return err[0] ? 0 : (abort(), 0);
	strbuf_init(&a);
	strbuf_init(&b);
	if (event_print(&e, &a) || event_parse(a.s, a.len, &e2, err, sizeof(err)))
		abort();
	if (event_print(&e2, &b) || strcmp(a.s, b.s))
		abort();
	strbuf_fini(&a);
	strbuf_fini(&b);
	return 0;
}
