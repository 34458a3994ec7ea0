/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Schema versions: the real schema from an empty file, an idempotent re-open, the migration
 * runner upgrading 1 -> 2 with data kept, a failing step leaving nothing behind, and a store
 * from a newer provision refused. The sqlite3 tool reads the results.
 */
#include <sys/stat.h>

#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

static char *cli(const char *db, const char *sql)
{
	char *r = sqlite3_cli(db, sql);

	ASSERT_NOT_NULL(r);
	return r;
}

TEST(empty_then_reopen)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *state = NULL, *db = NULL, *v = NULL, *tables = NULL, *mode = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *inv = NULL;
	struct inv_alloc a = test_alloc("keep", NULL, 0);
	struct stat st;

	ASSERT_TRUE(asprintf(&state, "%s/state", dir) > 0);
	ASSERT_TRUE(asprintf(&db, "%s/inventory.db", state) > 0);
	ASSERT_OK(inv_open(state, &d, &inv));
	ASSERT_EQ(d.n, 0); /* creating a store is no news; upgrading one is (below) */
	ASSERT_OK(stat(state, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	a.part_size = 0;
	ASSERT_OK(inv_guest_allocate(inv, &a, &d, NULL));
	inv = inv_close(inv);

	v = cli(db, "PRAGMA user_version");
	ASSERT_STREQ(v, "3");
	tables = cli(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema"
			 " WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name)");
	ASSERT_STREQ(tables, "events,guests,hosts,stages");
	mode = cli(db, "PRAGMA journal_mode");
	ASSERT_STREQ(mode, "wal");

	/* Re-open: nothing to upgrade, nothing lost. */
	diag_clear(&d);
	ASSERT_OK(inv_open(state, &d, &inv));
	ASSERT_EQ(d.n, 0);
	{
		_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;

		ASSERT_OK(inv_guest_get(inv, "keep", &d, &g));
	}
	inv = inv_close(inv);
	free(v);
	v = cli(db, "PRAGMA user_version");
	ASSERT_STREQ(v, "3");
}

static const char *const steps[] = {
	"CREATE TABLE t (a INTEGER NOT NULL);",
	"ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'two'; CREATE UNIQUE INDEX t_a ON t(a);",
	"CREATE TABLE u (x INTEGER); INSERT INTO nonexistent VALUES (1);",
};

TEST(upgrade_from_version_1)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *db = NULL, *out = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;

	ASSERT_TRUE(asprintf(&db, "%s/m.db", dir) > 0);
	ASSERT_OK(inv__sqlite_migrate(db, steps, 1, &d));
	out = cli(db, "INSERT INTO t VALUES (7); PRAGMA user_version");
	ASSERT_STREQ(out, "1");
	free(out);

	diag_clear(&d);
	ASSERT_OK(inv__sqlite_migrate(db, steps, 2, &d));
	ASSERT_EQ(d.n, 1);
	ASSERT_TRUE(diag_has(&d, "upgrading inventory schema to version 2"));
	out = cli(db, "SELECT a, b FROM t; PRAGMA user_version");
	ASSERT_STREQ(out, "7|two\n2");
	free(out);
	out = sqlite3_cli(db, "INSERT INTO t (a) VALUES (7)"); /* step 2's index works */
	ASSERT_NULL(out);

	/* Idempotent. */
	diag_clear(&d);
	ASSERT_OK(inv__sqlite_migrate(db, steps, 2, &d));
	ASSERT_EQ(d.n, 0);

	/* A failing step: the whole upgrade is rolled back, version and tables unchanged. */
	ASSERT_ERR(inv__sqlite_migrate(db, steps, 3, &d), EIO);
	ASSERT_TRUE(
		diag_has(&d, "cannot upgrade the inventory schema: no such table: nonexistent"));
	out = cli(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'; PRAGMA user_version");
	ASSERT_STREQ(out, "0\n2");
	free(out);

	/* Steps 1..2 against a store at 2 plus one unknown step: a newer provision wrote it. */
	diag_clear(&d);
	ASSERT_ERR(inv__sqlite_migrate(db, steps, 1, &d), EPROTONOSUPPORT);
	ASSERT_TRUE(diag_has(&d, "inventory schema version 2 is newer than this provision knows "
				 "(1)"));
	out = NULL;
}

/* The shipped schema 1 with a guest, upgraded by inv_open() to 2: the guest is as it was. */
TEST(real_schema_1_to_2)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *db = NULL, *out = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	struct inv *inv = NULL;

	ASSERT_TRUE(asprintf(&db, "%s/inventory.db", dir) > 0);
	ASSERT_OK(inv__sqlite_migrate(db, inv__sqlite_migrations, 1, &d));
	out = cli(db, "INSERT INTO guests (name, template, vlan, lun, part_start, part_size,"
		      " partuuid, partno, mac, stage, state, created_usec, updated_usec)"
		      " VALUES ('old', 'lab', 10, '/l0', 1048576, 1073741824, 'ab-cd', 3,"
		      " '00:16:3e:00:00:01', 'format', 'ok', 1, 1); PRAGMA user_version");
	ASSERT_STREQ(out, "1");
	diag_clear(&d);
	ASSERT_OK(inv_open(dir, &d, &inv));
	ASSERT_TRUE(diag_has(&d, "upgrading inventory schema to version 2"));
	ASSERT_OK(inv_guest_get(inv, "old", &d, &g));
	ASSERT_STREQ(g->stage, "format");
	ASSERT_STREQ(g->part.partuuid, "ab-cd");
	ASSERT_EQ(g->part.partno, 3);
	ASSERT_NULL(g->spec);	 /* resume reads the spec file of old */
	ASSERT_NULL(g->fs_uuid); /* its ext4 is known by its label */
	ASSERT_FALSE(g->part_new);
	/* what version 2 records, kept */
	ASSERT_OK(inv_fs_uuid_set(inv, g->id, "0A0B-X", "t", &d));
	ASSERT_ERR(inv_fs_uuid_set(inv, g->id, "other", "t", &d), EEXIST);
	ASSERT_OK(inv_spec_set(inv, g->id, "memory: 1G\n", "t", &d));
	g = inv_guest_free(g);
	ASSERT_OK(inv_guest_get(inv, "old", &d, &g));
	ASSERT_STREQ(g->fs_uuid, "0a0b-x");
	ASSERT_STREQ(g->spec, "memory: 1G\n");
	inv = inv_close(inv);
	free(out);
	out = cli(db, "SELECT what, message FROM events ORDER BY id");
	ASSERT_STREQ(out, "filesystem|ext4 UUID 0A0B-X\nspec|");
}

TEST(newer_store_refused_by_open)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *db = NULL, *out = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *inv = NULL;

	ASSERT_TRUE(asprintf(&db, "%s/inventory.db", dir) > 0);
	out = cli(db, "PRAGMA user_version = 99; PRAGMA user_version");
	ASSERT_STREQ(out, "99");
	ASSERT_ERR(inv_open(dir, &d, &inv), EPROTONOSUPPORT);
	ASSERT_NULL(inv);
	ASSERT_TRUE(diag_has(&d, "inventory schema version 99 is newer"));
}

TEST(state_dir_parent_missing)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *inv = NULL;

	ASSERT_ERR(inv_open("/nonexistent/provision/state", &d, &inv), ENOENT);
	ASSERT_TRUE(diag_has(&d, "cannot create state directory '/nonexistent/provision/state'"));
}

TEST_MAIN()
