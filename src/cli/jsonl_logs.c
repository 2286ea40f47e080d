/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/jsonl_logs.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void jsonl_reader_init(struct jsonl_reader *rd, const char *prog)
{
	memset(rd, 0, sizeof(*rd));
	rd->prog = prog;
}

void jsonl_reader_fini(struct jsonl_reader *rd)
{
	for (size_t i = 0; i < rd->n; i++) {
		struct jsonl_stream *s = &rd->v[i];

		for (size_t j = 0; j < s->nfiles; j++) {
			if (s->files[j].f)
				fclose(s->files[j].f);
			free(s->files[j].path);
		}
		free(s->files);
		free(s->key);
	}
	free(rd->v);
	free(rd->line);
	rd->v = NULL;
	rd->line = NULL;
	rd->n = rd->linecap = 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

unsigned long jsonl_rotation_of(const char *path, size_t *baselen)
{
	size_t n = strlen(path), i = n;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	while (i > 0 && path[i - 1] >= '0' && path[i - 1] <= '9')
		i--;
	if (i < n && i > 1 && path[i - 1] == '.' && path + i - 1 > base && n - i <= 9) {
		*baselen = i - 1;
		return strtoul(path + i, NULL, 10);
	}
	*baselen = n;
	return 0;
}

int jsonl_add(struct jsonl_reader *rd, const char *key, size_t keylen, const char *path,
	      unsigned long rot)
{
	struct jsonl_stream *s = NULL;
	struct jsonl_file *nf;

	for (size_t i = 0; i < rd->n; i++)
		if (strlen(rd->v[i].key) == keylen && !strncmp(rd->v[i].key, key, keylen))
			s = &rd->v[i];
	if (!s) {
		struct jsonl_stream *nv = realloc(rd->v, (rd->n + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		rd->v = nv;
		s = &rd->v[rd->n];
		memset(s, 0, sizeof(*s));
		s->key = strndup(key, keylen);
		if (!s->key)
			return -ENOMEM;
		rd->n++;
	}
	nf = realloc(s->files, (s->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	s->files = nf;
	nf[s->nfiles].path = strdup(path);
	nf[s->nfiles].rot = rot;
	nf[s->nfiles].order = s->nfiles;
	nf[s->nfiles].f = NULL;
	if (!nf[s->nfiles].path)
		return -ENOMEM;
	s->nfiles++;
	return 0;
}

int jsonl_add_file(struct jsonl_reader *rd, const char *path)
{
	size_t baselen;
	unsigned long rot = jsonl_rotation_of(path, &baselen);

	return jsonl_add(rd, path, baselen, path, rot);
}

static bool log_name(const char *name, const char *base)
{
	const char *rest;

	if (strncmp(name, base, strlen(base)))
		return false;
	rest = name + strlen(base);
	return !*rest || (rest[0] == '.' && all_digits(rest + 1) && strlen(rest + 1) <= 9);
}

int jsonl_add_dir(struct jsonl_reader *rd, const char *dir, const char *base)
{
	struct dirent **names = NULL;
	char *key = NULL;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0, found = 0;

	if (n < 0)
		return -errno;
	if (asprintf(&key, "%s/%s", dir, base) < 0) {
		key = NULL;
		rc = -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		char *path = NULL;
		size_t baselen;

		if (!rc && log_name(names[i]->d_name, base)) {
			if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
				path = NULL;
				rc = -ENOMEM;
			} else {
				rc = jsonl_add(rd, key, strlen(key), path,
					       jsonl_rotation_of(path, &baselen));
				found++;
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
	free(key);
	return rc ? rc : found;
}

static int file_cmp(const void *a, const void *b)
{
	const struct jsonl_file *x = a, *y = b;

	if (x->rot != y->rot)
		return x->rot > y->rot ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

size_t jsonl_reader_open(struct jsonl_reader *rd)
{
	size_t bad = 0;

	for (size_t i = 0; i < rd->n; i++) {
		struct jsonl_stream *s = &rd->v[i];

		qsort(s->files, s->nfiles, sizeof(*s->files), file_cmp);
		for (size_t j = 0; j < s->nfiles; j++) {
			if (!strcmp(s->files[j].path, JSONL_STDIN))
				s->files[j].f = stdin;
			else
				s->files[j].f = fopen(s->files[j].path, "r");
			if (!s->files[j].f) {
				fprintf(stderr, "%s: %s: %s\n", rd->prog, s->files[j].path,
					strerror(errno));
				bad++;
			}
		}
	}
	return bad;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

bool jsonl_next(struct jsonl_reader *rd, struct jsonl_stream *s, const char **line, size_t *len)
{
	while (s->cur < s->nfiles) {
		struct jsonl_file *lf = &s->files[s->cur];
		ssize_t n;
		size_t l;
		bool newline;

		n = lf->f ? getline(&rd->line, &rd->linecap, lf->f) : -1;
		if (n < 0) {
			if (lf->f && ferror(lf->f)) {
				fprintf(stderr, "%s: %s: read error after line %lu\n", rd->prog,
					lf->path, s->lineno);
				rd->read_errors++;
			}
			if (lf->f)
				fclose(lf->f);
			lf->f = NULL;
			s->cur++;
			s->lineno = 0;
			continue;
		}
		s->lineno++;
		l = (size_t)n;
		newline = l && rd->line[l - 1] == '\n';
		if (newline)
			l--;
		if (!newline && s->cur == s->nfiles - 1)
			continue; /* torn: EOF follows, being written */
		if (blank(rd->line, l))
			continue;
		*line = rd->line;
		*len = l;
		return true;
	}
	return false;
}

void jsonl_malformed(struct jsonl_reader *rd, const struct jsonl_stream *s, const char *msg)
{
	fprintf(stderr, "%s:%lu: %s\n", jsonl_path(s), s->lineno, msg);
	rd->malformed++;
}

bool jsonl_next_rec(struct jsonl_reader *rd, struct jsonl_stream *s, jsonl_parse_fn *parse,
		    void *rec, const char *what)
{
	const char *line;
	char err[256];
	size_t len;

	while (jsonl_next(rd, s, &line, &len)) {
		err[0] = '\0';
		if (!parse(line, len, rec, err, sizeof(err)))
			return true;
		jsonl_malformed(rd, s, err[0] ? err : what);
	}
	return false;
}

const char *jsonl_path(const struct jsonl_stream *s)
{
	return s->cur < s->nfiles ? s->files[s->cur].path : s->key;
}
