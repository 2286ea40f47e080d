/* SPDX-License-Identifier: Apache-2.0 */
#include "lab/k8sname.h"

#include <stdio.h>
#include <string.h>

const char k8sname_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

uint32_t k8sname_fnv32a(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h;
}

uint64_t k8sname_fnv64a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void k8sname_hash_string(uint32_t h, char *out)
{
	char dec[16];
	size_t n = (size_t)snprintf(dec, sizeof(dec), "%u", h), len = sizeof(k8sname_alphabet) - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = k8sname_alphabet[(unsigned char)dec[i] % len];
	out[n] = '\0';
}

/* splitmix64: small, fast and good enough to spread names. */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void k8sname_suffix(uint64_t *seed, char *out)
{
	size_t len = sizeof(k8sname_alphabet) - 1;

	for (int i = 0; i < 5; i++)
		out[i] = k8sname_alphabet[next(seed) % len];
	out[5] = '\0';
}

void k8sname_uid(const char *text, char *out)
{
	uint64_t s = k8sname_fnv64a(text, K8SNAME_FNV64_INIT);
	uint64_t a = next(&s), b = next(&s);

	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffULL));
}
