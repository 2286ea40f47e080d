/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/datastore.h"

#include "lib/diag.h"
#include "lib/resource.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool manifest_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return false;
	return (len > 5 && !strcmp(n + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(n + len - 4, ".yml")) ||
	       (len > 5 && !strcmp(n + len - 5, ".json"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int datastore_load(const char *dir, struct resource_set *rs, struct diag_list *diags,
		   size_t *skipped)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	*skipped = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char **nn;

		if (!manifest_name(e->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn) {
			rc = -ENOMEM;
			goto out;
		}
		names = nn;
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct resource_set probe;
		struct diag_list pd;
		int err;

		/* Validate the file on its own first, so that a broken file is left out whole. */
		resource_set_init(&probe);
		diag_list_init(&pd);
		err = resource_load_path(&probe, names[i], &pd);
		if (err || pd.errors) {
			diag_list_merge(diags, &pd);
			(*skipped)++;
		} else {
			diag_list_merge(diags, &pd); /* warnings */
			struct diag_list quiet;

			diag_list_init(&quiet);
			if (resource_load_path(rs, names[i], &quiet))
				(*skipped)++;
			diag_list_fini(&quiet);
		}
		diag_list_fini(&pd);
		resource_set_fini(&probe);
	}
	if (resource_set_check(rs, diags))
		rc = -EINVAL;
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int datastore_write(const char *dir, const char *name, const char *data, size_t len)
{
	char *tmp = NULL, *final = NULL;
	int fd = -1, rc = 0;
	size_t off = 0;

	if (asprintf(&tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid()) < 0 ||
	    asprintf(&final, "%s/%s", dir, name) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd)) {
		rc = -errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, final))
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(final);
	return rc;
}
