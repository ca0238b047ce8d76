/* The telegrams table: short messages left for a caller who was not online, read
 * at the next call. */
#include "store/internal.h"

static int64_t count(struct store *st, struct db_stmt *s, const char *what)
{
	int64_t n = -1;
	if (db_step(s) == DB_ROW)
		n = db_column_int64(s, 0);
	else
		store_fail(st, what);
	store_done(st, s);
	return n;
}

int store_telegram_add(struct store *st, int64_t to_user, const char *sender, const char *text,
                       int64_t now, int max_held, int max_per_hour)
{
	struct db_stmt *s = store_stmt(st, SQ_TELEGRAM_COUNT_TO,
		"SELECT count(*) FROM telegrams WHERE to_user = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, to_user);
	int64_t held = count(st, s, "telegram count");
	if (held < 0)
		return STORE_ERROR;
	if (held >= max_held)
		return STORE_TELEGRAMS_FULL;
	s = store_stmt(st, SQ_TELEGRAM_COUNT_FROM,
		"SELECT count(*) FROM telegrams WHERE sender = ?1 AND sent > ?2");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_text(s, 1, sender);
	db_bind_int64(s, 2, now - 3600);
	int64_t sent = count(st, s, "telegram count from");
	if (sent < 0)
		return STORE_ERROR;
	if (sent >= max_per_hour)
		return STORE_TELEGRAMS_RATE;
	s = store_stmt(st, SQ_TELEGRAM_ADD,
		"INSERT INTO telegrams (to_user, sender, text, sent) VALUES (?1, ?2, ?3, ?4)");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, to_user);
	db_bind_text(s, 2, sender);
	db_bind_text(s, 3, text);
	db_bind_int64(s, 4, now);
	return store_exec_stmt(st, s, "telegram add");
}

int64_t store_telegram_count(struct store *st, int64_t to_user, bool unread_only)
{
	struct db_stmt *s = unread_only
		? store_stmt(st, SQ_TELEGRAM_COUNT_UNREAD,
		             "SELECT count(*) FROM telegrams WHERE to_user = ?1 AND read = 0")
		: store_stmt(st, SQ_TELEGRAM_COUNT_TO,
		             "SELECT count(*) FROM telegrams WHERE to_user = ?1");
	if (s == NULL)
		return -1;
	db_bind_int64(s, 1, to_user);
	return count(st, s, "telegram count");
}

int store_telegram_list(struct store *st, int64_t to_user, store_telegram_cb cb, void *ud)
{
	struct db_stmt *s = store_stmt(st, SQ_TELEGRAM_LIST,
		"SELECT id, sender, text, sent, read FROM telegrams WHERE to_user = ?1 ORDER BY id");
	int rc, ret = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, to_user);
	while ((rc = db_step(s)) == DB_ROW) {
		const char *from = db_column_text(s, 1);
		const char *text = db_column_text(s, 2);
		struct store_telegram t = {
			.id = db_column_int64(s, 0),
			.sender = from ? from : "",
			.text = text ? text : "",
			.sent = db_column_int64(s, 3),
			.read = db_column_int(s, 4) != 0,
		};
		cb(ud, &t);
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "telegram list");
	store_done(st, s);
	return ret;
}

int store_telegram_mark_read(struct store *st, int64_t to_user, int64_t up_to_id)
{
	struct db_stmt *s = store_stmt(st, SQ_TELEGRAM_MARK_READ,
		"UPDATE telegrams SET read = 1 WHERE to_user = ?1 AND id <= ?2");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, to_user);
	db_bind_int64(s, 2, up_to_id);
	return store_exec_stmt(st, s, "telegram mark read");
}

int64_t store_telegram_delete_read(struct store *st, int64_t to_user)
{
	struct db_stmt *s = store_stmt(st, SQ_TELEGRAM_DELETE_READ,
		"DELETE FROM telegrams WHERE to_user = ?1 AND read = 1");
	if (s == NULL)
		return -1;
	db_bind_int64(s, 1, to_user);
	if (store_exec_stmt(st, s, "telegram delete read") != STORE_OK)
		return -1;
	return db_changes(st);
}
