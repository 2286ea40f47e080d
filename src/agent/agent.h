/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_AGENT_H
#define PALISADE_AGENT_AGENT_H

#include <stdbool.h>

/*
 * palisade agent: one per node.  Reads the datastore directory, builds the model, renders
 * the node's ruleset and applies it in one transaction; watches the directory with inotify
 * and re-applies when something changed.  A change that does not load or apply is reported
 * and the running ruleset stays as it was.  On exit the ruleset stays in force; on start the
 * first apply replaces it atomically, so established connections (conntrack) survive.
 * Serves /healthz and Prometheus /metrics on `listen`.
 */
struct agent_config {
	const char *node;      /* spec.nodeName of the endpoints this agent enforces */
	const char *datastore; /* directory of manifests */
	const char *state;     /* directory for the agent's own files (created if missing) */
	const char *listen;    /* "127.0.0.1:9099" by default; "" disables the HTTP server */
	bool once;	       /* apply once and exit (tests, cron-style use) */
	/* Flow logs (agent/flows.h) in <state>/flows/, unless no_flows or once. */
	bool no_flows;
	unsigned flow_interval; /* seconds per window */
	int flow_kind_allowed;	/* aggregation kinds 0..3 (lib/flow_agg.h) */
	int flow_kind_denied;
};

/* Runs until SIGTERM or SIGINT.  Returns the process exit status. */
int agent_run(const struct agent_config *cfg);

#endif
