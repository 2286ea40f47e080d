/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palisade feed check FILE: parse a threat feed offline the way the controller would, run the
 * safety rails over it and print what would be blocked, what was refused and why, and every
 * line that did not parse (docs/feeds.md).
 *
 * palisade feed sync [NAME...] and palisade feed confirm NAME: ask the running controller
 * (src/agent/feeds.h) to pull feeds now, or to apply a pull it held back because the set
 * would have shrunk too much.  The request is a marker file in the controller's state
 * (<state>/feeds/<name>_sync, <name>_confirm) and a SIGUSR1 that wakes it; without the signal
 * the controller finds the marker within a second.
 */
#include "cli/cmd.h"

#include "agent/feeds.h"
#include "lab/lab.h"
#include "lab/proc.h"
#include "lib/cidr.h"
#include "lib/feed_parse.h"
#include "lib/feed_rails.h"
#include "lib/jsonw.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROG	       "palisade feed check"
#define WAIT_DEFAULT_S 60

static void usage(FILE *f)
{
	fprintf(f,
		"usage: palisade feed check FILE [--format newline|json|csv] [format options]\n"
		"           [--protect CIDR]... [--max-prefix-v4 N] [--max-prefix-v6 N]\n"
		"           [--allow-broad] [--allow-protected] [-o text|json]\n"
		"\n"
		"Parses a threat feed (FILE, or - for stdin) as a GlobalThreatFeed would, applies the\n"
		"safety rails and prints the merged prefixes that would be blocked, the entries\n"
		"refused with the reason, and the lines that did not parse.\n"
		"  --format F          newline (newlineDelimited, the default), json or csv; --path\n"
		"                      implies json and the csv options imply csv\n"
		"  --path P            json: the path of the values, e.g. '$.data[*].ip' or '$..ip'\n"
		"  --field-num N       csv: the column, counting from 0 (default 0)\n"
		"  --field-name NAME   csv: the column named NAME in the header (needs --header)\n"
		"  --header            csv: the first record is a header\n"
		"  --delimiter C       csv: the column delimiter (default ','; \\t or tab for a tab)\n"
		"  --comment C         csv: lines starting with C are comments\n"
		"  --record-size N     csv: fields per record (default: as many as the first)\n"
		"  --disable-record-size-validation   csv: records may have any number of fields\n"
		"  --protect CIDR      a range the feed must not block (repeatable)\n"
		"  --max-prefix-v4 N   refuse IPv4 prefixes shorter than /N (default %d)\n"
		"  --max-prefix-v6 N   refuse IPv6 prefixes shorter than /N (default %d)\n"
		"  --allow-broad       accept /0 and prefixes broader than the maximum\n"
		"  --allow-protected   accept entries that overlap protected ranges\n"
		"  -o json             one object {\"entries\":N,\"accepted\":[...],\"refused\":[...],\n"
		"                      \"errors\":[...]}\n"
		"Exit status: 0 when the feed gave something to block (even with bad lines or refused\n"
		"entries), 1 when it gave nothing, 2 for a usage error or an unreadable FILE.\n"
		"\n"
		"       palisade feed sync [NAME...] [--lab STATE | --controller-state DIR [--pid PID]]\n"
		"                          [--wait] [--timeout SECONDS]\n"
		"       palisade feed confirm NAME [--lab STATE | --controller-state DIR [--pid PID]]\n"
		"                          [--timeout SECONDS]\n"
		"\n"
		"sync asks the running controller to pull the named feeds (all without NAME) now;\n"
		"--wait waits for the pulls and prints their outcome (exit 1 when one failed).\n"
		"confirm applies a pull the controller held back because the set would have\n"
		"shrunk by more than the configured fraction.  The controller is the lab's (--lab,\n"
		"or the one lab running: its pid file <lab>/pids/controller.pid), or the one whose\n"
		"state is --controller-state DIR (signalled when --pid is given).\n",
		FEED_MAX_PREFIX_V4_DEFAULT, FEED_MAX_PREFIX_V6_DEFAULT);
}

