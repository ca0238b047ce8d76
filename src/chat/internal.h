/* What the chat engine's own files share: the member record, the directory's
 * listing, and the room's paths for one member (private lines) and for rooms that
 * empty out.  Not for use outside src/chat/. */
#ifndef CARRIER_CHAT_INTERNAL_H
#define CARRIER_CHAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "chat/flood.h"
#include "chat/member.h"
#include "chat/room.h"
#include "chat/stats.h"

struct chat_member {
	struct chat_sink *sink;          /* borrowed from the BBS side */
	struct chat_room *room;          /* the room it is in, or NULL */
	struct chat_registry *reg;       /* the directory it is listed in, or NULL */
	struct chat_member *next;        /* the directory's bucket chain */
	char *reply_to;                  /* who last sent it a DM; NULL until then */
	char **ignores;                  /* handles, n_ignores of them; NULL if none */
	char *away;                      /* the away message; NULL: here */
	char **away_told;                /* senders auto-replied this away period */
	int64_t since_ms;                /* joined its room (loop clock) */
	struct flood flood;              /* with its room's settings */
	uint32_t index;                  /* in its room's member array */
	uint16_t n_ignores, n_away_told;
	uint8_t layout;                  /* enum chat_layout */
	uint8_t bell;                    /* enum chat_bell */
	bool typing;
	bool quiet;
};

/* The directory (registry.c): list and unlist a member. */
void chat_registry_list(struct chat_registry *reg, struct chat_member *m);
void chat_registry_unlist(struct chat_registry *reg, struct chat_member *m);
/* A room made by a caller has emptied out: the registry drops it. */
void chat_registry_room_empty(struct chat_registry *reg, struct chat_room *r);

/* One line for many members (room.c): term (complete lines) wrapped for each layout
 * into sb (reset), f pointing at it; chat_frame_send queues it for a member in a
 * room in its layout (redrawing a half-typed line), counted in the room's stats as
 * a delivery of kind or as missed (CHAT_KIND_COUNT: not a chat line, uncounted),
 * and says which; chat_frame_release drops the framed buffers the sinks cached in f. */
void chat_frame_wrap(struct sbuf *sb, const uint8_t *term, size_t len, struct chat_frame *f);
bool chat_frame_send(struct chat_member *m, struct chat_frame *f, enum chat_kind kind);
void chat_frame_release(struct chat_frame *f);
/* A line (terminal bytes, complete lines) for one member in a room, through the
 * shared path in its layout, so that a congested member counts it as missed.
 * False if it was missed (counted in the room's stats). */
bool chat_member_send_line(struct chat_member *m, const uint8_t *term, size_t len,
                           enum chat_kind kind);
/* The room's flood settings. */
const struct flood_cfg *chat_room_flood(const struct chat_room *r);
/* The room's registry (set when it is added), or NULL. */
void chat_room_set_registry(struct chat_room *r, struct chat_registry *reg);
/* Give ev (an event of r said here, not yet stamped) its seq and time now, so it
 * can be published before r's own members are written to; chat_room_deliver then
 * keeps them. */
void chat_room_stamp(struct chat_room *r, struct chat_event *ev);

/* Is an away auto-reply due to this sender (once per sender per away period)?
 * Records that it was given. */
bool chat_member_away_reply_due(struct chat_member *m, const char *sender);

/* Does the member refuse lines from this handle?  (NULL: no sender.) */
static inline bool chat_member_refuses(const struct chat_member *m, const char *from)
{
	return m->n_ignores > 0 && from != NULL && chat_member_ignores(m, from);
}
/* Where the room counts (its registry's stats once added to one, else its own). */
struct chat_stats *chat_room_stats(struct chat_room *r);
void chat_room_count_into(struct chat_room *r, struct chat_stats *stats);

#endif
