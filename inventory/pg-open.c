/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PostgreSQL backend, connection side: connecting (application_name "provision", a
 * connect_timeout unless the URL has one), libpq's errors translated to -errno with the URL
 * (never its password) in the message, the schema migrations under an advisory lock, and the
 * session advisory locks of inv_lock_take(). pg.c has the operations.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/macro.h"
#include "inventory/inventory-internal.h"
#include "inventory/pg-util.h"

const char *inv__pg_i64(char buf[static 24], int64_t v)
{
	(void) snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

int64_t inv__pg_get_i64(const PGresult *res, int i, int c)
{
	return PQgetisnull(res, i, c) ? 0 : strtoll(PQgetvalue(res, i, c), NULL, 10);
}

int inv__pg_get_text(const PGresult *res, int i, int c, char **ret)
{
	*ret = NULL;
	if (PQgetisnull(res, i, c))
		return 0;
	*ret = strdup(PQgetvalue(res, i, c));
	return *ret ? 0 : -ENOMEM;
}

/* The first line of libpq's message (without "ERROR:  " and the like), in buf. */
static const char *first_line(const char *msg, char *buf, size_t len)
{
	size_t n;

	if (!msg || !*msg)
		msg = "unknown error";
	n = strcspn(msg, "\n");
	(void) snprintf(buf, len, "%.*s", (int) n, msg);
	return buf;
}

static int errno_of_sqlstate(const char *s)
{
	if (!s)
		return -EIO;
	if (streq(s, "23505") || streq(s, "23P01"))
		return -EEXIST;
	if (streq(s, "23503"))
		return -ENOENT;
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
		return -EINVAL;
	if (streq(s, "55P03") || streq(s, "55006") || streq(s, "40001") || streq(s, "40P01"))
		return -EBUSY;
	if (streq(s, "25006") || streq(s, "42501") || strncmp(s, "28", 2) == 0)
		return -EACCES;
	if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P", 3) == 0)
		return -EHOSTUNREACH;
	return -EIO;
}

/* "cannot reach the inventory at 'URL': <libpq's first line>", -EHOSTUNREACH. */
static int unreachable(const char *url, const char *msg, struct diag *d)
{
	char buf[512];

	diag_add(d, DIAG_ERROR, NULL, "cannot reach the inventory at '%s': %s", url,
		 first_line(msg, buf, sizeof(buf)));
	return -EHOSTUNREACH;
}

int inv__pg_fail(struct pg *p, const PGresult *res, struct diag *d, const char *what)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char buf[512];
	int r;

	if (PQstatus(p->conn) == CONNECTION_BAD)
		return unreachable(p->url, PQerrorMessage(p->conn), d);
	r = errno_of_sqlstate(state);
	first_line(msg ?: PQerrorMessage(p->conn), buf, sizeof(buf));
	if (r == -EBUSY)
		diag_add(d, DIAG_ERROR, NULL, "cannot %s: the inventory stayed locked (%s)", what,
			 buf);
	else
		diag_add(d, DIAG_ERROR, NULL, "cannot %s: %s", what, buf);
	return r;
}

int inv__pg_exec(struct pg *p, const char *sql, int n, const char *const *params, struct diag *d,
		 const char *what, PGresult **ret)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	ExecStatusType st;

	/* with parameters: never SQL built from values; without: may hold several statements */
	res = n ? PQexecParams(p->conn, sql, n, NULL, params, NULL, NULL, 0) : PQexec(p->conn, sql);
	if (!res)
		return PQstatus(p->conn) == CONNECTION_BAD
			       ? unreachable(p->url, PQerrorMessage(p->conn), d)
			       : -ENOMEM;
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return inv__pg_fail(p, res, d, what);
	if (ret)
		*ret = TAKE_PTR(res);
	return 0;
}

static void quiet(void *arg, const char *message)
{
	/* modules never print: NOTICEs ("extension ... already exists, skipping") are dropped */
}

