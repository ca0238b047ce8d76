/* The ignores table: whom each caller has chosen not to hear in the chat. */
#include "store/internal.h"

int store_ignore_add(struct store *st, int64_t user_id, const char *handle, int64_t now)
{
	struct db_stmt *s = store_stmt(st, SQ_IGNORE_ADD,
		"INSERT INTO ignores (user_id, handle, added) VALUES (?1, ?2, ?3)");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, user_id);
	db_bind_text(s, 2, handle);
	db_bind_int64(s, 3, now);
	return store_exec_stmt(st, s, "ignore add");
}

int store_ignore_remove(struct store *st, int64_t user_id, const char *handle)
{
	struct db_stmt *s = store_stmt(st, SQ_IGNORE_REMOVE,
		"DELETE FROM ignores WHERE user_id = ?1 AND handle = ?2");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, user_id);
	db_bind_text(s, 2, handle);
	int ret = store_exec_stmt(st, s, "ignore remove");
	if (ret == STORE_OK && db_changes(st) == 0)
		ret = STORE_NOT_FOUND;
	return ret;
}

int store_ignore_list(struct store *st, int64_t user_id, store_handle_cb cb, void *ud)
{
	struct db_stmt *s = store_stmt(st, SQ_IGNORE_LIST,
		"SELECT handle FROM ignores WHERE user_id = ?1 ORDER BY added, handle");
	int rc, ret = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, user_id);
	while ((rc = db_step(s)) == DB_ROW) {
		const char *h = db_column_text(s, 0);
		cb(ud, h ? h : "");
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "ignore list");
	store_done(st, s);
	return ret;
}
