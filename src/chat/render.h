/* Chat renderers: a chat event (or a list, or the command table) in, ANSI bytes out,
 * appended to a caller-owned sbuf.  Pure: no I/O; the only outside input is the
 * local time zone (localtime_r) for "[HH:MM]".
 *
 * Output is UTF-8 (the transport converts for CP437 callers); only ASCII is used for
 * decoration.  Every line starts with its own colour, ends with ESC[0m and CR LF.
 * Every string taken from an event or an argument (handles, text, room name, names)
 * is passed through chat_sanitize on the way out, so nothing in it can reach the
 * terminal as a control character; the only control bytes a renderer writes are its
 * own SGR sequences (ESC [ digits/; m), CR LF, and the BEL that starts the lines a
 * DM or page shows its recipient.
 *
 * Colours (term/ansi.h: a bright colour is bold + colour, a normal one clears bold):
 *   timestamp "[HH:MM] "          white (grey, SGR 22;37; palette 7)
 *   public handle and ": "        green (22;32, palette 2)
 *   public text                   bright green (1;32: bold palette 2, shown as 10)
 *   a sysop's public text         bright white (1;37)
 *   action "* Alice waves"        bright cyan (1;36), no timestamp
 *   join/leave, system lines      bright yellow (1;33) -- "yellow" in BBS terms
 *   DM, both ends                 bright magenta (1;35) after the grey timestamp;
 *                                 the recipient's line starts with BEL
 *   page to the recipient         BEL, then bright white "*** Page from Alice: hi ***"
 *                                 ("*** Alice is paging you! ***" without text)
 *   page, the sender's receipt    bright yellow "*** Page sent to Bob ***"
 *   /sysop announcement           grey timestamp, "SysOp: " bright yellow, text
 *                                 bright white
 */
#ifndef CARRIER_CHAT_RENDER_H
#define CARRIER_CHAT_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/command.h"
#include "chat/event.h"
#include "util/sbuf.h"

/* What a room line ends with: the prompt the chat's input line is drawn after, so
 * that a member with nothing typed needs no redraw. */
#define CHAT_PROMPT "\x1b[0;1;32m>\x1b[0m "

/* What a line is wrapped in on a split screen (CHAT_LAYOUT_SPLIT): into the blank
 * bottom row of the scroll region above the status line, the cursor saved and put
 * back, so the input line is never touched.  Relative moves only. */
#define CHAT_SPLIT_BEFORE "\x1b" "7\x1b[2A\r"
#define CHAT_SPLIT_AFTER "\x1b" "8"

/* Handles are cut to this many code points on output (a safety bound: handles are
 * validated, and much shorter, when accounts are made). */
#define CHAT_RENDER_HANDLE_MAX 32
/* A coalesced join/leave names this many callers, then "and N others". */
#define CHAT_RENDER_NAMES_MAX 3
/* The welcome header names this many callers, then "and N others". */
#define CHAT_RENDER_WELCOME_NAMES_MAX 10

/* Which end of a DM or page the bytes are for; other kinds ignore it. */
enum chat_view {
	CHAT_VIEW_RECIPIENT,   /* also what everyone in the room sees for other kinds */
	CHAT_VIEW_SENDER,
	CHAT_VIEW_RECIPIENT_QUIET,   /* the recipient's, without the bell */
};

