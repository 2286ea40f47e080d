/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/rows.h"

#include "lib/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void row_free(struct row *r)
{
	for (int i = 0; i < ROWS_MAX_COLS; i++)
		free(r->cell[i]);
}

void rows_push(struct rows *rs, struct row *r)
{
	if (rs->limit && rs->n == rs->limit) {
		struct row *slot = &rs->v[rs->start];

		row_free(slot);
		*slot = *r;
		rs->start = (rs->start + 1) % rs->limit;
		return;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct row *nv;

		if (rs->limit && cap > rs->limit)
			cap = rs->limit;
		nv = realloc(rs->v, cap * sizeof(*nv));
		if (!nv) {
			row_free(r);
			rs->oom = true;
			return;
		}
		rs->v = nv;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
}

struct row *rows_at(struct rows *rs, size_t i)
{
	return &rs->v[rs->limit ? (rs->start + i) % rs->limit : i];
}

void rows_fini(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		row_free(&rs->v[i]);
	free(rs->v);
}

static void print_cells(const char *const *cell, const size_t *w, int ncols)
{
	for (int c = 0; c + 1 < ncols; c++)
		printf("%-*s  ", (int)w[c], cell[c] ? cell[c] : "");
	printf("%s\n", cell[ncols - 1] ? cell[ncols - 1] : "");
}

void rows_print_table(const char *const *head, struct rows *rs, int ncols)
{
	size_t w[ROWS_MAX_COLS];

	for (int c = 0; c < ncols; c++) {
		w[c] = strlen(head[c]);
		for (size_t i = 0; i < rs->n; i++) {
			const char *s = rows_at(rs, i)->cell[c];
			size_t l = s ? strlen(s) : 0;

			if (l > w[c])
				w[c] = l;
		}
	}
	print_cells(head, w, ncols);
	for (size_t i = 0; i < rs->n; i++)
		print_cells((const char *const *)rows_at(rs, i)->cell, w, ncols);
}

void rows_print_lines(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		fputs(rows_at(rs, i)->cell[0], stdout);
}

void rows_line(struct rows *rs, struct strbuf *sb)
{
	struct row row = {{0}};

	if (!rs->limit) {
		fwrite(sb->s, 1, sb->len, stdout);
		return;
	}
	row.cell[0] = strbuf_steal(sb);
	rows_push(rs, &row);
}
