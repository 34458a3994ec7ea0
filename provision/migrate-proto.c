/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration handshake, both halves (migrate.h, doc/migrate.md). Plain file descriptors
 * and struct hv_ops: tests/unit/test-provision-migrate.c runs both halves against the
 * hypervisor double over a socketpair, with the transport cut where a real one can break.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "migrate.h"

static const char *const step_names[_MIGRATE_STEP_MAX] = {
	[MIGRATE_STEP_NONE] = "none",	    [MIGRATE_STEP_HELLO] = "hello",
	[MIGRATE_STEP_STREAM] = "stream",   [MIGRATE_STEP_RESTORE] = "restore",
	[MIGRATE_STEP_GO] = "go",	    [MIGRATE_STEP_START] = "start",
	[MIGRATE_STEP_CLEANUP] = "cleanup", [MIGRATE_STEP_RECORD] = "record",
};

DEFINE_STRING_TABLE_TO(prov_migrate_step, enum prov_migrate_step, step_names)

#define LINE_MAX_ 512

int prov_migrate_read_line(int fd, int timeout_ms, char buf[static LINE_MAX_])
{
	int64_t deadline = mono_usec() + (int64_t) timeout_ms * 1000;
	size_t n = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = (deadline - mono_usec()) / 1000;
		ssize_t k;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int) left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		k = read(fd, buf + n, 1);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		if (k == 0)
			return -EPIPE;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		if (++n >= LINE_MAX_ - 1)
			return -EPROTO;
	}
}

int prov_migrate_write_line(int fd, const char *fmt, ...)
{
	_cleanup_(freep) char *line = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (k < 0) {
		line = NULL;
		return -ENOMEM;
	}
	line[strcspn(line, "\n")] = '\0'; /* a reason with a newline stays one line */
	k = (int) strlen(line);
	line[k] = '\n';
	return write_all(fd, line, (size_t) k + 1);
}

static int ms(int v, int def)
{
	return v > 0 ? v : def;
}

/* "WORD REST": REST when line starts with word and a space (or is word), else NULL. */
static const char *after(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) != 0 || (line[n] && line[n] != ' '))
		return NULL;
	return line[n] ? line + n + 1 : line + n;
}

/* ---- the source ---------------------------------------------------------------------------- */

/* What the target said instead of the line we waited for, or why there was none. */
static int peer_fail(struct diag *d, const struct prov_migrate_send *m, int r, const char *line,
		     const char *waited)
{
	const char *why;

	if (r == -EPIPE)
		return diag_error(d, NULL, "Dom0 '%s' closed the migration stream before %s", m->to,
				  waited);
	if (r == -ETIMEDOUT)
		return diag_error_errno(d, NULL, r, "Dom0 '%s' did not answer %s in time", m->to,
					waited);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot read %s from Dom0 '%s'", waited, m->to);
	why = after(line, "failed");
	if (!why)
		why = after(line, PROV_MIGRATE_PROTO " refused");
	if (why)
		return diag_error(d, NULL, "Dom0 '%s' refused at %s: %s", m->to, waited, why);
	return diag_error(d, NULL, "Dom0 '%s' sent '%s' instead of %s", m->to, line, waited);
}

/* Before the commit: the guest runs here again. */
static int stop_before_commit(struct prov_migrate_send *m, enum prov_migrate_step at,
			      bool suspended, int r, struct diag *d)
{
	m->stopped_at = at;
	if (!suspended)
		return r;
	if (m->hv->resume(m->h, m->domid, d) < 0) {
		diag_add(d, DIAG_ERROR, NULL,
			 "guest '%s' stays suspended on this Dom0 (domain %u): 'xl unpause' or "
			 "'xl destroy' it by hand",
			 m->name, m->domid);
		return r;
	}
	m->resumed = true;
	return r;
}

