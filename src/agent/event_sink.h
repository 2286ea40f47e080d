/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_EVENT_SINK_H
#define PALISADE_AGENT_EVENT_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sec_event;

/*
 * Where the controller's security events go (DESIGN §7, docs/events.md): JSON lines
 * (event_print()) appended to <dir>/events.log, rotated by size into events.log.1 (the
 * newest) .. events.log.<keep> (the oldest; older ones are deleted), and optionally POSTed
 * one by one to a webhook.
 *
 * The file is written by flowlog_writer (generic in its file name): each batch in one
 * write(2) followed by fdatasync, never split across files, cut back whole when a write fails
 * part-way; every failure is counted and the next batch tries again.
 *
 * The webhook gets each event as its own request: POST, Content-Type: application/json, the
 * event's JSON object as the body (without the newline).  A 2xx answer delivers it; anything
 * else (no connection, a TLS failure, a timeout, another status) is a failure.  TLS peers and
 * host names are verified; redirects are not followed; only http and https are used.
 * Events wait in a bounded queue, oldest first: when it is full the oldest is dropped and
 * counted.  Each batch sends from the head of the queue until it is empty, a send fails, or
 * the batch's time budget is spent (each request also has its own timeout), so one call never
 * takes much longer than the budget.  After a failure the queue waits: the next batch tries
 * again, and after k failures in a row 2^(k-1) - 1 batches are skipped first (at most
 * EVENT_SINK_MAX_BACKOFF), so a dead endpoint costs one timeout every few windows.
 * Nothing here blocks for longer than the budget: the controller calls it once per window.
 */
#define EVENT_SINK_MAX_BYTES   (4u << 20)
#define EVENT_SINK_KEEP	       5
#define EVENT_SINK_TIMEOUT_MS  5000
#define EVENT_SINK_BUDGET_MS   10000
#define EVENT_SINK_QUEUE       1024
#define EVENT_SINK_MAX_BACKOFF 15 /* batches skipped at most between two tries */

struct event_sink_opts {
	size_t max_bytes;	     /* 0: EVENT_SINK_MAX_BYTES */
	unsigned keep;		     /* rotated files kept; 0: EVENT_SINK_KEEP */
	const char *webhook;	     /* http:// or https:// URL; NULL or "": none */
	unsigned webhook_timeout_ms; /* per request; 0: EVENT_SINK_TIMEOUT_MS */
	unsigned webhook_budget_ms;  /* for all requests of one batch; 0: EVENT_SINK_BUDGET_MS */
	size_t webhook_queue;	     /* events waiting at most; 0: EVENT_SINK_QUEUE */
};

struct event_sink_stats {
	uint64_t batches;	   /* batches written whole */
	uint64_t events;	   /* events in them */
	uint64_t bytes;		   /* bytes in them */
	uint64_t write_errors;	   /* batches lost: open, write or sync failed */
	uint64_t rotations;	   /* files rotated */
	uint64_t rotate_errors;	   /* renames or deletes that failed */
	uint64_t print_errors;	   /* events that event_print() refused (not written or sent) */
	uint64_t webhook_sent;	   /* events delivered (2xx) */
	uint64_t webhook_failures; /* requests that failed */
	uint64_t webhook_dropped;  /* events dropped from a full queue, never sent */
	uint64_t webhook_queued;   /* events waiting now */
	uint64_t webhook_skip;	   /* batches still to skip before the next try */
};

struct event_sink;

/*
 * Creates dir if it is missing (its parent must exist) and opens dir/events.log for
 * appending.  webhook (may be NULL) is copied.  NULL with errno set (EINVAL: the webhook is
 * not an http:// or https:// URL).
 */
struct event_sink *event_sink_new(const char *dir, const char *webhook);
/* The same with every option; o may be NULL.  Strings are copied. */
struct event_sink *event_sink_new_opts(const char *dir, const struct event_sink_opts *o);
/* Closes the file and the webhook connection, dropping what is still queued; accepts NULL. */
void event_sink_free(struct event_sink *s);

/*
 * Appends the n events (borrowed) as one batch, then gives the webhook queue its turn (with
 * n == 0 nothing is written, but the queue still gets its turn, so a controller may call it
 * once per window to retry).  Returns 0, or -errno when the file write failed (counted; the
 * events are still queued for the webhook).  An event that does not print is counted in
 * print_errors and left out; the others still go.
 */
int event_sink_write(struct event_sink *s, const struct sec_event *ev, size_t n);

void event_sink_get_stats(const struct event_sink *s, struct event_sink_stats *out);

#endif
