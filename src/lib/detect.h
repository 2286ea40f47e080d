/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_DETECT_H
#define PALISADE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowlog_rec;
struct sec_event;

/*
 * Detectors (DESIGN §7): streaming jobs over flow log records.  The controller reads the
 * records of every node, and for each aggregation window (records with the same start_time,
 * from all nodes) calls add() once per record, then end_window() once; a job emits the
 * events it finds through the callback.  Jobs keep bounded state per key and learn their
 * baselines online; time comes only from the records and the window bounds (no clock).
 *
 * Each flow may be reported twice (reporter "src" by the source's node, "dst" by the
 * destination's): every job documents which reports it counts, so that nothing is counted
 * twice.
 *
 * Parameters: every job has `enabled`, `sensitivity` (1.0 default; 2.0 halves the
 * thresholds, 0.5 doubles them) and `warmup_windows` (no event before this many windows have
 * been seen); job-specific parameters are documented with the job (docs/detectors.md) and
 * set by name with detect_set_param().
 */

typedef void detect_emit_fn(void *arg, const struct sec_event *e);

struct detect_job;

struct detect_job_ops {
	const char *name; /* "ip_sweep_external", ... */
	const char *description;
	/* Allocates the job's state with default parameters; NULL on ENOMEM. */
	void *(*create)(void);
	void (*destroy)(void *st);
	/* Sets a job-specific parameter; -EINVAL (unknown name or bad value) with nothing changed. */
	int (*set_param)(void *st, const char *name, double value);
	void (*add)(void *st, const struct flowlog_rec *r);
	void (*end_window)(void *st, uint64_t start, uint64_t end, detect_emit_fn *emit, void *arg);
	/* Bytes of state held now (for the documented bounds and `make bench`). */
	size_t (*memory)(const void *st);
};

/* The built-in jobs, NULL-terminated. */
extern const struct detect_job_ops *const detect_jobs[];
const struct detect_job_ops *detect_job_find(const char *name);

/*
 * A job instance.  detect_job_new: NULL with errno set (ENOENT: no such job).  The wrapper
 * handles "enabled" (0/1: a disabled job sees no records and emits nothing); every other
 * name, including the common "sensitivity" (> 0) and "warmup_windows" (>= 0) that every job
 * must accept, goes to the job's set_param.
 */
struct detect_job *detect_job_new(const char *name);
void detect_job_free(struct detect_job *j);
int detect_set_param(struct detect_job *j, const char *name, double value);
void detect_job_add(struct detect_job *j, const struct flowlog_rec *r);
void detect_job_end_window(struct detect_job *j, uint64_t start, uint64_t end, detect_emit_fn *emit,
			   void *arg);
size_t detect_job_memory(const struct detect_job *j);
const char *detect_job_name(const struct detect_job *j);

#endif
