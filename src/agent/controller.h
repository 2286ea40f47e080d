/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_CONTROLLER_H
#define PALISADE_AGENT_CONTROLLER_H

#include "agent/feeds.h"
#include "agent/response.h"

#include <stdbool.h>
#include <stddef.h>

#include "agent/response.h"

/*
 * palisade controller: one per cluster (DESIGN §7, §9).  Follows the flow logs of every node
 * (tail.h), cuts the records into windows of `window` seconds on the wall clock (the agents
 * end theirs on the same multiples), feeds the detectors (detect.h) and the GlobalAlerts of
 * the datastore (alert.h), and appends the events they find to <state>/events/events.log
 * (and a webhook).  When it closes a window it saves a cursor (<state>/cursor.json: each
 * log's position and the lines already read that belong to later windows), and only then, so
 * a restart (or a crash) resumes with the first window not closed: no record is fed to a
 * closed window twice or missed.  Detector baselines are not saved (they learn again, with
 * their warm-up).  The first start follows the logs from their end.  <state>/status.json
 * counts records (in closed windows), records_open, skipped (at the first start), late,
 * parse_errors, pending_dropped, events, events_dropped.  With a datastore, the threat-feed
 * puller (feeds.h) runs beside it in its own thread: SIGUSR1 pulls every feed now, and
 * --once pulls the feeds that are due before it exits.
 */
struct controller_job_param {
	const char *job;  /* "ip_sweep_external", ... */
	const char *name; /* "enabled", "sensitivity", ... */
	double value;
};

struct controller_config {
	const char *state;	/* created if missing */
	const char *datastore;	/* GlobalAlerts are read from here; NULL: none */
	const char **flow_dirs; /* directories holding flows.log (one per node) */
	size_t nflow_dirs;
	unsigned window;     /* seconds, default 15 */
	unsigned grace;	     /* seconds to wait for a window's last records, default 2 */
	unsigned keep;	     /* rotated flow log files the agents keep (tail.h), default 5 */
	const char *webhook; /* POST every event there; NULL: no webhook */
	const struct controller_job_param *params;
	size_t nparams;
	bool once; /* process what is there, close the windows that are due, save, exit */
	struct feeds_config feeds;	 /* the threat-feed puller (feeds.h); needs datastore */
	struct response_config response; /* automatic response (response.h) */
};

/* Runs until SIGTERM or SIGINT.  Returns the process exit status. */
int controller_run(const struct controller_config *cfg);

#endif
