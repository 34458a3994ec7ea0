/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inv_export() and inv_import(): a SQLite inventory with everything in it (live, failed and
 * destroyed guests, stages re-done, events without a guest, hosts, a golden image and a
 * clone of it) moved into the backend
 * under test (SQLite, or PostgreSQL: the move of a site to a shared inventory) is the same
 * inventory: the same export, guest list, stages and events, ids kept and continued. And the
 * refusals: a non-empty target, malformed JSON, an export with mistakes (every one reported).
 */
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

static const struct inv_extent lun_a[] = {{"lunA", 1 * MIB, 64 * GIB, NULL}};
#define SUM "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A SQLite inventory in dir with a bit of everything. */
static void fill(const char *dir, struct diag *d)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct inv_guest *g[3] = {0};
	struct inv_host h = {"dom0-a", "4.17.3", 64 * GIB, 20 * GIB, "xenbr53", 1234};
	struct inv_guest *clone = NULL;
	struct inv_image *im = NULL;
	struct inv_alloc a;

	ASSERT_OK(inv_open(dir, d, &inv));
	for (unsigned i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "web%u", i);
		a = test_alloc(name, lun_a, 1);
		a.request_id = i == 1 ? "RT-1" : NULL;
		a.owner = "alice";
		a.spec = "template: debian\nmemory: 2G\n";
		ASSERT_OK(inv_guest_allocate(inv, &a, d, &g[i]));
	}
	ASSERT_OK(inv_stage_done(inv, g[0]->id, "allocate", "t", d));
	ASSERT_OK(inv_partition_carved(inv, g[0]->id, "C0FFEE00-0000-4000-8000-000000000001", 2,
				       "t", d));
	ASSERT_OK(inv_stage_done(inv, g[0]->id, "carve", "t", d));
	ASSERT_OK(inv_fs_uuid_set(inv, g[0]->id, "0a0b0c0d-0000-4000-8000-00000000000e", "t", d));
	ASSERT_OK(inv_stage_done(inv, g[0]->id, "allocate", "t", d)); /* re-done: moves last */
	ASSERT_OK(inv_guest_set_host(inv, g[0]->id, "dom0-a", "t", d));
	ASSERT_OK(inv_stage_failed(inv, g[1]->id, "format", "mkfs failed", "t", d));
	ASSERT_OK(inv_guest_release(inv, g[2]->id, "bob", d));
	a = test_alloc("web2", lun_a, 1); /* a new incarnation of web2 */
	ASSERT_OK(inv_guest_allocate(inv, &a, d, NULL));
	ASSERT_OK(inv_event_add(inv, 0, NULL, "t", "site check", "ok", "all fine", d));
	ASSERT_OK(inv_host_put(inv, &h, d));
	/* a golden image captured from web0, and a clone of it */
	ASSERT_OK(inv_image_add(inv,
				&(struct inv_image_req){.name = "golden",
							.source_id = g[0]->id,
							.who = "t",
							.part_size = 3 * GIB,
							.candidates = lun_a,
							.n_candidates = 1},
				d, &im));
	ASSERT_OK(inv_image_carved(inv, im->id, "AAAA0000-0000-4000-8000-000000000001", 9, "t", d));
	ASSERT_OK(inv_image_captured(inv, im->id, SUM, 300 * MIB, 200 * MIB, "t", d));
	a = test_alloc("lab1", lun_a, 1);
	a.image = "golden";
	ASSERT_OK(inv_guest_allocate(inv, &a, d, &clone));
	ASSERT_EQ(clone->image_id, im->id);
	inv_guest_free(clone);
	inv_image_free(im);
	for (unsigned i = 0; i < 3; i++)
		inv_guest_free(g[i]);
}

static void same_guest(const struct inv_guest *a, const struct inv_guest *b)
{
	ASSERT_EQ(a->id, b->id);
	ASSERT_STREQ(a->name, b->name);
	ASSERT_STREQ(a->template_name, b->template_name);
	ASSERT_EQ(a->vlan, b->vlan);
	ASSERT_TRUE((!a->request_id && !b->request_id) || streq(a->request_id, b->request_id));
	ASSERT_TRUE((!a->host && !b->host) || streq(a->host, b->host));
	ASSERT_EQ(a->has_partition, b->has_partition);
	ASSERT_EQ(a->part.start, b->part.start);
	ASSERT_EQ(a->part.size, b->part.size);
	ASSERT_TRUE((!a->part.partuuid && !b->part.partuuid) ||
		    streq(a->part.partuuid, b->part.partuuid));
	ASSERT_EQ(a->part.partno, b->part.partno);
	ASSERT_EQ(memcmp(a->mac, b->mac, 6), 0);
	ASSERT_EQ(a->has_ip, b->has_ip);
	ASSERT_EQ(a->ip, b->ip);
	ASSERT_EQ(a->part_new, b->part_new);
	ASSERT_TRUE((!a->spec && !b->spec) || streq(a->spec, b->spec));
	ASSERT_TRUE((!a->fs_uuid && !b->fs_uuid) || streq(a->fs_uuid, b->fs_uuid));
	ASSERT_TRUE((!a->stage && !b->stage) || streq(a->stage, b->stage));
	ASSERT_EQ(a->state, b->state);
	ASSERT_TRUE((!a->error && !b->error) || streq(a->error, b->error));
	ASSERT_EQ(a->created_usec, b->created_usec);
	ASSERT_EQ(a->updated_usec, b->updated_usec);
	ASSERT_EQ(a->destroyed_usec, b->destroyed_usec);
	ASSERT_EQ(a->image_id, b->image_id);
}