/* Reads path ("-": stdin) whole, up to max bytes.  NULL with errno set (EFBIG: too large). */
static char *read_feed(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n;
	char *buf = NULL, *nb;
	int err = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap);
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (*len > max) {
			err = EFBIG;
			break;
		}
		if (n == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	return buf;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* A one-character argument; "\t" and "tab" are a tab. */
static bool parse_char(const char *s, char *out)
{
	if (!strcmp(s, "\\t") || !strcmp(s, "tab")) {
		*out = '\t';
		return true;
	}
	if (strlen(s) != 1)
		return false;
	*out = s[0];
	return true;
}

static void print_json(const struct feed_result *fr, const struct feed_rails_result *rr)
{
	char buf[CIDR_STRLEN], reason[128];
	struct strbuf b;

	strbuf_init(&b);
	strbuf_printf(&b, "{\"entries\":%zu,\"accepted\":[", fr->n);
	for (size_t i = 0; i < rr->naccepted; i++) {
		cidr_format(&rr->accepted[i], buf, sizeof(buf));
		strbuf_printf(&b, "%s\"%s\"", i ? "," : "", buf);
	}
	strbuf_puts(&b, "],\"refused\":[");
	for (size_t i = 0; i < rr->nrefused; i++) {
		cidr_format(&rr->refused[i].entry, buf, sizeof(buf));
		feed_refusal_format(&rr->refused[i], reason, sizeof(reason));
		strbuf_printf(&b, "%s{\"entry\":\"%s\"", i ? "," : "", buf);
		jsonw_key_str(&b, "", "reason", reason);
		strbuf_putc(&b, '}');
	}
	strbuf_puts(&b, "],\"errors\":[");
	for (size_t i = 0; i < fr->nerrors; i++) {
		strbuf_printf(&b, "%s{\"line\":%zu", i ? "," : "", fr->errors[i].line);
		jsonw_key_str(&b, "", "message", fr->errors[i].msg);
		strbuf_putc(&b, '}');
	}
	strbuf_puts(&b, "]}\n");
	if (!b.oom)
		fwrite(b.s, 1, b.len, stdout);
	else
		fprintf(stderr, PROG ": out of memory\n");
	strbuf_fini(&b);
}

static void print_text(const struct feed_result *fr, const struct feed_rails_result *rr)
{
	char buf[CIDR_STRLEN], reason[128];

	printf("entries: %zu", fr->n);
	if (fr->host_bits)
		printf(" (%zu with host bits set, cleared)", fr->host_bits);
	printf("\naccepted: %zu entr%s, %zu prefix%s after merging\n", rr->accepted_entries,
	       rr->accepted_entries == 1 ? "y" : "ies", rr->naccepted,
	       rr->naccepted == 1 ? "" : "es");
	for (size_t i = 0; i < rr->naccepted; i++) {
		cidr_format(&rr->accepted[i], buf, sizeof(buf));
		printf("  %s\n", buf);
	}
	printf("refused: %zu\n", rr->refused_entries);
	for (size_t i = 0; i < rr->nrefused; i++) {
		cidr_format(&rr->refused[i].entry, buf, sizeof(buf));
		feed_refusal_format(&rr->refused[i], reason, sizeof(reason));
		printf("  %s: %s\n", buf, reason);
	}
	printf("errors: %zu", fr->error_count);
	if (fr->error_count > fr->nerrors)
		printf(" (the first %zu listed)", fr->nerrors);
	printf("\n");
	for (size_t i = 0; i < fr->nerrors; i++) {
		if (fr->errors[i].line)
			printf("  line %zu: %s\n", fr->errors[i].line, fr->errors[i].msg);
		else
			printf("  %s\n", fr->errors[i].msg);
	}
}

struct check_args {
	const char *file;
	struct feed_parse_opts po;
	struct feed_rails_opts ro;
	struct cidr *protect;
	bool json;
};

/* Infers or checks the format against the options given.  0, or 2 after a message. */
static int settle_format(struct feed_parse_opts *po, const char *format, bool json_opt,
			 bool csv_opt)
{
	if (!format)
		po->format = json_opt  ? FEED_FORMAT_JSON
			     : csv_opt ? FEED_FORMAT_CSV
				       : FEED_FORMAT_NEWLINE;
	else if (!strcmp(format, "newline") || !strcmp(format, "newlineDelimited"))
		po->format = FEED_FORMAT_NEWLINE;
	else if (!strcmp(format, "json"))
		po->format = FEED_FORMAT_JSON;
	else if (!strcmp(format, "csv"))
		po->format = FEED_FORMAT_CSV;
	else {
		fprintf(stderr, PROG ": --format must be newline, json or csv, not \"%s\"\n",
			format);
		return 2;
	}
	if (json_opt && csv_opt) {
		fprintf(stderr, PROG ": --path is for json and the other options for csv\n");
		return 2;
	}
	if ((json_opt && po->format != FEED_FORMAT_JSON) ||
	    (csv_opt && po->format != FEED_FORMAT_CSV)) {
		fprintf(stderr, PROG ": %s options do not apply to --format %s\n",
			json_opt ? "json" : "csv", format);
		return 2;
	}
	if (po->format == FEED_FORMAT_JSON && !po->json_path) {
		fprintf(stderr, PROG ": --format json needs --path\n");
		return 2;
	}
	if (po->field_name && po->field_num >= 0) {
		fprintf(stderr, PROG ": --field-num and --field-name cannot both be given\n");
		return 2;
	}
	if (po->field_name && !po->header) {
		fprintf(stderr, PROG ": --field-name needs --header\n");
		return 2;
	}
	if (!po->field_name && po->field_num < 0)
		po->field_num = 0;
	return 0;
}

/* Fills a from argv.  0, -1 for --help (printed), or 2 after a message. */
static int parse_args(int argc, char **argv, struct check_args *a)
{
	const char *format = NULL;
	bool json_opt = false, csv_opt = false;
	size_t nprot = 0;
	unsigned u;
	char msg[256];

	feed_parse_opts_init(&a->po, FEED_FORMAT_NEWLINE);
	a->po.field_num = -1;
	feed_rails_opts_init(&a->ro);
	a->protect = calloc((size_t)argc + 1, sizeof(*a->protect));
	if (!a->protect) {
		fprintf(stderr, PROG ": out of memory\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return -1;
		}
		if (o[0] != '-' || !strcmp(o, "-")) {
			if (a->file) {
				fprintf(stderr, PROG ": one FILE only (\"%s\" and \"%s\")\n",
					a->file, o);
				return 2;
			}
			a->file = o;
			continue;
		}
		if (!strcmp(o, "--header")) {
			a->po.header = csv_opt = true;
			continue;
		}
		if (!strcmp(o, "--disable-record-size-validation")) {
			a->po.disable_record_size_validation = csv_opt = true;
			continue;
		}
		if (!strcmp(o, "--allow-broad")) {
			a->ro.allow_broad = true;
			continue;
		}
		if (!strcmp(o, "--allow-protected")) {
			a->ro.allow_protected = true;
			continue;
		}
		/* Everything else takes a value. */
		if (!v) {
			fprintf(stderr, PROG ": %s needs a value\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--format")) {
			format = v;
		} else if (!strcmp(o, "--path")) {
			a->po.json_path = v;
			json_opt = true;
			if (feed_json_path_check(v, msg, sizeof(msg))) {
				fprintf(stderr, PROG ": --path: %s\n", msg);
				return 2;
			}
		} else if (!strcmp(o, "--field-num")) {
			if (!parse_uint(v, 65535, &u))
				goto bad_value;
			a->po.field_num = (int)u;
			csv_opt = true;
		} else if (!strcmp(o, "--field-name")) {
			a->po.field_name = v;
			csv_opt = true;
		} else if (!strcmp(o, "--delimiter") || !strcmp(o, "--comment")) {
			char *dst =
				o[2] == 'd' ? &a->po.column_delimiter : &a->po.comment_delimiter;

			if (!parse_char(v, dst) || *dst == '"' || *dst == '\n' || *dst == '\r')
				goto bad_value;
			csv_opt = true;
		} else if (!strcmp(o, "--record-size")) {
			if (!parse_uint(v, 65535, &u))
				goto bad_value;
			a->po.record_size = (int)u;
			csv_opt = true;
		} else if (!strcmp(o, "--protect")) {
			if (cidr_parse(v, &a->protect[nprot], NULL))
				goto bad_value;
			nprot++;
		} else if (!strcmp(o, "--max-prefix-v4")) {
			if (!parse_uint(v, 32, &a->ro.max_prefix_v4))
				goto bad_value;
		} else if (!strcmp(o, "--max-prefix-v6")) {
			if (!parse_uint(v, 128, &a->ro.max_prefix_v6))
				goto bad_value;
		} else if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
			if (strcmp(v, "text") && strcmp(v, "json"))
				goto bad_value;
			a->json = !strcmp(v, "json");
		} else {
			fprintf(stderr, PROG ": unknown option %s\n", o);
			return 2;
		}
		continue;
	bad_value:
		fprintf(stderr, PROG ": %s: bad value \"%s\"\n", o, v);
		return 2;
	}
	a->ro.protect = a->protect;
	a->ro.nprotect = nprot;
	if (!a->file) {
		fprintf(stderr, PROG ": no FILE given\n");
		return 2;
	}
	if (a->po.column_delimiter == a->po.comment_delimiter) {
		fprintf(stderr, PROG ": --delimiter and --comment must differ\n");
		return 2;
	}
	return settle_format(&a->po, format, json_opt, csv_opt);
}