static bool auth_failure(PGconn *c)
{
	const char *m = PQerrorMessage(c);

	return PQconnectionNeedsPassword(c) || strstr(m, "authentication failed") ||
	       strstr(m, "no pg_hba.conf entry") || strstr(m, "permission denied") ||
	       (strstr(m, "role \"") && strstr(m, "does not exist"));
}

static void pg_close(void *h)
{
	struct pg *p = h;

	if (!p)
		return;
	PQfinish(p->conn);
	free(p->url);
	free(p);
}

static void pg_closep(struct pg **p)
{
	pg_close(*p);
}

static int pg_connect(const char *url, bool readonly, struct diag *d, struct pg **ret)
{
	/* the URL's own values win over those before "dbname" */
	static const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
	const char *values[] = {"provision", "10", url, NULL};
	_cleanup_(pg_closep) struct pg *p = calloc(1, sizeof(*p));
	char buf[512];
	int r;

	if (!p || !(p->url = inv__url_redact(url)))
		return -ENOMEM;
	p->conn = PQconnectdbParams(keys, values, 1);
	if (!p->conn)
		return -ENOMEM;
	if (PQstatus(p->conn) != CONNECTION_OK) {
		if (!auth_failure(p->conn))
			return unreachable(p->url, PQerrorMessage(p->conn), d);
		diag_add(d, DIAG_ERROR, NULL, "the inventory at '%s' refused provision: %s", p->url,
			 first_line(PQerrorMessage(p->conn), buf, sizeof(buf)));
		return -EACCES;
	}
	(void) PQsetNoticeProcessor(p->conn, quiet, NULL);
	r = inv__pg_exec(p, readonly ? "SET default_transaction_read_only = on" : "SELECT 1", 0,
			 NULL, d, "set up the inventory connection", NULL);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

/* The applied schema version (0: none yet). */
static int schema_version(struct pg *p, struct diag *d, int *ret)
{
	_cleanup_(PQclearp) PGresult *res = NULL, *ver = NULL;
	int r;

	r = inv__pg_exec(p, "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL, d,
			 "read the inventory's schema version", &res);
	if (r < 0)
		return r;
	*ret = 0;
	if (!streq(PQgetvalue(res, 0, 0), "t"))
		return 0;
	r = inv__pg_exec(p, "SELECT coalesce(max(version), 0) FROM schema_version", 0, NULL, d,
			 "read the inventory's schema version", &ver);
	if (r < 0)
		return r;
	*ret = (int) inv__pg_get_i64(ver, 0, 0);
	return 0;
}

static int newer(struct pg *p, int v, size_t n, struct diag *d)
{
	diag_add(
		d, DIAG_ERROR, NULL,
		"inventory schema version %d at '%s' is newer than this provision knows (%zu): upgrade provision on this host",
		v, p->url, n);
	return -EPROTONOSUPPORT;
}

/* Under the migration lock, in the open transaction: apply steps[v..n-1]. */
static int migrate_locked(struct pg *p, const char *const *steps, size_t n, struct diag *d)
{
	char buf[24];
	int r, v;

	r = inv__pg_exec(p,
			 "SELECT pg_advisory_xact_lock(" INV_PG_LOCK_CLASS ", " INV_PG_LOCK_MIGRATE
			 ");"
			 "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
			 0, NULL, d, "lock the inventory to upgrade it", NULL);
	if (r < 0)
		return r;
	r = schema_version(p, d, &v); /* another host may have upgraded it meanwhile */
	if (r < 0)
		return r;
	if (v < 0 || (size_t) v > n)
		return newer(p, v, n, d);
	for (size_t i = (size_t) v; i < n; i++) {
		if (v > 0) /* a new store is created, not upgraded: no news */
			diag_add(d, DIAG_NOTE, NULL, "upgrading inventory schema to version %zu",
				 i + 1);
		r = inv__pg_exec(p, steps[i], 0, NULL, d, "upgrade the inventory schema", NULL);
		if (r < 0)
			return r;
	}
	return inv__pg_exec(p,
			    "WITH gone AS (DELETE FROM schema_version)"
			    " INSERT INTO schema_version (version) VALUES ($1)",
			    1, (const char *[]){inv__pg_i64(buf, (int64_t) n)}, d,
			    "set the inventory schema version", NULL);
}

static int migrate(struct pg *p, const char *const *steps, size_t n, struct diag *d)
{
	int r, v;

	r = schema_version(p, d, &v);
	if (r < 0)
		return r;
	if (v == (int) n)
		return 0; /* the common case takes no lock */
	if (v > (int) n)
		return newer(p, v, n, d);
	r = inv__pg_exec(p, "BEGIN", 0, NULL, d, "begin the inventory upgrade", NULL);
	if (r < 0)
		return r;
	r = migrate_locked(p, steps, n, d);
	if (r < 0) {
		PQclear(PQexec(p->conn, "ROLLBACK"));
		return r;
	}
	return inv__pg_exec(p, "COMMIT", 0, NULL, d, "commit the inventory upgrade", NULL);
}

int inv__pg_migrate(const char *url, const char *const *steps, size_t n, struct diag *d)
{
	_cleanup_(pg_closep) struct pg *p = NULL;
	int r;

	r = pg_connect(url, false, d, &p);
	if (r < 0)
		return r;
	return migrate(p, steps, n, d);
}

/* A reader creates and upgrades nothing: the schema must be this provision's. */
static int check_version(struct pg *p, struct diag *d)
{
	int r, v;

	r = schema_version(p, d, &v);
	if (r < 0)
		return r;
	if (v > (int) inv__pg_n_migrations)
		return newer(p, v, inv__pg_n_migrations, d);
	if (v == 0)
		return -ENODATA; /* nothing written yet: the caller reads that as empty */
	if (v < (int) inv__pg_n_migrations) {
		diag_add(
			d, DIAG_ERROR, NULL,
			"the inventory at '%s' has schema version %d, this provision needs %zu: a command that writes creates or upgrades it",
			p->url, v, inv__pg_n_migrations);
		return -ENOENT;
	}
	return 0;
}

int inv__pg_open(const char *url, bool readonly, struct diag *d, void **ret)
{
	_cleanup_(pg_closep) struct pg *p = NULL;
	int r;

	r = pg_connect(url, readonly, d, &p);
	if (r < 0)
		return r;
	r = readonly ? check_version(p, d)
		     : migrate(p, inv__pg_migrations, inv__pg_n_migrations, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

void inv__pg_close(void *h)
{
	pg_close(h);
}

int64_t inv__pg_lock_key(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *s = "provision:"; *s; s++)
		h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
	for (const char *s = key; *s; s++)
		h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
	return (int64_t) h;
}

int inv__pg_lock(void *h, const char *key, bool wait, struct diag *d)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	_cleanup_(freep) char *what = NULL;
	char buf[24];
	const char *v[] = {inv__pg_i64(buf, inv__pg_lock_key(key))};
	int r;

	if (asprintf(&what, "lock '%s' in the inventory", key) < 0)
		return -ENOMEM;
	r = inv__pg_exec(h,
			 wait ? "SELECT pg_advisory_lock($1::bigint), true"
			      : "SELECT true, pg_try_advisory_lock($1::bigint)",
			 1, v, d, what, &res);
	if (r < 0)
		return r;
	return streq(PQgetvalue(res, 0, 1), "t") ? 0 : -EWOULDBLOCK;
}

void inv__pg_unlock(void *h, const char *key)
{
	struct diag ignored = DIAG_INIT;
	char buf[24];
	const char *v[] = {inv__pg_i64(buf, inv__pg_lock_key(key))};

	/* a lost connection has released it already */
	(void) inv__pg_exec(h, "SELECT pg_advisory_unlock($1::bigint)", 1, v, &ignored, "unlock",
			    NULL);
	diag_release(&ignored);
}
