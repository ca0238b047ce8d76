/* The session state table with a fake connection: a conn whose transport is this
 * file's (terminal bytes pass unframed both ways) over a loopback socket, the real
 * BBS (SQLite in a temp dir, Argon2id at its minimum cost) and the real chat
 * engine, no HTTP, WebSocket or telnet.  What each caller sees is read through
 * libvterm.
 *
 * Login (register, a wrong password, the takeover of an older node), the menu, the
 * chat: enter, say, the half-typed line kept under incoming lines, leave, and a
 * full room sending the caller back to the menu. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bbs/actions.h"
#include "bbs/bbs.h"
#include "bbs/session.h"
#include "util/log.h"
#include "vt.h"

/* ---- the fake transport: terminal bytes in and out, unframed ---- */

static void ft_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	conn_deliver_input(c, data, len);
}

static struct buf *ft_frame(const uint8_t *term, size_t len)
{
	return buf_from(term, len);
}

static const struct transport fake_transport = {
	.name = "fake",
	.on_read = ft_on_read,
	.frame = ft_frame,
	.variant = CONN_VARIANT_WS,
};

/* ---- fixture ---- */

struct caller {
	int fd;
	struct vt vt;
	bool closed;             /* the server hung up */
};

struct fx {
	uv_loop_t loop;
	uv_tcp_t listener;
	uv_timer_t sweep;
	struct conn_set set;
	struct config cfg;
	struct bbs *bbs;
	struct sockaddr_in addr;
	int accepted;
	char dir[64];
};

static void on_connection(uv_stream_t *l, int status)
{
	struct fx *f = l->data;
	assert_int_equal(status, 0);
	struct conn *c = conn_accept(&f->set, l, &fake_transport);
	assert_non_null(c);
	f->accepted++;
	session_open(f->bbs, c);
}

/* The server's 1 s sweep, faster: timeouts and the states' wake-ups. */
static void sweep_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	conn_sweep(&f->set, uv_now(&f->loop));
}

static int setup_with(void **state, unsigned capacity)
{
	struct fx *f = calloc(1, sizeof(*f));
	log_set_level(LOG_WARN);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/carrier-session-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	config_defaults(&f->cfg, ".");
	snprintf(f->cfg.db_path, sizeof(f->cfg.db_path), "%s/bbs.db", f->dir);
	snprintf(f->cfg.art_dir, sizeof(f->cfg.art_dir), "art");
	f->cfg.password_ops = 1;              /* Argon2id's minimum: tests, not security */
	f->cfg.password_mem = 8192;
	f->cfg.chat_coalesce_ms = 0;          /* joins and leaves at once */
	f->cfg.chat_capacity = capacity;
	f->cfg.chat_max_line = 1000;          /* a line longer than 1,024 bytes */
	struct conn_limits limits = {
		.high_water = 256 * 1024, .low_water = 32 * 1024,
		.hard_limit = 4 * 1024 * 1024, .drain_timeout_ms = 1000,
	};
	conn_set_init(&f->set, NULL, &limits);
	f->bbs = bbs_new(&f->loop, &f->cfg);
	assert_non_null(f->bbs);
	uv_ip4_addr("127.0.0.1", 0, &f->addr);
	uv_tcp_init(&f->loop, &f->listener);
	f->listener.data = f;
	assert_int_equal(uv_tcp_bind(&f->listener, (struct sockaddr *)&f->addr, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 8, on_connection), 0);
	int len = sizeof(f->addr);
	uv_tcp_getsockname(&f->listener, (struct sockaddr *)&f->addr, &len);
	uv_timer_init(&f->loop, &f->sweep);
	f->sweep.data = f;
	uv_timer_start(&f->sweep, sweep_cb, 50, 50);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_with(state, 100); }
static int setup_small_room(void **state) { return setup_with(state, 1); }

