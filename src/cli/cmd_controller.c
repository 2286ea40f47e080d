/* SPDX-License-Identifier: Apache-2.0 */
/* palisade controller: detection over every node's flow logs and the threat-feed puller
 * (src/agent/controller.h, src/agent/feeds.h). */
#include "cli/cmd.h"

#include "agent/controller.h"
#include "cli/controller_config.h"
#include "lab/lab.h"
#include "lib/arena.h"
#include "lib/diag.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "palisade controller"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade controller [--lab STATE | --flows DIR...] [--state DIR]\n"
		"                           [--datastore DIR] [--window SECONDS] [--grace SECONDS]\n"
		"                           [--webhook URL] [--job NAME.PARAM=VALUE]...\n"
		"                           [--disable JOB]... [--once] [--config FILE]\n"
		"                           [feed options] [response options] [--print-config]\n"
		"Follows the flow logs (flows.log in each --flows DIR; with --lab, or with one lab\n"
		"running, every node of the lab), runs the detectors and the datastore's\n"
		"GlobalAlerts over windows of --window seconds (default $PALISADE_FLOW_INTERVAL or\n"
		"15) and appends the events to <state>/events/events.log.  --job sets a detector\n"
		"parameter (docs/detectors.md), --disable turns a detector off, --once processes what\n"
		"is there (and pulls the threat feeds that are due) and exits.\n"
		"With a datastore it also pulls the GlobalThreatFeeds into GlobalNetworkSets\n"
		"threatfeed.<name> (docs/feeds.md); SIGUSR1 pulls every feed now.\n"
		"Feed options (durations like 30s, 5m, 1h):\n"
		"  --feed-period-override D   pull every feed every D (tests, demos)\n"
		"  --feed-min-period D        a feed's period is at least D (default 5m)\n"
		"  --feed-backoff D           the first retry after a failure (default 10s)\n"
		"  --feed-timeout D           a whole pull (default 60s)\n"
		"  --feed-connect-timeout D   (default 10s)\n"
		"  --feed-low-speed-time D    no byte for D aborts a pull (default 30s)\n"
		"  --feed-max-body BYTES      (default 33554432)\n"
		"  --feed-secrets-dir DIR     header valueFrom files: DIR/<name>/<key>\n"
		"  --feed-ca-file FILE        CA bundle for https feeds\n"
		"  --feed-protect CIDR        a range feeds must not block (repeatable)\n"
		"  --feed-allow-broad, --feed-allow-protected, --feed-shrink-fraction X\n"
		"Response options (src/agent/response.h):\n"
		"  --respond TYPE             quarantine the sources of events of TYPE (repeatable)\n"
		"  --respond-min-severity N   (default 50)    --respond-duration D (default 1h)\n"
		"  --quarantine-set NAME      (default palisade.quarantine)\n"
		"  --quarantine-label K=V     (repeatable; default security-action=block)\n"
		"--config FILE takes the same settings as a YAML or JSON map (docs/cli.md);\n"
		"$PALISADE_FLOW_INTERVAL and the flags override it, and a repeatable flag replaces\n"
		"the file's list.  --print-config prints the resulting settings and exits.\n");
}

static long number(const char *name, const char *s, long lo, long hi, int *bad)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, PROG ": %s takes a whole number from %ld to %ld, not \"%s\"\n",
			name, lo, hi, s);
		*bad = 1;
	}
	return v;
}

static int64_t duration(const char *name, const char *s, bool zero_ok, int *bad)
{
	int64_t ms = 0;

	if (controller_config_duration_ms(s, &ms) || (!zero_ok && !ms)) {
		fprintf(stderr, PROG ": %s takes a duration%s such as 30s, not \"%s\"\n", name,
			zero_ok ? "" : " greater than 0", s);
		*bad = 1;
	}
	return ms;
}

/* "job.param=value" into p (strings point into s, which is modified). */
static int job_param(char *s, struct controller_job_param *p)
{
	char *dot = strchr(s, '.'), *eq = strchr(s, '='), *end;

	if (!dot || !eq || eq < dot || dot == s || eq == dot + 1 || !eq[1])
		return -EINVAL;
	*dot = *eq = '\0';
	p->job = s;
	p->name = dot + 1;
	errno = 0;
	p->value = strtod(eq + 1, &end);
	return errno || *end ? -EINVAL : 0;
}

