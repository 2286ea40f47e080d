/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_FLOWLOG_WRITER_H
#define PALISADE_AGENT_FLOWLOG_WRITER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The flow log files of a node (DESIGN §6): <dir>/flows.log, rotated by size into
 * flows.log.1 (the newest) .. flows.log.<keep> (the oldest; older ones are deleted).
 *
 * Each window's JSON lines go to the file in one write(2) on an O_APPEND descriptor followed
 * by fdatasync, so the file only ever holds whole lines and a crash loses at most the window
 * being written.  A write that fails part-way (ENOSPC) is cut back to the last whole window;
 * every failure is counted, none is fatal: the next window tries again, reopening the file if
 * it has to.  A window is never split across files: rotation happens before a write that
 * would take a non-empty file past max_bytes.
 */
#define FLOWLOG_WRITER_MAX_BYTES (16u << 20)
#define FLOWLOG_WRITER_KEEP	 5

struct flowlog_writer_opts {
	size_t max_bytes; /* 0: FLOWLOG_WRITER_MAX_BYTES */
	unsigned keep;	  /* rotated files kept; 0: FLOWLOG_WRITER_KEEP */
	const char *name; /* the file's name in dir; NULL: "flows.log" (events: "events.log") */
};

struct flowlog_writer_stats {
	uint64_t windows;	/* windows written whole */
	uint64_t records;	/* lines in them */
	uint64_t bytes;		/* bytes in them */
	uint64_t write_errors;	/* windows lost: open, write or sync failed */
	uint64_t rotations;	/* files rotated */
	uint64_t rotate_errors; /* renames or deletes that failed (the write still happens) */
};

struct flowlog_writer;

/*
 * Creates dir if it is missing (its parent must exist) and opens dir/flows.log for appending.
 * o may be NULL.  NULL with errno set.  dir is copied.
 */
struct flowlog_writer *flowlog_writer_new(const char *dir, const struct flowlog_writer_opts *o);
/* Closes the file; accepts NULL. */
void flowlog_writer_free(struct flowlog_writer *w);

/*
 * Appends one window: len bytes of whole lines (text ends in '\n'; nothing is written for
 * len 0).  0, or -errno after counting the failure; the file then holds no part of text.
 */
int flowlog_writer_write(struct flowlog_writer *w, const char *text, size_t len);

void flowlog_writer_get_stats(const struct flowlog_writer *w, struct flowlog_writer_stats *out);

#endif
