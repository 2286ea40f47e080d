/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/protect.h"

#include "lab/lab.h"
#include "lib/resource.h"

#include <errno.h>
#include <stdlib.h>

struct ranges {
	struct cidr *v;
	size_t n, cap;
};

static int add(struct ranges *r, const struct cidr *c)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct cidr *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *c;
	return 0;
}

int protect_ranges(const struct resource_set *rs, const struct cidr *extra, size_t n,
		   struct cidr **out, size_t *nout)
{
	struct ranges r = {0};
	struct cidr c;
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = add(&r, &extra[i]);
	for (size_t i = 0; !rc && i < rs->n; i++) {
		const struct resource *res = rs->v[i];

		if (res->kind == RES_LAB) {
			rc = add(&r, &res->u.lab.pod_cidr);
			if (!rc && !cidr_parse(LAB_FABRIC_NET, &c, NULL))
				rc = add(&r, &c);
		} else if (res->kind == RES_SERVICE) {
			for (size_t k = 0; !rc && k < res->u.service.ncluster_ips; k++) {
				const struct ipaddr *a = &res->u.service.cluster_ips[k];

				if (!a->family)
					continue;
				cidr_from_addr(a, a->family == 6 ? 128 : 32, &c);
				rc = add(&r, &c);
			}
		}
	}
	if (rc) {
		free(r.v);
		r.v = NULL;
		r.n = 0;
	}
	free(*out);
	*out = r.v;
	*nout = r.n;
	return rc;
}
