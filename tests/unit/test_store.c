/* The store: schema, users, logins, tokens, chat, on a real file in a temp dir,
 * then the same tests (those that are not about SQLite's file) on a real
 * PostgreSQL of the test's own (tests/lib/pg.sh: initdb and pg_ctl in a temporary
 * directory), skipped where PostgreSQL is not installed.  (The test reads the
 * database directly only to check what the store promises about it: WAL,
 * user_version, integrity, rows gone.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/stats.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char path[256];          /* the SQLite file, or the PostgreSQL URL */
	struct store *st;
};

/* The PostgreSQL of this run (started by main), or "" when there is none. */
static char pg_dir[64];
static char pg_url[256];

static void rm_rf(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/carrier-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/data/carrier.db", f->dir);
	f->st = store_open(f->path, err, sizeof(err));
	if (f->st == NULL)
		fail_msg("store_open: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* A fresh database on the run's PostgreSQL: its public schema dropped and made
 * again, so each test starts from nothing. */
static int pg_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	*state = f;
	if (pg_url[0] == '\0')
		return 0;    /* the test skips */
	snprintf(f->path, sizeof(f->path), "%s", pg_url);
	PGconn *c = PQconnectdb(pg_url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	PGresult *r = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("resetting the schema: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	f->st = store_open(f->path, err, sizeof(err));
	if (f->st == NULL)
		fail_msg("store_open: %s", err);
	return 0;
}

static int pg_teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	free(f);
	return 0;
}

static void reopen(struct fx *f)
{
	char err[256] = "";
	store_close(f->st);
	f->st = store_open(f->path, err, sizeof(err));
	if (f->st == NULL)
		fail_msg("store_open again: %s", err);
}

static int64_t add(struct store *st, const char *handle)
{
	int64_t id = 0;
	assert_int_equal(store_user_create(st, handle, "$argon2id$fake", "Here", 10, 1000, &id),
	                 STORE_OK);
	assert_true(id > 0);
	return id;
}

static int64_t pg_side_int(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	int64_t v = -1;
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

/* An integer from a read-only side connection (what another process would see). */
static int64_t side_int(const char *path, const char *sql)
{
	if (store_is_url(path))
		return pg_side_int(path, sql);
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static char *side_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* ---- open / schema ------------------------------------------------------------ */

static void test_open_creates_file_and_dirs(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	char nested[192], err[256] = "";

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(store_user_version(f->st), store_schema_version());
	assert_true(store_schema_version() >= 1);
	assert_int_equal(side_int(f->path, "PRAGMA user_version"), store_schema_version());
	char *mode = side_text(f->path, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);

	snprintf(nested, sizeof(nested), "%s/a/b/c/x.db", f->dir);
	struct store *st = store_open(nested, err, sizeof(err));
	assert_non_null(st);
	store_close(st);
	assert_int_equal(stat(nested, &sb), 0);
	/* Closed: the WAL was checkpointed and removed. */
	snprintf(nested, sizeof(nested), "%s/a/b/c/x.db-wal", f->dir);
	assert_int_not_equal(stat(nested, &sb), 0);
}

static void test_open_empty_file_migrates(void **state)
{
	struct fx *f = *state;
	char path[192], err[256] = "";

	snprintf(path, sizeof(path), "%s/empty.db", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	struct store *st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_user_version(st), store_schema_version());
	assert_int_equal(store_user_count(st), 0);
	int64_t id;
	assert_int_equal(store_user_create(st, "alice", "h", NULL, 1, 5, &id), STORE_OK);
	store_close(st);
	char *ok = side_text(path, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	free(ok);
}

static void test_open_refuses(void **state)
{
	struct fx *f = *state;
	char path[192], err[256] = "";
	sqlite3 *db;

	/* A database from the future. */
	snprintf(path, sizeof(path), "%s/future.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));

	/* Not a database. */
	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, not even close; padding padding padding "
	      "padding padding padding padding padding padding padding padding\n", fp);
	fclose(fp);
	err[0] = '\0';
	assert_null(store_open(path, err, sizeof(err)));
	assert_true(err[0] != '\0');

	/* A parent that is a file. */
	snprintf(path, sizeof(path), "%s/junk.db/sub/x.db", f->dir);
	err[0] = '\0';
	assert_null(store_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "directory"));
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	uint8_t h[32];

	int64_t id = add(f->st, "Keeper");
	memset(h, 7, sizeof(h));
	assert_int_equal(store_token_add(f->st, h, id, 5000), STORE_OK);
	assert_int_equal(store_chat_append(f->st, "", 1, 10, 0, "Keeper", NULL, "hi"), STORE_OK);
	assert_int_equal(store_user_record_login(f->st, id, 2000, 3), STORE_OK);
	reopen(f);
	assert_int_equal(store_user_get(f->st, "keeper", &u), STORE_OK);
	assert_int_equal(u.id, id);
	assert_int_equal(u.calls, 1);
	int64_t uid = 0;
	assert_int_equal(store_token_lookup(f->st, h, 3000, &uid), STORE_OK);
	assert_int_equal(uid, id);
	assert_int_equal(store_chat_max_seq(f->st, ""), 1);
	assert_int_equal(store_user_version(f->st), store_schema_version());
}

/* ---- users --------------------------------------------------------------------- */

static void test_user_create_get(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id = 0;

	assert_int_equal(store_user_create(f->st, "Dark Knight", "$argon2id$v=19$x",
	                                   "Gotham", 20, 1234, &id), STORE_OK);
	assert_int_equal(store_user_get(f->st, "Dark Knight", &u), STORE_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.handle, "Dark Knight");
	assert_string_equal(u.pwhash, "$argon2id$v=19$x");
	assert_string_equal(u.location, "Gotham");
	assert_int_equal(u.level, 20);
	assert_int_equal(u.created, 1234);
	assert_int_equal(u.calls, 0);
	assert_int_equal(u.last_on, 0);
	assert_int_equal(u.failed_logins, 0);
	assert_int_equal(u.locked_until, 0);
	assert_int_equal(u.charset, CHARSET_UNKNOWN);

	/* Case-insensitive lookup and uniqueness. */
	assert_int_equal(store_user_get(f->st, "dARK kNIGHT", &u), STORE_OK);
	assert_string_equal(u.handle, "Dark Knight");
	assert_int_equal(store_user_create(f->st, "DARK KNIGHT", "h", NULL, 1, 1, NULL),
	                 STORE_EXISTS);
	assert_int_equal(store_user_create(f->st, "dark knight", "h", NULL, 1, 1, NULL),
	                 STORE_EXISTS);
	assert_int_equal(store_user_count(f->st), 1);

	assert_int_equal(store_user_get(f->st, "Dark", &u), STORE_NOT_FOUND);
	assert_int_equal(store_user_get(f->st, "Dark Knight ", &u), STORE_NOT_FOUND);
	assert_int_equal(store_user_get_by_id(f->st, id, &u), STORE_OK);
	assert_string_equal(u.handle, "Dark Knight");
	assert_int_equal(store_user_get_by_id(f->st, id + 100, &u), STORE_NOT_FOUND);

	/* NULL location is empty. */
	int64_t id2;
	assert_int_equal(store_user_create(f->st, "Nomad", "h", NULL, 1, 1, &id2), STORE_OK);
	assert_true(id2 != id);
	assert_int_equal(store_user_get_by_id(f->st, id2, &u), STORE_OK);
	assert_string_equal(u.location, "");
}

static void test_user_create_invalid(void **state)
{
	struct fx *f = *state;
	char big[300];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_user_create(f->st, "", "h", NULL, 1, 1, NULL), STORE_INVALID);
	big[STORE_HANDLE_MAX] = '\0';    /* 32 chars: one too many */
	assert_int_equal(store_user_create(f->st, big, "h", NULL, 1, 1, NULL), STORE_INVALID);
	big[STORE_HANDLE_MAX - 1] = '\0';
	assert_int_equal(store_user_create(f->st, big, "h", NULL, 1, 1, NULL), STORE_OK);
	memset(big, 'b', sizeof(big) - 1);
	big[STORE_PWHASH_MAX] = '\0';
	assert_int_equal(store_user_create(f->st, "x1", big, NULL, 1, 1, NULL), STORE_INVALID);
	big[STORE_LOCATION_MAX] = '\0';
	assert_int_equal(store_user_create(f->st, "x1", "h", big, 1, 1, NULL), STORE_INVALID);
	assert_int_equal(store_user_count(f->st), 1);
}

static void test_user_sql_is_data(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	const char *evil = "x'); DROP TABLE users;--";

	int64_t id = add(f->st, evil);
	assert_int_equal(store_user_get(f->st, evil, &u), STORE_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.handle, evil);
	assert_int_equal(store_user_count(f->st), 1);
}

static void test_user_updates(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id = add(f->st, "Updater");

	assert_int_equal(store_user_set_password(f->st, id, "new-hash"), STORE_OK);
	assert_int_equal(store_user_set_level(f->st, id, 99), STORE_OK);
	assert_int_equal(store_user_set_location(f->st, id, "Elsewhere"), STORE_OK);
	assert_int_equal(store_user_set_charset(f->st, id, CHARSET_CP437), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, id, &u), STORE_OK);
	assert_string_equal(u.pwhash, "new-hash");
	assert_int_equal(u.level, 99);
	assert_string_equal(u.location, "Elsewhere");
	assert_int_equal(u.charset, CHARSET_CP437);
	assert_int_equal(store_user_set_charset(f->st, id, (enum charset)7), STORE_INVALID);
	assert_int_equal(store_user_set_location(f->st, id, NULL), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, id, &u), STORE_OK);
	assert_string_equal(u.location, "");
	assert_int_equal(u.charset, CHARSET_CP437);

	assert_int_equal(store_user_set_password(f->st, id + 1, "x"), STORE_NOT_FOUND);
	assert_int_equal(store_user_set_level(f->st, id + 1, 1), STORE_NOT_FOUND);
	assert_int_equal(store_user_set_location(f->st, id + 1, "x"), STORE_NOT_FOUND);
	assert_int_equal(store_user_set_charset(f->st, id + 1, CHARSET_UTF8), STORE_NOT_FOUND);
}

struct names {
	char handle[8][32];
	int64_t id[8];
	int n;
};

static void collect_user(void *ud, const struct store_user *u)
{
	struct names *n = ud;
	assert_true(n->n < 8);
	snprintf(n->handle[n->n], sizeof(n->handle[0]), "%s", u->handle);
	n->id[n->n++] = u->id;
}

static void test_user_list_delete(void **state)
{
	struct fx *f = *state;
	struct names n = { .n = 0 };
	struct store_user u;
	uint8_t h[32];

	int64_t a = add(f->st, "Alpha");
	int64_t b = add(f->st, "Bravo");
	int64_t c = add(f->st, "Charlie");
	assert_int_equal(store_user_list(f->st, collect_user, &n), STORE_OK);
	assert_int_equal(n.n, 3);
	assert_string_equal(n.handle[0], "Alpha");
	assert_string_equal(n.handle[1], "Bravo");
	assert_string_equal(n.handle[2], "Charlie");
	assert_int_equal(n.id[0], a);

	/* Delete takes the user's tokens and logins with it. */
	memset(h, 1, sizeof(h));
	assert_int_equal(store_token_add(f->st, h, b, 9999), STORE_OK);
	assert_int_equal(store_user_record_login(f->st, b, 100, 1), STORE_OK);
	assert_int_equal(store_user_delete(f->st, b), STORE_OK);
	assert_int_equal(store_user_delete(f->st, b), STORE_NOT_FOUND);
	assert_int_equal(store_user_get(f->st, "bravo", &u), STORE_NOT_FOUND);
	assert_int_equal(store_token_lookup(f->st, h, 0, NULL), STORE_NOT_FOUND);
	assert_int_equal(side_int(f->path, "SELECT count(*) FROM logins"), 0);
	n.n = 0;
	assert_int_equal(store_user_list(f->st, collect_user, &n), STORE_OK);
	assert_int_equal(n.n, 2);
	assert_int_equal(n.id[1], c);
	assert_int_equal(store_user_count(f->st), 2);
	/* The handle is free again. */
	add(f->st, "BRAVO");
}

/* ---- logins -------------------------------------------------------------------- */

struct callers {
	char handle[8][32];
	char location[8][64];
	int64_t time[8];
	int node[8];
	int n;
};

static void collect_caller(void *ud, const struct store_caller *c)
{
	struct callers *cs = ud;
	if (cs->n >= 8) {
		cs->n++;
		return;
	}
	snprintf(cs->handle[cs->n], sizeof(cs->handle[0]), "%s", c->handle);
	snprintf(cs->location[cs->n], sizeof(cs->location[0]), "%s", c->location);
	cs->time[cs->n] = c->time;
	cs->node[cs->n] = c->node;
	cs->n++;
}

static void test_record_login_last_callers(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	struct callers cs = { .n = 0 };

	int64_t a = add(f->st, "Ann");
	int64_t b = add(f->st, "Bob");
	assert_int_equal(store_user_record_failure(f->st, a, 50, 5, 60), STORE_OK);
	assert_int_equal(store_user_record_login(f->st, a, 100, 1), STORE_OK);
	assert_int_equal(store_user_record_login(f->st, b, 200, 2), STORE_OK);
	assert_int_equal(store_user_record_login(f->st, a, 300, 4), STORE_OK);
	assert_int_equal(store_user_record_login(f->st, a + b + 10, 400, 1), STORE_NOT_FOUND);

	assert_int_equal(store_user_get_by_id(f->st, a, &u), STORE_OK);
	assert_int_equal(u.calls, 2);
	assert_int_equal(u.last_on, 300);
	assert_int_equal(u.failed_logins, 0);

	assert_int_equal(store_last_callers(f->st, 10, collect_caller, &cs), STORE_OK);
	assert_int_equal(cs.n, 3);
	assert_string_equal(cs.handle[0], "Ann");
	assert_int_equal(cs.time[0], 300);
	assert_int_equal(cs.node[0], 4);
	assert_string_equal(cs.location[0], "Here");
	assert_string_equal(cs.handle[1], "Bob");
	assert_int_equal(cs.node[1], 2);
	assert_string_equal(cs.handle[2], "Ann");
	assert_int_equal(cs.time[2], 100);

	cs.n = 0;
	assert_int_equal(store_last_callers(f->st, 2, collect_caller, &cs), STORE_OK);
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.time[1], 200);
	cs.n = 0;
	assert_int_equal(store_last_callers(f->st, 0, collect_caller, &cs), STORE_OK);
	assert_int_equal(cs.n, 0);
}

