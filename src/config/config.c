/* Settings: the built-in defaults and carrier.toml laid over them.
 *
 * The plain settings and the keys of a menu item are tables (key, kind, field,
 * range) walked for every key of the file, so an unknown key falls out as "not in
 * the table" and a new setting is one row.  Menus are built into fresh heap memory
 * and installed only when the whole file is free of errors. */
#include "config/config.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/toml.h"
#include "util/log.h"
#include "util/netaddr.h"
#include "util/xalloc.h"

#define CONFIG_FILE_MAX (1024 * 1024)

/* ---- commands a menu item may run ---- */

const struct config_command config_commands[] = {
	{ "chat", "the teleconference" },
	{ "who", "who's online" },
	{ "last_callers", "the most recent logins" },
	{ "profile", "the caller's own account" },
	{ "user_lookup", "look up another caller" },
	{ "logoff", "the goodbye screen, then hang up" },
	{ "telegrams", "read the telegrams left for the caller" },
};
const size_t config_n_commands = sizeof(config_commands) / sizeof(config_commands[0]);

bool config_command_known(const char *name)
{
	for (size_t i = 0; i < config_n_commands; i++)
		if (strcmp(config_commands[i].name, name) == 0)
			return true;
	return false;
}

/* ---- built-in menus: the same as the shipped carrier.toml ---- */

#define CMD(key, text, cmd, ord, lvl) { key, text, CONFIG_ITEM_COMMAND, cmd, "", ord, lvl }
#define SUB(key, text, menu, ord, lvl) { key, text, CONFIG_ITEM_SUBMENU, "", menu, ord, lvl }

static const struct config_menu_item main_items[] = {
	CMD('C', "Chat (Teleconference)", "chat", 10, 0),
	CMD('W', "Who's Online", "who", 20, 0),
	CMD('L', "Last Callers", "last_callers", 30, 0),
	CMD('T', "Telegrams", "telegrams", 35, 0),
	CMD('U', "User Lookup", "user_lookup", 40, 0),
	SUB('S', "System", "system", 50, 0),
	CMD('G', "Goodbye (Log Off)", "logoff", 90, 0),
};

static const struct config_menu_item system_items[] = {
	CMD('P', "Your Profile", "profile", 10, 0),
	CMD('W', "Who's Online", "who", 20, 0),
	CMD('L', "Last Callers", "last_callers", 30, 0),
	CMD('U', "User Lookup (SysOp)", "user_lookup", 90, LEVEL_SYSOP),
};

static const struct config_menu builtin_menus[] = {
	{ "main", "Main Menu", main_items, sizeof(main_items) / sizeof(main_items[0]) },
	{ "system", "System Menu", system_items, sizeof(system_items) / sizeof(system_items[0]) },
};

void config_defaults(struct config *cfg, const char *share_dir)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->http.host, sizeof(cfg->http.host), "0.0.0.0");
	cfg->http.port = 8080;
	snprintf(cfg->telnet.host, sizeof(cfg->telnet.host), "0.0.0.0");
	cfg->telnet.port = 2323;
	snprintf(cfg->metrics.host, sizeof(cfg->metrics.host), "127.0.0.1");
	cfg->metrics.port = -1;
	cfg->log_level = LOG_INFO;
	snprintf(cfg->db_path, sizeof(cfg->db_path), "data/carrier.db");
	snprintf(cfg->web_root, sizeof(cfg->web_root), "%s/web", share_dir);
	snprintf(cfg->art_dir, sizeof(cfg->art_dir), "%s/art", share_dir);
	snprintf(cfg->https.host, sizeof(cfg->https.host), "0.0.0.0");
	cfg->https.port = -1;
	snprintf(cfg->ssh.host, sizeof(cfg->ssh.host), "0.0.0.0");
	cfg->ssh.port = -1;

	snprintf(cfg->bbs_name, sizeof(cfg->bbs_name), "Carrier BBS");
	snprintf(cfg->tagline, sizeof(cfg->tagline), "The teleconference never sleeps");
	snprintf(cfg->sysop, sizeof(cfg->sysop), "SysOp");
	cfg->max_nodes = 32;
	cfg->login_timeout_s = 120;
	cfg->idle_timeout_s = 0;
	cfg->max_login_failures = 5;
	cfg->lockout_minutes = 15;
	cfg->last_callers = 10;
	cfg->password_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	cfg->password_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	cfg->session_days = 30;
	cfg->moderator_level = 50;

	snprintf(cfg->chat_room_name, sizeof(cfg->chat_room_name), "Teleconference");
	cfg->chat_scrollback = 20;
	cfg->chat_capacity = 100;
	cfg->chat_history = 256;
	cfg->chat_max_line = 256;
	cfg->chat_flood_rate = 2.0;
	cfg->chat_flood_burst = 5;
	cfg->chat_coalesce_ms = 250;
	cfg->chat_caller_rooms = true;
	cfg->chat_caller_room_capacity = 50;
	cfg->telegram_max = 50;
	cfg->telegram_rate = 20;
	snprintf(cfg->actions_path, sizeof(cfg->actions_path), "%s/art/actions.toml", share_dir);
	cfg->kick_s = 300;
	cfg->mute_s = 600;

	cfg->ws_max_message = 64 * 1024;
	cfg->ws_ping_interval_s = 30;
	cfg->ws_ping_timeout_s = 30;
	cfg->http_header_timeout_s = 10;
	cfg->http_idle_timeout_s = 60;
	cfg->out_high_water = 256 * 1024;
	cfg->out_low_water = 32 * 1024;
	cfg->out_hard_limit = 4 * 1024 * 1024;
	cfg->flush_hold_us = 1000;
	cfg->tls_handshake_timeout_s = 10;
	cfg->ssh_login_timeout_s = 60;
	cfg->handshakes_per_address = 10;
	cfg->cluster_lost_after_s = 10;

	cfg->menus = builtin_menus;
	cfg->n_menus = sizeof(builtin_menus) / sizeof(builtin_menus[0]);
	cfg->menus_owned = false;
}

static void free_menus(const struct config_menu *menus, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)menus[i].items);
	free((void *)menus);
}

void config_free(struct config *cfg)
{
	if (cfg->menus_owned)
		free_menus(cfg->menus, cfg->n_menus);
	cfg->menus = builtin_menus;
	cfg->n_menus = sizeof(builtin_menus) / sizeof(builtin_menus[0]);
	cfg->menus_owned = false;
}

const struct config_menu *config_menu_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_menus; i++)
		if (strcmp(cfg->menus[i].name, name) == 0)
			return &cfg->menus[i];
	return NULL;
}

