/* The users and logins tables. */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

#define USER_COLUMNS \
	"id, handle, pwhash, location, level, calls, created, last_on, failed_logins," \
	" locked_until, charset, chat_bell, chat_quiet, banned_until, ban_reason"

static bool fits(const char *s, size_t max)
{
	return s == NULL || strlen(s) < max;
}

static void copy_text(char *dst, size_t len, struct db_stmt *s, int col)
{
	const char *t = db_column_text(s, col);
	snprintf(dst, len, "%s", t ? t : "");
}

static void read_user(struct db_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = db_column_int64(s, 0);
	copy_text(u->handle, sizeof(u->handle), s, 1);
	copy_text(u->pwhash, sizeof(u->pwhash), s, 2);
	copy_text(u->location, sizeof(u->location), s, 3);
	u->level = db_column_int(s, 4);
	u->calls = db_column_int64(s, 5);
	u->created = db_column_int64(s, 6);
	u->last_on = db_column_int64(s, 7);
	u->failed_logins = db_column_int(s, 8);
	u->locked_until = db_column_int64(s, 9);
	int cs = db_column_int(s, 10);
	u->charset = cs == CHARSET_UTF8 || cs == CHARSET_CP437 ? (enum charset)cs : CHARSET_UNKNOWN;
	u->chat_bell = db_column_int(s, 11);
	u->chat_quiet = db_column_int(s, 12) != 0;
	u->banned_until = db_column_int64(s, 13);
	copy_text(u->ban_reason, sizeof(u->ban_reason), s, 14);
}

