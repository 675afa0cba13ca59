/*
 * test_prepare_queue.c — the prepare queue/pool state machine
 * (src/host/prepare_queue.h). The first six tests are the reference's
 * prepare/queue.rs unit tests (reference-behaviour.md §8.6) with the same
 * capacities and the same expected messages; the rest check each rule of
 * §1.3/§1.4 on its own.
 */
#include "test.h"

#include "host/prepare_queue.h"

static artifact_id pvf(uint32_t discriminator)
{
    artifact_id a;
    memset(&a, 0, sizeof a);
    memcpy(a.code_hash, &discriminator, sizeof discriminator);
    return a;
}

static prepare_queue *new_queue(size_t soft, size_t hard)
{
    prepare_queue_config c = prepare_queue_default_config();
    c.soft_capacity = soft;
    c.hard_capacity = hard;
    prepare_queue *q = prepare_queue_new(&c);
    CHECK(q != NULL);
    return q;
}

/* Pop one action, which must be of `kind`; returns it (kind -1 if none). */
static prepare_action expect_action(prepare_queue *q, prepare_action_kind kind, int line)
{
    prepare_action a;
    memset(&a, 0, sizeof a);
    if (!prepare_queue_pop_action(q, &a)) {
        test_fail(__FILE__, line, "expected action %d, queue has none", (int)kind);
        a.kind = (prepare_action_kind)-1;
    } else if (a.kind != kind) {
        test_fail(__FILE__, line, "expected action %d, got %d", (int)kind, (int)a.kind);
    }
    return a;
}
#define EXPECT(q, kind) expect_action((q), (kind), __LINE__)

static void expect_no_action(prepare_queue *q, int line)
{
    prepare_action a;
    if (prepare_queue_pop_action(q, &a))
        test_fail(__FILE__, line, "expected no action, got %d (worker %llu)", (int)a.kind,
                  (unsigned long long)a.worker);
}
#define EXPECT_NONE(q) expect_no_action((q), __LINE__)

static void enqueue(prepare_queue *q, uint32_t n, prepare_priority p)
{
    artifact_id a = pvf(n);
    CHECK(prepare_queue_enqueue(q, n, &a, p, 0, NULL) == PREPARE_ENQUEUED);
}

/* ---- the reference's tests ---- */

TEST(prepare_queue_properly_concludes)
{
    prepare_queue *q = new_queue(2, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w, 0));
    prepare_action a = EXPECT(q, PREPARE_ACTION_START_WORK);
    CHECK_EQ_U64(a.worker, w);
    CHECK_EQ_U64(a.job, 1);
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w, false, 0, &done));
    artifact_id one = pvf(1);
    CHECK(artifact_id_equal(&done.artifact, &one));
    CHECK_EQ_U64(done.job, 1);
    EXPECT_NONE(q);
    prepare_queue_free(q);
}

TEST(prepare_queue_dont_spawn_over_soft_limit_unless_critical)
{
    prepare_queue *q = new_queue(2, 3);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    enqueue(q, 2, PREPARE_PRIORITY_NORMAL);
    enqueue(q, 3, PREPARE_PRIORITY_NORMAL);
    /* Only two spawns. */
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    EXPECT_NONE(q);
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 1);
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 2);
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w1, false, 0, &done));
    prepare_action a = EXPECT(q, PREPARE_ACTION_START_WORK);
    CHECK_EQ_U64(a.job, 3);
    CHECK_EQ_U64(a.worker, w1);
    /* 2 of 2 busy, a critical job arrives: growing past the soft cap is warranted. */
    enqueue(q, 4, PREPARE_PRIORITY_CRITICAL);
    EXPECT(q, PREPARE_ACTION_SPAWN);
    EXPECT_NONE(q);
    prepare_queue_free(q);
}

TEST(prepare_queue_cull_unwanted)
{
    prepare_queue *q = new_queue(1, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    /* A critical job warrants spawning over the soft limit. */
    enqueue(q, 2, PREPARE_PRIORITY_CRITICAL);
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(w2 != w1);
    /* The first worker finishes before the second is up: the first is culled. */
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w1, false, 0, &done));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_KILL).worker, w1);
    EXPECT_NONE(q);
    CHECK_EQ_U64(prepare_queue_workers(q), 0);
    CHECK_EQ_U64(prepare_queue_spawns_in_flight(q), 1);
    /* The new worker comes up and takes the critical job. */
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 2);
    prepare_queue_free(q);
}

