/* A caller's connection: one TCP socket, a transport that frames and unframes its
 * bytes (HTTP, then WebSocket; or telnet), a bounded output queue of shared buffers,
 * and a handler (the session) that receives terminal input.
 *
 * Lifetime: a conn is created by the listener and freed only after uv_close has run
 * its callback, never inside one of its own callbacks.  conn_close marks it closing;
 * a second close is a no-op.  The handler's on_close runs exactly once, when the
 * close starts. */
#ifndef CARRIER_NET_CONN_H
#define CARRIER_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/stats.h"
#include "util/buf.h"
#include "util/charset.h"
#include "util/netaddr.h"

struct conn;
struct server;

/* How terminal bytes become wire bytes.  Conns of one variant receive identical bytes
 * for the same terminal output, so a fan-out frames once per variant. */
enum conn_variant {
	CONN_VARIANT_NONE,          /* not a terminal yet (HTTP) */
	CONN_VARIANT_WS,            /* WebSocket binary frame, UTF-8 */
	CONN_VARIANT_TELNET_UTF8,   /* telnet, IAC doubled, UTF-8 */
	CONN_VARIANT_TELNET_CP437,  /* telnet, IAC doubled, CP437 */
	CONN_VARIANT_SSH_UTF8,      /* an SSH channel: the terminal bytes as they are */
	CONN_VARIANT_SSH_CP437,     /* an SSH channel, CP437 */
	CONN_VARIANT_COUNT
};

struct transport {
	const char *name;
	/* Bytes read from the socket; borrowed for the call. */
	void (*on_read)(struct conn *c, const uint8_t *data, size_t len);
	/* Wire bytes for terminal output (UTF-8 in), one reference for the caller, or
	 * NULL on OOM.  Pure: depends only on the variant, not on the connection. */
	struct buf *(*frame)(const uint8_t *term, size_t len);
	/* Once every sweep interval: keepalive pings, idle checks.  May close c. */
	void (*on_tick)(struct conn *c, uint64_t now_ms);
	/* Begin a polite close (e.g. a WebSocket close frame, a telnet goodbye), then
	 * conn_close_after_flush.  code is a WebSocket close code where it applies. */
	void (*shutdown)(struct conn *c, uint16_t code, const char *reason);
	/* The conn is being freed: release transport state. */
	void (*destroy)(struct conn *c);
	/* Send a control message (JSON) to the page; NULL where the transport has no
	 * control channel (telnet). */
	void (*send_control)(struct conn *c, const char *json, size_t len);
	/* The terminal's character set where the transport decides it (telnet, once
	 * its session has started), with *told true if the terminal named it itself
	 * (its type) rather than the caller answering a question.  NULL where the
	 * transport has no say (the page is always UTF-8). */
	enum charset (*charset)(const struct conn *c, bool *told);
	/* Switch it (to a caller's stored choice): output variant and input
	 * conversion.  NULL where it cannot change. */
	void (*set_charset)(struct conn *c, enum charset cs);
	/* The account the transport has already verified the caller as (SSH with
	 * ssh_login: the user name and password were the BBS's), or 0.  NULL where
	 * the transport never does. */
	int64_t (*account)(const struct conn *c);
	enum conn_variant variant;
};

/* A layer between the socket and the transport: "a transport below a transport".
 * TLS (net/tls.c) decrypts what the socket reads and encrypts what the transport
 * queued; an SSH channel (ssh/) carries a terminal the way a socket would.  The
 * transport above never knows: it reads through conn_receive, and its output is
 * queued, counted against the water marks and paced exactly as on a bare socket.
 * Only when the conn flushes is that output handed to the layer (so a chat line
 * is still framed once for many callers; each layer encrypts it for its own).
 *
 * The layer's own bytes for the socket go to a second queue (conn_send_wire),
 * written as the transport's output is without a layer.  It is fed only while
 * that queue is short (CONN_WIRE_BATCH), so what a layer holds is bounded too. */
#define CONN_WIRE_BATCH (64 * 1024)

