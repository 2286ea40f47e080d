/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GlobalAlert queries: the grammar and its canonical forms, every error message with its
 * column, evaluation on flow log records (numbers, addresses, text, labels, policies, null
 * fields, wildcards), the limits, and random queries that must print and parse back to the
 * same text and the same answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/flowlog.h"
#include "lib/query.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The example record of flowlog.h. */
static const char base_json[] =
	"{\"start_time\":1764370800,\"end_time\":1764370815,"
	"\"source_ip\":\"10.244.0.5\",\"source_name\":\"access\",\"source_name_aggr\":\"access\","
	"\"source_namespace\":\"policy-demo\",\"source_port\":null,\"source_type\":\"wep\","
	"\"source_labels\":{\"labels\":[\"run=access\"]},"
	"\"dest_ip\":\"10.244.1.7\",\"dest_name\":\"nginx-7d9f8c6b5-x2x9q\","
	"\"dest_name_aggr\":\"nginx-7d9f8c6b5-*\",\"dest_namespace\":\"policy-demo\",\"dest_port\":80,"
	"\"dest_type\":\"wep\",\"dest_labels\":{\"labels\":[\"app=nginx\",\"pod-template-hash=7d9f8c6b5\"]},"
	"\"proto\":\"tcp\",\"action\":\"allow\",\"reporter\":\"dst\","
	"\"policies\":{\"all_policies\":[\"0|default|policy-demo/knp.default.access-nginx|allow|0\"]},"
	"\"bytes_in\":120,\"bytes_out\":600,\"packets_in\":2,\"packets_out\":2,"
	"\"num_flows\":1,\"num_flows_started\":1,\"num_flows_completed\":1,"
	"\"num_flows_unanswered\":0,\"host\":\"node-1\"}";

static void load_rec(struct flowlog_rec *r)
{
	char err[256] = "";

	if (flowlog_parse(base_json, strlen(base_json), r, err, sizeof(err)))
		fail_msg("flowlog_parse: %s", err);
}

static struct query *parse_ok(const char *text)
{
	char *err = NULL;
	struct query *q = query_parse(text, &err);

	if (!q)
		fail_msg("query_parse(%s): %s", text, err ? err : "(no message)");
	assert_null(err);
	return q;
}

static void check_print(const char *in, const char *want)
{
	struct query *q = parse_ok(in), *q2;
	char *got = query_print(q), *again;

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("print(%s):\n  got  %s\n  want %s", in, got, want);
	q2 = parse_ok(got);
	again = query_print(q2);
	assert_string_equal(again, got);
	free(again);
	free(got);
	query_free(q2);
	query_free(q);
}

static void check_error(const char *in, const char *want)
{
	char *err = NULL;
	struct query *q = query_parse(in, &err);

	if (q)
		fail_msg("query_parse(%s) succeeded, wanted: %s", in, want);
	assert_int_equal(errno, EINVAL);
	assert_non_null(err);
	if (strcmp(err, want))
		fail_msg("query_parse(%s):\n  got  %s\n  want %s", in, err, want);
	free(err);
}

static bool matches_rec(const char *text, const struct flowlog_rec *r)
{
	struct query *q = parse_ok(text);
	bool m = query_match(q, r);

	query_free(q);
	return m;
}

static bool matches(const char *text)
{
	struct flowlog_rec r;
	bool m;

	load_rec(&r);
	m = matches_rec(text, &r);
	flowlog_rec_fini(&r);
	return m;
}

/* ---- fields -------------------------------------------------------------------------- */

