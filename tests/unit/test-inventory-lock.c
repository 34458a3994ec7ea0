/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inv_lock_take/try/release on either backend: exclusive between processes (each its own
 * handle, as two Dom0s have), released explicitly or when the holder dies (SIGKILL: the flock's
 * file closes, the PostgreSQL session ends). SQLite's locks are the files provision has always
 * used (STATE_DIR/locks/KEY.lock), so scripts that look at them still work.
 */
#include <signal.h>
#include <sys/file.h>
#include <fcntl.h>

#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/inventory-test.h"

static const char *url;

static struct inv *open_inv(const char *dir)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *inv = NULL;

	ASSERT_OK(inv_open_at(url, dir, INV_OPEN_WRITE, &d, &inv));
	return inv;
}

TEST(exclusive_and_released)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct inv *a, *b;
	struct inv_lock *la = NULL, *lb = NULL, *other = NULL;

	url = test_inv_new();
	a = open_inv(dir);
	b = open_inv(dir);
	ASSERT_OK(inv_lock_take(a, "guest-web1", &d, &la));
	/* flock(2) is per open file, so even one process sees the conflict through two handles */
	ASSERT_ERR(inv_lock_try(b, "guest-web1", &d, &lb), EWOULDBLOCK);
	ASSERT_EQ(d.n, 0);
	ASSERT_OK(inv_lock_try(b, "guest-web2", &d, &other));
	ASSERT_OK(inv_lock_try(b, "lun-2049-131", &d, &lb));
	lb = inv_lock_release(lb);
	la = inv_lock_release(la);
	ASSERT_OK(inv_lock_try(b, "guest-web1", &d, &lb));
	lb = inv_lock_release(lb);
	other = inv_lock_release(other);
	ASSERT_ERR(inv_lock_take(a, "../x", &d, &la), EINVAL);
	ASSERT_TRUE(diag_has(&d, "invalid lock name '../x'"));
	if (!url) { /* the file the pipeline's referees look at */
		_cleanup_(freep) char *path = NULL;

		ASSERT_TRUE(asprintf(&path, "%s/locks/guest-web1.lock", dir) > 0);
		ASSERT_TRUE(access(path, F_OK) == 0);
	}
	inv_close(a);
	inv_close(b);
}

TEST(holder_killed)
{
	_cleanup_(test_tmpdir_free) char *dir = test_tmpdir();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct inv_lock *l = NULL;
	int ready[2], status, r = -1;
	int64_t start;
	char c;
	pid_t pid;

	url = test_inv_new();
	inv = open_inv(dir);
	ASSERT_OK(pipe(ready));
	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		struct inv *mine = NULL;
		struct inv_lock *held = NULL;

		(void) close(ready[0]);
		if (inv_open_at(url, dir, INV_OPEN_WRITE, &d, &mine) < 0 ||
		    inv_lock_take(mine, "lun-8-16", &d, &held) < 0)
			_exit(1);
		(void) write(ready[1], "x", 1);
		for (;;)
			pause();
	}
	(void) close(ready[1]);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	ASSERT_ERR(inv_lock_try(inv, "lun-8-16", &d, &l), EWOULDBLOCK);
	ASSERT_OK(kill(pid, SIGKILL));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	/* the lock is free within a second or two (the server notices the closed socket) */
	start = mono_usec();
	while (mono_usec() - start < 5 * 1000000) {
		r = inv_lock_try(inv, "lun-8-16", &d, &l);
		if (r != -EWOULDBLOCK)
			break;
		(void) usleep(20000);
	}
	ASSERT_OK(r);
	ASSERT_TRUE(mono_usec() - start < 2 * 1000000);
	l = inv_lock_release(l);
	if (url) { /* and the referee sees no advisory lock left */
		_cleanup_(freep) char *n =
			psql_cli(url, "SELECT count(*) FROM pg_locks l JOIN pg_database b"
				      " ON b.oid = l.database AND b.datname = current_database()"
				      " WHERE locktype = 'advisory'");

		ASSERT_STREQ(n, "0");
	}
}

TEST_MAIN()
