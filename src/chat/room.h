/* A teleconference room: who is in it, what was said (a bounded history ring, kept in
 * the store for restarts), its topic, who may enter, join/leave coalescing, flood
 * settings, and the fan-out.
 *
 * A room is made from its own settings, the loop and the store; two rooms share
 * nothing.  Members join and leave through chat/member.h records.  Whatever the room
 * shows its members is an event (chat/event.h); the events the room makes itself
 * (coalesced joins and leaves) go through its registry's chat_deliver
 * (chat/registry.h), the one seam every event passes, local or (later) from another
 * server.
 *
 * Fan-out: an event is rendered once, wrapped once per screen layout and framed once
 * per output variant (struct chat_frame), and every member's queue takes a
 * reference to the same bytes.  Members who ignore the sender are skipped (and quiet
 * members skip joins and leaves): nothing is rendered per recipient.  A member whose
 * output is congested misses lines (its sink counts them) and is told how many once
 * it drains.
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
struct store_queue;

#define CHAT_ROOM_NAME_MAX 20        /* a caller's room: letters, digits, '-', '_' */
#define CHAT_TOPIC_MAX 100           /* code points of a topic */

struct chat_room_settings {
	char name[64];            /* the registry's key, case-insensitive */
	char store_key[64];       /* its scrollback's (and topic's) key in the store */
	char topic[4 * CHAT_TOPIC_MAX + 1];   /* the topic it starts with (UTF-8) */
	char owner[32];           /* the caller who made it; "" for a declared room */
	unsigned min_rank;        /* the account level needed to enter (0: anyone) */
	bool listed;              /* /list shows it */
	bool made_by_caller;      /* it vanishes when the last member leaves */
	unsigned scrollback;      /* lines shown on entry */
	unsigned capacity;        /* members at once */
	unsigned history;         /* events kept in the ring (and in the store) */
	double flood_rate;        /* lines per second regained */
	unsigned flood_burst;     /* lines that may be said at once */
	unsigned coalesce_ms;     /* join/leave window; 0: announce each at once */
};

/* Is name a valid room name (1..CHAT_ROOM_NAME_MAX letters, digits, '-', '_')? */
bool chat_room_name_ok(const char *name);

/* A room with these settings (copied), its scrollback and topic loaded from st
 * (borrowed; NULL: no persistence), its timers on loop.  Never NULL. */
struct chat_room *chat_room_new(const struct chat_room_settings *set, uv_loop_t *loop,
                                struct store *st);
/* The same in two steps, so that the reading can leave the loop: what the room
 * keeps in st (its last sequence number, its recent lines, its topic), read by
 * chat_room_read_saved (store calls only: any thread), then the room made from it
 * by chat_room_new_saved, which takes sv (NULL: nothing saved).  st is the store the
 * room writes to (or NULL: it keeps nothing). */
struct chat_room_saved;
struct chat_room_saved *chat_room_read_saved(struct store *st,
                                             const struct chat_room_settings *set);
struct chat_room *chat_room_new_saved(const struct chat_room_settings *set, uv_loop_t *loop,
                                      struct store *st, struct chat_room_saved *sv);
void chat_room_saved_free(struct chat_room_saved *sv);
/* Write what the room keeps (its lines, its topic) through q's jobs rather than
 * on the store directly: off the loop on PostgreSQL.  Reads stay at creation. */
void chat_room_set_queue(struct chat_room *r, struct store_queue *q);
/* New settings for a live room (a reload): name, who may enter (min_rank), whether
 * /list shows it, scrollback, capacity, history, flood and coalescing take effect
 * at once for what happens next; members stay (a lower capacity or a higher
 * min_rank turns away newcomers only), the history keeps its newest lines, the
 * members' flood buckets keep their tokens (capped by the new burst), and joins
 * and leaves collected under the old window are announced first.  What the room
 * is stays: its store key, its current topic, its owner.  set is copied. */
void chat_room_configure(struct chat_room *r, const struct chat_room_settings *set);
/* Saves unsaved scrollback, drops the members (they are not told: the server is
 * going, or the room is empty), closes the timers; the memory goes when their close
 * callbacks have run (at once if the loop already closed them).  NULL is a no-op. */
