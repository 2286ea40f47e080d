/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow log writer in a temporary directory: windows appended whole, rotation by size
 * with a bounded number of files, a file deleted under the writer, and a write cut short by
 * the file size limit (as a full disk would), which must leave no part of the window behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/flowlog_writer.h"

#include "tmpdir_fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	tmpdir_setup(dir, sizeof(dir), "fw", "flows"); /* the writer creates it */
	return 0;
}

static int teardown(void **state)
{
	return tmpdir_teardown(dir);
}

/* The contents of dir/name, or NULL when it does not exist. */
static char *slurp(const char *name)
{
	return tmpdir_slurp(dir, name);
}

static void expect_file(const char *name, const char *want)
{
	char *got = slurp(name);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void write_str(struct flowlog_writer *w, const char *s)
{
	assert_int_equal(flowlog_writer_write(w, s, strlen(s)), 0);
}

static void test_rotation(void **state)
{
	struct flowlog_writer_opts o = {.max_bytes = 20, .keep = 2};
	struct flowlog_writer *w = flowlog_writer_new(dir, &o);
	struct flowlog_writer_stats st;

	assert_non_null(w);
	expect_file("flows.log", "");
	write_str(w, "a1\na2\n");     /* 6 */
	write_str(w, "b1\nb2\nb3\n"); /* 15: fits */
	write_str(w, "c1\n");	      /* 18 */
	write_str(w, "d1\nd2\n");     /* 24: rotates first */
	expect_file("flows.log", "d1\nd2\n");
	expect_file("flows.log.1", "a1\na2\nb1\nb2\nb3\nc1\n");
	/* A window bigger than the limit goes whole into a file of its own. */
	write_str(w, "e1-long-line-of-text\n");
	write_str(w, "f1\n");
	expect_file("flows.log", "f1\n");
	expect_file("flows.log.1", "e1-long-line-of-text\n");
	expect_file("flows.log.2", "d1\nd2\n");
	expect_file("flows.log.3", NULL);
	/* Nothing is written for an empty window. */
	assert_int_equal(flowlog_writer_write(w, "", 0), 0);
	flowlog_writer_get_stats(w, &st);
	assert_int_equal(st.windows, 6);
	assert_int_equal(st.records, 10);
	assert_int_equal(st.bytes, 6 + 9 + 3 + 6 + 21 + 3);
	assert_int_equal(st.rotations, 3);
	assert_int_equal(st.rotate_errors, 0);
	assert_int_equal(st.write_errors, 0);
	flowlog_writer_free(w);

	/* A new writer appends to what is there. */
	w = flowlog_writer_new(dir, &o);
	assert_non_null(w);
	write_str(w, "g1\n");
	expect_file("flows.log", "f1\ng1\n");
	flowlog_writer_free(w);
}

static void test_deleted_under_writer(void **state)
{
	struct flowlog_writer *w = flowlog_writer_new(dir, NULL);
	char path[128];

	assert_non_null(w);
	snprintf(path, sizeof(path), "%s/flows.log", dir);
	assert_int_equal(unlink(path), 0);
	write_str(w, "x\n");
	expect_file("flows.log", "x\n");
	flowlog_writer_free(w);
}

/* RLIMIT_FSIZE cuts a write short exactly as a full disk does: the window that did not fit
 * is taken out again and counted; the next one that fits is written. */
static void test_short_write(void **state)
{
	struct flowlog_writer *w = flowlog_writer_new(dir, NULL);
	struct flowlog_writer_stats st;
	struct rlimit old, lim;
	char path[128];
	int rc;

	assert_non_null(w);
	snprintf(path, sizeof(path), "%s/flows.log", dir);
	assert_int_equal(truncate(path, 0), 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	write_str(w, "1234\n");
	rc = flowlog_writer_write(w, "5678\nabcd\n", 10);
	assert_true(rc < 0);
	write_str(w, "ef\n");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	expect_file("flows.log", "1234\nef\n");
	flowlog_writer_get_stats(w, &st);
	assert_int_equal(st.windows, 2);
	assert_int_equal(st.write_errors, 1);
	flowlog_writer_free(w);
}

static void test_bad_dir(void **state)
{
	errno = 0;
	assert_null(flowlog_writer_new("/nonexistent-palisade/a/b", NULL));
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_deleted_under_writer),
		cmocka_unit_test(test_short_write),
		cmocka_unit_test(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