bool config_control_path(const struct config *cfg, char *out, size_t cap)
{
	/* sun_path is 108 bytes on Linux, with its NUL. */
	size_t max = cap < 108 ? cap : 108;
	int n;
	if (cfg->control_socket[0] != '\0') {
		n = snprintf(out, max, "%s", cfg->control_socket);
	} else {
		const char *slash = strrchr(cfg->db_path, '/');
		if (config_is_database_url(cfg->db_path))
			n = snprintf(out, max, "carrier.ctl");   /* no directory of its own */
		else if (slash == NULL)
			n = snprintf(out, max, "carrier.ctl");
		else
			n = snprintf(out, max, "%.*s/carrier.ctl", (int)(slash - cfg->db_path),
			             cfg->db_path);
	}
	return n > 0 && (size_t)n < max;
}

bool config_menus_equal(const struct config *a, const struct config *b)
{
	if (a->n_menus != b->n_menus)
		return false;
	for (size_t m = 0; m < a->n_menus; m++) {
		const struct config_menu *x = &a->menus[m], *y = &b->menus[m];
		if (strcmp(x->name, y->name) != 0 || strcmp(x->title, y->title) != 0 ||
		    x->n_items != y->n_items)
			return false;
		for (size_t i = 0; i < x->n_items; i++) {
			const struct config_menu_item *p = &x->items[i], *q = &y->items[i];
			if (p->hotkey != q->hotkey || p->type != q->type || p->order != q->order ||
			    p->min_level != q->min_level || strcmp(p->name, q->name) != 0 ||
			    strcmp(p->command, q->command) != 0 || strcmp(p->submenu, q->submenu) != 0)
				return false;
		}
	}
	return true;
}

bool config_parse_listen(const char *text, struct listen_addr *addr)
{
	const char *colon = strrchr(text, ':');
	const char *port = colon ? colon + 1 : text;
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
		return false;
	if (colon) {
		size_t hlen = (size_t)(colon - text);
		/* [::1]:8080 */
		if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
			text++;
			hlen -= 2;
		}
		if (hlen == 0 || hlen >= sizeof(addr->host))
			return false;
		memcpy(addr->host, text, hlen);
		addr->host[hlen] = '\0';
	}
	addr->port = (int)p;
	return true;
}

/* ---- diagnostics ---- */

struct loader {
	const char *path;            /* for messages */
	char dir[PATH_MAX];          /* the file's directory; "" if path has none */
	struct config_diag *diag;
	struct config *cfg;          /* the scratch copy being filled */
	char where[48];              /* the table being loaded, for messages: "[bbs]",
	                              * "[[menu.main]]" */
	const struct toml_value *hotkeys_at[128];   /* the menu being loaded: where each
	                                             * hotkey was first bound */
};

__attribute__((format(printf, 4, 5)))
static void report(struct loader *ld, bool error, const struct toml_value *at,
		   const char *fmt, ...)
{
	char msg[CONFIG_DIAG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	size_t *n = error ? &ld->diag->n_errors : &ld->diag->n_warnings;
	char *out = error ? ld->diag->errors[*n % CONFIG_DIAG_MAX]
	                  : ld->diag->warnings[*n % CONFIG_DIAG_MAX];
	if (*n < CONFIG_DIAG_MAX) {
		const char *kind = error ? "" : "warning: ";
		if (at != NULL) {
			int line, column;
			toml_position(at, &line, &column);
			snprintf(out, CONFIG_DIAG_LEN, "%.200s:%d:%d: %s%.280s", ld->path, line,
				 column, kind, msg);
		} else {
			snprintf(out, CONFIG_DIAG_LEN, "%.200s: %s%.280s", ld->path, kind, msg);
		}
	}
	(*n)++;
}

#define ERROR(ld, at, ...) report(ld, true, at, __VA_ARGS__)
#define WARN(ld, at, ...) report(ld, false, at, __VA_ARGS__)

/* A key or value from the file, made safe to print: control characters (C0, DEL,
 * C1) become '?', and it is cut at 40 bytes. */
struct shown {
	char s[48];
};

static struct shown show(const char *text, size_t len)
{
	struct shown out;
	size_t o = 0;
	for (size_t i = 0; i < len && o < 40; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] < 0xA0) {
			out.s[o++] = '?';     /* U+0080..U+009F */
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			out.s[o++] = '?';
		} else {
			out.s[o++] = (char)c;
		}
	}
	if (o == 40) {
		/* don't leave half a UTF-8 sequence behind */
		while (o > 0 && ((unsigned char)out.s[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)out.s[o - 1] & 0xC0) == 0xC0)
			o--;
		memcpy(out.s + o, "...", 3);
		o += 3;
	}
	out.s[o] = '\0';
	return out;
}

static bool key_is(const char *key, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(key, want, len) == 0;
}

/* No C0, DEL or C1 control characters (and so no NUL). */
static bool clean_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F)
			return false;
		if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] < 0xA0)
			return false;
	}
	return true;
}

