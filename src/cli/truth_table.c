/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/truth_table.h"

#include "lib/resource.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool cell(const struct truth_table *t, size_t pi, size_t qi, size_t s, size_t d)
{
	return t->cells[((pi * t->nports + qi) * t->nsrc + s) * t->ndst + d];
}

void truth_table_print_text(FILE *f, const struct truth_table *t)
{
	for (size_t pi = 0; pi < t->nprotos; pi++) {
		for (size_t qi = 0; qi < t->nports; qi++) {
			char hdr[32];
			size_t width;

			snprintf(hdr, sizeof(hdr), "%s/%u", proto_name(t->protos[pi]),
				 t->ports[qi]);
			width = strlen(hdr);
			for (size_t s = 0; s < t->nsrc; s++)
				if (strlen(t->src[s]) > width)
					width = strlen(t->src[s]);
			if (pi || qi)
				fputc('\n', f);
			fprintf(f, "%-*s", (int)width, hdr);
			for (size_t d = 0; d < t->ndst; d++)
				fprintf(f, " %s", t->dst[d]);
			fputc('\n', f);
			for (size_t s = 0; s < t->nsrc; s++) {
				fprintf(f, "%-*s", (int)width, t->src[s]);
				for (size_t d = 0; d < t->ndst; d++)
					fprintf(f, " %*s", (int)strlen(t->dst[d]),
						cell(t, pi, qi, s, d) ? "." : "X");
				fputc('\n', f);
			}
		}
	}
}

void truth_table_print_json(FILE *f, const struct truth_table *t)
{
	json_t *cells = json_array(), *o;
	char *s;

	for (size_t pi = 0; pi < t->nprotos; pi++)
		for (size_t qi = 0; qi < t->nports; qi++)
			for (size_t src = 0; src < t->nsrc; src++)
				for (size_t d = 0; d < t->ndst; d++)
					json_array_append_new(
						cells,
						json_pack("{s:s, s:s, s:i, s:s, s:b}", "from",
							  t->src[src], "to", t->dst[d], "port",
							  (int)t->ports[qi], "protocol",
							  proto_name(t->protos[pi]), "allowed",
							  cell(t, pi, qi, src, d)));
	o = json_pack("{s:o}", "cells", cells);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, f);
		fputc('\n', f);
	}
	free(s);
	json_decref(o);
}