/* argv[0] is "feed"; argv is borrowed. */
static int feed_check(int argc, char **argv)
{
	struct check_args a = {0};
	struct feed_result fr;
	struct feed_rails_result rr;
	size_t len;
	char *body = NULL;
	int ret, rc = 2;

	feed_result_init(&fr);
	feed_rails_result_init(&rr);
	ret = parse_args(argc, argv, &a);
	if (ret) {
		if (ret > 0)
			fprintf(stderr, "see '" PROG " --help'\n");
		rc = ret < 0 ? 0 : 2;
		goto out;
	}
	body = read_feed(a.file, FEED_BODY_MAX, &len);
	if (!body) {
		if (errno == EFBIG)
			fprintf(stderr, PROG ": %s: larger than the feed size limit (%u MiB)\n",
				a.file, FEED_BODY_MAX >> 20);
		else
			fprintf(stderr, PROG ": %s: %s\n", a.file, strerror(errno));
		goto out;
	}
	ret = feed_parse(body, len, &a.po, &fr);
	if (ret == -ENOMEM || feed_rails_apply(fr.v, fr.n, &a.ro, &rr)) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (a.json)
		print_json(&fr, &rr);
	else
		print_text(&fr, &rr);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": write error\n");
		goto out;
	}
	rc = 0;
	/* The object has room for the kept errors only; the count must not get lost. */
	if (a.json && fr.error_count > fr.nerrors)
		fprintf(stderr, PROG ": %s: %zu errors, the first %zu listed\n", a.file,
			fr.error_count, fr.nerrors);
	if (rr.naccepted == 0) {
		fprintf(stderr,
			PROG ": %s: nothing to block (%zu entr%s, %zu refused, %zu error%s)\n",
			a.file, fr.n, fr.n == 1 ? "y" : "ies", rr.refused_entries, fr.error_count,
			fr.error_count == 1 ? "" : "s");
		rc = 1;
	}
