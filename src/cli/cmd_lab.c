/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade lab up | status | exec | probe | down: a whole cluster on one machine, built
 * from network namespaces (DESIGN §9; the layout is in src/lab/lab.h).  `up` plans the lab
 * from manifests (src/lab/plan.c), writes the datastore, builds the network, starts a
 * responder in every pod and an agent on every node; the other subcommands find the lab
 * through its state directory (--state, or the registry when exactly one lab is up).
 */
#include "cli/cmd.h"
#include "cli/truth_table.h"

#include "lab/lab.h"
#include "lab/labfs.h"
#include "lab/labnet.h"
#include "lab/plan.h"
#include "lab/probe.h"
#include "lab/proc.h"
#include "lib/diag.h"
#include "lib/resource.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS  5000 /* responders binding their ports */
#define AGENT_GRACE_MS	  500  /* an agent that fails at start-up does so quickly */
#define STOP_TIMEOUT_MS	  3000
#define PROBE_TIMEOUT_MS  1000
#define PROBE_TIMEOUT_MAX 30000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade lab up -f PATH... [--state DIR] [--no-agents] [--seed N]\n"
		"                       [--controller-config FILE]\n"
		"       palisade lab status [--state DIR] [-o text|json]\n"
		"       palisade lab exec [--state DIR] POD|HOST|NODE -- CMD...\n"
		"       palisade lab probe [--state DIR] [--ports 80,81] [--protos TCP,UDP]\n"
		"                          [--timeout MS] [-o text|json]\n"
		"       palisade lab down [--state DIR | --prefix PREFIX]\n"
		"\n"
		"A cluster of network namespaces on this machine: nodes, pods from Pod, Deployment,\n"
		"ReplicaSet, StatefulSet and DaemonSet manifests, the Lab object's external hosts.\n"
		"The state directory defaults to " LAB_STATE_DEFAULT "; other commands find a lab\n"
		"through " LAB_REGISTRY_DIR " when exactly one is up.  POD is namespace/name.\n"
		"The lab's controller runs in node 1's namespace; --controller-config FILE (or\n"
		"$PALISADE_CONTROLLER_CONFIG) is its --config.\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *path_join(const char *a, const char *b)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

static bool file_exists(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct stat st;
	bool yes = p && stat(p, &st) == 0;

	free(p);
	return yes;
}

/*
 * The state directory the user means: --state (made absolute), else the only registered
 * lab, else (when fallback is set) the default.  Returns a malloc'ed path or NULL after
 * printing why.
 */
static char *pick_state(const char *opt, bool fallback)
{
	char err[1024], *state = NULL;
	int rc;

	if (opt) {
		state = lab_abspath(opt);
		if (!state)
			fprintf(stderr, "palisade lab: --state %s: cannot make it absolute\n", opt);
		return state;
	}
	rc = lab_registry_pick(&state, err, sizeof(err));
	if (rc == 0)
		return state;
	if (rc == -EEXIST) {
		fprintf(stderr,
			"palisade lab: several labs are up: %s; choose one with --state DIR\n",
			err);
		return NULL;
	}
	if (fallback)
		return strdup(LAB_STATE_DEFAULT);
	fprintf(stderr, "palisade lab: no lab is up (nothing in %s); give --state DIR\n",
		LAB_REGISTRY_DIR);
	return NULL;
}

/* The running lab of state, or NULL after printing why. */
static struct lab *open_lab(const char *state)
{
	char *path = path_join(state, "lab.json"), err[1024];
	struct lab *l;

	if (!path)
		return NULL;
	l = lab_load(path, err, sizeof(err));
	if (!l)
		fprintf(stderr, "palisade lab: no lab in %s (%s)\n", state, err);
	free(path);
	return l;
}

/* ---- down -------------------------------------------------------------------------------- */

/* Signals the processes named by <state>/pids/ files that are still ours (their command
 * line names the state directory). */
static void stop_pidfiles(const char *state)
{
	char *dir = path_join(state, "pids");
	pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	if (!dir)
		return;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char *p, *text;
		long v;

		if (e->d_name[0] == '.')
			continue;
		p = path_join(dir, e->d_name);
		text = p ? labfs_read(p, NULL) : NULL;
		v = text ? strtol(text, NULL, 10) : 0;
		free(text);
		free(p);
		if (v <= 1 || !proc_cmdline_has((pid_t)v, state))
			continue;
		if (n == cap) {
			pid_t *np = realloc(pids, (cap ? cap * 2 : 32) * sizeof(*np));

			if (!np)
				break;
			pids = np;
			cap = cap ? cap * 2 : 32;
		}
		pids[n++] = (pid_t)v;
	}
	if (d)
		closedir(d);
	if (n)
		proc_stop(pids, n, STOP_TIMEOUT_MS);
	free(pids);
	free(dir);
}

