/* Moderation: what sysops, moderators and room owners may do to callers (kick,
 * mute, ban, broadcast).  The chat's commands (bbs/chat.c) and the control line
 * (src/ctl/) both come here: each deed is checked the same way, done, and written to
 * the audit log (store_audit_add).
 *
 * Who may do what (levels are the accounts' levels):
 *   kick, mute, unmute   moderators (moderator_level and up, sysops included), on
 *                        callers below their own level; a room's owner, in that
 *                        room, on callers below moderator_level (its mute covers
 *                        that room only)
 *   ban, unban,          sysops (LEVEL_SYSOP and up), on callers below their level
 *   broadcast
 *   the machine's sysop  (the control line: actor->member NULL) everything, on anyone
 *
 * Kicks and mutes are by handle and outlive a logoff (the chat registry keeps them
 * until they end; not across a restart); bans are in the account (the store) and
 * outlive everything.  Used only on the loop thread. */
#ifndef CARRIER_BBS_MODERATE_H
#define CARRIER_BBS_MODERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bbs/bbs.h"
#include "chat/sanitize.h"
#include "store/store.h"

#define MOD_REASON_MAX 80            /* code points of a reason */
#define MOD_ANSWER_MAX 256

struct chat_member;

struct mod_actor {
	const char *name;                /* shown to callers: the handle, or "SysOp" */
	const char *audit;               /* in the audit log: the handle, or "ctl:USER" */
	int level;                       /* the account's level (ignored for the machine) */
	struct chat_member *member;      /* the caller's; NULL: the machine's sysop */
};

/* A deed (kick, mute, unmute, ban, unban, broadcast) asked by an actor: its words,
 * then the target's account as the database has it.  The caller makes it with
 * mod_deed_init, has mod_deed_read run as a job's work (off the loop on
 * PostgreSQL) unless mod_deed_needs_read says not, then calls mod_deed_do on the
 * loop, which does the deed for actor a and writes one line about it into answer
 * (plain text, no line end: what happened, or why not): true if it was done.
 * What the deed writes (the ban, the audit row) goes through the store's queue.
 *
 * The text is the reason (kick, mute, ban; sanitized and cut to MOD_REASON_MAX
 * code points; "" for none) or the broadcast.  seconds: mute, 0 for the
 * configured mute_seconds; ban, 0 for good. */
enum mod_verb { MOD_KICK, MOD_MUTE, MOD_UNMUTE, MOD_BAN, MOD_UNBAN, MOD_BROADCAST };

struct mod_deed {
	enum mod_verb verb;
	char handle[64];
	int64_t seconds;
	int64_t now;
	char text[4 * CHAT_LINE_MAX_CHARS + 1];
	/* who asks, as far as a ban needs to know (it is decided with the account) */
	bool by_machine, by_sysop;
	int by_level;
	char by_name[64], by_audit[64];
	/* the read (and, for a ban or an unban, the write) */
	int rc;                          /* STORE_OK, STORE_NOT_FOUND, STORE_ERROR */
	struct store_user u;
	bool written;                    /* the ban (or its end) and its audit row are stored */
};

/* A ban or an unban is decided and written in the job that reads its account, so
 * that "X is banned" is said only once the ban is stored.  false if the handle is
 * too long to be anyone's (the deed then finds nobody). */
bool mod_deed_init(struct mod_deed *d, const struct mod_actor *a, enum mod_verb verb,
                   const char *handle, int64_t seconds, const char *text);
bool mod_deed_needs_read(const struct mod_deed *d);
struct store;
void mod_deed_read(struct store *st, void *deed);
bool mod_deed_do(struct bbs *bbs, const struct mod_actor *a, const struct mod_deed *d,
                 char answer[MOD_ANSWER_MAX]);

/* The login refusal for an account banned until `until` (STORE_BAN_FOREVER: for
 * good) with reason ("" for none), as one line. */
void mod_ban_notice(int64_t until, const char *reason, char *out, size_t cap);

/* Write an audit row (the shell's level and delete; a queued deed's), logging a
 * failure. */
void mod_audit(struct store *st, const char *actor, const char *action, const char *target,
               const char *detail, const char *reason);

#endif
