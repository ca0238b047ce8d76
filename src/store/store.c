/* The store: open, pragmas, schema migrations, the statement cache, close. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/internal.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Milliseconds a statement waits for another connection's lock (the sysop's
 * `carrier user` command) before failing with SQLITE_BUSY.  It blocks the loop while
 * it waits, so it is kept short; writers hold locks for microseconds. */
#define BUSY_TIMEOUT_MS 2000

/* The schema, one step per version: step i takes user_version i to i + 1.  Steps
 * are only ever appended; a released step is never edited. */
static const char *const migrations[] = {
	/* 1: users, logins, tokens, chat */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  handle TEXT NOT NULL COLLATE NOCASE UNIQUE,"
	"  pwhash TEXT NOT NULL,"
	"  location TEXT NOT NULL DEFAULT '',"
	"  level INTEGER NOT NULL DEFAULT 0,"
	"  calls INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  last_on INTEGER NOT NULL DEFAULT 0,"
	"  failed_logins INTEGER NOT NULL DEFAULT 0,"
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  charset INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE logins ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  time INTEGER NOT NULL,"
	"  node INTEGER NOT NULL"
	");"
	"CREATE INDEX logins_user ON logins(user_id);"
	"CREATE TABLE tokens ("
	"  hash BLOB PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  expires INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX tokens_user ON tokens(user_id);"
	"CREATE INDEX tokens_expires ON tokens(expires);"
	"CREATE TABLE chat ("
	"  seq INTEGER PRIMARY KEY,"
	"  ts_ms INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  target TEXT,"
	"  text TEXT NOT NULL"
	");",
	/* 2: chat scrollback per room (rows from before are the default room's, key '') */
	"CREATE TABLE chat_rooms ("
	"  id INTEGER PRIMARY KEY,"
	"  room TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  ts_ms INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  target TEXT,"
	"  text TEXT NOT NULL,"
	"  UNIQUE (room, seq)"
	");"
	"INSERT INTO chat_rooms (room, seq, ts_ms, kind, sender, target, text)"
	"  SELECT '', seq, ts_ms, kind, sender, target, text FROM chat ORDER BY seq;"
	"DROP TABLE chat;"
	"ALTER TABLE chat_rooms RENAME TO chat;",
	/* 3: what a caller controls in the chat, topics kept, telegrams */
	"CREATE TABLE chat_topics ("
	"  room TEXT PRIMARY KEY,"
	"  topic TEXT NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE ignores ("
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  handle TEXT NOT NULL COLLATE NOCASE,"
	"  added INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, handle)"
	") WITHOUT ROWID;"
	"CREATE TABLE telegrams ("
	"  id INTEGER PRIMARY KEY,"
	"  to_user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  sender TEXT NOT NULL COLLATE NOCASE,"
	"  text TEXT NOT NULL,"
	"  sent INTEGER NOT NULL,"
	"  read INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX telegrams_to ON telegrams(to_user, id);"
	"CREATE INDEX telegrams_sender ON telegrams(sender, sent);"
	"ALTER TABLE users ADD COLUMN chat_bell INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN chat_quiet INTEGER NOT NULL DEFAULT 0;",
	/* 4: bans, and the audit log of what sysops and moderators did */
	"ALTER TABLE users ADD COLUMN banned_until INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN ban_reason TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  reason TEXT NOT NULL"
	");"
	"CREATE INDEX audit_at ON audit(at);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

const char *store_sqlite_version(void)
{
	return sqlite3_libversion();
}

int store_schema_version(void)
{
	return N_MIGRATIONS;
}

const char *store_errmsg(const struct store *st)
{
	return sqlite3_errmsg(st->db);
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
	int code = sqlite3_errcode(st->db) & 0xff;
	st->stats.errors++;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		st->stats.busy++;
	log_error("event=db_error what=%s error=%s", LOG_Q(what), LOG_Q(sqlite3_errmsg(st->db)));
	return STORE_ERROR;
}

sqlite3_stmt *store_stmt(struct store *st, enum store_stmt id, const char *sql)
{
	assert(id >= 0 && id < SQ_COUNT);
	if (st->stmt[id] == NULL) {
		if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                       &st->stmt[id], NULL) != SQLITE_OK) {
			store_fail(st, sql);
			st->stmt[id] = NULL;
			return NULL;
		}
	}
	st->taken_ns[id] = mono_ns();
	return st->stmt[id];
}

void store_done(struct store *st, sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	for (int i = 0; i < SQ_COUNT; i++) {
		if (st->stmt[i] == s) {
			hist_add(&st->stats.statement, mono_ns() - st->taken_ns[i]);
			break;
		}
	}
}

int store_bind_text(sqlite3_stmt *s, int idx, const char *text)
{
	if (text == NULL)
		return sqlite3_bind_null(s, idx);
	return sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
}

int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	int ret = STORE_OK;

	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		ret = STORE_EXISTS;
	else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		ret = STORE_NOT_FOUND;    /* the row it refers to does not exist */
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store_fail(st, what);
	store_done(st, s);
	return ret;
}

