/* The audit table: what sysops and moderators did, from the room or the shell. */
#include "store/internal.h"

int store_audit_add(struct store *st, int64_t at, const char *actor, const char *action,
                    const char *target, const char *detail, const char *reason)
{
	struct db_stmt *s = store_stmt(st, SQ_AUDIT_ADD,
		"INSERT INTO audit (at, actor, action, target, detail, reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, at);
	db_bind_text(s, 2, actor);
	db_bind_text(s, 3, action);
	db_bind_text(s, 4, target ? target : "");
	db_bind_text(s, 5, detail ? detail : "");
	db_bind_text(s, 6, reason ? reason : "");
	return store_exec_stmt(st, s, "audit add");
}

static const char *column(struct db_stmt *s, int col)
{
	const char *t = db_column_text(s, col);
	return t ? t : "";
}

int store_audit_list(struct store *st, int64_t since, const char *handle, store_audit_cb cb,
                     void *ud)
{
	struct db_stmt *s = store_stmt(st, SQ_AUDIT_LIST,
		"SELECT id, at, actor, action, target, detail, reason FROM audit WHERE at >= ?1"
		" AND (?2 IS NULL OR actor = ?2 COLLATE NOCASE OR target = ?2 COLLATE NOCASE)"
		" ORDER BY at, id");
	int rc, ret = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, since);
	if (handle != NULL)
		db_bind_text(s, 2, handle);
	else
		db_bind_text(s, 2, NULL);
	while ((rc = db_step(s)) == DB_ROW) {
		struct store_audit row = {
			.id = db_column_int64(s, 0),
			.at = db_column_int64(s, 1),
			.actor = column(s, 2),
			.action = column(s, 3),
			.target = column(s, 4),
			.detail = column(s, 5),
			.reason = column(s, 6),
		};
		cb(ud, &row);
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "audit list");
	store_done(st, s);
	return ret;
}
