/* The database: users, logins ("last callers"), session tokens, chat scrollback.
 *
 * Two engines behind the same functions: SQLite in one file (the embedded default:
 * WAL journal, schema versions by PRAGMA user_version), or PostgreSQL through libpq
 * when the location is a postgresql:// URL (schema versions in carrier_schema).
 * This module is the only one that includes sqlite3.h or libpq-fe.h; every
 * statement is prepared once per store, kept, and always binds its parameters.
 * All calls are short indexed statements; a store is used by one thread, and each
 * call waits for its answer (the BBS runs PostgreSQL's on a thread of their own:
 * bbs/dbq.h).
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL.  A commit has reached the
 * WAL file through write(2) before the call returns, so killing the process (even
 * SIGKILL) at any moment loses no committed row; only an OS crash or power loss can
 * roll back the last few commits (never corrupt the file).
 *
 * Times are Unix seconds (int64) unless named _ms.  Strings passed in are borrowed
 * for the duration of the call.  Rows handed to callbacks are borrowed and valid
 * only until the callback returns.  A callback may call other store functions, but
 * not the one that is iterating.  If a function returns an error, its callback
 * has not run (or has run for the rows read before the error). */
#ifndef CARRIER_STORE_STORE_H
#define CARRIER_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/charset.h"

enum store_result {
	STORE_ERROR = -1,      /* SQLite failed; logged, message in store_errmsg() */
	STORE_OK = 0,
	STORE_NOT_FOUND = 1,
	STORE_EXISTS = 2,      /* a handle already taken, case-insensitively */
	STORE_INVALID = 3,     /* a string too long for struct store_user */
	STORE_LOCKED = 4,      /* store_user_record_failure: this failure locked it */
};

#define STORE_HANDLE_MAX 32      /* bytes, with the NUL */
#define STORE_PWHASH_MAX 128     /* crypto_pwhash_STRBYTES */
#define STORE_LOCATION_MAX 64
#define STORE_LOGINS_KEEP 1000   /* the logins table keeps this many newest rows */
#define STORE_REASON_MAX 321     /* bytes of a ban's reason with the NUL (80 code points) */
#define STORE_BAN_FOREVER INT64_MAX   /* banned_until of a ban without an end */

struct store_user {
	int64_t id;
	char handle[STORE_HANDLE_MAX];
	char pwhash[STORE_PWHASH_MAX];
	char location[STORE_LOCATION_MAX];
	int level;
	int64_t calls;
	int64_t created;
	int64_t last_on;           /* 0: never logged in */
	int failed_logins;         /* since the last login or the last lockout */
	int64_t locked_until;      /* refuse logins while now < locked_until */
	enum charset charset;      /* the caller's choice (telnet); CHARSET_UNKNOWN if none */
	int chat_bell;             /* the chat's bell setting (the chat module's enum) */
	bool chat_quiet;           /* joins and leaves hidden */
	int64_t banned_until;      /* refuse logins while now < banned_until (0: never
	                            * banned; STORE_BAN_FOREVER: until unbanned) */
	char ban_reason[STORE_REASON_MAX];
};

struct store;

/* Is location a PostgreSQL URL (postgresql:// or postgres://) rather than a file? */
bool store_is_url(const char *location);
/* location as it may be logged: a URL's password replaced by ***. */
void store_redact(const char *location, char *out, size_t cap);
/* "sqlite" or "postgresql". */
const char *store_engine(const struct store *st);

/* Open (creating the file and its parent directory if needed) and bring the schema
 * up to date.  NULL on failure, with a reason in err.  A database written by a newer
 * carrier (higher user_version) is refused. */
struct store *store_open(const char *path, char *err, size_t errlen);
/* Checkpoint the WAL into the main file and close.  NULL is a no-op. */
void store_close(struct store *st);
/* The last SQLite error message (for logs). */
const char *store_errmsg(const struct store *st);
/* What the store counted: statement times, errors (store/stats.h).  Borrowed,
 * live. */
