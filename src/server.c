#include "server.h"

#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "bbs/actions.h"
#include "bbs/bbs.h"
#include "bbs/session.h"
#include "cluster/cluster.h"
#include "ctl/server.h"
#include "http/transport.h"
#include "net/inflight.h"
#include "net/tls.h"
#include "ssh/transport.h"
#include "metrics/collect.h"
#include "metrics/listener.h"
#include "ops/notify.h"
#include "telnet/transport.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SWEEP_INTERVAL_MS 1000
#define SHUTDOWN_GRACE_MS 2000

/* Listeners, as the metrics name them (struct server_stats' accepted[]). */
enum { L_HTTP, L_TELNET, L_METRICS, L_HTTPS, L_SSH };

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
	uv_tcp_t metrics_listener;
	bool metrics_open;
	int metrics_port;
	struct metrics_site *metrics;
	struct server_stats stats;
	uint64_t start_ms;               /* wall clock, for the uptime */
	uint64_t sweep_due_ns;           /* when the sweep timer should fire next (loop lag) */
	uv_timer_t watchdog_timer;       /* systemd's watchdog, pinged from the loop */
	uv_timer_t sweep_timer;
	uv_timer_t shutdown_timer;
	uv_check_t flush_check;
	uv_prepare_t flush_prepare;
	uv_timer_t hold_timer;           /* a held flush (struct conn_pace) */
	uv_signal_t sigint, sigterm, sighup;
	/* Where the settings come from, for a reload (server_set_source). */
	char config_path[PATH_MAX];      /* "" if none */
	char share_dir[PATH_MAX];
	struct config_overrides overrides;
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
		log_error("event=tls_failed error=%s", LOG_Q(err));
		return false;
	}
	if (warn[0] != '\0')
		log_warn("event=tls_warning warning=%s", LOG_Q(warn));
	tls_context_describe(ctx, what, sizeof(what));
	log_info("event=tls_certificate certificate=%s", LOG_Q(what));
	tls_context_free(srv->tls);
	srv->tls = ctx;
	return true;
}

int server_reload_tls(struct server *srv)
{
	if (srv->tls == NULL)
		return 0;
	if (!load_tls(srv)) {
		log_warn("event=tls_reload_failed kept=previous");
		return -1;
	}
	log_info("event=tls_reloaded for=new_connections");
	return 0;
}

/* The host keys: from [server] ssh_host_keys, else beside the database. */
static bool load_ssh(struct server *srv)
{
	char dir[PATH_MAX], err[PATH_MAX + 128];
	if (srv->cfg.ssh_host_keys[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", srv->cfg.ssh_host_keys);
	} else if (config_is_database_url(srv->cfg.db_path)) {
		snprintf(dir, sizeof(dir), ".");    /* the database has no directory here */
	} else {
		char db[PATH_MAX];
		snprintf(db, sizeof(db), "%s", srv->cfg.db_path);
		snprintf(dir, sizeof(dir), "%s", dirname(db));
	}
	srv->ssh_host = ssh_host_new(dir, err, sizeof(err));
	if (srv->ssh_host == NULL) {
		log_error("event=ssh_host_failed error=%s", LOG_Q(err));
		return false;
	}
	for (size_t i = 0; ssh_host_fingerprint(srv->ssh_host, i) != NULL; i++)
		log_info("event=ssh_host_key key=%s", LOG_Q(ssh_host_fingerprint(srv->ssh_host, i)));
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

struct server *server_new(uv_loop_t *loop, struct config *cfg)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->cfg = *cfg;                  /* moved: the menus are the server's now */
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
		free(srv);                    /* cfg is still the caller's */
		return NULL;
	}
	/* From here on the server owns the config: the caller's copy must not be
	 * freed (config_free on it is harmless: it points at the built-in menus). */
	cfg->menus_owned = false;
	srv->site = http_site_new(&srv->cfg, terminal_open, srv);
	srv->inflight = inflight_new(cfg->handshakes_per_address);
	if ((cfg->https.port >= 0 && !load_tls(srv)) || (cfg->ssh.port >= 0 && !load_ssh(srv))) {
		server_free(srv);
		return NULL;
	}
	srv->stats.listener[L_HTTP] = "http";
	srv->stats.listener[L_TELNET] = "telnet";
	srv->stats.listener[L_METRICS] = "metrics";
	srv->stats.listener[L_HTTPS] = "https";
	srv->stats.listener[L_SSH] = "ssh";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	srv->start_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return srv;
}

/* The metrics page, from everything the server holds (metrics/collect.c). */
static void metrics_page(void *ud, struct sbuf *out)
{
	struct server *srv = ud;
	struct metrics_sources src = {
		.version = CARRIER_VERSION,
		.start_ms = srv->start_ms,
		.server = &srv->stats,
		.conns = &srv->conns,
		.site = srv->site,
		.bbs = srv->bbs,
	};
	srv->stats.scrapes++;
	metrics_collect(&src, out);
}

