/*
 * test_execute_queue.c — the execute queue state machine
 * (src/host/execute_queue.h). The reference's execute/queue.rs unit tests
 * (reference-behaviour.md §8.6: priority distribution 8/3/1, 8/3/1, 9/2/1,
 * 11/1, backing not postponed, 10 stale backing jobs pruned with 1 kept)
 * come first, with the reference's expected numbers; the exact selection
 * orders were worked out by hand from the 70/80/100/100 rule (integer
 * percentages of the jobs counted at a priority or below). Then each
 * scheduling rule of §1.5 on its own, through the whole queue.
 */
#include "test.h"

#include "host/execute_queue.h"

/* Short names for the selection orders below. */
#define D EXEC_PRIORITY_DISPUTE
#define A EXEC_PRIORITY_APPROVAL
#define S EXEC_PRIORITY_BACKING_SYSTEM_PARAS
#define B EXEC_PRIORITY_BACKING

/* ---- the window alone, as the reference's Unscheduled tests use it: jobs
 * stay pending, only the counters move ---- */

static void select_window(const bool pending[4], exec_priority *out, int n)
{
    exec_window w;
    memset(&w, 0, sizeof w);
    for (int i = 0; i < n; i++) {
        out[i] = exec_window_select(&w, pending);
        exec_window_mark_scheduled(&w, out[i]);
    }
}

static int count_of(const exec_priority *seq, int n, exec_priority p)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += seq[i] == p;
    return c;
}

TEST(exec_queue_window_priority_distribution)
{
    bool pending[4] = {true, true, true, true};
    exec_priority seq[EXEC_SCHEDULING_WINDOW_SIZE];
    select_window(pending, seq, EXEC_SCHEDULING_WINDOW_SIZE);
    CHECK_EQ_U64(count_of(seq, 12, D), 8);
    CHECK_EQ_U64(count_of(seq, 12, A), 3);
    CHECK_EQ_U64(count_of(seq, 12, S), 1);
    CHECK_EQ_U64(count_of(seq, 12, B), 0);
    static const exec_priority want[12] = {D, A, D, D, S, D, D, A, D, D, A, D};
    for (int i = 0; i < 12; i++)
        CHECK_EQ_U64(seq[i], want[i]);
}

TEST(exec_queue_window_distribution_without_backing_system_paras)
{
    bool pending[4] = {true, true, false, true};
    exec_priority seq[12];
    select_window(pending, seq, 12);
    CHECK_EQ_U64(count_of(seq, 12, D), 8);
    CHECK_EQ_U64(count_of(seq, 12, A), 3);
    CHECK_EQ_U64(count_of(seq, 12, B), 1);
}

TEST(exec_queue_window_distribution_without_disputes)
{
    bool pending[4] = {false, true, true, true};
    exec_priority seq[12];
    select_window(pending, seq, 12);
    CHECK_EQ_U64(count_of(seq, 12, A), 9);
    CHECK_EQ_U64(count_of(seq, 12, S), 2);
    CHECK_EQ_U64(count_of(seq, 12, B), 1);
    static const exec_priority want[12] = {A, S, A, A, A, B, A, A, A, A, S, A};
    for (int i = 0; i < 12; i++)
        CHECK_EQ_U64(seq[i], want[i]);
}

TEST(exec_queue_window_distribution_without_disputes_and_only_one_backing)
{
    /* The reference keeps its one backing job pending throughout. */
    bool pending[4] = {false, true, false, true};
    exec_priority seq[12];
    select_window(pending, seq, 12);
    CHECK_EQ_U64(count_of(seq, 12, A), 11);
    CHECK_EQ_U64(count_of(seq, 12, B), 1);
}

TEST(exec_queue_window_does_not_postpone_backing)
{
    bool pending[4] = {false, true, false, true};
    exec_priority seq[12];
    select_window(pending, seq, 12);
    CHECK_EQ_U64(seq[0], A);
    CHECK_EQ_U64(seq[1], B);
    CHECK_EQ_U64(seq[2], A);
    CHECK_EQ_U64(seq[3], A);
}

