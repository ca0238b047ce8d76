/* The telnet transport: the protocol driven directly (negotiation bytes, TTYPE and
 * the charset policy, the charset question, NAWS, input kept during negotiation,
 * CP437 input, garbage after IAC), the output framing, and the transport over a
 * real loopback socket with a libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "net/conn.h"
#include "telnet/frame.h"
#include "telnet/proto.h"
#include "telnet/transport.h"
#include "term/keys.h"
#include "term/termtype.h"
#include "util/sbuf.h"

#define IAC "\xff"
#define WILL "\xfb"
#define WONT "\xfc"
#define DO "\xfd"
#define DONT "\xfe"
#define SB "\xfa"
#define SE "\xf0"
#define O_BINARY "\x00"
#define O_ECHO "\x01"
#define O_SGA "\x03"
#define O_TTYPE "\x18"
#define O_NAWS "\x1f"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* ---- a recorder for the protocol's callbacks ---- */

struct rec {
	struct sbuf sent;
	struct sbuf input;
	char order[64];          /* 'S' start, 'R' resize, 'I' input */
	size_t norder;
	int starts;
	enum charset cs;
	unsigned cols, rows;
	int resizes;
};

static void note(struct rec *r, char what)
{
	if (r->norder + 1 < sizeof(r->order))
		r->order[r->norder++] = what;
}

static void r_send(void *ud, const uint8_t *d, size_t n)
{
	struct rec *r = ud;
	sbuf_append(&r->sent, d, n);
}

static void r_start(void *ud, enum charset cs)
{
	struct rec *r = ud;
	r->starts++;
	r->cs = cs;
	note(r, 'S');
}

static void r_input(void *ud, const uint8_t *d, size_t n)
{
	struct rec *r = ud;
	assert_int_equal(r->starts, 1);
	sbuf_append(&r->input, d, n);
	note(r, 'I');
}

static void r_resize(void *ud, unsigned cols, unsigned rows)
{
	struct rec *r = ud;
	assert_int_equal(r->starts, 1);
	r->cols = cols;
	r->rows = rows;
	r->resizes++;
	note(r, 'R');
}

static const struct telnet_proto_cbs rec_cbs = {
	.send = r_send, .start = r_start, .input = r_input, .resize = r_resize,
};

struct pt {
	struct rec r;
	struct telnet_proto *p;
};

static int pt_setup(void **state)
{
	struct pt *t = calloc(1, sizeof(*t));
	t->p = telnet_proto_new(&rec_cbs, &t->r, 1000, 500, 10000);
	assert_non_null(t->p);
	*state = t;
	return 0;
}

static int pt_teardown(void **state)
{
	struct pt *t = *state;
	telnet_proto_free(t->p);
	sbuf_free(&t->r.sent);
	sbuf_free(&t->r.input);
	free(t);
	return 0;
}

static void feed(struct pt *t, const uint8_t *d, size_t n)
{
	telnet_proto_feed(t->p, d, n, 1001);
}

static bool sent_has(struct pt *t, const void *needle, size_t n)
{
	return t->r.sent.len >= n && memmem(t->r.sent.data, t->r.sent.len, needle, n) != NULL;
}

static void clear_sent(struct pt *t)
{
	sbuf_reset(&t->r.sent);
}

static void assert_input(struct pt *t, const void *want, size_t n)
{
	assert_int_equal(t->r.input.len, n);
	assert_memory_equal(t->r.input.data, want, n);
}

#define SENT(t, lit) sent_has((t), lit, sizeof(lit) - 1)
#define INPUT(t, lit) assert_input((t), lit, sizeof(lit) - 1)

/* A client that refuses TTYPE and NAWS, answering nothing else. */
static void refuse_all(struct pt *t)
{
	feed(t, S(IAC WONT O_TTYPE IAC WONT O_NAWS));
}

/* ---- negotiation ---- */

static void test_initial_negotiation_bytes(void **state)
{
	struct pt *t = *state;
	static const char want[] = IAC WILL O_ECHO IAC WILL O_SGA IAC WILL O_BINARY
	                           IAC DO O_BINARY IAC DO O_NAWS IAC DO O_TTYPE;
	assert_int_equal(t->r.sent.len, sizeof(want) - 1);
	assert_memory_equal(t->r.sent.data, want, sizeof(want) - 1);
	assert_false(telnet_proto_started(t->p));
	assert_int_equal(telnet_proto_deadline(t->p), 1500);
	assert_int_equal(t->r.starts, 0);
}