/*
 * Removes everything of the lab in state (may be NULL) with prefix: its processes, its
 * namespaces, its registry entries, and the state directory when it carries the lab's
 * marker.  Returns 0 when nothing is left.
 */
static int teardown(const char *state, const char *prefix, bool verbose)
{
	char err[1024];
	size_t left;
	int rc = 0;

	if (state)
		stop_pidfiles(state);
	left = labnet_down(prefix, STOP_TIMEOUT_MS, err, sizeof(err));
	if (left) {
		fprintf(stderr, "palisade lab: %zu namespaces named %s* are left: %s\n", left,
			prefix, err[0] ? err : "unknown reason");
		rc = -1;
	}
	if (state) {
		lab_registry_remove(state);
		if (file_exists(state, LAB_MARKER)) {
			int e = labfs_rmtree(state);

			if (e) {
				fprintf(stderr, "palisade lab: cannot remove %s: %s\n", state,
					strerror(-e));
				rc = -1;
			}
		} else if (verbose && access(state, F_OK) == 0) {
			fprintf(stderr,
				"palisade lab: %s is not a lab state directory; left as it is\n",
				state);
		}
	}
	return rc;
}

/* The registered state directories whose prefix is prefix (for down --prefix). */
static void teardown_registered(const char *prefix)
{
	DIR *d = opendir(LAB_REGISTRY_DIR);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p, *text, pre[LAB_PREFIX_LEN + 1];
		size_t len = 0;

		if (e->d_name[0] == '.')
			continue;
		p = path_join(LAB_REGISTRY_DIR, e->d_name);
		text = p ? labfs_read(p, &len) : NULL;
		while (text && len && text[len - 1] == '\n')
			text[--len] = '\0';
		if (text) {
			lab_prefix(text, pre);
			if (!strcmp(pre, prefix))
				teardown(text, prefix, false);
		}
		free(text);
		free(p);
	}
	if (d)
		closedir(d);
}

static int lab_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, 's'},
		{"prefix", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *opt_state = NULL, *opt_prefix = NULL;
	char prefix[LAB_PREFIX_LEN + 1], *state = NULL, **names = NULL;
	size_t n = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_state = optarg;
			break;
		case 'p':
			opt_prefix = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || (opt_state && opt_prefix)) {
		usage(stderr);
		return 2;
	}
	if (opt_prefix) {
		size_t len = strlen(opt_prefix);

		/* Only a lab's own prefix: "pl" + 4 hex digits + "-". */
		if (len != LAB_PREFIX_LEN || strncmp(opt_prefix, "pl", 2) ||
		    opt_prefix[LAB_PREFIX_LEN - 1] != '-' ||
		    strspn(opt_prefix + 2, "0123456789abcdef") != 4) {
			fprintf(stderr, "palisade lab down: --prefix must look like pl3fa2-\n");
			return 2;
		}
		teardown_registered(opt_prefix);
		rc = teardown(NULL, opt_prefix, true);
		if (!rc)
			printf("lab with prefix %s is down\n", opt_prefix);
		return rc ? 2 : 0;
	}
	state = pick_state(opt_state, true);
	if (!state)
		return 2;
	lab_prefix(state, prefix);
	labnet_list(prefix, &names, &n);
	labnet_list_free(names, n);
	rc = teardown(state, prefix, true);
	if (!rc)
		printf("lab in %s is down (%zu namespaces removed)\n", state, n);
	free(state);
	return rc ? 2 : 0;
}

/* ---- up ---------------------------------------------------------------------------------- */

static int ports_arg(const uint16_t *v, size_t n, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%u", i ? "," : "", v[i]);
	return off < size ? 0 : -1;
}

/* The last line of a log file, for messages. */
static void log_tail(const char *path, char *out, size_t size)
{
	char *text = labfs_read(path, NULL), *end, *line;

	out[0] = '\0';
	if (!text)
		return;
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		*--end = '\0';
	line = strrchr(text, '\n');
	snprintf(out, size, "%s", line ? line + 1 : text);
	free(text);
}

/* Starts a responder in every pod that declares a TCP or UDP port and waits until each has
 * bound its ports (it writes its pid file then). */
