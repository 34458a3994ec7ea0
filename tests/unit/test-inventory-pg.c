/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What only the PostgreSQL backend has, with psql as referee: its migrations by version (a
 * newer schema refused), read-only connections (a read-only transaction, a role that may only
 * read), the messages of an unreachable server and a wrong database (the password never
 * shown), and the guard against switching backends under live guests. PostgreSQL runs only.
 */
#include <sys/stat.h>

#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

static char *psql(const char *url, const char *sql)
{
	char *r = psql_cli(url, sql);

	ASSERT_NOT_NULL(r);
	return r;
}

static const char *pg_url(void)
{
	if (!test_pg()) {
		printf("skip: PostgreSQL only (PROVISION_TEST_BACKEND=postgresql)\n");
		exit(77);
	}
	return test_inv_new();
}

static const char *const steps[] = {
	"CREATE TABLE t (a integer NOT NULL);",
	"ALTER TABLE t ADD COLUMN b text NOT NULL DEFAULT 'two'; CREATE UNIQUE INDEX t_a ON t (a);",
	"CREATE TABLE u (x integer); INSERT INTO nonexistent VALUES (1);",
};

TEST(migrations_by_version)
{
	const char *url = pg_url();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *out = NULL;

	ASSERT_OK(inv__pg_migrate(url, steps, 1, &d));
	ASSERT_EQ(d.n, 0); /* creating is no news */
	out = psql(url, "INSERT INTO t VALUES (7); SELECT version FROM schema_version");
	ASSERT_STREQ(out, "1");
	free(out);

	ASSERT_OK(inv__pg_migrate(url, steps, 2, &d));
	ASSERT_EQ(d.n, 1);
	ASSERT_TRUE(diag_has(&d, "upgrading inventory schema to version 2"));
	out = psql(url, "SELECT a, b FROM t; SELECT version FROM schema_version");
	ASSERT_STREQ(out, "7|two\n2");
	free(out);
	out = psql_cli(url, "INSERT INTO t (a) VALUES (7)"); /* step 2's index works */
	ASSERT_NULL(out);

	diag_clear(&d);
	ASSERT_OK(inv__pg_migrate(url, steps, 2, &d)); /* idempotent */
	ASSERT_EQ(d.n, 0);

	/* A failing step: everything rolled back, the version and tables unchanged. */
	ASSERT_ERR(inv__pg_migrate(url, steps, 3, &d), EIO);
	ASSERT_TRUE(diag_has(&d, "cannot upgrade the inventory schema: relation \"nonexistent\" "
				 "does not exist"));
	out = psql(url, "SELECT to_regclass('u') IS NULL, (SELECT version FROM schema_version)");
	ASSERT_STREQ(out, "t|2");
	free(out);
	out = NULL;

	diag_clear(&d);
	ASSERT_ERR(inv__pg_migrate(url, steps, 1, &d), EPROTONOSUPPORT);
	ASSERT_TRUE(diag_has(&d, "inventory schema version 2 at '"));
	ASSERT_TRUE(diag_has(&d, "is newer than this provision knows (1)"));
}

TEST(real_schema_and_newer_refused)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	const char *url = pg_url();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *out = NULL, *marker = NULL, *text = NULL;
	struct inv *inv = NULL;
	size_t len;

	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_WRITE, &d, &inv));
	ASSERT_EQ(d.n, 0);
	inv = inv_close(inv);
	out = psql(url, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables"
			" WHERE schemaname = 'public'");
	ASSERT_STREQ(out, "events,guests,hosts,images,schema_version,stages");
	free(out);
	out = psql(url, "SELECT extname FROM pg_extension WHERE extname = 'btree_gist'");
	ASSERT_STREQ(out, "btree_gist");
	free(out);
	/* the marker in state_dir names it */
	ASSERT_TRUE(asprintf(&marker, "%s/inventory.shared", dir) > 0);
	ASSERT_OK(read_file(marker, &text, &len));
	ASSERT_TRUE(strncmp(text, url, strlen(url)) == 0);

	out = psql(url,
		   "UPDATE schema_version SET version = 99; SELECT version FROM schema_version");
	ASSERT_STREQ(out, "99");
	ASSERT_ERR(inv_open_at(url, dir, INV_OPEN_WRITE, &d, &inv), EPROTONOSUPPORT);
	ASSERT_NULL(inv);
	ASSERT_TRUE(diag_has(&d, "inventory schema version 99 at '"));
	diag_clear(&d);
	ASSERT_ERR(inv_open_at(url, dir, INV_OPEN_READONLY, &d, &inv), EPROTONOSUPPORT);
	ASSERT_TRUE(diag_has(&d, "is newer than this provision knows (2)"));
}

