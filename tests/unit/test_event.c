/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security events (src/lib/event.h): the exact line of the header's example, print -> parse
 * round trips, the id's definition and stability, cutting strings at character boundaries,
 * repairing invalid UTF-8, numbers, and parse errors that name the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/event.h"
#include "lib/jsonw.h"
#include "lib/strbuf.h"
#include "lib/utf8.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The example of event.h, as event_print writes it. */
static const char example[] =
	"{\"id\":\"4f972eddf8f7511b\",\"time\":1764370815,\"type\":\"anomaly_detection_job\","
	"\"origin\":\"ip_sweep_external\",\"severity\":80,"
	"\"description\":\"198.51.100.66 sent to 40 addresses in the cluster in 15 s\","
	"\"source_ip\":\"198.51.100.66\",\"source_port\":null,\"source_namespace\":\"-\","
	"\"source_name\":\"suspects\",\"source_name_aggr\":\"suspects\","
	"\"dest_ip\":null,\"dest_port\":null,\"dest_namespace\":\"-\",\"dest_name\":\"-\","
	"\"dest_name_aggr\":\"-\",\"host\":\"controller\","
	"\"record\":{\"actual\":40,\"typical\":0,\"threshold\":25,\"window_start\":1764370800,"
	"\"window_end\":1764370815,\"distinct_ports\":1,\"proto\":\"icmp\"}}\n";

static void example_event(struct sec_event *e)
{
	event_init(e);
	e->time = 1764370815;
	snprintf(e->type, sizeof(e->type), "anomaly_detection_job");
	snprintf(e->origin, sizeof(e->origin), "ip_sweep_external");
	e->severity = EVENT_SEVERITY_HIGH;
	event_describe(e, "%s sent to %d addresses in the cluster in %d s", "198.51.100.66", 40,
		       15);
	snprintf(e->src.ip, sizeof(e->src.ip), "198.51.100.66");
	snprintf(e->src.name, sizeof(e->src.name), "suspects");
	snprintf(e->src.name_aggr, sizeof(e->src.name_aggr), "suspects");
	snprintf(e->host, sizeof(e->host), "controller");
	e->actual = 40;
	e->has_typical = true;
	e->typical = 0;
	e->has_threshold = true;
	e->threshold = 25;
	e->window_start = 1764370800;
	e->window_end = 1764370815;
	assert_true(event_add_num(e, "distinct_ports", 1));
	assert_true(event_add_str(e, "proto", "icmp"));
	event_set_id(e, e->src.ip);
}

/* print(e), which must succeed; the caller frees. */
static char *print(const struct sec_event *e)
{
	struct strbuf b;

	strbuf_init(&b);
	assert_int_equal(event_print(e, &b), 0);
	return strbuf_steal(&b);
}

static void test_example_exact(void **state)
{
	struct sec_event e;
	char *line;

	(void)state;
	example_event(&e);
	line = print(&e);
	assert_string_equal(line, example);
	free(line);
}

/* The id is FNV-1a 64 of "type|origin|key|start|end", values computed independently. */
static void test_id(void **state)
{
	struct sec_event e, e2;

	(void)state;
	example_event(&e);
	assert_string_equal(e.id, "4f972eddf8f7511b");
	/* The same finding found again (other numbers, other text) keeps its id. */
	example_event(&e2);
	e2.actual = 99;
	e2.severity = 20;
	event_describe(&e2, "something else");
	event_set_id(&e2, "198.51.100.66");
	assert_string_equal(e2.id, e.id);
	/* Another window, key, origin or type gives another id. */
	e2.window_end++;
	event_set_id(&e2, "198.51.100.66");
	assert_string_not_equal(e2.id, e.id);
	example_event(&e2);
	event_set_id(&e2, "198.51.100.67");
	assert_string_not_equal(e2.id, e.id);
	snprintf(e2.origin, sizeof(e2.origin), "ip_sweep_pods");
	event_set_id(&e2, "198.51.100.66");
	assert_string_not_equal(e2.id, e.id);

	event_init(&e);
	snprintf(e.type, sizeof(e.type), "global_alert");
	snprintf(e.origin, sizeof(e.origin), "denied-by-ns");
	e.window_start = 1764370800;
	e.window_end = 1764371100;
	event_set_id(&e, "policy-demo");
	assert_string_equal(e.id, "25d6f8880ab8289c");
	event_init(&e);
	event_set_id(&e, NULL);
	assert_string_equal(e.id, "1e271700f62e3285");
}