static int start_responders(const struct lab *l, const char *self, char *err, size_t errsize)
{
	pid_t *pids = calloc(l->npods + 1, sizeof(*pids));
	char **pidfiles = calloc(l->npods + 1, sizeof(*pidfiles));
	char **logs = calloc(l->npods + 1, sizeof(*logs));
	long long deadline;
	int rc = -1;

	if (!pids || !pidfiles || !logs) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->npods; i++) {
		const struct lab_pod *p = &l->pods[i];
		const char *tag = p->netns ? p->netns + strlen(l->prefix) : NULL;
		char tcp[2048], udp[2048];

		if (!p->netns || (!p->ntcp && !p->nudp))
			continue;
		if (ports_arg(p->tcp, p->ntcp, tcp, sizeof(tcp)) ||
		    ports_arg(p->udp, p->nudp, udp, sizeof(udp))) {
			snprintf(err, errsize, "pod %s declares too many ports", p->ref);
			goto out;
		}
		if (asprintf(&pidfiles[i], "%s/pids/responder-%s.pid", l->state, tag) < 0 ||
		    asprintf(&logs[i], "%s/logs/responder-%s.log", l->state, tag) < 0) {
			snprintf(err, errsize, "out of memory");
			goto out;
		}
		char *argv[] = {
			"ip",	     "netns",	  "exec",  p->netns, (char *)self, "lab-responder",
			"--name",    p->ref,	  "--tcp", tcp,	     "--udp",	   udp,
			"--pidfile", pidfiles[i], NULL};

		if (!p->ntcp)
			memmove(&argv[8], &argv[10], 5 * sizeof(*argv));
		else if (!p->nudp)
			memmove(&argv[10], &argv[12], 3 * sizeof(*argv));
		pids[i] = proc_spawn(argv, logs[i]);
		if (pids[i] < 0) {
			snprintf(err, errsize, "cannot start the responder of %s: %s", p->ref,
				 strerror((int)-pids[i]));
			pids[i] = 0;
			goto out;
		}
	}
	deadline = now_ms() + READY_TIMEOUT_MS;
	for (;;) {
		size_t waiting = 0;

		for (size_t i = 0; i < l->npods; i++) {
			int st;

			if (!pids[i])
				continue;
			if (access(pidfiles[i], F_OK) == 0) {
				pids[i] = 0;
				continue;
			}
			if (proc_exited(pids[i], &st)) {
				char tail[512];

				log_tail(logs[i], tail, sizeof(tail));
				snprintf(err, errsize,
					 "the responder of %s exited with status %d: %s (log %s)",
					 l->pods[i].ref, st, tail, logs[i]);
				pids[i] = 0;
				goto out;
			}
			waiting++;
		}
		if (!waiting)
			break;
		if (now_ms() >= deadline) {
			snprintf(err, errsize, "%zu responders not ready after %d ms", waiting,
				 READY_TIMEOUT_MS);
			goto out;
		}
		usleep(20000);
	}
	rc = 0;
out:
	for (size_t i = 0; pidfiles && logs && i < l->npods; i++) {
		free(pidfiles[i]);
		free(logs[i]);
	}
	free(pidfiles);
	free(logs);
	free(pids);
	return rc;
}

/* Starts `palisade agent` in every node.  An agent that exits at once with status 2 (not
 * built yet, or it refused the options) is a warning; any other early exit an error. */
static int start_agents(const struct lab *l, const char *self, char *err, size_t errsize)
{
	pid_t *pids = calloc(l->nnodes + 1, sizeof(*pids));
	long long deadline;
	int rc = -1;

	if (!pids) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->nnodes; i++) {
		const struct lab_node *n = &l->nodes[i];
		char *nstate = NULL, *log = NULL, *pidfile = NULL, pid[32];
		int e;

		if (asprintf(&nstate, "%s/nodes/%s", l->state, n->name) < 0)
			nstate = NULL;
		if (asprintf(&log, "%s/logs/agent-%s.log", l->state, n->name) < 0)
			log = NULL;
		if (asprintf(&pidfile, "%s/pids/agent-%s.pid", l->state, n->name) < 0)
			pidfile = NULL;
		if (!nstate || !log || !pidfile || labfs_mkdir_p(nstate, 0755)) {
			snprintf(err, errsize, "cannot prepare %s/nodes/%s", l->state, n->name);
			free(nstate);
			free(log);
			free(pidfile);
			goto out;
		}
		char *argv[] = {"ip",	   "netns",  "exec",  n->netns,	     (char *)self,
				"agent",   "--node", n->name, "--datastore", l->datastore,
				"--state", nstate,   "--lab", NULL};

		pids[i] = proc_spawn(argv, log);
		e = pids[i] < 0 ? (int)-pids[i] : 0;
		if (!e) {
			snprintf(pid, sizeof(pid), "%d\n", (int)pids[i]);
			e = -labfs_write_atomic(pidfile, pid, strlen(pid));
		}
		free(nstate);
		free(log);
		free(pidfile);
		if (e) {
			snprintf(err, errsize, "cannot start the agent of %s: %s", n->name,
				 strerror(e));
			goto out;
		}
	}
	deadline = now_ms() + AGENT_GRACE_MS;
	while (now_ms() < deadline) {
		for (size_t i = 0; i < l->nnodes; i++) {
			char *log = NULL, *pidfile = NULL, tail[512];
			int st;

			if (!pids[i] || !proc_exited(pids[i], &st))
				continue;
			pids[i] = 0;
			if (asprintf(&log, "%s/logs/agent-%s.log", l->state, l->nodes[i].name) < 0)
				log = NULL;
			if (asprintf(&pidfile, "%s/pids/agent-%s.pid", l->state,
				     l->nodes[i].name) >= 0) {
				unlink(pidfile);
				free(pidfile);
			}
			tail[0] = '\0';
			if (log)
				log_tail(log, tail, sizeof(tail));
			free(log);
			if (st == 2) {
				fprintf(stderr,
					"palisade lab: warning: the agent of %s exited with status "
					"2 (%s); the lab runs without it\n",
					l->nodes[i].name, tail[0] ? tail : "no message");
				continue;
			}
			snprintf(err, errsize, "the agent of %s exited with status %d: %s",
				 l->nodes[i].name, st, tail);
			goto out;
		}
		usleep(20000);
	}
	rc = 0;
