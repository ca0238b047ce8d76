/* What the BBS counts: plain integers, owned by struct bbs (calls, logins,
 * registrations) and by the password module (its jobs on the thread pool), bumped
 * on the loop thread, read by the metrics page. */
#ifndef CARRIER_BBS_STATS_H
#define CARRIER_BBS_STATS_H

#include <stdint.h>

struct bbs_stats {
	uint64_t calls;               /* sessions that got a node */
	uint64_t line_busy;           /* callers turned away: every node in use */
	uint64_t logins_ok;           /* password logins (and resumed sessions, below) */
	uint64_t logins_resumed;      /* ... of which with a session token */
	uint64_t logins_failed;       /* wrong handle or password */
	uint64_t logins_unavailable;  /* refused: the database did not answer */
	uint64_t logins_locked;       /* right or wrong, refused: the handle is locked out */
	uint64_t lockouts;            /* handles locked out by their failures */
	uint64_t registrations;       /* new accounts */
	uint64_t timeouts;            /* callers hung up on for idling */
};

struct password_stats {
	uint64_t jobs;                /* Argon2id jobs queued on the thread pool, ever */
	uint64_t jobs_pending;        /* ... not finished yet (queued or running) */
};

#endif