/* Every field set, through print and parse and print again. */
static void test_round_trip(void **state)
{
	struct sec_event e, back;
	char err[256], *a, *b;

	(void)state;
	example_event(&e);
	snprintf(e.src.ns, sizeof(e.src.ns), "policy-demo");
	e.src.port = 0;
	snprintf(e.dst.ip, sizeof(e.dst.ip), "FD00:0:0::7");
	e.dst.port = 65535;
	snprintf(e.dst.ns, sizeof(e.dst.ns), "kube-system");
	snprintf(e.dst.name, sizeof(e.dst.name), "coredns-5d78c9869d-abcde");
	snprintf(e.dst.name_aggr, sizeof(e.dst.name_aggr), "coredns-5d78c9869d-*");
	e.has_typical = false;
	e.actual = 0.1;
	assert_true(event_add_num(&e, "ratio", -2.5e-7));
	assert_true(event_add_num(&e, "big", 9007199254740993.0));
	assert_true(event_add_str(&e, "note", "caf\xc3\xa9 \"q\" \\ \n"));
	e.nmitre = 2;
	snprintf(e.mitre_ids[0], sizeof(e.mitre_ids[0]), "T1046");
	snprintf(e.mitre_ids[1], sizeof(e.mitre_ids[1]), "T1595.001");
	snprintf(e.mitre_tactic, sizeof(e.mitre_tactic), "Discovery");
	snprintf(e.attack_vector, sizeof(e.attack_vector), "Network");
	e.nmitigations = 1;
	snprintf(e.mitigations[0], sizeof(e.mitigations[0]), "Quarantine the source");
	a = print(&e);
	assert_non_null(strstr(a, "\"dest_ip\":\"fd00::7\",\"dest_port\":65535,"));
	assert_non_null(strstr(a, "\"source_port\":0,"));
	assert_non_null(strstr(a, "\"actual\":0.1,\"typical\":null,\"threshold\":25,"));
	assert_non_null(strstr(a, "\"ratio\":-2.5e-07,\"big\":9007199254740992,"));
	assert_non_null(strstr(a, "},\"mitre_ids\":[\"T1046\",\"T1595.001\"],"
				  "\"mitre_tactic\":\"Discovery\",\"attack_vector\":\"Network\","
				  "\"mitigations\":[\"Quarantine the source\"]}\n"));
	assert_int_equal(event_parse(a, strlen(a), &back, err, sizeof(err)), 0);
	assert_string_equal(back.id, e.id);
	assert_int_equal(back.time, e.time);
	assert_string_equal(back.type, e.type);
	assert_string_equal(back.origin, e.origin);
	assert_int_equal(back.severity, 80);
	assert_string_equal(back.description, e.description);
	assert_string_equal(back.src.ip, "198.51.100.66");
	assert_int_equal(back.src.port, 0);
	assert_string_equal(back.src.ns, "policy-demo");
	assert_string_equal(back.dst.ip, "fd00::7");
	assert_int_equal(back.dst.port, 65535);
	assert_string_equal(back.dst.name_aggr, "coredns-5d78c9869d-*");
	assert_string_equal(back.host, "controller");
	assert_true(back.actual == 0.1);
	assert_false(back.has_typical);
	assert_true(back.has_threshold);
	assert_true(back.threshold == 25);
	assert_int_equal(back.window_start, 1764370800);
	assert_int_equal(back.window_end, 1764370815);
	assert_int_equal(back.nextra, 5);
	assert_string_equal(back.extra[0].key, "distinct_ports");
	assert_true(back.extra[0].is_num && back.extra[0].num == 1);
	assert_string_equal(back.extra[1].key, "proto");
	assert_false(back.extra[1].is_num);
	assert_string_equal(back.extra[1].str, "icmp");
	assert_true(back.extra[2].num == -2.5e-7);
	assert_string_equal(back.extra[4].str, "caf\xc3\xa9 \"q\" \\ \n");
	assert_int_equal(back.nmitre, 2);
	assert_string_equal(back.mitre_ids[1], "T1595.001");
	assert_string_equal(back.mitre_tactic, "Discovery");
	assert_string_equal(back.attack_vector, "Network");
	assert_int_equal(back.nmitigations, 1);
	assert_string_equal(back.mitigations[0], "Quarantine the source");
	b = print(&back);
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* The smallest event: names print as "-", IPs and ports as null, no threat context. */
	event_init(&e);
	snprintf(e.type, sizeof(e.type), "global_alert");
	snprintf(e.origin, sizeof(e.origin), "a");
	event_set_id(&e, "");
	a = print(&e);
	assert_string_equal(
		a, "{\"id\":\"69b2731d81bf9d34\",\"time\":0,\"type\":\"global_alert\","
		   "\"origin\":\"a\",\"severity\":0,\"description\":\"\",\"source_ip\":null,"
		   "\"source_port\":null,\"source_namespace\":\"-\",\"source_name\":\"-\","
		   "\"source_name_aggr\":\"-\",\"dest_ip\":null,\"dest_port\":null,"
		   "\"dest_namespace\":\"-\",\"dest_name\":\"-\",\"dest_name_aggr\":\"-\","
		   "\"host\":\"-\",\"record\":{\"actual\":0,\"typical\":null,\"threshold\":null,"
		   "\"window_start\":0,\"window_end\":0}}\n");
	assert_int_equal(event_parse(a, strlen(a) - 1, &back, err, sizeof(err)), 0);
	assert_int_equal(back.src.port, -1);
	assert_string_equal(back.src.name, "");
	assert_string_equal(back.host, "");
	assert_false(back.has_threshold);
	free(a);
}