static void count_caller(void *ud, const struct store_caller *c)
{
	(void)c;
	(*(int *)ud)++;
}

static void test_logins_trimmed(void **state)
{
	struct fx *f = *state;
	int n = 0;
	int64_t a = add(f->st, "Regular");

	for (int i = 0; i < STORE_LOGINS_KEEP + 25; i++)
		assert_int_equal(store_user_record_login(f->st, a, i, 1), STORE_OK);
	assert_int_equal(store_last_callers(f->st, STORE_LOGINS_KEEP * 2, count_caller, &n),
	                 STORE_OK);
	assert_int_equal(n, STORE_LOGINS_KEEP);
	assert_int_equal(side_int(f->path, "SELECT min(time) FROM logins"), 25);
}

static void test_record_failure_locks(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t a = add(f->st, "Forgetful");

	assert_int_equal(store_user_record_failure(f->st, a, 1000, 3, 600), STORE_OK);
	assert_int_equal(store_user_record_failure(f->st, a, 1001, 3, 600), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, a, &u), STORE_OK);
	assert_int_equal(u.failed_logins, 2);
	assert_int_equal(u.locked_until, 0);
	assert_int_equal(store_user_record_failure(f->st, a, 1002, 3, 600), STORE_LOCKED);
	assert_int_equal(store_user_get_by_id(f->st, a, &u), STORE_OK);
	assert_int_equal(u.failed_logins, 0);
	assert_int_equal(u.locked_until, 1602);
	/* After the lock, counting starts over. */
	assert_int_equal(store_user_record_failure(f->st, a, 2000, 3, 600), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, a, &u), STORE_OK);
	assert_int_equal(u.failed_logins, 1);
	assert_int_equal(u.locked_until, 1602);
	/* A login clears both. */
	assert_int_equal(store_user_record_login(f->st, a, 2100, 1), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, a, &u), STORE_OK);
	assert_int_equal(u.failed_logins, 0);
	assert_int_equal(u.locked_until, 0);
	/* max 0: never locks. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(store_user_record_failure(f->st, a, 3000, 0, 600), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, a, &u), STORE_OK);
	assert_int_equal(u.failed_logins, 10);
	assert_int_equal(u.locked_until, 0);
	assert_int_equal(store_user_record_failure(f->st, a + 1, 3000, 3, 600), STORE_NOT_FOUND);
}

/* ---- tokens ------------------------------------------------------------------- */

