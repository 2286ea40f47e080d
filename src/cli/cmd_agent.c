/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"

#include "agent/agent.h"
#include "agent/datastore.h"
#include "cli/agent_config.h"
#include "dataplane/nft_render.h"
#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/model.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade agent --node NAME --datastore DIR [--state DIR] [--listen HOST:PORT]\n"
		"                      [--once] [--flow-interval SECONDS] [--no-flows]\n"
		"                      [--flow-aggregation-allowed N] [--flow-aggregation-denied N]\n"
		"                      [--config FILE]\n"
		"       palisade agent --dry-run (-f PATH... | --datastore DIR) [--node NAME]\n"
		"                      [--now EPOCH|RFC3339]\n"
		"--dry-run prints the nftables ruleset the agent would apply, without root;\n"
		"expiring network-set entries get timeouts counted from --now (default: the clock).\n"
		"--listen defaults to 127.0.0.1:9099 (\"\" disables /healthz and /metrics).\n"
		"Flow logs go to <state>/flows/flows.log every --flow-interval seconds (default 15,\n"
		"or $PALISADE_FLOW_INTERVAL), aggregated at kind N (0-3, default 1) for allowed and\n"
		"denied flows; --no-flows turns them off.\n"
		"--config FILE: the same settings as a YAML or JSON map (docs/cli.md); flags and\n"
		"$PALISADE_FLOW_INTERVAL override it.\n");
}

static int dry_run(char **paths, int npaths, const char *datastore, const char *node, int64_t now)
{
	struct cli_world w = {0};
	struct nft_render_opts o;
	struct strbuf out;
	int rc;

	if (datastore) {
		struct diag_list d;
		size_t skipped;

		w.rs = calloc(1, sizeof(*w.rs));
		if (!w.rs)
			return 2;
		resource_set_init(w.rs);
		diag_list_init(&d);
		rc = datastore_load(datastore, w.rs, &d, &skipped);
		if (!rc)
			w.m = model_build(w.rs, &d);
		cli_print_diags(stderr, &d);
		rc = rc || !w.m || d.errors ? 1 : 0;
		diag_list_fini(&d);
		if (rc) {
			cli_world_fini(&w);
			return rc;
		}
	} else {
		rc = cli_world_load(&w, paths, npaths);
		if (rc)
			return rc;
	}
	memset(&o, 0, sizeof(o));
	o.node = node;
	o.nflog_ingress = 1;
	o.nflog_egress = 2;
	o.now = now;
	if (w.m->lab) {
		o.pod_cidrs = &w.m->lab->u.lab.pod_cidr;
		o.npod_cidrs = 1;
	}
	strbuf_init(&out);
	rc = nft_render(w.m, &o, &out) || out.oom ? 2 : 0;
	if (!rc)
		fputs(strbuf_str(&out), stdout);
	else
		fprintf(stderr, "palisade agent: out of memory while rendering\n");
	strbuf_fini(&out);
	cli_world_fini(&w);
	return rc;
}

/*
 * The file named by --config FILE or --config=FILE, if any (the last one wins, as getopt
 * would), loaded into cfg before the environment and the other flags, which override it.
 * 0, 1 (invalid configuration, reported) or 2 (unreadable).
 */
static int load_config(int argc, char **argv, struct agent_config *cfg, struct arena *a)
{
	const char *path = NULL;
	struct diag_list d;
	int err;

	if (!(path = cli_config_path(argc, argv)))
		return 0;
	diag_list_init(&d);
	err = agent_config_load(path, cfg, a, &d);
	cli_print_diags(stderr, &d);
	diag_list_fini(&d);
	return err == -EINVAL ? 1 : err ? 2 : 0;
}

/*
 * --now: seconds since the epoch or an RFC 3339 UTC time, after 1970; 1 after a message
 * otherwise.
 */
static int now_opt(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!errno && end != s && !*end && v > 0) {
		*out = v;
		return 0;
	}
	if (!res_time_parse(s, out) && *out > 0)
		return 0;
	fprintf(stderr,
		"palisade agent: --now takes seconds since the epoch or an RFC 3339 UTC time, not \"%s\"\n",
		s);
	return 1;
}

