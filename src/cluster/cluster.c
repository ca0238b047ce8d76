#include "cluster/cluster.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libuv.h>

#include "chat/registry.h"
#include "chat/render.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define PREFIX "carrier:"
#define CH_ALL PREFIX "all"
#define BEAT_MS 1000                 /* heartbeat, key refresh, the check for lost servers */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define CONNECT_TIMEOUT_MS 5000      /* a connection that is not up by then is dropped */
#define CLOSE_TIMEOUT_MS 500         /* the goodbye's flush at shutdown, at most */
#define ROOMS_MAX 1100               /* channels subscribed for rooms */

/* Another server, as heard on the bus. */
struct peer {
	char name[CLUSTER_NODE_MAX];
	int64_t epoch;                   /* its start; a new one means it restarted */
	uint64_t heard_ms;               /* loop clock of its last message */
	struct cluster_line *lines;
	size_t n_lines, cap_lines;
};

enum bus_state { BUS_DOWN, BUS_RESOLVING, BUS_CONNECTING, BUS_UP };

struct cluster {
	uv_loop_t *loop;
	struct cluster_settings set;
	struct chat_registry *reg;
	struct cluster_hooks hooks;
	int64_t epoch;                   /* wall ms at start */

	redisAsyncContext *pub, *sub;
	enum bus_state state;
	bool pub_connected, subscribed;
	bool told_down;                  /* the callers heard that the others are away */
	bool stopping;
	unsigned backoff_ms;
	uint64_t connect_started_ms;
	uv_getaddrinfo_t gai;
	bool resolving;
	char host[256];                  /* "" for a Unix socket */
	int port;
	char address[64];                /* resolved, numeric */

	uv_timer_t beat_timer, retry_timer;
	unsigned open_handles;           /* timers and contexts not yet let go */

	struct cluster_line *mine;       /* this server's lines */
	size_t n_mine, cap_mine;
	struct peer *peers;
	size_t n_peers, cap_peers;
	char **rooms;                    /* rooms here (lower case): their channels */
	size_t n_rooms;

	struct sbuf out;                 /* a message being encoded */
	struct sbuf resp;                /* a PUBLISH in Redis's protocol, being framed */
	char chan[CLUSTER_NODE_MAX + CLUSTER_ROOM_MAX + 16];   /* a channel's name */
	struct cluster_msg *in;          /* a message being decoded */
	struct cluster_stats stats;
};

static void bus_connect(struct cluster *cl);
static void timer_closed(uv_handle_t *h);
static void bus_down(struct cluster *cl, const char *why);
static void publish_presence(struct cluster *cl);

/* ---- small things ---- */

static uint64_t now_ms(const struct cluster *cl)
{
	return uv_now(cl->loop);
}

static void lower_into(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[i] = '\0';
}

static bool bus_up(const struct cluster *cl)
{
	return cl != NULL && cl->state == BUS_UP && !cl->stopping;
}

/* A command on ac, its reply to cb (argv borrowed).  Each argument is lens[i]
 * bytes long or, with lens NULL, a string (strlen). */
#define ARGS_MAX 8
static void send_argv(redisAsyncContext *ac, redisCallbackFn *cb, void *priv, int argc,
                      const char **argv, const size_t *lens)
{
	size_t own[ARGS_MAX];
	if (lens == NULL) {
		assert(argc <= ARGS_MAX);
		for (int i = 0; i < argc; i++)
			own[i] = strlen(argv[i]);
		lens = own;
	}
	redisAsyncCommandArgv(ac, cb, priv, argc, argv, lens);
}

/* One command on the command connection, its reply ignored. */
static void command(struct cluster *cl, int argc, const char **argv, const size_t *lens)
{
	if (cl->pub == NULL)
		return;
	send_argv(cl->pub, NULL, NULL, argc, argv, lens);
}

/* A bulk string of Redis's protocol: $LEN CRLF bytes CRLF. */
static void resp_bulk(struct sbuf *sb, const void *data, size_t len)
{
	sbuf_putc(sb, '$');
	sbuf_put_u64(sb, len);
	sbuf_append(sb, "\r\n", 2);
	sbuf_append(sb, data, len);
	sbuf_append(sb, "\r\n", 2);
}

/* PUBLISH channel msg, framed here (one copy into hiredis's output buffer, not
 * hiredis's formatting of each argument): the one command of every line said. */
static void publish_to(struct cluster *cl, const char *channel, const struct sbuf *msg)
{
	if (!bus_up(cl) || cl->pub == NULL)
		return;
	sbuf_reset(&cl->resp);
	sbuf_append(&cl->resp, "*3\r\n$7\r\nPUBLISH\r\n", 17);
	resp_bulk(&cl->resp, channel, strlen(channel));
	resp_bulk(&cl->resp, msg->data, msg->len);
	redisAsyncFormattedCommand(cl->pub, NULL, NULL, (const char *)cl->resp.data, cl->resp.len);
	cl->stats.published++;
}

