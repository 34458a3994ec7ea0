/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the SQLite backend's two files: sqlite-open.c (connection, WAL, schema
 * migrations, the scratch copy) and sqlite.c (the operations). Only they include <sqlite3.h>.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/diag.h"
#include "common/macro.h"

/* How long a writer waits for the lock before -EBUSY. Allocations hold it for milliseconds. */
#define BUSY_TIMEOUT_MS 30000

struct sq {
	sqlite3 *db;
};

static inline void sqlite3_finalizep(sqlite3_stmt **s)
{
	(void) sqlite3_finalize(*s);
}

static inline void sqlite3_closep(sqlite3 **db)
{
	(void) sqlite3_close_v2(*db);
}

static inline int errno_of(int sqrc)
{
	switch (sqrc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		if (sqrc == SQLITE_CONSTRAINT_CHECK || sqrc == SQLITE_CONSTRAINT_NOTNULL)
			return -EINVAL;
		if (sqrc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return -ENOENT;
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

/* "cannot WHAT: sqlite's message"; returns the translated error. */
static inline int sq_fail(sqlite3 *db, int sqrc, struct diag *d, const char *what)
{
	int r = errno_of(sqrc);

	if (r == -EBUSY)
		diag_add(d, DIAG_ERROR, NULL, "cannot %s: the inventory stayed locked (%s)", what,
			 sqlite3_errmsg(db));
	else
		diag_add(d, DIAG_ERROR, NULL, "cannot %s: %s", what, sqlite3_errmsg(db));
	return r;
}

static inline int sq_exec(sqlite3 *db, const char *sql, struct diag *d, const char *what)
{
	int sqrc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return sqrc == SQLITE_OK ? 0 : sq_fail(db, sqrc, d, what);
}

static inline int sq_prepare(sqlite3 *db, const char *sql, struct diag *d, sqlite3_stmt **ret)
{
	int sqrc = sqlite3_prepare_v2(db, sql, -1, ret, NULL);

	return sqrc == SQLITE_OK ? 0 : sq_fail(db, sqrc, d, "prepare an inventory query");
}

static inline int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static inline int col_text(sqlite3_stmt *st, int i, char **ret)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	*ret = NULL;
	if (!t)
		return 0;
	*ret = strdup((const char *) t);
	return *ret ? 0 : -ENOMEM;
}

/*
 * sqlite.c: step through st, growing an array by one element of size sz per row, filled by
 * fill() (which cleans up after itself on failure). On failure drop() frees what was
 * collected and *ret is untouched.
 */
int inv__sq_collect(sqlite3 *db, sqlite3_stmt *st, size_t sz, int (*fill)(sqlite3_stmt *, void *),
		    void (*drop)(void *v, size_t n), struct diag *d, void **ret, size_t *ret_n);

/* sqlite-host.c: the hosts table */
struct inv_host;
int inv__sq_host_put(void *h, const struct inv_host *host, struct diag *d);
int inv__sq_host_list(void *h, struct diag *d, struct inv_host **ret, size_t *ret_n);
