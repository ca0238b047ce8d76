#include "chat/room.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "bbs/bbs.h"
#include "bbs/session.h"
#include "bbs/states.h"
#include "chat/flood.h"
#include "chat/render.h"
#include "net/conn.h"
#include "store/store.h"
#include "term/lineedit.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SAVE_INTERVAL_MS 200        /* scrollback is written in batches */
#define TRIM_EVERY 512              /* saves between trims of the stored scrollback */
#define COALESCE_NAMES_MAX 64

struct member {
	struct session *s;
	size_t index;                    /* in room->members */
	int64_t since_ms;
	unsigned level;                  /* chat scale (CHAT_LEVEL_*) */
	struct flood flood;
	char handle[32];
	char reply_to[32];               /* who last sent this member a DM */
};

/* A line said in the room, kept for newcomers: rendered UTF-8 terminal bytes. */
struct past {
	uint64_t seq;
	struct buf *term;
};

/* A public event waiting to be written to SQLite. */
struct unsaved {
	uint64_t seq;
	int64_t ts_ms;
	int kind;
	char *from;
	char *text;
};

struct chat_room {
	struct bbs *bbs;
	const struct config *cfg;
	struct member **members;
	size_t n_members, cap_members;
	uint64_t next_seq;

	struct past *ring;               /* history, cfg->chat_history slots */
	size_t ring_cap, ring_head, ring_len;

	struct unsaved *unsaved;
	size_t n_unsaved, cap_unsaved;
	unsigned saves;
	uv_timer_t save_timer;

	struct chat_coalesce *coalesce;
	uv_timer_t coalesce_timer;

	struct flood_cfg flood_cfg;
	struct sbuf scratch;
};

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stored_kind(enum chat_kind k)
{
	return k == CHAT_PUBLIC || k == CHAT_ACTION || k == CHAT_SYSOP;
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
	struct store *st = bbs_store(r->bbs);
	if (r->n_unsaved == 0)
		return;
	bool tx = store_begin(st) == STORE_OK;
	for (size_t i = 0; i < r->n_unsaved; i++) {
		struct unsaved *u = &r->unsaved[i];
		store_chat_append(st, u->seq, u->ts_ms, u->kind, u->from, NULL, u->text);
		free(u->from);
		free(u->text);
	}
	if (tx && store_commit(st) != STORE_OK)
		store_rollback(st);
	r->n_unsaved = 0;
	if (++r->saves % TRIM_EVERY == 0)
		store_chat_trim(st, (int64_t)(r->ring_cap > 1000 ? r->ring_cap : 1000));
}

static void save_cb(uv_timer_t *t)
{
	save_unsaved(t->data);
}

