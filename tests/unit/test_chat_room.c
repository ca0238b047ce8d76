/* The chat engine on its own: rooms, the registry and chat_deliver with fake
 * members (sinks that record what reaches them), on a real libuv loop and, where
 * scrollback matters, a real SQLite file.  No session, no connection, no transport.
 *
 * Fan-out to every member once and framed once per output variant, private lines
 * to their two ends only, the missed-count on drain, coalesced joins and leaves,
 * capacity, history order, input redrawn only for members who typed, two rooms
 * sharing nothing, events from elsewhere taking the same path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat/registry.h"
#include "chat/render.h"
#include "chat/stats.h"
#include "store/store.h"
#include "util/log.h"

/* ---- a fake member: a sink that records ---- */

struct fake {
	struct chat_sink sink;           /* first: the sink's address is the fake's */
	struct chat_member *m;
	char handle[32];
	unsigned variant;                /* which output variant it frames for */
	bool congested;                  /* refuse shared lines, as a full queue does */
	uint64_t dropped;                /* refused since the last drain */
	struct sbuf shared;              /* shared lines received (framed bytes) */
	struct sbuf told;                /* lines for it alone */
	unsigned n_shared, n_told, n_redraws, n_evicted;
	char evicted_from[64];           /* the room of the last kick */
};

static unsigned framed[CHAT_FRAME_VARIANTS];   /* frames made, per variant */

static bool fake_send_shared(struct chat_sink *sink, struct chat_frame *f,
                             enum chat_layout layout)
{
	struct fake *x = (struct fake *)sink;
	struct buf **slot = &f->cache[layout][x->variant];
	if (*slot == NULL) {
		/* "Framing": a variant-specific copy, as a transport would make. */
		struct sbuf b = SBUF_INIT;
		sbuf_printf(&b, "<v%u>", x->variant);
		sbuf_append(&b, f->term[layout], f->len[layout]);
		*slot = buf_from(b.data, b.len);
		sbuf_free(&b);
		framed[x->variant]++;
	}
	if (x->congested) {
		x->dropped++;
		return false;
	}
	sbuf_append(&x->shared, (*slot)->data, (*slot)->len);
	x->n_shared++;
	return true;
}

static void fake_tell(struct chat_sink *sink, const uint8_t *term, size_t len)
{
	struct fake *x = (struct fake *)sink;
	sbuf_append(&x->told, term, len);
	x->n_told++;
}

static void fake_redraw(struct chat_sink *sink)
{
	((struct fake *)sink)->n_redraws++;
}

static void fake_evicted(struct chat_sink *sink, const struct chat_event *ev)
{
	struct fake *x = (struct fake *)sink;
	/* Out of the room before it is told. */
	assert_null(chat_member_room(x->m));
	snprintf(x->evicted_from, sizeof(x->evicted_from), "%s", ev->room);
	x->n_evicted++;
}

static const struct chat_sink_ops fake_ops = { fake_send_shared, fake_tell, fake_redraw,
                                               fake_evicted };

static struct fake *fake_new(struct chat_registry *reg, const char *handle, unsigned variant)
{
	struct fake *x = calloc(1, sizeof(*x));
	snprintf(x->handle, sizeof(x->handle), "%s", handle);
	x->sink = (struct chat_sink){ &fake_ops, x->handle, CHAT_LEVEL_USER, 10 };
	x->variant = variant;
	x->m = chat_member_new(reg, &x->sink);
	return x;
}

static void fake_free(struct fake *x)
{
	chat_member_free(x->m);
	sbuf_free(&x->shared);
	sbuf_free(&x->told);
	free(x);
}

static void fake_clear(struct fake *x)
{
	sbuf_reset(&x->shared);
	sbuf_reset(&x->told);
	x->n_shared = x->n_told = x->n_redraws = 0;
}

/* The bytes as text: CSI sequences (colours, erases) taken out, NUL-terminated.
 * Borrowed from a static buffer until the next call. */
static const char *text(const struct sbuf *b)
{
	static struct sbuf plain;
	sbuf_reset(&plain);
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == 0x1b && i + 1 < b->len && b->data[i + 1] == '[') {
			i += 2;
			while (i < b->len && !(b->data[i] >= 0x40 && b->data[i] <= 0x7e))
				i++;
			continue;
		}
		sbuf_putc(&plain, b->data[i]);
	}
	sbuf_putc(&plain, '\0');
	return (const char *)plain.data;
}

