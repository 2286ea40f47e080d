/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCP request/response load for the forwarding benchmark (bench/bench_fwd.sh), in the
 * manner of netperf's TCP_RR and TCP_CRR.  Not a benchmark of its own: `make bench` builds
 * it as build/bench/tcp_rr and bench_fwd.sh runs it inside lab pods.
 *
 *   tcp_rr server PORT [MAX_SECONDS]
 *       listens on PORT (all addresses) and answers every byte received with one byte;
 *       exits after MAX_SECONDS (default 120, at most 600) so a forgotten server goes away.
 *   tcp_rr rr  HOST PORT CONNS SECONDS
 *       CONNS connections (1..64), each doing 1-byte request / 1-byte response ping-pong for
 *       SECONDS (at most 10); established connections take conntrack's fast path.
 *   tcp_rr crr HOST PORT CONNS SECONDS
 *       a new connection per transaction: connect, 1 byte, 1 byte back, close (with an RST,
 *       so the client leaves no TIME_WAIT and does not run out of ports); CONNS of them in
 *       flight at once.  Every one is a new connection that traverses the policy chains.
 *
 * Client modes print one line: "<mode> <transactions/s> tps (<n> transactions in <s> s,
 * <c> connections, <e> errors, longest gap <g> ms)" and exit 1 if no transaction completed;
 * the longest gap is the longest wait for any reply, which shows a stalled connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   64
#define MAX_SECONDS 10
#define MAX_EVENTS  128

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "tcp_rr: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl");
}

static void set_nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "tcp_rr: %s must be a number from %ld to %ld\n", what, lo, hi);
		exit(2);
	}
	return v;
}

static int run_server(int port, int max_seconds)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1, ep;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct epoll_event ev, evs[MAX_EVENTS];

	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(ls, 1024) < 0)
		die("listen");
	set_nonblock(ls);
	if ((ep = epoll_create1(0)) < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
		die("epoll_ctl");
	alarm((unsigned)max_seconds); /* default SIGALRM action ends the process */
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					set_nodelay(c);
					ev.events = EPOLLIN;
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
						close(c);
				}
				continue;
			}
			char buf[256];
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				/* one byte of answer per byte of request */
				if (write(fd, buf, (size_t)r) < 0 && errno != EAGAIN)
					close(fd);
			} else if (r == 0 || errno != EAGAIN) {
				close(fd); /* also leaves the epoll set */
			}
		}
	}
}

struct conn {
	int fd;
	bool connecting;
};

static int open_conn(const struct sockaddr_in *sa, struct conn *c, int ep, long *errors)
{
	struct epoll_event ev;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	set_nodelay(fd);
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
		(*errors)++;
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->connecting = true;
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	return 0;
}

static void close_rst(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int run_client(bool crr, const char *host, int port, int nconns, int seconds)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct conn conns[MAX_CONNS];
	struct epoll_event evs[MAX_EVENTS], ev;
	long done = 0, errors = 0;
	double last_done, max_gap = 0;
	int ep;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcp_rr: %s is not an IPv4 address\n", host);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((ep = epoll_create1(0)) < 0)
		die("epoll_create1");
	for (int i = 0; i < nconns; i++)
		while (open_conn(&sa, &conns[i], ep, &errors) < 0)
			if (errors > 1000)
				die("connect");
	double start = now_s(), end = start + seconds, t = start;

	last_done = start;
	while (t < end) {
		int ms = (int)((end - t) * 1000) + 1;
		int n = epoll_wait(ep, evs, MAX_EVENTS, ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			char b = 'x';
			if (c->connecting) {
				int err = 0;
				socklen_t len = sizeof(err);
				if (!(evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
					continue;
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err || write(c->fd, &b, 1) != 1)
					goto failed;
				c->connecting = false;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			ssize_t r = read(c->fd, &b, 1);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r != 1)
				goto failed;
			done++;
			/* The longest wait for any reply: a connection the network stopped carrying
			 * shows here even when it never errors out. */
			t = now_s();
			if (t - last_done > max_gap)
				max_gap = t - last_done;
			last_done = t;
			if (!crr) {
				if (write(c->fd, &b, 1) != 1)
					goto failed;
				continue;
			}
			close_rst(c->fd);
			while (open_conn(&sa, c, ep, &errors) < 0)
				if (errors > 100000)
					die("connect");
			continue;
		failed:
			errors++;
			close_rst(c->fd);
			while (open_conn(&sa, c, ep, &errors) < 0)
				if (errors > 100000)
					die("connect");
		}
		t = now_s();
	}
	double el = t - start;
	if (t - last_done > max_gap)
		max_gap = t - last_done;
	printf("%s %.0f tps (%ld transactions in %.2f s, %d connections, %ld errors, longest gap %.0f ms)\n",
	       crr ? "crr" : "rr", (double)done / el, done, el, nconns, errors, max_gap * 1e3);
	for (int i = 0; i < nconns; i++)
		close_rst(conns[i].fd);
	return done > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return run_server((int)parse_num(argv[2], 1, 65535, "PORT"),
				  argc > 3 ? (int)parse_num(argv[3], 1, 600, "MAX_SECONDS") : 120);
	if (argc == 6 && (!strcmp(argv[1], "rr") || !strcmp(argv[1], "crr")))
		return run_client(!strcmp(argv[1], "crr"), argv[2],
				  (int)parse_num(argv[3], 1, 65535, "PORT"),
				  (int)parse_num(argv[4], 1, MAX_CONNS, "CONNS"),
				  (int)parse_num(argv[5], 1, MAX_SECONDS, "SECONDS"));
	fprintf(stderr, "usage: tcp_rr server PORT [MAX_SECONDS]\n"
			"       tcp_rr rr|crr HOST PORT CONNS SECONDS\n");
	return 2;
}
