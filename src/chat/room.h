/* A teleconference room: who is in it, what was said (a bounded history ring, kept in
 * the store for restarts), join/leave coalescing, flood settings, and the fan-out.
 *
 * A room is made from its own settings, the loop and the store; two rooms share
 * nothing.  Members join and leave through chat/member.h records.  Whatever the room
 * shows its members is an event (chat/event.h) that passes through the room's
 * deliver function: in a registry (chat/registry.h) that is chat_deliver, the one
 * seam every event passes, local or (later) from another server.
 *
 * Fan-out: an event is rendered once, framed once per output variant (struct
 * chat_frame), and every member's queue takes a reference to the same bytes.  A
 * member whose output is congested misses lines (its sink counts them) and is told
 * how many once it drains.  Private lines are written to their two ends only.
 *
 * Used only on the loop thread. */
#ifndef CARRIER_CHAT_ROOM_H
#define CARRIER_CHAT_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "chat/event.h"
#include "chat/member.h"
#include "util/sbuf.h"

struct store;

struct chat_room_settings {
	char name[64];            /* shown on entry; the registry's key (case-insensitive) */
	char store_key[64];       /* its scrollback's key in the store */
	unsigned scrollback;      /* lines shown on entry */
	unsigned capacity;        /* members at once */
	unsigned history;         /* events kept in the ring (and in the store) */
	double flood_rate;        /* lines per second regained */
	unsigned flood_burst;     /* lines that may be said at once */
	unsigned coalesce_ms;     /* join/leave window; 0: announce each at once */
};

/* A room with these settings (copied), its scrollback loaded from st (borrowed;
 * NULL: no persistence), its timers on loop.  Never NULL. */
struct chat_room *chat_room_new(const struct chat_room_settings *set, uv_loop_t *loop,
                                struct store *st);
/* Saves unsaved scrollback, drops the members (they are not told: the server is
 * going), closes the timers; the memory goes when their close callbacks have run
 * (at once if the loop already closed them).  NULL is a no-op. */
void chat_room_free(struct chat_room *r);

const char *chat_room_name(const struct chat_room *r);
size_t chat_room_count(const struct chat_room *r);

/* The events the room announces itself (coalesced joins and leaves) go to
 * deliver(ud, ev); by default to chat_room_deliver.  A registry points it at
 * chat_deliver. */
typedef void (*chat_deliver_fn)(void *ud, struct chat_event *ev);
void chat_room_set_deliver(struct chat_room *r, chat_deliver_fn fn, void *ud);

enum chat_join_result {
	CHAT_JOINED,
	CHAT_ROOM_FULL,
};
/* Join m (which must be in no room) at now_ms (loop clock): subscribed at once,
 * the others told (coalesced).  The caller then shows the welcome. */
enum chat_join_result chat_room_join(struct chat_room *r, struct chat_member *m,
                                     int64_t now_ms);
/* Leave whatever room m is in (the others are told); a no-op outside a room. */
void chat_room_leave(struct chat_member *m);

/* What a member sees on entry, appended to out: the screen cleared, the header
 * (who else is here) and the last lines said, oldest first. */
void chat_room_welcome(const struct chat_room *r, const struct chat_member *m,
                       struct sbuf *out);

/* The members, for /who: handles (borrowed from their sinks, valid until the
 * next join or leave), entry times and levels.  Returns how many were written. */
struct chat_who_entry;
size_t chat_room_who(const struct chat_room *r, struct chat_who_entry *out, size_t max);

/* Stamp, keep and fan out an event of this room: PUBLIC, ACTION, SYSOP, SYSTEM,
 * JOIN and LEAVE (coalesced: named members are not told of themselves).  Private
 * kinds go through the registry.  Strings are borrowed for the call. */
void chat_room_deliver(struct chat_room *r, struct chat_event *ev);

#endif
