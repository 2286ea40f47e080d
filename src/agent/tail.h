/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_TAIL_H
#define PALISADE_AGENT_TAIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Following a JSON-lines log that a writer rotates by renaming (flowlog_writer.h: <path> is
 * the current file, <path>.1 the newest rotated one, <path>.<keep> the oldest), as the
 * controller follows every node's flow log (DESIGN §7).
 *
 * A position is the file (device and inode) and the offset just after the last complete line
 * delivered.  tail_read() delivers every complete line written since, across rotations: when
 * the file at <path> is no longer the one being read, the rest of the old one is read to its
 * end through its open descriptor, then the new one from its start.  A line without its
 * newline yet is left for the next read.  After a restart, tail_restore() finds the saved
 * file among <path> and its rotated copies and goes on from the saved offset, then through
 * every newer file; when the saved file has been rotated away entirely, reading starts at the
 * oldest file there is and the loss is counted (lost_files).  A file is the saved one when
 * its device, inode and first bytes match.  So a restart neither repeats
 * nor misses lines, unless the files it needed were deleted meanwhile.
 */
struct tail_pos {
	uint64_t dev, ino, off;
	/* The file's first head_len bytes (up to TAIL_HEAD_LEN) hash to head_hash: a file
	 * system reuses inode numbers, so a restore also checks the file's start. */
	uint64_t head_hash;
	uint32_t head_len;
};

#define TAIL_HEAD_LEN 64

struct tail_stats {
	uint64_t lines;
	uint64_t bytes;
	uint64_t rotations;  /* files finished because the writer rotated them */
	uint64_t lost_files; /* restores whose saved file was gone */
	uint64_t too_long;   /* lines over TAIL_MAX_LINE, skipped */
	uint64_t errors;     /* read errors */
};

#define TAIL_MAX_LINE (1u << 20)

/* One complete line without its newline (not NUL-terminated beyond len; line[len] is '\n'). */
typedef void tail_line_fn(void *arg, const char *line, size_t len);

/* path is copied; keep is the writer's rotated count.  NULL on ENOMEM. */
struct tail *tail_new(const char *path, unsigned keep);
void tail_free(struct tail *t);
/* Resumes at a saved position (see above).  0 or -errno. */
int tail_restore(struct tail *t, const struct tail_pos *pos);
/* Delivers the complete lines available now.  Returns how many, or -errno (counted). */
long tail_read(struct tail *t, tail_line_fn *fn, void *arg);
void tail_position(const struct tail *t, struct tail_pos *out);
void tail_get_stats(const struct tail *t, struct tail_stats *out);

#endif