static void test_fields(void **state)
{
	struct flowlog_rec r;
	struct strbuf b;
	uint64_t v;

	(void)state;
	assert_int_equal(query_field_lookup("dest_port", 9), QUERY_FIELD_DEST_PORT);
	assert_int_equal(query_field_lookup("dest_port_num", 13), QUERY_FIELD_DEST_PORT);
	assert_int_equal(query_field_lookup("source_labels.labels", 20), QUERY_FIELD_SOURCE_LABELS);
	assert_int_equal(query_field_lookup("policies.all_policies", 21), QUERY_FIELD_POLICIES);
	assert_int_equal(query_field_lookup("dest_portx", 10), -1);
	assert_int_equal(query_field_lookup("dest_port", 8), -1);
	assert_string_equal(query_field_name(QUERY_FIELD_NUM_FLOWS_UNANSWERED),
			    "num_flows_unanswered");
	assert_int_equal(query_field_type(QUERY_FIELD_HOST), QUERY_TYPE_TEXT);
	assert_int_equal(query_field_type(QUERY_FIELD_DEST_IP), QUERY_TYPE_IP);
	assert_int_equal(query_field_type(QUERY_FIELD_POLICIES), QUERY_TYPE_LIST);
	assert_int_equal(query_field_type(QUERY_FIELD_BYTES_OUT), QUERY_TYPE_NUM);

	load_rec(&r);
	assert_true(query_field_num(&r, QUERY_FIELD_BYTES_OUT, &v));
	assert_int_equal(v, 600);
	assert_true(query_field_num(&r, QUERY_FIELD_DEST_PORT, &v));
	assert_int_equal(v, 80);
	assert_false(query_field_num(&r, QUERY_FIELD_SOURCE_PORT, &v));
	assert_false(query_field_num(&r, QUERY_FIELD_HOST, &v));
	strbuf_init(&b);
	query_field_text(&r, QUERY_FIELD_DEST_LABELS, &b);
	assert_string_equal(strbuf_str(&b), "app=nginx,pod-template-hash=7d9f8c6b5");
	strbuf_reset(&b);
	query_field_text(&r, QUERY_FIELD_SOURCE_PORT, &b);
	assert_string_equal(strbuf_str(&b), "");
	strbuf_reset(&b);
	query_field_text(&r, QUERY_FIELD_END_TIME, &b);
	assert_string_equal(strbuf_str(&b), "1764370815");
	strbuf_reset(&b);
	query_field_text(&r, QUERY_FIELD_SOURCE_NAMESPACE, &b);
	assert_string_equal(strbuf_str(&b), "policy-demo");
	strbuf_fini(&b);
	flowlog_rec_fini(&r);
}

/* ---- grammar and canonical forms ----------------------------------------------------- */

static void test_print(void **state)
{
	(void)state;
	check_print("", "");
	check_print(" \t\n ", "");
	check_print("action=deny AND source_namespace=policy-demo",
		    "action = deny AND source_namespace = policy-demo");
	check_print("dest_port IN {80, 22, 80}", "dest_port IN {22, 80}");
	check_print("source_name_aggr NOTIN {\"nginx-*\", \"db-?\"}",
		    "source_name_aggr NOTIN {db-?, nginx-*}");
	check_print("NOT (proto=udp OR proto=icmp)", "NOT (proto = udp OR proto = icmp)");
	check_print("bytes_out > 1000", "bytes_out > 1000");
	check_print(
		"bytes_out>=1000 and bytes_in<=5 or packets_in<3 && packets_out!=4",
		"(bytes_out >= 1000 AND bytes_in <= 5) OR (packets_in < 3 AND packets_out != 4)");
	check_print("action = deny || (reporter = src OR reporter = dst)",
		    "action = deny OR reporter = src OR reporter = dst");
	check_print("(action = deny AND (proto = tcp AND dest_port = 22))",
		    "action = deny AND proto = tcp AND dest_port = 22");
	check_print("not action = deny", "NOT action = deny");
	check_print("!action = deny", "NOT action = deny");
	check_print("NOT NOT action = deny", "NOT NOT action = deny");
	check_print("NOT (action = deny AND proto = tcp)", "NOT (action = deny AND proto = tcp)");
	check_print("action in {deny} and proto notin {tcp}",
		    "action IN {deny} AND proto NOTIN {tcp}");
	/* Calico Enterprise's field names, quoted field names. */
	check_print("source_labels.labels = \"app=nginx\"", "source_labels = \"app=nginx\"");
	check_print("\"dest_port_num\" = 443", "dest_port = 443");
	check_print("policies.all_policies IN {\"*|deny|*\"}", "policies IN {\"*|deny|*\"}");
	/* Values: proto numbers by name, addresses canonical, numbers shortest. */
	check_print("proto = 6", "proto = tcp");
	check_print("proto IN {17, 1, 58, 132, 47}", "proto IN {47, icmp, icmp6, sctp, udp}");
	check_print("source_ip = \"fd00:0:0::1\"", "source_ip = fd00::1");
	check_print("dest_ip IN {\"10.0.*\", 10.0.0.1}", "dest_ip IN {10.0.*, 10.0.0.1}");
	check_print("bytes_out < 1e3", "bytes_out < 1000");
	check_print("bytes_out < 1.50", "bytes_out < 1.5");
	check_print("bytes_out > -2", "bytes_out > -2");
	check_print("bytes_out IN {3, 1.0, 1, 2e0}", "bytes_out IN {1, 2, 3}");
	check_print("bytes_out < 100000000000000000000", "bytes_out < 1e+20");
	check_print("bytes_out != -0e3", "bytes_out != 0");
	/* Quoting. */
	check_print("host = \"a \\\"b\\\" \\\\ c\"", "host = \"a \\\"b\\\" \\\\ c\"");
	check_print("host = \"\"", "host = \"\"");
	check_print("host = \"node-1\"", "host = node-1");
	check_print("host = AND", "host = AND");
	check_print("host = \"nodé\"", "host = nodé");
	check_print("host=\"a(b)\"", "host = \"a(b)\"");
	check_print("source_name = \"*\"", "source_name = *");
}

