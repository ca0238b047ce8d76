#include "server.h"

#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bbs/bbs.h"
#include "bbs/session.h"
#include "cluster/cluster.h"
#include "ctl/server.h"
#include "http/transport.h"
#include "net/inflight.h"
#include "net/tls.h"
#include "ssh/transport.h"
#include "telnet/transport.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SWEEP_INTERVAL_MS 1000
#define SHUTDOWN_GRACE_MS 2000

struct server {
	uv_loop_t *loop;
	struct config cfg;
	struct conn_set conns;
	struct http_site *site;
	struct bbs *bbs;
	struct ctl_server *ctl;          /* the sysop's control line */
	struct cluster *cluster;         /* [cluster]: the other servers; NULL alone */
	uv_tcp_t http_listener;
	bool http_open;
	int http_port;
	uv_tcp_t telnet_listener;
	bool telnet_open;
	int telnet_port;
	struct telnet_settings telnet;
	uv_tcp_t https_listener;
	bool https_open;
	int https_port;
	struct tls_context *tls;         /* for new connections; each keeps its own */
	struct tls_settings tls_settings;
	struct inflight *inflight;       /* TLS handshakes, SSH logins, per address */
	uv_tcp_t ssh_listener;
	bool ssh_open;
	int ssh_port;
	struct ssh_host *ssh_host;
	struct ssh_settings ssh;
	uv_timer_t sweep_timer;
	uv_timer_t shutdown_timer;
	uv_check_t flush_check;
	uv_prepare_t flush_prepare;
	uv_timer_t hold_timer;           /* a held flush (struct conn_pace) */
	uv_signal_t sigint, sigterm, sighup;
	bool stopping;
	uint64_t stop_deadline_ms;
};


static void terminal_open(void *ud, struct conn *c)
{
	struct server *srv = ud;
	session_open(srv->bbs, c);
}

/* The certificate and key into a new context for new connections.  False (the
 * reason logged as "FILE: reason", the old context kept) if they cannot be used. */
static bool load_tls(struct server *srv)
{
	char err[512], warn[512], what[256];
	struct tls_context *ctx = tls_context_new(srv->cfg.tls_cert, srv->cfg.tls_key, err,
	                                          sizeof(err), warn, sizeof(warn));
	if (ctx == NULL) {
		log_error("%s", err);
		return false;
	}
	if (warn[0] != '\0')
		log_warn("%s", warn);
	tls_context_describe(ctx, what, sizeof(what));
	log_info("tls: certificate %s", what);
	tls_context_free(srv->tls);
	srv->tls = ctx;
	return true;
}

int server_reload_tls(struct server *srv)
{
	if (srv->tls == NULL)
		return 0;
	if (!load_tls(srv)) {
		log_warn("tls: keeping the certificate loaded before");
		return -1;
	}
	log_info("tls: new connections get the certificate just loaded");
	return 0;
}

/* The host keys: from [server] ssh_host_keys, else beside the database. */
static bool load_ssh(struct server *srv)
{
	char dir[PATH_MAX], err[PATH_MAX + 128];
	if (srv->cfg.ssh_host_keys[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", srv->cfg.ssh_host_keys);
	} else {
		char db[PATH_MAX];
		snprintf(db, sizeof(db), "%s", srv->cfg.db_path);
		snprintf(dir, sizeof(dir), "%s", dirname(db));
	}
	srv->ssh_host = ssh_host_new(dir, err, sizeof(err));
	if (srv->ssh_host == NULL) {
		log_error("%s", err);
		return false;
	}
	for (size_t i = 0; ssh_host_fingerprint(srv->ssh_host, i) != NULL; i++)
		log_info("ssh: host key %s", ssh_host_fingerprint(srv->ssh_host, i));
	return true;
}

/* ssh_login: the SSH user name and password checked as the BBS's login. */
static void *ssh_check_start(void *ud, const char *user, const char *password,
                             ssh_login_done_fn done, void *arg)
{
	struct server *srv = ud;
	return bbs_login_check(srv->bbs, user, password, done, arg);
}

static void ssh_check_cancel(void *ud, void *job)
{
	(void)ud;
	bbs_login_check_cancel(job);
}

static void handshake_over(void *ud, struct conn *c)
{
	struct server *srv = ud;
	inflight_release(srv->inflight, conn_peer(c));
}

struct server *server_new(uv_loop_t *loop, const struct config *cfg)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->cfg = *cfg;
	struct conn_limits limits = {
		.high_water = cfg->out_high_water,
		.low_water = cfg->out_low_water,
		.hard_limit = cfg->out_hard_limit,
		.drain_timeout_ms = 5000,
	};
	conn_set_init(&srv->conns, srv, &limits);
	srv->conns.pace.hold_ns = (uint64_t)cfg->flush_hold_us * 1000;
	srv->bbs = bbs_new(loop, &srv->cfg);
	if (srv->bbs == NULL) {
		free(srv);
		return NULL;
	}
	srv->site = http_site_new(&srv->cfg, terminal_open, srv);
	srv->inflight = inflight_new(cfg->handshakes_per_address);
	if ((cfg->https.port >= 0 && !load_tls(srv)) || (cfg->ssh.port >= 0 && !load_ssh(srv))) {
		server_free(srv);
		return NULL;
	}
	return srv;
}