/* Once for every event sent or received: no printf. */
static const char *room_channel(struct cluster *cl, const char *room)
{
	static const char head[] = PREFIX "room:";
	_Static_assert(sizeof(head) - 1 + CLUSTER_ROOM_MAX <= sizeof(cl->chan), "room channel fits");
	memcpy(cl->chan, head, sizeof(head) - 1);
	lower_into(cl->chan + sizeof(head) - 1, CLUSTER_ROOM_MAX, room);
	return cl->chan;
}

static const char *node_channel(struct cluster *cl, const char *node)
{
	snprintf(cl->chan, sizeof(cl->chan), PREFIX "node:%s", node);
	return cl->chan;
}

/* ---- the mirror of the other servers ---- */

static struct peer *peer_find(struct cluster *cl, const char *name)
{
	for (size_t i = 0; i < cl->n_peers; i++)
		if (strcmp(cl->peers[i].name, name) == 0)
			return &cl->peers[i];
	return NULL;
}

static void read_lines(struct cluster *cl, const char *name);

static struct peer *peer_get(struct cluster *cl, const char *name)
{
	struct peer *p = peer_find(cl, name);
	if (p != NULL)
		return p;
	read_lines(cl, name);
	if (cl->n_peers == cl->cap_peers) {
		cl->cap_peers = cl->cap_peers ? cl->cap_peers * 2 : 4;
		cl->peers = xrealloc(cl->peers, cl->cap_peers * sizeof(*cl->peers));
	}
	p = &cl->peers[cl->n_peers++];
	*p = (struct peer){ .heard_ms = now_ms(cl) };
	snprintf(p->name, sizeof(p->name), "%s", name);
	log_info("event=cluster_peer_seen node=%s peer=%s", LOG_Q(cl->set.node), LOG_Q(p->name));
	return p;
}

static void peer_forget(struct cluster *cl, struct peer *p)
{
	free(p->lines);
	*p = cl->peers[--cl->n_peers];
}

static struct cluster_line *line_in(struct cluster_line *lines, size_t n, unsigned line)
{
	for (size_t i = 0; i < n; i++)
		if (lines[i].line == line)
			return &lines[i];
	return NULL;
}

/* A new slot at the end of a growable array of lines. */
static struct cluster_line *line_add(struct cluster_line **lines, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*lines = xrealloc(*lines, *cap * sizeof(**lines));
	}
	return &(*lines)[(*n)++];
}

static void peer_line_set(struct peer *p, const struct cluster_line *l)
{
	struct cluster_line *have = line_in(p->lines, p->n_lines, l->line);
	if (have == NULL)
		have = line_add(&p->lines, &p->n_lines, &p->cap_lines);
	*have = *l;
}

static void peer_line_drop(struct peer *p, unsigned line)
{
	struct cluster_line *have = line_in(p->lines, p->n_lines, line);
	if (have != NULL)
		*have = p->lines[--p->n_lines];
}

/* A server's callers are gone: those in a room leave it here, with why.  Nothing
 * is published (every server tells its own members). */
static void announce_gone(struct cluster *cl, struct peer *p, bool lost)
{
	for (size_t i = 0; i < p->n_lines; i++) {
		const struct cluster_line *l = &p->lines[i];
		if (l->handle[0] == '\0' || l->room[0] == '\0')
			continue;
		char text[160];
		struct chat_event ev = { .room = l->room, .origin = p->name };
		if (lost) {
			snprintf(text, sizeof(text), "%s lost carrier.", l->handle);
			ev.kind = CHAT_SYSTEM;
			ev.text = text;
		} else {
			ev.kind = CHAT_LEAVE;
			ev.from = l->handle;
		}
		chat_deliver(cl->reg, &ev);
	}
}

/* Servers not heard from for lost_after: gone, their lines free. */
static void check_peers(struct cluster *cl)
{
	uint64_t limit = (uint64_t)cl->set.lost_after_s * 1000;
	limit = limit > 2 * BEAT_MS ? limit - BEAT_MS : BEAT_MS;
	for (size_t i = cl->n_peers; i-- > 0;) {
		struct peer *p = &cl->peers[i];
		if (now_ms(cl) - p->heard_ms < limit)
			continue;
		log_warn("event=cluster_peer_lost node=%s peer=%s lines=%zu silent_ms=%llu",
		         LOG_Q(cl->set.node), LOG_Q(p->name), p->n_lines,
		         (unsigned long long)(now_ms(cl) - p->heard_ms));
		cl->stats.lost_nodes++;
		announce_gone(cl, p, true);
		/* Its keys expire by themselves (their TTL is lost_after); if it was only
		 * cut off, its next heartbeat brings it back with its lines. */
		peer_forget(cl, p);
	}
}

/* ---- what arrives ---- */

static void drop(struct cluster *cl, const char *channel, enum cluster_wire_error e)
{
	uint64_t n = ++cl->stats.dropped[e];
	/* Logged, but not a line per message of a flood. */
	if (n <= 10 || (n & (n - 1)) == 0)
		log_warn("event=cluster_dropped node=%s channel=%s reason=%s count=%llu",
		         LOG_Q(cl->set.node), LOG_Q(channel), cluster_wire_error_name(e),
		         (unsigned long long)n);
}

