/* The metrics listener: HTTP on an address of its own ([server] metrics), never the
 * public one.  GET or HEAD /metrics answers the page; anything else 404 (405 for
 * other methods, from the request reader).  Requests are read by the same bounded
 * reader as the public listener's (http/request.h); connections may be kept alive
 * between scrapes and are dropped when slow or idle. */
#ifndef CARRIER_METRICS_LISTENER_H
#define CARRIER_METRICS_LISTENER_H

#include "http/request.h"
#include "net/conn.h"
#include "util/sbuf.h"

/* Render the page into out (the server's metrics_collect). */
typedef void (*metrics_page_fn)(void *ud, struct sbuf *out);

struct metrics_site;

struct metrics_site *metrics_site_new(metrics_page_fn page, void *ud);
void metrics_site_free(struct metrics_site *site);       /* NULL is a no-op */

const struct transport *metrics_transport(void);
/* Give a connection accepted on the metrics listener its state. */
void metrics_transport_attach(struct conn *c, struct metrics_site *site);

/* Pure: the status a request gets (200 for the page, else 404). */
int metrics_route(const struct http_request *req);

#endif