/* The flows directories of every node of a lab state directory. */
static int lab_flow_dirs(const char *state, char ***dirs, size_t *n)
{
	char *nodes = NULL;
	DIR *d;
	struct dirent *e;

	if (asprintf(&nodes, "%s/nodes", state) < 0)
		return -ENOMEM;
	d = opendir(nodes);
	if (!d) {
		int err = -errno;

		free(nodes);
		return err;
	}
	while ((e = readdir(d))) {
		char **v;

		if (e->d_name[0] == '.')
			continue;
		v = realloc(*dirs, (*n + 1) * sizeof(*v));
		if (!v)
			break;
		*dirs = v;
		if (asprintf(&v[*n], "%s/%s/flows", nodes, e->d_name) >= 0)
			(*n)++;
	}
	closedir(d);
	free(nodes);
	return 0;
}

/*
 * The file named by --config FILE or --config=FILE, if any (the last one wins), loaded into
 * cfg before the environment and the other flags.  0, 1 (invalid, reported) or 2 (unreadable).
 */
static int load_config(int argc, char **argv, struct controller_config *cfg, const char **lab,
		       struct arena *a)
{
	const char *path = NULL;
	struct diag_list d;
	int err;

	if (!(path = cli_config_path(argc, argv)))
		return 0;
	diag_list_init(&d);
	err = controller_config_load(path, cfg, lab, a, &d);
	cli_print_diags(stderr, &d);
	diag_list_fini(&d);
	return err == -EINVAL ? 1 : err ? 2 : 0;
}

/* What the flags collect before they replace the file's lists. */
struct flag_lists {
	char **dirs;
	size_t ndirs;
	struct controller_job_param *params; /* the file's, then the flags' */
	size_t nparams;
	struct cidr *protect;
	size_t nprotect;
	const char **events;
	size_t nevents;
	struct response_label *labels;
	size_t nlabels;
};

enum {
	OPT_CONFIG = 256,
	OPT_PRINT,
	OPT_F_OVERRIDE,
	OPT_F_MIN,
	OPT_F_BACKOFF,
	OPT_F_TIMEOUT,
	OPT_F_CONNECT,
	OPT_F_LOWSPEED,
	OPT_F_MAXBODY,
	OPT_F_SECRETS,
	OPT_F_CA,
	OPT_F_PROTECT,
	OPT_F_BROAD,
	OPT_F_PROTECTED,
	OPT_F_SHRINK,
	OPT_R_TYPE,
	OPT_R_SEV,
	OPT_R_DURATION,
	OPT_R_SET,
	OPT_R_LABEL,
};

/* One flag of the feeds or the response into cfg or l.  0, or 1 after a message. */
static int feed_or_response_flag(int c, const char *arg, struct controller_config *cfg,
				 struct flag_lists *l)
{
	struct feeds_config *fc = &cfg->feeds;
	struct response_config *rc = &cfg->response;
	const char *why;
	int bad = 0;
	char *end;

	switch (c) {
	case OPT_F_OVERRIDE:
		fc->period_override_ms = duration("--feed-period-override", arg, true, &bad);
		break;
	case OPT_F_MIN:
		fc->min_period_ms = duration("--feed-min-period", arg, false, &bad);
		break;
	case OPT_F_BACKOFF:
		fc->backoff_ms = duration("--feed-backoff", arg, false, &bad);
		break;
	case OPT_F_TIMEOUT:
		fc->timeout_ms = duration("--feed-timeout", arg, false, &bad);
		break;
	case OPT_F_CONNECT:
		fc->connect_timeout_ms = duration("--feed-connect-timeout", arg, false, &bad);
		break;
	case OPT_F_LOWSPEED:
		fc->low_speed_time_ms = duration("--feed-low-speed-time", arg, false, &bad);
		break;
	case OPT_F_MAXBODY:
		fc->max_body = (size_t)number("--feed-max-body", arg, 1, 1L << 30, &bad);
		break;
	case OPT_F_SECRETS:
		fc->secrets_dir = arg;
		break;
	case OPT_F_CA:
		fc->ca_file = arg;
		break;
	case OPT_F_PROTECT:
		if (cidr_parse(arg, &l->protect[l->nprotect], NULL)) {
			fprintf(stderr, PROG ": --feed-protect: \"%s\" is not a CIDR\n", arg);
			return 1;
		}
		l->nprotect++;
		break;
	case OPT_F_BROAD:
		fc->allow_broad = true;
		break;
	case OPT_F_PROTECTED:
		fc->allow_protected = true;
		break;
	case OPT_F_SHRINK:
		errno = 0;
		fc->shrink_fraction = strtod(arg, &end);
		if (errno || end == arg || *end || !(fc->shrink_fraction >= 0) ||
		    fc->shrink_fraction > 1) {
			fprintf(stderr,
				PROG ": --feed-shrink-fraction takes a number from 0 to 1\n");
			return 1;
		}
		break;
	case OPT_R_TYPE:
		if ((why = controller_config_event_err(arg))) {
			fprintf(stderr, PROG ": --respond: \"%s\" is %s\n", arg, why);
			return 1;
		}
		l->events[l->nevents++] = arg;
		break;
	case OPT_R_SEV:
		rc->min_severity = (int)number("--respond-min-severity", arg, 0, 100, &bad);
		break;
	case OPT_R_DURATION: {
		int64_t ms = duration("--respond-duration", arg, false, &bad);

		if (!bad && ms < 1000) {
			fprintf(stderr, PROG ": --respond-duration must be at least 1s\n");
			return 1;
		}
		rc->duration_s = ms / 1000;
		break;
	}
	case OPT_R_SET:
		if ((why = controller_config_set_name_err(arg))) {
			fprintf(stderr, PROG ": --quarantine-set: \"%s\" is not a valid name: %s\n",
				arg, why);
			return 1;
		}
		rc->network_set = arg;
		break;
	case OPT_R_LABEL: {
		char *eq = strchr(arg, '=');

		if (!eq) {
			fprintf(stderr, PROG ": --quarantine-label takes KEY=VALUE\n");
			return 1;
		}
		*eq = '\0';
		if ((why = controller_config_label_err(arg, eq + 1))) {
			fprintf(stderr, PROG ": --quarantine-label %s=%s: %s\n", arg, eq + 1, why);
			return 1;
		}
		l->labels[l->nlabels++] = (struct response_label){arg, eq + 1};
		break;
	}
	default:
		return 1;
	}
	return bad;
}

