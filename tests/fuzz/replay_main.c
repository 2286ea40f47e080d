/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays a fuzz target's regression inputs without libFuzzer: every regular file in the
 * directories (or files) named on the command line goes through LLVMFuzzerTestOneInput once.
 * `make check` runs this for every target, normally and under ASan+UBSan.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	size_t total = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		char **names = NULL;
		size_t n = 0;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) != 0)
				return 1;
			total++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			char **nn;

			if (e->d_name[0] == '.')
				continue;
			nn = realloc(names, (n + 1) * sizeof(*names));
			if (!nn)
				return 1;
			names = nn;
			if (asprintf(&names[n++], "%s/%s", argv[i], e->d_name) < 0)
				return 1;
		}
		closedir(d);
		qsort(names, n, sizeof(*names), cmp_str);
		for (size_t j = 0; j < n; j++) {
			if (stat(names[j], &st) == 0 && S_ISREG(st.st_mode)) {
				if (replay_file(names[j]) != 0)
					return 1;
				total++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("replayed %zu inputs\n", total);
	return 0;
}
