/* Password hashing (sync and on a real libuv thread pool) and session tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "bbs/password.h"

static void test_hash_verify(void **state)
{
	(void)state;
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	struct password_limits lim = password_limits_interactive();

	assert_int_equal(password_hash("correct horse", lim, h1), 0);
	assert_true(strncmp(h1, "$argon2id$", 10) == 0);
	assert_true(password_verify(h1, "correct horse"));
	assert_false(password_verify(h1, "correct horsf"));
	assert_false(password_verify(h1, "correct horse "));
	assert_false(password_verify(h1, ""));
	assert_false(password_verify("not a hash", "correct horse"));
	assert_false(password_verify("", "correct horse"));
	/* Salted: the same password hashes differently. */
	assert_int_equal(password_hash("correct horse", lim, h2), 0);
	assert_string_not_equal(h1, h2);
	assert_true(password_verify(h2, "correct horse"));

	assert_false(password_needs_rehash(h1, lim));
	assert_true(password_needs_rehash(h1, password_limits_min()));
	assert_true(password_needs_rehash("junk", lim));
}

static void test_hash_min_limits(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX];
	struct password_limits lim = password_limits_min();

	assert_int_equal(password_hash("p\xc3\xa4ssw\xc3\xb6rd", lim, h), 0);
	assert_true(password_verify(h, "p\xc3\xa4ssw\xc3\xb6rd"));
	assert_false(password_verify(h, "password"));
	assert_false(password_needs_rehash(h, lim));
	/* Limits out of range are an error, not a crash. */
	struct password_limits bad = { .opslimit = 0, .memlimit = 1 };
	assert_int_equal(password_hash("password", bad, h), -1);
}

/* ---- async ------------------------------------------------------------------------- */

struct counts {
	int hashed;
	int hash_failed;
	int verified_ok;
	int verified_bad;
	int rehash;
	char hash[PASSWORD_HASH_MAX];
	uv_thread_t loop_thread;
	bool wrong_thread;
};

static void on_hash(void *ud, int ok, const char *hash)
{
	struct counts *c = ud;
	uv_thread_t self = uv_thread_self();
	if (!uv_thread_equal(&self, &c->loop_thread))
		c->wrong_thread = true;
	if (ok) {
		assert_non_null(hash);
		snprintf(c->hash, sizeof(c->hash), "%s", hash);
		c->hashed++;
	} else {
		assert_null(hash);
		c->hash_failed++;
	}
}

static void on_verify(void *ud, int ok, int needs_rehash)
{
	struct counts *c = ud;
	uv_thread_t self = uv_thread_self();
	if (!uv_thread_equal(&self, &c->loop_thread))
		c->wrong_thread = true;
	if (ok)
		c->verified_ok++;
	else
		c->verified_bad++;
	c->rehash += needs_rehash;
}