static void misplaced(struct cluster *cl, const char *channel)
{
	uint64_t n = ++cl->stats.misplaced;
	if (n <= 10 || (n & (n - 1)) == 0)
		log_warn("event=cluster_dropped node=%s channel=%s reason=misplaced count=%llu",
		         LOG_Q(cl->set.node), LOG_Q(channel), (unsigned long long)n);
}

static bool private_kind(enum chat_kind k)
{
	return k == CHAT_DM || k == CHAT_PAGE || k == CHAT_INVITE;
}

static void on_message(struct cluster *cl, const char *channel, const uint8_t *data, size_t len)
{
	struct cluster_msg *m = cl->in;
	enum cluster_wire_error e = cluster_wire_decode(data, len, m);
	bool on_all = strcmp(channel, CH_ALL) == 0;
	bool on_room = strncmp(channel, PREFIX "room:", 13) == 0;
	bool on_node = strncmp(channel, PREFIX "node:", 13) == 0;
	if (e != CLUSTER_WIRE_OK) {
		drop(cl, channel, e);
		return;
	}
	if (strcmp(m->origin, cl->set.node) == 0)
		return;                      /* our own, back from the channel */
	cl->stats.received++;
	struct peer *p = on_all ? peer_get(cl, m->origin) : peer_find(cl, m->origin);
	if (p != NULL)
		p->heard_ms = now_ms(cl);
	switch (m->type) {
	case CLUSTER_MSG_EVENT:
		if (m->ev.kind == CHAT_BROADCAST ? !on_all
		    : private_kind(m->ev.kind) ? !on_node
		    : !(on_room && strcmp(channel, room_channel(cl, m->ev.room)) == 0)) {
			misplaced(cl, channel);
			return;
		}
		chat_deliver(cl->reg, &m->ev);
		return;
	case CLUSTER_MSG_BEAT:
		if (!on_all)
			break;
		if (p->epoch != 0 && p->epoch != m->epoch) {
			/* It restarted faster than lost_after: its old callers are gone. */
			announce_gone(cl, p, true);
			p->n_lines = 0;
		}
		p->epoch = m->epoch;
		return;
	case CLUSTER_MSG_UP:
		if (!on_all)
			break;
		peer_line_set(p, &m->line);
		return;
	case CLUSTER_MSG_DOWN:
		if (!on_all)
			break;
		peer_line_drop(p, m->line.line);
		return;
	case CLUSTER_MSG_BYE:
		if (!on_all)
			break;
		log_info("event=cluster_peer_bye node=%s peer=%s lines=%zu", LOG_Q(cl->set.node),
		         LOG_Q(p->name), p->n_lines);
		announce_gone(cl, p, false);
		peer_forget(cl, p);
		return;
	case CLUSTER_MSG_MUTE: {
		if (!on_all)
			break;
		int64_t now = chat_wall_ms();
		if (m->until_ms == 0)
			chat_registry_unmute(cl->reg, m->handle);
		else
			chat_registry_mute(cl->reg, m->handle, m->room, m->until_ms, now);
		struct chat_member *who = chat_registry_find(cl->reg, m->handle);
		if (who != NULL && m->reason[0] != '\0') {
			struct sbuf sb = SBUF_INIT;
			chat_render_notice(&sb, m->reason);
			struct chat_sink *sink = chat_member_sink(who);
			sink->ops->tell(sink, sb.data, sb.len);
			sbuf_free(&sb);
		}
		return;
	}
	case CLUSTER_MSG_HANGUP:
		if (!on_node)
			break;
		if (cl->hooks.hangup != NULL)
			cl->hooks.hangup(cl->hooks.ud, m->handle, m->reason);
		return;
	default:
		break;
	}
	misplaced(cl, channel);
}

/* Both connections are there and the subscription to carrier:all confirmed: the
 * bus is up.  Tell the callers if they heard it was down; share our lines. */
static void maybe_up(struct cluster *cl)
{
	if (!cl->pub_connected || !cl->subscribed || cl->state == BUS_UP || cl->stopping)
		return;
	cl->state = BUS_UP;
	cl->backoff_ms = 0;
	cl->stats.connects++;
	log_info("event=cluster_up node=%s redis=%s", LOG_Q(cl->set.node), LOG_Q(cl->set.redis));
	if (cl->told_down) {
		chat_registry_tell_all(cl->reg,
		        "The other servers can be reached again: the rooms are whole.");
		cl->told_down = false;
	}
	publish_presence(cl);
}

