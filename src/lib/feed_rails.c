/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The safety rails of threat feeds: which entries a feed may not block, the merge of the rest,
 * and the shrink check (DESIGN §8).
 */
#include "lib/feed_rails.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* o is the caller's. */
void feed_rails_opts_init(struct feed_rails_opts *o)
{
	*o = (struct feed_rails_opts){
		.max_prefix_v4 = FEED_MAX_PREFIX_V4_DEFAULT,
		.max_prefix_v6 = FEED_MAX_PREFIX_V6_DEFAULT,
	};
}

/* r is the caller's. */
void feed_rails_result_init(struct feed_rails_result *r)
{
	*r = (struct feed_rails_result){0};
}

/* Frees what r owns; r may be empty. */
void feed_rails_result_fini(struct feed_rails_result *r)
{
	free(r->accepted);
	free(r->refused);
	feed_rails_result_init(r);
}

static int cmp_refusal(const void *a, const void *b)
{
	const struct feed_refusal *x = a, *y = b;

	return cidr_cmp(&x->entry, &y->entry);
}

/* Why c is refused, in *f; false when it is not. */
static bool refuse(const struct cidr *c, const struct feed_rails_opts *o, struct feed_refusal *f)
{
	unsigned limit = c->addr.family == 4 ? o->max_prefix_v4 : o->max_prefix_v6;

	*f = (struct feed_refusal){.entry = *c};
	if (!o->allow_broad && c->len == 0) {
		f->reason = FEED_REFUSE_EVERYTHING;
		return true;
	}
	if (!o->allow_broad && c->len < limit) {
		f->reason = FEED_REFUSE_BROAD;
		f->limit = limit;
		return true;
	}
	for (size_t i = 0; !o->allow_protected && i < o->nprotect; i++) {
		if (cidr_overlaps(c, &o->protect[i])) {
			f->reason = FEED_REFUSE_PROTECTED;
			f->range = o->protect[i];
			return true;
		}
	}
	return false;
}

/* v is borrowed; r is replaced by what the caller then owns. */
int feed_rails_apply(const struct cidr *v, size_t n, const struct feed_rails_opts *o,
		     struct feed_rails_result *r)
{
	size_t nacc = 0, nref = 0, cap = 0, k;
	struct feed_refusal *ref = NULL, f;
	struct cidr *acc;

	feed_rails_result_fini(r);
	acc = malloc((n ? n : 1) * sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned width = v[i].addr.family == 4 ? 32 : v[i].addr.family == 6 ? 128 : 0;
		struct cidr c;

		/* feed_parse never makes these; cidr_merge would drop them too. */
		if (width == 0 || v[i].len > width)
			continue;
		cidr_from_addr(&v[i].addr, v[i].len, &c);
		if (!refuse(&c, o, &f)) {
			acc[nacc++] = c;
			continue;
		}
		if (nref == cap) {
			struct feed_refusal *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(ref, cap * sizeof(*nv));
			if (!nv) {
				free(ref);
				free(acc);
				return -ENOMEM;
			}
			ref = nv;
		}
		ref[nref++] = f;
	}
	r->accepted_entries = nacc;
	r->refused_entries = nref;
	r->naccepted = cidr_merge(acc, nacc);
	r->accepted = acc;
	if (nref > 1)
		qsort(ref, nref, sizeof(*ref), cmp_refusal);
	/* A feed that lists 0.0.0.0/0 twice is told so once. */
	for (k = 0; k < nref; k++)
		if (r->nrefused == 0 || cidr_cmp(&ref[r->nrefused - 1].entry, &ref[k].entry))
			ref[r->nrefused++] = ref[k];
	r->refused = ref;
	return 0;
}

/* buf is the caller's. */
int feed_refusal_format(const struct feed_refusal *f, char *buf, size_t size)
{
	char a[CIDR_STRLEN] = "?";

	switch (f->reason) {
	case FEED_REFUSE_EVERYTHING:
		cidr_format(&f->entry, a, sizeof(a));
		return snprintf(buf, size, "%s would block everything", a);
	case FEED_REFUSE_BROAD:
		return snprintf(buf, size, "broader than /%u", f->limit);
	case FEED_REFUSE_PROTECTED:
		cidr_format(&f->range, a, sizeof(a));
		return snprintf(buf, size, "overlaps protected range %s", a);
	}
	return snprintf(buf, size, "refused");
}

/* Nothing is borrowed or kept. */
enum feed_shrink feed_shrink_check(size_t prev, size_t next, double max_fraction)
{
	if (next >= prev || prev == 0)
		return FEED_SHRINK_APPLY;
	if (max_fraction < 0)
		max_fraction = 0;
	/* Compared in doubles: exact for set sizes below 2^53. */
	return (double)(prev - next) > max_fraction * (double)prev ? FEED_SHRINK_HOLD
								   : FEED_SHRINK_APPLY;
}
