/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PostgreSQL backend's other rows: stages, events, hosts, and the identity sequences after
 * an import (pg.c has the guests and the ops table).
 */
#include <errno.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "common/macro.h"
#include "inventory/inventory-internal.h"
#include "inventory/pg-util.h"

int inv__pg_stage_put(void *h, int64_t guest_id, const char *stage, int64_t done_usec,
		      struct diag *d)
{
	char a[24], b[24];
	const char *v[] = {inv__pg_i64(a, guest_id), stage, inv__pg_i64(b, done_usec)};
	int r;

	/* re-doing a stage moves it last: a new row, as SQLite's INSERT OR REPLACE does */
	r = inv__pg_exec(h, "DELETE FROM stages WHERE guest_id = $1 AND stage = $2", 2, v, d,
			 "record stage", NULL);
	if (r < 0)
		return r;
	return inv__pg_exec(h,
			    "INSERT INTO stages (guest_id, stage, done_usec) VALUES ($1, $2, $3)",
			    3, v, d, "record stage", NULL);
}

int inv__pg_stage_list(void *h, int64_t guest_id, struct diag *d, struct inv_stage **ret,
		       size_t *ret_n)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct inv_stage *v;
	char a[24];
	const char *p = inv__pg_i64(a, guest_id);
	size_t n;
	int r;

	r = inv__pg_exec(h, "SELECT stage, done_usec FROM stages WHERE guest_id = $1 ORDER BY id",
			 1, &p, d, "read the inventory", &res);
	if (r < 0)
		return r;
	n = (size_t) PQntuples(res);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i].done_usec = inv__pg_get_i64(res, (int) i, 1);
		if (inv__pg_get_text(res, (int) i, 0, &v[i].stage) < 0) {
			inv_stage_array_free(v, i);
			return -ENOMEM;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int insert_event(struct pg *p, const struct inv_event *e, bool keep_id, struct diag *d)
{
	char id[24], at[24], gid[24];
	const char *v[] = {
		inv__pg_i64(id, e->id),
		inv__pg_i64(at, e->at_usec),
		e->guest_id ? inv__pg_i64(gid, e->guest_id) : NULL,
		e->guest,
		e->who,
		e->what,
		e->result,
		e->message,
	};

	if (keep_id)
		return inv__pg_exec(p,
				    "INSERT INTO events (id, at_usec, guest_id, guest, who, what,"
				    " result, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				    8, v, d, "record event", NULL);
	return inv__pg_exec(p,
			    "INSERT INTO events (at_usec, guest_id, guest, who, what, result,"
			    " message) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			    7, v + 1, d, "record event", NULL);
}

int inv__pg_event_insert(void *h, const struct inv_event *e, struct diag *d)
{
	return insert_event(h, e, false, d);
}

int inv__pg_event_put(void *h, const struct inv_event *e, struct diag *d)
{
	return insert_event(h, e, true, d);
}

static int read_event(const PGresult *res, int i, struct inv_event *e)
{
	int r = 0;

	*e = (struct inv_event){
		.id = inv__pg_get_i64(res, i, 0),
		.at_usec = inv__pg_get_i64(res, i, 1),
		.guest_id = inv__pg_get_i64(res, i, 2),
	};
	r |= inv__pg_get_text(res, i, 3, &e->guest);
	r |= inv__pg_get_text(res, i, 4, &e->who);
	r |= inv__pg_get_text(res, i, 5, &e->what);
	r |= inv__pg_get_text(res, i, 6, &e->result);
	r |= inv__pg_get_text(res, i, 7, &e->message);
	return r < 0 ? -ENOMEM : 0;
}

int inv__pg_event_list(void *h, const char *guest, struct diag *d, struct inv_event **ret,
		       size_t *ret_n)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct inv_event *v;
	size_t n;
	int r;

	r = inv__pg_exec(h,
			 guest ? "SELECT id, at_usec, guest_id, guest, who, what, result, message"
				 " FROM events WHERE guest = $1 ORDER BY id"
			       : "SELECT id, at_usec, guest_id, guest, who, what, result, message"
				 " FROM events ORDER BY id",
			 guest ? 1 : 0, &guest, d, "read the inventory", &res);
	if (r < 0)
		return r;
	n = (size_t) PQntuples(res);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (read_event(res, (int) i, &v[i]) < 0) {
			inv_event_array_free(v, i + 1);
			return -ENOMEM;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

int inv__pg_host_put(void *h, const struct inv_host *host, struct diag *d)
{
	char a[24], b[24], c[24];
	const char *v[] = {
		host->name,
		host->xen_version,
		inv__pg_i64(a, (int64_t) host->mem_total),
		inv__pg_i64(b, (int64_t) host->mem_free),
		host->bridges,
		inv__pg_i64(c, host->seen_usec),
	};

	return inv__pg_exec(h,
			    "INSERT INTO hosts (name, xen_version, mem_total, mem_free, bridges,"
			    " seen_usec) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO"
			    " UPDATE SET xen_version = EXCLUDED.xen_version,"
			    " mem_total = EXCLUDED.mem_total, mem_free = EXCLUDED.mem_free,"
			    " bridges = EXCLUDED.bridges, seen_usec = EXCLUDED.seen_usec",
			    6, v, d, "record host", NULL);
}

int inv__pg_host_list(void *h, struct diag *d, struct inv_host **ret, size_t *ret_n)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct inv_host *v;
	size_t n;
	int r;

	r = inv__pg_exec(h,
			 "SELECT name, xen_version, mem_total, mem_free, bridges, seen_usec"
			 " FROM hosts ORDER BY name COLLATE \"C\"",
			 0, NULL, d, "read the inventory", &res);
	if (r < 0)
		return r;
	n = (size_t) PQntuples(res);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int j = (int) i;

		v[i].mem_total = (uint64_t) inv__pg_get_i64(res, j, 2);
		v[i].mem_free = (uint64_t) inv__pg_get_i64(res, j, 3);
		v[i].seen_usec = inv__pg_get_i64(res, j, 5);
		if (inv__pg_get_text(res, j, 0, &v[i].name) < 0 ||
		    inv__pg_get_text(res, j, 1, &v[i].xen_version) < 0 ||
		    inv__pg_get_text(res, j, 4, &v[i].bridges) < 0) {
			inv_host_array_free(v, i + 1);
			return -ENOMEM;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int inv__pg_ids_sync(void *h, struct diag *d)
{
	/* the identity columns' sequences continue after the largest imported id */
	return inv__pg_exec(h,
			    "SELECT setval(pg_get_serial_sequence('guests', 'id'),"
			    " (SELECT coalesce(max(id), 0) + 1 FROM guests), false),"
			    " setval(pg_get_serial_sequence('stages', 'id'),"
			    " (SELECT coalesce(max(id), 0) + 1 FROM stages), false),"
			    " setval(pg_get_serial_sequence('events', 'id'),"
			    " (SELECT coalesce(max(id), 0) + 1 FROM events), false)",
			    0, NULL, d, "continue the inventory's ids after the import", NULL);
}
