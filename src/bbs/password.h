/* Passwords (Argon2id through libsodium's crypto_pwhash_str) and session tokens.
 *
 * Hashing is slow on purpose (tens of milliseconds, tens of megabytes), so the
 * server never hashes on the event loop: it uses the _async functions, which run
 * on libuv's thread pool and call back on the loop thread.  The synchronous ones
 * are for the sysop command line and tests.
 *
 * A hash string is at most PASSWORD_HASH_MAX bytes with its NUL ("$argon2id$v=19$
 * m=...,t=...,p=1$salt$hash"); it carries its own parameters, so raising the limits
 * later still verifies old hashes (password_needs_rehash says when to rewrite). */
#ifndef CARRIER_BBS_PASSWORD_H
#define CARRIER_BBS_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define PASSWORD_HASH_MAX 128      /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN_CHARS 8       /* code points */
#define PASSWORD_MAX_BYTES 256     /* what a prompt should accept at most */

struct password_limits {
	unsigned long long opslimit;
	size_t memlimit;
};

/* libsodium's INTERACTIVE limits (the default): ~64 MiB, 2 passes. */
struct password_limits password_limits_interactive(void);
/* The smallest Argon2id allows (8 KiB, 1 pass): for tests and benchmarks only. */
struct password_limits password_limits_min(void);

/* Initialise libsodium (idempotent, thread-safe).  0, or -1 if it cannot start; every
 * function below calls it, so calling it first is optional. */
int password_init(void);

/* A password the rules accept: valid UTF-8, at least PASSWORD_MIN_CHARS code points,
 * at most PASSWORD_MAX_BYTES bytes, no control characters.  On false, *why (if
 * non-NULL) is a static sentence for the caller. */
bool password_acceptable(const char *pw, const char **why);

/* ---- synchronous ---------------------------------------------------------------- */

/* Hash pw into out.  0, or -1 (out of memory, or limits out of range). */
int password_hash(const char *pw, struct password_limits lim, char out[PASSWORD_HASH_MAX]);
/* True if pw matches hash.  A malformed hash is false. */
bool password_verify(const char *hash, const char *pw);
/* True if hash was made with other limits (or another algorithm) than lim. */
bool password_needs_rehash(const char *hash, struct password_limits lim);

/* ---- on the thread pool ------------------------------------------------------------ */

/* A job in flight.  Valid from a successful _async call until its callback returns
 * or password_job_cancel is called, whichever comes first. */
struct password_job;

/* ok: 1 if hashed, with hash borrowed for the callback's duration; 0 and NULL on
 * failure. */
typedef void (*password_hash_cb)(void *ud, int ok, const char *hash);
/* ok: 1 if the password matched.  needs_rehash: the hash matched but was made with
 * other limits than those passed in (rewrite it with a fresh hash). */
typedef void (*password_verify_cb)(void *ud, int ok, int needs_rehash);

/* Hash pw (copied; the copy is wiped and freed after) on loop's thread pool; cb runs
 * on the loop thread exactly once, unless cancelled.  Returns 0, or a negative libuv
 * error, in which case cb never runs.  job (may be NULL) receives the job. */
int password_hash_async(uv_loop_t *loop, const char *pw, struct password_limits lim,
                        password_hash_cb cb, void *ud, struct password_job **job);
/* Verify pw against hash (both copied).  hash may be NULL (no such user): then a
 * hash of the same cost is computed, so the answer takes as long, and ok is 0. */
int password_verify_async(uv_loop_t *loop, const char *hash, const char *pw,
                          struct password_limits lim, password_verify_cb cb, void *ud,
                          struct password_job **job);
/* The caller is gone: its callback will not run.  The work itself finishes (or is
 * dropped if it has not started) and frees itself.  Call only before the callback
 * has run. */
void password_job_cancel(struct password_job *job);
/* Jobs queued, and not finished yet (bbs/stats.h).  Borrowed, live. */
struct password_stats;
const struct password_stats *password_stats(void);

/* ---- session tokens -------------------------------------------------------------- */

#define TOKEN_RAW_LEN 32
#define TOKEN_TEXT_LEN 44          /* 43 base64url characters (no padding) + NUL */
#define TOKEN_HASH_LEN 32

/* A fresh token: 32 random bytes in raw, and the text the client keeps in text. */
void token_new(uint8_t raw[TOKEN_RAW_LEN], char text[TOKEN_TEXT_LEN]);
/* What the store keeps: BLAKE2b-256 of the token's 32 bytes.  -1 if text is not a
 * well-formed token (exactly 43 base64url characters). */
int token_hash(const char *text, uint8_t hash[TOKEN_HASH_LEN]);
/* Constant-time comparison of two hashes. */
bool token_equal(const uint8_t a[TOKEN_HASH_LEN], const uint8_t b[TOKEN_HASH_LEN]);

#endif
