#include "http/transport.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <string.h>

#include "http/forwarded.h"
#include "http/handshake.h"
#include "http/request.h"
#include "http/response.h"
#include "http/static.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "ws/transport.h"

struct http_site {
	const struct config *cfg;
	struct http_stats stats;
	struct http_static *files;
	char root[PATH_MAX];               /* what files serves */
	const char *origins[CONFIG_MAX_ORIGINS];
	size_t n_origins;
	struct net_prefix proxies[CONFIG_MAX_PROXIES];   /* [server] trusted_proxies */
	size_t n_proxies;
	struct ws_settings ws;
	http_terminal_fn on_terminal;
	void *ud;
	int https_port;           /* with redirect_http: where plain HTTP is sent; else 0 */
};

struct http_state {
	struct http_site *site;
	struct http_reader *reader;
	uint64_t since_ms;        /* connection accepted, or last response sent */
	bool partial;             /* some bytes of a request have arrived */
	bool served;              /* at least one response went out */
	bool tls;                 /* over TLS */
};

/* What the site keeps of its config (the rest it reads there when it needs it). */
static void take_settings(struct http_site *site)
{
	const struct config *cfg = site->cfg;
	site->n_origins = 0;
	for (size_t i = 0; i < cfg->n_allowed_origins && i < CONFIG_MAX_ORIGINS; i++)
		site->origins[site->n_origins++] = cfg->allowed_origins[i];
	site->ws.max_message = cfg->ws_max_message;
	site->ws.ping_interval_ms = (uint64_t)cfg->ws_ping_interval_s * 1000;
	site->ws.ping_timeout_ms = (uint64_t)cfg->ws_ping_timeout_s * 1000;
	site->n_proxies = 0;
	for (size_t i = 0; i < cfg->n_trusted_proxies && i < CONFIG_MAX_PROXIES; i++) {
		const char *p = cfg->trusted_proxies[i];
		if (net_prefix_parse(p, strlen(p), &site->proxies[site->n_proxies]))
			site->n_proxies++;        /* config validation parsed it already */
	}
}

/* A request through a trusted reverse proxy: the client it names becomes the
 * connection's peer (for the logs, and whatever judges callers by address). */
static void take_client(struct conn *c, struct http_site *site, const struct http_request *req)
{
	struct net_prefix client;
	if (!http_forwarded_client(conn_peer_addr(c), req->forwarded_for, req->real_ip,
	                           site->proxies, site->n_proxies, &client))
		return;
	char proxy[64];
	snprintf(proxy, sizeof(proxy), "%s", conn_peer(c));
	conn_set_client(c, &client);
	site->stats.forwarded++;
	log_debug("event=forwarded conn=%llu peer=%s proxy=%s", (unsigned long long)conn_id(c),
	          conn_peer(c), proxy);
}

void http_site_reload(struct http_site *site)
{
	const struct config *cfg = site->cfg;
	take_settings(site);
	if (strcmp(site->root, cfg->web_root) == 0 && site->files != NULL)
		return;
	struct http_static *files = http_static_new(cfg->web_root);
	if (files == NULL) {
		log_warn("event=web_root_missing path=%s error=%s kept=%s", LOG_Q(cfg->web_root),
		         LOG_Q(strerror(errno)), LOG_Q(site->files ? site->root : "none"));
		return;
	}
	http_static_free(site->files);
	site->files = files;
	snprintf(site->root, sizeof(site->root), "%s", cfg->web_root);
}

struct http_site *http_site_new(const struct config *cfg, http_terminal_fn on_terminal, void *ud)
{
	struct http_site *site = xcalloc(1, sizeof(*site));
	site->cfg = cfg;
	site->files = http_static_new(cfg->web_root);
	if (site->files == NULL)
		log_warn("event=web_root_missing path=%s error=%s", LOG_Q(cfg->web_root),
		         LOG_Q(strerror(errno)));
	snprintf(site->root, sizeof(site->root), "%s", cfg->web_root);
	take_settings(site);
	site->on_terminal = on_terminal;
	site->ud = ud;
	/* Initialise OpenSSL's digests now, not during the first caller's handshake. */
	char warm[WS_ACCEPT_LEN + 1];
	ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ==", warm);
	return site;
}

/* A year: the board has committed to TLS when it redirects plain HTTP.  Sent only
 * then, as HSTS covers every port of the host, the plain one included. */
#define HSTS "max-age=31536000"

void http_site_set_https_port(struct http_site *site, int port)
{
	if (!site->cfg->redirect_http)
		return;
	site->https_port = port;
	if (site->files != NULL)
		http_static_set_header(site->files, "Strict-Transport-Security", HSTS);
}

const struct http_stats *http_site_stats(const struct http_site *site)
{
	return &site->stats;
}

void http_site_free(struct http_site *site)
{
	if (site == NULL)
		return;
	http_static_free(site->files);
	free(site);
}

static void respond(struct conn *c, struct buf *b, bool keep_alive)
{
	if (b == NULL) {
		conn_close(c);
		return;
	}
	conn_send(c, b);
	buf_unref(b);
	if (!keep_alive)
		conn_close_after_flush(c);
}