/* Strings come out as jansson itself would write them. */
static void test_strings_like_jansson(void **state)
{
	static const char *const strings[] = {
		"plain",
		"q\"uote",
		"back\\slash",
		"\b\f\n\r\t",
		"\x01\x1f\x7f",
		"sl/ash",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82",
		"",
	};
	struct sec_event e;

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		json_t *j, *d;
		char *line, *dump, *at;

		example_event(&e);
		snprintf(e.description, sizeof(e.description), "%s", strings[i]);
		line = print(&e);
		j = json_loads(line, 0, NULL);
		assert_non_null(j);
		d = json_object_get(j, "description");
		assert_string_equal(json_string_value(d), strings[i]);
		dump = json_dumps(d, JSON_ENCODE_ANY);
		assert_non_null(dump);
		at = strstr(line, ",\"description\":");
		assert_non_null(at);
		assert_memory_equal(at + 15, dump, strlen(dump));
		assert_string_equal(at + 15 + strlen(dump), strstr(example, ",\"source_ip\""));
		free(dump);
		free(line);
		json_decref(j);
	}
}

/* Invalid UTF-8 in a field is repaired so that the line stays valid JSON. */
static void test_invalid_utf8(void **state)
{
	struct sec_event e;
	struct strbuf b;

	(void)state;
	strbuf_init(&b);
	jsonw_str(&b, "ab\xff"
		      "c");
	assert_string_equal(b.s, "\"ab\xef\xbf\xbd"
				 "c\"");
	strbuf_reset(&b);
	jsonw_str(&b, "abc\xe2\x82"); /* the euro sign cut by a byte-wise truncation */
	assert_string_equal(b.s, "\"abc\"");
	strbuf_reset(&b);
	jsonw_str(&b, "\xe2\x82"
		      "x\xc0\xaf"); /* cut in the middle, overlong */
	assert_string_equal(b.s, "\"\xef\xbf\xbd\xef\xbf\xbd"
				 "x\xef\xbf\xbd\xef\xbf\xbd\"");
	strbuf_reset(&b);
	jsonw_str(&b, "\xed\xa0\x80"); /* a surrogate */
	assert_string_equal(b.s, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	strbuf_fini(&b);

	example_event(&e);
	snprintf(e.src.name, sizeof(e.src.name), "p\xfe");
	{
		char *line = print(&e), err[256];
		struct sec_event back;

		assert_int_equal(event_parse(line, strlen(line), &back, err, sizeof(err)), 0);
		assert_string_equal(back.src.name, "p\xef\xbf\xbd");
		free(line);
	}
}

static void test_numbers(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{40, "40"},
		{-0.0, "0"},
		{0.1, "0.1"},
		{1.0 / 3, "0.33333333333333331"},
		{1e300, "1e+300"},
		{-12.75, "-12.75"},
		{123456789012345.0, "123456789012345"},
	};
	struct strbuf b;

	(void)state;
	strbuf_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&b);
		jsonw_num(&b, cases[i].v);
		assert_string_equal(b.s, cases[i].want);
		assert_true(strtod(b.s, NULL) == cases[i].v);
	}
	strbuf_reset(&b);
	jsonw_num(&b, NAN);
	assert_string_equal(b.s, "null");
	strbuf_reset(&b);
	jsonw_num(&b, -INFINITY);
	assert_string_equal(b.s, "null");
	strbuf_fini(&b);
}

