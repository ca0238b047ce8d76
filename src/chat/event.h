/* The chat event: one thing that happened in the teleconference, as a plain value.
 *
 * The room stamps an event (seq, ts_ms), keeps it in its history ring and hands it
 * to the renderers (chat/render.h).  The struct itself owns nothing: every string
 * and the names array are borrowed from whoever built the event and must stay valid
 * while the event is used (a renderer only reads them during the call).  Whoever
 * stores an event (the history ring) copies the strings it needs.
 *
 * Strings are NUL-terminated UTF-8.  Text typed by a caller should have been through
 * chat_sanitize (chat/sanitize.h) already; the renderers sanitize every string again
 * on output anyway (handles included), so nothing in an event can reach a terminal
 * as a control character. */
#ifndef CARRIER_CHAT_EVENT_H
#define CARRIER_CHAT_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Levels, as the chat sees them.  A caller at or above CHAT_LEVEL_SYSOP chats in
 * white and may use sysop-only commands.  The account module maps its own levels
 * onto this scale (0..255, Wildcat-ish: 10 a new caller, 255 the sysop). */
#define CHAT_LEVEL_USER 10u
#define CHAT_LEVEL_SYSOP 200u

enum chat_kind {
	CHAT_PUBLIC,    /* from: text                        "[HH:MM] Alice: hello"     */
	CHAT_ACTION,    /* /me                               "* Alice waves"            */
	CHAT_JOIN,      /* from, or names/n_names/n_more when coalesced                 */
	CHAT_LEAVE,     /* likewise                                                      */
	CHAT_DM,        /* from -> to: text, written to its two ends only               */
	CHAT_PAGE,      /* from -> to [: text], with a bell, two ends only              */
	CHAT_SYSOP,     /* /sysop text: the official announcement                       */
	CHAT_SYSTEM,    /* a line from the server itself: text                          */
	CHAT_INVITE,    /* from -> to: come to room `room`; two ends only, a bell       */
	CHAT_TOPIC,     /* from set the room's topic to text ("" clears it)             */
	CHAT_KICK,      /* from put `to` out of the room (text: why), until until_ms    */
	CHAT_BROADCAST, /* from to every caller anywhere in the BBS: text, with a bell  */
	CHAT_KIND_COUNT
};

struct chat_event {
	uint64_t seq;                 /* the room's sequence number (0 = not stamped)  */
	int64_t ts_ms;                /* wall clock, ms since the epoch                */
	enum chat_kind kind;
	const char *room;             /* the room's name for room events; NULL for DM and
	                               * PAGE and BROADCAST; for INVITE the room
	                               * invited to                                    */
	const char *from;             /* handle of the sender; may be NULL for SYSTEM  */
	const char *to;               /* DM / PAGE: the recipient's handle             */
	const char *text;             /* may be NULL or "" (PAGE without text, JOIN…)  */
	unsigned from_level;          /* >= CHAT_LEVEL_SYSOP: public text in white     */
	int64_t until_ms;             /* KICK: when `to` may come back (wall clock)     */
	/* JOIN / LEAVE coalesced over a short window (chat_coalesce in chat/flood.h): n_names handles
	 * in names[], plus n_more not named.  When names is NULL and n_more is 0 the
	 * event is about `from` alone. */
	const char *const *names;
	size_t n_names;
	size_t n_more;
	/* NULL: it happened on this server.  Otherwise the name of the server it came
	 * from over the cluster's bus: delivered here only (not published again), not
	 * written to the store (its origin writes it), its seq and ts_ms kept. */
	const char *origin;
};

/* Event time stamps, kicks and mutes: the wall clock in ms since the epoch (the same
 * on every server of a cluster, unlike the loop's clock). */
static inline int64_t chat_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
