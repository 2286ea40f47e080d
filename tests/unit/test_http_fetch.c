/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_fetch against a small HTTP server that this test runs on 127.0.0.1 in a child process
 * (http_server_fixture.h): a 200 with its validators, a 304 for If-None-Match and for
 * If-Modified-Since, a 500, a server that stops in the middle of a body, one that trickles
 * past the total timeout, bodies over the limit with and without Content-Length, redirects
 * (followed, too many, to another scheme), a refused connection, TLS to a plain server, the
 * feed's own headers, and cancellation.  Every error text is checked word for word: it is
 * what a feed's status shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/http_fetch.h"

#include "http_server_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LM	"Wed, 21 Oct 2015 07:28:00 GMT"
#define OK_BODY "198.51.100.7\n2001:db8::/48\n"

static struct http_server srv;

static void handle(int fd, const char *method, const char *path, const char *hdrs, void *arg)
{
	char v[512];

	if (!strcmp(path, "/ok")) {
		http_server_reply(fd, "200 OK", "ETag: \"v1\"\r\nLast-Modified: " LM "\r\n",
				  OK_BODY, strlen(OK_BODY));
	} else if (!strcmp(path, "/etag")) {
		if (!strcmp(http_server_header(hdrs, "If-None-Match", v, sizeof(v)), "\"v1\""))
			http_server_reply(fd, "304 Not Modified", "ETag: \"v1\"\r\n", "", 0);
		else
			http_server_reply(fd, "200 OK", "ETag: \"v1\"\r\n", OK_BODY,
					  strlen(OK_BODY));
	} else if (!strcmp(path, "/lm")) {
		if (!strcmp(http_server_header(hdrs, "If-Modified-Since", v, sizeof(v)), LM))
			http_server_reply(fd, "304 Not Modified", NULL, "", 0);
		else
			http_server_reply(fd, "200 OK", "Last-Modified: " LM "\r\n", OK_BODY,
					  strlen(OK_BODY));
	} else if (!strcmp(path, "/500")) {
		http_server_reply(fd, "500 Internal Server Error", NULL, "oops\n", 5);
	} else if (!strcmp(path, "/hang")) {
		/* Promises 1000 bytes, sends 10, then nothing. */
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n10.0.0.1\n";

		http_server_send(fd, h, strlen(h));
		sleep(HTTP_SERVER_HANDLER_MAX_S);
	} else if (!strcmp(path, "/trickle")) {
		/* A byte every 100 ms: never below the low-speed limit, never done. */
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";

		http_server_send(fd, h, strlen(h));
		for (int i = 0; i < 200; i++) {
			http_server_send(fd, "\n", 1);
			usleep(100000);
		}
	} else if (!strcmp(path, "/big") || !strcmp(path, "/big-close")) {
		/* 2 MiB, announced or not. */
		static char chunk[65536];
		char head[128];

		memset(chunk, '#', sizeof(chunk));
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n",
			 strcmp(path, "/big") ? "" : "Content-Length: 2097152\r\n");
		http_server_send(fd, head, strlen(head));
		for (int i = 0; i < 32; i++)
			http_server_send(fd, chunk, sizeof(chunk));
	} else if (!strcmp(path, "/redirect")) {
		http_server_reply(fd, "302 Found", "Location: /ok\r\n", "", 0);
	} else if (!strncmp(path, "/r/", 3)) {
		int n = atoi(path + 3);

		if (n == 0) {
			http_server_reply(fd, "302 Found", "Location: /ok\r\n", "", 0);
		} else {
			char loc[64];

			snprintf(loc, sizeof(loc), "Location: /r/%d\r\n", n - 1);
			http_server_reply(fd, "302 Found", loc, "", 0);
		}
	} else if (!strcmp(path, "/ftp")) {
		http_server_reply(fd, "302 Found", "Location: ftp://127.0.0.1/feed\r\n", "", 0);
	} else if (!strcmp(path, "/headers")) {
		http_server_reply(fd, "200 OK", NULL, hdrs, strlen(hdrs));
	} else {
		http_server_reply(fd, "404 Not Found", NULL, "", 0);
	}
}

static int group_setup(void **state)
{
	if (http_fetch_global_init())
		return -1;
	http_server_start(&srv, handle, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	http_server_stop(&srv);
	return 0;
}

static void url(char *buf, size_t size, const char *scheme, const char *path)
{
	snprintf(buf, size, "%s://127.0.0.1:%d%s", scheme, srv.port, path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_ok(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u};
	struct http_result r;

	url(u, sizeof(u), "http", "/ok");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, strlen(OK_BODY));
	assert_string_equal(r.body, OK_BODY);
	assert_string_equal(r.etag, "\"v1\"");
	assert_string_equal(r.last_modified, LM);
	assert_int_equal(r.redirects, 0);
	assert_string_equal(r.error, "");
	http_result_fini(&r);
	assert_null(r.body);
}

static void test_etag_304(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u, .etag = "\"v1\""};
	struct http_result r;

	url(u, sizeof(u), "http", "/etag");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.len, 0);
	assert_string_equal(r.body, "");
	assert_string_equal(r.etag, "\"v1\"");
	/* Another tag: the whole body. */
	o.etag = "\"v0\"";
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, OK_BODY);
	http_result_fini(&r);
}

static void test_last_modified_304(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u, .last_modified = LM};
	struct http_result r;

	url(u, sizeof(u), "http", "/lm");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.status, 304);
	o.last_modified = NULL;
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.last_modified, LM);
	assert_null(r.etag);
	http_result_fini(&r);
}

