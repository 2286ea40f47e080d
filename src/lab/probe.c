/* SPDX-License-Identifier: Apache-2.0 */
#include "lab/probe.h"

#include "lab/proc.h"
#include "lib/resource.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sockets one source has open at a time; more cells are probed in rounds. */
#define ROUND_MAX 512
#define REPLY_MAX 256

enum cell_state {
	CELL_CONNECTING,
	CELL_READING,
	CELL_WAITING, /* UDP: sent, waiting for the reply */
	CELL_DONE,
};

struct cell {
	int fd;
	uint8_t proto;
	enum cell_state state;
	struct sockaddr_in to;
	uint16_t sport;	    /* UDP: bind to this source port first (0: any) */
	const char *expect; /* "ns/pod" */
	char buf[REPLY_MAX];
	size_t got;
	int sends;
	bool ok;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The reply is the name and a newline. */
static bool reply_ok(const struct cell *c)
{
	size_t n = strlen(c->expect);

	return c->got == n + 1 && !memcmp(c->buf, c->expect, n) && c->buf[n] == '\n';
}

static void finish(struct cell *c, bool ok)
{
	c->ok = ok;
	c->state = CELL_DONE;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void cell_start(struct cell *c)
{
	int type = c->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;

	c->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		finish(c, false);
		return;
	}
	if (c->sport) {
		struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(c->sport)};

		/* A port in use (a pod serving it) falls back to one the kernel picks.  No
		 * SO_REUSEADDR: the probe must never share a responder's port. */
		bind(c->fd, (struct sockaddr *)&from, sizeof(from));
	}
	if (connect(c->fd, (struct sockaddr *)&c->to, sizeof(c->to)) < 0 && errno != EINPROGRESS) {
		finish(c, false);
		return;
	}
	if (c->proto == PROTO_TCP) {
		c->state = CELL_CONNECTING;
		return;
	}
	c->state = CELL_WAITING;
	if (send(c->fd, "?\n", 2, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		finish(c, false);
	c->sends = 1;
}

static void cell_event(struct cell *c, short rev)
{
	ssize_t n;

	if (c->state == CELL_CONNECTING) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
			finish(c, false);
			return;
		}
		if (!(rev & (POLLOUT | POLLIN)))
			return;
		c->state = CELL_READING;
		return;
	}
	n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			finish(c, false);
		return;
	}
	c->got += (size_t)n;
	if (c->state == CELL_WAITING || n == 0 || memchr(c->buf, '\n', c->got) ||
	    c->got == sizeof(c->buf))
		finish(c, reply_ok(c));
}

/* Probes cells[0..n) concurrently within timeout_ms. */
static void run_round(struct cell *cells, size_t n, int timeout_ms)
{
	struct pollfd *pf = calloc(n + 1, sizeof(*pf));
	size_t *idx = calloc(n + 1, sizeof(*idx));
	long long start = now_ms(), deadline = start + timeout_ms, resend = start + timeout_ms / 2;

	if (!pf || !idx)
		goto out;
	for (size_t i = 0; i < n; i++)
		cell_start(&cells[i]);
	for (;;) {
		size_t np = 0;
		long long t = now_ms(), until = deadline;

		if (t >= deadline)
			break;
		if (t >= resend) {
			for (size_t i = 0; i < n; i++)
				if (cells[i].state == CELL_WAITING && cells[i].sends < 2) {
					send(cells[i].fd, "?\n", 2, MSG_NOSIGNAL);
					cells[i].sends++;
				}
		} else {
			until = resend;
		}
		for (size_t i = 0; i < n; i++) {
			if (cells[i].state == CELL_DONE)
				continue;
			pf[np].fd = cells[i].fd;
			pf[np].events = cells[i].state == CELL_CONNECTING ? POLLOUT : POLLIN;
			pf[np].revents = 0;
			idx[np++] = i;
		}
		if (!np)
			break;
		if (poll(pf, (nfds_t)np, (int)(until - t)) < 0 && errno != EINTR)
			break;
		for (size_t k = 0; k < np; k++)
			if (pf[k].revents)
				cell_event(&cells[idx[k]], pf[k].revents);
	}
out:
	for (size_t i = 0; i < n; i++)
		if (cells[i].state != CELL_DONE)
			finish(&cells[i], false);
	free(pf);
	free(idx);
}

/* In the child, inside the source's namespace: every cell of one source, written to fd as
 * one byte each ('1' allowed, '0' not) in result order. */
