/* The server's settings: built-in defaults, then carrier.toml, then the command
 * line.  The shipped carrier.toml documents every key with its default.
 *
 *   struct config cfg;
 *   struct config_diag diag;
 *   config_defaults(&cfg, share_dir);
 *   if (config_load(&cfg, "carrier.toml", &diag) != 0) ... print diag.errors, exit
 *   ... print diag.warnings, apply command-line flags, run ...
 *   config_free(&cfg);
 *
 * Memory: struct config is a value type except for the menus, which it owns after
 * config_load (config_defaults points them at static built-in menus, so a config
 * that was never loaded needs no config_free, though calling it is harmless).  A
 * shallow copy (`srv->cfg = *cfg`) borrows the original's menus: free exactly one
 * of them, after the last use of the other.
 *
 * Paths: `database` relative to the working directory (as the default
 * data/carrier.db is); `web_root` and `art_dir` relative to the directory of the
 * config file.
 *
 * Levels: a caller's level is an integer 0..LEVEL_MAX; a menu item with min_level
 * N is shown to callers at level N or above (0: everyone). */
#ifndef CARRIER_CONFIG_CONFIG_H
#define CARRIER_CONFIG_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEVEL_USER 10          /* a newly registered caller */
#define LEVEL_VALIDATED 20     /* a caller the sysop has vouched for */
#define LEVEL_SYSOP 100        /* the sysop, and handles in sysop_handles */
#define LEVEL_MAX 255

#define CONFIG_MAX_ORIGINS 16
#define CONFIG_MAX_PROXIES 16
#define CONFIG_MAX_SYSOPS 16
#define CONFIG_NAME_MAX 32     /* menu, command and handle names, with the NUL */
#define CONFIG_TEXT_MAX 64     /* menu titles and item names, with the NUL */
#define CONFIG_MENU_ITEMS_MAX 64
#define CONFIG_ROOMS_MAX 32    /* rooms declared with [[chat.room]] */
#define CONFIG_ROOM_NAME_MAX 21   /* a room's name, with the NUL: 1-20 letters, digits, _ - */
#define CONFIG_TOPIC_MAX 401   /* a topic, with the NUL: 100 characters of UTF-8 at most */

struct listen_addr {
	char host[64];
	int port;              /* 0: pick a free port (tests); -1: disabled */
};

enum config_item_type {
	CONFIG_ITEM_COMMAND,   /* run `command` */
	CONFIG_ITEM_SUBMENU,   /* open the menu named `submenu` */
};

struct config_menu_item {
	char hotkey;                     /* printable ASCII, not space; letters upper-case */
	char name[CONFIG_TEXT_MAX];      /* what the menu shows, UTF-8, no control chars */
	enum config_item_type type;
	char command[CONFIG_NAME_MAX];   /* CONFIG_ITEM_COMMAND: a name config_command_known
	                                  * accepts; else "" */
	char submenu[CONFIG_NAME_MAX];   /* CONFIG_ITEM_SUBMENU: an existing menu; else "" */
	int order;                       /* items are sorted by it (ties: file order) */
	int min_level;                   /* 0..LEVEL_MAX: hidden from callers below it */
};

struct config_menu {
	char name[CONFIG_NAME_MAX];      /* "main" is where callers start */
	char title[CONFIG_TEXT_MAX];
	const struct config_menu_item *items;   /* sorted by order; n_items >= 1 */
	size_t n_items;                         /* 1..CONFIG_MENU_ITEMS_MAX */
};

/* A room declared in [[chat.room]]. */
struct config_room {
	char name[CONFIG_ROOM_NAME_MAX];
	char topic[CONFIG_TOPIC_MAX];    /* the topic it starts with ("" none) */
	unsigned capacity;               /* callers at once; 0: [chat] capacity */
	int min_level;                   /* 0..LEVEL_MAX needed to enter */
	bool listed;                     /* /list shows it (default true) */
};