/* The event as the given view shows it.
 *  PUBLIC   "[HH:MM] Alice: text"
 *  ACTION   "* Alice text"
 *  JOIN     "*** Alice has joined the chat ***"; coalesced
 *           "*** Alice, Bob and Carol have joined the chat ***",
 *           "*** Alice, Bob, Carol and 37 others have joined the chat ***"
 *           (an event with names but n_names + n_more == 0 writes nothing)
 *  LEAVE    likewise, "has left the chat"
 *  DM       recipient: BEL "[HH:MM] *Alice* (private): text"
 *           sender:        "[HH:MM] -> Bob (private): text"
 *  PAGE     recipient: BEL "*** Page from Alice: text ***" / "*** Alice is paging
 *           you! ***"; sender: "*** Page sent to Bob ***"
 *  SYSOP    "[HH:MM] SysOp: text"
 *  SYSTEM   "text" in yellow
 *  INVITE   recipient: BEL "*** Alice invites you to Lair: /join Lair ***";
 *           sender: "*** Invitation to Lair sent to Bob ***"
 *  TOPIC    "*** Alice set the topic: text ***" / "*** Alice cleared the topic ***"
 *  KICK     "*** Bob was kicked by Alice (text) ***" ("(text)" only if there is one)
 *  BROADCAST BEL "*** Broadcast from Alice: text ***" in yellow
 * A recipient's view without its bell: CHAT_VIEW_RECIPIENT_QUIET. */
void chat_render(struct sbuf *sb, const struct chat_event *ev, enum chat_view view);

/* A yellow line: "text". */
void chat_render_system(struct sbuf *sb, const char *text);
/* A yellow line: "*** text ***". */
void chat_render_notice(struct sbuf *sb, const char *text);
/* The away auto-reply a DM's sender gets: "*** Bob is away: lunch ***" ("*** Bob is
 * away ***" without a message). */
void chat_render_away(struct sbuf *sb, const char *handle, const char *message);
/* "*** Missed N messages ***" ("1 message" for one). */
void chat_render_missed(struct sbuf *sb, uint64_t n);
/* The flood notice: "*** Slow down! N lines were not sent ***" ("1 line was"). */
void chat_render_slow_down(struct sbuf *sb, uint64_t dropped);
/* "Usage: /msg <handle> <text>" in yellow. */
void chat_render_usage(struct sbuf *sb, const struct chat_command *cmd);
/* CHAT_MSG_UNKNOWN in yellow. */
void chat_render_unknown(struct sbuf *sb);

/* /help: a header, then the commands the caller's level allows, their usages under
 * their groups (wrapped to 79 columns: one screen), and a hint about public text
 * and "//". */
void chat_render_help(struct sbuf *sb, const struct chat_command *table, size_t n,
		      unsigned level);
/* /help <command>: its usage, what it does, its aliases. */
void chat_render_help_one(struct sbuf *sb, const struct chat_command *cmd);

/* /who: "In the room (N):" and one row per caller: handle (padded to 20 columns)
 * and time in the room ("<1m", "12m", "2h 05m").  Strings borrowed for the call. */
struct chat_who_entry {
	const char *handle;
	int64_t since_ms;        /* when they entered, same clock as now_ms */
	unsigned level;          /* >= CHAT_LEVEL_SYSOP: marked "(SysOp)" */
	const char *away;        /* NULL, or "away: <away>" is shown */
	const char *detail;      /* NULL, or a dim line under it (a sysop's view: node,
	                          * address, transport, idle time) */
};
void chat_render_who(struct sbuf *sb, const struct chat_who_entry *who, size_t n,
		     int64_t now_ms);

/* The room's welcome header: "*** Welcome to <room> ***", "Topic: <topic>" (if
 * any), who else is here (names[0..n), up to CHAT_RENDER_WELCOME_NAMES_MAX then
 * "and N others"; or "You are the only one here."), and the /help and /quit hint.
 * Does not clear the screen (write ansi_clear first for that). */
void chat_render_welcome(struct sbuf *sb, const char *room, const char *topic,
			 const char *const *names, size_t n);

/* A room's status line, for the split screen: on blue, " <room> | <topic> | N here |
 * /help ", the topic cut so that the whole fits cols - 1 columns ("(private)" after
 * the room's name when it is).  No line end: the caller places it. */
void chat_render_status(struct sbuf *sb, const char *room, const char *topic, size_t count,
			bool private_, unsigned cols);

#endif
