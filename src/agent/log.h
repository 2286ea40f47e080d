/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_LOG_H
#define PALISADE_AGENT_LOG_H

/*
 * Daemon log lines on stderr, one per event: "ts=<RFC 3339> level=<lvl> msg=<text>" followed
 * by key=value pairs the caller formats into msg.  Not for data (flow logs, events).
 */
enum plog_level {
	PLOG_DEBUG,
	PLOG_INFO,
	PLOG_WARN,
	PLOG_ERROR,
};

void plog(enum plog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plog_set_level(enum plog_level min);

#endif
