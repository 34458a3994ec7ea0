/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/run.h with real processes: /bin/sh scripts that print, fail, hang, fork and read. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/run.h"
#include "common/util.h"
#include "tests/unit/test.h"

#define SH(script) ((char *const[]){"sh", "-c", (script), NULL})

static bool pid_alive(pid_t pid)
{
	char path[64], *s = NULL;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	if (read_file(path, &s, NULL) < 0)
		return false;
	alive = !strstr(s, ") Z ");
	free(s);
	return alive;
}

static bool gone_soon(pid_t pid)
{
	for (int i = 0; i < 50 && pid_alive(pid); i++)
		usleep(100000);
	return !pid_alive(pid);
}

TEST(status_and_capture)
{
	struct run_child c = {.argv = SH("echo out; echo 'bad thing' >&2; exit 3"),
			      .out = {.io = RUN_PIPE, .cap = 100},
			      .err = {.io = RUN_PIPE, .cap = 100}};

	ASSERT_EQ(run_command(&c), 3);
	ASSERT_TRUE(c.exited);
	ASSERT_EQ(c.exit_code, 3);
	ASSERT_FALSE(c.timed_out);
	ASSERT_STREQ(strbuf_str(&c.out.buf), "out\n");
	ASSERT_STREQ(strbuf_str(&c.err.buf), "bad thing\n");
	ASSERT_FALSE(c.out.truncated);
	run_child_release(&c);
}

TEST(killed_by_signal)
{
	struct run_child c = {.argv = SH("kill -USR1 $$; sleep 5")};

	ASSERT_EQ(run_command(&c), 128 + SIGUSR1);
	ASSERT_EQ(c.exit_code, -1);
	ASSERT_EQ(c.signal, SIGUSR1);
	run_child_release(&c);
}

TEST(exec_failure_is_an_error_not_a_status)
{
	struct run_child c = {.argv = (char *const[]){"/nonexistent/prog", NULL}};
	struct run_child p = {.argv = (char *const[]){"no-such-program-here", NULL}};
	struct run_child x = {.argv = (char *const[]){"/etc/passwd", NULL}};
	struct run_child dir = {.argv = SH("true"), .dir = "/nonexistent"};

	ASSERT_ERR(run_command(&c), ENOENT);
	ASSERT_EQ(c.pid, 0);
	ASSERT_ERR(run_command(&p), ENOENT);
	ASSERT_ERR(run_command(&x), EACCES);
	ASSERT_ERR(run_command(&dir), ENOENT);
	run_child_release(&c);
	run_child_release(&p);
	run_child_release(&x);
	run_child_release(&dir);
}

TEST(timeout_kills_the_group)
{
	struct run_child c = {.argv = SH("sleep 300 & echo $!; sleep 300"),
			      .own_pgroup = true,
			      .timeout_ms = 300,
			      .out = {.io = RUN_PIPE, .cap = 64}};
	int64_t t0 = mono_usec();
	pid_t grandchild;

	ASSERT_EQ(run_command(&c), 128 + SIGTERM);
	ASSERT_TRUE(c.timed_out);
	ASSERT_EQ(c.signal, SIGTERM);
	ASSERT_TRUE(mono_usec() - t0 < 3000000);
	grandchild = atoi(strbuf_str(&c.out.buf));
	ASSERT_TRUE(grandchild > 0);
	ASSERT_TRUE(gone_soon(grandchild)); /* the background child died with the group */
	run_child_release(&c);
}

TEST(timeout_sigkill_after_grace)
{
	/* SIGTERM ignored (and inherited so by sleep): SIGKILL after the grace */
	struct run_child c = {.argv = SH("trap '' TERM; sleep 300 & echo $!; sleep 300"),
			      .own_pgroup = true,
			      .timeout_ms = 200,
			      .grace_ms = 300,
			      .out = {.io = RUN_PIPE, .cap = 64}};
	int64_t t0 = mono_usec();

	ASSERT_EQ(run_command(&c), 128 + SIGKILL);
	ASSERT_TRUE(c.timed_out);
	ASSERT_TRUE(mono_usec() - t0 >= 500000);
	ASSERT_TRUE(mono_usec() - t0 < 4000000);
	ASSERT_TRUE(gone_soon(atoi(strbuf_str(&c.out.buf))));
	run_child_release(&c);
}