struct store_stats;
const struct store_stats *store_stats(const struct store *st);
/* The SQLite library's version ("3.40.1"). */
const char *store_sqlite_version(void);
/* The schema version this build writes, and the one the open database has. */
int store_schema_version(void);
int store_user_version(struct store *st);

/* Checkpoints.  SQLite folds the WAL back into the database (and fsyncs: the only
 * fsync in WAL mode with synchronous=NORMAL) from whichever commit crosses 1000 WAL
 * pages; on the server that commit runs on the event loop.  So the server turns
 * that off with store_manual_checkpoints and checkpoints (store_checkpoint) from a
 * worker thread when the WAL has grown (store_wal_frames).  Short-lived users
 * (carrier user ...) need neither: store_close checkpoints. */
void store_manual_checkpoints(struct store *st);
/* After store_manual_checkpoints: the frames (pages) in the WAL as of this
 * connection's last commit, whoever's they are (0 before one), and the number of
 * its commits that wrote to the WAL. */
int store_wal_frames(const struct store *st);
uint64_t store_wal_commits(const struct store *st);
/* A connection of its own for checkpoints: opened at the first store_checkpoint
 * and kept for the next ones (opening one parses the schema, which costs more than
 * a checkpoint of a quiet WAL), so use it from one thread at a time.
 * store_checkpoint checkpoints without blocking readers or writers (PASSIVE):
 * STORE_OK or STORE_ERROR (logged; the connection is opened afresh next time).
 * *pages (if not NULL) gets the number of WAL frames checkpointed; *all (if not
 * NULL) whether that is the whole WAL (not while a reader or writer is busy). */
struct store_checkpointer;
struct store_checkpointer *store_checkpointer_new(const char *path);
int store_checkpoint(struct store_checkpointer *c, int *pages, bool *all);
void store_checkpointer_free(struct store_checkpointer *c);

/* ---- backups ----------------------------------------------------------------
 *
 * The server claims its database (store_claim: a shared lock on the file, beside
 * SQLite's own) for as long as it runs; a restore takes it exclusively, so a
 * restore refuses while a server runs and a server refuses to start during a
 * restore.  A backup needs no claim: it is one read transaction. */

/* Hold the database file for this process until store_close.  STORE_OK, or
 * STORE_LOCKED (a restore is under way) / STORE_ERROR with a reason in err. */
int store_claim(struct store *st, const char *path, char *err, size_t errlen);

struct store_copy_info {
	int64_t users;             /* accounts in the copy */
	int schema;                /* its schema version */
	int pages;                 /* database pages copied */
};

/* A consistent copy of the database at path into dest while others (the server)
 * use it: SQLite's online backup API in one step, under one read transaction, so
 * the copy is the database as of one moment, with every commit made before the
 * call.  It is written beside dest, synced, checked (PRAGMA quick_check), then
 * renamed over dest.  STORE_OK (info filled if not NULL), or STORE_ERROR with a
 * reason in err. */
int store_backup(const char *path, const char *dest, struct store_copy_info *info, char *err,
                 size_t errlen);
/* Put the backup at from back as the database at path: from is checked first (a
 * Carrier database, quick_check ok, a schema this build can open), then copied
 * into path with the backup API (path's old WAL cannot leak into it).  Refuses
 * with STORE_LOCKED while a server holds path (store_claim).  STORE_OK, or an
 * error with a reason in err. */
int store_restore(const char *from, const char *path, struct store_copy_info *info, char *err,
                  size_t errlen);

/* A write transaction (BEGIN IMMEDIATE / COMMIT / ROLLBACK): batches several
 * writes into one commit (the chat room flushes its scrollback this way). */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---- users ---------------------------------------------------------------- */

/* Create a user.  handle is unique without regard to ASCII case.  location may be
 * NULL (empty).  On STORE_OK, *id (if id is non-NULL) is the new user's id.
 * STORE_EXISTS if the handle is taken; STORE_INVALID if a string does not fit. */
