/* The server: one libuv loop that owns every connection, listener and session.
 * Nothing here is touched from another thread. */
#ifndef CARRIER_SERVER_H
#define CARRIER_SERVER_H

#include <uv.h>

#include "config/config.h"
#include "net/conn.h"

#ifndef CARRIER_VERSION
#define CARRIER_VERSION "0.1.0"
#endif

struct server;

/* Create a server for cfg (copied).  NULL, with the reason logged, on failure. */
struct server *server_new(uv_loop_t *loop, const struct config *cfg);
/* Bind the listeners and install signal handlers.  0, or a libuv error code. */
int server_start(struct server *srv);
/* Polite shutdown: callers are told, sockets closed, then the loop ends. */
void server_stop(struct server *srv);
/* Re-read [server] tls_cert and tls_key into a new context for new connections
 * (those connected keep theirs: nobody is dropped).  Called on SIGHUP.  0, or -1
 * if they cannot be used (logged; the old certificate stays in use). */
int server_reload_tls(struct server *srv);
/* Free what the server holds; the loop must have finished. */
void server_free(struct server *srv);


#endif
