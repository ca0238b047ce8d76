/* Inside the store: the struct, the statement cache and the driver seam, shared by
 * store.c (open, cache, transactions), the two drivers (sqlite.c, pg.c) and the
 * table files (users.c, tokens.c, chat.c, ...).  Not for use outside src/store/.
 *
 * The table files write their SQL once, in the dialect both engines share
 * (numbered parameters ?1, ?2 ...; RETURNING; ON CONFLICT; COLLATE NOCASE, which
 * the PostgreSQL schema defines as a case-insensitive collation), and run it
 * through the db_* calls below; each driver does the rest. */
#ifndef CARRIER_STORE_INTERNAL_H
#define CARRIER_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/stats.h"
#include "store/store.h"

/* The schema version this build writes: the number of migration steps, the same
 * for both engines (each driver checks its list against it). */
#define STORE_SCHEMA 4

/* One slot per statement in the whole store.  Each is prepared on first use with
 * the SQL given at its call site and kept until store_close. */
enum store_stmt {
	SQ_USER_CREATE,
	SQ_USER_GET,
	SQ_USER_GET_BY_ID,
	SQ_USER_SET_PASSWORD,
	SQ_USER_SET_LEVEL,
	SQ_USER_SET_LOCATION,
	SQ_USER_SET_CHARSET,
	SQ_USER_DELETE,
	SQ_USER_LIST,
	SQ_USER_COUNT,
	SQ_LOGIN_USER,
	SQ_LOGIN_INSERT,
	SQ_LOGIN_TRIM,
	SQ_LOGIN_FAILURE,
	SQ_LAST_CALLERS,
	SQ_TOKEN_ADD,
	SQ_TOKEN_LOOKUP,
	SQ_TOKEN_REVOKE,
	SQ_TOKEN_REVOKE_USER,
	SQ_TOKEN_PURGE,
	SQ_CHAT_APPEND,
	SQ_CHAT_RECENT,
	SQ_CHAT_MAX_SEQ,
	SQ_CHAT_TRIM,
	SQ_CHAT_TOPIC_GET,
	SQ_CHAT_TOPIC_SET,
	SQ_USER_SET_CHAT,
	SQ_IGNORE_ADD,
	SQ_IGNORE_REMOVE,
	SQ_IGNORE_LIST,
	SQ_TELEGRAM_ADD,
	SQ_TELEGRAM_COUNT_TO,
	SQ_TELEGRAM_COUNT_UNREAD,
	SQ_TELEGRAM_COUNT_FROM,
	SQ_TELEGRAM_LIST,
	SQ_TELEGRAM_MARK_READ,
	SQ_TELEGRAM_DELETE_READ,
	SQ_USER_SET_BAN,
	SQ_AUDIT_ADD,
	SQ_AUDIT_LIST,
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_COUNT
};

/* A driver's prepared statement; each driver's own struct begins with this. */
struct db_stmt {
	const struct db_driver *drv;
	struct store *st;
};

/* What db_step returns. */
enum db_step {
	DB_DONE = 0,          /* no (more) rows */
	DB_ROW = 1,           /* a row is ready for db_column_* */
	DB_ERROR = -1,        /* failed; db_errmsg says why */
	DB_UNIQUE = -2,       /* a UNIQUE or PRIMARY KEY constraint refused the row */
	DB_FOREIGN = -3,      /* a FOREIGN KEY constraint refused it */
};

/* One engine.  A statement is prepared once (prepare), then bound, stepped and
 * reset as often as it is used; parameters are numbered from 1 and stay bound
 * until reset. */