static void test_errors(void **state)
{
	char long_text[QUERY_MAX_LEN + 16];

	(void)state;
	check_error("action=deny AND source_namespace=", "column 34: expected a value after '='");
	check_error("source_namespace=)", "column 18: expected a value after '=', found ')'");
	check_error("dest_port < ", "column 13: expected a value after '<'");
	check_error("src_namespace = x",
		    "column 1: unknown field 'src_namespace' (did you mean 'source_namespace'?)");
	check_error("foo = 1",
		    "column 1: unknown field 'foo' (the fields are those of a flow log record)");
	check_error("action = deny AND dst_port = 1",
		    "column 19: unknown field 'dst_port' (did you mean 'dest_port'?)");
	check_error("action = dney", "column 10: action: expected allow or deny, found 'dney'");
	check_error("reporter IN {src, \"both\"}",
		    "column 19: reporter: expected src or dst, found \"both\"");
	check_error("dest_type = pod",
		    "column 13: dest_type: expected wep, hep, ns or net, found 'pod'");
	check_error("dest_port = http", "column 13: dest_port: expected a number, found 'http'");
	check_error("dest_port IN {22, 70000}",
		    "column 19: dest_port: expected a port number 0..65535, found '70000'");
	check_error("dest_port IN {\"2*\"}",
		    "column 15: dest_port: expected a number, found \"2*\"");
	check_error("bytes_out > 0x10", "column 13: bytes_out: expected a number, found '0x10'");
	check_error("bytes_out > 1e999", "column 13: bytes_out: expected a number, found '1e999'");
	check_error("source_ip = 10.0.0.300",
		    "column 13: source_ip: expected an IP address, found '10.0.0.300'");
	check_error("source_labels = app",
		    "column 17: source_labels: expected a label 'key=value', found 'app'");
	check_error("proto = 300",
		    "column 9: proto: expected a protocol name or number 0..255, found '300'");
	check_error("action = deny AND", "column 18: expected a condition after 'AND'");
	check_error("action = deny OR )", "column 18: expected a condition after 'OR', found ')'");
	check_error(") action = deny",
		    "column 1: expected a condition (a field and a value, NOT or '('), found ')'");
	check_error("NOT", "column 4: expected a condition after 'NOT'");
	check_error("(action = deny", "column 15: expected ')' to close the '(' at column 1");
	check_error("action = deny)", "column 14: ')' has no matching '('");
	check_error(
		"action deny",
		"column 8: expected an operator (=, !=, <, <=, >, >=, IN or NOTIN) after 'action', found 'deny'");
	check_error(
		"action NOT IN {deny}",
		"column 8: expected an operator (=, !=, <, <=, >, >=, IN or NOTIN) after 'action' (NOT IN is written NOTIN), found 'NOT'");
	check_error("action == deny", "column 9: expected a value after '=', found '='");
	check_error("action IN deny", "column 11: expected '{' after 'IN', found 'deny'");
	check_error("dest_port IN {}", "column 15: expected a value after '{', found '}'");
	check_error("dest_port IN {1,}", "column 17: expected a value after ',', found '}'");
	check_error("dest_port IN {1 2}",
		    "column 17: expected ',' or '}' in the set opened at column 14, found '2'");
	check_error("dest_port IN {1",
		    "column 16: expected ',' or '}' in the set opened at column 14");
	check_error("action = deny & proto = tcp",
		    "column 15: unexpected character '&' (did you mean AND?)");
	check_error(
		"action = deny | proto = tcp",
		"column 15: unexpected character '|' (did you mean OR? quote values holding '|')");
	check_error("host = a#b", "column 9: unexpected character '#' (quote values holding it)");
	check_error("host = \x01", "column 8: unexpected byte 0x01");
	check_error("host = \"abc",
		    "column 8: unterminated string: no closing '\"' before the end of the query");
	check_error("host = \"a\\nb\"",
		    "column 10: unknown escape '\\n' in a string (only \\\" and \\\\ are escapes)");
	check_error("action = deny action = allow",
		    "column 15: expected AND, OR or the end of the query, found 'action'");
	check_error("action = deny AND AND",
		    "column 19: expected a condition after 'AND', found 'AND'");
	check_error("host = \"0123456789012345678901234567890123456789\" x",
		    "column 51: expected AND, OR or the end of the query, found 'x'");
	check_error("x = 1 AND host = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "column 1: unknown field 'x' (the fields are those of a flow log record)");
	check_error(
		"dest_type IN {wep, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
		"column 20: dest_type: expected wep, hep, ns or net, found 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");

	memset(long_text, ' ', sizeof(long_text));
	memcpy(long_text, "host = x", 8);
	long_text[QUERY_MAX_LEN + 1] = '\0';
	check_error(long_text, "column 65537: the query is longer than 65536 bytes");
	long_text[QUERY_MAX_LEN] = '\0';
	query_free(parse_ok(long_text));
}

static void test_limits(void **state)
{
	struct strbuf b;
	struct query *q;
	char *err = NULL;

	(void)state;
	strbuf_init(&b);
	/* 64 NOTs parse, 65 do not. */
	for (int i = 0; i < QUERY_MAX_DEPTH; i++)
		strbuf_puts(&b, "NOT ");
	strbuf_puts(&b, "action = deny");
	query_free(parse_ok(strbuf_str(&b)));
	strbuf_reset(&b);
	for (int i = 0; i <= QUERY_MAX_DEPTH; i++)
		strbuf_puts(&b, "NOT ");
	strbuf_puts(&b, "action = deny");
	check_error(strbuf_str(&b), "column 257: conditions nested deeper than 64 levels");

	/* 64 open parentheses parse (redundant ones add no depth), 65 do not. */
	strbuf_reset(&b);
	for (int i = 0; i < QUERY_MAX_DEPTH; i++)
		strbuf_putc(&b, '(');
	strbuf_puts(&b, "action = deny");
	for (int i = 0; i < QUERY_MAX_DEPTH; i++)
		strbuf_putc(&b, ')');
	check_print(strbuf_str(&b), "action = deny");
	strbuf_reset(&b);
	for (int i = 0; i <= QUERY_MAX_DEPTH; i++)
		strbuf_putc(&b, '(');
	strbuf_puts(&b, "action = deny");
	check_error(strbuf_str(&b), "column 65: conditions nested deeper than 64 levels");

	/* "a OR b AND (" repeated: two tree levels per parenthesis. */
	strbuf_reset(&b);
	for (int i = 0; i < 40; i++)
		strbuf_puts(&b, "action = deny OR proto = tcp AND (");
	strbuf_puts(&b, "host = x");
	for (int i = 0; i < 40; i++)
		strbuf_putc(&b, ')');
	q = query_parse(strbuf_str(&b), &err);
	assert_null(q);
	assert_non_null(err);
	assert_non_null(strstr(err, ": conditions nested deeper than 64 levels"));
	free(err);

	/* The canonical form may not grow past the limit either: "a=b" prints as "a = b". */
	strbuf_reset(&b);
	strbuf_puts(&b, "host IN {h0");
	for (int i = 1; b.len < QUERY_MAX_LEN - 16; i++)
		strbuf_printf(&b, ",h%d", i);
	strbuf_putc(&b, '}');
	check_error(strbuf_str(&b),
		    "column 1: the query is longer than 65536 bytes in canonical form");

	/* NULL is the empty query. */
	q = query_parse(NULL, &err);
	assert_non_null(q);
	assert_true(query_is_empty(q));
	query_free(q);
	query_free(NULL);
	strbuf_fini(&b);
}

/* ---- evaluation ---------------------------------------------------------------------- */

static void test_match_numbers(void **state)
{
	(void)state;
	assert_true(matches("bytes_out > 599"));
	assert_false(matches("bytes_out > 600"));
	assert_true(matches("bytes_out >= 600"));
	assert_true(matches("bytes_out = 600"));
	assert_true(matches("bytes_out = 600.0"));
	assert_true(matches("bytes_out = 6e2"));
	assert_false(matches("bytes_out != 600"));
	assert_true(matches("bytes_out < 600.5"));
	assert_false(matches("bytes_out < 600"));
	assert_true(matches("bytes_out <= 600"));
	assert_true(matches("bytes_out > -1"));
	assert_false(matches("bytes_out < -1"));
	assert_true(matches("bytes_out < 1e20"));
	/* Numerically, not as text: "80" > "100" as text. */
	assert_false(matches("dest_port > 100"));
	assert_true(matches("dest_port IN {22, 80, 443}"));
	assert_false(matches("dest_port NOTIN {22, 80, 443}"));
	assert_true(matches("dest_port_num = 80"));
	assert_true(matches("start_time = 1764370800 AND end_time > 1764370800"));
	assert_true(matches("num_flows = 1 AND num_flows_started = 1 AND num_flows_completed = 1"));
	assert_true(matches("num_flows_unanswered = 0 AND packets_in = 2 AND packets_out = 2"));
	assert_true(matches("bytes_in = 120"));
	/* A null port satisfies only != and NOTIN. */
	assert_false(matches("source_port = 0"));
	assert_true(matches("source_port != 0"));
	assert_false(matches("source_port > 0"));
	assert_false(matches("source_port < 1"));
	assert_false(matches("source_port IN {0, 1}"));
	assert_true(matches("source_port NOTIN {0, 1}"));
}

static void test_match_text(void **state)
{
	struct flowlog_rec r;

	(void)state;
	assert_true(matches("action = allow AND source_namespace = policy-demo"));
	assert_false(matches("action = deny AND source_namespace = policy-demo"));
	assert_true(matches("action = deny OR source_namespace = policy-demo"));
	assert_true(matches("NOT (proto = udp OR proto = icmp)"));
	assert_false(matches("NOT proto = tcp"));
	assert_true(matches("proto = 6"));
	assert_true(matches("proto IN {6}"));
	assert_true(matches("source_name < b AND source_name > acc AND source_name <= access"));
	assert_false(matches("source_name >= b"));
	assert_true(matches("host = node-1 AND reporter = dst AND source_type = wep"));
	assert_true(matches("dest_name_aggr = \"nginx-7d9f8c6b5-*\""));
	/* = is exact: "*" is a wildcard in sets only. */
	assert_false(matches("dest_name = \"nginx-*\""));
	assert_true(matches("dest_name IN {\"nginx-*\"}"));
	assert_true(matches("source_name_aggr NOTIN {\"nginx-*\", \"db-?\"}"));
	assert_false(matches("dest_name NOTIN {\"nginx-*\", \"db-?\"}"));
	assert_true(matches("dest_name IN {\"nginx-?d9f8c6b5-x2x9?\"}"));
	assert_false(matches("dest_name IN {\"nginx-?\"}"));
	assert_true(matches("dest_name IN {\"*x*x*\"}"));
	assert_true(matches("dest_name IN {\"*\"}"));
	assert_false(matches("dest_name IN {\"*y*\"}"));
	assert_true(matches("source_name IN {\"a*c*s*\", zzz}"));
	assert_true(matches("source_name IN {\"access*\"}"));
	assert_false(matches("source_name IN {\"access?\"}"));
	/* Keywords are values in value position. */
	assert_false(matches("host = AND"));

	/* "?" is one character, not one byte. */
	load_rec(&r);
	strcpy(r.host, "nodé");
	assert_true(matches_rec("host IN {\"nod?\"}", &r));
	assert_false(matches_rec("host IN {\"nod??\"}", &r));
	assert_true(matches_rec("host IN {\"*?\"}", &r));
	assert_true(matches_rec("host IN {\"n*é\"}", &r));
	assert_true(matches_rec("host = nodé", &r));
	flowlog_rec_fini(&r);
}

static void test_match_addresses(void **state)
{
	struct flowlog_rec r;

	(void)state;
	assert_true(matches("dest_ip = 10.244.1.7"));
	assert_false(matches("dest_ip = 10.244.1.8"));
	assert_true(matches("dest_ip != 10.244.1.8"));
	/* As addresses: 10.244.1.7 < 10.244.1.10, though not as text. */
	assert_true(matches("dest_ip < 10.244.1.10"));
	assert_true(matches(
		"dest_ip > 10.244.1.6 AND dest_ip >= 10.244.1.7 AND dest_ip <= 10.244.1.7"));
	assert_true(matches("dest_ip IN {\"10.244.*\"}"));
	assert_false(matches("dest_ip IN {\"10.245.*\"}"));
	assert_true(matches("dest_ip IN {10.0.0.1, 10.244.1.7}"));
	assert_true(matches("source_ip NOTIN {10.0.0.1, \"192.*\"}"));

	load_rec(&r);
	strcpy(r.src.ip, "fd00::1");
	assert_true(matches_rec("source_ip = \"fd00:0::0:1\"", &r));
	assert_true(matches_rec("source_ip IN {\"fd00:0::1\"}", &r));
	/* A null address satisfies only != and NOTIN. */
	r.dst.ip[0] = '\0';
	assert_false(matches_rec("dest_ip = 10.244.1.7", &r));
	assert_true(matches_rec("dest_ip != 10.244.1.7", &r));
	assert_false(matches_rec("dest_ip > 0.0.0.0", &r));
	assert_false(matches_rec("dest_ip IN {\"*\"}", &r));
	assert_true(matches_rec("dest_ip NOTIN {\"*\"}", &r));
	flowlog_rec_fini(&r);
}

static void test_match_lists(void **state)
{
	struct flowlog_rec r;

	(void)state;
	assert_true(matches("dest_labels = \"app=nginx\""));
	assert_true(matches("dest_labels = \"pod-template-hash=7d9f8c6b5\""));
	assert_false(matches("dest_labels = \"app=web\""));
	/* != and NOTIN: no entry matches. */
	assert_false(matches("dest_labels != \"app=nginx\""));
	assert_true(matches("dest_labels != \"app=web\""));
	assert_true(matches("dest_labels IN {\"app=*\"}"));
	assert_false(matches("dest_labels NOTIN {\"app=*\"}"));
	assert_true(matches("dest_labels NOTIN {\"tier=*\"}"));
	assert_true(matches("source_labels.labels = \"run=access\""));
	assert_true(matches("dest_labels > \"pod\""));
	assert_false(matches("source_labels > \"s\""));
	assert_true(matches("policies IN {\"*|policy-demo/knp.default.access-nginx|allow|*\"}"));
	assert_true(
		matches("policies = \"0|default|policy-demo/knp.default.access-nginx|allow|0\""));
	assert_false(matches("policies IN {\"*|deny|*\"}"));
	assert_true(matches("policies NOTIN {\"*|deny|*\"}"));

	/* No entries: positive conditions fail, negative ones hold. */
	load_rec(&r);
	r.dst.nlabels = 0;
	r.npolicies = 0;
	assert_false(matches_rec("dest_labels IN {\"*\"}", &r));
	assert_true(matches_rec("dest_labels NOTIN {\"*\"}", &r));
	assert_true(matches_rec("dest_labels != \"app=nginx\"", &r));
	assert_false(matches_rec("policies = x", &r));
	flowlog_rec_fini(&r);
}

static void test_match_empty(void **state)
{
	(void)state;
	assert_true(matches(""));
	assert_true(matches("  "));
}

/* ---- random round trips -------------------------------------------------------------- */

static const char *const leaves[] = {
	"action = deny",
	"action = allow",
	"dest_port IN {22, 80}",
	"dest_port > 79",
	"source_port != 1",
	"bytes_out >= 600",
	"bytes_in < 1.5",
	"dest_ip < 10.244.1.10",
	"source_ip IN {\"10.244.*\"}",
	"dest_labels = \"app=nginx\"",
	"dest_labels NOTIN {\"app=*\"}",
	"policies IN {\"*|allow|*\"}",
	"proto = 17",
	"host = \"node-1\"",
	"source_name_aggr NOTIN {\"acc?ss\", x}",
	"source_namespace = \"a b\"",
};

/*
 * Appends a random query to b and returns what it must give on the three records (bit i
 * for record i), computed from the leaves' answers (leaf_bits) with plain boolean logic.
 */
static unsigned gen(struct strbuf *b, unsigned *seed, int depth, const unsigned *leaf_bits)
{
	int r = depth > 4 ? 0 : rand_r(seed) % 4;
	unsigned x, y;
	size_t leaf;

	switch (r) {
	case 0:
		leaf = (size_t)rand_r(seed) % (sizeof(leaves) / sizeof(leaves[0]));
		strbuf_puts(b, leaves[leaf]);
		return leaf_bits[leaf];
	case 1:
		strbuf_puts(b, rand_r(seed) % 2 ? "NOT " : "!");
		return ~gen(b, seed, depth + 1, leaf_bits) & 7;
	default:
		/* Parenthesised half the time; bare "a AND b OR c" relies on precedence. */
		if (rand_r(seed) % 2 || depth == 0) {
			strbuf_putc(b, '(');
			x = gen(b, seed, depth + 1, leaf_bits);
			strbuf_puts(b, r == 2 ? (rand_r(seed) % 2 ? " AND " : " && ")
					      : (rand_r(seed) % 2 ? " or " : " || "));
			y = gen(b, seed, depth + 1, leaf_bits);
			strbuf_putc(b, ')');
			return r == 2 ? x & y : x | y;
		}
		/* (x AND y) OR z written without parentheses. */
		strbuf_putc(b, '(');
		x = gen(b, seed, depth + 1, leaf_bits);
		strbuf_puts(b, " AND ");
		y = gen(b, seed, depth + 1, leaf_bits);
		strbuf_puts(b, " OR ");
		x &= y;
		y = gen(b, seed, depth + 1, leaf_bits);
		strbuf_putc(b, ')');
		return x | y;
	}
}

static void test_random(void **state)
{
	unsigned seed = (unsigned)time(NULL), s = seed;
	unsigned leaf_bits[sizeof(leaves) / sizeof(leaves[0])] = {0};
	struct flowlog_rec r[3];
	struct strbuf b;

	(void)state;
	for (int i = 0; i < 3; i++)
		load_rec(&r[i]);
	r[1].dst.port = 22;
	strcpy(r[1].action, "deny");
	r[1].bytes_in = 1;
	r[2].dst.nlabels = 0;
	strcpy(r[2].proto, "udp");
	strcpy(r[2].src.ip, "192.0.2.1");
	for (size_t l = 0; l < sizeof(leaves) / sizeof(leaves[0]); l++)
		for (int i = 0; i < 3; i++)
			leaf_bits[l] |= (unsigned)matches_rec(leaves[l], &r[i]) << i;
	/* Every leaf tells the records apart somewhere, or the test would prove little. */
	assert_int_equal(leaf_bits[0], 2);  /* action = deny */
	assert_int_equal(leaf_bits[2], 7);  /* dest_port IN {22, 80} */
	assert_int_equal(leaf_bits[6], 2);  /* bytes_in < 1.5 */
	assert_int_equal(leaf_bits[8], 3);  /* source_ip IN {"10.244.*"} */
	assert_int_equal(leaf_bits[10], 4); /* dest_labels NOTIN {"app=*"} */
	assert_int_equal(leaf_bits[12], 4); /* proto = 17 */
	strbuf_init(&b);
	for (int n = 0; n < 3000; n++) {
		struct query *q, *q2;
		unsigned want;
		char *p1, *p2;

		strbuf_reset(&b);
		want = gen(&b, &s, 0, leaf_bits);
		q = parse_ok(strbuf_str(&b));
		p1 = query_print(q);
		q2 = parse_ok(p1);
		p2 = query_print(q2);
		if (strcmp(p1, p2))
			fail_msg("seed %u: %s\n  prints %s\n  then  %s", seed, strbuf_str(&b), p1,
				 p2);
		for (int i = 0; i < 3; i++) {
			if (query_match(q, &r[i]) != ((want >> i) & 1))
				fail_msg("seed %u: %s on record %d: got %d", seed, strbuf_str(&b),
					 i, query_match(q, &r[i]));
			if (query_match(q2, &r[i]) != ((want >> i) & 1))
				fail_msg("seed %u: %s (printed %s) on record %d", seed,
					 strbuf_str(&b), p1, i);
		}
		free(p1);
		free(p2);
		query_free(q);
		query_free(q2);
	}
	strbuf_fini(&b);
	for (int i = 0; i < 3; i++)
		flowlog_rec_fini(&r[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),		cmocka_unit_test(test_print),
		cmocka_unit_test(test_errors),		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_match_numbers),	cmocka_unit_test(test_match_text),
		cmocka_unit_test(test_match_addresses), cmocka_unit_test(test_match_lists),
		cmocka_unit_test(test_match_empty),	cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