/* Every reply on the subscribed connection: confirmations and messages. */
static void on_sub_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct cluster *cl = privdata;
	redisReply *reply = r;
	(void)ac;
	if (reply == NULL || cl->stopping)
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING)
		return;
	const char *kind = reply->element[0]->str;
	const char *channel = reply->element[1]->str;
	if (strcmp(kind, "message") == 0) {
		const redisReply *payload = reply->element[2];
		if (payload->type != REDIS_REPLY_STRING) {
			drop(cl, channel, CLUSTER_WIRE_MALFORMED);
			return;
		}
		on_message(cl, channel, (const uint8_t *)payload->str, payload->len);
	} else if (strcmp(kind, "subscribe") == 0 && strcmp(channel, CH_ALL) == 0 &&
	           !cl->subscribed) {
		cl->subscribed = true;
		maybe_up(cl);
	}
}

/* The reply to HGETALL carrier:lines:NODE (privdata: the node's name). */
static void on_lines(redisAsyncContext *ac, void *r, void *privdata)
{
	struct cluster *cl = ac->data;
	redisReply *reply = r;
	char *name = privdata;
	if (reply != NULL && cl != NULL && !cl->stopping && reply->type == REDIS_REPLY_ARRAY &&
	    strcmp(name, cl->set.node) != 0) {
		struct peer *p = NULL;
		for (size_t i = 1; i < reply->elements; i += 2) {
			const redisReply *v = reply->element[i];
			if (v->type != REDIS_REPLY_STRING)
				continue;
			enum cluster_wire_error e = cluster_wire_decode((const uint8_t *)v->str, v->len,
			                                                cl->in);
			if (e != CLUSTER_WIRE_OK) {
				drop(cl, "lines", e);
				continue;
			}
			if (cl->in->type != CLUSTER_MSG_UP || strcmp(cl->in->origin, name) != 0) {
				misplaced(cl, "lines");
				continue;
			}
			if (p == NULL)
				p = peer_find(cl, name);
			if (p == NULL) {
				p = peer_get(cl, name);   /* asks for the lines again: harmless */
			}
			peer_line_set(p, &cl->in->line);
		}
	}
	free(name);
}

/* A server newly heard of (or heard again after it was lost): its lines. */
static void read_lines(struct cluster *cl, const char *name)
{
	if (cl->pub == NULL)
		return;
	char key[128];
	snprintf(key, sizeof(key), PREFIX "lines:%s", name);
	const char *argv[] = { "HGETALL", key };
	send_argv(cl->pub, on_lines, xstrdup(name), 2, argv, NULL);
}

/* SMEMBERS carrier:nodes: read each other server's lines. */
static void on_nodes(redisAsyncContext *ac, void *r, void *privdata)
{
	struct cluster *cl = ac->data;
	redisReply *reply = r;
	(void)privdata;
	if (reply == NULL || cl == NULL || cl->stopping || reply->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *v = reply->element[i];
		if (v->type != REDIS_REPLY_STRING || !cluster_node_name_ok(v->str) ||
		    strcmp(v->str, cl->set.node) == 0 || peer_find(cl, v->str) != NULL)
			continue;
		read_lines(cl, v->str);
	}
}

/* ---- what this server says ---- */

static void line_key(struct cluster *cl, char *out, size_t cap)
{
	snprintf(out, cap, PREFIX "lines:%s", cl->set.node);
}

static void alive_key(struct cluster *cl, char *out, size_t cap)
{
	snprintf(out, cap, PREFIX "alive:%s", cl->set.node);
}

static void publish_line(struct cluster *cl, const struct cluster_line *l)
{
	if (!bus_up(cl) || !cluster_wire_up(&cl->out, cl->set.node, l))
		return;
	char key[128], field[16];
	line_key(cl, key, sizeof(key));
	snprintf(field, sizeof(field), "%u", l->line);
	const char *argv[] = { "HSET", key, field, (const char *)cl->out.data };
	size_t lens[] = { 4, strlen(key), strlen(field), cl->out.len };
	command(cl, 4, argv, lens);
	publish_to(cl, CH_ALL, &cl->out);
}

static void beat(struct cluster *cl)
{
	if (!bus_up(cl))
		return;
	char alive[128], lines[128], ttl[16], epoch[24];
	alive_key(cl, alive, sizeof(alive));
	line_key(cl, lines, sizeof(lines));
	snprintf(ttl, sizeof(ttl), "%u", cl->set.lost_after_s);
	snprintf(epoch, sizeof(epoch), "%lld", (long long)cl->epoch);
	const char *set[] = { "SET", alive, epoch, "EX", ttl };
	command(cl, 5, set, NULL);
	const char *exp[] = { "EXPIRE", lines, ttl };
	command(cl, 3, exp, NULL);
	const char *sadd[] = { "SADD", PREFIX "nodes", cl->set.node };
	command(cl, 3, sadd, NULL);
	if (cluster_wire_beat(&cl->out, cl->set.node, cl->epoch, (unsigned)cl->n_mine))
		publish_to(cl, CH_ALL, &cl->out);
}

/* On (re)connecting: this server's lines anew, the others' read. */
static void publish_presence(struct cluster *cl)
{
	char lines[128];
	line_key(cl, lines, sizeof(lines));
	const char *del[] = { "DEL", lines };
	command(cl, 2, del, NULL);
	for (size_t i = 0; i < cl->n_mine; i++)
		publish_line(cl, &cl->mine[i]);
	beat(cl);
	const char *smembers[] = { "SMEMBERS", PREFIX "nodes" };
	send_argv(cl->pub, on_nodes, NULL, 2, smembers, NULL);
}