static bool menu_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void known_commands(char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < config_n_commands && o < len; i++) {
		int n = snprintf(out + o, len - o, "%s%s", i ? ", " : "", config_commands[i].name);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* ---- the plain settings ---- */

enum kind {
	K_LISTEN,        /* "[ADDR:]PORT"; min 1: false disables it */
	K_BOOL,          /* true or false */
	K_PATH,          /* a path, relative to the working directory */
	K_PATH_HERE,     /* a path, relative to the config file's directory */
	K_TEXT,          /* shown to callers: no control characters; min 1: non-empty */
	K_INT,           /* an integer from min to max */
	K_RATE,          /* a number > 0 and <= max */
	K_STRINGS,       /* an array of non-empty strings (count field at aux) */
	K_NETS,          /* K_STRINGS of addresses or prefixes (util/netaddr.h) */
	K_PW_OPS,        /* a libsodium preset name or an integer from min to max */
	K_PW_MEM,
	K_HOTKEY,        /* one printable ASCII character, not a space, unique in the menu */
	K_ITEM_TYPE,     /* "command" or "submenu" */
	K_COMMAND,       /* a name config_command_known accepts */
	K_MENU_NAME,     /* a name menu_name_ok accepts */
	K_ROOM_NAME,     /* a room's name: 1 to 20 letters, digits, "_" or "-" */
	K_ROOMS,         /* [[chat.room]]: an array of room tables (count at aux) */
	K_LOG_LEVEL,     /* "debug", "info", "warn" or "error" (an int: enum log_level) */
};

/* key_spec.flags */
#define F_RESTART 1      /* cannot change while running: a reload keeps the old value */

struct key_spec {
	const char *key;
	enum kind kind;
	size_t off, size;           /* the field in struct config or config_menu_item */
	long long min, max;
	size_t aux;                 /* K_STRINGS: offset of the count; element size below */
	size_t elem;
	unsigned flags;             /* F_RESTART */
};

#define FIELD(m) offsetof(struct config, m), sizeof(((struct config *)NULL)->m)
/* A listener is bound once, at start: every listener's address needs a restart. */
#define LISTEN(k, m, off_ok) { k, K_LISTEN, FIELD(m), off_ok, 0, 0, 0, F_RESTART }
#define PATH(k, m) { k, K_PATH, FIELD(m), 0, 0, 0, 0, 0 }
#define PATH_RESTART(k, m) { k, K_PATH, FIELD(m), 0, 0, 0, 0, F_RESTART }
#define LOG_LEVEL(k, m) { k, K_LOG_LEVEL, FIELD(m), 0, 0, 0, 0, 0 }
#define PATH_HERE(k, m) { k, K_PATH_HERE, FIELD(m), 0, 0, 0, 0, 0 }
#define TEXT(k, m, nonempty) { k, K_TEXT, FIELD(m), nonempty, 0, 0, 0, 0 }
#define TEXT_RESTART(k, m, nonempty) { k, K_TEXT, FIELD(m), nonempty, 0, 0, 0, F_RESTART }
#define UINT(k, m, lo, hi) { k, K_INT, FIELD(m), lo, hi, 0, 0, 0 }
#define RATE(k, m, hi) { k, K_RATE, FIELD(m), 0, hi, 0, 0, 0 }
#define STRINGS(k, m, count) \
	{ k, K_STRINGS, FIELD(m), 0, 0, offsetof(struct config, count), \
	  sizeof(((struct config *)NULL)->m[0]), 0 }
#define NETS(k, m, count) \
	{ k, K_NETS, FIELD(m), 0, 0, offsetof(struct config, count), \
	  sizeof(((struct config *)NULL)->m[0]), 0 }
#define PW(k, kind, m, lo, hi) { k, kind, FIELD(m), lo, hi, 0, 0, 0 }
#define BOOL(k, m) { k, K_BOOL, FIELD(m), 0, 0, 0, 0, 0 }
#define BOOL_RESTART(k, m) { k, K_BOOL, FIELD(m), 0, 0, 0, 0, F_RESTART }
#define UINT_RESTART(k, m, lo, hi) { k, K_INT, FIELD(m), lo, hi, 0, 0, F_RESTART }

#define MIB (1024LL * 1024)
#define GIB (1024LL * MIB)

static const struct key_spec server_keys[] = {
	LISTEN("http", http, 0),
	LISTEN("telnet", telnet, 1),
	LISTEN("metrics", metrics, 1),
	PATH_RESTART("database", db_path),
	PATH_HERE("web_root", web_root),
	PATH_HERE("art_dir", art_dir),
	STRINGS("allowed_origins", allowed_origins, n_allowed_origins),
	PATH_RESTART("control_socket", control_socket),
	LISTEN("https", https, 1),
	PATH_HERE("tls_cert", tls_cert),
	PATH_HERE("tls_key", tls_key),
	BOOL_RESTART("redirect_http", redirect_http),
	LISTEN("ssh", ssh, 1),
	PATH_RESTART("ssh_host_keys", ssh_host_keys),
	BOOL_RESTART("ssh_login", ssh_login),
	LOG_LEVEL("log_level", log_level),
	NETS("trusted_proxies", trusted_proxies, n_trusted_proxies),
};

static const struct key_spec bbs_keys[] = {
	TEXT("name", bbs_name, 1),
	TEXT("tagline", tagline, 0),
	TEXT("sysop", sysop, 1),
	UINT("max_nodes", max_nodes, 1, 100000),
	STRINGS("sysop_handles", sysop_handles, n_sysop_handles),
	UINT("login_timeout", login_timeout_s, 5, 3600),
	UINT("idle_timeout", idle_timeout_s, 0, 86400),
	UINT("max_login_failures", max_login_failures, 1, 100),
	UINT("lockout_minutes", lockout_minutes, 0, 10080),
	UINT("last_callers", last_callers, 1, 100),
	PW("password_ops", K_PW_OPS, password_ops, 1, 1000),
	PW("password_mem", K_PW_MEM, password_mem, 8192, 4 * GIB),
	UINT("session_days", session_days, 1, 3650),
	UINT("moderator_level", moderator_level, 1, LEVEL_SYSOP),
};

static const struct key_spec chat_keys[] = {
	TEXT("room_name", chat_room_name, 1),
	UINT("scrollback", chat_scrollback, 0, 1000),
	UINT("capacity", chat_capacity, 1, 100000),
	UINT("history", chat_history, 16, 1000000),
	UINT("max_line", chat_max_line, 16, 4096),
	RATE("flood_rate", chat_flood_rate, 1000),
	UINT("flood_burst", chat_flood_burst, 1, 1000),
	UINT("coalesce_ms", chat_coalesce_ms, 0, 10000),
	BOOL("caller_rooms", chat_caller_rooms),
	UINT("caller_room_capacity", chat_caller_room_capacity, 1, 100000),
	UINT("telegram_max", telegram_max, 1, 1000),
	UINT("telegram_rate", telegram_rate, 1, 1000),
	PATH_HERE("actions", actions_path),
	UINT("kick_seconds", kick_s, 1, 7 * 86400),
	UINT("mute_seconds", mute_s, 1, 7 * 86400),
	{ "room", K_ROOMS, FIELD(chat_rooms), 0, 0, offsetof(struct config, n_chat_rooms),
	  sizeof(((struct config *)NULL)->chat_rooms[0]), 0 },
};

#define ROOM_KEY(k, kind, m, lo, hi) \
	{ k, kind, offsetof(struct config_room, m), \
	  sizeof(((struct config_room *)NULL)->m), lo, hi, 0, 0, 0 }

static const struct key_spec room_keys[] = {
	ROOM_KEY("name", K_ROOM_NAME, name, 0, 0),
	ROOM_KEY("topic", K_TEXT, topic, 0, 0),
	ROOM_KEY("capacity", K_INT, capacity, 1, 100000),
	ROOM_KEY("min_level", K_INT, min_level, 0, LEVEL_MAX),
	ROOM_KEY("listed", K_BOOL, listed, 0, 0),
};

static const struct key_spec websocket_keys[] = {
	UINT("max_message", ws_max_message, 1024, 16 * MIB),
	UINT("ping_interval", ws_ping_interval_s, 1, 3600),
	UINT("ping_timeout", ws_ping_timeout_s, 1, 3600),
};

static const struct key_spec http_keys[] = {
	UINT("header_timeout", http_header_timeout_s, 1, 3600),
	UINT("idle_timeout", http_idle_timeout_s, 1, 86400),
};

static const struct key_spec limits_keys[] = {
	UINT("high_water", out_high_water, 1024, GIB),
	UINT("low_water", out_low_water, 0, GIB),
	UINT("hard_limit", out_hard_limit, 1024, GIB),
	UINT("flush_hold_us", flush_hold_us, 0, 10000),
	UINT("tls_handshake_timeout", tls_handshake_timeout_s, 1, 3600),
	UINT("ssh_login_timeout", ssh_login_timeout_s, 1, 3600),
	UINT_RESTART("handshakes_per_address", handshakes_per_address, 1, 100000),
};

/* The server joins the bus once, at start, under its name: all of [cluster]
 * needs a restart. */
static const struct key_spec cluster_keys[] = {
	TEXT_RESTART("redis", cluster_redis, 1),
	TEXT_RESTART("node", cluster_node, 1),
	TEXT_RESTART("password", cluster_password, 0),
	UINT_RESTART("lost_after", cluster_lost_after_s, 3, 3600),
};

struct section_spec {
	const char *name;
	const struct key_spec *keys;
	size_t n_keys;
};

#define SECTION(name, keys) { name, keys, sizeof(keys) / sizeof(keys[0]) }

static const struct section_spec sections[] = {
	SECTION("server", server_keys),
	SECTION("bbs", bbs_keys),
	SECTION("chat", chat_keys),
	SECTION("websocket", websocket_keys),
	SECTION("http", http_keys),
	SECTION("limits", limits_keys),
	SECTION("cluster", cluster_keys),
};

static const struct {
	const char *name;
	unsigned long long ops;
	size_t mem;
} pw_presets[] = {
	{ "interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE },
	{ "moderate", crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE },
	{ "sensitive", crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE },
	{ "min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN },
};

/* v into an integer field of 4 or 8 bytes, signed or not, whose range holds v. */
static void store_int(void *field, size_t size, long long v)
{
	if (size == sizeof(int64_t)) {
		int64_t x = v;
		memcpy(field, &x, size);
	} else {
		assert(size == sizeof(int32_t));
		int32_t x = (int32_t)v;
		memcpy(field, &x, size);
	}
}

/* "command" or "submenu" into *type; false for anything else. */
static bool item_type_of(const struct toml_value *v, enum config_item_type *type)
{
	size_t len = 0;
	const char *s = toml_type(v) == TOML_STRING ? toml_string(v, &len) : NULL;
	if (s != NULL && key_is(s, len, "command"))
		*type = CONFIG_ITEM_COMMAND;
	else if (s != NULL && key_is(s, len, "submenu"))
		*type = CONFIG_ITEM_SUBMENU;
	else
		return false;
	return true;
}

bool config_is_database_url(const char *s)
{
	return strncmp(s, "postgres://", 11) == 0 || strncmp(s, "postgresql://", 13) == 0;
}

static void set_path(struct loader *ld, const struct key_spec *spec, const struct toml_value *v,
		     const char *s, char *field)
{
	int n;
	if (spec->kind == K_PATH_HERE && s[0] != '/' && ld->dir[0] != '\0')
		n = snprintf(field, spec->size, "%s/%s", ld->dir, s);
	else
		n = snprintf(field, spec->size, "%s", s);
	if (n < 0 || (size_t)n >= spec->size)
		ERROR(ld, v, "\"%s\" is too long a path", spec->key);
}

static void set_strings(struct loader *ld, const struct key_spec *spec, char *base,
			const struct toml_value *v, char *field)
{
	size_t max = spec->size / spec->elem;
	if (toml_type(v) != TOML_ARRAY || toml_array_len(v) > max) {
		ERROR(ld, v, "\"%s\" must be an array of at most %zu strings", spec->key, max);
		return;
	}
	size_t n = toml_array_len(v);
	for (size_t i = 0; i < n; i++) {
		const struct toml_value *e = toml_array_at(v, i);
		size_t len = 0;
		const char *s = toml_type(e) == TOML_STRING ? toml_string(e, &len) : NULL;
		if (s == NULL || len == 0 || len >= spec->elem || !clean_text(s, len)) {
			ERROR(ld, e, "each of \"%s\" must be a string of 1 to %zu bytes "
			      "without control characters", spec->key, spec->elem - 1);
			return;
		}
		struct net_prefix p;
		if (spec->kind == K_NETS && !net_prefix_parse(s, len, &p)) {
			ERROR(ld, e, "\"%s\" in \"%s\" is not an address or a prefix such as "
			      "\"127.0.0.1\", \"::1\" or \"10.0.0.0/8\" (host bits zero)",
			      show(s, len).s, spec->key);
			return;
		}
		memcpy(field + i * spec->elem, s, len + 1);
	}
	size_t *count = (size_t *)(void *)(base + spec->aux);
	*count = n;
}

static void load_rooms(struct loader *ld, const struct key_spec *spec, void *base,
		       const struct toml_value *v, char *field);
static const char *listen_example(const char *key)
{
	return strcmp(key, "http") == 0 ? "0.0.0.0:8080" : strcmp(key, "https") == 0 ? "0.0.0.0:443"
	     : strcmp(key, "ssh") == 0 ? "0.0.0.0:2222" : strcmp(key, "metrics") == 0 ? "127.0.0.1:9100"
	     : "0.0.0.0:2323";
}

/* v into spec's field of base (a struct config or config_menu_item), or an error. */
static void set_value(struct loader *ld, const struct key_spec *spec, void *base,
		      const struct toml_value *v)
{
	char *field = (char *)base + spec->off;
	enum toml_type t = toml_type(v);
	size_t len = 0;
	const char *s = t == TOML_STRING ? toml_string(v, &len) : NULL;

	switch (spec->kind) {
	case K_LISTEN: {
		struct listen_addr *addr = (struct listen_addr *)(void *)field;
		if (spec->min && t == TOML_BOOL && !toml_bool(v)) {
			addr->port = -1;
			return;
		}
		struct listen_addr next = *addr;
		if (s == NULL || strlen(s) != len || !config_parse_listen(s, &next)) {
			ERROR(ld, v, "\"%s\" must be \"[ADDR:]PORT\" with a port from 0 to 65535, "
			      "e.g. \"%s\"%s", spec->key, listen_example(spec->key),
			      spec->min ? ", or false" : "");
			return;
		}
		*addr = next;
		return;
	}
	case K_BOOL:
		if (t != TOML_BOOL) {
			ERROR(ld, v, "\"%s\" must be true or false", spec->key);
			return;
		}
		assert(spec->size == sizeof(bool));
		*(bool *)(void *)field = toml_bool(v);
		return;
	case K_PATH:
	case K_PATH_HERE:
		if (s == NULL || len == 0 || strlen(s) != len) {
			ERROR(ld, v, "\"%s\" must be a non-empty path", spec->key);
			return;
		}
		if (field == ld->cfg->db_path && config_is_database_url(s)) {
			/* A URL is not a path: taken as written (libpq reads it). */
			if (!clean_text(s, len) || len >= spec->size)
				ERROR(ld, v, "\"database\": a PostgreSQL URL of at most %zu bytes "
				      "without control characters", spec->size - 1);
			else
				snprintf(field, spec->size, "%s", s);
			return;
		}
		set_path(ld, spec, v, s, field);
		return;
	case K_TEXT:
		if (s == NULL || len >= spec->size || (spec->min && len == 0) ||
		    !clean_text(s, len)) {
			ERROR(ld, v, "\"%s\" must be a string of %s%zu bytes without control "
			      "characters", spec->key, spec->min ? "1 to " : "at most ",
			      spec->size - 1);
			return;
		}
		memcpy(field, s, len + 1);
		return;
	case K_INT:
		if (t != TOML_INTEGER || toml_integer(v) < spec->min || toml_integer(v) > spec->max) {
			ERROR(ld, v, "\"%s\" must be an integer from %lld to %lld", spec->key,
			      spec->min, spec->max);
			return;
		}
		store_int(field, spec->size, toml_integer(v));
		return;
	case K_RATE: {
		double x = t == TOML_INTEGER ? (double)toml_integer(v)
		         : t == TOML_FLOAT ? toml_float(v) : -1.0;
		if (!(x > 0.0 && x <= (double)spec->max)) {
			ERROR(ld, v, "\"%s\" must be a number greater than 0 and at most %lld",
			      spec->key, spec->max);
			return;
		}
		memcpy(field, &x, sizeof(x));
		return;
	}
	case K_STRINGS:
	case K_NETS:
		set_strings(ld, spec, base, v, field);
		return;
	case K_PW_OPS:
	case K_PW_MEM: {
		unsigned long long x = 0;
		bool ok = false;
		if (s != NULL) {
			for (size_t i = 0; i < sizeof(pw_presets) / sizeof(pw_presets[0]); i++) {
				if (key_is(s, len, pw_presets[i].name)) {
					x = spec->kind == K_PW_OPS ? pw_presets[i].ops : pw_presets[i].mem;
					ok = true;
				}
			}
		} else if (t == TOML_INTEGER && toml_integer(v) >= spec->min &&
			   toml_integer(v) <= spec->max) {
			x = (unsigned long long)toml_integer(v);
			ok = x <= SIZE_MAX;
		}
		if (!ok) {
			ERROR(ld, v, "\"%s\" must be \"interactive\", \"moderate\", \"sensitive\", "
			      "\"min\" or an integer from %lld to %lld", spec->key, spec->min,
			      spec->max);
			return;
		}
		store_int(field, spec->size, (long long)x);
		return;
	}
	case K_HOTKEY: {
		if (s == NULL || len != 1 || s[0] <= ' ' || s[0] > '~') {
			ERROR(ld, v, "\"%s\" must be one printable ASCII character (not a space)",
			      spec->key);
			return;
		}
		char c = s[0] >= 'a' && s[0] <= 'z' ? (char)(s[0] - 'a' + 'A') : s[0];
		const struct toml_value **first = &ld->hotkeys_at[(unsigned char)c];
		if (*first != NULL) {
			int line;
			toml_position(*first, &line, NULL);
			ERROR(ld, v, "duplicate hotkey \"%c\" in %s (first at line %d)", c,
			      ld->where, line);
			return;
		}
		*first = v;
		*field = c;
		return;
	}
	case K_ITEM_TYPE:
		assert(spec->size == sizeof(enum config_item_type));
		if (!item_type_of(v, (enum config_item_type *)(void *)field))
			ERROR(ld, v, "\"%s\" must be \"command\" or \"submenu\"", spec->key);
		return;
	case K_COMMAND:
		if (s == NULL) {
			ERROR(ld, v, "\"%s\" must be a string", spec->key);
		} else if (strlen(s) != len || !config_command_known(s)) {
			char known[256];
			known_commands(known, sizeof(known));
			ERROR(ld, v, "unknown command \"%s\" in %s (known: %s)", show(s, len).s,
			      ld->where, known);
		} else {
			assert(len < spec->size);
			memcpy(field, s, len + 1);
		}
		return;
	case K_ROOM_NAME:
		if (s == NULL || len >= spec->size || !menu_name_ok(s, len)) {
			ERROR(ld, v, "\"%s\" must be a room name: 1 to %zu letters, digits, "
			      "\"_\" or \"-\"", spec->key, spec->size - 1);
			return;
		}
		memcpy(field, s, len + 1);
		return;
	case K_ROOMS:
		load_rooms(ld, spec, base, v, field);
		return;
	case K_LOG_LEVEL: {
		enum log_level level;
		if (s == NULL || strlen(s) != len || !log_level_parse(s, &level)) {
			ERROR(ld, v, "\"%s\" must be \"debug\", \"info\", \"warn\" or \"error\"",
			      spec->key);
			return;
		}
		assert(spec->size == sizeof(int));
		int x = (int)level;
		memcpy(field, &x, sizeof(x));
		return;
	}
	case K_MENU_NAME:
		if (s == NULL || !menu_name_ok(s, len)) {
			ERROR(ld, v, "\"%s\" must name a menu: 1 to %zu letters, digits, \"_\" "
			      "or \"-\"", spec->key, spec->size - 1);
			return;
		}
		memcpy(field, s, len + 1);
		return;
	}
}

/* Every key of tbl through its row of keys[] into base; ld->where names tbl. */
static void load_keys(struct loader *ld, const struct key_spec *keys, size_t n_keys,
		      void *base, const struct toml_value *tbl)
{
	for (size_t i = 0; i < toml_table_len(tbl); i++) {
		size_t klen;
		const char *key = toml_table_key(tbl, i, &klen);
		const struct toml_value *v = toml_table_value(tbl, i);
		const struct key_spec *spec = NULL;
		for (size_t k = 0; k < n_keys && spec == NULL; k++)
			if (key_is(key, klen, keys[k].key))
				spec = &keys[k];
		if (spec == NULL)
			WARN(ld, v, "unknown key \"%s\" in %s", show(key, klen).s, ld->where);
		else
			set_value(ld, spec, base, v);
	}
}

/* [[chat.room]]: each table through room_keys[]; a name is required and unique
 * (case-insensitively). */
static void load_rooms(struct loader *ld, const struct key_spec *spec, void *base,
		       const struct toml_value *v, char *field)
{
	size_t max = spec->size / spec->elem;
	if (toml_type(v) != TOML_ARRAY || toml_array_len(v) == 0) {
		ERROR(ld, v, "\"room\" must be a list of rooms, each written as [[chat.room]]");
		return;
	}
	if (toml_array_len(v) > max) {
		ERROR(ld, toml_array_at(v, max), "more than %zu rooms in [[chat.room]]", max);
		return;
	}
	struct config_room *rooms = (struct config_room *)(void *)field;
	char where[sizeof(ld->where)];
	memcpy(where, ld->where, sizeof(where));
	snprintf(ld->where, sizeof(ld->where), "[[chat.room]]");
	size_t n = toml_array_len(v);
	for (size_t i = 0; i < n; i++) {
		const struct toml_value *tbl = toml_array_at(v, i);
		struct config_room *r = &rooms[i];
		*r = (struct config_room){ .listed = true };
		if (toml_type(tbl) != TOML_TABLE) {
			ERROR(ld, tbl, "each room must be a table: write [[chat.room]]");
			continue;
		}
		load_keys(ld, room_keys, sizeof(room_keys) / sizeof(room_keys[0]), r, tbl);
		if (toml_table_get(tbl, "name") == NULL) {
			ERROR(ld, tbl, "a room in [[chat.room]] has no \"name\"");
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (r->name[0] != '\0' && strcasecmp(rooms[j].name, r->name) == 0) {
				ERROR(ld, toml_table_get(tbl, "name"), "room \"%s\" is declared twice",
				      r->name);
				break;
			}
		}
	}
	memcpy(ld->where, where, sizeof(where));
	size_t *count = (size_t *)(void *)((char *)base + spec->aux);
	*count = n;
}

/* The value of key in tbl, if tbl is a table that has it. */
static const struct toml_value *lookup(const struct toml_value *tbl, const char *key)
{
	if (tbl == NULL || toml_type(tbl) != TOML_TABLE)
		return NULL;
	return toml_table_get(tbl, key);
}

/* What https and redirect_http need. */
static void check_tls(struct loader *ld, const struct toml_value *server)
{
	const struct config *c = ld->cfg;
	if (c->https.port >= 0 && (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0'))
		ERROR(ld, lookup(server, "https"), "\"https\" needs \"tls_cert\" and \"tls_key\" "
		      "(PEM files) in [server]");
	if (c->redirect_http && c->https.port < 0)
		ERROR(ld, lookup(server, "redirect_http"), "\"redirect_http\" needs \"https\"");
}

/* A node's name goes into Redis keys and channels: letters, digits, . _ - : */
static void check_cluster(struct loader *ld, const struct toml_value *cluster)
{
	const struct config *c = ld->cfg;
	for (const char *p = c->cluster_node; *p != '\0'; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-' || ch == ':')) {
			ERROR(ld, lookup(cluster, "node"), "\"node\" may hold only letters, digits, "
			      "'.', '_', '-' and ':'");
			break;
		}
	}
	if (c->cluster_redis[0] == '\0' &&
	    (c->cluster_node[0] != '\0' || c->cluster_password[0] != '\0'))
		ERROR(ld, lookup(cluster, c->cluster_node[0] ? "node" : "password"),
		      "[cluster] needs \"redis\" (\"HOST:PORT\" or a Unix socket path)");
}

static void check_limits(struct loader *ld, const struct toml_value *limits)
{
	const struct config *c = ld->cfg;
	if (c->out_low_water >= c->out_high_water) {
		const struct toml_value *at = lookup(limits, "low_water");
		if (at == NULL)
			at = lookup(limits, "high_water");
		ERROR(ld, at, "\"low_water\" (%zu) must be below \"high_water\" (%zu)",
		      c->out_low_water, c->out_high_water);
	}
	if (c->out_high_water > c->out_hard_limit) {
		const struct toml_value *at = lookup(limits, "high_water");
		if (at == NULL)
			at = lookup(limits, "hard_limit");
		ERROR(ld, at, "\"high_water\" (%zu) must not exceed \"hard_limit\" (%zu)",
		      c->out_high_water, c->out_hard_limit);
	}
}

/* ---- menus ---- */

struct menu_set {
	struct config_menu *menus;
	struct config_menu_item **items;       /* menus[i].items, writable */
	const struct toml_value **src;         /* menus[i]'s array in the file, or NULL */
	size_t n;
};

static void menu_set_free(struct menu_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->items[i]);
	free(set->menus);
	free(set->items);
	free(set->src);
	memset(set, 0, sizeof(*set));
}

static size_t menu_set_add(struct menu_set *set, const char *name, size_t name_len,
			   size_t n_items, const struct toml_value *src)
{
	size_t i = set->n++;
	set->menus = xrealloc(set->menus, set->n * sizeof(*set->menus));
	set->items = xrealloc(set->items, set->n * sizeof(*set->items));
	set->src = xrealloc(set->src, set->n * sizeof(*set->src));
	memset(&set->menus[i], 0, sizeof(set->menus[i]));
	memcpy(set->menus[i].name, name, name_len);
	set->menus[i].name[name_len] = '\0';
	set->items[i] = xcalloc(n_items ? n_items : 1, sizeof(**set->items));
	set->menus[i].items = set->items[i];
	set->menus[i].n_items = n_items;
	set->src[i] = src;
	return i;
}

static long menu_set_find(const struct menu_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->menus[i].name, name) == 0)
			return (long)i;
	return -1;
}

#define ITEM_KEY(k, kind, m, lo, hi) \
	{ k, kind, offsetof(struct config_menu_item, m), \
	  sizeof(((struct config_menu_item *)NULL)->m), lo, hi, 0, 0, 0 }

static const struct key_spec item_keys[] = {
	ITEM_KEY("hotkey", K_HOTKEY, hotkey, 0, 0),
	ITEM_KEY("name", K_TEXT, name, 1, 0),
	ITEM_KEY("type", K_ITEM_TYPE, type, 0, 0),
	ITEM_KEY("command", K_COMMAND, command, 0, 0),
	ITEM_KEY("submenu", K_MENU_NAME, submenu, 0, 0),
	ITEM_KEY("order", K_INT, order, -1000000, 1000000),
	ITEM_KEY("min_level", K_INT, min_level, 0, LEVEL_MAX),
};

/* One item of the menu ld->where names into *item (zeroed), then the rules
 * between its keys. */
static void load_item(struct loader *ld, const char *menu, const struct toml_value *tbl,
		      struct config_menu_item *item)
{
	if (toml_type(tbl) != TOML_TABLE) {
		ERROR(ld, tbl, "each item of menu \"%s\" must be a table: write %s", menu,
		      ld->where);
		return;
	}
	load_keys(ld, item_keys, sizeof(item_keys) / sizeof(item_keys[0]), item, tbl);

	if (toml_table_get(tbl, "hotkey") == NULL)
		ERROR(ld, tbl, "an item of %s has no \"hotkey\"", ld->where);
	if (toml_table_get(tbl, "name") == NULL)
		ERROR(ld, tbl, "an item of %s has no \"name\"", ld->where);
	const struct toml_value *type = toml_table_get(tbl, "type");
	enum config_item_type t;
	if (type == NULL)
		ERROR(ld, tbl, "an item of %s has no \"type\" (\"command\" or \"submenu\")",
		      ld->where);
	if (type == NULL || !item_type_of(type, &t))
		return;         /* a bad type is reported already */
	/* the type's key ("command" or "submenu") is required, the other one refused */
	const char *want = t == CONFIG_ITEM_COMMAND ? "command" : "submenu";
	const char *other = t == CONFIG_ITEM_COMMAND ? "submenu" : "command";
	const struct toml_value *stray = toml_table_get(tbl, other);
	if (stray != NULL)
		ERROR(ld, stray, "\"%s\" is for items of type = \"%s\"", other, other);
	if (toml_table_get(tbl, want) == NULL)
		ERROR(ld, tbl, "an item of %s of type \"%s\" has no \"%s\"", ld->where, want,
		      want);
}

/* Stable: equal orders keep their order in the file. */
static void sort_items(struct config_menu_item *items, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct config_menu_item x = items[i];
		size_t j = i;
		while (j > 0 && items[j - 1].order > x.order) {
			items[j] = items[j - 1];
			j--;
		}
		items[j] = x;
	}
}

