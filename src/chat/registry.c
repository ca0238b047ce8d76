#include "chat/registry.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

#include "chat/internal.h"
#include "chat/render.h"
#include "util/xalloc.h"

struct chat_registry {
	struct chat_room **rooms;        /* owned; rooms[0] is the default */
	size_t n_rooms, cap_rooms;
	struct chat_member **buckets;    /* the directory: chains by folded handle */
	size_t n_buckets;                /* a power of two, or 0 */
	size_t n_members;
	struct sbuf scratch;             /* private lines are rendered here */
};

struct chat_registry *chat_registry_new(void)
{
	return xcalloc(1, sizeof(struct chat_registry));
}

void chat_registry_free(struct chat_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n_rooms; i++)
		chat_room_free(reg->rooms[i]);
	free(reg->rooms);
	for (size_t b = 0; b < reg->n_buckets; b++)
		for (struct chat_member *m = reg->buckets[b]; m != NULL; m = m->next)
			m->reg = NULL;
	free(reg->buckets);
	sbuf_free(&reg->scratch);
	free(reg);
}

/* ---- rooms ---- */

static void deliver_via(void *ud, struct chat_event *ev)
{
	chat_deliver(ud, ev);
}

bool chat_registry_add(struct chat_registry *reg, struct chat_room *r)
{
	if (chat_registry_room(reg, chat_room_name(r)) != NULL)
		return false;
	if (reg->n_rooms == reg->cap_rooms) {
		reg->cap_rooms = reg->cap_rooms ? reg->cap_rooms * 2 : 4;
		reg->rooms = xrealloc(reg->rooms, reg->cap_rooms * sizeof(*reg->rooms));
	}
	reg->rooms[reg->n_rooms++] = r;
	chat_room_set_deliver(r, deliver_via, reg);
	return true;
}

struct chat_room *chat_registry_room(const struct chat_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n_rooms; i++)
		if (strcasecmp(chat_room_name(reg->rooms[i]), name) == 0)
			return reg->rooms[i];
	return NULL;
}

struct chat_room *chat_registry_default(const struct chat_registry *reg)
{
	return reg->n_rooms > 0 ? reg->rooms[0] : NULL;
}

/* ---- the directory ---- */

static size_t fold_hash(const char *s)
{
	size_t h = 2166136261u;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static void rehash(struct chat_registry *reg, size_t n_buckets)
{
	struct chat_member **buckets = xcalloc(n_buckets, sizeof(*buckets));
	struct chat_member **tails = xcalloc(n_buckets, sizeof(*tails));
	/* Appended at the tails, so a chain keeps its order (newest first). */
	for (size_t b = 0; b < reg->n_buckets; b++) {
		struct chat_member *next;
		for (struct chat_member *m = reg->buckets[b]; m != NULL; m = next) {
			next = m->next;
			size_t i = fold_hash(m->sink->handle) & (n_buckets - 1);
			m->next = NULL;
			if (tails[i] != NULL)
				tails[i]->next = m;
			else
				buckets[i] = m;
			tails[i] = m;
		}
	}
	free(tails);
	free(reg->buckets);
	reg->buckets = buckets;
	reg->n_buckets = n_buckets;
}

void chat_registry_list(struct chat_registry *reg, struct chat_member *m)
{
	assert(m->reg == NULL);
	if (reg->n_members + 1 > reg->n_buckets)
		rehash(reg, reg->n_buckets ? reg->n_buckets * 2 : 64);
	size_t i = fold_hash(m->sink->handle) & (reg->n_buckets - 1);
	m->next = reg->buckets[i];
	reg->buckets[i] = m;
	m->reg = reg;
	reg->n_members++;
}

void chat_registry_unlist(struct chat_registry *reg, struct chat_member *m)
{
	size_t i = fold_hash(m->sink->handle) & (reg->n_buckets - 1);
	for (struct chat_member **p = &reg->buckets[i]; *p != NULL; p = &(*p)->next) {
		if (*p == m) {
			*p = m->next;
			reg->n_members--;
			break;
		}
	}
	m->next = NULL;
	m->reg = NULL;
}

struct chat_member *chat_registry_find(const struct chat_registry *reg, const char *handle)
{
	if (reg->n_buckets == 0 || handle == NULL)
		return NULL;
	size_t i = fold_hash(handle) & (reg->n_buckets - 1);
	for (struct chat_member *m = reg->buckets[i]; m != NULL; m = m->next)
		if (strcasecmp(m->sink->handle, handle) == 0)
			return m;
	return NULL;
}

/* ---- the seam ---- */

/* A DM or page: rendered for each end and written to those two members only.  A
 * recipient in a room gets it over its prompt like any room line (so a congested
 * reader counts it as missed); one elsewhere in the BBS is told. */
static void deliver_private(struct chat_registry *reg, struct chat_event *ev)
{
	struct chat_member *to = chat_registry_find(reg, ev->to);
	struct chat_member *from = chat_registry_find(reg, ev->from);
	struct sbuf *sb = &reg->scratch;
	ev->ts_ms = chat_wall_ms();
	if (to != NULL) {
		sbuf_reset(sb);
		chat_render(sb, ev, CHAT_VIEW_RECIPIENT);
		if (to->room != NULL)
			chat_member_send_line(to, sb->data, sb->len);
		else
			to->sink->ops->tell(to->sink, sb->data, sb->len);
		if (ev->kind == CHAT_DM && ev->from != NULL &&
		    (to->reply_to == NULL || strcmp(to->reply_to, ev->from) != 0)) {
			free(to->reply_to);
			to->reply_to = xstrdup(ev->from);
		}
	}
	if (from != NULL) {
		sbuf_reset(sb);
		chat_render(sb, ev, CHAT_VIEW_SENDER);
		from->sink->ops->tell(from->sink, sb->data, sb->len);
	}
}

void chat_deliver(struct chat_registry *reg, struct chat_event *ev)
{
	if (ev->kind == CHAT_DM || ev->kind == CHAT_PAGE) {
		deliver_private(reg, ev);
		return;
	}
	struct chat_room *r = ev->room ? chat_registry_room(reg, ev->room) : NULL;
	if (r != NULL)
		chat_room_deliver(r, ev);
}