static void test_xterm_client_starts_utf8_with_its_size(void **state)
{
	struct pt *t = *state;
	clear_sent(t);
	feed(t, S(IAC DO O_ECHO IAC DO O_SGA IAC DO O_BINARY IAC WILL O_BINARY
	          IAC WILL O_NAWS IAC SB O_NAWS "\x00\x64\x00\x1e" IAC SE IAC WILL O_TTYPE));
	assert_true(SENT(t, IAC SB O_TTYPE "\x01" IAC SE));
	assert_int_equal(t->r.starts, 0);
	clear_sent(t);
	feed(t, S(IAC SB O_TTYPE "\x00" "XTERM-256COLOR" IAC SE));
	/* MTTS style: asked again while the names are new. */
	assert_true(SENT(t, IAC SB O_TTYPE "\x01" IAC SE));
	assert_int_equal(t->r.starts, 0);
	feed(t, S(IAC SB O_TTYPE "\x00" "XTERM-256COLOR" IAC SE));
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_UTF8);
	assert_string_equal(telnet_proto_ttype(t->p), "XTERM-256COLOR");
	assert_true(telnet_proto_server_echo(t->p));
	assert_true(telnet_proto_binary(t->p));
	/* The size known before the start is delivered right after it. */
	assert_int_equal(t->r.cols, 100);
	assert_int_equal(t->r.rows, 30);
	assert_string_equal(t->r.order, "SR");
	assert_int_equal(telnet_proto_deadline(t->p), 0);
}

static void test_mtts_cycle_decides(void **state)
{
	struct pt *t = *state;
	feed(t, S(IAC WILL O_TTYPE IAC WONT O_NAWS));
	feed(t, S(IAC SB O_TTYPE "\x00" "MUDLET" IAC SE));
	feed(t, S(IAC SB O_TTYPE "\x00" "ANSI-TRUECOLOR" IAC SE));
	assert_int_equal(t->r.starts, 0);
	feed(t, S(IAC SB O_TTYPE "\x00" "MTTS 2831" IAC SE));
	assert_int_equal(t->r.starts, 0);
	clear_sent(t);
	feed(t, S(IAC SB O_TTYPE "\x00" "MTTS 2831" IAC SE));
	assert_int_equal(t->r.starts, 1);
	/* MTTS bit 4 (UTF-8) outranks "ANSI-*". */
	assert_int_equal(t->r.cs, CHARSET_UTF8);
	assert_string_equal(telnet_proto_ttype(t->p), "MUDLET");
	assert_false(SENT(t, IAC SB O_TTYPE "\x01" IAC SE));
}

static void test_ttype_requests_are_bounded(void **state)
{
	struct pt *t = *state;
	feed(t, S(IAC WILL O_TTYPE IAC WONT O_NAWS));
	char msg[64];
	for (int i = 0; i < 10 && t->r.starts == 0; i++) {
		int n = snprintf(msg, sizeof(msg), IAC SB O_TTYPE "%c" "term%d" IAC SE, 0, i);
		feed(t, (const uint8_t *)msg, (size_t)n);
	}
	/* Four names at most; then it settles (unknown names: the question). */
	size_t count = 0;
	for (const uint8_t *s = t->r.sent.data; (s = memmem(s, t->r.sent.len - (size_t)(s - t->r.sent.data),
	                                                    IAC SB O_TTYPE "\x01", 4)) != NULL; s++)
		count++;
	assert_int_equal(count, TELNET_TTYPE_MAX);
	assert_true(SENT(t, "Which box"));
	assert_string_equal(telnet_proto_ttype(t->p), "term0");
}

static void test_syncterm_is_cp437_and_input_converted(void **state)
{
	struct pt *t = *state;
	feed(t, S(IAC WILL O_TTYPE IAC WONT O_NAWS));
	feed(t, S(IAC SB O_TTYPE "\x00" "syncterm" IAC SE));
	feed(t, S(IAC SB O_TTYPE "\x00" "syncterm" IAC SE));
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_CP437);
	assert_false(SENT(t, "Which box"));
	/* 0xC9 is the CP437 double box corner; IAC IAC is one 0xFF, CP437's no-break
	 * space; ASCII passes. */
	feed(t, S("a\xc9" IAC IAC "\x82z"));
	INPUT(t, "a\xe2\x95\x94\xc2\xa0\xc3\xa9z");
	/* The session switches the caller to UTF-8: bytes pass unchanged. */
	sbuf_reset(&t->r.input);
	telnet_proto_set_charset(t->p, CHARSET_UTF8);
	feed(t, S("\xe2\x95\x94" IAC IAC));
	INPUT(t, "\xe2\x95\x94\xff");
}

