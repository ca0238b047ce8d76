/* libFuzzer: carrier.toml through the whole config layer (TOML parse, settings,
 * menus, validation, diagnostics), not just the TOML parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"

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
	} else if (diag.n_errors == 0) {
		__builtin_trap();      /* a refusal always says why */
	}
	for (size_t i = 0; i < diag.n_errors && i < CONFIG_DIAG_MAX; i++)
		if (memchr(diag.errors[i], '\0', sizeof(diag.errors[i])) == NULL)
			__builtin_trap();
	config_free(&cfg);
	return 0;
}
