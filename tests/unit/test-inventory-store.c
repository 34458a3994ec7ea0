/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inventory through its API on a real store (SQLite file or PostgreSQL database, see
 * inventory-test.h), with the sqlite3 or psql tool as referee: unique constraints, MAC redraw,
 * first free IP and reuse, events, stages, release, hosts.
 */
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

static const struct inv_extent lun_a[] = {
	{"lunA", 1 * MIB, 50 * GIB, NULL},
};

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
	ASSERT_STREQ(inv_backend(f->inv), f->url ? "postgresql" : "sqlite");
	ASSERT_EQ(inv_is_shared(f->inv), f->url != NULL);
}

static void fixture_close(struct fixture *f)
{
	f->inv = inv_close(f->inv);
	diag_release(&f->d);
	test_tmpdir_free(&f->dir);
}

static char *referee(struct fixture *f, const char *sql)
{
	return test_sql(f->url, f->dir, sql);
}

static struct inv_guest *alloc_ok(struct fixture *f, const struct inv_alloc *a)
{
	struct inv_guest *g = NULL;

	ASSERT_OK(inv_guest_allocate(f->inv, a, &f->d, &g));
	ASSERT_NOT_NULL(g);
	return g;
}

TEST(allocate_fields)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL, *back = NULL;
	struct inv_alloc a;
	uint8_t mac[6];
	_cleanup_(freep) char *row = NULL;

	fixture_open(&f);
	a = test_alloc("web1", lun_a, 1);
	a.request_id = "RT-1";
	a.owner = "alice";
	g = alloc_ok(&f, &a);
	inv_mac_draw(a.mac_prefix, 3, "web1", 0, mac);
	ASSERT_EQ(memcmp(g->mac, mac, 6), 0);
	ASSERT_TRUE(g->has_ip);
	ASSERT_EQ(g->ip, 0x0a00350a);
	ASSERT_TRUE(g->has_partition);
	ASSERT_STREQ(g->part.lun, "lunA");
	ASSERT_EQ(g->part.start, 1 * MIB);
	ASSERT_EQ(g->part.size, 10 * GIB);
	ASSERT_NULL(g->part.partuuid);
	ASSERT_EQ(g->state, INV_STATE_OK);
	ASSERT_NULL(g->stage);
	ASSERT_TRUE(g->created_usec > 0);

	ASSERT_OK(inv_guest_get(f.inv, "web1", &f.d, &back));
	ASSERT_EQ(back->id, g->id);
	ASSERT_STREQ(back->owner, "alice");
	ASSERT_STREQ(back->request_id, "RT-1");
	ASSERT_EQ(memcmp(back->mac, g->mac, 6), 0);
	back = inv_guest_free(back);
	ASSERT_OK(inv_guest_get_by_request(f.inv, "RT-1", &f.d, &back));
	ASSERT_STREQ(back->name, "web1");
	back = inv_guest_free(back);
	ASSERT_ERR(inv_guest_get(f.inv, "web2", &f.d, &back), ENOENT);

	/* The referee reads the same row. */
	row = referee(&f, "SELECT name, template, vlan, mac, ip, lun, part_start, part_size,"
			  " CASE WHEN partuuid IS NULL THEN 1 ELSE 0 END, state FROM guests");
	ASSERT_STREQ(row,
		     "web1|debian|53|00:16:3e:28:7a:35|167785738|lunA|1048576|10737418240|1|ok");
}

TEST(unique_name_and_request)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	struct inv_alloc a;
	_cleanup_(freep) char *n = NULL;

	fixture_open(&f);
	a = test_alloc("web1", lun_a, 1);
	a.request_id = "RT-1";
	g = alloc_ok(&f, &a);
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "guest 'web1' already exists"));
	a.name = "web2";
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "request 'RT-1' already belongs to guest 'web1'"));
	a.name = "Web_2";
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), EINVAL);
	ASSERT_TRUE(diag_has(&f.d, "invalid guest name 'Web_2'"));
	/* Nothing half-reserved by the refusals. */
	n = referee(&f, "SELECT count(*) FROM guests");
	ASSERT_STREQ(n, "1");
}

