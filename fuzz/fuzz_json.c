/* libFuzzer: the control-message JSON look-ups on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/json.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64];
	int64_t v;
	const char *json = (const char *)data;
	if (json_get_string(json, size, "type", out, sizeof(out))) {
		size_t n = strlen(out);
		if (n >= sizeof(out) || !utf8_valid((const uint8_t *)out, n))
			__builtin_trap();
	}
	json_get_int(json, size, "cols", &v);
	return 0;
}
