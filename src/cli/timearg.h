/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_TIMEARG_H
#define PALISADE_CLI_TIMEARG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * A time argument of the query verbs (--since, --until): a duration before now ("30s",
 * "5m", "2h", "1d", or a sequence of them: "1h30m"), an RFC 3339 time
 * ("2025-11-28T23:00:00Z", with an optional fraction and a Z or +hh:mm offset) or epoch
 * seconds, as epoch seconds in *out.  A time with a fraction of a second rounds towards the
 * inside of the window: up when round_up (--since), down otherwise.  0 or -EINVAL.
 */
int timearg_parse(const char *s, time_t now, bool round_up, uint64_t *out);

/* The window of --since and --until: a bound is set when its option was given. */
struct timearg_window {
	bool has_since, has_until;
	uint64_t since, until;
};

/*
 * Fills w from the arguments of --since and --until (NULL: not given), as timearg_parse()
 * reads them (--since rounding up).  0, or -EINVAL after printing "<prog>: --since: ..." to
 * stderr.  The strings are borrowed.
 */
int timearg_window_parse(struct timearg_window *w, const char *prog, const char *since,
			 const char *until, time_t now);
/* Whether [start, end] (epoch seconds) overlaps w: a single time when start == end. */
bool timearg_window_overlaps(const struct timearg_window *w, uint64_t start, uint64_t end);

#endif
