/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_TESTS_TMPDIR_FIXTURE_H
#define PALISADE_TESTS_TMPDIR_FIXTURE_H

/*
 * The fixture of the tests of the writers that create a directory of rotated files
 * (test_event_sink.c, test_flowlog_writer.c): a fresh temporary directory per test, named
 * /tmp/palisade-<tag>.XXXXXX, that holds the directory under test and is removed afterwards;
 * and a file of it read back.  Include after <cmocka.h>.  Functions are static inline so that
 * a test file need not use all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes the temporary directory and writes the path of sub in it (not created) into dir. */
static inline void tmpdir_setup(char *dir, size_t size, const char *tag, const char *sub)
{
	char base[64];

	assert_true((size_t)snprintf(base, sizeof(base), "/tmp/palisade-%s.XXXXXX", tag) <
		    sizeof(base));
	assert_non_null(mkdtemp(base));
	assert_true((size_t)snprintf(dir, size, "%s/%s", base, sub) < size);
}

/* Removes the temporary directory that holds dir, and everything in it: 0 or -1. */
static inline int tmpdir_teardown(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(dir, '/') - dir), dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The contents of dir/name (malloc'ed, NUL-terminated), or NULL when it does not exist. */
static inline char *tmpdir_slurp(const char *dir, const char *name)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

#endif
