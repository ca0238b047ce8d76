#include "chat/room.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "chat/internal.h"
#include "chat/render.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SAVE_INTERVAL_MS 200        /* scrollback is written in batches */
#define TRIM_EVERY 512              /* saves between trims of the stored scrollback */
#define COALESCE_NAMES_MAX 64

/* A line said in the room, kept for newcomers: rendered UTF-8 terminal bytes. */
struct past {
	uint64_t seq;
	struct buf *term;
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
	struct chat_room_settings set;
	struct flood_cfg flood_cfg;
	struct store *store;             /* borrowed, or NULL */
	chat_deliver_fn deliver;         /* where the room's own announcements go */
	void *deliver_ud;

	struct chat_member **members;
	size_t n_members, cap_members;
	uint64_t next_seq;

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

static bool stored_kind(enum chat_kind k)
{
	return k == CHAT_PUBLIC || k == CHAT_ACTION || k == CHAT_SYSOP;
}

const char *chat_room_name(const struct chat_room *r) { return r->set.name; }
size_t chat_room_count(const struct chat_room *r) { return r->n_members; }
const struct flood_cfg *chat_room_flood(const struct chat_room *r) { return &r->flood_cfg; }

void chat_room_set_deliver(struct chat_room *r, chat_deliver_fn fn, void *ud)
{
	r->deliver = fn;
	r->deliver_ud = ud;
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

static void save_unsaved(struct chat_room *r)
{
	if (r->n_unsaved == 0)
		return;
	bool tx = store_begin(r->store) == STORE_OK;
	for (size_t i = 0; i < r->n_unsaved; i++) {
		struct unsaved *u = &r->unsaved[i];
		store_chat_append(r->store, r->set.store_key, u->seq, u->ts_ms, u->kind, u->from,
		                  NULL, u->text);
		free(u->from);
		free(u->text);
	}
	if (tx && store_commit(r->store) != STORE_OK)
		store_rollback(r->store);
	r->n_unsaved = 0;
	if (++r->saves % TRIM_EVERY == 0)
		store_chat_trim(r->store, r->set.store_key,
		                (int64_t)(r->ring_cap > 1000 ? r->ring_cap : 1000));
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

static void frame_release(struct chat_frame *f)
{
	for (size_t v = 0; v < CHAT_FRAME_VARIANTS; v++)
		buf_unref(f->cache[v]);
}

static void send_to(struct chat_member *m, struct chat_frame *f)
{
	struct chat_sink *sink = m->sink;
	if (sink->ops->send_shared(sink, f) && m->typing)
		sink->ops->redraw_input(sink);
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

static void begin_line(struct sbuf *sb)
{
	sbuf_reset(sb);
	sbuf_puts(sb, "\r\x1b[K");       /* over the prompt line */
}

/* A member named in a coalesced announcement is not told of itself, but it is told
 * of the others who came (or went) in the same window: a line of its own naming
 * them.  (Without it, callers arriving together never learn of each other.) */
static void announce_to_named(struct chat_room *r, const struct chat_event *ev)
{
	const char *others[COALESCE_NAMES_MAX];
	if (ev->names == NULL || ev->n_names + ev->n_more < 2)
		return;
	struct sbuf line = SBUF_INIT;
	for (size_t i = 0; i < r->n_members; i++) {
		struct chat_member *m = r->members[i];
		size_t n = 0;
		bool me = false;
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
		begin_line(&line);
		chat_render(&line, &mine, CHAT_VIEW_RECIPIENT);
		sbuf_puts(&line, CHAT_PROMPT);
		struct chat_frame f = { .term = line.data, .len = line.len };
		send_to(m, &f);
		frame_release(&f);
	}
	sbuf_free(&line);
}

void chat_room_deliver(struct chat_room *r, struct chat_event *ev)
{
	bool presence = ev->kind == CHAT_JOIN || ev->kind == CHAT_LEAVE;
	assert(ev->kind != CHAT_DM && ev->kind != CHAT_PAGE);
	if (presence && ev->from == NULL && ev->n_names + ev->n_more == 0)
		return;              /* nothing collected of this kind */
	ev->seq = r->next_seq++;
	ev->ts_ms = chat_wall_ms();
	begin_line(&r->scratch);
	size_t start = r->scratch.len;
	chat_render(&r->scratch, ev, CHAT_VIEW_RECIPIENT);
	if (stored_kind(ev->kind)) {
		remember(r, ev->seq, r->scratch.data + start, r->scratch.len - start);
		keep(r, ev);
	}
	sbuf_puts(&r->scratch, CHAT_PROMPT);
	struct chat_frame f = { .term = r->scratch.data, .len = r->scratch.len };
	for (size_t i = 0; i < r->n_members; i++) {
		struct chat_member *m = r->members[i];
		/* Nobody is told of their own arrival or departure. */
		if (presence && named(ev, m))
			continue;
		send_to(m, &f);
	}
	frame_release(&f);
	if (presence)
		announce_to_named(r, ev);
}

void chat_member_send_line(struct chat_member *m, const uint8_t *term, size_t len)
{
	struct sbuf line = SBUF_INIT;
	begin_line(&line);
	sbuf_append(&line, term, len);
	sbuf_puts(&line, CHAT_PROMPT);
	struct chat_frame f = { .term = line.data, .len = line.len };
	send_to(m, &f);
	frame_release(&f);
	sbuf_free(&line);
}

/* ---- joins and leaves, coalesced ---- */

static void deliver_own(struct chat_room *r, struct chat_event *ev)
{
	ev->room = r->set.name;
	r->deliver(r->deliver_ud, ev);
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

enum chat_join_result chat_room_join(struct chat_room *r, struct chat_member *m,
                                     int64_t now_ms)
{
	assert(m->room == NULL);
	if (r->n_members >= r->set.capacity)
		return CHAT_ROOM_FULL;
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
	log_info("chat: %s joined %s (%zu in the room)", m->sink->handle, r->set.name,
	         r->n_members);
	join_or_leave(r, CHAT_JOIN, m->sink->handle);
	return CHAT_JOINED;
}

void chat_room_leave(struct chat_member *m)
{
	struct chat_room *r = m->room;
	if (r == NULL)
		return;
	size_t i = m->index;
	assert(i < r->n_members && r->members[i] == m);
	r->members[i] = r->members[--r->n_members];
	r->members[i]->index = (uint32_t)i;
	m->room = NULL;
	m->typing = false;
	log_info("chat: %s left %s (%zu in the room)", m->sink->handle, r->set.name,
	         r->n_members);
	join_or_leave(r, CHAT_LEAVE, m->sink->handle);
}

void chat_room_welcome(const struct chat_room *r, const struct chat_member *me,
                       struct sbuf *out)
{
	const char *names[CHAT_RENDER_WELCOME_NAMES_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; i < r->n_members && n < CHAT_RENDER_WELCOME_NAMES_MAX + 1; i++)
		if (r->members[i] != me)
			names[n++] = r->members[i]->sink->handle;
	sbuf_puts(out, "\x1b[0m\x1b[2J\x1b[H");
	chat_render_welcome(out, r->set.name, names, n);
	/* The last lines said, oldest first. */
	size_t show = r->set.scrollback < r->ring_len ? r->set.scrollback : r->ring_len;
	for (size_t i = r->ring_len - show; i < r->ring_len; i++) {
		const struct buf *b = r->ring[(r->ring_head + i) % r->ring_cap].term;
		sbuf_append(out, b->data, b->len);
	}
}

size_t chat_room_who(const struct chat_room *r, struct chat_who_entry *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_members && n < max; i++) {
		const struct chat_member *m = r->members[i];
		out[n++] = (struct chat_who_entry){ m->sink->handle, m->since_ms, m->sink->level };
	}
	return n;
}

/* ---- the room itself ---- */

static void deliver_here(void *ud, struct chat_event *ev)
{
	chat_room_deliver(ud, ev);
}

struct chat_room *chat_room_new(const struct chat_room_settings *set, uv_loop_t *loop,
                                struct store *st)
{
	struct chat_room *r = xcalloc(1, sizeof(*r));
	r->set = *set;
	r->store = st;
	r->deliver = deliver_here;
	r->deliver_ud = r;
	r->flood_cfg = (struct flood_cfg){ set->flood_rate, set->flood_burst, 5000 };
	r->ring_cap = set->history > set->scrollback ? set->history : set->scrollback;
	r->ring = xcalloc(r->ring_cap ? r->ring_cap : 1, sizeof(*r->ring));
	if (set->coalesce_ms > 0)
		r->coalesce = chat_coalesce_new(set->coalesce_ms, COALESCE_NAMES_MAX);
	uv_timer_init(loop, &r->save_timer);
	r->save_timer.data = r;
	uv_timer_init(loop, &r->coalesce_timer);
	r->coalesce_timer.data = r;
	if (st != NULL) {
		r->next_seq = store_chat_max_seq(st, set->store_key) + 1;
		store_chat_recent(st, set->store_key, (int)r->ring_cap, load_row, r);
	} else {
		r->next_seq = 1;
	}
	return r;
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
