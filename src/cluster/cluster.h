/* Several servers, one BBS: the Redis bus and the cluster's presence.
 *
 * Only with [cluster] in carrier.toml; without it no cluster exists and every
 * function here takes NULL for "this server alone" (nothing remote, nothing sent).
 *
 * The bus is Redis pub/sub through hiredis on the loop (its libuv adapter), on
 * two connections: one subscribed, one for commands and publishes.  The channels:
 *
 *   carrier:all            heartbeats, lines up and down, a server's goodbye, and
 *                          broadcasts (every server hears them)
 *   carrier:room:NAME      a room's events (NAME in lower case): one publish per
 *                          event; a server subscribes while the room exists there
 *   carrier:node:NODE      what is for the callers of NODE alone: DMs, pages,
 *                          invitations, and "hang this caller up"
 *
 * Presence: each server keeps its lines (callers, with their node numbers) in a
 * hash carrier:lines:NODE and says it is alive in carrier:alive:NODE, both with a
 * TTL of lost_after seconds that it refreshes every second with its heartbeat;
 * carrier:nodes lists the servers.  Every server mirrors the others' lines in
 * memory (from the hashes when it connects, then from up/down on carrier:all).
 * A server not heard from for lost_after seconds is gone: its callers' departure
 * is announced in their rooms ("lost carrier") and their node numbers are free.
 *
 * Faults: when Redis goes away, each server serves its own callers (the rooms hold
 * this server's callers only; they are told once) and reconnects with backoff;
 * when it is back, presence is published again, the rooms subscribe again and
 * the callers are told.  What arrives on a channel is decoded by cluster/wire.h:
 * anything malformed, oversized, unknown or out of place is dropped and counted.
 *
 * Used only on the loop thread. */
#ifndef CARRIER_CLUSTER_CLUSTER_H
#define CARRIER_CLUSTER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/stats.h"
#include "cluster/wire.h"

struct chat_registry;

struct cluster_settings {
	char redis[256];              /* "HOST:PORT", "[V6]:PORT" or a Unix socket path */
	char node[CLUSTER_NODE_MAX];  /* this server's name, unique in the cluster */
	char password[256];           /* AUTH, "" for none */
	unsigned lost_after_s;        /* a server silent this long is gone (>= 3) */
};

/* What the cluster asks of the BBS. */
struct cluster_hooks {
	/* Hang up the caller with this handle on this server, telling it reason
	 * (another server took the handle over, or it was banned there). */
	void (*hangup)(void *ud, const char *handle, const char *reason);
	void *ud;
};

struct cluster;

/* Start connecting (never blocks: a host name is resolved on the thread pool).
 * reg is borrowed (the chat engine: events from the bus are fed to chat_deliver,
 * and the cluster becomes its bus).  NULL if the settings are unusable (logged). */
struct cluster *cluster_new(uv_loop_t *loop, const struct cluster_settings *set,
                            struct chat_registry *reg, const struct cluster_hooks *hooks);
/* Say goodbye on the bus (the lines go at once, not after lost_after), stop being
 * the registry's bus, close the connections (what is queued is flushed for at
 * most half a second) and the timers.  The registry must outlive this call only.
 * NULL or a second call is a no-op. */
void cluster_stop(struct cluster *cl);
/* Stopped, and every handle and connection let go (the loop may be closed). */
bool cluster_idle(const struct cluster *cl);
/* Stop if not stopped, and free, after the loop has run the closes out.  NULL
 * is a no-op. */
void cluster_free(struct cluster *cl);

const char *cluster_node(const struct cluster *cl);       /* "" for NULL */
bool cluster_connected(const struct cluster *cl);
void cluster_get_stats(const struct cluster *cl, struct cluster_stats *out);
/* How many other servers are heard on the bus now. */
size_t cluster_peers(const struct cluster *cl);

/* ---- this server's lines ---- */

/* A line of this server is in use, or changed (a login, a room, what the caller
 * is doing): shared with the others.  Copied. */
void cluster_line_set(struct cluster *cl, const struct cluster_line *l);
void cluster_line_drop(struct cluster *cl, unsigned line);

/* ---- the other servers' lines ---- */

/* How many lines the other servers hold. */
size_t cluster_remote_lines(const struct cluster *cl);
/* Is node number `line` in use on another server? */
bool cluster_line_taken(const struct cluster *cl, unsigned line);
/* The line of a caller online on another server (ASCII case-insensitively), and
 * that server's name; NULL if none.  Borrowed until the next bus message. */
const struct cluster_line *cluster_find(const struct cluster *cl, const char *handle,
                                        const char **node);
/* Every line the other servers hold, by server then line. */
typedef void (*cluster_line_cb)(void *ud, const char *node, const struct cluster_line *l);
void cluster_each(const struct cluster *cl, cluster_line_cb cb, void *ud);

/* Tell every other server: handle is muted until until_ms (wall clock) in room
 * (NULL: everywhere), or no longer (until_ms 0); text is told to the caller by
 * the server it is on ("" for nothing). */
void cluster_mute(struct cluster *cl, const char *handle, const char *room, int64_t until_ms,
                  const char *text);

/* Ask the server holding handle to hang it up, telling it reason; false if no
 * other server holds it (or the bus is down). */
bool cluster_hangup(struct cluster *cl, const char *handle, const char *reason);

#endif