/* "go" given: the target's word on it. Returns: 0 (moved), or < 0. */
static int send_after_go(struct prov_migrate_send *m, struct diag *d)
{
	char line[LINE_MAX_];
	const char *v;
	int r;
	const char *waited = "'running'";

	r = prov_migrate_read_line(m->fd, ms(m->t.running_ms, 120000), line);
	if (r >= 0 && (v = after(line, "running"))) {
		m->moved = true;
		m->target_domid = (uint32_t) strtoul(v, NULL, 10);
		return 0;
	}
	if (r >= 0 && after(line, "failed")) {
		peer_fail(d, m, r, line, waited);
		/* it destroys its copy, then says so: only then may ours run again */
		waited = "'destroyed'";
		r = prov_migrate_read_line(m->fd, ms(m->t.running_ms, 120000), line);
		if (r >= 0 && streq(line, "destroyed"))
			return stop_before_commit(m, MIGRATE_STEP_START, true, -EREMOTEIO, d);
	}
	peer_fail(d, m, r, line, waited);
	m->stopped_at = MIGRATE_STEP_START;
	m->unknown = true;
	diag_error(d, NULL,
		   "after 'go' Dom0 '%s' did not confirm the start: guest '%s' is suspended here "
		   "(domain %u) and "
		   "may run there; check both Dom0s and keep at most one copy",
		   m->to, m->name, m->domid);
	return r < 0 ? r : -EREMOTEIO;
}

int prov_migrate_send_run(struct prov_migrate_send *m, struct diag *d)
{
	struct hv_progress pr = {m->progress, m->userdata};
	char line[LINE_MAX_], hello[LINE_MAX_];
	int r;

	m->stopped_at = MIGRATE_STEP_NONE;
	m->moved = m->resumed = m->unknown = false;
	snprintf(hello, sizeof(hello), PROV_MIGRATE_PROTO " ready %s", m->name);
	r = prov_migrate_read_line(m->fd, ms(m->t.hello_ms, 120000), line);
	if (r < 0 || !streq(line, hello))
		return stop_before_commit(m, MIGRATE_STEP_HELLO, false,
					  peer_fail(d, m, r, line, "'ready'"), d);
	r = prov_migrate_write_line(m->fd, "stream %s",
				    m->flags & HV_MIGRATE_LIVE ? "live" : "offline");
	if (r < 0)
		return stop_before_commit(
			m, MIGRATE_STEP_HELLO, false,
			diag_error_errno(d, NULL, r, "cannot write to Dom0 '%s'", m->to), d);
	r = m->hv->migrate_send(m->h, m->domid, m->fd, m->flags, &pr, d);
	if (r < 0)
		return stop_before_commit(m, MIGRATE_STEP_STREAM, r != -ETIMEDOUT, r, d);

	r = prov_migrate_read_line(m->fd, ms(m->t.restored_ms, 300000), line);
	if (r < 0 || !after(line, "restored"))
		return stop_before_commit(m, MIGRATE_STEP_RESTORE, true,
					  peer_fail(d, m, r, line, "'restored'"), d);
	/* the commit point: once "go" may have reached it, the target may run the guest */
	r = prov_migrate_write_line(m->fd, "go");
	if (r < 0)
		return stop_before_commit(m, MIGRATE_STEP_GO, true,
					  diag_error_errno(d, NULL, r,
							   "cannot tell Dom0 '%s' to start '%s'",
							   m->to, m->name),
					  d);
	r = send_after_go(m, d);
	if (r < 0)
		return r;

	/* it runs there: ours goes, then the inventory says so */
	r = m->hv->destroy(m->h, m->domid, d);
	if (r < 0 && r != -ENOENT) {
		m->stopped_at = MIGRATE_STEP_CLEANUP;
		diag_add(d, DIAG_ERROR, NULL,
			 "guest '%s' runs on Dom0 '%s'; its suspended copy here (domain %u) is "
			 "left: 'xl destroy %u'",
			 m->name, m->to, m->domid, m->domid);
	}
	if (m->commit && m->commit(m->userdata, d) < 0) {
		m->stopped_at = MIGRATE_STEP_RECORD;
		diag_add(d, DIAG_ERROR, NULL,
			 "guest '%s' runs on Dom0 '%s', but the inventory still names this Dom0",
			 m->name, m->to);
	}
	(void) prov_migrate_write_line(m->fd, "done");
	return m->stopped_at == MIGRATE_STEP_NONE ? 0 : -EIO;
}

/* ---- the target ---------------------------------------------------------------------------- */

