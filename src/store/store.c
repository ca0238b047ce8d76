/* The store: opening on the engine its location names, the statement cache,
 * transactions, close.  The engines themselves are in sqlite.c and pg.c. */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/internal.h"
#include "util/log.h"
#include "util/xalloc.h"

int store_schema_version(void)
{
	return STORE_SCHEMA;
}

bool store_is_url(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	       strncmp(location, "postgres://", 11) == 0;
}

void store_redact(const char *location, char *out, size_t cap)
{
	if (!store_is_url(location)) {
		snprintf(out, cap, "%s", location);
		return;
	}
	/* scheme://user:PASSWORD@host... and ...?password=PASSWORD&... */
	const char *rest = strstr(location, "://") + 3;
	const char *at = strchr(rest, '@');
	const char *colon = strchr(rest, ':');
	int n;
	if (at != NULL && colon != NULL && colon < at)
		n = snprintf(out, cap, "%.*s:***%s", (int)(colon - location), location, at);
	else
		n = snprintf(out, cap, "%s", location);
	if (n < 0 || (size_t)n >= cap)
		return;
	char *pw = strstr(out, "password=");
	if (pw != NULL) {
		const char *end = strchr(pw, '&');
		char tail[256];
		snprintf(tail, sizeof(tail), "%s", end ? end : "");
		pw[9] = '\0';
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "***%s", tail);
	}
}

const char *store_engine(const struct store *st)
{
	return st->drv->name;
}

const char *store_errmsg(const struct store *st)
{
	return st->drv->errmsg(st);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const struct store_stats *store_stats(const struct store *st)
{
	return &st->stats;
}

int store_fail(struct store *st, const char *what)
{
	st->stats.errors++;
	if (st->drv->busy(st))
		st->stats.busy++;
	log_error("event=db_error what=%s error=%s", LOG_Q(what), LOG_Q(store_errmsg(st)));
	return STORE_ERROR;
}

struct db_stmt *store_stmt(struct store *st, enum store_stmt id, const char *sql)
{
	assert(id >= 0 && id < SQ_COUNT);
	if (st->stmt[id] == NULL) {
		st->stmt[id] = st->drv->prepare(st, sql);
		if (st->stmt[id] == NULL) {
			store_fail(st, sql);
			return NULL;
		}
	}
	st->taken_ns[id] = mono_ns();
	return st->stmt[id];
}

void store_done(struct store *st, struct db_stmt *s)
{
	s->drv->reset(s);
	for (int i = 0; i < SQ_COUNT; i++) {
		if (st->stmt[i] == s) {
			hist_add(&st->stats.statement, mono_ns() - st->taken_ns[i]);
			break;
		}
	}
}

int store_exec_stmt(struct store *st, struct db_stmt *s, const char *what)
{
	int rc = db_step(s);
	int ret = STORE_OK;

	if (rc == DB_UNIQUE)
		ret = STORE_EXISTS;
	else if (rc == DB_FOREIGN)
		ret = STORE_NOT_FOUND;    /* the row it refers to does not exist */
	else if (rc == DB_ERROR)
		ret = store_fail(st, what);
	store_done(st, s);
	return ret;
}

int store_begin(struct store *st)
{
	struct db_stmt *s = store_stmt(st, SQ_BEGIN, st->drv->begin_sql);
	if (s == NULL)
		return STORE_ERROR;
	return store_exec_stmt(st, s, "begin");
}

int store_commit(struct store *st)
{
	struct db_stmt *s = store_stmt(st, SQ_COMMIT, "COMMIT");
	if (s == NULL)
		return STORE_ERROR;
	return store_exec_stmt(st, s, "commit");
}

void store_rollback(struct store *st)
{
	if (!st->drv->in_transaction(st))
		return;    /* the engine already rolled back (SQLite on SQLITE_FULL, say) */
	struct db_stmt *s = store_stmt(st, SQ_ROLLBACK, "ROLLBACK");
	if (s != NULL)
		store_exec_stmt(st, s, "rollback");
}

int store_user_version(struct store *st)
{
	return st->drv->user_version(st);
}

struct store *store_open(const char *location, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));
	st->claim_fd = -1;
	int rc = store_is_url(location) ? store_pg_open(st, location, err, errlen)
	                                : store_sqlite_open(st, location, err, errlen);
	if (rc != 0) {
		free(st);
		return NULL;
	}
	return st;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < SQ_COUNT; i++) {
		if (st->stmt[i] != NULL)
			st->drv->finalize(st->stmt[i]);
	}
	st->drv->close(st);
	/* Only now: closing another descriptor of the file while SQLite still held
	 * its (POSIX) locks on it would drop them. */
	if (st->claim_fd >= 0)
		close(st->claim_fd);
	free(st);
}