TEST(unique_explicit_mac_ip_partition)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL, *h = NULL;
	const struct inv_extent existing[] = {
		{"lunB", 1 * MIB, 10 * GIB, "0fc63daf-8483-4772-8e79-3d69d8477de4"},
	};
	const struct inv_extent lun_b[] = {{"lunB", 1 * MIB, 50 * GIB, NULL}};
	struct inv_alloc a;

	fixture_open(&f);
	a = test_alloc("web1", existing, 1);
	g = alloc_ok(&f, &a);
	ASSERT_STREQ(g->part.partuuid, existing[0].partuuid);
	ASSERT_EQ(g->part.size, 10 * GIB);

	a = test_alloc("web2", lun_b, 1);
	a.has_mac = true;
	memcpy(a.mac, g->mac, 6);
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "MAC address '00:16:3e:28:7a:35' already belongs to guest "
				   "'web1'"));
	a = test_alloc("web2", lun_b, 1);
	a.has_ip = true;
	a.ip = g->ip;
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "IP address '10.0.53.10' on VLAN 53 already belongs to guest "
				   "'web1'"));
	/* The same address on another VLAN is another address. */
	a.vlan = 54;
	h = alloc_ok(&f, &a);
	ASSERT_EQ(h->ip, g->ip);
	/* The free segment is used after the existing partition. */
	ASSERT_EQ(h->part.start, 10 * GIB + MIB);
	/* An existing partition that is taken is no candidate: no space. */
	a = test_alloc("web3", existing, 1);
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), ENOSPC);
	ASSERT_TRUE(diag_has(&f.d, "no space for a partition of 10G for guest 'web3'"));
	/* Carving a pending partition with a PARTUUID another guest holds on that LUN. */
	ASSERT_ERR(inv_partition_carved(f.inv, h->id, existing[0].partuuid, 2, "t", &f.d), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "partition '0fc63daf-8483-4772-8e79-3d69d8477de4' on LUN "
				   "'lunB' is already taken"));
}

/* Past the front-end's checks, straight to the backend: the store itself refuses. */
TEST(constraints_are_in_the_store)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	struct inv_guest dup;
	struct inv_alloc a;
	_cleanup_(freep) char *out = NULL;

	fixture_open(&f);
	a = test_alloc("web1", lun_a, 1);
	g = alloc_ok(&f, &a);

	dup = *g; /* borrowed members; only the changed ones differ */
	dup.name = (char *) "web2";
	dup.has_ip = false;
	dup.part.start += 20 * GIB;
	ASSERT_ERR(f.inv->ops->guest_insert(f.inv->h, &dup, &f.d), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "MAC address '00:16:3e:28:7a:35' is already taken"));
	dup.mac[5] ^= 1;
	dup.has_ip = true;
	ASSERT_ERR(f.inv->ops->guest_insert(f.inv->h, &dup, &f.d), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "IP address '10.0.53.10' on VLAN 53 is already taken"));
	dup.has_ip = false;
	dup.part.start = g->part.start + 5 * GIB; /* overlaps the second half */
	ASSERT_ERR(f.inv->ops->guest_insert(f.inv->h, &dup, &f.d), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "overlaps a taken one"));
	dup.part.start = g->part.start;
	ASSERT_ERR(f.inv->ops->guest_insert(f.inv->h, &dup, &f.d), EEXIST);
	dup.part.start += 10 * GIB;
	dup.name = g->name;
	ASSERT_ERR(f.inv->ops->guest_insert(f.inv->h, &dup, &f.d), EEXIST);
	ASSERT_TRUE(diag_has(&f.d, "guest 'web1' already exists"));
	dup.name = (char *) "web2";
	ASSERT_OK(f.inv->ops->guest_insert(f.inv->h, &dup, &f.d));

	/* And so does the sqlite3 tool, which knows nothing of our code. */
	out = referee(&f, "INSERT INTO guests (name, template, vlan, mac, state,"
			  " created_usec, updated_usec) VALUES ('x', 't', 1,"
			  " '00:16:3e:28:7a:35', 'ok', 1, 1)");
	ASSERT_NULL(out);
	out = referee(&f, "SELECT count(*) FROM guests");
	ASSERT_STREQ(out, "2");
}

TEST(mac_collision_redraw)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL, *h = NULL, *again = NULL;
	struct inv_alloc a;
	uint8_t want[6];

	fixture_open(&f);
	/* "other" holds the MAC "web1" would draw first. */
	a = test_alloc("other", lun_a, 1);
	a.has_mac = true;
	inv_mac_draw(a.mac_prefix, 3, "web1", 0, a.mac);
	g = alloc_ok(&f, &a);
	a = test_alloc("web1", lun_a, 1);
	h = alloc_ok(&f, &a);
	inv_mac_draw(a.mac_prefix, 3, "web1", 1, want);
	ASSERT_EQ(memcmp(h->mac, want, 6), 0);
	/* Once "other" is gone, a new "web1" gets its first choice again. */
	ASSERT_OK(inv_guest_release(f.inv, g->id, "t", &f.d));
	ASSERT_OK(inv_guest_release(f.inv, h->id, "t", &f.d));
	again = alloc_ok(&f, &a);
	ASSERT_EQ(memcmp(again->mac, g->mac, 6), 0);
}

