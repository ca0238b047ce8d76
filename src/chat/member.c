#include "chat/member.h"

#include <stdlib.h>

#include "chat/internal.h"
#include "chat/registry.h"
#include "chat/render.h"
#include "util/xalloc.h"

struct chat_member *chat_member_new(struct chat_registry *reg, struct chat_sink *sink)
{
	struct chat_member *m = xcalloc(1, sizeof(*m));
	m->sink = sink;
	if (reg != NULL)
		chat_registry_list(reg, m);
	return m;
}

void chat_member_free(struct chat_member *m)
{
	if (m == NULL)
		return;
	chat_room_leave(m);
	if (m->reg != NULL)
		chat_registry_unlist(m->reg, m);
	free(m->reply_to);
	free(m);
}

struct chat_sink *chat_member_sink(const struct chat_member *m) { return m->sink; }
const char *chat_member_handle(const struct chat_member *m) { return m->sink->handle; }
struct chat_room *chat_member_room(const struct chat_member *m) { return m->room; }
void chat_member_set_typing(struct chat_member *m, bool typing) { m->typing = typing; }

const char *chat_member_reply_to(const struct chat_member *m)
{
	return m->reply_to ? m->reply_to : "";
}

bool chat_member_allow(struct chat_member *m, int64_t now_ms)
{
	return m->room != NULL && flood_allow(&m->flood, chat_room_flood(m->room), now_ms);
}

bool chat_member_flood_notice(struct chat_member *m, int64_t now_ms, uint64_t *dropped)
{
	return m->room != NULL &&
	       flood_notice_due(&m->flood, chat_room_flood(m->room), now_ms, dropped);
}

void chat_member_drained(struct chat_member *m, uint64_t dropped)
{
	if (m->room == NULL)
		return;
	struct sbuf line = SBUF_INIT;
	chat_render_missed(&line, dropped);
	m->sink->ops->tell(m->sink, line.data, line.len);
	sbuf_free(&line);
}
