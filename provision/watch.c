/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `provision watch NAME` (watch.h): what `xl create` leaves behind, for the guests provision
 * starts. One loop: wait for the domain's shutdown or death (hv_ops.wait, no timeout), then
 * act under the guest's lock. Acting re-reads the world first, since anything may have
 * happened while the lock was someone else's: the guest may be destroyed (end), moved to
 * another Dom0 (end), started again as another domain by resume (watch that one), or resumed
 * here after a failed migration (watch it again, with fresh events). Only then does
 * hv_shutdown_apply() carry out the boot config's on_* action.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/run.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "migrate-run.h"
#include "render.h"
#include "watch.h"

#define WATCH_LOG  "watch.log"
#define WATCH_LOCK "watch.lock"

/* A line of the watcher's log: UTC time, the guest, the message. */
_printf_(2, 3) static void say(const char *name, const char *fmt, ...)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	printf("%s %s: ", ts, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* The diagnostics so far into the log, then forgotten (the watcher lives long). */
static void flush_diag(struct prov_ctx *ctx)
{
	fflush(stdout);
	diag_print(&ctx->diag, stdout, "provision watch");
	diag_truncate(&ctx->diag, 0);
	fflush(stdout);
}

struct watcher {
	struct prov_ctx *ctx;
	const char *name;
	struct inv *inv;	      /* open while loaded (the guest's lock is taken through it) */
	struct prov_migrate_guest mg; /* the guest, its boot config, the hypervisor */
	char *console_log;	      /* console-boot.log: a restarted domain's console */
	uint32_t domid;
	unsigned suspends; /* suspends in a row of a domain that stayed here */
};

static void unload(struct watcher *w)
{
	prov_migrate_guest_release(&w->mg);
	w->inv = inv_close(w->inv);
}

/*
 * The inventory, the guest's lock (with lock set: waiting for it), the guest and the
 * hypervisor, (re)read. The lock is the inventory connection's: release it before unload().
 * Returns: 0, -ENOENT (the guest is no longer in the inventory, nothing in d), < 0 with d.
 */
static int load(struct watcher *w, struct inv_lock **lock)
{
	struct diag *d = &w->ctx->diag;
	size_t mark = diag_mark(d);
	int r;

	unload(w);
	r = prov_inv_open(w->ctx, INV_OPEN_READONLY, &w->inv);
	if (r >= 0 && lock)
		r = prov_guest_lock(w->inv, w->name, true, d, lock);
	if (r >= 0)
		r = prov_migrate_guest_load(w->ctx, w->inv, &hv_libxl_ops, w->name, NULL, &w->mg);
	if (r == -ENOENT)
		diag_truncate(d, mark);
	else if (r >= 0 && lock && !w->mg.h)
		r = diag_error_errno(d, NULL, -ENODEV, "no Xen here%s", w->mg.hv_why);
	return r;
}

/* Hold no inventory connection while waiting (one per guest would add up on a Dom0). */
static void inv_drop(struct watcher *w)
{
	w->mg.p.inv = NULL; /* borrowed; what was loaded stays valid without it */
	w->inv = inv_close(w->inv);
}

enum verdict {
	GO_ON, /* watch w->domid (again) */
	END,   /* nothing of ours to watch here any more */
};

/*
 * Under the guest's lock: is the domain still ours to act on? Sets *v (and w->domid when
 * another domain of the guest's runs now). Returns: 1 act, 0 do not (see *v), < 0 with d.
 */
static int still_ours(struct watcher *w, uint32_t watched, enum verdict *v)
{
	const char *host = w->mg.g->host;

	*v = END;
	if (!host || !streq(host, prov_host_self())) {
		say(w->name, "the inventory has it on Dom0 '%s' now: done", host ? host : "(none)");
		return 0;
	}
	if (w->mg.domid == HV_DOMID_NONE) {
		say(w->name, "domain %u is gone: done", watched);
		return 0;
	}
	if (w->mg.domid != watched) {
		say(w->name, "it runs as domain %u now (started again by provision): watching that",
		    w->mg.domid);
		w->domid = w->mg.domid;
		*v = GO_ON;
		return 0;
	}
	return 1;
}

/* Domain w->domid shut down for reason: act on it. Returns: 0 and *v, or < 0 with d. */
static int on_shutdown(struct watcher *w, enum hv_shutdown reason, enum verdict *v)
{
	_cleanup_(inv_lock_releasep) struct inv_lock *lock = NULL;
	uint32_t watched = w->domid;
	struct hv_next next;
	int r;

	say(w->name, "domain %u shut down (%s)", watched, hv_shutdown_to_string(reason));
	/* one left suspended here is reported again at once: wait longer each time (to 64 s),
	 * without the guest's lock */
	if (reason == HV_SHUTDOWN_SUSPEND && w->suspends)
		sleep(1u << (w->suspends < 6 ? w->suspends : 6));
	r = load(w, &lock);
	if (r == -ENOENT) {
		*v = END;
		say(w->name, "no longer in the inventory: done");
		return 0;
	}
	if (r < 0)
		return r;
	r = still_ours(w, watched, v);
	if (r <= 0)
		return r;
	if (reason == HV_SHUTDOWN_SUSPEND) {
		/* a migration that failed (its lock is ours now): the domain runs here again */
		w->suspends++;
		say(w->name, "domain %u stayed here (a move that failed): watching it again",
		    watched);
		*v = GO_ON;
		return 0;
	}
	w->suspends = 0;
	r = hv_shutdown_apply(w->mg.hv, w->mg.h, &w->mg.render->boot, w->console_log, reason,
			      &w->domid, &next, &w->ctx->diag);
	if (r < 0)
		return r;
	say(w->name, "applied '%s'%s as its config says", hv_next_step_to_string(next.step),
	    next.coredump ? " (its core dumped first)" : "");
	if (w->domid != HV_DOMID_NONE && w->domid != watched)
		say(w->name, "started again: watching domain %u", w->domid);
	*v = w->domid == HV_DOMID_NONE ? END : GO_ON;
	return 0;
}

/*
 * The first load, and the watcher's lock (state_dir/guests/NAME/watch.lock, *ret_fd): the
 * guest must have a domain here. Returns: EXIT_OK to watch w->domid, -1 when another watcher
 * has the guest, or an exit status.
 */
static int start(struct watcher *w, int *ret_fd)
{
	struct diag *d = &w->ctx->diag;
	_cleanup_(freep) char *lock_path = NULL;
	int r;

	r = load(w, NULL);
	if (r == -ENOENT)
		return diag_error(d, NULL, "no guest '%s' in the inventory", w->name), EXIT_USAGE;
	if (r < 0)
		return prov_exit_status(r);
	r = hv_console_log_path(w->ctx->site->state_dir, w->name, "boot", &w->console_log);
	if (r >= 0 &&
	    asprintf(&lock_path, "%s/guests/%s/" WATCH_LOCK, w->ctx->site->state_dir, w->name) < 0)
		r = -ENOMEM;
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot watch '%s'", w->name), EXIT_FAIL;
	*ret_fd = lock_file(lock_path, false, d);
	if (*ret_fd == -EWOULDBLOCK) {
		say(w->name, "another watcher has it (%s): nothing to do", lock_path);
		return -1;
	}
	if (*ret_fd < 0)
		return EXIT_FAIL;
	if (!w->mg.h)
		return diag_error(d, NULL, "cannot watch '%s': no Xen here%s", w->name,
				  w->mg.hv_why),
		       EXIT_FAIL;
	if (w->mg.domid == HV_DOMID_NONE)
		return diag_error(d, NULL, "guest '%s' has no domain on this Dom0", w->name),
		       EXIT_FAIL;
	w->domid = w->mg.domid;
	inv_drop(w);
	say(w->name, "watching domain %u (pid %d)", w->domid, (int) getpid());
	return EXIT_OK;
}

int prov_watch(struct prov_ctx *ctx, const char *name)
{
	struct watcher w = {.ctx = ctx, .name = name, .domid = HV_DOMID_NONE};
	int fd = -1, r, status;

	status = start(&w, &fd);
	while (status == EXIT_OK) {
		struct hv_event ev;
		enum verdict v;

		flush_diag(ctx);
		r = w.mg.hv->wait(w.mg.h, w.domid, &(struct hv_wait_opts){.timeout_ms = -1}, &ev,
				  &ctx->diag);
		if (r < 0) {
			status = EXIT_FAIL;
			break;
		}
		if (ev.type == HV_EVENT_DEATH) {
			say(name, "domain %u was destroyed: done", w.domid);
			break;
		}
		if (ev.type != HV_EVENT_SHUTDOWN)
			continue;
		r = on_shutdown(&w, ev.reason, &v);
		inv_drop(&w);
		if (r < 0)
			status = prov_exit_status(r);
		else if (v == END)
			break;
	}
	unload(&w);
	free(w.console_log);
	if (fd >= 0)
		close(fd);
	return status < 0 ? EXIT_OK : status; /* -1: another watcher has it */
}

void prov_watch_spawn(const struct site *s, const char *site_path, const char *name, struct diag *d)
{
	_cleanup_(freep) char *log = NULL;
	char *argv[] = {"provision", "--site", (char *) site_path, "watch", (char *) name, NULL};
	struct run_child c = {.path = "/proc/self/exe", .argv = argv, .daemonize = true};
	int fd = -1, r;

	r = asprintf(&log, "%s/guests/%s/" WATCH_LOG, s->state_dir, name) < 0 ? -ENOMEM : 0;
	if (r >= 0)
		r = mkdir_parents(log, 0750);
	if (r >= 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		r = fd < 0 ? -errno : 0;
	}
	if (r >= 0) {
		c.out = (struct run_stream){.io = RUN_FD, .fd = fd};
		c.err = (struct run_stream){.io = RUN_FD, .fd = fd};
		r = run_start(&c);
		run_child_release(&c);
	}
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		errno = -r;
		diag_add(d, DIAG_WARNING, NULL,
			 "cannot start the watcher of '%s' (%m): its shutdowns are not acted on; "
			 "start one with 'provision watch %s'",
			 name, name);
	}
}
