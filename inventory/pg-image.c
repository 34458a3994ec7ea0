/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PostgreSQL backend's images table (schema step 2): golden images, live and deleted. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "inventory/pg-util.h"

#define IMAGE_COLS                                                                                 \
	"id, name, lun, part_start, part_size, partuuid, partno, fs_bytes, used_bytes, "           \
	"checksum, source, source_id, template, created_usec, updated_usec, deleted_usec"

static int read_image(const PGresult *res, int i, struct inv_image *im)
{
	*im = (struct inv_image){
		.id = inv__pg_get_i64(res, i, 0),
		.start = (uint64_t) inv__pg_get_i64(res, i, 3),
		.size = (uint64_t) inv__pg_get_i64(res, i, 4),
		.partno = (unsigned) inv__pg_get_i64(res, i, 6),
		.fs_bytes = (uint64_t) inv__pg_get_i64(res, i, 7),
		.used_bytes = (uint64_t) inv__pg_get_i64(res, i, 8),
		.source_id = inv__pg_get_i64(res, i, 11),
		.created_usec = inv__pg_get_i64(res, i, 13),
		.updated_usec = inv__pg_get_i64(res, i, 14),
		.deleted_usec = inv__pg_get_i64(res, i, 15),
	};
	if (inv__pg_get_text(res, i, 1, &im->name) < 0 ||
	    inv__pg_get_text(res, i, 2, &im->lun) < 0 ||
	    inv__pg_get_text(res, i, 5, &im->partuuid) < 0 ||
	    inv__pg_get_text(res, i, 9, &im->checksum) < 0 ||
	    inv__pg_get_text(res, i, 10, &im->source) < 0 ||
	    inv__pg_get_text(res, i, 12, &im->template_name) < 0) {
		inv__image_release_members(im);
		return -ENOMEM;
	}
	return 0;
}