static void test_tokens(void **state)
{
	struct fx *f = *state;
	uint8_t h1[32], h2[32], h3[32], h4[32];
	int64_t uid = 0;

	memset(h1, 0xa1, 32);
	memset(h2, 0xa2, 32);
	memset(h3, 0xa3, 32);
	memset(h4, 0xa4, 32);
	int64_t a = add(f->st, "Tok");
	int64_t b = add(f->st, "Ken");
	assert_int_equal(store_token_add(f->st, h1, a, 1000), STORE_OK);
	assert_int_equal(store_token_add(f->st, h2, a, 2000), STORE_OK);
	assert_int_equal(store_token_add(f->st, h3, b, 3000), STORE_OK);
	assert_int_equal(store_token_add(f->st, h3, a, 3000), STORE_EXISTS);
	assert_int_equal(store_token_add(f->st, h4, a + b + 100, 3000), STORE_NOT_FOUND);

	assert_int_equal(store_token_lookup(f->st, h1, 999, &uid), STORE_OK);
	assert_int_equal(uid, a);
	/* Expired at expires. */
	assert_int_equal(store_token_lookup(f->st, h1, 1000, &uid), STORE_NOT_FOUND);
	assert_int_equal(store_token_lookup(f->st, h4, 0, &uid), STORE_NOT_FOUND);
	assert_int_equal(store_token_lookup(f->st, h3, 0, &uid), STORE_OK);
	assert_int_equal(uid, b);

	/* Only the hash matters, all 32 bytes of it. */
	uint8_t near[32];
	memcpy(near, h3, 32);
	near[31] ^= 1;
	assert_int_equal(store_token_lookup(f->st, near, 0, &uid), STORE_NOT_FOUND);

	assert_int_equal(store_token_revoke(f->st, h3), STORE_OK);
	assert_int_equal(store_token_revoke(f->st, h3), STORE_OK);
	assert_int_equal(store_token_lookup(f->st, h3, 0, &uid), STORE_NOT_FOUND);

	assert_int_equal(store_token_purge(f->st, 1500), 1);    /* h1 */
	assert_int_equal(store_token_purge(f->st, 1500), 0);
	assert_int_equal(store_token_lookup(f->st, h2, 1500, &uid), STORE_OK);
	assert_int_equal(store_token_add(f->st, h1, a, 5000), STORE_OK);
	assert_int_equal(store_token_add(f->st, h3, b, 5000), STORE_OK);
	assert_int_equal(store_token_revoke_user(f->st, a), STORE_OK);
	assert_int_equal(store_token_lookup(f->st, h1, 0, &uid), STORE_NOT_FOUND);
	assert_int_equal(store_token_lookup(f->st, h2, 0, &uid), STORE_NOT_FOUND);
	assert_int_equal(store_token_lookup(f->st, h3, 0, &uid), STORE_OK);
	assert_int_equal(uid, b);
}

