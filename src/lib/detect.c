/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/detect.h"

#include "lib/detect_scan.h"
#include "lib/detect_baseline.h"
#include "lib/detect_gtf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * The registry of built-in jobs and the wrapper that gives every job its `enabled` switch.
 * The baseline jobs live in detect_spike.c, detect_bytes.c and detect_outlier.c
 * (lib/detect_baseline.h), the scan jobs in detect_scan.c.
 */
const struct detect_job_ops *const detect_jobs[] = {
	&detect_inbound_connection_spike,
	&detect_ip_sweep_external,
	&detect_ip_sweep_pods,
	&detect_port_scan_external,
	&detect_port_scan_pods,
	&detect_service_bytes_anomaly,
	&detect_pod_outlier_ip_activity,
	&detect_gtf_suspicious_flow,
	NULL,
};

struct detect_job {
	const struct detect_job_ops *ops;
	void *st;
	bool enabled;
};

/* The registry's entry named name (borrowed, static), or NULL. */
const struct detect_job_ops *detect_job_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; detect_jobs[i]; i++)
		if (!strcmp(detect_jobs[i]->name, name))
			return detect_jobs[i];
	return NULL;
}

/* A new instance owned by the caller (detect_job_free), enabled, with default parameters. */
struct detect_job *detect_job_new(const char *name)
{
	const struct detect_job_ops *ops = detect_job_find(name);
	struct detect_job *j;

	if (!ops) {
		errno = ENOENT;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		goto nomem;
	j->ops = ops;
	j->enabled = true;
	j->st = ops->create();
	if (!j->st)
		goto nomem;
	return j;
nomem:
	free(j);
	errno = ENOMEM;
	return NULL;
}

/* Frees j and its state; accepts NULL. */
void detect_job_free(struct detect_job *j)
{
	if (!j)
		return;
	if (j->st)
		j->ops->destroy(j->st);
	free(j);
}

/* "enabled" is the wrapper's; every other name goes to the job.  name is borrowed. */
int detect_set_param(struct detect_job *j, const char *name, double value)
{
	if (!name)
		return -EINVAL;
	if (!strcmp(name, "enabled")) {
		if (value != 0.0 && value != 1.0)
			return -EINVAL;
		j->enabled = value == 1.0;
		return 0;
	}
	return j->ops->set_param(j->st, name, value);
}

/* r is borrowed for the call: jobs copy what they keep. */
void detect_job_add(struct detect_job *j, const struct flowlog_rec *r)
{
	if (j->enabled)
		j->ops->add(j->st, r);
}

/* The events passed to emit are borrowed for the call. */
void detect_job_end_window(struct detect_job *j, uint64_t start, uint64_t end, detect_emit_fn *emit,
			   void *arg)
{
	if (j->enabled)
		j->ops->end_window(j->st, start, end, emit, arg);
}

/* The wrapper's bytes and the job's. */
size_t detect_job_memory(const struct detect_job *j)
{
	return sizeof(*j) + j->ops->memory(j->st);
}

/* The job's name (static). */
const char *detect_job_name(const struct detect_job *j)
{
	return j->ops->name;
}