/* Strings are cut at a character boundary, never in the middle of one. */
static void test_truncation(void **state)
{
	char big[2000], buf[8], err[256], line[3000], *out;
	struct sec_event e, back;
	size_t n;

	(void)state;
	assert_false(utf8_copy(buf, sizeof(buf), "ab\xe2\x82\xac\xe2\x82\xac")); /* ab€€ */
	assert_string_equal(buf, "ab\xe2\x82\xac");
	assert_true(utf8_copy(buf, sizeof(buf), "abcdefg"));
	assert_string_equal(buf, "abcdefg");
	assert_false(utf8_copy(buf, sizeof(buf), "abcdefgh"));
	assert_string_equal(buf, "abcdefg");
	assert_false(utf8_copy(buf, 1, "\xf0\x9f\x99\x82"));
	assert_string_equal(buf, "");
	assert_int_equal(utf8_prefix_len("\xf0\x9f\x99\x82\xf0\x9f\x99\x82", 7), 4);

	/* 200 two-byte characters into a 255-byte extra: 127 of them. */
	for (n = 0; n < 400; n += 2)
		memcpy(big + n, "\xc3\xa9", 2);
	big[n] = '\0';
	event_init(&e);
	assert_true(event_add_str(&e, "k", big));
	assert_int_equal(strlen(e.extra[0].str), 254);
	assert_true(utf8_valid(e.extra[0].str));

	/* event_describe: 300 three-byte characters into 511 bytes: 170 of them. */
	for (n = 0; n < 900; n += 3)
		memcpy(big + n, "\xe6\x97\xa5", 3);
	big[n] = '\0';
	event_describe(&e, "%s", big);
	assert_int_equal(strlen(e.description), 510);
	assert_true(utf8_valid(e.description));

	/* The parser cuts a long description and a long name the same way. */
	example_event(&e);
	out = print(&e);
	snprintf(line, sizeof(line), "%.*s\"x%s\"%s",
		 (int)(strstr(out, "\"198.51.100.66 sent") - out), out, big,
		 strstr(out, ",\"source_ip\""));
	assert_int_equal(event_parse(line, strlen(line), &back, err, sizeof(err)), 0);
	assert_int_equal(strlen(back.description), 511); /* "x" and 170 characters */
	assert_true(utf8_valid(back.description));
	free(out);
}

static void test_add_limits(void **state)
{
	struct sec_event e;
	char key[16];

	(void)state;
	event_init(&e);
	assert_false(event_add_num(&e, "actual", 1));
	assert_false(event_add_num(&e, "window_end", 1));
	assert_false(event_add_num(&e, "", 1));
	assert_false(event_add_str(&e, "0123456789012345678901234567890123456789", "x"));
	assert_true(event_add_str(&e, "012345678901234567890123456789012345678", "x"));
	assert_false(event_add_num(&e, "012345678901234567890123456789012345678", 2));
	for (int i = 1; i < EVENT_MAX_EXTRA; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_true(event_add_num(&e, key, i));
	}
	assert_false(event_add_num(&e, "one_more", 1));
	assert_int_equal(e.nextra, EVENT_MAX_EXTRA);
}

/* Extra keys are escaped like any string, and must be valid UTF-8 to be added. */
static void test_extra_keys(void **state)
{
	struct sec_event e, back;
	char err[256], *line;

	(void)state;
	example_event(&e);
	assert_false(event_add_num(&e, "bad\xff", 1));
	assert_true(event_add_num(&e, "q\"uote\\d", 2));
	assert_true(event_add_str(&e, "caf\xc3\xa9", "v"));
	line = print(&e);
	assert_non_null(strstr(line, ",\"q\\\"uote\\\\d\":2,\"caf\xc3\xa9\":\"v\"}}\n"));
	assert_int_equal(event_parse(line, strlen(line), &back, err, sizeof(err)), 0);
	assert_int_equal(back.nextra, 4);
	assert_string_equal(back.extra[2].key, "q\"uote\\d");
	assert_string_equal(back.extra[3].key, "caf\xc3\xa9");
	free(line);
}

