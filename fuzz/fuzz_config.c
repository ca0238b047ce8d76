/* libFuzzer: carrier.toml through the whole config layer (TOML parse, settings,
 * menus, validation, diagnostics), not just the TOML parser; and what a reload
 * does with a loaded file (the settings that need a restart put back, the changes
 * named). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "util/netaddr.h"

static size_t counted;

static void count(void *ud, const char *section, const char *key)
{
	(void)ud;
	if (section == NULL || key == NULL)
		__builtin_trap();
	counted++;
}

/* A reload of cfg over a server running on the defaults. */
static void reload(struct config *cfg)
{
	struct config running;
	config_defaults(&running, "/nonexistent");
	counted = 0;
	size_t kept = config_keep_restart(cfg, &running, count, NULL);
	if (kept != counted)
		__builtin_trap();
	/* put back: nothing left to keep, the listeners and database the running ones */
	if (config_keep_restart(cfg, &running, NULL, NULL) != 0 ||
	    cfg->http.port != running.http.port || cfg->telnet.port != running.telnet.port ||
	    cfg->metrics.port != running.metrics.port ||
	    strcmp(cfg->db_path, running.db_path) != 0)
		__builtin_trap();
	if (config_changes(cfg, cfg, NULL, NULL) != 0 || !config_menus_equal(cfg, cfg))
		__builtin_trap();
	counted = 0;
	if (config_changes(cfg, &running, count, NULL) != counted)
		__builtin_trap();
	for (size_t i = 0; i < cfg->n_trusted_proxies; i++) {
		struct net_prefix p;
		const char *s = cfg->trusted_proxies[i];
		if (!net_prefix_parse(s, strlen(s), &p))
			__builtin_trap();
	}
	if (cfg->log_level < 0 || cfg->log_level > 3)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct config_diag diag;
	config_defaults(&cfg, "/nonexistent");
	int rc = config_load_text(&cfg, (const char *)data, size, "fuzz.toml", &diag);
	if (rc == 0) {
		/* A loaded config always has a main menu whose items are sane. */
		const struct config_menu *m = config_menu_find(&cfg, "main");
		if (m == NULL || m->n_items == 0)
			__builtin_trap();
		for (size_t i = 0; i < m->n_items; i++)
			if (m->items[i].hotkey <= ' ' || m->items[i].hotkey > '~')
				__builtin_trap();
		reload(&cfg);
	} else if (diag.n_errors == 0) {
		__builtin_trap();      /* a refusal always says why */
	}
	for (size_t i = 0; i < diag.n_errors && i < CONFIG_DIAG_MAX; i++)
		if (memchr(diag.errors[i], '\0', sizeof(diag.errors[i])) == NULL)
			__builtin_trap();
	config_free(&cfg);
	return 0;
}