/* ---- chat ---------------------------------------------------------------------- */

struct chatlog {
	uint64_t seq[16];
	char text[16][32];
	char from[16][32];
	int has_to[16];
	int kind[16];
	int64_t ts[16];
	int n;
};

static void collect_chat(void *ud, const struct store_chat_row *r)
{
	struct chatlog *l = ud;
	assert_true(l->n < 16);
	l->seq[l->n] = r->seq;
	l->kind[l->n] = r->kind;
	l->ts[l->n] = r->ts_ms;
	l->has_to[l->n] = r->to != NULL;
	snprintf(l->text[l->n], sizeof(l->text[0]), "%s", r->text);
	snprintf(l->from[l->n], sizeof(l->from[0]), "%s", r->from);
	l->n++;
}

static void test_chat(void **state)
{
	struct fx *f = *state;
	struct chatlog l = { .n = 0 };
	char text[32];

	assert_int_equal(store_chat_max_seq(f->st, ""), 0);
	assert_int_equal(store_chat_recent(f->st, "", 5, collect_chat, &l), STORE_OK);
	assert_int_equal(l.n, 0);
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		assert_int_equal(store_chat_append(f->st, "", (uint64_t)i * 10, 1000 + i, i % 3,
		                                   "Ann", i == 4 ? "Bob" : NULL, text), STORE_OK);
	}
	assert_int_equal(store_chat_append(f->st, "", 50, 1, 0, "Ann", NULL, "dup"), STORE_EXISTS);
	assert_int_equal(store_chat_max_seq(f->st, ""), 100);

	/* The last 4, oldest first. */
	assert_int_equal(store_chat_recent(f->st, "", 4, collect_chat, &l), STORE_OK);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.seq[0], 70);
	assert_string_equal(l.text[0], "line 7");
	assert_int_equal(l.seq[3], 100);
	assert_string_equal(l.text[3], "line 10");
	assert_int_equal(l.kind[3], 1);
	assert_int_equal(l.ts[3], 1010);
	assert_string_equal(l.from[3], "Ann");
	assert_false(l.has_to[3]);

	l.n = 0;
	assert_int_equal(store_chat_recent(f->st, "", 100, collect_chat, &l), STORE_OK);
	assert_int_equal(l.n, 10);
	assert_int_equal(l.seq[0], 10);
	assert_true(l.has_to[3]);

	/* Trim to the newest 3. */
	assert_int_equal(store_chat_trim(f->st, "", 3), 7);
	assert_int_equal(store_chat_trim(f->st, "", 3), 0);
	assert_int_equal(store_chat_trim(f->st, "", 50), 0);
	l.n = 0;
	assert_int_equal(store_chat_recent(f->st, "", 100, collect_chat, &l), STORE_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.seq[0], 80);
	assert_int_equal(l.seq[2], 100);
	assert_int_equal(store_chat_max_seq(f->st, ""), 100);
	assert_int_equal(store_chat_trim(f->st, "", 0), 3);
	assert_int_equal(store_chat_max_seq(f->st, ""), 0);

	/* Large sequence numbers survive the int64 column. */
	uint64_t big = (uint64_t)INT64_MAX - 1;
	assert_int_equal(store_chat_append(f->st, "", big, 1, 0, "Ann", NULL, "big"), STORE_OK);
	assert_true(store_chat_max_seq(f->st, "") == big);
}

