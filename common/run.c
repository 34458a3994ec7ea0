/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting a child (run.h): everything the child needs is made here before fork() (argv,
 * environment, pipes), so that between fork() and exec() it only moves fds and calls
 * async-signal-safe functions. Its pipes' ends of ours are read in run-wait.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/run.h"
#include "common/util.h"
#include "run-internal.h"

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The child's environment: ours without the names env sets, then env; or env alone. */
static char **build_env(const struct run_child *c)
{
	_cleanup_(strv_freep) char **v = calloc(1, sizeof(char *));

	if (!v)
		return NULL;
	for (char **e = c->env_replace ? NULL : environ; e && *e; e++) {
		size_t klen = strcspn(*e, "=");
		bool replaced = false;

		for (char *const *x = c->env; x && *x; x++)
			if (strncmp(*x, *e, klen) == 0 && (*x)[klen] == '=')
				replaced = true;
		if (!replaced && strv_push(&v, *e) < 0)
			return NULL;
	}
	for (char *const *x = c->env; x && *x; x++)
		if (strv_push(&v, *x) < 0)
			return NULL;
	return TAKE_PTR(v);
}

/* One fd for the child: ours (src, -1: /dev/null) to become its number dst. */
struct fd_move {
	int src, dst;
};

struct plan {
	struct fd_move mv[3 + RUN_EXTRA_MAX];
	size_t n;
	int null_fd, err_fd;
	char **env;
};

static int stream_setup(struct run_stream *s, int dst, bool input, struct plan *pl,
			int child_ends[])
{
	int p[2];

	s->pipe = -1;
	s->off = 0;
	switch (s->io) {
	case RUN_INHERIT:
		if (dst > 2)
			return -EINVAL;
		return 0;
	case RUN_NULL:
		if (dst > 2)
			return 0;
		pl->mv[pl->n++] = (struct fd_move){-1, dst};
		return 0;
	case RUN_FD:
		if (s->fd < 0)
			return -EBADF;
		pl->mv[pl->n++] = (struct fd_move){s->fd, dst};
		return 0;
	case RUN_PIPE:
		if (pipe2(p, O_CLOEXEC) < 0)
			return negative_errno();
		s->pipe = input ? p[1] : p[0];
		child_ends[pl->n] = input ? p[0] : p[1];
		(void) fcntl(s->pipe, F_SETFL, O_NONBLOCK);
		pl->mv[pl->n] = (struct fd_move){child_ends[pl->n], dst};
		pl->n++;
		return 0;
	}
	return -EINVAL;
}

/* In the child: the fds in place, every other one closed at exec. Returns: 0 or errno. */
static int child_fds(const struct plan *pl)
{
	int high[3 + RUN_EXTRA_MAX], top = 2;

	for (size_t i = 0; i < pl->n; i++)
		top = pl->mv[i].dst > top ? pl->mv[i].dst : top;
	/* first out of the way of every target, then onto the targets */
	for (size_t i = 0; i < pl->n; i++) {
		high[i] = fcntl(pl->mv[i].src >= 0 ? pl->mv[i].src : pl->null_fd, F_DUPFD_CLOEXEC,
				top + 1);
		if (high[i] < 0)
			return errno;
	}
	for (size_t i = 0; i < pl->n; i++)
		if (dup2(high[i], pl->mv[i].dst) < 0)
			return errno;
	/* fds we did not hand over (inherited without O_CLOEXEC) go at exec */
	for (int fd = 3; fd <= top + 1; fd++) {
		bool kept = false;

		for (size_t i = 0; i < pl->n; i++)
			kept = kept || pl->mv[i].dst == fd;
		if (!kept && fd <= top)
			(void) fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	(void) syscall(SYS_close_range, top + 1, ~0U, CLOSE_RANGE_CLOEXEC);
	return 0;
}

static void child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	(void) sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void) signal(sig, SIG_DFL);
}

/*
 * What the children say on the close-on-exec pipe, a record each (atomic: smaller than
 * PIPE_BUF). With daemonize two processes write to it in no fixed order: the first child the
 * grandchild's pid, the grandchild its exec's errno (which can come first).
 */
enum { VERDICT_PID = 1, VERDICT_ERRNO = 2 };
struct verdict {
	int kind;
	int value;
};

static _noreturn_ void child_fail(int fd, int err)
{
	struct verdict v = {VERDICT_ERRNO, err};

	(void) !write(fd, &v, sizeof(v));
	_exit(127);
}

static _noreturn_ void child_exec(const struct run_child *c, const struct plan *pl, int err_fd)
{
	int e = child_fds(pl);

	if (e)
		child_fail(err_fd, e);
	if (c->dir && chdir(c->dir) < 0)
		child_fail(err_fd, errno);
	const char *path = c->path ? c->path : c->argv[0];

	if (strchr(path, '/'))
		execve(path, c->argv, pl->env);
	else
		execvpe(path, c->argv, pl->env);
	child_fail(err_fd, errno);
}

