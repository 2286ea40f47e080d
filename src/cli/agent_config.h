/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_AGENT_CONFIG_H
#define PALISADE_CLI_AGENT_CONFIG_H

struct agent_config;
struct arena;
struct diag_list;

/*
 * `palisade agent --config FILE`: a YAML or JSON map with the settings the flags also take
 * (docs/cli.md):
 *
 *   node: node-1                 # --node
 *   datastore: /var/lib/palisade/datastore
 *   state: /var/lib/palisade/agent
 *   listen: 127.0.0.1:9099       # "" disables /healthz and /metrics
 *   flows: true                  # false = --no-flows
 *   flowInterval: 15             # seconds, 1..3600
 *   flowAggregationAllowed: 1    # 0..3
 *   flowAggregationDenied: 1     # 0..3
 *
 * Fills what the file sets into cfg (strings live in a, which must outlive cfg).  Every
 * problem (unknown key, wrong type, value out of range, not a map) goes to diags with the
 * file and line; returns 0, -EINVAL when there was one (cfg then unchanged), -ENOENT/-EIO
 * when the file cannot be read, -ENOMEM.
 */
int agent_config_load(const char *path, struct agent_config *cfg, struct arena *a,
		      struct diag_list *diags);

#endif
