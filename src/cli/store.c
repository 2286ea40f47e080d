/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/store.h"

#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/doc.h"
#include "lib/resource.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAB_REGISTRY "/run/palisade/labs"

const char *store_resolve(const char *opt, char *buf, size_t size)
{
	DIR *d;
	struct dirent *e;
	char found[4200] = "";
	int n = 0;

	if (opt) {
		snprintf(buf, size, "%s", opt);
		return buf;
	}
	d = opendir(LAB_REGISTRY);
	if (d) {
		while ((e = readdir(d))) {
			char path[4096], state[4096];
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", LAB_REGISTRY, e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(state, sizeof(state), f)) {
				state[strcspn(state, "\n")] = '\0';
				snprintf(found, sizeof(found), "%s/datastore", state);
				n++;
			}
			fclose(f);
		}
		closedir(d);
	}
	if (n == 1) {
		snprintf(buf, size, "%s", found);
		return buf;
	}
	if (n == 0)
		fprintf(stderr, "palisade: no lab is running; give --datastore DIR\n");
	else
		fprintf(stderr, "palisade: %d labs are running; give --datastore DIR\n", n);
	return NULL;
}

char *store_file_name(const struct resource *r)
{
	char *s;

	if (asprintf(&s, "%s_%s_%s.json", res_kind_id(r->kind),
		     r->meta.namespace_ ? r->meta.namespace_ : "-", r->meta.name) < 0)
		return NULL;
	return s;
}

json_t *store_doc_to_json(const struct doc_node *n)
{
	json_t *v;
	long long i;
	double d;
	bool b;

	if (!n || n->type == DOC_NULL)
		return json_null();
	switch (n->type) {
	case DOC_SCALAR:
		if (n->quoted || (n->tag && strstr(n->tag, ":str")))
			return json_stringn(n->str, n->len);
		if (doc_to_bool(n, &b) == 0)
			return json_boolean(b);
		if (doc_to_int(n, &i) == 0)
			return json_integer(i);
		if (doc_to_double(n, &d) == 0)
			return json_real(d);
		return json_stringn(n->str, n->len);
	case DOC_SEQ:
		v = json_array();
		for (size_t k = 0; k < n->n; k++)
			json_array_append_new(v, store_doc_to_json(n->items[k]));
		return v;
	case DOC_MAP:
		v = json_object();
		for (size_t k = 0; k < n->n; k++)
			json_object_set_new(v, n->pairs[k].key->str,
					    store_doc_to_json(n->pairs[k].value));
		return v;
	default:
		return json_null();
	}
}

static bool yaml_plain_ok(const char *s)
{
	static const char *const words[] = {"true", "false", "null", "yes", "no",
					    "on",   "off",   "~",    ""};
	char *end;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return false;
	strtod(s, &end);
	if (*end == '\0')
		return false; /* looks like a number */
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]))
		return false;
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
		if ((*p == ':' || *p == '#') && (p[1] == ' ' || p[1] == '\0' || *p == '#'))
			return false;
	}
	return s[strlen(s) - 1] != ' ';
}

static void yaml_key(FILE *f, const char *k)
{
	json_t *s = json_string(k);

	if (s && !yaml_plain_ok(k)) {
		char *q = json_dumps(s, JSON_ENCODE_ANY);

		fputs(q ? q : "\"\"", f);
		free(q);
	} else {
		fputs(k, f);
	}
	json_decref(s);
}

static void yaml_scalar(FILE *f, const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (yaml_plain_ok(s)) {
			fputs(s, f);
		} else {
			char *q = json_dumps(v, JSON_ENCODE_ANY);

			fputs(q ? q : "\"\"", f);
			free(q);
		}
	} else {
		char *q = json_dumps(v, JSON_ENCODE_ANY);

		fputs(q ? q : "null", f);
		free(q);
	}
}

static bool yaml_is_collection(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) ||
	       (json_is_array(v) && json_array_size(v));
}

static void yaml_emit(FILE *f, const json_t *v, int indent)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(v)) {
		bool first = true;

		json_object_foreach((json_t *)v, key, val)
		{
			if (!first || indent)
				fprintf(f, "%*s", indent, "");
			first = false;
			yaml_key(f, key);
			fputc(':', f);
			if (yaml_is_collection(val)) {
				fputc('\n', f);
				yaml_emit(f, val, indent + 2);
			} else {
				fputc(' ', f);
				if (json_is_object(val))
					fputs("{}", f);
				else if (json_is_array(val))
					fputs("[]", f);
				else
					yaml_scalar(f, val);
				fputc('\n', f);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val)
		{
			fprintf(f, "%*s- ", indent, "");
			if (json_is_object(val) && json_object_size(val)) {
				/* The first key goes on the dash line. */
				const char *k0 = NULL;
				json_t *v0;
				bool first = true;

				json_object_foreach(val, k0, v0)
				{
					if (!first)
						fprintf(f, "%*s", indent + 2, "");
					first = false;
					yaml_key(f, k0);
					fputc(':', f);
					if (yaml_is_collection(v0)) {
						fputc('\n', f);
						yaml_emit(f, v0, indent + 4);
					} else {
						fputc(' ', f);
						if (json_is_object(v0))
							fputs("{}", f);
						else if (json_is_array(v0))
							fputs("[]", f);
						else
							yaml_scalar(f, v0);
						fputc('\n', f);
					}
				}
			} else if (yaml_is_collection(val)) {
				fputc('\n', f);
				yaml_emit(f, val, indent + 2);
			} else {
				yaml_scalar(f, val);
				fputc('\n', f);
			}
		}
	} else {
		yaml_scalar(f, v);
		fputc('\n', f);
	}
}

void store_print_yaml(FILE *f, const json_t *v)
{
	yaml_emit(f, v, 0);
}

static json_t *find_doc(const struct doc_node *n, int line)
{
	const struct doc_node *items;

	if (!n || n->type != DOC_MAP)
		return NULL;
	if (n->line == line || (n->n && n->pairs[0].key->line == line))
		return store_doc_to_json(n);
	items = doc_get(n, "items");
	if (items && items->type == DOC_SEQ)
		for (size_t i = 0; i < items->n; i++) {
			json_t *j = find_doc(items->items[i], line);

			if (j)
				return j;
		}
	return NULL;
}

json_t *store_resource_json(const struct resource *r)
{
	FILE *f = fopen(r->loc.file, "rb");
	struct arena a;
	struct diag_list d;
	struct doc_node **docs = NULL;
	size_t ndocs = 0, len = 0, cap = 0, n;
	char *buf = NULL;
	json_t *out = NULL;

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	arena_init(&a);
	diag_list_init(&d);
	doc_parse(buf, len, r->loc.file, &a, &docs, &ndocs, &d);
	for (size_t i = 0; i < ndocs && !out; i++)
		out = find_doc(docs[i], r->loc.line);
	diag_list_fini(&d);
	arena_fini(&a);
	free(buf);
	return out;
}