/* After fork(), in the child. */
static _noreturn_ void child_main(const struct run_child *c, const struct plan *pl, int err_fd,
				  pid_t parent)
{
	child_signals();
	/* the parent may have died before prctl(): then getppid() is no longer it */
	if (c->die_with_parent && !c->daemonize &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(127);
	if (c->daemonize) {
		pid_t pid;

		if (setsid() < 0)
			child_fail(err_fd, errno);
		(void) signal(SIGHUP, SIG_IGN);
		pid = fork();
		if (pid < 0)
			child_fail(err_fd, errno);
		if (pid > 0) {
			struct verdict v = {VERDICT_PID, (int) pid};

			(void) !write(err_fd, &v, sizeof(v));
			_exit(0);
		}
	} else if (c->own_pgroup) {
		(void) setpgid(0, 0);
	}
	child_exec(c, pl, err_fd);
}

/* Read exec's verdict from the close-on-exec pipe, up to its end. Returns: 0 or -errno. */
static int read_verdict(struct run_child *c, int fd)
{
	bool have_pid = false;
	int err = 0;

	for (;;) {
		struct verdict v;
		size_t got = 0;
		ssize_t k;

		while (got < sizeof(v)) {
			k = read(fd, (char *) &v + got, sizeof(v) - got);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t) k;
		}
		if (got < sizeof(v))
			break;
		if (v.kind == VERDICT_PID) {
			c->pid = (pid_t) v.value;
			have_pid = true;
		} else {
			err = v.value;
		}
	}
	if (c->daemonize && !have_pid)
		return err ? -err : -ECHILD; /* the first child failed before forking */
	return -err;
}

static void plan_release(struct plan *pl, int child_ends[])
{
	for (size_t i = 0; i < ELEMENTSOF(pl->mv); i++)
		if (child_ends[i] >= 0)
			close(child_ends[i]);
	if (pl->null_fd >= 0)
		close(pl->null_fd);
	if (pl->err_fd >= 0)
		close(pl->err_fd);
	strv_free(pl->env);
}

static int streams_setup(struct run_child *c, struct plan *pl, int child_ends[])
{
	struct run_stream *std[3] = {&c->in, &c->out, &c->err};
	int r;

	for (int i = 0; i < 3; i++) {
		r = stream_setup(std[i], i, i == 0, pl, child_ends);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < RUN_EXTRA_MAX; i++) {
		struct run_stream *s = &c->extra[i];

		if (s->io == RUN_NULL)
			continue;
		if (s->num < 3 || s->num > 255)
			return -EINVAL;
		r = stream_setup(s, s->num, false, pl, child_ends);
		if (r < 0)
			return r;
	}
	return 0;
}

static int start_fork(struct run_child *c, struct plan *pl, int child_ends[])
{
	pid_t pid, parent = getpid();
	int p[2], r, status;

	if (pipe2(p, O_CLOEXEC) < 0)
		return negative_errno();
	pl->err_fd = p[0];
	pid = fork();
	if (pid < 0) {
		r = negative_errno();
		close(p[1]);
		return r;
	}
	if (pid == 0)
		child_main(c, pl, p[1], parent);
	close(p[1]);
	if (c->own_pgroup && !c->daemonize)
		(void) setpgid(pid, pid); /* here too: no window where a kill misses the group */
	c->pid = pid;
	r = read_verdict(c, pl->err_fd);
	if (r < 0 || c->daemonize) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (r < 0)
			c->pid = 0;
		return r;
	}
	c->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd >= 0)
		(void) fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int run_start(struct run_child *c)
{
	int child_ends[3 + RUN_EXTRA_MAX];
	struct plan pl = {.null_fd = -1, .err_fd = -1};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(child_ends); i++)
		child_ends[i] = -1;
	c->pid = 0;
	c->exited = c->timed_out = c->started = c->term_sent = c->kill_sent = false;
	c->exit_code = -1;
	c->signal = 0;
	c->pidfd = -1;
	c->prepared = true;
	c->in.pipe = c->out.pipe = c->err.pipe = -1;
	for (size_t i = 0; i < RUN_EXTRA_MAX; i++)
		c->extra[i].pipe = -1;
	if (!c->argv || !c->argv[0])
		return -EINVAL;
	pl.env = build_env(c);
	pl.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!pl.env || pl.null_fd < 0) {
		r = pl.env ? negative_errno() : -ENOMEM;
		goto out;
	}
	r = streams_setup(c, &pl, child_ends);
	if (r >= 0 && c->daemonize)
		for (size_t i = 0; i < RUN_EXTRA_MAX + 3 && r >= 0; i++)
			if (child_ends[i] >= 0)
				r = -EINVAL; /* nobody here would read a daemon's pipe */
	if (r >= 0) {
		fflush(NULL); /* nothing buffered here is written twice */
		r = start_fork(c, &pl, child_ends);
	}
out:
	plan_release(&pl, child_ends);
	if (r < 0) {
		run__close_pipes(c);
		return r;
	}
	c->started = !c->daemonize;
	if (c->timeout_ms)
		c->deadline = mono_usec() + (int64_t) c->timeout_ms * 1000;
	if (c->in.pipe >= 0 && !c->in.data)
		run__close(c, &c->in);
	return 0;
}