static unsigned count(const struct sbuf *b, const char *needle)
{
	unsigned n = 0;
	const char *s = text(b);
	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- fixture: a loop, a registry, no store unless a test opens one ---- */

struct fx {
	uv_loop_t loop;
	struct chat_registry *reg;
	char dir[64];
	char path[96];
};

static struct chat_room_settings settings(const char *name)
{
	struct chat_room_settings s = {
		.scrollback = 3, .capacity = 8, .history = 10,
		.flood_rate = 2, .flood_burst = 3, .coalesce_ms = 0,
	};
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.store_key, sizeof(s.store_key), "%s", name);
	return s;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->reg = chat_registry_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/carrier-room-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/chat.db", f->dir);
	memset(framed, 0, sizeof(framed));
	log_set_level(LOG_WARN);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	chat_registry_free(f->reg);
	uv_run(&f->loop, UV_RUN_DEFAULT);        /* the rooms' timers close */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	unlink(f->path);
	char side[128];
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct chat_room *room_in(struct fx *f, struct chat_room_settings s, struct store *st)
{
	struct chat_room *r = chat_room_new(&s, &f->loop, st);
	assert_true(chat_registry_add(f->reg, r));
	return r;
}

static void say(struct fx *f, struct chat_room *r, const char *from, const char *words)
{
	struct chat_event ev = { .kind = CHAT_PUBLIC, .room = chat_room_name(r), .from = from,
	                         .text = words, .from_level = CHAT_LEVEL_USER };
	chat_deliver(f->reg, &ev);
}

/* ---- fan-out ---- */

static void test_fanout_once_per_member_and_variant(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *x[6];
	for (int i = 0; i < 6; i++) {
		char h[8];
		snprintf(h, sizeof(h), "U%d", i);
		x[i] = fake_new(f->reg, h, (unsigned)i % 3 == 0 ? 1 : 0);
		assert_int_equal(chat_room_join(r, x[i]->m, 0), CHAT_JOINED);
	}
	assert_int_equal(chat_room_count(r), 6);
	for (int i = 0; i < 6; i++)
		fake_clear(x[i]);
	memset(framed, 0, sizeof(framed));

	const struct chat_stats *st = chat_registry_stats(f->reg);
	uint64_t before = st->delivered[CHAT_PUBLIC];
	say(f, r, "U0", "hello all");
	say(f, r, "U1", "and again");
	say(f, r, "U2", "third");
	/* Counted: a line to each of the 6 members, the speaker too, is 6 deliveries. */
	assert_int_equal(st->delivered[CHAT_PUBLIC] - before, 3 * 6);
	assert_int_equal(st->events[CHAT_PUBLIC], 3);
	for (int i = 0; i < 6; i++)
		fake_clear(x[i]);
	memset(framed, 0, sizeof(framed));
	say(f, r, "U0", "hello all");
	/* Framed once per variant, whatever the number of members. */
	assert_int_equal(framed[0], 1);
	assert_int_equal(framed[1], 1);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(x[i]->n_shared, 1);
		assert_int_equal(count(&x[i]->shared, "U0: hello all"), 1);
		assert_int_equal(count(&x[i]->shared, "<v"), 1);
		/* Each got its own variant's bytes, the line then the prompt. */
		assert_int_equal(count(&x[i]->shared, i % 3 == 0 ? "<v1>" : "<v0>"), 1);
		assert_non_null(memmem(x[i]->shared.data, x[i]->shared.len, CHAT_PROMPT,
		                       strlen(CHAT_PROMPT)));
		assert_int_equal(x[i]->n_told, 0);
	}
	for (int i = 0; i < 6; i++)
		fake_free(x[i]);
}

/* The half-typed line is redrawn only for members who have one. */
static void test_redraw_only_when_typing(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, b->m, 0);
	chat_member_set_typing(b->m, true);
	say(f, r, "Ann", "one");
	assert_int_equal(a->n_redraws, 0);
	assert_int_equal(b->n_redraws, 1);
	/* A dropped line puts nothing over the prompt: nothing to redraw. */
	b->congested = true;
	say(f, r, "Ann", "two");
	assert_int_equal(b->n_redraws, 1);
	fake_free(a);
	fake_free(b);
}

/* ---- private lines ---- */

static void test_private_two_ends_only(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 1);
	struct fake *c = fake_new(f->reg, "Cat", 0), *d = fake_new(f->reg, "Dee", 0);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, b->m, 0);
	chat_room_join(r, c->m, 0);          /* d stays outside the room (at the menu) */
	struct fake *all[] = { a, b, c, d };
	for (int i = 0; i < 4; i++)
		fake_clear(all[i]);

	struct chat_event dm = { .kind = CHAT_DM, .from = "Ann", .to = "bob", .text = "psst" };
	chat_deliver(f->reg, &dm);
	/* The recipient, in the room: over its prompt, through the shared path. */
	assert_int_equal(b->n_shared, 1);
	assert_int_equal(count(&b->shared, "*Ann* (private): psst"), 1);
	assert_int_equal(count(&b->shared, "\a"), 1);
	/* The sender: its receipt, told. */
	assert_int_equal(a->n_told, 1);
	assert_int_equal(count(&a->told, "-> bob (private): psst"), 1);
	assert_int_equal(a->n_shared, 0);
	/* Nobody else saw a byte of it. */
	assert_int_equal(c->n_shared + c->n_told, 0);
	assert_int_equal(d->n_shared + d->n_told, 0);
	assert_string_equal(chat_member_reply_to(b->m), "Ann");
	assert_string_equal(chat_member_reply_to(a->m), "");

	/* A page reaches a caller outside any room: told, with a bell. */
	struct chat_event page = { .kind = CHAT_PAGE, .from = "Cat", .to = "Dee", .text = "come" };
	chat_deliver(f->reg, &page);
	assert_int_equal(d->n_told, 1);
	assert_int_equal(count(&d->told, "\a"), 1);
	assert_int_equal(count(&d->told, "Page from Cat: come"), 1);
	assert_int_equal(count(&c->told, "Page sent to Dee"), 1);
	assert_int_equal(a->n_told + b->n_shared, 1 + 1);     /* unchanged */
	assert_string_equal(chat_member_reply_to(d->m), ""); /* a page is not a DM */

	/* An end that is not here is skipped; the other still gets its part. */
	fake_clear(a);
	struct chat_event away = { .kind = CHAT_DM, .from = "Ann", .to = "Nobody", .text = "x" };
	chat_deliver(f->reg, &away);
	assert_int_equal(a->n_told, 1);
	for (int i = 0; i < 4; i++)
		fake_free(all[i]);
}

/* ---- congestion ---- */

