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

#define MOD_REASON_MAX 80            /* code points of a reason */
#define MOD_ANSWER_MAX 256

struct chat_member;

struct mod_actor {
	const char *name;                /* shown to callers: the handle, or "SysOp" */
	const char *audit;               /* in the audit log: the handle, or "ctl:USER" */
	int level;                       /* the account's level (ignored for the machine) */
	struct chat_member *member;      /* the caller's; NULL: the machine's sysop */
};

/* Each does one deed for actor a and writes one line about it into answer (plain
 * text, no line end: what happened, or why not): true if it was done.  reason may
 * be NULL or "" (none); it is sanitized and cut to MOD_REASON_MAX code points.
 * seconds: mute, 0 for the configured mute_seconds; ban, 0 for good. */
bool mod_kick(struct bbs *bbs, const struct mod_actor *a, const char *handle,
              const char *reason, char answer[MOD_ANSWER_MAX]);
bool mod_mute(struct bbs *bbs, const struct mod_actor *a, const char *handle, int64_t seconds,
              const char *reason, char answer[MOD_ANSWER_MAX]);
bool mod_unmute(struct bbs *bbs, const struct mod_actor *a, const char *handle,
                char answer[MOD_ANSWER_MAX]);
bool mod_ban(struct bbs *bbs, const struct mod_actor *a, const char *handle, int64_t seconds,
             const char *reason, char answer[MOD_ANSWER_MAX]);
bool mod_unban(struct bbs *bbs, const struct mod_actor *a, const char *handle,
               char answer[MOD_ANSWER_MAX]);
bool mod_broadcast(struct bbs *bbs, const struct mod_actor *a, const char *text,
                   char answer[MOD_ANSWER_MAX]);

/* The login refusal for an account banned until `until` (STORE_BAN_FOREVER: for
 * good) with reason ("" for none), as one line. */
void mod_ban_notice(int64_t until, const char *reason, char *out, size_t cap);

/* Write an audit row for a deed done elsewhere (the shell's level and delete),
 * logging a failure. */
struct store;
void mod_audit(struct store *st, const char *actor, const char *action, const char *target,
               const char *detail, const char *reason);

#endif
