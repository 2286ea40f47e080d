/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_LAB_H
#define PALISADE_LAB_LAB_H

#include "lib/cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a running lab is made of (DESIGN §9): the resolved nodes, pods and external hosts with
 * their addresses and network namespaces, saved as <state>/lab.json by `lab up` and read back
 * by every other lab command.  Everything the lab creates on the machine is named with the
 * lab's prefix ("pl" + 4 hex digits of a hash of the state directory's path + "-"), so that
 * `lab down` finds it again even when the state directory is gone.
 *
 * The network (lab/labnet.c):
 *   <prefix>fab        a bridge "br0"; one veth per node ("n<i>") and per host ("h<j>")
 *   <prefix>n<i>       node i: "fab0" = 172.31.255.<i>/24 on the fabric, forwarding on,
 *                      one veth per pod (endpoint_ifname(ns, pod), proxy ARP) with a /32
 *                      route, the other nodes' pod /24s via their fabric address, each
 *                      external host's /32 on fab0
 *   <prefix>h-<name>   external host: "eth0" = its IP/32, the fabric /24 on eth0, every
 *                      node's pod /24 via that node's fabric address (onlink)
 *   <prefix>p<N>       pod N: "eth0" = its IP/32, default route via 169.254.1.1 onlink
 * Nothing is connected to the root namespace and no namespace has a route out of the lab.
 */

#define LAB_STATE_DEFAULT "/run/palisade/lab"
#define LAB_REGISTRY_DIR  "/run/palisade/labs"
#define LAB_MARKER	  ".palisade-lab"
#define LAB_FABRIC_NET	  "172.31.255.0/24"
#define LAB_POD_GATEWAY	  "169.254.1.1"
#define LAB_PREFIX_LEN	  7 /* "pl" + 4 hex + "-" */

struct lab_node {
	char *name;	  /* "node1", ... (spec.nodeName of its pods) */
	char *netns;	  /* "<prefix>n1" */
	struct ipaddr ip; /* fabric address */
	struct cidr cidr; /* its /24 of spec.podCIDR */
};

struct lab_pod {
	char *ns;
	char *name;
	char *ref; /* "ns/name" */
	struct ipaddr ip;
	size_t node;   /* index into lab.nodes */
	char *netns;   /* "<prefix>p<N>"; NULL for hostNetwork pods (they use the node's) */
	uint16_t *tcp; /* declared container ports, sorted, unique */
	size_t ntcp;
	uint16_t *udp;
	size_t nudp;
};

struct lab_ext {
	char *name;
	struct ipaddr ip;
	char *netns; /* "<prefix>h-<name>" */
};

struct lab {
	char *name; /* the Lab object's metadata.name */
	char *prefix;
	char *state;	 /* absolute */
	char *datastore; /* <state>/datastore */
	struct lab_node *nodes;
	size_t nnodes;
	struct lab_pod *pods;
	size_t npods;
	struct lab_ext *hosts;
	size_t nhosts;
};

/* Frees l and everything it points to; accepts NULL and half-built labs. */
void lab_free(struct lab *l);

/* Sets prefix, state, datastore and every namespace name from the absolute state path.
 * Returns 0 or -ENOMEM. */
int lab_name_things(struct lab *l, const char *state);

/* The lab's prefix for an absolute state path: out holds LAB_PREFIX_LEN + 1 bytes. */
void lab_prefix(const char *state, char *out);

/* in made absolute (relative to the working directory) with "." and ".." and repeated
 * slashes removed, without resolving symbolic links; returns a malloc'ed string or NULL. */
char *lab_abspath(const char *in);

/* Writes l as JSON to path (atomically).  0 or -errno. */
int lab_save(const struct lab *l, const char *path);
/* Reads a lab saved by lab_save; NULL with a reason in err on failure.  Caller frees. */
struct lab *lab_load(const char *path, char *err, size_t errsize);

/* Index of the pod "ns/name" or of the host or node name in l, or -1. */
long lab_find_pod(const struct lab *l, const char *ref);
long lab_find_host(const struct lab *l, const char *name);
long lab_find_node(const struct lab *l, const char *name);

/*
 * The registry: one file per running lab, LAB_REGISTRY_DIR/<name>, holding its state path.
 * lab_registry_add() fails with -EEXIST when another state directory with a lab in it holds
 * the name.  lab_registry_remove() removes every entry naming state.  lab_registry_pick()
 * sets *state (malloc'ed) to the only registered lab; -ENOENT when none, -EEXIST when
 * several (their names in err).
 */
int lab_registry_add(const char *name, const char *state);
void lab_registry_remove(const char *state);
int lab_registry_pick(char **state, char *err, size_t errsize);

#endif