static void test_missed_count_on_drain(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *slow = fake_new(f->reg, "Slow", 0);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, slow->m, 0);
	fake_clear(slow);
	slow->congested = true;
	const struct chat_stats *st = chat_registry_stats(f->reg);
	uint64_t public_before = st->delivered[CHAT_PUBLIC];
	say(f, r, "Ann", "one");
	say(f, r, "Ann", "two");
	struct chat_event dm = { .kind = CHAT_DM, .from = "Ann", .to = "Slow", .text = "three" };
	chat_deliver(f->reg, &dm);
	assert_int_equal(slow->dropped, 3);
	/* Counted: missed by Slow, delivered to Ann alone (the DM: her receipt). */
	assert_int_equal(st->missed, 3);
	assert_int_equal(st->delivered[CHAT_PUBLIC] - public_before, 2);
	assert_int_equal(st->delivered[CHAT_DM], 1);
	assert_int_equal(st->events[CHAT_DM], 1);
	assert_int_equal(slow->n_shared, 0);
	/* The queue drained: told how many went missing, then lines flow again. */
	slow->congested = false;
	chat_member_drained(slow->m, slow->dropped);
	assert_int_equal(count(&slow->told, "*** Missed 3 messages ***"), 1);
	say(f, r, "Ann", "four");
	assert_int_equal(count(&slow->shared, "Ann: four"), 1);
	/* Outside a room there is nothing to tell. */
	chat_room_leave(slow->m);
	fake_clear(slow);
	chat_member_drained(slow->m, 5);
	assert_int_equal(slow->n_told, 0);
	fake_free(a);
	fake_free(slow);
}

/* ---- joins and leaves ---- */

static void test_join_leave_announced(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, b->m, 0);
	assert_int_equal(count(&a->shared, "*** Bob has joined the chat ***"), 1);
	assert_int_equal(count(&b->shared, "has joined"), 0);     /* not told of itself */
	/* Freeing a member in the room is a leave, told once. */
	fake_free(b);
	assert_int_equal(count(&a->shared, "*** Bob has left the chat ***"), 1);
	assert_int_equal(chat_room_count(r), 1);
	fake_free(a);
}

static void test_coalesced_joins(void **state)
{
	struct fx *f = *state;
	struct chat_room_settings s = settings("Lobby");
	s.coalesce_ms = 30;
	struct chat_room *r = room_in(f, s, NULL);
	struct fake *old = fake_new(f->reg, "Old", 0);
	chat_room_join(r, old->m, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);        /* Old's own window closes */
	fake_clear(old);

	struct fake *x[4];
	const char *names[] = { "Amy", "Ben", "Cy", "Gone" };
	for (int i = 0; i < 4; i++) {
		x[i] = fake_new(f->reg, names[i], 0);
		chat_room_join(r, x[i]->m, 0);
	}
	chat_room_leave(x[3]->m);                /* came and went before anyone was told */
	assert_int_equal(old->n_shared, 0);      /* nothing yet: the window is open */
	uv_run(&f->loop, UV_RUN_DEFAULT);        /* the window closes */

	assert_int_equal(old->n_shared, 1);
	assert_int_equal(count(&old->shared, "*** Amy, Ben and Cy have joined the chat ***"), 1);
	assert_int_equal(count(&old->shared, "Gone"), 0);
	/* Each newcomer is told of the others who came with it, not of itself. */
	assert_int_equal(count(&x[0]->shared, "*** Ben and Cy have joined the chat ***"), 1);
	assert_int_equal(count(&x[1]->shared, "*** Amy and Cy have joined the chat ***"), 1);
	assert_int_equal(count(&x[2]->shared, "Cy have"), 0);
	for (int i = 0; i < 4; i++)
		fake_free(x[i]);
	fake_free(old);
}

/* ---- capacity ---- */

