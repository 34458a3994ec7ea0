/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared inventory backend: one PostgreSQL database that several Dom0 hosts use. The
 * operations of struct inv_ops on libpq (pg-open.c connects and migrates); values always
 * travel as parameters of PQexecParams(), never inside the SQL text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "inventory/pg-util.h"

static int pg_begin(void *h, bool write, struct diag *d)
{
	/*
	 * A writer takes provision's writer lock first, so what the allocator reads stays true
	 * until commit (the constraints are the guarantee anyway). A reader gets one snapshot.
	 */
	return inv__pg_exec(h,
			    write ? "BEGIN; SET LOCAL lock_timeout = '" INV_PG_LOCK_TIMEOUT "';"
				    " SELECT pg_advisory_xact_lock(" INV_PG_LOCK_CLASS
				    ", " INV_PG_LOCK_WRITE ")"
				  : "BEGIN ISOLATION LEVEL REPEATABLE READ",
			    0, NULL, d, "lock the inventory", NULL);
}

static int pg_commit(void *h, struct diag *d)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	int r;

	r = inv__pg_exec(h, "COMMIT", 0, NULL, d, "commit to the inventory", &res);
	if (r < 0)
		return r;
	if (streq(PQcmdStatus(res), "ROLLBACK")) /* not reached: failures roll back */
		return diag_error_errno(d, NULL, -EIO, "cannot commit to the inventory");
	return 0;
}

static void pg_rollback(void *h)
{
	struct pg *p = h;

	PQclear(PQexec(p->conn, "ROLLBACK"));
}

#define GUEST_COLS                                                                                 \
	"id, name, template, vlan, request_id, owner, host, lun, part_start, part_size, "          \
	"partuuid, partno, mac, ip, stage, state, error, created_usec, updated_usec, "             \
	"destroyed_usec, spec, part_origin, fs_uuid, failed_stage"

static int read_guest(const PGresult *res, int i, struct inv_guest *g)
{
	const char *origin = PQgetisnull(res, i, 21) ? NULL : PQgetvalue(res, i, 21);

	*g = (struct inv_guest){
		.id = inv__pg_get_i64(res, i, 0),
		.vlan = (unsigned) inv__pg_get_i64(res, i, 3),
		.has_partition = !PQgetisnull(res, i, 7),
		.part.start = (uint64_t) inv__pg_get_i64(res, i, 8),
		.part.size = (uint64_t) inv__pg_get_i64(res, i, 9),
		.part.partno = (unsigned) inv__pg_get_i64(res, i, 11),
		.has_ip = !PQgetisnull(res, i, 13),
		.ip = (uint32_t) inv__pg_get_i64(res, i, 13),
		.state = inv_state_from_string(PQgetvalue(res, i, 15)),
		.created_usec = inv__pg_get_i64(res, i, 17),
		.updated_usec = inv__pg_get_i64(res, i, 18),
		.destroyed_usec = inv__pg_get_i64(res, i, 19),
		.part_new = origin && streq(origin, "new"),
	};
	/* The schema's CHECKs make these impossible unless the table was edited by hand. */
	if (parse_mac(PQgetvalue(res, i, 12), g->mac) < 0 || (int) g->state < 0)
		return -EIO;
	if (inv__pg_get_text(res, i, 1, &g->name) < 0 ||
	    inv__pg_get_text(res, i, 2, &g->template_name) < 0 ||
	    inv__pg_get_text(res, i, 4, &g->request_id) < 0 ||
	    inv__pg_get_text(res, i, 5, &g->owner) < 0 ||
	    inv__pg_get_text(res, i, 6, &g->host) < 0 ||
	    inv__pg_get_text(res, i, 7, &g->part.lun) < 0 ||
	    inv__pg_get_text(res, i, 10, &g->part.partuuid) < 0 ||
	    inv__pg_get_text(res, i, 14, &g->stage) < 0 ||
	    inv__pg_get_text(res, i, 16, &g->error) < 0 ||
	    inv__pg_get_text(res, i, 20, &g->spec) < 0 ||
	    inv__pg_get_text(res, i, 22, &g->fs_uuid) < 0 ||
	    inv__pg_get_text(res, i, 23, &g->failed_stage) < 0) {
		inv__guest_release_members(g);
		return -ENOMEM;
	}
	return 0;
}

