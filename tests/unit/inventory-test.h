/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the inventory tests: a scratch state directory, the backend under test (SQLite or
 * a fresh PostgreSQL database), the sqlite3 and psql command-line tools as independent
 * referees, and a typical allocation request.
 */

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "inventory/inventory.h"
#include "tests/unit/test.h"

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

/* A fresh directory; test_tmpdir_free() removes it with everything in it. */
static inline char *test_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/provision-inv-XXXXXX", t && *t ? t : "/tmp") < 0)
		abort();
	if (!mkdtemp(p))
		abort();
	return p;
}

static inline void test_tmpdir_free(char **p)
{
	if (!*p)
		return;
	(void) nftw(*p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*p);
}

/* Run argv (no shell) and return its stdout without the trailing newlines, or NULL when it
 * failed. */
static inline char *test_capture(char *const *argv)
{
	char *out = NULL;
	size_t len = 0;
	int fd[2], status;
	pid_t pid;
	FILE *f;

	fflush(NULL);
	if (pipe(fd) < 0)
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		(void) dup2(fd[1], 1);
		(void) close(fd[0]);
		(void) close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	(void) close(fd[1]);
	f = fdopen(fd[0], "r");
	if (f) {
		char buf[4096];
		size_t n;
		FILE *o = open_memstream(&out, &len);

		while (o && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, o);
		if (o)
			fclose(o);
		fclose(f);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(out);
		return NULL;
	}
	while (out && len && out[len - 1] == '\n')
		out[--len] = '\0';
	return out;
}

/*
 * Run `sqlite3 -batch -noheader -separator | DB SQL` (argv, no shell) and return its stdout,
 * without the trailing newline, or NULL when it failed.
 */
static inline char *sqlite3_cli(const char *db, const char *sql)
{
	return test_capture((char *const[]){"sqlite3", "-batch", "-noheader", "-separator", "|",
					    (char *) db, (char *) sql, NULL});
}

/* The same with psql on the database at url: rows unaligned, fields separated by '|'. */
static inline char *psql_cli(const char *url, const char *sql)
{
	return test_capture((char *const[]){"psql", "-X", "-q", "-A", "-t", "-F", "|", "-v",
					    "ON_ERROR_STOP=1", "-d", (char *) url, "-c",
					    (char *) sql, NULL});
}

/*
 * Backends. tests/meson.build runs each inventory test twice, with PROVISION_TEST_BACKEND
 * sqlite and postgresql; the PostgreSQL run uses the server tests/run starts
 * (PROVISION_TEST_PG, its admin URL) and skips (77) without it, e.g. under a plain
 * `meson test`. Each inventory it makes is a fresh database with a random name, dropped when
 * the process that made it exits, so tests run in parallel on one server.
 */
static inline bool test_pg(void)
{
	const char *b = getenv("PROVISION_TEST_BACKEND");

	return b && strcmp(b, "postgresql") == 0;
}

static char *test__dbs[64];
static size_t test__n_dbs;
static pid_t test__dbs_owner;

/* PROVISION_TEST_PG with its database replaced by db. Caller frees. */
static inline char *test_pg_url(const char *db)
{
	const char *admin = getenv("PROVISION_TEST_PG"), *q, *slash;
	char *url;

	if (!admin || !*admin) {
		printf("skip: PROVISION_TEST_PG is not set (tests/run starts a server)\n");
		exit(77);
	}
	q = strchr(admin, '?') ?: admin + strlen(admin);
	for (slash = q; slash > admin && slash[-1] != '/'; slash--)
		;
	if (asprintf(&url, "%.*s%s%s", (int) (slash - admin), admin, db, q) < 0)
		abort();
	return url;
}

static inline void test__drop_dbs(void)
{
	_cleanup_(freep) char *admin = NULL;

	if (getpid() != test__dbs_owner) /* a forked child exiting */
		return;
	admin = test_pg_url("postgres");
	for (size_t i = 0; i < test__n_dbs; i++) {
		_cleanup_(freep) char *sql = NULL, *out = NULL;

		if (asprintf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", test__dbs[i]) < 0)
			abort();
		out = psql_cli(admin, sql);
		free(test__dbs[i]);
	}
	test__n_dbs = 0;
}

/*
 * A new, empty inventory for this test: NULL (the SQLite file in the test's state_dir) or the
 * URL of a fresh PostgreSQL database. The URL lives until exit.
 */
static inline const char *test_inv_new(void)
{
	static char *urls[64];
	_cleanup_(freep) char *admin = NULL, *sql = NULL, *out = NULL;
	char name[40];
	unsigned seed = (unsigned) getpid() ^ (unsigned) time(NULL) ^ (unsigned) test__n_dbs << 20;

	if (!test_pg())
		return NULL;
	admin = test_pg_url("postgres");
	if (test__n_dbs >= 64)
		abort();
	snprintf(name, sizeof(name), "provision_test_%d_%u", (int) getpid(), rand_r(&seed));
	if (asprintf(&sql, "CREATE DATABASE %s", name) < 0)
		abort();
	out = psql_cli(admin, sql);
	if (!out) {
		fprintf(stderr, "cannot create database %s on %s\n", name, admin);
		abort();
	}
	if (test__n_dbs == 0) {
		test__dbs_owner = getpid();
		atexit(test__drop_dbs);
	}
	test__dbs[test__n_dbs] = strdup(name);
	urls[test__n_dbs] = test_pg_url(name);
	return urls[test__n_dbs++];
}

/* The referee: SQL through sqlite3 on STATE_DIR/inventory.db (url NULL) or psql on url. */
static inline char *test_sql(const char *url, const char *state_dir, const char *sql)
{
	_cleanup_(freep) char *db = NULL;

	if (url)
		return psql_cli(url, sql);
	if (asprintf(&db, "%s/inventory.db", state_dir) < 0)
		abort();
	return sqlite3_cli(db, sql);
}

/* Whether any message in d contains s. */
static inline bool diag_has(const struct diag *d, const char *s)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i].msg, s))
			return true;
	return false;
}

/* An allocation on VLAN 53 with range 10.0.53.10-10.0.53.250, gateway .1, Xen's prefix. */
static inline struct inv_alloc test_alloc(const char *name, const struct inv_extent *cand,
					  size_t n_cand)
{
	return (struct inv_alloc){
		.name = name,
		.template_name = "debian",
		.vlan = 53,
		.who = "test(0)",
		.part_size = 10 * GIB,
		.candidates = cand,
		.n_candidates = n_cand,
		.mac_prefix = {0x00, 0x16, 0x3e},
		.mac_prefix_len = 3,
		.range_first = 0x0a00350a,
		.range_last = 0x0a0035fa,
		.gateway = 0x0a003501,
	};
}