static void test_capacity(void **state)
{
	struct fx *f = *state;
	struct chat_room_settings s = settings("Small");
	s.capacity = 2;
	struct chat_room *r = room_in(f, s, NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	struct fake *c = fake_new(f->reg, "Cat", 0);
	assert_int_equal(chat_room_join(r, a->m, 0), CHAT_JOINED);
	assert_int_equal(chat_room_join(r, b->m, 0), CHAT_JOINED);
	fake_clear(a);
	assert_int_equal(chat_room_join(r, c->m, 0), CHAT_ROOM_FULL);
	assert_null(chat_member_room(c->m));
	assert_int_equal(chat_room_count(r), 2);
	assert_int_equal(a->n_shared, 0);        /* nobody told of a refused caller */
	chat_room_leave(b->m);
	assert_int_equal(chat_room_join(r, c->m, 0), CHAT_JOINED);
	fake_free(a);
	fake_free(b);
	fake_free(c);
}

/* ---- history ---- */

static void test_history_order(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *late = fake_new(f->reg, "Late", 0);
	chat_room_join(r, a->m, 0);
	char line[16];
	for (int i = 1; i <= 5; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		say(f, r, "Ann", line);
	}
	/* Joins and private lines are not history. */
	struct chat_event dm = { .kind = CHAT_DM, .from = "Ann", .to = "Ann", .text = "secret" };
	chat_deliver(f->reg, &dm);
	chat_room_join(r, late->m, 0);
	struct sbuf w = SBUF_INIT;
	chat_room_welcome(r, late->m, &w);
	const char *s = text(&w);
	/* scrollback = 3: the last three, oldest first. */
	assert_null(strstr(s, "line 2"));
	const char *p3 = strstr(s, "line 3"), *p4 = strstr(s, "line 4"), *p5 = strstr(s, "line 5");
	assert_non_null(p3);
	assert_true(p3 < p4 && p4 < p5);
	assert_null(strstr(s, "secret"));
	assert_null(strstr(s, "joined"));
	assert_non_null(strstr(s, "*** Welcome to Lobby ***"));
	assert_non_null(strstr(s, "Here now: Ann"));
	sbuf_free(&w);
	fake_free(a);
	fake_free(late);
}

/* ---- two rooms ---- */

static void test_two_rooms_share_nothing(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct store *st = store_open(f->path, err, sizeof(err));
	assert_non_null(st);
	struct chat_room *r1 = room_in(f, settings("One"), st);
	struct chat_room *r2 = room_in(f, settings("Two"), st);
	assert_ptr_equal(chat_registry_default(f->reg), r1);
	assert_ptr_equal(chat_registry_room(f->reg, "two"), r2);
	/* A second room of the same name is refused. */
	struct chat_room_settings dup = settings("ONE");
	struct chat_room *r3 = chat_room_new(&dup, &f->loop, NULL);
	assert_false(chat_registry_add(f->reg, r3));
	chat_room_free(r3);

	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	chat_room_join(r1, a->m, 0);
	chat_room_join(r2, b->m, 0);
	fake_clear(a);
	fake_clear(b);
	say(f, r1, "Ann", "only in one");
	say(f, r2, "Bob", "only in two");
	assert_int_equal(count(&a->shared, "only in one"), 1);
	assert_int_equal(count(&a->shared, "only in two"), 0);
	assert_int_equal(count(&b->shared, "only in two"), 1);
	assert_int_equal(count(&b->shared, "only in one"), 0);
	/* Each room's history and scrollback are its own, across a restart. */
	chat_room_leave(a->m);
	chat_room_leave(b->m);
	chat_registry_free(f->reg);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	f->reg = chat_registry_new();
	r1 = room_in(f, settings("One"), st);
	r2 = room_in(f, settings("Two"), st);
	struct sbuf w1 = SBUF_INIT, w2 = SBUF_INIT;
	chat_room_welcome(r1, a->m, &w1);
	chat_room_welcome(r2, b->m, &w2);
	assert_non_null(strstr(text(&w1), "only in one"));
	assert_null(strstr(text(&w1), "only in two"));
	assert_non_null(strstr(text(&w2), "only in two"));
	assert_null(strstr(text(&w2), "only in one"));
	assert_int_equal(store_chat_max_seq(st, "One"), 2);   /* its own numbering: a join, a line */
	sbuf_free(&w1);
	sbuf_free(&w2);
	fake_free(a);
	fake_free(b);
	chat_registry_free(f->reg);
	f->reg = chat_registry_new();
	uv_run(&f->loop, UV_RUN_DEFAULT);
	store_close(st);
}

/* ---- the seam ---- */

/* Events that come from elsewhere (built by hand here, as a bus would) take the
 * same path as local ones; an event for a room that is not here goes nowhere. */
static void test_events_from_elsewhere(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0);
	chat_room_join(r, a->m, 0);
	fake_clear(a);
	const char *far[] = { "Xavier", "Yolanda" };
	struct chat_event joined = { .kind = CHAT_JOIN, .room = "lobby", .names = far, .n_names = 2 };
	chat_deliver(f->reg, &joined);
	assert_int_equal(count(&a->shared, "*** Xavier and Yolanda have joined the chat ***"), 1);
	struct chat_event sys = { .kind = CHAT_SYSTEM, .room = "Lobby", .text = "Going down soon" };
	chat_deliver(f->reg, &sys);
	assert_int_equal(count(&a->shared, "Going down soon"), 1);
	struct chat_event lost = { .kind = CHAT_PUBLIC, .room = "Nowhere", .from = "Z", .text = "lost" };
	chat_deliver(f->reg, &lost);
	assert_int_equal(count(&a->shared, "lost"), 0);
	/* A handle not listed is not found; a listed one is, case-insensitively. */
	assert_null(chat_registry_find(f->reg, "Xavier"));
	assert_ptr_equal(chat_registry_find(f->reg, "ANN"), a->m);
	fake_free(a);
}

/* Many members in the directory (past its growth), found and removed. */
static void test_directory(void **state)
{
	struct fx *f = *state;
	enum { N = 300 };
	struct fake *x[N];
	char h[16];
	for (int i = 0; i < N; i++) {
		snprintf(h, sizeof(h), "Caller%03d", i);
		x[i] = fake_new(f->reg, h, 0);
	}
	/* The same handle twice (a takeover): the newer one is found. */
	struct fake *again = fake_new(f->reg, "caller007", 0);
	for (int i = 0; i < N; i++) {
		snprintf(h, sizeof(h), "CALLER%03d", i);
		assert_ptr_equal(chat_registry_find(f->reg, h), i == 7 ? again->m : x[i]->m);
	}
	fake_free(again);
	assert_ptr_equal(chat_registry_find(f->reg, "Caller007"), x[7]->m);
	for (int i = 0; i < N; i += 2)
		fake_free(x[i]);
	for (int i = 0; i < N; i++) {
		snprintf(h, sizeof(h), "Caller%03d", i);
		if (i % 2 == 0)
			assert_null(chat_registry_find(f->reg, h));
		else
			fake_free(x[i]);
	}
}

/* ---- what a caller controls ---- */

/* An ignored caller reaches nobody who ignores it: lines, actions, DMs, pages,
 * invitations; the room renders once all the same, and sysop lines still come. */