static int probe_source(const struct probe_spec *ps, int fd)
{
	size_t per = ps->nprotos * ps->nports * ps->ndst, off = 0, nudp = 0;
	struct cell *cells = calloc(per + 1, sizeof(*cells));
	char *out = calloc(per + 1, 1);

	if (!cells || !out)
		return 1;
	for (size_t pi = 0; pi < ps->nprotos; pi++)
		for (size_t qi = 0; qi < ps->nports; qi++)
			for (size_t d = 0; d < ps->ndst; d++) {
				struct cell *c = &cells[(pi * ps->nports + qi) * ps->ndst + d];

				c->fd = -1;
				c->proto = ps->protos[pi];
				if (c->proto == PROTO_UDP && ps->udp_sport)
					c->sport = (uint16_t)(PROBE_SPORT_LO +
							      (ps->udp_sport + nudp++) %
								      PROBE_SPORT_RANGE);
				c->expect = ps->dst[d].name;
				c->to.sin_family = AF_INET;
				c->to.sin_port = htons(ps->ports[qi]);
				memcpy(&c->to.sin_addr, ps->dst[d].ip.a, 4);
			}
	for (size_t i = 0; i < per; i += ROUND_MAX)
		run_round(cells + i, per - i < ROUND_MAX ? per - i : ROUND_MAX, ps->timeout_ms);
	for (size_t i = 0; i < per; i++)
		out[i] = cells[i].ok ? '1' : '0';
	while (off < per) {
		ssize_t n = write(fd, out + off, per - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		off += (size_t)n;
	}
	return 0;
}

struct child {
	pid_t pid;
	int fd;
	size_t src;
	char *buf;
	size_t got;
	long long deadline;
	bool running;
};

static int child_start(const struct probe_spec *ps, struct child *c, size_t s, long long limit)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (c->pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		if (proc_enter_netns(ps->src[s].netns))
			_exit(3);
		_exit(probe_source(ps, p[1]));
	}
	close(p[1]);
	c->fd = p[0];
	c->src = s;
	c->got = 0;
	c->deadline = now_ms() + limit;
	c->running = true;
	return 0;
}

/* Reaps a child whose pipe is closed (or that is killed) and copies its cells. */
static int child_end(const struct probe_spec *ps, struct child *c, bool kill_it, bool *result,
		     char *err, size_t errsize)
{
	size_t per = ps->nprotos * ps->nports * ps->ndst;
	int st = 0;

	if (kill_it)
		kill(c->pid, SIGKILL);
	close(c->fd);
	waitpid(c->pid, &st, 0);
	c->running = false;
	if (kill_it) {
		snprintf(err, errsize, "probing from %s timed out", ps->src[c->src].name);
		return -1;
	}
	if (c->got < per || !WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, errsize, "probing from %s failed%s", ps->src[c->src].name,
			 WIFEXITED(st) && WEXITSTATUS(st) == 3
				 ? ": cannot enter its network namespace"
				 : "");
		return -1;
	}
	for (size_t i = 0; i < ps->nprotos * ps->nports; i++)
		for (size_t d = 0; d < ps->ndst; d++)
			result[(i * ps->nsrc + c->src) * ps->ndst + d] =
				c->buf[i * ps->ndst + d] == '1';
	return 0;
}

int probe_run(const struct probe_spec *ps, bool *result, char *err, size_t errsize)
{
	size_t per = ps->nprotos * ps->nports * ps->ndst, next = 0;
	size_t rounds = (per + ROUND_MAX - 1) / ROUND_MAX;
	/* A child needs rounds * timeout; anything beyond that and a margin is a hung child. */
	long long limit = (long long)(rounds ? rounds : 1) * ps->timeout_ms + 5000;
	struct child *ch = calloc(PROBE_PARALLEL, sizeof(*ch));
	int rc = 0;

	err[0] = '\0';
	memset(result, 0, ps->nsrc * per * sizeof(*result));
	if (!ch)
		return -1;
	for (size_t i = 0; i < PROBE_PARALLEL; i++) {
		ch[i].buf = calloc(per + 1, 1);
		if (!ch[i].buf) {
			snprintf(err, errsize, "out of memory");
			rc = -1;
			goto out;
		}
	}
	for (;;) {
		struct pollfd pf[PROBE_PARALLEL];
		size_t map[PROBE_PARALLEL], np = 0;
		long long t, first = 0;

		for (size_t i = 0; i < PROBE_PARALLEL && next < ps->nsrc; i++) {
			if (ch[i].running)
				continue;
			if (child_start(ps, &ch[i], next, limit) < 0) {
				snprintf(err, errsize, "cannot start a prober: %s",
					 strerror(errno));
				rc = -1;
				next = ps->nsrc;
				break;
			}
			next++;
		}
		t = now_ms();
		for (size_t i = 0; i < PROBE_PARALLEL; i++) {
			if (!ch[i].running)
				continue;
			if (t >= ch[i].deadline) {
				rc |= child_end(ps, &ch[i], true, result, err, errsize);
				continue;
			}
			if (!np || ch[i].deadline < first)
				first = ch[i].deadline;
			pf[np] = (struct pollfd){.fd = ch[i].fd, .events = POLLIN};
			map[np++] = i;
		}
		if (!np) {
			if (next >= ps->nsrc)
				break;
			continue;
		}
		if (poll(pf, (nfds_t)np, (int)(first - t)) < 0 && errno != EINTR)
			break;
		for (size_t k = 0; k < np; k++) {
			struct child *c = &ch[map[k]];
			ssize_t n;

			if (!pf[k].revents)
				continue;
			n = read(c->fd, c->buf + c->got, per - c->got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0) {
				c->got += (size_t)n;
				if (c->got < per)
					continue;
			}
			rc |= child_end(ps, c, false, result, err, errsize);
		}
	}
out:
	for (size_t i = 0; i < PROBE_PARALLEL; i++) {
		if (ch[i].running)
			child_end(ps, &ch[i], true, result, err, errsize);
		free(ch[i].buf);
	}
	free(ch);
	return rc ? -1 : 0;
}