static void http_error(struct conn *c, int status, bool head)
{
	respond(c, http_response_error(status, head, false), false);
}

/* A complete request.  Returns true if the connection goes on speaking HTTP. */
static bool handle_request(struct conn *c, struct http_state *st, const struct http_request *req,
                           const uint8_t *rest, size_t rest_len)
{
	struct http_site *site = st->site;
	bool head = req->method == HTTP_HEAD;

	site->stats.requests++;
	take_client(c, site, req);
	if (!st->tls && site->https_port != 0) {
		/* This board speaks HTTPS: plain requests go there; a WebSocket
		 * cannot follow a redirect, so it is refused outright. */
		if (strcmp(req->path, "/ws") == 0) {
			http_error(c, 403, head);
			return false;
		}
		char location[HTTP_URL_MAX + 300];
		int status = http_https_location(req->host, site->https_port, req->path, req->query,
		                                 location, sizeof(location));
		if (status != 0) {
			http_error(c, status, head);
			return false;
		}
		respond(c, http_response_redirect(location, head, req->keep_alive), req->keep_alive);
		return req->keep_alive;
	}

	if (strcmp(req->path, "/ws") == 0) {
		char accept[WS_ACCEPT_LEN + 1];
		int status = ws_handshake_check(req, site->origins, site->n_origins, accept);
		if (status != 0) {
			if (status == 403)
				site->stats.refused_origin++;
			else
				site->stats.refused_handshake++;
			log_info("event=ws_refused conn=%llu peer=%s status=%d", (unsigned long long)conn_id(c),
			         conn_peer(c), status);
			http_error(c, status, head);
			return false;
		}
		struct buf *b = ws_handshake_response(accept);
		if (b == NULL) {
			conn_close(c);
			return false;
		}
		conn_send(c, b);
		buf_unref(b);
		site->stats.upgrades++;
		/* From here on the connection is a WebSocket: drop the HTTP state. */
		http_reader_free(st->reader);
		free(st);
		ws_transport_attach(c, &site->ws);
		site->on_terminal(site->ud, c);
		/* Frames that came in the same read as the request are the session's. */
		if (rest_len > 0 && !conn_closing(c))
			conn_receive(c, rest, rest_len);
		return false;
	}

	bool keep = req->keep_alive;
	if (req->major == 1 && req->minor == 1 && req->host == NULL) {
		http_error(c, 400, head);        /* RFC 9112 3.2: Host is required */
		return false;
	}
	/* The request was well framed, so even an error answer (a bad path, a miss)
	 * leaves the connection usable as the response says. */
	struct buf *b = site->files ? http_static_serve(site->files, req, NULL)
	                            : http_response_error(404, head, keep);
	respond(c, b, keep);
	return keep;
}

static void http_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	struct http_state *st = conn_transport_data(c);
	while (len > 0 && !conn_closing(c)) {
		size_t used = 0;
		if (!st->partial) {          /* a new request begins: its clock starts */
			st->partial = true;
			st->since_ms = conn_now(c);
		}
		int r = http_reader_feed(st->reader, data, len, &used);
		if (r == HTTP_MORE)
			return;
		if (r < 0) {
			if (-r == 413 || -r == 414 || -r == 431)
				st->site->stats.refused_limits++;
			else
				st->site->stats.bad_requests++;
			http_error(c, -r, false);
			return;
		}
		data += used;
		len -= used;
		const struct http_request *req = http_reader_request(st->reader);
		if (!handle_request(c, st, req, data, len))
			return;          /* upgraded or closing: st may be gone */
		http_reader_reset(st->reader);
		st->partial = false;
		st->served = true;
		st->since_ms = conn_now(c);
	}
}

static void http_on_tick(struct conn *c, uint64_t now)
{
	struct http_state *st = conn_transport_data(c);
	const struct config *cfg = st->site->cfg;
	/* A request must arrive whole within the header timeout of its first byte (or
	 * of the connection); an answered connection may idle longer for its next. */
	uint64_t limit = (st->partial || !st->served) ? cfg->http_header_timeout_s
	                                              : cfg->http_idle_timeout_s;
	if (now - st->since_ms >= limit * 1000) {
		log_debug("event=http_timeout conn=%llu peer=%s", (unsigned long long)conn_id(c),
		          conn_peer(c));
		conn_close(c);
	}
}

static void http_destroy(struct conn *c)
{
	struct http_state *st = conn_transport_data(c);
	if (st == NULL)
		return;
	http_reader_free(st->reader);
	free(st);
}

static const struct transport http = {
	.name = "http",
	.on_read = http_on_read,
	.on_tick = http_on_tick,
	.destroy = http_destroy,
	.variant = CONN_VARIANT_NONE,
};

const struct transport *http_transport(void)
{
	return &http;
}

void http_transport_attach(struct conn *c, struct http_site *site, bool tls)
{
	struct http_state *st = xcalloc(1, sizeof(*st));
	st->site = site;
	st->tls = tls;
	st->reader = http_reader_new();
	st->since_ms = conn_now(c);
	conn_set_transport(c, &http, st);
}