static void test_ignore(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *pest = fake_new(f->reg, "Pest", 0);
	struct fake *c = fake_new(f->reg, "Cat", 0);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, pest->m, 0);
	chat_room_join(r, c->m, 0);
	assert_true(chat_member_ignore(a->m, "pest"));
	assert_false(chat_member_ignore(a->m, "PEST"));          /* already */
	fake_clear(a);
	fake_clear(c);
	fake_clear(pest);
	memset(framed, 0, sizeof(framed));
	say(f, r, "Pest", "buy my stuff");
	assert_int_equal(framed[0], 1);                           /* rendered once */
	assert_int_equal(count(&c->shared, "buy my stuff"), 1);
	assert_int_equal(a->n_shared + a->n_told, 0);
	struct chat_event act = { .kind = CHAT_ACTION, .room = "Lobby", .from = "Pest", .text = "waves" };
	chat_deliver(f->reg, &act);
	struct chat_event dm = { .kind = CHAT_DM, .from = "Pest", .to = "Ann", .text = "psst" };
	chat_deliver(f->reg, &dm);
	struct chat_event page = { .kind = CHAT_PAGE, .from = "Pest", .to = "Ann" };
	chat_deliver(f->reg, &page);
	struct chat_event inv = { .kind = CHAT_INVITE, .from = "Pest", .to = "Ann", .room = "Den" };
	chat_deliver(f->reg, &inv);
	assert_int_equal(a->n_shared + a->n_told, 0);
	/* The pest is not told: its receipts look as always. */
	assert_int_equal(count(&pest->told, "-> Ann (private): psst"), 1);
	assert_int_equal(count(&pest->told, "Page sent to Ann"), 1);
	/* Sysop lines cannot be ignored. */
	struct chat_event sys = { .kind = CHAT_SYSOP, .room = "Lobby", .from = "Pest", .text = "rules" };
	chat_deliver(f->reg, &sys);
	assert_int_equal(count(&a->shared, "rules"), 1);
	assert_true(chat_member_unignore(a->m, "Pest"));
	say(f, r, "Pest", "again");
	assert_int_equal(count(&a->shared, "again"), 1);
	size_t n;
	chat_member_ignored(a->m, &n);
	assert_int_equal(n, 0);
	fake_free(a);
	fake_free(pest);
	fake_free(c);
}

static void test_quiet_away_bell(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, b->m, 0);
	/* quiet: no joins or leaves */
	chat_member_set_quiet(a->m, true);
	fake_clear(a);
	struct fake *c = fake_new(f->reg, "Cat", 0);
	chat_room_join(r, c->m, 0);
	chat_room_leave(c->m);
	assert_int_equal(count(&a->shared, "Cat"), 0);
	assert_int_equal(count(&b->shared, "*** Cat has joined the chat ***"), 1);
	/* away: the DM arrives, its sender hears the away message once */
	chat_member_set_away(b->m, "lunch");
	fake_clear(a);
	fake_clear(b);
	struct chat_event dm = { .kind = CHAT_DM, .from = "Ann", .to = "Bob", .text = "there?" };
	chat_deliver(f->reg, &dm);
	chat_deliver(f->reg, &dm);
	assert_int_equal(count(&b->shared, "there?"), 2);
	assert_int_equal(count(&a->told, "*** Bob is away: lunch ***"), 1);
	struct chat_who_entry who[4];
	assert_int_equal(chat_room_who(r, who, 4), 2);
	assert_string_equal(who[0].handle, "Ann");
	assert_null(who[0].away);
	assert_string_equal(who[1].away, "lunch");
	/* a new away period: told once more */
	chat_member_set_away(b->m, NULL);
	chat_member_set_away(b->m, "");
	chat_deliver(f->reg, &dm);
	assert_int_equal(count(&a->told, "*** Bob is away ***"), 1);
	/* bell: off silences a DM, page: only pages ring */
	fake_clear(b);
	chat_member_set_bell(b->m, CHAT_BELL_OFF);
	struct chat_event page = { .kind = CHAT_PAGE, .from = "Ann", .to = "Bob" };
	chat_deliver(f->reg, &dm);
	chat_deliver(f->reg, &page);
	assert_null(memchr(b->shared.data, '\a', b->shared.len));
	chat_member_set_bell(b->m, CHAT_BELL_PAGE);
	fake_clear(b);
	chat_deliver(f->reg, &dm);
	assert_null(memchr(b->shared.data, '\a', b->shared.len));
	chat_deliver(f->reg, &page);
	assert_non_null(memchr(b->shared.data, '\a', b->shared.len));
	fake_free(a);
	fake_free(b);
	fake_free(c);
}

/* ---- rooms callers make, private rooms, topics ---- */

static void test_caller_rooms(void **state)
{
	struct fx *f = *state;
	room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	/* not allowed until the template is set */
	assert_null(chat_registry_make_room(f->reg, "Den", "Ann"));
	struct chat_room_settings t = settings("x");
	chat_registry_set_caller_rooms(f->reg, &t, &f->loop);
	assert_null(chat_registry_make_room(f->reg, "bad name", "Ann"));
	assert_null(chat_registry_make_room(f->reg, "lobby", "Ann"));       /* taken */
	assert_null(chat_registry_make_room(f->reg, "abcdefghijklmnopqrstu", "Ann"));
	struct chat_room *den = chat_registry_make_room(f->reg, "Den", "Ann");
	assert_non_null(den);
	assert_string_equal(chat_room_owner(den), "Ann");
	assert_int_equal(chat_registry_count(f->reg), 2);
	assert_int_equal(chat_room_join(den, a->m, 0), CHAT_JOINED);
	assert_true(chat_room_may_run(den, a->m));
	assert_false(chat_room_may_run(den, b->m));
	/* private: Bob needs an invitation */
	chat_room_set_private(den, true);
	assert_int_equal(chat_room_admits(den, b->m), CHAT_ROOM_PRIVATE);
	assert_int_equal(chat_room_join(den, b->m, 0), CHAT_ROOM_PRIVATE);
	assert_true(chat_room_invite(den, "bob"));
	assert_false(chat_room_invite(den, "Bob"));
	assert_int_equal(chat_room_join(den, b->m, 0), CHAT_JOINED);
	chat_room_leave(b->m);
	assert_true(chat_room_uninvite(den, "BOB"));
	assert_int_equal(chat_room_join(den, b->m, 0), CHAT_ROOM_PRIVATE);
	/* the last one out: the room is gone */
	chat_room_leave(a->m);
	assert_null(chat_registry_room(f->reg, "Den"));
	assert_int_equal(chat_registry_count(f->reg), 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);         /* its timers close */
	fake_free(a);
	fake_free(b);
}

