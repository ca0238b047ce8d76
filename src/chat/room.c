#include "chat/room.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chat/internal.h"
#include "chat/registry.h"
#include "chat/render.h"
#include "store/queue.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SAVE_INTERVAL_MS 200        /* scrollback is written in batches */
#define TRIM_EVERY 512              /* saves between trims of the stored scrollback */
#define COALESCE_NAMES_MAX 64
#define INVITES_MAX 64
#define KICKS_MAX 256               /* callers kept out of one room at once */

/* What a line is wrapped in line by line (see enum chat_layout): over the prompt
 * line, followed by the prompt; on a split screen, CHAT_SPLIT_BEFORE/AFTER. */
#define LINE_BEFORE "\r\x1b[K"
/* The status line, one row above the input line. */
#define STATUS_BEFORE "\x1b" "7\x1b[A\r"
#define STATUS_AFTER "\x1b[K\x1b[0m\x1b" "8"

/* A line said in the room, kept for newcomers: rendered UTF-8 terminal bytes. */
struct past {
	uint64_t seq;
	struct buf *term;
};

/* A caller kicked out of the room may not come back before until_ms (wall clock). */
struct kick {
	char *handle;
	int64_t until_ms;
};

/* A public event waiting to be written to the store. */
struct unsaved {
	uint64_t seq;
	int64_t ts_ms;
	int kind;
	char *from;
	char *text;
};

struct chat_room {
	struct chat_room_settings set;   /* set.topic is the current topic */
	struct chat_stats *stats;        /* where it counts: own_stats or its registry's */
	struct chat_stats own_stats;
	struct flood_cfg flood_cfg;
	struct store *store;             /* borrowed, or NULL */
	struct store_queue *queue;       /* borrowed: writes go through it; or NULL */
	struct chat_registry *reg;       /* the registry it is in, or NULL */

	struct chat_member **members;
	size_t n_members, cap_members;
	size_t n_split;                  /* members with the split layout */
	uint64_t next_seq;

	bool private_;
	char **invited;                  /* handles, n_invited of them */
	size_t n_invited;
	struct kick *kicks;              /* callers kicked out, until their time is up */
	size_t n_kicks;

	struct past *ring;               /* history: ring_cap slots */
	size_t ring_cap, ring_head, ring_len;

	struct unsaved *unsaved;
	size_t n_unsaved, cap_unsaved;
	unsigned saves;
	uv_timer_t save_timer;

	struct chat_coalesce *coalesce;  /* NULL: joins and leaves announced at once */
	uv_timer_t coalesce_timer;
	unsigned open_handles;           /* timers not yet closed, once freeing */

	struct sbuf scratch;             /* rendering, reused */
};

static void keep_out(struct chat_room *r, const char *handle, int64_t until_ms, int64_t now_ms);
static void remove_member(struct chat_room *r, struct chat_member *m);
static bool vanish_if_empty(struct chat_room *r);

static bool stored_kind(enum chat_kind k)
{
	return k == CHAT_PUBLIC || k == CHAT_ACTION || k == CHAT_SYSOP;
}

static bool is_sysop(const struct chat_member *m)
{
	return m->sink->level >= CHAT_LEVEL_SYSOP;
}

bool chat_room_name_ok(const char *name)
{
	size_t n = 0;
	for (const char *p = name; *p != '\0'; p++, n++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!ok || n >= CHAT_ROOM_NAME_MAX)
			return false;
	}
	return n > 0;
}

const char *chat_room_name(const struct chat_room *r) { return r->set.name; }
size_t chat_room_count(const struct chat_room *r) { return r->n_members; }
const struct chat_room_settings *chat_room_settings(const struct chat_room *r) { return &r->set; }
const char *chat_room_topic(const struct chat_room *r) { return r->set.topic; }
const char *chat_room_owner(const struct chat_room *r) { return r->set.owner; }
bool chat_room_private(const struct chat_room *r) { return r->private_; }
const struct flood_cfg *chat_room_flood(const struct chat_room *r) { return &r->flood_cfg; }
void chat_room_set_registry(struct chat_room *r, struct chat_registry *reg) { r->reg = reg; }
size_t chat_room_capacity(const struct chat_room *r) { return r->set.capacity; }
struct chat_stats *chat_room_stats(struct chat_room *r) { return r->stats; }
const struct chat_stats *chat_room_own_stats(const struct chat_room *r) { return &r->own_stats; }

void chat_room_count_into(struct chat_room *r, struct chat_stats *stats)
{
	r->stats = stats != NULL ? stats : &r->own_stats;
}