static void close_handle(uv_handle_t *h, void *ud)
{
	(void)ud;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void close_conn(struct conn *c, void *ud)
{
	(void)ud;
	conn_close(c);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	/* As the server stops: every connection closed, every handle, then the BBS. */
	conn_foreach(&f->set, close_conn, NULL);
	uv_walk(&f->loop, close_handle, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->set.count, 0);
	bbs_free(f->bbs);
	config_free(&f->cfg);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Run the loop a little and read what every caller was sent. */
static void pump(struct fx *f, struct caller **cs, size_t n)
{
	conn_flush_pending(&f->set);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	conn_flush_pending(&f->set);
	for (size_t i = 0; i < n; i++) {
		uint8_t b[8192];
		while (!cs[i]->closed) {
			ssize_t got = read(cs[i]->fd, b, sizeof(b));
			if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (got <= 0) {
				cs[i]->closed = true;     /* EOF, or reset */
				break;
			}
			vt_write(&cs[i]->vt, b, (size_t)got);
		}
	}
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

static void dump(const struct caller *c)
{
	char row[VT_ROW_MAX];
	for (int r = 0; r < c->vt.rows; r++) {
		vt_row(&c->vt, r, row, sizeof(row));
		if (row[0])
			fprintf(stderr, "  %2d|%s\n", r, row);
	}
}

/* Pump until c's screen shows needle (10 s at most). */
static void wait_for(struct fx *f, struct caller *c, const char *needle)
{
	for (int i = 0; i < 10000; i++) {
		pump(f, &c, 1);
		if (vt_find(&c->vt, needle) >= 0)
			return;
	}
	fprintf(stderr, "never saw \"%s\"; the screen:\n", needle);
	dump(c);
	fail();
}

static void wait_closed(struct fx *f, struct caller *c)
{
	for (int i = 0; i < 10000 && !c->closed; i++)
		pump(f, &c, 1);
	assert_true(c->closed);
}

static struct caller *dial(struct fx *f)
{
	struct caller *c = calloc(1, sizeof(*c));
	vt_open(&c->vt, 80, 24);
	int before = f->accepted;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&f->addr, sizeof(f->addr)), 0);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 10000 && f->accepted == before; i++)
		pump(f, &c, 1);
	assert_int_equal(f->accepted, before + 1);
	return c;
}

static void hang_up(struct caller *c)
{
	close(c->fd);
	vt_close(&c->vt);
	free(c);
}

static void type(struct caller *c, const char *text)
{
	assert_int_equal(write(c->fd, text, strlen(text)), (ssize_t)strlen(text));
}

#define PASSWORD "correct horse battery"

static struct caller *registered(struct fx *f, const char *handle)
{
	char line[64];
	struct caller *c = dial(f);
	wait_for(f, c, "Enter your handle");
	type(c, "NEW\r");
	wait_for(f, c, "Choose a handle");
	snprintf(line, sizeof(line), "%s\r", handle);
	type(c, line);
	wait_for(f, c, "Choose a password");
	type(c, PASSWORD "\r");
	wait_for(f, c, "Type the password again");
	type(c, PASSWORD "\r");
	wait_for(f, c, "Where are you calling from");
	type(c, "Testville\r");
	wait_for(f, c, "Command");
	return c;
}

static void enter_chat(struct fx *f, struct caller *c)
{
	type(c, "C");
	wait_for(f, c, "*** Welcome to Teleconference ***");
}

/* ---- tests ---- */

static void test_register_menu_logoff(void **state)
{
	struct fx *f = *state;
	struct caller *a = registered(f, "Ada");
	wait_for(f, a, "Welcome aboard, Ada!");
	type(a, "W");                          /* who's online, then any key */
	wait_for(f, a, "Testville");
	type(a, " ");
	wait_for(f, a, "Command");
	type(a, "G");
	wait_for(f, a, "Ada");
	wait_closed(f, a);
	hang_up(a);
}

static void test_wrong_password_then_right(void **state)
{
	struct fx *f = *state;
	struct caller *a = registered(f, "Ada");
	type(a, "G");
	wait_closed(f, a);
	hang_up(a);

	a = dial(f);
	wait_for(f, a, "Enter your handle");
	type(a, "ada\rwrong password\r");
	wait_for(f, a, "Login incorrect.");
	/* After the retry delay, the handle prompt again; type-ahead was kept. */
	type(a, "Ada\r" PASSWORD "\r");
	wait_for(f, a, "This is call number 2.");
	hang_up(a);
}