out:
	free(pids);
	return rc;
}

/*
 * Starts the lab's `palisade controller` in node 1's network namespace, as a controller pod
 * would run on a node: it reads the nodes' flow logs and writes its state under
 * <state>/controller like any file, and its threat-feed pulls reach the external hosts over
 * the lab fabric.  config (absolute, may be NULL) is passed on as --config.
 */
static int start_controller(const struct lab *l, const char *self, const char *config, char *err,
			    size_t errsize)
{
	char *log = NULL, *pidfile = NULL, pid[32];
	pid_t p;
	int e = ENOMEM;

	if (asprintf(&log, "%s/logs/controller.log", l->state) < 0)
		log = NULL;
	if (asprintf(&pidfile, "%s/pids/controller.pid", l->state) < 0)
		pidfile = NULL;
	if (log && pidfile) {
		char *argv[] = {"ip",	      "netns",	      "exec",  l->nodes[0].netns,
				(char *)self, "controller",   "--lab", l->state,
				"--config",   (char *)config, NULL};

		if (!config)
			argv[8] = NULL;
		p = proc_spawn(argv, log);
		e = p < 0 ? (int)-p : 0;
		if (!e) {
			snprintf(pid, sizeof(pid), "%d\n", (int)p);
			e = -labfs_write_atomic(pidfile, pid, strlen(pid));
		}
	}
	if (e)
		snprintf(err, errsize, "cannot start the controller: %s", strerror(e));
	free(log);
	free(pidfile);
	return e ? -1 : 0;
}

