/* The SQLite driver: one file, WAL journal, schema versions by PRAGMA user_version;
 * the statements of the table files run as written. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

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
_Static_assert(N_MIGRATIONS == STORE_SCHEMA, "one schema version, both engines");

const char *store_sqlite_version(void)
{
	return sqlite3_libversion();
}

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

int64_t store_query_int(struct sqlite3 *db, const char *sql)
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
	int64_t v = store_query_int(db, "PRAGMA user_version");

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
	v = store_query_int(db, "PRAGMA user_version");
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

/* ---- the driver ------------------------------------------------------------- */

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *s;
};

static sqlite3 *conn(const struct store *st)
{
	return st->conn;
}

static sqlite3_stmt *sq(struct db_stmt *s)
{
	return ((struct sq_stmt *)s)->s;
}

static struct db_stmt *sq_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v3(conn(st), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		return NULL;
	struct sq_stmt *t = xcalloc(1, sizeof(*t));
	t->base.drv = &store_sqlite_driver;
	t->base.st = st;
	t->s = s;
	return &t->base;
}

static void sq_finalize(struct db_stmt *s)
{
	sqlite3_finalize(sq(s));
	free(s);
}

static void sq_bind_int64(struct db_stmt *s, int idx, int64_t v)
{
	sqlite3_bind_int64(sq(s), idx, v);
}

static void sq_bind_text(struct db_stmt *s, int idx, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(sq(s), idx);
	else
		sqlite3_bind_text(sq(s), idx, text, -1, SQLITE_TRANSIENT);
}

static void sq_bind_blob(struct db_stmt *s, int idx, const void *p, size_t len)
{
	sqlite3_bind_blob(sq(s), idx, p, (int)len, SQLITE_TRANSIENT);
}

static int sq_step(struct db_stmt *s)
{
	int rc = sqlite3_step(sq(s));
	switch (rc) {
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_UNIQUE;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return DB_FOREIGN;
	default:
		return DB_ERROR;
	}
}

static int64_t sq_column_int64(struct db_stmt *s, int col)
{
	return sqlite3_column_int64(sq(s), col);
}

static const char *sq_column_text(struct db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(sq(s), col);
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(sq(s));
	sqlite3_clear_bindings(sq(s));
}

static int64_t sq_changes(struct store *st)
{
	return sqlite3_changes64(conn(st));
}

static bool sq_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(conn(st));
}

static bool sq_busy(struct store *st)
{
	int code = sqlite3_errcode(conn(st)) & 0xff;
	return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

static const char *sq_errmsg(const struct store *st)
{
	return sqlite3_errmsg(conn(st));
}

static void sq_close(struct store *st)
{
	/* Fold the WAL into the main file so the database is one file at rest.  Busy
	 * (another process reading) is fine: the WAL stays and is replayed later. */
	int rc = sqlite3_wal_checkpoint_v2(conn(st), NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                                   NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		log_warn("event=checkpoint_failed error=%s", LOG_Q(sqlite3_errmsg(conn(st))));
	rc = sqlite3_close(conn(st));
	assert(rc == SQLITE_OK);    /* every statement is finalized before */
	(void)rc;
	st->conn = NULL;
}

static int sq_user_version(struct store *st)
{
	return (int)store_query_int(conn(st), "PRAGMA user_version");
}

const struct db_driver store_sqlite_driver = {
	.name = "sqlite",
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.column_int64 = sq_column_int64,
	.column_text = sq_column_text,
	.reset = sq_reset,
	.changes = sq_changes,
	.in_transaction = sq_in_transaction,
	.busy = sq_busy,
	.errmsg = sq_errmsg,
	.close = sq_close,
	.user_version = sq_user_version,
	.begin_sql = "BEGIN IMMEDIATE",
};

/* ---- opening ---------------------------------------------------------------- */

int store_sqlite_open(struct store *st, const char *path, char *err, size_t errlen)
{
	char *msg = NULL;
	bool memory = strcmp(path, ":memory:") == 0;
	sqlite3 *db = NULL;
	int rc;

	if (!memory && make_parent_dirs(path, err, errlen) != 0)
		return -1;
	rc = sqlite3_open_v2(path, &db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (set_wal(db, path, err, errlen) != 0)
		goto fail;
	if (sqlite3_exec(db,
	                 "PRAGMA synchronous = NORMAL;"
	                 "PRAGMA foreign_keys = ON;"
	                 "PRAGMA trusted_schema = OFF;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		goto fail;
	}
	if (store_query_int(db, "PRAGMA foreign_keys") != 1) {
		snprintf(err, errlen, "%s: this SQLite does not enforce foreign keys", path);
		goto fail;
	}
	if (migrate(db, path, err, errlen) != 0)
		goto fail;
	st->drv = &store_sqlite_driver;
	st->conn = db;
	return 0;
fail:
	if (db != NULL)
		sqlite3_close(db);
	return -1;
}


/* After every commit on the connection that wrote to the WAL: how long it has
 * grown.  SQLite's automatic checkpoint is itself a WAL hook, so setting ours
 * turns it off (and a later PRAGMA wal_autocheckpoint would replace ours). */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	struct store *st = arg;
	st->wal_frames = frames;
	st->wal_commits++;
	return SQLITE_OK;
}

void store_manual_checkpoints(struct store *st)
{
	if (st->drv != &store_sqlite_driver)
		return;
	sqlite3_wal_autocheckpoint(conn(st), 0);
	sqlite3_wal_hook(conn(st), wal_hook, st);
}

int store_wal_frames(const struct store *st)
{
	return st->wal_frames;
}

uint64_t store_wal_commits(const struct store *st)
{
	return st->wal_commits;
}

struct store_checkpointer {
	char *path;
	sqlite3 *db;            /* NULL until the first checkpoint, and after a failure */
};

struct store_checkpointer *store_checkpointer_new(const char *path)
{
	struct store_checkpointer *c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	return c;
}

void store_checkpointer_free(struct store_checkpointer *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

int store_checkpoint(struct store_checkpointer *c, int *pages, bool *all)
{
	int frames = 0, done = 0, rc = SQLITE_OK;
	if (all)
		*all = false;
	if (c->db == NULL) {
		rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                     NULL);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
			/* A fresh connection learns the file is in WAL mode only when it
			 * first reads; until then a checkpoint quietly does nothing.  So a
			 * connection is kept only once it has read (BUSY included: it is
			 * opened afresh next time). */
			rc = sqlite3_exec(c->db, "PRAGMA journal_mode", NULL, NULL, NULL);
		}
		if (rc != SQLITE_OK) {
			if (rc != SQLITE_BUSY)
				log_warn("event=checkpoint_failed path=%s error=%s", LOG_Q(c->path),
				         LOG_Q(c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)));
			sqlite3_close(c->db);
			c->db = NULL;
			return rc == SQLITE_BUSY ? STORE_OK : STORE_ERROR;
		}
	}
	rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		log_warn("event=checkpoint_failed path=%s error=%s", LOG_Q(c->path),
		         LOG_Q(sqlite3_errmsg(c->db)));
		sqlite3_close(c->db);
		c->db = NULL;           /* opened afresh next time */
		return STORE_ERROR;
	}
	if (pages)
		*pages = done;
	if (all)
		*all = rc == SQLITE_OK && done == frames;
	return STORE_OK;
}
