#include "chat/registry.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chat/internal.h"
#include "chat/render.h"
#include "util/xalloc.h"

#define ROOMS_MAX 1000                /* rooms at once, declared and made by callers */
#define MUTES_MAX 1024                /* mutes in force at once */

/* A muted handle: nothing it says reaches anyone until until_ms (wall clock), in
 * one room (room != NULL) or everywhere. */
struct mute {
	char *handle;
	char *room;
	int64_t until_ms;
};

struct chat_registry {
	struct chat_room **rooms;        /* owned; rooms[0] is the default */
	size_t n_rooms, cap_rooms;
	struct chat_room_settings caller_rooms;   /* what a caller's room starts from */
	uv_loop_t *loop;                 /* for the rooms callers make */
	struct chat_member **buckets;    /* the directory: chains by folded handle */
	size_t n_buckets;                /* a power of two, or 0 */
	size_t n_members;
	struct chat_stats stats;         /* every room's and the private lines' */
	struct sbuf scratch;             /* private lines are rendered here */
	struct mute *mutes;
	size_t n_mutes;
	const struct chat_bus_ops *bus;  /* NULL: one server alone */
	void *bus_ud;
	unsigned seq_id;
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
	for (size_t i = 0; i < reg->n_mutes; i++) {
		free(reg->mutes[i].handle);
		free(reg->mutes[i].room);
	}
	free(reg->mutes);
	free(reg);
}

/* ---- rooms ---- */

bool chat_registry_add(struct chat_registry *reg, struct chat_room *r)
{
	if (chat_registry_room(reg, chat_room_name(r)) != NULL)
		return false;
	if (reg->n_rooms == reg->cap_rooms) {
		reg->cap_rooms = reg->cap_rooms ? reg->cap_rooms * 2 : 4;
		reg->rooms = xrealloc(reg->rooms, reg->cap_rooms * sizeof(*reg->rooms));
	}
	reg->rooms[reg->n_rooms++] = r;
	chat_room_set_registry(r, reg);
	chat_room_count_into(r, &reg->stats);
	if (reg->bus != NULL)
		reg->bus->room_opened(reg->bus_ud, chat_room_name(r));
	return true;
}

const struct chat_stats *chat_registry_stats(const struct chat_registry *reg) { return &reg->stats; }
size_t chat_registry_n_members(const struct chat_registry *reg) { return reg->n_members; }

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

size_t chat_registry_count(const struct chat_registry *reg) { return reg->n_rooms; }

struct chat_room *chat_registry_room_at(const struct chat_registry *reg, size_t i)
{
	return i < reg->n_rooms ? reg->rooms[i] : NULL;
}

void chat_registry_set_caller_rooms(struct chat_registry *reg, const struct chat_room_settings *t,
                                    uv_loop_t *loop)
{
	reg->caller_rooms = *t;
	reg->loop = loop;
}

struct chat_room *chat_registry_make_room(struct chat_registry *reg, const char *name,
                                          const char *owner)
{
	if (reg->caller_rooms.capacity == 0 || reg->loop == NULL || !chat_room_name_ok(name) ||
	    chat_registry_room(reg, name) != NULL || reg->n_rooms >= ROOMS_MAX)
		return NULL;
	struct chat_room_settings set = reg->caller_rooms;
	snprintf(set.name, sizeof(set.name), "%s", name);
	snprintf(set.owner, sizeof(set.owner), "%s", owner);
	set.topic[0] = '\0';
	set.made_by_caller = true;
	set.listed = true;
	set.min_rank = 0;
	/* Its scrollback lives only in memory: the room is gone when it empties. */
	struct chat_room *r = chat_room_new(&set, reg->loop, NULL);
	chat_registry_add(reg, r);
	return r;
}