TEST(first_free_ip_and_reuse)
{
	_cleanup_(fixture_close) struct fixture f;
	struct inv_guest *g[4] = {0};
	_cleanup_(inv_guest_freep) struct inv_guest *d4 = NULL, *e = NULL;
	struct inv_guest *all = NULL;
	size_t n = 0;
	struct inv_alloc a;
	char name[8];

	fixture_open(&f);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "g%u", i);
		a = test_alloc(name, lun_a, 1);
		a.range_first = 0x0a003500; /* .0 to .3, gateway .1 inside */
		a.range_last = 0x0a003503;
		if (i < 3) {
			g[i] = alloc_ok(&f, &a);
			continue;
		}
		ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), ENOSPC);
		ASSERT_TRUE(diag_has(&f.d, "no free IP address in 10.0.53.0-10.0.53.3 on VLAN 53"));
	}
	ASSERT_EQ(g[0]->ip, 0x0a003500);
	ASSERT_EQ(g[1]->ip, 0x0a003502);
	ASSERT_EQ(g[2]->ip, 0x0a003503);
	ASSERT_EQ(g[1]->part.start, 10 * GIB + MIB);

	/* Release the middle one: its IP, partition, MAC and name are free again. */
	ASSERT_OK(inv_guest_release(f.inv, g[1]->id, "t", &f.d));
	ASSERT_ERR(inv_guest_release(f.inv, g[1]->id, "t", &f.d), ENOENT);
	a = test_alloc("g3", lun_a, 1);
	a.range_first = 0x0a003500;
	a.range_last = 0x0a003503;
	d4 = alloc_ok(&f, &a);
	ASSERT_EQ(d4->ip, 0x0a003502);
	ASSERT_EQ(d4->part.start, 10 * GIB + MIB);
	a.name = "g1";
	a.range_last = 0x0a003504;
	e = alloc_ok(&f, &a);
	ASSERT_EQ(memcmp(e->mac, g[1]->mac, 6), 0);
	ASSERT_EQ(e->ip, 0x0a003504);

	/* The destroyed row stays for the audit trail. */
	ASSERT_OK(inv_guest_list(f.inv, 0, &f.d, &all, &n));
	ASSERT_EQ(n, 4);
	all = inv_guest_array_free(all, n);
	ASSERT_OK(inv_guest_list(f.inv, INV_LIST_DESTROYED, &f.d, &all, &n));
	ASSERT_EQ(n, 5);
	ASSERT_STREQ(all[1].name, "g1");
	ASSERT_EQ(all[1].state, INV_STATE_DESTROYED);
	ASSERT_TRUE(all[1].destroyed_usec > 0);
	ASSERT_EQ(all[1].ip, 0x0a003502);
	ASSERT_STREQ(all[2].name, "g1");
	ASSERT_EQ(all[2].state, INV_STATE_OK);
	all = inv_guest_array_free(all, n);
	for (unsigned i = 0; i < 4; i++)
		inv_guest_free(g[i]);
}

