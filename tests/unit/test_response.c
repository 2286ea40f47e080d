/* SPDX-License-Identifier: Apache-2.0 */
/* The quarantine set in the datastore (quarantine.h) and the responder that fills it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmpdir_fixture.h"

#include "agent/quarantine.h"
#include "agent/response.h"
#include "lib/event.h"

#include <errno.h>
#include <sys/stat.h>

#define T0 1796000000 /* 2026-11-30T00:53:20Z */

static char dir[128];

static int setup(void **state)
{
	tmpdir_setup(dir, sizeof(dir), "response", "ds");
	assert_int_equal(mkdir(dir, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	return tmpdir_teardown(dir);
}

static struct cidr addr(const char *s)
{
	struct cidr c;
	bool hb;

	assert_int_equal(cidr_parse(s, &c, &hb), 0);
	return c;
}

static void load(struct quarantine *q)
{
	char err[256] = "";

	quarantine_init(q);
	if (quarantine_load(dir, RESPONSE_SET_DEFAULT, q, err, sizeof(err)))
		fail_msg("load: %s", err);
}

static void test_add_extend_remove_prune(void **state)
{
	struct quarantine q;
	struct cidr a = addr("198.51.100.66"), b = addr("2001:db8::1"), net = addr("10.0.0.0/24");

	load(&q);
	assert_false(q.exists);
	assert_int_equal(q.nlabels, 1);
	assert_string_equal(q.labels[0].key, "security-action");
	assert_string_equal(q.labels[0].value, "block");
	assert_int_equal(quarantine_add(&q, &a, T0 + 60, "first"), 1);
	assert_int_equal(quarantine_add(&q, &b, T0 + 30, NULL), 1);
	assert_int_equal(quarantine_add(&q, &net, T0 + 30, NULL), -EINVAL);
	/* An earlier expiry does not shorten an entry; a later one extends it. */
	assert_int_equal(quarantine_add(&q, &a, T0 + 10, "earlier"), 0);
	assert_int_equal(quarantine_add(&q, &a, T0 + 120, "later"), 2);
	assert_string_equal(q.v[0].reason, "later");
	assert_int_equal(q.v[0].expires, T0 + 120);
	assert_int_equal(quarantine_next_expiry(&q), T0 + 30);
	/* "Never" beats any time. */
	assert_int_equal(quarantine_add(&q, &b, 0, NULL), 2);
	assert_int_equal(quarantine_add(&q, &b, T0 + 999, NULL), 0);
	assert_int_equal(quarantine_next_expiry(&q), T0 + 120);
	assert_int_equal(quarantine_prune(&q, T0 + 119), 0);
	assert_int_equal(quarantine_prune(&q, T0 + 120), 1);
	assert_int_equal(q.n, 1);
	assert_int_equal(quarantine_remove(&q, &a), 0);
	assert_int_equal(quarantine_remove(&q, &b), 1);
	assert_int_equal(q.n, 0);
	quarantine_fini(&q);
}

static void test_save_and_load_round_trip(void **state)
{
	struct quarantine q;
	struct cidr a = addr("198.51.100.66"), b = addr("203.0.113.5");
	char *text;

	load(&q);
	assert_int_equal(quarantine_add(&q, &b, T0 + 60, "scan"), 1);
	assert_int_equal(quarantine_add(&q, &a, 0, NULL), 1);
	assert_int_equal(quarantine_save(dir, &q), 0);
	quarantine_fini(&q);
	text = tmpdir_slurp(dir, "GlobalNetworkSet_-_palisade.quarantine.json");
	assert_non_null(text);
	assert_non_null(strstr(text, "\"kind\": \"GlobalNetworkSet\""));
	assert_non_null(strstr(text, "\"security-action\": \"block\""));
	assert_non_null(strstr(text, "\"palisade.dev/expires\": "
				     "\"{\\\"203.0.113.5/32\\\":\\\"2026-11-30T00:54:20Z\\\"}\""));
	assert_non_null(strstr(text, "\"palisade.dev/reasons\": \"{\\\"203.0.113.5/32\\\":"
				     "\\\"scan\\\"}\""));
	assert_non_null(strstr(text, "\"198.51.100.66/32\",\n      \"203.0.113.5/32\""));
	free(text);
	load(&q);
	assert_true(q.exists);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.v[0].expires, 0);
	assert_null(q.v[0].reason);
	assert_int_equal(q.v[1].expires, T0 + 60);
	assert_string_equal(q.v[1].reason, "scan");
	quarantine_fini(&q);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_errors_name_the_field(void **state)
{
	static const struct {
		const char *ann, *nets, *msg;
	} cases[] = {
		{"\"palisade.dev/expires\": \"[1]\"", "[\"1.2.3.4\"]",
		 "metadata.annotations[\"palisade.dev/expires\"]: expected a JSON object mapping "
		 "entries of spec.nets to RFC 3339 UTC times, found an array"},
		{"\"palisade.dev/expires\": \"{\\\"1.2.3.4/32\\\":\\\"soon\\\"}\"", "[\"1.2.3.4\"]",
		 "metadata.annotations[\"palisade.dev/expires\"]: \"1.2.3.4/32\": \"soon\" is not "
		 "an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"},
		{"\"palisade.dev/reasons\": \"{\\\"1.2.3.4/32\\\":7}\"", "[\"1.2.3.4\"]",
		 "metadata.annotations[\"palisade.dev/reasons\"]: \"1.2.3.4/32\": expected a string, "
		 "found a number"},
		{"\"x\": \"y\"", "[\"1.2.3.0/24\"]", "spec.nets[0]: not a single address"},
		{"\"x\": \"y\"", "\"1.2.3.4\"", "spec.nets: not a list"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct quarantine q;
		char text[1024], err[512] = "";

		snprintf(text, sizeof(text),
			 "{\"kind\":\"GlobalNetworkSet\",\"metadata\":{\"name\":\"palisade."
			 "quarantine\",\"annotations\":{%s}},\"spec\":{\"nets\":%s}}",
			 cases[i].ann, cases[i].nets);
		write_file("GlobalNetworkSet_-_palisade.quarantine.json", text);
		quarantine_init(&q);
		assert_int_equal(quarantine_load(dir, RESPONSE_SET_DEFAULT, &q, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].msg);
		assert_non_null(strstr(err, "GlobalNetworkSet_-_palisade.quarantine.json"));
		quarantine_fini(&q);
	}
}

static struct sec_event event(const char *type, const char *origin, int severity, const char *src,
			      const char *dst)
{
	struct sec_event e;

	event_init(&e);
	snprintf(e.type, sizeof(e.type), "%s", type);
	snprintf(e.origin, sizeof(e.origin), "%s", origin);
	snprintf(e.id, sizeof(e.id), "%016d", severity);
	e.severity = severity;
	snprintf(e.src.ip, sizeof(e.src.ip), "%s", src);
	snprintf(e.dst.ip, sizeof(e.dst.ip), "%s", dst);
	return e;
}

static void test_responder(void **state)
{
	static const char *types[] = {"ip_sweep_external", "gtf_suspicious_flow"};
	struct response_config cfg = {
		.events = types,
		.nevents = 2,
		.min_severity = 50,
		.duration_s = 60,
	};
	struct cidr pods = addr("10.244.0.0/16");
	struct responder *r = responder_new(&cfg, dir, &pods, 1);
	struct sec_event ev[6];
	const struct response_stats *st;
	struct quarantine q;

	assert_non_null(r);
	assert_true(response_enabled(&cfg));
	ev[0] = event("anomaly_detection_job", "ip_sweep_external", 80, "198.51.100.66", "");
	ev[1] = event("anomaly_detection_job", "port_scan_external", 80, "198.51.100.67", "");
	ev[2] = event("anomaly_detection_job", "ip_sweep_external", 20, "198.51.100.68", "");
	/* A pod talking to a feed address: the feed address is the one to block. */
	ev[3] = event("gtf_suspicious_flow", "threatfeed.sample", 100, "10.244.1.5", "203.0.113.9");
	ev[4] = event("gtf_suspicious_flow", "threatfeed.sample", 100, "10.244.1.5", "");
	ev[5] = event("anomaly_detection_job", "ip_sweep_external", 80, "198.51.100.66", "");
	assert_int_equal(responder_handle(r, ev, 6, T0), 2);
	st = responder_stats(r);
	assert_int_equal(st->events, 4);
	assert_int_equal(st->quarantined, 2);
	assert_int_equal(st->refused_protected, 1);
	load(&q);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.v[0].expires, T0 + 60);
	assert_string_equal(q.v[0].reason, "ip_sweep_external event 0000000000000080");
	assert_string_equal(q.v[1].reason, "gtf_suspicious_flow event 0000000000000100");
	quarantine_fini(&q);
	/* Again later: extended. */
	assert_int_equal(responder_handle(r, ev, 1, T0 + 30), 1);
	assert_int_equal(st->extended, 1);
	/* Pruned once due, not before. */
	assert_int_equal(responder_tick(r, T0 + 59), 0);
	load(&q);
	assert_int_equal(q.n, 2);
	quarantine_fini(&q);
	assert_int_equal(responder_tick(r, T0 + 61), 0);
	assert_int_equal(st->expired, 1);
	load(&q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.v[0].reason, "ip_sweep_external event 0000000000000080");
	quarantine_fini(&q);
	/* An entry added by someone else is seen and pruned too. */
	load(&q);
	{
		struct cidr c = addr("192.0.2.1");

		assert_int_equal(quarantine_add(&q, &c, T0 + 70, "by hand"), 1);
	}
	assert_int_equal(quarantine_save(dir, &q), 0);
	quarantine_fini(&q);
	assert_int_equal(responder_tick(r, T0 + 71), 0);
	assert_int_equal(st->expired, 2);
	load(&q);
	assert_int_equal(q.n, 1);
	quarantine_fini(&q);
	responder_free(r);
}

static void test_responder_start_creates_the_set(void **state)
{
	static const char *types[] = {"port_scan_external"};
	static const struct response_label labels[] = {{"quarantine", "yes"}};
	struct response_config cfg = {
		.events = types, .nevents = 1, .labels = labels, .nlabels = 1};
	struct responder *r = responder_new(&cfg, dir, NULL, 0);
	struct quarantine q;

	assert_int_equal(responder_start(r, T0), 0);
	load(&q);
	assert_true(q.exists);
	assert_int_equal(q.n, 0);
	assert_int_equal(q.nlabels, 1);
	assert_string_equal(q.labels[0].key, "quarantine");
	assert_string_equal(q.labels[0].value, "yes");
	quarantine_fini(&q);
	responder_free(r);
}

static void test_responder_full(void **state)
{
	static const char *types[] = {"port_scan_external"};
	struct response_config cfg = {
		.events = types, .nevents = 1, .duration_s = 60, .max_entries = 1};
	struct responder *r = responder_new(&cfg, dir, NULL, 0);
	struct sec_event ev[2];

	ev[0] = event("anomaly_detection_job", "port_scan_external", 50, "198.51.100.1", "");
	ev[1] = event("anomaly_detection_job", "port_scan_external", 50, "198.51.100.2", "");
	assert_int_equal(responder_handle(r, ev, 2, T0), 1);
	assert_int_equal(responder_stats(r)->refused_full, 1);
	responder_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_extend_remove_prune),
		cmocka_unit_test_setup_teardown(test_save_and_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors_name_the_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_start_creates_the_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_responder_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