TEST(background_grandchild_does_not_block)
{
	/* the grandchild keeps stdout open; the child itself exits at once */
	struct run_child c = {.argv = SH("sleep 5 & echo $!; echo started"),
			      .out = {.io = RUN_PIPE, .cap = 64}};
	int64_t t0 = mono_usec();

	ASSERT_EQ(run_command(&c), 0);
	ASSERT_TRUE(mono_usec() - t0 < 3000000);
	ASSERT_TRUE(strstr(strbuf_str(&c.out.buf), "started\n") != NULL);
	(void) kill(atoi(strbuf_str(&c.out.buf)), SIGKILL);
	run_child_release(&c);
}

TEST(environment_and_dir)
{
	char *add[] = {"RUN_TEST_A=new", "RUN_TEST_C=c", NULL};
	char *only[] = {"RUN_TEST_C=c", "PATH=/usr/bin:/bin", NULL};
	struct run_child c = {.argv = SH("echo \"$RUN_TEST_A $RUN_TEST_B $RUN_TEST_C $(pwd)\""),
			      .env = add,
			      .dir = "/",
			      .out = {.io = RUN_PIPE, .cap = 100}};
	struct run_child r = {.argv = SH("echo \"[$RUN_TEST_A] [$RUN_TEST_B] $RUN_TEST_C\""),
			      .env = only,
			      .env_replace = true,
			      .out = {.io = RUN_PIPE, .cap = 100}};

	ASSERT_OK(setenv("RUN_TEST_A", "old", 1));
	ASSERT_OK(setenv("RUN_TEST_B", "kept", 1));
	ASSERT_EQ(run_command(&c), 0);
	ASSERT_STREQ(strbuf_str(&c.out.buf), "new kept c /\n");
	ASSERT_EQ(run_command(&r), 0);
	ASSERT_STREQ(strbuf_str(&r.out.buf), "[] [] c\n");
	run_child_release(&c);
	run_child_release(&r);
}

static char *lines_seen[8];
static size_t n_lines;

static void on_line(struct run_child *c, const char *line)
{
	ASSERT_TRUE(c->userdata == (void *) on_line);
	if (n_lines < ELEMENTSOF(lines_seen))
		lines_seen[n_lines++] = strdup(line);
}

TEST(fd_handover)
{
	char path[] = "/tmp/run-test-XXXXXX", *text = NULL, script[128];
	int file = mkstemp(path), leak = open("/dev/null", O_RDONLY); /* not O_CLOEXEC */
	struct run_child c = {
		.argv = SH("echo 'event one' >&3; echo to-file >&5; printf 'last' >&3; echo out"),
		.extra = {{.io = RUN_PIPE, .num = 3, .on_line = on_line},
			  {.io = RUN_FD, .num = 5, .fd = file}},
		.out = {.io = RUN_PIPE, .cap = 16},
		.userdata = (void *) on_line,
	};
	struct run_child l = {.argv = SH(script)};

	ASSERT_TRUE(file >= 0 && leak >= 0);
	n_lines = 0;
	ASSERT_EQ(run_command(&c), 0);
	ASSERT_EQ(n_lines, 2);
	ASSERT_STREQ(lines_seen[0], "event one");
	ASSERT_STREQ(lines_seen[1], "last"); /* an unended last line too */
	ASSERT_STREQ(strbuf_str(&c.out.buf), "out\n");
	ASSERT_OK(read_file(path, &text, NULL));
	ASSERT_STREQ(text, "to-file\n");
	/* an fd of ours not handed over is not the child's */
	snprintf(script, sizeof(script), "test -e /proc/self/fd/%d", leak);
	ASSERT_EQ(run_command(&l), 1);
	for (size_t i = 0; i < n_lines; i++)
		free(lines_seen[i]);
	free(text);
	close(file);
	close(leak);
	unlink(path);
	run_child_release(&c);
	run_child_release(&l);
}

