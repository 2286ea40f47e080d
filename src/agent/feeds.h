/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_FEEDS_H
#define PALISADE_AGENT_FEEDS_H

#include "lib/cidr.h"
#include "lib/feed_parse.h"
#include "lib/feed_rails.h"
#include "lib/label.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The threat-feed puller of `palisade controller` (DESIGN §8, docs/feeds.md).  It runs in a
 * thread of its own, so that detection never waits for a web server.
 *
 * It reads the GlobalThreatFeeds of the datastore (again whenever a file other than a
 * GlobalNetworkSet's changes there: inotify) and pulls each feed whose mode is Enabled on its
 * schedule:
 * every pull.period (at least min_period_ms; period_override_ms, when set, replaces every
 * period), and after a failure again after backoff_ms, doubled at each further failure and
 * capped at the period.  A pull is one GET (http_fetch.h) with the feed's headers (plain, or
 * valueFrom a file <secrets_dir>/<name>/<key>) and, when a set from the same URL is in force,
 * the stored ETag and Last-Modified; a 304 keeps the set and counts as a successful sync.
 * The body goes through feed_parse, the safety rails (feed_rails.h; protected: the Lab's pod
 * range and the lab fabric when the datastore has a Lab, every Service's cluster IPs, and
 * cfg->protect) and the shrink check.  The result is GlobalNetworkSet threatfeed.<name>,
 * written atomically to the datastore under the name `palisade apply` would give it, with the
 * feed's spec.globalNetworkSet.labels and the merged accepted prefixes; the file is only
 * rewritten when its text changes.
 *
 * What keeps the set in force: a failed pull (an HTTP error, a timeout, the size limit, a
 * header that cannot be resolved), a body refused as a whole, and a malformed body: more
 * lines that did not parse than entries that did.  A pull that would shrink the set by more
 * than shrink_fraction is held: it is kept in <state>/feeds/<name>.held.json until
 * `palisade feed confirm NAME` (the marker <state>/feeds/<name>.confirm) applies it.  A feed
 * deleted from the datastore loses its set; a Disabled one too, and it is not pulled.  When a
 * file of the datastore does not validate, no set is deleted (the feed may be in that file).
 *
 * Files under <state>: feeds.json, each feed's status (lastSuccessfulSync, errorConditions
 * [{type, message}] as Calico has them, counts and times), and feeds/<name>.json, the state a
 * restart needs (validators, the size of the set in force for the shrink check, schedule and
 * counters).  Wake-ups: feeds_sync_now() (SIGUSR1) pulls every feed now, or only the feeds
 * with a marker <state>/feeds/<name>.sync (`palisade feed sync NAME`).
 */

#define FEEDS_MIN_PERIOD_DEFAULT_MS	 (5 * 60 * 1000)
#define FEEDS_BACKOFF_DEFAULT_MS	 10000
#define FEEDS_TIMEOUT_DEFAULT_MS	 60000
#define FEEDS_CONNECT_TIMEOUT_DEFAULT_MS 10000
#define FEEDS_LOW_SPEED_TIME_DEFAULT_MS	 30000
#define FEEDS_SET_PREFIX		 "threatfeed."
#define FEEDS_STATUS_FILE		 "feeds.json"
#define FEEDS_STATE_DIR			 "feeds"

struct feeds_config {
	int64_t min_period_ms;	    /* a feed's period is raised to it; default 5 min */
	int64_t period_override_ms; /* > 0: every feed's period (tests, demos) */
	int64_t backoff_ms;	    /* the first retry after a failure; default 10 s */
	int64_t timeout_ms;	    /* a whole pull; default 60 s */
	int64_t connect_timeout_ms; /* default 10 s */
	int64_t low_speed_time_ms;  /* no byte for this long aborts a pull; default 30 s */
	size_t max_body;	    /* bytes; default FEED_BODY_MAX (32 MiB) */
	const char *secrets_dir;    /* header valueFrom files; NULL: such headers fail */
	const char *ca_file;	    /* extra CA bundle for https; NULL: the system's */
	const struct cidr *protect; /* ranges a feed must not block, beyond the cluster's */
	size_t nprotect;
	bool allow_broad;
	bool allow_protected;
	unsigned max_prefix_v4; /* default 8 */
	unsigned max_prefix_v6; /* default 32 */
	double shrink_fraction; /* default 0.5 */
};

/* The defaults above.  Inline, so that the configuration reader (src/cli/controller_config.c)
 * and its fuzz target need nothing of the daemon. */
static inline void feeds_config_init(struct feeds_config *c)
{
	*c = (struct feeds_config){
		.min_period_ms = FEEDS_MIN_PERIOD_DEFAULT_MS,
		.backoff_ms = FEEDS_BACKOFF_DEFAULT_MS,
		.timeout_ms = FEEDS_TIMEOUT_DEFAULT_MS,
		.connect_timeout_ms = FEEDS_CONNECT_TIMEOUT_DEFAULT_MS,
		.low_speed_time_ms = FEEDS_LOW_SPEED_TIME_DEFAULT_MS,
		.max_body = FEED_BODY_MAX,
		.max_prefix_v4 = FEED_MAX_PREFIX_V4_DEFAULT,
		.max_prefix_v6 = FEED_MAX_PREFIX_V6_DEFAULT,
		.shrink_fraction = FEED_SHRINK_FRACTION_DEFAULT,
	};
}

struct feeds;

/*
 * A puller for the datastore directory ds, keeping its files under state (created if
 * missing).  cfg, ds and state are borrowed and must outlive it.  NULL with errno set.
 */
struct feeds *feeds_new(const struct feeds_config *cfg, const char *ds, const char *state);
/* Stops the thread if it runs (an ongoing pull is cancelled) and frees f; NULL is fine. */
void feeds_free(struct feeds *f);

/* Starts the thread.  0 or -errno. */
int feeds_start(struct feeds *f);

/* Asks for a pull of every feed now (or of the feeds with a .sync marker); the thread wakes at
 * once.  Safe from any thread; does not block. */
void feeds_sync_now(struct feeds *f);

/*
 * One round without the thread, at time now_ms (Unix ms): reloads the datastore when it
 * changed, applies confirmations and sync requests, pulls every feed that is due, writes the
 * status.  For `controller --once` and tests; not while the thread runs.  Returns the number
 * of pulls made.
 */
int feeds_run_once(struct feeds *f, int64_t now_ms);

/* ---- the pieces, for tests ---------------------------------------------------------------- */

/* The period of a feed whose spec says spec_period_s: the override, else at least the
 * minimum. */
int64_t feeds_period_ms(const struct feeds_config *c, int64_t spec_period_s);
/* The wait after the failures-th failure in a row (failures >= 1): backoff_ms doubled for
 * each failure after the first, capped at period_ms. */
int64_t feeds_backoff_ms(const struct feeds_config *c, unsigned failures, int64_t period_ms);

/*
 * The GlobalNetworkSet document for feed with labels and the n prefixes at v (in the order
 * given), as JSON text, one prefix a line.  malloc'd; NULL when out of memory.
 */
char *feeds_gns_text(const char *feed, const struct labels *labels, const struct cidr *v, size_t n);
/* The datastore file name of the set of feed ("GlobalNetworkSet_-_threatfeed.<feed>.json"),
 * malloc'd. */
char *feeds_gns_file(const char *feed);

#endif