int store_user_create(struct store *st, const char *handle, const char *pwhash,
                      const char *location, int level, int64_t now, int64_t *id);
/* Find a user by handle (case-insensitively) or id: STORE_OK / STORE_NOT_FOUND. */
int store_user_get(struct store *st, const char *handle, struct store_user *out);
int store_user_get_by_id(struct store *st, int64_t id, struct store_user *out);
/* Updates: STORE_OK, STORE_NOT_FOUND (no such id), STORE_INVALID, STORE_ERROR. */
int store_user_set_password(struct store *st, int64_t id, const char *pwhash);
int store_user_set_level(struct store *st, int64_t id, int level);
int store_user_set_location(struct store *st, int64_t id, const char *location);
int store_user_set_charset(struct store *st, int64_t id, enum charset charset);
int store_user_set_chat(struct store *st, int64_t id, int bell, bool quiet);
/* A ban until `until` (STORE_BAN_FOREVER: no end) with its reason ("" for none;
 * STORE_INVALID if it does not fit); until = 0 lifts it. */
int store_user_set_ban(struct store *st, int64_t id, int64_t until, const char *reason);
/* Delete a user with its logins and tokens. */
int store_user_delete(struct store *st, int64_t id);
/* Every user, by id. */
typedef void (*store_user_cb)(void *ud, const struct store_user *u);
int store_user_list(struct store *st, store_user_cb cb, void *ud);
int64_t store_user_count(struct store *st);    /* -1 on error */

/* ---- logins --------------------------------------------------------------- */

/* A successful login: calls + 1, last_on = now, failed_logins = 0, locked_until = 0,
 * and a row in logins (the table keeps the STORE_LOGINS_KEEP newest). */
int store_user_record_login(struct store *st, int64_t id, int64_t now, int node);
/* A failed password: failed_logins + 1; when that reaches max_failures (> 0),
 * locked_until = now + lock_seconds, failed_logins = 0 and STORE_LOCKED is
 * returned.  max_failures <= 0 never locks. */
int store_user_record_failure(struct store *st, int64_t id, int64_t now, int max_failures,
                              int64_t lock_seconds);

struct store_caller {
	const char *handle;
	const char *location;
	int64_t time;
	int node;
};
typedef void (*store_caller_cb)(void *ud, const struct store_caller *c);
/* The n most recent logins, most recent first. */
int store_last_callers(struct store *st, int n, store_caller_cb cb, void *ud);

/* ---- session tokens --------------------------------------------------------- */

/* Only the token's hash is stored (see token_hash in bbs/password.h).  A hash that
 * already exists is STORE_EXISTS (32 random bytes: never, in practice); an unknown
 * user_id is STORE_NOT_FOUND. */
int store_token_add(struct store *st, const uint8_t hash[32], int64_t user_id,
                    int64_t expires);
/* STORE_OK with *user_id, or STORE_NOT_FOUND if unknown or expired (expires <= now). */
int store_token_lookup(struct store *st, const uint8_t hash[32], int64_t now,
                       int64_t *user_id);
/* Revoking an unknown token is STORE_OK (logoff is idempotent). */
int store_token_revoke(struct store *st, const uint8_t hash[32]);
int store_token_revoke_user(struct store *st, int64_t user_id);
/* Delete expired tokens; returns how many, or -1 on error. */
int64_t store_token_purge(struct store *st, int64_t now);

/* ---- chat scrollback -------------------------------------------------------- */

/* Each room keeps its own rows under its key (room, any string; "" is the default
 * room's).  The chat module stores public events only: private messages (DMs,
 * pages) must never be passed here.  kind is the chat module's; the store keeps it
 * as is.  seq must be unique within the room and below 2^63; to may be NULL. */
int store_chat_append(struct store *st, const char *room, uint64_t seq, int64_t ts_ms,
                      int kind, const char *from, const char *to, const char *text);

