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

#endif