/* ---- history ---- */

static void remember(struct chat_room *r, uint64_t seq, const uint8_t *term, size_t len)
{
	if (r->ring_cap == 0)
		return;
	struct buf *b = buf_from(term, len);
	if (b == NULL)
		return;
	size_t slot;
	if (r->ring_len < r->ring_cap) {
		slot = (r->ring_head + r->ring_len++) % r->ring_cap;
	} else {
		slot = r->ring_head;
		buf_unref(r->ring[slot].term);
		r->ring_head = (r->ring_head + 1) % r->ring_cap;
	}
	r->ring[slot] = (struct past){ seq, b };
}

static void load_row(void *ud, const struct store_chat_row *row)
{
	struct chat_room *r = ud;
	struct chat_event ev = {
		.seq = row->seq, .ts_ms = row->ts_ms, .kind = (enum chat_kind)row->kind,
		.from = row->from, .text = row->text,
		.from_level = row->kind == CHAT_SYSOP ? CHAT_LEVEL_SYSOP : CHAT_LEVEL_USER,
	};
	if (!stored_kind(ev.kind))
		return;
	sbuf_reset(&r->scratch);
	chat_render(&r->scratch, &ev, CHAT_VIEW_RECIPIENT);
	remember(r, row->seq, r->scratch.data, r->scratch.len);
}

/* A batch of lines on its way to the store, and (every TRIM_EVERY batches) the
 * trim behind it: the job owns the lines. */
struct save_job {
	char key[64];
	struct unsaved *lines;
	size_t n;
	int64_t trim_keep;        /* > 0: trim to this many afterwards */
};

static void save_work(struct store *st, void *arg)
{
	struct save_job *j = arg;
	bool tx = store_begin(st) == STORE_OK;
	for (size_t i = 0; i < j->n; i++) {
		struct unsaved *u = &j->lines[i];
		store_chat_append(st, j->key, u->seq, u->ts_ms, u->kind, u->from, NULL, u->text);
	}
	if (tx && store_commit(st) != STORE_OK)
		store_rollback(st);
	if (j->trim_keep > 0)
		store_chat_trim(st, j->key, j->trim_keep);
}

static void save_done(void *arg)
{
	struct save_job *j = arg;
	for (size_t i = 0; i < j->n; i++) {
		free(j->lines[i].from);
		free(j->lines[i].text);
	}
	free(j->lines);
	free(j);
}

static void save_unsaved(struct chat_room *r)
{
	if (r->n_unsaved == 0)
		return;
	struct save_job local = { .lines = r->unsaved, .n = r->n_unsaved };
	if (++r->saves % TRIM_EVERY == 0)
		local.trim_keep = (int64_t)(r->ring_cap > 1000 ? r->ring_cap : 1000);
	snprintf(local.key, sizeof(local.key), "%s", r->set.store_key);
	if (r->queue == NULL || !store_queue_threaded(r->queue)) {
		/* At once (SQLite): the room keeps its array for the next batch. */
		if (r->queue == NULL)
			save_work(r->store, &local);
		else
			store_queue_submit(r->queue, save_work, NULL, &local);   /* runs now */
		for (size_t i = 0; i < local.n; i++) {
			free(local.lines[i].from);
			free(local.lines[i].text);
		}
		r->n_unsaved = 0;
		return;
	}
	/* Off the loop (PostgreSQL): the job takes the lines. */
	struct save_job *j = xmalloc(sizeof(*j));
	*j = local;
	r->unsaved = NULL;
	r->n_unsaved = r->cap_unsaved = 0;
	if (store_queue_submit(r->queue, save_work, save_done, j) != 0) {
		log_warn("event=chat_not_saved room=%s lines=%zu reason=db_queue_full",
		         LOG_Q(r->set.name), j->n);
		save_done(j);
	}
}

static void save_cb(uv_timer_t *t)
{
	save_unsaved(t->data);
}

static void keep(struct chat_room *r, const struct chat_event *ev)
{
	if (r->store == NULL)
		return;
	if (r->n_unsaved == r->cap_unsaved) {
		r->cap_unsaved = r->cap_unsaved ? r->cap_unsaved * 2 : 64;
		r->unsaved = xrealloc(r->unsaved, r->cap_unsaved * sizeof(*r->unsaved));
	}
	r->unsaved[r->n_unsaved++] = (struct unsaved){
		ev->seq, ev->ts_ms, (int)ev->kind, xstrdup(ev->from ? ev->from : ""),
		xstrdup(ev->text ? ev->text : ""),
	};
	if (!uv_is_active((uv_handle_t *)&r->save_timer))
		uv_timer_start(&r->save_timer, save_cb, SAVE_INTERVAL_MS, 0);
}

