/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inv_open_readonly(): reads what writers committed and changes no file (the database and
 * -wal byte for byte, no file created or removed); an older schema is read through an
 * upgraded in-memory copy, the file keeping its version; no inventory reads as an empty one
 * and creates nothing, not even state_dir. (As an unprivileged user: tests/cli/t0617.)
 */
#include <dirent.h>
#include <sys/stat.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

/* The names in dir, sorted, and the content of each of keep[] (NULL-terminated). */
static char *snapshot(const char *dir, const char *const *keep)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent **v = NULL;
	int n = scandir(dir, &v, NULL, alphasort);

	ASSERT_TRUE(n >= 0);
	for (int i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s\n", v[i]->d_name);
		free(v[i]);
	}
	free(v);
	for (const char *const *k = keep; *k; k++) {
		_cleanup_(freep) char *path = NULL, *text = NULL;
		size_t len = 0;

		ASSERT_TRUE(asprintf(&path, "%s/%s", dir, *k) > 0);
		ASSERT_OK(read_file(path, &text, &len));
		strbuf_addf(&sb, "%s: %zu bytes\n", *k, len);
		strbuf_add(&sb, text, len);
	}
	return strbuf_detach(&sb);
}

TEST(reads_and_changes_nothing)
{
	static const char *const keep[] = {"inventory.db", "inventory.db-wal", NULL};
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *before = NULL, *after = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv_alloc a = test_alloc("keep", NULL, 0);
	struct inv *inv = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;

	a.part_size = 0;
	ASSERT_OK(inv_open(dir, &d, &inv));
	ASSERT_OK(inv_guest_allocate(inv, &a, &d, NULL));
	inv = inv_close(inv);
	before = snapshot(dir, keep); /* the writer left -wal and -shm for the readers */
	ASSERT_NOT_NULL(strstr(before, "inventory.db-shm\ninventory.db-wal\n"));

	ASSERT_OK(inv_open_readonly(dir, &d, &inv));
	ASSERT_OK(inv_guest_list(inv, 0, &d, &v, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(v[0].name, "keep");
	v = inv_guest_array_free(v, n);
	/* a write through the handle fails, with SQLite's reason */
	a = test_alloc("new", NULL, 0);
	a.part_size = 0;
	ASSERT_TRUE(inv_guest_allocate(inv, &a, &d, NULL) < 0);
	ASSERT_TRUE(diag_has(&d, "readonly"));
	inv = inv_close(inv);
	after = snapshot(dir, keep);
	ASSERT_STREQ(after, before);
}

TEST(older_schema_upgraded_in_memory)
{
	static const char *const keep[] = {"inventory.db", NULL};
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *db = NULL, *before = NULL, *after = NULL, *version = NULL,
			      *want = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *inv = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;

	/* every step but the last: with one step, a WAL store with no table at version 0 */
	ASSERT_TRUE(asprintf(&db, "%s/inventory.db", dir) > 0);
	ASSERT_OK(
		inv__sqlite_migrate(db, inv__sqlite_migrations, inv__sqlite_n_migrations - 1, &d));
	before = snapshot(dir, keep);

	ASSERT_OK(inv_open_readonly(dir, &d, &inv));
	ASSERT_EQ(d.n, 0); /* no "upgrading" news: nothing on disk is upgraded */
	ASSERT_OK(inv_guest_list(inv, 0, &d, &v, &n)); /* this schema's query runs */
	ASSERT_EQ(n, 0);
	inv = inv_close(inv);
	after = snapshot(dir, keep);
	ASSERT_STREQ(after, before);
	version = sqlite3_cli(db, "PRAGMA user_version");
	ASSERT_TRUE(asprintf(&want, "%zu", inv__sqlite_n_migrations - 1) > 0);
	ASSERT_STREQ(version, want);
}

TEST(no_inventory_is_empty)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *state = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *inv = NULL;
	struct inv_guest *v = NULL;
	size_t n = 1;
	struct stat st;

	ASSERT_TRUE(asprintf(&state, "%s/state", dir) > 0);
	ASSERT_OK(inv_open_readonly(state, &d, &inv));
	ASSERT_OK(inv_guest_list(inv, 0, &d, &v, &n));
	ASSERT_EQ(n, 0);
	inv = inv_close(inv);
	ASSERT_ERR(stat(state, &st) < 0 ? -errno : 0, ENOENT); /* state_dir not created */
	ASSERT_EQ(d.n, 0);
}

TEST_MAIN()
