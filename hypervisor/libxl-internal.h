/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the libxl edge files only: hypervisor/libxl.c (hv_domcfg -> libxl_domain_config),
 * libxl-run.c (context, lifecycle), libxl-wait.c (event loop), libxl-log.c (logger), and by
 * their unit test. Nothing else includes libxl's headers; none of these types reach
 * hypervisor.h.
 */

#include <stdbool.h>
#include <stdio.h>

#include <libxl.h>
#include <xentoollog.h>

#include "common/macro.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"

/* libxl's ERROR_* as -errno. */
int hv__xlrc_to_errno(int xlrc);

/*
 * Fill dc (initialised by the caller with libxl_domain_config_init(), disposed by the caller
 * in every case) from c, which must have passed hv_domcfg_check().
 * Returns: 0, -ENOMEM, -EINVAL with the reason in d.
 */
int hv__libxl_config_build(const struct hv_domcfg *c, libxl_domain_config *dc, struct diag *d);

/*
 * The logger handed to libxl: a xentoollog stdio stream on the caller's FILE (libxl's own
 * messages, "libxl: error: libxl_create.c:1672:...: ...", reach the user as libxl writes them)
 * that also keeps the text of the last error, so provision's diagnostic can quote it.
 */
struct hv__xlog;
/* Level for provision's -v count: 0 warn, 1 info, 2 detail, 3+ debug. */
xentoollog_level hv__xlog_level(int verbose);
/* NULL only when out of memory. Free with xtl_logger_destroy(hv__xlog_logger(l)). */
struct hv__xlog *hv__xlog_new(FILE *f, int verbose);
xentoollog_logger *hv__xlog_logger(struct hv__xlog *l);
/* The last error-level message since the last reset, without libxl's "file.c:LINE:func: "
 * prefix, with ": strerror" when libxl gave an errno; "" when none. */
const char *hv__xlog_last_error(const struct hv__xlog *l);
void hv__xlog_reset(struct hv__xlog *l);
/* While muted, messages are only recorded, not written (expected failures while polling). */
void hv__xlog_mute(struct hv__xlog *l, bool mute);

/*
 * hv_libxl_ops.open without the /dev/xen/privcmd check: the logger, libxl_ctx_alloc(),
 * libxl_childproc_setmode(). Exported for the unit test, which shows that libxl's own failure
 * text reaches the log FILE and the diagnostic.
 */
int hv__libxl_new(const struct hv_open_opts *o, void **ret_h, struct diag *d);

/* ---- shared by libxl-run.c (context, operations) and libxl-wait.c (the event loop) ---- */

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

/* An error from libxl: "WHAT: libxl's last error text" (or the code, when it said nothing). */
_printf_(4, 5) int hv__lx_fail(struct lx *h, struct diag *d, int xlrc, const char *fmt, ...);
/* Read domid's console one last time and stop copying it. */
void hv__lx_console_drop(struct lx *h, uint32_t domid);
/* Copy what every console has to its log. */
void hv__lx_consoles_pump(struct lx *h);
/* Stop watching domid's death (before it is destroyed, renamed or reset). */
void hv__lx_death_disable(struct lx *h, uint32_t domid);
long long hv__lx_now_ms(void);
/*
 * One round of the event loop: poll the consoles, o's watches and libxl's own fds (timeout ms
 * at most), let libxl run what is due, run the watches' callbacks.
 * Returns: 0, 1 when a watch asked to stop (its value in *ret_watch), or < 0 (a watch's
 * error, or the loop's with d).
 */
int hv__lx_poll_once(struct lx *h, const struct hv_wait_opts *o, int timeout, int *ret_watch,
		     struct diag *d);
/* hv_libxl_ops.migrate_send, migrate_receive, unpause, resume (libxl-migrate.c) */
int hv__lx_migrate_send(void *hv, uint32_t domid, int fd, unsigned flags,
			const struct hv_progress *progress, struct diag *d);
int hv__lx_migrate_receive(void *hv, const struct hv_domcfg *cfg, int fd, uint32_t *ret_domid,
			   struct diag *d);
int hv__lx_unpause(void *hv, uint32_t domid, struct diag *d);
int hv__lx_resume(void *hv, uint32_t domid, struct diag *d);
/* cfg as libxl's config, in *dc (initialised here; the caller disposes it). */
int hv__lx_config_build(const struct hv_domcfg *cfg, libxl_domain_config *dc, struct diag *d);
/* hv_libxl_ops.wait */
int hv__lx_wait(void *hv, uint32_t domid, const struct hv_wait_opts *o, struct hv_event *ret,
		struct diag *d);