static void default_title(struct config_menu *m)
{
	snprintf(m->title, sizeof(m->title), "%s Menu", m->name);
	if (m->title[0] >= 'a' && m->title[0] <= 'z')
		m->title[0] = (char)(m->title[0] - 'a' + 'A');
}

static void load_menus(struct loader *ld, const struct toml_value *tbl, struct menu_set *set)
{
	if (toml_type(tbl) != TOML_TABLE) {
		ERROR(ld, tbl, "\"menu\" must hold menus, each written as [[menu.NAME]] items");
		return;
	}
	for (size_t i = 0; i < toml_table_len(tbl); i++) {
		size_t klen;
		const char *key = toml_table_key(tbl, i, &klen);
		const struct toml_value *arr = toml_table_value(tbl, i);
		if (!menu_name_ok(key, klen)) {
			ERROR(ld, arr, "menu name \"%s\" must be 1 to %d letters, digits, \"_\" or "
			      "\"-\"", show(key, klen).s, CONFIG_NAME_MAX - 1);
			continue;
		}
		if (toml_type(arr) != TOML_ARRAY || toml_array_len(arr) == 0) {
			ERROR(ld, arr, "menu \"%s\" must be a list of items, each written as "
			      "[[menu.%s]]", key, key);
			continue;
		}
		if (toml_array_len(arr) > CONFIG_MENU_ITEMS_MAX) {
			ERROR(ld, toml_array_at(arr, CONFIG_MENU_ITEMS_MAX), "menu \"%s\" has more "
			      "than %d items", key, CONFIG_MENU_ITEMS_MAX);
			continue;
		}
		size_t n = toml_array_len(arr);
		size_t m = menu_set_add(set, key, klen, n, arr);
		default_title(&set->menus[m]);
		snprintf(ld->where, sizeof(ld->where), "[[menu.%s]]", key);
		memset(ld->hotkeys_at, 0, sizeof(ld->hotkeys_at));
		for (size_t j = 0; j < n; j++)
			load_item(ld, key, toml_array_at(arr, j), &set->items[m][j]);
	}

	if (menu_set_find(set, "main") < 0) {
		ERROR(ld, tbl, "there is no [[menu.main]]: callers start at the main menu");
		return;
	}
	/* Every submenu must exist; then warn about menus no one can reach. */
	for (size_t m = 0; m < set->n; m++) {
		for (size_t j = 0; j < set->menus[m].n_items; j++) {
			const struct config_menu_item *it = &set->items[m][j];
			if (it->type != CONFIG_ITEM_SUBMENU || it->submenu[0] == '\0')
				continue;
			if (menu_set_find(set, it->submenu) < 0) {
				const struct toml_value *at =
					toml_table_get(toml_array_at(set->src[m], j), "submenu");
				ERROR(ld, at, "submenu \"%s\" does not exist (there is no "
				      "[[menu.%s]])", it->submenu, it->submenu);
			}
		}
	}
	if (ld->diag->n_errors > 0)
		return;
	bool *reached = xcalloc(set->n, sizeof(*reached));
	size_t *queue = xcalloc(set->n, sizeof(*queue));
	size_t head = 0, tail = 0;
	queue[tail++] = (size_t)menu_set_find(set, "main");
	reached[queue[0]] = true;
	while (head < tail) {
		size_t m = queue[head++];
		for (size_t j = 0; j < set->menus[m].n_items; j++) {
			const struct config_menu_item *it = &set->items[m][j];
			if (it->type != CONFIG_ITEM_SUBMENU)
				continue;
			size_t to = (size_t)menu_set_find(set, it->submenu);
			if (!reached[to]) {
				reached[to] = true;
				queue[tail++] = to;
			}
		}
	}
	for (size_t m = 0; m < set->n; m++)
		if (!reached[m])
			WARN(ld, set->src[m], "menu \"%s\" cannot be reached from the main menu",
			     set->menus[m].name);
	free(reached);
	free(queue);
}

