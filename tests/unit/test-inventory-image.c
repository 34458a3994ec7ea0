/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden images in the inventory, on each backend (inventory-test.h), with sqlite3 or psql as
 * referee: a name and a place reserved, carved, captured; clones refer to their image; a live
 * clone keeps its image from being deleted, by the API and by the store itself.
 */
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

static const struct inv_extent lun_a[] = {
	{"lunA", 1 * MIB, 50 * GIB, NULL},
};

#define SUM "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	char *dir;
	const char *url; /* NULL: SQLite in dir */
	struct inv *inv;
	struct diag d;
};

static void fixture_open(struct fixture *f)
{
	*f = (struct fixture){.dir = test_tmpdir(), .url = test_inv_new()};
	ASSERT_OK(inv_open_at(f->url, f->dir, INV_OPEN_WRITE, &f->d, &f->inv));
}

static void fixture_close(struct fixture *f)
{
	f->inv = inv_close(f->inv);
	diag_release(&f->d);
	test_tmpdir_free(&f->dir);
}

static struct inv_guest *guest(struct fixture *f, const char *name, const char *image)
{
	struct inv_alloc a = test_alloc(name, lun_a, 1);
	struct inv_guest *g = NULL;

	a.image = image;
	ASSERT_OK(inv_guest_allocate(f->inv, &a, &f->d, &g));
	return g;
}

/* Image name captured from src, of size bytes: reserved, carved, captured. */
static struct inv_image *image(struct fixture *f, const char *name, const struct inv_guest *src,
			       uint64_t size, const char *partuuid)
{
	struct inv_image_req req = {.name = name,
				    .source_id = src->id,
				    .who = "test(0)",
				    .part_size = size,
				    .candidates = lun_a,
				    .n_candidates = 1};
	struct inv_image *im = NULL;

	ASSERT_OK(inv_image_add(f->inv, &req, &f->d, &im));
	ASSERT_OK(inv_image_carved(f->inv, im->id, partuuid, 9, "test(0)", &f->d));
	ASSERT_OK(inv_image_captured(f->inv, im->id, SUM, 300 * MIB, 200 * MIB, "test(0)", &f->d));
	inv_image_free(im);
	ASSERT_OK(inv_image_get(f->inv, name, &f->d, &im));
	return im;
}

