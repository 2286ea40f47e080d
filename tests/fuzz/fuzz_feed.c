/* SPDX-License-Identifier: Apache-2.0 */
/*
 * feed_parse and the rails.  Byte 0 picks the format (newline, json, csv), byte 1 the csv
 * options; for json the path is the text up to the first newline.  Errors must stay capped,
 * a refused body must say why, and the rails must account for every entry.
 */
#include "lib/feed_parse.h"
#include "lib/feed_rails.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = size < 2 ? "" : (const char *)data + 2,
		   *nl = size > 2 ? memchr(body, '\n', size - 2) : 0;
	enum feed_format f = size ? data[0] % 3 : 0;
	char *path = f == FEED_FORMAT_JSON && nl ? strndup(body, (size_t)(nl - body)) : NULL;
	size_t skip = path ? (size_t)(nl - body) + 1 : 0;
	unsigned b = size > 1 ? data[1] : 0;
	struct feed_parse_opts o = {.format = f,
				    .json_path = path ? path : "$..ip",
				    .field_num = b >> 1 & 3,
				    .field_name = b & 8 ? "ip" : NULL,
				    .header = b & 1,
				    .column_delimiter = b & 16 ? ';' : ',',
				    .comment_delimiter = b & 32 ? '#' : 0,
				    .record_size = b & 64 ? 2 : 0,
				    .disable_record_size_validation = b & 128};
	struct feed_rails_opts ro = {.max_prefix_v4 = 8, .max_prefix_v6 = 32};
	struct feed_result r = {0};
	struct feed_rails_result rr = {0};
	int ret = size < 2 ? 0 : feed_parse(body + skip, size - 2 - skip, &o, &r);

	if (r.nerrors > FEED_ERRORS_MAX || r.nerrors > r.error_count ||
	    (ret == -EINVAL && !r.error_count))
		abort();
	if (ret == 0 && (feed_rails_apply(r.v, r.n, &ro, &rr) || rr.naccepted > r.n ||
			 rr.accepted_entries + rr.refused_entries != r.n))
		abort();
	feed_rails_result_fini(&rr);
	feed_result_fini(&r);
	free(path);
	return 0;
}
