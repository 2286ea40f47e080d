/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/label.h"

#include "lib/arena.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *labels_get(const struct labels *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, l->v[mid].key);

		if (c == 0)
			return l->v[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool labels_equal(const struct labels *a, const struct labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) || strcmp(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

struct label_idx {
	struct label l;
	size_t idx;
};

static int label_idx_cmp(const void *pa, const void *pb)
{
	const struct label_idx *a = pa, *b = pb;
	int c = strcmp(a->l.key, b->l.key);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int labels_build(struct arena *a, const struct label *pairs, size_t n, struct labels *out)
{
	struct label_idx *tmp;
	struct label *v;
	size_t k = 0;

	out->v = NULL;
	out->n = 0;
	if (n == 0)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	v = arena_alloc(a, n * sizeof(*v));
	if (!tmp || !v) {
		free(tmp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		tmp[i].l = pairs[i];
		tmp[i].idx = i;
	}
	qsort(tmp, n, sizeof(*tmp), label_idx_cmp);
	for (size_t i = 0; i < n; i++) {
		/* Equal keys are adjacent and in input order: keep the last one. */
		if (i + 1 < n && strcmp(tmp[i].l.key, tmp[i + 1].l.key) == 0)
			continue;
		v[k++] = tmp[i].l;
	}
	free(tmp);
	out->v = v;
	out->n = k;
	return 0;
}

int labels_merge(struct arena *a, const struct labels *base, const struct labels *extra,
		 struct labels *out)
{
	struct label *v;
	size_t i = 0, j = 0, k = 0;

	v = arena_alloc(a, (base->n + extra->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (i < base->n || j < extra->n) {
		int c;

		if (i == base->n)
			c = 1;
		else if (j == extra->n)
			c = -1;
		else
			c = strcmp(base->v[i].key, extra->v[j].key);
		if (c < 0) {
			v[k++] = base->v[i++];
		} else if (c > 0) {
			v[k++] = extra->v[j++];
		} else {
			v[k++] = extra->v[j++];
			i++;
		}
	}
	out->v = v;
	out->n = k;
	return 0;
}
