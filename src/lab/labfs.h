/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_LAB_LABFS_H
#define PALISADE_LAB_LABFS_H

#include <stddef.h>
#include <sys/types.h>

/* The few file operations of the lab: its state directory, pid files and datastore. */

/* Writes len bytes to path through "<dir>/.<base>.tmp" and rename(2), so that a reader (the
 * agent's inotify watch) never sees half a file.  0 or -errno. */
int labfs_write_atomic(const char *path, const char *data, size_t len);
/* mkdir -p with mode for the directories it creates.  0 or -errno. */
int labfs_mkdir_p(const char *path, mode_t mode);
/* rm -r, not following symbolic links; 0 when path is gone afterwards (or was never there). */
int labfs_rmtree(const char *path);
/* The whole file as a NUL-terminated malloc'ed string (at most 64 MiB); NULL with errno. */
char *labfs_read(const char *path, size_t *len);
/* 1 when the directory has no entries other than "." and "..", 0 if it has, -errno. */
int labfs_dir_empty(const char *path);

#endif