static void keep(struct chat_room *r, const struct chat_event *ev)
{
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

/* ---- members ---- */

static struct member *member_of(const struct session *s)
{
	return session_chat((struct session *)s);
}

bool chat_room_has(const struct chat_room *room, const struct session *s)
{
	(void)room;
	return member_of(s) != NULL;
}

const char *chat_room_reply_to(const struct session *s)
{
	const struct member *m = member_of(s);
	return m ? m->reply_to : "";
}

bool chat_room_allow(struct chat_room *r, struct session *s)
{
	struct member *m = member_of(s);
	return m != NULL && flood_allow(&m->flood, &r->flood_cfg, (int64_t)session_now(s));
}

bool chat_room_flood_notice(struct chat_room *r, struct session *s, uint64_t *dropped)
{
	struct member *m = member_of(s);
	return m != NULL && flood_notice_due(&m->flood, &r->flood_cfg, (int64_t)session_now(s), dropped);
}

static unsigned chat_level(int level)
{
	return level >= LEVEL_SYSOP ? CHAT_LEVEL_SYSOP : CHAT_LEVEL_USER;
}

/* The scratch of whichever session was writing goes out first, so that what the
 * room sends now comes after it on that connection. */
static void flush_writer(struct chat_room *r)
{
	struct session *owner = *bbs_scratch_owner(r->bbs);
	if (owner)
		session_flush(owner);
}

/* After shared output, put back a member's half-typed line. */
static void restore_input(struct session *s)
{
	struct lineedit *le = session_editor(s);
	size_t n;
	le_line(le, &n);
	if (n == 0)
		return;
	struct sbuf *out = session_out(s);
	le_erase(le, out);
	le_redraw(le, out);
	session_flush(s);
}

/* Send term (a complete chat line + prompt) to every member but `skip`. */
static void fan_out(struct chat_room *r, const uint8_t *term, size_t len,
                    bool (*skip)(const struct member *m, const void *ud), const void *ud)
{
	struct buf *cache[CONN_VARIANT_COUNT] = { 0 };
	flush_writer(r);
	for (size_t i = 0; i < r->n_members; i++) {
		struct member *m = r->members[i];
		if (skip && skip(m, ud))
			continue;
		struct conn *c = session_conn(m->s);
		if (c == NULL)
			continue;
		struct buf *b = conn_frame_cached(c, cache, term, len);
		if (b != NULL && conn_send_shared(c, b))
			restore_input(m->s);
	}
	for (size_t v = 0; v < CONN_VARIANT_COUNT; v++)
		buf_unref(cache[v]);
}

static void begin_line(struct sbuf *sb)
{
	sbuf_reset(sb);
	sbuf_puts(sb, "\r\x1b[K");       /* over the prompt line */
}

void chat_room_publish(struct chat_room *r, struct chat_event *ev)
{
	ev->seq = r->next_seq++;
	ev->ts_ms = wall_ms();
	begin_line(&r->scratch);
	size_t start = r->scratch.len;
	chat_render(&r->scratch, ev, CHAT_VIEW_RECIPIENT);
	size_t end = r->scratch.len;
	if (stored_kind(ev->kind)) {
		remember(r, ev->seq, r->scratch.data + start, end - start);
		keep(r, ev);
	}
	sbuf_puts(&r->scratch, CHAT_PROMPT);
	fan_out(r, r->scratch.data, r->scratch.len, NULL, NULL);
}

static void tell_raw(struct session *s, const uint8_t *term, size_t len)
{
	struct lineedit *le = session_editor(s);
	struct sbuf *out = session_out(s);
	le_erase(le, out);
	sbuf_append(out, term, len);
	le_redraw(le, out);
	session_flush(s);
}

void chat_room_tell(struct chat_room *room, struct session *s, const uint8_t *term, size_t len)
{
	(void)room;
	tell_raw(s, term, len);
}

/* A DM or page: rendered for each end and written to those two connections only.
 * A recipient outside the room (a page) gets it above whatever it is doing. */
void chat_room_private(struct chat_room *r, struct chat_event *ev, struct session *from,
                       struct session *to)
{
	ev->seq = r->next_seq++;
	ev->ts_ms = wall_ms();
	flush_writer(r);
	struct sbuf *sb = &r->scratch;
	sbuf_reset(sb);
	chat_render(sb, ev, CHAT_VIEW_RECIPIENT);
	struct conn *tc = session_conn(to);
	if (tc != NULL) {
		struct buf *b = NULL;
		if (member_of(to)) {
			/* Through the shared path so a congested reader counts it as missed. */
			struct sbuf line = SBUF_INIT;
			sbuf_puts(&line, "\r\x1b[K");
			sbuf_append(&line, sb->data, sb->len);
			sbuf_puts(&line, CHAT_PROMPT);
			struct buf *cache[CONN_VARIANT_COUNT] = { 0 };
			b = conn_frame_cached(tc, cache, line.data, line.len);
			if (b != NULL && conn_send_shared(tc, b))
				restore_input(to);
			for (size_t v = 0; v < CONN_VARIANT_COUNT; v++)
				buf_unref(cache[v]);
			sbuf_free(&line);
		} else {
			struct sbuf *out = session_out(to);
			sbuf_puts(out, "\r\n");
			sbuf_append(out, sb->data, sb->len);
			session_flush(to);
		}
		struct member *tm = member_of(to);
		if (tm != NULL && ev->kind == CHAT_DM && ev->from)
			snprintf(tm->reply_to, sizeof(tm->reply_to), "%s", ev->from);
	}
	sbuf_reset(sb);
	chat_render(sb, ev, CHAT_VIEW_SENDER);
	tell_raw(from, sb->data, sb->len);
}

size_t chat_room_who(struct chat_room *r, struct chat_who_entry *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_members && n < max; i++) {
		struct member *m = r->members[i];
		out[n++] = (struct chat_who_entry){ m->handle, m->since_ms, m->level };
	}
	return n;
}

struct session *chat_room_find_caller(struct chat_room *r, const char *handle)
{
	for (unsigned n = 1; n <= bbs_node_count(r->bbs); n++) {
		struct session *s = bbs_node_session(r->bbs, n);
		if (s && session_logged_in(s) && session_conn(s) && !conn_closing(session_conn(s)) &&
		    strcasecmp(session_user(s)->handle, handle) == 0)
			return s;
	}
	return NULL;
}