int store_begin(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQ_BEGIN, "BEGIN IMMEDIATE");
	if (s == NULL)
		return STORE_ERROR;
	return store_exec_stmt(st, s, "begin");
}

int store_commit(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQ_COMMIT, "COMMIT");
	if (s == NULL)
		return STORE_ERROR;
	return store_exec_stmt(st, s, "commit");
}

void store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return;    /* SQLite already rolled back (e.g. on SQLITE_FULL) */
	sqlite3_stmt *s = store_stmt(st, SQ_ROLLBACK, "ROLLBACK");
	if (s != NULL)
		store_exec_stmt(st, s, "rollback");
}

/* ---- opening ---------------------------------------------------------------- */

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int ret = 0;

	if (slash == NULL || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s", dir,
			         strerror(errno));
			ret = -1;
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
out:
	free(dir);
	return ret;
}

/* The single integer a pragma or query returns; -1 on error. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int store_user_version(struct store *st)
{
	return (int)query_int(st->db, "PRAGMA user_version");
}

static int set_wal(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int ret = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		goto fail;
	}
	const char *mode = (const char *)sqlite3_column_text(s, 0);
	if (mode != NULL && strcmp(mode, "wal") == 0)
		ret = 0;
	else if (mode != NULL && strcmp(mode, "memory") == 0 && strcmp(path, ":memory:") == 0)
		ret = 0;    /* an in-memory database has no journal to speak of */
	else
		snprintf(err, errlen, "%s: cannot switch to WAL (journal mode %s)", path,
		         mode ? mode : "?");
	sqlite3_finalize(s);
	return ret;
fail:
	snprintf(err, errlen, "%s: journal_mode: %s", path, sqlite3_errmsg(db));
	return -1;
}

/* Bring the schema to N_MIGRATIONS, in one write transaction. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char *msg = NULL;
	int64_t v = query_int(db, "PRAGMA user_version");

	if (v < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (v > N_MIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %lld is newer than this carrier's (%d)",
		         path, (long long)v, N_MIGRATIONS);
		return -1;
	}
	if (v == N_MIGRATIONS)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	/* Another process may have migrated between the read and the lock. */
	v = query_int(db, "PRAGMA user_version");
	if (v < 0 || v > N_MIGRATIONS)
		goto rollback;
	for (int64_t i = v; i < N_MIGRATIONS; i++) {
		char pragma[64];
		if (sqlite3_exec(db, migrations[i], NULL, NULL, &msg) != SQLITE_OK)
			goto rollback;
		/* PRAGMA takes no parameters; the value is our own loop counter. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %lld", (long long)i + 1);
		if (sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK)
			goto rollback;
		log_info("event=db_schema path=%s version=%lld", LOG_Q(path), (long long)i + 1);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto rollback;
	return 0;
rollback:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
fail:
	snprintf(err, errlen, "%s: migrating the schema: %s", path,
	         msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));
	st->claim_fd = -1;
	char *msg = NULL;
	bool memory = strcmp(path, ":memory:") == 0;
	int rc;

	if (!memory && make_parent_dirs(path, err, errlen) != 0)
		goto fail;
	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (set_wal(st->db, path, err, errlen) != 0)
		goto fail;
	if (sqlite3_exec(st->db,
	                 "PRAGMA synchronous = NORMAL;"
	                 "PRAGMA foreign_keys = ON;"
	                 "PRAGMA trusted_schema = OFF;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (query_int(st->db, "PRAGMA foreign_keys") != 1) {
		snprintf(err, errlen, "%s: this SQLite does not enforce foreign keys", path);
		goto fail;
	}
	if (migrate(st->db, path, err, errlen) != 0)
		goto fail;
	return st;
fail:
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st);
	return NULL;
}

void store_manual_checkpoints(struct store *st)
{
	sqlite3_wal_autocheckpoint(st->db, 0);
}

int store_checkpoint_path(const char *path, int *pages)
{
	sqlite3 *db = NULL;
	int frames = 0, done = 0;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
		/* A fresh connection learns the file is in WAL mode only when it first
		 * reads; until then a checkpoint quietly does nothing. */
		rc = sqlite3_exec(db, "PRAGMA journal_mode", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
			                               &done);
	}
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		log_warn("event=checkpoint_failed path=%s error=%s", LOG_Q(path),
		         LOG_Q(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
		sqlite3_close(db);
		return STORE_ERROR;
	}
	sqlite3_close(db);
	if (pages)
		*pages = done;
	return STORE_OK;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* Fold the WAL into the main file so the database is one file at rest.  Busy
	 * (another process reading) is fine: the WAL stays and is replayed later. */
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                                   NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		log_warn("event=checkpoint_failed error=%s", LOG_Q(sqlite3_errmsg(st->db)));
	rc = sqlite3_close(st->db);
	assert(rc == SQLITE_OK);    /* every statement is finalized above */
	(void)rc;
	/* Only now: closing another descriptor of the file while SQLite still held
	 * its (POSIX) locks on it would drop them. */
	if (st->claim_fd >= 0)
		close(st->claim_fd);
	free(st);
}