/* Each room keeps its own rows, sequence numbers and trims. */
static void test_chat_rooms(void **state)
{
	struct fx *f = *state;
	struct chatlog l = { .n = 0 };

	assert_int_equal(store_chat_append(f->st, "lobby", 1, 1, 0, "Ann", NULL, "in lobby"), STORE_OK);
	assert_int_equal(store_chat_append(f->st, "lobby", 2, 2, 0, "Ann", NULL, "lobby 2"), STORE_OK);
	/* The same seq in another room is another row. */
	assert_int_equal(store_chat_append(f->st, "games", 1, 3, 0, "Bob", NULL, "in games"), STORE_OK);
	assert_int_equal(store_chat_append(f->st, "games", 1, 4, 0, "Bob", NULL, "dup"), STORE_EXISTS);
	assert_int_equal(store_chat_max_seq(f->st, "lobby"), 2);
	assert_int_equal(store_chat_max_seq(f->st, "games"), 1);
	assert_int_equal(store_chat_max_seq(f->st, ""), 0);
	assert_int_equal(store_chat_recent(f->st, "games", 10, collect_chat, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "in games");
	assert_int_equal(store_chat_trim(f->st, "lobby", 0), 2);
	assert_int_equal(store_chat_max_seq(f->st, "games"), 1);
}

/* A database written by the first schema (one room, no room column) keeps its
 * scrollback: the rows become the default room's (key ""). */
static void test_chat_migrates_v1(void **state)
{
	struct fx *f = *state;
	char path[192], err[256] = "";
	sqlite3 *db;
	struct chatlog l = { .n = 0 };

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT NOT NULL COLLATE NOCASE"
		" UNIQUE, pwhash TEXT NOT NULL, location TEXT NOT NULL DEFAULT '', level INTEGER"
		" NOT NULL DEFAULT 0, calls INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
		" last_on INTEGER NOT NULL DEFAULT 0, failed_logins INTEGER NOT NULL DEFAULT 0,"
		" locked_until INTEGER NOT NULL DEFAULT 0, charset INTEGER NOT NULL DEFAULT 0);"
		"INSERT INTO users (handle, pwhash, created) VALUES ('Ann', 'h', 1);"
		"CREATE TABLE chat (seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,"
		" kind INTEGER NOT NULL, sender TEXT NOT NULL, target TEXT, text TEXT NOT NULL);"
		"INSERT INTO chat VALUES (7, 70, 0, 'Ann', NULL, 'old line');"
		"INSERT INTO chat VALUES (8, 80, 1, 'Bob', NULL, 'waves');"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct store *st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_user_version(st), store_schema_version());
	assert_int_equal(store_chat_max_seq(st, ""), 8);
	assert_int_equal(store_chat_recent(st, "", 10, collect_chat, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "old line");
	assert_string_equal(l.from[1], "Bob");
	assert_int_equal(store_chat_append(st, "", 9, 90, 0, "Ann", NULL, "new"), STORE_OK);
	/* the account gained the chat's settings, at their defaults */
	struct store_user u;
	assert_int_equal(store_user_get(st, "ann", &u), STORE_OK);
	assert_int_equal(u.chat_bell, 0);
	assert_false(u.chat_quiet);
	store_close(st);
}

/* ---- two connections ------------------------------------------------------------ */

/* With automatic checkpoints off, commits only grow the WAL; a checkpoint on a
 * connection of its own (as the server's worker thread does) folds it back while
 * the first connection stays open, and nothing is lost. */
static void test_manual_checkpoints(void **state)
{
	struct fx *f = *state;
	char wal[300], text[200];
	struct stat sb;
	int pages = -1;

	store_manual_checkpoints(f->st);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (int i = 1; i <= 3000; i++)
		assert_int_equal(store_chat_append(f->st, "", (uint64_t)i, i, 0, "Ann", NULL, text), STORE_OK);
	/* 3000 commits of a page or more each: well past the 1000 pages at which
	 * SQLite would otherwise have checkpointed (and reset the WAL) by itself. */
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size > 2000 * 4096);
	struct store_checkpointer *c = store_checkpointer_new(f->path);
	assert_int_equal(store_checkpoint(c, &pages, NULL), STORE_OK);
	store_checkpointer_free(c);
	assert_true(pages > 1000);
	assert_int_equal(store_chat_max_seq(f->st, ""), 3000);
	reopen(f);
	assert_int_equal(store_chat_max_seq(f->st, ""), 3000);
	c = store_checkpointer_new("/nonexistent/dir/x.db");
	assert_int_equal(store_checkpoint(c, NULL, NULL), STORE_ERROR);
	store_checkpointer_free(c);
}

/* The server keeps its checkpoint connection: each checkpoint folds in what was
 * written since the last one, and a failure (the file gone) is reported and the
 * connection opened afresh when the file is back. */