TEST(prepare_queue_worker_mass_die_out_doesnt_stall_queue)
{
    prepare_queue *q = new_queue(2, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    enqueue(q, 2, PREPARE_PRIORITY_NORMAL);
    enqueue(q, 3, PREPARE_PRIORITY_NORMAL);
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    EXPECT(q, PREPARE_ACTION_START_WORK);
    /* Worker 1 concludes and rips: work is left, so one extra worker is spawned. */
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w1, true, 0, &done));
    CHECK_EQ_U64(done.job, 1);
    EXPECT(q, PREPARE_ACTION_SPAWN);
    EXPECT_NONE(q);
    prepare_queue_free(q);
}

TEST(prepare_queue_doesnt_resurrect_ripped_worker_if_no_work)
{
    prepare_queue *q = new_queue(2, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w1, true, 0, &done));
    EXPECT_NONE(q);
    CHECK_EQ_U64(prepare_queue_workers(q), 0);
    CHECK_EQ_U64(prepare_queue_spawns_in_flight(q), 0);
    prepare_queue_free(q);
}

TEST(prepare_queue_rip_for_start_work)
{
    prepare_queue *q = new_queue(2, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    /* The worker dies before its job reached it: a new one is spawned for it. */
    CHECK(prepare_queue_worker_died(q, w1, 0));
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    prepare_action a = EXPECT(q, PREPARE_ACTION_START_WORK);
    CHECK_EQ_U64(a.worker, w2);
    CHECK_EQ_U64(a.job, 1);
    prepare_queue_free(q);
}

/* ---- each rule on its own ---- */

TEST(prepare_queue_critical_before_normal_fifo_within)
{
    prepare_queue *q = new_queue(1, 1);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    enqueue(q, 2, PREPARE_PRIORITY_NORMAL);
    enqueue(q, 3, PREPARE_PRIORITY_CRITICAL);
    enqueue(q, 4, PREPARE_PRIORITY_CRITICAL); /* hard cap 1: no more spawns */
    EXPECT_NONE(q);
    CHECK(prepare_queue_worker_spawned(q, w, 0));
    uint64_t order[4];
    prepare_job_info done;
    for (int i = 0; i < 4; i++) {
        order[i] = EXPECT(q, PREPARE_ACTION_START_WORK).job;
        CHECK(prepare_queue_worker_concluded(q, w, false, 0, &done));
        CHECK_EQ_U64(done.job, order[i]);
    }
    CHECK_EQ_U64(order[0], 3);
    CHECK_EQ_U64(order[1], 4);
    CHECK_EQ_U64(order[2], 1);
    CHECK_EQ_U64(order[3], 2);
    EXPECT_NONE(q);
    CHECK_EQ_U64(prepare_queue_jobs(q), 0);
    prepare_queue_free(q);
}

TEST(prepare_queue_coalesces_same_artifact)
{
    prepare_queue *q = new_queue(1, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    EXPECT(q, PREPARE_ACTION_SPAWN);
    artifact_id a = pvf(1);
    uint64_t existing = 0;
    CHECK(prepare_queue_enqueue(q, 99, &a, PREPARE_PRIORITY_CRITICAL, 0, &existing) == PREPARE_COALESCED);
    CHECK_EQ_U64(existing, 1);
    EXPECT_NONE(q); /* no critical spawn for a duplicate, no priority bump */
    CHECK_EQ_U64(prepare_queue_jobs(q), 1);
    CHECK_EQ_U64(prepare_queue_unscheduled(q, PREPARE_PRIORITY_NORMAL), 1);
    CHECK_EQ_U64(prepare_queue_unscheduled(q, PREPARE_PRIORITY_CRITICAL), 0);
    prepare_queue_free(q);
}

TEST(prepare_queue_new_job_goes_to_idle_worker)
{
    prepare_queue *q = new_queue(1, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w, false, 0, &done));
    EXPECT_NONE(q); /* idle, kept: 1 worker is within the soft cap */
    enqueue(q, 2, PREPARE_PRIORITY_CRITICAL);
    prepare_action a = EXPECT(q, PREPARE_ACTION_START_WORK);
    CHECK_EQ_U64(a.worker, w);
    CHECK_EQ_U64(a.job, 2);
    EXPECT_NONE(q);
    prepare_queue_free(q);
}

TEST(prepare_queue_died_job_goes_back_to_front)
{
    prepare_queue *q = new_queue(1, 1);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w, 0));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 1);
    enqueue(q, 2, PREPARE_PRIORITY_NORMAL);
    enqueue(q, 3, PREPARE_PRIORITY_NORMAL);
    EXPECT_NONE(q);
    CHECK(prepare_queue_worker_died(q, w, 0));
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker; /* a replacement, work is left */
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 1); /* ahead of 2 and 3 */
    /* A second death report for the old worker changes nothing. */
    CHECK(prepare_queue_worker_died(q, w, 0));
    EXPECT_NONE(q);
    prepare_queue_free(q);
}