TEST(readonly)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	const char *url = pg_url();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *out = NULL, *ro_url = NULL;
	struct inv_alloc a = test_alloc("keep", NULL, 0);
	struct inv *inv = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;

	/* nothing there yet: a reader creates nothing and sees an empty inventory, as SQLite's
	 * reader does without a file */
	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_READONLY, &d, &inv));
	ASSERT_OK(inv_guest_list(inv, 0, &d, &v, &n));
	ASSERT_EQ(n, 0);
	v = inv_guest_array_free(v, n);
	inv = inv_close(inv);
	out = psql_cli(url, "SELECT to_regclass('schema_version') IS NULL");
	ASSERT_STREQ(out, "t");
	free(out);
	out = NULL;

	a.part_size = 0;
	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_WRITE, &d, &inv));
	ASSERT_OK(inv_guest_allocate(inv, &a, &d, NULL));
	inv = inv_close(inv);

	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_READONLY, &d, &inv));
	ASSERT_TRUE(inv_is_shared(inv));
	ASSERT_OK(inv_guest_list(inv, 0, &d, &v, &n));
	ASSERT_EQ(n, 1);
	v = inv_guest_array_free(v, n);
	a = test_alloc("new", NULL, 0);
	a.part_size = 0;
	ASSERT_TRUE(inv_guest_allocate(inv, &a, &d, NULL) < 0);
	ASSERT_TRUE(diag_has(&d, "read-only transaction"));
	inv = inv_close(inv);

	/* A role that may only read (what a DBA grants to the users of list and show). */
	out = psql(url, "DROP ROLE IF EXISTS provision_test_reader;"
			" CREATE ROLE provision_test_reader LOGIN;"
			" GRANT SELECT ON ALL TABLES IN SCHEMA public TO provision_test_reader;"
			" SELECT 1");
	ASSERT_TRUE(asprintf(&ro_url, "%s&user=provision_test_reader", url) > 0);
	diag_clear(&d);
	ASSERT_OK(inv_open_at(ro_url, dir, INV_OPEN_READONLY, &d, &inv));
	ASSERT_OK(inv_guest_list(inv, 0, &d, &v, &n));
	ASSERT_EQ(n, 1);
	v = inv_guest_array_free(v, n);
	inv = inv_close(inv);
	/* a writer is refused by the database itself */
	ASSERT_OK(inv_open_at(ro_url, dir, INV_OPEN_WRITE, &d, &inv));
	ASSERT_ERR(inv_guest_allocate(inv, &a, &d, NULL), EACCES);
	ASSERT_TRUE(diag_has(&d, "permission denied"));
	inv = inv_close(inv);
	free(out);
	out = psql(url, "SELECT count(*) FROM guests");
	ASSERT_STREQ(out, "1");
	free(out);
	out = psql(url, "REASSIGN OWNED BY provision_test_reader TO CURRENT_USER;"
			" DROP OWNED BY provision_test_reader; DROP ROLE provision_test_reader;"
			" SELECT 1");
}

TEST(unreachable_and_wrong_database)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *nodb = NULL, *gone = NULL;
	struct inv *inv = NULL;

	(void) pg_url();
	/* no server on that socket directory; the password is not shown */
	ASSERT_TRUE(asprintf(&gone, "postgresql://alice:s3cret@/provision?host=%s&password=x2",
			     dir) > 0);
	ASSERT_ERR(inv_open_at(gone, dir, INV_OPEN_WRITE, &d, &inv), EHOSTUNREACH);
	ASSERT_TRUE(diag_has(&d, "cannot reach the inventory at 'postgresql://alice@/provision?"));
	ASSERT_TRUE(diag_has(&d, "No such file or directory"));
	for (size_t i = 0; i < d.n; i++)
		ASSERT_TRUE(!strstr(d.v[i].msg, "s3cret") && !strstr(d.v[i].msg, "x2"));
	diag_clear(&d);

	nodb = test_pg_url("provision_test_no_such_db");
	ASSERT_ERR(inv_open_at(nodb, dir, INV_OPEN_WRITE, &d, &inv), EHOSTUNREACH);
	ASSERT_TRUE(diag_has(&d, "database \"provision_test_no_such_db\" does not exist"));
	ASSERT_TRUE(diag_has(&d, "cannot reach the inventory at 'postgresql://"));
	ASSERT_NULL(inv);
	ASSERT_TRUE(access(dir, F_OK) == 0);
}

