/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/response.h"

#include "agent/log.h"
#include "agent/quarantine.h"
#include "lib/event.h"
#include "lib/resource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PENDING 10000 /* additions waiting for a write that failed */

/* An addition not yet written. */
struct pending {
	struct cidr addr;
	int64_t expires;
	char reason[96];
};

struct responder {
	const struct response_config *cfg;
	const char *dir;
	struct cidr *protect;
	size_t nprotect;
	struct pending *pend;
	size_t npend;
	struct timespec mtime; /* of the set's file when next_expiry was computed; with its */
	ino_t ino;	       /* inode (every write is a new file: coarse mtimes can tie) */
	bool mtime_known;
	int64_t next_expiry; /* 0: nothing expires */
	struct response_stats st;
};

bool response_enabled(const struct response_config *cfg)
{
	return cfg && cfg->nevents > 0;
}

struct responder *responder_new(const struct response_config *cfg, const char *dir,
				const struct cidr *protect, size_t nprotect)
{
	struct responder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = cfg;
	r->dir = dir;
	r->protect = calloc(nprotect + 1, sizeof(*r->protect));
	r->pend = calloc(MAX_PENDING, sizeof(*r->pend));
	if (!r->protect || !r->pend) {
		responder_free(r);
		return NULL;
	}
	if (nprotect)
		memcpy(r->protect, protect, nprotect * sizeof(*protect));
	r->nprotect = nprotect;
	return r;
}

void responder_free(struct responder *r)
{
	if (!r)
		return;
	free(r->protect);
	free(r->pend);
	free(r);
}

const struct response_stats *responder_stats(const struct responder *r)
{
	return &r->st;
}

static const char *set_name(const struct responder *r)
{
	return r->cfg->network_set ? r->cfg->network_set : RESPONSE_SET_DEFAULT;
}

static bool chosen(const struct responder *r, const struct sec_event *e)
{
	int min = r->cfg->min_severity;

	if (e->severity < min)
		return false;
	for (size_t i = 0; i < r->cfg->nevents; i++) {
		const char *t = r->cfg->events[i];

		/* Detector events are "anomaly_detection_job" with the job as origin; a global
		 * alert's origin is its name; threat-feed hits have their own type. */
		if (!strcmp(e->type, t) || !strcmp(e->origin, t))
			return true;
	}
	return false;
}

static bool is_protected(const struct responder *r, const struct ipaddr *a)
{
	for (size_t i = 0; i < r->nprotect; i++)
		if (cidr_contains(&r->protect[i], a))
			return true;
	return false;
}

/* The address an event asks to block: its source, else its destination; 0 or -ENOENT. */
static int event_address(struct responder *r, const struct sec_event *e, struct cidr *out)
{
	const char *ips[2] = {e->src.ip, e->dst.ip};
	bool protected_seen = false;

	for (size_t i = 0; i < 2; i++) {
		struct ipaddr a;

		if (!ips[i][0] || ipaddr_parse(ips[i], &a))
			continue;
		if (is_protected(r, &a)) {
			protected_seen = true;
			continue;
		}
		cidr_from_addr(&a, a.family == 6 ? 128 : 32, out);
		return 0;
	}
	if (protected_seen)
		r->st.refused_protected++;
	else
		r->st.refused_no_address++;
	return -ENOENT;
}

/* Whether the set's file changed since next_expiry was computed. */
static bool file_changed(struct responder *r)
{
	char *path = quarantine_path(r->dir, set_name(r));
	struct stat sb;
	bool changed = true;

	if (!path)
		return true;
	if (stat(path, &sb)) {
		changed = r->mtime_known;
		r->mtime_known = false;
		r->next_expiry = 0;
	} else {
		changed = !r->mtime_known || sb.st_mtim.tv_sec != r->mtime.tv_sec ||
			  sb.st_mtim.tv_nsec != r->mtime.tv_nsec || sb.st_ino != r->ino;
		r->mtime = sb.st_mtim;
		r->ino = sb.st_ino;
		r->mtime_known = true;
	}
	free(path);
	return changed;
}

/* The configured labels onto q.  0 or -ENOMEM. */
static int set_labels(struct quarantine *q, const struct response_config *cfg)
{
	const char **keys = calloc(cfg->nlabels, sizeof(*keys));
	const char **values = calloc(cfg->nlabels, sizeof(*values));
	int rc = -ENOMEM;

	if (keys && values) {
		for (size_t i = 0; i < cfg->nlabels; i++) {
			keys[i] = cfg->labels[i].key;
			values[i] = cfg->labels[i].value;
		}
		rc = quarantine_set_labels(q, keys, values, cfg->nlabels);
	}
	free(keys);
	free(values);
	return rc;
}

