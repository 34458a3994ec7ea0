/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The embedded inventory backend, opening side: one SQLite file, STATE_DIR/inventory.db, in WAL
 * mode; its schema migrations; the read-only connection of the commands that only read; the
 * in-memory copy for dry runs. sqlite.c has the operations.
 *
 * Readers without write access. WAL mode keeps two files beside the database: -wal (the
 * committed transactions not yet copied into it) and -shm (the index of -wal, the memory
 * the connections share). SQLite (>= 3.22) reads a WAL database it may not write when the
 * -wal and -shm files exist and are readable, or it can create them (it cannot: state_dir
 * is root's), or the database is opened immutable (sqlite.org/wal.html, "Read-Only
 * Databases"). Immutable means no locks and no look at -wal: right only while no writer is
 * connected. So:
 *  - writers set SQLITE_FCNTL_PERSIST_WAL: the last one to close copies -wal into the
 *    database as before, but leaves both files in place. SQLite gives them the database's
 *    mode and owner, so whoever may read the database may read them;
 *  - a reader that finds both opens mode=ro: it maps -shm read-only (or, when no writer is
 *    connected, builds a private index from -wal) and reads under the writers' locks, the
 *    same snapshot isolation a writer gets. It never checkpoints (NO_CKPT_ON_CLOSE), so
 *    closing changes nothing, and it creates no file: both exist;
 *  - a reader that does not find both opens the database immutable: no writer of this
 *    provision has the inventory open (they keep both), and an older one's last writer
 *    copied everything into the database before it deleted -shm, then -wal (a -wal left
 *    alone holds nothing more). FIXME: a writer that starts during such a read (only
 *    until the inventory's first write by this provision) may change the database under
 *    it: the read may then fail, and is to be repeated.
 * A reader never creates or upgrades anything: an older schema is upgraded in a private
 * in-memory copy, so this provision's queries run on it; the file stays as it is.
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

/* sqlite3_open_v2(name, flags) with our result codes and busy timeout; path names it in errors. */
static int open_db(const char *name, const char *path, int flags, struct diag *d, sqlite3 **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	int sqrc;

	sqrc = sqlite3_open_v2(name, &db, flags, NULL);
	if (sqrc != SQLITE_OK) {
		if (!db)
			return -ENOMEM;
		diag_add(d, DIAG_ERROR, NULL, "cannot open inventory '%s': %s", path,
			 sqlite3_errmsg(db));
		return errno_of(sqrc);
	}
	(void) sqlite3_extended_result_codes(db, 1);
	(void) sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	*ret = TAKE_PTR(db);
	return 0;
}

static int connect(const char *path, struct diag *d, sqlite3 **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	int r;

	r = open_db(path, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, d, &db);
	if (r < 0)
		return r;
	/* keep -wal and -shm when the last writer closes, for the readers (see the top) */
	(void) sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &(int){1});
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

/* 0 when the user may read path; -ENOENT quietly; else the plain message. */
static int readable(const char *path, struct diag *d)
{
	int e;

	if (access(path, R_OK) == 0)
		return 0;
	e = errno;
	if (e == ENOENT)
		return -ENOENT;
	diag_add(
		d, DIAG_ERROR, NULL,
		"cannot read the inventory '%s': %s (read-only commands need read access; run as root)",
		path, strerror(e));
	return -e;
}

/* "file:PATH?QUERY" with PATH percent-encoded where a URI needs it. */
static char *file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	char *uri = malloc(strlen("file:?") + 3 * strlen(path) + strlen(query) + 1), *o = uri;

	if (!uri)
		return NULL;
	o = stpcpy(o, "file:");
	for (const unsigned char *c = (const unsigned char *) path; *c; c++) {
		if (*c == '?' || *c == '#' || *c == '%' || *c <= ' ' || *c >= 0x7f) {
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		} else {
			*o++ = (char) *c;
		}
	}
	*o++ = '?';
	(void) stpcpy(o, query);
	return uri;
}

/*
 * A read-only connection to the inventory at path, creating nothing (see the top).
 * Returns: 0, -ENOENT (quietly) when there is no inventory, < 0 with the reason in d.
 */
static int connect_reader(const char *path, struct diag *d, sqlite3 **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	_cleanup_(freep) char *uri = NULL;
	bool live = true;
	int r;

	r = readable(path, d);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		_cleanup_(freep) char *side = NULL;

		if (asprintf(&side, "%s-%s", path, i ? "shm" : "wal") < 0)
			return -ENOMEM;
		r = readable(side, d);
		if (r == -ENOENT)
			live = false;
		else if (r < 0)
			return r;
	}
	uri = file_uri(path, live ? "mode=ro" : "immutable=1");
	if (!uri)
		return -ENOMEM;
	r = open_db(uri, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, d, &db);
	if (r < 0)
		return r;
	(void) sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	*ret = TAKE_PTR(db);
	return 0;
}

/* A private in-memory copy of src (NULL: an empty inventory), upgraded to this schema. */
static int memory_handle(sqlite3 *src, struct diag *d, void **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	struct diag quiet = DIAG_INIT;
	int sqrc, r;

	sqrc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL);
	if (sqrc != SQLITE_OK)
		return db ? sq_fail(db, sqrc, d, "create an in-memory inventory") : -ENOMEM;
	if (src) {
		sqlite3_backup *b = sqlite3_backup_init(db, "main", src, "main");

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
	/* the copy is private: upgrading it is no news for the admin, only a failure is */
	r = migrated_handle(&db, &quiet, ret);
	for (size_t i = 0; r < 0 && i < quiet.n; i++)
		diag_add(d, quiet.v[i].level, NULL, "%s", quiet.v[i].msg);
	diag_release(&quiet);
	return r;
}

int inv__sqlite_open_memory(struct diag *d, void **ret)
{
	return memory_handle(NULL, d, ret);
}

static char *db_path(const char *state_dir)
{
	char *path;

	return asprintf(&path, "%s/inventory.db", state_dir) < 0 ? NULL : path;
}

int inv__sqlite_open_readonly(const char *state_dir, struct diag *d, void **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	_cleanup_(freep) char *path = db_path(state_dir);
	struct sq *s;
	int r, v;

	if (!path)
		return -ENOMEM;
	r = connect_reader(path, d, &db);
	if (r == -ENOENT)
		return memory_handle(NULL, d, ret); /* no guest yet: an empty inventory */
	if (r < 0)
		return r;
	r = user_version(db, d, &v);
	if (r < 0)
		return r;
	if (v < 0 || (size_t) v > inv__sqlite_n_migrations) {
		diag_add(d, DIAG_ERROR, NULL,
			 "inventory schema version %d is newer than this provision knows (%zu)", v,
			 inv__sqlite_n_migrations);
		return -EPROTONOSUPPORT;
	}
	if ((size_t) v < inv__sqlite_n_migrations)
		return memory_handle(db, d, ret); /* a reader upgrades nothing on disk */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = TAKE_PTR(db);
	*ret = s;
	return 0;
}

int inv__sqlite_open_copy(const char *state_dir, struct diag *d, void **ret)
{
	_cleanup_(sqlite3_closep) sqlite3 *src = NULL;
	_cleanup_(freep) char *path = db_path(state_dir);
	int r;

	if (!path)
		return -ENOMEM;
	r = connect_reader(path, d, &src);
	if (r < 0 && r != -ENOENT)
		return r;
	return memory_handle(src, d, ret);
}