void chat_room_free(struct chat_room *r);

const char *chat_room_name(const struct chat_room *r);
size_t chat_room_count(const struct chat_room *r);
const struct chat_room_settings *chat_room_settings(const struct chat_room *r);
const char *chat_room_topic(const struct chat_room *r);       /* "" if none */
const char *chat_room_owner(const struct chat_room *r);       /* "" if declared */
bool chat_room_private(const struct chat_room *r);
size_t chat_room_capacity(const struct chat_room *r);
/* What a room counted while in no registry (chat/stats.h); a room in a registry
 * counts into the registry's (chat_registry_stats). */
struct chat_stats;
const struct chat_stats *chat_room_own_stats(const struct chat_room *r);

enum chat_join_result {
	CHAT_JOINED,
	CHAT_ROOM_FULL,
	CHAT_ROOM_PRIVATE,       /* invitation only, and m was not invited */
	CHAT_ROOM_LEVEL,         /* m's rank is under the room's min_rank */
	CHAT_ROOM_KICKED,        /* m was kicked out and its time is not up */
};
/* Would r take m now?  CHAT_JOINED if so; the reason if not. */
enum chat_join_result chat_room_admits(const struct chat_room *r, const struct chat_member *m);
/* Join m (which must be in no room) at now_ms (loop clock): subscribed at once, the
 * others told (coalesced).  Sysops (CHAT_LEVEL_SYSOP) pass every gate but
 * capacity; the owner passes the level and the invitation list, not a kick.  The
 * caller then shows the welcome. */
enum chat_join_result chat_room_join(struct chat_room *r, struct chat_member *m,
                                     int64_t now_ms);
/* Leave whatever room m is in (the others are told); a no-op outside a room.  A
 * room a caller made vanishes when its last member leaves. */
void chat_room_leave(struct chat_member *m);

/* What a member sees on entry, appended to out: the header (the room, its topic,
 * who else is here) and the last lines said, oldest first.  No screen control: the
 * caller clears or lays out the screen first. */
void chat_room_welcome(const struct chat_room *r, const struct chat_member *m,
                       struct sbuf *out);
/* The room's status line as plain text (room, topic, how many are here, /help),
 * cut to cols - 1 columns; appended to out. */
void chat_room_status(const struct chat_room *r, unsigned cols, struct sbuf *out);

/* The members, for /who: handles (borrowed from their sinks, valid until the
 * next join or leave), entry times, levels, away messages.  Returns how many were
 * written. */
struct chat_who_entry;
size_t chat_room_who(const struct chat_room *r, struct chat_who_entry *out, size_t max);

/* ---- the room's owner and sysops ---- */

/* May m run the room (topic, private, invitations)?  Its owner and sysops may. */
bool chat_room_may_run(const struct chat_room *r, const struct chat_member *m);
/* Invitation only, or open again (the invitations are kept). */
void chat_room_set_private(struct chat_room *r, bool private_);
/* Invitations, by handle (ASCII case-insensitive); false if there was nothing to
 * change (already invited / not invited) or the list is full. */
bool chat_room_invite(struct chat_room *r, const char *handle);
bool chat_room_uninvite(struct chat_room *r, const char *handle);
bool chat_room_invited(const struct chat_room *r, const char *handle);

/* ---- kicks (chat_deliver of a CHAT_KICK event puts a member out) ---- */

/* Until when (wall clock ms) handle is kept out of r, or 0 if it may enter. */
int64_t chat_room_kicked_until(const struct chat_room *r, const char *handle, int64_t now_ms);
/* Let a kicked handle back in at once; false if it was not kept out. */
bool chat_room_forgive(struct chat_room *r, const char *handle);

/* Stamp, keep and fan out an event of this room: PUBLIC, ACTION, SYSOP, SYSTEM,
 * TOPIC (which also changes the topic, kept in the store for a declared room),
 * KICK (the member named `to` is taken out without a leave line, kept out until
 * ev->until_ms, and told through its sink's evicted after the room has heard),
 * JOIN and LEAVE (coalesced: named members are not told of themselves).  Private
 * kinds go through the registry.  Strings are borrowed for the call. */
void chat_room_deliver(struct chat_room *r, struct chat_event *ev);

#endif
