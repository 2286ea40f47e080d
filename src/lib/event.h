/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_EVENT_H
#define PALISADE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/*
 * A security event (DESIGN §7): one finding of a detector, a GlobalAlert or a threat feed, in
 * Calico Enterprise's event schema, printed as one JSON line:
 *
 *   {"id":"3f2a9c0e5b7d1a46","time":1764370815,"type":"anomaly_detection_job",
 *    "origin":"ip_sweep_external","severity":80,
 *    "description":"198.51.100.66 sent to 40 addresses in the cluster in 15 s",
 *    "source_ip":"198.51.100.66","source_port":null,"source_namespace":"-",
 *    "source_name":"suspects","source_name_aggr":"suspects",
 *    "dest_ip":null,"dest_port":null,"dest_namespace":"-","dest_name":"-","dest_name_aggr":"-",
 *    "host":"controller",
 *    "record":{"actual":40,"typical":0,"threshold":25,"window_start":1764370800,
 *              "window_end":1764370815, ...extra evidence...}}
 *
 * plus, when set, "mitre_ids":[...], "mitre_tactic":"...", "attack_vector":"...",
 * "mitigations":[...] (threat-feed events use them).  `id` is stable for a finding: the same
 * detector, key and window give the same id, so a consumer de-duplicates on it.  Strings are
 * fixed-size fields (truncated at a character boundary when longer); "" prints as null for
 * IPs and as "-" for names.
 */

#define EVENT_MAX_EXTRA	      16
#define EVENT_MAX_MITRE	      4
#define EVENT_MAX_MITIGATIONS 4

/* Severities as Calico Enterprise uses them (0..100). */
#define EVENT_SEVERITY_LOW    20
#define EVENT_SEVERITY_MEDIUM 50
#define EVENT_SEVERITY_HIGH   80

struct event_side {
	char ip[46];	     /* "" when none */
	int port;	     /* -1 when none */
	char name[254];	     /* "" when none */
	char name_aggr[256]; /* "" when none */
	char ns[64];	     /* "" when none */
};

/* One extra piece of evidence in "record": a number or a string. */
struct event_field {
	char key[40];
	bool is_num;
	double num;
	char str[256];
};

struct sec_event {
	char id[17];   /* 16 hex digits, event_set_id() */
	uint64_t time; /* seconds since the epoch (the end of the window that found it) */
	char type[32]; /* "anomaly_detection_job", "global_alert", "gtf_suspicious_flow" */
	char origin[128];
	int severity; /* 0..100 */
	char description[512];
	struct event_side src, dst;
	char host[64];
	/* record: the evidence */
	double actual;
	bool has_typical;
	double typical;
	bool has_threshold;
	double threshold;
	uint64_t window_start, window_end;
	struct event_field extra[EVENT_MAX_EXTRA];
	size_t nextra;
	/* threat context (optional) */
	char mitre_ids[EVENT_MAX_MITRE][16];
	size_t nmitre;
	char mitre_tactic[64];
	char attack_vector[32];
	char mitigations[EVENT_MAX_MITIGATIONS][256];
	size_t nmitigations;
};

/* An empty event: ports -1, everything else zero/"". */
void event_init(struct sec_event *e);
/*
 * Sets e->id from type, origin, the finding's key (e.g. the source IP; NULL is "") and the
 * window: the 64-bit FNV-1a hash of "<type>|<origin>|<key>|<window_start>|<window_end>" (the
 * numbers in decimal) as 16 lower-case hex digits.  Set type, origin and the window first.
 */
void event_set_id(struct sec_event *e, const char *key);
/*
 * Appends extra evidence to "record", printed after the window in the order added.  false
 * (and nothing added) when EVENT_MAX_EXTRA are used, or when key is empty, does not fit
 * (39 bytes), is not valid UTF-8, repeats an extra's key or is one of record's own (actual,
 * typical, threshold, window_start, window_end).  A string value longer than 255 bytes is cut
 * at a character boundary.  key and v are copied.
 */
bool event_add_num(struct sec_event *e, const char *key, double v);
bool event_add_str(struct sec_event *e, const char *key, const char *v);
/*
 * Formats e->description like printf, cut at a UTF-8 character boundary when it is longer
 * than the field.  For the other string fields, utf8_copy() (lib/utf8.h) does the same.
 */
void event_describe(struct sec_event *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends e as one JSON line (with the trailing newline) to out, fields in the order of the
 * example above.  Numbers print as the shortest text that reads back the same (NaN and
 * infinities as null), severity is clamped to 0..100, times beyond INT64_MAX print as
 * INT64_MAX, IPs in canonical form; strings that are not valid UTF-8 are repaired (see
 * jsonw_str()), so whatever prints parses back.  Returns 0; -EINVAL with nothing appended when
 * e cannot be read back: the id is not 16 lower-case hex digits (event_set_id() was not
 * called), type or origin is empty, an IP does not parse, a string field is not
 * NUL-terminated, a count is beyond its array or an extra's key is invalid (as
 * event_add_num() checks); or -ENOMEM (out is then in its oom state).  e is borrowed.
 */
int event_print(const struct sec_event *e, struct strbuf *out);
/*
 * Parses one JSON line (without or with its newline) into e.  On error returns -EINVAL and
 * writes a message naming the field into err (may be NULL), e.g. "severity: expected an
 * integer 0..100" or "record.actual: expected a number or null"; e is then empty (as after
 * event_init()).  Required: id (16 lower-case hex digits), time, type (non-empty, at most 31 bytes),
 * origin (non-empty), severity (0..100), description.  Optional (absent or null: none):
 * the source and destination fields ("-" is none), host, record and its members, mitre_ids,
 * mitre_tactic, attack_vector, mitigations.  Longer strings are cut at a character boundary
 * to fit their field; record members other than its own are extras and must be numbers,
 * strings or null (NaN); unknown top-level fields are ignored, duplicate keys rejected.
 */
int event_parse(const char *line, size_t len, struct sec_event *e, char *err, size_t errsize);

#endif