/* What cannot be read back is not printed. */
static void test_print_invalid(void **state)
{
	struct sec_event e;
	struct strbuf b;

	(void)state;
	strbuf_init(&b);
	event_init(&e);
	snprintf(e.type, sizeof(e.type), "global_alert");
	snprintf(e.origin, sizeof(e.origin), "x");
	assert_int_equal(event_print(&e, &b), -EINVAL); /* no id */
	example_event(&e);
	e.origin[0] = '\0';
	assert_int_equal(event_print(&e, &b), -EINVAL);
	example_event(&e);
	snprintf(e.src.ip, sizeof(e.src.ip), "10.0.0.300");
	assert_int_equal(event_print(&e, &b), -EINVAL);
	example_event(&e);
	memset(e.host, 'h', sizeof(e.host));
	assert_int_equal(event_print(&e, &b), -EINVAL);
	example_event(&e);
	snprintf(e.extra[1].key, sizeof(e.extra[1].key), "distinct_ports");
	assert_int_equal(event_print(&e, &b), -EINVAL);
	example_event(&e);
	e.nmitre = EVENT_MAX_MITRE + 1;
	assert_int_equal(event_print(&e, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	/* Out-of-range numbers are clamped rather than refused. */
	example_event(&e);
	e.severity = 250;
	e.time = UINT64_MAX;
	e.src.port = 70000;
	assert_int_equal(event_print(&e, &b), 0);
	assert_non_null(strstr(b.s, "\"time\":9223372036854775807,"));
	assert_non_null(strstr(b.s, "\"severity\":100,"));
	assert_non_null(strstr(b.s, "\"source_port\":null,"));
	strbuf_fini(&b);
}

/* base with the first occurrence of from replaced by to. */
static const char *edit(const char *from, const char *to)
{
	static char buf[4096];
	const char *at = strstr(example, from);

	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - example), example, to, at + strlen(from));
	return buf;
}

static void check_error(const char *line, const char *want)
{
	struct sec_event e;
	char err[256];

	memset(&e, 0x5a, sizeof(e));
	assert_int_equal(event_parse(line, strlen(line), &e, err, sizeof(err)), -EINVAL);
	if (strcmp(err, want))
		print_message("got \"%s\", want \"%s\"\n", err, want);
	assert_string_equal(err, want);
	/* Left empty. */
	assert_string_equal(e.id, "");
	assert_int_equal(e.src.port, -1);
	assert_int_equal(e.nextra, 0);
	assert_int_equal(event_parse(line, strlen(line), &e, NULL, 0), -EINVAL);
}

static void test_parse_errors(void **state)
{
	(void)state;
	check_error("", "invalid JSON at byte 0: '[' or '{' expected near end of file");
	check_error("[1]", "expected a JSON object");
	check_error(edit("\"id\":\"4f972eddf8f7511b\",", ""), "id: missing");
	check_error(edit("4f972eddf8f7511b", "4f972eddf8f7511"),
		    "id: expected 16 hexadecimal digits");
	check_error(edit("\"4f972eddf8f7511b\"", "7"), "id: expected 16 hexadecimal digits");
	check_error(edit("1764370815,\"type\"", "-1,\"type\""),
		    "time: expected a non-negative integer");
	check_error(edit("\"anomaly_detection_job\"", "\"\""),
		    "type: expected a non-empty string of at most 31 bytes");
	check_error(edit("\"origin\":\"ip_sweep_external\",", ""), "origin: missing");
	check_error(edit("\"ip_sweep_external\"", "\"\""), "origin: must not be empty");
	check_error(edit("\"severity\":80", "\"severity\":101"),
		    "severity: expected an integer 0..100");
	check_error(edit("\"severity\":80", "\"severity\":\"high\""),
		    "severity: expected an integer 0..100");
	check_error(edit("\"description\":\"198.51.100.66 sent to 40 addresses in the cluster in "
			 "15 s\"",
			 "\"description\":null"),
		    "description: expected a string");
	check_error(edit("\"source_ip\":\"198.51.100.66\"", "\"source_ip\":\"198.51.100\""),
		    "source_ip: expected an IP address or null");
	check_error(edit("\"source_port\":null", "\"source_port\":65536"),
		    "source_port: expected an integer 0..65535 or null");
	check_error(edit("\"dest_name\":\"-\"", "\"dest_name\":7"),
		    "dest_name: expected a string or null");
	check_error(edit("\"host\":\"controller\"", "\"host\":\"a\\u0000b\""),
		    "host: contains a NUL character");
	check_error(edit("\"record\":{", "\"record\":[],\"x\":{"),
		    "record: expected an object or null");
	check_error(edit("\"actual\":40", "\"actual\":\"40\""),
		    "record.actual: expected a number or null");
	check_error(edit("\"threshold\":25", "\"threshold\":true"),
		    "record.threshold: expected a number or null");
	check_error(edit("\"window_end\":1764370815", "\"window_end\":1764370799"),
		    "record.window_end: before window_start");
	check_error(edit("\"window_start\":1764370800", "\"window_start\":1.5"),
		    "record.window_start: expected a non-negative integer or null");
	check_error(edit("\"proto\":\"icmp\"", "\"proto\":[]"),
		    "record.proto: expected a number, a string or null");
	check_error(edit("\"proto\":", "\"0123456789012345678901234567890123456789\":"),
		    "record.0123456789012345678901234567890123456789: key longer than 39 bytes");
	check_error(edit("\"proto\":", "\"\":"), "record.: empty key");
	check_error(
		edit("\"proto\":", "\"a\\u0000b\":"),
		"invalid JSON at byte 554: NUL byte in object key not supported near '\"a\\u0000b\"'");
	check_error(edit("\"actual\":40", "\"actual\":40,\"actual\":41"),
		    "invalid JSON at byte 456: duplicate object key near '\"actual\"'");
	check_error(edit("}}", "},\"mitre_ids\":\"T1046\"}"),
		    "mitre_ids: expected an array of strings or null");
	check_error(edit("}}", "},\"mitre_ids\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}"),
		    "mitre_ids: more than 4 entries");
	check_error(edit("}}", "},\"mitigations\":[\"a\",1]}"),
		    "mitigations[1]: expected a string");
	check_error(edit("}}", "},\"mitre_tactic\":{}}"),
		    "mitre_tactic: expected a string or null");
}

