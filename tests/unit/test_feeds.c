/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threat-feed puller (src/agent/feeds.h) without its thread: feeds_run_once() at chosen
 * times against a datastore directory and a feed server this test runs on 127.0.0.1
 * (http_server_fixture.h), whose answers come from files the test writes.  Checked: the
 * period and backoff arithmetic, the set's text, the first pull (set, status, refusals of
 * protected ranges, lines that did not parse), the schedule, the 304 path, failures that keep
 * the set (500, garbage, a missing secret) with their backoff, the shrink hold and its
 * confirmation, header values from files, the state across a restart, a disabled and a
 * deleted feed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/feeds.h"
#include "agent/log.h"

#include "http_server_fixture.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define T0	 1700000000000LL /* 2023-11-14T22:13:20Z */
#define DAY	 86400000LL
#define FEED	 "bad-ips"
#define GNS_FILE "GlobalNetworkSet_-_threatfeed." FEED ".json"

static char dir[64], ds[96], st[96], www[96], secrets[96];
static struct http_server srv;

/* ---- files ------------------------------------------------------------------------------- */

static void put(const char *d, const char *name, const char *text)
{
	char p[320];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", d, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Writes through a temporary file and a rename, as `palisade apply` does. */
static void put_atomic(const char *d, const char *name, const char *text)
{
	char tmp[320], p[320];

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	put(d, tmp, text);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", d, name);
	snprintf(p, sizeof(p), "%s/%s", d, name);
	assert_int_equal(rename(tmp, p), 0);
}

static bool exists(const char *d, const char *name)
{
	char p[320];

	snprintf(p, sizeof(p), "%s/%s", d, name);
	return access(p, F_OK) == 0;
}

/* dir/name as a string (malloc'd), or NULL when it does not exist. */
static char *read_file(const char *d, const char *name)
{
	char p[320], *buf;
	FILE *f;
	long n;

	snprintf(p, sizeof(p), "%s/%s", d, name);
	f = fopen(p, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static char *slurp(const char *d, const char *name)
{
	char *s = read_file(d, name);

	assert_non_null(s);
	return s;
}

/* The status of the feed in <state>/feeds.json (a new reference). */
static json_t *status(void)
{
	char p[320];
	json_t *all, *one;

	snprintf(p, sizeof(p), "%s/feeds.json", st);
	all = json_load_file(p, 0, NULL);
	assert_non_null(all);
	one = json_incref(json_object_get(all, FEED));
	json_decref(all);
	return one;
}

static long long num(json_t *s, const char *k)
{
	json_t *v = json_object_get(s, k);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *str(json_t *s, const char *k)
{
	return json_string_value(json_object_get(s, k));
}

/* The message of the condition of type, or NULL. */
static const char *cond(json_t *s, const char *type)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(s, "errorConditions"), i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "type")), type))
			return json_string_value(json_object_get(e, "message"));
	}
	return NULL;
}

static void feed_yaml(const char *mode, const char *path, const char *headers)
{
	char y[2048];

	snprintf(y, sizeof(y),
		 "apiVersion: projectcalico.org/v3\n"
		 "kind: GlobalThreatFeed\n"
		 "metadata:\n  name: " FEED "\n"
		 "spec:\n  mode: %s\n  pull:\n    http:\n"
		 "      url: http://127.0.0.1:%d%s\n%s"
		 "  globalNetworkSet:\n    labels:\n      security-action: block\n",
		 mode, srv.port, path, headers ? headers : "");
	put_atomic(ds, "feed.yaml", y);
}

/* ---- the feed server --------------------------------------------------------------------- */