/* ---- the chat engine's bus ---- */

static void bus_publish(void *ud, const struct chat_event *ev)
{
	struct cluster *cl = ud;
	if (!bus_up(cl))
		return;
	if (!cluster_wire_event(&cl->out, cl->set.node, ev)) {
		log_warn("event=cluster_unencodable node=%s kind=%s", LOG_Q(cl->set.node),
		         cluster_kind_name(ev->kind) ? cluster_kind_name(ev->kind) : "?");
		return;
	}
	if (ev->kind == CHAT_BROADCAST) {
		publish_to(cl, CH_ALL, &cl->out);
	} else if (private_kind(ev->kind)) {
		const char *node = NULL;
		if (cluster_find(cl, ev->to, &node) == NULL) {
			cl->stats.unroutable++;
			return;
		}
		publish_to(cl, node_channel(cl, node), &cl->out);
	} else if (ev->room != NULL) {
		publish_to(cl, room_channel(cl, ev->room), &cl->out);
	}
	/* Out now, not at the loop's next poll: the other servers' fan-out starts
	 * while this one writes to its own members (a write the socket cannot take
	 * whole is finished by the poll, as usual). */
	if (cl->pub != NULL)
		redisAsyncHandleWrite(cl->pub);
}

static void subscribe(struct cluster *cl, const char *verb, const char *channel)
{
	if (cl->sub == NULL || cl->stopping)
		return;
	const char *argv[] = { verb, channel };
	send_argv(cl->sub, on_sub_reply, cl, 2, argv, NULL);
}

static void bus_room_opened(void *ud, const char *name)
{
	struct cluster *cl = ud;
	char low[CLUSTER_ROOM_MAX];
	lower_into(low, sizeof(low), name);
	for (size_t i = 0; i < cl->n_rooms; i++)
		if (strcmp(cl->rooms[i], low) == 0)
			return;
	if (cl->n_rooms == ROOMS_MAX)
		return;
	cl->rooms = xrealloc(cl->rooms, (cl->n_rooms + 1) * sizeof(*cl->rooms));
	cl->rooms[cl->n_rooms++] = xstrdup(low);
	if (cl->state == BUS_UP || cl->state == BUS_CONNECTING)
		subscribe(cl, "SUBSCRIBE", room_channel(cl, low));
}

static void bus_room_closed(void *ud, const char *name)
{
	struct cluster *cl = ud;
	char low[CLUSTER_ROOM_MAX];
	lower_into(low, sizeof(low), name);
	for (size_t i = 0; i < cl->n_rooms; i++) {
		if (strcmp(cl->rooms[i], low) == 0) {
			free(cl->rooms[i]);
			cl->rooms[i] = cl->rooms[--cl->n_rooms];
			if (cl->state == BUS_UP || cl->state == BUS_CONNECTING)
				subscribe(cl, "UNSUBSCRIBE", room_channel(cl, low));
			return;
		}
	}
}

static size_t bus_remote_members(void *ud, const char *room, const char **names, size_t max)
{
	struct cluster *cl = ud;
	size_t n = 0;
	if (cl->state != BUS_UP)
		return 0;
	for (size_t i = 0; i < cl->n_peers; i++) {
		const struct peer *p = &cl->peers[i];
		for (size_t j = 0; j < p->n_lines; j++) {
			const struct cluster_line *l = &p->lines[j];
			if (l->handle[0] == '\0' || strcasecmp(l->room, room) != 0)
				continue;
			if (n < max)
				names[n] = l->handle;
			n++;
		}
	}
	return n;
}

static const struct chat_bus_ops bus_ops = {
	bus_publish, bus_room_opened, bus_room_closed, bus_remote_members,
};

/* ---- the connections ---- */

static void let_go(struct cluster *cl)
{
	cl->open_handles--;
}

/* Take a connection out of our hands and free it now (hiredis defers that if
 * we are inside one of its callbacks); its callbacks see no cluster after. */
static void drop_context(struct cluster *cl, redisAsyncContext **slot)
{
	redisAsyncContext *ac = *slot;
	if (ac == NULL)
		return;
	*slot = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
	let_go(cl);
}

static void closing_done(struct cluster *cl)
{
	if (cl->stopping && cl->pub == NULL && cl->sub == NULL &&
	    !uv_is_closing((uv_handle_t *)&cl->retry_timer))
		uv_close((uv_handle_t *)&cl->retry_timer, timer_closed);
}

/* One of the two connections failed or closed.  hiredis frees its context after
 * the callback this is called from: not ours any more. */
