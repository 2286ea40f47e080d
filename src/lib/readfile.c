/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536

char *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0, cap = 0, got;
	int err = 0;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : CHUNK;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (max && n > max) {
			err = EFBIG;
			break;
		}
	} while (got);
	if (!err && ferror(f))
		err = errno ? errno : EIO;
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}
