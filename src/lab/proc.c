/* SPDX-License-Identifier: Apache-2.0 */
#include "lab/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX (1u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* Appends what is readable on fd to *buf (growing), up to max bytes; returns false at EOF. */
static bool drain(int fd, char **buf, size_t *len, size_t *cap, size_t max)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (*len + (size_t)n + 1 > *cap && *len < max) {
		size_t nc = *cap ? *cap : 4096;
		char *nb;

		while (nc < *len + (size_t)n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return true;
		*buf = nb;
		*cap = nc;
	}
	if (*len + (size_t)n + 1 <= *cap) {
		memcpy(*buf + *len, tmp, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
	return true;
}

int proc_run(char *const argv[], int timeout_ms, char **out, char *err, size_t errsize)
{
	int opipe[2] = {-1, -1}, epipe[2] = {-1, -1}, st = 0, rc;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	bool oopen, eopen = true;
	long long deadline = now_ms() + timeout_ms;
	pid_t pid;

	if (out)
		*out = NULL;
	if (err && errsize)
		err[0] = '\0';
	if (pipe2(epipe, O_CLOEXEC) < 0 || (out && pipe2(opipe, O_CLOEXEC) < 0)) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, STDIN_FILENO);
		dup2(out ? opipe[1] : devnull, STDOUT_FILENO);
		dup2(epipe[1], STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(epipe[1]);
	epipe[1] = -1;
	if (out) {
		close(opipe[1]);
		opipe[1] = -1;
	}
	oopen = out != NULL;
	while (oopen || eopen) {
		struct pollfd pf[2];
		int n = 0, left = (int)(deadline - now_ms());

		if (left <= 0)
			break;
		if (eopen)
			pf[n++] = (struct pollfd){.fd = epipe[0], .events = POLLIN};
		if (oopen)
			pf[n++] = (struct pollfd){.fd = opipe[0], .events = POLLIN};
		if (poll(pf, (nfds_t)n, left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == epipe[0])
				eopen = drain(epipe[0], &ebuf, &elen, &ecap, 64 * 1024);
			else
				oopen = drain(opipe[0], &obuf, &olen, &ocap, OUT_MAX);
		}
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			st = 255 << 8;
			break;
		}
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			if (err && errsize)
				snprintf(err, errsize, "%s: timed out after %d ms", argv[0],
					 timeout_ms);
			rc = 124;
			goto out;
		}
		usleep(2000);
	}
	rc = decode_status(st);
	if (err && errsize && ebuf) {
		while (elen && ebuf[elen - 1] == '\n')
			ebuf[--elen] = '\0';
		snprintf(err, errsize, "%s", ebuf);
	}
	if (out) {
		*out = obuf ? obuf : strdup("");
		obuf = NULL;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	free(obuf);
	free(ebuf);
	return rc;
}

pid_t proc_spawn(char *const argv[], const char *log_path)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

		setsid();
		dup2(devnull, STDIN_FILENO);
		dup2(log >= 0 ? log : devnull, STDOUT_FILENO);
		dup2(log >= 0 ? log : devnull, STDERR_FILENO);
		/* Nothing of ours (state files, pipes) leaks into the daemon. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

bool proc_exited(pid_t pid, int *status)
{
	int st;
	pid_t w = waitpid(pid, &st, WNOHANG);

	if (w != pid)
		return false;
	if (status)
		*status = decode_status(st);
	return true;
}

char *proc_self_exe(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

int proc_enter_netns(const char *name)
{
	char path[512];
	int fd, err = 0;

	if (strchr(name, '/') ||
	    snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
	return err;
}

bool proc_cmdline_has(pid_t pid, const char *needle)
{
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strstr(buf + i, needle))
			return true;
	return false;
}

/* A zombie is dead: its parent (init, for the lab's daemons) reaps it in its own time. */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int st, fd;

	if (waitpid(pid, &st, WNOHANG) == pid)
		return false;
	if (kill(pid, 0) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	rp = strrchr(buf, ')');
	return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

size_t proc_stop(const pid_t *pids, size_t n, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t left = 0;

	for (size_t i = 0; i < n; i++)
		if (pids[i] > 1)
			kill(pids[i], SIGTERM);
	for (;;) {
		left = 0;
		for (size_t i = 0; i < n; i++)
			if (pids[i] > 1 && alive(pids[i]))
				left++;
		if (!left || now_ms() >= deadline)
			break;
		usleep(20000);
	}
	if (!left)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 1 && alive(pids[i]))
			kill(pids[i], SIGKILL);
	usleep(50000);
	left = 0;
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 1 && alive(pids[i]))
			left++;
	return left;
}
