/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_LABNET_H
#define PALISADE_LAB_LABNET_H

#include <stddef.h>

struct lab;

/*
 * The lab's network (the layout is in lab/lab.h), built with iproute2 and torn down by
 * prefix.  Only namespaces named with the lab's prefix are created, changed or deleted; the
 * root namespace is never touched.
 */

/* Builds every namespace, link, address and route of l.  On failure returns -1 with the
 * failing command and its message in err; what was made stays for labnet_down(). */
int labnet_up(const struct lab *l, char *err, size_t errsize);

/* The names of the network namespaces whose name starts with prefix, sorted; *names is a
 * malloc'ed array of malloc'ed strings (free both).  0 or -errno. */
int labnet_list(const char *prefix, char ***names, size_t *n);
void labnet_list_free(char **names, size_t n);

/* Stops every process inside the prefix's namespaces (SIGTERM, then SIGKILL after
 * timeout_ms) and deletes the namespaces.  Returns how many namespaces are left (0 on
 * success); the first problem is described in err. */
size_t labnet_down(const char *prefix, int timeout_ms, char *err, size_t errsize);

/* Writes value to /proc/sys/<key> inside the named namespace.  0 or -errno. */
int labnet_sysctl(const char *netns, const char *key, const char *value);

#endif