out:
	free(body);
	free(a.protect);
	feed_result_fini(&fr);
	feed_rails_result_fini(&rr);
	return rc;
}

/* ---- sync and confirm ------------------------------------------------------------------- */

/* The controller to ask: its state directory and, when known, its pid. */
struct ctl {
	char *state;
	pid_t pid; /* 0: not signalled (it finds the markers within a second) */
};

/* The pid in <lab>/pids/controller.pid when that process still is the lab's controller. */
static pid_t lab_controller_pid(const char *lab)
{
	char *p = NULL, buf[32] = "";
	FILE *f;
	long v;

	if (asprintf(&p, "%s/pids/controller.pid", lab) < 0)
		return 0;
	f = fopen(p, "r");
	free(p);
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	v = strtol(buf, NULL, 10);
	return v > 1 && proc_cmdline_has((pid_t)v, lab) ? (pid_t)v : 0;
}

/* <state>/feeds.json, or NULL after a message. */
static json_t *feeds_status(const char *prog, const struct ctl *c)
{
	char *p = NULL;
	json_t *o;

	if (asprintf(&p, "%s/" FEEDS_STATUS_FILE, c->state) < 0)
		return NULL;
	o = json_load_file(p, 0, NULL);
	if (!json_is_object(o)) {
		fprintf(stderr, "%s: %s: no feed status (is the controller running?)\n", prog, p);
		json_decref(o);
		o = NULL;
	}
	free(p);
	return o;
}