/* ---- fan-out ---- */

void chat_frame_wrap(struct sbuf *sb, const uint8_t *term, size_t len, struct chat_frame *f)
{
	sbuf_reset(sb);
	sbuf_puts(sb, LINE_BEFORE);
	sbuf_append(sb, term, len);
	sbuf_puts(sb, CHAT_PROMPT);
	size_t line_len = sb->len;
	sbuf_puts(sb, CHAT_SPLIT_BEFORE);
	sbuf_append(sb, term, len);
	sbuf_puts(sb, CHAT_SPLIT_AFTER);
	*f = (struct chat_frame){ 0 };
	f->term[CHAT_LAYOUT_LINE] = sb->data;
	f->len[CHAT_LAYOUT_LINE] = line_len;
	f->term[CHAT_LAYOUT_SPLIT] = sb->data + line_len;
	f->len[CHAT_LAYOUT_SPLIT] = sb->len - line_len;
}

void chat_frame_release(struct chat_frame *f)
{
	for (size_t l = 0; l < CHAT_LAYOUTS; l++)
		for (size_t v = 0; v < CHAT_FRAME_VARIANTS; v++)
			buf_unref(f->cache[l][v]);
}

/* Queue f for m in its layout, counted as a delivery of kind (CHAT_KIND_COUNT: not
 * a chat line, not counted), or as missed. */
bool chat_frame_send(struct chat_member *m, struct chat_frame *f, enum chat_kind kind)
{
	struct chat_sink *sink = m->sink;
	struct chat_stats *stats = m->room->stats;
	enum chat_layout layout = (enum chat_layout)m->layout;
	if (f->term[layout] == NULL)
		return false;
	if (!sink->ops->send_shared(sink, f, layout)) {
		if (kind < CHAT_KIND_COUNT)
			stats->missed++;
		return false;
	}
	if (kind < CHAT_KIND_COUNT)
		stats->delivered[kind]++;
	if (m->typing && layout == CHAT_LAYOUT_LINE)
		sink->ops->redraw_input(sink);
	return true;
}

/* Is m one of the handles a coalesced JOIN/LEAVE names (or its only `from`)? */
static bool named(const struct chat_event *ev, const struct chat_member *m)
{
	const char *h = m->sink->handle;
	if (ev->names == NULL)
		return ev->from != NULL && strcmp(ev->from, h) == 0;
	for (size_t i = 0; i < ev->n_names; i++)
		if (strcmp(ev->names[i], h) == 0)
			return true;
	return false;
}

/* A member named in a coalesced announcement is not told of itself, but it is told
 * of the others who came (or went) in the same window: a line of its own naming
 * them.  (Without it, callers arriving together never learn of each other.) */
static void announce_to_named(struct chat_room *r, const struct chat_event *ev)
{
	const char *others[COALESCE_NAMES_MAX];
	if (ev->names == NULL || ev->n_names + ev->n_more < 2)
		return;
	struct sbuf line = SBUF_INIT, wrapped = SBUF_INIT;
	for (size_t i = 0; i < r->n_members; i++) {
		struct chat_member *m = r->members[i];
		size_t n = 0;
		bool me = false;
		if (m->quiet)
			continue;
		for (size_t j = 0; j < ev->n_names; j++) {
			if (strcmp(ev->names[j], m->sink->handle) == 0)
				me = true;
			else if (n < COALESCE_NAMES_MAX)
				others[n++] = ev->names[j];
		}
		if (!me)
			continue;
		struct chat_event mine = *ev;
		mine.names = others;
		mine.n_names = n;
		mine.from = n == 1 && ev->n_more == 0 ? others[0] : NULL;
		sbuf_reset(&line);
		chat_render(&line, &mine, CHAT_VIEW_RECIPIENT);
		struct chat_frame f;
		chat_frame_wrap(&wrapped, line.data, line.len, &f);
		chat_frame_send(m, &f, ev->kind);
		chat_frame_release(&f);
	}
	sbuf_free(&line);
	sbuf_free(&wrapped);
}

/* The status line changed (who is here, the topic): redraw it for the members
 * with the split layout, one shared buffer for all of them. */
