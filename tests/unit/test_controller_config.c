/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's configuration reader (src/cli/controller_config.c) from memory: the
 * defaults, every key of a good file into the fields it sets, the helpers the flags share
 * (durations, event types, set names, labels), and a bad file that reports every problem
 * with its line and changes nothing.  The golden suites controller-config and
 * controller-config-flags run the same through `palisade controller --print-config`.  The
 * reader is a CLI module, not in the libraries the tests link, so it is compiled in here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/controller_config.c"

static int parse(const char *text, struct controller_config *cfg, const char **lab, struct arena *a,
		 struct diag_list *d)
{
	return controller_config_parse(text, strlen(text), "c.yaml", cfg, lab, a, d);
}

/* Diagnostic i as text. */
static const char *diag(const struct diag_list *d, size_t i, char *buf, size_t size)
{
	assert_true(i < d->n);
	diag_format(&d->v[i], buf, size);
	return buf;
}

static void test_defaults(void **state)
{
	struct controller_config c;

	controller_config_init(&c);
	assert_int_equal(c.window, 15);
	assert_int_equal(c.grace, 2);
	assert_int_equal(c.keep, 5);
	assert_int_equal(c.feeds.min_period_ms, 300000);
	assert_int_equal(c.feeds.period_override_ms, 0);
	assert_int_equal(c.feeds.backoff_ms, 10000);
	assert_int_equal(c.feeds.timeout_ms, 60000);
	assert_int_equal(c.feeds.connect_timeout_ms, 10000);
	assert_int_equal(c.feeds.low_speed_time_ms, 30000);
	assert_int_equal(c.feeds.max_body, 32u << 20);
	assert_int_equal(c.feeds.max_prefix_v4, 8);
	assert_int_equal(c.feeds.max_prefix_v6, 32);
	assert_true(c.feeds.shrink_fraction == 0.5);
	assert_int_equal(c.response.nevents, 0);
	assert_int_equal(c.response.min_severity, 50);
	assert_int_equal(c.response.duration_s, 3600);
	assert_string_equal(c.response.network_set, "palisade.quarantine");
	assert_null(c.response.labels);
	assert_int_equal(c.response.max_entries, 10000);
}

