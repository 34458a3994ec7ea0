/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A running child (run.h): its pipes fed and read, its timeout, its end. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/run.h"
#include "common/util.h"
#include "run-internal.h"

/* Keep what fits of buf in s->buf: the first cap bytes, or the last ones. */
static void keep(struct run_stream *s, const char *buf, size_t n)
{
	if (!s->cap)
		return;
	if (!s->keep_tail) {
		size_t room = s->cap > s->buf.len ? s->cap - s->buf.len : 0;

		s->truncated = s->truncated || n > room;
		strbuf_add(&s->buf, buf, n < room ? n : room);
		return;
	}
	strbuf_add(&s->buf, buf, n);
	if (s->buf.len > s->cap)
		s->truncated = true;
	if (s->buf.len > 2 * s->cap && !s->buf.oom) {
		memmove(s->buf.buf, s->buf.buf + s->buf.len - s->cap, s->cap + 1);
		s->buf.len = s->cap;
	}
}

static void lines(struct run_child *c, struct run_stream *s, const char *buf, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t len = nl ? (size_t) (nl - buf) : n;
		size_t room = RUN_LINE_MAX - s->line.len;

		if (len > room)
			s->line_cut = true;
		strbuf_add(&s->line, buf, len < room ? len : room);
		if (!nl)
			return;
		s->on_line(c, strbuf_str(&s->line));
		strbuf_reset(&s->line);
		s->line_cut = false;
		buf = nl + 1;
		n -= len + 1;
	}
}

void run__close(struct run_child *c, struct run_stream *s)
{
	if (s->pipe < 0)
		return;
	close(s->pipe);
	s->pipe = -1;
	if (s->on_line && s->line.len)
		s->on_line(c, strbuf_str(&s->line));
	strbuf_reset(&s->line);
	if (s->keep_tail && s->buf.len > s->cap) {
		memmove(s->buf.buf, s->buf.buf + s->buf.len - s->cap, s->cap + 1);
		s->buf.len = s->cap;
	}
}

static struct run_stream *stream(struct run_child *c, size_t i)
{
	return i == 0 ? &c->in : i == 1 ? &c->out : i == 2 ? &c->err : &c->extra[i - 3];
}

void run__close_pipes(struct run_child *c)
{
	for (size_t i = 0; i < 3 + RUN_EXTRA_MAX; i++)
		run__close(c, stream(c, i));
}