int store_user_create(struct store *st, const char *handle, const char *pwhash,
                      const char *location, int level, int64_t now, int64_t *id)
{
	assert(handle != NULL && pwhash != NULL);
	if (handle[0] == '\0' || !fits(handle, STORE_HANDLE_MAX) ||
	    !fits(pwhash, STORE_PWHASH_MAX) || !fits(location, STORE_LOCATION_MAX))
		return STORE_INVALID;
	struct db_stmt *s = store_stmt(st, SQ_USER_CREATE,
		"INSERT INTO users (handle, pwhash, location, level, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_text(s, 1, handle);
	db_bind_text(s, 2, pwhash);
	db_bind_text(s, 3, location ? location : "");
	db_bind_int64(s, 4, level);
	db_bind_int64(s, 5, now);
	int rc = db_step(s), ret = STORE_OK;
	if (rc == DB_ROW) {
		if (id != NULL)
			*id = db_column_int64(s, 0);
		rc = db_step(s);
	}
	if (rc == DB_UNIQUE)
		ret = STORE_EXISTS;
	else if (rc != DB_DONE)
		ret = store_fail(st, "user create");
	store_done(st, s);
	return ret;
}

/* Step a statement expected to give at most one user row. */
static int get_one(struct store *st, struct db_stmt *s, struct store_user *out)
{
	int rc = db_step(s);
	int ret;

	if (rc == DB_ROW) {
		read_user(s, out);
		ret = STORE_OK;
	} else if (rc == DB_DONE) {
		ret = STORE_NOT_FOUND;
	} else {
		ret = store_fail(st, "user get");
	}
	store_done(st, s);
	return ret;
}

int store_user_get(struct store *st, const char *handle, struct store_user *out)
{
	struct db_stmt *s = store_stmt(st, SQ_USER_GET,
		"SELECT " USER_COLUMNS " FROM users WHERE handle = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_text(s, 1, handle);
	return get_one(st, s, out);
}

int store_user_get_by_id(struct store *st, int64_t id, struct store_user *out)
{
	struct db_stmt *s = store_stmt(st, SQ_USER_GET_BY_ID,
		"SELECT " USER_COLUMNS " FROM users WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	return get_one(st, s, out);
}

/* Run an UPDATE/DELETE ... WHERE id = ?1; NOT_FOUND if it touched nothing. */
static int exec_for_id(struct store *st, struct db_stmt *s, const char *what)
{
	int ret = store_exec_stmt(st, s, what);
	if (ret == STORE_OK && db_changes(st) == 0)
		ret = STORE_NOT_FOUND;
	return ret;
}

int store_user_set_password(struct store *st, int64_t id, const char *pwhash)
{
	assert(pwhash != NULL);
	if (!fits(pwhash, STORE_PWHASH_MAX))
		return STORE_INVALID;
	struct db_stmt *s = store_stmt(st, SQ_USER_SET_PASSWORD,
		"UPDATE users SET pwhash = ?2 WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_text(s, 2, pwhash);
	return exec_for_id(st, s, "set password");
}

int store_user_set_level(struct store *st, int64_t id, int level)
{
	struct db_stmt *s = store_stmt(st, SQ_USER_SET_LEVEL,
		"UPDATE users SET level = ?2 WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, level);
	return exec_for_id(st, s, "set level");
}

int store_user_set_location(struct store *st, int64_t id, const char *location)
{
	if (!fits(location, STORE_LOCATION_MAX))
		return STORE_INVALID;
	struct db_stmt *s = store_stmt(st, SQ_USER_SET_LOCATION,
		"UPDATE users SET location = ?2 WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_text(s, 2, location ? location : "");
	return exec_for_id(st, s, "set location");
}

int store_user_set_charset(struct store *st, int64_t id, enum charset charset)
{
	if ((int)charset < (int)CHARSET_UNKNOWN || (int)charset > (int)CHARSET_CP437)
		return STORE_INVALID;
	struct db_stmt *s = store_stmt(st, SQ_USER_SET_CHARSET,
		"UPDATE users SET charset = ?2 WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, (int)charset);
	return exec_for_id(st, s, "set charset");
}

int store_user_delete(struct store *st, int64_t id)
{
	/* logins and tokens go with it: ON DELETE CASCADE. */
	struct db_stmt *s = store_stmt(st, SQ_USER_DELETE, "DELETE FROM users WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	return exec_for_id(st, s, "user delete");
}

int store_user_list(struct store *st, store_user_cb cb, void *ud)
{
	struct db_stmt *s = store_stmt(st, SQ_USER_LIST,
		"SELECT " USER_COLUMNS " FROM users ORDER BY id");
	struct store_user u;
	int rc, ret = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = db_step(s)) == DB_ROW) {
		read_user(s, &u);
		cb(ud, &u);
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "user list");
	store_done(st, s);
	return ret;
}

int64_t store_user_count(struct store *st)
{
	struct db_stmt *s = store_stmt(st, SQ_USER_COUNT, "SELECT count(*) FROM users");
	int64_t n = -1;

	if (s == NULL)
		return -1;
	if (db_step(s) == DB_ROW)
		n = db_column_int64(s, 0);
	else
		store_fail(st, "user count");
	store_done(st, s);
	return n;
}

/* ---- logins ------------------------------------------------------------------ */

int store_user_record_login(struct store *st, int64_t id, int64_t now, int node)
{
	struct db_stmt *s;
	int ret;

	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	s = store_stmt(st, SQ_LOGIN_USER,
		"UPDATE users SET calls = calls + 1, last_on = ?2, failed_logins = 0,"
		" locked_until = 0 WHERE id = ?1");
	if (s == NULL)
		goto err;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, now);
	if ((ret = exec_for_id(st, s, "record login")) != STORE_OK)
		goto out;

	s = store_stmt(st, SQ_LOGIN_INSERT,
		"INSERT INTO logins (user_id, time, node) VALUES (?1, ?2, ?3)");
	if (s == NULL)
		goto err;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, now);
	db_bind_int64(s, 3, node);
	if ((ret = store_exec_stmt(st, s, "login insert")) != STORE_OK)
		goto out;

	s = store_stmt(st, SQ_LOGIN_TRIM,
		"DELETE FROM logins WHERE id <= (SELECT max(id) FROM logins) - ?1");
	if (s == NULL)
		goto err;
	db_bind_int64(s, 1, STORE_LOGINS_KEEP);
	if ((ret = store_exec_stmt(st, s, "login trim")) != STORE_OK)
		goto out;
	if (store_commit(st) != STORE_OK)
		goto err;
	return STORE_OK;
err:
	ret = STORE_ERROR;
out:
	store_rollback(st);
	return ret;
}

int store_user_record_failure(struct store *st, int64_t id, int64_t now, int max_failures,
                              int64_t lock_seconds)
{
	struct db_stmt *s = store_stmt(st, SQ_LOGIN_FAILURE,
		"UPDATE users SET"
		" failed_logins = CASE WHEN ?3 > 0 AND failed_logins + 1 >= ?3"
		"   THEN 0 ELSE failed_logins + 1 END,"
		" locked_until = CASE WHEN ?3 > 0 AND failed_logins + 1 >= ?3"
		"   THEN ?2 + ?4 ELSE locked_until END"
		" WHERE id = ?1 RETURNING failed_logins");
	int rc, ret;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, now);
	db_bind_int64(s, 3, max_failures);
	db_bind_int64(s, 4, lock_seconds);
	rc = db_step(s);
	if (rc == DB_ROW) {
		int failed = db_column_int(s, 0);
		ret = max_failures > 0 && failed == 0 ? STORE_LOCKED : STORE_OK;
		rc = db_step(s);
	} else {
		ret = STORE_NOT_FOUND;
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "record failure");
	store_done(st, s);
	return ret;
}

int store_last_callers(struct store *st, int n, store_caller_cb cb, void *ud)
{
	struct db_stmt *s = store_stmt(st, SQ_LAST_CALLERS,
		"SELECT u.handle, u.location, l.time, l.node FROM logins AS l"
		" JOIN users AS u ON u.id = l.user_id ORDER BY l.id DESC LIMIT ?1");
	int rc, ret = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, n < 0 ? 0 : n);
	while ((rc = db_step(s)) == DB_ROW) {
		struct store_caller c = {
			.handle = db_column_text(s, 0),
			.location = db_column_text(s, 1),
			.time = db_column_int64(s, 2),
			.node = db_column_int(s, 3),
		};
		if (c.handle == NULL)
			c.handle = "";
		if (c.location == NULL)
			c.location = "";
		cb(ud, &c);
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "last callers");
	store_done(st, s);
	return ret;
}

int store_user_set_chat(struct store *st, int64_t id, int bell, bool quiet)
{
	struct db_stmt *s = store_stmt(st, SQ_USER_SET_CHAT,
		"UPDATE users SET chat_bell = ?2, chat_quiet = ?3 WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, bell);
	db_bind_int64(s, 3, quiet);
	return exec_for_id(st, s, "set chat settings");
}

int store_user_set_ban(struct store *st, int64_t id, int64_t until, const char *reason)
{
	if (!fits(reason, STORE_REASON_MAX))
		return STORE_INVALID;
	struct db_stmt *s = store_stmt(st, SQ_USER_SET_BAN,
		"UPDATE users SET banned_until = ?2, ban_reason = ?3 WHERE id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, until);
	db_bind_text(s, 3, until != 0 && reason != NULL ? reason : "");
	return exec_for_id(st, s, "set ban");
}