/* The menus of cfg, copied, for titles to be set on. */
static void copy_menus(const struct config *cfg, struct menu_set *set)
{
	for (size_t m = 0; m < cfg->n_menus; m++) {
		const struct config_menu *from = &cfg->menus[m];
		size_t i = menu_set_add(set, from->name, strlen(from->name), from->n_items, NULL);
		memcpy(set->menus[i].title, from->title, sizeof(from->title));
		memcpy(set->items[i], from->items, from->n_items * sizeof(*from->items));
	}
}

static void load_titles(struct loader *ld, const struct toml_value *tbl, struct menu_set *set)
{
	if (toml_type(tbl) != TOML_TABLE) {
		ERROR(ld, tbl, "\"menu_titles\" must be a table: menu name = \"Title\"");
		return;
	}
	for (size_t i = 0; i < toml_table_len(tbl); i++) {
		size_t klen, len = 0;
		const char *key = toml_table_key(tbl, i, &klen);
		const struct toml_value *v = toml_table_value(tbl, i);
		const char *s = toml_type(v) == TOML_STRING ? toml_string(v, &len) : NULL;
		long m = strlen(key) == klen ? menu_set_find(set, key) : -1;
		if (s == NULL || len == 0 || len >= CONFIG_TEXT_MAX || !clean_text(s, len)) {
			ERROR(ld, v, "a menu title must be a string of 1 to %d bytes without "
			      "control characters", CONFIG_TEXT_MAX - 1);
		} else if (m < 0) {
			WARN(ld, v, "title for unknown menu \"%s\"", show(key, klen).s);
		} else {
			memcpy(set->menus[m].title, s, len + 1);
		}
	}
}

