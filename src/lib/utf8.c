/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/utf8.h"

#include <string.h>

size_t utf8_char_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0], n, cp;

	if (c && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (unsigned i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

bool utf8_valid(const char *s)
{
	while (*s) {
		size_t n = utf8_char_len(s);

		if (!n)
			return false;
		s += n;
	}
	return true;
}

size_t utf8_prefix_len(const char *s, size_t max)
{
	size_t at = 0;

	while (s[at]) {
		size_t n = utf8_char_len(s + at);

		if (!n)
			n = 1;
		if (at + n > max)
			break;
		at += n;
	}
	return at;
}

bool utf8_copy(char *dst, size_t size, const char *src)
{
	size_t n = utf8_prefix_len(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
	return src[n] == '\0';
}
