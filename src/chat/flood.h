/* Flood control for the teleconference, two pure pieces with no I/O and no clock
 * of their own (the caller passes now_ms, a monotonic millisecond clock such as
 * uv_now):
 *
 *  1. a token bucket per caller (struct flood): each line costs one token, tokens
 *     come back at rate_per_s up to burst.  A refused line is not sent; the caller
 *     is told to slow down at most once per notice_ms, not once per line;
 *
 *  2. a join/leave coalescer (struct chat_coalesce) for storms: announcements
 *     arriving within window_ms of the first are collected and rendered as one
 *     line per kind ("*** Alice, Bob, Carol and 37 others have joined the chat ***")
 *     instead of one line each to everyone (N² bytes for N arrivals). */
#ifndef CARRIER_CHAT_FLOOD_H
#define CARRIER_CHAT_FLOOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/event.h"

/* ---- token bucket ---- */

struct flood_cfg {
	double rate_per_s;       /* tokens regained per second (> 0) */
	double burst;            /* bucket size, >= 1 */
	int64_t notice_ms;       /* at most one "slow down" per this interval */
};

#define FLOOD_CFG_DEFAULT { 2.0, 5.0, 5000 }

struct flood {
	double tokens;
	int64_t last_ms;         /* when tokens was last brought up to date */
	int64_t notice_ms;       /* when the last notice was due; INT64_MIN never */
	uint64_t dropped;        /* lines refused since the last notice */
};

/* A full bucket as of now_ms. */
void flood_init(struct flood *f, const struct flood_cfg *cfg, int64_t now_ms);

/* One line at now_ms: true (and a token spent) if it may go out, false if it must
 * be dropped.  A clock that goes backwards refills nothing. */
bool flood_allow(struct flood *f, const struct flood_cfg *cfg, int64_t now_ms);

/* After a refusal: true if the caller should be told to slow down now (the first
 * refusal, then at most once per cfg->notice_ms).  *dropped (if not NULL) gets the
 * number of lines refused since the previous notice, which is reset. */
bool flood_notice_due(struct flood *f, const struct flood_cfg *cfg, int64_t now_ms,
		      uint64_t *dropped);

/* ---- join/leave coalescing ----
 *
 * The room adds each join and leave as it happens.  The first add to an empty
 * collector opens a window (chat_coalesce_add returns true: arm a timer for
 * window_ms); when it fires, chat_coalesce_take gives one JOIN and one LEAVE event
 * (either may be empty), the room announces them, and chat_coalesce_reset closes
 * the window.
 *
 * Within one window a join and a leave of the same handle cancel out, in either
 * order: someone who came and went (or dropped and came back) before anyone was
 * told is never announced at all; a second join or leave of a handle already
 * pending is ignored.  Handles compare exactly (pass the canonical spelling).
 * Names are copied; at most max_names are kept per window (more are counted in
 * n_more, and can then no longer cancel out). */
struct chat_coalesce;

struct chat_coalesce *chat_coalesce_new(int64_t window_ms, size_t max_names);
void chat_coalesce_free(struct chat_coalesce *c);      /* NULL is a no-op */

/* kind is CHAT_JOIN or CHAT_LEAVE.  Returns true if this opened a new window. */
bool chat_coalesce_add(struct chat_coalesce *c, enum chat_kind kind,
		       const char *handle, int64_t now_ms);

/* True while a window is open; *deadline_ms (if not NULL) gets when it closes. */
bool chat_coalesce_pending(const struct chat_coalesce *c, int64_t *deadline_ms);

/* Fill *joins and *leaves (kind, names, n_names, n_more; the other fields zero;
 * `from` is the only name when there is exactly one).  An event with
 * n_names + n_more == 0 has nothing to announce.  The strings and arrays are
 * borrowed from c until the next chat_coalesce_add/reset/free.  Names keep the
 * order in which they arrived. */
void chat_coalesce_take(const struct chat_coalesce *c, struct chat_event *joins,
			struct chat_event *leaves);

/* Forget everything collected and close the window. */
void chat_coalesce_reset(struct chat_coalesce *c);

#endif
