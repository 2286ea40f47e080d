/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diag_list_init(struct diag_list *l)
{
	memset(l, 0, sizeof(*l));
}

void diag_list_fini(struct diag_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].msg);
	}
	free(l->v);
	diag_list_init(l);
}

static void diag_vadd(struct diag_list *l, enum diag_severity sev, const char *file, int line,
		      const char *fmt, va_list ap)
{
	struct diag *d;
	char *msg = NULL;

	if (sev == DIAG_ERROR)
		l->errors++;
	else
		l->warnings++;
	if (l->n >= DIAG_LIST_MAX) {
		l->dropped++;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct diag *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->dropped++;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	if (vasprintf(&msg, fmt, ap) < 0) {
		l->dropped++;
		return;
	}
	d = &l->v[l->n++];
	d->severity = sev;
	d->file = strdup(file ? file : "<input>");
	d->line = line;
	d->msg = msg;
}

void diag_add(struct diag_list *l, enum diag_severity sev, const char *file, int line,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l, sev, file, line, fmt, ap);
	va_end(ap);
}

void diag_error(struct diag_list *l, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l, DIAG_ERROR, file, line, fmt, ap);
	va_end(ap);
}

void diag_warn(struct diag_list *l, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l, DIAG_WARNING, file, line, fmt, ap);
	va_end(ap);
}

void diag_list_merge(struct diag_list *dst, const struct diag_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		diag_add(dst, src->v[i].severity, src->v[i].file, src->v[i].line, "%s",
			 src->v[i].msg);
	dst->dropped += src->dropped;
}

void diag_list_sort(struct diag_list *l)
{
	/* Insertion sort keeps equal elements in order; lists are short (at most DIAG_LIST_MAX). */
	for (size_t i = 1; i < l->n; i++) {
		struct diag tmp = l->v[i];
		size_t j = i;

		while (j > 0) {
			int c = strcmp(l->v[j - 1].file, tmp.file);

			if (c < 0 || (c == 0 && l->v[j - 1].line <= tmp.line))
				break;
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = tmp;
	}
}

int diag_format(const struct diag *d, char *buf, size_t size)
{
	const char *w = d->severity == DIAG_WARNING ? "warning: " : "";

	if (d->line > 0)
		return snprintf(buf, size, "%s:%d: %s%s", d->file, d->line, w, d->msg);
	return snprintf(buf, size, "%s: %s%s", d->file, w, d->msg);
}
