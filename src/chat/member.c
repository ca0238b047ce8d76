#include "chat/member.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	for (size_t i = 0; i < m->n_ignores; i++)
		free(m->ignores[i]);
	free(m->ignores);
	chat_member_set_away(m, NULL);
	free(m);
}

struct chat_sink *chat_member_sink(const struct chat_member *m) { return m->sink; }
const char *chat_member_handle(const struct chat_member *m) { return m->sink->handle; }
struct chat_room *chat_member_room(const struct chat_member *m) { return m->room; }
void chat_member_set_typing(struct chat_member *m, bool typing) { m->typing = typing; }
enum chat_layout chat_member_layout(const struct chat_member *m) { return (enum chat_layout)m->layout; }
void chat_member_set_bell(struct chat_member *m, enum chat_bell bell) { m->bell = (uint8_t)bell; }
enum chat_bell chat_member_bell(const struct chat_member *m) { return (enum chat_bell)m->bell; }
void chat_member_set_quiet(struct chat_member *m, bool quiet) { m->quiet = quiet; }
bool chat_member_quiet(const struct chat_member *m) { return m->quiet; }
const char *chat_member_away(const struct chat_member *m) { return m->away; }

bool chat_member_ignores(const struct chat_member *m, const char *handle)
{
	for (size_t i = 0; i < m->n_ignores; i++)
		if (strcasecmp(m->ignores[i], handle) == 0)
			return true;
	return false;
}

bool chat_member_ignore(struct chat_member *m, const char *handle)
{
	if (m->n_ignores >= CHAT_IGNORE_MAX || chat_member_ignores(m, handle))
		return false;
	m->ignores = xrealloc(m->ignores, (m->n_ignores + 1u) * sizeof(*m->ignores));
	m->ignores[m->n_ignores++] = xstrdup(handle);
	return true;
}

bool chat_member_unignore(struct chat_member *m, const char *handle)
{
	for (size_t i = 0; i < m->n_ignores; i++) {
		if (strcasecmp(m->ignores[i], handle) == 0) {
			free(m->ignores[i]);
			memmove(&m->ignores[i], &m->ignores[i + 1],
			        (m->n_ignores - i - 1) * sizeof(*m->ignores));
			if (--m->n_ignores == 0) {
				free(m->ignores);
				m->ignores = NULL;
			}
			return true;
		}
	}
	return false;
}

const char *const *chat_member_ignored(const struct chat_member *m, size_t *n)
{
	*n = m->n_ignores;
	return (const char *const *)m->ignores;
}

void chat_member_set_away(struct chat_member *m, const char *message)
{
	for (size_t i = 0; i < m->n_away_told; i++)
		free(m->away_told[i]);
	free(m->away_told);
	m->away_told = NULL;
	m->n_away_told = 0;
	free(m->away);
	m->away = message != NULL ? xstrdup(message) : NULL;
}

bool chat_member_away_reply_due(struct chat_member *m, const char *sender)
{
	if (m->away == NULL)
		return false;
	for (size_t i = 0; i < m->n_away_told; i++)
		if (strcasecmp(m->away_told[i], sender) == 0)
			return false;
	if (m->n_away_told >= UINT16_MAX)
		return false;
	m->away_told = xrealloc(m->away_told, (m->n_away_told + 1u) * sizeof(*m->away_told));
	m->away_told[m->n_away_told++] = xstrdup(sender);
	return true;
}

const char *chat_member_reply_to(const struct chat_member *m)
{
	return m->reply_to ? m->reply_to : "";
}

bool chat_member_allow(struct chat_member *m, int64_t now_ms)
{
	if (m->room == NULL)
		return false;
	if (flood_allow(&m->flood, chat_room_flood(m->room), now_ms))
		return true;
	chat_room_stats(m->room)->flood_refused++;
	return false;
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
