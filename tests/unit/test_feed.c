/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threat feeds (src/lib/feed_parse.h, src/lib/feed_rails.h): the three formats with the shapes
 * real feeds have (FireHOL netsets, Spamhaus DROP, CSV exports with quotes and headers, JSON
 * with nested objects and arrays), every error message, the error cap, the safety rails, the
 * merge and the shrink check.  The hand-written IPv4 fast path is checked against cidr_parse
 * on random near-addresses; the seed comes from PALISADE_SEED when set and is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/cidr.h"
#include "lib/feed_parse.h"
#include "lib/feed_rails.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SEED 20240611ULL

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The entries of r as "a/n,b/n,...", in input order (static buffer). */
static const char *entries(const struct feed_result *r)
{
	static struct strbuf b;
	char buf[CIDR_STRLEN];

	strbuf_fini(&b);
	strbuf_init(&b);
	for (size_t i = 0; i < r->n; i++) {
		assert_true(cidr_format(&r->v[i], buf, sizeof(buf)) > 0);
		strbuf_printf(&b, "%s%s", i ? "," : "", buf);
	}
	return strbuf_str(&b);
}

/* The kept errors of r as "L: msg\n..." (static buffer). */
static const char *errors(const struct feed_result *r)
{
	static struct strbuf b;

	strbuf_fini(&b);
	strbuf_init(&b);
	for (size_t i = 0; i < r->nerrors; i++)
		strbuf_printf(&b, "%zu: %s\n", r->errors[i].line, r->errors[i].msg);
	return strbuf_str(&b);
}

static int parse(const struct feed_parse_opts *o, const char *body, struct feed_result *r)
{
	feed_result_init(r);
	return feed_parse(body, strlen(body), o, r);
}

static int parse_lines(const char *body, struct feed_result *r)
{
	struct feed_parse_opts o;

	feed_parse_opts_init(&o, FEED_FORMAT_NEWLINE);
	return parse(&o, body, r);
}

static int parse_json(const char *path, const char *body, struct feed_result *r)
{
	struct feed_parse_opts o;

	feed_parse_opts_init(&o, FEED_FORMAT_JSON);
	o.json_path = path;
	return parse(&o, body, r);
}

/* ---- newlineDelimited ---------------------------------------------------------------------- */

/* The shape of a FireHOL netset: a long '#' header, then one prefix or address per line. */
static const char firehol[] = "#\n"
			      "# example_level1\n"
			      "#\n"
			      "# ipv4 hash:net ipset\n"
			      "#\n"
			      "# Aggregated from several public blocklists.\n"
			      "#\n"
			      "# Maintainer      : example\n"
			      "# List source URL : https://example.invalid/level1\n"
			      "# This File Date  : Tue Jun 11 10:41:10 UTC 2024\n"
			      "# Update Frequency: 1 min\n"
			      "# Entries         : 6 subnets, 16908801 unique IPs\n"
			      "#\n"
			      "0.0.0.0/8\n"
			      "1.10.16.0/20\n"
			      "10.0.0.0/8\n"
			      "100.64.0.0/10\n"
			      "185.220.101.4\n"
			      "192.168.0.0/16\n";

static void test_newline_firehol(void **state)
{
	struct feed_result r;

	assert_int_equal(parse_lines(firehol, &r), 0);
	assert_string_equal(entries(&r), "0.0.0.0/8,1.10.16.0/20,10.0.0.0/8,100.64.0.0/10,"
					 "185.220.101.4/32,192.168.0.0/16");
	assert_int_equal(r.error_count, 0);
	assert_int_equal(r.nerrors, 0);
	assert_int_equal(r.host_bits, 0);
	feed_result_fini(&r);
}

/* Spamhaus DROP and DROPv6: ';' comments, whole-line and after the prefix. */
static void test_newline_spamhaus(void **state)
{
	struct feed_result r;

	assert_int_equal(parse_lines("; Spamhaus DROP List 2024/06/11 - (c) 2024 The Spamhaus\n"
				     "; Last-Modified: Tue, 11 Jun 2024 09:12:00 GMT\n"
				     "; Expires: Wed, 12 Jun 2024 10:32:28 GMT\n"
				     "1.10.16.0/20 ; SBL256894\n"
				     "1.19.0.0/16 ; SBL434604\n"
				     "2.57.122.0/24;SBL636050\n"
				     "2a06:e480::/29 ; SBL301771\n",
				     &r),
			 0);
	assert_string_equal(entries(&r), "1.10.16.0/20,1.19.0.0/16,2.57.122.0/24,2a06:e480::/29");
	assert_int_equal(r.error_count, 0);
	feed_result_fini(&r);
}