/* ---- joins and leaves, coalesced ---- */

static bool skip_named(const struct member *m, const void *ud)
{
	const struct chat_event *ev = ud;
	if (ev->names == NULL)
		return ev->from && strcmp(ev->from, m->handle) == 0;
	for (size_t i = 0; i < ev->n_names; i++)
		if (strcmp(ev->names[i], m->handle) == 0)
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
	struct sbuf line = SBUF_INIT;
	for (size_t i = 0; i < r->n_members; i++) {
		struct member *m = r->members[i];
		struct conn *c = session_conn(m->s);
		size_t n = 0;
		bool named = false;
		for (size_t j = 0; j < ev->n_names; j++) {
			if (strcmp(ev->names[j], m->handle) == 0)
				named = true;
			else if (n < COALESCE_NAMES_MAX)
				others[n++] = ev->names[j];
		}
		if (!named || c == NULL)
			continue;
		struct chat_event mine = *ev;
		mine.names = others;
		mine.n_names = n;
		mine.from = n == 1 && ev->n_more == 0 ? others[0] : NULL;
		begin_line(&line);
		chat_render(&line, &mine, CHAT_VIEW_RECIPIENT);
		sbuf_puts(&line, CHAT_PROMPT);
		struct buf *cache[CONN_VARIANT_COUNT] = { 0 };
		struct buf *b = conn_frame_cached(c, cache, line.data, line.len);
		if (b != NULL && conn_send_shared(c, b))
			restore_input(m->s);
		for (size_t v = 0; v < CONN_VARIANT_COUNT; v++)
			buf_unref(cache[v]);
	}
	sbuf_free(&line);
}

static void announce(struct chat_room *r, struct chat_event *ev)
{
	if (ev->from == NULL && ev->n_names + ev->n_more == 0)
		return;             /* nothing collected of this kind */
	ev->seq = r->next_seq++;
	ev->ts_ms = wall_ms();
	begin_line(&r->scratch);
	chat_render(&r->scratch, ev, CHAT_VIEW_RECIPIENT);
	sbuf_puts(&r->scratch, CHAT_PROMPT);
	/* Nobody is told of their own arrival or departure. */
	fan_out(r, r->scratch.data, r->scratch.len, skip_named, ev);
	announce_to_named(r, ev);
}

static void coalesce_cb(uv_timer_t *t)
{
	struct chat_room *r = t->data;
	struct chat_event joins, leaves;
	chat_coalesce_take(r->coalesce, &joins, &leaves);
	announce(r, &leaves);
	announce(r, &joins);
	chat_coalesce_reset(r->coalesce);
}

static void join_or_leave(struct chat_room *r, enum chat_kind kind, const char *handle)
{
	if (r->coalesce == NULL) {
		struct chat_event ev = { .kind = kind, .from = handle };
		announce(r, &ev);
		return;
	}
	if (chat_coalesce_add(r->coalesce, kind, handle, (int64_t)uv_now(bbs_loop(r->bbs))))
		uv_timer_start(&r->coalesce_timer, coalesce_cb, r->cfg->chat_coalesce_ms, 0);
}

/* ---- entering and leaving ---- */

static void welcome(struct chat_room *r, struct session *s)
{
	const char *names[CHAT_RENDER_WELCOME_NAMES_MAX + 1];
	size_t n = 0;
	struct member *me = member_of(s);
	for (size_t i = 0; i < r->n_members && n < CHAT_RENDER_WELCOME_NAMES_MAX + 1; i++)
		if (r->members[i] != me)
			names[n++] = r->members[i]->handle;
	struct sbuf *out = session_out(s);
	sbuf_puts(out, "\x1b[0m\x1b[2J\x1b[H");
	chat_render_welcome(out, r->cfg->chat_room_name, names, n);
	/* The last lines said, oldest first. */
	size_t show = r->cfg->chat_scrollback < r->ring_len ? r->cfg->chat_scrollback : r->ring_len;
	for (size_t i = r->ring_len - show; i < r->ring_len; i++) {
		const struct buf *b = r->ring[(r->ring_head + i) % r->ring_cap].term;
		sbuf_append(out, b->data, b->len);
	}
}

