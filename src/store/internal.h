/* Inside the store: the struct and the statement cache, shared by store.c (open,
 * schema, cache) and the table files (users.c, tokens.c, chat.c).  Not for use
 * outside src/store/. */
#ifndef CARRIER_STORE_INTERNAL_H
#define CARRIER_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/stats.h"
#include "store/store.h"

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

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQ_COUNT];
	uint64_t taken_ns[SQ_COUNT];     /* when each statement was taken (store_stmt) */
	int claim_fd;                    /* store_claim's lock, or -1 */
	struct store_stats stats;
};

/* The cached statement for id, prepared from sql on first use; NULL on error
 * (logged).  Hand it back with store_done (reset + clear bindings), which counts
 * the time since it was taken in st's stats. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt id, const char *sql);
void store_done(struct store *st, sqlite3_stmt *s);
/* Log the connection's current error, naming what failed; returns STORE_ERROR. */
int store_fail(struct store *st, const char *what);

/* Bind a string that may be NULL (binds NULL). */
int store_bind_text(sqlite3_stmt *s, int idx, const char *text);
/* Run a statement that returns no rows (one step), then store_done it.
 * STORE_OK, STORE_EXISTS on a UNIQUE/PRIMARY KEY violation, STORE_NOT_FOUND on a
 * FOREIGN KEY violation (the row referred to is missing), or STORE_ERROR. */
int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what);


#endif
