/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The libxl edge, part two: hv_libxl_ops, the domain lifecycle through libxenlight.
 * (libxl.c converts hv_domcfg to libxl's types, libxl-log.c is the logger; the three files are
 * the module's libxl edge, split to stay readable: the conversion needs no hypervisor, this
 * file does.)
 *
 * One event loop serves everything a stage waits for: libxl's own file descriptors and
 * timeouts (libxl_osevent_beforepoll/afterpoll), the consoles being copied to their logs, and
 * the caller's watches (the FAI monitor socket). No threads.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "common/macro.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/libxl-internal.h"

#define PRIVCMD		    "/dev/xen/privcmd"
#define CONSOLE_TTY_WAIT_MS 15000 /* for xenconsoled to make the pty; TCG labs are slow */

/* ---- context ------------------------------------------------------------------------------ */

struct death {
	uint32_t domid;
	libxl_evgen_domain_death *gen;
};

struct lx {
	libxl_ctx *ctx;
	struct hv__xlog *log;
	struct hv__console *consoles;
	size_t n_consoles;
	struct death *deaths;
	size_t n_deaths;
	struct pollfd *pfds;
	size_t pfds_alloc;
};

/*
 * SIGCHLD: provision has child processes of its own (stage hooks, hooks/run.c), which it
 * reaps with waitpid() on each child's own pid, synchronously, without a SIGCHLD handler.
 * libxl forks too (hotplug scripts, during create and destroy, and while death events are
 * enabled). libxl's default mode (libxl_sigchld_owner_libxl) reaps *every* child with wait()
 * while it has one and forbids the application any children meanwhile: it could take a hook's
 * exit status. libxl_sigchld_owner_libxl_always_selective_reap is made for exactly our case:
 * libxl keeps its handler installed for the ctx's lifetime and reaps only its own pids. The
 * handler makes slow system calls return EINTR; hooks/run.c retries poll() and waitpid().
 * The hooks must outlive the ctx, hence static.
 */
static const libxl_childproc_hooks childproc_hooks = {
	.chldowner = libxl_sigchld_owner_libxl_always_selective_reap,
};

static void death_disable(struct lx *h, uint32_t domid);

static void lx_close(void *hv)
{
	struct lx *h = hv;

	if (!h)
		return;
	for (size_t i = 0; i < h->n_consoles; i++)
		hv__console_close(&h->consoles[i]);
	while (h->n_deaths > 0)
		death_disable(h, h->deaths[0].domid);
	libxl_ctx_free(h->ctx); /* accepts NULL; before the logger it logs to */
	if (h->log)
		xtl_logger_destroy(hv__xlog_logger(h->log));
	free(h->consoles);
	free(h->deaths);
	free(h->pfds);
	free(h);
}

static void lx_closep(struct lx **h)
{
	lx_close(*h);
}

/* An error from libxl: "WHAT: libxl's last error text" (or the code, when it said nothing). */
_printf_(4, 5) static int lx_fail(struct lx *h, struct diag *d, int xlrc, const char *fmt, ...)
{
	_cleanup_(freep) char *what = NULL;
	const char *why = hv__xlog_last_error(h->log);
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r < 0) {
		what = NULL;
		return -ENOMEM;
	}
	if (*why)
		diag_add(d, DIAG_ERROR, NULL, "%s: %s", what, why);
	else
		diag_add(d, DIAG_ERROR, NULL, "%s: libxl error %d", what, xlrc);
	return hv__xlrc_to_errno(xlrc);
}

int hv__libxl_new(const struct hv_open_opts *o, void **ret_h, struct diag *d)
{
	_cleanup_(lx_closep) struct lx *h = calloc(1, sizeof(*h));
	int xlrc;

	if (!h)
		return -ENOMEM;
	h->log = hv__xlog_new(o && o->log ? o->log : stderr, o ? o->verbose : 0);
	if (!h->log)
		return -ENOMEM;
	xlrc = libxl_ctx_alloc(&h->ctx, LIBXL_VERSION, 0, hv__xlog_logger(h->log));
	if (xlrc) {
		h->ctx = NULL;
		return lx_fail(h, d, xlrc, "cannot open the Xen toolstack (libxl)");
	}
	libxl_childproc_setmode(h->ctx, &childproc_hooks, NULL);
	*ret_h = TAKE_PTR(h);
	return 0;
}