static void test_min_rank_and_topic(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct store *st = store_open(f->path, err, sizeof(err));
	struct chat_room_settings s = settings("Staff");
	s.min_rank = 100;
	snprintf(s.topic, sizeof(s.topic), "%s", "as configured");
	struct chat_room *r = room_in(f, s, st);
	struct fake *a = fake_new(f->reg, "Ann", 0), *op = fake_new(f->reg, "Op", 0);
	op->sink.level = CHAT_LEVEL_SYSOP;
	op->sink.rank = 100;
	assert_int_equal(chat_room_join(r, a->m, 0), CHAT_ROOM_LEVEL);
	assert_int_equal(chat_room_join(r, op->m, 0), CHAT_JOINED);
	assert_string_equal(chat_room_topic(r), "as configured");
	struct chat_event topic = { .kind = CHAT_TOPIC, .room = "staff", .from = "Op", .text = "new one" };
	chat_deliver(f->reg, &topic);
	assert_string_equal(chat_room_topic(r), "new one");
	assert_int_equal(count(&op->shared, "*** Op set the topic: new one ***"), 1);
	/* kept across a restart of a declared room */
	chat_room_leave(op->m);
	chat_registry_free(f->reg);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	f->reg = chat_registry_new();
	r = room_in(f, s, st);
	assert_string_equal(chat_room_topic(r), "new one");
	fake_free(a);
	fake_free(op);
	chat_registry_free(f->reg);
	f->reg = chat_registry_new();
	uv_run(&f->loop, UV_RUN_DEFAULT);
	store_close(st);
}

/* The split layout: lines go into the conversation with the cursor saved and put
 * back, never touching the input line; the status line follows joins. */
static void test_split_layout(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	chat_member_set_layout(b->m, CHAT_LAYOUT_SPLIT);
	chat_member_set_typing(b->m, true);
	chat_room_join(r, a->m, 0);
	chat_room_join(r, b->m, 0);
	fake_clear(a);
	fake_clear(b);
	memset(framed, 0, sizeof(framed));
	say(f, r, "Ann", "hello");
	assert_int_equal(framed[0], 2);           /* once per layout */
	assert_non_null(memmem(b->shared.data, b->shared.len, "\x1b" "7\x1b[2A\r", 7));
	assert_non_null(memmem(b->shared.data, b->shared.len, "\x1b" "8", 2));
	assert_null(memmem(b->shared.data, b->shared.len, CHAT_PROMPT, strlen(CHAT_PROMPT)));
	assert_int_equal(b->n_redraws, 0);        /* the input line is never touched */
	assert_non_null(memmem(a->shared.data, a->shared.len, CHAT_PROMPT, strlen(CHAT_PROMPT)));
	/* a join changes the status line, for split members only */
	fake_clear(a);
	fake_clear(b);
	struct fake *c = fake_new(f->reg, "Cat", 0);
	chat_room_join(r, c->m, 0);
	assert_int_equal(count(&b->shared, " Lobby | 3 here | /help "), 1);
	assert_int_equal(count(&a->shared, "3 here"), 0);
	fake_free(a);
	fake_free(b);
	fake_free(c);
}

/* A kick: the room hears it (not the kicked), the member is out and told through
 * its sink, kept out until the time is up (sysops are not), forgiven at once. */
