/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The embedded inventory backend: one SQLite file, STATE_DIR/inventory.db, in WAL mode.
 * With sqlite-open.c and sqlite-util.h the only files that include <sqlite3.h> (split for
 * length); SQLite result codes are translated to -errno here.
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

static void sq_close(void *h)
{
	struct sq *s = h;

	if (!s)
		return;
	(void) sqlite3_close_v2(s->db);
	free(s);
}

static int sq_begin(void *h, bool write, struct diag *d)
{
	struct sq *s = h;

	/* IMMEDIATE: the writer lock now, so nothing read in the transaction goes stale. */
	return sq_exec(s->db, write ? "BEGIN IMMEDIATE" : "BEGIN", d, "lock the inventory");
}

static int sq_commit(void *h, struct diag *d)
{
	struct sq *s = h;

	return sq_exec(s->db, "COMMIT", d, "commit to the inventory");
}

static void sq_rollback(void *h)
{
	struct sq *s = h;

	(void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

#define GUEST_COLS                                                                                 \
	"id, name, template, vlan, request_id, owner, host, lun, part_start, part_size, "          \
	"partuuid, partno, mac, ip, stage, state, error, created_usec, updated_usec, "             \
	"destroyed_usec, spec, part_origin, fs_uuid, failed_stage"

static int read_guest(sqlite3_stmt *st, struct inv_guest *g)
{
	const char *mac = (const char *) sqlite3_column_text(st, 12);
	const char *state = (const char *) sqlite3_column_text(st, 15);
	const char *origin = (const char *) sqlite3_column_text(st, 21);

	*g = (struct inv_guest){
		.id = sqlite3_column_int64(st, 0),
		.vlan = (unsigned) sqlite3_column_int(st, 3),
		.has_partition = sqlite3_column_type(st, 7) != SQLITE_NULL,
		.part.start = (uint64_t) sqlite3_column_int64(st, 8),
		.part.size = (uint64_t) sqlite3_column_int64(st, 9),
		.part.partno = (unsigned) sqlite3_column_int(st, 11),
		.has_ip = sqlite3_column_type(st, 13) != SQLITE_NULL,
		.ip = (uint32_t) sqlite3_column_int64(st, 13),
		.state = inv_state_from_string(state),
		.created_usec = sqlite3_column_int64(st, 17),
		.updated_usec = sqlite3_column_int64(st, 18),
		.destroyed_usec = sqlite3_column_int64(st, 19),
		.part_new = origin && streq(origin, "new"),
	};
	/* The schema's CHECKs make these impossible unless the file was edited by hand. */
	if (!mac || parse_mac(mac, g->mac) < 0 || (int) g->state < 0)
		return -EIO;
	if (col_text(st, 1, &g->name) < 0 || col_text(st, 2, &g->template_name) < 0 ||
	    col_text(st, 4, &g->request_id) < 0 || col_text(st, 5, &g->owner) < 0 ||
	    col_text(st, 6, &g->host) < 0 || col_text(st, 7, &g->part.lun) < 0 ||
	    col_text(st, 10, &g->part.partuuid) < 0 || col_text(st, 14, &g->stage) < 0 ||
	    col_text(st, 16, &g->error) < 0 || col_text(st, 20, &g->spec) < 0 ||
	    col_text(st, 22, &g->fs_uuid) < 0 || col_text(st, 23, &g->failed_stage) < 0) {
		inv__guest_release_members(g);
		return -ENOMEM;
	}
	return 0;
}

/* sqlite-util.h says what. */
int inv__sq_collect(sqlite3 *db, sqlite3_stmt *st, size_t sz, int (*fill)(sqlite3_stmt *, void *),
		    void (*drop)(void *v, size_t n), struct diag *d, void **ret, size_t *ret_n)
{
	char *v = NULL;
	size_t n = 0;
	int sqrc, r;

	while ((sqrc = sqlite3_step(st)) == SQLITE_ROW) {
		char *nv = realloc(v, (n + 1) * sz);

		r = -ENOMEM;
		if (nv) {
			v = nv;
			r = fill(st, v + n * sz);
		}
		if (r < 0) {
			drop(v, n);
			return diag_error_errno(d, NULL, r, "cannot read the inventory");
		}
		n++;
	}
	if (sqrc != SQLITE_DONE) {
		drop(v, n);
		return sq_fail(db, sqrc, d, "read the inventory");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void drop_guests(void *v, size_t n)
{
	inv_guest_array_free(v, n);
}

static void drop_stages(void *v, size_t n)
{
	inv_stage_array_free(v, n);
}

static void drop_events(void *v, size_t n)
{
	inv_event_array_free(v, n);
}

static int fill_guest(sqlite3_stmt *st, void *p)
{
	return read_guest(st, p);
}

static int sq_guest_find(void *h, enum inv__key key, const char *s, int64_t id, struct diag *d,
			 struct inv_guest **ret)
{
	static const char *const where[] = {
		[INV__KEY_ID] = "id = ?",
		[INV__KEY_NAME] = "name = ? AND destroyed_usec IS NULL",
		[INV__KEY_REQUEST] = "request_id = ? AND destroyed_usec IS NULL",
	};
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	_cleanup_(freep) char *sql = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;
	int r;

	if (asprintf(&sql, "SELECT " GUEST_COLS " FROM guests WHERE %s", where[key]) < 0)
		return -ENOMEM;
	r = sq_prepare(q->db, sql, d, &st);
	if (r < 0)
		return r;
	if (key == INV__KEY_ID)
		(void) sqlite3_bind_int64(st, 1, id);
	else
		(void) bind_text(st, 1, s);
	r = inv__sq_collect(q->db, st, sizeof(*v), fill_guest, drop_guests, d, (void **) &v, &n);
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

static int sq_guest_list(void *h, unsigned flags, struct diag *d, struct inv_guest **ret,
			 size_t *ret_n)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;
	int r;

	r = sq_prepare(q->db,
		       (flags & INV_LIST_DESTROYED)
			       ? "SELECT " GUEST_COLS " FROM guests ORDER BY name, id"
			       : "SELECT " GUEST_COLS " FROM guests WHERE destroyed_usec IS NULL"
				 " ORDER BY name, id",
		       d, &st);
	if (r < 0)
		return r;
	r = inv__sq_collect(q->db, st, sizeof(*v), fill_guest, drop_guests, d, (void **) &v, &n);
	if (r < 0)
		return r;
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Say which rule a write broke, in the admin's words, for SQLite's constraint message. */
static int guest_conflict(sqlite3 *db, int sqrc, const struct inv_guest *g, struct diag *d)
{
	const char *m = sqlite3_errmsg(db);
	char buf[18];

	if (errno_of(sqrc) != -EEXIST)
		return sq_fail(db, sqrc, d, "write guest to the inventory");
	if (strstr(m, "guests.name"))
		diag_add(d, DIAG_ERROR, NULL, "guest '%s' already exists", g->name);
	else if (strstr(m, "guests.request_id"))
		diag_add(d, DIAG_ERROR, NULL, "request '%s' already belongs to a guest",
			 g->request_id);
	else if (strstr(m, "guests.mac"))
		diag_add(d, DIAG_ERROR, NULL, "MAC address '%s' is already taken",
			 format_mac(g->mac, buf));
	else if (strstr(m, "guests.ip"))
		diag_add(d, DIAG_ERROR, NULL, "IP address '%s' on VLAN %u is already taken",
			 format_ipv4(g->ip, (char[16]){0}), g->vlan);
	else if (strstr(m, "guests.partuuid"))
		diag_add(d, DIAG_ERROR, NULL, "partition '%s' on LUN '%s' is already taken",
			 g->part.partuuid, g->part.lun);
	else if (strstr(m, "overlaps") || strstr(m, "guests.part_start"))
		diag_add(d, DIAG_ERROR, NULL,
			 "partition at %" PRIu64 "+%" PRIu64 " on LUN '%s' overlaps a taken one",
			 g->part.start, g->part.size, g->part.lun);
	else
		diag_add(d, DIAG_ERROR, NULL, "cannot write guest '%s': %s", g->name, m);
	return -EEXIST;
}

static int bind_guest(sqlite3_stmt *st, const struct inv_guest *g, int i)
{
	char mac[18];
	int sqrc = 0;

	sqrc |= bind_text(st, i++, g->template_name);
	sqrc |= sqlite3_bind_int(st, i++, (int) g->vlan);
	sqrc |= bind_text(st, i++, g->request_id);
	sqrc |= bind_text(st, i++, g->owner);
	sqrc |= bind_text(st, i++, g->host);
	if (g->has_partition) {
		sqrc |= bind_text(st, i++, g->part.lun);
		sqrc |= sqlite3_bind_int64(st, i++, (int64_t) g->part.start);
		sqrc |= sqlite3_bind_int64(st, i++, (int64_t) g->part.size);
		sqrc |= bind_text(st, i++, g->part.partuuid);
	} else {
		for (int j = 0; j < 4; j++)
			sqrc |= sqlite3_bind_null(st, i++);
	}
	sqrc |= sqlite3_bind_int(st, i++, (int) g->part.partno);
	sqrc |= bind_text(st, i++, format_mac(g->mac, mac));
	sqrc |= g->has_ip ? sqlite3_bind_int64(st, i++, g->ip) : sqlite3_bind_null(st, i++);
	sqrc |= bind_text(st, i++, g->stage);
	sqrc |= bind_text(st, i++, inv_state_to_string(g->state));
	sqrc |= bind_text(st, i++, g->error);
	sqrc |= sqlite3_bind_int64(st, i++, g->updated_usec);
	sqrc |= g->destroyed_usec ? sqlite3_bind_int64(st, i++, g->destroyed_usec)
				  : sqlite3_bind_null(st, i++);
	sqrc |= bind_text(st, i++, g->spec);
	sqrc |= bind_text(st, i++, g->has_partition ? (g->part_new ? "new" : "reused") : NULL);
	sqrc |= bind_text(st, i++, g->fs_uuid);
	sqrc |= bind_text(st, i++, g->failed_stage);
	return sqrc == SQLITE_OK ? 0 : -ENOMEM;
}

/* Insert g, with its id when keep_id (import), else a new one in *ret_id. */
static int insert_guest(struct sq *q, const struct inv_guest *g, bool keep_id, struct diag *d,
			int64_t *ret_id)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc;

	r = sq_prepare(
		q->db,
		"INSERT INTO guests (id, name, created_usec, template, vlan, request_id, owner,"
		" host, lun, part_start, part_size, partuuid, partno, mac, ip, stage, state,"
		" error, updated_usec, destroyed_usec, spec, part_origin, fs_uuid,"
		" failed_stage)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d, &st);
	if (r < 0)
		return r;
	if ((keep_id ? sqlite3_bind_int64(st, 1, g->id) : sqlite3_bind_null(st, 1)) ||
	    bind_text(st, 2, g->name) || sqlite3_bind_int64(st, 3, g->created_usec) ||
	    bind_guest(st, g, 4) < 0)
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	if (sqrc != SQLITE_DONE)
		return guest_conflict(q->db, sqrc, g, d);
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

static int sq_guest_insert(void *h, struct inv_guest *g, struct diag *d)
{
	return insert_guest(h, g, false, d, &g->id);
}

static int sq_guest_put(void *h, const struct inv_guest *g, struct diag *d)
{
	return insert_guest(h, g, true, d, NULL);
}

static int sq_guest_update(void *h, const struct inv_guest *g, struct diag *d)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc;

	r = sq_prepare(q->db,
		       "UPDATE guests SET template = ?, vlan = ?, request_id = ?, owner = ?,"
		       " host = ?, lun = ?, part_start = ?, part_size = ?, partuuid = ?,"
		       " partno = ?, mac = ?, ip = ?, stage = ?, state = ?, error = ?,"
		       " updated_usec = ?, destroyed_usec = ?, spec = ?, part_origin = ?,"
		       " fs_uuid = ?, failed_stage = ? WHERE id = ?",
		       d, &st);
	if (r < 0)
		return r;
	if (bind_guest(st, g, 1) < 0 || sqlite3_bind_int64(st, 22, g->id))
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	if (sqrc != SQLITE_DONE)
		return guest_conflict(q->db, sqrc, g, d);
	return sqlite3_changes(q->db) == 1 ? 0 : -ENOENT;
}

static int sq_stage_put(void *h, int64_t guest_id, const char *stage, int64_t done_usec,
			struct diag *d)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc;

	r = sq_prepare(
		q->db,
		"INSERT OR REPLACE INTO stages (guest_id, stage, done_usec) VALUES (?, ?, ?)", d,
		&st);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(st, 1, guest_id) || bind_text(st, 2, stage) ||
	    sqlite3_bind_int64(st, 3, done_usec))
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	return sqrc == SQLITE_DONE ? 0 : sq_fail(q->db, sqrc, d, "record stage");
}

static int fill_stage(sqlite3_stmt *st, void *p)
{
	struct inv_stage *s = p;

	s->done_usec = sqlite3_column_int64(st, 1);
	return col_text(st, 0, &s->stage);
}

static int sq_stage_list(void *h, int64_t guest_id, struct diag *d, struct inv_stage **ret,
			 size_t *ret_n)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	r = sq_prepare(q->db,
		       "SELECT stage, done_usec FROM stages WHERE guest_id = ?"
		       " ORDER BY id",
		       d, &st);
	if (r < 0)
		return r;
	(void) sqlite3_bind_int64(st, 1, guest_id);
	return inv__sq_collect(q->db, st, sizeof(**ret), fill_stage, drop_stages, d, (void **) ret,
			       ret_n);
}

/* Insert e, with its id when keep_id (import). */
static int insert_event(struct sq *q, const struct inv_event *e, bool keep_id, struct diag *d)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc = 0;

	r = sq_prepare(q->db,
		       "INSERT INTO events (id, at_usec, guest_id, guest, who, what, result,"
		       " message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		       d, &st);
	if (r < 0)
		return r;
	sqrc |= keep_id ? sqlite3_bind_int64(st, 1, e->id) : sqlite3_bind_null(st, 1);
	sqrc |= sqlite3_bind_int64(st, 2, e->at_usec);
	sqrc |= e->guest_id ? sqlite3_bind_int64(st, 3, e->guest_id) : sqlite3_bind_null(st, 3);
	sqrc |= bind_text(st, 4, e->guest);
	sqrc |= bind_text(st, 5, e->who);
	sqrc |= bind_text(st, 6, e->what);
	sqrc |= bind_text(st, 7, e->result);
	sqrc |= bind_text(st, 8, e->message);
	if (sqrc != SQLITE_OK)
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	return sqrc == SQLITE_DONE ? 0 : sq_fail(q->db, sqrc, d, "record event");
}

static int sq_event_insert(void *h, const struct inv_event *e, struct diag *d)
{
	return insert_event(h, e, false, d);
}

static int sq_event_put(void *h, const struct inv_event *e, struct diag *d)
{
	return insert_event(h, e, true, d);
}

static int fill_event(sqlite3_stmt *st, void *p)
{
	struct inv_event *e = p;
	int r = 0;

	*e = (struct inv_event){0};
	e->id = sqlite3_column_int64(st, 0);
	e->at_usec = sqlite3_column_int64(st, 1);
	e->guest_id = sqlite3_column_int64(st, 2);
	r |= col_text(st, 3, &e->guest);
	r |= col_text(st, 4, &e->who);
	r |= col_text(st, 5, &e->what);
	r |= col_text(st, 6, &e->result);
	r |= col_text(st, 7, &e->message);
	if (r < 0) {
		free(e->guest);
		free(e->who);
		free(e->what);
		free(e->result);
		free(e->message);
		return -ENOMEM;
	}
	return 0;
}

static int sq_event_list(void *h, const char *guest, struct diag *d, struct inv_event **ret,
			 size_t *ret_n)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	r = sq_prepare(q->db,
		       guest ? "SELECT id, at_usec, guest_id, guest, who, what, result, message"
			       " FROM events WHERE guest = ? ORDER BY id"
			     : "SELECT id, at_usec, guest_id, guest, who, what, result, message"
			       " FROM events ORDER BY id",
		       d, &st);
	if (r < 0)
		return r;
	if (guest)
		(void) bind_text(st, 1, guest);
	return inv__sq_collect(q->db, st, sizeof(**ret), fill_event, drop_events, d, (void **) ret,
			       ret_n);
}

const struct inv_ops inv__sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.guest_find = sq_guest_find,
	.guest_list = sq_guest_list,
	.guest_insert = sq_guest_insert,
	.guest_update = sq_guest_update,
	.stage_put = sq_stage_put,
	.stage_list = sq_stage_list,
	.event_insert = sq_event_insert,
	.event_list = sq_event_list,
	.host_put = inv__sq_host_put,
	.host_list = inv__sq_host_list,
	.guest_put = sq_guest_put,
	.event_put = sq_event_put,
};
