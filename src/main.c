/* carrier: the BBS server.  Start-up: arguments, config, limits, then the loop. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "bbs/auditcli.h"
#include "bbs/password.h"
#include "bbs/usercli.h"
#include "config/config.h"
#include "ctl/client.h"
#include "server.h"
#include "store/store.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: carrier [--config FILE] [--http [ADDR:]PORT] [--telnet [ADDR:]PORT]\n"
	        "               [--https [ADDR:]PORT] [--ssh [ADDR:]PORT] [--db PATH]\n"
	        "               [--help] [--version]\n"
	        "       carrier [--config FILE] [--db PATH] user add|list|passwd|level|delete ...\n"
	        "       carrier [--config FILE] [--db PATH] audit [--since WHEN] [--handle H]\n"
	        "       carrier [--config FILE] [--db PATH] ctl who|stats|kick|mute|unmute|ban|unban|\n"
	        "               broadcast|reload ...   (the running server, over its control socket)\n"
	        "       carrier [--config FILE] check-config [FILE]\n"
	        "       carrier [--config FILE] [--db PATH] backup FILE | restore FILE\n"
	        "\n"
	        "  --config FILE         settings (TOML); default: ./carrier.toml if present\n"
	        "  --http [ADDR:]PORT    web and WebSocket listener (default 0.0.0.0:8080)\n"
	        "  --telnet [ADDR:]PORT  telnet listener (default 0.0.0.0:2323)\n"
	        "  --https [ADDR:]PORT   the page over TLS (needs tls_cert and tls_key)\n"
	        "  --ssh [ADDR:]PORT     SSH listener\n"
	        "  --db PATH             SQLite database (default ./data/carrier.db)\n"
	        "  --help                this text\n"
	        "  --version             the version\n"
	        "\n"
	        "  user ...              accounts, on the same database (even while the server runs)\n"
	        "  check-config [FILE]   check the settings (FILE, else --config, else\n"
	        "                        ./carrier.toml): every error as FILE:LINE:COL, exit 1 on any\n"
	        "  backup FILE           a consistent copy of the database, while the server runs\n"
	        "  restore FILE          FILE (a backup) becomes the database; the server must be\n"
	        "                        stopped\n");
}

/* As many open files as the hard limit allows: every caller is a descriptor. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t before = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("event=nofile_failed error=%s", LOG_Q(strerror(errno)));
	else if (rl.rlim_cur != before)
		log_info("event=nofile_raised from=%llu to=%llu", (unsigned long long)before,
		         (unsigned long long)rl.rlim_cur);
}

/* Print what config_load found, one message a line, to stderr. */
static void print_diag(const char *path, const struct config_diag *diag)
{
	for (size_t i = 0; i < diag->n_errors && i < CONFIG_DIAG_MAX; i++)
		fprintf(stderr, "%s\n", diag->errors[i]);
	if (diag->n_errors > CONFIG_DIAG_MAX)
		fprintf(stderr, "%s: ... and %zu more errors\n", path,
		        diag->n_errors - CONFIG_DIAG_MAX);
	for (size_t i = 0; i < diag->n_warnings && i < CONFIG_DIAG_MAX; i++)
		fprintf(stderr, "%s\n", diag->warnings[i]);
	if (diag->n_warnings > CONFIG_DIAG_MAX)
		fprintf(stderr, "%s: ... and %zu more warnings\n", path,
		        diag->n_warnings - CONFIG_DIAG_MAX);
}

/* carrier check-config [FILE]: parse and validate (FILE, else --config, else
 * ./carrier.toml), print every error and warning, exit 1 on any error. */
static int check_config(const char *path, const char *share)
{
	struct config cfg;
	struct config_diag diag;
	if (path == NULL)
		path = "carrier.toml";
	config_defaults(&cfg, share);
	int rc = config_load(&cfg, path, &diag);
	print_diag(path, &diag);
	config_free(&cfg);
	if (rc != 0) {
		fprintf(stderr, "%s: %zu error%s\n", path, diag.n_errors, diag.n_errors == 1 ? "" : "s");
		return 1;
	}
	printf("%s: ok%s\n", path, diag.n_warnings ? " (with warnings)" : "");
	return 0;
}

/* carrier backup FILE: a consistent copy of the live database, the server running
 * or not. */
static int backup(const char *db, const char *dest)
{
	char err[512];
	struct store_copy_info info;
	if (store_backup(db, dest, &info, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "carrier backup: %s\n", err);
		return 1;
	}
	printf("%s: backup of %s: %lld users, schema %d, %d pages, quick_check ok\n", dest, db,
	       (long long)info.users, info.schema, info.pages);
	return 0;
}

/* carrier restore FILE: the server stopped, FILE becomes the database. */
static int restore(const char *from, const char *db)
{
	char err[512];
	struct store_copy_info info;
	int rc = store_restore(from, db, &info, err, sizeof(err));
	if (rc != STORE_OK) {
		fprintf(stderr, "carrier restore: %s\n", err);
		return 1;
	}
	printf("%s: restored from %s: %lld users, schema %d, %d pages\n", db, from,
	       (long long)info.users, info.schema, info.pages);
	return 0;
}