static int lx_open(const struct hv_open_opts *o, void **ret_h, struct diag *d)
{
	/* Checked first: off Xen, libxl_ctx_alloc() only says "cannot open libxc handle". */
	int fd = open(PRIVCMD, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT) {
			diag_add(d, DIAG_ERROR, NULL, "not a Xen dom0 (no %s)", PRIVCMD);
			return -ENODEV;
		}
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", PRIVCMD);
	}
	close(fd);
	return hv__libxl_new(o, ret_h, d);
}

/* ---- events and consoles ------------------------------------------------------------------ */

static struct hv__console *console_find(struct lx *h, uint32_t domid)
{
	for (size_t i = 0; i < h->n_consoles; i++)
		if (h->consoles[i].domid == domid)
			return &h->consoles[i];
	return NULL;
}

/* Read domid's console one last time and stop copying it. */
static void console_drop(struct lx *h, uint32_t domid)
{
	struct hv__console *c = console_find(h, domid);

	if (!c)
		return;
	hv__console_close(c);
	*c = h->consoles[--h->n_consoles];
}

static void consoles_pump_all(struct lx *h)
{
	for (size_t i = 0; i < h->n_consoles; i++)
		(void) hv__console_pump(&h->consoles[i]);
}

static int event_for_domid(const libxl_event *ev, void *user)
{
	return ev->domid == *(const uint32_t *) user &&
	       (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN ||
		ev->type == LIBXL_EVENT_TYPE_DOMAIN_DEATH);
}

