#include "telnet/proto.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libtelnet.h>

#include "term/cp437.h"
#include "term/termtype.h"
#include "util/sbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define IAC TELNET_IAC
#define SB TELNET_SB
#define SE TELNET_SE

#define MAX_WINDOW 1000

enum phase {
	PH_NEGOTIATE,   /* waiting for option answers */
	PH_ASK,         /* the charset question is on screen */
	PH_READY,       /* decided; the start runs once the current chunk is parsed */
	PH_STARTED,
};

/* The input filter's parse state, mirroring libtelnet's (see proto.h). */
enum fstate {
	F_DATA,
	F_IAC,          /* holding an IAC */
	F_NEG,          /* IAC WILL/WONT/DO/DONT passed on, the option byte next */
	F_SB,           /* holding IAC SB, the option byte next */
	F_SBDATA,
	F_SBIAC,        /* holding the IAC inside a subnegotiation */
};

struct telnet_proto {
	telnet_t *tn;
	const struct telnet_proto_cbs *cbs;
	void *ud;
	struct sbuf out;                /* wire output of the current call */

	enum phase phase;
	enum charset cs;
	uint64_t deadline;              /* negotiation / question, absolute ms */
	uint64_t ask_ms;

	uint8_t fstate;
	uint8_t fcmd;                   /* F_NEG: the command */
	bool sb_drop;                   /* this subnegotiation is not passed on */
	uint16_t sb_len;                /* bytes of it passed on */

	bool ttype_done, naws_done;
	bool echo, bin_us, bin_him;
	bool have_size;
	bool told;                      /* the terminal types decided the charset */
	bool swallow_eol;               /* the charset answer came in this feed */
	uint64_t now;                   /* of the current feed */
	uint8_t ttype_asked;
	uint8_t nnames;
	unsigned cols, rows;
	char names[TELNET_TTYPE_MAX][TELNET_TTYPE_LEN + 1];

	size_t npending;
	uint8_t pending[TELNET_PENDING_MAX];
};

static const telnet_telopt_t telopts[] = {
	{ TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT },
	{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_TTYPE, TELNET_WONT, TELNET_DO },
	{ TELNET_TELOPT_NAWS, TELNET_WONT, TELNET_DO },
	{ -1, 0, 0 },
};

/* ---- output ---- */

static void flush_out(struct telnet_proto *p)
{
	if (p->out.len == 0)
		return;
	p->cbs->send(p->ud, p->out.data, p->out.len);
	sbuf_reset(&p->out);
}

/* ---- input to the session ---- */

static void deliver(struct telnet_proto *p, const uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	flush_out(p);
	if (p->cs != CHARSET_CP437) {
		p->cbs->input(p->ud, data, len);
		return;
	}
	uint8_t conv[128 * 3];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] < 0x80) {
			conv[n++] = data[i];
		} else {
			/* CP437 code points are all in the BMP: at most 3 bytes. */
			n += utf8_encode(cp437_to_unicode(data[i], CP437_TEXT), conv + n);
		}
		if (n > sizeof(conv) - 3) {
			p->cbs->input(p->ud, conv, n);
			n = 0;
		}
	}
	if (n > 0)
		p->cbs->input(p->ud, conv, n);
}

static void keep_pending(struct telnet_proto *p, const uint8_t *data, size_t len)
{
	size_t room = sizeof(p->pending) - p->npending;
	if (len > room)
		len = room;
	memcpy(p->pending + p->npending, data, len);
	p->npending += len;
}

static void start(struct telnet_proto *p)
{
	assert(p->phase == PH_READY);
	p->phase = PH_STARTED;
	p->deadline = 0;
	flush_out(p);
	p->cbs->start(p->ud, p->cs);
	if (p->have_size)
		p->cbs->resize(p->ud, p->cols, p->rows);
	size_t n = p->npending;
	p->npending = 0;
	deliver(p, p->pending, n);
}

/* ---- the charset question ---- */

static const char question[] =
	"\r\nWhich box looks right?   1) \xE2\x94\x8C\xE2\x94\x80\xE2\x94\x90"
	"   2) \xDA\xC4\xBF\r\n"
	"Press 1 or 2 (Enter: 2) ";

static void ask(struct telnet_proto *p, uint64_t now)
{
	p->phase = PH_ASK;
	p->deadline = now + p->ask_ms;
	sbuf_append(&p->out, question, sizeof(question) - 1);
}