static void test_every_key(void **state)
{
	static const char text[] = "lab: /run/l\n"
				   "flows: [a, b]\n"
				   "state: /s\n"
				   "datastore: /d\n"
				   "window: 4\n"
				   "grace: 0\n"
				   "webhook: https://x/y\n"
				   "disable: [ip_sweep_pods]\n"
				   "jobs: {ip_sweep_external: {threshold: 25}}\n"
				   "once: true\n"
				   "feeds:\n"
				   "  minPeriod: 1h\n"
				   "  periodOverride: 1500ms\n"
				   "  backoff: 2s\n"
				   "  timeout: 1m30s\n"
				   "  connectTimeout: 3s\n"
				   "  lowSpeedTime: 4s\n"
				   "  maxBodyBytes: 1000\n"
				   "  secretsDir: /sec\n"
				   "  caFile: /ca.pem\n"
				   "  protect: [10.96.0.0/12, 2001:db8::/32]\n"
				   "  allowBroad: true\n"
				   "  allowProtected: true\n"
				   "  maxPrefixV4: 16\n"
				   "  maxPrefixV6: 48\n"
				   "  shrinkFraction: 0.2\n"
				   "response:\n"
				   "  events: [gtf_suspicious_flow, port_scan_external]\n"
				   "  minSeverity: 90\n"
				   "  duration: 2h\n"
				   "  networkSet: q.set\n"
				   "  labels: {security-action: block, team: sec}\n"
				   "  maxEntries: 7\n";
	struct controller_config c;
	struct arena a;
	struct diag_list d;
	const char *lab = NULL;
	char buf[CIDR_STRLEN];

	controller_config_init(&c);
	arena_init(&a);
	diag_list_init(&d);
	assert_int_equal(parse(text, &c, &lab, &a, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(lab, "/run/l");
	assert_int_equal(c.nflow_dirs, 2);
	assert_string_equal(c.flow_dirs[1], "b");
	assert_string_equal(c.state, "/s");
	assert_string_equal(c.datastore, "/d");
	assert_int_equal(c.window, 4);
	assert_int_equal(c.grace, 0);
	assert_string_equal(c.webhook, "https://x/y");
	assert_true(c.once);
	/* disable and jobs append in the file's order. */
	assert_int_equal(c.nparams, 2);
	assert_string_equal(c.params[0].job, "ip_sweep_pods");
	assert_string_equal(c.params[0].name, "enabled");
	assert_true(c.params[0].value == 0);
	assert_string_equal(c.params[1].job, "ip_sweep_external");
	assert_string_equal(c.params[1].name, "threshold");
	assert_true(c.params[1].value == 25);
	assert_int_equal(c.feeds.min_period_ms, 3600000);
	assert_int_equal(c.feeds.period_override_ms, 1500);
	assert_int_equal(c.feeds.backoff_ms, 2000);
	assert_int_equal(c.feeds.timeout_ms, 90000);
	assert_int_equal(c.feeds.connect_timeout_ms, 3000);
	assert_int_equal(c.feeds.low_speed_time_ms, 4000);
	assert_int_equal(c.feeds.max_body, 1000);
	assert_string_equal(c.feeds.secrets_dir, "/sec");
	assert_string_equal(c.feeds.ca_file, "/ca.pem");
	assert_int_equal(c.feeds.nprotect, 2);
	cidr_format(&c.feeds.protect[1], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32");
	assert_true(c.feeds.allow_broad);
	assert_true(c.feeds.allow_protected);
	assert_int_equal(c.feeds.max_prefix_v4, 16);
	assert_int_equal(c.feeds.max_prefix_v6, 48);
	assert_true(c.feeds.shrink_fraction == 0.2);
	assert_int_equal(c.response.nevents, 2);
	assert_string_equal(c.response.events[1], "port_scan_external");
	assert_int_equal(c.response.min_severity, 90);
	assert_int_equal(c.response.duration_s, 7200);
	assert_string_equal(c.response.network_set, "q.set");
	assert_int_equal(c.response.nlabels, 2);
	assert_string_equal(c.response.labels[1].key, "team");
	assert_string_equal(c.response.labels[1].value, "sec");
	assert_int_equal(c.response.max_entries, 7);
	diag_list_fini(&d);
	arena_fini(&a);
}

static void test_bad_file_changes_nothing(void **state)
{
	static const char text[] = "window: 9\n"
				   "feeds:\n"
				   "  timeout: soon\n"
				   "  protect: [300.1.1.1]\n"
				   "response:\n"
				   "  events: [ip_sweep]\n"
				   "  colour: red\n";
	struct controller_config c, before;
	struct arena a;
	struct diag_list d;
	const char *lab = "kept";
	char buf[512];

	controller_config_init(&c);
	before = c;
	arena_init(&a);
	diag_list_init(&d);
	assert_int_equal(parse(text, &c, &lab, &a, &d), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_string_equal(lab, "kept");
	assert_int_equal(d.errors, 4);
	assert_string_equal(diag(&d, 0, buf, sizeof(buf)),
			    "c.yaml:3: feeds.timeout: expected a duration greater than 0, such as "
			    "30s (at most a year)");
	assert_string_equal(diag(&d, 1, buf, sizeof(buf)),
			    "c.yaml:4: feeds.protect[0]: \"300.1.1.1\" is not an IP address or "
			    "prefix");
	assert_memory_equal(diag(&d, 2, buf, sizeof(buf)),
			    "c.yaml:6: response.events[0]: \"ip_sweep\" is not a detector job (",
			    strlen("c.yaml:6: response.events[0]: \"ip_sweep\" is not a detector "
				   "job ("));
	assert_memory_equal(diag(&d, 3, buf, sizeof(buf)),
			    "c.yaml:7: unknown key \"response.colour\"",
			    strlen("c.yaml:7: unknown key \"response.colour\""));
	diag_list_fini(&d);
	diag_list_init(&d);
	assert_int_equal(parse("[1, 2]\n", &c, &lab, &a, &d), -EINVAL);
	assert_string_equal(
		diag(&d, 0, buf, sizeof(buf)),
		"c.yaml:1: expected one map of settings (state, datastore, feeds, ...)");
	diag_list_fini(&d);
	arena_fini(&a);
}

static void test_helpers(void **state)
{
	int64_t ms = -1;

	assert_int_equal(controller_config_duration_ms("2s", &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(controller_config_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(controller_config_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(controller_config_duration_ms("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(controller_config_duration_ms("-1s", &ms), -EINVAL);
	assert_int_equal(controller_config_duration_ms("10us", &ms), -EINVAL);
	assert_int_equal(controller_config_duration_ms("ten", &ms), -EINVAL);
	assert_int_equal(controller_config_duration_ms(NULL, &ms), -EINVAL);
	assert_null(controller_config_event_err("gtf_suspicious_flow"));
	assert_null(controller_config_event_err("ip_sweep_external"));
	assert_null(controller_config_event_err("port_scan_external"));
	assert_non_null(controller_config_event_err("global_alert"));
	assert_non_null(controller_config_event_err(""));
	assert_null(controller_config_set_name_err("palisade.quarantine"));
	assert_non_null(controller_config_set_name_err("Quarantine"));
	assert_null(controller_config_label_err("security-action", "block"));
	assert_null(controller_config_label_err("palisade.dev/source", ""));
	assert_string_equal(controller_config_label_err("security action", "block"),
			    "the key is not a qualified name ([prefix/]name, at most 63 characters "
			    "of [A-Za-z0-9_.-] starting and ending alphanumeric)");
	assert_string_equal(controller_config_label_err("k", "-x"),
			    "the value is not a label value (at most 63 characters of "
			    "[A-Za-z0-9_.-] starting and ending alphanumeric, or empty)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_bad_file_changes_nothing),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