struct conn_layer {
	const char *name;
	/* Bytes read from the socket; borrowed for the call.  What they carry goes
	 * up with conn_receive.  NULL for a layer that reads the socket itself
	 * (conn_detach_reading). */
	void (*on_read)(struct conn *c, const uint8_t *data, size_t len);
	/* The transport's queued output, in order: take what can be taken now from
	 * iov[0..n) and return how many bytes (0: nothing now; call conn_layer_ready
	 * when more can be taken).  The bytes are borrowed for the call. */
	size_t (*write)(struct conn *c, const uv_buf_t *iov, unsigned n);
	/* Optional: the conn closes politely and everything queued has been taken:
	 * the last word (TLS close_notify; SSH exit status, EOF and close). */
	void (*finish)(struct conn *c);
	/* Optional: true while bytes the layer has taken are still on their way out
	 * by a path of its own (libssh's buffer); call conn_layer_ready once not. */
	bool (*busy)(const struct conn *c);
	/* Optional: once every sweep interval (handshake deadlines).  May close c. */
	void (*on_tick)(struct conn *c, uint64_t now_ms);
	/* The conn is being freed (after the transport's destroy). */
	void (*destroy)(struct conn *c);
};

/* What a terminal session receives.  All data is borrowed for the call. */
struct conn_handler {
	void (*on_input)(struct conn *c, const uint8_t *data, size_t len);
	/* A control message (JSON text) from the page; telnet sends its NAWS as resize. */
	void (*on_resize)(struct conn *c, unsigned cols, unsigned rows);
	void (*on_control)(struct conn *c, const char *json, size_t len);
	/* The output queue fell back under its low water mark after dropping output. */
	void (*on_drain)(struct conn *c, uint64_t dropped);
	/* Once every sweep interval (timeouts).  May close c. */
	void (*on_tick)(struct conn *c, uint64_t now_ms);
	/* The connection is closing; called once, possibly from inside one of the
	 * handler's own calls (a hang-up).  No more input will come. */
	void (*on_close)(struct conn *c);
	/* The connection is gone: free hdata.  Called from the loop, outside every
	 * other callback, after on_close. */
	void (*on_free)(void *hdata);
};

struct conn_limits {
	size_t high_water;   /* queued bytes above which shared output is dropped */
	size_t low_water;    /* queued bytes under which dropping stops */
	size_t hard_limit;   /* queued bytes of own output above which the conn is closed */
	uint64_t drain_timeout_ms;  /* how long a closing conn may take to flush */
};

/* Flush pacing: a loop pass's output goes out at the end of the pass, except that
 * shared output (chat lines) is written at most once per hold_ns.  A line in a quiet
 * room goes out at once; while lines arrive faster than that, each flush carries
 * every line queued since the last one, so a recipient gets several lines per
 * writev instead of one system call per line.  Times are uv_hrtime() ns. */
struct conn_pace {
	uint64_t hold_ns;           /* 0: never hold */
	uint64_t last_shared_ns;    /* when a flush last carried shared output */
	bool shared_pending;        /* shared output queued since that flush */
};

/* When the pending output should go out: 0 for now, else the time to flush at. */
uint64_t conn_pace_due(const struct conn_pace *p, uint64_t now_ns);

/* Every connection of a server.  Public so the server can embed it; its fields are
 * conn.c's business. */
struct conn_set {
	struct conn *head;          /* all live conns */
	struct conn *pending;       /* conns with output to flush this loop pass */
	size_t count;
	uint64_t next_id;
	struct conn_limits limits;
	struct conn_pace pace;
	struct net_stats stats;     /* what the set counts (net/stats.h) */
	struct server *server;      /* borrowed, for handlers that need it */
};

/* hold_ns of set->pace starts at 0 (no pacing); the server sets it. */
void conn_set_init(struct conn_set *set, struct server *srv, const struct conn_limits *limits);

/* Accept a pending connection on listener; NULL (and logged) on failure. */
struct conn *conn_accept(struct conn_set *set, uv_stream_t *listener, const struct transport *t);

void conn_set_transport(struct conn *c, const struct transport *t, void *tdata);
/* Put a layer under the transport (before anything is read or queued). */
void conn_set_layer(struct conn *c, const struct conn_layer *l, void *ldata);
void *conn_layer_data(const struct conn *c);
/* Wire bytes from the layer (takes a new reference): written in order, before
 * any more of the transport's output is handed down.  Past the hard limit the
 * conn is closed. */
void conn_send_wire(struct conn *c, struct buf *b);
/* The layer can take output again (or is no longer busy): flush this pass. */
void conn_layer_ready(struct conn *c);
/* For a layer that drives the socket itself (libssh): stop reading it here and
 * return its descriptor (borrowed: it stays the conn's and is closed with it),
 * or -1.  The layer calls conn_touch whenever it reads. */