TEST(exec_queue_window_thresholds_and_reset)
{
    CHECK_EQ_U64(exec_window_threshold(EXEC_PRIORITY_DISPUTE), 70);
    CHECK_EQ_U64(exec_window_threshold(EXEC_PRIORITY_APPROVAL), 80);
    CHECK_EQ_U64(exec_window_threshold(EXEC_PRIORITY_BACKING_SYSTEM_PARAS), 100);
    CHECK_EQ_U64(exec_window_threshold(EXEC_PRIORITY_BACKING), 100);
    exec_window w;
    memset(&w, 0, sizeof w);
    CHECK(!exec_window_reached_threshold(&w, EXEC_PRIORITY_DISPUTE)); /* empty: never reached */
    w.count[D] = 7;
    w.count[A] = 3; /* 700/10 = 70 >= 70 */
    CHECK(exec_window_reached_threshold(&w, EXEC_PRIORITY_DISPUTE));
    w.count[B] = 1; /* 700/11 = 63 */
    CHECK(!exec_window_reached_threshold(&w, EXEC_PRIORITY_DISPUTE));
    /* Approval counts only itself and below: 300/4 = 75 < 80. */
    CHECK(!exec_window_reached_threshold(&w, EXEC_PRIORITY_APPROVAL));
    bool none[4] = {false, false, false, false};
    CHECK_EQ_U64(exec_window_select(&w, none), B);
    exec_window_mark_scheduled(&w, EXEC_PRIORITY_APPROVAL); /* sum 12: reset */
    for (int p = 0; p < 4; p++)
        CHECK_EQ_U64(w.count[p], 0);
}

/* ---- helpers for the whole queue ---- */

static exec_job_desc job(uint64_t id, exec_priority p, uint8_t params, uint8_t relay_parent)
{
    exec_job_desc j;
    memset(&j, 0, sizeof j);
    j.id = id;
    j.priority = p;
    memset(j.params_hash, params, 32);
    memset(j.relay_parent, relay_parent, 32);
    j.artifact.code_hash[0] = (uint8_t)id;
    return j;
}

static exec_queue *new_queue(size_t max_workers)
{
    exec_queue_config c = exec_queue_default_config();
    c.max_workers = max_workers;
    exec_queue *q = exec_queue_new(&c);
    CHECK(q != NULL);
    return q;
}

static exec_action expect_action(exec_queue *q, exec_action_kind kind, int line)
{
    exec_action a;
    memset(&a, 0, sizeof a);
    if (!exec_queue_pop_action(q, &a)) {
        test_fail(__FILE__, line, "expected action %d, queue has none", (int)kind);
        a.kind = (exec_action_kind)-1;
    } else if (a.kind != kind) {
        test_fail(__FILE__, line, "expected action %d, got %d (job %llu)", (int)kind, (int)a.kind,
                  (unsigned long long)a.job.id);
    }
    return a;
}
#define EXPECT(q, kind) expect_action((q), (kind), __LINE__)

static void expect_no_action(exec_queue *q, int line)
{
    exec_action a;
    if (exec_queue_pop_action(q, &a))
        test_fail(__FILE__, line, "expected no action, got %d (job %llu)", (int)a.kind,
                  (unsigned long long)a.job.id);
}
#define EXPECT_NONE(q) expect_no_action((q), __LINE__)

static void enqueue(exec_queue *q, exec_job_desc j, uint64_t now)
{
    CHECK(exec_queue_enqueue(q, &j, now));
}

/* ---- the reference's queue tests ---- */

TEST(exec_queue_unscheduled_add)
{
    exec_queue *q = new_queue(1);
    for (int p = 0; p < 4; p++)
        enqueue(q, job((uint64_t)p + 1, (exec_priority)p, 1, 0), 0);
    /* The dispute took the one worker slot; one job of each other kind waits. */
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_SPAWN).job.id, 1);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_DISPUTE), 0);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_APPROVAL), 1);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_BACKING_SYSTEM_PARAS), 1);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_BACKING), 1);
    exec_queue_free(q);
}

TEST(exec_queue_prunes_old_jobs_on_active_leaves_update)
{
    exec_queue *q = new_queue(1);
    /* Occupy the only worker slot so that the backing jobs stay queued. */
    enqueue(q, job(100, A, 1, 0), 0);
    EXPECT(q, EXEC_ACTION_SPAWN);
    enqueue(q, job(1, B, 1, 0xAA), 0); /* relevant relay parent */
    for (uint64_t i = 0; i < 10; i++)
        enqueue(q, job(10 + i, B, 1, 0x01), 0); /* old relay parent */
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_pending_total(q), 11);

    uint8_t leaf[32], relevant[1][32];
    memset(leaf, 0x77, 32);
    memset(relevant[0], 0xAA, 32);
    CHECK(exec_queue_update_active_leaves(q, leaf, relevant, 1, NULL, 0, 10));
    bool answered[10] = {false};
    for (int i = 0; i < 10; i++) {
        exec_action a = EXPECT(q, EXEC_ACTION_DEADLINE);
        if (a.job.id >= 10 && a.job.id < 20)
            answered[a.job.id - 10] = true;
    }
    for (int i = 0; i < 10; i++)
        CHECK(answered[i]);
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_pending_total(q), 1);
    exec_queue_free(q);
}