/* ---- loading ---- */

int config_load_text(struct config *cfg, const char *text, size_t len, const char *path,
		     struct config_diag *diag)
{
	struct config next = *cfg;
	struct loader ld = { .path = path, .diag = diag, .cfg = &next };
	struct menu_set set = { 0 };
	bool new_menus = false;

	memset(diag, 0, sizeof(*diag));
	const char *slash = strrchr(path, '/');
	if (slash != NULL) {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(ld.dir))
			n = sizeof(ld.dir) - 1;
		memcpy(ld.dir, path, n);
		ld.dir[n] = '\0';
	}

	struct toml_error err;
	struct toml_value *root = toml_parse(text, len, &err);
	if (root == NULL) {
		snprintf(diag->errors[0], CONFIG_DIAG_LEN, "%.200s:%d:%d: %s", path, err.line,
			 err.column, err.message);
		diag->n_errors = 1;
		return -1;
	}

	const struct toml_value *menu = NULL, *titles = NULL;
	for (size_t i = 0; i < toml_table_len(root); i++) {
		size_t klen;
		const char *key = toml_table_key(root, i, &klen);
		const struct toml_value *v = toml_table_value(root, i);
		const struct section_spec *sec = NULL;
		for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
			if (key_is(key, klen, sections[s].name))
				sec = &sections[s];
		if (sec != NULL) {
			snprintf(ld.where, sizeof(ld.where), "[%s]", sec->name);
			if (toml_type(v) != TOML_TABLE)
				ERROR(&ld, v, "\"%s\" must be a table: %s", sec->name, ld.where);
			else
				load_keys(&ld, sec->keys, sec->n_keys, &next, v);
		} else if (key_is(key, klen, "menu")) {
			menu = v;
		} else if (key_is(key, klen, "menu_titles")) {
			titles = v;
		} else if (toml_type(v) == TOML_TABLE) {
			WARN(&ld, v, "unknown section [%s]", show(key, klen).s);
		} else {
			WARN(&ld, v, "unknown key \"%s\"", show(key, klen).s);
		}
	}
	check_limits(&ld, toml_table_get(root, "limits"));
	check_tls(&ld, toml_table_get(root, "server"));
	check_cluster(&ld, toml_table_get(root, "cluster"));

	if (menu != NULL) {
		load_menus(&ld, menu, &set);
		new_menus = true;
	}
	if (titles != NULL) {
		if (!new_menus)
			copy_menus(cfg, &set);
		load_titles(&ld, titles, &set);
		new_menus = true;
	}
	toml_free(root);

	if (diag->n_errors > 0) {
		menu_set_free(&set);
		return -1;
	}
	if (new_menus) {
		for (size_t m = 0; m < set.n; m++)
			sort_items(set.items[m], set.menus[m].n_items);
		config_free(cfg);
		next.menus = set.menus;
		next.n_menus = set.n;
		next.menus_owned = true;
		free(set.items);         /* the item arrays now belong to set.menus */
		free(set.src);
	}
	*cfg = next;
	return 0;
}

