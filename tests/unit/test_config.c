/* Unit tests for src/config/config: defaults, every setting, menus, the shipped
 * carrier.toml, and the exact file:line:column of every kind of mistake.
 * Runs from the repository root (it reads ./carrier.toml). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "config/config.h"

#include "util/log.h"

#define SHARE "/opt/carrier"

static int load(struct config *cfg, const char *text, struct config_diag *diag)
{
	return config_load_text(cfg, text, strlen(text), "carrier.toml", diag);
}

/* Load text over the defaults; it must succeed with no warnings. */
static void load_ok(struct config *cfg, const char *text)
{
	struct config_diag diag;
	config_defaults(cfg, SHARE);
	int rc = load(cfg, text, &diag);
	if (rc != 0 || diag.n_errors != 0 || diag.n_warnings != 0)
		fail_msg("rc %d, %zu errors, %zu warnings; first: %s%s", rc, diag.n_errors,
			 diag.n_warnings, diag.errors[0], diag.warnings[0]);
}

/* Loading text must fail, and its first error must be exactly want. */
static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	struct config_diag diag;
	config_defaults(&cfg, SHARE);
	int rc = load(&cfg, text, &diag);
	config_free(&cfg);
	if (rc == 0)
		fail_msg("accepted:\n%s", text);
	assert_true(diag.n_errors >= 1);
	if (strcmp(diag.errors[0], want) != 0)
		fail_msg("want  %s\nhave  %s", want, diag.errors[0]);
}

/* [server] database may name a PostgreSQL database: kept as written, with the
 * control socket in the working directory (the database has no directory here). */
static void test_database_url(void **state)
{
	(void)state;
	struct config cfg;
	char ctl[128];
	load_ok(&cfg, "[server]\ndatabase = \"postgresql://carrier:pw@127.0.0.1:5432/bbs\"\n");
	assert_string_equal(cfg.db_path, "postgresql://carrier:pw@127.0.0.1:5432/bbs");
	assert_true(config_is_database_url(cfg.db_path));
	assert_true(config_control_path(&cfg, ctl, sizeof(ctl)));
	assert_string_equal(ctl, "carrier.ctl");
	config_free(&cfg);
	load_ok(&cfg, "[server]\ndatabase = \"postgres://x/y\"\n");
	assert_string_equal(cfg.db_path, "postgres://x/y");
	config_free(&cfg);
}

static void assert_item(const struct config_menu_item *it, char hotkey, const char *name,
			enum config_item_type type, const char *target, int order, int level)
{
	assert_int_equal(it->hotkey, hotkey);
	assert_string_equal(it->name, name);
	assert_int_equal(it->type, type);
	if (type == CONFIG_ITEM_COMMAND) {
		assert_string_equal(it->command, target);
		assert_string_equal(it->submenu, "");
	} else {
		assert_string_equal(it->submenu, target);
		assert_string_equal(it->command, "");
	}
	assert_int_equal(it->order, order);
	assert_int_equal(it->min_level, level);
}