void chat_room_enter(struct chat_room *r, struct session *s)
{
	const struct session_user *u = session_user(s);
	if (member_of(s) != NULL)
		return;
	if (r->n_members >= r->cfg->chat_capacity) {
		struct sbuf *out = session_out(s);
		chat_render_notice(out, "The chat room is full. Try again in a little while.");
		bbs_pause_then_menu(s);
		return;
	}
	struct member *m = xcalloc(1, sizeof(*m));
	m->s = s;
	m->since_ms = (int64_t)session_now(s);
	m->level = chat_level(u->level);
	snprintf(m->handle, sizeof(m->handle), "%s", u->handle);
	flood_init(&m->flood, &r->flood_cfg, m->since_ms);
	/* Subscribe first, then draw, then announce: the newcomer misses nothing and
	 * sees nothing out of order. */
	if (r->n_members == r->cap_members) {
		r->cap_members = r->cap_members ? r->cap_members * 2 : 16;
		r->members = xrealloc(r->members, r->cap_members * sizeof(*r->members));
	}
	m->index = r->n_members;
	r->members[r->n_members++] = m;
	session_set_chat(s, m);
	session_set_state(s, &state_chat);
	welcome(r, s);
	struct lineedit *le = session_editor(s);
	le_reset(le);
	le_set_hidden(le, false);
	le_set_limit(le, r->cfg->chat_max_line);
	le_set_prompt(le, CHAT_PROMPT);
	le_redraw(le, session_out(s));
	session_flush(s);
	log_info("chat: %s joined (%zu in the room)", m->handle, r->n_members);
	join_or_leave(r, CHAT_JOIN, m->handle);
}

static void remove_member(struct chat_room *r, struct member *m)
{
	size_t i = m->index;
	assert(r->members[i] == m);
	r->members[i] = r->members[--r->n_members];
	r->members[i]->index = i;
	session_set_chat(m->s, NULL);
	log_info("chat: %s left (%zu in the room)", m->handle, r->n_members);
	join_or_leave(r, CHAT_LEAVE, m->handle);
	free(m);
}

void chat_room_leave(struct chat_room *r, struct session *s)
{
	struct member *m = member_of(s);
	if (m != NULL)
		remove_member(r, m);
}

void chat_room_forget(struct chat_room *r, struct session *s)
{
	chat_room_leave(r, s);
}

void chat_room_drained(struct chat_room *r, struct session *s, uint64_t dropped)
{
	(void)r;
	if (member_of(s) == NULL)
		return;
	struct sbuf line = SBUF_INIT;
	chat_render_missed(&line, dropped);
	tell_raw(s, line.data, line.len);
	sbuf_free(&line);
}

/* ---- the room itself ---- */

struct chat_room *chat_room_new(struct bbs *bbs)
{
	struct chat_room *r = xcalloc(1, sizeof(*r));
	const struct config *cfg = bbs_config(bbs);
	r->bbs = bbs;
	r->cfg = cfg;
	r->flood_cfg = (struct flood_cfg){ cfg->chat_flood_rate, cfg->chat_flood_burst, 5000 };
	r->ring_cap = cfg->chat_history > cfg->chat_scrollback ? cfg->chat_history : cfg->chat_scrollback;
	r->ring = xcalloc(r->ring_cap ? r->ring_cap : 1, sizeof(*r->ring));
	if (cfg->chat_coalesce_ms > 0)
		r->coalesce = chat_coalesce_new(cfg->chat_coalesce_ms, COALESCE_NAMES_MAX);
	uv_timer_init(bbs_loop(bbs), &r->save_timer);
	r->save_timer.data = r;
	uv_timer_init(bbs_loop(bbs), &r->coalesce_timer);
	r->coalesce_timer.data = r;
	struct store *st = bbs_store(bbs);
	r->next_seq = store_chat_max_seq(st) + 1;
	store_chat_recent(st, (int)r->ring_cap, load_row, r);
	return r;
}

void chat_room_free(struct chat_room *r)
{
	if (r == NULL)
		return;
	save_unsaved(r);
	while (r->n_members > 0) {
		struct member *m = r->members[--r->n_members];
		session_set_chat(m->s, NULL);
		free(m);
	}
	free(r->members);
	for (size_t i = 0; i < r->ring_len; i++)
		buf_unref(r->ring[(r->ring_head + i) % r->ring_cap].term);
	free(r->ring);
	free(r->unsaved);
	chat_coalesce_free(r->coalesce);
	sbuf_free(&r->scratch);
	/* The timers are closed by the server's final walk over the loop's handles;
	 * their memory is ours, so they are closed here if still open. */
	free(r);
}
