/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The libxl edge, part four: migration. The sender's libxl_domain_suspend() runs as an
 * asynchronous operation in our own event loop (hv__lx_poll_once(), as wait does), writing into
 * a pipe whose other end this loop copies into the caller's stream, counting the bytes for the
 * progress callback: libxl writes the stream from two processes (its save helper and itself),
 * so counting on the way through is the one place that sees every byte. The receiver's
 * libxl_domain_create_restore() reads the caller's fd directly and synchronously: it reads the
 * stream up to its end record and no further, so the handshake goes on on the same fd after it
 * (xl relies on the same). What happens around these calls, the handshake, is provision's
 * (provision/migrate-proto.c, doc/migrate.md).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>

#include "common/macro.h"
#include "common/util.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/libxl-internal.h"

#define COPY_CHUNK (256 * 1024)

struct send {
	struct lx *h;
	bool done;    /* libxl's operation completed (its result in xlrc) */
	int xlrc;     /* libxl's result */
	int copy_err; /* -errno: the stream could not be written (the transport is gone) */
	bool eof;     /* the pipe's write ends are all closed and it is drained */
	int out_fd;   /* the caller's stream */
	uint64_t bytes;
	const struct hv_progress *progress;
	char *buf;
};

static void send_done(libxl_ctx *ctx, int xlrc, void *userdata)
{
	struct send *s = userdata;

	(void) ctx;
	s->done = true;
	s->xlrc = xlrc;
}

/* What libxl wrote into the pipe, into the stream. After a write error, read and drop. */
static int send_copy(int fd, short revents, void *userdata)
{
	struct send *s = userdata;
	ssize_t n;
	int r;

	(void) revents;
	n = read(fd, s->buf, COPY_CHUNK);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		s->eof = true;
		return 1;
	}
	if (s->copy_err < 0)
		return 0;
	r = write_all(s->out_fd, s->buf, (size_t) n);
	if (r < 0) {
		s->copy_err = r;
		return r;
	}
	s->bytes += (uint64_t) n;
	if (s->progress && s->progress->fn)
		s->progress->fn(s->bytes, s->progress->userdata);
	return 0;
}

/* Run the loop until libxl's operation completed, copying; on a copy error, abort it. */
static int send_loop(struct send *s, int pipe_rd, const libxl_asyncop_how *how, struct diag *d)
{
	struct hv_watch w = {.fd = pipe_rd, .events = POLLIN, .fn = send_copy, .userdata = s};
	struct hv_wait_opts o = {.timeout_ms = -1, .watches = &w, .n_watches = 1};
	bool aborted = false;
	int r, watch = 0;

	while (!s->done) {
		r = hv__lx_poll_once(s->h, s->eof ? NULL : &o, 1000, &watch, d);
		if (r < 0 && r != s->copy_err)
			return r; /* the loop itself broke: libxl's state is unknown */
		if (s->copy_err < 0 && !aborted) {
			/* the receiver is gone: stop libxl, keep reading so its writers end */
			(void) libxl_ao_abort(s->h->ctx, how);
			aborted = true;
		}
	}
	return 0;
}

int hv__lx_migrate_send(void *hv, uint32_t domid, int fd, unsigned flags,
			const struct hv_progress *progress, struct diag *d)
{
	struct lx *h = hv;
	struct send s = {.h = h, .out_fd = fd, .progress = progress};
	libxl_asyncop_how how = {.callback = send_done, .u.for_callback = &s};
	int p[2] = {-1, -1}, r, xlrc;

	hv__xlog_reset(h->log);
	s.buf = malloc(COPY_CHUNK);
	if (!s.buf)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = diag_error_errno(d, NULL, -errno, "cannot migrate domain %u", domid);
		goto out;
	}
	/* libxl's save helper gets the write end as its stream (it clears close-on-exec itself) */
	xlrc = libxl_domain_suspend(h->ctx, domid, p[1],
				    flags & HV_MIGRATE_LIVE ? LIBXL_SUSPEND_LIVE : 0, &how);
	if (xlrc) {
		r = hv__lx_fail(h, d, xlrc, "cannot start sending domain %u", domid);
		goto out;
	}
	r = send_loop(&s, p[0], &how, d);
	if (r < 0)
		goto out;
	/* libxl is done writing: the rest of the pipe, then its end */
	close(p[1]);
	p[1] = -1;
	while (!s.eof && s.copy_err == 0) {
		r = send_copy(p[0], POLLIN, &s);
		if (r < 0 && r != s.copy_err)
			break;
	}
	if (s.copy_err < 0)
		r = diag_error_errno(d, NULL, s.copy_err,
				     "cannot send domain %u: the stream broke after %llu bytes",
				     domid, (unsigned long long) s.bytes);
	else if (s.xlrc == ERROR_GUEST_TIMEDOUT) {
		(void) hv__lx_fail(h, d, s.xlrc, "domain %u did not suspend", domid);
		r = -ETIMEDOUT; /* it still runs: nothing to resume */
	} else if (s.xlrc)
		r = hv__lx_fail(h, d, s.xlrc, "cannot send domain %u", domid);
	else
		r = 0;
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	free(s.buf);
	return r;
}

static void domain_config_disposep(libxl_domain_config *dc)
{
	libxl_domain_config_dispose(dc);
}

int hv__lx_migrate_receive(void *hv, const struct hv_domcfg *cfg, int fd, uint32_t *ret_domid,
			   struct diag *d)
{
	struct lx *h = hv;
	_cleanup_(domain_config_disposep) libxl_domain_config dc;
	libxl_domain_restore_params params;
	uint32_t domid = HV_DOMID_NONE;
	int r, xlrc;

	hv__xlog_reset(h->log);
	r = hv__lx_config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	libxl_domain_restore_params_init(&params);
	params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
	params.stream_version = 2; /* what libxl_domain_suspend() writes (LIBXL_HAVE_SRM_V2) */
	/* synchronous: libxl runs its own loop until the stream's end record; the domain stays
	 * paused (as after create_new); on failure libxl destroys what it had built */
	xlrc = libxl_domain_create_restore(h->ctx, &dc, &domid, fd, -1, &params, NULL, NULL);
	libxl_domain_restore_params_dispose(&params);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot receive domain '%s'", cfg->name);
	*ret_domid = domid;
	return 0;
}

int hv__lx_unpause(void *hv, uint32_t domid, struct diag *d)
{
	struct lx *h = hv;
	int xlrc;

	hv__xlog_reset(h->log);
	xlrc = libxl_domain_unpause(h->ctx, domid, NULL);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot start domain %u", domid);
	return 0;
}

int hv__lx_resume(void *hv, uint32_t domid, struct diag *d)
{
	struct lx *h = hv;
	int xlrc;

	hv__xlog_reset(h->log);
	/* co-operative (suspend_cancel): the guest returns from its suspend hypercall, as xl */
	xlrc = libxl_domain_resume(h->ctx, domid, 1, NULL);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot resume domain %u", domid);
	return 0;
}
