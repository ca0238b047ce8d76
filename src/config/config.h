/* The server's settings: built-in defaults, then carrier.toml, then the command
 * line.  A plain value type; see carrier.toml for what each setting means. */
#ifndef CARRIER_CONFIG_CONFIG_H
#define CARRIER_CONFIG_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_ORIGINS 16

struct listen_addr {
	char host[64];
	int port;              /* 0: pick a free port (tests); -1: disabled */
};

struct config {
	struct listen_addr http;
	struct listen_addr telnet;
	char db_path[PATH_MAX];
	char web_root[PATH_MAX];
	char art_dir[PATH_MAX];

	char bbs_name[64];
	char tagline[128];

	char allowed_origins[CONFIG_MAX_ORIGINS][128];
	size_t n_allowed_origins;

	uint32_t ws_max_message;          /* bytes, 1009 beyond */
	unsigned ws_ping_interval_s;      /* ping a quiet peer after this long */
	unsigned ws_ping_timeout_s;       /* drop it if no pong within this */
	unsigned http_header_timeout_s;   /* a request's headers must arrive within this */
	unsigned http_idle_timeout_s;     /* keep-alive connections idle longer are closed */

	size_t out_high_water;            /* per-connection output queue marks, bytes */
	size_t out_low_water;
	size_t out_hard_limit;
};

/* Fill in the embedded defaults.  share_dir is where web/ and art/ live (the
 * directory of the executable). */
void config_defaults(struct config *cfg, const char *share_dir);

/* Parse "[ADDR:]PORT" into addr (keeping addr's host when none is given).
 * False on a malformed value. */
bool config_parse_listen(const char *text, struct listen_addr *addr);

#endif