static void test_charset_policy(void **state)
{
	(void)state;
	static const struct { const char *name; enum charset cs; } cases[] = {
		{ "ANSI", CHARSET_CP437 }, { "ansi-bbs", CHARSET_CP437 },
		{ "SyncTERM", CHARSET_CP437 }, { "NetRunner", CHARSET_CP437 },
		{ "PC-ANSI", CHARSET_CP437 }, { "SCOANSI", CHARSET_CP437 },
		{ "MTTS 137", CHARSET_CP437 }, { "MTTS 5", CHARSET_UTF8 },
		{ "xterm", CHARSET_UTF8 }, { "XTERM-256COLOR", CHARSET_UTF8 },
		{ "rxvt-unicode", CHARSET_UTF8 }, { "screen.xterm", CHARSET_UTF8 },
		{ "tmux-256color", CHARSET_UTF8 }, { "linux", CHARSET_UTF8 },
		{ "st", CHARSET_UTF8 }, { "st-256color", CHARSET_UTF8 },
		{ "xterm-kitty", CHARSET_UTF8 }, { "alacritty", CHARSET_UTF8 },
		{ "vt100", CHARSET_UNKNOWN }, { "VT220", CHARSET_UNKNOWN },
		{ "dumb", CHARSET_UNKNOWN }, { "stuff", CHARSET_UNKNOWN },
		{ "ansix", CHARSET_UNKNOWN }, { "ansi-", CHARSET_UNKNOWN },
		{ "MTTS x", CHARSET_UNKNOWN }, { "", CHARSET_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *names[1] = { cases[i].name };
		if (term_charset_for_types(names, 1) != cases[i].cs)
			fail_msg("%s: got %d, want %d", cases[i].name,
			         term_charset_for_types(names, 1), cases[i].cs);
	}
	/* The first name that tells wins; an MTTS field outranks every name. */
	const char *a[] = { "vt100", "ansi", "xterm" };
	assert_int_equal(term_charset_for_types(a, 3), CHARSET_CP437);
	const char *b[] = { "ansi", "MTTS 4" };
	assert_int_equal(term_charset_for_types(b, 2), CHARSET_UTF8);
	assert_int_equal(term_charset_for_types(NULL, 0), CHARSET_UNKNOWN);
}

/* ---- the charset question ---- */

static void test_unknown_client_is_asked_and_answers_1(void **state)
{
	struct pt *t = *state;
	feed(t, S(IAC DO O_ECHO));
	clear_sent(t);
	refuse_all(t);
	assert_int_equal(t->r.starts, 0);
	/* Two ASCII lines; the same box in UTF-8 and in CP437. */
	assert_true(SENT(t, "1) \xe2\x94\x8c\xe2\x94\x80\xe2\x94\x90"));
	assert_true(SENT(t, "2) \xda\xc4\xbf\r\n"));
	assert_int_equal(telnet_proto_deadline(t->p), 1001 + 10000);
	clear_sent(t);
	feed(t, S("x1"));       /* other keys are ignored */
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_UTF8);
	assert_int_equal(t->r.input.len, 0);
	/* The client let us echo: the answer is echoed, then a new line. */
	assert_true(SENT(t, "1\r\n"));
}

static void test_answer_2_and_line_mode_enter(void **state)
{
	struct pt *t = *state;
	refuse_all(t);
	/* A line-mode client sends the answer with its line end, maybe more. */
	feed(t, S("2\r\nguest\r\n"));
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_CP437);
	INPUT(t, "guest\r\n");
	assert_false(SENT(t, "2\r\n"));   /* no DO ECHO: the client echoed it itself */
}

static void test_enter_means_cp437(void **state)
{
	struct pt *t = *state;
	refuse_all(t);
	feed(t, S("\r\0"));
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_CP437);
	assert_int_equal(t->r.input.len, 0);   /* the NUL after CR went with it */
	/* A later Enter is the session's. */
	feed(t, S("\r\n"));
	INPUT(t, "\r\n");
}

static void test_question_times_out_to_cp437(void **state)
{
	struct pt *t = *state;
	refuse_all(t);
	telnet_proto_tick(t->p, 1001 + 9999);
	assert_int_equal(t->r.starts, 0);
	telnet_proto_tick(t->p, 1001 + 10000);
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_CP437);
	assert_int_equal(telnet_proto_deadline(t->p), 0);
}