static void answered(struct telnet_proto *p, enum charset cs, uint8_t key)
{
	p->cs = cs;
	p->phase = PH_READY;
	p->deadline = 0;
	if (p->echo && key >= '1' && key <= '2')
		sbuf_putc(&p->out, key);
	sbuf_append(&p->out, "\r\n", 2);
}

static void on_data(struct telnet_proto *p, const uint8_t *data, size_t len);

/* Data while the question is asked: the answer starts the session, which gets
 * what follows it. */
static void answer_data(struct telnet_proto *p, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = data[i];
		if (b == '1')
			answered(p, CHARSET_UTF8, b);
		else if (b == '2' || b == '\r' || b == '\n')
			answered(p, CHARSET_CP437, b);
		else
			continue;
		p->swallow_eol = true;
		start(p);
		on_data(p, data + i + 1, len - i - 1);
		return;
	}
}

static void settle(struct telnet_proto *p, uint64_t now)
{
	if (p->phase == PH_NEGOTIATE &&
	    ((p->ttype_done && p->naws_done) || now >= p->deadline)) {
		const char *names[TELNET_TTYPE_MAX];
		for (unsigned i = 0; i < p->nnames; i++)
			names[i] = p->names[i];
		enum charset cs = term_charset_for_types(names, p->nnames);
		if (cs == CHARSET_UNKNOWN) {
			ask(p, now);
		} else {
			p->cs = cs;
			p->told = true;
			p->phase = PH_READY;
		}
	}
	if (p->phase == PH_ASK && now >= p->deadline)
		answered(p, CHARSET_CP437, 0);
	if (p->phase == PH_READY)
		start(p);
}

/* ---- libtelnet events ---- */

/* Data, in the order libtelnet parsed it.  Decisions are taken at the byte where
 * they become due (settle), so how the stream was split never matters. */
static void on_data(struct telnet_proto *p, const uint8_t *data, size_t len)
{
	settle(p, p->now);
	while (p->swallow_eol && len > 0) {
		if (data[0] != '\r' && data[0] != '\n' && data[0] != '\0')
			p->swallow_eol = false;
		else
			data++, len--;
	}
	if (len == 0)
		return;
	switch (p->phase) {
	case PH_NEGOTIATE:
	case PH_READY:   /* not reached: settle starts a ready session */
		keep_pending(p, data, len);
		break;
	case PH_ASK:
		answer_data(p, data, len);
		break;
	case PH_STARTED:
		deliver(p, data, len);
		break;
	}
}

static void on_ttype(struct telnet_proto *p, const char *raw)
{
	if (p->ttype_done)
		return;
	char name[TELNET_TTYPE_LEN + 1];
	size_t n = 0;
	for (const char *s = raw; *s != '\0' && n < TELNET_TTYPE_LEN; s++) {
		if (*s >= 0x20 && *s <= 0x7E)
			name[n++] = *s;
	}
	name[n] = '\0';
	if (n == 0) {
		p->ttype_done = true;
		return;
	}
	for (unsigned i = 0; i < p->nnames; i++) {
		if (strcasecmp(p->names[i], name) == 0) {
			p->ttype_done = true;   /* the list has come round */
			return;
		}
	}
	memcpy(p->names[p->nnames++], name, n + 1);
	if (p->nnames == TELNET_TTYPE_MAX || p->ttype_asked >= TELNET_TTYPE_MAX) {
		p->ttype_done = true;
		return;
	}
	p->ttype_asked++;
	telnet_ttype_send(p->tn);
}

static void on_naws(struct telnet_proto *p, const uint8_t *d, size_t len)
{
	p->naws_done = true;
	if (len != 4)
		return;
	unsigned cols = (unsigned)d[0] << 8 | d[1];
	unsigned rows = (unsigned)d[2] << 8 | d[3];
	if (cols == 0 || rows == 0 || cols > MAX_WINDOW || rows > MAX_WINDOW)
		return;
	p->cols = cols;
	p->rows = rows;
	p->have_size = true;
	if (p->phase == PH_STARTED) {
		flush_out(p);
		p->cbs->resize(p->ud, cols, rows);
	}
}

static void on_iac(struct telnet_proto *p, unsigned char cmd)
{
	uint8_t key;
	switch (cmd) {
	case TELNET_IP: key = 0x03; break;   /* Interrupt Process: Ctrl-C */
	case TELNET_EC: key = 0x08; break;   /* Erase Character: Backspace */
	case TELNET_EL: key = 0x15; break;   /* Erase Line: Ctrl-U */
	default: return;                     /* NOP, GA, AYT, DM, garbage: ignored */
	}
	on_data(p, &key, 1);
}

