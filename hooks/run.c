/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hooks.h"

#define TAIL_MAX 2048

extern char **environ;

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

static char **build_env(char *const *extra)
{
	_cleanup_(strv_freep) char **env = calloc(1, sizeof(char *));

	if (!env)
		return NULL;
	for (char **e = environ; e && *e; e++) {
		size_t klen = strcspn(*e, "=");
		bool overridden = false;

		for (char *const *x = extra; x && *x; x++)
			if (strncmp(*x, *e, klen) == 0 && (*x)[klen] == '=')
				overridden = true;
		if (!overridden && strv_push(&env, *e) < 0)
			return NULL;
	}
	for (char *const *x = extra; x && *x; x++)
		if (strv_push(&env, *x) < 0)
			return NULL;
	return TAKE_PTR(env);
}

static long now_ms(void)
{
	return (long) (mono_usec() / 1000);
}

static void tail_add(struct strbuf *tail, const char *buf, size_t n)
{
	strbuf_add(tail, buf, n);
	if (tail->len > 2 * TAIL_MAX && !tail->oom) {
		memmove(tail->buf, tail->buf + tail->len - TAIL_MAX, TAIL_MAX + 1);
		tail->len = TAIL_MAX;
	}
}

/* Fork and exec one hook; its stderr comes back through *ret_fd. */
static int spawn(const char *path, const struct hook_run *r, char **env, int *ret_fd,
		 pid_t *ret_pid)
{
	_cleanup_(strv_freep) char **argv = NULL;
	int p[2];
	pid_t pid;

	if (strv_push(&argv, path) < 0)
		return -ENOMEM;
	for (char *const *a = r->argv_extra; a && *a; a++)
		if (strv_push(&argv, *a) < 0)
			return -ENOMEM;
	if (pipe2(p, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		int e = negative_errno();

		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		(void) setpgid(0, 0);
		sigemptyset(&none);
		(void) sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execve(path, argv, env);
		dprintf(2, "cannot execute '%s': %s\n", path, strerror(errno));
		_exit(127);
	}
	(void) setpgid(pid, pid); /* also here: no window where a timeout misses the group */
	close(p[1]);
	*ret_fd = p[0];
	*ret_pid = pid;
	return 0;
}

static int run_one(const char *path, const struct hook_run *r, char **env, struct diag *d,
		   struct hook_failure *fail)
{
	struct strbuf tail = STRBUF_INIT;
	long deadline = r->timeout_s ? now_ms() + (long) r->timeout_s * 1000L : 0;
	bool timed_out = false, exited = false;
	int fd = -1, status = 0, k;
	pid_t pid;

	k = spawn(path, r, env, &fd, &pid);
	if (k < 0)
		return diag_error_errno(d, NULL, k, "cannot run hook '%s'", path);

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait_ms = 1000, n;
		pid_t w;

		if (deadline) {
			long left = deadline - now_ms();

			if (left <= 0) {
				timed_out = true;
				break;
			}
			if (left < wait_ms)
				wait_ms = (int) left;
		}
		n = poll(&pfd, 1, wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			char buf[4096];
			ssize_t got = read(fd, buf, sizeof(buf));

			if (got <= 0)
				break; /* EOF: the hook (and its children) closed stderr */
			tail_add(&tail, buf, (size_t) got);
			if (!r->quiet)
				(void) !fwrite(buf, 1, (size_t) got, stderr);
			continue;
		}
		/* quiet for a second: the hook may have exited leaving a child holding stderr */
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			exited = true;
			break;
		}
	}
	close(fd);
	if (timed_out)
		(void) kill(-pid, SIGKILL); /* the whole group: a hook's children die with it */
	while (!exited && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		strbuf_release(&tail);
		return 0;
	}

	if (timed_out)
		diag_error(d, NULL, "hook '%s' timed out after %us, killed", path, r->timeout_s);
	else if (WIFSIGNALED(status))
		diag_error(d, NULL, "hook '%s' killed by signal %d", path, WTERMSIG(status));
	else
		diag_error(d, NULL, "hook '%s' failed with exit status %d", path,
			   WEXITSTATUS(status));
	if (tail.len) {
		/* the last few lines, as notes under the error */
		const char *s = strbuf_str(&tail), *p = s + tail.len;
		int lines = 0;

		while (p > s && lines < 6)
			if (*--p == '\n' && p + 1 < s + tail.len)
				lines++;
		if (*p == '\n')
			p++;
		for (const char *l = p; *l;) {
			size_t len = strcspn(l, "\n");

			diag_add(d, DIAG_NOTE, NULL, "hook stderr: %.*s", (int) len, l);
			l += len + (l[len] == '\n');
		}
	}
	if (fail) {
		*fail = (struct hook_failure){
			.hook = strdup(path),
			.exit_status = !timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			.signal = !timed_out && WIFSIGNALED(status) ? WTERMSIG(status)
								    : (timed_out ? SIGKILL : 0),
			.timed_out = timed_out,
			.stderr_tail = strbuf_detach(&tail),
		};
	}
	strbuf_release(&tail);
	return timed_out ? -ETIMEDOUT : -ECHILD;
}

int hook_run_all(const struct hook_run *r, struct diag *d, struct hook_failure *ret_fail)
{
	_cleanup_(strv_freep) char **hooks = NULL;
	_cleanup_(strv_freep) char **env = NULL;
	int k, n = 0;

	k = hook_list(r, d, &hooks);
	if (k < 0)
		return k;
	if (!hooks[0])
		return 0;
	env = build_env(r->env);
	if (!env)
		return -ENOMEM;
	for (char **h = hooks; *h; h++) {
		k = run_one(*h, r, env, d, ret_fail);
		if (k < 0)
			return k;
		n++;
	}
	return n;
}