TEST(capture_caps)
{
	struct run_child head = {.argv = SH("seq 1 20000"), .out = {.io = RUN_PIPE, .cap = 6}};
	struct run_child tail = {.argv = SH("seq 1 20000"),
				 .out = {.io = RUN_PIPE, .cap = 10, .keep_tail = true}};
	struct run_child none = {.argv = SH("seq 1 20000"), .out = {.io = RUN_PIPE}};

	ASSERT_EQ(run_command(&head), 0);
	ASSERT_STREQ(strbuf_str(&head.out.buf), "1\n2\n3\n");
	ASSERT_TRUE(head.out.truncated);
	ASSERT_EQ(run_command(&tail), 0);
	ASSERT_STREQ(strbuf_str(&tail.out.buf), "999\n20000\n");
	ASSERT_TRUE(tail.out.truncated);
	ASSERT_EQ(run_command(&none), 0); /* read and dropped: the child is not blocked */
	ASSERT_EQ(none.out.buf.len, 0);
	run_child_release(&head);
	run_child_release(&tail);
	run_child_release(&none);
}

TEST(stdin_data)
{
	static char big[300000];
	struct run_child cat = {.argv = SH("cat"), .out = {.io = RUN_PIPE, .cap = sizeof(big)}};
	struct run_child deaf = {.argv = SH("exit 0")};

	memset(big, 'x', sizeof(big) - 1);
	big[100] = '\n';
	/* more than a pipe holds both ways: written and read in turn, no deadlock */
	cat.in = (struct run_stream){.io = RUN_PIPE, .data = big};
	ASSERT_EQ(run_command(&cat), 0);
	ASSERT_EQ(cat.out.buf.len, sizeof(big) - 1);
	ASSERT_STREQ(strbuf_str(&cat.out.buf), big);
	/* a child that reads none of it: no SIGPIPE here */
	deaf.in = (struct run_stream){.io = RUN_PIPE, .data = big};
	ASSERT_EQ(run_command(&deaf), 0);
	run_child_release(&cat);
	run_child_release(&deaf);
}

TEST(several_at_once)
{
	struct run_child c[2] = {
		{.argv = SH("sleep 0.3; echo a"), .out = {.io = RUN_PIPE, .cap = 8}},
		{.argv = SH("echo b; exit 4"), .out = {.io = RUN_PIPE, .cap = 8}},
	};
	int ended = 0, order[2], k = 0;

	ASSERT_OK(run_start(&c[0]));
	ASSERT_OK(run_start(&c[1]));
	while (ended < 2) {
		struct pollfd fds[2 * RUN_POLL_MAX];
		size_t n0 = run_poll_fds(&c[0], fds, RUN_POLL_MAX);
		size_t n1 = run_poll_fds(&c[1], fds + n0, RUN_POLL_MAX);

		ASSERT_TRUE(poll(fds, n0 + n1, 1000) >= 0);
		for (int i = 0; i < 2; i++) {
			int r;

			if (c[i].exited)
				continue;
			r = run_handle(&c[i], i ? fds + n0 : fds, i ? n1 : n0);
			ASSERT_OK(r);
			if (r == 1) {
				ended++;
				order[k++] = i;
			}
		}
	}
	ASSERT_EQ(order[0], 1);
	ASSERT_EQ(order[1], 0);
	ASSERT_EQ(run_status(&c[0]), 0);
	ASSERT_EQ(run_status(&c[1]), 4);
	ASSERT_STREQ(strbuf_str(&c[0].out.buf), "a\n");
	ASSERT_STREQ(strbuf_str(&c[1].out.buf), "b\n");
	run_child_release(&c[0]);
	run_child_release(&c[1]);
}

TEST(release_kills_a_running_child)
{
	struct run_child c = {.argv = SH("sleep 300")};
	pid_t pid;

	ASSERT_OK(run_start(&c));
	pid = c.pid;
	ASSERT_TRUE(pid_alive(pid));
	run_child_release(&c);
	ASSERT_FALSE(pid_alive(pid));
	ASSERT_TRUE(kill(pid, 0) < 0); /* reaped, not a zombie */
}

