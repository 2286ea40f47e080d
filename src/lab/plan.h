/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_PLAN_H
#define PALISADE_LAB_PLAN_H

#include "lib/arena.h"
#include "lib/resource.h"

#include <stddef.h>
#include <stdint.h>

struct diag_list;
struct doc_node;
struct lab;

/*
 * From manifests to a lab: what `palisade lab up` decides before it touches anything.  The
 * manifests are loaded and checked with the pure core (every error reported, nothing built
 * when there is one); then workloads become pods the way Kubernetes' controllers name them
 * (Deployment -> ReplicaSet "<deployment>-<pod-template-hash>" -> pods "<replicaset>-<5
 * characters>", StatefulSet -> "<name>-<ordinal>", DaemonSet -> one pod per node), pods are
 * spread round-robin over the nodes (a pod whose spec.nodeName names a lab node stays there)
 * and get the next address of their node's /24.  A workload whose pods (or a Deployment
 * whose ReplicaSet) are among the manifests, owned through a controller ownerReference,
 * generates none: a dump of a real cluster is taken as it is.
 *
 * The result is the lab (nodes, pods, hosts; without prefix and namespace names, see
 * lab_name_things()) and the datastore's objects: every input object (an object without
 * metadata.uid gets one, derived from its name), the generated ReplicaSets and pods, a
 * Namespace for each namespace used but not declared, and the Lab object.
 */

struct lab_obj {
	const char *file; /* name inside the datastore directory */
	const struct doc_node *doc;
};

struct lab_plan {
	struct arena arena; /* documents, file names */
	struct resource_set rs;
	struct lab *lab; /* owned */
	struct lab_obj *objs;
	size_t nobjs, cap;
	size_t generated; /* pods made from workloads */
};

void lab_plan_init(struct lab_plan *p);
void lab_plan_fini(struct lab_plan *p);

/*
 * Loads paths (files, directories as resource_load_path() reads them, "-" for stdin) and
 * plans the lab.  seed varies the generated pod names (0 is the default).  Returns 0, or
 * -EINVAL with every problem in d (input errors, a lab that cannot be built as asked).
 */
int lab_plan_build(struct lab_plan *p, char **paths, int npaths, uint64_t seed,
		   struct diag_list *d);

/* Writes every object of p as <dir>/<file>, each atomically.  0, or -1 with err set. */
int lab_plan_write(const struct lab_plan *p, const char *dir, char *err, size_t errsize);

#endif