/* Seventeen extras are one too many; the same line with sixteen parses. */
static void test_parse_extra_limit(void **state)
{
	char line[4096], err[256], *at;
	struct sec_event e;
	size_t n;

	(void)state;
	at = strstr(example, "\"proto\"");
	n = (size_t)(at - example);
	memcpy(line, example, n);
	for (int i = 0; i < EVENT_MAX_EXTRA - 2; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\"e%d\":%d,", i, i);
	snprintf(line + n, sizeof(line) - n, "%s", at);
	assert_int_equal(event_parse(line, strlen(line), &e, err, sizeof(err)), 0);
	assert_int_equal(e.nextra, EVENT_MAX_EXTRA);
	assert_string_equal(e.extra[15].key, "proto");
	n = (size_t)(strstr(line, "\"proto\"") - line);
	snprintf(line + n, sizeof(line) - n, "\"one\":null,%s", at);
	check_error(line, "record: more than 16 extra members");
}

/* Calico Enterprise's own events carry fewer fields and more; they still parse. */
static void test_parse_lenient(void **state)
{
	static const char line[] =
		"{\"id\":\"00000000000000AB\",\"time\":1,\"type\":\"gtf_suspicious_flow\","
		"\"origin\":\"feodo\",\"severity\":100,\"description\":\"d\","
		"\"source_ip\":\"10.0.0.1\",\"dest_ip\":null,\"name\":\"x\",\"dismissed\":false}";
	struct sec_event e;
	char err[256];

	(void)state;
	assert_int_equal(event_parse(line, strlen(line), &e, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "id: expected 16 hexadecimal digits");
	{
		char ok[sizeof(line)];

		memcpy(ok, line, sizeof(line));
		memcpy(strstr(ok, "AB"), "ab", 2);
		assert_int_equal(event_parse(ok, strlen(ok), &e, err, sizeof(err)), 0);
	}
	assert_string_equal(e.src.ip, "10.0.0.1");
	assert_int_equal(e.src.port, -1);
	assert_int_equal(e.nextra, 0);
	assert_true(e.actual == 0);
	assert_string_equal(e.host, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_exact), cmocka_unit_test(test_id),
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_strings_like_jansson),
		cmocka_unit_test(test_invalid_utf8),  cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_truncation),    cmocka_unit_test(test_add_limits),
		cmocka_unit_test(test_extra_keys),    cmocka_unit_test(test_print_invalid),
		cmocka_unit_test(test_parse_errors),  cmocka_unit_test(test_parse_extra_limit),
		cmocka_unit_test(test_parse_lenient),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