/* Writes the pending additions and prunes what expired, in one locked edit. */
static int edit(struct responder *r, int64_t now, int *touched)
{
	struct quarantine q;
	char err[512];
	int fd, rc;
	size_t pruned;
	bool dirty = false;

	*touched = 0;
	quarantine_init(&q);
	fd = quarantine_lock(r->dir);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = quarantine_load(r->dir, set_name(r), &q, err, sizeof(err));
	if (rc) {
		plog(PLOG_ERROR, "quarantine set unreadable err=\"%s\"", err);
		goto out;
	}
	if (r->cfg->nlabels) { /* else the file's, or quarantine_load()'s default */
		rc = set_labels(&q, r->cfg);
		if (rc)
			goto out;
	}
	dirty = !q.exists;
	pruned = quarantine_prune(&q, now);
	dirty = dirty || pruned;
	for (size_t i = 0; i < r->npend; i++) {
		const struct pending *p = &r->pend[i];
		int added;

		if (!quarantine_has(&q, &p->addr) &&
		    q.n >= (r->cfg->max_entries ? r->cfg->max_entries
						: RESPONSE_MAX_ENTRIES_DEFAULT)) {
			r->st.refused_full++;
			plog(PLOG_WARN, "quarantine full, address not added set=%s max=%zu",
			     set_name(r), q.n);
			continue;
		}
		added = quarantine_add(&q, &p->addr, p->expires, p->reason);
		if (added < 0) {
			rc = added;
			goto out;
		}
		if (added == 1)
			r->st.quarantined++;
		else if (added == 2)
			r->st.extended++;
		if (added > 0) {
			char a[CIDR_STRLEN], when[RES_TIME_STRLEN];

			cidr_format(&p->addr, a, sizeof(a));
			res_time_format(p->expires, when, sizeof(when));
			plog(PLOG_INFO, "quarantine %s addr=%s until=%s reason=\"%s\"",
			     added == 1 ? "added" : "extended", a, when, p->reason);
			(*touched)++;
			dirty = true;
		}
	}
	if (dirty) {
		rc = quarantine_save(r->dir, &q);
		if (rc)
			goto out;
	}
	r->st.expired += pruned;
	if (pruned)
		plog(PLOG_INFO, "quarantine pruned count=%zu set=%s", pruned, set_name(r));
	r->npend = 0;
	r->next_expiry = quarantine_next_expiry(&q);
	file_changed(r); /* our own write is not a change to look at again */
out:
	if (rc && rc != -ENOMEM)
		r->st.write_errors++;
	quarantine_unlock(fd);
	quarantine_fini(&q);
	return rc;
}

int responder_handle(struct responder *r, const struct sec_event *ev, size_t n, int64_t now)
{
	int64_t duration = r->cfg->duration_s > 0 ? r->cfg->duration_s : RESPONSE_DURATION_DEFAULT;
	int touched, rc;
	size_t before = r->npend;

	for (size_t i = 0; i < n; i++) {
		struct pending *p;

		if (!chosen(r, &ev[i]))
			continue;
		r->st.events++;
		if (r->npend == MAX_PENDING) {
			r->st.refused_full++;
			continue;
		}
		p = &r->pend[r->npend];
		if (event_address(r, &ev[i], &p->addr))
			continue;
		p->expires = now + duration;
		snprintf(p->reason, sizeof(p->reason), "%s event %s",
			 strcmp(ev[i].type, "anomaly_detection_job") ? ev[i].type : ev[i].origin,
			 ev[i].id);
		r->npend++;
	}
	if (r->npend == before && !r->npend)
		return 0;
	rc = edit(r, now, &touched);
	return rc ? rc : touched;
}

int responder_start(struct responder *r, int64_t now)
{
	int touched;

	return edit(r, now, &touched);
}

int responder_tick(struct responder *r, int64_t now)
{
	int touched;

	if (file_changed(r)) {
		struct quarantine q;
		char err[512];

		quarantine_init(&q);
		if (!quarantine_load(r->dir, set_name(r), &q, err, sizeof(err)))
			r->next_expiry = quarantine_next_expiry(&q);
		quarantine_fini(&q);
	}
	if (!r->npend && (!r->next_expiry || r->next_expiry > now))
		return 0;
	return edit(r, now, &touched);
}
