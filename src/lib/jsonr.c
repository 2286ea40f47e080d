/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/jsonr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void jsonr_init(struct jsonr *p, char *err, size_t errsize)
{
	memset(p, 0, sizeof(*p));
	p->err = err;
	p->errsize = errsize;
	if (err && errsize)
		err[0] = '\0';
}

void jsonr_field(struct jsonr *p, const char *pfx, const char *key)
{
	snprintf(p->field, sizeof(p->field), "%s%s", pfx, key);
}

int jsonr_fail(struct jsonr *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->rc)
		return p->rc;
	p->rc = -EINVAL;
	if (!p->err || !p->errsize)
		return p->rc;
	if (p->field[0])
		n = snprintf(p->err, p->errsize, "%s: ", p->field);
	if (n < 0 || (size_t)n >= p->errsize)
		return p->rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return p->rc;
}

json_t *jsonr_load(struct jsonr *p, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);

	if (!root) {
		jsonr_fail(p, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		jsonr_fail(p, "expected a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

const char *jsonr_str(struct jsonr *p, const json_t *v, const char *what)
{
	if (!json_is_string(v)) {
		jsonr_fail(p, "expected %s", what);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		jsonr_fail(p, "contains a NUL character");
		return NULL;
	}
	return json_string_value(v);
}

void jsonr_port(struct jsonr *p, const json_t *v, int *out)
{
	*out = -1;
	if (json_is_null(v))
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535) {
		jsonr_fail(p, "expected an integer 0..65535 or null");
		return;
	}
	*out = (int)json_integer_value(v);
}