/* ---- each rule through the whole queue ---- */

TEST(exec_queue_distribution_through_one_worker)
{
    /* 12 rounds of D, A, S, B (the reference's test load), one worker: the
     * first 12 jobs run in the window's order, then nothing stalls. */
    exec_queue *q = new_queue(1);
    uint64_t id = 1;
    for (int r = 0; r < 12; r++)
        for (int p = 0; p < 4; p++)
            enqueue(q, job(id++, (exec_priority)p, 1, 0x55), 0);
    exec_action a = EXPECT(q, EXEC_ACTION_SPAWN);
    EXPECT_NONE(q);
    uint64_t w = a.worker;
    CHECK(exec_queue_worker_spawned(q, w, 0));
    exec_priority ran[48];
    int n = 0;
    for (;;) {
        exec_action next;
        if (!exec_queue_pop_action(q, &next))
            break;
        CHECK(next.kind == EXEC_ACTION_ASSIGN);
        CHECK_EQ_U64(next.worker, w);
        if (n < 48)
            ran[n++] = next.job.priority;
        CHECK(exec_queue_job_finished(q, w, true, 1));
    }
    CHECK_EQ_U64(n, 48);
    static const exec_priority want[12] = {D, A, D, D, S, D, D, A, D, D, A, D};
    for (int i = 0; i < 12 && i < n; i++)
        CHECK_EQ_U64(ran[i], want[i]);
    CHECK_EQ_U64(exec_queue_pending_total(q), 0);
    CHECK_EQ_U64(exec_queue_workers(q), 1);
    exec_queue_free(q);
}

TEST(exec_queue_spawns_up_to_max_workers)
{
    exec_queue *q = new_queue(4);
    for (uint64_t i = 1; i <= 6; i++)
        enqueue(q, job(i, A, 1, 0), 0);
    uint64_t workers[4];
    for (int i = 0; i < 4; i++) {
        exec_action a = EXPECT(q, EXEC_ACTION_SPAWN);
        CHECK_EQ_U64(a.job.id, (uint64_t)i + 1); /* each spawn carries its job */
        workers[i] = a.worker;
    }
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_spawns_in_flight(q), 4);
    CHECK_EQ_U64(exec_queue_pending_total(q), 2);
    CHECK(exec_queue_worker_spawned(q, workers[2], 250));
    exec_action a = EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK_EQ_U64(a.worker, workers[2]);
    CHECK_EQ_U64(a.job.id, 3);
    CHECK_EQ_U64(a.queued_ms, 250);
    CHECK(exec_queue_job_finished(q, workers[2], true, 300));
    a = EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK_EQ_U64(a.worker, workers[2]);
    CHECK_EQ_U64(a.job.id, 5);
    CHECK_EQ_U64(a.queued_ms, 300);
    exec_queue_free(q);
}

TEST(exec_queue_idle_worker_of_other_params_is_replaced)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(1, A, 0x11, 0), 0);
    uint64_t w1 = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    CHECK(exec_queue_worker_spawned(q, w1, 0));
    EXPECT(q, EXEC_ACTION_ASSIGN);
    enqueue(q, job(2, A, 0x22, 0), 0); /* other params, no free slot */
    EXPECT_NONE(q);
    CHECK(exec_queue_job_finished(q, w1, true, 100));
    /* Nothing in the deque fits w1: it is killed and a worker for 0x22 spawned. */
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_KILL).worker, w1);
    exec_action a = EXPECT(q, EXEC_ACTION_SPAWN);
    CHECK_EQ_U64(a.job.id, 2);
    CHECK_EQ_U64(a.job.params_hash[0], 0x22);
    CHECK(a.worker != w1);
    EXPECT_NONE(q);
    exec_queue_free(q);
}