static void event_cb(telnet_t *tn, telnet_event_t *ev, void *ud)
{
	struct telnet_proto *p = ud;
	(void)tn;
	switch (ev->type) {
	case TELNET_EV_SEND:
		sbuf_append(&p->out, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_DATA:
		on_data(p, (const uint8_t *)ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_IAC:
		on_iac(p, ev->iac.cmd);
		break;
	case TELNET_EV_WILL:
		if (ev->neg.telopt == TELNET_TELOPT_TTYPE && p->ttype_asked == 0 && !p->ttype_done) {
			p->ttype_asked = 1;
			telnet_ttype_send(p->tn);
		} else if (ev->neg.telopt == TELNET_TELOPT_BINARY) {
			p->bin_him = true;
		}
		break;
	case TELNET_EV_WONT:
		if (ev->neg.telopt == TELNET_TELOPT_BINARY)
			p->bin_him = false;
		break;
	case TELNET_EV_DO:
		if (ev->neg.telopt == TELNET_TELOPT_ECHO)
			p->echo = true;
		else if (ev->neg.telopt == TELNET_TELOPT_BINARY)
			p->bin_us = true;
		break;
	case TELNET_EV_DONT:
		if (ev->neg.telopt == TELNET_TELOPT_ECHO)
			p->echo = false;
		else if (ev->neg.telopt == TELNET_TELOPT_BINARY)
			p->bin_us = false;
		break;
	case TELNET_EV_SUBNEGOTIATION:
		if (ev->sub.telopt == TELNET_TELOPT_NAWS)
			on_naws(p, (const uint8_t *)ev->sub.buffer, ev->sub.size);
		break;
	case TELNET_EV_TTYPE:
		if (ev->ttype.cmd == TELNET_TTYPE_IS && ev->ttype.name != NULL)
			on_ttype(p, ev->ttype.name);
		break;
	default:
		/* WARNING / ERROR (a malformed TTYPE, say) and the events of options we
		 * never let through: nothing to do, the filter keeps libtelnet sane. */
		return;
	}
	/* Decide at the event that makes it due, wherever the reads were split. */
	if (ev->type != TELNET_EV_SEND && ev->type != TELNET_EV_DATA)
		settle(p, p->now);
}

/* ---- the input filter ---- */

struct fctx {
	struct telnet_proto *p;
	uint64_t now;
	size_t n;
	uint8_t buf[512];
};

static void fflush_chunk(struct fctx *f)
{
	if (f->n == 0)
		return;
	telnet_recv(f->p->tn, (const char *)f->buf, f->n);
	f->n = 0;
	settle(f->p, f->now);
}

static void emit(struct fctx *f, uint8_t b)
{
	f->buf[f->n++] = b;
	if (f->n == sizeof(f->buf))
		fflush_chunk(f);
}

/* A refusal of our DO leaves libtelnet's Q state without an event: see it here. */
static void note_negotiation(struct telnet_proto *p, uint8_t cmd, uint8_t opt)
{
	if (cmd != TELNET_WONT)
		return;
	if (opt == TELNET_TELOPT_TTYPE)
		p->ttype_done = true;
	else if (opt == TELNET_TELOPT_NAWS)
		p->naws_done = true;
}

static void filter_byte(struct fctx *f, uint8_t b)
{
	struct telnet_proto *p = f->p;
	switch (p->fstate) {
	case F_DATA:
		if (b == IAC)
			p->fstate = F_IAC;
		else
			emit(f, b);
		break;
	case F_IAC:
		if (b == SB) {
			p->fstate = F_SB;
			break;
		}
		emit(f, IAC);
		emit(f, b);
		if (b == TELNET_WILL || b == TELNET_WONT || b == TELNET_DO || b == TELNET_DONT) {
			p->fcmd = b;
			p->fstate = F_NEG;
		} else {
			p->fstate = F_DATA;
		}
		break;
	case F_NEG:
		/* libtelnet parses everything before the refusal first. */
		emit(f, b);
		fflush_chunk(f);
		note_negotiation(p, p->fcmd, b);
		settle(p, f->now);
		p->fstate = F_DATA;
		break;
	case F_SB:
		p->sb_drop = b != TELNET_TELOPT_NAWS && b != TELNET_TELOPT_TTYPE;
		p->sb_len = 0;
		if (!p->sb_drop) {
			emit(f, IAC);
			emit(f, SB);
			emit(f, b);
		}
		p->fstate = F_SBDATA;
		break;
	case F_SBDATA:
		if (b == IAC) {
			p->fstate = F_SBIAC;
		} else if (!p->sb_drop && p->sb_len < TELNET_SB_MAX) {
			emit(f, b);
			p->sb_len++;
		}
		break;
	case F_SBIAC:
		if (b == SE) {
			if (!p->sb_drop) {
				emit(f, IAC);
				emit(f, SE);
			}
			p->fstate = F_DATA;
		} else if (b == IAC) {
			if (!p->sb_drop && p->sb_len < TELNET_SB_MAX) {
				emit(f, IAC);
				emit(f, IAC);
				p->sb_len++;
			}
			p->fstate = F_SBDATA;
		} else {
			/* IAC <not SE> breaks the subnegotiation: end it properly, then
			 * read b as the command after that IAC. */
			if (!p->sb_drop) {
				emit(f, IAC);
				emit(f, SE);
			}
			p->fstate = F_IAC;
			filter_byte(f, b);   /* F_IAC never recurses */
		}
		break;
	}
}

/* ---- the API ---- */

struct telnet_proto *telnet_proto_new(const struct telnet_proto_cbs *cbs, void *ud,
                                      uint64_t now_ms, uint64_t negotiate_ms, uint64_t ask_ms)
{
	struct telnet_proto *p = xcalloc(1, sizeof(*p));
	p->cbs = cbs;
	p->ud = ud;
	p->tn = telnet_init(telopts, event_cb, 0, p);
	if (p->tn == NULL) {
		free(p);
		return NULL;
	}
	p->phase = PH_NEGOTIATE;
	p->now = now_ms;
	p->deadline = now_ms + negotiate_ms;
	p->ask_ms = ask_ms != 0 ? ask_ms : TELNET_ASK_MS_DEFAULT;
	telnet_negotiate(p->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(p->tn, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(p->tn, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(p->tn, TELNET_DO, TELNET_TELOPT_BINARY);
	telnet_negotiate(p->tn, TELNET_DO, TELNET_TELOPT_NAWS);
	telnet_negotiate(p->tn, TELNET_DO, TELNET_TELOPT_TTYPE);
	flush_out(p);
	return p;
}

void telnet_proto_free(struct telnet_proto *p)
{
	if (p == NULL)
		return;
	telnet_free(p->tn);
	sbuf_free(&p->out);
	free(p);
}

void telnet_proto_feed(struct telnet_proto *p, const uint8_t *data, size_t len, uint64_t now_ms)
{
	struct fctx f = { .p = p, .now = now_ms };
	p->now = now_ms;
	for (size_t i = 0; i < len; i++)
		filter_byte(&f, data[i]);
	fflush_chunk(&f);
	settle(p, now_ms);
	p->swallow_eol = false;
	flush_out(p);
}

void telnet_proto_tick(struct telnet_proto *p, uint64_t now_ms)
{
	p->now = now_ms;
	settle(p, now_ms);
	flush_out(p);
}

uint64_t telnet_proto_deadline(const struct telnet_proto *p)
{
	return p->phase == PH_NEGOTIATE || p->phase == PH_ASK ? p->deadline : 0;
}

void telnet_proto_nop(struct telnet_proto *p)
{
	telnet_iac(p->tn, TELNET_NOP);
	flush_out(p);
}

bool telnet_proto_started(const struct telnet_proto *p) { return p->phase == PH_STARTED; }
enum charset telnet_proto_charset(const struct telnet_proto *p) { return p->cs; }
const char *telnet_proto_ttype(const struct telnet_proto *p) { return p->names[0]; }
bool telnet_proto_charset_told(const struct telnet_proto *p) { return p->told; }
bool telnet_proto_server_echo(const struct telnet_proto *p) { return p->echo; }
bool telnet_proto_binary(const struct telnet_proto *p) { return p->bin_us && p->bin_him; }

void telnet_proto_set_charset(struct telnet_proto *p, enum charset cs)
{
	assert(cs == CHARSET_UTF8 || cs == CHARSET_CP437);
	p->cs = cs;
}

bool telnet_proto_window(const struct telnet_proto *p, unsigned *cols, unsigned *rows)
{
	if (!p->have_size)
		return false;
	*cols = p->cols;
	*rows = p->rows;
	return true;
}
