/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the inventory tests: a scratch state directory, the sqlite3 command-line tool as
 * an independent referee, and a typical allocation request.
 */

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * Run `sqlite3 -batch -noheader -separator | DB SQL` (argv, no shell) and return its stdout,
 * without the trailing newline, or NULL when it failed.
 */
static inline char *sqlite3_cli(const char *db, const char *sql)
{
	char *out = NULL;
	size_t len = 0;
	int fd[2], status;
	pid_t pid;
	FILE *f;

	if (pipe(fd) < 0)
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		(void) dup2(fd[1], 1);
		(void) close(fd[0]);
		(void) close(fd[1]);
		execlp("sqlite3", "sqlite3", "-batch", "-noheader", "-separator", "|", db, sql,
		       (char *) NULL);
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