static long stat_field(pid_t pid, int field)
{
	char path[64], *s = NULL, *p;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	if (read_file(path, &s, NULL) < 0)
		return -1;
	p = strrchr(s, ')');
	for (int i = 2; p && i < field; i++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtol(p + 1, NULL, 10);
	free(s);
	return v;
}

TEST(daemonize)
{
	char path[] = "/tmp/run-daemon-XXXXXX", *text = NULL;
	int log = mkstemp(path);
	struct run_child d = {.path = "/bin/sh",
			      .argv = SH("echo \"daemon $0\"; exec sleep 30"),
			      .daemonize = true,
			      .out = {.io = RUN_FD, .fd = log}};
	struct run_child bad = {.path = "/nonexistent/relay", .argv = SH(""), .daemonize = true};
	struct run_child piped = {.argv = SH(""), .daemonize = true, .out = {.io = RUN_PIPE}};

	ASSERT_TRUE(log >= 0);
	ASSERT_OK(run_start(&d));
	ASSERT_TRUE(d.pid > 0);
	ASSERT_FALSE(d.started); /* nothing to wait for here */
	/* a session of its own (its leader the first child, gone: no terminal to get back) */
	ASSERT_TRUE(stat_field(d.pid, 6) != getsid(0));
	ASSERT_EQ(stat_field(d.pid, 6), stat_field(d.pid, 5));
	ASSERT_TRUE(stat_field(d.pid, 4) != getpid()); /* nobody's child here */
	for (int i = 0; i < 50 && (!text || !*text); i++) {
		free(text);
		text = NULL;
		usleep(20000);
		ASSERT_OK(read_file(path, &text, NULL));
	}
	ASSERT_STREQ(text, "daemon sh\n"); /* argv[0] as given, the program from .path */
	ASSERT_OK(kill(d.pid, SIGKILL));
	ASSERT_ERR(run_start(&bad), ENOENT);
	ASSERT_ERR(run_start(&piped), EINVAL);
	run_child_release(&d);
	run_child_release(&bad);
	run_child_release(&piped);
	free(text);
	close(log);
	unlink(path);
}

/* state of process pid from /proc ('Z': a zombie nobody reaps here), 0: gone */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *s;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	s = fgets(buf, sizeof(buf), f);
	fclose(f);
	s = s ? strrchr(buf, ')') : NULL;
	return s && s[1] ? s[2] : 0;
}

/* die_with_parent: a kill -9 of the caller ends the child it started (mke2fs on a LUN) */
TEST(dies_with_caller)
{
	char dir[] = "/tmp/prov-test-XXXXXX", file[64], cmd[256], *got = NULL;
	char *const argv[] = {"sh", "-c", cmd, NULL};
	pid_t caller, prog = 0;
	char st = 'R';

	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/pid", dir);
	snprintf(cmd, sizeof(cmd), "echo $$ >%s.new && mv %s.new %s && exec sleep 30", file, file,
		 file);
	caller = fork();
	ASSERT_TRUE(caller >= 0);
	if (caller == 0) {
		struct run_child c = {.argv = argv, .die_with_parent = true};

		_exit(run_command(&c));
	}
	for (int i = 0; i < 500 && !got; i++) {
		if (read_file(file, &got, NULL) < 0)
			usleep(10000);
	}
	ASSERT_NOT_NULL(got);
	prog = atoi(got);
	free(got);
	ASSERT_TRUE(prog > 0);
	/* kill -9 of the caller ends what it started */
	ASSERT_OK(kill(caller, SIGKILL));
	ASSERT_EQ(waitpid(caller, NULL, 0), caller);
	for (int i = 0; i < 500 && (st = proc_state(prog)) && st != 'Z'; i++)
		usleep(10000);
	if (st && st != 'Z')
		(void) kill(prog, SIGKILL); /* not left running after the failure */
	ASSERT_TRUE(st == 0 || st == 'Z');
	ASSERT_OK(rm_rf_at(AT_FDCWD, dir));
}

TEST_MAIN()