/* Output is flushed at the end of each loop pass, paced (see struct conn_pace): while
 * a flush is held, a timer makes sure the loop wakes for it. */
static void hold_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	conn_flush_pending(&srv->conns);
	srv->conns.pace.last_shared_ns = uv_hrtime();
}

static void flush(struct server *srv)
{
	uint64_t now = uv_hrtime();
	uint64_t at = conn_flush_paced(&srv->conns, now);
	if (at == 0) {
		uv_timer_stop(&srv->hold_timer);
	} else if (!uv_is_active((uv_handle_t *)&srv->hold_timer)) {
		uint64_t ms = (at - now + 999999) / 1000000;
		uv_timer_start(&srv->hold_timer, hold_cb, ms ? ms : 1, 0);
	}
}

static void flush_check_cb(uv_check_t *h)
{
	flush(h->data);
}

static void flush_prepare_cb(uv_prepare_t *h)
{
	flush(h->data);
}

static void sweep_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	conn_sweep(&srv->conns, uv_now(srv->loop));
}

static void http_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("http listener: %s", uv_strerror(status));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, http_transport());
	if (c != NULL)
		http_transport_attach(c, srv->site, false);
}

static void ssh_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("ssh listener: %s", uv_strerror(status));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, ssh_transport());
	if (c == NULL)
		return;
	if (!inflight_take(srv->inflight, conn_peer(c))) {
		log_info("conn %llu (%s): refused: %u logins in flight from there already",
		         (unsigned long long)conn_id(c), conn_peer(c), srv->cfg.handshakes_per_address);
		conn_close(c);
		return;
	}
	ssh_transport_attach(c, &srv->ssh, terminal_open, srv);
}

static void https_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("https listener: %s", uv_strerror(status));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, http_transport());
	if (c == NULL)
		return;
	if (!inflight_take(srv->inflight, conn_peer(c))) {
		log_info("conn %llu (%s): refused: %u handshakes in flight from there already",
		         (unsigned long long)conn_id(c), conn_peer(c), srv->cfg.handshakes_per_address);
		conn_close(c);
		return;
	}
	tls_attach(c, srv->tls, &srv->tls_settings);
	if (!conn_closing(c))
		http_transport_attach(c, srv->site, true);
}

static void telnet_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("telnet listener: %s", uv_strerror(status));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, telnet_transport(CHARSET_UTF8));
	if (c != NULL)
		telnet_transport_attach(c, &srv->telnet, terminal_open, srv);
}

/* SIGHUP: what can be re-read without dropping anyone is re-read. */
static void sighup_cb(uv_signal_t *sig, int signum)
{
	(void)signum;
	server_reload_tls(sig->data);
}

