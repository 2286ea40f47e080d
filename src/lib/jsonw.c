/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/jsonw.h"

#include "lib/strbuf.h"
#include "lib/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether s (not starting a well-formed character) is the start of one cut short by the end
 * of the string: a lead byte followed only by continuation bytes, fewer than it needs. */
static bool cut_short(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return false;
	for (i = 1; s[i]; i++)
		if ((s[i] & 0xc0) != 0x80)
			return false;
	return i < need;
}

void jsonw_str(struct strbuf *b, const char *s)
{
	const char *run = s;

	strbuf_putc(b, '"');
	while (*s) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		char u[8];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_char_len(s);
			if (n) {
				s += n;
				continue;
			}
		}
		strbuf_add(b, run, (size_t)(s - run));
		if (c >= 0x80) {
			if (cut_short(s)) {
				s += strlen(s);
				run = s;
				break;
			}
			strbuf_puts(b, "\xef\xbf\xbd");
			run = ++s;
			continue;
		}
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			snprintf(u, sizeof(u), "\\u%04X", c);
			esc = u;
		}
		strbuf_puts(b, esc);
		run = ++s;
	}
	strbuf_add(b, run, (size_t)(s - run));
	strbuf_putc(b, '"');
}

void jsonw_str_or_null(struct strbuf *b, const char *s)
{
	if (s[0])
		jsonw_str(b, s);
	else
		strbuf_puts(b, "null");
}

void jsonw_int_or_null(struct strbuf *b, int v)
{
	if (v >= 0)
		strbuf_printf(b, "%d", v);
	else
		strbuf_puts(b, "null");
}

void jsonw_key(struct strbuf *b, const char *pfx, const char *key)
{
	strbuf_puts(b, ",\"");
	strbuf_puts(b, pfx);
	strbuf_puts(b, key);
	strbuf_puts(b, "\":");
}

void jsonw_key_str(struct strbuf *b, const char *pfx, const char *key, const char *s)
{
	jsonw_key(b, pfx, key);
	jsonw_str(b, s);
}

void jsonw_num(struct strbuf *b, double v)
{
	char buf[32];

	if (!isfinite(v)) {
		strbuf_puts(b, "null");
		return;
	}
	if (v == 0) {
		strbuf_putc(b, '0');
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	strbuf_puts(b, buf);
}