static int read_guests(const PGresult *res, struct diag *d, struct inv_guest **ret, size_t *ret_n)
{
	size_t n = (size_t) PQntuples(res);
	struct inv_guest *v = calloc(n + 1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = read_guest(res, (int) i, &v[i]);
		if (r < 0) {
			inv_guest_array_free(v, i);
			return diag_error_errno(d, NULL, r, "cannot read the inventory");
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int pg_guest_find(void *h, enum inv__key key, const char *s, int64_t id, struct diag *d,
			 struct inv_guest **ret)
{
	static const char *const sql[] = {
		[INV__KEY_ID] = "SELECT " GUEST_COLS " FROM guests WHERE id = $1",
		[INV__KEY_NAME] = "SELECT " GUEST_COLS " FROM guests"
				  " WHERE name = $1 AND destroyed_usec IS NULL",
		[INV__KEY_REQUEST] = "SELECT " GUEST_COLS " FROM guests"
				     " WHERE request_id = $1 AND destroyed_usec IS NULL",
	};
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct inv_guest *v = NULL;
	char buf[24];
	const char *param = key == INV__KEY_ID ? inv__pg_i64(buf, id) : s;
	size_t n = 0;
	int r;

	r = inv__pg_exec(h, sql[key], 1, &param, d, "read the inventory", &res);
	if (r < 0)
		return r;
	r = read_guests(res, d, &v, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		free(v);
		return -ENOENT;
	}
	for (size_t i = 1; i < n; i++) /* not reached: the keys are unique */
		inv__guest_release_members(&v[i]);
	*ret = v;
	return 0;
}

static int pg_guest_list(void *h, unsigned flags, struct diag *d, struct inv_guest **ret,
			 size_t *ret_n)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	int r;

	/* COLLATE "C": byte order, as SQLite sorts, whatever the database's locale */
	r = inv__pg_exec(h,
			 (flags & INV_LIST_DESTROYED)
				 ? "SELECT " GUEST_COLS
				   " FROM guests ORDER BY name COLLATE \"C\", id"
				 : "SELECT " GUEST_COLS " FROM guests WHERE destroyed_usec IS NULL"
				   " ORDER BY name COLLATE \"C\", id",
			 0, NULL, d, "read the inventory", &res);
	if (r < 0)
		return r;
	return read_guests(res, d, ret, ret_n);
}

/* Say which rule a write broke, in the admin's words (as sqlite.c does), by constraint name. */
static int guest_conflict(struct pg *p, const PGresult *res, const struct inv_guest *g,
			  struct diag *d)
{
	const char *c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char buf[18];

	if (PQstatus(p->conn) == CONNECTION_BAD || !state || !c ||
	    !(streq(state, "23505") || streq(state, "23P01")))
		return inv__pg_fail(p, res, d, "write guest to the inventory");
	if (streq(c, "guests_name"))
		diag_add(d, DIAG_ERROR, NULL, "guest '%s' already exists", g->name);
	else if (streq(c, "guests_request"))
		diag_add(d, DIAG_ERROR, NULL, "request '%s' already belongs to a guest",
			 g->request_id);
	else if (streq(c, "guests_mac"))
		diag_add(d, DIAG_ERROR, NULL, "MAC address '%s' is already taken",
			 format_mac(g->mac, buf));
	else if (streq(c, "guests_ip"))
		diag_add(d, DIAG_ERROR, NULL, "IP address '%s' on VLAN %u is already taken",
			 format_ipv4(g->ip, (char[16]){0}), g->vlan);
	else if (streq(c, "guests_partuuid"))
		diag_add(d, DIAG_ERROR, NULL, "partition '%s' on LUN '%s' is already taken",
			 g->part.partuuid, g->part.lun);
	else if (streq(c, "guests_overlap") || streq(c, "guests_part_start"))
		diag_add(d, DIAG_ERROR, NULL,
			 "partition at %" PRIu64 "+%" PRIu64 " on LUN '%s' overlaps a taken one",
			 g->part.start, g->part.size, g->part.lun);
	else
		diag_add(d, DIAG_ERROR, NULL, "cannot write guest '%s': %s", g->name,
			 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	return -EEXIST;
}

/* The 24 columns of GUEST_COLS' insert order below, as text parameters in v. */
struct guest_params {
	char id[24], created[24], vlan[24], start[24], size[24], partno[24], ip[24], updated[24],
		destroyed[24], mac[18];
	const char *v[24];
};

static void guest_params(const struct inv_guest *g, struct guest_params *b)
{
	bool p = g->has_partition;
	const char *const v[24] = {
		inv__pg_i64(b->id, g->id),
		g->name,
		inv__pg_i64(b->created, g->created_usec),
		g->template_name,
		inv__pg_i64(b->vlan, g->vlan),
		g->request_id,
		g->owner,
		g->host,
		p ? g->part.lun : NULL,
		p ? inv__pg_i64(b->start, (int64_t) g->part.start) : NULL,
		p ? inv__pg_i64(b->size, (int64_t) g->part.size) : NULL,
		p ? g->part.partuuid : NULL,
		inv__pg_i64(b->partno, g->part.partno),
		format_mac(g->mac, b->mac),
		g->has_ip ? inv__pg_i64(b->ip, g->ip) : NULL,
		g->stage,
		inv_state_to_string(g->state),
		g->error,
		inv__pg_i64(b->updated, g->updated_usec),
		g->destroyed_usec ? inv__pg_i64(b->destroyed, g->destroyed_usec) : NULL,
		g->spec,
		p ? (g->part_new ? "new" : "reused") : NULL,
		g->fs_uuid,
		g->failed_stage,
	};

	memcpy(b->v, v, sizeof(v));
}

/* Run a statement on guest g; a conflict is said in the admin's words. */
static int exec_guest(struct pg *p, const char *sql, int n, const char *const *v,
		      const struct inv_guest *g, struct diag *d, PGresult **ret)
{
	_cleanup_(PQclearp) PGresult *res = PQexecParams(p->conn, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (!res && PQstatus(p->conn) != CONNECTION_BAD)
		return -ENOMEM;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return guest_conflict(p, res, g, d);
	if (ret)
		*ret = TAKE_PTR(res);
	return 0;
}

#define INSERT_GUEST                                                                               \
	"INSERT INTO guests (id, name, created_usec, template, vlan, request_id, owner, host,"     \
	" lun, part_start, part_size, partuuid, partno, mac, ip, stage, state, error,"             \
	" updated_usec, destroyed_usec, spec, part_origin, fs_uuid, failed_stage) VALUES ("

static int pg_guest_insert(void *h, struct inv_guest *g, struct diag *d)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct guest_params b;
	int r;

	guest_params(g, &b);
	/* $1 is the id: DEFAULT takes the next one (v + 1 starts at the name) */
	r = exec_guest(h,
		       INSERT_GUEST
		       "DEFAULT, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
		       " $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id",
		       23, b.v + 1, g, d, &res);
	if (r < 0)
		return r;
	g->id = inv__pg_get_i64(res, 0, 0);
	return 0;
}

static int pg_guest_put(void *h, const struct inv_guest *g, struct diag *d)
{
	struct guest_params b;

	guest_params(g, &b);
	return exec_guest(h,
			  INSERT_GUEST
			  "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
			  " $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
			  24, b.v, g, d, NULL);
}

static int pg_guest_update(void *h, const struct inv_guest *g, struct diag *d)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct guest_params b;
	const char *v[22];
	int r;

	guest_params(g, &b);
	memcpy(v, b.v + 3, 21 * sizeof(*v)); /* template .. failed_stage */
	v[21] = b.v[0];
	r = exec_guest(h,
		       "UPDATE guests SET template = $1, vlan = $2, request_id = $3, owner = $4,"
		       " host = $5, lun = $6, part_start = $7, part_size = $8, partuuid = $9,"
		       " partno = $10, mac = $11, ip = $12, stage = $13, state = $14, error = $15,"
		       " updated_usec = $16, destroyed_usec = $17, spec = $18, part_origin = $19,"
		       " fs_uuid = $20, failed_stage = $21 WHERE id = $22",
		       22, v, g, d, &res);
	if (r < 0)
		return r;
	return streq(PQcmdTuples(res), "1") ? 0 : -ENOENT;
}

const struct inv_ops inv__pg_ops = {
	.name = "postgresql",
	.close = inv__pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.guest_find = pg_guest_find,
	.guest_list = pg_guest_list,
	.guest_insert = pg_guest_insert,
	.guest_update = pg_guest_update,
	.stage_put = inv__pg_stage_put,
	.stage_list = inv__pg_stage_list,
	.event_insert = inv__pg_event_insert,
	.event_list = inv__pg_event_list,
	.host_put = inv__pg_host_put,
	.host_list = inv__pg_host_list,
	.guest_put = pg_guest_put,
	.event_put = inv__pg_event_put,
	.ids_sync = inv__pg_ids_sync,
	.lock = inv__pg_lock,
	.unlock = inv__pg_unlock,
};