static void signal_cb(uv_signal_t *sig, int signum)
{
	struct server *srv = sig->data;
	log_info("%s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	server_stop(srv);
}

static int bind_listener(struct server *srv, uv_tcp_t *tcp, struct listen_addr *addr,
                         uv_connection_cb cb, const char *what, int *bound_port)
{
	struct sockaddr_storage ss;
	int err = uv_ip4_addr(addr->host, addr->port, (struct sockaddr_in *)&ss);
	if (err != 0)
		err = uv_ip6_addr(addr->host, addr->port, (struct sockaddr_in6 *)&ss);
	if (err != 0) {
		log_error("%s: bad listen address %s", what, addr->host);
		return err;
	}
	uv_tcp_init(srv->loop, tcp);
	tcp->data = srv;
	err = uv_tcp_bind(tcp, (struct sockaddr *)&ss, 0);
	if (err == 0)
		err = uv_listen((uv_stream_t *)tcp, 511, cb);
	if (err != 0) {
		log_error("%s: cannot listen on %s:%d: %s", what, addr->host, addr->port, uv_strerror(err));
		uv_close((uv_handle_t *)tcp, NULL);
		return err;
	}
	int len = sizeof(ss);
	uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len);
	*bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                              : ((struct sockaddr_in *)&ss)->sin_port);
	log_info("%s listening on %s:%d", what, addr->host, *bound_port);
	return 0;
}

static void cluster_hangup_cb(void *ud, const char *handle, const char *reason)
{
	bbs_hangup_handle(ud, handle, reason);
}

/* [cluster]: join the other servers over Redis.  The node's name defaults to the
 * host name and the HTTP port ("bbs1:8080"). */
static int start_cluster(struct server *srv)
{
	struct cluster_settings set = { .lost_after_s = srv->cfg.cluster_lost_after_s };
	snprintf(set.redis, sizeof(set.redis), "%s", srv->cfg.cluster_redis);
	snprintf(set.password, sizeof(set.password), "%s", srv->cfg.cluster_password);
	if (srv->cfg.cluster_node[0] != '\0') {
		snprintf(set.node, sizeof(set.node), "%s", srv->cfg.cluster_node);
	} else {
		char host[48] = "carrier";
		gethostname(host, sizeof(host) - 1);
		host[strcspn(host, " \t")] = '\0';
		snprintf(set.node, sizeof(set.node), "%s:%d", host, srv->http_port);
	}
	struct cluster_hooks hooks = { cluster_hangup_cb, srv->bbs };
	srv->cluster = cluster_new(srv->loop, &set, bbs_chat(srv->bbs), &hooks);
	if (srv->cluster == NULL) {
		log_error("event=cluster_refused node=%s reason=\"bad [cluster] settings\"", set.node);
		return -1;
	}
	bbs_set_cluster(srv->bbs, srv->cluster);
	return 0;
}