static void status_changed(struct chat_room *r)
{
	if (r->n_split == 0)
		return;
	struct sbuf sb = SBUF_INIT;
	sbuf_puts(&sb, STATUS_BEFORE);
	chat_room_status(r, 80, &sb);
	sbuf_puts(&sb, STATUS_AFTER);
	struct chat_frame f = { .term[CHAT_LAYOUT_SPLIT] = sb.data,
	                        .len[CHAT_LAYOUT_SPLIT] = sb.len };
	for (size_t i = 0; i < r->n_members; i++)
		if (r->members[i]->layout == CHAT_LAYOUT_SPLIT)
			chat_frame_send(r->members[i], &f, CHAT_KIND_COUNT);   /* uncounted */
	chat_frame_release(&f);
	sbuf_free(&sb);
}

struct topic_job {
	char key[64];
	char topic[4 * CHAT_TOPIC_MAX + 1];
};

static void topic_work(struct store *st, void *arg)
{
	struct topic_job *j = arg;
	store_chat_topic_set(st, j->key, j->topic);
}

static void set_topic(struct chat_room *r, const char *text, bool here)
{
	snprintf(r->set.topic, sizeof(r->set.topic), "%s", text ? text : "");
	if (!here || r->store == NULL || r->set.made_by_caller)
		return;
	struct topic_job *j = xcalloc(1, sizeof(*j));
	snprintf(j->key, sizeof(j->key), "%s", r->set.store_key);
	snprintf(j->topic, sizeof(j->topic), "%s", r->set.topic);
	if (r->queue == NULL) {
		topic_work(r->store, j);
		free(j);
	} else if (store_queue_submit(r->queue, topic_work, free, j) != 0) {
		free(j);
	}
}

/* The room's next sequence number.  Alone: 1, 2, 3...  In a cluster sharing a
 * store (the registry's seq_id): the time in ms << 20 | a counter << 12 | seq_id,
 * rising here and unique among the servers. */
static uint64_t stamp(struct chat_room *r, int64_t ts_ms)
{
	unsigned id = r->reg != NULL ? chat_registry_seq_id(r->reg) : 0;
	if (id == 0)
		return r->next_seq++;
	uint64_t s = ((uint64_t)ts_ms << 20) | id;
	if (s < r->next_seq)
		s = ((((r->next_seq - 1) >> 12) + 1) << 12) | id;
	r->next_seq = s + 1;
	return s;
}

void chat_room_stamp(struct chat_room *r, struct chat_event *ev)
{
	ev->ts_ms = chat_wall_ms();
	ev->seq = stamp(r, ev->ts_ms);
}

void chat_room_deliver(struct chat_room *r, struct chat_event *ev)
{
	bool presence = ev->kind == CHAT_JOIN || ev->kind == CHAT_LEAVE;
	bool ignorable = ev->kind != CHAT_SYSOP && ev->kind != CHAT_SYSTEM;
	assert(ev->kind != CHAT_DM && ev->kind != CHAT_PAGE && ev->kind != CHAT_INVITE &&
	       ev->kind != CHAT_BROADCAST);
	if (presence && ev->from == NULL && ev->n_names + ev->n_more == 0)
		return;              /* nothing collected of this kind */
	if (ev->kind == CHAT_TOPIC)
		set_topic(r, ev->text, ev->origin == NULL);
	/* A kick: the caller is out (no leave line: the kick is the line) and kept
	 * out; it is told through its sink once the room has heard. */
	struct chat_member *kicked = NULL;
	if (ev->kind == CHAT_KICK && ev->to != NULL) {
		keep_out(r, ev->to, ev->until_ms, chat_wall_ms());
		for (size_t i = 0; i < r->n_members && kicked == NULL; i++)
			if (strcasecmp(r->members[i]->sink->handle, ev->to) == 0)
				kicked = r->members[i];
		if (kicked != NULL)
			remove_member(r, kicked);
	}
	/* An event stamped already (from another server: its origin keeps it in the
	 * store; or stamped to be published first) keeps its stamp. */
	if (ev->seq == 0 || ev->ts_ms == 0)
		chat_room_stamp(r, ev);
	r->stats->events[ev->kind]++;
	sbuf_reset(&r->scratch);
	chat_render(&r->scratch, ev, CHAT_VIEW_RECIPIENT);
	if (stored_kind(ev->kind)) {
		remember(r, ev->seq, r->scratch.data, r->scratch.len);
		if (ev->origin == NULL)
			keep(r, ev);
	}
	struct sbuf wrapped = SBUF_INIT;
	struct chat_frame f;
	chat_frame_wrap(&wrapped, r->scratch.data, r->scratch.len, &f);
	for (size_t i = 0; i < r->n_members; i++) {
		struct chat_member *m = r->members[i];
		/* Nobody is told of their own arrival or departure; quiet members of
		 * nobody's; nothing from an ignored caller reaches anyone. */
		if (presence && (m->quiet || named(ev, m)))
			continue;
		if (ignorable && chat_member_refuses(m, ev->from))
			continue;
		chat_frame_send(m, &f, ev->kind);
	}
	chat_frame_release(&f);
	sbuf_free(&wrapped);
	if (presence)
		announce_to_named(r, ev);
	if (presence || ev->kind == CHAT_TOPIC || kicked != NULL)
		status_changed(r);
	if (kicked != NULL) {
		kicked->sink->ops->evicted(kicked->sink, ev);
		vanish_if_empty(r);
	}
}

