/* SPDX-License-Identifier: Apache-2.0 */
/* doc_parse() on any bytes; then each document's top-level values go through doc_type_name. */
#include <stdint.h>

#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct diag_list d;
	struct doc_node **docs;
	size_t n;

	arena_init(&a);
	diag_list_init(&d);
	doc_parse((const char *)data, size, "fuzz.yaml", &a, &docs, &n, &d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < docs[i]->n; j++)
			doc_type_name(docs[i]->items ? docs[i]->items[j] : docs[i]->pairs[j].value);
	arena_fini(&a);
	diag_list_fini(&d);
	return 0;
}
