/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_LOGSRC_H
#define PALISADE_CLI_LOGSRC_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

struct jsonl_reader;

/*
 * What the log query verbs (flows, events) read: a lab state directory (--state DIR, or the
 * running lab's when no source is given), directories holding a rotated log (--dir DIR) and
 * files (-f FILE: a directory reads as --dir, "-" is standard input), which add up; and the
 * window of it to show (--since, --until, kept as given for timearg_window_parse()).  Also
 * how such a run ends.  Every message goes to stderr and starts with the verb's prog.
 */
struct logsrc {
	const char *prog;  /* "palisade flows" */
	const char *base;  /* the rotated log's base name, "flows.log" */
	const char *state; /* --state, or NULL */
	const char **dirs, **files;
	size_t ndirs, nfiles;
	const char *since, *until; /* or NULL */
};

/* The entries of a verb's getopt_long() table for the options logsrc_option() takes. */
/* clang-format off */
#define LOGSRC_OPTIONS					\
	{"state", required_argument, NULL, 'S'},	\
	{"dir", required_argument, NULL, 'D'},		\
	{"file", required_argument, NULL, 'f'},		\
	{"since", required_argument, NULL, 's'},	\
	{"until", required_argument, NULL, 'u'}
/* clang-format on */

/* Room for the sources of argc arguments; prog and base are borrowed.  0 or -ENOMEM. */
int logsrc_init(struct logsrc *s, const char *prog, const char *base, int argc);
/* Frees what logsrc_init allocated; a zeroed s is fine. */
void logsrc_fini(struct logsrc *s);

/*
 * Takes getopt_long()'s option c and its argument (borrowed) when it is one of
 * LOGSRC_OPTIONS ('S', 'D', 'f', 's', 'u'): true; else false, and nothing is done.
 */
bool logsrc_option(struct logsrc *s, int c, const char *arg);

/*
 * Adds the logs of a lab state directory to rd for a verb.  Returns how many of them could
 * not be read (after reporting them), or -errno to stop: -ENOMEM, which the caller reports,
 * or another error that the function reported.
 */
typedef int logsrc_state_fn(const struct logsrc *s, struct jsonl_reader *rd, const char *state);

/*
 * Adds the rotated log s->base of dir to rd as one stream: 0; 1 after reporting that dir
 * cannot be read or holds no such log; or -ENOMEM.
 */
int logsrc_add_dir(const struct logsrc *s, struct jsonl_reader *rd, const char *dir);

/*
 * Adds every source to rd, in order: the state directory (through add_state), each --dir,
 * each -f; then opens them all (jsonl_reader_open()).  0 when every source could be read;
 * -1 after reporting why not (every unreadable source; running out of memory stops at once).
 */
int logsrc_open(const struct logsrc *s, struct jsonl_reader *rd, logsrc_state_fn *add_state);

/*
 * Ends a verb's run over rd: reports the malformed lines skipped, oom (the output is then
 * incomplete) and an output that could not be written (flushing stdout).  Returns the exit
 * status: 0, or 2 after oom, a read error or a failed write.
 */
int logsrc_finish(const struct jsonl_reader *rd, bool oom);

#endif