static void test_kept_checkpointer(void **state)
{
	struct fx *f = *state;
	char text[200];
	int pages = -1;

	store_manual_checkpoints(f->st);
	memset(text, 'y', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	struct store_checkpointer *c = store_checkpointer_new(f->path);
	int seq = 0;
	assert_int_equal(store_wal_frames(f->st), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50; i++, seq++) {
			int before = store_wal_frames(f->st);
			uint64_t commits = store_wal_commits(f->st);
			assert_int_equal(store_chat_append(f->st, "", (uint64_t)seq + 1, seq, 0, "Ann",
			                                   NULL, text), STORE_OK);
			/* the WAL grows with each commit, or starts again after a checkpoint */
			assert_true(i == 0 ? store_wal_frames(f->st) > 0
			                   : store_wal_frames(f->st) > before);
			assert_true(store_wal_commits(f->st) == commits + 1);
		}
		assert_true(store_wal_frames(f->st) >= 50);
		pages = -1;
		bool all = false;
		assert_int_equal(store_checkpoint(c, &pages, &all), STORE_OK);
		assert_true(pages >= 50);     /* this round's commits, at least one frame each */
		assert_true(all);
	}
	/* everything was folded back: the next commit starts the WAL from its beginning */
	assert_int_equal(store_chat_append(f->st, "", (uint64_t)seq + 1, seq, 0, "Ann", NULL, text),
	                 STORE_OK);
	seq++;
	assert_true(store_wal_frames(f->st) < 50);
	store_checkpointer_free(c);
	assert_int_equal(store_chat_max_seq(f->st, ""), seq);

	/* a reader in the middle of the WAL: what it may still read stays there */
	for (int i = 0; i < 5; i++, seq++)
		assert_int_equal(store_chat_append(f->st, "", (uint64_t)seq + 1, seq, 0, "Ann", NULL,
		                                   text), STORE_OK);
	sqlite3 *reader = NULL;
	assert_int_equal(sqlite3_open(f->path, &reader), SQLITE_OK);
	assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM chat;", NULL, NULL,
	                              NULL), SQLITE_OK);
	for (int i = 0; i < 5; i++, seq++)
		assert_int_equal(store_chat_append(f->st, "", (uint64_t)seq + 1, seq, 0, "Ann", NULL,
		                                   text), STORE_OK);
	c = store_checkpointer_new(f->path);
	bool all = true;
	assert_int_equal(store_checkpoint(c, NULL, &all), STORE_OK);
	assert_false(all);
	assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(reader);
	assert_int_equal(store_checkpoint(c, NULL, &all), STORE_OK);
	assert_true(all);
	store_checkpointer_free(c);

	c = store_checkpointer_new("/nonexistent/dir/x.db");
	assert_int_equal(store_checkpoint(c, NULL, &all), STORE_ERROR);
	assert_false(all);
	assert_int_equal(store_checkpoint(c, NULL, NULL), STORE_ERROR);
	store_checkpointer_free(c);
}

static void test_two_stores_share(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct store_user u;

	struct store *other = store_open(f->path, err, sizeof(err));
	assert_non_null(other);
	add(f->st, "Shared");
	assert_int_equal(store_user_get(other, "SHARED", &u), STORE_OK);
	assert_int_equal(store_user_create(other, "shared", "h", NULL, 1, 1, NULL), STORE_EXISTS);
	add(other, "Second");
	assert_int_equal(store_user_count(f->st), 2);
	store_close(other);
}

struct audit_rows {
	char text[8][160];
	int n;
};

static void audit_row(void *ud, const struct store_audit *r)
{
	struct audit_rows *rows = ud;
	if (rows->n < 8)
		snprintf(rows->text[rows->n], sizeof(rows->text[0]), "%lld %s %s %s [%s] (%s)",
		         (long long)r->at, r->actor, r->action, r->target, r->detail, r->reason);
	rows->n++;
}

/* Bans live in the account and survive a reopen; the audit log keeps rows in time
 * order, filtered by time and by handle (as actor or target, any case). */
static void test_bans_and_audit(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id = add(f->st, "Pest");
	assert_int_equal(store_user_get(f->st, "Pest", &u), STORE_OK);
	assert_int_equal(u.banned_until, 0);
	assert_string_equal(u.ban_reason, "");
	assert_int_equal(store_user_set_ban(f->st, id, 5000, "spam, again"), STORE_OK);
	reopen(f);
	assert_int_equal(store_user_get(f->st, "pest", &u), STORE_OK);
	assert_int_equal(u.banned_until, 5000);
	assert_string_equal(u.ban_reason, "spam, again");
	assert_int_equal(store_user_set_ban(f->st, id, STORE_BAN_FOREVER, NULL), STORE_OK);
	assert_int_equal(store_user_get(f->st, "pest", &u), STORE_OK);
	assert_true(u.banned_until == STORE_BAN_FOREVER);
	assert_int_equal(store_user_set_ban(f->st, id, 0, "ignored"), STORE_OK);
	assert_int_equal(store_user_get(f->st, "pest", &u), STORE_OK);
	assert_int_equal(u.banned_until, 0);
	assert_string_equal(u.ban_reason, "");
	char long_reason[STORE_REASON_MAX + 1];
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	assert_int_equal(store_user_set_ban(f->st, id, 9, long_reason), STORE_INVALID);
	assert_int_equal(store_user_set_ban(f->st, 99999, 9, ""), STORE_NOT_FOUND);

	assert_int_equal(store_audit_add(f->st, 200, "Opal", "kick", "Pest", "Lobby, 5 minutes", "loud"),
	                 STORE_OK);
	assert_int_equal(store_audit_add(f->st, 100, "shell:root", "level", "Bob", "10 -> 50", ""),
	                 STORE_OK);
	assert_int_equal(store_audit_add(f->st, 300, "PEST", "broadcast", "", "'; DROP TABLE audit; --", NULL),
	                 STORE_OK);
	struct audit_rows rows = { 0 };
	assert_int_equal(store_audit_list(f->st, 0, NULL, audit_row, &rows), STORE_OK);
	assert_int_equal(rows.n, 3);
	assert_string_equal(rows.text[0], "100 shell:root level Bob [10 -> 50] ()");
	assert_string_equal(rows.text[1], "200 Opal kick Pest [Lobby, 5 minutes] (loud)");
	assert_string_equal(rows.text[2], "300 PEST broadcast  ['; DROP TABLE audit; --] ()");
	rows = (struct audit_rows){ 0 };
	assert_int_equal(store_audit_list(f->st, 150, NULL, audit_row, &rows), STORE_OK);
	assert_int_equal(rows.n, 2);
	rows = (struct audit_rows){ 0 };
	assert_int_equal(store_audit_list(f->st, 0, "pest", audit_row, &rows), STORE_OK);
	assert_int_equal(rows.n, 2);
	assert_string_equal(rows.text[0], "200 Opal kick Pest [Lobby, 5 minutes] (loud)");
	rows = (struct audit_rows){ 0 };
	assert_int_equal(store_audit_list(f->st, 0, "Nobody", audit_row, &rows), STORE_OK);
	assert_int_equal(rows.n, 0);
}

