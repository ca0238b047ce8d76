/* The store's jobs: at once on SQLite, on a thread of their own on PostgreSQL.
 * See queue.h. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store/queue.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"

struct job {
	struct job *next;
	store_work_fn work;
	store_done_fn done;
	void *arg;
	uint64_t queued_ns;
};

struct list {
	struct job *head, *tail;
};

struct store_queue {
	struct store *st;           /* the loop's (SQLite) or the thread's (PostgreSQL) */
	bool threaded;
	uv_thread_t thread;
	uv_mutex_t lock;            /* todo, done, stopping */
	uv_cond_t more;             /* todo has a job, or stopping */
	struct list todo;           /* for the thread */
	struct list done;           /* for the loop */
	bool stopping;
	bool stopped;               /* the thread is joined (loop only) */
	uv_async_t wake;            /* the thread finished a job */
	struct store_stats db;      /* the thread's store's, after its last job (lock) */
	struct store_queue_stats stats;   /* the loop's */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void push(struct list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static void thread_main(void *arg)
{
	struct store_queue *q = arg;
	uv_mutex_lock(&q->lock);
	for (;;) {
		while (q->todo.head == NULL && !q->stopping)
			uv_cond_wait(&q->more, &q->lock);
		struct job *j = q->todo.head;
		if (j == NULL)
			break;    /* stopping, and nothing is left to do */
		q->todo.head = j->next;
		if (q->todo.head == NULL)
			q->todo.tail = NULL;
		uv_mutex_unlock(&q->lock);
		j->work(q->st, j->arg);
		uv_mutex_lock(&q->lock);
		q->db = *store_stats(q->st);
		push(&q->done, j);
		if (!q->stopping)
			uv_async_send(&q->wake);
	}
	uv_mutex_unlock(&q->lock);
}

/* On the loop: each finished job's done, in order. */
static void run_done(struct store_queue *q)
{
	uv_mutex_lock(&q->lock);
	struct job *j = q->done.head;
	q->done.head = q->done.tail = NULL;
	uv_mutex_unlock(&q->lock);
	uint64_t now = mono_ns();
	while (j != NULL) {
		struct job *next = j->next;
		q->stats.depth--;
		hist_add(&q->stats.wait, now - j->queued_ns);
		if (j->done)
			j->done(j->arg);
		free(j);
		j = next;
	}
}

static void wake_cb(uv_async_t *a)
{
	run_done(a->data);
}

struct store_queue *store_queue_new(uv_loop_t *loop, struct store *st, const char *location,
                                    char *err, size_t errlen)
{
	struct store_queue *q = xcalloc(1, sizeof(*q));
	q->st = st;
	if (!store_is_url(location))
		return q;
	q->st = store_open(location, err, errlen);
	if (q->st == NULL)
		goto fail;
	q->threaded = true;
	if (uv_mutex_init(&q->lock) != 0)
		goto fail_store;
	if (uv_cond_init(&q->more) != 0)
		goto fail_mutex;
	if (uv_async_init(loop, &q->wake, wake_cb) != 0)
		goto fail_cond;
	q->wake.data = q;
	if (uv_thread_create(&q->thread, thread_main, q) != 0) {
		uv_close((uv_handle_t *)&q->wake, NULL);
		goto fail_cond;
	}
	return q;
fail_cond:
	uv_cond_destroy(&q->more);
fail_mutex:
	uv_mutex_destroy(&q->lock);
fail_store:
	store_close(q->st);
	snprintf(err, errlen, "cannot start the database thread");
fail:
	free(q);
	return NULL;
}

void store_queue_stop(struct store_queue *q)
{
	if (q == NULL || !q->threaded || q->stopped)
		return;
	uv_mutex_lock(&q->lock);
	q->stopping = true;
	uv_cond_signal(&q->more);
	uv_mutex_unlock(&q->lock);
	uv_thread_join(&q->thread);
	q->stopped = true;
	run_done(q);
	if (!uv_is_closing((uv_handle_t *)&q->wake))
		uv_close((uv_handle_t *)&q->wake, NULL);
}

void store_queue_free(struct store_queue *q)
{
	if (q == NULL)
		return;
	if (q->threaded) {
		store_queue_stop(q);
		uv_cond_destroy(&q->more);
		uv_mutex_destroy(&q->lock);
		store_close(q->st);
	}
	free(q);
}

int store_queue_submit(struct store_queue *q, store_work_fn work, store_done_fn done,
                       void *arg)
{
	assert(work != NULL);
	if (!q->threaded || q->stopped) {
		/* SQLite; or shutting down, where the loop has nothing left to keep
		 * moving and q->st is no longer the thread's. */
		q->stats.jobs++;
		work(q->st, arg);
		if (done)
			done(arg);
		return 0;
	}
	if (q->stats.depth >= STORE_QUEUE_MAX) {
		if (q->stats.refused++ == 0)
			log_warn("event=db_queue_full jobs=%d", STORE_QUEUE_MAX);
		return -1;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->work = work;
	j->done = done;
	j->arg = arg;
	j->queued_ns = mono_ns();
	q->stats.jobs++;
	if (++q->stats.depth > q->stats.depth_max)
		q->stats.depth_max = q->stats.depth;
	uv_mutex_lock(&q->lock);
	push(&q->todo, j);
	uv_cond_signal(&q->more);
	uv_mutex_unlock(&q->lock);
	return 0;
}

bool store_queue_threaded(const struct store_queue *q)
{
	return q->threaded;
}

const struct store_queue_stats *store_queue_stats(const struct store_queue *q)
{
	return &q->stats;
}

void store_queue_db_stats(struct store_queue *q, struct store_stats *out)
{
	if (!q->threaded || q->stopped) {
		*out = *store_stats(q->st);
		return;
	}
	uv_mutex_lock(&q->lock);
	*out = q->db;
	uv_mutex_unlock(&q->lock);
}