static int lab_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"state", required_argument, NULL, 's'},
		{"no-agents", no_argument, NULL, 'A'},
		{"seed", required_argument, NULL, 'S'},
		{"controller-config", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	const char *opt_state = NULL, *opt_ccfg = getenv("PALISADE_CONTROLLER_CONFIG");
	char *state = NULL, *self = NULL, *path = NULL, *ccfg = NULL, err[2048];
	char **names = NULL;
	size_t nnames = 0;
	bool agents = true;
	unsigned long long seed = 0;
	struct lab_plan plan;
	struct diag_list d;
	struct lab *l;
	int npaths = 0, c, rc = 2, e = 0;

	lab_plan_init(&plan);
	diag_list_init(&d);
	if (!paths)
		goto out;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 's':
			opt_state = optarg;
			break;
		case 'A':
			agents = false;
			break;
		case 'C':
			opt_ccfg = optarg;
			break;
		case 'S': {
			char *end;

			seed = strtoull(optarg, &end, 10);
			if (end == optarg || *end) {
				fprintf(stderr, "palisade lab up: --seed takes a number\n");
				goto out;
			}
			break;
		}
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc || npaths == 0) {
		fprintf(stderr, "palisade lab up: %s\n",
			npaths ? "unexpected argument" : "no manifests given (-f PATH)");
		usage(stderr);
		goto out;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "palisade lab up: needs root (it creates network namespaces)\n");
		goto out;
	}
	if (opt_ccfg && *opt_ccfg) {
		/* Absolute: the controller does not run in this directory's context. */
		ccfg = lab_abspath(opt_ccfg);
		if (!ccfg || access(ccfg, R_OK)) {
			fprintf(stderr, "palisade lab up: --controller-config %s: %s\n", opt_ccfg,
				ccfg ? strerror(errno) : "out of memory");
			goto out;
		}
	}

	/* 1. Plan: nothing is touched when the manifests are wrong. */
	e = lab_plan_build(&plan, paths, npaths, seed, &d);
	cli_print_diags(stderr, &d);
	if (e) {
		rc = e == -EINVAL ? 1 : 2;
		goto out;
	}
	l = plan.lab;

	/* 2. Where it lives, and that nothing is there yet. */
	state = opt_state ? lab_abspath(opt_state) : strdup(LAB_STATE_DEFAULT);
	self = proc_self_exe();
	if (!state || !self || lab_name_things(l, state)) {
		fprintf(stderr, "palisade lab up: out of memory\n");
		goto out;
	}
	if (file_exists(state, LAB_MARKER)) {
		fprintf(stderr,
			"palisade lab up: a lab is already in %s (palisade lab down --state %s)\n",
			state, state);
		goto out;
	}
	if (access(state, F_OK) == 0 && labfs_dir_empty(state) != 1) {
		fprintf(stderr, "palisade lab up: %s exists and is not empty\n", state);
		goto out;
	}
	labnet_list(l->prefix, &names, &nnames);
	labnet_list_free(names, nnames);
	if (nnames) {
		fprintf(stderr,
			"palisade lab up: %zu namespaces named %s* exist already (palisade lab "
			"down --prefix %s)\n",
			nnames, l->prefix, l->prefix);
		goto out;
	}

	/* 3. From here on, a failure removes everything made so far. */
	e = labfs_mkdir_p(state, 0755);
	if (e) {
		fprintf(stderr, "palisade lab up: %s: %s\n", state, strerror(-e));
		goto out;
	}
	path = path_join(state, LAB_MARKER);
	if (!path || (e = labfs_write_atomic(path, "", 0))) {
		snprintf(err, sizeof(err), "%s/%s: %s", state, LAB_MARKER,
			 path ? strerror(-e) : "out of memory");
		goto fail;
	}
	e = lab_registry_add(l->name, state);
	if (e) {
		snprintf(err, sizeof(err), "%s/%s: %s", LAB_REGISTRY_DIR, l->name,
			 e == -EEXIST ? "another lab of this name is up" : strerror(-e));
		goto fail;
	}
	free(path);
	path = NULL;
	const char *const sub[] = {"datastore", "pids", "logs", "nodes"};

	for (size_t i = 0; i < 4; i++) {
		path = path_join(state, sub[i]);
		if (!path || (e = labfs_mkdir_p(path, 0755))) {
			snprintf(err, sizeof(err), "%s/%s: %s", state, sub[i],
				 path ? strerror(-e) : "out of memory");
			goto fail;
		}
		free(path);
		path = NULL;
	}
	if (lab_plan_write(&plan, l->datastore, err, sizeof(err)))
		goto fail;
	path = path_join(state, "lab.json");
	if (!path || (e = lab_save(l, path))) {
		snprintf(err, sizeof(err), "%s/lab.json: %s", state,
			 path ? strerror(-e) : "out of memory");
		goto fail;
	}

	/* 4. The network, the pods' responders, the agents. */
	if (labnet_up(l, err, sizeof(err)))
		goto fail;
	if (start_responders(l, self, err, sizeof(err)))
		goto fail;
	if (agents && start_agents(l, self, err, sizeof(err)))
		goto fail;
	if (agents && start_controller(l, self, ccfg, err, sizeof(err)))
		goto fail;

	printf("lab %s is up: %zu node%s, %zu pod%s (%zu from workloads), %zu external host%s\n",
	       l->name, l->nnodes, l->nnodes == 1 ? "" : "s", l->npods, l->npods == 1 ? "" : "s",
	       plan.generated, l->nhosts, l->nhosts == 1 ? "" : "s");
	printf("state      %s\ndatastore  %s\nprefix     %s\n", l->state, l->datastore, l->prefix);
	if (!agents)
		printf("agents     not started (--no-agents; no controller either)\n");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "palisade lab up: %s\n", err);
	fprintf(stderr, "palisade lab up: removing what was made\n");
	teardown(state, plan.lab->prefix, false);
	rc = 2;
out:
	free(path);
	free(state);
	free(self);
	free(ccfg);
	free(paths);
	diag_list_fini(&d);
	lab_plan_fini(&plan);
	return rc;
}

/* ---- status -------------------------------------------------------------------------------- */

static int pod_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct lab_pod *const *)a)->ref,
		      (*(const struct lab_pod *const *)b)->ref);
}

static int host_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct lab_ext *const *)a)->name,
		      (*(const struct lab_ext *const *)b)->name);
}

/* Pods sorted by "ns/name" (only those with a namespace of their own when own_ns is set) and
 * hosts sorted by name: the order of matrix rows and columns. */
