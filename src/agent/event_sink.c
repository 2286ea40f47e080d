/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/event_sink.h"

#include "agent/flowlog_writer.h"
#include "agent/log.h"
#include "lib/event.h"
#include "lib/strbuf.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILE_NAME "events.log"

/* The webhook's queue: a ring of malloc'ed JSON objects, oldest at head. */
struct queue {
	char **v;
	size_t cap, head, n;
};

struct event_sink {
	struct flowlog_writer *w;
	char *url; /* NULL: no webhook */
	CURL *curl;
	struct curl_slist *headers;
	unsigned timeout_ms, budget_ms;
	unsigned fails; /* failed tries in a row */
	struct queue q;
	struct event_sink_stats stats;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	/* Never cleaned up: other parts of the process may use libcurl as well. */
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool webhook_url_ok(const char *url)
{
	return (!strncmp(url, "http://", 7) && url[7]) || (!strncmp(url, "https://", 8) && url[8]);
}

/* The response body is not needed; without a callback libcurl would print it. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static int webhook_init(struct event_sink *s, const char *url)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return -EIO;
	s->url = strdup(url);
	s->curl = curl_easy_init();
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!s->url || !s->curl || !s->headers)
		return -ENOMEM;
	if (curl_easy_setopt(s->curl, CURLOPT_URL, s->url) ||
	    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers) ||
	    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "palisade-controller") ||
	    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard))
		return -EINVAL;
	return 0;
}

struct event_sink *event_sink_new_opts(const char *dir, const struct event_sink_opts *o)
{
	struct flowlog_writer_opts wo = {.name = FILE_NAME};
	struct event_sink *s;
	int err = 0;

	if (o && o->webhook && o->webhook[0] && !webhook_url_ok(o->webhook)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	wo.max_bytes = o && o->max_bytes ? o->max_bytes : EVENT_SINK_MAX_BYTES;
	wo.keep = o && o->keep ? o->keep : EVENT_SINK_KEEP;
	s->timeout_ms = o && o->webhook_timeout_ms ? o->webhook_timeout_ms : EVENT_SINK_TIMEOUT_MS;
	s->budget_ms = o && o->webhook_budget_ms ? o->webhook_budget_ms : EVENT_SINK_BUDGET_MS;
	s->q.cap = o && o->webhook_queue ? o->webhook_queue : EVENT_SINK_QUEUE;
	s->w = flowlog_writer_new(dir, &wo);
	if (!s->w) {
		err = -errno;
		goto fail;
	}
	if (o && o->webhook && o->webhook[0]) {
		s->q.v = calloc(s->q.cap, sizeof(*s->q.v));
		err = s->q.v ? webhook_init(s, o->webhook) : -ENOMEM;
		if (err)
			goto fail;
	}
	return s;
fail:
	event_sink_free(s);
	errno = -err;
	return NULL;
}

struct event_sink *event_sink_new(const char *dir, const char *webhook)
{
	struct event_sink_opts o = {.webhook = webhook};

	return event_sink_new_opts(dir, &o);
}

void event_sink_free(struct event_sink *s)
{
	if (!s)
		return;
	flowlog_writer_free(s->w);
	for (size_t i = 0; s->q.v && i < s->q.n; i++)
		free(s->q.v[(s->q.head + i) % s->q.cap]);
	free(s->q.v);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->headers);
	free(s->url);
	free(s);
}

/* Takes body; when the queue is full, the oldest event makes room and is counted. */
static void queue_push(struct event_sink *s, char *body)
{
	struct queue *q = &s->q;

	if (q->n == q->cap) {
		free(q->v[q->head]);
		q->head = (q->head + 1) % q->cap;
		q->n--;
		s->stats.webhook_dropped++;
	}
	q->v[(q->head + q->n) % q->cap] = body;
	q->n++;
}

static void queue_pop(struct queue *q)
{
	free(q->v[q->head]);
	q->v[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One request; 0 when the answer was 2xx. */
static int post(struct event_sink *s, const char *body, unsigned timeout_ms)
{
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	rc = curl_easy_perform(s->curl);
	if (rc != CURLE_OK) {
		plog(PLOG_WARN, "webhook failed url=%s err=\"%s\"", s->url, curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		plog(PLOG_WARN, "webhook failed url=%s status=%ld", s->url, status);
		return -EIO;
	}
	return 0;
}

/* The queue's turn: see event_sink.h for the rules. */
static void deliver(struct event_sink *s)
{
	uint64_t start = now_ms();

	if (!s->q.n)
		return;
	if (s->stats.webhook_skip) {
		s->stats.webhook_skip--;
		return;
	}
	while (s->q.n) {
		uint64_t spent = now_ms() - start;
		unsigned left;

		if (spent >= s->budget_ms)
			break; /* the rest waits for the next batch; not a failure */
		left = s->budget_ms - (unsigned)spent;
		if (post(s, s->q.v[s->q.head], left < s->timeout_ms ? left : s->timeout_ms)) {
			unsigned skip;

			s->stats.webhook_failures++;
			s->fails++;
			skip = (s->fails >= 5 ? 16u : 1u << (s->fails - 1)) - 1;
			s->stats.webhook_skip =
				skip > EVENT_SINK_MAX_BACKOFF ? EVENT_SINK_MAX_BACKOFF : skip;
			return;
		}
		queue_pop(&s->q);
		s->stats.webhook_sent++;
		s->fails = 0;
	}
}

int event_sink_write(struct event_sink *s, const struct sec_event *ev, size_t n)
{
	struct strbuf all, one;
	size_t lines = 0;
	int rc = 0;

	strbuf_init(&all);
	strbuf_init(&one);
	for (size_t i = 0; i < n; i++) {
		char *body;

		strbuf_reset(&one);
		rc = event_print(&ev[i], &one);
		if (rc == -EINVAL) {
			s->stats.print_errors++;
			plog(PLOG_ERROR, "event not printable type=%.32s origin=%.128s", ev[i].type,
			     ev[i].origin);
			rc = 0;
			continue;
		}
		if (rc)
			goto out;
		strbuf_add(&all, one.s, one.len);
		lines++;
		if (!s->url)
			continue;
		body = strndup(one.s, one.len - 1); /* without the newline */
		if (!body) {
			rc = -ENOMEM;
			goto out;
		}
		queue_push(s, body);
	}
	if (all.oom) {
		rc = -ENOMEM;
		goto out;
	}
	if (all.len) {
		rc = flowlog_writer_write(s->w, all.s, all.len);
		if (!rc) {
			s->stats.batches++;
			s->stats.events += lines;
			s->stats.bytes += all.len;
		}
	}
out:
	if (rc == -ENOMEM)
		s->stats.write_errors++;
	if (s->url)
		deliver(s);
	strbuf_fini(&all);
	strbuf_fini(&one);
	return rc;
}

void event_sink_get_stats(const struct event_sink *s, struct event_sink_stats *out)
{
	struct flowlog_writer_stats ws;

	*out = s->stats;
	flowlog_writer_get_stats(s->w, &ws);
	out->write_errors += ws.write_errors;
	out->rotations = ws.rotations;
	out->rotate_errors = ws.rotate_errors;
	out->webhook_queued = s->q.n;
}