bool chat_member_send_line(struct chat_member *m, const uint8_t *term, size_t len,
                           enum chat_kind kind)
{
	struct sbuf wrapped = SBUF_INIT;
	struct chat_frame f;
	chat_frame_wrap(&wrapped, term, len, &f);
	bool sent = chat_frame_send(m, &f, kind);
	chat_frame_release(&f);
	sbuf_free(&wrapped);
	return sent;
}

/* ---- joins and leaves, coalesced ---- */

static void deliver_own(struct chat_room *r, struct chat_event *ev)
{
	ev->room = r->set.name;
	if (r->reg != NULL)
		chat_deliver(r->reg, ev);
	else
		chat_room_deliver(r, ev);
}

static void coalesce_cb(uv_timer_t *t)
{
	struct chat_room *r = t->data;
	struct chat_event joins, leaves;
	chat_coalesce_take(r->coalesce, &joins, &leaves);
	deliver_own(r, &leaves);
	deliver_own(r, &joins);
	chat_coalesce_reset(r->coalesce);
}

static void join_or_leave(struct chat_room *r, enum chat_kind kind, const char *handle)
{
	if (r->coalesce == NULL) {
		struct chat_event ev = { .kind = kind, .from = handle };
		deliver_own(r, &ev);
		return;
	}
	if (chat_coalesce_add(r->coalesce, kind, handle,
	                      (int64_t)uv_now(r->coalesce_timer.loop)))
		uv_timer_start(&r->coalesce_timer, coalesce_cb, r->set.coalesce_ms, 0);
}

bool chat_room_may_run(const struct chat_room *r, const struct chat_member *m)
{
	return is_sysop(m) ||
	       (r->set.owner[0] != '\0' && strcasecmp(r->set.owner, m->sink->handle) == 0);
}

/* ---- kicks ---- */

static void forget_kick(struct chat_room *r, size_t i)
{
	free(r->kicks[i].handle);
	r->kicks[i] = r->kicks[--r->n_kicks];
}

int64_t chat_room_kicked_until(const struct chat_room *r, const char *handle, int64_t now_ms)
{
	for (size_t i = 0; i < r->n_kicks; i++)
		if (strcasecmp(r->kicks[i].handle, handle) == 0)
			return r->kicks[i].until_ms > now_ms ? r->kicks[i].until_ms : 0;
	return 0;
}

/* Keep handle out until until_ms: one entry per handle, the expired ones dropped
 * first; when the list is full the entry that ends soonest makes room. */
static void keep_out(struct chat_room *r, const char *handle, int64_t until_ms, int64_t now_ms)
{
	for (size_t i = r->n_kicks; i-- > 0;)
		if (r->kicks[i].until_ms <= now_ms || strcasecmp(r->kicks[i].handle, handle) == 0)
			forget_kick(r, i);
	if (until_ms <= now_ms)
		return;
	if (r->n_kicks == KICKS_MAX) {
		size_t soonest = 0;
		for (size_t i = 1; i < r->n_kicks; i++)
			if (r->kicks[i].until_ms < r->kicks[soonest].until_ms)
				soonest = i;
		forget_kick(r, soonest);
	}
	r->kicks = xrealloc(r->kicks, (r->n_kicks + 1) * sizeof(*r->kicks));
	r->kicks[r->n_kicks++] = (struct kick){ xstrdup(handle), until_ms };
}

bool chat_room_forgive(struct chat_room *r, const char *handle)
{
	for (size_t i = 0; i < r->n_kicks; i++) {
		if (strcasecmp(r->kicks[i].handle, handle) == 0) {
			forget_kick(r, i);
			return true;
		}
	}
	return false;
}