TEST(round_trip_into_backend_under_test)
{
	_cleanup_(test_tmpdir_free) char *src_dir = test_tmpdir(), *dst_dir = test_tmpdir();
	const char *url = test_inv_new();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_closep) struct inv *src = NULL, *dst = NULL;
	_cleanup_(freep) char *out = NULL, *back = NULL, *count = NULL;
	struct inv_guest *ga = NULL, *gb = NULL, *nw = NULL;
	struct inv_event *ea = NULL, *eb = NULL;
	size_t na = 0, nb = 0;
	struct inv_alloc a;

	fill(src_dir, &d);
	ASSERT_OK(inv_open(src_dir, &d, &src));
	ASSERT_OK(inv_export(src, &d, &out));
	ASSERT_TRUE(strstr(out, "\"format\": \"provision-inventory\"") != NULL);
	ASSERT_OK(inv_open_at(url, dst_dir, INV_OPEN_WRITE, &d, &dst));
	ASSERT_OK(inv_import(dst, out, strlen(out), &d));
	ASSERT_OK(inv_export(dst, &d, &back));
	ASSERT_STREQ(back, out);

	ASSERT_OK(inv_guest_list(src, INV_LIST_DESTROYED, &d, &ga, &na));
	ASSERT_OK(inv_guest_list(dst, INV_LIST_DESTROYED, &d, &gb, &nb));
	ASSERT_EQ(na, 5);
	ASSERT_EQ(nb, na);
	for (size_t i = 0; i < na; i++) {
		struct inv_stage *sa = NULL, *sb = NULL;
		size_t ma = 0, mb = 0;

		same_guest(&ga[i], &gb[i]);
		ASSERT_OK(inv_stage_list(src, ga[i].id, &d, &sa, &ma));
		ASSERT_OK(inv_stage_list(dst, gb[i].id, &d, &sb, &mb));
		ASSERT_EQ(ma, mb);
		for (size_t j = 0; j < ma; j++) {
			ASSERT_STREQ(sa[j].stage, sb[j].stage);
			ASSERT_EQ(sa[j].done_usec, sb[j].done_usec);
		}
		inv_stage_array_free(sa, ma);
		inv_stage_array_free(sb, mb);
		ASSERT_OK(inv_event_list(src, ga[i].name, &d, &ea, &na));
		ASSERT_OK(inv_event_list(dst, ga[i].name, &d, &eb, &nb));
		ASSERT_EQ(na, nb);
		for (size_t j = 0; j < na; j++) {
			ASSERT_EQ(ea[j].id, eb[j].id);
			ASSERT_EQ(ea[j].at_usec, eb[j].at_usec);
			ASSERT_EQ(ea[j].guest_id, eb[j].guest_id);
			ASSERT_STREQ(ea[j].what, eb[j].what);
			ASSERT_STREQ(ea[j].result, eb[j].result);
			ASSERT_TRUE((!ea[j].message && !eb[j].message) ||
				    streq(ea[j].message, eb[j].message));
		}
		ea = inv_event_array_free(ea, na);
		eb = inv_event_array_free(eb, nb);
		na = nb = 5;
	}
	ga = inv_guest_array_free(ga, 5);
	gb = inv_guest_array_free(gb, 5);

	/* new ids continue after the imported ones; the imported live guests hold their
	 * resources in the target's constraints */
	a = test_alloc("web9", lun_a, 1);
	ASSERT_OK(inv_guest_allocate(dst, &a, &d, &nw));
	ASSERT_EQ(nw->id, 6);
	ASSERT_EQ(nw->part.start, 43 * GIB + MIB);
	nw = inv_guest_free(nw);
	a = test_alloc("web0", lun_a, 1);
	ASSERT_ERR(inv_guest_allocate(dst, &a, &d, NULL), EEXIST);
	count = test_sql(url, dst_dir, "SELECT count(*), max(id) FROM events");
	ASSERT_STREQ(count, "19|19");
}

