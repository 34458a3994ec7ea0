/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Console logs: the per-guest, per-stage path; hv_console_tail() on files written here (line
 * ends, a missing final newline, CR overwrites, escape sequences, a log larger than the read
 * window); and the copy from a console pty into the log, on a real pty pair standing in for
 * the one xenconsoled makes (xenconsoled writes the master side, provision reads the slave).
 */

#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "tests/unit/test.h"

static char dir[] = "/tmp/test-hv-console.XXXXXX";

static const char *tmp_path(const char *name)
{
	static char p[256];

	if (!strchr(dir, '/') || strstr(dir, "XXXXXX"))
		ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Write data to a fresh file and return hv_console_tail(nlines) of it. */
static char *tail_of(const char *data, size_t len, unsigned nlines)
{
	const char *p = tmp_path("log");
	char *out = NULL;

	(void) unlink(p);
	ASSERT_OK(write_file_atomic(p, data, len, 0644, true));
	ASSERT_OK(hv_console_tail(p, nlines, &out));
	return out;
}

#define ASSERT_TAIL(data, n, want)                                                                 \
	do {                                                                                       \
		char *_t = tail_of(data, sizeof(data) - 1, n);                                     \
		if (strcmp(_t, want) != 0)                                                         \
			fprintf(stderr, "tail %u of %s: got '%s'\n", n, #data, _t);                \
		ASSERT_STREQ(_t, want);                                                            \
		free(_t);                                                                          \
	} while (0)

TEST(log_path)
{
	char *p = NULL;

	ASSERT_OK(hv_console_log_path("/var/lib/provision", "web1", "install", &p));
	ASSERT_STREQ(p, "/var/lib/provision/guests/web1/console-install.log");
	free(p);
	ASSERT_ERR(hv_console_log_path("/s", "../etc", "boot", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("/s", "..", "boot", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("/s", ".hidden", "boot", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("/s", "a/b", "boot", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("/s", "", "boot", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("/s", "web1", "Boot", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("/s", "web1", "", &p), EINVAL);
	ASSERT_ERR(hv_console_log_path("", "web1", "boot", &p), EINVAL);
}

TEST(tail_lines)
{
	ASSERT_TAIL("a\nb\nc\nd\n", 2, "c\nd\n");
	ASSERT_TAIL("a\nb\nc\nd\n", 4, "a\nb\nc\nd\n");
	ASSERT_TAIL("a\nb\nc\nd\n", 10, "a\nb\nc\nd\n");
	ASSERT_TAIL("a\nb\nc\nd\n", 1, "d\n");
	ASSERT_TAIL("a\nb\nc\nd\n", 0, "");
	/* a last line without newline is a line, and gets one */
	ASSERT_TAIL("a\nb\nhalf", 2, "b\nhalf\n");
	/* empty lines count */
	ASSERT_TAIL("a\n\n\nb\n", 3, "\n\nb\n");
	ASSERT_TAIL("", 5, "");
	ASSERT_TAIL("\n", 5, "\n");
}

TEST(tail_terminal_safety)
{
	/* CR LF from the guest's tty, and a CR at the very end */
	ASSERT_TAIL("one\r\ntwo\r\n", 5, "one\ntwo\n");
	ASSERT_TAIL("one\r\ntwo\r", 5, "one\ntwo\n");
	/* a progress display: only what the terminal would finally show */
	ASSERT_TAIL("get 10%\rget 50%\rget 100%\r\ndone\n", 5, "get 100%\ndone\n");
	/* colours, cursor moves, a title (OSC) and other controls removed; tab kept */
	ASSERT_TAIL("\x1b[1;31mFAILED\x1b[0m\tx\n\x1b]0;title\aok\x1b[2K\x1b(B\x07\x01!\n", 5,
		    "FAILED\tx\nok!\n");
	/* an escape cut at the end of the file does not eat anything before it */
	ASSERT_TAIL("last\n\x1b[", 5, "last\n");
	/* NUL and DEL */
	ASSERT_TAIL("a\0b\x7f"
		    "c\n",
		    5, "abc\n");
	/* UTF-8 stays */
	ASSERT_TAIL("Grüße\n", 5, "Grüße\n");
}

TEST(tail_big_file_reads_only_the_end)
{
	_cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
	char *t;
	size_t n_lines = 0;

	/* 200000 lines of 7 bytes (1.4 MB): the window holds the last 64 KiB */
	for (unsigned i = 0; i < 200000; i++)
		strbuf_addf(&sb, "l%05u\n", i % 100000);
	strbuf_puts(&sb, "final line without newline");
	ASSERT_FALSE(sb.oom);
	{
		const char *p = tmp_path("big");

		(void) unlink(p);
		ASSERT_OK(write_file_atomic(p, sb.buf, sb.len, 0644, true));
		ASSERT_OK(hv_console_tail(p, 3, &t));
		ASSERT_STREQ(t, "l99998\nl99999\nfinal line without newline\n");
		free(t);
		/* more lines than the window holds: as many whole lines as fit, none cut */
		ASSERT_OK(hv_console_tail(p, 1000000, &t));
		for (const char *q = t; *q; q++)
			n_lines += *q == '\n';
		ASSERT_TRUE(strlen(t) <= HV_CONSOLE_TAIL_MAX);
		/* whole 7-byte lines in the window before the final 26 bytes, and the final one */
		ASSERT_EQ(n_lines, (HV_CONSOLE_TAIL_MAX - 26) / 7 + 1);
		ASSERT_EQ(strlen(t) - 27, (n_lines - 1) * 7);
		ASSERT_TRUE(t[0] == 'l' && t[6] == '\n');
		free(t);
	}
}

TEST(tail_errors)
{
	char *t = NULL;

	ASSERT_ERR(hv_console_tail(tmp_path("nonexistent"), 5, &t), ENOENT);
	ASSERT_ERR(hv_console_tail("/", 5, &t), EINVAL);
	ASSERT_NULL(t);
}

TEST(pump_pty_into_log)
{
	struct hv__console c = {.tty_fd = -1, .log_fd = -1};
	const char *log = tmp_path("pty.log");
	int master, slave;
	char name[64], *t;
	size_t big = 300 * 1024; /* more than one pump call copies */
	size_t len;
	char *data;

	(void) unlink(log);
	ASSERT_EQ(openpty(&master, &slave, name, NULL, NULL), 0);
	/* what xenconsoled does to its pty, and it keeps the slave open itself */
	{
		struct termios tio;

		ASSERT_EQ(tcgetattr(master, &tio), 0);
		cfmakeraw(&tio);
		ASSERT_EQ(tcsetattr(master, TCSANOW, &tio), 0);
	}
	ASSERT_OK(hv__console_open(&c, 7, name, log));
	ASSERT_EQ(c.domid, 7);
	ASSERT_EQ(hv__console_pump(&c), 0); /* nothing yet: would block */

	ASSERT_EQ(write(master, "Linux version 6.1\r\n", 19), 19);
	ASSERT_EQ(hv__console_pump(&c), 0);
	ASSERT_OK(read_file(log, &t, &len));
	ASSERT_STREQ(t, "Linux version 6.1\r\n"); /* the log is the raw byte stream */
	free(t);

	/* a flood: copied across several pumps, nothing lost, nothing reordered */
	data = malloc(big);
	ASSERT_NOT_NULL(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char) ('a' + i % 26);
	{
		size_t off = 0;

		while (off < big) {
			ssize_t k = write(master, data + off, big - off > 4096 ? 4096 : big - off);

			ASSERT_TRUE(k > 0);
			off += (size_t) k;
			ASSERT_TRUE(hv__console_pump(&c) >= 0);
		}
	}
	ASSERT_EQ(hv__console_pump(&c), 0);
	ASSERT_OK(read_file(log, &t, &len));
	ASSERT_EQ(len, 19 + big);
	ASSERT_EQ(memcmp(t + 19, data, big), 0);
	free(t);
	free(data);

	/* the guest's last words, read while xenconsoled still holds the pty (libxl-run.c pumps
	 * at the shutdown event and before destroying) */
	ASSERT_EQ(write(master, "\r\nreboot: Power down\r\n", 22), 22);
	ASSERT_EQ(hv__console_pump(&c), 0);
	/* the domain dies: xenconsoled closes its side (Linux then drops unread input) */
	close(slave);
	close(master);
	ASSERT_EQ(hv__console_pump(&c), 1);
	ASSERT_EQ(c.tty_fd, -1);
	ASSERT_EQ(c.log_fd, -1);
	ASSERT_EQ(hv__console_pump(&c), 1);
	hv__console_close(&c); /* idempotent */
	ASSERT_OK(hv_console_tail(log, 1, &t));
	ASSERT_STREQ(t, "reboot: Power down\n");
	free(t);
}

TEST(pump_open_errors)
{
	struct hv__console c = {.tty_fd = -1, .log_fd = -1};

	ASSERT_ERR(hv__console_open(&c, 1, "/dev/pts/nonexistent-pty", tmp_path("x.log")), ENOENT);
	ASSERT_ERR(hv__console_open(&c, 1, "/dev/null", "/nonexistent-dir/x.log"), ENOENT);
	ASSERT_EQ(c.tty_fd, -1); /* untouched */
}

TEST(cleanup)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (!strstr(dir, "XXXXXX"))
		ASSERT_EQ(system(cmd), 0);
}

TEST_MAIN()
