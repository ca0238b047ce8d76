/* What the chat engine's own files share: the member record, the directory's
 * listing, and the room's path for a line to one member (private lines).  Not for use outside src/chat/. */
#ifndef CARRIER_CHAT_INTERNAL_H
#define CARRIER_CHAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "chat/flood.h"
#include "chat/member.h"
#include "chat/room.h"

struct chat_member {
	struct chat_sink *sink;          /* borrowed from the BBS side */
	struct chat_room *room;          /* the room it is in, or NULL */
	struct chat_registry *reg;       /* the directory it is listed in, or NULL */
	struct chat_member *next;        /* the directory's bucket chain */
	char *reply_to;                  /* who last sent it a DM; NULL until then */
	int64_t since_ms;                /* joined its room (loop clock) */
	struct flood flood;              /* with its room's settings */
	uint32_t index;                  /* in its room's member array */
	bool typing;
};

/* Event time stamps: the wall clock in ms since the epoch. */
static inline int64_t chat_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The directory (registry.c): list and unlist a member. */
void chat_registry_list(struct chat_registry *reg, struct chat_member *m);
void chat_registry_unlist(struct chat_registry *reg, struct chat_member *m);

/* A line (terminal bytes, complete lines) for one member in a room, through the
 * shared path over its prompt, so that a congested member counts it as missed. */
void chat_member_send_line(struct chat_member *m, const uint8_t *term, size_t len);
/* The room's flood settings. */
const struct flood_cfg *chat_room_flood(const struct chat_room *r);

#endif
