/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tail {
	char *path;
	unsigned keep;
	int fd; /* the file being read, or -1 */
	struct tail_pos pos;
	/* Files still to read after the current one, oldest first, opened when the position
	 * was restored so that a rotation meanwhile cannot shift their names. */
	int *queue;
	size_t nqueue;
	char *buf; /* bytes read past the last complete line */
	size_t len, cap;
	bool skipping; /* inside a line over TAIL_MAX_LINE */
	struct tail_stats st;
};

struct tail *tail_new(const char *path, unsigned keep)
{
	struct tail *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->path = strdup(path);
	t->cap = 65536;
	t->buf = malloc(t->cap);
	if (!t->path || !t->buf) {
		tail_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->keep = keep;
	t->fd = -1;
	return t;
}

static void clear_queue(struct tail *t)
{
	for (size_t i = 0; i < t->nqueue; i++)
		close(t->queue[i]);
	free(t->queue);
	t->queue = NULL;
	t->nqueue = 0;
}

void tail_free(struct tail *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	clear_queue(t);
	free(t->path);
	free(t->buf);
	free(t);
}

/* Makes fd (owned from now on) the current file at offset off.  0 or -errno. */
static int use_fd(struct tail *t, int fd, uint64_t off)
{
	struct stat sb;

	if (fstat(fd, &sb) || lseek(fd, (off_t)off, SEEK_SET) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = fd;
	t->pos.dev = (uint64_t)sb.st_dev;
	t->pos.ino = (uint64_t)sb.st_ino;
	t->pos.off = off;
	t->len = 0;
	t->skipping = false;
	return 0;
}

/* Opens name and makes it the current file at offset off.  0 or -errno. */
static int open_at(struct tail *t, const char *name, uint64_t off)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : use_fd(t, fd, off);
}

/* The next file of the queue becomes the current one. */
static int next_queued(struct tail *t)
{
	int fd = t->queue[0];

	memmove(t->queue, t->queue + 1, (t->nqueue - 1) * sizeof(*t->queue));
	t->nqueue--;
	return use_fd(t, fd, 0);
}

/* FNV-1a of the first len bytes of fd; false when it has fewer. */
static bool head_hash(int fd, uint32_t len, uint64_t *out)
{
	unsigned char b[TAIL_HEAD_LEN];
	uint64_t h = 1469598103934665603ull;

	if (len > sizeof(b) || pread(fd, b, len, 0) != (ssize_t)len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	*out = h;
	return true;
}

/* Is the file called name the one pos was taken in? */
static bool same_file(const char *name, const struct tail_pos *pos)
{
	struct stat sb;
	uint64_t h;
	bool same = false;
	int fd;

	if (stat(name, &sb) || (uint64_t)sb.st_dev != pos->dev || (uint64_t)sb.st_ino != pos->ino ||
	    (uint64_t)sb.st_size < pos->off)
		return false;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	same = head_hash(fd, pos->head_len, &h) && h == pos->head_hash;
	close(fd);
	return same;
}

static char *rotated_name(const struct tail *t, unsigned k)
{
	char *s = NULL;

	if (asprintf(&s, "%s.%u", t->path, k) < 0)
		return NULL;
	return s;
}

int tail_restore(struct tail *t, const struct tail_pos *pos)
{
	struct stat sb;
	unsigned found = 0, oldest = 0;
	int err = 0;

	clear_queue(t);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	/* k = 0 is <path> itself; k = 1..keep its rotated copies, newer first. */
	for (unsigned k = 0; k <= t->keep; k++) {
		char *name = k ? rotated_name(t, k) : strdup(t->path);

		if (!name)
			return -ENOMEM;
		if (!stat(name, &sb)) {
			oldest = k;
			if (!found && same_file(name, pos))
				found = k + 1;
		}
		free(name);
	}
	if (!found)
		t->st.lost_files++;
	/* The saved file (or the oldest there is) and every newer one, <path> last. */
	t->queue = calloc((size_t)t->keep + 2, sizeof(*t->queue));
	if (!t->queue)
		return -ENOMEM;
	for (unsigned k = found ? found - 1 : oldest;; k--) {
		char *name = k ? rotated_name(t, k) : strdup(t->path);
		int fd;

		if (!name)
			return -ENOMEM;
		fd = open(name, O_RDONLY | O_CLOEXEC);
		free(name);
		if (fd >= 0)
			t->queue[t->nqueue++] = fd;
		else if (errno != ENOENT)
			err = -errno;
		if (!k)
			break;
	}
	if (!err && t->nqueue) {
		err = next_queued(t);
		if (!err && found && t->pos.ino == pos->ino && t->pos.dev == pos->dev &&
		    lseek(t->fd, (off_t)pos->off, SEEK_SET) >= 0)
			t->pos.off = pos->off;
	}
	return err;
}

/* Hands every complete line in buf to fn and keeps the rest.  Returns the lines. */
static long deliver(struct tail *t, tail_line_fn *fn, void *arg)
{
	size_t start = 0;
	long n = 0;

	for (size_t i = 0; i < t->len; i++) {
		if (t->buf[i] != '\n')
			continue;
		if (t->skipping)
			t->skipping = false;
		else
			fn(arg, t->buf + start, i - start);
		n += 1;
		t->pos.off += i + 1 - start;
		start = i + 1;
	}
	memmove(t->buf, t->buf + start, t->len - start);
	t->len -= start;
	if (t->len == t->cap && t->cap >= TAIL_MAX_LINE) {
		/* A line longer than anything a writer of ours produces: skip to its end. */
		t->st.too_long++;
		t->pos.off += t->len;
		t->len = 0;
		t->skipping = true;
	}
	return n;
}

/* Reads the current file to its end.  Lines delivered, or -errno. */
static long drain(struct tail *t, tail_line_fn *fn, void *arg)
{
	long total = 0;

	for (;;) {
		ssize_t r;

		if (t->len == t->cap && t->cap < TAIL_MAX_LINE) {
			char *nb = realloc(t->buf, t->cap * 2);

			if (!nb)
				return -ENOMEM;
			t->buf = nb;
			t->cap *= 2;
		}
		r = read(t->fd, t->buf + t->len, t->cap - t->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return total;
		t->len += (size_t)r;
		t->st.bytes += (uint64_t)r;
		total += deliver(t, fn, arg);
	}
}

/* Is the file at path still the one being read? */
static bool current_is_path(const struct tail *t)
{
	struct stat sb;

	return !stat(t->path, &sb) && (uint64_t)sb.st_dev == t->pos.dev &&
	       (uint64_t)sb.st_ino == t->pos.ino;
}

long tail_read(struct tail *t, tail_line_fn *fn, void *arg)
{
	long total = 0, n;
	int err;

	for (;;) {
		if (t->fd < 0) {
			err = open_at(t, t->path, 0);
			if (err == -ENOENT)
				break; /* nothing written yet */
			if (err)
				goto fail;
		}
		n = drain(t, fn, arg);
		if (n < 0) {
			err = (int)n;
			goto fail;
		}
		total += n;
		if (t->nqueue) {
			/* Restoring: on with the next newer file. */
			err = next_queued(t);
			if (err)
				goto fail;
			continue;
		}
		if (current_is_path(t))
			break;
		/* Rotated under us: read what the writer appended before the rename (it never
		 * writes to a renamed file, and writes whole lines), then on to the new file. */
		n = drain(t, fn, arg);
		if (n < 0) {
			err = (int)n;
			goto fail;
		}
		total += n;
		/* Until the writer has made the new file, the position stays at the end of the
		 * old one, which a restore can still find. */
		if (access(t->path, F_OK))
			break;
		t->st.rotations++;
		close(t->fd);
		t->fd = -1;
		t->len = 0;
	}
	t->st.lines += (uint64_t)total;
	return total;
fail:
	t->st.errors++;
	t->st.lines += (uint64_t)total;
	return err;
}

void tail_position(const struct tail *t, struct tail_pos *out)
{
	*out = t->pos;
	out->head_len = (uint32_t)(t->pos.off < TAIL_HEAD_LEN ? t->pos.off : TAIL_HEAD_LEN);
	out->head_hash = 0;
	if (t->fd < 0 || !head_hash(t->fd, out->head_len, &out->head_hash))
		out->head_len = 0;
}

void tail_get_stats(const struct tail *t, struct tail_stats *out)
{
	*out = t->st;
}
