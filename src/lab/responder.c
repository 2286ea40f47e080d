/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade lab-responder --name NS/POD [--tcp 80,81] [--udp 53] [--pidfile PATH]
 *
 * The lab's stand-in for a pod's containers, run inside the pod's network namespace by
 * `palisade lab up`: it listens on every declared container port, answers each TCP
 * connection with "NS/POD\n" and closes it, and answers each UDP datagram with the same
 * text.  `lab probe` counts a cell as allowed when that name comes back.  SCTP ports are not
 * served (the lab's probe speaks TCP and UDP only).  The pid file is written once every
 * socket is bound: it is the lab's signal that the pod is ready.  SIGTERM ends it.
 */
#include "cli/cmd.h"

#include "lab/labfs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESPONDER_PORTS_MAX 256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void logline(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logline(const char *level, const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "ts=%s level=%s msg=\"", ts, level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\"\n");
}

/* Parses "80,81" into ports[]; returns the count or -1. */
static int parse_ports(const char *s, uint16_t *ports, int max)
{
	int n = 0;

	while (*s) {
		char *end;
		long v = strtol(s, &end, 10);

		if (end == s || v < 1 || v > 65535 || (*end && *end != ',') || n == max)
			return -1;
		ports[n++] = (uint16_t)v;
		s = *end ? end + 1 : end;
	}
	return n;
}

static int listen_on(int type, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: palisade lab-responder --name NS/POD [--tcp PORTS] [--udp PORTS] "
		   "[--pidfile PATH]\n"
		   "(internal: started by `palisade lab up` inside a pod's namespace)\n");
}

int cmd_lab_responder(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'}, {"tcp", required_argument, NULL, 't'},
		{"udp", required_argument, NULL, 'u'},	{"pidfile", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},	{0},
	};
	uint16_t tcp[RESPONDER_PORTS_MAX], udp[RESPONDER_PORTS_MAX];
	struct pollfd pf[2 * RESPONDER_PORTS_MAX];
	int ntcp = 0, nudp = 0, nfd = 0, c, rc = 2;
	const char *name = NULL, *pidfile = NULL;
	char reply[512], pid[32];
	struct sigaction sa = {.sa_handler = on_signal};
	size_t rlen;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 't':
			ntcp = parse_ports(optarg, tcp, RESPONDER_PORTS_MAX);
			break;
		case 'u':
			nudp = parse_ports(optarg, udp, RESPONDER_PORTS_MAX);
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!name || ntcp < 0 || nudp < 0 || optind < argc || strlen(name) + 2 > sizeof(reply)) {
		usage(stderr);
		return 2;
	}
	rlen = (size_t)snprintf(reply, sizeof(reply), "%s\n", name);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < ntcp + nudp; i++) {
		bool is_tcp = i < ntcp;
		uint16_t port = is_tcp ? tcp[i] : udp[i - ntcp];
		int fd = listen_on(is_tcp ? SOCK_STREAM : SOCK_DGRAM, port);

		if (fd < 0) {
			logline("error", "cannot listen on %s/%u: %s", is_tcp ? "TCP" : "UDP", port,
				strerror(errno));
			goto out;
		}
		pf[nfd].fd = fd;
		pf[nfd].events = POLLIN;
		nfd++;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (pidfile && labfs_write_atomic(pidfile, pid, strlen(pid))) {
		logline("error", "cannot write %s", pidfile);
		goto out;
	}
	logline("info", "responder for %s up: %d TCP, %d UDP ports", name, ntcp, nudp);
	while (!stop) {
		if (poll(pf, (nfds_t)nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			logline("error", "poll: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < nfd; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			if (i < ntcp) {
				/* Bounded: at most a batch of pending connections per wakeup. */
				for (int k = 0; k < 64; k++) {
					int cfd = accept4(pf[i].fd, NULL, NULL, SOCK_CLOEXEC);

					if (cfd < 0)
						break;
					send(cfd, reply, rlen, MSG_NOSIGNAL | MSG_DONTWAIT);
					close(cfd);
				}
			} else {
				for (int k = 0; k < 64; k++) {
					struct sockaddr_storage from;
					socklen_t flen = sizeof(from);
					char buf[512];

					if (recvfrom(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
						     (struct sockaddr *)&from, &flen) < 0)
						break;
					sendto(pf[i].fd, reply, rlen, MSG_DONTWAIT,
					       (struct sockaddr *)&from, flen);
				}
			}
		}
	}
	rc = 0;
out:
	for (int i = 0; i < nfd; i++)
		close(pf[i].fd);
	if (pidfile)
		unlink(pidfile);
	return rc;
}