int config_load(struct config *cfg, const char *path, struct config_diag *diag)
{
	memset(diag, 0, sizeof(*diag));
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	if (f == NULL)
		goto fail;
	text = xmalloc(CONFIG_FILE_MAX + 1);
	len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f))
		goto fail;
	if (len > CONFIG_FILE_MAX) {
		snprintf(diag->errors[0], CONFIG_DIAG_LEN, "%.200s: larger than %d bytes", path,
			 CONFIG_FILE_MAX);
		diag->n_errors = 1;
		goto out;
	}
	rc = config_load_text(cfg, text, len, path, diag);
	goto out;
fail:
	snprintf(diag->errors[0], CONFIG_DIAG_LEN, "%.200s: cannot read: %s", path,
		 strerror(errno));
	diag->n_errors = 1;
out:
	free(text);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* ---- reloading ---- */

static bool field_equal(const struct key_spec *spec, const char *a, const char *b,
                        const struct config *ca, const struct config *cb)
{
	switch (spec->kind) {
	case K_LISTEN: {
		const struct listen_addr *x = (const void *)a, *y = (const void *)b;
		return x->port == y->port && strcmp(x->host, y->host) == 0;
	}
	case K_PATH:
	case K_PATH_HERE:
	case K_TEXT:
		return strncmp(a, b, spec->size) == 0;
	case K_STRINGS:
	case K_NETS: {
		size_t n = *(const size_t *)(const void *)((const char *)ca + spec->aux);
		if (n != *(const size_t *)(const void *)((const char *)cb + spec->aux))
			return false;
		for (size_t i = 0; i < n; i++)
			if (strncmp(a + i * spec->elem, b + i * spec->elem, spec->elem) != 0)
				return false;
		return true;
	}
	case K_ROOMS: {
		size_t n = *(const size_t *)(const void *)((const char *)ca + spec->aux);
		if (n != *(const size_t *)(const void *)((const char *)cb + spec->aux))
			return false;
		for (size_t i = 0; i < n; i++) {
			const struct config_room *x = &ca->chat_rooms[i], *y = &cb->chat_rooms[i];
			if (strcmp(x->name, y->name) != 0 || strcmp(x->topic, y->topic) != 0 ||
			    x->capacity != y->capacity || x->min_level != y->min_level ||
			    x->listed != y->listed)
				return false;
		}
		return true;
	}
	default:
		return memcmp(a, b, spec->size) == 0;
	}
}