TEST(prepare_queue_rip_replacement_is_never_critical)
{
    /* soft 1, hard 2: two critical jobs run on two workers; when one dies
     * with work left, its replacement may only use the soft cap. */
    prepare_queue *q = new_queue(1, 2);
    enqueue(q, 1, PREPARE_PRIORITY_CRITICAL);
    enqueue(q, 2, PREPARE_PRIORITY_CRITICAL);
    enqueue(q, 3, PREPARE_PRIORITY_CRITICAL);
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    EXPECT_NONE(q);
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    EXPECT(q, PREPARE_ACTION_START_WORK);
    CHECK(prepare_queue_worker_died(q, w1, 0));
    /* 1 worker left = soft cap: no replacement although jobs 1 and 3 wait. */
    EXPECT_NONE(q);
    CHECK_EQ_U64(prepare_queue_unscheduled(q, PREPARE_PRIORITY_CRITICAL), 2);
    /* w2 finishes: 1 worker, not above soft → it takes the re-queued job 1. */
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w2, false, 0, &done));
    CHECK_EQ_U64(done.job, 2);
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 1);
    prepare_queue_free(q);
}

TEST(prepare_queue_spawn_retry_after_delay)
{
    prepare_queue *q = new_queue(1, 2);
    enqueue(q, 1, PREPARE_PRIORITY_NORMAL);
    uint64_t w = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    uint64_t when = 0;
    CHECK(!prepare_queue_next_wakeup(q, &when));
    CHECK(prepare_queue_spawn_failed(q, w, 1000));
    CHECK(prepare_queue_next_wakeup(q, &when));
    CHECK_EQ_U64(when, 4000);
    /* Still in flight: a second normal job doesn't spawn over the soft cap. */
    enqueue(q, 2, PREPARE_PRIORITY_NORMAL);
    EXPECT_NONE(q);
    CHECK(prepare_queue_tick(q, 3999));
    EXPECT_NONE(q);
    CHECK(prepare_queue_tick(q, 4000));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_SPAWN).worker, w);
    CHECK(!prepare_queue_next_wakeup(q, &when));
    CHECK(prepare_queue_tick(q, 10000)); /* no double re-issue */
    EXPECT_NONE(q);
    CHECK(prepare_queue_worker_spawned(q, w, 4100));
    CHECK_EQ_U64(EXPECT(q, PREPARE_ACTION_START_WORK).job, 1);
    prepare_queue_free(q);
}

TEST(prepare_queue_rejects_bad_config_and_unknown_events)
{
    prepare_queue_config c = prepare_queue_default_config();
    CHECK_EQ_U64(c.soft_capacity, 1);
    CHECK_EQ_U64(c.hard_capacity, 2);
    CHECK_EQ_U64(c.spawn_retry_ms, 3000);
    c.soft_capacity = 0;
    CHECK(prepare_queue_new(&c) == NULL);
    c.soft_capacity = 3;
    c.hard_capacity = 2;
    CHECK(prepare_queue_new(&c) == NULL);

    prepare_queue *q = new_queue(1, 2);
    prepare_job_info done;
    CHECK(!prepare_queue_worker_concluded(q, 42, false, 0, &done));
    CHECK(prepare_queue_worker_spawned(q, 42, 0));
    CHECK(prepare_queue_worker_died(q, 42, 0));
    CHECK(prepare_queue_spawn_failed(q, 42, 0));
    EXPECT_NONE(q);
    CHECK(!prepare_queue_oom(q));
    CHECK_EQ_U64(prepare_queue_workers(q), 0);
    prepare_queue_free(q);
}

TEST(prepare_queue_concluded_rip_replacement_is_never_critical)
{
    /* As above, but the worker dies while concluding (rip = true). */
    prepare_queue *q = new_queue(1, 2);
    enqueue(q, 1, PREPARE_PRIORITY_CRITICAL);
    enqueue(q, 2, PREPARE_PRIORITY_CRITICAL);
    enqueue(q, 3, PREPARE_PRIORITY_CRITICAL);
    uint64_t w1 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    uint64_t w2 = EXPECT(q, PREPARE_ACTION_SPAWN).worker;
    CHECK(prepare_queue_worker_spawned(q, w1, 0));
    CHECK(prepare_queue_worker_spawned(q, w2, 0));
    EXPECT(q, PREPARE_ACTION_START_WORK);
    EXPECT(q, PREPARE_ACTION_START_WORK);
    prepare_job_info done;
    CHECK(prepare_queue_worker_concluded(q, w1, true, 0, &done));
    CHECK_EQ_U64(done.job, 1);
    EXPECT_NONE(q); /* job 3 waits for w2: no spawn above the soft cap */
    CHECK_EQ_U64(prepare_queue_workers(q), 1);
    CHECK_EQ_U64(prepare_queue_spawns_in_flight(q), 0);
    prepare_queue_free(q);
}