static int write_marker(const char *prog, const struct ctl *c, const char *name, const char *suffix)
{
	char *p = NULL;
	FILE *f;

	if (asprintf(&p, "%s/" FEEDS_STATE_DIR "/%s%s", c->state, name, suffix) < 0)
		return -1;
	f = fopen(p, "w");
	if (!f || fclose(f)) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

static void wake(const char *prog, const struct ctl *c)
{
	if (c->pid && kill(c->pid, SIGUSR1))
		fprintf(stderr, "%s: cannot signal the controller (pid %d): %s\n", prog,
			(int)c->pid, strerror(errno));
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long jcount(json_t *st, const char *feed, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(st, feed), key));
}

/* The message of the feed's condition of type, or NULL. */
static const char *condition(json_t *st, const char *feed, const char *type)
{
	json_t *errs = json_object_get(json_object_get(st, feed), "errorConditions"), *e;
	size_t i;

	json_array_foreach(errs, i, e)
	{
		const char *t = json_string_value(json_object_get(e, "type"));

		if (t && !strcmp(t, type))
			return json_string_value(json_object_get(e, "message"));
	}
	return NULL;
}

/*
 * Options common to sync and confirm into c and names (the other arguments).  0, -1 for
 * --help (printed), or 2 after a message.
 */
static int ctl_args(const char *prog, int argc, char **argv, struct ctl *c, char ***names,
		    int *nnames, bool *wait, long *timeout_s)
{
	static const struct option opts[] = {
		{"lab", required_argument, NULL, 'L'},
		{"controller-state", required_argument, NULL, 'S'},
		{"pid", required_argument, NULL, 'p'},
		{"wait", no_argument, NULL, 'w'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *lab = NULL, *cstate = NULL;
	char err[512], *picked = NULL, *end;
	long pid = 0;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'L':
			lab = optarg;
			break;
		case 'S':
			cstate = optarg;
			break;
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 1) {
				fprintf(stderr, "%s: --pid takes a process id\n", prog);
				return 2;
			}
			break;
		case 'w':
			*wait = true;
			break;
		case 't':
			*timeout_s = strtol(optarg, &end, 10);
			if (*end || *timeout_s < 1 || *timeout_s > 3600) {
				fprintf(stderr, "%s: --timeout takes 1 to 3600 seconds\n", prog);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return 2;
		}
	}
	*names = argv + optind;
	*nnames = argc - optind;
	if (lab && cstate) {
		fprintf(stderr, "%s: --lab and --controller-state exclude each other\n", prog);
		return 2;
	}
	if (cstate) {
		c->state = strdup(cstate);
		c->pid = (pid_t)pid;
		return c->state ? 0 : 2;
	}
	if (!lab) {
		if (lab_registry_pick(&picked, err, sizeof(err))) {
			fprintf(stderr, "%s: %s; give --lab STATE or --controller-state DIR\n",
				prog, err);
			return 2;
		}
		lab = picked;
	}
	if (asprintf(&c->state, "%s/controller", lab) < 0)
		c->state = NULL;
	c->pid = pid ? (pid_t)pid : lab_controller_pid(lab);
	if (!c->pid)
		fprintf(stderr,
			"%s: warning: the lab's controller is not running (%s/pids/"
			"controller.pid); the request waits for it\n",
			prog, lab);
	free(picked);
	return c->state ? 0 : 2;
}

