/* The tokens table: session tokens, by hash only. */
#include <assert.h>

#include "store/internal.h"

#define HASH_LEN 32

int store_token_add(struct store *st, const uint8_t hash[32], int64_t user_id,
                    int64_t expires)
{
	assert(hash != NULL);
	struct db_stmt *s = store_stmt(st, SQ_TOKEN_ADD,
		"INSERT INTO tokens (hash, user_id, expires) VALUES (?1, ?2, ?3)");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_blob(s, 1, hash, HASH_LEN);
	db_bind_int64(s, 2, user_id);
	db_bind_int64(s, 3, expires);
	return store_exec_stmt(st, s, "token add");    /* NOT_FOUND: no such user */
}

int store_token_lookup(struct store *st, const uint8_t hash[32], int64_t now,
                       int64_t *user_id)
{
	assert(hash != NULL);
	struct db_stmt *s = store_stmt(st, SQ_TOKEN_LOOKUP,
		"SELECT user_id FROM tokens WHERE hash = ?1 AND expires > ?2");
	int rc, ret;

	if (s == NULL)
		return STORE_ERROR;
	db_bind_blob(s, 1, hash, HASH_LEN);
	db_bind_int64(s, 2, now);
	rc = db_step(s);
	if (rc == DB_ROW) {
		if (user_id != NULL)
			*user_id = db_column_int64(s, 0);
		ret = STORE_OK;
	} else if (rc == DB_DONE) {
		ret = STORE_NOT_FOUND;
	} else {
		ret = store_fail(st, "token lookup");
	}
	store_done(st, s);
	return ret;
}

int store_token_revoke(struct store *st, const uint8_t hash[32])
{
	assert(hash != NULL);
	struct db_stmt *s = store_stmt(st, SQ_TOKEN_REVOKE, "DELETE FROM tokens WHERE hash = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_blob(s, 1, hash, HASH_LEN);
	return store_exec_stmt(st, s, "token revoke");
}

int store_token_revoke_user(struct store *st, int64_t user_id)
{
	struct db_stmt *s = store_stmt(st, SQ_TOKEN_REVOKE_USER,
		"DELETE FROM tokens WHERE user_id = ?1");
	if (s == NULL)
		return STORE_ERROR;
	db_bind_int64(s, 1, user_id);
	return store_exec_stmt(st, s, "token revoke user");
}

int64_t store_token_purge(struct store *st, int64_t now)
{
	struct db_stmt *s = store_stmt(st, SQ_TOKEN_PURGE, "DELETE FROM tokens WHERE expires <= ?1");
	if (s == NULL)
		return -1;
	db_bind_int64(s, 1, now);
	if (store_exec_stmt(st, s, "token purge") != STORE_OK)
		return -1;
	return db_changes(st);
}