/* A cheap ETag: a hash of the body. */
static unsigned long hash(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void handle(int fd, const char *method, const char *path, const char *hdrs, void *arg)
{
	char *mode = read_file(www, "mode"), *body, etag[64], v[256], extra[128];

	if (!strcmp(path, "/hang")) {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n192.0.2.1\n";

		http_server_send(fd, h, strlen(h));
		sleep(HTTP_SERVER_HANDLER_MAX_S);
	} else if (!strcmp(path, "/auth")) {
		if (!strcmp(http_server_header(hdrs, "X-Key", v, sizeof(v)), "s3cret"))
			http_server_reply(fd, "200 OK", NULL, "192.0.2.77\n", 11);
		else
			http_server_reply(fd, "403 Forbidden", NULL, "", 0);
	} else if (mode && !strcmp(mode, "500")) {
		http_server_reply(fd, "500 Internal Server Error", NULL, "", 0);
	} else if (mode && !strcmp(mode, "garbage")) {
		static const char junk[] = "\x89PNG\r\n\x1a\n\x00\x01<html>oops</html>\n\xff\xfe";

		http_server_reply(fd, "200 OK", NULL, junk, sizeof(junk) - 1);
	} else {
		body = read_file(www, "feed");
		snprintf(etag, sizeof(etag), "\"%lx\"", body ? hash(body) : 0UL);
		snprintf(extra, sizeof(extra), "ETag: %s\r\n", etag);
		if (!strcmp(http_server_header(hdrs, "If-None-Match", v, sizeof(v)), etag))
			http_server_reply(fd, "304 Not Modified", extra, "", 0);
		else
			http_server_reply(fd, "200 OK", extra, body ? body : "",
					  body ? strlen(body) : 0);
		free(body);
	}
	free(mode);
}

/* A fresh directory for each test (datastore, state, the server's files), and the server. */
static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/palisade-feeds.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(ds, sizeof(ds), "%s/ds", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(www, sizeof(www), "%s/www", dir);
	snprintf(secrets, sizeof(secrets), "%s/secrets", dir);
	assert_int_equal(mkdir(ds, 0755), 0);
	assert_int_equal(mkdir(www, 0755), 0);
	assert_int_equal(mkdir(secrets, 0755), 0);
	put(www, "mode", "normal");
	/* The cluster: a lab with its pod range, and a Service's cluster IP. */
	put(ds, "cluster.yaml",
	    "apiVersion: palisade.dev/v1alpha1\nkind: Lab\nmetadata:\n  name: t\n"
	    "spec:\n  podCIDR: 10.244.0.0/16\n---\n"
	    "apiVersion: v1\nkind: Service\nmetadata:\n  name: dns\n  namespace: default\n"
	    "spec:\n  clusterIP: 10.96.0.10\n  ports:\n  - port: 53\n");
	http_server_start(&srv, handle, NULL);
	plog_set_level(PLOG_ERROR); /* failures are expected here */
	return 0;
}

static int teardown(void **state)
{
	char cmd[192];

	http_server_stop(&srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the pure pieces --------------------------------------------------------------------- */

static void test_period_and_backoff(void **state)
{
	struct feeds_config c;

	feeds_config_init(&c);
	assert_int_equal(feeds_period_ms(&c, 86400), DAY);
	assert_int_equal(feeds_period_ms(&c, 60), 300000); /* raised to the minimum */
	c.min_period_ms = 3600000;
	assert_int_equal(feeds_period_ms(&c, 600), 3600000);
	c.period_override_ms = 2000;
	assert_int_equal(feeds_period_ms(&c, 86400), 2000);
	/* 10 s, doubled, capped at the period. */
	assert_int_equal(feeds_backoff_ms(&c, 1, 300000), 10000);
	assert_int_equal(feeds_backoff_ms(&c, 2, 300000), 20000);
	assert_int_equal(feeds_backoff_ms(&c, 3, 300000), 40000);
	assert_int_equal(feeds_backoff_ms(&c, 5, 300000), 160000);
	assert_int_equal(feeds_backoff_ms(&c, 6, 300000), 300000);
	assert_int_equal(feeds_backoff_ms(&c, 60, 300000), 300000);
	assert_int_equal(feeds_backoff_ms(&c, 1, 2000), 2000);
	c.backoff_ms = 500;
	assert_int_equal(feeds_backoff_ms(&c, 3, 300000), 2000);
}

static void test_gns_text(void **state)
{
	struct label l[] = {{"security-action", "block"}, {"tier", "x\"y"}};
	struct labels ls = {l, 2};
	struct cidr v[2];
	char *t, *name;

	assert_int_equal(cidr_parse("198.51.100.66", &v[0], NULL), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &v[1], NULL), 0);
	t = feeds_gns_text("f", &ls, v, 2);
	assert_string_equal(
		t, "{\n"
		   "  \"apiVersion\": \"projectcalico.org/v3\",\n"
		   "  \"kind\": \"GlobalNetworkSet\",\n"
		   "  \"metadata\": {\n"
		   "    \"name\": \"threatfeed.f\",\n"
		   "    \"labels\": {\"security-action\": \"block\", \"tier\": \"x\\\"y\"},\n"
		   "    \"annotations\": {\"palisade.dev/threatfeed\": \"f\"}\n"
		   "  },\n"
		   "  \"spec\": {\n"
		   "    \"nets\": [\n"
		   "      \"198.51.100.66/32\",\n"
		   "      \"2001:db8::/32\"\n"
		   "    ]\n"
		   "  }\n"
		   "}\n");
	free(t);
	t = feeds_gns_text("f", NULL, NULL, 0);
	assert_non_null(strstr(t, "\"labels\": {},"));
	assert_non_null(strstr(t, "\"nets\": []\n"));
	free(t);
	name = feeds_gns_file("sample");
	assert_string_equal(name, "GlobalNetworkSet_-_threatfeed.sample.json");
	free(name);
}

/* ---- the puller -------------------------------------------------------------------------- */

static void test_pull_cycle(void **state)
{
	struct feeds_config c;
	struct feeds *f;
	json_t *s;
	char *gns, *gns2;

	feeds_config_init(&c);
	put(www, "feed",
	    "# a feed\n198.51.100.66\n192.0.2.10\n192.0.2.11\n192.0.2.12\n"
	    "10.244.1.5\n10.96.0.10\nnot-an-ip\n");
	feed_yaml("Enabled", "/feed", NULL);
	f = feeds_new(&c, ds, st);
	assert_non_null(f);

	/* The first round pulls at once. */
	assert_int_equal(feeds_run_once(f, T0), 1);
	gns = slurp(ds, GNS_FILE);
	assert_non_null(strstr(gns, "\"security-action\": \"block\""));
	assert_non_null(strstr(gns, "\"192.0.2.10/31\",\n      \"192.0.2.12/32\",\n"
				    "      \"198.51.100.66/32\"\n"));
	assert_null(strstr(gns, "10.244.1.5"));
	s = status();
	assert_string_equal(str(s, "lastSuccessfulSync"), "2023-11-14T22:13:20Z");
	assert_string_equal(str(s, "nextPull"), "2023-11-15T22:13:20Z");
	assert_string_equal(str(s, "globalNetworkSet"), "threatfeed." FEED);
	assert_int_equal(num(s, "entries"), 6);
	assert_int_equal(num(s, "acceptedEntries"), 4);
	assert_int_equal(num(s, "prefixes"), 3);
	assert_int_equal(num(s, "refused"), 2);
	assert_int_equal(num(s, "parseErrors"), 1);
	assert_int_equal(num(s, "pulls"), 1);
	assert_int_equal(num(s, "updates"), 1);
	assert_null(cond(s, "PullFailed"));
	assert_string_equal(cond(s, "EntriesRefused"),
			    "2 entries refused by the safety rails: 10.96.0.10/32 (overlaps "
			    "protected range 10.96.0.10/32); 10.244.1.5/32 (overlaps protected "
			    "range 10.244.0.0/16)");
	assert_string_equal(cond(s, "LinesNotParsed"),
			    "1 line did not parse: line 8: \"not-an-ip\": not an IP address or "
			    "prefix");
	json_decref(s);

	/* Not due a second later; due a day later, and the server says 304. */
	assert_int_equal(feeds_run_once(f, T0 + 1000), 0);
	assert_int_equal(feeds_run_once(f, T0 + DAY), 1);
	s = status();
	assert_int_equal(num(s, "notModified"), 1);
	assert_int_equal(num(s, "pulls"), 2);
	assert_int_equal(num(s, "updates"), 1);
	assert_string_equal(str(s, "lastSuccessfulSync"), "2023-11-15T22:13:20Z");
	json_decref(s);
	gns2 = slurp(ds, GNS_FILE);
	assert_string_equal(gns, gns2);
	free(gns2);

	/* A 500: the set stays, the next try comes after 10 s, then 20 s. */
	put(www, "mode", "500");
	feeds_sync_now(f);
	assert_int_equal(feeds_run_once(f, T0 + DAY + 5000), 1);
	s = status();
	assert_string_equal(cond(s, "PullFailed"), "HTTP 500 Internal Server Error");
	assert_string_equal(str(s, "nextPull"), "2023-11-15T22:13:35Z");
	assert_int_equal(num(s, "failures"), 1);
	assert_int_equal(num(s, "consecutiveFailures"), 1);
	assert_string_equal(str(s, "lastSuccessfulSync"), "2023-11-15T22:13:20Z");
	json_decref(s);
	gns2 = slurp(ds, GNS_FILE);
	assert_string_equal(gns, gns2);
	free(gns2);
	assert_int_equal(feeds_run_once(f, T0 + DAY + 14000), 0);
	assert_int_equal(feeds_run_once(f, T0 + DAY + 15000), 1);
	s = status();
	assert_string_equal(str(s, "nextPull"), "2023-11-15T22:13:55Z");
	assert_int_equal(num(s, "consecutiveFailures"), 2);
	json_decref(s);

	/* Garbage with a 200: malformed, the set stays. */
	put(www, "mode", "garbage");
	assert_int_equal(feeds_run_once(f, T0 + DAY + 35000), 1);
	s = status();
	assert_non_null(cond(s, "PullFailed"));
	assert_memory_equal(cond(s, "PullFailed"),
			    "malformed: 4 lines did not parse and 0 entries did",
			    strlen("malformed: 4 lines did not parse and 0 entries did"));
	assert_int_equal(num(s, "entries"), 6); /* the last body that was used */
	json_decref(s);
	gns2 = slurp(ds, GNS_FILE);
	assert_string_equal(gns, gns2);
	free(gns2);

	/* Back to normal, one entry less (4 -> 3 is no shrink to hold): applied, error cleared. */
	put(www, "mode", "normal");
	put(www, "feed", "192.0.2.10\n192.0.2.11\n192.0.2.12\n");
	feeds_sync_now(f);
	assert_int_equal(feeds_run_once(f, T0 + DAY + 36000), 1);
	s = status();
	assert_null(cond(s, "PullFailed"));
	assert_null(cond(s, "EntriesRefused"));
	assert_null(cond(s, "LinesNotParsed"));
	assert_int_equal(num(s, "consecutiveFailures"), 0);
	assert_int_equal(num(s, "acceptedEntries"), 3);
	assert_int_equal(num(s, "updates"), 2);
	json_decref(s);
	free(gns);
	gns = slurp(ds, GNS_FILE);
	assert_null(strstr(gns, "198.51.100.66"));

	/* 3 -> 1 is a shrink of 67 %: held, the set stays, until confirmed. */
	put(www, "feed", "192.0.2.10\n");
	feeds_sync_now(f);
	assert_int_equal(feeds_run_once(f, T0 + DAY + 37000), 1);
	s = status();
	assert_int_equal(num(s, "heldEntries"), 1);
	assert_int_equal(num(s, "holds"), 1);
	assert_int_equal(num(s, "acceptedEntries"), 3);
	assert_string_equal(cond(s, "ShrinkHeld"),
			    "pull held: 1 entry where 3 are in force, a shrink of more than 50%; "
			    "`palisade feed confirm " FEED "` applies it");
	json_decref(s);
	gns2 = slurp(ds, GNS_FILE);
	assert_string_equal(gns, gns2);
	free(gns2);
	assert_true(exists(st, "feeds/" FEED "_held.json"));
	put(st, "feeds/" FEED "_confirm", "");
	assert_int_equal(feeds_run_once(f, T0 + DAY + 38000), 0);
	assert_false(exists(st, "feeds/" FEED "_confirm"));
	assert_false(exists(st, "feeds/" FEED "_held.json"));
	s = status();
	assert_true(json_is_null(json_object_get(s, "heldEntries")));
	assert_null(cond(s, "ShrinkHeld"));
	assert_int_equal(num(s, "acceptedEntries"), 1);
	json_decref(s);
	free(gns);
	gns = slurp(ds, GNS_FILE);
	assert_non_null(strstr(gns, "\"nets\": [\n      \"192.0.2.10/32\"\n    ]"));

	/* A restart keeps the validators: the next pull is a 304. */
	feeds_free(f);
	f = feeds_new(&c, ds, st);
	assert_non_null(f);
	assert_int_equal(feeds_run_once(f, T0 + DAY + 39000), 0); /* not due */
	put(st, "feeds/" FEED "_sync", "");
	assert_int_equal(feeds_run_once(f, T0 + DAY + 40000), 1);
	s = status();
	assert_int_equal(num(s, "notModified"), 2);
	assert_int_equal(num(s, "pulls"), 8);
	json_decref(s);
	assert_false(exists(st, "feeds/" FEED "_sync"));

	/* Disabled: no set, no pulls; deleted: no state either. */
	feed_yaml("Disabled", "/feed", NULL);
	assert_int_equal(feeds_run_once(f, T0 + 3 * DAY), 0);
	assert_false(exists(ds, GNS_FILE));
	s = status();
	assert_string_equal(str(s, "mode"), "Disabled");
	assert_true(json_is_null(json_object_get(s, "nextPull")));
	json_decref(s);
	feed_yaml("Enabled", "/feed", NULL);
	assert_int_equal(feeds_run_once(f, T0 + 3 * DAY + 1000), 1); /* in full: a new set */
	assert_true(exists(ds, GNS_FILE));
	assert_int_equal(unlink(strcat(strcpy((char[256]){0}, ds), "/feed.yaml")), 0);
	assert_int_equal(feeds_run_once(f, T0 + 3 * DAY + 2000), 0);
	assert_false(exists(ds, GNS_FILE));
	assert_false(exists(st, "feeds/" FEED ".json"));
	gns2 = slurp(st, "feeds.json");
	assert_string_equal(gns2, "{}");
	free(gns2);
	feeds_free(f);
	free(gns);
}

static void test_header_from_file(void **state)
{
	static const char hdr[] = "      headers:\n"
				  "      - name: X-Key\n"
				  "        valueFrom:\n"
				  "          secretKeyRef: {name: feed-auth, key: token}\n";
	struct feeds_config c;
	struct feeds *f;
	json_t *s;
	char p[512];

	feeds_config_init(&c);
	c.secrets_dir = secrets;
	feed_yaml("Enabled", "/auth", hdr);
	f = feeds_new(&c, ds, st);
	assert_non_null(f);
	/* The file is missing: a feed error, naming the file. */
	assert_int_equal(feeds_run_once(f, T0), 1);
	s = status();
	snprintf(p, sizeof(p),
		 "header X-Key: secretKeyRef feed-auth/token: %s/feed-auth/token: No such file "
		 "or directory",
		 secrets);
	assert_string_equal(cond(s, "PullFailed"), p);
	json_decref(s);
	assert_false(exists(ds, GNS_FILE));
	/* With the file (and its trailing newline), the server lets the pull in. */
	snprintf(p, sizeof(p), "%s/feed-auth", secrets);
	assert_int_equal(mkdir(p, 0755), 0);
	put(p, "token", "s3cret\n");
	feeds_sync_now(f);
	assert_int_equal(feeds_run_once(f, T0 + 1000), 1);
	s = status();
	assert_null(cond(s, "PullFailed"));
	assert_int_equal(num(s, "acceptedEntries"), 1);
	json_decref(s);
	assert_true(exists(ds, GNS_FILE));
	/* The wrong secret: 403, the set stays. */
	put(p, "token", "guess\n");
	feeds_sync_now(f);
	assert_int_equal(feeds_run_once(f, T0 + 2000), 1);
	s = status();
	assert_string_equal(cond(s, "PullFailed"), "HTTP 403 Forbidden");
	json_decref(s);
	assert_true(exists(ds, GNS_FILE));
	feeds_free(f);
	assert_int_equal(unlink(strcat(strcpy((char[256]){0}, ds), "/feed.yaml")), 0);
	f = feeds_new(&c, ds, st);
	feeds_run_once(f, T0 + 3000);
	assert_false(exists(ds, GNS_FILE));
	feeds_free(f);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits (5 s at most) until the feed's status has pulls >= n. */
static bool wait_pulls(long long n)
{
	for (double end = mono() + 5; mono() < end; usleep(20000)) {
		char p[160];
		json_t *all, *one;
		bool ok;

		snprintf(p, sizeof(p), "%s/feeds.json", st);
		all = json_load_file(p, 0, NULL);
		one = json_object_get(all, FEED);
		ok = json_integer_value(json_object_get(one, "pulls")) >= n;
		json_decref(all);
		if (ok)
			return true;
	}
	return false;
}

/* The thread: it pulls at start, a sync wakes it at once, and stopping it cancels a pull
 * that hangs. */
static void test_thread(void **state)
{
	struct feeds_config c;
	struct feeds *f;
	double t0;
	char p[160];
	json_t *saved;

	feeds_config_init(&c);
	c.low_speed_time_ms = 30000; /* only the cancellation can end the hang below */
	put(www, "feed", "192.0.2.10\n");
	feed_yaml("Enabled", "/feed", NULL);
	f = feeds_new(&c, ds, st);
	assert_non_null(f);
	assert_int_equal(feeds_start(f), 0);
	assert_true(wait_pulls(1));
	assert_true(exists(ds, GNS_FILE));
	/* Not due for a day: only the sync can make the second pull. */
	put(www, "feed", "192.0.2.10\n192.0.2.20\n");
	feeds_sync_now(f);
	assert_true(wait_pulls(2));
	/* A new spec pointing at a server that hangs: pulled at once, and cancelled on stop. */
	feed_yaml("Enabled", "/hang", NULL);
	assert_true(wait_pulls(2));
	usleep(500000);
	t0 = mono();
	feeds_free(f);
	assert_true(mono() - t0 < 3);
	/* The third pull was under way, and was neither a success nor a failure. */
	snprintf(p, sizeof(p), "%s/feeds/" FEED ".json", st);
	saved = json_load_file(p, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(saved, "pulls")), 3);
	assert_int_equal(json_integer_value(json_object_get(saved, "failures")), 0);
	json_decref(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_and_backoff),
		cmocka_unit_test(test_gns_text),
		cmocka_unit_test_setup_teardown(test_pull_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_from_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