static void test_kick(void **state)
{
	struct fx *f = *state;
	struct chat_room *r = room_in(f, settings("Lobby"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	struct fake *op = fake_new(f->reg, "Op", 0);
	op->sink.level = CHAT_LEVEL_SYSOP;
	chat_room_join(r, a->m, 0);
	chat_room_join(r, b->m, 0);
	fake_clear(a);
	fake_clear(b);
	int64_t now = chat_wall_ms();
	struct chat_event ev = { .kind = CHAT_KICK, .room = "lobby", .from = "Ann", .to = "bob",
	                         .text = "too loud", .until_ms = now + 60000 };
	chat_deliver(f->reg, &ev);
	assert_int_equal(count(&a->shared, "*** bob was kicked by Ann (too loud) ***"), 1);
	assert_int_equal(b->n_shared, 0);
	assert_int_equal(b->n_evicted, 1);
	assert_string_equal(b->evicted_from, "lobby");
	assert_int_equal(count(&a->shared, "has left"), 0);     /* the kick is the line */
	assert_int_equal(chat_room_count(r), 1);
	assert_true(chat_room_kicked_until(r, "BOB", now) == now + 60000);
	assert_int_equal(chat_room_join(r, b->m, 0), CHAT_ROOM_KICKED);
	/* The same handle on another member (logged in again) is kept out too. */
	chat_member_free(b->m);
	b->m = chat_member_new(f->reg, &b->sink);
	assert_int_equal(chat_room_admits(r, b->m), CHAT_ROOM_KICKED);
	/* Sysops pass; a kick that has ended, or is forgiven, keeps nobody out. */
	struct chat_event k2 = { .kind = CHAT_KICK, .room = "Lobby", .from = "Ann", .to = "Op",
	                         .until_ms = now + 60000 };
	chat_deliver(f->reg, &k2);
	assert_int_equal(chat_room_join(r, op->m, 0), CHAT_JOINED);
	assert_int_equal(chat_room_kicked_until(r, "Bob", now + 60000), 0);
	assert_true(chat_room_forgive(r, "Bob"));
	assert_false(chat_room_forgive(r, "Bob"));
	assert_int_equal(chat_room_join(r, b->m, 0), CHAT_JOINED);
	fake_free(a);
	fake_free(b);
	fake_free(op);
}

/* A kick empties a room a caller made: the room goes, after the kicked is told. */
static void test_kick_last_member(void **state)
{
	struct fx *f = *state;
	room_in(f, settings("Lobby"), NULL);
	struct chat_room_settings t = settings("");
	chat_registry_set_caller_rooms(f->reg, &t, &f->loop);
	struct fake *a = fake_new(f->reg, "Ann", 0);
	struct chat_room *den = chat_registry_make_room(f->reg, "Den", "Ann");
	chat_room_join(den, a->m, 0);
	struct chat_event ev = { .kind = CHAT_KICK, .room = "Den", .from = "Op", .to = "Ann",
	                         .until_ms = chat_wall_ms() + 1000 };
	chat_deliver(f->reg, &ev);
	assert_int_equal(a->n_evicted, 1);
	assert_null(chat_registry_room(f->reg, "Den"));
	uv_run(&f->loop, UV_RUN_DEFAULT);
	fake_free(a);
}

/* Mutes are the registry's, by handle: everywhere or in one room, until they end. */
static void test_mutes(void **state)
{
	struct fx *f = *state;
	int64_t now = 1000000;
	assert_int_equal(chat_registry_muted(f->reg, "Bob", "Lobby", now), 0);
	assert_true(chat_registry_mute(f->reg, "Bob", NULL, now + 5000, now));
	assert_int_equal(chat_registry_muted(f->reg, "BOB", "Lobby", now), now + 5000);
	assert_int_equal(chat_registry_muted(f->reg, "bob", NULL, now + 4999), now + 5000);
	assert_int_equal(chat_registry_muted(f->reg, "Bob", NULL, now + 5000), 0);   /* over */
	assert_false(chat_registry_unmute(f->reg, "Bob"));                           /* gone */
	/* A room owner's: that room only. */
	assert_true(chat_registry_mute(f->reg, "Cat", "Den", now + 5000, now));
	assert_int_equal(chat_registry_muted(f->reg, "Cat", "den", now), now + 5000);
	assert_int_equal(chat_registry_muted(f->reg, "Cat", "Lobby", now), 0);
	assert_int_equal(chat_registry_muted(f->reg, "Cat", NULL, now), 0);
	/* A new mute replaces the old; unmute lifts it. */
	assert_true(chat_registry_mute(f->reg, "Cat", NULL, now + 9000, now));
	assert_int_equal(chat_registry_muted(f->reg, "Cat", "Lobby", now), now + 9000);
	assert_true(chat_registry_unmute(f->reg, "cat"));
	assert_int_equal(chat_registry_muted(f->reg, "Cat", "Den", now), 0);
	/* Bounded. */
	char h[16];
	bool all = true;
	for (int i = 0; i < 1100; i++) {
		snprintf(h, sizeof(h), "h%d", i);
		all = chat_registry_mute(f->reg, h, NULL, now + 5000, now) && all;
	}
	assert_false(all);
}

/* A broadcast reaches every member, in any room (through the shared path, framed
 * once) or none (told), and nobody can ignore it. */
static void test_broadcast(void **state)
{
	struct fx *f = *state;
	struct chat_room *r1 = room_in(f, settings("Lobby"), NULL);
	struct chat_room *r2 = room_in(f, settings("Games"), NULL);
	struct fake *a = fake_new(f->reg, "Ann", 0), *b = fake_new(f->reg, "Bob", 0);
	struct fake *c = fake_new(f->reg, "Cat", 0);              /* in no room */
	chat_room_join(r1, a->m, 0);
	chat_room_join(r2, b->m, 0);
	chat_member_ignore(a->m, "Op");
	fake_clear(a);
	fake_clear(b);
	memset(framed, 0, sizeof(framed));
	struct chat_event ev = { .kind = CHAT_BROADCAST, .from = "Op", .text = "going down" };
	chat_deliver(f->reg, &ev);
	for (struct fake *x = a; x != NULL; x = x == a ? b : NULL)
		assert_int_equal(count(&x->shared, "\a*** Broadcast from Op: going down ***"), 1);
	assert_int_equal(count(&c->told, "\a*** Broadcast from Op: going down ***"), 1);
	assert_int_equal(framed[0], 1);
	assert_int_equal(chat_registry_member_count(f->reg), 3);
	fake_free(a);
	fake_free(b);
	fake_free(c);
}


/* ---- the bus to other servers (a fake that records) ---- */

struct fake_bus {
	unsigned published[CHAT_KIND_COUNT];
	char last_room[64];
	uint64_t last_seq;
	char opened[8][64];
	unsigned n_opened, n_closed;
	const char *remote[4];
	size_t n_remote;
};

static void fb_publish(void *ud, const struct chat_event *ev)
{
	struct fake_bus *b = ud;
	assert_null(ev->origin);
	assert_true(ev->ts_ms > 0);
	b->published[ev->kind]++;
	snprintf(b->last_room, sizeof(b->last_room), "%s", ev->room ? ev->room : "");
	b->last_seq = ev->seq;
}

static void fb_opened(void *ud, const char *name)
{
	struct fake_bus *b = ud;
	if (b->n_opened < 8)
		snprintf(b->opened[b->n_opened], 64, "%s", name);
	b->n_opened++;
}

static void fb_closed(void *ud, const char *name)
{
	(void)name;
	((struct fake_bus *)ud)->n_closed++;
}

static size_t fb_remote(void *ud, const char *room, const char **names, size_t max)
{
	struct fake_bus *b = ud;
	(void)room;
	for (size_t i = 0; i < b->n_remote && i < max; i++)
		names[i] = b->remote[i];
	return b->n_remote;
}

static const struct chat_bus_ops fb_ops = { fb_publish, fb_opened, fb_closed, fb_remote };

static void count_row(void *ud, const struct store_chat_row *row)
{
	(void)row;
	(*(unsigned *)ud)++;
}

static void test_bus(void **state)
{
	struct fx *f = *state;
	char err[128];
	struct store *st = store_open(f->path, err, sizeof(err));
	assert_non_null(st);
	struct chat_room *lobby = room_in(f, settings("Lobby"), st);
	struct fake_bus bus = { .remote = { "Zed" }, .n_remote = 1 };
	chat_registry_set_bus(f->reg, &fb_ops, &bus, 77);
	assert_int_equal(bus.n_opened, 1);            /* the rooms already there */
	assert_string_equal(bus.opened[0], "Lobby");
	struct fake *a = fake_new(f->reg, "Alice", 0), *b = fake_new(f->reg, "Bob", 1);
	assert_int_equal(chat_room_join(lobby, a->m, 0), CHAT_JOINED);
	assert_int_equal(chat_room_join(lobby, b->m, 0), CHAT_JOINED);
	/* A line said here: delivered here, then published once (not per member),
	 * with a seq unique among servers (time << 20 | counter << 12 | seq_id). */
	memset(bus.published, 0, sizeof(bus.published));
	say(f, lobby, "Alice", "hello");
	assert_int_equal(bus.published[CHAT_PUBLIC], 1);
	assert_string_equal(bus.last_room, "Lobby");
	assert_int_equal(bus.last_seq & 0xfff, 77);
	uint64_t first = bus.last_seq;
	say(f, lobby, "Alice", "again");
	assert_true(bus.last_seq > first);
	assert_int_equal(bus.last_seq & 0xfff, 77);
	assert_int_equal(count(&b->shared, "Alice: hello"), 1);
	/* From another server: delivered here, not published, not stored, its stamp kept. */
	struct chat_event far = { .kind = CHAT_PUBLIC, .room = "Lobby", .from = "Zed",
	                          .text = "from afar", .seq = 12345, .ts_ms = 1700000000000,
	                          .origin = "node-b" };
	chat_deliver(f->reg, &far);
	assert_int_equal(bus.published[CHAT_PUBLIC], 2);
	assert_int_equal(count(&a->shared, "Zed: from afar"), 1);
	assert_int_equal(far.seq, 12345);
	/* A DM to someone here is not published; to someone elsewhere it is (and the
	 * sender still has its receipt here). */
	struct chat_event dm = { .kind = CHAT_DM, .from = "Alice", .to = "Bob", .text = "psst" };
	chat_deliver(f->reg, &dm);
	assert_int_equal(bus.published[CHAT_DM], 0);
	struct chat_event dm2 = { .kind = CHAT_DM, .from = "Alice", .to = "Zed", .text = "yo" };
	fake_clear(a);
	chat_deliver(f->reg, &dm2);
	assert_int_equal(bus.published[CHAT_DM], 1);
	assert_int_equal(count(&a->told, "-> Zed (private): yo"), 1);
	/* A DM from afar reaches its recipient here; no receipt for a sender here. */
	fake_clear(b);
	struct chat_event dm3 = { .kind = CHAT_DM, .from = "Zed", .to = "Bob", .text = "hi bob",
	                          .origin = "node-b" };
	chat_deliver(f->reg, &dm3);
	assert_int_equal(count(&b->shared, "*Zed* (private): hi bob"), 1);
	assert_int_equal(bus.published[CHAT_DM], 1);
	assert_string_equal(chat_member_reply_to(b->m), "Zed");
	/* The welcome names the room's members elsewhere too; the status counts them. */
	struct sbuf w = SBUF_INIT;
	chat_room_welcome(lobby, a->m, &w);
	assert_int_equal(count(&w, "Here now: Bob and Zed"), 1);
	sbuf_reset(&w);
	chat_room_status(lobby, 80, &w);
	assert_int_equal(count(&w, "3 here"), 1);
	sbuf_free(&w);
	/* Only what was said here is in the store. */
	chat_registry_set_bus(f->reg, NULL, NULL, 0);
	fake_free(a);
	fake_free(b);
	chat_registry_free(f->reg);
	f->reg = chat_registry_new();
	uv_run(&f->loop, UV_RUN_DEFAULT);
	unsigned rows = 0;
	store_chat_recent(st, "Lobby", 10, count_row, &rows);
	assert_int_equal(rows, 2);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fanout_once_per_member_and_variant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redraw_only_when_typing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_two_ends_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missed_count_on_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_leave_announced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalesced_joins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_rooms_share_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_from_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_away_bell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caller_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_rank_and_topic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_last_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
