/* What every session shares: the settings, the database, the art, the node table,
 * the chat engine's registry (its rooms; the default room made from [chat]).
 * One per server, owned by it, used only on the loop thread. */
#ifndef CARRIER_BBS_BBS_H
#define CARRIER_BBS_BBS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bbs/stats.h"
#include "config/config.h"
#include "util/buf.h"

struct bbs;
struct session;
struct store;
struct store_queue;
struct chat_registry;

/* Open the database and load the art.  NULL, with the reason logged, on failure.
 * cfg is borrowed and must outlive the bbs. */
struct bbs *bbs_new(uv_loop_t *loop, const struct config *cfg);
/* Close the database (flushed).  NULL is a no-op. */
void bbs_free(struct bbs *bbs);
/* Read the actions file cfg names (before a reload takes cfg): 0 (a missing file
 * is an empty set, logged), or -1 with "path:line:col: reason" in err. */
struct actions;
int bbs_read_actions(const struct config *cfg, struct actions *out, char *err, size_t errlen);
/* The config bbs borrows has just changed in place (a reload); old is what it was,
 * still whole (its menus not freed yet); actions were read from the new one (taken
 * over: *actions is left empty).  The art is read again, the node table follows
 * max_nodes, the declared rooms take their new settings (new ones open, the
 * default stays the default), caller rooms follow [chat], and every session is
 * moved to the new menus (session_config_changed) before old goes. */
void bbs_reload(struct bbs *bbs, const struct config *old, struct actions *actions);

const struct config *bbs_config(const struct bbs *bbs);
struct store *bbs_store(struct bbs *bbs);
/* The store's jobs: every database call after startup goes through it, so that on
 * PostgreSQL the loop never waits (store/queue.h; bbs/session.h session_db). */
struct store_queue *bbs_queue(struct bbs *bbs);
/* Finish the database's pending jobs and stop its thread: at shutdown, before the
 * loop's handles are closed. */
void bbs_stop_store(struct bbs *bbs);
/* A write nobody waits for: work runs on a copy of arg (size bytes) through the
 * queue, in order with every other job; dropped (and logged) if the queue is full. */
void bbs_db_write(struct bbs *bbs, void (*work)(struct store *st, void *arg), const void *arg,
                  size_t size);
uv_loop_t *bbs_loop(const struct bbs *bbs);
struct chat_registry *bbs_chat(struct bbs *bbs);
/* The actions (socials) callers may use in the chat, loaded at start. */
struct actions;
const struct actions *bbs_actions(const struct bbs *bbs);
/* What the BBS counts (bbs/stats.h): bumped by the states, read by the metrics. */
struct bbs_stats *bbs_stats(struct bbs *bbs);
struct password_limits;
void bbs_password_limits(const struct bbs *bbs, struct password_limits *out);

enum bbs_art { ART_WELCOME, ART_GOODBYE, ART_LINEBUSY, ART_COUNT };
/* The art as UTF-8 terminal bytes, or NULL if the file was missing. */
const struct buf *bbs_art(const struct bbs *bbs, enum bbs_art which);

/* A handle and password checked as the login prompt checks them (Argon2id on the
 * thread pool, failures counted, lockout), for a transport that asks for them
 * itself (SSH with [server] ssh_login).  done runs on the loop exactly once, with
 * the account's id, or 0 if the login does not stand, unless the check is
 * cancelled first.  NULL if it cannot start (done never runs). */
typedef void (*bbs_login_fn)(void *ud, int64_t user_id);
struct bbs_login_check;
struct bbs_login_check *bbs_login_check(struct bbs *bbs, const char *handle, const char *password,
                                        bbs_login_fn done, void *ud);
/* The asker is gone: done will not run.  Only before done has run. */
void bbs_login_check_cancel(struct bbs_login_check *k);

/* Several servers, one BBS: the cluster this server is part of (NULL: alone; set
 * by the server once it has one, borrowed).  Who's online, the node numbers,
 * max_nodes and the chat's private lines then count every server's callers. */
struct cluster;
void bbs_set_cluster(struct bbs *bbs, struct cluster *cl);
struct cluster *bbs_cluster(const struct bbs *bbs);
/* The cluster asks: hang up the caller with this handle here (logged in again on
 * another server, or banned there), telling it reason. */
void bbs_hangup_handle(struct bbs *bbs, const char *handle, const char *reason);

/* Nodes: numbered 1..max_nodes, across every server of a cluster (a number in use
 * on another server is skipped, and its callers count against max_nodes).  0 when
 * every line is busy. */
unsigned bbs_node_take(struct bbs *bbs, struct session *s);
void bbs_node_release(struct bbs *bbs, unsigned node);
/* The session on node n (1-based), or NULL. */
struct session *bbs_node_session(const struct bbs *bbs, unsigned node);
unsigned bbs_node_count(const struct bbs *bbs);     /* = max_nodes */
/* Nodes that may hold a caller: max_nodes, or more for a while after a reload
 * lowered it (callers on the nodes above it stay until they leave).  Walk
 * 1..bbs_node_slots to see everyone online. */
unsigned bbs_node_slots(const struct bbs *bbs);

#endif