struct config {
	/* [server] */
	struct listen_addr http;
	struct listen_addr telnet;
	struct listen_addr metrics;       /* Prometheus' /metrics; port -1: off */
	char db_path[PATH_MAX];
	char web_root[PATH_MAX];
	char art_dir[PATH_MAX];
	char allowed_origins[CONFIG_MAX_ORIGINS][128];
	size_t n_allowed_origins;
	char control_socket[PATH_MAX];    /* the sysop's control line; "": beside the database */
	struct listen_addr https;         /* the page and /ws over TLS; port -1: off */
	char tls_cert[PATH_MAX];          /* PEM chain, leaf first ("" until set) */
	char tls_key[PATH_MAX];           /* PEM private key */
	bool redirect_http;               /* plain HTTP: 301 to https, no WebSocket; HSTS */
	struct listen_addr ssh;           /* SSH terminal callers; port -1: off */
	char ssh_host_keys[PATH_MAX];     /* host keys' directory; "": the database's */
	bool ssh_login;                   /* the SSH user and password log in to the BBS */
	int log_level;                    /* enum log_level (util/log.h) */
	/* Reverse proxies whose X-Forwarded-For / X-Real-IP name the real client:
	 * addresses or prefixes ("127.0.0.1", "10.0.0.0/8"), each net_prefix_parse-able. */
	char trusted_proxies[CONFIG_MAX_PROXIES][64];
	size_t n_trusted_proxies;

	/* [bbs] */
	char bbs_name[64];
	char tagline[128];
	char sysop[CONFIG_NAME_MAX];      /* the sysop's name, as shown to callers */
	unsigned max_nodes;               /* concurrent callers; one more hears "line busy" */
	char sysop_handles[CONFIG_MAX_SYSOPS][CONFIG_NAME_MAX];  /* get LEVEL_SYSOP */
	size_t n_sysop_handles;
	unsigned login_timeout_s;         /* a login/registration prompt idle this long: bye */
	unsigned idle_timeout_s;          /* a menu idle this long: bye; 0 never */
	unsigned max_login_failures;      /* this many failures in a row lock a handle out */
	unsigned lockout_minutes;         /* ... for this long; 0: no lockout */
	unsigned last_callers;            /* how many the last-callers list shows, <= 100 */
	unsigned long long password_ops;  /* Argon2id opslimit for new hashes */
	size_t password_mem;              /* Argon2id memlimit, bytes */
	unsigned session_days;            /* a session token expires after this */
	unsigned moderator_level;         /* from this level a caller moderates the chat */

	/* [chat] */
	char chat_room_name[64];
	unsigned chat_scrollback;         /* lines shown on entry */
	unsigned chat_capacity;           /* callers in the room at once */
	unsigned chat_history;            /* events kept in the room's ring */
	unsigned chat_max_line;           /* code points a caller may say at once */
	double chat_flood_rate;           /* lines per second regained */
	unsigned chat_flood_burst;        /* lines that may be said at once */
	unsigned chat_coalesce_ms;        /* join/leave window; 0: announce each at once */
	bool chat_caller_rooms;           /* callers may open rooms of their own (/join) */
	unsigned chat_caller_room_capacity;   /* callers at once in a room a caller made */
	unsigned telegram_max;            /* telegrams one caller may hold */
	unsigned telegram_rate;           /* telegrams one caller may send an hour */
	char actions_path[PATH_MAX];      /* the actions (socials) file */
	unsigned kick_s;                  /* a kicked caller is kept out of the room this long */
	unsigned mute_s;                  /* a /mute without minutes lasts this long */
	/* [[chat.room]]: the rooms, the first the default; none: one room called
	 * chat_room_name */
	struct config_room chat_rooms[CONFIG_ROOMS_MAX];
	size_t n_chat_rooms;

	/* [websocket] */
	uint32_t ws_max_message;          /* bytes, 1009 beyond */
	unsigned ws_ping_interval_s;      /* ping a quiet peer after this long */
	unsigned ws_ping_timeout_s;       /* drop it if no pong within this */
	/* [http] */
	unsigned http_header_timeout_s;   /* a request's headers must arrive within this */
	unsigned http_idle_timeout_s;     /* keep-alive connections idle longer are closed */
	/* [limits] */
	size_t out_high_water;            /* per-connection output queue marks, bytes */
	size_t out_low_water;
	size_t out_hard_limit;
	unsigned flush_hold_us;           /* shared output is written at most once per this */
	unsigned tls_handshake_timeout_s; /* a TLS handshake must finish within this */
	unsigned ssh_login_timeout_s;     /* an SSH caller must reach its shell within this */
	unsigned handshakes_per_address;  /* TLS handshakes + SSH logins in flight per IP */

	/* [cluster]: several servers, one BBS (docs/CLUSTER.md); without `redis`, none */
	char cluster_redis[256];          /* "HOST:PORT", "[V6]:PORT" or a Unix socket path */
	char cluster_node[64];            /* this server's name; "": host name and port */
	char cluster_password[256];       /* Redis AUTH; "" for none */
	unsigned cluster_lost_after_s;    /* a silent server's callers are gone after this */