static int death_enable(struct lx *h, uint32_t domid, struct diag *d)
{
	struct death *n;
	int xlrc;

	for (size_t i = 0; i < h->n_deaths; i++)
		if (h->deaths[i].domid == domid)
			return 0;
	n = realloc(h->deaths, (h->n_deaths + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	h->deaths = n;
	xlrc = libxl_evenable_domain_death(h->ctx, domid, 0, &n[h->n_deaths].gen);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot watch domain %u", domid);
	n[h->n_deaths++].domid = domid;
	return 0;
}

/* Stop watching domid and drop its queued events. */
static void death_disable(struct lx *h, uint32_t domid)
{
	libxl_event *ev;

	for (size_t i = 0; i < h->n_deaths; i++)
		if (h->deaths[i].domid == domid) {
			libxl_evdisable_domain_death(h->ctx, h->deaths[i].gen);
			h->deaths[i] = h->deaths[--h->n_deaths];
			break;
		}
	while (libxl_event_check(h->ctx, &ev, LIBXL_EVENTMASK_ALL, event_for_domid, &domid) == 0)
		libxl_event_free(h->ctx, ev);
}

static enum hv_shutdown shutdown_from_libxl(libxl_shutdown_reason r)
{
	switch (r) {
	case LIBXL_SHUTDOWN_REASON_POWEROFF:
		return HV_SHUTDOWN_POWEROFF;
	case LIBXL_SHUTDOWN_REASON_REBOOT:
		return HV_SHUTDOWN_REBOOT;
	case LIBXL_SHUTDOWN_REASON_SUSPEND:
		return HV_SHUTDOWN_SUSPEND;
	case LIBXL_SHUTDOWN_REASON_CRASH:
		return HV_SHUTDOWN_CRASH;
	case LIBXL_SHUTDOWN_REASON_WATCHDOG:
		return HV_SHUTDOWN_WATCHDOG;
	case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
		return HV_SHUTDOWN_SOFT_RESET;
	default:
		return HV_SHUTDOWN_UNKNOWN;
	}
}

/* A queued shutdown or death of domid: 1 and *ret filled, 0 none, < 0 error. */
static int take_event(struct lx *h, uint32_t domid, struct hv_event *ret, struct diag *d)
{
	libxl_event *ev;
	int xlrc;

	xlrc = libxl_event_check(h->ctx, &ev, LIBXL_EVENTMASK_ALL, event_for_domid, &domid);
	if (xlrc == ERROR_NOT_READY)
		return 0;
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot read events of domain %u", domid);
	consoles_pump_all(h); /* the guest's last words belong in the log before we report */
	if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
		*ret = (struct hv_event){
			.type = HV_EVENT_SHUTDOWN,
			.reason = shutdown_from_libxl(ev->u.domain_shutdown.shutdown_reason)};
	} else {
		*ret = (struct hv_event){.type = HV_EVENT_DEATH};
	}
	libxl_event_free(h->ctx, ev);
	if (ret->type == HV_EVENT_DEATH) {
		death_disable(h, domid);
		console_drop(h, domid);
	}
	return 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Room for n pollfds. */
static int pfds_reserve(struct lx *h, size_t n)
{
	struct pollfd *p;

	if (n <= h->pfds_alloc && h->pfds)
		return 0;
	if (n < 8)
		n = 8;
	p = realloc(h->pfds, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	h->pfds = p;
	h->pfds_alloc = n;
	return 0;
}

/* One round: poll consoles, watches and libxl; run watch callbacks. 1: a watch stopped us. */
static int poll_once(struct lx *h, const struct hv_wait_opts *o, int timeout, int *ret_watch,
		     struct diag *d)
{
	size_t nc = h->n_consoles, nw = o ? o->n_watches : 0, base = nc + nw;
	int nlx = 0, xlrc, n, r;
	struct timeval tv;

	for (;;) {
		r = pfds_reserve(h, base + (size_t) nlx);
		if (r < 0)
			return r;
		for (size_t i = 0; i < nc; i++)
			h->pfds[i] = (struct pollfd){.fd = h->consoles[i].tty_fd, .events = POLLIN};
		for (size_t i = 0; i < nw; i++)
			h->pfds[nc + i] = (struct pollfd){.fd = o->watches[i].fd,
							  .events = o->watches[i].events};
		gettimeofday(&tv, NULL);
		xlrc = libxl_osevent_beforepoll(h->ctx, &nlx, h->pfds + base, &timeout, tv);
		if (xlrc != ERROR_BUFFERFULL)
			break;
	}
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot poll libxl's events");

	n = poll(h->pfds, base + (size_t) nlx, timeout);
	if (n < 0 && errno != EINTR)
		return diag_error_errno(d, NULL, -errno, "cannot wait for domain events");
	if (n < 0) /* a signal (libxl's SIGCHLD): nothing is ready */
		for (size_t i = 0; i < base + (size_t) nlx; i++)
			h->pfds[i].revents = 0;
	gettimeofday(&tv, NULL);
	libxl_osevent_afterpoll(h->ctx, nlx, h->pfds + base, tv);

	for (size_t i = 0; i < nc; i++)
		if (h->pfds[i].revents && hv__console_pump(&h->consoles[i]) < 0) {
			diag_add(d, DIAG_WARNING, NULL,
				 "cannot write the console log of domain %u, no longer copying it",
				 h->consoles[i].domid);
			hv__console_close(&h->consoles[i]);
		}
	for (size_t i = 0; i < nw; i++) {
		if (!h->pfds[nc + i].revents)
			continue;
		r = o->watches[i].fn(o->watches[i].fd, h->pfds[nc + i].revents,
				     o->watches[i].userdata);
		if (r != 0) {
			*ret_watch = r;
			return r < 0 ? r : 1;
		}
	}
	/* ended consoles (their domain is gone) leave the list */
	for (size_t i = h->n_consoles; i-- > 0;)
		if (h->consoles[i].tty_fd < 0)
			h->consoles[i] = h->consoles[--h->n_consoles];
	return 0;
}

static int lx_wait(void *hv, uint32_t domid, const struct hv_wait_opts *o, struct hv_event *ret,
		   struct diag *d)
{
	struct lx *h = hv;
	long long deadline = o && o->timeout_ms >= 0 ? now_ms() + o->timeout_ms : -1;
	int r, watch = 0;

	hv__xlog_reset(h->log);
	r = death_enable(h, domid, d);
	if (r < 0)
		return r;
	for (;;) {
		int timeout = -1;

		r = take_event(h, domid, ret, d);
		if (r != 0)
			return r < 0 ? r : 0;
		if (deadline >= 0) {
			long long left = deadline - now_ms();

			if (left <= 0) {
				*ret = (struct hv_event){.type = HV_EVENT_TIMEOUT};
				return 0;
			}
			timeout = left > 60000 ? 60000 : (int) left;
		}
		r = poll_once(h, o, timeout, &watch, d);
		if (r < 0)
			return r;
		if (r > 0) {
			*ret = (struct hv_event){.type = HV_EVENT_WATCH, .watch_result = watch};
			return 0;
		}
	}
}

/* ---- create, destroy and the rest --------------------------------------------------------- */

/* Start copying domid's console to log_path. Failing is a warning: the guest runs anyway. */
static void console_attach(struct lx *h, uint32_t domid, const char *name, const char *log_path,
			   struct diag *d)
{
	long long deadline = now_ms() + CONSOLE_TTY_WAIT_MS;
	struct hv__console c, *n;
	char *tty = NULL;
	int r;

	/* xenconsoled writes the pty's name to xenstore when it notices the new domain; until
	 * then libxl logs an error for every try, which is expected here and stays quiet. */
	hv__xlog_mute(h->log, true);
	for (;;) {
		if (libxl_primary_console_get_tty(h->ctx, domid, &tty) == 0 && tty && *tty)
			break;
		free(tty);
		tty = NULL;
		if (now_ms() >= deadline)
			break;
		(void) nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
	}
	hv__xlog_mute(h->log, false);
	if (!tty) {
		diag_add(d, DIAG_WARNING, NULL,
			 "cannot capture the console of domain '%s': %s, continuing without '%s'",
			 name,
			 *hv__xlog_last_error(h->log) ? hv__xlog_last_error(h->log)
						      : "no console pty",
			 log_path);
		return;
	}
	r = hv__console_open(&c, domid, tty, log_path);
	if (r < 0) {
		diag_add(d, DIAG_WARNING, NULL,
			 "cannot capture the console of domain '%s' from '%s' into '%s': %s, "
			 "continuing without it",
			 name, tty, log_path, strerror(-r));
		free(tty);
		return;
	}
	free(tty);
	n = realloc(h->consoles, (h->n_consoles + 1) * sizeof(*n));
	if (!n) {
		hv__console_close(&c);
		diag_add(d, DIAG_WARNING, NULL, "cannot capture the console of domain '%s': %s",
			 name, strerror(ENOMEM));
		return;
	}
	h->consoles = n;
	h->consoles[h->n_consoles++] = c;
}

static void domain_config_disposep(libxl_domain_config *dc)
{
	libxl_domain_config_dispose(dc);
}

/* cfg as libxl's config, in *dc (initialised here; the caller disposes it). */
static int config_build(const struct hv_domcfg *cfg, libxl_domain_config *dc, struct diag *d)
{
	int r;

	libxl_domain_config_init(dc);
	r = hv_domcfg_check(cfg, d);
	if (r < 0)
		return r;
	r = hv__libxl_config_build(cfg, dc, d);
	if (r == -ENOMEM)
		return diag_error_errno(d, NULL, r, "cannot build libxl config for domain '%s'",
					cfg->name);
	return r;
}

static int lx_destroy(void *hv, uint32_t domid, struct diag *d)
{
	struct lx *h = hv;
	int xlrc;

	hv__xlog_reset(h->log);
	death_disable(h, domid);
	/* libxl_domain_info() says "not found" quietly; libxl_domain_destroy() would log it */
	xlrc = libxl_domain_info(h->ctx, NULL, domid);
	if (xlrc == ERROR_DOMAIN_NOTFOUND) {
		console_drop(h, domid);
		return -ENOENT;
	}
	consoles_pump_all(h);
	xlrc = libxl_domain_destroy(h->ctx, domid, NULL);
	console_drop(h, domid);
	if (xlrc == ERROR_DOMAIN_NOTFOUND)
		return -ENOENT;
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot destroy domain %u", domid);
	return 0;
}

static int lx_create(void *hv, const struct hv_domcfg *cfg, const char *console_log,
		     uint32_t *ret_domid, struct diag *d)
{
	struct lx *h = hv;
	_cleanup_(domain_config_disposep) libxl_domain_config dc;
	uint32_t domid = HV_DOMID_NONE;
	int r, xlrc;

	hv__xlog_reset(h->log);
	r = config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	/* The domain is left paused: the console is attached before its first byte. On failure
	 * libxl destroys what it had built. */
	xlrc = libxl_domain_create_new(h->ctx, &dc, &domid, NULL, NULL);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot create domain '%s'", cfg->name);
	if (console_log)
		console_attach(h, domid, cfg->name, console_log, d);
	xlrc = libxl_domain_unpause(h->ctx, domid, NULL);
	if (xlrc) {
		struct diag ignore = DIAG_INIT;

		r = lx_fail(h, d, xlrc, "cannot start domain '%s' (id %u)", cfg->name, domid);
		(void) lx_destroy(h, domid, &ignore);
		diag_release(&ignore);
		return r;
	}
	*ret_domid = domid;
	return 0;
}

static int lx_domid(void *hv, const char *name, uint32_t *ret_domid, struct diag *d)
{
	struct lx *h = hv;
	uint32_t domid;
	int xlrc;

	hv__xlog_reset(h->log);
	xlrc = libxl_name_to_domid(h->ctx, name, &domid);
	if (xlrc == ERROR_INVAL) /* libxl's answer for "no domain has that name" */
		return -ENOENT;
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot look up domain '%s'", name);
	*ret_domid = domid;
	return 0;
}

static int lx_preserve(void *hv, const struct hv_domcfg *cfg, uint32_t domid, const char *suffix,
		       struct diag *d)
{
	struct lx *h = hv;
	_cleanup_(domain_config_disposep) libxl_domain_config dc;
	libxl_uuid uuid;
	int r, xlrc;

	hv__xlog_reset(h->log);
	r = config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	libxl_uuid_generate(&uuid);
	xlrc = libxl_domain_preserve(h->ctx, domid, &dc.c_info, suffix, uuid);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot preserve domain '%s' as '%s%s'", cfg->name,
			       cfg->name, suffix);
	/* the renamed domain is no longer the guest we follow */
	death_disable(h, domid);
	console_drop(h, domid);
	return 0;
}

static int lx_core_dump(void *hv, uint32_t domid, const char *path, struct diag *d)
{
	struct lx *h = hv;
	int xlrc;

	hv__xlog_reset(h->log);
	xlrc = libxl_domain_core_dump(h->ctx, domid, path, NULL);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot dump the core of domain %u to '%s'", domid,
			       path);
	return 0;
}

static int lx_soft_reset(void *hv, const struct hv_domcfg *cfg, uint32_t domid, struct diag *d)
{
	struct lx *h = hv;
	_cleanup_(domain_config_disposep) libxl_domain_config dc;
	int r, xlrc;

	hv__xlog_reset(h->log);
	r = config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	death_disable(h, domid); /* the next wait watches the reset domain afresh */
	xlrc = libxl_domain_soft_reset(h->ctx, &dc, domid, NULL, NULL);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot soft-reset domain '%s' (id %u)", cfg->name,
			       domid);
	xlrc = libxl_domain_unpause(h->ctx, domid, NULL);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot start domain '%s' (id %u) after its soft reset",
			       cfg->name, domid);
	return 0;
}

static int lx_free_memory(void *hv, uint64_t *ret_mib, struct diag *d)
{
	struct lx *h = hv;
	uint64_t kib = 0;
	int xlrc;

	hv__xlog_reset(h->log);
	xlrc = libxl_get_free_memory(h->ctx, &kib);
	if (xlrc)
		return lx_fail(h, d, xlrc, "cannot read the host's free memory");
	*ret_mib = kib / 1024;
	return 0;
}

const struct hv_ops hv_libxl_ops = {
	.name = "libxl",
	.open = lx_open,
	.close = lx_close,
	.create = lx_create,
	.wait = lx_wait,
	.destroy = lx_destroy,
	.domid = lx_domid,
	.preserve = lx_preserve,
	.core_dump = lx_core_dump,
	.soft_reset = lx_soft_reset,
	.free_memory = lx_free_memory,
};