int conn_detach_reading(struct conn *c);
void conn_touch(struct conn *c);
void *conn_transport_data(const struct conn *c);
void conn_set_handler(struct conn *c, const struct conn_handler *h, void *hdata);
void *conn_handler_data(const struct conn *c);
enum conn_variant conn_variant(const struct conn *c);
uint64_t conn_id(const struct conn *c);
/* Who is calling, for logs: "ip:port" ("[ip6]:port"), or, once a trusted proxy has
 * named the client (conn_set_client), that client's address. */
const char *conn_peer(const struct conn *c);
const struct net_prefix *conn_peer_addr(const struct conn *c);
/* The connection came through a trusted proxy for this client (the web listener
 * decides: http/forwarded.h): from now on it is the peer. */
void conn_set_client(struct conn *c, const struct net_prefix *client);
const char *conn_transport_name(const struct conn *c);   /* "websocket", "telnet"... */
const char *conn_layer_name(const struct conn *c);       /* "tls", "ssh", or NULL */
bool conn_closing(const struct conn *c);
uint64_t conn_last_read_ms(const struct conn *c);
uint64_t conn_now(const struct conn *c);       /* the loop's clock, ms */
size_t conn_queued_bytes(const struct conn *c);
/* The transport's charset and whether the terminal told it (see struct transport):
 * CHARSET_UNKNOWN (told false) where the transport has no say. */
enum charset conn_charset(const struct conn *c, bool *told);
/* Switch the charset where the transport can; a no-op elsewhere. */
void conn_set_charset(struct conn *c, enum charset cs);
/* The account the transport verified the caller as, or 0 (see struct transport). */
int64_t conn_account(const struct conn *c);

/* Queue b (takes a new reference; the caller keeps its own).  Shared output: if the
 * queue is over its high water mark the buffer is dropped, counted, and false is
 * returned; once the queue drains under the low mark, on_drain reports the count. */
bool conn_send_shared(struct conn *c, struct buf *b);
/* Queue b for this connection alone (a screen, an echo, a handshake).  Never
 * dropped; a peer that lets its queue pass the hard limit is closed instead. */
void conn_send(struct conn *c, struct buf *b);
/* A control message for the page (dropped where the transport has none). */
void conn_send_control(struct conn *c, const char *json, size_t len);
/* Frame terminal bytes with the conn's transport and queue them (conn_send). */
void conn_write_term(struct conn *c, const void *data, size_t len);
/* Wire bytes for term in c's variant, framed once per variant: cache[] holds one
 * slot per variant (NULL-initialised, the caller unrefs them afterwards). */
struct buf *conn_frame_cached(struct conn *c, struct buf *cache[CONN_VARIANT_COUNT],
                              const uint8_t *term, size_t len);

/* Run bytes through the current transport as if just read (bytes that arrived
 * before a transport switch). */
void conn_receive(struct conn *c, const uint8_t *data, size_t len);
/* Hand terminal input / a resize / a control message to the handler. */
void conn_deliver_input(struct conn *c, const uint8_t *data, size_t len);
void conn_deliver_resize(struct conn *c, unsigned cols, unsigned rows);
void conn_deliver_control(struct conn *c, const char *json, size_t len);

/* Close now: queued output is discarded.  A second call is a no-op. */
void conn_close(struct conn *c);
/* Close once the queue has drained (bounded by a timeout in the sweep). */
void conn_close_after_flush(struct conn *c);
/* Polite close through the transport (close frame / goodbye), then flush and close. */
void conn_shutdown(struct conn *c, uint16_t code, const char *reason);

/* Every connection, for the server's sweep and shutdown. */
typedef void (*conn_visit_fn)(struct conn *c, void *ud);
void conn_foreach(struct conn_set *set, conn_visit_fn fn, void *ud);
/* Tick every connection: transports' keepalive, drain timeouts. */
void conn_sweep(struct conn_set *set, uint64_t now_ms);
/* Flush every connection with pending output. */
void conn_flush_pending(struct conn_set *set);
/* Once per loop pass: flush as the pace allows (see struct conn_pace).  Returns 0 if
 * it flushed (or nothing was pending), else the time (uv_hrtime ns) to call it
 * again, or conn_flush_pending, at. */
uint64_t conn_flush_paced(struct conn_set *set, uint64_t now_ns);

#endif
