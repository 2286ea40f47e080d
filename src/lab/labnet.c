/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's network, built with `ip` (iproute2), one command per step, each checked.  A pod
 * is wired the way Calico wires it: the pod sees a /32 on eth0 and a default route to the
 * link-local 169.254.1.1, which the node answers by proxy ARP on the pod's veth; the node
 * routes the pod's /32 to that veth.  Nodes route each other's pod /24s over the fabric
 * bridge, which lives in a namespace of its own so that nothing touches the root namespace.
 */
#include "lab/labnet.h"

#include "lab/lab.h"
#include "lab/proc.h"
#include "lib/ifname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IP_TIMEOUT_MS 10000
#define IP_ARGS_MAX   24

/* Runs `ip ARGS...` (NULL-terminated); on failure describes the command and its error. */
static int ip(char *err, size_t errsize, ...)
{
	char *argv[IP_ARGS_MAX + 2], msg[512];
	size_t n = 0, off = 0;
	va_list ap;
	int rc;

	argv[n++] = "ip";
	va_start(ap, errsize);
	while (n < IP_ARGS_MAX) {
		char *a = va_arg(ap, char *);

		if (!a)
			break;
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	rc = proc_run(argv, IP_TIMEOUT_MS, NULL, msg, sizeof(msg));
	if (rc == 0)
		return 0;
	for (size_t i = 0; i < n && off < errsize; i++)
		off += (size_t)snprintf(err + off, errsize - off, "%s%s", i ? " " : "", argv[i]);
	if (off < errsize)
		snprintf(err + off, errsize - off, ": %s", rc < 0 ? strerror(-rc) : msg);
	return -1;
}

int labnet_sysctl(const char *netns, const char *key, const char *value)
{
	pid_t pid;
	int st;

	if (strstr(key, ".."))
		return -EINVAL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char path[512];
		int fd, err = proc_enter_netns(netns);
		size_t len = strlen(value);

		if (err)
			_exit(-err & 0xff);
		snprintf(path, sizeof(path), "/proc/sys/%s", key);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(errno & 0xff);
		if (write(fd, value, len) != (ssize_t)len)
			_exit(EIO);
		_exit(close(fd) < 0 ? EIO : 0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -ECHILD;
	if (!WIFEXITED(st))
		return -EINTR;
	return -WEXITSTATUS(st);
}

static int sysctl(char *err, size_t errsize, const char *netns, const char *key, const char *value)
{
	int rc = labnet_sysctl(netns, key, value);

	if (rc)
		snprintf(err, errsize, "%s: sysctl %s=%s: %s", netns, key, value, strerror(-rc));
	return rc ? -1 : 0;
}

/* A new namespace with lo up and reverse-path filtering off (so that interfaces created
 * in it afterwards start with it off). */
static int make_ns(const char *ns, char *err, size_t errsize)
{
	if (ip(err, errsize, "netns", "add", ns, NULL) ||
	    ip(err, errsize, "-n", ns, "link", "set", "lo", "up", NULL) ||
	    sysctl(err, errsize, ns, "net/ipv4/conf/all/rp_filter", "0") ||
	    sysctl(err, errsize, ns, "net/ipv4/conf/default/rp_filter", "0"))
		return -1;
	return 0;
}

static void fmt_ip(const struct ipaddr *a, char *buf, size_t size)
{
	ipaddr_format(a, buf, size);
}

static int fabric(const char *fab, char *err, size_t errsize)
{
	if (make_ns(fab, err, errsize) ||
	    ip(err, errsize, "-n", fab, "link", "add", "br0", "type", "bridge", NULL) ||
	    ip(err, errsize, "-n", fab, "link", "set", "br0", "up", NULL))
		return -1;
	return 0;
}

/* A veth from the fabric bridge (port name port) to dev in namespace ns. */
static int fabric_port(const char *fab, const char *port, const char *ns, const char *dev,
		       char *err, size_t errsize)
{
	if (ip(err, errsize, "-n", fab, "link", "add", port, "type", "veth", "peer", "name", dev,
	       "netns", ns, NULL) ||
	    ip(err, errsize, "-n", fab, "link", "set", port, "master", "br0", NULL) ||
	    ip(err, errsize, "-n", fab, "link", "set", port, "up", NULL))
		return -1;
	return 0;
}

static int node_up(const struct lab *l, size_t i, const char *fab, char *err, size_t errsize)
{
	const struct lab_node *n = &l->nodes[i];
	char port[24], addr[IPADDR_STRLEN + 4], a[IPADDR_STRLEN];

	snprintf(port, sizeof(port), "n%zu", i + 1);
	fmt_ip(&n->ip, a, sizeof(a));
	snprintf(addr, sizeof(addr), "%s/24", a);
	if (make_ns(n->netns, err, errsize) ||
	    sysctl(err, errsize, n->netns, "net/ipv4/ip_forward", "1") ||
	    fabric_port(fab, port, n->netns, "fab0", err, errsize) ||
	    ip(err, errsize, "-n", n->netns, "addr", "add", addr, "dev", "fab0", NULL) ||
	    ip(err, errsize, "-n", n->netns, "link", "set", "fab0", "up", NULL) ||
	    sysctl(err, errsize, n->netns, "net/ipv4/conf/fab0/rp_filter", "0"))
		return -1;
	/* Proxy ARP answers for an address only when the node has a route to it through
	 * another interface.  A node has no default route (nothing leaves the lab), so the
	 * pods' gateway gets a link route of its own on the fabric; nothing is ever sent to
	 * it, it only lets the node answer the pods' ARP requests for it. */
	if (ip(err, errsize, "-n", n->netns, "route", "add", LAB_POD_GATEWAY "/32", "dev", "fab0",
	       "scope", "link", NULL))
		return -1;
	return 0;
}

static int node_routes(const struct lab *l, size_t i, char *err, size_t errsize)
{
	const struct lab_node *n = &l->nodes[i];

	for (size_t j = 0; j < l->nnodes; j++) {
		char c[CIDR_STRLEN], via[IPADDR_STRLEN];

		if (j == i)
			continue;
		cidr_format(&l->nodes[j].cidr, c, sizeof(c));
		fmt_ip(&l->nodes[j].ip, via, sizeof(via));
		if (ip(err, errsize, "-n", n->netns, "route", "add", c, "via", via, "dev", "fab0",
		       NULL))
			return -1;
	}
	for (size_t j = 0; j < l->nhosts; j++) {
		char a[IPADDR_STRLEN + 4];

		fmt_ip(&l->hosts[j].ip, a, sizeof(a));
		strcat(a, "/32");
		if (ip(err, errsize, "-n", n->netns, "route", "add", a, "dev", "fab0", "scope",
		       "link", NULL))
			return -1;
	}
	return 0;
}

static int host_up(const struct lab *l, size_t j, const char *fab, char *err, size_t errsize)
{
	const struct lab_ext *h = &l->hosts[j];
	char port[24], a[IPADDR_STRLEN + 4];

	snprintf(port, sizeof(port), "h%zu", j + 1);
	fmt_ip(&h->ip, a, sizeof(a));
	strcat(a, "/32");
	if (make_ns(h->netns, err, errsize) ||
	    fabric_port(fab, port, h->netns, "eth0", err, errsize) ||
	    ip(err, errsize, "-n", h->netns, "addr", "add", a, "dev", "eth0", NULL) ||
	    ip(err, errsize, "-n", h->netns, "link", "set", "eth0", "up", NULL) ||
	    sysctl(err, errsize, h->netns, "net/ipv4/conf/eth0/rp_filter", "0") ||
	    /* The nodes' own addresses: what the lab's controller (in node 1) connects from. */
	    ip(err, errsize, "-n", h->netns, "route", "add", LAB_FABRIC_NET, "dev", "eth0", "scope",
	       "link", NULL))
		return -1;
	for (size_t i = 0; i < l->nnodes; i++) {
		char c[CIDR_STRLEN], via[IPADDR_STRLEN];

		cidr_format(&l->nodes[i].cidr, c, sizeof(c));
		fmt_ip(&l->nodes[i].ip, via, sizeof(via));
		if (ip(err, errsize, "-n", h->netns, "route", "add", c, "via", via, "dev", "eth0",
		       "onlink", NULL))
			return -1;
	}
	return 0;
}

static int pod_up(const struct lab *l, const struct lab_pod *p, char *err, size_t errsize)
{
	const char *node = l->nodes[p->node].netns;
	char veth[IFNAME_LEN], a[IPADDR_STRLEN + 4], key[128];

	endpoint_ifname(p->ns, p->name, veth);
	fmt_ip(&p->ip, a, sizeof(a));
	strcat(a, "/32");
	if (make_ns(p->netns, err, errsize) ||
	    ip(err, errsize, "-n", node, "link", "add", veth, "type", "veth", "peer", "name",
	       "eth0", "netns", p->netns, NULL) ||
	    ip(err, errsize, "-n", p->netns, "addr", "add", a, "dev", "eth0", NULL) ||
	    ip(err, errsize, "-n", p->netns, "link", "set", "eth0", "up", NULL) ||
	    ip(err, errsize, "-n", p->netns, "route", "add", "default", "via", LAB_POD_GATEWAY,
	       "dev", "eth0", "onlink", NULL) ||
	    ip(err, errsize, "-n", node, "link", "set", veth, "up", NULL))
		return -1;
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/proxy_arp", veth);
	if (sysctl(err, errsize, node, key, "1"))
		return -1;
	snprintf(key, sizeof(key), "net/ipv4/neigh/%s/proxy_delay", veth);
	if (sysctl(err, errsize, node, key, "0"))
		return -1;
	if (ip(err, errsize, "-n", node, "route", "add", a, "dev", veth, "scope", "link", NULL))
		return -1;
	return 0;
}

int labnet_up(const struct lab *l, char *err, size_t errsize)
{
	char fab[64];

	snprintf(fab, sizeof(fab), "%sfab", l->prefix);
	if (fabric(fab, err, errsize))
		return -1;
	for (size_t i = 0; i < l->nnodes; i++)
		if (node_up(l, i, fab, err, errsize))
			return -1;
	for (size_t j = 0; j < l->nhosts; j++)
		if (host_up(l, j, fab, err, errsize))
			return -1;
	for (size_t i = 0; i < l->nnodes; i++)
		if (node_routes(l, i, err, errsize))
			return -1;
	for (size_t k = 0; k < l->npods; k++)
		if (l->pods[k].netns && pod_up(l, &l->pods[k], err, errsize))
			return -1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int labnet_list(const char *prefix, char ***names, size_t *n)
{
	size_t plen = strlen(prefix), cap = 0;
	DIR *d = opendir("/run/netns");
	struct dirent *e;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, plen) || !e->d_name[plen])
			continue;
		if (*n == cap) {
			char **nv = realloc(*names, (cap ? cap * 2 : 16) * sizeof(*nv));

			if (!nv)
				break;
			*names = nv;
			cap = cap ? cap * 2 : 16;
		}
		(*names)[*n] = strdup(e->d_name);
		if ((*names)[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

void labnet_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Appends the pids `ip netns pids ns` prints to *pids. */
static void ns_pids(const char *ns, pid_t **pids, size_t *n, size_t *cap)
{
	char *argv[] = {"ip", "netns", "pids", (char *)ns, NULL}, *out = NULL;

	if (proc_run(argv, IP_TIMEOUT_MS, &out, NULL, 0) != 0 || !out) {
		free(out);
		return;
	}
	for (char *save = NULL, *t = strtok_r(out, " \n", &save); t;
	     t = strtok_r(NULL, " \n", &save)) {
		long v = strtol(t, NULL, 10);

		if (v <= 1 || v == getpid())
			continue;
		if (*n == *cap) {
			pid_t *np = realloc(*pids, (*cap ? *cap * 2 : 32) * sizeof(*np));

			if (!np)
				break;
			*pids = np;
			*cap = *cap ? *cap * 2 : 32;
		}
		(*pids)[(*n)++] = (pid_t)v;
	}
	free(out);
}

size_t labnet_down(const char *prefix, int timeout_ms, char *err, size_t errsize)
{
	char **names = NULL;
	size_t n = 0, npids = 0, cap = 0, left;
	pid_t *pids = NULL;
	int rc;

	if (err && errsize)
		err[0] = '\0';
	rc = labnet_list(prefix, &names, &n);
	if (rc) {
		if (err && errsize)
			snprintf(err, errsize, "/run/netns: %s", strerror(-rc));
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		ns_pids(names[i], &pids, &npids, &cap);
	if (npids)
		proc_stop(pids, npids, timeout_ms);
	free(pids);
	for (size_t i = 0; i < n; i++) {
		char msg[512];

		if (ip(msg, sizeof(msg), "netns", "del", names[i], NULL) && err && errsize &&
		    !err[0])
			snprintf(err, errsize, "%s", msg);
	}
	labnet_list_free(names, n);
	names = NULL;
	if (labnet_list(prefix, &names, &left))
		left = 1;
	labnet_list_free(names, left);
	return left;
}
