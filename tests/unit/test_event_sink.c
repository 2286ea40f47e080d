/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event sink in a temporary directory: batches appended whole, rotation by size with a
 * bounded number of files, events that cannot be printed counted; and the webhook against a
 * small HTTP server that this test runs on 127.0.0.1 in a thread: every event POSTed as its
 * JSON, failures counted and retried with backoff, the queue bounded, time bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/event_sink.h"
#include "agent/log.h"
#include "lib/event.h"
#include "lib/strbuf.h"

#include "tmpdir_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	tmpdir_setup(dir, sizeof(dir), "es", "events"); /* the sink creates it */
	plog_set_level(PLOG_ERROR);			/* the webhook's warnings are expected */
	return 0;
}

static int teardown(void **state)
{
	return tmpdir_teardown(dir);
}

/* An event of origin "job<i>" at time 1000 + i. */
static void make_event(struct sec_event *e, int i)
{
	event_init(e);
	e->time = 1000 + (uint64_t)i;
	snprintf(e->type, sizeof(e->type), "anomaly_detection_job");
	snprintf(e->origin, sizeof(e->origin), "job%d", i);
	e->severity = EVENT_SEVERITY_MEDIUM;
	event_describe(e, "event number %d", i);
	e->window_start = 1000;
	e->window_end = 1000 + (uint64_t)i;
	event_set_id(e, "k");
}

static char *line_of(const struct sec_event *e)
{
	struct strbuf b;

	strbuf_init(&b);
	assert_int_equal(event_print(e, &b), 0);
	return strbuf_steal(&b);
}

/* The contents of dir/name, or NULL when it does not exist. */
static char *slurp(const char *name)
{
	return tmpdir_slurp(dir, name);
}

/* The origins of the events in dir/name, in order, as "job1 job2 ..."; every line parses. */
static void expect_origins(const char *name, const char *want)
{
	char *text = slurp(name), got[512] = "", err[256];
	size_t n = 0;

	if (!want) {
		assert_null(text);
		return;
	}
	assert_non_null(text);
	for (char *p = text, *nl; *p; p = nl + 1) {
		struct sec_event e;

		nl = strchr(p, '\n');
		assert_non_null(nl); /* only whole lines */
		assert_int_equal(event_parse(p, (size_t)(nl - p), &e, err, sizeof(err)), 0);
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", n ? " " : "", e.origin);
	}
	assert_string_equal(got, want);
	free(text);
}

static void write_events(struct event_sink *s, int from, int to)
{
	struct sec_event ev[8];
	int n = 0;

	for (int i = from; i <= to; i++)
		make_event(&ev[n++], i);
	assert_int_equal(event_sink_write(s, ev, (size_t)n), 0);
}

static void test_append_and_rotate(void **state)
{
	struct event_sink_opts o = {.keep = 2};
	struct event_sink_stats st;
	struct event_sink *s;
	char *one = NULL;
	struct sec_event e;
	size_t len;

	(void)state;
	make_event(&e, 1);
	one = line_of(&e);
	len = strlen(one);
	free(one);
	/* Room for two events per file (all lines are the same length). */
	o.max_bytes = 2 * len + len / 2;
	s = event_sink_new_opts(dir, &o);
	assert_non_null(s);
	expect_origins("events.log", "");
	write_events(s, 1, 2);
	expect_origins("events.log", "job1 job2");
	write_events(s, 3, 3); /* would pass max_bytes: rotates first */
	expect_origins("events.log", "job3");
	expect_origins("events.log.1", "job1 job2");
	write_events(s, 4, 6); /* a batch bigger than max_bytes goes whole into a fresh file */
	expect_origins("events.log", "job4 job5 job6");
	expect_origins("events.log.1", "job3");
	expect_origins("events.log.2", "job1 job2");
	write_events(s, 7, 7);
	expect_origins("events.log", "job7");
	expect_origins("events.log.1", "job4 job5 job6");
	expect_origins("events.log.2", "job3");
	expect_origins("events.log.3", NULL); /* keep = 2: the oldest is gone */
	event_sink_get_stats(s, &st);
	assert_int_equal(st.batches, 4);
	assert_int_equal(st.events, 7);
	assert_int_equal(st.bytes, 7 * len);
	assert_int_equal(st.rotations, 3);
	assert_int_equal(st.write_errors, 0);
	assert_int_equal(st.print_errors, 0);
	assert_int_equal(st.webhook_sent + st.webhook_queued, 0);
	event_sink_free(s);
}

static void test_print_errors_counted(void **state)
{
	struct event_sink_stats st;
	struct sec_event ev[3];
	struct event_sink *s = event_sink_new(dir, NULL);

	(void)state;
	assert_non_null(s);
	make_event(&ev[0], 1);
	make_event(&ev[1], 2);
	ev[1].id[0] = '\0'; /* event_set_id() forgotten */
	make_event(&ev[2], 3);
	assert_int_equal(event_sink_write(s, ev, 3), 0);
	expect_origins("events.log", "job1 job3");
	assert_int_equal(event_sink_write(s, ev, 0), 0); /* nothing to write */
	event_sink_get_stats(s, &st);
	assert_int_equal(st.print_errors, 1);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.batches, 1);
	event_sink_free(s);
}

