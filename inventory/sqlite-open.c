/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The embedded inventory backend, opening side: one SQLite file, STATE_DIR/inventory.db, in WAL
 * mode; its schema migrations; the in-memory copy for dry runs. sqlite.c has the operations.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "inventory/sqlite-util.h"

static int user_version(sqlite3 *db, struct diag *d, int *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc;

	r = sq_prepare(db, "PRAGMA user_version", d, &st);
	if (r < 0)
		return r;
	sqrc = sqlite3_step(st);
	if (sqrc != SQLITE_ROW)
		return sq_fail(db, sqrc, d, "read the inventory's schema version");
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

static int migrate(sqlite3 *db, const char *const *steps, size_t n, struct diag *d)
{
	char sql[64];
	int r, v;

	r = user_version(db, d, &v);
	if (r < 0)
		return r;
	if (v == (int) n)
		return 0; /* the common case takes no write lock */
	r = sq_exec(db, "BEGIN IMMEDIATE", d, "lock the inventory to upgrade it");
	if (r < 0)
		return r;
	r = user_version(db, d, &v); /* someone may have upgraded it meanwhile */
	if (r < 0)
		goto out;
	if (v < 0 || (size_t) v > n) {
		r = -EPROTONOSUPPORT;
		diag_add(d, DIAG_ERROR, NULL,
			 "inventory schema version %d is newer than this provision knows (%zu)", v,
			 n);
		goto out;
	}
	for (size_t i = (size_t) v; i < n; i++) {
		if (v > 0) /* a new store is created, not upgraded: no news */
			diag_add(d, DIAG_NOTE, NULL, "upgrading inventory schema to version %zu",
				 i + 1);
		r = sq_exec(db, steps[i], d, "upgrade the inventory schema");
		if (r < 0)
			goto out;
	}
	(void) snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", n);
	r = sq_exec(db, sql, d, "set the inventory schema version");
	if (r < 0)
		goto out;
	return sq_exec(db, "COMMIT", d, "commit the inventory upgrade");
out:
	(void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/*
 * WAL is persistent in the file: the first opener switches it. Switching needs an exclusive
 * lock, and SQLite reports SQLITE_BUSY for it at once, without calling the busy handler,
 * when another connection holds a shared lock (many processes opening a new file at the same
 * moment). So retry here, with a jittered sleep, up to the busy timeout.
 */
static int switch_to_wal(sqlite3 *db, const char *path, struct diag *d)
{
	unsigned waited_ms = 0, nap, seed = (unsigned) getpid();

	for (;;) {
		_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
		int sqrc, r;

		r = sq_prepare(db, "PRAGMA journal_mode = WAL", d, &st);
		if (r < 0)
			return r;
		sqrc = sqlite3_step(st);
		if (sqrc == SQLITE_ROW) {
			if (strcasecmp((const char *) sqlite3_column_text(st, 0), "wal") == 0)
				return 0;
			diag_add(d, DIAG_ERROR, NULL, "cannot switch inventory '%s' to WAL mode",
				 path);
			return -EIO;
		}
		if ((sqrc & 0xff) != SQLITE_BUSY && (sqrc & 0xff) != SQLITE_LOCKED)
			return sq_fail(db, sqrc, d, "switch the inventory to WAL mode");
		if (waited_ms >= BUSY_TIMEOUT_MS)
			return sq_fail(db, sqrc, d, "switch the inventory to WAL mode");
		nap = 5 + (unsigned) rand_r(&seed) % 20;
		(void) usleep(nap * 1000);
		waited_ms += nap;
	}
}

static int connect(const char *path, struct diag *d, sqlite3 **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	int sqrc, r;

	sqrc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (sqrc != SQLITE_OK) {
		if (!db)
			return -ENOMEM;
		diag_add(d, DIAG_ERROR, NULL, "cannot open inventory '%s': %s", path,
			 sqlite3_errmsg(db));
		return errno_of(sqrc);
	}
	(void) sqlite3_extended_result_codes(db, 1);
	(void) sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	r = switch_to_wal(db, path, d);
	if (r < 0)
		return r;
	r = sq_exec(db, "PRAGMA foreign_keys = ON", d, "enable foreign keys");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(db);
	return 0;
}

int inv__sqlite_migrate(const char *path, const char *const *steps, size_t n, struct diag *d)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	int r;

	r = connect(path, d, &db);
	if (r < 0)
		return r;
	return migrate(db, steps, n, d);
}

/* Bring db's schema up to date and wrap it as the backend's handle (taking db). */
static int migrated_handle(sqlite3 **db, struct diag *d, void **ret)
{
	struct sq *s;
	int r;

	r = migrate(*db, inv__sqlite_migrations, inv__sqlite_n_migrations, d);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = TAKE_PTR(*db);
	*ret = s;
	return 0;
}

int inv__sqlite_open(const char *state_dir, struct diag *d, void **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	_cleanup_(freep) char *path = NULL;
	int r;

	if (mkdir(state_dir, 0750) < 0 && errno != EEXIST)
		return diag_error_errno(d, NULL, -errno, "cannot create state directory '%s'",
					state_dir);
	if (asprintf(&path, "%s/inventory.db", state_dir) < 0)
		return -ENOMEM;
	r = connect(path, d, &db);
	if (r < 0)
		return r;
	return migrated_handle(&db, d, ret);
}

int inv__sqlite_open_copy(const char *state_dir, struct diag *d, void **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	_cleanup_(sqlite3_closep) sqlite3 *src = NULL;
	_cleanup_(freep) char *path = NULL;
	int sqrc, r;

	if (asprintf(&path, "%s/inventory.db", state_dir) < 0)
		return -ENOMEM;
	sqrc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL);
	if (sqrc != SQLITE_OK)
		return db ? sq_fail(db, sqrc, d, "create an in-memory inventory") : -ENOMEM;
	if (access(path, F_OK) == 0) {
		sqlite3_backup *b;

		sqrc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
		if (sqrc != SQLITE_OK) {
			diag_add(d, DIAG_ERROR, NULL, "cannot open inventory '%s': %s", path,
				 src ? sqlite3_errmsg(src) : "out of memory");
			return src ? errno_of(sqrc) : -ENOMEM;
		}
		(void) sqlite3_busy_timeout(src, BUSY_TIMEOUT_MS);
		b = sqlite3_backup_init(db, "main", src, "main");
		if (!b)
			return sq_fail(db, sqlite3_errcode(db), d, "copy the inventory");
		sqrc = sqlite3_backup_step(b, -1);
		(void) sqlite3_backup_finish(b);
		if (sqrc != SQLITE_DONE)
			return sq_fail(db, sqrc, d, "copy the inventory");
	}
	r = sq_exec(db, "PRAGMA foreign_keys = ON", d, "enable foreign keys");
	if (r < 0)
		return r;
	return migrated_handle(&db, d, ret);
}
