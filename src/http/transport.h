/* The HTTP transport: every web connection starts here.  It serves the front end's
 * files, answers errors, keeps connections alive, drops slow senders, and hands a
 * valid /ws upgrade over to the WebSocket transport. */
#ifndef CARRIER_HTTP_TRANSPORT_H
#define CARRIER_HTTP_TRANSPORT_H

#include "config/config.h"
#include "http/stats.h"
#include "net/conn.h"

struct http_site;

/* Called when a connection has become a WebSocket terminal. */
typedef void (*http_terminal_fn)(void *ud, struct conn *c);

/* The site: web root, allowed origins, WebSocket settings, all from cfg (borrowed,
 * must outlive the site). */
struct http_site *http_site_new(const struct config *cfg, http_terminal_fn on_terminal, void *ud);
void http_site_free(struct http_site *site);   /* NULL is a no-op */
/* The port the page is served over TLS on, once it is bound.  With [server]
 * redirect_http, plain HTTP requests are then answered with a 301 to it (a
 * WebSocket upgrade over plain HTTP with 403), and the files served over TLS
 * carry Strict-Transport-Security. */
void http_site_set_https_port(struct http_site *site, int port);
/* The config it borrows has changed in place (a reload): allowed origins and
 * WebSocket settings (for connections from now on), and the web root, served from
 * the new directory if it can be opened (else the old one is kept, and logged). */
void http_site_reload(struct http_site *site);
/* What the site counted (borrowed, live). */
const struct http_stats *http_site_stats(const struct http_site *site);

const struct transport *http_transport(void);
/* Give a freshly accepted connection its HTTP state; tls: it came in over TLS
 * (a layer below, net/tls.h). */
void http_transport_attach(struct conn *c, struct http_site *site, bool tls);

#endif