TEST(exec_queue_keep_waiting_rule)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(1, A, 0x11, 0), 0);
    uint64_t w1 = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    CHECK(exec_queue_worker_spawned(q, w1, 0));
    EXPECT(q, EXEC_ACTION_ASSIGN);
    enqueue(q, job(2, A, 0x22, 0), 0);  /* eldest, needs another worker */
    enqueue(q, job(3, A, 0x11, 0), 10); /* fits w1 */
    /* 3999 ms < 4 s: the eldest keeps waiting, w1 runs the matching job 3. */
    CHECK(exec_queue_job_finished(q, w1, true, 3999));
    exec_action a = EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK_EQ_U64(a.worker, w1);
    CHECK_EQ_U64(a.job.id, 3);
    EXPECT_NONE(q);
    enqueue(q, job(4, A, 0x11, 0), 3999); /* fits w1 again */
    /* Now the eldest has waited 4 s: it goes first, w1 is replaced. */
    CHECK(exec_queue_job_finished(q, w1, true, 4000));
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_KILL).worker, w1);
    a = EXPECT(q, EXEC_ACTION_SPAWN);
    CHECK_EQ_U64(a.job.id, 2);
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_pending_total(q), 1);
    exec_queue_free(q);
}

TEST(exec_queue_matching_idle_worker_is_reused)
{
    exec_queue *q = new_queue(2);
    enqueue(q, job(1, A, 0x11, 0), 0);
    enqueue(q, job(2, A, 0x22, 0), 0);
    uint64_t w1 = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    uint64_t w2 = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    CHECK(exec_queue_worker_spawned(q, w1, 0));
    CHECK(exec_queue_worker_spawned(q, w2, 0));
    EXPECT(q, EXEC_ACTION_ASSIGN);
    EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK(exec_queue_job_finished(q, w1, true, 5));
    CHECK(exec_queue_job_finished(q, w2, true, 5));
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_idle_workers(q), 2);
    /* A 0x22 job goes to w2 without any kill, whatever the order of workers. */
    enqueue(q, job(3, A, 0x22, 0), 10);
    exec_action a = EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK_EQ_U64(a.worker, w2);
    EXPECT_NONE(q);
    exec_queue_free(q);
}

TEST(exec_queue_dropped_worker_frees_its_slot)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(1, B, 1, 0), 0);
    uint64_t w1 = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    CHECK(exec_queue_worker_spawned(q, w1, 0));
    EXPECT(q, EXEC_ACTION_ASSIGN);
    enqueue(q, job(2, B, 1, 0), 0);
    EXPECT_NONE(q);
    /* Hard timeout / worker death: the worker is not kept. */
    CHECK(exec_queue_job_finished(q, w1, false, 2000));
    exec_action a = EXPECT(q, EXEC_ACTION_SPAWN);
    CHECK_EQ_U64(a.job.id, 2);
    CHECK(a.worker != w1);
    CHECK_EQ_U64(exec_queue_workers(q), 0);
    EXPECT_NONE(q);
    exec_queue_free(q);
}

TEST(exec_queue_idle_worker_death_frees_its_slot)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(1, A, 0x11, 0), 0);
    uint64_t w1 = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    CHECK(exec_queue_worker_spawned(q, w1, 0));
    EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK(exec_queue_job_finished(q, w1, true, 10));
    EXPECT_NONE(q);
    CHECK(exec_queue_worker_died(q, w1, 20));
    EXPECT_NONE(q); /* nothing waits: nothing to do */
    CHECK_EQ_U64(exec_queue_workers(q), 0);
    enqueue(q, job(2, A, 0x11, 0), 30);
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_SPAWN).job.id, 2);
    /* A late finish for the dead worker changes nothing. */
    CHECK(exec_queue_job_finished(q, w1, true, 40));
    EXPECT_NONE(q);
    exec_queue_free(q);
}

TEST(exec_queue_spawn_retry_keeps_the_job)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(7, D, 1, 0), 0);
    uint64_t w = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    uint64_t when = 0;
    CHECK(!exec_queue_next_wakeup(q, &when));
    CHECK(exec_queue_spawn_failed(q, w, 500));
    CHECK(exec_queue_next_wakeup(q, &when));
    CHECK_EQ_U64(when, 3500);
    enqueue(q, job(8, D, 1, 0), 600); /* the failing spawn still holds the slot */
    EXPECT_NONE(q);
    CHECK(exec_queue_tick(q, 3499));
    EXPECT_NONE(q);
    CHECK(exec_queue_tick(q, 3500));
    exec_action a = EXPECT(q, EXEC_ACTION_SPAWN);
    CHECK_EQ_U64(a.worker, w);
    CHECK_EQ_U64(a.job.id, 7);
    CHECK(exec_queue_worker_spawned(q, w, 3600));
    a = EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK_EQ_U64(a.job.id, 7);
    CHECK_EQ_U64(a.queued_ms, 3600);
    exec_queue_free(q);
}