/* A raw client (nc) answers nothing: after negotiate_ms it is asked; what it typed
 * meanwhile is kept, bounded, and delivered after the start. */
static void test_silent_client_input_kept(void **state)
{
	struct pt *t = *state;
	feed(t, S("hello\r\n"));
	telnet_proto_tick(t->p, 1499);
	assert_false(SENT(t, "Which box"));
	telnet_proto_tick(t->p, 1500);
	assert_true(SENT(t, "Which box"));
	assert_int_equal(t->r.starts, 0);
	telnet_proto_feed(t->p, S("1\n"), 1600);
	assert_int_equal(t->r.starts, 1);
	INPUT(t, "hello\r\n");
	assert_string_equal(t->r.order, "SI");
}

static void test_pending_input_is_bounded(void **state)
{
	struct pt *t = *state;
	uint8_t lots[1000];
	memset(lots, 'k', sizeof(lots));
	feed(t, lots, sizeof(lots));
	feed(t, lots, sizeof(lots));
	telnet_proto_feed(t->p, S(IAC WILL O_TTYPE), 1002);
	telnet_proto_feed(t->p, S(IAC SB O_TTYPE "\x00" "ansi" IAC SE), 1003);
	/* The deadline ends the negotiation even though NAWS was never answered. */
	telnet_proto_tick(t->p, 1500);
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_CP437);
	assert_int_equal(t->r.input.len, TELNET_PENDING_MAX);
}

/* Input in the same read as the answer, or as the reply that settles the
 * negotiation, goes to the session whole: only input typed before is bounded. */
static void test_paste_after_settling_not_cut(void **state)
{
	struct pt *t = *state;
	struct sbuf s = SBUF_INIT;
	sbuf_append(&s, S("early" IAC WILL O_TTYPE IAC WONT O_NAWS
	                  IAC SB O_TTYPE "\x00" "ansi" IAC SE IAC SB O_TTYPE "\x00" "ansi" IAC SE));
	for (int i = 0; i < 1000; i++)
		sbuf_putc(&s, (uint8_t)('a' + i % 26));
	feed(t, s.data, s.len);
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.input.len, 5 + 1000);
	assert_memory_equal(t->r.input.data, "earlyabc", 8);
	sbuf_free(&s);
}

static void test_paste_after_answer_not_cut(void **state)
{
	struct pt *t = *state;
	refuse_all(t);
	uint8_t msg[2001];
	msg[0] = '2';
	memset(msg + 1, 'p', sizeof(msg) - 1);
	feed(t, msg, sizeof(msg));
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.input.len, 2000);
}

/* ---- NAWS ---- */

static void test_naws_with_doubled_iac_and_changes(void **state)
{
	struct pt *t = *state;
	feed(t, S(IAC WONT O_TTYPE IAC WILL O_NAWS));
	assert_int_equal(t->r.starts, 0);
	/* 255 columns: the 0xFF inside the subnegotiation is doubled. */
	feed(t, S(IAC SB O_NAWS "\x00" IAC IAC "\x00\x28" IAC SE));
	feed(t, S("2"));
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cols, 255);
	assert_int_equal(t->r.rows, 40);
	assert_int_equal(t->r.resizes, 1);
	/* Later changes go straight to the session. */
	feed(t, S(IAC SB O_NAWS "\x00\x50\x00\x18" IAC SE));
	assert_int_equal(t->r.resizes, 2);
	assert_int_equal(t->r.cols, 80);
	assert_int_equal(t->r.rows, 24);
	/* Nonsense sizes are ignored: zero, too big, too short, too long. */
	feed(t, S(IAC SB O_NAWS "\x00\x00\x00\x18" IAC SE));
	feed(t, S(IAC SB O_NAWS "\x27\x10\x00\x18" IAC SE));
	feed(t, S(IAC SB O_NAWS "\x00\x50\x00" IAC SE));
	feed(t, S(IAC SB O_NAWS "\x00\x50\x00\x18\x00" IAC SE));
	assert_int_equal(t->r.resizes, 2);
	unsigned c = 0, r = 0;
	assert_true(telnet_proto_window(t->p, &c, &r));
	assert_int_equal(c, 80);
	assert_int_equal(r, 24);
	/* Split anywhere, it still parses. */
	static const char naws[] = IAC SB O_NAWS "\x00\x84\x00\x32" IAC SE;
	for (size_t i = 0; i < sizeof(naws) - 1; i++)
		feed(t, (const uint8_t *)naws + i, 1);
	assert_int_equal(t->r.resizes, 3);
	assert_int_equal(t->r.cols, 132);
	assert_int_equal(t->r.rows, 50);
	assert_int_equal(t->r.input.len, 0);
}