static void test_async(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct counts c = { .hashed = 0 };
	struct password_limits lim = password_limits_min();
	char pw[32];

	assert_int_equal(uv_loop_init(&loop), 0);
	c.loop_thread = uv_thread_self();
	/* The caller's buffer may change at once: the job has its own copy. */
	snprintf(pw, sizeof(pw), "hunter22");
	assert_int_equal(password_hash_async(&loop, pw, lim, on_hash, &c, NULL), 0);
	memset(pw, 'x', sizeof(pw) - 1);
	assert_int_equal(c.hashed, 0);    /* never synchronously */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.hashed, 1);
	assert_true(password_verify(c.hash, "hunter22"));

	assert_int_equal(password_verify_async(&loop, c.hash, "hunter22", lim, on_verify, &c,
	                                       NULL), 0);
	assert_int_equal(password_verify_async(&loop, c.hash, "hunter23", lim, on_verify, &c,
	                                       NULL), 0);
	/* No such user: same work, always no. */
	assert_int_equal(password_verify_async(&loop, NULL, "hunter22", lim, on_verify, &c,
	                                       NULL), 0);
	/* Right password, stronger limits wanted: ok and needs_rehash. */
	assert_int_equal(password_verify_async(&loop, c.hash, "hunter22",
	                                       password_limits_interactive(), on_verify, &c,
	                                       NULL), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.verified_ok, 2);
	assert_int_equal(c.verified_bad, 2);
	assert_int_equal(c.rehash, 1);
	assert_false(c.wrong_thread);

	/* Bad limits: the callback still runs once, with ok = 0. */
	struct password_limits bad = { .opslimit = 0, .memlimit = 1 };
	assert_int_equal(password_hash_async(&loop, "whatever1", bad, on_hash, &c, NULL), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.hash_failed, 1);
	assert_int_equal(c.hashed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_async_many(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct counts c = { .hashed = 0 };

	assert_int_equal(uv_loop_init(&loop), 0);
	c.loop_thread = uv_thread_self();
	for (int i = 0; i < 20; i++)
		assert_int_equal(password_hash_async(&loop, "many hashes", password_limits_min(),
		                                     on_hash, &c, NULL), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.hashed, 20);
	assert_false(c.wrong_thread);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_async_cancel(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct counts c = { .hashed = 0 };
	struct password_job *jobs[16];

	assert_int_equal(uv_loop_init(&loop), 0);
	c.loop_thread = uv_thread_self();
	/* More jobs than pool threads, so some are still queued when cancelled and
	 * some are running: neither kind may call back, all must be freed. */
	for (int i = 0; i < 16; i++)
		assert_int_equal(password_hash_async(&loop, "cancel me please",
		                                     password_limits_interactive(), on_hash, &c,
		                                     &jobs[i]), 0);
	for (int i = 0; i < 16; i += 2)
		password_job_cancel(jobs[i]);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.hashed, 8);
	assert_int_equal(c.hash_failed, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- tokens ------------------------------------------------------------------------ */

static void test_tokens(void **state)
{
	(void)state;
	uint8_t raw1[TOKEN_RAW_LEN], raw2[TOKEN_RAW_LEN];
	char t1[TOKEN_TEXT_LEN], t2[TOKEN_TEXT_LEN];
	uint8_t h1[TOKEN_HASH_LEN], h1b[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN];

	token_new(raw1, t1);
	token_new(raw2, t2);
	assert_int_equal(strlen(t1), 43);
	assert_memory_not_equal(raw1, raw2, TOKEN_RAW_LEN);
	assert_string_not_equal(t1, t2);
	for (size_t i = 0; i < 43; i++) {
		char ch = t1[i];
		assert_true((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_');
	}
	assert_int_equal(token_hash(t1, h1), 0);
	assert_int_equal(token_hash(t1, h1b), 0);
	assert_int_equal(token_hash(t2, h2), 0);
	assert_memory_equal(h1, h1b, TOKEN_HASH_LEN);
	assert_true(token_equal(h1, h1b));
	assert_false(token_equal(h1, h2));
	/* The stored hash is not the token. */
	assert_memory_not_equal(h1, raw1, TOKEN_HASH_LEN);

	/* Known answer: 32 zero bytes encode as 43 'A's. */
	uint8_t hz[TOKEN_HASH_LEN];
	char zeros[TOKEN_TEXT_LEN];
	memset(zeros, 'A', 43);
	zeros[43] = '\0';
	assert_int_equal(token_hash(zeros, hz), 0);
	assert_false(token_equal(hz, h1));

	/* Malformed tokens are refused. */
	char bad[64];
	assert_int_equal(token_hash("", h2), -1);
	assert_int_equal(token_hash("short", h2), -1);
	snprintf(bad, sizeof(bad), "%sA", t1);               /* 44 characters */
	assert_int_equal(token_hash(bad, h2), -1);
	snprintf(bad, sizeof(bad), "%s", t1);
	bad[10] = '+';                                        /* not base64url */
	assert_int_equal(token_hash(bad, h2), -1);
	bad[10] = '=';
	assert_int_equal(token_hash(bad, h2), -1);
	snprintf(bad, sizeof(bad), "%s", zeros);
	bad[42] = 'B';                                        /* stray low bits */
	assert_int_equal(token_hash(bad, h2), -1);
	/* One character changed: another hash. */
	snprintf(bad, sizeof(bad), "%s", zeros);
	bad[0] = 'B';
	assert_int_equal(token_hash(bad, h2), 0);
	assert_false(token_equal(h2, hz));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_hash_min_limits),
		cmocka_unit_test(test_async),
		cmocka_unit_test(test_async_many),
		cmocka_unit_test(test_async_cancel),
		cmocka_unit_test(test_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
