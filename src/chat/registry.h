/* The chat engine's registry: the rooms by name, the members by handle, and
 * chat_deliver, the one function every chat event passes through.
 *
 *   BBS side (a caller's command)          elsewhere (another server, later)
 *                 \                          /
 *                  chat_deliver(reg, event)            <- the seam
 *                 /                          \
 *      room event: that room's fan-out     private: its two ends, by handle
 *      (rendered once per output variant)  (the recipient wherever it is)
 *
 * A room's own announcements (coalesced joins and leaves) take the same path.
 * Nothing past chat_deliver knows where an event came from, so events read from a
 * bus can be fed to it without touching the fan-out.
 *
 * Used only on the loop thread. */
#ifndef CARRIER_CHAT_REGISTRY_H
#define CARRIER_CHAT_REGISTRY_H

#include "chat/event.h"
#include "chat/member.h"
#include "chat/room.h"

struct chat_registry;

struct chat_registry *chat_registry_new(void);
/* Frees every room (chat_room_free) and forgets the members (they stay valid and
 * must still be freed by their owners).  NULL is a no-op. */
void chat_registry_free(struct chat_registry *reg);

/* Take ownership of room r under its name; the first room added is the default.
 * False (r not taken) if a room of that name exists. */
bool chat_registry_add(struct chat_registry *reg, struct chat_room *r);
/* The room called name (case-insensitively), or NULL. */
struct chat_room *chat_registry_room(const struct chat_registry *reg, const char *name);
struct chat_room *chat_registry_default(const struct chat_registry *reg);
/* The rooms, in the order they were added (declared rooms first): i < count. */
size_t chat_registry_count(const struct chat_registry *reg);
struct chat_room *chat_registry_room_at(const struct chat_registry *reg, size_t i);
/* The settings a room a caller makes starts from (copied; name, owner, topic and
 * the rest of its identity are set per room).  Until set, capacity 0: no caller
 * may make a room. */
void chat_registry_set_caller_rooms(struct chat_registry *reg, const struct chat_room_settings *t,
                                    uv_loop_t *loop);
/* Make a room called name for its owner (a valid, unused name; see
 * chat_room_name_ok): NULL if callers may not make rooms, the name is bad or
 * taken, or too many rooms exist.  It is listed, open, and vanishes when the last
 * member leaves. */
struct chat_room *chat_registry_make_room(struct chat_registry *reg, const char *name,
                                          const char *owner);
/* Members listed in the directory (every logged-in caller). */
size_t chat_registry_n_members(const struct chat_registry *reg);
/* What the engine counted: every room's events and deliveries, and the private
 * lines' (chat/stats.h).  Borrowed, live. */
struct chat_stats;
const struct chat_stats *chat_registry_stats(const struct chat_registry *reg);

/* How many members the directory lists (callers logged in here). */
size_t chat_registry_member_count(const struct chat_registry *reg);
/* The member with this handle (ASCII case-insensitively), or NULL.  If a handle is
 * listed twice (a caller taking over an older node), the newer one. */
struct chat_member *chat_registry_find(const struct chat_registry *reg, const char *handle);

/* Mutes, by handle (ASCII case-insensitively), kept here so that logging off and on
 * again does not lift them: a muted caller's lines, actions, DMs and pages are
 * refused where they are said (the BBS side asks before it speaks).  room: the one
 * room the mute covers (a room owner's), or NULL for everywhere.  Times are wall
 * clock ms.  chat_registry_mute replaces the handle's mute; false if too many mutes
 * are in force.  chat_registry_muted: until when handle may not speak in room (NULL:
 * privately), or 0. */
bool chat_registry_mute(struct chat_registry *reg, const char *handle, const char *room,
                        int64_t until_ms, int64_t now_ms);
bool chat_registry_unmute(struct chat_registry *reg, const char *handle);
int64_t chat_registry_muted(struct chat_registry *reg, const char *handle, const char *room,
                            int64_t now_ms);

/* ---- several servers, one BBS ---- */

/* The bus to the other servers of a cluster (src/cluster/ implements it).  Events
 * that happen here pass chat_deliver as before and are then handed to publish;
 * events from another server are fed to chat_deliver with ev->origin set and are
 * delivered here only.  Without a bus (the default), nothing changes. */
struct chat_bus_ops {
	/* ev (origin NULL) was delivered here: carry it to the servers that need it
	 * (a room's, the one holding a private event's recipient, every one for a
	 * broadcast).  ev is stamped (seq, ts_ms); borrowed for the call. */
	void (*publish)(void *ud, const struct chat_event *ev);
	/* A room is here now (declared, or made by a caller), or has gone. */
	void (*room_opened)(void *ud, const char *name);
	void (*room_closed)(void *ud, const char *name);
	/* The room's members on the other servers: how many, and the handles of up
	 * to max of them in names (borrowed until the next event from the bus). */
	size_t (*remote_members)(void *ud, const char *room, const char **names, size_t max);
};
/* ops (static) and ud borrowed; room_opened is called at once for every room
 * there is.  seq_id (1..4095, 0 for none) keeps the rooms' sequence numbers unique
 * among servers sharing one store: a room event's seq is then its time in ms
 * shifted left 20 bits, a per-ms counter and seq_id in the low 12. */
void chat_registry_set_bus(struct chat_registry *reg, const struct chat_bus_ops *ops, void *ud,
                           unsigned seq_id);
unsigned chat_registry_seq_id(const struct chat_registry *reg);
/* The bus's remote_members (0 without a bus). */
size_t chat_registry_remote_members(const struct chat_registry *reg, const char *room,
                                    const char **names, size_t max);
/* Tell every member listed here one line of its own (a notice: "the other servers
 * cannot be reached"), wherever it is in the BBS. */
void chat_registry_tell_all(struct chat_registry *reg, const char *text);

/* The seam.  ev->room names the room for room events; DM, PAGE and INVITE go to
 * the members named ev->to (the recipient's view: in a room, over its prompt like
 * any room line; elsewhere in the BBS, told) and ev->from (the sender's receipt).
 * BROADCAST goes to every member, in a room or not (nobody can ignore it).
 * An end that is not here is skipped; an event for a room that is not here is
 * dropped.  A recipient who ignores the sender gets nothing (the sender is not told);
 * its bell setting decides whether the line rings.  A DM makes its sender the
 * recipient's reply target, and to an away recipient it brings the sender the away
 * message once per away period.  Strings are borrowed for the call. */
void chat_deliver(struct chat_registry *reg, struct chat_event *ev);

/* For a private event: is its recipient here?  (A sender with a bus publishes it
 * only when not.) */
bool chat_registry_has(const struct chat_registry *reg, const char *handle);

#endif
