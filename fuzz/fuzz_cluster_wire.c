/* libFuzzer harness for the cluster's bus decoder (cluster/wire.h): any bytes as a
 * message from a Redis channel, never a crash, a leak or undefined behaviour.
 * What it lets through is checked: every string valid UTF-8 without a control
 * character, and a decoded message encodes again to one that decodes the same. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/wire.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s)
{
	if (s == NULL)
		return;
	size_t n = strlen(s);
	if (!utf8_valid((const uint8_t *)s, n))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			__builtin_trap();
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			__builtin_trap();          /* a C1 control, U+0080..U+009F */
	}
}

static struct cluster_msg msg, again;
static struct sbuf sb;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (cluster_wire_decode(data, size, &msg) != CLUSTER_WIRE_OK)
		return 0;
	check_str(msg.origin);
	bool ok = true;
	switch (msg.type) {
	case CLUSTER_MSG_EVENT:
		check_str(msg.ev.room);
		check_str(msg.ev.from);
		check_str(msg.ev.to);
		check_str(msg.ev.text);
		for (size_t i = 0; i < msg.ev.n_names; i++)
			check_str(msg.ev.names[i]);
		ok = cluster_wire_event(&sb, msg.origin, &msg.ev);
		break;
	case CLUSTER_MSG_UP:
		check_str(msg.line.handle);
		check_str(msg.line.location);
		check_str(msg.line.doing);
		check_str(msg.line.room);
		check_str(msg.line.detail);
		ok = cluster_wire_up(&sb, msg.origin, &msg.line);
		break;
	case CLUSTER_MSG_HANGUP:
		check_str(msg.handle);
		check_str(msg.reason);
		ok = cluster_wire_hangup(&sb, msg.origin, msg.handle, msg.reason);
		break;
	case CLUSTER_MSG_MUTE:
		check_str(msg.handle);
		check_str(msg.room);
		check_str(msg.reason);
		ok = cluster_wire_mute(&sb, msg.origin, msg.handle, msg.room, msg.until_ms, msg.reason);
		break;
	default:
		return 0;
	}
	/* What decoded encodes again, and that decodes to the same fields. */
	if (!ok || cluster_wire_decode(sb.data, sb.len, &again) != CLUSTER_WIRE_OK ||
	    again.type != msg.type || strcmp(again.origin, msg.origin) != 0)
		__builtin_trap();
	if (msg.type == CLUSTER_MSG_EVENT &&
	    (again.ev.kind != msg.ev.kind || again.ev.n_names != msg.ev.n_names ||
	     (msg.ev.text != NULL && strcmp(again.ev.text, msg.ev.text) != 0)))
		__builtin_trap();
	if (msg.type == CLUSTER_MSG_UP && memcmp(&again.line, &msg.line, sizeof(msg.line)) != 0)
		__builtin_trap();
	return 0;
}
