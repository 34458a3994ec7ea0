/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SQLite backend's images table (schema step 4): golden images, live and deleted. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "inventory/sqlite-util.h"

#define IMAGE_COLS                                                                                 \
	"id, name, lun, part_start, part_size, partuuid, partno, fs_bytes, used_bytes, "           \
	"checksum, source, source_id, template, created_usec, updated_usec, deleted_usec"

static int fill_image(sqlite3_stmt *st, void *p)
{
	struct inv_image *im = p;

	*im = (struct inv_image){
		.id = sqlite3_column_int64(st, 0),
		.start = (uint64_t) sqlite3_column_int64(st, 3),
		.size = (uint64_t) sqlite3_column_int64(st, 4),
		.partno = (unsigned) sqlite3_column_int(st, 6),
		.fs_bytes = (uint64_t) sqlite3_column_int64(st, 7),
		.used_bytes = (uint64_t) sqlite3_column_int64(st, 8),
		.source_id = sqlite3_column_int64(st, 11),
		.created_usec = sqlite3_column_int64(st, 13),
		.updated_usec = sqlite3_column_int64(st, 14),
		.deleted_usec = sqlite3_column_int64(st, 15),
	};
	if (col_text(st, 1, &im->name) < 0 || col_text(st, 2, &im->lun) < 0 ||
	    col_text(st, 5, &im->partuuid) < 0 || col_text(st, 9, &im->checksum) < 0 ||
	    col_text(st, 10, &im->source) < 0 || col_text(st, 12, &im->template_name) < 0) {
		inv__image_release_members(im);
		return -ENOMEM;
	}
	return 0;
}

static void drop_images(void *v, size_t n)
{
	inv_image_array_free(v, n);
}

int inv__sq_image_find(void *h, enum inv__key key, const char *s, int64_t id, struct diag *d,
		       struct inv_image **ret)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct inv_image *v = NULL;
	size_t n = 0;
	int r;

	r = sq_prepare(q->db,
		       key == INV__KEY_ID ? "SELECT " IMAGE_COLS " FROM images WHERE id = ?"
					  : "SELECT " IMAGE_COLS
					    " FROM images WHERE name = ? AND deleted_usec IS NULL",
		       d, &st);
	if (r < 0)
		return r;
	if (key == INV__KEY_ID)
		(void) sqlite3_bind_int64(st, 1, id);
	else
		(void) bind_text(st, 1, s);
	r = inv__sq_collect(q->db, st, sizeof(*v), fill_image, drop_images, d, (void **) &v, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		free(v);
		return -ENOENT;
	}
	for (size_t i = 1; i < n; i++) /* not reached: the keys are unique */
		inv__image_release_members(&v[i]);
	*ret = v;
	return 0;
}

int inv__sq_image_list(void *h, unsigned flags, struct diag *d, struct inv_image **ret,
		       size_t *ret_n)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	r = sq_prepare(q->db,
		       (flags & INV_LIST_DESTROYED)
			       ? "SELECT " IMAGE_COLS " FROM images ORDER BY name, id"
			       : "SELECT " IMAGE_COLS " FROM images WHERE deleted_usec IS NULL"
				 " ORDER BY name, id",
		       d, &st);
	if (r < 0)
		return r;
	return inv__sq_collect(q->db, st, sizeof(**ret), fill_image, drop_images, d, (void **) ret,
			       ret_n);
}

/* Say which rule a write broke, in the admin's words. */
static int image_conflict(sqlite3 *db, int sqrc, const struct inv_image *im, struct diag *d)
{
	const char *m = sqlite3_errmsg(db);

	if (errno_of(sqrc) != -EEXIST)
		return sq_fail(db, sqrc, d, "write image to the inventory");
	if (strstr(m, "images.name"))
		diag_add(d, DIAG_ERROR, NULL, "image '%s' already exists", im->name);
	else if (strstr(m, "images.partuuid") || strstr(m, "images.part_start"))
		diag_add(d, DIAG_ERROR, NULL,
			 "partition at %" PRIu64 "+%" PRIu64 " on LUN '%s' is already taken",
			 im->start, im->size, im->lun);
	else if (strstr(m, "image in use"))
		return diag_error_errno(d, NULL, -EBUSY, "cannot delete image '%s': %s", im->name,
					m);
	else
		diag_add(d, DIAG_ERROR, NULL, "cannot write image '%s': %s", im->name, m);
	return -EEXIST;
}