static void test_500(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u};
	struct http_result r;

	url(u, sizeof(u), "http", "/500");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -EPROTO);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.error, "HTTP 500 Internal Server Error");
	assert_null(r.body);
	url(u, sizeof(u), "http", "/nowhere");
	assert_int_equal(http_fetch(&o, &r), -EPROTO);
	assert_string_equal(r.error, "HTTP 404 Not Found");
	http_result_fini(&r);
}

static void test_hang_low_speed(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u, .low_speed_time_s = 1, .timeout_ms = 15000};
	struct http_result r;
	double t0 = now_s(), dt;

	url(u, sizeof(u), "http", "/hang");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -ETIMEDOUT);
	dt = now_s() - t0;
	assert_string_equal(r.error, "stalled: no data for 1 s");
	assert_true(dt >= 0.9 && dt < 5);
	assert_null(r.body);
	http_result_fini(&r);
}

static void test_total_timeout(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u, .low_speed_time_s = 5, .timeout_ms = 1000};
	struct http_result r;
	double t0 = now_s(), dt;

	url(u, sizeof(u), "http", "/trickle");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -ETIMEDOUT);
	dt = now_s() - t0;
	assert_string_equal(r.error, "timed out after 1 s");
	assert_true(dt >= 0.9 && dt < 4);
	o.timeout_ms = 1500;
	assert_int_equal(http_fetch(&o, &r), -ETIMEDOUT);
	assert_string_equal(r.error, "timed out after 1.5 s");
	http_result_fini(&r);
}

static void test_oversize(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u, .max_body = 1u << 20};
	struct http_result r;

	http_result_init(&r);
	/* Announced: refused before the body is read. */
	url(u, sizeof(u), "http", "/big");
	assert_int_equal(http_fetch(&o, &r), -EFBIG);
	assert_string_equal(r.error, "body larger than 1048576 bytes");
	assert_null(r.body);
	assert_int_equal(r.len, 0);
	/* Not announced: cut off while it arrives. */
	url(u, sizeof(u), "http", "/big-close");
	assert_int_equal(http_fetch(&o, &r), -EFBIG);
	assert_string_equal(r.error, "body larger than 1048576 bytes");
	/* The same body under a limit it fits in. */
	o.max_body = 2u << 20;
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.len, 2u << 20);
	http_result_fini(&r);
}

static void test_redirects(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u};
	struct http_result r;

	http_result_init(&r);
	url(u, sizeof(u), "http", "/redirect");
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.redirects, 1);
	assert_string_equal(r.body, OK_BODY);
	assert_string_equal(r.etag, "\"v1\""); /* the final response's */
	/* /r/4 -> /r/3 -> ... -> /r/0 -> /ok: five, the most that is followed. */
	url(u, sizeof(u), "http", "/r/4");
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_int_equal(r.redirects, HTTP_FETCH_REDIRECTS);
	url(u, sizeof(u), "http", "/r/5");
	assert_int_equal(http_fetch(&o, &r), -ELOOP);
	assert_string_equal(r.error, "more than 5 redirects");
	/* Another scheme is never followed. */
	url(u, sizeof(u), "http", "/ftp");
	assert_int_equal(http_fetch(&o, &r), -EINVAL);
	assert_non_null(strstr(r.error, "not an http(s) URL"));
	http_result_fini(&r);
}

static void test_refused(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u};
	struct http_result r;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/feed", http_server_closed_port());
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -ECONNREFUSED);
	assert_string_equal(r.error, "connection refused");
	assert_int_equal(r.status, 0);
	http_result_fini(&r);
}

static void test_tls_to_plain_server(void **state)
{
	char u[128];
	struct http_fetch_opts o = {.url = u, .timeout_ms = 5000};
	struct http_result r;

	url(u, sizeof(u), "https", "/ok");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -ECONNABORTED);
	assert_memory_equal(r.error, "TLS: ", 5);
	http_result_fini(&r);
}

static void test_bad_urls(void **state)
{
	struct http_fetch_opts o = {.url = "ftp://127.0.0.1/feed"};
	struct http_result r;

	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -EINVAL);
	assert_string_equal(r.error, "not an http:// or https:// URL");
	o.url = NULL;
	assert_int_equal(http_fetch(&o, &r), -EINVAL);
	http_result_fini(&r);
}

static void test_headers_sent(void **state)
{
	char u[128];
	const struct http_header h[] = {{"X-Api-Key", "s3cret"}, {"Accept", "text/plain"}};
	struct http_fetch_opts o = {.url = u, .headers = h, .nheaders = 2, .etag = "\"e\""};
	struct http_result r;

	url(u, sizeof(u), "http", "/headers");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), 0);
	assert_non_null(strstr(r.body, "\r\nX-Api-Key: s3cret\r\n"));
	assert_non_null(strstr(r.body, "\r\nAccept: text/plain\r\n"));
	assert_non_null(strstr(r.body, "If-None-Match: \"e\"\r\n"));
	assert_null(strstr(r.body, "If-Modified-Since"));
	http_result_fini(&r);
}

static void test_cancel(void **state)
{
	char u[128];
	atomic_bool cancel = true;
	struct http_fetch_opts o = {.url = u, .cancel = &cancel};
	struct http_result r;
	double t0 = now_s();

	url(u, sizeof(u), "http", "/hang");
	http_result_init(&r);
	assert_int_equal(http_fetch(&o, &r), -ECANCELED);
	assert_string_equal(r.error, "cancelled");
	assert_true(now_s() - t0 < 2);
	http_result_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_etag_304),
		cmocka_unit_test(test_last_modified_304),
		cmocka_unit_test(test_500),
		cmocka_unit_test(test_hang_low_speed),
		cmocka_unit_test(test_total_timeout),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_tls_to_plain_server),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_headers_sent),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
