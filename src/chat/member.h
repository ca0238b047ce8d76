/* A caller as the chat engine knows it: a member record, and the sink through which
 * the engine reaches the caller.
 *
 * The engine never sees a session, a connection or a transport.  The BBS side
 * implements a sink for each logged-in caller (three functions) and gets a member
 * record back; the member is listed in the registry's directory (so private lines
 * and pages find it by handle) and is in at most one room at a time.
 *
 * A sink is borrowed: it must outlive its member (free the member first).  Its
 * handle is borrowed too and must not change while the member lives.
 *
 * Used only on the loop thread. */
#ifndef CARRIER_CHAT_MEMBER_H
#define CARRIER_CHAT_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct chat_event;

/* Output variants a shared line may be framed for (the connection's WebSocket,
 * telnet UTF-8, telnet CP437, SSH UTF-8 and CP437): at least as many as the BBS
 * side has (bbs/session.c asserts it). */
#define CHAT_FRAME_VARIANTS 6

/* How a member's screen is laid out in a room:
 *  LINE   line by line: a room line is written over the prompt line, followed by the
 *         prompt again (the half-typed input is then redrawn by the sink);
 *  SPLIT  the conversation scrolls in a region above, a status line under it and the
 *         input line pinned at the bottom: a room line is written into the region's
 *         bottom row (kept blank) with the cursor saved and restored, so the input
 *         line is never touched.  Relative moves only: the same bytes fit any size. */
enum chat_layout {
	CHAT_LAYOUT_LINE,
	CHAT_LAYOUT_SPLIT,
	CHAT_LAYOUTS
};

/* A line shared by many members: terminal bytes per layout (UTF-8, borrowed for the
 * fan-out) and one framed buffer per layout and output variant, made by the first
 * sink that needs it and reused by every other.  The room drops the cache's
 * references afterwards.  term[layout] may be NULL: nothing for that layout. */
struct chat_frame {
	const uint8_t *term[CHAT_LAYOUTS];
	size_t len[CHAT_LAYOUTS];
	struct buf *cache[CHAT_LAYOUTS][CHAT_FRAME_VARIANTS];
};

struct chat_sink;

struct chat_sink_ops {
	/* Queue a shared line: frame f->term[layout] for this caller's output
	 * variant through f->cache[layout] (framing at most once per layout and
	 * variant) and queue that buffer.  False if the caller's output is congested
	 * and the line was dropped; the sink counts drops and later calls
	 * chat_member_drained with the count. */
	bool (*send_shared)(struct chat_sink *sink, struct chat_frame *f, enum chat_layout layout);
	/* Lines for this caller alone (terminal bytes, complete lines ending in CR LF),
	 * shown above its half-typed input; never dropped.  Borrowed for the call. */
	void (*tell)(struct chat_sink *sink, const uint8_t *term, size_t len);
	/* A shared line went out over the prompt line: draw the half-typed input
	 * again.  Called only for members marked typing (chat_member_set_typing). */
	void (*redraw_input)(struct chat_sink *sink);
	/* The member was put out of its room (ev is the CHAT_KICK that did it): it
	 * is in no room now, and the BBS side takes the caller elsewhere. */
	void (*evicted)(struct chat_sink *sink, const struct chat_event *ev);
};

struct chat_sink {
	const struct chat_sink_ops *ops;
	const char *handle;          /* borrowed; the canonical spelling */
	unsigned level;              /* CHAT_LEVEL_* (chat/event.h): how they are shown */
	unsigned rank;               /* the account's level, for rooms' min_rank */
};

/* Which private lines ring the member's bell: ON all (DMs, invitations, pages),
 * PAGE only pages, OFF none. */
enum chat_bell {
	CHAT_BELL_ON,
	CHAT_BELL_PAGE,
	CHAT_BELL_OFF,
};

#define CHAT_IGNORE_MAX 64           /* handles a member may ignore */
#define CHAT_AWAY_MAX 80             /* code points of an away message */

struct chat_member;
struct chat_registry;
struct chat_room;

/* A member for sink, listed in reg's directory (reg may be NULL: a member that
 * only ever joins rooms directly, as in tests).  Never NULL (allocation failure
 * is fatal). */
struct chat_member *chat_member_new(struct chat_registry *reg, struct chat_sink *sink);
/* Leave the room (the others are told), leave the directory, free.  NULL is a
 * no-op. */
void chat_member_free(struct chat_member *m);

struct chat_sink *chat_member_sink(const struct chat_member *m);
const char *chat_member_handle(const struct chat_member *m);
/* The room the member is in, or NULL. */
struct chat_room *chat_member_room(const struct chat_member *m);

/* The caller has (true) or has not (false) a half-typed line: members with
 * nothing typed cost no redraw when shared lines arrive. */
void chat_member_set_typing(struct chat_member *m, bool typing);
/* The member's screen layout (LINE until set). */
void chat_member_set_layout(struct chat_member *m, enum chat_layout layout);
enum chat_layout chat_member_layout(const struct chat_member *m);

/* ---- what the caller controls (the BBS keeps them in the account) ---- */

/* Nothing from an ignored handle reaches the member: room lines, actions, DMs,
 * pages, invitations (sysop announcements and the server's lines still do); the
 * ignored caller is not told.  Handles compare ASCII case-insensitively.
 * chat_member_ignore: false if the list is full or already has it. */
bool chat_member_ignore(struct chat_member *m, const char *handle);
bool chat_member_unignore(struct chat_member *m, const char *handle);
bool chat_member_ignores(const struct chat_member *m, const char *handle);
/* The ignored handles, in the order added; borrowed until the list changes. */
const char *const *chat_member_ignored(const struct chat_member *m, size_t *n);

/* Away, with a message ("" for none); NULL: back.  A DM to an away member still
 * arrives; its sender is told "Bob is away: message" once per sender per away
 * period. */
void chat_member_set_away(struct chat_member *m, const char *message);
const char *chat_member_away(const struct chat_member *m);    /* NULL: here */

void chat_member_set_bell(struct chat_member *m, enum chat_bell bell);
enum chat_bell chat_member_bell(const struct chat_member *m);
/* Quiet: joins and leaves are not shown to this member. */
void chat_member_set_quiet(struct chat_member *m, bool quiet);
bool chat_member_quiet(const struct chat_member *m);

/* Who last sent this member a private message ("" if nobody yet). */
const char *chat_member_reply_to(const struct chat_member *m);

/* Flood control, with the room's settings: may the member say one more line at
 * now_ms (loop clock)?  False outside a room.  After a refusal: whether to tell
 * them to slow down now, and how many lines were refused since the last notice. */
bool chat_member_allow(struct chat_member *m, int64_t now_ms);
bool chat_member_flood_notice(struct chat_member *m, int64_t now_ms, uint64_t *dropped);

/* The member's output caught up after dropping `dropped` shared lines: in a room,
 * it is told "*** Missed N messages ***". */
void chat_member_drained(struct chat_member *m, uint64_t dropped);

#endif