static void test_bad_webhook(void **state)
{
	static const char *const bad[] = {"ftp://example.org/", "localhost:8080", "http://",
					  "file:///etc/passwd"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(event_sink_new(dir, bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	/* The directory's parent must exist. */
	errno = 0;
	assert_null(event_sink_new("/nonexistent/palisade/events", NULL));
	assert_int_equal(errno, ENOENT);
}

/* ---- A small HTTP server on 127.0.0.1 ---- */

#define MAX_REQS 32

struct server {
	int lfd, port;
	pthread_t th;
	pthread_mutex_t mu;
	bool stop;
	int status; /* the answer; 0: read the request and never answer */
	int nreq;
	char body[MAX_REQS][1024];
	char head[MAX_REQS][1024]; /* request line and headers */
};

/* Reads one request (headers and a Content-Length body) within 2 s; false when it failed. */
static bool read_request(int fd, char *head, size_t headsize, char *body, size_t bodysize)
{
	char buf[4096];
	size_t n = 0, want = 0;
	char *end = NULL;

	for (int rounds = 0; rounds < 200; rounds++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 2000) <= 0)
			return false;
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && n >= want) {
			snprintf(head, headsize, "%.*s", (int)(end - buf), buf);
			snprintf(body, bodysize, "%.*s", (int)(n - (size_t)(end + 4 - buf)),
				 end + 4);
			return true;
		}
		if (n == sizeof(buf) - 1)
			return false;
	}
	return false;
}

static void *serve(void *arg)
{
	struct server *sv = arg;
	int held[MAX_REQS], nheld = 0;

	for (int loops = 0; loops < 3000; loops++) { /* 5 minutes at most */
		struct pollfd p = {.fd = sv->lfd, .events = POLLIN};
		char head[1024], body[1024], resp[128];
		int fd, status;
		bool stop;

		pthread_mutex_lock(&sv->mu);
		stop = sv->stop;
		pthread_mutex_unlock(&sv->mu);
		if (stop)
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (!read_request(fd, head, sizeof(head), body, sizeof(body))) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&sv->mu);
		status = sv->status;
		if (sv->nreq < MAX_REQS) {
			snprintf(sv->head[sv->nreq], sizeof(sv->head[0]), "%s", head);
			snprintf(sv->body[sv->nreq], sizeof(sv->body[0]), "%s", body);
		}
		sv->nreq++;
		pthread_mutex_unlock(&sv->mu);
		if (!status && nheld < MAX_REQS) {
			held[nheld++] = fd; /* never answered: the client must time out */
			continue;
		}
		snprintf(resp, sizeof(resp),
			 "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
			 status ? status : 500);
		if (write(fd, resp, strlen(resp)) < 0)
			perror("server write");
		close(fd);
	}
	while (nheld > 0)
		close(held[--nheld]);
	return NULL;
}

static void server_start(struct server *sv, int status)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->status = status;
	pthread_mutex_init(&sv->mu, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(sv->lfd, 16) ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &alen)) {
		print_message("SKIP: cannot listen on 127.0.0.1: %s\n", strerror(errno));
		skip();
	}
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&sv->th, NULL, serve, sv), 0);
}

static void server_set_status(struct server *sv, int status)
{
	pthread_mutex_lock(&sv->mu);
	sv->status = status;
	pthread_mutex_unlock(&sv->mu);
}

static int server_nreq(struct server *sv)
{
	int n;

	pthread_mutex_lock(&sv->mu);
	n = sv->nreq;
	pthread_mutex_unlock(&sv->mu);
	return n;
}

static void server_stop(struct server *sv)
{
	pthread_mutex_lock(&sv->mu);
	sv->stop = true;
	pthread_mutex_unlock(&sv->mu);
	pthread_join(sv->th, NULL);
	close(sv->lfd);
	pthread_mutex_destroy(&sv->mu);
}

static struct event_sink *sink_to(struct server *sv, const char *path, struct event_sink_opts *o)
{
	char url[128];
	struct event_sink *s;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", sv->port, path);
	o->webhook = url;
	s = event_sink_new_opts(dir, o);
	assert_non_null(s);
	return s;
}

static void test_webhook_posts(void **state)
{
	struct event_sink_opts o = {0};
	struct event_sink_stats st;
	struct event_sink *s;
	struct sec_event ev[3];
	struct server sv;

	(void)state;
	server_start(&sv, 200);
	s = sink_to(&sv, "/hooks/palisade", &o);
	for (int i = 0; i < 3; i++)
		make_event(&ev[i], i + 1);
	assert_int_equal(event_sink_write(s, ev, 3), 0);
	assert_int_equal(server_nreq(&sv), 3);
	for (int i = 0; i < 3; i++) {
		char *want = line_of(&ev[i]);

		want[strlen(want) - 1] = '\0'; /* the body has no newline */
		assert_string_equal(sv.body[i], want);
		assert_true(!strncmp(sv.head[i], "POST /hooks/palisade HTTP/1.1\r\n", 31));
		assert_non_null(strcasestr(sv.head[i], "\r\nContent-Type: application/json"));
		free(want);
	}
	expect_origins("events.log", "job1 job2 job3"); /* the file gets them as well */
	event_sink_get_stats(s, &st);
	assert_int_equal(st.webhook_sent, 3);
	assert_int_equal(st.webhook_failures, 0);
	assert_int_equal(st.webhook_queued, 0);
	event_sink_free(s);
	server_stop(&sv);
}