static void lost(struct cluster *cl, const redisAsyncContext *ac, const char *why)
{
	if (ac == cl->pub)
		cl->pub = NULL;
	else if (ac == cl->sub)
		cl->sub = NULL;
	let_go(cl);
	if (!cl->stopping)
		bus_down(cl, why);
	closing_done(cl);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct cluster *cl = ac->data;
	if (cl == NULL)
		return;
	if (status != REDIS_OK) {
		lost(cl, ac, ac->errstr);
		return;
	}
	if (ac == cl->pub) {
		cl->pub_connected = true;
		maybe_up(cl);
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct cluster *cl = ac->data;
	(void)status;
	if (cl == NULL)
		return;
	lost(cl, ac, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void on_auth(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;
	struct cluster *cl = ac->data;
	(void)privdata;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && cl != NULL && !cl->stopping) {
		log_error("event=cluster_auth_failed node=%s reason=%s", LOG_Q(cl->set.node),
		          LOG_Q(reply->str));
		redisAsyncDisconnect(ac);
	}
}

static redisAsyncContext *open_context(struct cluster *cl)
{
	redisAsyncContext *ac = cl->host[0] == '\0' ? redisAsyncConnectUnix(cl->set.redis)
	                                            : redisAsyncConnect(cl->address, cl->port);
	if (ac == NULL)
		return NULL;
	if (ac->err != 0) {
		log_warn("event=cluster_connect_failed node=%s reason=%s", LOG_Q(cl->set.node),
		         LOG_Q(ac->errstr));
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = cl;
	if (redisLibuvAttach(ac, cl->loop) != REDIS_OK) {
		redisAsyncFree(ac);
		return NULL;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	cl->open_handles++;
	if (cl->set.password[0] != '\0') {
		const char *argv[] = { "AUTH", cl->set.password };
		send_argv(ac, on_auth, NULL, 2, argv, NULL);
	}
	return ac;
}

static void connect_resolved(struct cluster *cl)
{
	cl->state = BUS_CONNECTING;
	cl->connect_started_ms = now_ms(cl);
	cl->pub_connected = false;
	cl->subscribed = false;
	cl->pub = open_context(cl);
	cl->sub = cl->pub != NULL ? open_context(cl) : NULL;
	if (cl->pub == NULL || cl->sub == NULL) {
		bus_down(cl, "cannot open a connection");
		return;
	}
	subscribe(cl, "SUBSCRIBE", CH_ALL);
	subscribe(cl, "SUBSCRIBE", node_channel(cl, cl->set.node));
	for (size_t i = 0; i < cl->n_rooms; i++)
		subscribe(cl, "SUBSCRIBE", room_channel(cl, cl->rooms[i]));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct cluster *cl = req->data;
	cl->resolving = false;
	if (cl->stopping) {
		uv_freeaddrinfo(res);
		let_go(cl);
		return;
	}
	if (status != 0 || res == NULL) {
		uv_freeaddrinfo(res);
		let_go(cl);
		bus_down(cl, status != 0 ? uv_strerror(status) : "no address");
		return;
	}
	uv_ip_name(res->ai_addr, cl->address, sizeof(cl->address));
	uv_freeaddrinfo(res);
	let_go(cl);
	connect_resolved(cl);
}

static void bus_connect(struct cluster *cl)
{
	if (cl->stopping || cl->state != BUS_DOWN)
		return;
	if (cl->host[0] == '\0') {
		connect_resolved(cl);
		return;
	}
	/* A host name is looked up on the thread pool: the loop never waits for DNS. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	cl->gai.data = cl;
	cl->state = BUS_RESOLVING;
	if (uv_getaddrinfo(cl->loop, &cl->gai, on_resolved, cl->host, NULL, &hints) != 0) {
		cl->state = BUS_DOWN;
		bus_down(cl, "cannot resolve");
		return;
	}
	cl->resolving = true;
	cl->open_handles++;
}

static void retry_cb(uv_timer_t *t)
{
	bus_connect(t->data);
}

/* The bus is gone (or never came): serve our own, tell the callers once, drop
 * the other servers' lines (they will be read again), try again later. */
static void bus_down(struct cluster *cl, const char *why)
{
	if (cl->stopping)
		return;
	bool was_up = cl->state == BUS_UP;
	drop_context(cl, &cl->pub);
	drop_context(cl, &cl->sub);
	cl->pub_connected = false;
	cl->subscribed = false;
	if (cl->state == BUS_DOWN && uv_is_active((uv_handle_t *)&cl->retry_timer))
		return;                      /* already waiting to try again */
	cl->state = BUS_DOWN;
	if (was_up)
		cl->stats.disconnects++;
	if (was_up || cl->backoff_ms == 0 || cl->backoff_ms == BACKOFF_MAX_MS)
		log_warn("event=cluster_down node=%s redis=%s reason=%s retry_ms=%u",
		         LOG_Q(cl->set.node), LOG_Q(cl->set.redis), LOG_Q(why),
		         cl->backoff_ms == 0 ? BACKOFF_MIN_MS : cl->backoff_ms);
	for (size_t i = 0; i < cl->n_peers; i++)
		free(cl->peers[i].lines);
	cl->n_peers = 0;
	if (!cl->told_down) {
		chat_registry_tell_all(cl->reg, "The other servers cannot be reached: the rooms "
		                                "hold this server's callers only for now.");
		cl->told_down = true;
	}
	cl->backoff_ms = cl->backoff_ms == 0 ? BACKOFF_MIN_MS
	               : cl->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : cl->backoff_ms * 2;
	uv_timer_start(&cl->retry_timer, retry_cb, cl->backoff_ms, 0);
}

static void beat_cb(uv_timer_t *t)
{
	struct cluster *cl = t->data;
	if (cl->state == BUS_CONNECTING &&
	    now_ms(cl) - cl->connect_started_ms > CONNECT_TIMEOUT_MS) {
		bus_down(cl, "timed out");
		return;
	}
	if (cl->state != BUS_UP)
		return;
	beat(cl);
	check_peers(cl);
}

/* ---- life ---- */

static bool parse_redis(struct cluster *cl)
{
	const char *r = cl->set.redis;
	if (strncmp(r, "unix:", 5) == 0)
		memmove(cl->set.redis, r + 5, strlen(r + 5) + 1);
	if (cl->set.redis[0] == '/') {
		cl->host[0] = '\0';
		return true;
	}
	const char *colon = strrchr(r, ':');
	if (colon == NULL || colon == r)
		return false;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return false;
	size_t hl = (size_t)(colon - r);
	const char *h = r;
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(cl->host))
		return false;
	memcpy(cl->host, h, hl);
	cl->host[hl] = '\0';
	cl->port = (int)port;
	return true;
}

static void timer_closed(uv_handle_t *h)
{
	let_go(h->data);
}

/* The registry's sequence id: the node's name hashed into 1..4095. */
static unsigned seq_id_of(const char *node)
{
	uint32_t h = 2166136261u;
	for (const char *p = node; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return 1 + h % 4095;
}

struct cluster *cluster_new(uv_loop_t *loop, const struct cluster_settings *set,
                            struct chat_registry *reg, const struct cluster_hooks *hooks)
{
	struct cluster *cl = xcalloc(1, sizeof(*cl));
	cl->loop = loop;
	cl->set = *set;
	cl->reg = reg;
	if (hooks != NULL)
		cl->hooks = *hooks;
	if (cl->set.lost_after_s < 3)
		cl->set.lost_after_s = 3;
	if (!cluster_node_name_ok(cl->set.node) || !parse_redis(cl)) {
		log_error("event=cluster_bad_settings node=%s redis=%s", LOG_Q(cl->set.node),
		          LOG_Q(cl->set.redis));
		free(cl);
		return NULL;
	}
	cl->epoch = chat_wall_ms();
	cl->in = xmalloc(sizeof(*cl->in));
	uv_timer_init(loop, &cl->beat_timer);
	cl->beat_timer.data = cl;
	uv_timer_init(loop, &cl->retry_timer);
	cl->retry_timer.data = cl;
	cl->open_handles = 2;
	uv_timer_start(&cl->beat_timer, beat_cb, BEAT_MS, BEAT_MS);
	chat_registry_set_bus(reg, &bus_ops, cl, seq_id_of(cl->set.node));
	log_info("event=cluster_start node=%s redis=%s lost_after_s=%u", LOG_Q(cl->set.node),
	         LOG_Q(cl->set.redis), cl->set.lost_after_s);
	bus_connect(cl);
	return cl;
}

static void force_close(uv_timer_t *t)
{
	struct cluster *cl = t->data;
	drop_context(cl, &cl->pub);
	drop_context(cl, &cl->sub);
	closing_done(cl);
}

void cluster_stop(struct cluster *cl)
{
	if (cl == NULL || cl->stopping)
		return;
	/* The goodbye, and this server's keys gone, then the connections close
	 * (hiredis flushes what is queued first, within CLOSE_TIMEOUT_MS). */
	if (bus_up(cl)) {
		char alive[128], lines[128];
		alive_key(cl, alive, sizeof(alive));
		line_key(cl, lines, sizeof(lines));
		const char *del[] = { "DEL", alive, lines };
		command(cl, 3, del, NULL);
		const char *srem[] = { "SREM", PREFIX "nodes", cl->set.node };
		command(cl, 3, srem, NULL);
		if (cluster_wire_bye(&cl->out, cl->set.node))
			publish_to(cl, CH_ALL, &cl->out);
	}
	log_info("event=cluster_stop node=%s", LOG_Q(cl->set.node));
	cl->stopping = true;
	chat_registry_set_bus(cl->reg, NULL, NULL, 0);
	cl->reg = NULL;
	if (cl->resolving)
		uv_cancel((uv_req_t *)&cl->gai);
	drop_context(cl, &cl->sub);
	if (cl->pub != NULL && cl->pub_connected)
		redisAsyncDisconnect(cl->pub);
	else
		drop_context(cl, &cl->pub);
	uv_close((uv_handle_t *)&cl->beat_timer, timer_closed);
	uv_timer_start(&cl->retry_timer, force_close, CLOSE_TIMEOUT_MS, 0);
	closing_done(cl);
}

bool cluster_idle(const struct cluster *cl)
{
	return cl == NULL || (cl->stopping && cl->open_handles == 0);
}

void cluster_free(struct cluster *cl)
{
	if (cl == NULL)
		return;
	cluster_stop(cl);
	drop_context(cl, &cl->pub);
	drop_context(cl, &cl->sub);
	if (cl->open_handles > 0) {
		/* Timers still closing: the loop was not run to the end.  Leave the
		 * memory to them rather than free it under their callbacks. */
		log_warn("event=cluster_free_early node=%s handles=%u", LOG_Q(cl->set.node),
		         cl->open_handles);
		return;
	}
	for (size_t i = 0; i < cl->n_rooms; i++)
		free(cl->rooms[i]);
	free(cl->rooms);
	for (size_t i = 0; i < cl->n_peers; i++)
		free(cl->peers[i].lines);
	free(cl->peers);
	free(cl->mine);
	free(cl->in);
	sbuf_free(&cl->out);
	sbuf_free(&cl->resp);
	free(cl);
}


const char *cluster_node(const struct cluster *cl)
{
	return cl != NULL ? cl->set.node : "";
}

bool cluster_connected(const struct cluster *cl)
{
	return bus_up(cl);
}

void cluster_get_stats(const struct cluster *cl, struct cluster_stats *out)
{
	if (cl == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = cl->stats;
}

size_t cluster_peers(const struct cluster *cl)
{
	return cl != NULL ? cl->n_peers : 0;
}

/* ---- this server's lines ---- */

void cluster_line_set(struct cluster *cl, const struct cluster_line *l)
{
	if (cl == NULL || cl->stopping)
		return;
	struct cluster_line *have = line_in(cl->mine, cl->n_mine, l->line);
	if (have == NULL)
		have = line_add(&cl->mine, &cl->n_mine, &cl->cap_mine);
	else if (memcmp(have, l, sizeof(*l)) == 0)
		return;                      /* nothing new to say */
	*have = *l;
	publish_line(cl, have);
}

void cluster_line_drop(struct cluster *cl, unsigned line)
{
	if (cl == NULL || cl->stopping)
		return;
	struct cluster_line *have = line_in(cl->mine, cl->n_mine, line);
	if (have == NULL)
		return;
	*have = cl->mine[--cl->n_mine];
	if (!bus_up(cl) || !cluster_wire_down(&cl->out, cl->set.node, line))
		return;
	char key[128], field[16];
	line_key(cl, key, sizeof(key));
	snprintf(field, sizeof(field), "%u", line);
	const char *argv[] = { "HDEL", key, field };
	command(cl, 3, argv, NULL);
	publish_to(cl, CH_ALL, &cl->out);
}

/* ---- the other servers' lines ---- */

size_t cluster_remote_lines(const struct cluster *cl)
{
	size_t n = 0;
	if (cl != NULL)
		for (size_t i = 0; i < cl->n_peers; i++)
			n += cl->peers[i].n_lines;
	return n;
}

bool cluster_line_taken(const struct cluster *cl, unsigned line)
{
	if (cl != NULL)
		for (size_t i = 0; i < cl->n_peers; i++)
			if (line_in(cl->peers[i].lines, cl->peers[i].n_lines, line) != NULL)
				return true;
	return false;
}

const struct cluster_line *cluster_find(const struct cluster *cl, const char *handle,
                                        const char **node)
{
	if (cl == NULL || handle == NULL || handle[0] == '\0')
		return NULL;
	for (size_t i = 0; i < cl->n_peers; i++) {
		const struct peer *p = &cl->peers[i];
		for (size_t j = 0; j < p->n_lines; j++) {
			if (strcasecmp(p->lines[j].handle, handle) == 0) {
				if (node != NULL)
					*node = p->name;
				return &p->lines[j];
			}
		}
	}
	return NULL;
}

void cluster_each(const struct cluster *cl, cluster_line_cb cb, void *ud)
{
	if (cl == NULL)
		return;
	for (size_t i = 0; i < cl->n_peers; i++)
		for (size_t j = 0; j < cl->peers[i].n_lines; j++)
			cb(ud, cl->peers[i].name, &cl->peers[i].lines[j]);
}

void cluster_mute(struct cluster *cl, const char *handle, const char *room, int64_t until_ms,
                  const char *text)
{
	if (bus_up(cl) && cluster_wire_mute(&cl->out, cl->set.node, handle, room, until_ms, text))
		publish_to(cl, CH_ALL, &cl->out);
}

bool cluster_hangup(struct cluster *cl, const char *handle, const char *reason)
{
	const char *node = NULL;
	if (!bus_up(cl) || cluster_find(cl, handle, &node) == NULL)
		return false;
	char name[CLUSTER_NODE_MAX];
	snprintf(name, sizeof(name), "%s", node);
	if (!cluster_wire_hangup(&cl->out, cl->set.node, handle, reason))
		return false;
	publish_to(cl, node_channel(cl, name), &cl->out);
	return true;
}