/* ---- line ends, data, garbage ---- */

static void start_utf8(struct pt *t)
{
	refuse_all(t);
	feed(t, S("1"));
	assert_int_equal(t->r.starts, 1);
	sbuf_reset(&t->r.input);
	clear_sent(t);
}

static void test_cr_nul_and_cr_lf_are_one_enter_each(void **state)
{
	struct pt *t = *state;
	start_utf8(t);
	feed(t, S("ab\r"));
	feed(t, S("\0cd\r\n"));
	INPUT(t, "ab\r\0cd\r\n");
	struct key_decoder d;
	keys_init(&d);
	int enters = 0, chars = 0;
	struct key k;
	for (size_t i = 0; i < t->r.input.len; i++) {
		if (keys_feed(&d, t->r.input.data[i], &k)) {
			enters += k.type == KEY_ENTER;
			chars += k.type == KEY_CHAR;
		}
	}
	assert_int_equal(enters, 2);
	assert_int_equal(chars, 4);
}

static void test_commands_in_data(void **state)
{
	struct pt *t = *state;
	start_utf8(t);
	/* NOP, AYT, GA, DM and an undefined command vanish; IP, EC, EL are keys. */
	feed(t, S("a" IAC "\xf1" "b" IAC "\xf6" IAC "\xf9" IAC "\xf2" IAC "\x01" "c"
	          IAC "\xf4" IAC "\xf7" IAC "\xf8" "d"));
	INPUT(t, "abc\x03\x08\x15" "d");
	assert_int_equal(t->r.sent.len, 0);
	/* Options we do not support are refused; data around them is intact. */
	feed(t, S("e" IAC WILL "\xc8" IAC DO "\x27" "f"));
	assert_true(SENT(t, IAC DONT "\xc8"));
	assert_true(SENT(t, IAC WONT "\x27"));
	INPUT(t, "abc\x03\x08\x15" "def");
	/* A dangling IAC at the end of a read waits for the next byte. */
	feed(t, S("g" IAC));
	feed(t, S(IAC "h"));
	INPUT(t, "abc\x03\x08\x15" "defg\xffh");
}

static void test_foreign_subnegotiations_dropped(void **state)
{
	struct pt *t = *state;
	start_utf8(t);
	/* MCCP2 start: libtelnet would inflate everything after it.  ZMP, NEW-ENVIRON,
	 * MSSP: never parsed.  The data after each arrives untouched. */
	feed(t, S(IAC SB "\x56" IAC SE "plain"));
	feed(t, S(IAC SB "\x5d" "x\0y" IAC SE "1"));
	feed(t, S(IAC SB "\x27" "\x00\x01\x02" IAC IAC IAC SE "2"));
	feed(t, S(IAC SB "\x46" "\x01" "a" "\x02" "b" IAC SE "3"));
	INPUT(t, "plain123");
	assert_int_equal(t->r.sent.len, 0);
}

static void test_truncated_and_broken_subnegotiation(void **state)
{
	struct pt *t = *state;
	start_utf8(t);
	/* IAC <not SE> ends a subnegotiation: the 2-byte NAWS is ignored and the
	 * command that broke it (NOP) is read as a command. */
	feed(t, S(IAC SB O_NAWS "\x00\x50" IAC "\xf1" "ok"));
	INPUT(t, "ok");
	assert_int_equal(t->r.resizes, 0);
	/* Broken by IAC SB: the new subnegotiation counts. */
	feed(t, S(IAC SB O_NAWS "\x00" IAC SB O_NAWS "\x00\x50\x00\x19" IAC SE "!"));
	assert_int_equal(t->r.resizes, 1);
	assert_int_equal(t->r.rows, 25);
	INPUT(t, "ok!");
	/* An SB that never ends swallows what follows (it is inside the SB), however
	 * long, and nothing of it leaks out as input. */
	feed(t, S(IAC SB O_TTYPE "\x00" "never ends"));
	uint8_t lots[5000];
	memset(lots, 'z', sizeof(lots));
	for (int i = 0; i < 10; i++)
		feed(t, lots, sizeof(lots));
	INPUT(t, "ok!");
	feed(t, S(IAC SE "back"));
	INPUT(t, "ok!back");
}