TEST(connection_lost)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	const char *url = pg_url();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_closep) struct inv *inv = NULL;
	_cleanup_(freep) char *out = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;

	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_WRITE, &d, &inv));
	out = psql(url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			" WHERE datname = current_database() AND application_name = 'provision'");
	ASSERT_STREQ(out, "1");
	ASSERT_ERR(inv_guest_list(inv, 0, &d, &v, &n), EHOSTUNREACH);
	ASSERT_TRUE(diag_has(&d, "cannot reach the inventory at 'postgresql://"));
}

TEST(url_redact)
{
	static const char *const cases[][2] = {
		{"postgresql://u:pw@db/provision", "postgresql://u@db/provision"},
		{"postgres://u:p%40w@db:5432/x?sslmode=require",
		 "postgres://u@db:5432/x?sslmode=require"},
		{"postgresql://db/x?password=pw&user=u", "postgresql://db/x?user=u"},
		{"postgresql://db/x?user=u&password=pw", "postgresql://db/x?user=u"},
		{"postgresql:///x?host=/run/pg", "postgresql:///x?host=/run/pg"},
		{"host=db password=pw dbname=x", "host=db dbname=x"},
		{"host=db password='p w' dbname=x", "host=db dbname=x"},
		{"host=db dbname=x password=pw", "host=db dbname=x"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(freep) char *got = inv__url_redact(cases[i][0]);

		ASSERT_STREQ(got, cases[i][1]);
	}
}

static void allocate_one(const char *url, const char *dir, const char *name)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct inv_alloc a = test_alloc(name, NULL, 0);

	a.part_size = 0;
	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_WRITE, &d, &inv));
	ASSERT_OK(inv_guest_allocate(inv, &a, &d, NULL));
}

TEST(backend_switch_refused)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir(), *other = test_tmpdir();
	const char *url = pg_url();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *marker = NULL;
	struct inv *inv = NULL;

	/* SQLite with a live guest, then site.yaml names PostgreSQL: refused, in every mode */
	allocate_one(NULL, dir, "local1");
	for (int m = INV_OPEN_WRITE; m <= INV_OPEN_SCRATCH; m++) {
		ASSERT_ERR(inv_open_at(url, dir, m, &d, &inv), ESTALE);
		ASSERT_NULL(inv);
	}
	ASSERT_TRUE(diag_has(&d, "the inventory is now at '"));
	ASSERT_TRUE(diag_has(&d, "/inventory.db' still holds 1 live guests: move them with "
				 "'provision inventory export' and 'provision inventory import'"));

	/* PostgreSQL used from a state_dir, then site.yaml loses its key: the empty SQLite
	 * file is refused, instead of starting a second inventory beside the shared one */
	diag_clear(&d);
	allocate_one(url, other, "shared1");
	ASSERT_TRUE(asprintf(&marker, "%s/inventory.shared", other) > 0);
	ASSERT_TRUE(access(marker, F_OK) == 0);
	ASSERT_ERR(inv_open_at(NULL, other, INV_OPEN_WRITE, &d, &inv), ESTALE);
	ASSERT_ERR(inv_open_at(NULL, other, INV_OPEN_READONLY, &d, &inv), ESTALE);
	ASSERT_TRUE(diag_has(&d, "the inventory is at '"));
	ASSERT_TRUE(diag_has(&d, "which holds no guests"));
	ASSERT_TRUE(access(marker, F_OK) == 0);
	/* once the admin removes the marker (having moved everything), SQLite opens */
	ASSERT_OK(unlink(marker));
	ASSERT_OK(inv_open_at(NULL, other, INV_OPEN_WRITE, &d, &inv));
	inv = inv_close(inv);
}

TEST_MAIN()