static int sorted(const struct lab *l, bool own_ns, const struct lab_pod ***pods, size_t *npods,
		  const struct lab_ext ***hosts)
{
	*pods = calloc(l->npods + 1, sizeof(**pods));
	*hosts = calloc(l->nhosts + 1, sizeof(**hosts));
	*npods = 0;
	if (!*pods || !*hosts)
		return -ENOMEM;
	for (size_t i = 0; i < l->npods; i++)
		if (!own_ns || l->pods[i].netns)
			(*pods)[(*npods)++] = &l->pods[i];
	for (size_t i = 0; i < l->nhosts; i++)
		(*hosts)[i] = &l->hosts[i];
	qsort(*pods, *npods, sizeof(**pods), pod_cmp);
	qsort(*hosts, l->nhosts, sizeof(**hosts), host_cmp);
	return 0;
}

static const char *ipstr(const struct ipaddr *a, char *buf)
{
	ipaddr_format(a, buf, IPADDR_STRLEN);
	return buf;
}

static int column(size_t cur, const char *s)
{
	return (int)(strlen(s) > cur ? strlen(s) : cur);
}

static void status_text(const struct lab *l, const struct lab_pod **pods, size_t npods,
			const struct lab_ext **hosts)
{
	char **names = NULL, a[IPADDR_STRLEN], c[CIDR_STRLEN];
	size_t nns = 0, expect = 1 + l->nnodes + l->nhosts;
	int w1 = 4, w2 = 2, w3 = 4;

	for (size_t i = 0; i < l->npods; i++)
		expect += l->pods[i].netns != NULL;
	labnet_list(l->prefix, &names, &nns);
	labnet_list_free(names, nns);
	printf("lab %s: %zu node%s, %zu pod%s, %zu external host%s\n", l->name, l->nnodes,
	       l->nnodes == 1 ? "" : "s", l->npods, l->npods == 1 ? "" : "s", l->nhosts,
	       l->nhosts == 1 ? "" : "s");
	printf("state       %s\ndatastore   %s\nprefix      %s\nnamespaces  %zu of %zu present\n",
	       l->state, l->datastore, l->prefix, nns, expect);

	printf("\n%-8s %-15s %-18s %s\n", "NODE", "ADDRESS", "POD CIDR", "NETNS");
	for (size_t i = 0; i < l->nnodes; i++) {
		cidr_format(&l->nodes[i].cidr, c, sizeof(c));
		printf("%-8s %-15s %-18s %s\n", l->nodes[i].name, ipstr(&l->nodes[i].ip, a), c,
		       l->nodes[i].netns);
	}
	for (size_t i = 0; i < npods; i++) {
		w1 = column((size_t)w1, pods[i]->ref);
		w2 = column((size_t)w2, ipstr(&pods[i]->ip, a));
		w3 = column((size_t)w3, l->nodes[pods[i]->node].name);
	}
	printf("\n%-*s %-*s %-*s %s\n", w1, "POD", w2, "IP", w3, "NODE", "NETNS");
	for (size_t i = 0; i < npods; i++)
		printf("%-*s %-*s %-*s %s\n", w1, pods[i]->ref, w2, ipstr(&pods[i]->ip, a), w3,
		       l->nodes[pods[i]->node].name,
		       pods[i]->netns ? pods[i]->netns : "(host network)");
	if (!l->nhosts)
		return;
	w1 = 4;
	for (size_t i = 0; i < l->nhosts; i++)
		w1 = column((size_t)w1, hosts[i]->name);
	printf("\n%-*s %-15s %s\n", w1, "HOST", "IP", "NETNS");
	for (size_t i = 0; i < l->nhosts; i++)
		printf("%-*s %-15s %s\n", w1, hosts[i]->name, ipstr(&hosts[i]->ip, a),
		       hosts[i]->netns);
}

static void status_json(const struct lab *l, const struct lab_pod **pods, size_t npods,
			const struct lab_ext **hosts)
{
	json_t *o = json_object(), *nodes = json_array(), *jp = json_array(), *jh = json_array();
	char a[IPADDR_STRLEN], c[CIDR_STRLEN], *s;

	for (size_t i = 0; i < l->nnodes; i++) {
		cidr_format(&l->nodes[i].cidr, c, sizeof(c));
		json_array_append_new(nodes,
				      json_pack("{s:s, s:s, s:s, s:s}", "name", l->nodes[i].name,
						"ip", ipstr(&l->nodes[i].ip, a), "podCIDR", c,
						"netns", l->nodes[i].netns));
	}
	for (size_t i = 0; i < npods; i++)
		json_array_append_new(jp, json_pack("{s:s, s:s, s:s}", "name", pods[i]->ref, "ip",
						    ipstr(&pods[i]->ip, a), "node",
						    l->nodes[pods[i]->node].name));
	for (size_t i = 0; i < l->nhosts; i++)
		json_array_append_new(jh, json_pack("{s:s, s:s}", "name", hosts[i]->name, "ip",
						    ipstr(&hosts[i]->ip, a)));
	json_object_set_new(o, "name", json_string(l->name));
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "pods", jp);
	json_object_set_new(o, "hosts", jh);
	json_object_set_new(o, "datastore", json_string(l->datastore));
	json_object_set_new(o, "state", json_string(l->state));
	json_object_set_new(o, "prefix", json_string(l->prefix));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static int lab_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *opt_state = NULL, *output = "text";
	const struct lab_pod **pods = NULL;
	const struct lab_ext **hosts = NULL;
	struct lab *l = NULL;
	char *state = NULL;
	size_t npods;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_state = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || (strcmp(output, "text") && strcmp(output, "json"))) {
		usage(stderr);
		return 2;
	}
	state = pick_state(opt_state, false);
	if (!state || !(l = open_lab(state)))
		goto out;
	if (sorted(l, false, &pods, &npods, &hosts))
		goto out;
	if (!strcmp(output, "json"))
		status_json(l, pods, npods, hosts);
	else
		status_text(l, pods, npods, hosts);
	rc = 0;
