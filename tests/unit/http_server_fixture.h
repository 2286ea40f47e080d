/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_TESTS_HTTP_SERVER_FIXTURE_H
#define PALISADE_TESTS_HTTP_SERVER_FIXTURE_H

/*
 * A tiny HTTP/1.1 server on 127.0.0.1 for the tests of the feed fetcher and puller
 * (test_http_fetch.c, test_feeds.c).  It runs in a child process that accepts connections and
 * forks one more process per connection, so a handler that hangs (as a broken feed server
 * would) holds up nothing else; every handler process ends within HTTP_SERVER_HANDLER_MAX_S
 * seconds whatever it does.  The handler gets the request's method, path and header block
 * and writes the whole response itself.  The server's state lives in the test's files, as it
 * is another process.  Include after <cmocka.h>; functions are static inline.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define HTTP_SERVER_HANDLER_MAX_S 20

typedef void (*http_handler_fn)(int fd, const char *method, const char *path, const char *headers,
				void *arg);

struct http_server {
	pid_t pid;
	int port;
};

/* Writes all of s (n bytes); gives up quietly when the client has gone. */
static inline void http_server_send(int fd, const void *s, size_t n)
{
	const char *p = s;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* A whole response with Content-Length; extra is more header lines, each ending in \r\n. */
static inline void http_server_reply(int fd, const char *status, const char *extra,
				     const char *body, size_t len)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
			 status, len, extra ? extra : "");

	http_server_send(fd, head, (size_t)n);
	http_server_send(fd, body, len);
}

/* The value of header name in the request's header block, into buf ("" when absent). */
static inline const char *http_server_header(const char *headers, const char *name, char *buf,
					     size_t size)
{
	size_t n = strlen(name);

	buf[0] = '\0';
	for (const char *l = headers; l && *l;
	     l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL) {
		if (!strncasecmp(l, name, n) && l[n] == ':') {
			const char *v = l + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(buf, size, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			break;
		}
	}
	return buf;
}

/* One connection: reads the request head (bounded in size and time) and calls h. */
static inline void http_server_conn(int fd, http_handler_fn h, void *arg)
{
	char req[8192], method[16] = "", path[2048] = "";
	size_t len = 0;
	const char *hdrs;

	alarm(HTTP_SERVER_HANDLER_MAX_S);
	while (len + 1 < sizeof(req)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			_exit(0);
		r = recv(fd, req + len, sizeof(req) - 1 - len, 0);
		if (r <= 0)
			_exit(0);
		len += (size_t)r;
		req[len] = '\0';
		if ((unsigned char)req[0] == 0x16) {
			/* A TLS handshake: answer in plain HTTP, as a plain server would. */
			http_server_reply(fd, "400 Bad Request", NULL, "", 0);
			_exit(0);
		}
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (sscanf(req, "%15s %2047s", method, path) != 2)
		_exit(0);
	hdrs = strstr(req, "\r\n");
	h(fd, method, path, hdrs ? hdrs + 2 : "", arg);
	shutdown(fd, SHUT_WR);
	_exit(0);
}

/* Starts the server; s->port is where it listens. */
static inline void http_server_start(struct http_server *s, http_handler_fn h, void *arg)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 64), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	fflush(NULL);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* The test's output is not held open by a handler that is still sleeping. */
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
		signal(SIGCHLD, SIG_IGN); /* handlers are reaped by the kernel */
		for (;;) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				continue;
			if (fork() == 0) {
				close(lfd);
				http_server_conn(fd, h, arg);
			}
			close(fd);
		}
	}
	close(lfd);
}

/* Stops the server (its handlers end by themselves, within HTTP_SERVER_HANDLER_MAX_S). */
static inline void http_server_stop(struct http_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* A port on 127.0.0.1 where nothing listens (bound once, then closed). */
static inline int http_server_closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

#endif