/* Field by field, menus deeply. */
static void assert_config_equal(const struct config *a, const struct config *b)
{
	assert_string_equal(a->http.host, b->http.host);
	assert_int_equal(a->http.port, b->http.port);
	assert_string_equal(a->telnet.host, b->telnet.host);
	assert_int_equal(a->telnet.port, b->telnet.port);
	assert_string_equal(a->db_path, b->db_path);
	assert_string_equal(a->web_root, b->web_root);
	assert_string_equal(a->art_dir, b->art_dir);
	assert_int_equal(a->n_allowed_origins, b->n_allowed_origins);
	for (size_t i = 0; i < a->n_allowed_origins; i++)
		assert_string_equal(a->allowed_origins[i], b->allowed_origins[i]);
	assert_string_equal(a->bbs_name, b->bbs_name);
	assert_string_equal(a->tagline, b->tagline);
	assert_string_equal(a->sysop, b->sysop);
	assert_int_equal(a->max_nodes, b->max_nodes);
	assert_int_equal(a->n_sysop_handles, b->n_sysop_handles);
	for (size_t i = 0; i < a->n_sysop_handles; i++)
		assert_string_equal(a->sysop_handles[i], b->sysop_handles[i]);
	assert_int_equal(a->login_timeout_s, b->login_timeout_s);
	assert_int_equal(a->idle_timeout_s, b->idle_timeout_s);
	assert_int_equal(a->max_login_failures, b->max_login_failures);
	assert_int_equal(a->lockout_minutes, b->lockout_minutes);
	assert_int_equal(a->last_callers, b->last_callers);
	assert_int_equal(a->password_ops, b->password_ops);
	assert_int_equal(a->password_mem, b->password_mem);
	assert_int_equal(a->session_days, b->session_days);
	assert_string_equal(a->chat_room_name, b->chat_room_name);
	assert_int_equal(a->chat_scrollback, b->chat_scrollback);
	assert_int_equal(a->chat_capacity, b->chat_capacity);
	assert_int_equal(a->chat_history, b->chat_history);
	assert_int_equal(a->chat_max_line, b->chat_max_line);
	assert_true(a->chat_flood_rate == b->chat_flood_rate);
	assert_int_equal(a->chat_flood_burst, b->chat_flood_burst);
	assert_int_equal(a->chat_coalesce_ms, b->chat_coalesce_ms);
	assert_int_equal(a->ws_max_message, b->ws_max_message);
	assert_int_equal(a->ws_ping_interval_s, b->ws_ping_interval_s);
	assert_int_equal(a->ws_ping_timeout_s, b->ws_ping_timeout_s);
	assert_int_equal(a->http_header_timeout_s, b->http_header_timeout_s);
	assert_int_equal(a->http_idle_timeout_s, b->http_idle_timeout_s);
	assert_int_equal(a->out_high_water, b->out_high_water);
	assert_int_equal(a->out_low_water, b->out_low_water);
	assert_int_equal(a->out_hard_limit, b->out_hard_limit);
	assert_string_equal(a->https.host, b->https.host);
	assert_int_equal(a->https.port, b->https.port);
	assert_string_equal(a->tls_cert, b->tls_cert);
	assert_string_equal(a->tls_key, b->tls_key);
	assert_int_equal(a->redirect_http, b->redirect_http);
	assert_string_equal(a->ssh.host, b->ssh.host);
	assert_int_equal(a->ssh.port, b->ssh.port);
	assert_string_equal(a->ssh_host_keys, b->ssh_host_keys);
	assert_int_equal(a->ssh_login, b->ssh_login);
	assert_int_equal(a->tls_handshake_timeout_s, b->tls_handshake_timeout_s);
	assert_int_equal(a->ssh_login_timeout_s, b->ssh_login_timeout_s);
	assert_int_equal(a->handshakes_per_address, b->handshakes_per_address);
	assert_string_equal(a->metrics.host, b->metrics.host);
	assert_int_equal(a->metrics.port, b->metrics.port);
	assert_int_equal(a->log_level, b->log_level);

	assert_int_equal(a->n_menus, b->n_menus);
	for (size_t m = 0; m < a->n_menus; m++) {
		const struct config_menu *x = &a->menus[m], *y = &b->menus[m];
		assert_string_equal(x->name, y->name);
		assert_string_equal(x->title, y->title);
		assert_int_equal(x->n_items, y->n_items);
		for (size_t i = 0; i < x->n_items; i++) {
			const struct config_menu_item *p = &x->items[i], *q = &y->items[i];
			assert_item(p, q->hotkey, q->name, q->type,
				    q->type == CONFIG_ITEM_COMMAND ? q->command : q->submenu,
				    q->order, q->min_level);
		}
	}
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	struct config cfg;
	config_defaults(&cfg, SHARE);
	assert_string_equal(cfg.http.host, "0.0.0.0");
	assert_int_equal(cfg.http.port, 8080);
	assert_int_equal(cfg.telnet.port, 2323);
	assert_string_equal(cfg.db_path, "data/carrier.db");
	assert_string_equal(cfg.web_root, SHARE "/web");
	assert_string_equal(cfg.art_dir, SHARE "/art");
	assert_int_equal(cfg.n_allowed_origins, 0);
	assert_string_equal(cfg.bbs_name, "Carrier BBS");
	assert_int_equal(cfg.max_nodes, 32);
	assert_int_equal(cfg.n_sysop_handles, 0);
	assert_int_equal(cfg.password_ops, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	assert_int_equal(cfg.password_mem, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	assert_int_equal(cfg.chat_scrollback, 20);
	assert_int_equal(cfg.chat_coalesce_ms, 250);
	assert_true(cfg.chat_flood_rate == 2.0);
	assert_true(cfg.out_low_water < cfg.out_high_water);
	assert_true(cfg.out_high_water <= cfg.out_hard_limit);

	const struct config_menu *main_menu = config_menu_find(&cfg, "main");
	assert_non_null(main_menu);
	assert_string_equal(main_menu->title, "Main Menu");
	assert_int_equal(main_menu->n_items, 7);
	assert_item(&main_menu->items[0], 'C', "Chat (Teleconference)", CONFIG_ITEM_COMMAND,
		    "chat", 10, 0);
	assert_item(&main_menu->items[1], 'W', "Who's Online", CONFIG_ITEM_COMMAND, "who", 20, 0);
	assert_item(&main_menu->items[2], 'L', "Last Callers", CONFIG_ITEM_COMMAND,
		    "last_callers", 30, 0);
	assert_item(&main_menu->items[3], 'T', "Telegrams", CONFIG_ITEM_COMMAND,
		    "telegrams", 35, 0);
	assert_item(&main_menu->items[4], 'U', "User Lookup", CONFIG_ITEM_COMMAND,
		    "user_lookup", 40, 0);
	assert_item(&main_menu->items[5], 'S', "System", CONFIG_ITEM_SUBMENU, "system", 50, 0);
	assert_item(&main_menu->items[6], 'G', "Goodbye (Log Off)", CONFIG_ITEM_COMMAND,
		    "logoff", 90, 0);
	const struct config_menu *sys = config_menu_find(&cfg, "system");
	assert_non_null(sys);
	assert_int_equal(sys->items[sys->n_items - 1].min_level, LEVEL_SYSOP);
	assert_null(config_menu_find(&cfg, "nope"));

	/* every built-in item names a known command or an existing menu */
	for (size_t m = 0; m < cfg.n_menus; m++)
		for (size_t i = 0; i < cfg.menus[m].n_items; i++) {
			const struct config_menu_item *it = &cfg.menus[m].items[i];
			if (it->type == CONFIG_ITEM_COMMAND)
				assert_true(config_command_known(it->command));
			else
				assert_non_null(config_menu_find(&cfg, it->submenu));
		}
	config_free(&cfg);
	config_free(&cfg);      /* twice is harmless */
	assert_non_null(config_menu_find(&cfg, "main"));
}

static void test_commands(void **state)
{
	static const char *const want[] = { "chat", "who", "last_callers", "profile",
					    "user_lookup", "logoff", "telegrams" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(config_command_known(want[i]));
	assert_false(config_command_known("Chat"));
	assert_false(config_command_known(""));
	assert_false(config_command_known("submenu"));
	assert_int_equal(config_n_commands, 7);
}

static void test_empty_file_keeps_defaults(void **state)
{
	struct config cfg, def;
	load_ok(&cfg, "");
	config_defaults(&def, SHARE);
	assert_config_equal(&cfg, &def);
	config_free(&cfg);
	load_ok(&cfg, "# nothing but a comment\n\n");
	assert_config_equal(&cfg, &def);
	config_free(&cfg);
}

/* ---- every section overrides ---- */

static void test_every_setting_values(void **state)
{
	struct config cfg;
	struct config_diag diag;
	config_defaults(&cfg, SHARE);
	const char *text =
		"[server]\n"
		"http = \"127.0.0.1:9090\"\n"
		"telnet = \"[::1]:2424\"\n"
		"database = \"var/bbs.db\"\n"
		"web_root = \"site\"\n"
		"art_dir = \"/srv/art\"\n"
		"allowed_origins = [\"https://a.example\", \"https://b.example\"]\n"
		"https = \"443\"\n"
		"tls_cert = \"tls/fullchain.pem\"\n"
		"tls_key = \"/etc/ssl/private/bbs.key\"\n"
		"redirect_http = true\n"
		"ssh = \"127.0.0.2:2222\"\n"
		"ssh_host_keys = \"keys\"\n"
		"ssh_login = true\n"
		"[bbs]\n"
		"name = \"The Château\"\n"
		"tagline = \"\"\n"
		"sysop = \"Ada\"\n"
		"max_nodes = 10000\n"
		"sysop_handles = [\"Ada\", \"Grace Hopper\"]\n"
		"login_timeout = 30\n"
		"idle_timeout = 600\n"
		"max_login_failures = 3\n"
		"lockout_minutes = 0\n"
		"last_callers = 25\n"
		"password_ops = 3\n"
		"password_mem = 1_048_576\n"
		"session_days = 7\n"
		"[chat]\n"
		"room_name = \"Lobby\"\n"
		"scrollback = 0\n"
		"capacity = 1000\n"
		"history = 4096\n"
		"max_line = 4096\n"
		"flood_rate = 0.5\n"
		"flood_burst = 1\n"
		"coalesce_ms = 0\n"
		"[websocket]\n"
		"max_message = 1024\n"
		"ping_interval = 5\n"
		"ping_timeout = 7\n"
		"[http]\n"
		"header_timeout = 3\n"
		"idle_timeout = 4\n"
		"[limits]\n"
		"high_water = 2048\n"
		"low_water = 0\n"
		"hard_limit = 2048\n"
		"tls_handshake_timeout = 3\n"
		"ssh_login_timeout = 20\n"
		"handshakes_per_address = 2\n";
	int rc = config_load_text(&cfg, text, strlen(text), "/etc/carrier/carrier.toml", &diag);
	if (rc != 0)
		fail_msg("%s", diag.errors[0]);
	assert_int_equal(diag.n_warnings, 0);
	assert_string_equal(cfg.http.host, "127.0.0.1");
	assert_int_equal(cfg.http.port, 9090);
	assert_string_equal(cfg.telnet.host, "::1");
	assert_int_equal(cfg.telnet.port, 2424);
	assert_string_equal(cfg.db_path, "var/bbs.db");            /* working directory */
	assert_string_equal(cfg.web_root, "/etc/carrier/site");     /* the file's directory */
	assert_string_equal(cfg.art_dir, "/srv/art");               /* absolute stays */
	assert_int_equal(cfg.n_allowed_origins, 2);
	assert_string_equal(cfg.allowed_origins[1], "https://b.example");
	assert_string_equal(cfg.bbs_name, "The Château");
	assert_string_equal(cfg.tagline, "");
	assert_string_equal(cfg.sysop, "Ada");
	assert_int_equal(cfg.max_nodes, 10000);
	assert_int_equal(cfg.n_sysop_handles, 2);
	assert_string_equal(cfg.sysop_handles[0], "Ada");
	assert_string_equal(cfg.sysop_handles[1], "Grace Hopper");
	assert_int_equal(cfg.login_timeout_s, 30);
	assert_int_equal(cfg.idle_timeout_s, 600);
	assert_int_equal(cfg.max_login_failures, 3);
	assert_int_equal(cfg.lockout_minutes, 0);
	assert_int_equal(cfg.last_callers, 25);
	assert_int_equal(cfg.password_ops, 3);
	assert_int_equal(cfg.password_mem, 1048576);
	assert_int_equal(cfg.session_days, 7);
	assert_string_equal(cfg.chat_room_name, "Lobby");
	assert_int_equal(cfg.chat_scrollback, 0);
	assert_int_equal(cfg.chat_capacity, 1000);
	assert_int_equal(cfg.chat_history, 4096);
	assert_int_equal(cfg.chat_max_line, 4096);
	assert_true(cfg.chat_flood_rate == 0.5);
	assert_int_equal(cfg.chat_flood_burst, 1);
	assert_int_equal(cfg.chat_coalesce_ms, 0);
	assert_int_equal(cfg.ws_max_message, 1024);
	assert_int_equal(cfg.ws_ping_interval_s, 5);
	assert_int_equal(cfg.ws_ping_timeout_s, 7);
	assert_int_equal(cfg.http_header_timeout_s, 3);
	assert_int_equal(cfg.http_idle_timeout_s, 4);
	assert_int_equal(cfg.out_high_water, 2048);
	assert_int_equal(cfg.out_low_water, 0);
	assert_int_equal(cfg.out_hard_limit, 2048);
	assert_string_equal(cfg.https.host, "0.0.0.0");
	assert_int_equal(cfg.https.port, 443);
	assert_string_equal(cfg.tls_cert, "/etc/carrier/tls/fullchain.pem");   /* the file's dir */
	assert_string_equal(cfg.tls_key, "/etc/ssl/private/bbs.key");
	assert_true(cfg.redirect_http);
	assert_string_equal(cfg.ssh.host, "127.0.0.2");
	assert_int_equal(cfg.ssh.port, 2222);
	assert_string_equal(cfg.ssh_host_keys, "keys");                       /* working dir */
	assert_true(cfg.ssh_login);
	assert_int_equal(cfg.tls_handshake_timeout_s, 3);
	assert_int_equal(cfg.ssh_login_timeout_s, 20);
	assert_int_equal(cfg.handshakes_per_address, 2);
	/* no [menu]: the built-in menus stay */
	assert_non_null(config_menu_find(&cfg, "main"));
	assert_false(cfg.menus_owned);
	config_free(&cfg);
}

static void test_value_forms(void **state)
{
	struct config cfg;
	/* a port alone keeps the host; false turns telnet off; presets; integer rate */
	load_ok(&cfg,
		"server.http = \"8081\"\n"
		"server.telnet = false\n"
		"bbs.password_ops = \"min\"\n"
		"bbs.password_mem = \"sensitive\"\n"
		"chat.flood_rate = 3\n");
	assert_string_equal(cfg.http.host, "0.0.0.0");
	assert_int_equal(cfg.http.port, 8081);
	assert_int_equal(cfg.telnet.port, -1);
	assert_int_equal(cfg.password_ops, crypto_pwhash_OPSLIMIT_MIN);
	assert_int_equal(cfg.password_mem, crypto_pwhash_MEMLIMIT_SENSITIVE);
	assert_true(cfg.chat_flood_rate == 3.0);
	config_free(&cfg);

	load_ok(&cfg, "[bbs]\npassword_ops = \"moderate\"\npassword_mem = \"moderate\"\n");
	assert_int_equal(cfg.password_ops, crypto_pwhash_OPSLIMIT_MODERATE);
	assert_int_equal(cfg.password_mem, crypto_pwhash_MEMLIMIT_MODERATE);
	config_free(&cfg);

	/* a config path without a directory leaves relative paths alone */
	load_ok(&cfg, "[server]\nweb_root = \"web\"\nart_dir = \"./art\"\n");
	assert_string_equal(cfg.web_root, "web");
	assert_string_equal(cfg.art_dir, "./art");
	config_free(&cfg);
}

/* ---- menus ---- */

static void test_menu_model(void **state)
{
	struct config cfg;
	load_ok(&cfg,
		"[menu_titles]\n"
		"files = \"The File Vault\"\n"
		"[[menu.main]]\n"
		"hotkey = \"g\"\n"
		"name = \"Goodbye\"\n"
		"type = \"command\"\n"
		"command = \"logoff\"\n"
		"order = 99\n"
		"[[menu.main]]\n"
		"hotkey = \"F\"\n"
		"name = \"Files\"\n"
		"type = \"submenu\"\n"
		"submenu = \"files\"\n"
		"order = 5\n"
		"min_level = 20\n"
		"[[menu.main]]\n"
		"hotkey = \"1\"\n"
		"name = \"First of the zeros\"\n"
		"type = \"command\"\n"
		"command = \"who\"\n"
		"[[menu.main]]\n"
		"hotkey = \"2\"\n"
		"name = \"Second of the zeros\"\n"
		"type = \"command\"\n"
		"command = \"chat\"\n"
		"[[menu.files]]\n"
		"hotkey = \"?\"\n"
		"name = \"Back to main\"\n"
		"type = \"submenu\"\n"
		"submenu = \"main\"\n"
		"min_level = 255\n");
	assert_true(cfg.menus_owned);
	assert_int_equal(cfg.n_menus, 2);
	assert_null(config_menu_find(&cfg, "system"));    /* the built-ins are replaced */
	const struct config_menu *m = config_menu_find(&cfg, "main");
	assert_non_null(m);
	assert_string_equal(m->title, "Main Menu");        /* default title */
	assert_int_equal(m->n_items, 4);
	assert_item(&m->items[0], '1', "First of the zeros", CONFIG_ITEM_COMMAND, "who", 0, 0);
	assert_item(&m->items[1], '2', "Second of the zeros", CONFIG_ITEM_COMMAND, "chat", 0, 0);
	assert_item(&m->items[2], 'F', "Files", CONFIG_ITEM_SUBMENU, "files", 5, 20);
	assert_item(&m->items[3], 'G', "Goodbye", CONFIG_ITEM_COMMAND, "logoff", 99, 0);
	const struct config_menu *f = config_menu_find(&cfg, "files");
	assert_non_null(f);
	assert_string_equal(f->title, "The File Vault");
	assert_item(&f->items[0], '?', "Back to main", CONFIG_ITEM_SUBMENU, "main", 0, 255);

	/* loading again replaces the owned menus (ASan/valgrind: nothing leaks) */
	struct config_diag diag;
	assert_int_equal(load(&cfg, "[[menu.main]]\nhotkey = \"X\"\nname = \"Exit\"\n"
				    "type = \"command\"\ncommand = \"logoff\"\n", &diag), 0);
	assert_int_equal(cfg.n_menus, 1);
	assert_int_equal(config_menu_find(&cfg, "main")->items[0].hotkey, 'X');
	config_free(&cfg);
	assert_false(cfg.menus_owned);
	config_free(&cfg);
}

static void test_titles_only(void **state)
{
	struct config cfg;
	load_ok(&cfg, "[menu_titles]\nmain = \"Top\"\n");
	assert_true(cfg.menus_owned);
	assert_int_equal(cfg.n_menus, 2);
	assert_string_equal(config_menu_find(&cfg, "main")->title, "Top");
	assert_string_equal(config_menu_find(&cfg, "system")->title, "System Menu");
	assert_int_equal(config_menu_find(&cfg, "main")->n_items, 7);
	config_free(&cfg);
}

/* ---- the shipped file ---- */

static void test_shipped_file(void **state)
{
	struct config cfg, def;
	struct config_diag diag;
	if (access("carrier.toml", R_OK) != 0)
		fail_msg("./carrier.toml not found: run from the repository root");
	config_defaults(&cfg, SHARE);
	int rc = config_load(&cfg, "carrier.toml", &diag);
	if (rc != 0)
		fail_msg("%s", diag.errors[0]);
	if (diag.n_warnings != 0)
		fail_msg("%s", diag.warnings[0]);
	assert_true(cfg.menus_owned);
	config_defaults(&def, SHARE);
	assert_config_equal(&cfg, &def);
	config_free(&cfg);
}

/* ---- errors, with their exact place ---- */

static void test_error_syntax(void **state)
{
	expect_error("[bbs]\nname = \"x\"\nmax_nodes = = 3\n",
		     "carrier.toml:3:13: invalid value starting with '='");
}

static void test_error_syntax_message(void **state)
{
	/* whatever the parser says, it comes with the file and position */
	struct config cfg;
	struct config_diag diag;
	config_defaults(&cfg, SHARE);
	assert_int_equal(load(&cfg, "a = 1\na = 2\n", &diag), -1);
	assert_int_equal(diag.n_errors, 1);
	assert_int_equal(strncmp(diag.errors[0], "carrier.toml:2:", 15), 0);
	config_free(&cfg);
}

static void test_error_type(void **state)
{
	expect_error("# the board\n[bbs]\n  name = \"x\"\n\n  max_nodes = \"32\"\n",
		     "carrier.toml:5:3: \"max_nodes\" must be an integer from 1 to 100000");
	expect_error("[server]\nhttp = 8080\n",
		     "carrier.toml:2:1: \"http\" must be \"[ADDR:]PORT\" with a port from 0 to "
		     "65535, e.g. \"0.0.0.0:8080\"");
	expect_error("[chat]\nflood_rate = \"fast\"\n",
		     "carrier.toml:2:1: \"flood_rate\" must be a number greater than 0 and at "
		     "most 1000");
	expect_error("bbs = 3\n", "carrier.toml:1:1: \"bbs\" must be a table: [bbs]");
	/* A PostgreSQL URL is taken as written (not as a path), without control
	 * characters. */
	expect_error("[server]\ndatabase = \"postgresql://carrier@db/carrier\\u0007\"\n",
		     "carrier.toml:2:1: \"database\": a PostgreSQL URL of at most 4095 bytes "
		     "without control characters");
	expect_error("[server]\nallowed_origins = \"https://x\"\n",
		     "carrier.toml:2:1: \"allowed_origins\" must be an array of at most 16 strings");
	expect_error("[bbs]\nsysop_handles = [\"ok\", 3]\n",
		     "carrier.toml:2:24: each of \"sysop_handles\" must be a string of 1 to 31 "
		     "bytes without control characters");
	expect_error("[bbs]\npassword_ops = \"fast\"\n",
		     "carrier.toml:2:1: \"password_ops\" must be \"interactive\", \"moderate\", "
		     "\"sensitive\", \"min\" or an integer from 1 to 1000");
	expect_error("[bbs]\nname = \"evil\\u001b[2J\"\n",
		     "carrier.toml:2:1: \"name\" must be a string of 1 to 63 bytes without "
		     "control characters");
	expect_error("[bbs]\nname = \"\"\n",
		     "carrier.toml:2:1: \"name\" must be a string of 1 to 63 bytes without "
		     "control characters");
	expect_error("[server]\ntelnet = true\n",
		     "carrier.toml:2:1: \"telnet\" must be \"[ADDR:]PORT\" with a port from 0 to "
		     "65535, e.g. \"0.0.0.0:2323\", or false");
	expect_error("[server]\nhttps = 443\n",
		     "carrier.toml:2:1: \"https\" must be \"[ADDR:]PORT\" with a port from 0 to "
		     "65535, e.g. \"0.0.0.0:443\", or false");
	expect_error("[server]\nssh = \"x:y\"\n",
		     "carrier.toml:2:1: \"ssh\" must be \"[ADDR:]PORT\" with a port from 0 to "
		     "65535, e.g. \"0.0.0.0:2222\", or false");
	expect_error("[server]\nredirect_http = \"yes\"\n",
		     "carrier.toml:2:1: \"redirect_http\" must be true or false");
	expect_error("[server]\nssh_login = 1\n",
		     "carrier.toml:2:1: \"ssh_login\" must be true or false");
	expect_error("[server]\ntls_cert = \"\"\n",
		     "carrier.toml:2:1: \"tls_cert\" must be a non-empty path");
}

/* What https and redirect_http need of the other keys. */
static void test_error_tls_needs(void **state)
{
	expect_error("[server]\nhttps = \"443\"\ntls_cert = \"c.pem\"\n",
		     "carrier.toml:2:1: \"https\" needs \"tls_cert\" and \"tls_key\" (PEM files) "
		     "in [server]");
	expect_error("[server]\nredirect_http = true\n",
		     "carrier.toml:2:1: \"redirect_http\" needs \"https\"");
	expect_error("[server]\nhttps = false\nredirect_http = true\n",
		     "carrier.toml:3:1: \"redirect_http\" needs \"https\"");
	expect_error("[limits]\nhandshakes_per_address = 0\n",
		     "carrier.toml:2:1: \"handshakes_per_address\" must be an integer from 1 to "
		     "100000");
}

/* [cluster]: nothing without redis; the node's name is checked; the bounds. */
static void test_cluster(void **state)
{
	struct config cfg;
	(void)state;
	config_defaults(&cfg, SHARE);
	assert_string_equal(cfg.cluster_redis, "");
	assert_int_equal(cfg.cluster_lost_after_s, 10);
	load_ok(&cfg, "[cluster]\nredis = \"127.0.0.1:6379\"\nnode = \"bbs1.example:8080\"\n"
	        "password = \"s3cret\"\nlost_after = 30\n");
	assert_string_equal(cfg.cluster_redis, "127.0.0.1:6379");
	assert_string_equal(cfg.cluster_node, "bbs1.example:8080");
	assert_string_equal(cfg.cluster_password, "s3cret");
	assert_int_equal(cfg.cluster_lost_after_s, 30);
	load_ok(&cfg, "[cluster]\nredis = \"/run/redis/redis.sock\"\n");
	assert_string_equal(cfg.cluster_redis, "/run/redis/redis.sock");
	expect_error("[cluster]\nredis = \"r:6379\"\nnode = \"bbs one\"\n",
		     "carrier.toml:3:1: \"node\" may hold only letters, digits, '.', '_', '-' and ':'");
	expect_error("[cluster]\nnode = \"bbs1\"\n",
		     "carrier.toml:2:1: [cluster] needs \"redis\" (\"HOST:PORT\" or a Unix socket path)");
	expect_error("[cluster]\nredis = \"r:6379\"\nlost_after = 2\n",
		     "carrier.toml:3:1: \"lost_after\" must be an integer from 3 to 3600");
	expect_error("[cluster]\nredis = \"\"\n",
		     "carrier.toml:2:1: \"redis\" must be a string of 1 to 255 bytes without "
		     "control characters");
}

static void test_error_range(void **state)
{
	expect_error("[bbs]\nmax_nodes = 0\n",
		     "carrier.toml:2:1: \"max_nodes\" must be an integer from 1 to 100000");
	expect_error("[bbs]\nmax_nodes = 100001\n",
		     "carrier.toml:2:1: \"max_nodes\" must be an integer from 1 to 100000");
	expect_error("[chat]\nflood_rate = 0.0\n",
		     "carrier.toml:2:1: \"flood_rate\" must be a number greater than 0 and at "
		     "most 1000");
	expect_error("[chat]\nflood_rate = nan\n",
		     "carrier.toml:2:1: \"flood_rate\" must be a number greater than 0 and at "
		     "most 1000");
	expect_error("[server]\nhttp = \"0.0.0.0:65536\"\n",
		     "carrier.toml:2:1: \"http\" must be \"[ADDR:]PORT\" with a port from 0 to "
		     "65535, e.g. \"0.0.0.0:8080\"");
	expect_error("[bbs]\npassword_mem = 4096\n",
		     "carrier.toml:2:1: \"password_mem\" must be \"interactive\", \"moderate\", "
		     "\"sensitive\", \"min\" or an integer from 8192 to 4294967296");
	expect_error("[limits]\nhigh_water = 4096\nlow_water = 4096\n",
		     "carrier.toml:3:1: \"low_water\" (4096) must be below \"high_water\" (4096)");
	expect_error("[limits]\nhigh_water = 8388608\n",
		     "carrier.toml:2:1: \"high_water\" (8388608) must not exceed \"hard_limit\" "
		     "(4194304)");
	/* dotted keys: the position is the last part of the key */
	expect_error("chat.scrollback = 1001\n",
		     "carrier.toml:1:6: \"scrollback\" must be an integer from 0 to 1000");
}

#define ITEM(hotkey, type, what) \
	"hotkey = \"" hotkey "\"\nname = \"n\"\ntype = \"" type "\"\n" what "\n"

static void test_error_unknown_command(void **state)
{
	expect_error("[[menu.main]]\n"
		     ITEM("C", "command", "command = \"chat\"")
		     "[[menu.main]]\n"
		     ITEM("X", "command", "command = \"chta\""),
		     "carrier.toml:10:1: unknown command \"chta\" in [[menu.main]] (known: chat, "
		     "who, last_callers, profile, user_lookup, logoff, telegrams)");
	expect_error("[[menu.main]]\n" ITEM("X", "command", "command = 7"),
		     "carrier.toml:5:1: \"command\" must be a string");
}

static void test_error_missing_submenu(void **state)
{
	expect_error("[[menu.main]]\n"
		     ITEM("S", "submenu", "submenu = \"system\"")
		     "[[menu.system]]\n"
		     ITEM("B", "submenu", "submenu = \"main\"")
		     "[[menu.system]]\n"
		     ITEM("F", "submenu", "   submenu = \"files\""),
		     "carrier.toml:15:4: submenu \"files\" does not exist (there is no "
		     "[[menu.files]])");
	expect_error("[[menu.help]]\n" ITEM("X", "command", "command = \"who\""),
		     "carrier.toml:1:3: there is no [[menu.main]]: callers start at the main menu");
}

static void test_error_duplicate_hotkey(void **state)
{
	expect_error("[[menu.main]]\n"
		     ITEM("C", "command", "command = \"chat\"")
		     "[[menu.main]]\n"
		     ITEM("W", "command", "command = \"who\"")
		     "\n[[menu.main]]\n"
		     ITEM("c", "command", "command = \"logoff\""),
		     "carrier.toml:13:1: duplicate hotkey \"C\" in [[menu.main]] (first at line 2)");
	/* the same key in two different menus is fine */
	struct config cfg;
	load_ok(&cfg, "[[menu.main]]\n"
		      ITEM("C", "command", "command = \"chat\"")
		      "[[menu.main]]\n"
		      ITEM("S", "submenu", "submenu = \"sub\"")
		      "[[menu.sub]]\n"
		      ITEM("C", "command", "command = \"chat\""));
	config_free(&cfg);
}

static void test_error_items(void **state)
{
	expect_error("[[menu.main]]\nname = \"n\"\ntype = \"command\"\ncommand = \"who\"\n",
		     "carrier.toml:1:8: an item of [[menu.main]] has no \"hotkey\"");
	expect_error("[[menu.main]]\nhotkey = \"CC\"\nname = \"n\"\ntype = \"command\"\n"
		     "command = \"who\"\n",
		     "carrier.toml:2:1: \"hotkey\" must be one printable ASCII character (not a space)");
	expect_error("[[menu.main]]\nhotkey = \" \"\nname = \"n\"\ntype = \"command\"\n"
		     "command = \"who\"\n",
		     "carrier.toml:2:1: \"hotkey\" must be one printable ASCII character (not a space)");
	expect_error("[[menu.main]]\n" ITEM("C", "program", "command = \"who\""),
		     "carrier.toml:4:1: \"type\" must be \"command\" or \"submenu\"");
	expect_error("[[menu.main]]\nhotkey = \"C\"\nname = \"n\"\ncommand = \"who\"\n",
		     "carrier.toml:1:8: an item of [[menu.main]] has no \"type\" (\"command\" or "
		     "\"submenu\")");
	expect_error("[[menu.main]]\n" ITEM("C", "command", ""),
		     "carrier.toml:1:8: an item of [[menu.main]] of type \"command\" has no "
		     "\"command\"");
	expect_error("[[menu.main]]\n" ITEM("C", "submenu", "command = \"who\""),
		     "carrier.toml:5:1: \"command\" is for items of type = \"command\"");
	expect_error("[[menu.main]]\n" ITEM("C", "command", "command = \"who\"\nmin_level = 256"),
		     "carrier.toml:6:1: \"min_level\" must be an integer from 0 to 255");
	expect_error("[[menu.main]]\n" ITEM("C", "command", "command = \"who\"\norder = 1.5"),
		     "carrier.toml:6:1: \"order\" must be an integer from -1000000 to 1000000");
	expect_error("[[menu.main]]\nhotkey = \"C\"\ntype = \"command\"\ncommand = \"who\"\n",
		     "carrier.toml:1:8: an item of [[menu.main]] has no \"name\"");
	expect_error("[[menu.main]]\nhotkey = \"C\"\nname = \"\"\ntype = \"command\"\n"
		     "command = \"who\"\n",
		     "carrier.toml:3:1: \"name\" must be a string of 1 to 63 bytes without "
		     "control characters");
	expect_error("[[menu.main]]\n" ITEM("C", "submenu", "submenu = \"ma in\""),
		     "carrier.toml:5:1: \"submenu\" must name a menu: 1 to 31 letters, digits, "
		     "\"_\" or \"-\"");
	expect_error("[[menu.main]]\n" ITEM("C", "command", "command = \"who\"\nsubmenu = \"main\""),
		     "carrier.toml:6:1: \"submenu\" is for items of type = \"submenu\"");
	expect_error("[[menu.main]]\n" ITEM("C", "submenu", ""),
		     "carrier.toml:1:8: an item of [[menu.main]] of type \"submenu\" has no "
		     "\"submenu\"");
	/* a bad type is the only error: which of command/submenu is missing is moot */
	struct config cfg;
	struct config_diag diag;
	config_defaults(&cfg, SHARE);
	assert_int_equal(load(&cfg, "[[menu.main]]\n" ITEM("C", "program", ""), &diag), -1);
	assert_int_equal(diag.n_errors, 1);
	config_free(&cfg);
	expect_error("menu.main = [1]\n",
		     "carrier.toml:1:14: each item of menu \"main\" must be a table: write "
		     "[[menu.main]]");
	expect_error("menu.main = []\n",
		     "carrier.toml:1:6: menu \"main\" must be a list of items, each written as "
		     "[[menu.main]]");
	expect_error("menu = 1\n",
		     "carrier.toml:1:1: \"menu\" must hold menus, each written as [[menu.NAME]] "
		     "items");
	expect_error("[[menu.\"ma in\"]]\n" ITEM("C", "command", "command = \"who\""),
		     "carrier.toml:1:8: menu name \"ma in\" must be 1 to 31 letters, digits, \"_\" "
		     "or \"-\"");
	/* 65 items (hotkeys need not be unique for this error to come first) */
	char many[8192] = "";
	for (int i = 0; i < CONFIG_MENU_ITEMS_MAX + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "[[menu.main]]\n");
	expect_error(many, "carrier.toml:65:8: menu \"main\" has more than 64 items");
	expect_error("[bbs]\nlast_callers = 101\n",
		     "carrier.toml:2:1: \"last_callers\" must be an integer from 1 to 100");
	expect_error("[menu_titles]\nmain = 3\n",
		     "carrier.toml:2:1: a menu title must be a string of 1 to 63 bytes without "
		     "control characters");
}

/* An error leaves the config exactly as it was; all errors are counted. */
static void test_error_leaves_config(void **state)
{
	struct config cfg, def;
	struct config_diag diag;
	config_defaults(&cfg, SHARE);
	config_defaults(&def, SHARE);
	assert_int_equal(load(&cfg,
			      "[bbs]\nname = \"Changed\"\nmax_nodes = -1\n"
			      "[chat]\ncapacity = 0\n"
			      "[[menu.main]]\n" ITEM("C", "command", "command = \"nope\""),
			      &diag), -1);
	assert_int_equal(diag.n_errors, 3);
	assert_string_equal(diag.errors[1],
			    "carrier.toml:5:1: \"capacity\" must be an integer from 1 to 100000");
	assert_config_equal(&cfg, &def);
	assert_false(cfg.menus_owned);
	config_free(&cfg);

	/* more errors than are kept: counted, the first CONFIG_DIAG_MAX kept */
	char text[4096] = "[bbs]\n";
	for (int i = 0; i < 20; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "[[menu.m%d]]\nhotkey = 1\n", i);
	assert_int_equal(load(&cfg, text, &diag), -1);
	assert_true(diag.n_errors > CONFIG_DIAG_MAX);
	assert_string_equal(diag.errors[CONFIG_DIAG_MAX - 1] + strlen(diag.errors[CONFIG_DIAG_MAX - 1]) -
			    strlen("(not a space)"), "(not a space)");
	config_free(&cfg);
}

/* ---- warnings ---- */

static void test_unknown_key_warns(void **state)
{
	struct config cfg;
	struct config_diag diag;
	config_defaults(&cfg, SHARE);
	int rc = load(&cfg,
		      "fooo = 1\n"
		      "[server]\n"
		      "fooo = \"x\"\n"
		      "http = \"1234\"\n"
		      "\"\\u001b[31m\" = 1\n"
		      "[bbs]\n"
		      "  max_node = 5\n"
		      "[nonsense.deep]\n"
		      "a = 1\n"
		      "[[menu.main]]\n"
		      ITEM("C", "command", "command = \"chat\"\ncolour = \"red\"")
		      "[[menu.orphan]]\n"
		      ITEM("X", "command", "command = \"who\"")
		      "[menu_titles]\n"
		      "nosuch = \"Title\"\n",
		      &diag);
	if (rc != 0)
		fail_msg("%s", diag.errors[0]);
	assert_int_equal(diag.n_errors, 0);
	assert_int_equal(cfg.http.port, 1234);    /* the rest still applies */
	static const char *const want[] = {
		"carrier.toml:1:1: warning: unknown key \"fooo\"",
		"carrier.toml:3:1: warning: unknown key \"fooo\" in [server]",
		"carrier.toml:5:1: warning: unknown key \"?[31m\" in [server]",   /* no ESC */
		"carrier.toml:7:3: warning: unknown key \"max_node\" in [bbs]",
		"carrier.toml:8:2: warning: unknown section [nonsense]",
		"carrier.toml:15:1: warning: unknown key \"colour\" in [[menu.main]]",
		"carrier.toml:16:8: warning: menu \"orphan\" cannot be reached from the main menu",
		"carrier.toml:22:1: warning: title for unknown menu \"nosuch\"",
	};
	assert_int_equal(diag.n_warnings, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < diag.n_warnings; i++)
		assert_string_equal(diag.warnings[i], want[i]);
	assert_non_null(config_menu_find(&cfg, "orphan"));
	config_free(&cfg);
}

/* [[chat.room]]: the declared rooms, their defaults, and each mistake named. */
static void test_rooms(void **state)
{
	(void)state;
	struct config cfg;
	load_ok(&cfg, "[chat]\ncaller_rooms = false\ntelegram_max = 9\n"
	              "[[chat.room]]\nname = \"Lobby\"\ntopic = \"Hello\"\n"
	              "[[chat.room]]\nname = \"back-room_2\"\ncapacity = 5\nmin_level = 20\n"
	              "listed = false\n");
	assert_false(cfg.chat_caller_rooms);
	assert_int_equal(cfg.telegram_max, 9);
	assert_int_equal(cfg.n_chat_rooms, 2);
	assert_string_equal(cfg.chat_rooms[0].name, "Lobby");
	assert_string_equal(cfg.chat_rooms[0].topic, "Hello");
	assert_int_equal(cfg.chat_rooms[0].capacity, 0);
	assert_true(cfg.chat_rooms[0].listed);
	assert_string_equal(cfg.chat_rooms[1].name, "back-room_2");
	assert_int_equal(cfg.chat_rooms[1].capacity, 5);
	assert_int_equal(cfg.chat_rooms[1].min_level, 20);
	assert_false(cfg.chat_rooms[1].listed);
	config_free(&cfg);
	config_defaults(&cfg, SHARE);
	assert_int_equal(cfg.n_chat_rooms, 0);
	assert_true(cfg.chat_caller_rooms);

	expect_error("[[chat.room]]\nname = \"two words\"\n",
		     "carrier.toml:2:1: \"name\" must be a room name: 1 to 20 letters, digits, "
		     "\"_\" or \"-\"");
	expect_error("[[chat.room]]\nname = \"abcdefghijklmnopqrstu\"\n",
		     "carrier.toml:2:1: \"name\" must be a room name: 1 to 20 letters, digits, "
		     "\"_\" or \"-\"");
	expect_error("[[chat.room]]\ntopic = \"x\"\n",
		     "carrier.toml:1:8: a room in [[chat.room]] has no \"name\"");
	expect_error("[[chat.room]]\nname = \"A\"\n[[chat.room]]\nname = \"a\"\n",
		     "carrier.toml:4:1: room \"a\" is declared twice");
	expect_error("[[chat.room]]\nname = \"A\"\nlisted = 1\n",
		     "carrier.toml:3:1: \"listed\" must be true or false");
	expect_error("[[chat.room]]\nname = \"A\"\ncapacity = 0\n",
		     "carrier.toml:3:1: \"capacity\" must be an integer from 1 to 100000");
	expect_error("[chat]\nroom = 3\n",
		     "carrier.toml:2:1: \"room\" must be a list of rooms, each written as "
		     "[[chat.room]]");
	expect_error("[chat]\ncaller_rooms = \"yes\"\n",
		     "carrier.toml:2:1: \"caller_rooms\" must be true or false");
}

/* ---- running for real: metrics, log level, reloads ---- */

static void test_ops_settings(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg, SHARE);
	assert_int_equal(cfg.metrics.port, -1);          /* off by default */
	assert_int_equal(cfg.log_level, LOG_INFO);
	load_ok(&cfg, "[server]\nmetrics = \"127.0.0.1:9100\"\nlog_level = \"debug\"\n");
	assert_string_equal(cfg.metrics.host, "127.0.0.1");
	assert_int_equal(cfg.metrics.port, 9100);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	load_ok(&cfg, "[server]\nmetrics = false\n");
	assert_int_equal(cfg.metrics.port, -1);
	expect_error("[server]\nmetrics = \"nowhere\"\n",
		     "carrier.toml:2:1: \"metrics\" must be \"[ADDR:]PORT\" with a port from 0 to "
		     "65535, e.g. \"127.0.0.1:9100\", or false");
	load_ok(&cfg, "[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\", \"10.0.0.0/8\"]\n");
	assert_int_equal(cfg.n_trusted_proxies, 3);
	assert_string_equal(cfg.trusted_proxies[2], "10.0.0.0/8");
	expect_error("[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.1.0.0/8\"]\n",
		     "carrier.toml:2:33: \"10.1.0.0/8\" in \"trusted_proxies\" is not an address or a "
		     "prefix such as \"127.0.0.1\", \"::1\" or \"10.0.0.0/8\" (host bits zero)");
	expect_error("[server]\nlog_level = \"loud\"\n",
		     "carrier.toml:2:1: \"log_level\" must be \"debug\", \"info\", \"warn\" or "
		     "\"error\"");
}

struct seen {
	char names[16][48];
	size_t n;
};

static void note(void *ud, const char *section, const char *key)
{
	struct seen *s = ud;
	if (s->n < 16)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s.%s", section, key);
}

static bool saw(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

/* A reload: the listeners and the database are put back and named; the rest is
 * taken and named as changed. */
static void test_reload_keeps_restart_settings(void **state)
{
	(void)state;
	struct config running, next;
	load_ok(&running, "[server]\nhttp = \"0.0.0.0:8080\"\ndatabase = \"a.db\"\n"
	        "[bbs]\nname = \"Old\"\n");
	load_ok(&next, "[server]\nhttp = \"0.0.0.0:9090\"\ndatabase = \"b.db\"\n"
	        "telnet = false\nmetrics = \"127.0.0.1:9100\"\nallowed_origins = [\"https://x\"]\n"
	        "[bbs]\nname = \"New\"\n[chat]\nflood_rate = 0.5\n");
	struct seen kept = { .n = 0 }, changed = { .n = 0 };
	assert_int_equal(config_keep_restart(&next, &running, note, &kept), 4);
	assert_true(saw(&kept, "server.http"));
	assert_true(saw(&kept, "server.database"));
	assert_true(saw(&kept, "server.telnet"));
	assert_true(saw(&kept, "server.metrics"));
	/* put back */
	assert_int_equal(next.http.port, 8080);
	assert_string_equal(next.db_path, "a.db");
	assert_int_equal(next.telnet.port, 2323);
	assert_int_equal(next.metrics.port, -1);
	/* the rest stays new */
	assert_int_equal(config_changes(&next, &running, note, &changed), 3);
	assert_true(saw(&changed, "bbs.name"));
	assert_true(saw(&changed, "chat.flood_rate"));
	assert_true(saw(&changed, "server.allowed_origins"));
	assert_string_equal(next.bbs_name, "New");
	/* the same file twice: nothing to keep, nothing changed */
	assert_int_equal(config_keep_restart(&running, &running, NULL, NULL), 0);
	assert_int_equal(config_changes(&running, &running, NULL, NULL), 0);
	assert_true(config_menus_equal(&running, &next));
	struct config menus;
	load_ok(&menus, "[menu_titles]\nmain = \"Other\"\n");
	assert_false(config_menus_equal(&running, &menus));
	config_free(&menus);
	config_free(&running);
	config_free(&next);
}

/* [cluster]: the server joins the bus once, at start, under its name; a reload
 * keeps every key of it and names each. */
static void test_reload_keeps_cluster(void **state)
{
	(void)state;
	struct config running, next;
	load_ok(&running, "[cluster]\nredis = \"127.0.0.1:6379\"\nnode = \"a\"\n");
	load_ok(&next, "[cluster]\nredis = \"10.0.0.2:6380\"\nnode = \"b\"\n"
	        "password = \"pw\"\nlost_after = 30\n");
	struct seen kept = { .n = 0 };
	assert_int_equal(config_keep_restart(&next, &running, note, &kept), 4);
	assert_true(saw(&kept, "cluster.redis"));
	assert_true(saw(&kept, "cluster.node"));
	assert_true(saw(&kept, "cluster.password"));
	assert_true(saw(&kept, "cluster.lost_after"));
	assert_string_equal(next.cluster_redis, "127.0.0.1:6379");
	assert_string_equal(next.cluster_node, "a");
	assert_string_equal(next.cluster_password, "");
	assert_int_equal(next.cluster_lost_after_s, running.cluster_lost_after_s);
	assert_int_equal(config_changes(&next, &running, NULL, NULL), 0);
	/* none before, one in the file now: still none until a restart */
	struct config alone;
	load_ok(&alone, "");
	struct config joining;
	load_ok(&joining, "[cluster]\nredis = \"127.0.0.1:6379\"\n");
	assert_int_equal(config_keep_restart(&joining, &alone, NULL, NULL), 1);
	assert_string_equal(joining.cluster_redis, "");
	config_free(&joining);
	config_free(&alone);
	config_free(&running);
	config_free(&next);
}

static void test_overrides(void **state)
{
	(void)state;
	struct config cfg;
	load_ok(&cfg, "[server]\nhttp = \"10.0.0.1:80\"\ndatabase = \"file.db\"\n");
	struct config_overrides o = { .http = "8081", .telnet = "127.0.0.1:0", .db = "cli.db" };
	assert_true(config_apply_overrides(&cfg, &o));
	assert_string_equal(cfg.http.host, "10.0.0.1");   /* a bare port keeps the host */
	assert_int_equal(cfg.http.port, 8081);
	assert_string_equal(cfg.telnet.host, "127.0.0.1");
	assert_string_equal(cfg.db_path, "cli.db");
	struct config_overrides bad = { .http = "x:y" };
	assert_false(config_apply_overrides(&cfg, &bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_database_url),
		cmocka_unit_test(test_rooms),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_empty_file_keeps_defaults),
		cmocka_unit_test(test_every_setting_values),
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_menu_model),
		cmocka_unit_test(test_titles_only),
		cmocka_unit_test(test_shipped_file),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_error_syntax_message),
		cmocka_unit_test(test_error_type),
		cmocka_unit_test(test_error_range),
		cmocka_unit_test(test_error_tls_needs),
		cmocka_unit_test(test_error_unknown_command),
		cmocka_unit_test(test_error_missing_submenu),
		cmocka_unit_test(test_error_duplicate_hotkey),
		cmocka_unit_test(test_error_items),
		cmocka_unit_test(test_error_leaves_config),
		cmocka_unit_test(test_unknown_key_warns),
		cmocka_unit_test(test_ops_settings),
		cmocka_unit_test(test_reload_keeps_restart_settings),
		cmocka_unit_test(test_reload_keeps_cluster),
		cmocka_unit_test(test_overrides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