out:
	free(pods);
	free(hosts);
	lab_free(l);
	free(state);
	return rc;
}

/* ---- exec ---------------------------------------------------------------------------------- */

static int lab_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *opt_state = NULL, *who, *ns = NULL;
	struct lab *l = NULL;
	char *state = NULL, **args;
	int c, first;
	long i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_state = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	who = argv[optind];
	first = optind + 1;
	if (first < argc && !strcmp(argv[first], "--"))
		first++;
	if (first >= argc) {
		fprintf(stderr, "palisade lab exec: no command given (lab exec %s -- CMD...)\n",
			who);
		return 2;
	}
	state = pick_state(opt_state, false);
	if (!state || !(l = open_lab(state))) {
		free(state);
		return 2;
	}
	if ((i = lab_find_pod(l, who)) >= 0)
		ns = l->pods[i].netns ? l->pods[i].netns : l->nodes[l->pods[i].node].netns;
	else if ((i = lab_find_host(l, who)) >= 0)
		ns = l->hosts[i].netns;
	else if ((i = lab_find_node(l, who)) >= 0)
		ns = l->nodes[i].netns;
	if (!ns) {
		fprintf(stderr,
			"palisade lab exec: no pod, host or node \"%s\" in lab %s (pods are "
			"namespace/name)\n",
			who, l->name);
		lab_free(l);
		free(state);
		return 2;
	}
	args = calloc((size_t)(argc - first) + 5, sizeof(*args));
	if (!args) {
		lab_free(l);
		free(state);
		return 2;
	}
	args[0] = "ip";
	args[1] = "netns";
	args[2] = "exec";
	args[3] = strdup(ns);
	for (int k = first; k < argc; k++)
		args[4 + k - first] = argv[k];
	lab_free(l);
	free(state);
	fflush(stdout);
	execvp("ip", args);
	fprintf(stderr, "palisade lab exec: cannot run ip: %s\n", strerror(errno));
	free(args[3]);
	free(args);
	return 2;
}

/* ---- probe --------------------------------------------------------------------------------- */

static int parse_u16_list(const char *s, uint16_t **out, size_t *n)
{
	char *copy = strdup(s), *save = NULL;

	*n = 0;
	*out = calloc(strlen(s) + 1, sizeof(**out));
	if (!copy || !*out) {
		free(copy);
		return -ENOMEM;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(t, &end, 10);

		if (end == t || *end || v < 1 || v > 65535) {
			fprintf(stderr,
				"palisade lab probe: --ports: \"%s\" is not a port 1-65535\n", t);
			free(copy);
			return -EINVAL;
		}
		(*out)[(*n)++] = (uint16_t)v;
	}
	free(copy);
	return *n ? 0 : -EINVAL;
}

static int parse_protos(const char *s, uint8_t **out, size_t *n)
{
	char *copy = strdup(s), *save = NULL;

	*n = 0;
	*out = calloc(strlen(s) + 1, sizeof(**out));
	if (!copy || !*out) {
		free(copy);
		return -ENOMEM;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint8_t p;

		if (proto_parse(t, &p) || (p != PROTO_TCP && p != PROTO_UDP)) {
			fprintf(stderr,
				"palisade lab probe: --protos: \"%s\" is not TCP or UDP (the lab's "
				"responders serve no other protocol)\n",
				t);
			free(copy);
			return -EINVAL;
		}
		(*out)[(*n)++] = p;
	}
	free(copy);
	return *n ? 0 : -EINVAL;
}