static void test_newline_whitespace(void **state)
{
	struct feed_result r;

	/* BOM, CRLF, blanks, tabs, trailing comments, a last line without LF. */
	assert_int_equal(parse_lines("\xef\xbb\xbf"
				     "198.51.100.7\r\n"
				     "\r\n"
				     "   \t  \n"
				     "  203.0.113.0/24  \t# noisy scanner\r\n"
				     "\t2001:db8::1\n"
				     "# 192.0.2.1\n"
				     "#\n"
				     "192.0.2.9",
				     &r),
			 0);
	assert_string_equal(entries(&r),
			    "198.51.100.7/32,203.0.113.0/24,2001:db8::1/128,192.0.2.9/32");
	assert_int_equal(r.error_count, 0);
	feed_result_fini(&r);

	/* Empty bodies and bodies of comments only are empty feeds, not errors. */
	assert_int_equal(parse_lines("", &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.error_count, 0);
	feed_result_fini(&r);
	assert_int_equal(parse_lines("# nothing today\n\n", &r), 0);
	assert_int_equal(r.n + r.error_count, 0);
	feed_result_fini(&r);
}

static void test_newline_host_bits_and_v6(void **state)
{
	struct feed_result r;

	assert_int_equal(parse_lines("10.1.2.3/8\n"
				     "192.0.2.255/24\n"
				     "192.0.2.0/24\n"
				     "2001:db8::1/32\n"
				     "::ffff:198.51.100.1\n"
				     "::\n"
				     "0.0.0.0/0\n"
				     "1.2.3.4/32\n",
				     &r),
			 0);
	assert_string_equal(entries(&r), "10.0.0.0/8,192.0.2.0/24,192.0.2.0/24,2001:db8::/32,"
					 "::ffff:198.51.100.1/128,::/128,0.0.0.0/0,1.2.3.4/32");
	assert_int_equal(r.host_bits, 3);
	assert_int_equal(r.error_count, 0);
	feed_result_fini(&r);
}

static void test_newline_errors(void **state)
{
	struct feed_result r;

	assert_int_equal(parse_lines("1.2.3.4\n"
				     "example.com\n"
				     "1.2.3.4/33\n"
				     "2001:db8::/129\n"
				     "1.2.3.4/\n"
				     "1.2.3.4/08\n"
				     "01.2.3.4\n"
				     "256.1.1.1\n"
				     "1.2.3.4 5.6.7.8\n"
				     "1.2.3.4-1.2.3.9\n"
				     "fe80::1%eth0\n"
				     "\"quoted\\\"\x01\xff\n"
				     "5.6.7.8\n",
				     &r),
			 0);
	assert_string_equal(entries(&r), "1.2.3.4/32,5.6.7.8/32");
	assert_string_equal(errors(&r),
			    "2: \"example.com\": not an IP address or prefix\n"
			    "3: \"1.2.3.4/33\": prefix length must be 0 to 32\n"
			    "4: \"2001:db8::/129\": prefix length must be 0 to 128\n"
			    "5: \"1.2.3.4/\": prefix length must be 0 to 32\n"
			    "6: \"1.2.3.4/08\": prefix length must be 0 to 32\n"
			    "7: \"01.2.3.4\": not an IP address or prefix\n"
			    "8: \"256.1.1.1\": not an IP address or prefix\n"
			    "9: \"1.2.3.4 5.6.7.8\": not an IP address or prefix\n"
			    "10: \"1.2.3.4-1.2.3.9\": not an IP address or prefix\n"
			    "11: \"fe80::1%eth0\": not an IP address or prefix\n"
			    "12: \"\\\"quoted\\\\\\\"\\x01\\xff\": not an IP address or "
			    "prefix\n");
	assert_int_equal(r.error_count, 11);
	feed_result_fini(&r);
}

static void test_newline_long_and_nul(void **state)
{
	struct feed_result r;
	char body[200];

	memset(body, 'x', 120);
	memcpy(body + 120, "\n1.2.3.4\n", 10);
	assert_int_equal(parse_lines(body, &r), 0);
	assert_string_equal(errors(&r),
			    "1: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"...: "
			    "not an IP address or prefix\n");
	assert_string_equal(entries(&r), "1.2.3.4/32");
	feed_result_fini(&r);

	/* A NUL inside a line is a bad character, not the end of the body. */
	feed_result_init(&r);
	assert_int_equal(feed_parse("1.2.3.4\n1.2\0.3.4\n5.6.7.8\n", 24,
				    &(struct feed_parse_opts){.format = FEED_FORMAT_NEWLINE}, &r),
			 0);
	assert_string_equal(entries(&r), "1.2.3.4/32,5.6.7.8/32");
	assert_string_equal(errors(&r), "2: \"1.2\\x00.3.4\": not an IP address or prefix\n");
	feed_result_fini(&r);
}

/* 250 bad lines: all counted, the first FEED_ERRORS_MAX kept, the good lines all there. */
static void test_error_cap(void **state)
{
	struct feed_result r;
	struct strbuf b;

	strbuf_init(&b);
	for (int i = 0; i < 250; i++)
		strbuf_printf(&b, "bad%d\n10.0.%d.%d\n", i, i / 256, i % 256);
	assert_int_equal(parse_lines(strbuf_str(&b), &r), 0);
	assert_int_equal(r.n, 250);
	assert_int_equal(r.error_count, 250);
	assert_int_equal(r.nerrors, FEED_ERRORS_MAX);
	assert_int_equal(r.errors[0].line, 1);
	assert_string_equal(r.errors[0].msg, "\"bad0\": not an IP address or prefix");
	assert_int_equal(r.errors[99].line, 199);
	assert_string_equal(r.errors[99].msg, "\"bad99\": not an IP address or prefix");
	feed_result_fini(&r);
	strbuf_fini(&b);
}

/* The IPv4 fast path must accept exactly what cidr_parse accepts, with the same value. */
static void test_fast_path_oracle(void **state)
{
	static const char alphabet[] = "0123456789./:a -";
	const char *env = getenv("PALISADE_SEED");
	uint64_t seed = env && *env ? strtoull(env, NULL, 0) : DEFAULT_SEED;

	print_message("fast_path_oracle: seed %llu (set PALISADE_SEED to change)\n",
		      (unsigned long long)seed);
	rng_state = seed;
	for (int iter = 0; iter < 200000; iter++) {
		char s[24];
		size_t n = 0;
		struct feed_result r;
		struct cidr want;
		bool hb, ok;

		/* Mostly near-valid dotted quads, sometimes noise. */
		if (rng() % 4) {
			int len = (int)(rng() % 40);

			n = (size_t)snprintf(s, sizeof(s), "%u.%u.%u.%u", (unsigned)(rng() % 300),
					     (unsigned)(rng() % 256), (unsigned)(rng() % 256),
					     (unsigned)(rng() % 260));
			if (rng() % 2)
				n += (size_t)snprintf(s + n, sizeof(s) - n, "/%s%d",
						      rng() % 8 ? "" : "0", len);
			if (rng() % 6 == 0)
				s[rng() % n] = alphabet[rng() % (sizeof(alphabet) - 1)];
		} else {
			n = 1 + rng() % 20;
			for (size_t i = 0; i < n; i++)
				s[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
			s[n] = '\0';
		}
		/* Blanks around the entry are trimmed by the parser, not by cidr_parse. */
		if (s[0] == ' ' || s[0] == '-' || s[n - 1] == ' ')
			continue;
		ok = cidr_parse(s, &want, &hb) == 0;
		assert_int_equal(parse_lines(s, &r), 0);
		if (ok) {
			assert_int_equal(r.n, 1);
			assert_int_equal(cidr_cmp(&r.v[0], &want), 0);
			assert_int_equal(r.host_bits, hb ? 1 : 0);
		} else {
			assert_int_equal(r.n, 0);
			assert_int_equal(r.error_count, 1);
		}
		feed_result_fini(&r);
	}
}

/* ---- csv ----------------------------------------------------------------------------------- */

static void csv_opts(struct feed_parse_opts *o)
{
	feed_parse_opts_init(o, FEED_FORMAT_CSV);
}

static void test_csv_header_and_quotes(void **state)
{
	struct feed_parse_opts o;
	struct feed_result r;
	const char *body = "# exported 2024-06-11\n"
			   "first_seen,\"ip address\",\"note, free text\"\n"
			   "2024-06-01,198.51.100.7,\"scanner, \"\"aggressive\"\"\"\n"
			   "2024-06-02,\"203.0.113.0/24\",\"multi\n"
			   "line note\"\r\n"
			   "\n"
			   "2024-06-03,\" 192.0.2.1 \",\"\"\n";

	csv_opts(&o);
	o.header = true;
	o.field_name = "ip address";
	o.field_num = -1;
	o.comment_delimiter = '#';
	assert_int_equal(parse(&o, body, &r), 0);
	assert_string_equal(entries(&r), "198.51.100.7/32,203.0.113.0/24,192.0.2.1/32");
	assert_int_equal(r.error_count, 0);
	feed_result_fini(&r);

	/* The same column by number. */
	csv_opts(&o);
	o.header = true;
	o.field_num = 1;
	o.comment_delimiter = '#';
	assert_int_equal(parse(&o, body, &r), 0);
	assert_string_equal(entries(&r), "198.51.100.7/32,203.0.113.0/24,192.0.2.1/32");
	feed_result_fini(&r);

	/* Without header: the header line is a bad entry of line 2. */
	o.header = false;
	assert_int_equal(parse(&o, body, &r), 0);
	assert_string_equal(errors(&r), "2: \"ip address\": not an IP address or prefix\n");
	assert_int_equal(r.n, 3);
	feed_result_fini(&r);
}

static void test_csv_delimiters(void **state)
{
	struct feed_parse_opts o;
	struct feed_result r;

	csv_opts(&o);
	o.column_delimiter = ';';
	o.field_num = 2;
	assert_int_equal(parse(&o, "a;b;10.0.0.1\nc;\"d;e\";10.0.0.2\n", &r), 0);
	assert_string_equal(entries(&r), "10.0.0.1/32,10.0.0.2/32");
	assert_int_equal(r.error_count, 0);
	feed_result_fini(&r);

	csv_opts(&o);
	o.column_delimiter = '\t';
	o.comment_delimiter = ';';
	assert_int_equal(parse(&o, "; tab separated\n2001:db8::/48\tx\n198.51.100.1\ty\n", &r), 0);
	assert_string_equal(entries(&r), "2001:db8::/48,198.51.100.1/32");
	feed_result_fini(&r);

	/* A '#' is not a comment unless it is the comment delimiter. */
	csv_opts(&o);
	o.column_delimiter = '|';
	assert_int_equal(parse(&o, "#x|y\n1.1.1.1|z\n", &r), 0);
	assert_string_equal(errors(&r), "1: \"#x\": not an IP address or prefix\n");
	assert_string_equal(entries(&r), "1.1.1.1/32");
	feed_result_fini(&r);
}

static void test_csv_record_size(void **state)
{
	struct feed_parse_opts o;
	struct feed_result r;
	const char *body = "1.1.1.1,a,b\n"
			   "2.2.2.2,a\n"
			   "3.3.3.3,a,b,c\n"
			   "4.4.4.4,a,b\n";

	/* The first record sets the size. */
	csv_opts(&o);
	assert_int_equal(parse(&o, body, &r), 0);
	assert_string_equal(entries(&r), "1.1.1.1/32,4.4.4.4/32");
	assert_string_equal(errors(&r), "2: record has 2 fields, expected 3\n"
					"3: record has 4 fields, expected 3\n");
	feed_result_fini(&r);

	/* recordSize says. */
	o.record_size = 2;
	assert_int_equal(parse(&o, body, &r), 0);
	assert_string_equal(entries(&r), "2.2.2.2/32");
	assert_int_equal(r.error_count, 3);
	feed_result_fini(&r);

	/* Validation off: any size, but the field must exist. */
	csv_opts(&o);
	o.disable_record_size_validation = true;
	o.field_num = 2;
	assert_int_equal(parse(&o, body, &r), 0);
	assert_string_equal(entries(&r), "");
	assert_string_equal(errors(&r), "1: \"b\": not an IP address or prefix\n"
					"2: record has 2 fields, no field 2 (counting from 0)\n"
					"3: \"b\": not an IP address or prefix\n"
					"4: \"b\": not an IP address or prefix\n");
	feed_result_fini(&r);

	/* A record of one empty field in column 0. */
	csv_opts(&o);
	o.disable_record_size_validation = true;
	assert_int_equal(parse(&o, ",x\n5.5.5.5\n", &r), 0);
	assert_string_equal(errors(&r), "1: empty value\n");
	assert_string_equal(entries(&r), "5.5.5.5/32");
	feed_result_fini(&r);
}

static void test_csv_quote_errors(void **state)
{
	struct feed_parse_opts o;
	struct feed_result r;

	csv_opts(&o);
	o.disable_record_size_validation = true;
	assert_int_equal(parse(&o,
			       "\"1.1.1.1\"x,a\n"
			       "2.2.2.2,a\"b\n"
			       "3.3.3.3\n"
			       "\"4.4.4.4\",\"ok\"\"\"\n"
			       "\"5.5.5.5,never closed\n"
			       "6.6.6.6\n",
			       &r),
			 0);
	assert_string_equal(entries(&r), "3.3.3.3/32,4.4.4.4/32,6.6.6.6/32");
	assert_string_equal(errors(&r), "1: text after the closing quote of field 0\n"
					"2: quote inside unquoted field 1\n"
					"5: quoted field is not closed\n");
	feed_result_fini(&r);

	/* Errors name the line a record starts on; the next record's line is still right. */
	assert_int_equal(parse(&o, "\"1.1.1.1\n\"x,a\n\"b\nc\",\"d\"\"\"e\n7.7.7.7\n", &r), 0);
	assert_string_equal(errors(&r), "1: text after the closing quote of field 0\n"
					"3: text after the closing quote of field 1\n");
	assert_string_equal(entries(&r), "7.7.7.7/32");
	feed_result_fini(&r);

	/* A quoted field that spans lines keeps the line count right. */
	assert_int_equal(parse(&o, "\"a\nb\nc\",x\nbad\n", &r), 0);
	assert_string_equal(errors(&r), "1: \"a\\x0ab\\x0ac\": not an IP address or prefix\n"
					"4: \"bad\": not an IP address or prefix\n");
	feed_result_fini(&r);
}

static void test_csv_whole_body_errors(void **state)
{
	struct feed_parse_opts o;
	struct feed_result r;

	csv_opts(&o);
	o.header = true;
	o.field_name = "ip";
	o.field_num = -1;
	assert_int_equal(parse(&o, "addr,seen\n1.1.1.1,x\n", &r), -EINVAL);
	assert_string_equal(errors(&r), "1: header has no column \"ip\"\n");
	assert_int_equal(r.n, 0);
	feed_result_fini(&r);

	/* Options that make no sense. */
	static const struct {
		struct feed_parse_opts o;
		const char *msg;
	} bad[] = {
		{{.format = FEED_FORMAT_CSV, .field_name = "ip", .column_delimiter = ','},
		 "0: fieldName requires a header\n"},
		{{.format = FEED_FORMAT_CSV, .field_num = -1, .column_delimiter = ','},
		 "0: csv format needs fieldNum or fieldName\n"},
		{{.format = FEED_FORMAT_CSV, .column_delimiter = '"'},
		 "0: column delimiter cannot be a quote, a line break or NUL\n"},
		{{.format = FEED_FORMAT_CSV, .column_delimiter = 0},
		 "0: column delimiter cannot be a quote, a line break or NUL\n"},
		{{.format = FEED_FORMAT_CSV, .column_delimiter = ',', .comment_delimiter = ','},
		 "0: comment delimiter cannot be a quote, a line break or the column "
		 "delimiter\n"},
		{{.format = FEED_FORMAT_CSV, .column_delimiter = ',', .record_size = -2},
		 "0: record size cannot be negative\n"},
		{{.format = FEED_FORMAT_JSON}, "0: json format needs a path\n"},
		{{.format = (enum feed_format)7}, "0: unknown feed format\n"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&bad[i].o, "1.1.1.1\n", &r), -EINVAL);
		assert_string_equal(errors(&r), bad[i].msg);
		assert_int_equal(r.n, 0);
		feed_result_fini(&r);
	}
}

static void test_opts_from_feed(void **state)
{
	struct res_threat_feed f = {
		.format = FEED_FORMAT_CSV,
		.field_num = -1,
		.field_name = "ip",
		.header = true,
		.column_delimiter = '|',
		.comment_delimiter = '#',
		.record_size = 4,
		.disable_record_size_validation = false,
	};
	struct feed_parse_opts o;

	feed_parse_opts_from_feed(&o, &f);
	assert_int_equal(o.format, FEED_FORMAT_CSV);
	assert_int_equal(o.field_num, -1);
	assert_string_equal(o.field_name, "ip");
	assert_true(o.header);
	assert_int_equal(o.column_delimiter, '|');
	assert_int_equal(o.comment_delimiter, '#');
	assert_int_equal(o.record_size, 4);

	f = (struct res_threat_feed){.format = FEED_FORMAT_CSV, .field_num = -1};
	feed_parse_opts_from_feed(&o, &f);
	assert_int_equal(o.field_num, 0);
	assert_int_equal(o.column_delimiter, ',');
	f.field_num = 3;
	f.disable_record_size_validation = true;
	feed_parse_opts_from_feed(&o, &f);
	assert_int_equal(o.field_num, 3);
	assert_true(o.disable_record_size_validation);

	f = (struct res_threat_feed){.format = FEED_FORMAT_JSON, .json_path = "$..ip"};
	feed_parse_opts_from_feed(&o, &f);
	assert_int_equal(o.format, FEED_FORMAT_JSON);
	assert_string_equal(o.json_path, "$..ip");
}

/* ---- json ---------------------------------------------------------------------------------- */

static const char nested[] =
	"{\n"
	"  \"meta\": {\"generated\": \"2024-06-11T10:00:00Z\", \"count\": 4},\n"
	"  \"data\": [\n"
	"    {\"ip\": \"198.51.100.7\", \"tags\": [\"scanner\"],\n"
	"     \"related\": {\"ip\": \"198.51.100.8\"}},\n"
	"    {\"ip\": \"203.0.113.0/24\"},\n"
	"    {\"ip\": [\"2001:db8::/48\", \"192.0.2.1\"]},\n"
	"    {\"name\": \"no ip here\"}\n"
	"  ]\n"
	"}\n";

static void test_json_paths(void **state)
{
	static const struct {
		const char *path, *body, *want;
	} cases[] = {
		{"$.", "[\"192.0.2.1\", \"192.0.2.2\"]", "192.0.2.1/32,192.0.2.2/32"},
		{"$", "\"192.0.2.3\"", "192.0.2.3/32"},
		{"$", "\xef\xbb\xbf\"192.0.2.4\"", "192.0.2.4/32"},
		{"$.a", "{\"a\": [\"192.0.2.1\", \"10.0.0.0/8\"]}", "192.0.2.1/32,10.0.0.0/8"},
		{"$.data[*].ip", nested,
		 "198.51.100.7/32,203.0.113.0/24,2001:db8::/48,192.0.2.1/32"},
		{"$.data.*.ip", nested,
		 "198.51.100.7/32,203.0.113.0/24,2001:db8::/48,192.0.2.1/32"},
		{"$..ip", nested,
		 "198.51.100.7/32,203.0.113.0/24,2001:db8::/48,192.0.2.1/32,198.51.100.8/32"},
		{"$.data[0].related.ip", nested, "198.51.100.8/32"},
		{"$[\"data\"][0][\"ip\"]", nested, "198.51.100.7/32"},
		{"$.data[-2].ip", nested, "2001:db8::/48,192.0.2.1/32"},
		{"$.data[-2].ip[1]", nested, "192.0.2.1/32"},
		{"$.data[0,1].ip", nested, "198.51.100.7/32,203.0.113.0/24"},
		{"$.data[ 1 , 0 ].ip", nested, "203.0.113.0/24,198.51.100.7/32"},
		{"$.data[1:3].ip", nested, "203.0.113.0/24,2001:db8::/48,192.0.2.1/32"},
		{"$.data[:1].ip", nested, "198.51.100.7/32"},
		{"$.data[::2].ip", nested, "198.51.100.7/32,2001:db8::/48,192.0.2.1/32"},
		{"$.data[-3:].ip", nested, "203.0.113.0/24,2001:db8::/48,192.0.2.1/32"},
		{"$.data[0:-2].ip", nested, "198.51.100.7/32,203.0.113.0/24"},
		{"$[\"a b\",\"c\"]", "{\"c\": \"192.0.2.2\", \"a b\": \"192.0.2.1\"}",
		 "192.0.2.1/32,192.0.2.2/32"},
		{"$[\"q\\\"x\"]", "{\"q\\\"x\": \"192.0.2.9\"}", "192.0.2.9/32"},
		{"$..[0]",
		 "{\"x\": [\"192.0.2.1\", \"192.0.2.2\"], \"y\": {\"z\": [\"192.0.2.3\"]}}",
		 "192.0.2.1/32,192.0.2.3/32"},
		{"$.x.", "{\"x\": [\"192.0.2.1\"]}", "192.0.2.1/32"},
		/* A repeated index selects once. */
		{"$[0,0,-1]", "[\"192.0.2.1\"]", "192.0.2.1/32"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed_result r;

		print_message("path %s\n", cases[i].path);
		assert_int_equal(parse_json(cases[i].path, cases[i].body, &r), 0);
		assert_string_equal(entries(&r), cases[i].want);
		assert_string_equal(errors(&r), "");
		feed_result_fini(&r);
	}
}

static void test_json_value_errors(void **state)
{
	struct feed_result r;

	assert_int_equal(parse_json("$.data[*].ip",
				    "{\"data\": [{\"ip\": 17}, {\"ip\": \"bad\"}, {\"ip\": null},"
				    " {\"ip\": [\"192.0.2.1\", true, {}]}, {\"ip\": {\"v\": 1}},"
				    " {\"ip\": \"  192.0.2.2 \"}, {\"ip\": \"\"}]}",
				    &r),
			 0);
	assert_string_equal(entries(&r), "192.0.2.1/32,192.0.2.2/32");
	assert_string_equal(
		errors(&r),
		"0: $.data[0].ip: expected a string or an array of strings, found a number\n"
		"0: $.data[1].ip: \"bad\": not an IP address or prefix\n"
		"0: $.data[2].ip: expected a string or an array of strings, found null\n"
		"0: $.data[3].ip[1]: expected a string, found a boolean\n"
		"0: $.data[3].ip[2]: expected a string, found an object\n"
		"0: $.data[4].ip: expected a string or an array of strings, found an object\n"
		"0: $.data[6].ip: empty value\n");
	feed_result_fini(&r);

	/* Keys that are not plain names are quoted in the location. */
	assert_int_equal(parse_json("$.*", "{\"a b\": \"x\", \"\": [1]}", &r), 0);
	assert_string_equal(errors(&r), "0: $[\"a b\"]: \"x\": not an IP address or prefix\n"
					"0: $[\"\"][0]: expected a string, found a number\n");
	feed_result_fini(&r);

	/* A path that selects nothing says so. */
	assert_int_equal(parse_json("$.ips", nested, &r), 0);
	assert_string_equal(errors(&r), "0: json path \"$.ips\" selected nothing\n");
	assert_int_equal(r.n, 0);
	feed_result_fini(&r);

	/* An empty array is an empty feed. */
	assert_int_equal(parse_json("$.ips", "{\"ips\": []}", &r), 0);
	assert_int_equal(r.n + r.error_count, 0);
	feed_result_fini(&r);
}

static void test_json_body_errors(void **state)
{
	struct feed_result r;

	assert_int_equal(parse_json("$.", "[\"192.0.2.1\",\n\"192.0.2.2\"\n", &r), -EINVAL);
	assert_string_equal(errors(&r), "3: invalid JSON: ']' expected near end of file\n");
	assert_int_equal(r.n, 0);
	feed_result_fini(&r);

	assert_int_equal(parse_json("$.", "", &r), -EINVAL);
	assert_int_equal(r.error_count, 1);
	assert_non_null(strstr(r.errors[0].msg, "invalid JSON: "));
	feed_result_fini(&r);
}

static void test_json_path_errors(void **state)
{
	static const struct {
		const char *path, *msg;
	} cases[] = {
		{"", "json format needs a path"},
		{"data.ip", "json path \"data.ip\": column 1: must start with $"},
		{"@.ip", "json path \"@.ip\": column 1: subexpressions are not supported"},
		{"$['ip']", "json path \"$['ip']\": column 3: strings in brackets must use double "
			    "quotes"},
		{"$.data[?(@.ip)]", "json path \"$.data[?(@.ip)]\": column 8: filters are not "
				    "supported"},
		{"$.data[(@.length-1)]", "json path \"$.data[(@.length-1)]\": column 8: "
					 "subexpressions are not supported"},
		{"$.data[0", "json path \"$.data[0\": column 9: expected ]"},
		{"$.data[x]", "json path \"$.data[x]\": column 8: expected *, an index, a slice or "
			      "a double-quoted name"},
		{"$.data[1:2:0]", "json path \"$.data[1:2:0]\": column 13: slice step must be "
				  "positive"},
		{"$.data[1234567890]", "json path \"$.data[1234567890]\": column 8: bad index"},
		{"$[\"a", "json path \"$[\"a\": column 5: string is not closed"},
		{"$[\"a\",'b']", "json path \"$[\"a\",'b']\": column 7: strings in brackets must "
				 "use double quotes"},
		{"$..", "json path \"$..\": column 4: expected a name or *"},
		{"$x", "json path \"$x\": column 2: expected . or ["},
		{"$.a b", "json path \"$.a b\": column 4: expected . or ["},
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed_result r;

		print_message("path %s\n", cases[i].path);
		assert_int_equal(feed_json_path_check(cases[i].path, buf, sizeof(buf)), -EINVAL);
		assert_string_equal(buf, cases[i].msg);
		/* feed_parse refuses the same path with the same message, before the body. */
		assert_int_equal(parse_json(cases[i].path, "not json", &r), -EINVAL);
		assert_int_equal(r.nerrors, 1);
		assert_int_equal(r.errors[0].line, 0);
		assert_string_equal(r.errors[0].msg, cases[i].msg);
		feed_result_fini(&r);
	}
	assert_int_equal(feed_json_path_check("$.data[*].ip", buf, sizeof(buf)), 0);
	assert_int_equal(feed_json_path_check("$..ip", buf, sizeof(buf)), 0);
	assert_int_equal(feed_json_path_check("$.", buf, sizeof(buf)), 0);
}

/*
 * ".." more than once over deep nesting: each step's selection is de-duplicated, so the work
 * stays linear (without it, 1,500 levels and four ".." would be 1500^4 nodes) and the
 * value deep inside is selected once.
 */
static void test_json_descent_linear(void **state)
{
	enum { DEPTH = 1500 };
	struct strbuf b;
	struct feed_result r;

	strbuf_init(&b);
	for (int i = 0; i < DEPTH; i++)
		strbuf_puts(&b, "{\"a\":");
	strbuf_puts(&b, "\"192.0.2.1\"");
	for (int i = 0; i < DEPTH; i++)
		strbuf_putc(&b, '}');
	assert_false(b.oom);
	assert_int_equal(parse_json("$..a..a..a..a", strbuf_str(&b), &r), 0);
	assert_string_equal(entries(&r), "192.0.2.1/32");
	/* Every other "a" member holds an object: one error each, counted. */
	assert_int_equal(r.error_count, DEPTH - 4);
	assert_int_equal(r.nerrors, FEED_ERRORS_MAX);
	feed_result_fini(&r);

	/* The location of a deep value is shortened, not overflowed. */
	assert_int_equal(parse_json("$..a", strbuf_str(&b), &r), 0);
	assert_string_equal(entries(&r), "192.0.2.1/32");
	assert_string_equal(r.errors[0].msg,
			    "$.a: expected a string or an array of strings, found an object");
	assert_int_equal(strncmp(r.errors[99].msg, "$(...).a.a.a", 12), 0);
	feed_result_fini(&r);
	strbuf_fini(&b);
}

/* ---- rails --------------------------------------------------------------------------------- */

static struct cidr pfx(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(s, &c, NULL), 0);
	return c;
}

static const char *accepted(const struct feed_rails_result *r)
{
	static struct strbuf b;
	char buf[CIDR_STRLEN];

	strbuf_fini(&b);
	strbuf_init(&b);
	for (size_t i = 0; i < r->naccepted; i++) {
		cidr_format(&r->accepted[i], buf, sizeof(buf));
		strbuf_printf(&b, "%s%s", i ? "," : "", buf);
	}
	return strbuf_str(&b);
}

static const char *refused(const struct feed_rails_result *r)
{
	static struct strbuf b;
	char buf[CIDR_STRLEN], why[128];

	strbuf_fini(&b);
	strbuf_init(&b);
	for (size_t i = 0; i < r->nrefused; i++) {
		cidr_format(&r->refused[i].entry, buf, sizeof(buf));
		feed_refusal_format(&r->refused[i], why, sizeof(why));
		strbuf_printf(&b, "%s: %s\n", buf, why);
	}
	return strbuf_str(&b);
}

static void rails(const char *const *in, size_t n, const struct feed_rails_opts *o,
		  struct feed_rails_result *r)
{
	struct cidr *v = calloc(n + 1, sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = pfx(in[i]);
	feed_rails_result_init(r);
	assert_int_equal(feed_rails_apply(v, n, o, r), 0);
	free(v);
}

#define RAILS(o, r, ...)                          \
	rails((const char *const[]){__VA_ARGS__}, \
	      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), o, r)

static void test_rails_defaults(void **state)
{
	struct feed_rails_opts o;
	struct feed_rails_result r;

	feed_rails_opts_init(&o);
	assert_int_equal(o.max_prefix_v4, 8);
	assert_int_equal(o.max_prefix_v6, 32);
	RAILS(&o, &r, "0.0.0.0/0", "::/0", "1.0.0.0/7", "2.0.0.0/8", "2001:db8::/31",
	      "2001:db8::/32", "0.0.0.0/0", "198.51.100.7", "2a00::/16");
	assert_string_equal(accepted(&r), "2.0.0.0/8,198.51.100.7/32,2001:db8::/32");
	assert_string_equal(refused(&r), "0.0.0.0/0: 0.0.0.0/0 would block everything\n"
					 "0.0.0.0/7: broader than /8\n"
					 "::/0: ::/0 would block everything\n"
					 "2001:db8::/31: broader than /32\n"
					 "2a00::/16: broader than /32\n");
	/* 0.0.0.0/0 was listed twice: reported once, counted twice. */
	assert_int_equal(r.refused_entries, 6);
	assert_int_equal(r.nrefused, 5);
	assert_int_equal(r.accepted_entries, 3);
	feed_rails_result_fini(&r);
}

static void test_rails_protected(void **state)
{
	struct cidr prot[] = {pfx("10.244.0.0/16"), pfx("10.96.0.0/12"), pfx("192.168.56.0/24"),
			      pfx("fd00:10:244::/56")};
	struct feed_rails_opts o;
	struct feed_rails_result r;

	feed_rails_opts_init(&o);
	o.protect = prot;
	o.nprotect = 4;
	/* FireHOL level1 lists the private ranges: the cluster's own must survive it. */
	RAILS(&o, &r, "10.0.0.0/8", "10.244.3.7", "10.100.0.0/16", "192.168.0.0/16",
	      "172.16.0.0/12", "192.168.57.0/24", "fd00:10:244:1::/64", "fd00:10::/32",
	      "2001:db8::1");
	assert_string_equal(accepted(&r), "172.16.0.0/12,192.168.57.0/24,2001:db8::1/128");
	assert_string_equal(refused(&r), "10.0.0.0/8: overlaps protected range 10.244.0.0/16\n"
					 "10.100.0.0/16: overlaps protected range 10.96.0.0/12\n"
					 "10.244.3.7/32: overlaps protected range 10.244.0.0/16\n"
					 "192.168.0.0/16: overlaps protected range "
					 "192.168.56.0/24\n"
					 "fd00:10::/32: overlaps protected range fd00:10:244::/56\n"
					 "fd00:10:244:1::/64: overlaps protected range "
					 "fd00:10:244::/56\n");
	feed_rails_result_fini(&r);

	/* The overrides, one at a time. */
	o.allow_protected = true;
	RAILS(&o, &r, "10.244.3.7", "0.0.0.0/0", "1.0.0.0/7");
	assert_string_equal(accepted(&r), "10.244.3.7/32");
	assert_string_equal(refused(&r), "0.0.0.0/0: 0.0.0.0/0 would block everything\n"
					 "0.0.0.0/7: broader than /8\n");
	feed_rails_result_fini(&r);
	o.allow_protected = false;
	o.allow_broad = true;
	RAILS(&o, &r, "10.244.3.7", "0.0.0.0/0", "1.0.0.0/7", "4.0.0.0/6");
	assert_string_equal(accepted(&r), "0.0.0.0/7,4.0.0.0/6");
	assert_string_equal(refused(&r), "0.0.0.0/0: overlaps protected range 10.244.0.0/16\n"
					 "10.244.3.7/32: overlaps protected range 10.244.0.0/16\n");
	feed_rails_result_fini(&r);
}

static void test_rails_merge_and_limits(void **state)
{
	struct feed_rails_opts o;
	struct feed_rails_result r;

	feed_rails_opts_init(&o);
	o.max_prefix_v4 = 24;
	o.max_prefix_v6 = 64;
	RAILS(&o, &r, "2001:db8:0:1::/64", "198.51.100.0/25", "198.51.100.128/25", "198.51.100.7",
	      "2001:db8::/64", "203.0.113.0/23", "2001:db8::/63", "192.0.2.1", "192.0.2.1");
	assert_string_equal(accepted(&r), "192.0.2.1/32,198.51.100.0/24,2001:db8::/63");
	assert_string_equal(refused(&r), "203.0.112.0/23: broader than /24\n"
					 "2001:db8::/63: broader than /64\n");
	assert_int_equal(r.accepted_entries, 7);
	feed_rails_result_fini(&r);

	/* Nothing in, nothing out. */
	feed_rails_result_init(&r);
	assert_int_equal(feed_rails_apply(NULL, 0, &o, &r), 0);
	assert_int_equal(r.naccepted + r.nrefused + r.accepted_entries, 0);
	feed_rails_result_fini(&r);

	/* Entries that are not prefixes at all are ignored. */
	struct cidr odd[2] = {{.addr.family = 5, .len = 8}, {.addr.family = 4, .len = 40}};
	feed_rails_result_init(&r);
	assert_int_equal(feed_rails_apply(odd, 2, &o, &r), 0);
	assert_int_equal(r.naccepted + r.nrefused, 0);
	feed_rails_result_fini(&r);
}

static void test_shrink(void **state)
{
	assert_int_equal(feed_shrink_check(100, 50, 0.5), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(100, 49, 0.5), FEED_SHRINK_HOLD);
	assert_int_equal(feed_shrink_check(100, 0, 0.5), FEED_SHRINK_HOLD);
	assert_int_equal(feed_shrink_check(100, 100, 0.5), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(100, 5000, 0.5), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(0, 0, 0.5), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(0, 7, 0.5), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(3, 1, 0.5), FEED_SHRINK_HOLD);
	assert_int_equal(feed_shrink_check(3, 2, 0.5), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(100, 0, 1.0), FEED_SHRINK_APPLY);
	assert_int_equal(feed_shrink_check(100, 99, 0.0), FEED_SHRINK_HOLD);
	assert_int_equal(feed_shrink_check(100, 99, -1.0), FEED_SHRINK_HOLD);
	assert_int_equal(feed_shrink_check(1000000, 899999, 0.1), FEED_SHRINK_HOLD);
	assert_int_equal(feed_shrink_check(1000000, 900000, 0.1), FEED_SHRINK_APPLY);
}

/* The whole path as the controller will take it: a feed body to the set to load. */
static void test_parse_then_rails(void **state)
{
	struct cidr prot[] = {pfx("10.244.0.0/16")};
	struct feed_rails_opts o;
	struct feed_rails_result rr;
	struct feed_result r;

	assert_int_equal(parse_lines(firehol, &r), 0);
	feed_rails_opts_init(&o);
	o.protect = prot;
	o.nprotect = 1;
	feed_rails_result_init(&rr);
	assert_int_equal(feed_rails_apply(r.v, r.n, &o, &rr), 0);
	assert_string_equal(accepted(&rr),
			    "0.0.0.0/8,1.10.16.0/20,100.64.0.0/10,185.220.101.4/32,192.168.0.0/16");
	assert_string_equal(refused(&rr), "10.0.0.0/8: overlaps protected range 10.244.0.0/16\n");
	assert_int_equal(feed_shrink_check(rr.accepted_entries, 2, FEED_SHRINK_FRACTION_DEFAULT),
			 FEED_SHRINK_HOLD);
	feed_rails_result_fini(&rr);
	feed_result_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_firehol),
		cmocka_unit_test(test_newline_spamhaus),
		cmocka_unit_test(test_newline_whitespace),
		cmocka_unit_test(test_newline_host_bits_and_v6),
		cmocka_unit_test(test_newline_errors),
		cmocka_unit_test(test_newline_long_and_nul),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_fast_path_oracle),
		cmocka_unit_test(test_csv_header_and_quotes),
		cmocka_unit_test(test_csv_delimiters),
		cmocka_unit_test(test_csv_record_size),
		cmocka_unit_test(test_csv_quote_errors),
		cmocka_unit_test(test_csv_whole_body_errors),
		cmocka_unit_test(test_opts_from_feed),
		cmocka_unit_test(test_json_paths),
		cmocka_unit_test(test_json_value_errors),
		cmocka_unit_test(test_json_body_errors),
		cmocka_unit_test(test_json_path_errors),
		cmocka_unit_test(test_json_descent_linear),
		cmocka_unit_test(test_rails_defaults),
		cmocka_unit_test(test_rails_protected),
		cmocka_unit_test(test_rails_merge_and_limits),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_parse_then_rails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