/* The loop's lag, measured on the sweep timer (no wake-up of its own): how late it
 * runs against libuv's own deadline for it is how long the loop was busy (or
 * blocked) past that moment.  libuv keeps time in whole milliseconds, so a loop
 * with nothing to do still shows up to a millisecond or so. */
static void lag_note_due(struct server *srv)
{
	srv->sweep_due_ns = (uv_now(srv->loop) + uv_timer_get_due_in(&srv->sweep_timer)) * 1000000u;
}

static void lag_measure(struct server *srv)
{
	uint64_t now = uv_hrtime();
	if (srv->sweep_due_ns != 0)
		hist_add(&srv->stats.loop_lag, now > srv->sweep_due_ns ? now - srv->sweep_due_ns : 0);
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
	lag_measure(srv);
	lag_note_due(srv);             /* libuv has re-armed it already */
	conn_sweep(&srv->conns, uv_now(srv->loop));
}

static void http_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("event=accept_failed listener=http error=%s", LOG_Q(uv_strerror(status)));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, http_transport());
	if (c != NULL) {
		srv->stats.accepted[L_HTTP]++;
		http_transport_attach(c, srv->site, false);
	}
}

static void ssh_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("event=accept_failed listener=ssh error=%s", LOG_Q(uv_strerror(status)));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, ssh_transport());
	if (c == NULL)
		return;
	srv->stats.accepted[L_SSH]++;
	if (!inflight_take(srv->inflight, conn_peer(c))) {
		srv->stats.refused_in_flight++;
		log_info("event=refused conn=%llu peer=%s reason=logins_in_flight limit=%u",
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
		log_warn("event=accept_failed listener=https error=%s", LOG_Q(uv_strerror(status)));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, http_transport());
	if (c == NULL)
		return;
	srv->stats.accepted[L_HTTPS]++;
	if (!inflight_take(srv->inflight, conn_peer(c))) {
		srv->stats.refused_in_flight++;
		log_info("event=refused conn=%llu peer=%s reason=handshakes_in_flight limit=%u",
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
		log_warn("event=accept_failed listener=telnet error=%s", LOG_Q(uv_strerror(status)));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, telnet_transport(CHARSET_UTF8));
	if (c != NULL) {
		srv->stats.accepted[L_TELNET]++;
		telnet_transport_attach(c, &srv->telnet, terminal_open, srv);
	}
}

static void metrics_connection_cb(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	if (status < 0) {
		log_warn("event=accept_failed listener=metrics error=%s", LOG_Q(uv_strerror(status)));
		return;
	}
	struct conn *c = conn_accept(&srv->conns, listener, metrics_transport());
	if (c != NULL) {
		srv->stats.accepted[L_METRICS]++;
		metrics_transport_attach(c, srv->metrics);
	}
}

void server_set_source(struct server *srv, const char *config_path, const char *share_dir,
                       const struct config_overrides *o)
{
	snprintf(srv->config_path, sizeof(srv->config_path), "%s", config_path ? config_path : "");
	snprintf(srv->share_dir, sizeof(srv->share_dir), "%s", share_dir);
	srv->overrides = *o;
}

/* A setting kept for a restart: logged, and told to whoever asked (ud: an sbuf for
 * `carrier ctl reload`, or NULL). */
static void log_restart(void *ud, const char *section, const char *key)
{
	struct sbuf *report = ud;
	log_warn("event=needs_restart setting=%s.%s", section, key);
	if (report != NULL)
		sbuf_printf(report, "%s.%s needs a restart: the running value is kept\n", section,
		            key);
}

/* A reload refused: the reasons for whoever asked, one a line, no final line end. */
static void refused(struct server *srv, struct sbuf *report, const char *const *why, size_t n)
{
	srv->stats.reloads_failed++;
	srv->stats.last_reload_failed = true;
	for (size_t i = 0; report != NULL && i < n; i++)
		sbuf_printf(report, "%s%s", i ? "\n" : "", why[i]);
}

static void log_change(void *ud, const char *section, const char *key)
{
	(void)ud;
	log_info("event=setting_changed setting=%s.%s", section, key);
}

/* carrier.toml again: a file with any error changes nothing (each error logged as
 * file:line:col); settings that cannot change while running are reported and kept;
 * the rest take effect for what callers do next. */
static int reload_config(struct server *srv, struct sbuf *report)
{
	struct config next;
	struct config_diag diag;
	const char *path = srv->config_path;

	config_defaults(&next, srv->share_dir);
	if (path[0] != '\0') {
		int rc = config_load(&next, path, &diag);
		for (size_t i = 0; i < diag.n_errors && i < CONFIG_DIAG_MAX; i++)
			log_error("event=config_error error=%s", LOG_Q(diag.errors[i]));
		for (size_t i = 0; i < diag.n_warnings && i < CONFIG_DIAG_MAX; i++)
			log_warn("event=config_warning warning=%s", LOG_Q(diag.warnings[i]));
		if (rc != 0) {
			const char *why[CONFIG_DIAG_MAX];
			size_t n = diag.n_errors < CONFIG_DIAG_MAX ? diag.n_errors : CONFIG_DIAG_MAX;
			for (size_t i = 0; i < n; i++)
				why[i] = diag.errors[i];
			refused(srv, report, why, n);
			log_error("event=reload_failed path=%s errors=%zu kept=running", LOG_Q(path),
			          diag.n_errors);
			return -1;
		}
	}
	/* What the settings name that is read from elsewhere (the actions file) is read
	 * now too: a mistake there refuses the reload like one in the file. */
	struct actions actions;
	char err[CONFIG_DIAG_LEN];
	if (bbs_read_actions(&next, &actions, err, sizeof(err)) != 0) {
		log_error("event=config_error error=%s", LOG_Q(err));
		config_free(&next);
		const char *why[] = { err };
		refused(srv, report, why, 1);
		log_error("event=reload_failed path=%s errors=1 kept=running", LOG_Q(path));
		return -1;
	}
	if (!config_apply_overrides(&next, &srv->overrides)) {
		actions_free(&actions);
		config_free(&next);
		const char *why[] = { "a command-line setting no longer applies" };
		refused(srv, report, why, 1);
		log_error("event=reload_failed path=%s error=bad_override kept=running", LOG_Q(path));
		return -1;
	}
	size_t kept = config_keep_restart(&next, &srv->cfg, log_restart, report);
	size_t changed = config_changes(&next, &srv->cfg, log_change, NULL);
	bool menus = !config_menus_equal(&next, &srv->cfg);

	struct config old = srv->cfg;
	srv->cfg = next;                  /* in place: bbs, site and sessions borrow it */
	srv->conns.limits.high_water = srv->cfg.out_high_water;
	srv->conns.limits.low_water = srv->cfg.out_low_water;
	srv->conns.limits.hard_limit = srv->cfg.out_hard_limit;
	srv->conns.pace.hold_ns = (uint64_t)srv->cfg.flush_hold_us * 1000;
	srv->telnet.nop_interval_ms = (uint64_t)srv->cfg.ws_ping_interval_s * 1000;
	srv->tls_settings.handshake_timeout_ms = (uint64_t)srv->cfg.tls_handshake_timeout_s * 1000;
	srv->ssh.login_timeout_ms = (uint64_t)srv->cfg.ssh_login_timeout_s * 1000;
	srv->ssh.keepalive_ms = (uint64_t)srv->cfg.ws_ping_interval_s * 1000;
	srv->ssh.keepalive_timeout_ms = (uint64_t)srv->cfg.ws_ping_timeout_s * 1000;
	http_site_reload(srv->site);
	bbs_reload(srv->bbs, &old, &actions);   /* sessions leave the old menus here */
	config_free(&old);

	srv->stats.reloads_ok++;
	srv->stats.last_reload_failed = false;
	log_info("event=reload path=%s changed=%zu menus=%s needs_restart=%zu",
	         LOG_Q(path[0] ? path : "(none)"), changed, menus ? "changed" : "same", kept);
	log_set_level((enum log_level)srv->cfg.log_level);     /* last: the above is seen */
	return 0;
}

int server_reload(struct server *srv, struct sbuf *report)
{
	if (srv->stopping)
		return 0;                     /* going down: nothing to reload for */
	ops_notify_reloading();
	/* The settings first: whatever else is read from files at start is read
	 * again after them, here, in this order: the TLS certificate, from the paths
	 * the settings name (the running ones if the file was refused). */
	int rc = reload_config(srv, report);
	if (server_reload_tls(srv) != 0 && report != NULL)
		sbuf_printf(report, "%sthe TLS certificate could not be loaded again: the one "
		            "loaded before stays (see the log)%s", rc == 0 ? "" : "\n",
		            rc == 0 ? "\n" : "");
	ops_notify_ready(rc == 0 ? "serving; settings reloaded"
	                         : "serving; the reloaded settings were refused (see the log)");
	return rc;
}

static void watchdog_cb(uv_timer_t *t)
{
	(void)t;
	ops_watchdog_ping();
}

void server_notify_ready(struct server *srv)
{
	char status[256];
	int n = snprintf(status, sizeof(status), "serving: http port %d", srv->http_port);
	if (srv->https_open && n > 0 && (size_t)n < sizeof(status))
		n += snprintf(status + n, sizeof(status) - (size_t)n, ", https port %d", srv->https_port);
	if (srv->telnet_open && n > 0 && (size_t)n < sizeof(status))
		n += snprintf(status + n, sizeof(status) - (size_t)n, ", telnet port %d",
		              srv->telnet_port);
	if (srv->ssh_open && n > 0 && (size_t)n < sizeof(status))
		n += snprintf(status + n, sizeof(status) - (size_t)n, ", ssh port %d", srv->ssh_port);
	if (srv->metrics_open && n > 0 && (size_t)n < sizeof(status))
		snprintf(status + n, sizeof(status) - (size_t)n, ", metrics on");
	ops_notify_ready(status);
}

/* `carrier ctl reload`: the same as SIGHUP, with what happened told back. */
static int ctl_reload(void *ud, struct sbuf *why)
{
	log_info("event=reloading by=ctl");
	return server_reload(ud, why);
}

static void sighup_cb(uv_signal_t *sig, int signum)
{
	(void)signum;
	log_info("event=reloading signal=SIGHUP");
	server_reload(sig->data, NULL);
}

static void signal_cb(uv_signal_t *sig, int signum)
{
	struct server *srv = sig->data;
	log_info("event=stopping signal=%s", signum == SIGINT ? "SIGINT" : "SIGTERM");
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
		log_error("event=listen_failed listener=%s host=%s error=bad_address", what,
		          LOG_Q(addr->host));
		return err;
	}
	uv_tcp_init(srv->loop, tcp);
	tcp->data = srv;
	err = uv_tcp_bind(tcp, (struct sockaddr *)&ss, 0);
	if (err == 0)
		err = uv_listen((uv_stream_t *)tcp, 511, cb);
	if (err != 0) {
		log_error("event=listen_failed listener=%s host=%s port=%d error=%s", what, LOG_Q(addr->host),
		          addr->port, LOG_Q(uv_strerror(err)));
		uv_close((uv_handle_t *)tcp, NULL);
		return err;
	}
	int len = sizeof(ss);
	uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len);
	bool v6 = ss.ss_family == AF_INET6;
	*bound_port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                       : ((struct sockaddr_in *)&ss)->sin_port);
	log_info("event=listen listener=%s addr=%s%s%s:%d", what, v6 ? "[" : "", addr->host,
	         v6 ? "]" : "", *bound_port);
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
		log_error("event=cluster_refused node=%s reason=bad_settings", LOG_Q(set.node));
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
		log_error("event=control_socket_failed error=path_too_long");
		return -1;
	}
	srv->ctl = ctl_server_new(srv->loop, srv->bbs, path, why, sizeof(why));
	if (srv->ctl != NULL) {
		ctl_server_on_reload(srv->ctl, ctl_reload, srv);
		ctl_server_set_net_stats(srv->ctl, &srv->conns.stats);
	}
	if (srv->ctl == NULL) {
		log_error("event=control_socket_failed error=%s", LOG_Q(why));
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
	if (srv->cfg.metrics.port >= 0) {
		srv->metrics = metrics_site_new(metrics_page, srv);
		err = bind_listener(srv, &srv->metrics_listener, &srv->cfg.metrics,
		                    metrics_connection_cb, "metrics", &srv->metrics_port);
		if (err != 0)
			return err;
		srv->metrics_open = true;
	}

	if (srv->cfg.cluster_redis[0] != '\0' && start_cluster(srv) != 0)
		return -1;

	/* systemd's watchdog (WatchdogSec=): pinged from the loop, twice an interval. */
	uint64_t wd_usec = ops_watchdog_usec();
	if (wd_usec > 0) {
		uint64_t ms = wd_usec / 2000 ? wd_usec / 2000 : 1;
		uv_timer_init(srv->loop, &srv->watchdog_timer);
		srv->watchdog_timer.data = srv;
		uv_timer_start(&srv->watchdog_timer, watchdog_cb, ms, ms);
		log_info("event=watchdog interval_ms=%llu", (unsigned long long)(wd_usec / 1000));
	}
	uv_timer_init(srv->loop, &srv->sweep_timer);
	srv->sweep_timer.data = srv;
	uv_timer_start(&srv->sweep_timer, sweep_cb, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
	lag_note_due(srv);
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
	bbs_stop_store(srv->bbs);
	uv_walk(srv->loop, close_handle, NULL);
}

void server_stop(struct server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	ops_notify_stopping();
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
	if (srv->metrics_open) {
		uv_close((uv_handle_t *)&srv->metrics_listener, NULL);
		srv->metrics_open = false;
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
	metrics_site_free(srv->metrics);
	bbs_free(srv->bbs);
	tls_context_free(srv->tls);
	ssh_host_free(srv->ssh_host);
	inflight_free(srv->inflight);
	config_free(&srv->cfg);
	free(srv);
}
