/* SPDX-License-Identifier: Apache-2.0 */
/* palisade controller: detection over every node's flow logs (src/agent/controller.h). */
#include "cli/cmd.h"

#include "agent/controller.h"
#include "lab/lab.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade controller [--lab STATE | --flows DIR...] [--state DIR]\n"
		"                           [--datastore DIR] [--window SECONDS] [--grace SECONDS]\n"
		"                           [--webhook URL] [--job NAME.PARAM=VALUE]...\n"
		"                           [--disable JOB]... [--once]\n"
		"Follows the flow logs (flows.log in each --flows DIR; with --lab, or with one lab\n"
		"running, every node of the lab), runs the detectors and the datastore's\n"
		"GlobalAlerts over windows of --window seconds (default $PALISADE_FLOW_INTERVAL or\n"
		"15) and appends the events to <state>/events/events.log.  --job sets a detector\n"
		"parameter (docs/detectors.md), --disable turns a detector off, --once processes what\n"
		"is there and exits.\n");
}

static long number(const char *name, const char *s, long lo, long hi, int *bad)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "palisade controller: %s takes a whole number from %ld to %ld\n",
			name, lo, hi);
		*bad = 1;
	}
	return v;
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
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct controller_config cfg = {.window = 15, .grace = 2, .keep = 5};
	struct controller_job_param *params = calloc((size_t)argc + 1, sizeof(*params));
	char **dirs = NULL, *lab = NULL, *state = NULL, *datastore = NULL, err[256];
	const char *env = getenv("PALISADE_FLOW_INTERVAL");
	size_t ndirs = 0, nparams = 0;
	int c, bad = 0, rc = 2;

	if (!params)
		return 2;
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
			char **v = realloc(dirs, (ndirs + 1) * sizeof(*v));

			if (!v || !(v[ndirs] = strdup(optarg)))
				goto out;
			dirs = v;
			ndirs++;
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
			if (job_param(optarg, &params[nparams])) {
				fprintf(stderr,
					"palisade controller: --job takes NAME.PARAM=VALUE\n");
				bad = 1;
			} else {
				nparams++;
			}
			break;
		case 'D':
			params[nparams++] = (struct controller_job_param){optarg, "enabled", 0};
			break;
		case 'o':
			cfg.once = true;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			bad = 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "palisade controller: unexpected argument \"%s\"\n", argv[optind]);
		bad = 1;
	}
	if (bad) {
		usage(stderr);
		goto out;
	}
	if (!lab && !ndirs && lab_registry_pick(&lab, err, sizeof(err))) {
		fprintf(stderr, "palisade controller: %s; give --flows DIR or --lab STATE\n", err);
		goto out;
	}
	if (lab) {
		if (lab_flow_dirs(lab, &dirs, &ndirs)) {
			fprintf(stderr, "palisade controller: %s/nodes: cannot read\n", lab);
			goto out;
		}
		if (!cfg.state && asprintf(&state, "%s/controller", lab) >= 0)
			cfg.state = state;
		if (!cfg.datastore && asprintf(&datastore, "%s/datastore", lab) >= 0)
			cfg.datastore = datastore;
	}
	if (!cfg.state) {
		fprintf(stderr, "palisade controller: --state DIR is required with --flows\n");
		goto out;
	}
	cfg.flow_dirs = (const char **)dirs;
	cfg.nflow_dirs = ndirs;
	cfg.params = params;
	cfg.nparams = nparams;
	rc = controller_run(&cfg);
out:
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	free(params);
	free(lab);
	free(state);
	free(datastore);
	return rc;
}
