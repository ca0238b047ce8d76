/* The telnet protocol for one caller, without sockets or timers: bytes in, callbacks
 * out, time passed in by the caller.  The transport (telnet/transport.c) glues it to
 * a conn and a libuv timer; tests and the fuzzer drive it directly.
 *
 * Phases:
 *  1. Negotiating.  telnet_proto_new sends IAC WILL ECHO, WILL SUPPRESS-GO-AHEAD,
 *     WILL BINARY, DO BINARY, DO NAWS, DO TERMINAL-TYPE (RFC 1143 Q method, through
 *     libtelnet).  When the client agrees to TERMINAL-TYPE we ask for it (TTYPE SEND)
 *     and keep asking, MTTS style, while it gives new names (at most
 *     TELNET_TTYPE_MAX).  The phase ends when both TERMINAL-TYPE and NAWS are settled
 *     (refused, or names / a size received), or negotiate_ms after the start,
 *     whichever comes first.  Data typed meanwhile is kept (TELNET_PENDING_MAX
 *     bytes; beyond that it is dropped) and delivered right after the start.
 *  2. Choosing the character set (term_charset_for_types, term/termtype.h).  If
 *     the terminal types do not tell, we ask once, in pure ASCII, showing the
 *     same box in UTF-8 and in CP437: '1' picks UTF-8, '2' picks CP437, Enter or
 *     ask_ms of silence picks CP437.  Other keys are ignored.  Line terminators
 *     that arrive together with the answer (a line-mode client sends "1\r\n") are
 *     swallowed.
 *  3. Started: cbs->start runs once, then the known window size (cbs->resize) and
 *     the kept input (cbs->input).  From then on data goes to cbs->input, converted
 *     to UTF-8 when the charset is CP437 (bytes >= 0x80 through the CP437 table;
 *     IAC IAC is one 0xFF, which is U+00A0), and every valid NAWS report to
 *     cbs->resize.  IAC IP, IAC EC and IAC EL arrive as Ctrl-C, Backspace, Ctrl-U.
 *
 * Untrusted input: before libtelnet sees the bytes, a small filter that tracks the
 * same parse state drops every subnegotiation other than NAWS and TERMINAL-TYPE
 * (so a peer cannot switch on libtelnet's MCCP inflater, ZMP, ENVIRON or MSSP
 * parsers), cuts NAWS/TTYPE subnegotiations at TELNET_SB_MAX bytes, and ends a
 * subnegotiation broken by IAC <not SE> cleanly.  libtelnet's subnegotiation buffer
 * therefore never grows past its first step (512 bytes); per caller the protocol
 * holds about 1 KB.  Other commands after IAC are ignored; option requests we do
 * not support are refused by libtelnet.  Nothing a peer sends closes the
 * connection here: garbage is dropped, not trusted.  Output is bounded by the
 * conn's own hard limit.
 *
 * Output: wire bytes produced by one call are batched and passed to cbs->send once
 * (and always before any other callback runs, so replies stay in order). */
#ifndef CARRIER_TELNET_PROTO_H
#define CARRIER_TELNET_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/charset.h"

#define TELNET_PENDING_MAX 256   /* input kept before the session starts */
#define TELNET_SB_MAX 128        /* subnegotiation bytes passed to libtelnet */
#define TELNET_TTYPE_MAX 4       /* TTYPE SEND requests, and names kept */
#define TELNET_TTYPE_LEN 40      /* bytes of a terminal type name kept (RFC 1091) */
#define TELNET_ASK_MS_DEFAULT 30000

struct telnet_proto_cbs {
	/* Wire bytes for the peer (already telnet-escaped); borrowed for the call. */
	void (*send)(void *ud, const uint8_t *data, size_t len);
	/* Negotiation has settled and the charset is chosen: the session starts. */
	void (*start)(void *ud, enum charset cs);
	/* Terminal input (UTF-8), only after start; borrowed for the call. */
	void (*input)(void *ud, const uint8_t *data, size_t len);
	/* A window size (1..1000 each), only after start. */
	void (*resize)(void *ud, unsigned cols, unsigned rows);
};

struct telnet_proto;

/* Start negotiating at now_ms (sends the option requests through cbs->send before
 * returning).  negotiate_ms: how long to wait for answers; ask_ms: how long to wait
 * for the charset answer (0: TELNET_ASK_MS_DEFAULT).  cbs is borrowed and must
 * outlive the proto. */
struct telnet_proto *telnet_proto_new(const struct telnet_proto_cbs *cbs, void *ud,
                                      uint64_t now_ms, uint64_t negotiate_ms, uint64_t ask_ms);
void telnet_proto_free(struct telnet_proto *p);   /* NULL is a no-op */

/* Bytes read from the peer, any split; borrowed for the call. */
void telnet_proto_feed(struct telnet_proto *p, const uint8_t *data, size_t len, uint64_t now_ms);
/* Time has passed: ends negotiation or the question when their time is up. */
void telnet_proto_tick(struct telnet_proto *p, uint64_t now_ms);
/* When telnet_proto_tick next has something to do (absolute ms), or 0 for never. */
uint64_t telnet_proto_deadline(const struct telnet_proto *p);
/* Send IAC NOP (a write that fails on a dead peer). */
void telnet_proto_nop(struct telnet_proto *p);

bool telnet_proto_started(const struct telnet_proto *p);
enum charset telnet_proto_charset(const struct telnet_proto *p);
/* Change the charset of the input conversion (after start; the session applies a
 * caller's stored choice). */
void telnet_proto_set_charset(struct telnet_proto *p, enum charset cs);
/* The first terminal type the client gave ("" if none), printable ASCII only.
 * Borrowed, valid while p lives. */
const char *telnet_proto_ttype(const struct telnet_proto *p);
/* The last valid window size the client reported; false if none. */
bool telnet_proto_window(const struct telnet_proto *p, unsigned *cols, unsigned *rows);
/* True if the terminal types decided the charset (false: the caller answered the
 * question, or it timed out). */
bool telnet_proto_charset_told(const struct telnet_proto *p);
/* Whether the client agreed to let us echo (DO ECHO) / to BINARY each way. */
bool telnet_proto_server_echo(const struct telnet_proto *p);
bool telnet_proto_binary(const struct telnet_proto *p);

#endif