/* ---- backups ---------------------------------------------------------------- */

static void test_backup_restore(void **state)
{
	struct fx *f = *state;
	char err[256] = "", copy[160], back[160];
	struct store_copy_info info;
	add(f->st, "Before");
	snprintf(copy, sizeof(copy), "%s/copy.db", f->dir);
	/* while the store is open and holding its claim */
	assert_int_equal(store_claim(f->st, f->path, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_backup(f->path, copy, &info, err, sizeof(err)), STORE_OK);
	assert_int_equal(info.users, 1);
	assert_int_equal(info.schema, store_schema_version());
	assert_true(info.pages > 0);
	add(f->st, "After");
	assert_int_equal(side_int(copy, "SELECT count(*) FROM users WHERE handle = 'Before'"), 1);
	assert_int_equal(side_int(copy, "SELECT count(*) FROM users WHERE handle = 'After'"), 0);
	char *mode = side_text(copy, "PRAGMA journal_mode");
	assert_string_equal(mode, "delete");             /* one file, no WAL */
	free(mode);
	/* a restore refuses while the database is claimed */
	assert_int_equal(store_restore(copy, f->path, &info, err, sizeof(err)), STORE_LOCKED);
	assert_non_null(strstr(err, "the server is running"));
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_restore(copy, f->path, &info, err, sizeof(err)), STORE_OK);
	assert_int_equal(info.users, 1);
	reopen(f);
	struct store_user u;
	assert_int_equal(store_user_get(f->st, "Before", &u), STORE_OK);
	assert_int_equal(store_user_get(f->st, "After", &u), STORE_NOT_FOUND);
	/* the server's claim is refused during a restore's: not a race we can stage
	 * here, but a second claim on a claimed file is fine (shared) */
	struct store *other = store_open(f->path, err, sizeof(err));
	assert_int_equal(store_claim(f->st, f->path, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_claim(other, f->path, err, sizeof(err)), STORE_OK);
	store_close(other);
	/* not a database, a missing file, a directory that is not there */
	snprintf(back, sizeof(back), "%s/junk.db", f->dir);
	FILE *junk = fopen(back, "w");
	fputs("not sqlite at all, not at all, not even close to it....................", junk);
	fclose(junk);
	assert_int_equal(store_restore(back, f->path, NULL, err, sizeof(err)), STORE_ERROR);
	snprintf(back, sizeof(back), "%s/none.db", f->dir);
	assert_int_equal(store_backup(back, copy, NULL, err, sizeof(err)), STORE_ERROR);
	snprintf(back, sizeof(back), "%s/no/dir/x.db", f->dir);
	assert_int_equal(store_backup(f->path, back, NULL, err, sizeof(err)), STORE_ERROR);
}

/* Every statement's time goes into the store's histogram. */
static void test_statement_times(void **state)
{
	struct fx *f = *state;
	const struct store_stats *s = store_stats(f->st);
	uint64_t before = s->statement.count;
	add(f->st, "Timed");
	struct store_user u;
	assert_int_equal(store_user_get(f->st, "timed", &u), STORE_OK);
	assert_int_equal(store_user_get(f->st, "nobody", &u), STORE_NOT_FOUND);
	assert_int_equal(s->statement.count - before, 3);
	assert_true(s->statement.sum_ns > 0);
	uint64_t in_buckets = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		in_buckets += s->statement.bucket[i];
	assert_true(in_buckets <= s->statement.count);
	assert_int_equal(s->errors, 0);
}

/* Bytes that are not UTF-8 (a handle typed in another character set, cut in the
 * middle of a character) find nobody, on either engine, and fail nothing. */
static void test_text_not_utf8(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id = add(f->st, "Plain");
	assert_int_equal(store_user_get(f->st, "Pla\xc3", &u), STORE_NOT_FOUND);
	assert_int_equal(store_user_get(f->st, "\xff\xfe", &u), STORE_NOT_FOUND);
	assert_int_equal(store_user_set_location(f->st, id, "Z\xc3rich"), STORE_OK);
	assert_int_equal(store_user_get_by_id(f->st, id, &u), STORE_OK);
	assert_int_equal(u.location[0], 'Z');
	assert_int_equal(store_stats(f->st)->errors, 0);
}

/* What may be logged of a database's location: never a URL's password. */
static void test_redact(void **state)
{
	(void)state;
	char out[256];
	store_redact("data/carrier.db", out, sizeof(out));
	assert_string_equal(out, "data/carrier.db");
	store_redact("postgresql://carrier:hunter2@db:5432/bbs", out, sizeof(out));
	assert_string_equal(out, "postgresql://carrier:***@db:5432/bbs");
	store_redact("postgres://carrier@db/bbs", out, sizeof(out));
	assert_string_equal(out, "postgres://carrier@db/bbs");
	store_redact("postgresql://db/bbs?user=c&password=hunter2&sslmode=require", out,
	             sizeof(out));
	assert_string_equal(out, "postgresql://db/bbs?user=c&password=***&sslmode=require");
	store_redact("postgresql://db/bbs?password=hunter2", out, sizeof(out));
	assert_string_equal(out, "postgresql://db/bbs?password=***");
	store_redact("postgresql://db/bbs?password=a&x=1", out, sizeof(out));
	assert_string_equal(out, "postgresql://db/bbs?password=***&x=1");
	assert_true(store_is_url("postgresql://x") && store_is_url("postgres://x"));
	assert_false(store_is_url("postgresql.db") || store_is_url("/var/postgres://x"));
}

/* Run a test on the PostgreSQL fixture, or skip it when there is none. */
#define PG_TEST(fn) \
	static void pg_##fn(void **state) \
	{ \
		if (((struct fx *)*state)->st == NULL) \
			skip(); \
		fn(state); \
	}
PG_TEST(test_reopen_keeps_data)
PG_TEST(test_user_create_get)
PG_TEST(test_user_create_invalid)
PG_TEST(test_user_sql_is_data)
PG_TEST(test_user_updates)
PG_TEST(test_user_list_delete)
PG_TEST(test_record_login_last_callers)
PG_TEST(test_logins_trimmed)
PG_TEST(test_record_failure_locks)
PG_TEST(test_tokens)
PG_TEST(test_chat)
PG_TEST(test_chat_rooms)
PG_TEST(test_two_stores_share)
PG_TEST(test_bans_and_audit)
PG_TEST(test_statement_times)
PG_TEST(test_text_not_utf8)

/* PostgreSQL's own: the schema version is kept, a newer one is refused, and a
 * lost connection is reset at the next statement. */
static void test_pg_schema_and_reconnect(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	struct store_user u;
	if (f->st == NULL)
		skip();
	assert_string_equal(store_engine(f->st), "postgresql");
	assert_int_equal(store_user_version(f->st), store_schema_version());
	int64_t id = add(f->st, "Kept");
	/* Every other backend goes: this store's connection among them. */
	assert_true(pg_side_int(f->path, "SELECT count(pg_terminate_backend(pid))"
	                        " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
	                        " AND datname = current_database()") >= 1);
	assert_int_equal(store_user_get_by_id(f->st, id, &u), STORE_OK);
	assert_string_equal(u.handle, "Kept");
	/* A database from a newer carrier is refused, naming both versions. */
	assert_true(pg_side_int(f->path, "UPDATE carrier_schema SET version = 999"
	                        " RETURNING version") == 999);
	assert_null(store_open(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, "999"));
	/* A URL that leads nowhere fails with a reason and without the URL. */
	assert_null(store_open("postgresql://carrier:secret@127.0.0.1:1/carrier", err,
	                       sizeof(err)));
	assert_null(strstr(err, "secret"));
	assert_non_null(strstr(err, "postgresql"));
}

static int start_pg(void **state)
{
	(void)state;
	const char *url = getenv("CARRIER_PG_URL");
	if (url != NULL && *url) {
		snprintf(pg_url, sizeof(pg_url), "%s", url);
		return 0;
	}
	if (system("tests/lib/pg.sh available") != 0) {
		printf("# PostgreSQL not installed (postgresql-15): its tests skip\n");
		return 0;
	}
	snprintf(pg_dir, sizeof(pg_dir), "/tmp/carrier-pg-XXXXXX");
	assert_non_null(mkdtemp(pg_dir));
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "tests/lib/pg.sh start %s", pg_dir);
	FILE *p = popen(cmd, "r");
	if (p == NULL || fgets(pg_url, sizeof(pg_url), p) == NULL)
		pg_url[0] = '\0';
	if (p != NULL && pclose(p) != 0)
		pg_url[0] = '\0';
	pg_url[strcspn(pg_url, "\n")] = '\0';
	return pg_url[0] ? 0 : -1;
}