static void flag_lists_fini(struct flag_lists *l)
{
	for (size_t i = 0; i < l->ndirs; i++)
		free(l->dirs[i]);
	free(l->dirs);
	free(l->params);
	free(l->protect);
	free(l->events);
	free(l->labels);
}

int cmd_controller(int argc, char **argv)
{
	static const struct option opts[] = {
		{"lab", required_argument, NULL, 'L'},
		{"flows", required_argument, NULL, 'F'},
		{"state", required_argument, NULL, 's'},
		{"datastore", required_argument, NULL, 'd'},
		{"window", required_argument, NULL, 'w'},
		{"grace", required_argument, NULL, 'g'},
		{"webhook", required_argument, NULL, 'W'},
		{"job", required_argument, NULL, 'j'},
		{"disable", required_argument, NULL, 'D'},
		{"once", no_argument, NULL, 'o'},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"print-config", no_argument, NULL, OPT_PRINT},
		{"feed-period-override", required_argument, NULL, OPT_F_OVERRIDE},
		{"feed-min-period", required_argument, NULL, OPT_F_MIN},
		{"feed-backoff", required_argument, NULL, OPT_F_BACKOFF},
		{"feed-timeout", required_argument, NULL, OPT_F_TIMEOUT},
		{"feed-connect-timeout", required_argument, NULL, OPT_F_CONNECT},
		{"feed-low-speed-time", required_argument, NULL, OPT_F_LOWSPEED},
		{"feed-max-body", required_argument, NULL, OPT_F_MAXBODY},
		{"feed-secrets-dir", required_argument, NULL, OPT_F_SECRETS},
		{"feed-ca-file", required_argument, NULL, OPT_F_CA},
		{"feed-protect", required_argument, NULL, OPT_F_PROTECT},
		{"feed-allow-broad", no_argument, NULL, OPT_F_BROAD},
		{"feed-allow-protected", no_argument, NULL, OPT_F_PROTECTED},
		{"feed-shrink-fraction", required_argument, NULL, OPT_F_SHRINK},
		{"respond", required_argument, NULL, OPT_R_TYPE},
		{"respond-min-severity", required_argument, NULL, OPT_R_SEV},
		{"respond-duration", required_argument, NULL, OPT_R_DURATION},
		{"quarantine-set", required_argument, NULL, OPT_R_SET},
		{"quarantine-label", required_argument, NULL, OPT_R_LABEL},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct controller_config cfg;
	struct flag_lists l = {0};
	struct arena config_arena;
	const char *file_lab = NULL, *env = getenv("PALISADE_FLOW_INTERVAL");
	char *lab = NULL, *state = NULL, *datastore = NULL, err[256], **dirs = NULL;
	size_t ndirs = 0;
	int c, bad = 0, rc = 2, print = 0;

	controller_config_init(&cfg);
	arena_init(&config_arena);
	rc = load_config(argc, argv, &cfg, &file_lab, &config_arena);
	if (rc)
		goto out;
	rc = 2;
	l.params = calloc(cfg.nparams + (size_t)argc + 1, sizeof(*l.params));
	l.protect = calloc((size_t)argc + 1, sizeof(*l.protect));
	l.events = calloc((size_t)argc + 1, sizeof(*l.events));
	l.labels = calloc((size_t)argc + 1, sizeof(*l.labels));
	if (!l.params || !l.protect || !l.events || !l.labels)
		goto out;
	if (cfg.nparams)
		memcpy(l.params, cfg.params, cfg.nparams * sizeof(*l.params));
	l.nparams = cfg.nparams;
	if (file_lab && !(lab = strdup(file_lab)))
		goto out;
	if (env && *env)
		cfg.window = (unsigned)number("PALISADE_FLOW_INTERVAL", env, 1, 3600, &bad);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			free(lab);
			lab = strdup(optarg);
			break;
		case 'F': {
			char **v = realloc(l.dirs, (l.ndirs + 1) * sizeof(*v));

			if (!v || !(v[l.ndirs] = strdup(optarg)))
				goto out;
			l.dirs = v;
			l.ndirs++;
			break;
		}
		case 's':
			cfg.state = optarg;
			break;
		case 'd':
			cfg.datastore = optarg;
			break;
		case 'w':
			cfg.window = (unsigned)number("--window", optarg, 1, 3600, &bad);
			break;
		case 'g':
			cfg.grace = (unsigned)number("--grace", optarg, 0, 3600, &bad);
			break;
		case 'W':
			cfg.webhook = optarg;
			break;
		case 'j':
			if (job_param(optarg, &l.params[l.nparams])) {
				fprintf(stderr, PROG ": --job takes NAME.PARAM=VALUE\n");
				bad = 1;
			} else {
				l.nparams++;
			}
			break;
		case 'D':
			l.params[l.nparams++] = (struct controller_job_param){optarg, "enabled", 0};
			break;
		case 'o':
			cfg.once = true;
			break;
		case OPT_CONFIG:
			break; /* loaded first (load_config) */
		case OPT_PRINT:
			print = 1;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		case '?':
			bad = 1;
			break;
		default:
			bad |= feed_or_response_flag(c, optarg, &cfg, &l);
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument \"%s\"\n", argv[optind]);
		bad = 1;
	}
	if (bad) {
		usage(stderr);
		goto out;
	}
	/* A repeatable flag replaces the file's list. */
	cfg.params = l.params;
	cfg.nparams = l.nparams;
	if (l.nprotect) {
		cfg.feeds.protect = l.protect;
		cfg.feeds.nprotect = l.nprotect;
	}
	if (l.nevents) {
		cfg.response.events = l.events;
		cfg.response.nevents = l.nevents;
	}
	if (l.nlabels) {
		cfg.response.labels = l.labels;
		cfg.response.nlabels = l.nlabels;
	}
	if (l.ndirs) {
		cfg.flow_dirs = (const char **)l.dirs;
		cfg.nflow_dirs = l.ndirs;
	}
	if (print) {
		controller_config_print(stdout, &cfg, lab);
		rc = 0;
		goto out;
	}
	if (!lab && !cfg.nflow_dirs && lab_registry_pick(&lab, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s; give --flows DIR or --lab STATE\n", err);
		goto out;
	}
	if (lab) {
		/* The lab's nodes after the directories given. */
		dirs = calloc(cfg.nflow_dirs + 1, sizeof(*dirs));
		for (size_t i = 0; dirs && i < cfg.nflow_dirs; i++)
			if ((dirs[ndirs] = strdup(cfg.flow_dirs[i])))
				ndirs++;
		if (!dirs || ndirs != cfg.nflow_dirs || lab_flow_dirs(lab, &dirs, &ndirs)) {
			fprintf(stderr, PROG ": %s/nodes: cannot read\n", lab);
			goto out;
		}
		cfg.flow_dirs = (const char **)dirs;
		cfg.nflow_dirs = ndirs;
		if (!cfg.state && asprintf(&state, "%s/controller", lab) >= 0)
			cfg.state = state;
		if (!cfg.datastore && asprintf(&datastore, "%s/datastore", lab) >= 0)
			cfg.datastore = datastore;
	}
	if (!cfg.state) {
		fprintf(stderr, PROG ": --state DIR is required with --flows\n");
		goto out;
	}
	rc = controller_run(&cfg);
out:
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	flag_lists_fini(&l);
	free(lab);
	free(state);
	free(datastore);
	arena_fini(&config_arena);
	return rc;
}
