/*
 * priority.h — the priorities the host's two queues schedule by
 * (reference-behaviour.md §1.2 and §1.5).
 *
 * Preparation knows two levels, Normal < Critical. Execution knows four,
 * from most to least urgent: Dispute, Approval, BackingSystemParas, Backing.
 * The execution order of the enum is significant: the execute queue's
 * scheduling window sums the counters of a priority "and every priority
 * below it", which is every value >= it here.
 *
 * Approval and dispute work is Critical for preparation (it may grow the
 * prepare pool up to its hard cap); backing, precheck and heads-up are
 * Normal.
 */
#ifndef PVF_HOST_PRIORITY_H
#define PVF_HOST_PRIORITY_H

typedef enum prepare_priority {
    PREPARE_PRIORITY_NORMAL = 0,
    PREPARE_PRIORITY_CRITICAL = 1,
} prepare_priority;

#define PREPARE_PRIORITY_COUNT 2

typedef enum exec_priority {
    EXEC_PRIORITY_DISPUTE = 0,
    EXEC_PRIORITY_APPROVAL = 1,
    EXEC_PRIORITY_BACKING_SYSTEM_PARAS = 2,
    EXEC_PRIORITY_BACKING = 3,
} exec_priority;

#define EXEC_PRIORITY_COUNT 4

/* The preparation priority of an execution request of this kind. */
static inline prepare_priority exec_priority_prepare_priority(exec_priority p)
{
    return p == EXEC_PRIORITY_DISPUTE || p == EXEC_PRIORITY_APPROVAL ? PREPARE_PRIORITY_CRITICAL
                                                                     : PREPARE_PRIORITY_NORMAL;
}

/* Backing jobs carry the relay parent they were requested for and may be
 * dropped once it leaves the active leaves' ancestry. */
static inline int exec_priority_is_backing(exec_priority p)
{
    return p == EXEC_PRIORITY_BACKING || p == EXEC_PRIORITY_BACKING_SYSTEM_PARAS;
}

/* "dispute", "approval", "backing_system_paras", "backing" (the reference's
 * metric label values); "?" for anything else. */
static inline const char *exec_priority_name(exec_priority p)
{
    switch (p) {
    case EXEC_PRIORITY_DISPUTE: return "dispute";
    case EXEC_PRIORITY_APPROVAL: return "approval";
    case EXEC_PRIORITY_BACKING_SYSTEM_PARAS: return "backing_system_paras";
    case EXEC_PRIORITY_BACKING: return "backing";
    }
    return "?";
}

#endif
