/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_JSONL_LOGS_H
#define PALISADE_CLI_JSONL_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Reading back rotated JSON-lines logs (flow logs, security events) for the verbs that query
 * them.  A log is "<base>" with its rotations "<base>.1" (the newest) .. "<base>.N" (the
 * oldest), as src/agent/flowlog_writer.c writes them; each log is one stream, read oldest
 * file first, so a stream is in the order it was written.  Several streams are read side by
 * side (the caller merges them).
 *
 * Lines come out whole: a blank line is skipped, and so is the last line of a stream's
 * newest file when it has no newline yet (the writer is writing it).  The caller parses each
 * line and reports one that does not parse with jsonl_malformed() as "file:line: message".
 * Every message starts with the reader's prog ("palisade flows: ...") except the file:line
 * ones, which start with the file.
 */

#define JSONL_STDIN "<stdin>" /* the path of standard input, in messages */

/* One file of a stream; rot is its rotation number (0 for the live file). */
struct jsonl_file {
	char *path;
	unsigned long rot;
	size_t order; /* position among the stream's files as added, to keep equal rotations */
	FILE *f;
};

/* One rotated log; key names it ("DIR/flows.log", or a file's path without its rotation
 * suffix), files are oldest first once opened, cur is the file being read. */
struct jsonl_stream {
	char *key;
	struct jsonl_file *files;
	size_t nfiles, cur;
	unsigned long lineno; /* of the last line read in files[cur] */
};

struct jsonl_reader {
	const char *prog; /* borrowed */
	struct jsonl_stream *v;
	size_t n;
	char *line;
	size_t linecap;
	unsigned long malformed, read_errors;
};

void jsonl_reader_init(struct jsonl_reader *rd, const char *prog);
/* Closes every file (standard input too, when it was read) and frees rd's memory. */
void jsonl_reader_fini(struct jsonl_reader *rd);

/*
 * Adds path (copied) to the stream named by the keylen bytes of key, created on first use.
 * A path equal to JSONL_STDIN reads standard input.  0 or -ENOMEM.
 */
int jsonl_add(struct jsonl_reader *rd, const char *key, size_t keylen, const char *path,
	      unsigned long rot);
/* Adds one file, gathered with the other rotations of the same base name ("x.log.2" joins
 * "x.log").  0 or -ENOMEM. */
int jsonl_add_file(struct jsonl_reader *rd, const char *path);
/*
 * Adds the files "<base>" and "<base>.<digits>" of dir as one stream.  Returns how many there
 * were (0: none, nothing added), or -errno (scandir's, or -ENOMEM).
 */
int jsonl_add_dir(struct jsonl_reader *rd, const char *dir, const char *base);
/* The rotation number of a path ("flows.log.3" is 3, else 0) and the length of its base. */
unsigned long jsonl_rotation_of(const char *path, size_t *baselen);

/*
 * Sorts every stream's files oldest first and opens them all before reading any, which
 * narrows the window in which a rotation could move a file away.  Reports every file that
 * cannot be opened; returns how many could not.
 */
size_t jsonl_reader_open(struct jsonl_reader *rd);

/*
 * The next whole, non-blank line of s (without its newline) in *line (valid until the next
 * call) and *len; false at the end of the stream.  A read error is reported and counted
 * (rd->read_errors) and ends the file.
 */
bool jsonl_next(struct jsonl_reader *rd, struct jsonl_stream *s, const char **line, size_t *len);
/* Reports the line jsonl_next() returned last as "file:line: msg" and counts it. */
void jsonl_malformed(struct jsonl_reader *rd, const struct jsonl_stream *s, const char *msg);

/*
 * Parses a line of len bytes into rec: 0, or -errno with a message in err (left empty when
 * the parser has none to give).  As event_parse() and flowlog_parse() do.
 */
typedef int jsonl_parse_fn(const char *line, size_t len, void *rec, char *err, size_t errsize);

/*
 * The next line of s that parse accepts, parsed into rec: true; false at the end of the
 * stream.  A line parse rejects is reported as malformed with parse's message, else with
 * what ("not a flow log record").
 */
bool jsonl_next_rec(struct jsonl_reader *rd, struct jsonl_stream *s, jsonl_parse_fn *parse,
		    void *rec, const char *what);
/* The file of s being read (s->lineno is the line in it), for other messages. */
const char *jsonl_path(const struct jsonl_stream *s);

#endif