TEST(exec_queue_leaves_keep_leaf_and_ancestors_and_forget_deactivated)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(100, A, 1, 0), 0);
    EXPECT(q, EXEC_ACTION_SPAWN);
    enqueue(q, job(1, B, 1, 0x01), 0); /* relay parent = the leaf itself */
    enqueue(q, job(2, S, 1, 0x02), 0); /* relay parent = an ancestor */
    enqueue(q, job(3, S, 1, 0x03), 0); /* unknown */
    enqueue(q, job(4, A, 1, 0x03), 0); /* approvals are never pruned */
    enqueue(q, job(5, D, 1, 0x03), 0); /* nor disputes */
    uint8_t leaf[32], anc[1][32];
    memset(leaf, 0x01, 32);
    memset(anc[0], 0x02, 32);
    CHECK(exec_queue_update_active_leaves(q, leaf, anc, 1, NULL, 0, 1));
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_DEADLINE).job.id, 3);
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_pending_total(q), 4);
    /* A second leaf on another fork, then the first one goes away. */
    uint8_t leaf2[32], anc2[1][32];
    memset(leaf2, 0x09, 32);
    memset(anc2[0], 0x02, 32);
    CHECK(exec_queue_update_active_leaves(q, leaf2, anc2, 1, NULL, 0, 2));
    EXPECT_NONE(q);
    const uint8_t(*gone)[32] = (const uint8_t(*)[32])leaf;
    CHECK(exec_queue_update_active_leaves(q, NULL, NULL, 0, gone, 1, 3));
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_DEADLINE).job.id, 1);
    EXPECT_NONE(q);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_BACKING_SYSTEM_PARAS), 1);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_APPROVAL), 1);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_DISPUTE), 1);
    exec_queue_free(q);
}

TEST(exec_queue_no_pruning_before_first_leaf_update)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(100, A, 1, 0), 0);
    EXPECT(q, EXEC_ACTION_SPAWN);
    enqueue(q, job(1, B, 1, 0x42), 0);
    CHECK_EQ_U64(exec_queue_pending(q, EXEC_PRIORITY_BACKING), 1);
    EXPECT_NONE(q);
    CHECK(!exec_queue_oom(q));
    exec_queue_config c = exec_queue_default_config();
    CHECK_EQ_U64(c.max_workers, 4);
    CHECK_EQ_U64(c.max_keep_waiting_ms, 4000);
    CHECK_EQ_U64(c.spawn_retry_ms, 3000);
    c.max_workers = 0;
    CHECK(exec_queue_new(&c) == NULL);
    exec_queue_free(q);
}

/* A job handed to a worker that turned out dead never ran: it goes back to the front of
 * its deque (ahead of jobs enqueued after it) with its first enqueue time kept. */
TEST(exec_queue_requeue_front_keeps_place_and_age)
{
    exec_queue *q = new_queue(1);
    enqueue(q, job(1, B, 1, 0), 0);
    uint64_t w = EXPECT(q, EXEC_ACTION_SPAWN).worker;
    CHECK(exec_queue_worker_spawned(q, w, 10));
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_ASSIGN).job.id, 1);
    enqueue(q, job(2, B, 1, 0), 20);
    enqueue(q, job(3, B, 1, 0), 30);
    EXPECT_NONE(q);
    /* The worker died before job 1 reached it. */
    CHECK(exec_queue_worker_died(q, w, 40));
    exec_action a = EXPECT(q, EXEC_ACTION_SPAWN);   /* the freed slot goes to the eldest waiting job */
    CHECK_EQ_U64(a.job.id, 2);
    exec_job_desc j1 = job(1, B, 1, 0);
    CHECK(exec_queue_requeue_front(q, &j1, 0, 50));
    CHECK(exec_queue_worker_spawned(q, a.worker, 60));
    CHECK_EQ_U64(EXPECT(q, EXEC_ACTION_ASSIGN).job.id, 2);
    CHECK(exec_queue_job_finished(q, a.worker, true, 70));
    a = EXPECT(q, EXEC_ACTION_ASSIGN);
    CHECK_EQ_U64(a.job.id, 1);                      /* ahead of job 3, enqueued later */
    CHECK_EQ_U64(a.queued_ms, 70);                  /* waited since its first enqueue at 0 */
    exec_queue_free(q);
}
