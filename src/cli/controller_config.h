/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_CONTROLLER_CONFIG_H
#define PALISADE_CLI_CONTROLLER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct arena;
struct controller_config;
struct diag_list;

/*
 * `palisade controller --config FILE`: a YAML or JSON map with the settings the flags take,
 * and the threat-feed puller's and the responder's (docs/cli.md has every key):
 *
 *   lab: /run/palisade/lab        # --lab
 *   flows: [DIR, ...]             # --flows
 *   state: DIR                    # --state
 *   datastore: DIR                # --datastore
 *   window: 15                    # --window, seconds 1..3600
 *   grace: 2                      # --grace, seconds 0..3600
 *   webhook: URL                  # --webhook
 *   jobs: {JOB: {PARAM: VALUE}}   # --job JOB.PARAM=VALUE
 *   disable: [JOB, ...]           # --disable JOB
 *   once: false                   # --once
 *   feeds: {minPeriod: 5m, periodOverride: 2s, backoff: 10s, timeout: 60s,
 *           connectTimeout: 10s, lowSpeedTime: 30s, maxBodyBytes: 33554432,
 *           secretsDir: DIR, caFile: FILE, protect: [CIDR, ...], allowBroad: false,
 *           allowProtected: false, maxPrefixV4: 8, maxPrefixV6: 32, shrinkFraction: 0.5}
 *   response: {events: [ip_sweep_external, ...], minSeverity: 50, duration: 1h,
 *              networkSet: palisade.quarantine, labels: {security-action: block},
 *              maxEntries: 10000}
 *
 * Durations are Go durations ("90s", "1h30m", "500ms").
 */

/* Defaults: window 15 s, grace 2 s, 5 rotated logs kept, feeds_config_init(), and the
 * response defaults of response.h (no event types: response off). */
void controller_config_init(struct controller_config *cfg);

/*
 * Fills what the file at path sets into cfg, and *lab (both may already hold values: the file
 * overrides them).  Strings and arrays live in a, which must outlive cfg.  Every problem (an
 * unknown key, a wrong type, a value out of range, an unknown detector job or event type, a
 * bad CIDR, label or set name) goes to diags with the file and line; returns 0, -EINVAL when
 * there was one (cfg and *lab then unchanged), -ENOENT/-EIO when the file cannot be read,
 * -ENOMEM.
 */
int controller_config_load(const char *path, struct controller_config *cfg, const char **lab,
			   struct arena *a, struct diag_list *diags);
/* The same for the len bytes at buf (borrowed; need not be NUL-terminated); name is the file
 * name in diagnostics.  -EINVAL or -ENOMEM. */
int controller_config_parse(const char *buf, size_t len, const char *name,
			    struct controller_config *cfg, const char **lab, struct arena *a,
			    struct diag_list *diags);

/* A Go duration as whole milliseconds.  0 or -EINVAL (also for less than 1 ms or < 0). */
int controller_config_duration_ms(const char *s, int64_t *ms);

/* NULL when type names an event a response may be triggered by (a detector job's name:
 * ip_sweep_external, ..., gtf_suspicious_flow); else why not, for a message. */
const char *controller_config_event_err(const char *type);

/* NULL when name can name the quarantine GlobalNetworkSet; else why not. */
const char *controller_config_set_name_err(const char *name);

/* NULL when key=value is a valid label; else why not (naming the part that is wrong). */
const char *controller_config_label_err(const char *key, const char *value);

/* The effective settings as one JSON object on f (--print-config), lab as given. */
void controller_config_print(FILE *f, const struct controller_config *cfg, const char *lab);

#endif
