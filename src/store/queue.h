/* The store's jobs, kept off the event loop.
 *
 * A job is a piece of work against a store (a few store_* calls, run wherever the
 * engine allows) and what to do with the answer on the loop.  On SQLite, the
 * embedded default, a job runs at once on the loop's own store, as the calls
 * always have: a local file answers in microseconds.  On PostgreSQL every job runs
 * on a thread of the queue's own, with a connection of its own, one job after
 * another in the order they were given; the loop is told through a uv_async and
 * runs each job's done there.  The loop never waits on the network.
 *
 * Jobs given by one caller run in the order given; so a write and a later read of
 * the same rows see each other. */
#ifndef CARRIER_STORE_QUEUE_H
#define CARRIER_STORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "store/stats.h"

struct store;
struct store_queue;

/* Runs on the queue's thread (PostgreSQL) or at once on the loop (SQLite): only
 * store calls on st and the job's own memory. */
typedef void (*store_work_fn)(struct store *st, void *job);
/* Runs on the loop afterwards; frees the job if it was allocated. */
typedef void (*store_done_fn)(void *job);

/* Jobs waiting beyond this many are refused (store_queue_submit fails): a database
 * that does not answer is not allowed to hold the server's memory. */
#define STORE_QUEUE_MAX 10000

/* A queue for the store st, opened by the loop at location.  On PostgreSQL the
 * queue opens a second store at location for its thread (NULL on failure, with a
 * reason in err); on SQLite it runs jobs on st. */
struct store_queue *store_queue_new(uv_loop_t *loop, struct store *st, const char *location,
                                    char *err, size_t errlen);
/* Finish every job given (the thread's work, then each done on this thread) and
 * stop the thread; its uv_async is closed.  Before the loop's handles are walked
 * and closed at shutdown.  Jobs given afterwards run at once, on this thread. */
void store_queue_stop(struct store_queue *q);
/* Stop (if not yet) and free, closing the thread's store. */
void store_queue_free(struct store_queue *q);

/* Run work(st, job) then done(job).  On SQLite both run before this returns.
 * -1 (and neither runs) if the queue is full. */
int store_queue_submit(struct store_queue *q, store_work_fn work, store_done_fn done,
                       void *job);
/* Does a job wait for another thread (PostgreSQL)? */
bool store_queue_threaded(const struct store_queue *q);
const struct store_queue_stats *store_queue_stats(const struct store_queue *q);
/* The counters of the store the jobs run on (the thread's, as of its last job, on
 * PostgreSQL): copied into out. */
void store_queue_db_stats(struct store_queue *q, struct store_stats *out);

#endif
