/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_PROC_H
#define PALISADE_LAB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Running other programs for the lab: `ip` (iproute2) for the network, and the lab's own
 * daemons (responders, agents).  Always fork + exec with an argv array, never a shell, so a
 * name from a manifest is never parsed as a command.  Every wait is bounded.
 */

/* Runs argv[0] (searched in PATH) and waits at most timeout_ms; a program still running then
 * is killed.  Its standard output is discarded unless out is given (then *out is a malloc'ed
 * NUL-terminated copy, at most 1 MiB); its standard error goes into err (truncated,
 * NUL-terminated, may be NULL).  Returns the exit status (0..255), 128 + signal number, or
 * -errno when it could not be run. */
int proc_run(char *const argv[], int timeout_ms, char **out, char *err, size_t errsize);

/* Starts argv as a daemon: its own session, stdin from /dev/null, stdout and stderr appended
 * to log_path.  Returns the pid (the caller's child) or -errno. */
pid_t proc_spawn(char *const argv[], const char *log_path);

/* If pid (a child of ours) has exited, returns true and its status as proc_run does. */
bool proc_exited(pid_t pid, int *status);

/* The absolute path of the running executable, malloc'ed, or NULL. */
char *proc_self_exe(void);

/* Moves the calling process (single-threaded) into the named network namespace
 * (/run/netns/<name>).  0 or -errno. */
int proc_enter_netns(const char *name);

/* true when /proc/<pid>/cmdline contains needle in one of its arguments: a pid read from a
 * file is only signalled when it still is the process we started. */
bool proc_cmdline_has(pid_t pid, const char *needle);

/* Sends SIGTERM to each pid, waits up to timeout_ms for all to be gone, then SIGKILLs the
 * rest.  Pids that are our children are reaped.  Returns how many were still alive at the
 * end (0 normally). */
size_t proc_stop(const pid_t *pids, size_t n, int timeout_ms);

#endif