static void test_overlong_ttype_cut(void **state)
{
	struct pt *t = *state;
	feed(t, S(IAC WILL O_TTYPE IAC WONT O_NAWS IAC SB O_TTYPE "\x00"));
	uint8_t lots[20000];
	memset(lots, 'A', sizeof(lots));
	for (size_t i = 0; i < sizeof(lots); i += 7)
		lots[i] = 0xff;   /* doubled below: IAC IAC inside the SB */
	struct sbuf s = SBUF_INIT;
	for (size_t i = 0; i < sizeof(lots); i++) {
		sbuf_putc(&s, lots[i]);
		if (lots[i] == 0xff)
			sbuf_putc(&s, 0xff);
	}
	feed(t, s.data, s.len);
	sbuf_free(&s);
	feed(t, S(IAC SE "hi"));
	telnet_proto_tick(t->p, 1500);
	/* Unknown name (A's): asked.  Printable bytes only, at most 40 of them. */
	const char *name = telnet_proto_ttype(t->p);
	assert_int_equal(strlen(name), TELNET_TTYPE_LEN);
	assert_null(strchr(name, '\xff'));
	feed(t, S("1"));
	INPUT(t, "hi");
}

static void test_split_feeding_is_the_same(void **state)
{
	struct pt *t = *state;
	static const char script[] =
		IAC DO O_ECHO IAC WILL O_NAWS IAC SB O_NAWS "\x00\x50\x00\x18" IAC SE
		IAC WILL O_TTYPE;
	for (size_t i = 0; i < sizeof(script) - 1; i++)
		feed(t, (const uint8_t *)script + i, 1);
	static const char names[] = IAC SB O_TTYPE "\x00" "ANSI" IAC SE
	                            IAC SB O_TTYPE "\x00" "ANSI" IAC SE "x" "\xc9";
	for (size_t i = 0; i < sizeof(names) - 1; i++)
		feed(t, (const uint8_t *)names + i, 1);
	assert_int_equal(t->r.starts, 1);
	assert_int_equal(t->r.cs, CHARSET_CP437);
	assert_int_equal(t->r.cols, 80);
	INPUT(t, "x\xe2\x95\x94");
}

/* ---- framing ---- */

static void assert_buf(struct buf *b, const void *want, size_t n)
{
	assert_non_null(b);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
	buf_unref(b);
}

#define BUF(b, lit) assert_buf((b), lit, sizeof(lit) - 1)

static void test_frame_utf8(void **state)
{
	(void)state;
	BUF(telnet_frame_utf8(S("a" "\xff" "\r\nb\rc\r")), "a\xff\xff\r\nb\r\0c\r\0");
	BUF(telnet_frame_utf8(S("\r\x1b[K\xe2\x95\x94\n")), "\r\0\x1b[K\xe2\x95\x94\n");
	BUF(telnet_frame_utf8(S("\r\r\n")), "\r\0\r\n");
	BUF(telnet_frame_utf8(S("")), "");
}

static void test_frame_cp437(void **state)
{
	(void)state;
	/* Box drawing, accents, U+00A0 (0xFF: doubled), the unmappable Euro. */
	BUF(telnet_frame_cp437(S("\xe2\x95\x94\xe2\x95\x90\xe2\x95\x97 \xc3\xa9\xc2\xa0\xe2\x82\xac")),
	    "\xc9\xcd\xbb \x82\xff\xff?");
	BUF(telnet_frame_cp437(S("\x1b[1;33mhi\r\x1b[K\r\n\a")), "\x1b[1;33mhi\r\0\x1b[K\r\n\a");
	BUF(telnet_frame_cp437(S("\xff")), "?");   /* invalid UTF-8 */
}

/* ---- the transport over a loopback socket ---- */

struct lt {
	uv_loop_t loop;
	uv_tcp_t listener;
	struct conn_set set;
	struct telnet_settings settings;
	struct conn *conn;
	int client;
	int terminals, closes;
	enum charset cs_at_start;
	struct sbuf in;          /* what the session got */
	struct sbuf got;         /* what the client got */
	unsigned cols, rows;
};

static struct lt *cur;

static void h_input(struct conn *c, const uint8_t *d, size_t n) { (void)c; sbuf_append(&cur->in, d, n); }
static void h_resize(struct conn *c, unsigned cols, unsigned rows) { (void)c; cur->cols = cols; cur->rows = rows; }
static void h_close(struct conn *c) { (void)c; cur->closes++; cur->conn = NULL; }

static const struct conn_handler lt_handler = {
	.on_input = h_input, .on_resize = h_resize, .on_close = h_close,
};