static int stop_pg(void **state)
{
	(void)state;
	if (pg_dir[0] != '\0') {
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "tests/lib/pg.sh stop %s", pg_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_file_and_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_checkpointer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_empty_file_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_create_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_create_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_sql_is_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_list_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_login_last_callers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logins_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_failure_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_migrates_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_stores_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bans_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_times, setup, teardown),
		cmocka_unit_test(test_redact),
		cmocka_unit_test_setup_teardown(test_text_not_utf8, setup, teardown),
	};
#define PG(fn) cmocka_unit_test_setup_teardown(pg_##fn, pg_setup, pg_teardown)
	const struct CMUnitTest pg_tests[] = {
		PG(test_reopen_keeps_data),
		PG(test_user_create_get),
		PG(test_user_create_invalid),
		PG(test_user_sql_is_data),
		PG(test_user_updates),
		PG(test_user_list_delete),
		PG(test_record_login_last_callers),
		PG(test_logins_trimmed),
		PG(test_record_failure_locks),
		PG(test_tokens),
		PG(test_chat),
		PG(test_chat_rooms),
		PG(test_two_stores_share),
		PG(test_bans_and_audit),
		PG(test_statement_times),
		PG(test_text_not_utf8),
		cmocka_unit_test_setup_teardown(test_pg_schema_and_reconnect, pg_setup, pg_teardown),
	};
	int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("postgresql", pg_tests, start_pg, stop_pg);
	return failed;
}