enum chat_join_result chat_room_admits(const struct chat_room *r, const struct chat_member *m)
{
	if (r->n_members >= r->set.capacity)
		return CHAT_ROOM_FULL;
	if (!is_sysop(m) && chat_room_kicked_until(r, m->sink->handle, chat_wall_ms()) != 0)
		return CHAT_ROOM_KICKED;
	if (!chat_room_may_run(r, m)) {
		if (m->sink->rank < r->set.min_rank)
			return CHAT_ROOM_LEVEL;
		if (r->private_ && !chat_room_invited(r, m->sink->handle))
			return CHAT_ROOM_PRIVATE;
	}
	return CHAT_JOINED;
}

enum chat_join_result chat_room_join(struct chat_room *r, struct chat_member *m,
                                     int64_t now_ms)
{
	assert(m->room == NULL);
	enum chat_join_result ok = chat_room_admits(r, m);
	if (ok != CHAT_JOINED) {
		if (ok == CHAT_ROOM_FULL)
			r->stats->full++;
		return ok;
	}
	if (r->n_members == r->cap_members) {
		r->cap_members = r->cap_members ? r->cap_members * 2 : 16;
		r->members = xrealloc(r->members, r->cap_members * sizeof(*r->members));
	}
	m->room = r;
	m->index = (uint32_t)r->n_members;
	m->since_ms = now_ms;
	m->typing = false;
	flood_init(&m->flood, &r->flood_cfg, now_ms);
	r->members[r->n_members++] = m;
	if (m->layout == CHAT_LAYOUT_SPLIT)
		r->n_split++;
	r->stats->joins++;
	log_info("event=chat_join handle=%s room=%s members=%zu", LOG_Q(m->sink->handle),
	         LOG_Q(r->set.name), r->n_members);
	join_or_leave(r, CHAT_JOIN, m->sink->handle);
	return CHAT_JOINED;
}

/* Take m out of its room r, telling nobody. */
static void remove_member(struct chat_room *r, struct chat_member *m)
{
	size_t i = m->index;
	assert(i < r->n_members && r->members[i] == m);
	r->members[i] = r->members[--r->n_members];
	r->members[i]->index = (uint32_t)i;
	if (m->layout == CHAT_LAYOUT_SPLIT)
		r->n_split--;
	m->room = NULL;
	m->typing = false;
	r->stats->leaves++;
	log_info("event=chat_leave handle=%s room=%s members=%zu", LOG_Q(m->sink->handle),
	         LOG_Q(r->set.name), r->n_members);
}

/* A room a caller made goes when it empties: true if r was freed. */
static bool vanish_if_empty(struct chat_room *r)
{
	if (r->n_members == 0 && r->set.made_by_caller && r->reg != NULL) {
		chat_registry_room_empty(r->reg, r);     /* frees r: nobody is left to tell */
		return true;
	}
	return false;
}

void chat_room_leave(struct chat_member *m)
{
	struct chat_room *r = m->room;
	if (r == NULL)
		return;
	remove_member(r, m);
	if (vanish_if_empty(r))
		return;
	join_or_leave(r, CHAT_LEAVE, m->sink->handle);
}

/* The member array counts split-layout members; a member in a room changing layout
 * keeps the count true. */
void chat_member_set_layout(struct chat_member *m, enum chat_layout layout)
{
	if (m->room != NULL && m->layout != layout) {
		if (layout == CHAT_LAYOUT_SPLIT)
			m->room->n_split++;
		else
			m->room->n_split--;
	}
	m->layout = (uint8_t)layout;
}

void chat_room_welcome(const struct chat_room *r, const struct chat_member *me,
                       struct sbuf *out)
{
	const char *names[CHAT_RENDER_WELCOME_NAMES_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; i < r->n_members && n < CHAT_RENDER_WELCOME_NAMES_MAX + 1; i++)
		if (r->members[i] != me)
			names[n++] = r->members[i]->sink->handle;
	/* ... and on the other servers of a cluster. */
	if (r->reg != NULL && n < CHAT_RENDER_WELCOME_NAMES_MAX + 1) {
		size_t room_for = CHAT_RENDER_WELCOME_NAMES_MAX + 1 - n;
		size_t remote = chat_registry_remote_members(r->reg, r->set.name, names + n, room_for);
		n += remote < room_for ? remote : room_for;
	}
	chat_render_welcome(out, r->set.name, r->set.topic, names, n);
	/* The last lines said, oldest first. */
	size_t show = r->set.scrollback < r->ring_len ? r->set.scrollback : r->ring_len;
	for (size_t i = r->ring_len - show; i < r->ring_len; i++) {
		const struct buf *b = r->ring[(r->ring_head + i) % r->ring_cap].term;
		sbuf_append(out, b->data, b->len);
	}
}

