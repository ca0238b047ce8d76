/* Argon2id password hashing on the thread pool, and session tokens. */
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bbs/password.h"
#include "bbs/stats.h"
#include "util/utf8.h"
#include "util/xalloc.h"

_Static_assert(PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "hash string size");
_Static_assert(TOKEN_TEXT_LEN == sodium_base64_ENCODED_LEN(TOKEN_RAW_LEN,
               sodium_base64_VARIANT_URLSAFE_NO_PADDING), "token text size");
_Static_assert(TOKEN_HASH_LEN >= crypto_generichash_BYTES_MIN &&
               TOKEN_HASH_LEN <= crypto_generichash_BYTES_MAX, "token hash size");

struct password_limits password_limits_interactive(void)
{
	return (struct password_limits){
		.opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
		.memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE,
	};
}

struct password_limits password_limits_min(void)
{
	return (struct password_limits){
		.opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN,
		.memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN,
	};
}

int password_init(void)
{
	/* sodium_init is idempotent and guarded by its own lock: 1 means already done. */
	return sodium_init() < 0 ? -1 : 0;
}

bool password_acceptable(const char *pw, const char **why)
{
	const char *reason = NULL;
	size_t len = strlen(pw), chars = 0;
	uint32_t state = UTF8_ACCEPT, cp = 0;

	if (len > PASSWORD_MAX_BYTES) {
		reason = "That password is too long.";
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		uint32_t s = utf8_step(&state, &cp, (uint8_t)pw[i]);
		if (s == UTF8_REJECT) {
			reason = "That password is not valid text.";
			goto out;
		}
		if (s != UTF8_ACCEPT)
			continue;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			reason = "A password cannot contain control characters.";
			goto out;
		}
		chars++;
	}
	if (state != UTF8_ACCEPT)
		reason = "That password is not valid text.";
	else if (chars < PASSWORD_MIN_CHARS)
		reason = "A password needs at least 8 characters.";
out:
	if (why != NULL)
		*why = reason;
	return reason == NULL;
}

/* ---- synchronous ---------------------------------------------------------------- */