TEST(add_carve_capture)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *src = NULL, *g2 = NULL;
	_cleanup_(inv_image_freep) struct inv_image *im = NULL, *pending = NULL, *by_id = NULL;
	_cleanup_(freep) char *row = NULL, *ev = NULL;
	struct inv_image *v = NULL;
	size_t n = 0;

	fixture_open(&f);
	src = guest(&f, "gold", NULL);
	im = image(&f, "lab", src, 3 * GIB, "AAAA0000-0000-4000-8000-000000000001");
	ASSERT_STREQ(im->name, "lab");
	ASSERT_STREQ(im->lun, "lunA");
	ASSERT_STREQ(im->partuuid, "aaaa0000-0000-4000-8000-000000000001"); /* lower case */
	ASSERT_EQ(im->partno, 9);
	ASSERT_EQ(im->size, 3 * GIB);
	/* the place is not the source guest's */
	ASSERT_TRUE(im->start >= src->part.start + src->part.size);
	ASSERT_STREQ(im->checksum, SUM);
	ASSERT_EQ(im->fs_bytes, 300 * MIB);
	ASSERT_EQ(im->used_bytes, 200 * MIB);
	ASSERT_STREQ(im->source, "gold");
	ASSERT_EQ(im->source_id, src->id);
	ASSERT_STREQ(im->template_name, "debian");
	ASSERT_EQ(im->deleted_usec, 0);
	ASSERT_OK(inv_image_get_by_id(f.inv, im->id, &f.d, &by_id));
	ASSERT_STREQ(by_id->name, "lab");

	row = test_sql(f.url, f.dir,
		       "SELECT name, lun, partno, length(checksum), source FROM images");
	ASSERT_STREQ(row, "lab|lunA|9|64|gold");
	ev = test_sql(f.url, f.dir, "SELECT what FROM events WHERE what LIKE 'image%' ORDER BY id");
	ASSERT_STREQ(ev, "image add\nimage carved\nimage capture");

	/* a new guest does not get the image's place */
	g2 = guest(&f, "other", NULL);
	ASSERT_TRUE(g2->part.start >= im->start + im->size ||
		    g2->part.start + g2->part.size <= im->start);

	/* the name is taken among live images */
	{
		struct inv_image_req req = {.name = "lab",
					    .source_id = src->id,
					    .part_size = GIB,
					    .candidates = lun_a,
					    .n_candidates = 1};

		ASSERT_ERR(inv_image_add(f.inv, &req, &f.d, NULL), EEXIST);
		ASSERT_TRUE(diag_has(&f.d, "image 'lab' already exists"));
		/* a pending image: no checksum, nothing to clone from */
		req.name = "half";
		ASSERT_OK(inv_image_add(f.inv, &req, &f.d, &pending));
		ASSERT_NULL(pending->checksum);
		ASSERT_NULL(pending->partuuid);
		/* no space: the rest of the LUN is too small */
		req.name = "huge";
		req.part_size = 100 * GIB;
		ASSERT_ERR(inv_image_add(f.inv, &req, &f.d, NULL), ENOSPC);
		req.name = "bad:name";
		ASSERT_ERR(inv_image_add(f.inv, &req, &f.d, NULL), EINVAL);
	}
	{
		struct inv_alloc a = test_alloc("c0", lun_a, 1);

		a.image = "half";
		ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), ENOENT);
		ASSERT_TRUE(diag_has(&f.d, "image 'half' is not captured yet"));
		a.image = "none";
		ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), ENOENT);
		ASSERT_TRUE(diag_has(&f.d, "no image 'none' in the inventory"));
	}
	ASSERT_OK(inv_image_list(f.inv, 0, &f.d, &v, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(v[0].name, "half");
	ASSERT_STREQ(v[1].name, "lab");
	inv_image_array_free(v, n);
}

TEST(clone_blocks_delete)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *src = NULL, *c1 = NULL, *c2 = NULL,
						    *back = NULL;
	_cleanup_(inv_image_freep) struct inv_image *im = NULL, *again = NULL, *gone = NULL;
	_cleanup_(freep) char *out = NULL, *row = NULL;
	struct inv_guest *cl = NULL;
	struct inv_image *v = NULL;
	size_t n = 0;

	fixture_open(&f);
	src = guest(&f, "gold", NULL);
	im = image(&f, "lab", src, GIB, "aaaa0000-0000-4000-8000-000000000002");
	c1 = guest(&f, "c1", "lab");
	c2 = guest(&f, "c2", "lab");
	ASSERT_EQ(c1->image_id, im->id);
	ASSERT_OK(inv_guest_get(f.inv, "c2", &f.d, &back));
	ASSERT_EQ(back->image_id, im->id);
	ASSERT_EQ(src->image_id, 0);
	ASSERT_OK(inv_image_clones(f.inv, im->id, &f.d, &cl, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(cl[0].name, "c1");
	ASSERT_STREQ(cl[1].name, "c2");
	inv_guest_array_free(cl, n);

	/* refused while a clone lives: by the API ... */
	ASSERT_ERR(inv_image_delete(f.inv, im->id, "test(0)", &f.d), EBUSY);
	ASSERT_TRUE(diag_has(&f.d, "image 'lab' is in use: 2 live guests are cloned from it (c1"));
	/* ... and by the store, whoever writes to it */
	out = test_sql(f.url, f.dir, "UPDATE images SET deleted_usec = 1 WHERE name = 'lab'");
	ASSERT_NULL(out);
	out = test_sql(f.url, f.dir, "DELETE FROM images");
	ASSERT_NULL(out);
	ASSERT_OK(inv_guest_release(f.inv, c1->id, "test(0)", &f.d));
	ASSERT_ERR(inv_image_delete(f.inv, im->id, "test(0)", &f.d), EBUSY);
	ASSERT_OK(inv_guest_release(f.inv, c2->id, "test(0)", &f.d));
	diag_clear(&f.d);
	ASSERT_OK(inv_image_delete(f.inv, im->id, "test(0)", &f.d));
	ASSERT_ERR(inv_image_get(f.inv, "lab", &f.d, &gone), ENOENT);
	ASSERT_ERR(inv_image_delete(f.inv, im->id, "test(0)", &f.d), ENOENT);
	/* the row is kept; the store refuses a clone of a deleted image too */
	row = test_sql(f.url, f.dir, "SELECT count(*) FROM images WHERE deleted_usec IS NOT NULL");
	ASSERT_STREQ(row, "1");
	{
		struct inv_alloc a = test_alloc("c3", lun_a, 1);

		a.image = "lab";
		ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), ENOENT);
	}
	/* the name and the place are free again */
	again = image(&f, "lab", src, GIB, "aaaa0000-0000-4000-8000-000000000002");
	ASSERT_TRUE(again->id != im->id);
	ASSERT_OK(inv_image_list(f.inv, INV_LIST_DESTROYED, &f.d, &v, &n));
	ASSERT_EQ(n, 2);
	ASSERT_TRUE(v[0].deleted_usec != 0 && v[1].deleted_usec == 0);
	inv_image_array_free(v, n);
}

TEST(scratch_copy_has_images)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *src = NULL, *c1 = NULL, *plan = NULL;
	_cleanup_(inv_image_freep) struct inv_image *im = NULL, *copy = NULL;
	struct inv *scratch = NULL;
	struct inv_alloc a;

	fixture_open(&f);
	src = guest(&f, "gold", NULL);
	im = image(&f, "lab", src, GIB, "aaaa0000-0000-4000-8000-000000000003");
	c1 = guest(&f, "c1", "lab");
	/* a dry run plans a clone in a private copy, with the image and its place */
	ASSERT_OK(inv_open_at(f.url, f.dir, INV_OPEN_SCRATCH, &f.d, &scratch));
	ASSERT_OK(inv_image_get(scratch, "lab", &f.d, &copy));
	ASSERT_EQ(copy->id, im->id);
	ASSERT_EQ(copy->source_id, src->id);
	a = test_alloc("c2", lun_a, 1);
	a.image = "lab";
	ASSERT_OK(inv_guest_allocate(scratch, &a, &f.d, &plan));
	ASSERT_EQ(plan->image_id, im->id);
	ASSERT_TRUE(plan->part.start >= im->start + im->size ||
		    plan->part.start + plan->part.size <= im->start);
	scratch = inv_close(scratch);
}

TEST_MAIN()