/* Each setting of the plain tables that differs between a and b, through fn;
 * with keep (F_RESTART rows only), a's value is put back from b.  Returns how many. */
static size_t walk_changes(struct config *a, const struct config *b, bool keep,
                           void (*fn)(void *ud, const char *section, const char *key),
                           void *ud)
{
	size_t n = 0;
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		for (size_t k = 0; k < sections[s].n_keys; k++) {
			const struct key_spec *spec = &sections[s].keys[k];
			if (keep && !(spec->flags & F_RESTART))
				continue;
			char *fa = (char *)a + spec->off;
			const char *fb = (const char *)b + spec->off;
			if (field_equal(spec, fa, fb, a, b))
				continue;
			n++;
			if (fn != NULL)
				fn(ud, sections[s].name, spec->key);
			if (keep) {
				memcpy(fa, fb, spec->size);
				if (spec->kind == K_STRINGS || spec->kind == K_NETS ||
				    spec->kind == K_ROOMS)
					memcpy((char *)a + spec->aux, (const char *)b + spec->aux,
					       sizeof(size_t));
			}
		}
	}
	return n;
}

size_t config_keep_restart(struct config *next, const struct config *running,
                           config_setting_fn fn, void *ud)
{
	return walk_changes(next, running, true, fn, ud);
}

size_t config_changes(const struct config *a, const struct config *b, config_setting_fn fn,
                      void *ud)
{
	return walk_changes((struct config *)a, b, false, fn, ud);
}

bool config_apply_overrides(struct config *cfg, const struct config_overrides *o)
{
	if (o->http != NULL && !config_parse_listen(o->http, &cfg->http))
		return false;
	if (o->telnet != NULL && !config_parse_listen(o->telnet, &cfg->telnet))
		return false;
	if (o->https != NULL && !config_parse_listen(o->https, &cfg->https))
		return false;
	if (o->ssh != NULL && !config_parse_listen(o->ssh, &cfg->ssh))
		return false;
	if (o->db != NULL) {
		int n = snprintf(cfg->db_path, sizeof(cfg->db_path), "%s", o->db);
		if (n < 0 || (size_t)n >= sizeof(cfg->db_path))
			return false;
	}
	return true;
}
