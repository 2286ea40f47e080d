/* SPDX-License-Identifier: Apache-2.0 */
/* tail: following a rotated JSON-lines log, and resuming from a saved position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];
static char got[4096];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/palisade-tail.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/flows.log", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void append(const char *name, const char *s)
{
	FILE *f = fopen(name, "a");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* Rotates as the writer does: .k -> .k+1, path -> .1 (keep 3). */
static void rotate(void)
{
	char from[160], to[160];

	for (int k = 3; k >= 1; k--) {
		snprintf(from, sizeof(from), "%s.%d", path, k);
		snprintf(to, sizeof(to), "%s.%d", path, k + 1);
		if (k == 3)
			unlink(from);
		else
			rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", path);
	assert_int_equal(rename(path, to), 0);
}

static void collect(void *arg, const char *line, size_t len)
{
	strncat(got, line, len);
	strcat(got, ";");
}

static long take(struct tail *t)
{
	got[0] = '\0';
	return tail_read(t, collect, NULL);
}

static void test_lines_and_partial(void **state)
{
	struct tail *t = tail_new(path, 3);
	struct tail_stats st;

	assert_non_null(t);
	assert_int_equal(take(t), 0); /* no file yet */
	append(path, "a\nb\nc");
	assert_int_equal(take(t), 2);
	assert_string_equal(got, "a;b;");
	append(path, "c\n");
	assert_int_equal(take(t), 1);
	assert_string_equal(got, "cc;");
	tail_get_stats(t, &st);
	assert_int_equal(st.lines, 3);
	tail_free(t);
	unlink(path);
}

static void test_rotation(void **state)
{
	struct tail *t = tail_new(path, 3);
	struct tail_stats st;

	append(path, "a\nb\n");
	assert_int_equal(take(t), 2);
	append(path, "c\n");
	rotate();
	append(path, "d\n");
	assert_int_equal(take(t), 2);
	assert_string_equal(got, "c;d;");
	rotate(); /* rotated before anything new was read: nothing lost, nothing repeated */
	append(path, "e\n");
	assert_int_equal(take(t), 1);
	assert_string_equal(got, "e;");
	tail_get_stats(t, &st);
	assert_int_equal(st.rotations, 2);
	tail_free(t);
	teardown(state);
	setup(state);
}

/* A restart resumes after the last line it had, wherever rotations moved that file. */
static void test_restore(void **state)
{
	struct tail *t = tail_new(path, 3), *t2;
	struct tail_pos pos;
	struct tail_stats st;

	append(path, "a\nb\n");
	assert_int_equal(take(t), 2);
	tail_position(t, &pos);
	tail_free(t);
	/* While it was down: more lines, two rotations. */
	append(path, "c\n");
	rotate();
	append(path, "d\n");
	rotate();
	append(path, "e\n");
	t2 = tail_new(path, 3);
	assert_int_equal(tail_restore(t2, &pos), 0);
	assert_int_equal(take(t2), 3);
	assert_string_equal(got, "c;d;e;");
	assert_int_equal(take(t2), 0);
	append(path, "f\n");
	assert_int_equal(take(t2), 1);
	assert_string_equal(got, "f;");
	tail_get_stats(t2, &st);
	assert_int_equal(st.lost_files, 0);
	tail_free(t2);
	teardown(state);
	setup(state);
}

/* The saved file was rotated away entirely: everything left is read, the loss counted. */
static void test_restore_lost(void **state)
{
	struct tail *t = tail_new(path, 1), *t2;
	struct tail_pos pos;
	struct tail_stats st;
	char one[160];

	append(path, "a\n");
	assert_int_equal(take(t), 1);
	tail_position(t, &pos);
	tail_free(t);
	snprintf(one, sizeof(one), "%s.1", path);
	unlink(path); /* gone */
	append(one, "x\n");
	append(path, "y\n");
	t2 = tail_new(path, 1);
	assert_int_equal(tail_restore(t2, &pos), 0);
	assert_int_equal(take(t2), 2);
	assert_string_equal(got, "x;y;");
	tail_get_stats(t2, &st);
	assert_int_equal(st.lost_files, 1);
	tail_free(t2);
	teardown(state);
	setup(state);
}

/* A position taken between the writer's rename and its next write still finds its file. */
static void test_restore_between_rotation_and_write(void **state)
{
	struct tail *t = tail_new(path, 3), *t2;
	struct tail_pos pos;

	append(path, "a\nb\n");
	assert_int_equal(take(t), 2);
	rotate();
	assert_int_equal(take(t), 0);
	tail_position(t, &pos);
	tail_free(t);
	append(path, "c\n");
	t2 = tail_new(path, 3);
	assert_int_equal(tail_restore(t2, &pos), 0);
	assert_int_equal(take(t2), 1);
	assert_string_equal(got, "c;");
	tail_free(t2);
	teardown(state);
	setup(state);
}

static void test_too_long(void **state)
{
	struct tail *t = tail_new(path, 3);
	struct tail_stats st;
	char *big = malloc(TAIL_MAX_LINE + 10);

	assert_non_null(big);
	memset(big, 'x', TAIL_MAX_LINE + 8);
	big[TAIL_MAX_LINE + 8] = '\n';
	big[TAIL_MAX_LINE + 9] = '\0';
	append(path, "a\n");
	append(path, big);
	append(path, "b\n");
	assert_int_equal(take(t) >= 2, 1);
	assert_string_equal(got, "a;b;");
	tail_get_stats(t, &st);
	assert_int_equal(st.too_long, 1);
	free(big);
	tail_free(t);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_partial),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_lost),
		cmocka_unit_test(test_restore_between_rotation_and_write),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