static void on_terminal(void *ud, struct conn *c)
{
	assert_ptr_equal(ud, cur);
	cur->terminals++;
	bool told;
	cur->cs_at_start = conn_charset(c, &told);
	conn_set_handler(c, &lt_handler, NULL);
	conn_write_term(c, "\xe2\x95\x94\r\n", 5);
}

static void on_connection(uv_stream_t *l, int status)
{
	assert_int_equal(status, 0);
	cur->conn = conn_accept(&cur->set, l, telnet_transport(CHARSET_UTF8));
	assert_non_null(cur->conn);
	telnet_transport_attach(cur->conn, &cur->settings, on_terminal, cur);
}

static int lt_setup(void **state)
{
	struct lt *f = calloc(1, sizeof(*f));
	cur = f;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	struct conn_limits limits = {
		.high_water = 64 * 1024, .low_water = 16 * 1024,
		.hard_limit = 1024 * 1024, .drain_timeout_ms = 1000,
	};
	conn_set_init(&f->set, NULL, &limits);
	f->settings = (struct telnet_settings){
		.loop = &f->loop, .negotiate_ms = 60, .ask_ms = 5000, .nop_interval_ms = 0,
	};
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(&f->loop, &f->listener);
	assert_int_equal(uv_tcp_bind(&f->listener, (struct sockaddr *)&addr, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 8, on_connection), 0);
	int len = sizeof(addr);
	uv_tcp_getsockname(&f->listener, (struct sockaddr *)&addr, &len);
	f->client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(f->client, (struct sockaddr *)&addr, sizeof(addr)), 0);
	fcntl(f->client, F_SETFL, O_NONBLOCK);
	while (f->conn == NULL)
		uv_run(&f->loop, UV_RUN_ONCE);
	*state = f;
	return 0;
}