void chat_room_status(const struct chat_room *r, unsigned cols, struct sbuf *out)
{
	size_t remote = r->reg != NULL ? chat_registry_remote_members(r->reg, r->set.name, NULL, 0) : 0;
	chat_render_status(out, r->set.name, r->set.topic, r->n_members + remote, r->private_, cols);
}

size_t chat_room_who(const struct chat_room *r, struct chat_who_entry *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_members && n < max; i++) {
		const struct chat_member *m = r->members[i];
		out[n++] = (struct chat_who_entry){ m->sink->handle, m->since_ms, m->sink->level,
		                                    m->away, NULL };
	}
	return n;
}

/* ---- invitations ---- */

static void resize_history(struct chat_room *r, size_t cap)
{
	struct past *ring = xcalloc(cap ? cap : 1, sizeof(*ring));
	size_t keep = r->ring_len < cap ? r->ring_len : cap;
	for (size_t i = 0; i < r->ring_len; i++) {
		struct past *p = &r->ring[(r->ring_head + i) % r->ring_cap];
		if (i < r->ring_len - keep)
			buf_unref(p->term);              /* the oldest go */
		else
			ring[i - (r->ring_len - keep)] = *p;
	}
	free(r->ring);
	r->ring = ring;
	r->ring_cap = cap;
	r->ring_head = 0;
	r->ring_len = keep;
}

void chat_room_configure(struct chat_room *r, const struct chat_room_settings *set)
{
	/* What the room is, not how it is run, stays: its store key, topic (callers
	 * change it), owner. */
	struct chat_room_settings was = r->set;
	if (r->coalesce != NULL && set->coalesce_ms != r->set.coalesce_ms) {
		/* What the old window collected is announced now, under the old name. */
		if (chat_coalesce_pending(r->coalesce, NULL))
			coalesce_cb(&r->coalesce_timer);
		uv_timer_stop(&r->coalesce_timer);
		chat_coalesce_free(r->coalesce);
		r->coalesce = NULL;
	}
	if (r->coalesce == NULL && set->coalesce_ms > 0)
		r->coalesce = chat_coalesce_new(set->coalesce_ms, COALESCE_NAMES_MAX);
	r->set = *set;
	memcpy(r->set.store_key, was.store_key, sizeof(was.store_key));
	memcpy(r->set.topic, was.topic, sizeof(was.topic));
	memcpy(r->set.owner, was.owner, sizeof(was.owner));
	r->set.made_by_caller = was.made_by_caller;
	r->flood_cfg = (struct flood_cfg){ set->flood_rate, set->flood_burst, 5000 };
	size_t cap = set->history > set->scrollback ? set->history : set->scrollback;
	if (cap != r->ring_cap)
		resize_history(r, cap);
	status_changed(r);
}

void chat_room_set_private(struct chat_room *r, bool private_)
{
	r->private_ = private_;
	status_changed(r);
}

bool chat_room_invited(const struct chat_room *r, const char *handle)
{
	for (size_t i = 0; i < r->n_invited; i++)
		if (strcasecmp(r->invited[i], handle) == 0)
			return true;
	return false;
}

bool chat_room_invite(struct chat_room *r, const char *handle)
{
	if (chat_room_invited(r, handle) || r->n_invited >= INVITES_MAX)
		return false;
	r->invited = xrealloc(r->invited, (r->n_invited + 1) * sizeof(*r->invited));
	r->invited[r->n_invited++] = xstrdup(handle);
	return true;
}

bool chat_room_uninvite(struct chat_room *r, const char *handle)
{
	for (size_t i = 0; i < r->n_invited; i++) {
		if (strcasecmp(r->invited[i], handle) == 0) {
			free(r->invited[i]);
			r->invited[i] = r->invited[--r->n_invited];
			return true;
		}
	}
	return false;
}

/* ---- the room itself ---- */

/* What a room keeps in the store, read for a room about to open. */
struct chat_room_saved {
	uint64_t max_seq;
	struct unsaved *rows;          /* oldest first */
	size_t n, cap;
	bool have_topic;
	char topic[4 * CHAT_TOPIC_MAX + 1];
};