struct store_chat_row {
	uint64_t seq;
	int64_t ts_ms;
	int kind;
	const char *from;
	const char *to;            /* NULL if none */
	const char *text;
};
typedef void (*store_chat_cb)(void *ud, const struct store_chat_row *row);
/* The room's last n rows, oldest first. */
int store_chat_recent(struct store *st, const char *room, int n, store_chat_cb cb, void *ud);
/* The room's highest stored seq, 0 if none (or on error: logged). */
uint64_t store_chat_max_seq(struct store *st, const char *room);
/* Keep the room's newest `keep` rows, delete the rest; returns how many went, -1 on
 * error. */
int64_t store_chat_trim(struct store *st, const char *room, int64_t keep);

/* A declared room's topic, kept across restarts: STORE_OK with out filled (cut to
 * cap), or STORE_NOT_FOUND (out untouched). */
int store_chat_topic_get(struct store *st, const char *room, char *out, size_t cap);
int store_chat_topic_set(struct store *st, const char *room, const char *topic);

/* ---- whom a caller ignores ------------------------------------------------------- */

/* STORE_OK, STORE_EXISTS (already), STORE_NOT_FOUND (no such user). */
int store_ignore_add(struct store *st, int64_t user_id, const char *handle, int64_t now);
/* STORE_OK or STORE_NOT_FOUND (was not ignored). */
int store_ignore_remove(struct store *st, int64_t user_id, const char *handle);
typedef void (*store_handle_cb)(void *ud, const char *handle);
/* In the order they were added. */
int store_ignore_list(struct store *st, int64_t user_id, store_handle_cb cb, void *ud);

/* ---- the audit log: what sysops and moderators did ------------------------------ */

/* One row: when, who did it (a handle, or "shell:USER" / "ctl:USER" from the
 * machine), what (kick, mute, unmute, ban, unban, level, delete, broadcast), to
 * whom (a handle, or ""), the particulars (the room, how long, "10 -> 50"; "" if
 * none) and why ("" if no reason was given). */
struct store_audit {
	int64_t id;
	int64_t at;
	const char *actor;
	const char *action;
	const char *target;
	const char *detail;
	const char *reason;
};
int store_audit_add(struct store *st, int64_t at, const char *actor, const char *action,
                    const char *target, const char *detail, const char *reason);
typedef void (*store_audit_cb)(void *ud, const struct store_audit *row);
/* Rows with at >= since, oldest first; with handle (not NULL), only those whose
 * actor or target is that handle (case-insensitively). */
int store_audit_list(struct store *st, int64_t since, const char *handle, store_audit_cb cb,
                     void *ud);

/* ---- telegrams: messages left for a caller who was not online -------------------- */

enum {
	STORE_TELEGRAMS_FULL = 5,      /* the recipient holds its most already */
	STORE_TELEGRAMS_RATE = 6,      /* the sender sent its most this hour */
};

struct store_telegram {
	int64_t id;
	const char *sender;
	const char *text;
	int64_t sent;
	bool read;
};
typedef void (*store_telegram_cb)(void *ud, const struct store_telegram *t);

/* Leave one: STORE_OK, STORE_TELEGRAMS_FULL (to_user has max_held), 
 * STORE_TELEGRAMS_RATE (sender sent max_per_hour in the hour before now),
 * STORE_NOT_FOUND (no such user). */
int store_telegram_add(struct store *st, int64_t to_user, const char *sender, const char *text,
                       int64_t now, int max_held, int max_per_hour);
/* How many a user holds (unread only, or all); -1 on error. */
int64_t store_telegram_count(struct store *st, int64_t to_user, bool unread_only);
/* A user's telegrams, oldest first. */
int store_telegram_list(struct store *st, int64_t to_user, store_telegram_cb cb, void *ud);
/* Mark every telegram of to_user up to and including id read. */
int store_telegram_mark_read(struct store *st, int64_t to_user, int64_t up_to_id);
/* Delete the read ones; returns how many went, -1 on error. */
int64_t store_telegram_delete_read(struct store *st, int64_t to_user);

#endif
