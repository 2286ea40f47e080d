/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Incremental set updates (DESIGN §5), `make bench`; needs root (prints nftdelta.SKIP
 * otherwise).  In a network namespace of its own (unshare: it goes away with the process),
 * loads an interval set of 200,000 random merged IPv4 prefixes (outside 10/8 and 127/8)
 * into table inet palisade, then times adding 100 addresses and deleting 100 of the set's
 * prefixes:
 *   nftdelta.netlink_ms   with nft_netlink_apply(): one netlink batch for the adds, one for
 *                         the deletes
 *   nftdelta.nft_cmd_ms   with the nft command run as a process, once for the adds and once
 *                         for the deletes (other addresses and prefixes, so that both do the
 *                         same work)
 *   nftdelta.ratio        nft_cmd_ms / netlink_ms
 * and, for scale, nftdelta.load_ms: the set loaded by libnftables in one transaction.
 *
 * The same for single addresses, which Palisade keeps in hash sets (DESIGN §5: a network
 * set's /32 entries go to the address set's hash set, its prefixes to the interval set):
 * a hash set of 200,000 random addresses, 100 added and 100 of them removed,
 *   nftdelta.addr_netlink_ms, nftdelta.addr_nft_cmd_ms, nftdelta.addr_ratio.
 * The interval set's time is the kernel's: its commit grows with the set's size (measured
 * here with strace: 37-49 ms in the sendto of one 100-element batch at 200,000 prefixes,
 * about 1.5 ms at 20,000).  NFTDELTA_ELEMENTS changes the sets' size.
 */