	/* [[menu.NAME]], [menu_titles]: the menus, in file order ("main" first in the
	 * built-in ones).  Owned (see above); look them up with config_menu_find. */
	const struct config_menu *menus;
	size_t n_menus;
	bool menus_owned;                 /* private: menus are on the heap */
};

/* What config_load found.  Each message is complete and printable as is:
 * "carrier.toml:12:8: \"max_nodes\" must be an integer from 1 to 10000",
 * "carrier.toml:3:1: warning: unknown key \"fooo\" in [server]".  Only the first
 * CONFIG_DIAG_MAX of each are kept; n_errors/n_warnings count all of them. */
#define CONFIG_DIAG_MAX 16
#define CONFIG_DIAG_LEN 512
struct config_diag {
	char errors[CONFIG_DIAG_MAX][CONFIG_DIAG_LEN];
	size_t n_errors;
	char warnings[CONFIG_DIAG_MAX][CONFIG_DIAG_LEN];
	size_t n_warnings;
};

/* The commands a menu item may name.  The BBS adds a row to the table in
 * config.c for each command it implements. */
struct config_command {
	const char *name;
	const char *what;
};
extern const struct config_command config_commands[];
extern const size_t config_n_commands;
bool config_command_known(const char *name);

/* Fill in the embedded defaults, including the built-in menus (static; nothing to
 * free).  share_dir is where web/ and art/ live (the directory of the executable). */
void config_defaults(struct config *cfg, const char *share_dir);

/* Read the TOML file at path and lay its values over *cfg (normally the defaults).
 * Returns 0 on success (diag may still hold warnings), -1 if the file cannot be
 * read or holds any error (diag->n_errors > 0); then *cfg is left unchanged.
 * diag is always reset first.  A [menu] table in the file replaces all the menus
 * of *cfg; without one, *cfg's menus stay (their titles may still be set). */
int config_load(struct config *cfg, const char *path, struct config_diag *diag);

/* The same on text[0..len) already in memory; path names it in messages and
 * anchors relative web_root/art_dir.  No I/O. */
int config_load_text(struct config *cfg, const char *text, size_t len, const char *path,
		     struct config_diag *diag);

/* Release the menus cfg owns and point it back at the built-in ones.  Safe on a
 * config that was never loaded, and twice. */
void config_free(struct config *cfg);

/* True if a and b have the same menus: names, titles and items, in order. */
bool config_menus_equal(const struct config *a, const struct config *b);

/* The menu with this name, or NULL.  Borrowed from cfg. */
const struct config_menu *config_menu_find(const struct config *cfg, const char *name);

/* The control socket's path: control_socket, or "carrier.ctl" in the database's
 * directory (the working directory for a PostgreSQL database).  False if it does not fit in cap (or a Unix socket's path). */
bool config_control_path(const struct config *cfg, char *out, size_t cap);

/* Parse "[ADDR:]PORT" into addr (keeping addr's host when none is given).
 * False on a malformed value. */
bool config_parse_listen(const char *text, struct listen_addr *addr);

/* What the command line says (--http, --telnet, --db, --https, --ssh; NULL: not
 * given), laid over
 * the file's settings at start and again at every reload.  False if a value is
 * malformed (then cfg may be half changed). */
struct config_overrides {
	const char *http;
	const char *telnet;
	const char *db;
	const char *https;
	const char *ssh;
};
bool config_apply_overrides(struct config *cfg, const struct config_overrides *o);
/* A database given as a URL (postgres:// or postgresql://, PostgreSQL) rather than
 * a SQLite file's path: taken as written, and the control socket and the SSH host
 * keys default to the working directory instead of the database's. */
bool config_is_database_url(const char *s);

/* ---- reloading ----
 *
 * A reload reads the file into a fresh config (defaults, file, overrides), then
 * asks which settings cannot change while the server runs: every listener's
 * address, the database, [cluster] (marked in the tables of config.c).  Those are put
 * back to the running values and reported, one call of fn per setting:
 * section ("server") and key ("http"), static strings.  Returns how many. */
typedef void (*config_setting_fn)(void *ud, const char *section, const char *key);
size_t config_keep_restart(struct config *next, const struct config *running,
                           config_setting_fn fn, void *ud);
/* Every plain setting (not the menus: config_menus_equal) that differs between a
 * and b, through fn (may be NULL).  Returns how many. */
size_t config_changes(const struct config *a, const struct config *b, config_setting_fn fn,
                      void *ud);

#endif