TEST(stages_and_events)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL, *back = NULL;
	struct inv_stage *st = NULL;
	struct inv_event *ev = NULL;
	size_t n = 0;
	struct inv_alloc a;
	_cleanup_(freep) char *cli = NULL;

	fixture_open(&f);
	a = test_alloc("web1", lun_a, 1);
	a.who = "request:RT-9";
	g = alloc_ok(&f, &a);
	ASSERT_OK(inv_stage_done(f.inv, g->id, "allocate", "alice(1000)", &f.d));
	ASSERT_OK(inv_partition_carved(f.inv, g->id, "C0FFEE00-0000-4000-8000-000000000001", 3,
				       "alice(1000)", &f.d));
	/* Idempotent for the same PARTUUID (resume after a crash), refused for another. */
	ASSERT_OK(inv_partition_carved(f.inv, g->id, "c0ffee00-0000-4000-8000-000000000001", 3,
				       "alice(1000)", &f.d));
	ASSERT_ERR(inv_partition_carved(f.inv, g->id, "c0ffee00-0000-4000-8000-000000000002", 3,
					"alice(1000)", &f.d),
		   EEXIST);
	ASSERT_OK(inv_stage_done(f.inv, g->id, "carve", "alice(1000)", &f.d));
	ASSERT_OK(inv_stage_failed(f.inv, g->id, "format", "mkfs failed", "alice(1000)", &f.d));
	ASSERT_OK(inv_guest_get(f.inv, "web1", &f.d, &back));
	ASSERT_EQ(back->state, INV_STATE_FAILED);
	ASSERT_STREQ(back->error, "mkfs failed");
	ASSERT_STREQ(back->stage, "carve");
	ASSERT_EQ(back->part.partno, 3);
	ASSERT_STREQ(back->part.partuuid, "c0ffee00-0000-4000-8000-000000000001");
	back = inv_guest_free(back);
	ASSERT_OK(inv_stage_done(f.inv, g->id, "format", "alice(1000)", &f.d));
	ASSERT_OK(inv_stage_done(f.inv, g->id, "carve", "alice(1000)", &f.d)); /* re-run */
	ASSERT_OK(inv_guest_set_host(f.inv, g->id, "dom0-b", "alice(1000)", &f.d));
	ASSERT_OK(inv_guest_get(f.inv, "web1", &f.d, &back));
	ASSERT_EQ(back->state, INV_STATE_OK);
	ASSERT_NULL(back->error);
	ASSERT_STREQ(back->stage, "carve");
	ASSERT_STREQ(back->host, "dom0-b");

	ASSERT_OK(inv_stage_list(f.inv, g->id, &f.d, &st, &n));
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(st[0].stage, "allocate");
	ASSERT_STREQ(st[1].stage, "format");
	ASSERT_STREQ(st[2].stage, "carve");
	ASSERT_TRUE(st[0].done_usec <= st[1].done_usec && st[1].done_usec <= st[2].done_usec);
	st = inv_stage_array_free(st, n);

	/* A refused second allocation and a hook event, then destroy. */
	ASSERT_ERR(inv_guest_allocate(f.inv, &a, &f.d, NULL), EEXIST);
	ASSERT_OK(inv_event_add(f.inv, g->id, "web1", "alice(1000)", "hook network.post/10-dns",
				"ok", NULL, &f.d));
	ASSERT_ERR(inv_event_add(f.inv, g->id + 100, "web1", "x", "y", "ok", NULL, &f.d), ENOENT);
	ASSERT_OK(inv_guest_release(f.inv, g->id, "bob(1001)", &f.d));
	ASSERT_ERR(inv_stage_done(f.inv, g->id, "boot", "bob(1001)", &f.d), ENOENT);
	ASSERT_TRUE(diag_has(&f.d, "guest 'web1' was destroyed"));

	ASSERT_OK(inv_event_list(f.inv, "web1", &f.d, &ev, &n));
	{
		static const char *const want[][3] = {
			{"request:RT-9", "allocate", "ok"},
			{"alice(1000)", "stage allocate", "ok"},
			{"alice(1000)", "carved", "ok"},
			{"alice(1000)", "carved", "ok"},
			{"alice(1000)", "stage carve", "ok"},
			{"alice(1000)", "stage format", "failed"},
			{"alice(1000)", "stage format", "ok"},
			{"alice(1000)", "stage carve", "ok"},
			{"alice(1000)", "host", "ok"},
			{"request:RT-9", "allocate", "refused"},
			{"alice(1000)", "hook network.post/10-dns", "ok"},
			{"bob(1001)", "release", "ok"},
		};
		ASSERT_EQ(n, ELEMENTSOF(want));
		for (size_t i = 0; i < n; i++) {
			ASSERT_STREQ(ev[i].who, want[i][0]);
			ASSERT_STREQ(ev[i].what, want[i][1]);
			ASSERT_STREQ(ev[i].result, want[i][2]);
			ASSERT_STREQ(ev[i].guest, "web1");
			ASSERT_TRUE(i == 0 || ev[i].at_usec >= ev[i - 1].at_usec);
		}
		ASSERT_EQ(ev[0].guest_id, g->id);
		ASSERT_EQ(ev[9].guest_id, 0);
		ASSERT_STREQ(ev[5].message, "mkfs failed");
		ASSERT_TRUE(strstr(ev[9].message, "guest 'web1' already exists") != NULL);
		ASSERT_TRUE(strstr(ev[11].message, "mac 00:16:3e:28:7a:35, ip 10.0.53.10") != NULL);
	}
	ev = inv_event_array_free(ev, n);
	cli = referee(&f, "SELECT count(*), count(DISTINCT who) FROM events WHERE guest = "
			  "'web1'");
	ASSERT_STREQ(cli, "12|3");
}

