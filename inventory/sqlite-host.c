/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SQLite backend's hosts table (schema step 3): which Dom0s there are, as last seen. */
#include <errno.h>
#include <stdlib.h>

#include "common/macro.h"
#include "inventory/inventory-internal.h"
#include "inventory/sqlite-util.h"

int inv__sq_host_put(void *h, const struct inv_host *host, struct diag *d)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc = 0;

	r = sq_prepare(q->db,
		       "INSERT INTO hosts (name, xen_version, mem_total, mem_free, bridges,"
		       " seen_usec) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
		       " xen_version = excluded.xen_version, mem_total = excluded.mem_total,"
		       " mem_free = excluded.mem_free, bridges = excluded.bridges,"
		       " seen_usec = excluded.seen_usec",
		       d, &st);
	if (r < 0)
		return r;
	sqrc |= bind_text(st, 1, host->name);
	sqrc |= bind_text(st, 2, host->xen_version);
	sqrc |= sqlite3_bind_int64(st, 3, (int64_t) host->mem_total);
	sqrc |= sqlite3_bind_int64(st, 4, (int64_t) host->mem_free);
	sqrc |= bind_text(st, 5, host->bridges);
	sqrc |= sqlite3_bind_int64(st, 6, host->seen_usec);
	if (sqrc != SQLITE_OK)
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	return sqrc == SQLITE_DONE ? 0 : sq_fail(q->db, sqrc, d, "record host");
}

static int fill_host(sqlite3_stmt *st, void *p)
{
	struct inv_host *h = p;

	*h = (struct inv_host){
		.mem_total = (uint64_t) sqlite3_column_int64(st, 2),
		.mem_free = (uint64_t) sqlite3_column_int64(st, 3),
		.seen_usec = sqlite3_column_int64(st, 5),
	};
	if (col_text(st, 0, &h->name) < 0 || col_text(st, 1, &h->xen_version) < 0 ||
	    col_text(st, 4, &h->bridges) < 0) {
		free(h->name);
		free(h->xen_version);
		return -ENOMEM;
	}
	return 0;
}

static void drop_hosts(void *v, size_t n)
{
	inv_host_array_free(v, n);
}

int inv__sq_host_list(void *h, struct diag *d, struct inv_host **ret, size_t *ret_n)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	r = sq_prepare(q->db,
		       "SELECT name, xen_version, mem_total, mem_free, bridges, seen_usec"
		       " FROM hosts ORDER BY name",
		       d, &st);
	if (r < 0)
		return r;
	return inv__sq_collect(q->db, st, sizeof(**ret), fill_host, drop_hosts, d, (void **) ret,
			       ret_n);
}
