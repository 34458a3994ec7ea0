/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Guest consoles: where each guest's console is logged, copying the console pty to that log,
 * and reading back the end of a log for an error message. Plain file code, no libxl.
 *
 * Why provision reads the pty itself rather than using xenconsoled's own log
 * (XENCONSOLED_ARGS=--log=guest, /var/log/xen/console/guest-NAME.log):
 * - the daemon's log is a Dom0-wide setting that a site may not have (Debian's default is
 *   off) and that provision should not change behind the admin's back;
 * - it is one file per domain name, appended across every boot of the guest, while the
 *   pipeline wants one file per guest and stage (install and boot are different kernels);
 * - with the pty opened after libxl_domain_create_new() and before the domain is unpaused,
 *   the log holds everything from the guest's first byte.
 * The cost: the console is only copied while provision waits on the domain (it does, for the
 * whole of a stage), and an admin running `xl console NAME` at the same time takes some of the
 * output away from the log (both read the same pty): tail the log file instead. Linux drops
 * unread pty input when xenconsoled closes its side (when the domain dies), so libxl-run.c
 * reads the console at the shutdown event and before it destroys a domain. Where xenconsoled
 * logs too, its file is an independent record of the same bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"

#define PUMP_MAX (256 * 1024) /* bytes copied per pump call: a chatty guest cannot starve us */

int hv_console_log_path(const char *state_dir, const char *name, const char *stage, char **ret)
{
	char *p;

	if (!state_dir || !*state_dir || !hv__name_valid(name) || name[0] == '.' || !stage ||
	    !*stage || strspn(stage, "abcdefghijklmnopqrstuvwxyz") != strlen(stage))
		return -EINVAL;
	if (asprintf(&p, "%s/guests/%s/console-%s.log", state_dir, name, stage) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

/* Skip an escape sequence starting at s[i] == ESC; returns the index after it. */
static size_t skip_escape(const char *s, size_t i, size_t len)
{
	i++;
	if (i >= len)
		return i;
	if (s[i] == '[') { /* CSI: parameters and intermediates, then a final byte @..~ */
		for (i++; i < len; i++)
			if (s[i] >= 0x40 && s[i] <= 0x7e)
				return i + 1;
		return i;
	}
	if (s[i] == ']') { /* OSC: up to BEL or ESC \ */
		for (i++; i < len; i++) {
			if (s[i] == '\a')
				return i + 1;
			if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\')
				return i + 2;
		}
		return i;
	}
	/* nF (ESC ( B: character sets), then Fp/Fe/Fs: intermediates 0x20-0x2f, one final */
	while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
		i++;
	return i < len ? i + 1 : i;
}

/* The printable text of s[0..len): see hv_console_tail(). */
static void sanitize(const char *s, size_t len, struct strbuf *out)
{
	size_t line_start = out->len;

	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char) s[i];

		if (ch == 0x1b) {
			i = skip_escape(s, i, len);
			continue;
		}
		i++;
		if (ch == '\n') {
			strbuf_putc(out, '\n');
			line_start = out->len;
		} else if (ch == '\r') {
			/* CR LF (or a CR at the end) ends a line; a lone CR rewinds it */
			if (i < len && s[i] != '\n' && s[i] != '\r' && out->buf) {
				out->len = line_start;
				out->buf[out->len] = '\0';
			}
		} else if (ch == '\t' || (ch >= 0x20 && ch != 0x7f)) {
			strbuf_putc(out, (char) ch);
		}
	}
}

static int read_end(const char *path, char **ret, size_t *ret_len, bool *ret_cut)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	off_t off;
	size_t len, n = 0;

	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	off = st.st_size > HV_CONSOLE_TAIL_MAX ? st.st_size - HV_CONSOLE_TAIL_MAX : 0;
	len = (size_t) (st.st_size - off);
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	while (n < len) {
		ssize_t k = pread(fd, buf + n, len - n, off + (off_t) n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0) /* truncated meanwhile */
			break;
		n += (size_t) k;
	}
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = n;
	*ret_cut = off > 0;
	return 0;
}

int hv_console_tail(const char *path, unsigned nlines, char **ret)
{
	_cleanup_(freep) char *raw = NULL;
	_cleanup_(strbuf_releasep) struct strbuf text = STRBUF_INIT;
	const char *start, *p;
	size_t len;
	bool cut;
	unsigned n;
	int r;

	r = read_end(path, &raw, &len, &cut);
	if (r < 0)
		return r;
	start = raw;
	if (cut) { /* the first line began before the window: leave it out */
		const char *nl = memchr(raw, '\n', len);

		start = nl ? nl + 1 : raw + len;
	}
	if (nlines > 0)
		sanitize(start, len - (size_t) (start - raw), &text);
	if (text.len > 0 && text.buf[text.len - 1] != '\n')
		strbuf_putc(&text, '\n');
	if (text.oom)
		return -ENOMEM;

	/* walk back over nlines line ends (the last one closes the last line) */
	p = strbuf_str(&text) + text.len;
	for (n = 0; p > strbuf_str(&text) && n <= nlines; p--)
		if (p[-1] == '\n' && ++n == nlines + 1)
			break;
	*ret = strdup(p);
	return *ret ? 0 : -ENOMEM;
}

int hv__console_open(struct hv__console *c, uint32_t domid, const char *tty, const char *log_path)
{
	int tty_fd, log_fd;

	tty_fd = open(tty, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (tty_fd < 0)
		return -errno;
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (log_fd < 0) {
		int r = -errno;

		close(tty_fd);
		return r;
	}
	*c = (struct hv__console){.domid = domid, .tty_fd = tty_fd, .log_fd = log_fd};
	return 0;
}

static void console_end(struct hv__console *c)
{
	if (c->tty_fd >= 0)
		close(c->tty_fd);
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->tty_fd = c->log_fd = -1;
}

int hv__console_pump(struct hv__console *c)
{
	char buf[4096];
	size_t total = 0;

	if (c->tty_fd < 0)
		return 1;
	while (total < PUMP_MAX) {
		ssize_t k = read(c->tty_fd, buf, sizeof(buf));
		int r;

		if (k > 0) {
			r = write_all(c->log_fd, buf, (size_t) k);
			if (r < 0)
				return r;
			total += (size_t) k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return 0;
		/* EOF or EIO: xenconsoled closed the pty's other side, the domain is gone */
		console_end(c);
		return 1;
	}
	return 0;
}

void hv__console_close(struct hv__console *c)
{
	if (c->tty_fd >= 0)
		(void) hv__console_pump(c);
	console_end(c);
}
