/* The teleconference room: who is in it, what was said (a bounded history ring,
 * kept in SQLite for restarts), and the fan-out.  An event is rendered once per
 * output variant into a shared buffer; every member's queue takes a reference to
 * the same bytes.  A member whose connection is congested misses lines (counted by
 * its connection) and is told how many once it drains.  Private messages and pages
 * are written to their two ends only.
 *
 * One room per BBS, owned by it; used only on the loop thread. */
#ifndef CARRIER_CHAT_ROOM_H
#define CARRIER_CHAT_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/event.h"

struct bbs;
struct session;
struct chat_room;

/* What a chat line ends with: the prompt the input line is drawn after. */
#define CHAT_PROMPT "\x1b[0;1;32m>\x1b[0m "

struct chat_room *chat_room_new(struct bbs *bbs);
/* Flushes unsaved scrollback.  NULL is a no-op. */
void chat_room_free(struct chat_room *room);

/* From the menu: join the room (or hear that it is full and stay put). */
void chat_room_enter(struct chat_room *room, struct session *s);
/* The session is going (hang-up, drop): if it is in the room, it leaves, and the
 * others are told exactly once. */
void chat_room_forget(struct chat_room *room, struct session *s);
/* Its connection caught up after missing `dropped` lines. */
void chat_room_drained(struct chat_room *room, struct session *s, uint64_t dropped);

/* For the chat state (session_chat.c). */
void chat_room_leave(struct chat_room *room, struct session *s);
/* Stamp, keep and send an event to everyone in the room (public kinds). */
void chat_room_publish(struct chat_room *room, struct chat_event *ev);
/* A DM or page: to its two ends only.  to may be outside the room (a page). */
void chat_room_private(struct chat_room *room, struct chat_event *ev, struct session *from,
                       struct session *to);
/* Lines for this member alone, printed above its input line. */
void chat_room_tell(struct chat_room *room, struct session *s, const uint8_t *term, size_t len);
/* The member's handles and entry times, for /who. */
struct chat_who_entry;
size_t chat_room_who(struct chat_room *room, struct chat_who_entry *out, size_t max);
/* The online caller with this handle (anywhere in the BBS), or NULL. */
struct session *chat_room_find_caller(struct chat_room *room, const char *handle);
bool chat_room_has(const struct chat_room *room, const struct session *s);
/* Who last sent this member a private message ("" if nobody). */
const char *chat_room_reply_to(const struct session *s);
/* Flood control: may this member say one more line now?  After a refusal,
 * whether to tell them to slow down (and how many lines were dropped). */
bool chat_room_allow(struct chat_room *room, struct session *s);
bool chat_room_flood_notice(struct chat_room *room, struct session *s, uint64_t *dropped);

/* The state a session is in while in the room. */
struct session_state;
extern const struct session_state state_chat;

#endif
