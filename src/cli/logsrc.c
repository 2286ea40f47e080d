/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/logsrc.h"

#include "cli/jsonl_logs.h"
#include "lab/lab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int logsrc_init(struct logsrc *s, const char *prog, const char *base, int argc)
{
	memset(s, 0, sizeof(*s));
	s->prog = prog;
	s->base = base;
	s->dirs = calloc((size_t)argc + 1, sizeof(*s->dirs));
	s->files = calloc((size_t)argc + 1, sizeof(*s->files));
	return s->dirs && s->files ? 0 : -ENOMEM;
}

void logsrc_fini(struct logsrc *s)
{
	free(s->dirs);
	free(s->files);
	s->dirs = s->files = NULL;
}

bool logsrc_option(struct logsrc *s, int c, const char *arg)
{
	switch (c) {
	case 'S':
		s->state = arg;
		return true;
	case 'D':
		s->dirs[s->ndirs++] = arg;
		return true;
	case 'f':
		s->files[s->nfiles++] = arg;
		return true;
	case 's':
		s->since = arg;
		return true;
	case 'u':
		s->until = arg;
		return true;
	default:
		return false;
	}
}

/* The running lab's state directory, malloc'ed, or NULL after saying why. */
static char *running_lab(const struct logsrc *s)
{
	char err[1024], *state = NULL;
	int rc = lab_registry_pick(&state, err, sizeof(err));

	if (rc == 0)
		return state;
	if (rc == -EEXIST)
		fprintf(stderr, "%s: several labs are up: %s; choose one with --state DIR\n",
			s->prog, err);
	else
		fprintf(stderr,
			"%s: no lab is up (nothing in %s); give --state DIR, --dir DIR or -f FILE\n",
			s->prog, LAB_REGISTRY_DIR);
	return NULL;
}

int logsrc_add_dir(const struct logsrc *s, struct jsonl_reader *rd, const char *dir)
{
	int e = jsonl_add_dir(rd, dir, s->base);

	if (e == -ENOMEM)
		return e;
	if (e < 0)
		fprintf(stderr, "%s: %s: %s\n", s->prog, dir, strerror(-e));
	else if (e == 0)
		fprintf(stderr, "%s: %s: no %s files\n", s->prog, dir, s->base);
	return e <= 0;
}

/* One -f argument: 0, 1 (unreadable, reported) or -ENOMEM. */
static int add_file(const struct logsrc *s, struct jsonl_reader *rd, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return logsrc_add_dir(s, rd, path);
	if (!strcmp(path, "-"))
		return jsonl_add(rd, JSONL_STDIN, strlen(JSONL_STDIN), JSONL_STDIN, 0);
	return jsonl_add_file(rd, path);
}

int logsrc_open(const struct logsrc *s, struct jsonl_reader *rd, logsrc_state_fn *add_state)
{
	char *lab = NULL;
	size_t unreadable = 0;
	int e = 0;

	if (s->state) {
		e = add_state(s, rd, s->state);
	} else if (!s->ndirs && !s->nfiles) {
		lab = running_lab(s);
		if (!lab)
			return -1;
		e = add_state(s, rd, lab);
		free(lab);
	}
	if (e > 0)
		unreadable += (size_t)e;
	for (size_t i = 0; i < s->ndirs && e >= 0; i++) {
		e = logsrc_add_dir(s, rd, s->dirs[i]);
		if (e > 0)
			unreadable += (size_t)e;
	}
	for (size_t i = 0; i < s->nfiles && e >= 0; i++) {
		e = add_file(s, rd, s->files[i]);
		if (e > 0)
			unreadable += (size_t)e;
	}
	if (e == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", s->prog);
	if (e < 0)
		return -1;
	unreadable += jsonl_reader_open(rd);
	return unreadable ? -1 : 0;
}

int logsrc_finish(const struct jsonl_reader *rd, bool oom)
{
	int rc = 0;

	if (rd->malformed)
		fprintf(stderr, "%s: %lu malformed line(s) skipped\n", rd->prog, rd->malformed);
	if (oom) {
		fprintf(stderr, "%s: out of memory; the output is incomplete\n", rd->prog);
		rc = 2;
	}
	if (rd->read_errors)
		rc = 2;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the output\n", rd->prog);
		rc = 2;
	}
	return rc;
}