/* The same handle on a second node: the older one is told and hung up, the new one
 * goes on to the menu.  Each session's output is its own throughout. */
static void test_takeover(void **state)
{
	struct fx *f = *state;
	struct caller *old = registered(f, "Ada");
	struct caller *now = dial(f);
	wait_for(f, now, "Enter your handle");
	type(now, "Ada\r" PASSWORD "\r");
	wait_for(f, now, "You are already online on node 1.");
	type(now, "y");
	wait_for(f, now, "Command");
	struct caller *both[] = { old, now };
	pump(f, both, 2);
	wait_for(f, old, "You logged in on another node. Goodbye!");
	wait_closed(f, old);
	/* Nothing meant for the old node reached the new one. */
	assert_int_equal(vt_find(&now->vt, "another node"), -1);
	hang_up(old);
	hang_up(now);
}

static void test_chat_enter_say_leave(void **state)
{
	struct fx *f = *state;
	struct caller *a = registered(f, "Ada");
	struct caller *b = registered(f, "Bob");
	enter_chat(f, a);
	enter_chat(f, b);
	wait_for(f, a, "*** Bob has joined the chat ***");
	wait_for(f, b, "Here now: Ada");

	/* Bob has half a line typed when Ada speaks: the line is kept, below hers. */
	type(b, "half typ");
	wait_for(f, b, "> half typ");
	type(a, "hello Bob\r");
	wait_for(f, a, "Ada: hello Bob");
	wait_for(f, b, "Ada: hello Bob");
	int said = vt_find(&b->vt, "Ada: hello Bob");
	int input = vt_find(&b->vt, "> half typ");
	assert_true(input > said);
	int row, col;
	vt_cursor(&b->vt, &row, &col);
	assert_int_equal(row, input);
	type(b, "ed\r");
	wait_for(f, a, "Bob: half typed");

	/* A line as long as max_line (1,000 characters, 1,999 bytes) reaches the
	 * room whole. */
	char line[2 * 1000 + 2];
	size_t n = 0;
	for (int i = 0; i < 999; i++, n += 2)
		memcpy(line + n, "\xc3\xa9", 2);
	line[n++] = '!';
	line[n++] = '\r';
	line[n] = '\0';
	type(a, line);
	wait_for(f, b, "\xc3\xa9\xc3\xa9!");

	/* /quit: back to the menu; the room is told. */
	type(b, "/quit\r");
	wait_for(f, b, "Command");
	wait_for(f, a, "*** Bob has left the chat ***");
	/* Hanging up in the room is a leave too. */
	struct caller *c = registered(f, "Cyd");
	enter_chat(f, c);
	wait_for(f, a, "*** Cyd has joined the chat ***");
	hang_up(c);
	wait_for(f, a, "*** Cyd has left the chat ***");
	hang_up(a);
	hang_up(b);
}

/* A page reaches a caller at the menu, on a line of its own, with a bell. */
static void test_page_to_menu(void **state)
{
	struct fx *f = *state;
	struct caller *a = registered(f, "Ada");
	struct caller *b = registered(f, "Bob");
	enter_chat(f, a);
	type(a, "/page bob come in\r");
	wait_for(f, a, "*** Page sent to Bob ***");
	wait_for(f, b, "*** Page from Ada: come in ***");
	type(a, "/msg Bob psst\r");
	wait_for(f, a, "Bob is not in the chat room. Try /page Bob.");
	hang_up(a);
	hang_up(b);
}

static void test_room_full(void **state)
{
	struct fx *f = *state;
	struct caller *a = registered(f, "Ada");
	struct caller *b = registered(f, "Bob");
	enter_chat(f, a);
	type(b, "C");
	wait_for(f, b, "The chat room is full.");
	type(b, " ");
	wait_for(f, b, "Command");
	type(a, "/quit\r");
	wait_for(f, a, "Command");
	enter_chat(f, b);
	hang_up(a);
	hang_up(b);
}

/* ---- reload ---- */

