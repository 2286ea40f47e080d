/* SPDX-License-Identifier: Apache-2.0 */
/* Selectors: parse, print, reparse; the reparse must give the same tree, text and matches. */
#include "lib/label.h"
#include "lib/selector.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct label l[] = {{"a", "b"}, {"projectcalico.org/namespace", "ns"}};
	const struct labels labels = {l, 2};
	char *text = strndup((const char *)data, size), *p1 = NULL, *p2 = NULL, *err = NULL;
	struct selector *s = text ? selector_parse(text, &err) : NULL, *s2 = NULL;

	if (s && (p1 = selector_print(s)) && !(s2 = selector_parse(p1, NULL)))
		abort();
	if (s2 && (!selector_equal(s, s2) || !(p2 = selector_print(s2)) || strcmp(p1, p2) ||
		   selector_match(s, &labels) != selector_match(s2, &labels)))
		abort();
	free(p1);
	free(p2);
	free(err);
	selector_free(s);
	selector_free(s2);
	free(text);
	return 0;
}
