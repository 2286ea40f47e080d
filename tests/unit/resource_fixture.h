/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_TESTS_RESOURCE_FIXTURE_H
#define PALISADE_TESTS_RESOURCE_FIXTURE_H

/*
 * The fixture of the resource tests (test_resource.c, test_resource_calico.c): load a YAML
 * string and look at what it produced.  Include after <cmocka.h>.  Functions are static
 * inline so that a test file need not use all of them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/resource.h"

/* One load and everything it produced. */
struct fx {
	struct resource_set s;
	struct diag_list d;
	int rc;
};

static inline struct fx *load(const char *yaml)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	resource_set_init(&f->s);
	diag_list_init(&f->d);
	f->rc = resource_load_buffer(&f->s, yaml, strlen(yaml), "t.yaml", &f->d);
	return f;
}

static inline void done(struct fx *f)
{
	resource_set_fini(&f->s);
	diag_list_fini(&f->d);
	free(f);
}

static inline void dump(const struct fx *f)
{
	char buf[4096];

	for (size_t i = 0; i < f->d.n; i++) {
		diag_format(&f->d.v[i], buf, sizeof(buf));
		fprintf(stderr, "  diag: %s\n", buf);
	}
}

/* true when some diagnostic formats exactly as line. */
static inline bool has(const struct fx *f, const char *line)
{
	char buf[4096];

	for (size_t i = 0; i < f->d.n; i++) {
		diag_format(&f->d.v[i], buf, sizeof(buf));
		if (strcmp(buf, line) == 0)
			return true;
	}
	fprintf(stderr, "missing diagnostic: %s\n", line);
	dump(f);
	return false;
}

/* true when some diagnostic contains sub. */
static inline bool has_sub(const struct fx *f, const char *sub)
{
	char buf[4096];

	for (size_t i = 0; i < f->d.n; i++) {
		diag_format(&f->d.v[i], buf, sizeof(buf));
		if (strstr(buf, sub))
			return true;
	}
	fprintf(stderr, "no diagnostic contains: %s\n", sub);
	dump(f);
	return false;
}

static inline void assert_clean(const struct fx *f)
{
	if (f->d.errors || f->d.warnings)
		dump(f);
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->d.warnings, 0);
	assert_int_equal(f->rc, 0);
}

static inline const struct resource *only(const struct fx *f, enum res_kind k)
{
	if (f->s.n != 1)
		dump(f);
	assert_int_equal(f->s.n, 1);
	assert_int_equal(f->s.v[0]->kind, k);
	return f->s.v[0];
}

#endif