static const char menus_before[] =
	"[menu_titles]\nmain = \"Old Main\"\nextra = \"Extra Menu\"\n"
	"[[menu.main]]\nhotkey = \"C\"\nname = \"Chat\"\ntype = \"command\"\ncommand = \"chat\"\n"
	"[[menu.main]]\nhotkey = \"W\"\nname = \"Who\"\ntype = \"command\"\ncommand = \"who\"\n"
	"[[menu.main]]\nhotkey = \"E\"\nname = \"Extra\"\ntype = \"submenu\"\nsubmenu = \"extra\"\n"
	"[[menu.extra]]\nhotkey = \"W\"\nname = \"Who Else\"\ntype = \"command\"\ncommand = \"who\"\n";
static const char menus_after[] =
	"[menu_titles]\nmain = \"New Main\"\n"
	"[[menu.main]]\nhotkey = \"W\"\nname = \"Who Now\"\ntype = \"command\"\ncommand = \"who\"\n"
	"[[menu.main]]\nhotkey = \"C\"\nname = \"Chat\"\ntype = \"command\"\ncommand = \"chat\"\n";

static void load_menus(struct config *cfg, const char *text)
{
	struct config_diag diag;
	assert_int_equal(config_load_text(cfg, text, strlen(text), "menus.toml", &diag), 0);
}

/* The menus change under callers at a submenu that goes away, at the main menu and
 * in the chat: the first two are shown the new main menu at once, the third on
 * coming back, and nothing points into the old menus once they are freed (ASan
 * and valgrind would see it: who's online reads every caller's menu title). */
static void test_reload_menus(void **state)
{
	struct fx *f = *state;
	struct config old = f->cfg;
	load_menus(&f->cfg, menus_before);
	config_free(&old);                 /* the built-in menus: nothing freed */
	struct caller *a = registered(f, "Ada"), *b = registered(f, "Bea"), *c = registered(f, "Cal");
	type(a, "E");
	wait_for(f, a, "Extra Menu");
	enter_chat(f, c);
	wait_for(f, b, "Old Main");

	old = f->cfg;
	struct config next = f->cfg;
	next.menus_owned = false;          /* load_menus replaces them: old keeps its own */
	load_menus(&next, menus_after);
	f->cfg = next;
	struct actions none = { NULL, 0 };
	bbs_reload(f->bbs, &old, &none);
	config_free(&old);

	wait_for(f, a, "The menus have been changed");
	wait_for(f, a, "New Main");
	wait_for(f, b, "New Main");
	wait_for(f, b, "Who Now");
	type(b, "W");
	wait_for(f, b, "Ada");
	wait_for(f, b, "New Main");       /* what Ada is doing: the new menu's title */
	type(b, " ");
	/* The chat was left alone; back at the menu, the new one. */
	type(c, "/quit\r");
	wait_for(f, c, "New Main");
	hang_up(a);
	hang_up(b);
	hang_up(c);
}

/* max_nodes lowered under callers: they stay (and are listed), newcomers hear the
 * line is busy; raised again, newcomers get nodes again. */
static void reload_max_nodes(struct fx *f, unsigned n)
{
	struct config old = f->cfg;
	struct actions none = { NULL, 0 };
	f->cfg.max_nodes = n;
	bbs_reload(f->bbs, &old, &none);
}

static void test_reload_nodes(void **state)
{
	struct fx *f = *state;
	struct caller *a = registered(f, "Ada"), *b = registered(f, "Bea");
	reload_max_nodes(f, 1);
	struct caller *c = dial(f);
	wait_for(f, c, "All lines are busy");
	wait_closed(f, c);
	hang_up(c);
	type(a, "W");
	wait_for(f, a, "Bea");                /* on node 2, above the new limit */
	type(a, " ");
	wait_for(f, a, "Command");
	reload_max_nodes(f, 40);
	struct caller *d = registered(f, "Dee");
	wait_for(f, d, "Welcome aboard, Dee!");
	hang_up(a);
	hang_up(b);
	hang_up(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_menu_logoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_then_right, setup, teardown),
		cmocka_unit_test_setup_teardown(test_takeover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_enter_say_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_to_menu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_room_full, setup_small_room, teardown),
		cmocka_unit_test_setup_teardown(test_reload_menus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_nodes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