/* Destroy what the stream made here (by name: a failed restore may have left it). */
static void recv_drop(struct prov_migrate_recv *m, struct diag *d)
{
	int r;

	if (m->domid != HV_DOMID_NONE)
		r = m->hv->destroy(m->h, m->domid, d);
	else
		r = hv_domain_destroy_by_name(m->hv, m->h, m->cfg->name, d);
	if (r < 0 && r != -ENOENT)
		diag_add(d, DIAG_ERROR, NULL, "the half-made domain '%s' is left here",
			 m->cfg->name);
	m->domid = HV_DOMID_NONE;
}

/* The restored domain: start it on "go". Returns: 0 or < 0. */
static int recv_go(struct prov_migrate_recv *m, struct diag *d)
{
	char line[LINE_MAX_];
	size_t mark = diag_mark(d);
	int r;

	r = prov_migrate_read_line(m->rfd, ms(m->t.go_ms, 120000), line);
	if (r < 0 || !streq(line, "go")) {
		m->stopped_at = MIGRATE_STEP_GO;
		recv_drop(m, d);
		if (r >= 0)
			return diag_error(d, NULL, "the source sent '%s' instead of 'go'", line);
		return diag_error_errno(d, NULL, r, "no 'go' from the source");
	}
	r = m->hv->unpause(m->h, m->domid, d);
	if (r < 0) {
		_cleanup_(freep) char *why = diag_cause(d, mark);

		m->stopped_at = MIGRATE_STEP_START;
		(void) prov_migrate_write_line(m->wfd, "failed %s", why ? why : strerror(-r));
		recv_drop(m, d);
		(void) prov_migrate_write_line(m->wfd, "destroyed");
		return r;
	}
	m->running = true;
	r = prov_migrate_write_line(m->wfd, "running %u", m->domid);
	if (r < 0) {
		diag_error_errno(d, NULL, r,
				 "guest '%s' runs here (domain %u) but the source cannot be told",
				 m->cfg->name, m->domid);
		if (m->orphan)
			(void) m->orphan(m->userdata, d);
		return r;
	}
	/* the source's "done" (its copy gone, the inventory written) ends it; not waited for long
	 */
	(void) prov_migrate_read_line(m->rfd, ms(m->t.running_ms, 120000), line);
	return 0;
}

int prov_migrate_recv_run(struct prov_migrate_recv *m, struct diag *d)
{
	char line[LINE_MAX_];
	size_t mark = diag_mark(d);
	int r;

	m->stopped_at = MIGRATE_STEP_NONE;
	m->running = false;
	m->domid = HV_DOMID_NONE;
	if (m->refuse) {
		m->stopped_at = MIGRATE_STEP_HELLO;
		(void) prov_migrate_write_line(m->wfd, PROV_MIGRATE_PROTO " refused %s", m->refuse);
		return diag_error(d, NULL, "refusing guest '%s': %s", m->cfg->name, m->refuse);
	}
	r = prov_migrate_write_line(m->wfd, PROV_MIGRATE_PROTO " ready %s", m->cfg->name);
	if (r >= 0)
		r = prov_migrate_read_line(m->rfd, ms(m->t.hello_ms, 120000), line);
	if (r < 0 || (!streq(line, "stream live") && !streq(line, "stream offline"))) {
		m->stopped_at = MIGRATE_STEP_HELLO;
		if (r >= 0)
			return diag_error(d, NULL, "the source sent '%s' instead of 'stream'",
					  line);
		return diag_error_errno(d, NULL, r, "no stream from the source");
	}
	r = m->hv->migrate_receive(m->h, m->cfg, m->rfd, &m->domid, d);
	if (r < 0) {
		_cleanup_(freep) char *why = diag_cause(d, mark);

		m->stopped_at = MIGRATE_STEP_RESTORE;
		m->domid = HV_DOMID_NONE;
		recv_drop(m, d);
		(void) prov_migrate_write_line(m->wfd, "failed %s", why ? why : strerror(-r));
		return r;
	}
	r = prov_migrate_write_line(m->wfd, "restored %u", m->domid);
	if (r < 0) {
		m->stopped_at = MIGRATE_STEP_RESTORE;
		recv_drop(m, d);
		return diag_error_errno(d, NULL, r, "cannot tell the source '%s' was restored",
					m->cfg->name);
	}
	return recv_go(m, d);
}
