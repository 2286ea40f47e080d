/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_READFILE_H
#define PALISADE_READFILE_H

#include <stddef.h>

/*
 * The whole of file path ("-": standard input) as a malloc'd, NUL-terminated buffer (NUL bytes
 * inside are kept; *len, when len is not NULL, says how many bytes were read).  Reads in
 * chunks, so pipes and files that grow work.  max limits the size (0: no limit).  Returns the
 * buffer, or NULL with errno set: the open or read error, EFBIG past max, ENOMEM.
 */
char *read_file(const char *path, size_t max, size_t *len);

#endif