static int lt_teardown(void **state)
{
	struct lt *f = *state;
	if (f->conn)
		conn_close(f->conn);
	close(f->client);
	uv_close((uv_handle_t *)&f->listener, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->set.count, 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sbuf_free(&f->in);
	sbuf_free(&f->got);
	free(f);
	return 0;
}

static void pump(struct lt *f)
{
	conn_flush_pending(&f->set);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	conn_flush_pending(&f->set);
	uint8_t b[4096];
	ssize_t n;
	while ((n = read(f->client, b, sizeof(b))) > 0)
		sbuf_append(&f->got, b, (size_t)n);
}

static bool got(struct lt *f, const void *needle, size_t n)
{
	return f->got.len >= n && memmem(f->got.data, f->got.len, needle, n) != NULL;
}

#define GOT(f, lit) got((f), lit, sizeof(lit) - 1)

/* Pump until cond or about two seconds. */
#define PUMP_UNTIL(f, cond) \
	do { \
		for (int i_ = 0; i_ < 2000 && !(cond); i_++) { \
			pump(f); \
			if (!(cond)) \
				usleep(1000); \
		} \
	} while (0)

static void client_send(struct lt *f, const void *d, size_t n)
{
	assert_int_equal(write(f->client, d, n), (ssize_t)n);
}

#define SEND(f, lit) client_send((f), lit, sizeof(lit) - 1)

static void test_transport_ansi_client(void **state)
{
	struct lt *f = *state;
	PUMP_UNTIL(f, GOT(f, IAC DO O_TTYPE));
	assert_true(GOT(f, IAC WILL O_ECHO IAC WILL O_SGA));
	SEND(f, IAC WILL O_TTYPE IAC WILL O_NAWS IAC SB O_NAWS "\x00\x50\x00\x19" IAC SE
	        "typed early");
	PUMP_UNTIL(f, GOT(f, IAC SB O_TTYPE "\x01" IAC SE));
	SEND(f, IAC SB O_TTYPE "\x00" "ANSI" IAC SE IAC SB O_TTYPE "\x00" "ANSI" IAC SE);
	PUMP_UNTIL(f, f->terminals == 1 && GOT(f, "\xc9\r\n"));
	assert_int_equal(f->terminals, 1);
	assert_int_equal(f->cs_at_start, CHARSET_CP437);
	assert_int_equal(conn_variant(f->conn), CONN_VARIANT_TELNET_CP437);
	assert_true(GOT(f, "\xc9\r\n"));     /* '╔' in CP437 */
	assert_string_equal(telnet_terminal_type(f->conn), "ANSI");
	bool told = false;
	assert_int_equal(conn_charset(f->conn, &told), CHARSET_CP437);
	assert_true(told);
	assert_int_equal(f->cols, 80);
	assert_int_equal(f->rows, 25);
	assert_int_equal(f->in.len, 11);
	assert_memory_equal(f->in.data, "typed early", 11);

	/* The caller's stored choice: UTF-8 from now on, both ways. */
	conn_set_charset(f->conn, CHARSET_UTF8);
	assert_int_equal(conn_charset(f->conn, &told), CHARSET_UTF8);
	assert_int_equal(conn_variant(f->conn), CONN_VARIANT_TELNET_UTF8);
	sbuf_reset(&f->got);
	conn_write_term(f->conn, "\xe2\x95\x94\r", 4);
	PUMP_UNTIL(f, f->got.len >= 5);
	assert_int_equal(f->got.len, 5);
	assert_memory_equal(f->got.data, "\xe2\x95\x94\r\0", 5);

	/* NAWS changes reach the session. */
	SEND(f, IAC SB O_NAWS "\x00\x84\x00\x2b" IAC SE);
	PUMP_UNTIL(f, f->cols == 132);
	assert_int_equal(f->rows, 43);

	/* A polite close flushes and closes. */
	conn_shutdown(f->conn, 1001, "bye");
	assert_int_equal(f->closes, 1);
}

static void test_transport_silent_client_is_asked(void **state)
{
	struct lt *f = *state;
	/* Like nc: never answers an option. */
	PUMP_UNTIL(f, GOT(f, "Which box"));
	assert_true(GOT(f, "Which box"));
	assert_int_equal(f->terminals, 0);
	assert_string_equal(telnet_terminal_type(f->conn), "");
	bool told = true;
	assert_int_equal(conn_charset(f->conn, &told), CHARSET_UNKNOWN);
	assert_false(told);
	SEND(f, "1\r\nhello\r\n");
	PUMP_UNTIL(f, f->terminals == 1 && f->in.len == 7);
	assert_int_equal(f->cs_at_start, CHARSET_UTF8);
	assert_int_equal(conn_charset(f->conn, &told), CHARSET_UTF8);
	assert_false(told);
	assert_true(GOT(f, "\xe2\x95\x94\r\n"));
	assert_int_equal(f->in.len, 7);
	assert_memory_equal(f->in.data, "hello\r\n", 7);
	/* The peer hangs up: closed once, freed (teardown checks the count). */
	close(f->client);
	f->client = socket(AF_INET, SOCK_STREAM, 0);
	PUMP_UNTIL(f, f->closes == 1);
	assert_int_equal(f->closes, 1);
}

static void test_transport_nop_keepalive(void **state)
{
	struct lt *f = *state;
	f->settings.nop_interval_ms = 10;
	PUMP_UNTIL(f, GOT(f, "Which box"));
	sbuf_reset(&f->got);
	usleep(20000);
	uv_update_time(&f->loop);
	conn_sweep(&f->set, uv_now(&f->loop));
	pump(f);
	assert_true(GOT(f, IAC "\xf1"));
	/* Not again within the interval. */
	sbuf_reset(&f->got);
	conn_sweep(&f->set, uv_now(&f->loop));
	pump(f);
	assert_false(GOT(f, IAC "\xf1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_negotiation_bytes, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_xterm_client_starts_utf8_with_its_size, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_mtts_cycle_decides, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_ttype_requests_are_bounded, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_syncterm_is_cp437_and_input_converted, pt_setup, pt_teardown),
		cmocka_unit_test(test_charset_policy),
		cmocka_unit_test_setup_teardown(test_unknown_client_is_asked_and_answers_1, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_answer_2_and_line_mode_enter, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_enter_means_cp437, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_question_times_out_to_cp437, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_silent_client_input_kept, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_pending_input_is_bounded, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_paste_after_settling_not_cut, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_paste_after_answer_not_cut, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_naws_with_doubled_iac_and_changes, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_cr_nul_and_cr_lf_are_one_enter_each, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_commands_in_data, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_subnegotiations_dropped, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_broken_subnegotiation, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_overlong_ttype_cut, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_split_feeding_is_the_same, pt_setup, pt_teardown),
		cmocka_unit_test(test_frame_utf8),
		cmocka_unit_test(test_frame_cp437),
		cmocka_unit_test_setup_teardown(test_transport_ansi_client, lt_setup, lt_teardown),
		cmocka_unit_test_setup_teardown(test_transport_silent_client_is_asked, lt_setup, lt_teardown),
		cmocka_unit_test_setup_teardown(test_transport_nop_keepalive, lt_setup, lt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