void chat_registry_room_empty(struct chat_registry *reg, struct chat_room *r)
{
	for (size_t i = 0; i < reg->n_rooms; i++) {
		if (reg->rooms[i] == r) {
			memmove(&reg->rooms[i], &reg->rooms[i + 1],
			        (reg->n_rooms - i - 1) * sizeof(*reg->rooms));
			reg->n_rooms--;
			break;
		}
	}
	if (reg->bus != NULL)
		reg->bus->room_closed(reg->bus_ud, chat_room_name(r));
	chat_room_free(r);
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

size_t chat_registry_member_count(const struct chat_registry *reg) { return reg->n_members; }

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

/* ---- mutes ---- */

static void forget_mute(struct chat_registry *reg, size_t i)
{
	free(reg->mutes[i].handle);
	free(reg->mutes[i].room);
	reg->mutes[i] = reg->mutes[--reg->n_mutes];
}

static void drop_expired_mutes(struct chat_registry *reg, int64_t now_ms)
{
	for (size_t i = reg->n_mutes; i-- > 0;)
		if (reg->mutes[i].until_ms <= now_ms)
			forget_mute(reg, i);
}

bool chat_registry_mute(struct chat_registry *reg, const char *handle, const char *room,
                        int64_t until_ms, int64_t now_ms)
{
	drop_expired_mutes(reg, now_ms);
	chat_registry_unmute(reg, handle);
	if (until_ms <= now_ms)
		return true;
	if (reg->n_mutes == MUTES_MAX)
		return false;
	reg->mutes = xrealloc(reg->mutes, (reg->n_mutes + 1) * sizeof(*reg->mutes));
	reg->mutes[reg->n_mutes++] = (struct mute){
		xstrdup(handle), room ? xstrdup(room) : NULL, until_ms };
	return true;
}

bool chat_registry_unmute(struct chat_registry *reg, const char *handle)
{
	for (size_t i = 0; i < reg->n_mutes; i++) {
		if (strcasecmp(reg->mutes[i].handle, handle) == 0) {
			forget_mute(reg, i);
			return true;
		}
	}
	return false;
}

int64_t chat_registry_muted(struct chat_registry *reg, const char *handle, const char *room,
                            int64_t now_ms)
{
	if (reg->n_mutes == 0)
		return 0;
	drop_expired_mutes(reg, now_ms);
	for (size_t i = 0; i < reg->n_mutes; i++) {
		const struct mute *mu = &reg->mutes[i];
		if (strcasecmp(mu->handle, handle) == 0 &&
		    (mu->room == NULL || (room != NULL && strcasecmp(mu->room, room) == 0)))
			return mu->until_ms;
	}
	return 0;
}

/* ---- the bus ---- */

void chat_registry_set_bus(struct chat_registry *reg, const struct chat_bus_ops *ops, void *ud,
                           unsigned seq_id)
{
	reg->bus = ops;
	reg->bus_ud = ud;
	reg->seq_id = seq_id & 0xfff;
	if (ops != NULL)
		for (size_t i = 0; i < reg->n_rooms; i++)
			ops->room_opened(ud, chat_room_name(reg->rooms[i]));
}

unsigned chat_registry_seq_id(const struct chat_registry *reg) { return reg->seq_id; }

size_t chat_registry_remote_members(const struct chat_registry *reg, const char *room,
                                    const char **names, size_t max)
{
	if (reg->bus == NULL)
		return 0;
	return reg->bus->remote_members(reg->bus_ud, room, names, max);
}

bool chat_registry_has(const struct chat_registry *reg, const char *handle)
{
	return chat_registry_find(reg, handle) != NULL;
}

void chat_registry_tell_all(struct chat_registry *reg, const char *text)
{
	struct sbuf sb = SBUF_INIT;
	chat_render_notice(&sb, text);
	for (size_t b = 0; b < reg->n_buckets; b++)
		for (struct chat_member *m = reg->buckets[b]; m != NULL; m = m->next)
			m->sink->ops->tell(m->sink, sb.data, sb.len);
	sbuf_free(&sb);
}

/* ---- the seam ---- */

static void tell(struct chat_member *m, const struct sbuf *sb)
{
	m->sink->ops->tell(m->sink, sb->data, sb->len);
}

/* The recipient's view, its bell as it wants it. */
static enum chat_view recipient_view(const struct chat_member *m, enum chat_kind kind)
{
	enum chat_bell bell = chat_member_bell(m);
	bool rings = bell == CHAT_BELL_ON || (bell == CHAT_BELL_PAGE && kind == CHAT_PAGE);
	return rings ? CHAT_VIEW_RECIPIENT : CHAT_VIEW_RECIPIENT_QUIET;
}

/* A DM, page or invitation: rendered for each end and written to those two members
 * only.  A recipient in a room gets it over its prompt like any room line (so a
 * congested reader counts it as missed); one elsewhere in the BBS is told. */
static void deliver_private(struct chat_registry *reg, struct chat_event *ev)
{
	struct chat_member *to = chat_registry_find(reg, ev->to);
	struct chat_member *from = chat_registry_find(reg, ev->from);
	struct sbuf *sb = &reg->scratch;
	if (ev->origin == NULL || ev->ts_ms == 0)
		ev->ts_ms = chat_wall_ms();
	reg->stats.events[ev->kind]++;
	/* From another server: its sender had the receipt there. */
	if (ev->origin != NULL)
		from = NULL;
	if (to != NULL && !chat_member_refuses(to, ev->from)) {
		sbuf_reset(sb);
		chat_render(sb, ev, recipient_view(to, ev->kind));
		if (to->room != NULL) {
			chat_member_send_line(to, sb->data, sb->len, ev->kind);   /* counts */
		} else {
			tell(to, sb);
			reg->stats.delivered[ev->kind]++;
		}
		if (ev->kind == CHAT_DM && ev->from != NULL &&
		    (to->reply_to == NULL || strcmp(to->reply_to, ev->from) != 0)) {
			free(to->reply_to);
			to->reply_to = xstrdup(ev->from);
		}
	}
	if (from != NULL) {
		sbuf_reset(sb);
		chat_render(sb, ev, CHAT_VIEW_SENDER);
		tell(from, sb);
		reg->stats.delivered[ev->kind]++;
		/* Away: the sender hears it once (an ignoring recipient's away is its own
		 * business). */
		if (to != NULL && ev->kind == CHAT_DM && !chat_member_refuses(to, ev->from) &&
		    chat_member_away_reply_due(to, ev->from)) {
			sbuf_reset(sb);
			chat_render_away(sb, chat_member_handle(to), chat_member_away(to));
			tell(from, sb);
		}
	}
}

/* To every member anywhere: rendered once, one shared frame for every member in a
 * room (over its prompt), told to the others (at a menu). */
static void deliver_everywhere(struct chat_registry *reg, struct chat_event *ev)
{
	struct sbuf *sb = &reg->scratch;
	struct sbuf wrapped = SBUF_INIT;
	struct chat_frame f;
	if (ev->origin == NULL || ev->ts_ms == 0)
		ev->ts_ms = chat_wall_ms();
	reg->stats.events[ev->kind]++;
	sbuf_reset(sb);
	chat_render(sb, ev, CHAT_VIEW_RECIPIENT);
	chat_frame_wrap(&wrapped, sb->data, sb->len, &f);
	for (size_t b = 0; b < reg->n_buckets; b++) {
		for (struct chat_member *m = reg->buckets[b]; m != NULL; m = m->next) {
			if (m->room != NULL) {
				chat_frame_send(m, &f, ev->kind);
			} else {
				tell(m, sb);
				reg->stats.delivered[ev->kind]++;
			}
		}
	}
	chat_frame_release(&f);
	sbuf_free(&wrapped);
}

void chat_deliver(struct chat_registry *reg, struct chat_event *ev)
{
	/* Events that happen here go to the other servers too (a room's before its
	 * fan-out here, the others after); events from the bus stop here. */
	bool publish = ev->origin == NULL && reg->bus != NULL;
	if (ev->kind == CHAT_BROADCAST) {
		deliver_everywhere(reg, ev);
		if (publish)
			reg->bus->publish(reg->bus_ud, ev);
		return;
	}
	if (ev->kind == CHAT_DM || ev->kind == CHAT_PAGE || ev->kind == CHAT_INVITE) {
		deliver_private(reg, ev);
		if (publish && ev->to != NULL && chat_registry_find(reg, ev->to) == NULL)
			reg->bus->publish(reg->bus_ud, ev);
		return;
	}
	struct chat_room *r = ev->room ? chat_registry_room(reg, ev->room) : NULL;
	if (r == NULL)
		return;
	/* Published first, stamped: the other servers start their fan-out while this
	 * one writes to its own members.  (A coalesced JOIN/LEAVE with nothing in it
	 * is not sent at all.) */
	bool presence = ev->kind == CHAT_JOIN || ev->kind == CHAT_LEAVE;
	if (publish && !(presence && ev->from == NULL && ev->n_names + ev->n_more == 0)) {
		const char *room = ev->room;
		ev->room = chat_room_name(r);
		chat_room_stamp(r, ev);
		reg->bus->publish(reg->bus_ud, ev);
		ev->room = room;
	}
	chat_room_deliver(r, ev);
}