/* Where web/ and art/ live: beside the executable. */
static void share_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	size_t n = sizeof(exe);
	if (uv_exepath(exe, &n) != 0) {
		snprintf(out, len, ".");
		return;
	}
	snprintf(out, len, "%s", dirname(exe));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "http", required_argument, NULL, 'H' },
		{ "telnet", required_argument, NULL, 'T' },
		{ "https", required_argument, NULL, 'S' },
		{ "ssh", required_argument, NULL, 'X' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char share[PATH_MAX];
	struct config cfg;
	const char *config_path = NULL;
	struct config_overrides over = { NULL, NULL, NULL, NULL, NULL };
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:H:T:S:X:d:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'H': over.http = optarg; break;
		case 'T': over.telnet = optarg; break;
		case 'S': over.https = optarg; break;
		case 'X': over.ssh = optarg; break;
		case 'd': over.db = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("carrier %s\n", CARRIER_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	bool user_cmd = sub && (strcmp(sub, "user") == 0 || strcmp(sub, "audit") == 0 ||
	                        strcmp(sub, "ctl") == 0);
	if (sub != NULL && strcmp(sub, "check-config") == 0) {
		if (argc - optind > 2) {
			usage(stderr);
			return 2;
		}
		share_dir(share, sizeof(share));
		return check_config(argc - optind > 1 ? argv[optind + 1] : config_path, share);
	}
	bool backup_cmd = sub != NULL && (strcmp(sub, "backup") == 0 || strcmp(sub, "restore") == 0);
	if (backup_cmd && argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (sub != NULL && !user_cmd && !backup_cmd) {
		fprintf(stderr, "carrier: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (getenv("CARRIER_DEBUG") != NULL)
		log_set_level(LOG_DEBUG);
	share_dir(share, sizeof(share));
	config_defaults(&cfg, share);
	/* Defaults, then the file (--config, else ./carrier.toml if there is one), then
	 * the command line. */
	if (config_path == NULL && access("carrier.toml", F_OK) == 0)
		config_path = "carrier.toml";
	if (config_path != NULL) {
		struct config_diag diag;
		int rc = config_load(&cfg, config_path, &diag);
		print_diag(config_path, &diag);
		if (rc != 0) {
			fprintf(stderr, "carrier: %s: not starting\n", config_path);
			return 1;
		}
	}
	struct listen_addr probe = cfg.http;
	if (over.http && !config_parse_listen(over.http, &probe)) {
		fprintf(stderr, "carrier: --http: expected [ADDR:]PORT, got '%s'\n", over.http);
		config_free(&cfg);
		return 2;
	}
	probe = cfg.telnet;
	if (over.telnet && !config_parse_listen(over.telnet, &probe)) {
		fprintf(stderr, "carrier: --telnet: expected [ADDR:]PORT, got '%s'\n", over.telnet);
		config_free(&cfg);
		return 2;
	}
	probe = cfg.https;
	if (over.https && !config_parse_listen(over.https, &probe)) {
		fprintf(stderr, "carrier: --https: expected [ADDR:]PORT, got '%s'\n", over.https);
		config_free(&cfg);
		return 2;
	}
	if (over.https && (cfg.tls_cert[0] == '\0' || cfg.tls_key[0] == '\0')) {
		fprintf(stderr, "carrier: --https needs tls_cert and tls_key in [server]\n");
		config_free(&cfg);
		return 2;
	}
	probe = cfg.ssh;
	if (over.ssh && !config_parse_listen(over.ssh, &probe)) {
		fprintf(stderr, "carrier: --ssh: expected [ADDR:]PORT, got '%s'\n", over.ssh);
		config_free(&cfg);
		return 2;
	}
	if (!config_apply_overrides(&cfg, &over)) {
		fprintf(stderr, "carrier: --db: too long a path\n");
		config_free(&cfg);
		return 2;
	}
	if (backup_cmd) {
		int rc = strcmp(sub, "backup") == 0 ? backup(cfg.db_path, argv[optind + 1])
		                                    : restore(argv[optind + 1], cfg.db_path);
		config_free(&cfg);
		return rc;
	}
	if (user_cmd) {
		struct password_limits lim = { cfg.password_ops, cfg.password_mem };
		char path[PATH_MAX];
		int rc;
		if (strcmp(sub, "user") == 0) {
			rc = usercli_main(argc - optind, argv + optind, cfg.db_path, lim);
		} else if (strcmp(sub, "audit") == 0) {
			rc = auditcli_main(argc - optind, argv + optind, cfg.db_path);
		} else if (config_control_path(&cfg, path, sizeof(path))) {
			rc = ctl_client_main(argc - optind, argv + optind, path);
		} else {
			fprintf(stderr, "carrier ctl: control_socket: the path is too long\n");
			rc = 1;
		}
		config_free(&cfg);
		return rc;
	}
	if (config_path != NULL)
		log_info("event=settings path=%s", LOG_Q(config_path));
	log_set_level((enum log_level)cfg.log_level);

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	uv_loop_t *loop = uv_default_loop();
	struct server *srv = server_new(loop, &cfg);
	if (srv == NULL) {
		config_free(&cfg);
		return 1;
	}
	/* The server owns the settings now (and reloads them from the same place). */
	server_set_source(srv, config_path, share, &over);
	if (server_start(srv) != 0) {
		server_free(srv);
		return 1;
	}
	log_info("event=ready version=%s", CARRIER_VERSION);
	server_notify_ready(srv);
	uv_run(loop, UV_RUN_DEFAULT);
	server_free(srv);
	uv_loop_close(loop);
	log_info("event=stopped");
	return 0;
}
