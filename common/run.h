/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Run a program: the one way provision starts a child process (git's run-command.h
 * `struct child_process`). From an argv, never through a shell; with our environment plus
 * additions (or a whole new one), a working directory, a process group of its own (so that a
 * timeout ends the child's children too), a timeout (SIGTERM, then SIGKILL after a grace),
 * stdin/stdout/stderr each from /dev/null, ours, a given fd or a pipe (stdin: a buffer written
 * to it; an output: captured into a buffer with a cap, and/or handed to a callback as it comes,
 * in chunks or lines), and extra fds at given numbers. run_start() returns once the program
 * is executing, or with the reason it could not be (exec's errno, reported back through a
 * close-on-exec pipe): -ENOENT is "no such program", not an exit status 127.
 *
 *	struct run_child c = {.argv = argv, .err = {.io = RUN_PIPE, .cap = 4096}};
 *	r = run_command(&c);    // exit status, 128 + signal, or -errno
 *	... strbuf_str(&c.err.buf) ...
 *	run_child_release(&c);
 *
 * Several children at once: run_start() each, then poll() what run_poll_fds() gives, hand
 * the result to run_handle() (which also enforces the timeout) until it returns 1.
 *
 * A child is reaped with waitpid() on its own pid only (libxl's
 * libxl_sigchld_owner_libxl_always_selective_reap mode expects this of the application). Its
 * end is seen through a pidfd, not SIGCHLD, and not the end of its output: a background
 * grandchild holding stdout open does not keep the caller waiting.
 *
 * daemonize: two forks and a session of its own, so the program is nobody's child here (no
 * zombie, nothing for anyone's reaping to see); run_start() returns once it is executing,
 * with its pid in c->pid; nothing else is tracked (its outputs must be RUN_NULL or RUN_FD).
 */

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/strbuf.h"

enum run_io {
	RUN_NULL,    /* /dev/null (the default); an extra fd: none */
	RUN_INHERIT, /* stdin/stdout/stderr: ours */
	RUN_FD,	     /* .fd (ours, not closed here), given to the child at its number */
	RUN_PIPE,    /* stdin: .data written to it; an output: read here (buf, callbacks) */
};

struct run_child;
typedef void (*run_data_fn)(struct run_child *c, const char *buf, size_t n);
typedef void (*run_line_fn)(struct run_child *c, const char *line);

/* A line longer than this is cut (the rest of it dropped) before on_line sees it. */
#define RUN_LINE_MAX (64u << 10)

struct run_stream {
	enum run_io io;
	int num;	     /* extra fds only: the child's fd number (>= 3) */
	int fd;		     /* RUN_FD */
	const char *data;    /* stdin, RUN_PIPE: written to the child, then closed; NULL: none */
	size_t cap;	     /* an output, RUN_PIPE: keep at most cap bytes in buf (0: none) */
	bool keep_tail;	     /* keep the last cap bytes, not the first */
	run_data_fn on_data; /* each chunk as it comes */
	run_line_fn on_line; /* each line, without its '\n' (an unended last line too) */
	/* results */
	struct strbuf buf;
	bool truncated; /* more came than cap */
	/* private */
	int pipe;
	size_t off;
	struct strbuf line;
	bool line_cut;
};

#define RUN_EXTRA_MAX 4
#define RUN_POLL_MAX  (3 + RUN_EXTRA_MAX + 1)
#define RUN_GRACE_MS  3000

struct run_child {
	const char *path;  /* the program: a path, or a name looked up in PATH; NULL: argv[0] */
	char *const *argv; /* argv[0] is what the program sees as its name */
	char *const *env;  /* "NAME=value" added to ours (replacing a same NAME); NULL: none */
	bool env_replace;  /* env is the whole environment */
	const char *dir;   /* working directory; NULL: ours */
	bool own_pgroup;   /* a process group of its own: signals go to the whole group */
	bool daemonize;	   /* see above */
	/*
	 * The child is killed (SIGKILL) when we die, even by SIGKILL (PR_SET_PDEATHSIG): a
	 * provision killed while mke2fs writes a LUN leaves nothing writing on it. Not with
	 * daemonize.
	 */
	bool die_with_parent;
	unsigned timeout_ms; /* 0: none; else SIGTERM to the child (its group), then SIGKILL */
	unsigned grace_ms;   /* between the two; 0: RUN_GRACE_MS */
	struct run_stream in, out, err;
	struct run_stream extra[RUN_EXTRA_MAX]; /* RUN_FD, or RUN_PIPE (the child writes) */
	void *userdata;				/* for the callbacks */
	/* results, once run_handle() returned 1 (or run_wait() 0) */
	pid_t pid;
	bool exited;
	int exit_code; /* >= 0: its exit status; -1: killed by a signal */
	int signal;    /* the signal that killed it */
	bool timed_out;
	/* private */
	bool prepared, started, term_sent, kill_sent;
	int pidfd;
	int64_t deadline, kill_at; /* mono_usec() */
};

/*
 * Start c. Returns: 0, or -errno (nothing left running): -ENOENT no such program, -EACCES,
 * -EINVAL (a bad stream), the errno of a failed chdir.
 */
int run_start(struct run_child *c);

/*
 * The fds to poll for c (at most RUN_POLL_MAX, into fds): its pipes and its pidfd.
 * Returns: how many.
 */
size_t run_poll_fds(const struct run_child *c, struct pollfd *fds, size_t n);

/* How long a poll() for c may wait at most, in ms (its timeout, the grace): max_ms or less. */
int run_poll_timeout(const struct run_child *c, int max_ms);

/*
 * Read what poll found on c's fds (fds/n as run_poll_fds() filled them; NULL: look at every
 * pipe), signal c when its time is up, and see whether it ended (then drain its pipes, reap
 * it and set the results). Returns: 1 ended, 0 still running, < 0 -errno.
 */
int run_handle(struct run_child *c, const struct pollfd *fds, size_t n);

/* Wait for c to end, feeding its pipes. Returns: 0 (results in c), or -errno. */
int run_wait(struct run_child *c);

/* Send sig to c (its group with own_pgroup). Returns: 0 or -errno. */
int run_kill(struct run_child *c, int sig);

/* A shell's view of how c ended: its exit status, or 128 + the signal. */
int run_status(const struct run_child *c);

/* run_start() and run_wait(). Returns: run_status(), or -errno when it could not run. */
int run_command(struct run_child *c);

/*
 * Free the buffers and close the pipes; a child still running is killed (SIGKILL) and reaped.
 * Accepts a child never started.
 */
void run_child_release(struct run_child *c);