/* Read what is there (at most max reads); at the end of it close the pipe. */
static void out_read(struct run_child *c, struct run_stream *s, int max)
{
	char buf[4096];

	for (int i = 0; i < max && s->pipe >= 0; i++) {
		ssize_t k = read(s->pipe, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		if (k <= 0) {
			run__close(c, s);
			return;
		}
		keep(s, buf, (size_t) k);
		if (s->on_data)
			s->on_data(c, buf, (size_t) k);
		if (s->on_line)
			lines(c, s, buf, (size_t) k);
	}
}

/* Write more of stdin's data; a child that stopped reading (EPIPE) ends it, no SIGPIPE here. */
static void in_write(struct run_child *c)
{
	struct run_stream *s = &c->in;
	size_t len = strlen(s->data);
	sigset_t pipe_set, old;
	ssize_t k;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	(void) pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (s->off < len) {
		k = write(s->pipe, s->data + s->off, len - s->off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		s->off += (size_t) k;
	}
	if (s->off >= len || errno != EAGAIN) {
		int e = errno;

		if (s->off < len && e == EPIPE) {
			struct timespec zero = {0};

			(void) sigtimedwait(&pipe_set, NULL, &zero); /* ours, not pending after */
		}
		run__close(c, s);
	}
	(void) pthread_sigmask(SIG_SETMASK, &old, NULL);
}

size_t run_poll_fds(const struct run_child *c, struct pollfd *fds, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < 3 + RUN_EXTRA_MAX && k < n; i++) {
		const struct run_stream *s = stream((struct run_child *) c, i);

		if (s->pipe >= 0)
			fds[k++] = (struct pollfd){.fd = s->pipe, .events = i ? POLLIN : POLLOUT};
	}
	if (c->started && c->pidfd >= 0 && k < n)
		fds[k++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
	return k;
}

int run_poll_timeout(const struct run_child *c, int max_ms)
{
	int64_t now = mono_usec(), at = 0;

	if (!c->started)
		return 0;
	if (c->deadline && !c->term_sent)
		at = c->deadline;
	else if (c->term_sent && !c->kill_sent)
		at = c->kill_at;
	if (at) {
		int64_t left = at > now ? (at - now + 999) / 1000 : 0;

		if (max_ms < 0 || left < max_ms)
			max_ms = (int) left;
	}
	/* without a pidfd, the child's end is looked for every 100 ms */
	if (c->pidfd < 0 && (max_ms < 0 || max_ms > 100))
		max_ms = 100;
	return max_ms;
}

int run_kill(struct run_child *c, int sig)
{
	if (!c->started)
		return -ESRCH;
	return kill(c->own_pgroup ? -c->pid : c->pid, sig) < 0 ? negative_errno() : 0;
}

static void check_time(struct run_child *c)
{
	int64_t now = mono_usec();

	if (c->deadline && !c->term_sent && now >= c->deadline) {
		(void) run_kill(c, SIGTERM);
		c->term_sent = c->timed_out = true;
		c->kill_at = now + (int64_t) (c->grace_ms ? c->grace_ms : RUN_GRACE_MS) * 1000;
	}
	if (c->term_sent && !c->kill_sent && now >= c->kill_at) {
		(void) run_kill(c, SIGKILL);
		c->kill_sent = true;
	}
}

/* c ended (not reaped yet): what it left in its pipes, then its status. */
static int finish(struct run_child *c)
{
	int status;

	/* still a zombie: its group id cannot be anyone else's yet */
	if (c->timed_out)
		(void) run_kill(c, SIGKILL);
	for (size_t i = 1; i < 3 + RUN_EXTRA_MAX; i++)
		out_read(c, stream(c, i), 64);
	run__close_pipes(c);
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->started = false;
	c->exited = true;
	c->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	c->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 1;
}

int run_handle(struct run_child *c, const struct pollfd *fds, size_t n)
{
	siginfo_t si;

	if (!c->started)
		return c->exited ? 1 : -ECHILD;
	for (size_t i = 0; i < 3 + RUN_EXTRA_MAX; i++) {
		struct run_stream *s = stream(c, i);
		bool ready = !fds;

		for (size_t j = 0; fds && j < n && s->pipe >= 0; j++)
			ready = ready || (fds[j].fd == s->pipe && fds[j].revents);
		if (!ready || s->pipe < 0)
			continue;
		if (i == 0)
			in_write(c);
		else
			out_read(c, s, 16);
	}
	check_time(c);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t) c->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return negative_errno();
	return si.si_pid == c->pid ? finish(c) : 0;
}

int run_wait(struct run_child *c)
{
	for (;;) {
		struct pollfd fds[RUN_POLL_MAX];
		size_t n = run_poll_fds(c, fds, ELEMENTSOF(fds));
		int r;

		if (poll(fds, n, run_poll_timeout(c, 1000)) < 0 && errno != EINTR)
			return negative_errno();
		r = run_handle(c, fds, n);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

int run_status(const struct run_child *c)
{
	return c->exit_code >= 0 ? c->exit_code : 128 + c->signal;
}

int run_command(struct run_child *c)
{
	int r = run_start(c);

	if (r >= 0)
		r = run_wait(c);
	return r < 0 ? r : run_status(c);
}

void run_child_release(struct run_child *c)
{
	if (!c->prepared)
		goto buffers;
	if (c->started) {
		(void) run_kill(c, SIGKILL);
		(void) finish(c);
	}
	run__close_pipes(c);
buffers:
	for (size_t i = 0; i < 3 + RUN_EXTRA_MAX; i++) {
		strbuf_release(&stream(c, i)->buf);
		strbuf_release(&stream(c, i)->line);
	}
}