TEST(no_partition_no_ip)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	struct inv_alloc a;

	fixture_open(&f);
	a = test_alloc("plain", NULL, 0);
	a.part_size = 0;
	a.range_first = a.range_last = 0;
	g = alloc_ok(&f, &a);
	ASSERT_FALSE(g->has_partition);
	ASSERT_FALSE(g->has_ip);
	ASSERT_ERR(inv_partition_carved(f.inv, g->id, "x", 1, "t", &f.d), EINVAL);
	ASSERT_TRUE(diag_has(&f.d, "guest 'plain' has no partition"));
}

TEST(scratch_copy_for_dry_runs)
{
	_cleanup_(fixture_close) struct fixture f;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL, *p1 = NULL, *p2 = NULL, *back = NULL;
	_cleanup_(test_tmpdir_free) char *empty = test_tmpdir();
	_cleanup_(freep) char *missing = NULL, *rows = NULL;
	struct inv *scratch = NULL;
	struct inv_alloc a;

	fixture_open(&f);
	a = test_alloc("real", lun_a, 1);
	g = alloc_ok(&f, &a);

	/* A plan sees what is taken and allocates cumulatively, in memory only. */
	ASSERT_OK(inv_open_at(f.url, f.dir, INV_OPEN_SCRATCH, &f.d, &scratch));
	ASSERT_FALSE(inv_is_shared(scratch)); /* a private copy, also of PostgreSQL */
	a = test_alloc("plan1", lun_a, 1);
	ASSERT_OK(inv_guest_allocate(scratch, &a, &f.d, &p1));
	a = test_alloc("plan2", lun_a, 1);
	ASSERT_OK(inv_guest_allocate(scratch, &a, &f.d, &p2));
	ASSERT_TRUE(p1->ip != g->ip && p2->ip != g->ip && p1->ip != p2->ip);
	ASSERT_TRUE(p1->part.start >= g->part.start + g->part.size);
	ASSERT_TRUE(p2->part.start >= p1->part.start + p1->part.size);
	scratch = inv_close(scratch);

	ASSERT_ERR(inv_guest_get(f.inv, "plan1", &f.d, &back), ENOENT);
	rows = referee(&f, "SELECT name FROM guests");
	ASSERT_STREQ(rows, "real");

	/* No inventory yet (SQLite): an empty one; in either case nothing is created on disk. */
	ASSERT_TRUE(asprintf(&missing, "%s/none", empty) > 0);
	ASSERT_OK(inv_open_at(f.url, missing, INV_OPEN_SCRATCH, &f.d, &scratch));
	a = test_alloc("plan1", lun_a, 1);
	ASSERT_OK(inv_guest_allocate(scratch, &a, &f.d, NULL));
	scratch = inv_close(scratch);
	ASSERT_TRUE(access(missing, F_OK) < 0);
}

TEST(hosts)
{
	_cleanup_(fixture_close) struct fixture f;
	struct inv_host h = {"dom0-b", "4.17.3", 64 * GIB, 20 * GIB, "xenbr53 xenbr54", 1000};
	struct inv_host *v = NULL;
	size_t n = 0;
	_cleanup_(freep) char *row = NULL;

	fixture_open(&f);
	ASSERT_OK(inv_host_list(f.inv, &f.d, &v, &n));
	ASSERT_EQ(n, 0);
	v = inv_host_array_free(v, n);
	ASSERT_OK(inv_host_put(f.inv, &h, &f.d));
	h.name = "dom0-a";
	h.bridges = NULL;
	ASSERT_OK(inv_host_put(f.inv, &h, &f.d));
	/* refresh: the same name again */
	h.mem_free = 10 * GIB;
	h.seen_usec = 2000;
	ASSERT_OK(inv_host_put(f.inv, &h, &f.d));
	ASSERT_OK(inv_host_list(f.inv, &f.d, &v, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(v[0].name, "dom0-a");
	ASSERT_EQ(v[0].mem_free, 10 * GIB);
	ASSERT_EQ(v[0].seen_usec, 2000);
	ASSERT_NULL(v[0].bridges);
	ASSERT_STREQ(v[1].name, "dom0-b");
	ASSERT_STREQ(v[1].xen_version, "4.17.3");
	ASSERT_STREQ(v[1].bridges, "xenbr53 xenbr54");
	ASSERT_EQ(v[1].mem_total, 64 * GIB);
	v = inv_host_array_free(v, n);
	row = referee(&f, "SELECT count(*), max(seen_usec) FROM hosts");
	ASSERT_STREQ(row, "2|2000");
	h.name = "";
	ASSERT_ERR(inv_host_put(f.inv, &h, &f.d), EINVAL);
}

TEST_MAIN()
