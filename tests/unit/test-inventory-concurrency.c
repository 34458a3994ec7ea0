/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 32 processes allocate a guest each, released at the same instant, against one inventory
 * that none of them has created yet. Room for 24 partitions and 40 addresses: 24 must get
 * distinct names, MACs, IPs and non-overlapping partitions, 8 a clean "no space". Checked
 * with the sqlite3 or psql tool as well as through the API. On either backend
 * (inventory-test.h); with PostgreSQL the processes are so many Dom0s sharing one database.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/inventory-test.h"

#define N_PROCS	     32
#define N_SLOTS	     24 /* 2 LUNs x 12 partitions of 10 GiB */
#define EXIT_NOSPACE 3

static const struct inv_extent luns[] = {
	{"lun0", 1 * MIB, 120 * GIB, NULL},
	{"lun1", 1 * MIB, 120 * GIB, NULL},
};

static const char *url; /* NULL: SQLite */

static _noreturn_ void child(const char *state_dir, int barrier, unsigned i)
{
	struct diag d = DIAG_INIT;
	struct inv *inv = NULL;
	struct inv_alloc a;
	char name[16], rid[32], c;
	int r;

	/* Everyone opens (and so creates or upgrades) the store at the same time. */
	if (read(barrier, &c, 1) < 0)
		_exit(1);
	(void) close(barrier);
	snprintf(name, sizeof(name), "lab%02u", i);
	snprintf(rid, sizeof(rid), "batch:%s", name);
	a = test_alloc(name, luns, ELEMENTSOF(luns));
	a.request_id = rid;
	a.range_last = a.range_first + 39;
	r = inv_open_at(url, state_dir, INV_OPEN_WRITE, &d, &inv);
	if (r >= 0)
		r = inv_guest_allocate(inv, &a, &d, NULL);
	if (r < 0 && r != -ENOSPC)
		diag_print(&d, stderr, name);
	inv_close(inv);
	diag_release(&d);
	exit(r == -ENOSPC ? EXIT_NOSPACE : r < 0 ? 1 : 0);
}

static void expect_cli(const char *state_dir, const char *sql, const char *want)
{
	_cleanup_(freep) char *got = test_sql(url, state_dir, sql);

	ASSERT_STREQ(got, want);
}

TEST(concurrent_allocations)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(freep) char *state = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct inv_guest *all = NULL;
	unsigned ok = 0, nospace = 0, other = 0;
	int barrier[2], status;
	size_t n = 0;
	char want[64];

	ASSERT_TRUE(asprintf(&state, "%s/state", dir) > 0);
	url = test_inv_new();
	ASSERT_OK(pipe(barrier));
	fflush(NULL);
	for (unsigned i = 0; i < N_PROCS; i++) {
		pid_t pid = fork();

		ASSERT_TRUE(pid >= 0);
		if (pid == 0) {
			(void) close(barrier[1]);
			child(state, barrier[0], i);
		}
	}
	(void) close(barrier[0]);
	(void) close(barrier[1]); /* go */
	while (wait(&status) > 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOSPACE)
			nospace++;
		else
			other++;
	}
	ASSERT_EQ(other, 0);
	ASSERT_EQ(ok, N_SLOTS);
	ASSERT_EQ(nospace, N_PROCS - N_SLOTS);

	/* The referee: distinct everything among live guests, no overlaps, inside the LUNs. */
	snprintf(want, sizeof(want), "%u|%u|%u|%u|%u|%u", N_SLOTS, N_SLOTS, N_SLOTS, N_SLOTS,
		 N_SLOTS, N_SLOTS);
	expect_cli(state,
		   "SELECT count(*), count(DISTINCT name), count(DISTINCT mac),"
		   " count(DISTINCT ip), count(DISTINCT lun || '@' || CAST(part_start AS TEXT)),"
		   " count(DISTINCT request_id) FROM guests WHERE destroyed_usec IS NULL",
		   want);
	expect_cli(state,
		   "SELECT count(*) FROM guests a JOIN guests b ON a.id < b.id AND a.lun = b.lun"
		   " AND a.part_start < b.part_start + b.part_size"
		   " AND b.part_start < a.part_start + a.part_size",
		   "0");
	expect_cli(
		state,
		"SELECT count(*) FROM guests WHERE part_start % 1048576 != 0"
		" OR part_start < 1048576 OR part_start + part_size > 1048576 + 120 * CAST(1073741824 AS BIGINT)"
		" OR part_size != 10 * CAST(1073741824 AS BIGINT) OR lun NOT IN ('lun0', 'lun1')",
		"0");
	/* The 24 addresses are the first 24 of the range (distinct, so contiguous). */
	snprintf(want, sizeof(want), "%u|%u", 0x0a00350a, 0x0a00350a + N_SLOTS - 1);
	expect_cli(state, "SELECT min(ip), max(ip) FROM guests", want);
	expect_cli(state,
		   "SELECT result, count(*) FROM events WHERE what = 'allocate' GROUP BY result"
		   " ORDER BY result",
		   "ok|24\nrefused|8");
	if (url) {
		expect_cli(state, "SELECT version FROM schema_version", "1");
	} else {
		expect_cli(state, "PRAGMA journal_mode", "wal");
		expect_cli(state, "PRAGMA user_version", "3");
	}

	/* The same through the API. */
	ASSERT_OK(inv_open_at(url, state, INV_OPEN_WRITE, &d, &inv));
	ASSERT_OK(inv_guest_list(inv, 0, &d, &all, &n));
	ASSERT_EQ(n, N_SLOTS);
	for (size_t i = 0; i < n; i++) {
		ASSERT_TRUE(all[i].has_partition && all[i].has_ip);
		for (size_t j = 0; j < i; j++) {
			ASSERT_FALSE(streq(all[i].name, all[j].name));
			ASSERT_TRUE(memcmp(all[i].mac, all[j].mac, 6) != 0);
			ASSERT_TRUE(all[i].ip != all[j].ip);
			ASSERT_TRUE(!streq(all[i].part.lun, all[j].part.lun) ||
				    all[i].part.start + all[i].part.size <= all[j].part.start ||
				    all[j].part.start + all[j].part.size <= all[i].part.start);
		}
	}
	all = inv_guest_array_free(all, n);
}

TEST_MAIN()
