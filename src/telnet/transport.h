/* The telnet transport: a freshly accepted telnet connection negotiates its options,
 * picks its character set, then becomes a terminal like a WebSocket one.  The
 * protocol itself (options, TTYPE, NAWS, the charset question, untrusted input) is
 * telnet/proto.h; the wire framing of output is telnet/frame.h.
 *
 * Character set policy (details in term/termtype.h):
 * the terminal type decides where it tells -- CP437 for BBS clients (ANSI,
 * ANSI-BBS, SyncTERM, NetRunner, PC-ANSI, SCOANSI, an MTTS field without UTF-8),
 * UTF-8 for modern terminals (xterm*, rxvt*, screen*, tmux*, linux, PuTTY, kitty,
 * ...).  Otherwise the caller is asked once, before the session starts, and
 * Enter or silence means CP437.  The transport reports the choice, and whether the
 * terminal type told it, through the conn's transport interface (conn_charset);
 * the session may override it with a caller's stored preference
 * (conn_set_charset).
 *
 * The conn's transport is one of two vtables sharing the same functions, with
 * variants CONN_VARIANT_TELNET_UTF8 and CONN_VARIANT_TELNET_CP437, so a fan-out
 * frames once per charset.  Before the charset is decided the conn is UTF-8 and
 * has no handler.
 *
 * Keepalive: with nop_interval_ms set, a conn that has read nothing for that long
 * is sent IAC NOP (at most once per interval), so a dead peer's socket errors out
 * instead of lingering.  Idle callers are the session's business.  A polite close
 * is just conn_close_after_flush: the session writes its goodbye first. */
#ifndef CARRIER_TELNET_TRANSPORT_H
#define CARRIER_TELNET_TRANSPORT_H

#include <stdint.h>
#include <uv.h>

#include "net/conn.h"
#include "telnet/frame.h"
#include "telnet/proto.h"

struct telnet_settings {
	uv_loop_t *loop;            /* the conns' loop, for the negotiation timer */
	uint64_t negotiate_ms;      /* wait for option answers before starting, e.g. 500 */
	uint64_t ask_ms;            /* wait for the charset answer; 0: 30 s */
	uint64_t nop_interval_ms;   /* IAC NOP after this much read silence; 0: never */
};

/* The session starts: called once per conn, when the charset is decided.  It
 * should set the conn's handler; the window size and any input typed so far are
 * delivered to that handler right after it returns. */
typedef void (*telnet_terminal_fn)(void *ud, struct conn *c);

/* Make c (freshly accepted, any transport) a telnet conn and start negotiating.
 * settings are borrowed and must outlive c. */
void telnet_transport_attach(struct conn *c, const struct telnet_settings *s,
                             telnet_terminal_fn on_terminal, void *ud);

/* The transports, e.g. for conn_accept (any will do: attach sets the right one). */
const struct transport *telnet_transport(enum charset cs);

/* The first terminal type the client gave ("" if none), NULL if c is not telnet.
 * Borrowed, valid while c lives. */
const char *telnet_terminal_type(const struct conn *c);
/* The client's window size, if it reported one (NAWS). */
bool telnet_window(const struct conn *c, unsigned *cols, unsigned *rows);

#endif