#include "dataplane/nft_apply.h"
#include "dataplane/nft_delta.h"
#include "dataplane/nft_netlink.h"
#include "lib/cidr.h"
#include "lib/strbuf.h"
#include "lib/strmap.h"

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHANGE 100

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* A random prefix of length 20..32 in 1.0.0.0-223.255.255.255, outside 10/8 and 127/8. */
static void random_prefix(struct cidr *c)
{
	uint32_t a;
	struct ipaddr ip;

	do {
		a = rnd();
	} while ((a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 || (a >> 24) >= 224);
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.a[0] = (uint8_t)(a >> 24);
	ip.a[1] = (uint8_t)(a >> 16);
	ip.a[2] = (uint8_t)(a >> 8);
	ip.a[3] = (uint8_t)a;
	cidr_from_addr(&ip, 20 + rnd() % 13, c);
}

/* As the renderer prints prefixes: a single address without its length. */
static void fmt(const struct cidr *c, char *buf, size_t size)
{
	if (c->len == 32)
		ipaddr_format(&c->addr, buf, size);
	else
		cidr_format(c, buf, size);
}

static int run_nft(const char *cmd)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execlp("nft", "nft", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* "verb element inet palisade SET { e, e, ... }" */
static void nft_cmd(struct strbuf *b, const char *verb, const char *set, char **v, size_t n)
{
	strbuf_reset(b);
	strbuf_printf(b, "%s element inet palisade %s { ", verb, set);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(b, "%s%s", i ? ", " : "", v[i]);
	strbuf_puts(b, " }");
}

/* Applies adds or deletes to a set through netlink; returns the time in ms or -1. */
static double netlink_set(const char *set, bool interval, char **v, size_t n, int del, int quiet)
{
	struct nft_delta_set s = {.name = (char *)set, .type = "ipv4_addr", .interval = interval};
	struct nft_delta d = {.sets = &s, .nsets = 1};
	char err[256];
	double t0 = now_ms();

	if (del) {
		s.del = v;
		s.ndel = n;
	} else {
		s.add = v;
		s.nadd = n;
	}
	if (nft_netlink_apply(&d, err, sizeof(err))) {
		if (!quiet)
			fprintf(stderr, "nftdelta: netlink: %s\n", err);
		return -1;
	}
	return now_ms() - t0;
}

static char **strs(size_t n)
{
	char **v = calloc(n, sizeof(*v));

	for (size_t i = 0; v && i < n; i++) {
		v[i] = malloc(CIDR_STRLEN);
		if (!v[i])
			return NULL;
	}
	return v;
}

/* The interval set "feed". */
static double netlink(char **v, size_t n, int del, int quiet)
{
	return netlink_set("feed", true, v, n, del, quiet);
}

/* A random unicast address outside 10/8 and 127/8, as text. */
static void random_addr(char *buf, size_t size)
{
	struct cidr c;

	random_prefix(&c);
	c.addr.a[3] = (uint8_t)rnd();
	c.addr.a[2] = (uint8_t)rnd();
	ipaddr_format(&c.addr, buf, size);
}

/*
 * Single addresses in a hash set of n elements: 100 added and 100 of the set's removed,
 * by netlink and by the nft command.  Prints the addr_* lines; 0 or -1.
 */
static int addresses(struct nft_applier *nft, size_t n)
{
	struct strmap seen;
	struct strbuf script, cmd;
	char **all = strs(n), **add_nl = strs(NCHANGE), **add_cmd = strs(NCHANGE),
	     buf[IPADDR_STRLEN];
	char *del_nl[NCHANGE], *del_cmd[NCHANGE];
	const char *err;
	double t0, a_nl, d_nl, a_cmd, d_cmd;
	size_t k = 0;
	int rc = -1;

	if (!all || !add_nl || !add_cmd)
		return -1;
	strmap_init(&seen);
	strbuf_init(&script);
	strbuf_init(&cmd);
	strbuf_puts(&script, "table inet palisade {\n\tset addrs {\n\t\ttype ipv4_addr\n"
			     "\t\telements = { ");
	while (k < n + 2 * NCHANGE) {
		random_addr(buf, sizeof(buf));
		if (strmap_get(&seen, buf) != UINT32_MAX)
			continue;
		strmap_put(&seen, buf, 1);
		if (k < n) {
			strbuf_printf(&script, "%s%s", k ? ",\n\t\t\t     " : "", buf);
			snprintf(all[k], CIDR_STRLEN, "%s", buf);
		} else if (k < n + NCHANGE) {
			snprintf(add_nl[k - n], CIDR_STRLEN, "%s", buf);
		} else {
			snprintf(add_cmd[k - n - NCHANGE], CIDR_STRLEN, "%s", buf);
		}
		k++;
	}
	strbuf_puts(&script, " }\n\t}\n}\n");
	/* Removed: addresses spread over the set, different ones for each path. */
	for (size_t i = 0; i < NCHANGE; i++) {
		del_nl[i] = all[(2 * i) * (n / (2 * NCHANGE))];
		del_cmd[i] = all[(2 * i + 1) * (n / (2 * NCHANGE))];
	}
	if (script.oom || nft_applier_run(nft, strbuf_str(&script), &err)) {
		fprintf(stderr, "nftdelta: loading the address set failed\n");
		goto out;
	}
	a_nl = netlink_set("addrs", false, add_nl, NCHANGE, 0, 0);
	d_nl = netlink_set("addrs", false, del_nl, NCHANGE, 1, 0);
	if (a_nl < 0 || d_nl < 0)
		goto out;
	nft_cmd(&cmd, "add", "addrs", add_cmd, NCHANGE);
	t0 = now_ms();
	if (run_nft(strbuf_str(&cmd)))
		goto out;
	a_cmd = now_ms() - t0;
	nft_cmd(&cmd, "delete", "addrs", del_cmd, NCHANGE);
	t0 = now_ms();
	if (run_nft(strbuf_str(&cmd)))
		goto out;
	d_cmd = now_ms() - t0;
	/* Both paths did their work: a second delete of a removed address fails, the added
	 * ones can be deleted. */
	if (netlink_set("addrs", false, del_nl, 1, 1, 1) >= 0 ||
	    netlink_set("addrs", false, del_cmd, 1, 1, 1) >= 0 ||
	    netlink_set("addrs", false, add_nl, NCHANGE, 1, 0) < 0 ||
	    netlink_set("addrs", false, add_cmd, NCHANGE, 1, 0) < 0) {
		printf("nftdelta.FAIL the address set does not hold what the changes made\n");
		goto out;
	}
	printf("nftdelta.addr_set_elements %zu (hash set)\n", n);
	printf("nftdelta.addr_netlink_add_ms %.2f\nnftdelta.addr_netlink_del_ms %.2f\n", a_nl,
	       d_nl);
	printf("nftdelta.addr_netlink_ms %.2f\n", a_nl + d_nl);
	printf("nftdelta.addr_nft_cmd_ms %.1f\n", a_cmd + d_cmd);
	printf("nftdelta.addr_ratio %.0f\n", (a_cmd + d_cmd) / (a_nl + d_nl));
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	for (size_t i = 0; i < NCHANGE; i++) {
		free(add_nl[i]);
		free(add_cmd[i]);
	}
	free(all);
	free(add_nl);
	free(add_cmd);
	strmap_fini(&seen);
	strbuf_fini(&script);
	strbuf_fini(&cmd);
	return rc;
}

int main(void)
{
	const char *env = getenv("NFTDELTA_ELEMENTS");
	size_t want = env ? strtoul(env, NULL, 10) : 200000, n = 0, cap;
	char **add_nl, **add_cmd, **del_nl, **del_cmd;
	struct nft_applier *nft = NULL;
	struct strbuf script, cmd;
	struct cidr *v;
	const char *err;
	double t0, load, a_nl, d_nl, a_cmd, d_cmd;

	if (geteuid() != 0) {
		printf("nftdelta.SKIP needs root (network namespaces)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET)) {
		printf("nftdelta.SKIP cannot create a network namespace\n");
		return 0;
	}
	if (want < 4 * NCHANGE)
		want = 4 * NCHANGE;
	cap = want + want / 4 + 16;
	v = malloc(cap * sizeof(*v));
	add_nl = strs(NCHANGE);
	add_cmd = strs(NCHANGE);
	del_nl = strs(NCHANGE);
	del_cmd = strs(NCHANGE);
	if (!v || !add_nl || !add_cmd || !del_nl || !del_cmd)
		return 1;
	/* Random prefixes, merged, until there are enough: merging only shrinks the list. */
	while (n < want) {
		while (n < cap)
			random_prefix(&v[n++]);
		n = cidr_merge(v, n);
	}
	n = want;
	strbuf_init(&script);
	strbuf_init(&cmd);
	strbuf_puts(&script, "add table inet palisade\ndelete table inet palisade\n"
			     "table inet palisade {\n\tset feed {\n\t\ttype ipv4_addr\n"
			     "\t\tflags interval\n\t\telements = { ");
	for (size_t i = 0; i < n; i++) {
		char buf[CIDR_STRLEN];

		fmt(&v[i], buf, sizeof(buf));
		strbuf_printf(&script, "%s%s", i ? ",\n\t\t\t     " : "", buf);
	}
	strbuf_puts(&script, " }\n\t}\n}\n");
	/* The changes: addresses in 10/8 (in no prefix), and prefixes spread over the set. */
	for (size_t i = 0; i < NCHANGE; i++) {
		snprintf(add_nl[i], CIDR_STRLEN, "10.1.%zu.%zu", i / 200, i % 200 + 1);
		snprintf(add_cmd[i], CIDR_STRLEN, "10.2.%zu.%zu", i / 200, i % 200 + 1);
		fmt(&v[(2 * i) * (n / (2 * NCHANGE))], del_nl[i], CIDR_STRLEN);
		fmt(&v[(2 * i + 1) * (n / (2 * NCHANGE))], del_cmd[i], CIDR_STRLEN);
	}
	nft = nft_applier_new();
	if (!nft || script.oom)
		return 1;
	t0 = now_ms();
	if (nft_applier_run(nft, strbuf_str(&script), &err)) {
		fprintf(stderr, "nftdelta: loading the set: %s\n", err);
		return 1;
	}
	load = now_ms() - t0;
	printf("nftdelta.set_elements %zu\nnftdelta.load_ms %.1f\n", n, load);
	fflush(stdout);

	a_nl = netlink(add_nl, NCHANGE, 0, 0);
	d_nl = netlink(del_nl, NCHANGE, 1, 0);
	if (a_nl < 0 || d_nl < 0)
		return 1;
	printf("nftdelta.netlink_add_ms %.2f\nnftdelta.netlink_del_ms %.2f\n", a_nl, d_nl);
	printf("nftdelta.netlink_ms %.2f\n", a_nl + d_nl);
	fflush(stdout);

	nft_cmd(&cmd, "add", "feed", add_cmd, NCHANGE);
	t0 = now_ms();
	if (run_nft(strbuf_str(&cmd)))
		return 1;
	a_cmd = now_ms() - t0;
	nft_cmd(&cmd, "delete", "feed", del_cmd, NCHANGE);
	t0 = now_ms();
	if (run_nft(strbuf_str(&cmd)))
		return 1;
	d_cmd = now_ms() - t0;
	printf("nftdelta.nft_cmd_add_ms %.1f\nnftdelta.nft_cmd_del_ms %.1f\n", a_cmd, d_cmd);
	printf("nftdelta.nft_cmd_ms %.1f\n", a_cmd + d_cmd);
	printf("nftdelta.ratio %.0f\n", (a_cmd + d_cmd) / (a_nl + d_nl));

	/* Both paths did their work: the deleted prefixes are gone, the added addresses are
	 * there (a second delete of each fails; the first delete of an added one works). */
	if (netlink(del_nl, 1, 1, 1) >= 0 || netlink(del_cmd, 1, 1, 1) >= 0 ||
	    netlink(add_nl, NCHANGE, 1, 0) < 0 || netlink(add_cmd, NCHANGE, 1, 0) < 0) {
		printf("nftdelta.FAIL the set does not hold what the changes made\n");
		return 1;
	}
	fflush(stdout);
	if (addresses(nft, n))
		return 1;
	nft_applier_free(nft);
	strbuf_fini(&script);
	strbuf_fini(&cmd);
	return 0;
}