/* A failing endpoint: the event waits, tries come back after 0, 1, 3 skipped batches. */
static void test_webhook_retry_backoff(void **state)
{
	struct event_sink_opts o = {0};
	struct event_sink_stats st;
	struct event_sink *s;
	struct sec_event ev[2];
	struct server sv;
	/* For each call after the first failure: does it try (a request), and what is left. */
	static const struct {
		bool tries;
		uint64_t skip_after;
	} calls[] = {
		{true, 1},				       /* 2nd failure: skip 1 */
		{false, 0},				       /* skipped */
		{true, 3},				       /* 3rd failure: skip 3 */
		{false, 2}, {false, 1}, {false, 0}, {true, 7}, /* 4th failure */
	};
	int nreq;

	(void)state;
	server_start(&sv, 503);
	s = sink_to(&sv, "/", &o);
	make_event(&ev[0], 1);
	make_event(&ev[1], 2);
	assert_int_equal(event_sink_write(s, ev, 1), 0);
	event_sink_get_stats(s, &st);
	assert_int_equal(st.webhook_failures, 1);
	assert_int_equal(st.webhook_queued, 1);
	assert_int_equal(st.webhook_skip, 0);
	nreq = server_nreq(&sv);
	assert_int_equal(nreq, 1);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		assert_int_equal(event_sink_write(s, NULL, 0), 0);
		nreq += calls[i].tries;
		assert_int_equal(server_nreq(&sv), nreq);
		event_sink_get_stats(s, &st);
		assert_int_equal(st.webhook_skip, calls[i].skip_after);
	}
	assert_int_equal(st.webhook_failures, 4);
	/* The endpoint recovers: after the skips, the waiting event and a new one go, in order. */
	server_set_status(&sv, 204);
	for (int i = 0; i < 7; i++)
		assert_int_equal(event_sink_write(s, NULL, 0), 0);
	assert_int_equal(server_nreq(&sv), nreq);
	assert_int_equal(event_sink_write(s, &ev[1], 1), 0);
	assert_int_equal(server_nreq(&sv), nreq + 2);
	assert_non_null(strstr(sv.body[nreq], "\"origin\":\"job1\""));
	assert_non_null(strstr(sv.body[nreq + 1], "\"origin\":\"job2\""));
	event_sink_get_stats(s, &st);
	assert_int_equal(st.webhook_sent, 2);
	assert_int_equal(st.webhook_queued, 0);
	assert_int_equal(st.webhook_failures, 4);
	assert_int_equal(st.webhook_dropped, 0);
	expect_origins("events.log", "job1 job2");
	event_sink_free(s);
	server_stop(&sv);
}

/* Nobody listening: a full queue drops its oldest events, and counts them. */
static void test_webhook_queue_bound(void **state)
{
	struct event_sink_opts o = {.webhook_queue = 2};
	struct event_sink_stats st;
	struct event_sink *s;
	struct server sv;

	(void)state;
	server_start(&sv, 200);
	server_stop(&sv); /* the port is now closed: connections are refused */
	s = sink_to(&sv, "/", &o);
	write_events(s, 1, 5);
	event_sink_get_stats(s, &st);
	assert_int_equal(st.webhook_dropped, 3);
	assert_int_equal(st.webhook_queued, 2);
	assert_int_equal(st.webhook_failures, 1);
	assert_int_equal(st.webhook_sent, 0);
	assert_int_equal(st.events, 5); /* the file has them all */
	event_sink_free(s);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* An endpoint that never answers costs one timeout, not one per event. */
static void test_webhook_time_bound(void **state)
{
	struct event_sink_opts o = {.webhook_timeout_ms = 300, .webhook_budget_ms = 1000};
	struct event_sink_stats st;
	struct event_sink *s;
	struct server sv;
	struct timespec t0;
	double took;

	(void)state;
	server_start(&sv, 0);
	s = sink_to(&sv, "/", &o);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	write_events(s, 1, 5);
	took = seconds_since(&t0);
	print_message("a silent endpoint took %.2f s\n", took);
	assert_true(took >= 0.25 && took < 1.5);
	event_sink_get_stats(s, &st);
	assert_int_equal(st.webhook_failures, 1);
	assert_int_equal(st.webhook_queued, 5);
	assert_int_equal(server_nreq(&sv), 1);
	event_sink_free(s);
	server_stop(&sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_errors_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_webhook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_retry_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_queue_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_time_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
