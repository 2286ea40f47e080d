/* SPDX-License-Identifier: Apache-2.0 */
/* resource_load_buffer() and resource_set_check() on any bytes: every object and every error
 * path of the decoders; whatever loaded must name itself (resource_ref). */
#include "lib/diag.h"
#include "lib/resource.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resource_set s;
	struct diag_list d;
	char ref[512];

	resource_set_init(&s);
	diag_list_init(&d);
	if (resource_load_buffer(&s, (const char *)data, size, "fuzz.yaml", &d) == 0 && d.errors)
		abort(); /* success must mean no errors */
	resource_set_check(&s, &d);
	for (size_t i = 0; i < s.n; i++)
		if (!resource_ref(s.v[i], ref, sizeof(ref)) || !s.v[i]->meta.name)
			abort();
	resource_set_fini(&s);
	diag_list_fini(&d);
	return 0;
}
