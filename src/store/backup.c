/* Backups of a live database and their restore, through SQLite's online backup
 * API, and the claim that keeps a restore and a running server apart. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/internal.h"

#define BACKUP_BUSY_MS 10000         /* how long a copy waits for a lock */

/* flock, not fcntl: SQLite's own locks on the file are fcntl (POSIX) locks, which
 * flock locks neither see nor disturb. */
static int lock_file(const char *path, int how, int *fd_out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	if (flock(fd, how | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK) {
			snprintf(err, errlen, "%s: %s", path,
			         how == LOCK_EX ? "the server is running (stop it first)"
			                        : "a restore is under way");
			return STORE_LOCKED;
		}
		snprintf(err, errlen, "%s: lock: %s", path, strerror(e));
		return STORE_ERROR;
	}
	*fd_out = fd;
	return STORE_OK;
}

int store_claim(struct store *st, const char *path, char *err, size_t errlen)
{
	if (st->claim_fd >= 0)
		return STORE_OK;
	return lock_file(path, LOCK_SH, &st->claim_fd, err, errlen);
}

static int fail(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
	return STORE_ERROR;
}

/* Is db a Carrier database this build can open, whole? */
static int check(sqlite3 *db, const char *path, struct store_copy_info *info, char *err,
                 size_t errlen)
{
	sqlite3_stmt *s;
	bool ok = false;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK)
		return fail(db, path, "quick_check", err, errlen);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);
		ok = r != NULL && strcmp(r, "ok") == 0;
		if (!ok)
			snprintf(err, errlen, "%s: quick_check: %s", path, r ? r : "?");
	} else {
		fail(db, path, "quick_check", err, errlen);
	}
	sqlite3_finalize(s);
	if (!ok)
		return STORE_ERROR;
	int64_t version = store_query_int(db, "PRAGMA user_version");
	int64_t users = store_query_int(db, "SELECT count(*) FROM users");
	if (version < 1 || users < 0) {
		snprintf(err, errlen, "%s: not a Carrier database", path);
		return STORE_ERROR;
	}
	if (version > store_schema_version()) {
		snprintf(err, errlen, "%s: schema version %lld is newer than this carrier's (%d)", path,
		         (long long)version, store_schema_version());
		return STORE_ERROR;
	}
	if (info != NULL) {
		info->users = users;
		info->schema = (int)version;
	}
	return STORE_OK;
}

/* Copy every page of from's main database into to's, in one step (one read
 * transaction on from).  A lock held elsewhere is waited for, within reason. */
static int copy(sqlite3 *from, sqlite3 *to, const char *path, int *pages, char *err,
                size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (b == NULL)
		return fail(to, path, "backup", err, errlen);
	int rc, waited = 0;
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (waited >= BACKUP_BUSY_MS)
			break;
		sqlite3_sleep(50);
		waited += 50;
	}
	if (pages != NULL)
		*pages = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: backup: %s", path, sqlite3_errstr(rc));
		return STORE_ERROR;
	}
	return STORE_OK;
}

static int open_db(const char *path, int flags, sqlite3 **db, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return STORE_ERROR;
	}
	sqlite3_busy_timeout(*db, BACKUP_BUSY_MS);
	return STORE_OK;
}

static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int store_backup(const char *path, const char *dest, struct store_copy_info *info, char *err,
                 size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	char tmp[PATH_MAX + 32];
	int ret = STORE_ERROR;
	if (store_is_url(path)) {
		snprintf(err, errlen, "a PostgreSQL database is backed up with pg_dump, not carrier");
		return STORE_ERROR;
	}
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dest, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: too long a path", dest);
		return STORE_ERROR;
	}
	if (access(path, F_OK) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	unlink(tmp);
	if (open_db(path, SQLITE_OPEN_READWRITE, &src, err, errlen) != STORE_OK ||
	    open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, errlen) != STORE_OK)
		goto out;
	if (copy(src, dst, path, info ? &info->pages : NULL, err, errlen) != STORE_OK)
		goto out;
	/* The copy is one file: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(dst, dest, "journal_mode", err, errlen);
		goto out;
	}
	if (check(dst, dest, info, err, errlen) != STORE_OK)
		goto out;
	sqlite3_close(dst);
	dst = NULL;
	if (sync_path(tmp, O_RDONLY) != 0 || rename(tmp, dest) != 0) {
		snprintf(err, errlen, "%s: %s", dest, strerror(errno));
		goto out;
	}
	/* The rename itself, on disk. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", dest);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	sync_path(dir, O_RDONLY | O_DIRECTORY);
	ret = STORE_OK;
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	if (ret != STORE_OK)
		unlink(tmp);
	return ret;
}

int store_restore(const char *from, const char *path, struct store_copy_info *info, char *err,
                  size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	int lock = -1, ret = STORE_ERROR;
	if (store_is_url(path)) {
		snprintf(err, errlen, "a PostgreSQL database is restored with pg_restore or psql, not carrier");
		return STORE_ERROR;
	}
	if (access(from, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return STORE_ERROR;
	}
	if (open_db(from, SQLITE_OPEN_READONLY, &src, err, errlen) != STORE_OK ||
	    check(src, from, info, err, errlen) != STORE_OK)
		goto out;
	/* The database may not exist yet (a fresh machine); create it to lock it. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	ret = lock_file(path, LOCK_EX, &lock, err, errlen);
	if (ret != STORE_OK)
		goto out;
	ret = STORE_ERROR;
	if (open_db(path, SQLITE_OPEN_READWRITE, &dst, err, errlen) != STORE_OK)
		goto out;
	if (copy(src, dst, path, info ? &info->pages : NULL, err, errlen) != STORE_OK)
		goto out;
	/* Fold it into the main file now, so the database is one file at rest. */
	sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	ret = STORE_OK;
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	if (lock >= 0)
		close(lock);          /* after SQLite let go of the file: see store_close */
	return ret;
}