static int read_images(const PGresult *res, struct inv_image **ret, size_t *ret_n)
{
	size_t n = (size_t) PQntuples(res);
	struct inv_image *v = calloc(n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (read_image(res, (int) i, &v[i]) < 0) {
			inv_image_array_free(v, i);
			return -ENOMEM;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

int inv__pg_image_find(void *h, enum inv__key key, const char *s, int64_t id, struct diag *d,
		       struct inv_image **ret)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct inv_image *v = NULL;
	char buf[24];
	const char *param = key == INV__KEY_ID ? inv__pg_i64(buf, id) : s;
	size_t n = 0;
	int r;

	r = inv__pg_exec(h,
			 key == INV__KEY_ID
				 ? "SELECT " IMAGE_COLS " FROM images WHERE id = $1"
				 : "SELECT " IMAGE_COLS
				   " FROM images WHERE name = $1 AND deleted_usec IS NULL",
			 1, &param, d, "read the inventory", &res);
	if (r < 0)
		return r;
	r = read_images(res, &v, &n);
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

int inv__pg_image_list(void *h, unsigned flags, struct diag *d, struct inv_image **ret,
		       size_t *ret_n)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	int r;

	r = inv__pg_exec(h,
			 (flags & INV_LIST_DESTROYED)
				 ? "SELECT " IMAGE_COLS
				   " FROM images ORDER BY name COLLATE \"C\", id"
				 : "SELECT " IMAGE_COLS " FROM images WHERE deleted_usec IS NULL"
				   " ORDER BY name COLLATE \"C\", id",
			 0, NULL, d, "read the inventory", &res);
	if (r < 0)
		return r;
	return read_images(res, ret, ret_n);
}

/* The 16 columns of IMAGE_COLS as text parameters. */
struct image_params {
	char id[24], start[24], size[24], partno[24], fs[24], used[24], source_id[24], created[24],
		updated[24], deleted[24];
	const char *v[16];
};

static void image_params(const struct inv_image *im, struct image_params *b)
{
	const char *const v[16] = {
		inv__pg_i64(b->id, im->id),
		im->name,
		im->lun,
		inv__pg_i64(b->start, (int64_t) im->start),
		inv__pg_i64(b->size, (int64_t) im->size),
		im->partuuid,
		inv__pg_i64(b->partno, im->partno),
		inv__pg_i64(b->fs, (int64_t) im->fs_bytes),
		inv__pg_i64(b->used, (int64_t) im->used_bytes),
		im->checksum,
		im->source,
		im->source_id ? inv__pg_i64(b->source_id, im->source_id) : NULL,
		im->template_name,
		inv__pg_i64(b->created, im->created_usec),
		inv__pg_i64(b->updated, im->updated_usec),
		im->deleted_usec ? inv__pg_i64(b->deleted, im->deleted_usec) : NULL,
	};

	memcpy(b->v, v, sizeof(v));
}

/* Run a statement on image im; a conflict is said in the admin's words. */
static int exec_image(struct pg *p, const char *sql, int n, const char *const *v,
		      const struct inv_image *im, struct diag *d, PGresult **ret)
{
	_cleanup_(PQclearp) PGresult *res = PQexecParams(p->conn, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *c, *state;

	if (!res && PQstatus(p->conn) != CONNECTION_BAD)
		return -ENOMEM;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (ret)
			*ret = TAKE_PTR(res);
		return 0;
	}
	c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQstatus(p->conn) == CONNECTION_BAD || !state || !c ||
	    !(streq(state, "23505") || streq(state, "23P01")))
		return inv__pg_fail(p, res, d, "write image to the inventory");
	if (streq(c, "images_name"))
		diag_add(d, DIAG_ERROR, NULL, "image '%s' already exists", im->name);
	else
		diag_add(d, DIAG_ERROR, NULL,
			 "partition at %" PRIu64 "+%" PRIu64 " on LUN '%s' is already taken",
			 im->start, im->size, im->lun);
	return -EEXIST;
}

#define INSERT_IMAGE                                                                               \
	"INSERT INTO images (id, name, lun, part_start, part_size, partuuid, partno, fs_bytes,"    \
	" used_bytes, checksum, source, source_id, template, created_usec, updated_usec,"          \
	" deleted_usec) VALUES ("

int inv__pg_image_insert(void *h, struct inv_image *im, struct diag *d)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct image_params b;
	int r;

	image_params(im, &b);
	r = exec_image(h,
		       INSERT_IMAGE "DEFAULT, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
				    " $13, $14, $15) RETURNING id",
		       15, b.v + 1, im, d, &res);
	if (r < 0)
		return r;
	im->id = inv__pg_get_i64(res, 0, 0);
	return 0;
}

int inv__pg_image_put(void *h, const struct inv_image *im, struct diag *d)
{
	struct image_params b;

	image_params(im, &b);
	return exec_image(h,
			  INSERT_IMAGE "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
				       " $14, $15, $16)",
			  16, b.v, im, d, NULL);
}

int inv__pg_image_update(void *h, const struct inv_image *im, struct diag *d)
{
	_cleanup_(PQclearp) PGresult *res = NULL;
	struct image_params b;
	const char *v[14];
	int r;

	image_params(im, &b);
	memcpy(v, b.v + 2, 11 * sizeof(*v)); /* lun .. template */
	v[11] = b.v[14];		     /* updated_usec */
	v[12] = b.v[15];		     /* deleted_usec */
	v[13] = b.v[0];
	r = exec_image(h,
		       "UPDATE images SET lun = $1, part_start = $2, part_size = $3, partuuid = $4,"
		       " partno = $5, fs_bytes = $6, used_bytes = $7, checksum = $8, source = $9,"
		       " source_id = $10, template = $11, updated_usec = $12, deleted_usec = $13"
		       " WHERE id = $14",
		       14, v, im, d, &res);
	if (r < 0)
		return r;
	return streq(PQcmdTuples(res), "1") ? 0 : -ENOENT;
}