/* Every column but id, name and created_usec, from parameter i on. */
static int bind_image(sqlite3_stmt *st, const struct inv_image *im, int i)
{
	int sqrc = 0;

	sqrc |= bind_text(st, i++, im->lun);
	sqrc |= sqlite3_bind_int64(st, i++, (int64_t) im->start);
	sqrc |= sqlite3_bind_int64(st, i++, (int64_t) im->size);
	sqrc |= bind_text(st, i++, im->partuuid);
	sqrc |= sqlite3_bind_int(st, i++, (int) im->partno);
	sqrc |= sqlite3_bind_int64(st, i++, (int64_t) im->fs_bytes);
	sqrc |= sqlite3_bind_int64(st, i++, (int64_t) im->used_bytes);
	sqrc |= bind_text(st, i++, im->checksum);
	sqrc |= bind_text(st, i++, im->source);
	sqrc |= im->source_id ? sqlite3_bind_int64(st, i++, im->source_id)
			      : sqlite3_bind_null(st, i++);
	sqrc |= bind_text(st, i++, im->template_name);
	sqrc |= sqlite3_bind_int64(st, i++, im->updated_usec);
	sqrc |= im->deleted_usec ? sqlite3_bind_int64(st, i++, im->deleted_usec)
				 : sqlite3_bind_null(st, i++);
	return sqrc == SQLITE_OK ? 0 : -ENOMEM;
}

static int insert_image(struct sq *q, const struct inv_image *im, bool keep_id, struct diag *d,
			int64_t *ret_id)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc;

	r = sq_prepare(q->db,
		       "INSERT INTO images (id, name, created_usec, lun, part_start, part_size,"
		       " partuuid, partno, fs_bytes, used_bytes, checksum, source, source_id,"
		       " template, updated_usec, deleted_usec)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       d, &st);
	if (r < 0)
		return r;
	if ((keep_id ? sqlite3_bind_int64(st, 1, im->id) : sqlite3_bind_null(st, 1)) ||
	    bind_text(st, 2, im->name) || sqlite3_bind_int64(st, 3, im->created_usec) ||
	    bind_image(st, im, 4) < 0)
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	if (sqrc != SQLITE_DONE)
		return image_conflict(q->db, sqrc, im, d);
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int inv__sq_image_insert(void *h, struct inv_image *im, struct diag *d)
{
	return insert_image(h, im, false, d, &im->id);
}

int inv__sq_image_put(void *h, const struct inv_image *im, struct diag *d)
{
	return insert_image(h, im, true, d, NULL);
}

int inv__sq_image_update(void *h, const struct inv_image *im, struct diag *d)
{
	struct sq *q = h;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, sqrc;

	r = sq_prepare(q->db,
		       "UPDATE images SET lun = ?, part_start = ?, part_size = ?, partuuid = ?,"
		       " partno = ?, fs_bytes = ?, used_bytes = ?, checksum = ?, source = ?,"
		       " source_id = ?, template = ?, updated_usec = ?, deleted_usec = ?"
		       " WHERE id = ?",
		       d, &st);
	if (r < 0)
		return r;
	if (bind_image(st, im, 1) < 0 || sqlite3_bind_int64(st, 14, im->id))
		return -ENOMEM;
	sqrc = sqlite3_step(st);
	if (sqrc != SQLITE_DONE)
		return image_conflict(q->db, sqrc, im, d);
	return sqlite3_changes(q->db) == 1 ? 0 : -ENOENT;
}
