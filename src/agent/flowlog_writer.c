/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/flowlog_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_NAME "flows.log"

struct flowlog_writer {
	char *dir;
	char *name; /* FILE_NAME unless the options name another */
	int fd;	    /* -1 after a failure to open; the next write retries */
	size_t max_bytes;
	unsigned keep;
	struct flowlog_writer_stats stats;
};

/* dir/<name>, or with a ".<n>" suffix when n > 0.  0 or -ENAMETOOLONG. */
static int path_of(const struct flowlog_writer *w, unsigned n, char *buf, size_t size)
{
	int len = n ? snprintf(buf, size, "%s/%s.%u", w->dir, w->name, n)
		    : snprintf(buf, size, "%s/%s", w->dir, w->name);

	return len < 0 || (size_t)len >= size ? -ENAMETOOLONG : 0;
}

static int open_file(struct flowlog_writer *w)
{
	char path[4096];
	int err = path_of(w, 0, path, sizeof(path));

	if (err)
		return err;
	w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return w->fd < 0 ? -errno : 0;
}

struct flowlog_writer *flowlog_writer_new(const char *dir, const struct flowlog_writer_opts *o)
{
	struct flowlog_writer *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->fd = -1;
	w->max_bytes = o && o->max_bytes ? o->max_bytes : FLOWLOG_WRITER_MAX_BYTES;
	w->keep = o && o->keep ? o->keep : FLOWLOG_WRITER_KEEP;
	w->dir = strdup(dir);
	w->name = strdup(o && o->name ? o->name : FILE_NAME);
	if (!w->dir || !w->name) {
		err = -ENOMEM;
		goto fail;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		goto fail;
	}
	err = open_file(w);
	if (err)
		goto fail;
	return w;
fail:
	flowlog_writer_free(w);
	errno = -err;
	return NULL;
}

void flowlog_writer_free(struct flowlog_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w->name);
	free(w);
}

/* <name>.<keep-1> -> .<keep>, ..., <name> -> .1, then a fresh <name>. */
static int rotate(struct flowlog_writer *w)
{
	char from[4096], to[4096];
	bool failed = false;

	if (path_of(w, w->keep, to, sizeof(to)) == 0 && unlink(to) && errno != ENOENT)
		failed = true;
	for (unsigned i = w->keep; i > 0; i--) {
		if (path_of(w, i - 1, from, sizeof(from)) || path_of(w, i, to, sizeof(to)))
			return -ENAMETOOLONG;
		if (rename(from, to) && errno != ENOENT)
			failed = true;
	}
	if (failed)
		w->stats.rotate_errors++;
	else
		w->stats.rotations++;
	close(w->fd);
	return open_file(w);
}

int flowlog_writer_write(struct flowlog_writer *w, const char *text, size_t len)
{
	struct stat st;
	ssize_t n;
	int err = 0;

	if (!len)
		return 0;
	if (w->fd < 0 && (err = open_file(w)))
		goto fail;
	if (fstat(w->fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (st.st_nlink == 0) {
		/* Deleted under us: start a new file. */
		close(w->fd);
		if ((err = open_file(w)) || fstat(w->fd, &st)) {
			err = err ? err : -errno;
			goto fail;
		}
	}
	if (st.st_size > 0 && (size_t)st.st_size + len > w->max_bytes) {
		err = rotate(w);
		if (err)
			goto fail;
		st.st_size = 0;
	}
	n = write(w->fd, text, len);
	if (n < 0 || (size_t)n != len) {
		err = n < 0 ? -errno : -ENOSPC;
		/* Whatever part of the window made it in goes again: no torn line stays. */
		if (n > 0 && ftruncate(w->fd, st.st_size))
			err = -errno;
		goto fail;
	}
	if (fdatasync(w->fd)) {
		err = -errno;
		goto fail;
	}
	w->stats.windows++;
	w->stats.bytes += len;
	for (size_t i = 0; i < len; i++)
		w->stats.records += text[i] == '\n';
	return 0;
fail:
	w->stats.write_errors++;
	if (err == -EBADF || err == -ENOENT) {
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
	}
	return err;
}

void flowlog_writer_get_stats(const struct flowlog_writer *w, struct flowlog_writer_stats *out)
{
	*out = w->stats;
}