int server_start(struct server *srv)
{
	/* The control socket first: it is what tells a second server on the same
	 * database that one is running. */
	char path[PATH_MAX], why[PATH_MAX + 128];
	if (!config_control_path(&srv->cfg, path, sizeof(path))) {
		log_error("control_socket: the path is too long for a Unix socket");
		return -1;
	}
	srv->ctl = ctl_server_new(srv->loop, srv->bbs, path, why, sizeof(why));
	if (srv->ctl == NULL) {
		log_error("%s", why);
		return -1;
	}
	int err = bind_listener(srv, &srv->http_listener, &srv->cfg.http, http_connection_cb,
	                        "http", &srv->http_port);
	if (err != 0)
		return err;
	srv->http_open = true;
	if (srv->cfg.telnet.port >= 0) {
		srv->telnet = (struct telnet_settings){
			.loop = srv->loop,
			.negotiate_ms = 500,
			.nop_interval_ms = (uint64_t)srv->cfg.ws_ping_interval_s * 1000,
		};
		err = bind_listener(srv, &srv->telnet_listener, &srv->cfg.telnet,
		                    telnet_connection_cb, "telnet", &srv->telnet_port);
		if (err != 0)
			return err;
		srv->telnet_open = true;
	}
	if (srv->cfg.https.port >= 0) {
		srv->tls_settings = (struct tls_settings){
			.handshake_timeout_ms = (uint64_t)srv->cfg.tls_handshake_timeout_s * 1000,
			.handshake_over = handshake_over,
			.ud = srv,
		};
		err = bind_listener(srv, &srv->https_listener, &srv->cfg.https,
		                    https_connection_cb, "https", &srv->https_port);
		if (err != 0)
			return err;
		srv->https_open = true;
		http_site_set_https_port(srv->site, srv->https_port);
	}
	if (srv->cfg.ssh.port >= 0) {
		srv->ssh = (struct ssh_settings){
			.loop = srv->loop,
			.host = srv->ssh_host,
			.login_timeout_ms = (uint64_t)srv->cfg.ssh_login_timeout_s * 1000,
			.keepalive_ms = (uint64_t)srv->cfg.ws_ping_interval_s * 1000,
			.keepalive_timeout_ms = (uint64_t)srv->cfg.ws_ping_timeout_s * 1000,
			.login = srv->cfg.ssh_login,
			.check = { ssh_check_start, ssh_check_cancel, srv },
			.login_over = handshake_over,
			.ud = srv,
		};
		err = bind_listener(srv, &srv->ssh_listener, &srv->cfg.ssh, ssh_connection_cb, "ssh",
		                    &srv->ssh_port);
		if (err != 0)
			return err;
		srv->ssh_open = true;
	}

	if (srv->cfg.cluster_redis[0] != '\0' && start_cluster(srv) != 0)
		return -1;

	uv_timer_init(srv->loop, &srv->sweep_timer);
	srv->sweep_timer.data = srv;
	uv_timer_start(&srv->sweep_timer, sweep_cb, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
	uv_timer_init(srv->loop, &srv->hold_timer);
	srv->hold_timer.data = srv;
	uv_check_init(srv->loop, &srv->flush_check);
	srv->flush_check.data = srv;
	uv_check_start(&srv->flush_check, flush_check_cb);
	uv_prepare_init(srv->loop, &srv->flush_prepare);
	srv->flush_prepare.data = srv;
	uv_prepare_start(&srv->flush_prepare, flush_prepare_cb);

	uv_signal_init(srv->loop, &srv->sigint);
	srv->sigint.data = srv;
	uv_signal_start(&srv->sigint, signal_cb, SIGINT);
	uv_signal_init(srv->loop, &srv->sigterm);
	srv->sigterm.data = srv;
	uv_signal_start(&srv->sigterm, signal_cb, SIGTERM);
	uv_signal_init(srv->loop, &srv->sighup);
	srv->sighup.data = srv;
	uv_signal_start(&srv->sighup, sighup_cb, SIGHUP);
	return 0;
}

static void shutdown_conn(struct conn *c, void *ud)
{
	session_notify_shutdown(c);
	conn_shutdown(c, 1001, "server shutting down");
}

static void force_close_conn(struct conn *c, void *ud)
{
	conn_close(c);
}

static void close_handle(uv_handle_t *h, void *ud)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The grace period is over (or everyone has gone): close whatever is left and let
 * the loop run out. */
static void shutdown_timer_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	if (srv->conns.count > 0) {
		/* Closed now, freed (with the handles they own) before the next tick:
		 * only then is everything else closed. */
		if (uv_now(srv->loop) >= srv->stop_deadline_ms)
			conn_foreach(&srv->conns, force_close_conn, NULL);
		return;
	}
	/* The callers are gone (their lines dropped): the cluster says goodbye and
	 * lets go of its connections (bounded by its own timer) before the rest. */
	if (srv->cluster != NULL) {
		cluster_stop(srv->cluster);
		bbs_set_cluster(srv->bbs, NULL);
		if (!cluster_idle(srv->cluster))
			return;
	}
	uv_walk(srv->loop, close_handle, NULL);
}

void server_stop(struct server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	if (srv->http_open) {
		uv_close((uv_handle_t *)&srv->http_listener, NULL);
		srv->http_open = false;
	}
	if (srv->telnet_open) {
		uv_close((uv_handle_t *)&srv->telnet_listener, NULL);
		srv->telnet_open = false;
	}
	ctl_server_close(srv->ctl);
	if (srv->https_open) {
		uv_close((uv_handle_t *)&srv->https_listener, NULL);
		srv->https_open = false;
	}
	if (srv->ssh_open) {
		uv_close((uv_handle_t *)&srv->ssh_listener, NULL);
		srv->ssh_open = false;
	}
	conn_foreach(&srv->conns, shutdown_conn, NULL);
	srv->stop_deadline_ms = uv_now(srv->loop) + SHUTDOWN_GRACE_MS;
	uv_timer_init(srv->loop, &srv->shutdown_timer);
	srv->shutdown_timer.data = srv;
	uv_timer_start(&srv->shutdown_timer, shutdown_timer_cb, 50, 50);
}

void server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	ctl_server_free(srv->ctl);
	cluster_free(srv->cluster);
	http_site_free(srv->site);
	bbs_free(srv->bbs);
	tls_context_free(srv->tls);
	ssh_host_free(srv->ssh_host);
	inflight_free(srv->inflight);
	free(srv);
}
