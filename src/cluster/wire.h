/* The cluster's messages on the Redis bus: an encoder and a decoder.  Pure: bytes
 * in, a message out; no I/O, no loop, no trust.
 *
 * A message is UTF-8 text, one field a line:
 *
 *   carrier/1 event          the magic and the type
 *   o=node-a                 the server that sent it (always)
 *   k=public                 then the type's fields, KEY=VALUE, in any order
 *   r=Lobby
 *   f=Alice
 *   x=hello there
 *
 * Types and their fields (docs/DESIGN.md, "Several servers"):
 *   event   a chat event: k kind, r room, f from, t to, x text, l from_level,
 *           s seq, ts ts_ms, u until_ms, n names (comma-separated), m n_more
 *   beat    the sender is alive: e its epoch (start time, ms), c its callers
 *   up      a line in use on the sender: i line number, h handle ("" at the login
 *           prompt), w where from, d doing, r room, a since (wall s), l level,
 *           x the sysop's detail (transport, address)
 *   down    a line freed on the sender: i
 *   bye     the sender is shutting down (its callers are gone, not lost)
 *   hangup  to the node holding handle h: hang that caller up, telling it x
 *           (another login with the same handle, a ban)
 *   mute    to every node: handle h may not speak until u (wall ms; 0: unmuted),
 *           in room r or everywhere; x is what the caller is told where it is
 *
 * The decoder trusts nothing: a message over CLUSTER_MSG_MAX bytes, without the
 * magic, of an unknown type, with a field repeated, missing, out of range, too
 * long, not valid UTF-8 or holding any control character (C0, DEL, C1) is
 * refused with a reason, and nothing of it is used.  Unknown keys are skipped
 * (a newer server may add some).  Handles and node names hold no ',' or space.
 * What passes may still be a lie (any node can claim any handle): renderers
 * sanitize every string again on output anyway. */
#ifndef CARRIER_CLUSTER_WIRE_H
#define CARRIER_CLUSTER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/event.h"
#include "util/sbuf.h"

#define CLUSTER_MSG_MAX 8192          /* bytes of one message */
#define CLUSTER_NODE_MAX 64           /* a node's name, with the NUL */
#define CLUSTER_HANDLE_MAX 32         /* a handle, with the NUL */
#define CLUSTER_ROOM_MAX 64           /* a room's name, with the NUL */
#define CLUSTER_TEXT_MAX 4096         /* bytes of an event's text */
#define CLUSTER_NAMES_MAX 64          /* handles a coalesced join or leave names */
#define CLUSTER_FIELD_MAX 128         /* location, doing, detail, with the NUL */

enum cluster_msg_type {
	CLUSTER_MSG_EVENT,
	CLUSTER_MSG_BEAT,
	CLUSTER_MSG_UP,
	CLUSTER_MSG_DOWN,
	CLUSTER_MSG_BYE,
	CLUSTER_MSG_HANGUP,
	CLUSTER_MSG_MUTE,
	CLUSTER_MSG_TYPES
};

/* One caller's line as the cluster shares it. */
struct cluster_line {
	unsigned line;                     /* the node number callers see, 1.. */
	char handle[CLUSTER_HANDLE_MAX];   /* "" while at the login prompt */
	char location[CLUSTER_FIELD_MAX];
	char doing[CLUSTER_FIELD_MAX];
	char room[CLUSTER_ROOM_MAX];       /* "" if in no room */
	int64_t since;                     /* wall clock, seconds */
	unsigned level;                    /* CHAT_LEVEL_* */
	char detail[CLUSTER_FIELD_MAX];    /* transport and address, for sysops */
};

/* A decoded message.  Its strings point into the message's own storage: valid as
 * long as the struct, NUL-terminated, checked as above. */
struct cluster_msg {
	enum cluster_msg_type type;
	const char *origin;
	struct chat_event ev;              /* EVENT (ev.origin = origin) */
	struct cluster_line line;          /* UP (line.line alone for DOWN) */
	int64_t epoch;                     /* BEAT */
	unsigned callers;                  /* BEAT */
	const char *handle;                /* HANGUP, MUTE */
	const char *reason;                /* HANGUP, MUTE: what the caller is told */
	const char *room;                  /* MUTE: NULL for everywhere */
	int64_t until_ms;                  /* MUTE: 0 lifts it */
	const char *names[CLUSTER_NAMES_MAX];
	char store[CLUSTER_MSG_MAX + 16];
};

/* Why a message was refused (for the counters and the log). */
enum cluster_wire_error {
	CLUSTER_WIRE_OK,
	CLUSTER_WIRE_OVERSIZED,
	CLUSTER_WIRE_MALFORMED,            /* no magic, a line without '=', a repeat */
	CLUSTER_WIRE_UNKNOWN,              /* a type or event kind we do not know */
	CLUSTER_WIRE_INVALID,              /* a field missing, out of range or unsafe */
	CLUSTER_WIRE_ERRORS
};
const char *cluster_wire_error_name(enum cluster_wire_error e);

/* Decode data[0..len) into *out.  CLUSTER_WIRE_OK or why not (out then holds
 * nothing usable). */
enum cluster_wire_error cluster_wire_decode(const uint8_t *data, size_t len,
                                            struct cluster_msg *out);

/* Encoders: append one message to sb (reset first).  False if something would
 * not decode (a string too long or unsafe, a name with a comma): nothing is sent
 * then.  Strings are borrowed for the call. */
bool cluster_wire_event(struct sbuf *sb, const char *origin, const struct chat_event *ev);
bool cluster_wire_beat(struct sbuf *sb, const char *origin, int64_t epoch, unsigned callers);
bool cluster_wire_up(struct sbuf *sb, const char *origin, const struct cluster_line *l);
bool cluster_wire_down(struct sbuf *sb, const char *origin, unsigned line);
bool cluster_wire_bye(struct sbuf *sb, const char *origin);
bool cluster_wire_hangup(struct sbuf *sb, const char *origin, const char *handle,
                         const char *reason);
/* room NULL: everywhere; until_ms 0: the mute is lifted; text "" for none. */
bool cluster_wire_mute(struct sbuf *sb, const char *origin, const char *handle, const char *room,
                       int64_t until_ms, const char *text);

/* Is s usable as a node's name (1..63 of letters, digits, '.', '_', '-', ':')? */
bool cluster_node_name_ok(const char *s);

/* The event kind's name on the wire ("public", "dm", ...), NULL if out of range. */
const char *cluster_kind_name(enum chat_kind k);

#endif
