/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the PostgreSQL backend's files: pg-open.c (connection, errors, schema migrations,
 * locks) and pg.c (the operations). Only pg*.c include <libpq-fe.h>.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/diag.h"

/*
 * Advisory lock keys. provision's own locks use the two-int4 key space with this classid
 * ("prov"): INV_PG_LOCK_MIGRATE while migrating, INV_PG_LOCK_WRITE for every write
 * transaction. inv_lock_take()'s keys are in the other space, one bigint: a 64-bit hash of
 * "provision:" KEY. PostgreSQL keeps the two spaces apart (pg_locks.objsubid 2 vs 1).
 */
#define INV_PG_LOCK_CLASS   "1886547830" /* 0x70726f76, "prov" */
#define INV_PG_LOCK_MIGRATE "0"
#define INV_PG_LOCK_WRITE   "1"

/* How long a write transaction waits for the writer lock before -EBUSY (like SQLite's). */
#define INV_PG_LOCK_TIMEOUT "30s"

struct pg {
	PGconn *conn;
	char *url; /* without its password: for messages */
};

static inline void PQclearp(PGresult **r)
{
	PQclear(*r);
}

/*
 * Run sql with n text parameters (NULL: SQL NULL) and expect a command or rows; *ret gets
 * the result when not NULL. On failure: "cannot WHAT: <PostgreSQL's message>" in d and the
 * SQLSTATE mapped to -errno (a lost connection: "cannot reach the inventory at 'URL'",
 * -EHOSTUNREACH).
 */
int inv__pg_exec(struct pg *p, const char *sql, int n, const char *const *params, struct diag *d,
		 const char *what, PGresult **ret);
/* The -errno of a failed result (its SQLSTATE), with the message in d as above. */
int inv__pg_fail(struct pg *p, const PGresult *res, struct diag *d, const char *what);

/* Decimal text of v, in buf, for a parameter. */
const char *inv__pg_i64(char buf[static 24], int64_t v);
/* Column c of row i as an int64 (NULL: 0). */
int64_t inv__pg_get_i64(const PGresult *res, int i, int c);
/* Column c of row i copied into *ret (NULL stays NULL). Returns: 0 or -ENOMEM. */
int inv__pg_get_text(const PGresult *res, int i, int c, char **ret);

/* pg-open.c: session advisory locks for inv_lock_take() */
int inv__pg_lock(void *h, const char *key, bool wait, struct diag *d);
void inv__pg_unlock(void *h, const char *key);
/* The bigint key of a lock name: FNV-1a 64 of "provision:" key. */
int64_t inv__pg_lock_key(const char *key);
void inv__pg_close(void *h);

/* pg-rows.c: stages, events, hosts, ids (struct inv_ops' members of the same names) */
struct inv_stage;
struct inv_event;
struct inv_host;
int inv__pg_stage_put(void *h, int64_t guest_id, const char *stage, int64_t done_usec,
		      struct diag *d);
int inv__pg_stage_list(void *h, int64_t guest_id, struct diag *d, struct inv_stage **ret,
		       size_t *ret_n);
int inv__pg_event_insert(void *h, const struct inv_event *e, struct diag *d);
int inv__pg_event_put(void *h, const struct inv_event *e, struct diag *d);
int inv__pg_event_list(void *h, const char *guest, struct diag *d, struct inv_event **ret,
		       size_t *ret_n);
int inv__pg_host_put(void *h, const struct inv_host *host, struct diag *d);
int inv__pg_host_list(void *h, struct diag *d, struct inv_host **ret, size_t *ret_n);
int inv__pg_ids_sync(void *h, struct diag *d);
