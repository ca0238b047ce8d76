/* The chat table: public scrollback, so each room's history survives a restart. */
#include <assert.h>
#include <stdio.h>

#include "store/internal.h"

int store_chat_append(struct store *st, const char *room, uint64_t seq, int64_t ts_ms,
                      int kind, const char *from, const char *to, const char *text)
{
	assert(room != NULL && from != NULL && text != NULL);
	assert(seq <= (uint64_t)INT64_MAX);
	struct db_stmt *s = store_stmt(st, SQ_CHAT_APPEND,
		"INSERT INTO chat (seq, ts_ms, kind, sender, target, text, room)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, (int64_t)seq);
	db_bind_int64(s, 2, ts_ms);
	db_bind_int64(s, 3, kind);
	db_bind_text(s, 4, from);
	db_bind_text(s, 5, to);
	db_bind_text(s, 6, text);
	db_bind_text(s, 7, room);
	return store_exec_stmt(st, s, "chat append");
}

int store_chat_recent(struct store *st, const char *room, int n, store_chat_cb cb, void *ud)
{
	struct db_stmt *s = store_stmt(st, SQ_CHAT_RECENT,
		"SELECT seq, ts_ms, kind, sender, target, text FROM"
		" (SELECT * FROM chat WHERE room = ?2 ORDER BY seq DESC LIMIT ?1) AS recent ORDER BY seq ASC");
	int rc, ret = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, n < 0 ? 0 : n);
	db_bind_text(s, 2, room);
	while ((rc = db_step(s)) == DB_ROW) {
		struct store_chat_row row = {
			.seq = (uint64_t)db_column_int64(s, 0),
			.ts_ms = db_column_int64(s, 1),
			.kind = db_column_int(s, 2),
			.from = db_column_text(s, 3),
			.to = db_column_text(s, 4),
			.text = db_column_text(s, 5),
		};
		if (row.from == NULL)
			row.from = "";
		if (row.text == NULL)
			row.text = "";
		cb(ud, &row);
	}
	if (rc != DB_DONE)
		ret = store_fail(st, "chat recent");
	store_done(st, s);
	return ret;
}

uint64_t store_chat_max_seq(struct store *st, const char *room)
{
	struct db_stmt *s = store_stmt(st, SQ_CHAT_MAX_SEQ,
		"SELECT max(seq) FROM chat WHERE room = ?1");
	uint64_t seq = 0;

	if (s == NULL)
		return 0;
	db_bind_text(s, 1, room);
	if (db_step(s) == DB_ROW)
		seq = (uint64_t)db_column_int64(s, 0);    /* NULL (empty) reads as 0 */
	else
		store_fail(st, "chat max seq");
	store_done(st, s);
	return seq;
}

int64_t store_chat_trim(struct store *st, const char *room, int64_t keep)
{
	/* The (keep + 1)th newest row and everything older go; with fewer rows the
	 * subquery is NULL and nothing matches. */
	struct db_stmt *s = store_stmt(st, SQ_CHAT_TRIM,
		"DELETE FROM chat WHERE room = ?2 AND seq <="
		" (SELECT seq FROM chat WHERE room = ?2 ORDER BY seq DESC LIMIT 1 OFFSET ?1)");
	if (s == NULL)
		return -1;
	db_bind_int64(s, 1, keep < 0 ? 0 : keep);
	db_bind_text(s, 2, room);
	if (store_exec_stmt(st, s, "chat trim") != STORE_OK)
		return -1;
	return db_changes(st);
}

int store_chat_topic_get(struct store *st, const char *room, char *out, size_t cap)
{
	struct db_stmt *s = store_stmt(st, SQ_CHAT_TOPIC_GET,
		"SELECT topic FROM chat_topics WHERE room = ?1");
	int ret = STORE_NOT_FOUND;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_text(s, 1, room);
	int rc = db_step(s);
	if (rc == DB_ROW) {
		const char *t = db_column_text(s, 0);
		snprintf(out, cap, "%s", t ? t : "");
		ret = STORE_OK;
	} else if (rc != DB_DONE) {
		ret = store_fail(st, "chat topic get");
	}
	store_done(st, s);
	return ret;
}

int store_chat_topic_set(struct store *st, const char *room, const char *topic)
{
	struct db_stmt *s = store_stmt(st, SQ_CHAT_TOPIC_SET,
		"INSERT INTO chat_topics (room, topic) VALUES (?1, ?2)"
		" ON CONFLICT (room) DO UPDATE SET topic = excluded.topic");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_text(s, 1, room);
	db_bind_text(s, 2, topic);
	return store_exec_stmt(st, s, "chat topic set");
}