int password_hash(const char *pw, struct password_limits lim, char out[PASSWORD_HASH_MAX])
{
	if (password_init() != 0)
		return -1;
	return crypto_pwhash_str_alg(out, pw, strlen(pw), lim.opslimit, lim.memlimit,
	                             crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

bool password_verify(const char *hash, const char *pw)
{
	if (password_init() != 0)
		return false;
	if (strnlen(hash, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
		return false;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

bool password_needs_rehash(const char *hash, struct password_limits lim)
{
	if (password_init() != 0)
		return true;
	/* 0: current; 1: other limits; -1: not an Argon2id string (also rehash). */
	return crypto_pwhash_argon2id_str_needs_rehash(hash, lim.opslimit, lim.memlimit) != 0;
}

/* ---- on the thread pool ------------------------------------------------------------ */

/* Jobs are queued and finished on the loop thread only. */
static struct password_stats stats;

const struct password_stats *password_stats(void)
{
	return &stats;
}

enum job_kind { JOB_HASH, JOB_VERIFY };

struct password_job {
	uv_work_t req;
	enum job_kind kind;
	struct password_limits lim;
	char *pw;                          /* wiped as soon as the worker is done */
	size_t pwlen;
	char hash[PASSWORD_HASH_MAX];      /* verify: the hash; hash: the result */
	bool have_hash;                    /* verify: false means "no such user" */
	int ok;
	int needs_rehash;
	bool cancelled;                    /* loop thread only */
	password_hash_cb hash_cb;
	password_verify_cb verify_cb;
	void *ud;
};

static void job_work(uv_work_t *req)
{
	struct password_job *job = req->data;
	char scratch[PASSWORD_HASH_MAX];

	switch (job->kind) {
	case JOB_HASH:
		job->ok = crypto_pwhash_str_alg(job->hash, job->pw, job->pwlen,
		                                job->lim.opslimit, job->lim.memlimit,
		                                crypto_pwhash_ALG_ARGON2ID13) == 0;
		break;
	case JOB_VERIFY:
		if (job->have_hash) {
			job->ok = crypto_pwhash_str_verify(job->hash, job->pw, job->pwlen) == 0;
			job->needs_rehash = job->ok &&
				crypto_pwhash_argon2id_str_needs_rehash(job->hash, job->lim.opslimit,
				                                        job->lim.memlimit) != 0;
		} else {
			/* As much work as a real verification, and a certain no. */
			int rc = crypto_pwhash_str_alg(scratch, job->pw, job->pwlen,
			                               job->lim.opslimit, job->lim.memlimit,
			                               crypto_pwhash_ALG_ARGON2ID13);
			(void)rc;    /* whatever happened, the answer is no */
			job->ok = 0;
		}
		break;
	}
	sodium_memzero(job->pw, job->pwlen);
}

static void job_free(struct password_job *job)
{
	sodium_memzero(job->pw, job->pwlen);
	free(job->pw);
	sodium_memzero(job, sizeof(*job));
	free(job);
}

static void job_after(uv_work_t *req, int status)
{
	struct password_job *job = req->data;

	stats.jobs_pending--;
	if (status == 0 && !job->cancelled) {
		if (job->kind == JOB_HASH)
			job->hash_cb(job->ud, job->ok, job->ok ? job->hash : NULL);
		else
			job->verify_cb(job->ud, job->ok, job->needs_rehash);
	}
	job_free(job);
}

static struct password_job *job_new(enum job_kind kind, const char *pw,
                                    struct password_limits lim, void *ud)
{
	struct password_job *job = xcalloc(1, sizeof(*job));

	job->kind = kind;
	job->lim = lim;
	job->pwlen = strlen(pw);
	job->pw = xmalloc(job->pwlen + 1);
	memcpy(job->pw, pw, job->pwlen + 1);
	job->ud = ud;
	job->req.data = job;
	return job;
}

static int job_queue(uv_loop_t *loop, struct password_job *job, struct password_job **out)
{
	int rc = password_init() != 0 ? UV_EIO
	         : uv_queue_work(loop, &job->req, job_work, job_after);

	if (rc != 0) {
		job_free(job);
		return rc;
	}
	stats.jobs++;
	stats.jobs_pending++;
	if (out != NULL)
		*out = job;
	return 0;
}

int password_hash_async(uv_loop_t *loop, const char *pw, struct password_limits lim,
                        password_hash_cb cb, void *ud, struct password_job **job)
{
	assert(loop != NULL && pw != NULL && cb != NULL);
	struct password_job *j = job_new(JOB_HASH, pw, lim, ud);
	j->hash_cb = cb;
	return job_queue(loop, j, job);
}

int password_verify_async(uv_loop_t *loop, const char *hash, const char *pw,
                          struct password_limits lim, password_verify_cb cb, void *ud,
                          struct password_job **job)
{
	assert(loop != NULL && pw != NULL && cb != NULL);
	struct password_job *j = job_new(JOB_VERIFY, pw, lim, ud);
	j->verify_cb = cb;
	if (hash != NULL && strlen(hash) < sizeof(j->hash)) {
		memcpy(j->hash, hash, strlen(hash) + 1);
		j->have_hash = true;
	}
	return job_queue(loop, j, job);
}

void password_job_cancel(struct password_job *job)
{
	assert(!job->cancelled);
	job->cancelled = true;
	/* Drops the work if no thread has picked it up yet; either way job_after runs
	 * (with UV_ECANCELED or 0) and frees the job without calling back. */
	(void)uv_cancel((uv_req_t *)&job->req);
}

/* ---- session tokens -------------------------------------------------------------- */

void token_new(uint8_t raw[TOKEN_RAW_LEN], char text[TOKEN_TEXT_LEN])
{
	int rc = password_init();
	assert(rc == 0);    /* libsodium cannot start: no random source at all */
	(void)rc;
	randombytes_buf(raw, TOKEN_RAW_LEN);
	sodium_bin2base64(text, TOKEN_TEXT_LEN, raw, TOKEN_RAW_LEN,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int token_hash(const char *text, uint8_t hash[TOKEN_HASH_LEN])
{
	uint8_t raw[TOKEN_RAW_LEN];
	size_t rawlen = 0;
	const char *end = NULL;

	if (password_init() != 0 || strnlen(text, TOKEN_TEXT_LEN) != TOKEN_TEXT_LEN - 1)
		return -1;
	/* Strict: the whole text, canonical (sodium refuses stray low bits). */
	if (sodium_base642bin(raw, sizeof(raw), text, TOKEN_TEXT_LEN - 1, NULL, &rawlen, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    rawlen != TOKEN_RAW_LEN || end != text + TOKEN_TEXT_LEN - 1) {
		sodium_memzero(raw, sizeof(raw));
		return -1;
	}
	crypto_generichash(hash, TOKEN_HASH_LEN, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

bool token_equal(const uint8_t a[TOKEN_HASH_LEN], const uint8_t b[TOKEN_HASH_LEN])
{
	return sodium_memcmp(a, b, TOKEN_HASH_LEN) == 0;
}
