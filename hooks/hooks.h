/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Stage hooks: <hooks_dir>/<stage>.pre.d/ and <hooks_dir>/<stage>.post.d/, run in lexical
 * order like run-parts. Each hook is exec'd with an argv (never through a shell) in a process
 * group of its own, with the caller's environment plus the PROVISION_* variables, stdin from
 * /dev/null and stdout sent to our stderr (so --json output stays clean), started with
 * common/run.h. A timeout ends the hook's whole process group (SIGTERM, then SIGKILL).
 *
 * Which files run: regular executable files whose names consist only of [A-Za-z0-9_-] (the
 * run-parts rule: dotfiles, "x~", "x.bak", "x.dpkg-old" are skipped). Which are refused: a hook
 * or hook directory that is group- or world-writable or not owned by root; one such file
 * stops the stage before anything runs.
 *
 * Child processes are reaped with waitpid() on their own pid only, which is what libxl's
 * libxl_sigchld_owner_libxl_always_selective_reap mode expects of the application.
 */

#include <stdbool.h>

#include "common/diag.h"

enum hook_when {
	HOOK_PRE,
	HOOK_POST,
	_HOOK_WHEN_MAX,
	_HOOK_WHEN_INVALID = -22,
};

const char *hook_when_to_string(enum hook_when w); /* "pre", "post" */

struct hook_failure {
	char *hook;	 /* path of the hook that failed */
	int exit_status; /* >= 0: exit code; -1: killed by a signal or timeout */
	int signal;	 /* the signal, when killed */
	bool timed_out;
	char *stderr_tail; /* last lines the hook wrote to stderr (at most 2 KiB) */
};

void hook_failure_release(struct hook_failure *f);

struct hook_run {
	const char *hooks_dir; /* NULL or missing directory: nothing to run */
	const char *stage;     /* "allocate", "carve", ... (validated: [a-z]+) */
	enum hook_when when;
	char *const
		*argv_extra; /* arguments after the hook's path (NULL-terminated, may be NULL) */
	char *const *env;    /* "PROVISION_GUEST=web1", ... added to the environment */
	unsigned timeout_s;  /* 0: no timeout */
	bool quiet;	     /* do not copy the hooks' stderr to ours */
};

/*
 * List the hooks that would run for r, in order. *ret is a NULL-terminated vector of paths
 * (empty when the directory does not exist).
 * Returns: 0, or -EPERM/-errno with the reason in d (unsafe permissions, unreadable directory).
 */
int hook_list(const struct hook_run *r, struct diag *d, char ***ret);

/*
 * Run every hook for r in order, stopping at the first that fails. On failure the details
 * are put in *ret_fail (if not NULL) and a message in d.
 * Returns: the number of hooks run (>= 0) when all succeeded, or < 0: -EPERM (refused before
 * running anything), -ECHILD (a hook failed), -ETIMEDOUT (a hook timed out), -errno.
 */
int hook_run_all(const struct hook_run *r, struct diag *d, struct hook_failure *ret_fail);
