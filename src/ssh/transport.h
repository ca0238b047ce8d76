/* SSH for terminal callers (SyncTERM, NetRunner, PuTTY, OpenSSH's ssh): a
 * transport beside telnet, on libssh's server side.  Only this module includes
 * <libssh/...>.
 *
 * One loop, nothing blocks.  libssh runs in non-blocking mode on a descriptor of
 * its own (a dup of the accepted socket), which the loop watches with a uv_poll:
 * readable -> libssh reads and steps the key exchange, or takes the next request
 * from its queue; writable -> libssh flushes what it had to hold back.  Every
 * step is bounded CPU on the loop (a curve25519 or ECDH exchange and a host key
 * signature: under a few milliseconds even with the RSA key); nothing in libssh
 * needs a thread of its own here.  The one slow thing, checking a BBS password
 * (Argon2id), goes to the thread pool through struct ssh_login_check, and the
 * request waits in libssh's queue meanwhile: that is why requests are taken from
 * the queue (ssh_message_get) rather than answered in libssh's server callbacks,
 * which must answer before they return.
 *
 * A caller's way in:
 *   key exchange (curve25519/ECDH/DH group 14 or 16 only, so the loop never
 *   computes a group-18 exponent) -> "ssh-userauth" -> authentication:
 *     ssh_login off: any user name, any or no password ("none" succeeds);
 *     ssh_login on:  "password" checked as the BBS login (the BBS's rules and
 *                    lockout); the user name "new" gets in without one, to
 *                    register at the BBS's own prompt; 3 failures disconnect;
 *   -> one "session" channel -> "pty-req" (terminal type and size) -> "shell":
 *   the BBS session starts (the terminal type picks the charset by the telnet
 *   rules, term/termtype.h: CP437 for SyncTERM and ANSI-BBS types, UTF-8
 *   otherwise; the caller's stored choice applies where the type does not tell).
 *   "window-change" resizes it.  Every other request -- exec, subsystem (sftp),
 *   x11, env, agent forwarding, a second channel, direct-tcpip or tcpip-forward --
 *   is refused.
 *
 * Bounded: a caller that has not reached its shell within login_timeout_ms is
 * closed; the server counts logins under way per address (net/inflight) and
 * refuses more at accept; while a password is checked nothing more is read from
 * that caller.  Output: the conn's queue is handed to the channel at flush time,
 * no more than the peer's window and never while libssh still holds unsent
 * bytes, so what libssh buffers is bounded too; a quiet peer is sent a
 * keepalive request and dropped if it does not answer. */
#ifndef CARRIER_SSH_TRANSPORT_H
#define CARRIER_SSH_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/conn.h"

/* The host keys and libssh's settings, shared by every SSH conn. */
struct ssh_host;

/* Load the host keys from dir (ssh_host_ed25519_key, ssh_host_rsa_key, OpenSSH
 * format), making any that is missing (the directory too), mode 0600.  NULL on
 * failure, with err set to "PATH: reason". */
struct ssh_host *ssh_host_new(const char *dir, char *err, size_t err_len);
void ssh_host_free(struct ssh_host *h);   /* NULL is a no-op */
/* "SHA256:..." of each key, for the log; borrowed. */
const char *ssh_host_fingerprint(const struct ssh_host *h, size_t i);   /* NULL past the last */

/* Checking a BBS login (ssh_login), wired by the server to the BBS. */
typedef void (*ssh_login_done_fn)(void *arg, int64_t account);   /* > 0: verified */
struct ssh_login_check {
	/* Start checking; done runs later on the loop, once, unless cancel runs
	 * first.  An opaque job, or NULL if it cannot start (done never runs). */
	void *(*start)(void *ud, const char *user, const char *password,
	               ssh_login_done_fn done, void *arg);
	void (*cancel)(void *ud, void *job);
	void *ud;
};

struct ssh_settings {
	uv_loop_t *loop;
	struct ssh_host *host;
	uint64_t login_timeout_ms;         /* accept to shell */
	uint64_t keepalive_ms;             /* silence before a keepalive request; 0 never */
	uint64_t keepalive_timeout_ms;     /* ...and before giving up on the answer */
	bool login;                        /* [server] ssh_login */
	struct ssh_login_check check;      /* for login */
	/* Called once when the caller has authenticated, or the conn closes before
	 * it did (the count per address); may be NULL. */
	void (*login_over)(void *ud, struct conn *c);
	void *ud;
};

/* The session starts: called once per conn, when the shell is granted.  It should
 * set the conn's handler; the window size is delivered right after it returns. */
typedef void (*ssh_terminal_fn)(void *ud, struct conn *c);

/* Make c (freshly accepted, any transport) an SSH conn; settings borrowed, must
 * outlive c. */
void ssh_transport_attach(struct conn *c, const struct ssh_settings *s,
                          ssh_terminal_fn on_terminal, void *ud);
/* A transport for conn_accept (attach sets the right one). */
const struct transport *ssh_transport(void);

/* Output framing for the two SSH variants: the terminal bytes as they are, or
 * converted to CP437.  Pure. */
struct buf *ssh_frame_utf8(const uint8_t *term, size_t len);
struct buf *ssh_frame_cp437(const uint8_t *term, size_t len);

#endif