static int feed_sync(int argc, char **argv)
{
	const char *prog = "palisade feed sync";
	struct ctl c = {0};
	char **names = NULL;
	const char **targets = NULL;
	long long *before = NULL, deadline;
	int nnames = 0, rc = 2, ret;
	size_t n = 0;
	bool wait = false;
	long timeout_s = WAIT_DEFAULT_S;
	json_t *st = NULL, *v;
	const char *k;

	ret = ctl_args(prog, argc, argv, &c, &names, &nnames, &wait, &timeout_s);
	if (ret) {
		rc = ret < 0 ? 0 : 2;
		goto out;
	}
	st = feeds_status(prog, &c);
	if (!st)
		goto out;
	targets = calloc(json_object_size(st) + (size_t)nnames + 1, sizeof(*targets));
	before = calloc(json_object_size(st) + (size_t)nnames + 1, sizeof(*before));
	if (!targets || !before)
		goto out;
	for (int i = 0; i < nnames; i++) {
		if (!json_object_get(st, names[i])) {
			fprintf(stderr,
				"%s: no GlobalThreatFeed \"%s\" in the controller's status\n", prog,
				names[i]);
			rc = 1;
			goto out;
		}
		if (!json_is_string(json_object_get(json_object_get(st, names[i]), "nextPull"))) {
			fprintf(stderr, "%s: feed %s is not pulled (mode %s, or no pull)\n", prog,
				names[i],
				json_string_value(
					json_object_get(json_object_get(st, names[i]), "mode")));
			rc = 1;
			goto out;
		}
		targets[n++] = names[i];
	}
	/* Without names: every feed that is pulled at all (Enabled, with a pull). */
	if (!nnames)
		json_object_foreach(st, k, v) if (json_is_string(json_object_get(v, "nextPull")))
			targets[n++] = k;
	for (size_t i = 0; i < n; i++) {
		before[i] = jcount(st, targets[i], "pulls");
		if (write_marker(prog, &c, targets[i], "_sync"))
			goto out;
	}
	wake(prog, &c);
	if (!wait) {
		printf("sync requested for %zu feed%s\n", n, n == 1 ? "" : "s");
		rc = 0;
		goto out;
	}
	deadline = mono_ms() + timeout_s * 1000;
	for (;;) {
		size_t done = 0;
		json_t *now = feeds_status(prog, &c);

		for (size_t i = 0; now && i < n; i++)
			done += jcount(now, targets[i], "pulls") > before[i];
		if (now && done == n) {
			rc = 0;
			for (size_t i = 0; i < n; i++) {
				const char *failed = condition(now, targets[i], "PullFailed");
				const char *held = condition(now, targets[i], "ShrinkHeld");

				if (failed) {
					printf("%s: failed: %s\n", targets[i], failed);
					rc = 1;
				} else if (held && !json_is_null(json_object_get(
							   json_object_get(now, targets[i]),
							   "heldEntries"))) {
					printf("%s: held: %s\n", targets[i], held);
				} else {
					printf("%s: synced, %lld entries accepted, %lld prefixes "
					       "after merging\n",
					       targets[i],
					       jcount(now, targets[i], "acceptedEntries"),
					       jcount(now, targets[i], "prefixes"));
				}
			}
			json_decref(now);
			goto out;
		}
		json_decref(now);
		if (mono_ms() >= deadline) {
			fprintf(stderr, "%s: the pulls did not finish within %ld s\n", prog,
				timeout_s);
			goto out;
		}
		usleep(50000);
	}
out:
	json_decref(st);
	free(targets);
	free(before);
	free(c.state);
	return rc;
}

