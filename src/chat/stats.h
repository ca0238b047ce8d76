/* What the chat engine counts: plain integers, owned by the registry (each room
 * counts into its registry's, or its own when it has none), bumped on the loop
 * thread, read by the metrics page. */
#ifndef CARRIER_CHAT_STATS_H
#define CARRIER_CHAT_STATS_H

#include <stdint.h>

#include "chat/event.h"

struct chat_stats {
	uint64_t events[CHAT_KIND_COUNT];      /* events delivered (chat_deliver) */
	/* Lines handed to members, by the kind of event they show: a public line in
	 * a room of M members is M deliveries (the speaker sees it too); a DM is two
	 * (the recipient's line and the sender's receipt). */
	uint64_t delivered[CHAT_KIND_COUNT];
	uint64_t missed;              /* shared lines a congested member did not get */
	uint64_t flood_refused;       /* lines refused by flood control */
	uint64_t joins, leaves;       /* members entering and leaving rooms */
	uint64_t full;                /* joins refused: the room was full */
};

#endif
