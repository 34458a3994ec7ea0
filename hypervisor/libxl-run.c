/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The libxl edge, part two: hv_libxl_ops, the domain lifecycle through libxenlight: the
 * context, create, destroy and the rest. (libxl.c converts hv_domcfg to libxl's types,
 * libxl-wait.c is the event loop behind wait, libxl-log.c the logger; the four files are the
 * module's libxl edge, split to stay readable: the conversion needs no hypervisor, these do.)
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
#include "common/util.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/libxl-internal.h"

#define PRIVCMD		    "/dev/xen/privcmd"
#define CONSOLE_TTY_WAIT_MS 15000 /* for xenconsoled to make the pty; TCG labs are slow */
/*
 * One domain creation at a time on this Dom0, among provision's processes. Xen's block
 * hotplug script holds a Dom0-wide lock while it runs, and libxl gives a domain's hotplug
 * scripts 40 s in all (LIBXL_HOTPLUG_TIMEOUT), queueing included: creations at once (a batch)
 * wait for each other's scripts inside that budget, and on a loaded Dom0 one fails with
 * "unable to add disk devices" (found in the lab: eight clones, three at once). In turn each
 * has the whole 40 s.
 */
#define CREATE_LOCK "/run/lock/provision-domain-create.lock"

/* ---- context ------------------------------------------------------------------------------ */

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

static void lx_close(void *hv)
{
	struct lx *h = hv;

	if (!h)
		return;
	for (size_t i = 0; i < h->n_consoles; i++)
		hv__console_close(&h->consoles[i]);
	while (h->n_deaths > 0)
		hv__lx_death_disable(h, h->deaths[0].domid);
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
int hv__lx_fail(struct lx *h, struct diag *d, int xlrc, const char *fmt, ...)
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
		return hv__lx_fail(h, d, xlrc, "cannot open the Xen toolstack (libxl)");
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

/* ---- create, destroy and the rest --------------------------------------------------------- */

/*
 * Start copying domid's console of type to log_path. Failing is a warning: the guest runs
 * anyway. An HVM guest has two (lx_create): the emulated serial port, libxl's primary console,
 * and the PV console, which its kernel reaches once Xen's drivers are up (console=hvc0).
 */
static void console_attach(struct lx *h, uint32_t domid, const char *name, const char *log_path,
			   libxl_console_type type, struct diag *d)
{
	long long deadline = hv__lx_now_ms() + CONSOLE_TTY_WAIT_MS;
	struct hv__console c, *n;
	char *tty = NULL;
	int r;

	/* xenconsoled writes the pty's name to xenstore when it notices the new domain; until
	 * then libxl logs an error for every try, which is expected here and stays quiet. */
	hv__xlog_mute(h->log, true);
	for (;;) {
		if (libxl_console_get_tty(h->ctx, domid, 0, type, &tty) == 0 && tty && *tty)
			break;
		free(tty);
		tty = NULL;
		if (hv__lx_now_ms() >= deadline)
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
		diag_add(
			d, DIAG_WARNING, NULL,
			"cannot capture the console of domain '%s' from '%s' into '%s': %s, continuing without it",
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

int hv__lx_config_build(const struct hv_domcfg *cfg, libxl_domain_config *dc, struct diag *d)
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
	hv__lx_death_disable(h, domid);
	/* libxl_domain_info() says "not found" quietly; libxl_domain_destroy() would log it */
	xlrc = libxl_domain_info(h->ctx, NULL, domid);
	if (xlrc == ERROR_DOMAIN_NOTFOUND) {
		hv__lx_console_drop(h, domid);
		return -ENOENT;
	}
	hv__lx_consoles_pump(h);
	xlrc = libxl_domain_destroy(h->ctx, domid, NULL);
	hv__lx_console_drop(h, domid);
	if (xlrc == ERROR_DOMAIN_NOTFOUND)
		return -ENOENT;
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot destroy domain %u", domid);
	return 0;
}

static int lx_create(void *hv, const struct hv_domcfg *cfg, const char *console_log,
		     uint32_t *ret_domid, struct diag *d)
{
	struct lx *h = hv;
	_cleanup_(domain_config_disposep) libxl_domain_config dc;
	uint32_t domid = HV_DOMID_NONE;
	int r, xlrc, lock;

	hv__xlog_reset(h->log);
	r = hv__lx_config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	/* The domain is left paused: the console is attached before its first byte. On failure
	 * libxl destroys what it had built. */
	lock = lock_file(CREATE_LOCK, true, d);
	if (lock < 0)
		return lock;
	xlrc = libxl_domain_create_new(h->ctx, &dc, &domid, NULL, NULL);
	close(lock);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot create domain '%s'", cfg->name);
	/* An HVM guest writing to its emulated serial port costs a trap into the device model
	 * per byte (slow under nested emulation): its kernel may use the PV console instead. */
	if (console_log && cfg->type == HV_TYPE_HVM && cfg->serial)
		console_attach(h, domid, cfg->name, console_log, LIBXL_CONSOLE_TYPE_SERIAL, d);
	if (console_log)
		console_attach(h, domid, cfg->name, console_log, LIBXL_CONSOLE_TYPE_PV, d);
	xlrc = libxl_domain_unpause(h->ctx, domid, NULL);
	if (xlrc) {
		struct diag ignore = DIAG_INIT;

		r = hv__lx_fail(h, d, xlrc, "cannot start domain '%s' (id %u)", cfg->name, domid);
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
		return hv__lx_fail(h, d, xlrc, "cannot look up domain '%s'", name);
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
	r = hv__lx_config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	libxl_uuid_generate(&uuid);
	xlrc = libxl_domain_preserve(h->ctx, domid, &dc.c_info, suffix, uuid);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot preserve domain '%s' as '%s%s'", cfg->name,
				   cfg->name, suffix);
	/* the renamed domain is no longer the guest we follow */
	hv__lx_death_disable(h, domid);
	hv__lx_console_drop(h, domid);
	return 0;
}

static int lx_core_dump(void *hv, uint32_t domid, const char *path, struct diag *d)
{
	struct lx *h = hv;
	int xlrc;

	hv__xlog_reset(h->log);
	xlrc = libxl_domain_core_dump(h->ctx, domid, path, NULL);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot dump the core of domain %u to '%s'", domid,
				   path);
	return 0;
}

static int lx_soft_reset(void *hv, const struct hv_domcfg *cfg, uint32_t domid, struct diag *d)
{
	struct lx *h = hv;
	_cleanup_(domain_config_disposep) libxl_domain_config dc;
	int r, xlrc;

	hv__xlog_reset(h->log);
	r = hv__lx_config_build(cfg, &dc, d);
	if (r < 0)
		return r;
	hv__lx_death_disable(h, domid); /* the next wait watches the reset domain afresh */
	xlrc = libxl_domain_soft_reset(h->ctx, &dc, domid, NULL, NULL);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot soft-reset domain '%s' (id %u)", cfg->name,
				   domid);
	xlrc = libxl_domain_unpause(h->ctx, domid, NULL);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc,
				   "cannot start domain '%s' (id %u) after its soft reset",
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
		return hv__lx_fail(h, d, xlrc, "cannot read the host's free memory");
	*ret_mib = kib / 1024;
	return 0;
}

static int lx_host_info(void *hv, struct hv_host_info *ret, struct diag *d)
{
	struct lx *h = hv;
	const libxl_version_info *v;
	libxl_physinfo pi;
	int xlrc;

	hv__xlog_reset(h->log);
	v = libxl_get_version_info(h->ctx);
	if (!v)
		return hv__lx_fail(h, d, ERROR_FAIL, "cannot read the hypervisor's version");
	libxl_physinfo_init(&pi);
	xlrc = libxl_get_physinfo(h->ctx, &pi);
	if (xlrc) {
		libxl_physinfo_dispose(&pi);
		return hv__lx_fail(h, d, xlrc, "cannot read the host's memory");
	}
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->version, sizeof(ret->version), "%d.%d%s", v->xen_version_major,
		 v->xen_version_minor, v->xen_version_extra ? v->xen_version_extra : "");
	/* pages of 4 KiB (libxl's own unit for physinfo, as xl info prints it) */
	ret->mem_total_mib = pi.total_pages / 256;
	ret->mem_free_mib = pi.free_pages / 256;
	ret->pv_log_dirty = pi.cap_shadow;
	libxl_physinfo_dispose(&pi);
	return 0;
}

const struct hv_ops hv_libxl_ops = {
	.name = "libxl",
	.open = lx_open,
	.close = lx_close,
	.create = lx_create,
	.wait = hv__lx_wait,
	.destroy = lx_destroy,
	.domid = lx_domid,
	.preserve = lx_preserve,
	.core_dump = lx_core_dump,
	.soft_reset = lx_soft_reset,
	.free_memory = lx_free_memory,
	.host_info = lx_host_info,
	.migrate_send = hv__lx_migrate_send,
	.migrate_receive = hv__lx_migrate_receive,
	.unpause = hv__lx_unpause,
	.resume = hv__lx_resume,
};
