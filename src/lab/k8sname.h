/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_K8SNAME_H
#define PALISADE_LAB_K8SNAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * The names Kubernetes controllers give the objects they create, reproduced for the lab:
 * a Deployment's ReplicaSet is "<deployment>-<pod-template-hash>" and a ReplicaSet's pod
 * "<replicaset>-<5 characters>", both in the alphabet of k8s.io/apimachinery's rand package
 * (no vowels, so that no word is spelled).  Kubernetes draws the pod suffix at random; the
 * lab draws it from a seeded generator so that a lab built twice has the same pod names.
 */

/* "bcdfghjklmnpqrstvwxz2456789" */
extern const char k8sname_alphabet[];

uint32_t k8sname_fnv32a(const void *p, size_t n, uint32_t h);
uint64_t k8sname_fnv64a(const char *s, uint64_t h);
#define K8SNAME_FNV32_INIT 2166136261u
#define K8SNAME_FNV64_INIT 1469598103934665603ULL

/* rand.SafeEncodeString(fmt.Sprint(h)): the decimal digits of h mapped into the alphabet,
 * 1 to 10 characters (9 or 10 for most hashes).  out holds at least 11 bytes. */
void k8sname_hash_string(uint32_t h, char *out);

/* Five characters of the alphabet from the generator state *seed (advanced).  out holds at
 * least 6 bytes. */
void k8sname_suffix(uint64_t *seed, char *out);

/* A UUID-shaped uid ("8-4-4-4-12" lower-case hex, version 4 bits set) derived from text.
 * out holds at least 37 bytes. */
void k8sname_uid(const char *text, char *out);

#endif