static void keep_row(void *ud, const struct store_chat_row *row)
{
	struct chat_room_saved *sv = ud;
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? 2 * sv->cap : 64;
		sv->rows = xrealloc(sv->rows, sv->cap * sizeof(*sv->rows));
	}
	sv->rows[sv->n++] = (struct unsaved){ .seq = row->seq, .ts_ms = row->ts_ms,
	                                      .kind = row->kind, .from = xstrdup(row->from),
	                                      .text = xstrdup(row->text) };
}

struct chat_room_saved *chat_room_read_saved(struct store *st, const struct chat_room_settings *set)
{
	struct chat_room_saved *sv = xcalloc(1, sizeof(*sv));
	size_t cap = set->history > set->scrollback ? set->history : set->scrollback;
	sv->max_seq = store_chat_max_seq(st, set->store_key);
	store_chat_recent(st, set->store_key, (int)cap, keep_row, sv);
	/* A declared room keeps the topic it was given last, across restarts. */
	if (!set->made_by_caller)
		sv->have_topic = store_chat_topic_get(st, set->store_key, sv->topic,
		                                      sizeof(sv->topic)) == STORE_OK;
	return sv;
}

void chat_room_saved_free(struct chat_room_saved *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->n; i++) {
		free(sv->rows[i].from);
		free(sv->rows[i].text);
	}
	free(sv->rows);
	free(sv);
}

struct chat_room *chat_room_new_saved(const struct chat_room_settings *set, uv_loop_t *loop,
                                      struct store *st, struct chat_room_saved *sv)
{
	struct chat_room *r = xcalloc(1, sizeof(*r));
	r->set = *set;
	r->stats = &r->own_stats;
	r->store = st;
	r->flood_cfg = (struct flood_cfg){ set->flood_rate, set->flood_burst, 5000 };
	r->ring_cap = set->history > set->scrollback ? set->history : set->scrollback;
	r->ring = xcalloc(r->ring_cap ? r->ring_cap : 1, sizeof(*r->ring));
	if (set->coalesce_ms > 0)
		r->coalesce = chat_coalesce_new(set->coalesce_ms, COALESCE_NAMES_MAX);
	uv_timer_init(loop, &r->save_timer);
	r->save_timer.data = r;
	uv_timer_init(loop, &r->coalesce_timer);
	r->coalesce_timer.data = r;
	r->next_seq = 1;
	if (sv != NULL) {
		r->next_seq = sv->max_seq + 1;
		for (size_t i = 0; i < sv->n; i++) {
			const struct unsaved *u = &sv->rows[i];
			struct store_chat_row row = { .seq = u->seq, .ts_ms = u->ts_ms, .kind = u->kind,
			                              .from = u->from, .text = u->text };
			load_row(r, &row);
		}
		if (sv->have_topic)
			snprintf(r->set.topic, sizeof(r->set.topic), "%s", sv->topic);
		chat_room_saved_free(sv);
	}
	return r;
}

struct chat_room *chat_room_new(const struct chat_room_settings *set, uv_loop_t *loop,
                                struct store *st)
{
	return chat_room_new_saved(set, loop, st, st ? chat_room_read_saved(st, set) : NULL);
}

void chat_room_set_queue(struct chat_room *r, struct store_queue *q)
{
	r->queue = q;
}

static void timer_closed(uv_handle_t *h)
{
	struct chat_room *r = h->data;
	if (--r->open_handles == 0)
		free(r);
}

void chat_room_free(struct chat_room *r)
{
	if (r == NULL)
		return;
	save_unsaved(r);
	for (size_t i = 0; i < r->n_members; i++)
		r->members[i]->room = NULL;
	free(r->members);
	for (size_t i = 0; i < r->n_invited; i++)
		free(r->invited[i]);
	free(r->invited);
	for (size_t i = 0; i < r->n_kicks; i++)
		free(r->kicks[i].handle);
	free(r->kicks);
	for (size_t i = 0; i < r->ring_len; i++)
		buf_unref(r->ring[(r->ring_head + i) % r->ring_cap].term);
	free(r->ring);
	free(r->unsaved);
	chat_coalesce_free(r->coalesce);
	sbuf_free(&r->scratch);
	uv_handle_t *timers[] = { (uv_handle_t *)&r->save_timer,
	                          (uv_handle_t *)&r->coalesce_timer };
	for (size_t i = 0; i < 2; i++) {
		if (!uv_is_closing(timers[i])) {
			r->open_handles++;
			uv_close(timers[i], timer_closed);
		}
	}
	if (r->open_handles == 0)
		free(r);
}
