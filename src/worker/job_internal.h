/*
 * job_internal.h — what job.c (spawning, killing) and job_wait.c (waiting,
 * monitoring, classifying) share and nobody else needs.
 */
#ifndef PVF_WORKER_JOB_INTERNAL_H
#define PVF_WORKER_JOB_INTERNAL_H

#include "worker/job.h"

/* Close the job's pipe and pidfd (idempotent). */
void job_close_fds(job *j);

#endif