/* A whole number in [lo, hi] for option name; 1 after a message otherwise. */
static int flow_opt(const char *name, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr,
			"palisade agent: %s takes a whole number from %ld to %ld, not \"%s\"\n",
			name, lo, hi, s);
		return 1;
	}
	*out = v;
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'n'},
		{"datastore", required_argument, NULL, 'd'},
		{"state", required_argument, NULL, 's'},
		{"listen", required_argument, NULL, 'l'},
		{"file", required_argument, NULL, 'f'},
		{"dry-run", no_argument, NULL, 'D'},
		{"once", no_argument, NULL, 'o'},
		{"flow-interval", required_argument, NULL, 'I'},
		{"flow-aggregation-allowed", required_argument, NULL, 'A'},
		{"flow-aggregation-denied", required_argument, NULL, 'Y'},
		{"no-flows", no_argument, NULL, 'N'},
		{"lab", no_argument, NULL, 'L'},
		{"config", required_argument, NULL, 'c'},
		{"now", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct agent_config cfg = {.listen = "127.0.0.1:9099",
				   .flow_interval = 15,
				   .flow_kind_allowed = 1,
				   .flow_kind_denied = 1};
	const char *env_interval = getenv("PALISADE_FLOW_INTERVAL");
	long num = 0;
	int64_t now = 0;
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	int npaths = 0, c, bad = 0, dry = 0, rc;
	struct arena config_arena;

	if (!paths)
		return 2;
	arena_init(&config_arena);
	rc = load_config(argc, argv, &cfg, &config_arena);
	if (rc) {
		arena_fini(&config_arena);
		free(paths);
		return rc;
	}
	/* The lab's agents inherit it from `palisade lab up` (tests want short windows). */
	if (env_interval && *env_interval) {
		bad |= flow_opt("PALISADE_FLOW_INTERVAL", env_interval, 1, 3600, &num);
		cfg.flow_interval = (unsigned)num;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			cfg.node = optarg;
			break;
		case 'd':
			cfg.datastore = optarg;
			break;
		case 's':
			cfg.state = optarg;
			break;
		case 'l':
			cfg.listen = optarg;
			break;
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 'D':
			dry = 1;
			break;
		case 'o':
			cfg.once = true;
			break;
		case 'I':
			bad |= flow_opt("--flow-interval", optarg, 1, 3600, &num);
			cfg.flow_interval = (unsigned)num;
			break;
		case 'A':
			bad |= flow_opt("--flow-aggregation-allowed", optarg, 0, 3, &num);
			cfg.flow_kind_allowed = (int)num;
			break;
		case 'Y':
			bad |= flow_opt("--flow-aggregation-denied", optarg, 0, 3, &num);
			cfg.flow_kind_denied = (int)num;
			break;
		case 'N':
			cfg.no_flows = true;
			break;
		case 'L':
			break; /* started by palisade lab: nothing differs yet */
		case 'c':
			break; /* loaded first (load_config) */
		case 'T':
			bad |= now_opt(optarg, &now);
			break;
		case 'h':
			usage(stdout);
			arena_fini(&config_arena);
			free(paths);
			return 0;
		default:
			bad = 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "palisade agent: unexpected argument \"%s\"\n", argv[optind]);
		bad = 1;
	}
	if (!bad && dry && !npaths && !cfg.datastore) {
		fprintf(stderr, "palisade agent: --dry-run needs -f PATH or --datastore DIR\n");
		bad = 1;
	}
	if (!bad && !dry && now) {
		fprintf(stderr,
			"palisade agent: --now goes with --dry-run (the agent uses the clock)\n");
		bad = 1;
	}
	if (!bad && !dry && !cfg.datastore) {
		fprintf(stderr, "palisade agent: --datastore DIR is required\n");
		bad = 1;
	}
	if (bad) {
		usage(stderr);
		arena_fini(&config_arena);
		free(paths);
		return 2;
	}
	if (dry)
		rc = dry_run(paths, npaths, npaths ? NULL : cfg.datastore, cfg.node,
			     now ? now : (int64_t)time(NULL));
	else
		rc = agent_run(&cfg);
	arena_fini(&config_arena);
	free(paths);
	return rc;
}
