/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/run.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "hooks.h"

#define TAIL_MAX 2048

static const char *const when_names[] = {[HOOK_PRE] = "pre", [HOOK_POST] = "post"};

DEFINE_STRING_TABLE_TO(hook_when, enum hook_when, when_names)

void hook_failure_release(struct hook_failure *f)
{
	free(f->hook);
	free(f->stderr_tail);
	*f = (struct hook_failure){0};
}

/* run-parts' rule: only [A-Za-z0-9_-]; this skips dotfiles and backups like "x~", "x.bak". */
static bool name_runnable(const char *n)
{
	return *n &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		       strlen(n);
}

static int check_safe(const char *path, const struct stat *st, const char *what, struct diag *d)
{
	if (st->st_uid != 0) {
		diag_error(d, NULL, "refusing %s '%s': not owned by root", what, path);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		diag_error(d, NULL, "refusing %s '%s': writable by group or others", what, path);
		return -EPERM;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int hook_list(const struct hook_run *r, struct diag *d, char ***ret)
{
	_cleanup_(strv_freep) char **list = calloc(1, sizeof(char *));
	_cleanup_(freep) char *dir = NULL;
	DIR *dh;
	struct dirent *de;
	struct stat st;
	int k = 0;

	if (!list)
		return -ENOMEM;
	if (!r->stage || !*r->stage ||
	    strspn(r->stage, "abcdefghijklmnopqrstuvwxyz") != strlen(r->stage))
		return diag_error(d, NULL, "invalid hook stage '%s'", r->stage ? r->stage : "");
	if (!r->hooks_dir) {
		*ret = TAKE_PTR(list);
		return 0;
	}
	if (asprintf(&dir, "%s/%s.%s.d", r->hooks_dir, r->stage, hook_when_to_string(r->when)) <
	    0) {
		dir = NULL;
		return -ENOMEM;
	}
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT) {
			*ret = TAKE_PTR(list);
			return 0;
		}
		return diag_error_errno(d, NULL, -errno, "cannot read hook directory '%s'", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return diag_error(d, NULL, "hook directory '%s' is not a directory", dir);
	if (check_safe(dir, &st, "hook directory", d) < 0)
		return -EPERM;
	if (stat(r->hooks_dir, &st) == 0 && check_safe(r->hooks_dir, &st, "hook directory", d) < 0)
		return -EPERM;

	dh = opendir(dir);
	if (!dh)
		return diag_error_errno(d, NULL, -errno, "cannot read hook directory '%s'", dir);
	while ((de = readdir(dh))) {
		char *path;

		if (!name_runnable(de->d_name))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			k = -ENOMEM;
			break;
		}
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
			free(path);
			continue;
		}
		if (check_safe(path, &st, "hook", d) < 0)
			k = -EPERM; /* keep going: report every unsafe hook at once */
		if (strv_push_take(&list, path) < 0) {
			k = -ENOMEM;
			break;
		}
	}
	closedir(dh);
	if (k < 0)
		return k;
	qsort(list, strv_length(list), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(list);
	return 0;
}

/* The hook's stderr as it comes: copied to ours unless quiet. */
static void tee_stderr(struct run_child *c, const char *buf, size_t n)
{
	const struct hook_run *r = c->userdata;

	if (!r->quiet)
		(void) !fwrite(buf, 1, n, stderr);
}

/* The last few lines of the hook's stderr, as notes under the error. */
static void tail_notes(const struct strbuf *tail, struct diag *d)
{
	const char *s = strbuf_str(tail), *p = s + tail->len;
	int lines = 0;

	while (p > s && lines < 6)
		if (*--p == '\n' && p + 1 < s + tail->len)
			lines++;
	if (*p == '\n')
		p++;
	for (const char *l = p; *l;) {
		size_t len = strcspn(l, "\n");

		diag_add(d, DIAG_NOTE, NULL, "hook stderr: %.*s", (int) len, l);
		l += len + (l[len] == '\n');
	}
}

static int run_one(const char *path, const struct hook_run *r, struct diag *d,
		   struct hook_failure *fail)
{
	_cleanup_(strv_freep) char **argv = NULL;
	struct run_child c = {
		.env = r->env,
		.own_pgroup = true,
		.timeout_ms = r->timeout_s > UINT_MAX / 1000 ? UINT_MAX : r->timeout_s * 1000,
		.out = {.io = RUN_FD, .fd = STDERR_FILENO}, /* --json keeps stdout for itself */
		.err = {.io = RUN_PIPE, .cap = TAIL_MAX, .keep_tail = true, .on_data = tee_stderr},
		.userdata = (void *) r,
	};
	int k;

	if (strv_push(&argv, path) < 0)
		return -ENOMEM;
	for (char *const *a = r->argv_extra; a && *a; a++)
		if (strv_push(&argv, *a) < 0)
			return -ENOMEM;
	c.argv = argv;
	k = run_command(&c);
	if (k == 0) {
		run_child_release(&c);
		return 0;
	}
	if (k < 0)
		diag_error_errno(d, NULL, k, "cannot run hook '%s'", path);
	else if (c.timed_out)
		diag_error(d, NULL, "hook '%s' timed out after %us, killed", path, r->timeout_s);
	else if (c.exit_code < 0)
		diag_error(d, NULL, "hook '%s' killed by signal %d", path, c.signal);
	else
		diag_error(d, NULL, "hook '%s' failed with exit status %d", path, c.exit_code);
	if (c.err.buf.len)
		tail_notes(&c.err.buf, d);
	if (fail)
		*fail = (struct hook_failure){
			.hook = strdup(path),
			.exit_status = k > 0 && !c.timed_out ? c.exit_code : -1,
			.signal = k > 0 ? c.signal : 0,
			.timed_out = c.timed_out,
			.stderr_tail = strbuf_detach(&c.err.buf),
		};
	run_child_release(&c);
	return c.timed_out ? -ETIMEDOUT : -ECHILD;
}

int hook_run_all(const struct hook_run *r, struct diag *d, struct hook_failure *ret_fail)
{
	_cleanup_(strv_freep) char **hooks = NULL;
	int k, n = 0;

	k = hook_list(r, d, &hooks);
	if (k < 0)
		return k;
	for (char **h = hooks; *h; h++) {
		k = run_one(*h, r, d, ret_fail);
		if (k < 0)
			return k;
		n++;
	}
	return n;
}
