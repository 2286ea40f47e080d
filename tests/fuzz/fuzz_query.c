/* SPDX-License-Identifier: Apache-2.0 */
/* GlobalAlert queries: an error says where; whatever parses prints, and the printed text parses
 * back to the same text and the same answer on a record. */
#include "lib/flowlog.h"
#include "lib/query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct flowlog_rec rec = {
	.src = {.ip = "10.0.0.1", .name = "a", .name_aggr = "a-*", .ns = "ns", .port = -1},
	.dst = {.ip = "fd00::2", .name = "-", .port = 80, .labels = {"app=x", "t=y"}, .nlabels = 2},
	.proto = "tcp",
	.action = "deny",
	.bytes_out = 600,
	.host = "nodé"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), *err = NULL, *p1 = NULL, *p2 = NULL;
	struct query *q = text ? query_parse(text, &err) : NULL, *q2 = NULL;

	if (text && !q && err && strncmp(err, "column ", 7))
		abort();
	if (q && (!(p1 = query_print(q)) || !(q2 = query_parse(p1, NULL))))
		abort();
	if (q2 && (!(p2 = query_print(q2)) || strcmp(p1, p2) ||
		   query_match(q, &rec) != query_match(q2, &rec)))
		abort();
	free(p1);
	free(p2);
	free(err);
	free(text);
	query_free(q);
	query_free(q2);
	return 0;
}