/* Prints the probe's results with the printer `palisade matrix` uses. */
static int probe_print(const struct probe_spec *ps, const bool *res, bool json)
{
	const char **src = calloc(ps->nsrc + 1, sizeof(*src));
	const char **dst = calloc(ps->ndst + 1, sizeof(*dst));
	struct truth_table t;

	if (!src || !dst) {
		free(src);
		free(dst);
		return -1;
	}
	for (size_t i = 0; i < ps->nsrc; i++)
		src[i] = ps->src[i].name;
	for (size_t i = 0; i < ps->ndst; i++)
		dst[i] = ps->dst[i].name;
	t = (struct truth_table){src,	     ps->nsrc,	 dst,	      ps->ndst, ps->ports,
				 ps->nports, ps->protos, ps->nprotos, res};
	if (json)
		truth_table_print_json(stdout, &t);
	else
		truth_table_print_text(stdout, &t);
	free(src);
	free(dst);
	return 0;
}

/* The UDP source port offset for this probe, advanced in <state>/probe-sport by the number
 * of UDP cells per source (see struct probe_spec). */
static uint32_t next_sport(const char *state, size_t cells)
{
	char *path = path_join(state, "probe-sport"), *text, buf[32];
	uint32_t cur;

	if (!path)
		return 0;
	text = labfs_read(path, NULL);
	cur = text ? (uint32_t)strtoul(text, NULL, 10) % PROBE_SPORT_RANGE
		   : (uint32_t)(getpid() % PROBE_SPORT_RANGE);
	free(text);
	snprintf(buf, sizeof(buf), "%u\n", (unsigned)((cur + cells) % PROBE_SPORT_RANGE));
	labfs_write_atomic(path, buf, strlen(buf));
	free(path);
	return cur ? cur : 1;
}

static int lab_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, 's'},
		{"ports", required_argument, NULL, 'p'},
		{"protos", required_argument, NULL, 'P'},
		{"output", required_argument, NULL, 'o'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *opt_state = NULL, *ports_s = "80", *protos_s = "TCP", *output = "text";
	const struct lab_pod **pods = NULL;
	const struct lab_ext **hosts = NULL;
	struct probe_source *src = NULL;
	struct probe_target *dst = NULL;
	struct probe_spec ps = {.timeout_ms = PROBE_TIMEOUT_MS};
	uint16_t *ports = NULL;
	uint8_t *protos = NULL;
	struct lab *l = NULL;
	char *state = NULL, err[512];
	bool *res = NULL;
	size_t npods;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_state = optarg;
			break;
		case 'p':
			ports_s = optarg;
			break;
		case 'P':
			protos_s = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 10 || v > PROBE_TIMEOUT_MAX) {
				fprintf(stderr, "palisade lab probe: --timeout takes 10 to %d ms\n",
					PROBE_TIMEOUT_MAX);
				return 2;
			}
			ps.timeout_ms = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || (strcmp(output, "text") && strcmp(output, "json"))) {
		usage(stderr);
		return 2;
	}
	if (parse_u16_list(ports_s, &ports, &ps.nports) ||
	    parse_protos(protos_s, &protos, &ps.nprotos))
		goto out;
	ps.ports = ports;
	ps.protos = protos;
	state = pick_state(opt_state, false);
	if (!state || !(l = open_lab(state)))
		goto out;
	if (sorted(l, true, &pods, &npods, &hosts))
		goto out;
	src = calloc(npods + l->nhosts + 1, sizeof(*src));
	dst = calloc(npods + 1, sizeof(*dst));
	res = calloc(ps.nprotos * ps.nports * (npods + l->nhosts) * npods + 1, sizeof(*res));
	if (!src || !dst || !res)
		goto out;
	for (size_t i = 0; i < npods; i++) {
		src[i] = (struct probe_source){.name = pods[i]->ref, .netns = pods[i]->netns};
		dst[i] = (struct probe_target){.name = pods[i]->ref, .ip = pods[i]->ip};
	}
	for (size_t i = 0; i < l->nhosts; i++)
		src[npods + i] =
			(struct probe_source){.name = hosts[i]->name, .netns = hosts[i]->netns};
	ps.udp_sport = next_sport(state, ps.nports * npods);
	ps.src = src;
	ps.nsrc = npods + l->nhosts;
	ps.dst = dst;
	ps.ndst = npods;
	rc = probe_run(&ps, res, err, sizeof(err)) ? 2 : 0;
	if (probe_print(&ps, res, !strcmp(output, "json"))) {
		fprintf(stderr, "palisade lab probe: out of memory\n");
		rc = 2;
	}
	if (rc)
		fprintf(stderr, "palisade lab probe: %s\n", err);
out:
	free(res);
	free(src);
	free(dst);
	free(pods);
	free(hosts);
	free(ports);
	free(protos);
	lab_free(l);
	free(state);
	return rc;
}

/* argv[0] is "lab". */
int cmd_lab(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} subs[] = {
		{"up", lab_up},	      {"status", lab_status}, {"exec", lab_exec},
		{"probe", lab_probe}, {"down", lab_down},
	};

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "palisade lab: unknown subcommand \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