struct db_driver {
	const char *name;
	struct db_stmt *(*prepare)(struct store *st, const char *sql);   /* NULL: error */
	void (*finalize)(struct db_stmt *s);
	void (*bind_int64)(struct db_stmt *s, int idx, int64_t v);
	void (*bind_text)(struct db_stmt *s, int idx, const char *text);  /* NULL: SQL NULL */
	void (*bind_blob)(struct db_stmt *s, int idx, const void *p, size_t len);
	int (*step)(struct db_stmt *s);                                   /* enum db_step */
	int64_t (*column_int64)(struct db_stmt *s, int col);              /* NULL reads 0 */
	const char *(*column_text)(struct db_stmt *s, int col);           /* NULL for NULL */
	void (*reset)(struct db_stmt *s);                                 /* and unbind */
	int64_t (*changes)(struct store *st);    /* rows the last statement changed */
	bool (*in_transaction)(struct store *st);
	bool (*busy)(struct store *st);          /* the last error: a lock held elsewhere */
	const char *(*errmsg)(const struct store *st);
	void (*close)(struct store *st);
	int (*user_version)(struct store *st);   /* the schema version found */
	const char *begin_sql;
};

extern const struct db_driver store_sqlite_driver;
extern const struct db_driver store_pg_driver;

struct store {
	const struct db_driver *drv;
	void *conn;                      /* sqlite3 * or PGconn *, the driver's */
	struct db_stmt *stmt[SQ_COUNT];
	uint64_t taken_ns[SQ_COUNT];     /* when each statement was taken (store_stmt) */
	int claim_fd;                    /* store_claim's lock, or -1 */
	int wal_frames;                  /* SQLite: the WAL's frames at the last commit */
	uint64_t wal_commits;            /* SQLite: commits that wrote to the WAL */
	struct store_stats stats;
};

/* The cached statement for id, prepared from sql on first use; NULL on error
 * (logged).  Hand it back with store_done (reset + clear bindings), which counts
 * the time since it was taken in st's stats. */
struct db_stmt *store_stmt(struct store *st, enum store_stmt id, const char *sql);
void store_done(struct store *st, struct db_stmt *s);
/* Log the connection's current error, naming what failed; returns STORE_ERROR. */
int store_fail(struct store *st, const char *what);

/* Run a statement that returns no rows (one step), then store_done it.
 * STORE_OK, STORE_EXISTS on a UNIQUE/PRIMARY KEY violation, STORE_NOT_FOUND on a
 * FOREIGN KEY violation (the row referred to is missing), or STORE_ERROR. */
int store_exec_stmt(struct store *st, struct db_stmt *s, const char *what);

/* The driver's calls on a statement. */
static inline void db_bind_int64(struct db_stmt *s, int idx, int64_t v)
{
	s->drv->bind_int64(s, idx, v);
}
static inline void db_bind_text(struct db_stmt *s, int idx, const char *text)
{
	s->drv->bind_text(s, idx, text);
}
static inline void db_bind_blob(struct db_stmt *s, int idx, const void *p, size_t len)
{
	s->drv->bind_blob(s, idx, p, len);
}
static inline int db_step(struct db_stmt *s)
{
	return s->drv->step(s);
}
static inline int64_t db_column_int64(struct db_stmt *s, int col)
{
	return s->drv->column_int64(s, col);
}
static inline int db_column_int(struct db_stmt *s, int col)
{
	return (int)s->drv->column_int64(s, col);
}
static inline const char *db_column_text(struct db_stmt *s, int col)
{
	return s->drv->column_text(s, col);
}
static inline int64_t db_changes(struct store *st)
{
	return st->drv->changes(st);
}

/* SQLite only (sqlite.c): the single integer a pragma or query on db returns (its
 * first column of its first row); -1 on error or no row.  For one-off statements,
 * not the cache. */
struct sqlite3;
int64_t store_query_int(struct sqlite3 *db, const char *sql);
/* Open the SQLite file at path into st (conn, drv), pragmas and schema done. */
int store_sqlite_open(struct store *st, const char *path, char *err, size_t errlen);
/* Open the PostgreSQL database at url into st, schema done. */
int store_pg_open(struct store *st, const char *url, char *err, size_t errlen);


#endif
