#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *cfg, const char *share_dir)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->http.host, sizeof(cfg->http.host), "0.0.0.0");
	cfg->http.port = 8080;
	snprintf(cfg->telnet.host, sizeof(cfg->telnet.host), "0.0.0.0");
	cfg->telnet.port = 2323;
	snprintf(cfg->db_path, sizeof(cfg->db_path), "data/carrier.db");
	snprintf(cfg->web_root, sizeof(cfg->web_root), "%s/web", share_dir);
	snprintf(cfg->art_dir, sizeof(cfg->art_dir), "%s/art", share_dir);
	snprintf(cfg->bbs_name, sizeof(cfg->bbs_name), "Carrier BBS");
	snprintf(cfg->tagline, sizeof(cfg->tagline), "The teleconference never sleeps");
	cfg->ws_max_message = 64 * 1024;
	cfg->ws_ping_interval_s = 30;
	cfg->ws_ping_timeout_s = 30;
	cfg->http_header_timeout_s = 10;
	cfg->http_idle_timeout_s = 60;
	cfg->out_high_water = 256 * 1024;
	cfg->out_low_water = 32 * 1024;
	cfg->out_hard_limit = 4 * 1024 * 1024;
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