TEST(refusals)
{
	_cleanup_(test_tmpdir_free) char *src_dir = test_tmpdir(), *dst_dir = test_tmpdir();
	const char *url = test_inv_new();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_closep) struct inv *src = NULL, *dst = NULL;
	_cleanup_(freep) char *out = NULL, *count = NULL;
	static const char bad[] =
		"{\"format\": \"provision-inventory\", \"version\": 1, \"extra\": 1,"
		" \"guests\": [{\"id\": 1, \"name\": \"Web_1\", \"template\": \"t\", \"vlan\": 5000,"
		" \"mac\": \"zz\", \"state\": \"gone\"}, 7],"
		" \"events\": [{\"id\": 1, \"at_usec\": 1, \"guest_id\": 9, \"guest\": null,"
		" \"who\": \"t\", \"what\": \"x\", \"result\": \"ok\", \"message\": null}],"
		" \"hosts\": []}";
	/* version 2: images; a clone of an image the export lacks, an image of a missing guest */
	static const char bad2[] =
		"{\"format\": \"provision-inventory\", \"version\": 2, \"guests\": [], \"events\": [],"
		" \"hosts\": [], \"images\": [{\"id\": 1, \"name\": \"Gold\", \"lun\": \"l\","
		" \"start\": 0, \"size\": 0, \"partuuid\": null, \"partno\": 0, \"fs_bytes\": 1,"
		" \"used_bytes\": 1, \"checksum\": \"abc\", \"source\": \"web1\", \"source_id\": 4,"
		" \"template\": null, \"created_usec\": 1, \"updated_usec\": 1, \"deleted_usec\": null}]}";
	/* version 1 has no images */
	static const char bad1[] =
		"{\"format\": \"provision-inventory\", \"version\": 1,"
		" \"guests\": [], \"events\": [], \"hosts\": [], \"images\": []}";

	fill(src_dir, &d);
	ASSERT_OK(inv_open(src_dir, &d, &src));
	ASSERT_OK(inv_export(src, &d, &out));
	/* not into a non-empty inventory, and nothing is written */
	ASSERT_ERR(inv_import(src, out, strlen(out), &d), ENOTEMPTY);
	ASSERT_TRUE(diag_has(&d, "the target inventory is not empty (5 guests, 17 events, 1 "
				 "hosts, 1 images)"));

	ASSERT_OK(inv_open_at(url, dst_dir, INV_OPEN_WRITE, &d, &dst));
	diag_clear(&d);
	ASSERT_ERR(inv_import(dst, "{\"format\": ", 11, &d), EINVAL);
	ASSERT_TRUE(diag_has(&d, "invalid JSON at byte"));
	ASSERT_TRUE(diag_has(&d, "not an inventory export: not valid JSON"));
	diag_clear(&d);
	ASSERT_ERR(inv_import(dst, "[]", 2, &d), EINVAL);
	ASSERT_TRUE(diag_has(&d, "not an inventory export: no \"format\""));
	diag_clear(&d);
	ASSERT_ERR(inv_import(dst, bad, strlen(bad), &d), EINVAL);
	ASSERT_TRUE(diag_has(&d, "invalid inventory export: unknown member 'extra'"));
	ASSERT_TRUE(diag_has(&d, "guests[0].name: 'Web_1' is not a valid guest name"));
	ASSERT_TRUE(diag_has(&d, "guests[0].vlan: not an integer from 0 to 4094"));
	ASSERT_TRUE(diag_has(&d, "guests[0].mac: 'zz' is not a MAC address"));
	ASSERT_TRUE(diag_has(&d, "guests[0].state: 'gone' is not ok, failed or destroyed"));
	ASSERT_TRUE(diag_has(&d, "guests[0].stages: missing or not an array"));
	ASSERT_TRUE(diag_has(&d, "guests[0].created_usec: missing"));
	ASSERT_TRUE(diag_has(&d, "guests[1]: not an object"));
	ASSERT_TRUE(diag_has(&d, "events[0].guest_id: no guest has id 9"));
	diag_clear(&d);
	ASSERT_ERR(inv_import(dst, bad2, strlen(bad2), &d), EINVAL);
	ASSERT_TRUE(diag_has(&d, "images[0].name: 'Gold' is not a valid image name"));
	ASSERT_TRUE(diag_has(&d, "images[0].size: an image partition of 0 bytes"));
	ASSERT_TRUE(diag_has(&d, "images[0].checksum: not a SHA-256 in lower-case hex"));
	ASSERT_TRUE(diag_has(&d, "images[0].source_id: no guest has id 4"));
	diag_clear(&d);
	ASSERT_ERR(inv_import(dst, bad1, strlen(bad1), &d), EINVAL);
	ASSERT_TRUE(diag_has(&d, "invalid inventory export: unknown member 'images'"));
	count = test_sql(url, dst_dir, "SELECT count(*) FROM guests");
	ASSERT_STREQ(count, "0");
	free(count);
	count = test_sql(url, dst_dir, "SELECT count(*) FROM images");
	ASSERT_STREQ(count, "0");
	/* a good one still goes in afterwards */
	ASSERT_OK(inv_import(dst, out, strlen(out), &d));
}

TEST_MAIN()
