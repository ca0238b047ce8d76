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

/* Create a server for cfg, which it takes over (its menus are the server's from
 * then on; config_free on the caller's copy is harmless).  NULL, with the reason
 * logged, on failure: then cfg is still the caller's. */
struct server *server_new(uv_loop_t *loop, struct config *cfg);
/* Where the settings came from, for reloads: the file (NULL: none), the directory
 * of web/ and art/ (config_defaults), the command line's overrides (the strings
 * must outlive the server). */
void server_set_source(struct server *srv, const char *config_path, const char *share_dir,
                       const struct config_overrides *o);
/* Read the settings again (SIGHUP and `carrier ctl reload` come here): a file with
 * an error changes nothing, settings that cannot change live are reported and kept,
 * the rest apply to what callers do next.  0, or -1 if the file was refused; all
 * of it is logged, and if report is not NULL told there too (the errors as
 * FILE:LINE:COL, one a line; the settings kept for a restart). */
struct sbuf;
int server_reload(struct server *srv, struct sbuf *report);
/* Bind the listeners and install signal handlers.  0, or a libuv error code. */
int server_start(struct server *srv);
/* The listeners are open (server_start returned 0): tell systemd (READY=1); a no-op
 * without systemd. */
void server_notify_ready(struct server *srv);
/* Polite shutdown: callers are told, sockets closed, then the loop ends. */
void server_stop(struct server *srv);
/* Re-read [server] tls_cert and tls_key into a new context for new connections
 * (those connected keep theirs: nobody is dropped).  server_reload calls it after
 * the settings.  0, or -1 if they cannot be used (logged; the old certificate
 * stays in use). */
int server_reload_tls(struct server *srv);
/* Free what the server holds; the loop must have finished. */
void server_free(struct server *srv);


#endif