static int feed_confirm(int argc, char **argv)
{
	const char *prog = "palisade feed confirm";
	struct ctl c = {0};
	char **names = NULL, *marker = NULL;
	int nnames = 0, rc = 2, ret;
	bool wait = true;
	long timeout_s = WAIT_DEFAULT_S;
	long long deadline;
	json_t *st = NULL, *held;

	ret = ctl_args(prog, argc, argv, &c, &names, &nnames, &wait, &timeout_s);
	if (ret) {
		rc = ret < 0 ? 0 : 2;
		goto out;
	}
	if (nnames != 1) {
		fprintf(stderr, "%s: give one feed NAME\n", prog);
		goto out;
	}
	st = feeds_status(prog, &c);
	if (!st)
		goto out;
	if (!json_object_get(st, names[0])) {
		fprintf(stderr, "%s: no GlobalThreatFeed \"%s\" in the controller's status\n", prog,
			names[0]);
		rc = 1;
		goto out;
	}
	held = json_object_get(json_object_get(st, names[0]), "heldEntries");
	if (!json_is_integer(held)) {
		fprintf(stderr, "%s: feed %s has no pull held for confirmation\n", prog, names[0]);
		rc = 1;
		goto out;
	}
	if (write_marker(prog, &c, names[0], "_confirm") ||
	    asprintf(&marker, "%s/" FEEDS_STATE_DIR "/%s_confirm", c.state, names[0]) < 0)
		goto out;
	wake(prog, &c);
	deadline = mono_ms() + timeout_s * 1000;
	while (access(marker, F_OK) == 0) {
		if (mono_ms() >= deadline) {
			fprintf(stderr,
				"%s: the controller did not take the confirmation within %ld s "
				"(it stays requested)\n",
				prog, timeout_s);
			goto out;
		}
		usleep(50000);
	}
	json_decref(st);
	st = feeds_status(prog, &c);
	if (!st)
		goto out;
	held = json_object_get(json_object_get(st, names[0]), "heldEntries");
	if (json_is_integer(held)) {
		const char *why = condition(st, names[0], "GlobalNetworkSetSyncFailed");

		fprintf(stderr, "%s: %s is still held%s%s\n", prog, names[0], why ? ": " : "",
			why ? why : "");
		rc = 1;
		goto out;
	}
	printf("%s: confirmed, " FEEDS_SET_PREFIX "%s holds %lld entr%s\n", names[0], names[0],
	       jcount(st, names[0], "acceptedEntries"),
	       jcount(st, names[0], "acceptedEntries") == 1 ? "y" : "ies");
	rc = 0;
out:
	json_decref(st);
	free(marker);
	free(c.state);
	return rc;
}

/* argv[0] is "feed". */
int cmd_feed(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return feed_check(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "sync"))
		return feed_sync(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "confirm"))
		return feed_confirm(argc - 1, argv + 1);
	fprintf(stderr, "palisade feed: %s\n",
		argc < 2 ? "give a subcommand: check, sync or confirm"
			 : "unknown subcommand (try check, sync or confirm)");
	usage(stderr);
	return 2;
}
