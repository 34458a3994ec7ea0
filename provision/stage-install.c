/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The install stage: boot the installer from the install config, act as its FAI monitor
 * and judge the result.
 *
 * install_watch() waits for the installer and reads FAI's reports until one of the ends in
 * enum install_end; the small functions before it are the policy (when FAI counts as
 * stopped, what counts as finished, the timeout, the progress lines); install_end() turns
 * the end into the stage's result and its messages.
 *
 * Once the installer is gone (done, failed, or destroyed by us), FAI's own logs are copied
 * from a PV guest's disk into state_dir/guests/NAME/fai, beside the console logs.
 *
 * A guest with install.method cdrom runs its own installer from its CD: cdrom_watch() waits
 * for it to power the guest off (its reboots restart it), within the install's timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "netboot/monitor.h"
#include "netboot/relay.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "pipeline.h"
#include "render.h"
#include "stage-xen.h"

/* How a watch of the installer ended. */
enum install_end {
	INSTALL_HALTED,	      /* it powered off or rebooted: FAI's verdict decides */
	INSTALL_BAD_SHUTDOWN, /* it shut down otherwise (crash, watchdog, ...) */
	INSTALL_DEATH,	      /* it was destroyed by someone else */
	INSTALL_FAI_STOPPED,  /* FAI sits at its shell: it said so, or went silent on an error */
	INSTALL_TIMEOUT,      /* the install's time is up */
	INSTALL_ERROR,	      /* waiting or reading FAI's reports failed (w->r) */
};

struct install_watch {
	struct pipeline *p;
	const struct stage_xen_policy *pol;
	const struct hv_domcfg *cfg; /* the install config */
	const char *log;	     /* its console */
	void *h;
	uint32_t domid;
	struct nb_relay *relay;
	struct nb_monitor mon;
	long start, last_msg, last_progress;
	struct hv_event ev; /* the shutdown or death that ended the watch */
	int r;		    /* INSTALL_ERROR: why */
	bool running, started, gone;
};

/* ---- the policy ---- */

static unsigned install_timeout_s(const struct pipeline *p)
{
	return tmpl_install_timeout_s(p->t, p->site);
}

static bool install_by_fai(const struct pipeline *p)
{
	return p->t->install_method == TMPL_INSTALL_FAI;
}

/* FAI stopped at its shell (it never powers off then): it said so, or it went silent. */
static bool install_fai_stopped(const struct install_watch *w)
{
	return w->mon.state == NB_MON_STOPPED ||
	       (nb_monitor_stalled_on_error(&w->mon) &&
		stage_xen_now_s(w->pol) - w->last_msg > (long) w->pol->stop_grace_s);
}

/* A shutdown that ends an install: FAI halts or reboots when it is done. */
static bool install_halted(enum hv_shutdown reason)
{
	return reason == HV_SHUTDOWN_POWEROFF || reason == HV_SHUTDOWN_REBOOT;
}

static bool install_timed_out(const struct install_watch *w)
{
	return stage_xen_now_s(w->pol) - w->start > (long) install_timeout_s(w->p);
}

static bool install_progress_due(const struct install_watch *w)
{
	return stage_xen_now_s(w->pol) - w->last_progress >= (long) w->pol->progress_every_s;
}

static void print_progress(struct pipeline *p, const struct nb_monitor *m, long elapsed)
{
	const char *task = nb_monitor_current_task(m);

	if (m->n_msgs == 0)
		fprintf(p->out, "  install: %lds, the installer boots (no word from FAI yet)\n",
			elapsed);
	else if (*task)
		fprintf(p->out, "  install: %lds, FAI task '%s'\n", elapsed, task);
	else
		fprintf(p->out, "  install: %lds, FAI between tasks (last '%s')\n", elapsed,
			m->last_task);
	fflush(p->out);
}

/* ---- FAI's reports ---- */

static void on_line(const char *line, void *userdata)
{
	struct install_watch *w = userdata;
	struct nb_mon_msg m;

	if (nb_monitor_feed(&w->mon, line, &m) == 1) {
		w->last_msg = stage_xen_now_s(w->pol);
		if (w->p->o.verbose) {
			fprintf(w->p->out, "  fai: %s\n", line);
			fflush(w->p->out);
		}
	}
}

static int on_fd(int fd, short revents, void *userdata)
{
	struct install_watch *w = userdata;
	int r = nb_relay_read(w->relay, on_line, w);

	(void) fd;
	(void) revents;
	if (r < 0)
		return r;
	return w->mon.state == NB_MON_STOPPED ? 1 : 0;
}

/*
 * Watch this install's FAI reports: through the Dom0's relay, which owns the monitor port
 * and hands each install its own lines, so installs on one Dom0 run at the same time.
 */
static int relay_join(struct pipeline *p, struct nb_relay **ret)
{
	_cleanup_(freep) char *spool = NULL;
	char *argv[] = {(char *) "provision",	(char *) "--site",	(char *) p->o.site_path,
			(char *) "fai-monitor", (char *) "--inherited", NULL};

	if (prov_fai_spool(p->site, &spool) < 0)
		return -ENOMEM;
	return nb_relay_join(&(struct nb_relay_join_opts){.spool_dir = spool,
							  .port = p->site->fai.monitor_port,
							  .host = p->name,
							  .daemon_path = p->o.relay_daemon
										 ? p->o.relay_daemon
										 : "/proc/self/exe",
							  .daemon_argv = argv},
			     ret, &p->ctx->diag);
}

/* Keep the install's FAI reports beside its console logs (best effort). */
static struct nb_relay *relay_leave(struct pipeline *p, struct nb_relay *relay)
{
	_cleanup_(freep) char *keep = NULL;

	if (relay &&
	    asprintf(&keep, "%s/guests/%s/fai-monitor.log", p->site->state_dir, p->name) < 0)
		keep = NULL;
	return nb_relay_leave(relay, keep);
}

/* ---- the installer ---- */

/* Destroy the installer; whether it is gone (also when it was already). */
static bool install_destroy(struct install_watch *w)
{
	int r = w->p->o.hv->destroy(w->h, w->domid, &w->p->ctx->diag);

	return r >= 0 || r == -ENOENT;
}

/*
 * FAI's savelog keeps each run's logs on the target in /var/log/fai/HOST/ACTION-DATE_TIME
 * with `last` pointing to the newest; HOST is the name from ip=, the guest's. Best effort:
 * the install's result stands either way, and after a destroyed installer FAI may have
 * written nothing (or empty files: the console log is the record then).
 */
static void keep_fai_logs(struct pipeline *p)
{
	_cleanup_(freep) char *src = NULL, *dest = NULL;
	struct pipeline_owners o = {0};
	struct diag d = DIAG_INIT;
	struct part_guard guard;
	int r;

	if (!p->g->has_partition || !p->g->part.partuuid)
		return;
	if (asprintf(&src, "/var/log/fai/%s/last", p->name) < 0)
		src = NULL;
	if (asprintf(&dest, "%s/guests/%s/fai", p->site->state_dir, p->name) < 0)
		dest = NULL;
	r = src && dest ? pipeline_guard_init(p, &o, &guard, &d) : -ENOMEM;
	if (r >= 0)
		r = part_fs_copy_out(&guard, p->g->part.lun, p->g->part.partuuid, p->name, src,
				     dest, &d);
	if (r >= 0) {
		fprintf(p->out, "  FAI's logs kept in %s (%d files)\n", dest, r);
		fflush(p->out);
	}
	/* the install's result stands: what went wrong here is a warning */
	for (size_t i = 0; i < d.n; i++) {
		if (d.v[i].level == DIAG_ERROR)
			diag_add(&p->ctx->diag, DIAG_WARNING, NULL,
				 "cannot keep FAI's logs of '%s': %s", p->name, d.v[i].msg);
		else
			diag_add(&p->ctx->diag, d.v[i].level, NULL, "%s", d.v[i].msg);
	}
	if (r < 0 && d.n_errors == 0)
		diag_add(&p->ctx->diag, DIAG_WARNING, NULL, "cannot keep FAI's logs of '%s': %s",
			 p->name, strerror(-r));
	diag_release(&d);
	pipeline_owners_release(&o);
}

/*
 * Connect, join the relay, and start the installer (a domain of its name left by a crashed
 * run is destroyed first: its install cannot be trusted). *log gets the console's path.
 * Returns: 0 with the installer running, or < 0 with the reason in p's diag.
 */
static int install_start(struct install_watch *w, char **log)
{
	struct pipeline *p = w->p;
	int r;

	/* Xen first: no relay is started on a host that cannot install */
	r = stage_xen_connect(p, &w->h);
	if (r >= 0 && install_by_fai(p))
		r = relay_join(p, &w->relay);
	if (r >= 0)
		r = stage_xen_console_path(p, "install", log);
	if (r >= 0) {
		w->log = *log;
		r = hv_domain_destroy_by_name(p->o.hv, w->h, p->name, &p->ctx->diag);
		if (r == -ENOENT)
			r = 0;
	}
	if (r >= 0)
		r = p->o.hv->create(w->h, w->cfg, w->log, &w->domid, &p->ctx->diag);
	if (r < 0)
		return r;
	w->running = w->started = true;
	w->start = w->last_progress = w->last_msg = stage_xen_now_s(w->pol);
	fprintf(p->out, "  installer running as domain %u, console in %s\n", w->domid, w->log);
	fflush(p->out);
	return 0;
}

/* One wait for the installer, then the FAI reports that came. Returns: 0, or < 0 with d. */
static int install_wait(struct install_watch *w, struct hv_event *ev)
{
	struct pipeline *p = w->p;
	struct hv_watch watch = {nb_relay_fd(w->relay), POLLIN, on_fd, w};
	int r;

	r = p->o.hv->wait(w->h, w->domid,
			  &(struct hv_wait_opts){.timeout_ms = w->pol->wait_ms,
						 .watches = &watch,
						 .n_watches = watch.fd >= 0},
			  ev, &p->ctx->diag);
	if (r < 0)
		return r;
	/* without inotify, and for lines that came with the wake-up: read on our clock */
	r = nb_relay_read(w->relay, on_line, w);
	if (r < 0)
		return diag_error_errno(&p->ctx->diag, NULL, r,
					"cannot read the FAI reports of '%s'", p->name);
	return 0;
}

/* Watch the running installer and FAI's reports until the install ends, one way or another. */
static enum install_end install_watch(struct install_watch *w)
{
	for (;;) {
		struct hv_event ev;

		w->r = install_wait(w, &ev);
		if (w->r < 0)
			return INSTALL_ERROR;
		if (install_fai_stopped(w))
			return INSTALL_FAI_STOPPED;
		if (ev.type == HV_EVENT_DEATH) {
			w->ev = ev;
			return INSTALL_DEATH;
		}
		if (ev.type == HV_EVENT_SHUTDOWN) {
			w->ev = ev;
			return install_halted(ev.reason) ? INSTALL_HALTED : INSTALL_BAD_SHUTDOWN;
		}
		if (install_timed_out(w))
			return INSTALL_TIMEOUT;
		if (install_progress_due(w)) {
			w->last_progress = stage_xen_now_s(w->pol);
			print_progress(w->p, &w->mon, w->last_progress - w->start);
		}
	}
}

/* The installer shut down or died: FAI's verdict, then how the installer stopped. */
static int install_end_stopped(struct install_watch *w, enum install_end end)
{
	struct pipeline *p = w->p;
	struct hv_next next = {.step = HV_NEXT_DESTROY};
	int k = 0, r;

	if (end != INSTALL_DEATH)
		k = hv_shutdown_apply(p->o.hv, w->h, w->cfg, w->log, w->ev.reason, &w->domid, &next,
				      &p->ctx->diag);
	w->running = false;
	/* no longer writing its disk unless it was started again */
	w->gone = k >= 0 && next.step != HV_NEXT_RESTART && next.step != HV_NEXT_RENAME_RESTART &&
		  next.step != HV_NEXT_SOFT_RESET;
	r = nb_monitor_result(&w->mon, &p->ctx->diag);
	if (r < 0)
		return r;
	if (end == INSTALL_BAD_SHUTDOWN)
		return diag_error(&p->ctx->diag, NULL,
				  "the installer stopped with '%s', not a halt or reboot",
				  hv_shutdown_to_string(w->ev.reason));
	fprintf(p->out, "  install finished after %lds: every FAI task below %u\n",
		stage_xen_now_s(w->pol) - w->start, w->mon.fail_code);
	return 0;
}

/* ---- the guest's own installer (install.method cdrom) ---- */

/* The CD installer shut down: a reboot goes on (on_reboot restart), a power-off ends it. */
static int cdrom_shutdown(struct install_watch *w, const struct hv_event *ev, bool *ret_done)
{
	struct pipeline *p = w->p;
	struct hv_next next = {.step = HV_NEXT_DESTROY};
	int r;

	r = hv_shutdown_apply(p->o.hv, w->h, w->cfg, w->log, ev->reason, &w->domid, &next,
			      &p->ctx->diag);
	if (r < 0)
		return r;
	if (next.step == HV_NEXT_RESTART || next.step == HV_NEXT_RENAME_RESTART ||
	    next.step == HV_NEXT_SOFT_RESET) {
		fprintf(p->out,
			"  install: %lds, the guest's installer shut down ('%s'), runs again as domain %u\n",
			stage_xen_now_s(w->pol) - w->start, hv_shutdown_to_string(ev->reason),
			w->domid);
		fflush(p->out);
		*ret_done = false;
		return 0;
	}
	w->running = false;
	w->gone = true;
	*ret_done = true;
	if (ev->reason != HV_SHUTDOWN_POWEROFF)
		return diag_error(&p->ctx->diag, NULL,
				  "the guest's installer stopped with '%s', not a power-off",
				  hv_shutdown_to_string(ev->reason));
	fprintf(p->out, "  install finished after %lds: the guest's installer powered it off\n",
		stage_xen_now_s(w->pol) - w->start);
	return 0;
}

/* Wait for the guest's own installer to power the guest off, within the install's time. */
static int cdrom_watch(struct install_watch *w)
{
	struct pipeline *p = w->p;

	for (;;) {
		struct hv_event ev;
		bool done = false;
		int r;

		r = p->o.hv->wait(w->h, w->domid,
				  &(struct hv_wait_opts){.timeout_ms = w->pol->wait_ms}, &ev,
				  &p->ctx->diag);
		if (r < 0)
			return r;
		if (ev.type == HV_EVENT_DEATH) {
			w->running = false;
			w->gone = true;
			return diag_error(
				&p->ctx->diag, NULL,
				"the installer of '%s' was destroyed before it powered off",
				p->name);
		}
		if (ev.type == HV_EVENT_SHUTDOWN) {
			r = cdrom_shutdown(w, &ev, &done);
			if (r < 0 || done)
				return r;
		}
		if (install_timed_out(w))
			return diag_error_errno(
				&p->ctx->diag, NULL, -ETIMEDOUT,
				"the guest's installer did not power off within %us",
				install_timeout_s(p));
		if (install_progress_due(w)) {
			w->last_progress = stage_xen_now_s(w->pol);
			fprintf(p->out,
				"  install: %lds, the guest's own installer runs (until it powers off)\n",
				w->last_progress - w->start);
			fflush(p->out);
		}
	}
}

/* The stage's result for how the watch ended, with its messages. */
static int install_end(struct install_watch *w, enum install_end end)
{
	struct diag *d = &w->p->ctx->diag;

	switch (end) {
	case INSTALL_FAI_STOPPED:
		/* FAI sits at its shell and never powers off: stop it now */
		w->gone = install_destroy(w);
		w->running = false;
		(void) nb_monitor_result(&w->mon, d);
		return diag_error(
			d, NULL,
			"FAI stopped in task '%s' with code %u (no word for %lds, it waits at its shell): domain destroyed",
			w->mon.worst_task, w->mon.worst_code,
			stage_xen_now_s(w->pol) - w->last_msg);
	case INSTALL_TIMEOUT:
		return diag_error_errno(d, NULL, -ETIMEDOUT,
					"the install did not finish within %us (task '%s')",
					install_timeout_s(w->p), nb_monitor_current_task(&w->mon));
	case INSTALL_ERROR:
		return w->r;
	default:
		return install_end_stopped(w, end);
	}
}

int stage_install(struct pipeline *p)
{
	const struct guest_render *gr;
	_cleanup_(freep) char *log = NULL;
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	struct install_watch w = {.p = p, .pol = stage_xen_policy(p)};
	int r;

	/* a clone was installed by the format stage: its image's filesystem, made this guest */
	r = pipeline_clone_image(p, &im);
	if (r >= 0) {
		fprintf(p->out, "  %s from image '%s' (captured from '%s'): nothing to install\n",
			p->o.dry_run ? "to be cloned" : "cloned", im->name, im->source);
		return 0;
	}
	if (r != -ENOENT)
		return r;
	r = pipeline_render(p, &gr);
	if (r < 0)
		return r;
	if (p->o.dry_run && !install_by_fai(p)) {
		fprintf(p->out,
			"  would boot the CD of '%s' and wait for its installer to power it off\n",
			p->name);
		return 0;
	}
	if (p->o.dry_run) {
		fprintf(p->out, "  would boot the installer of '%s' and watch FAI on port %u\n",
			p->name, p->site->fai.monitor_port);
		return 0;
	}
	r = pipeline_configs_write(p);
	if (r < 0)
		return r;
	w.cfg = &gr->install;
	nb_monitor_init(&w.mon, p->name, p->site->fai.fail_code, 0);
	r = install_start(&w, &log);
	if (r >= 0 && install_by_fai(p))
		r = install_end(&w, install_watch(&w));
	else if (r >= 0)
		r = cdrom_watch(&w);
	if (w.running)
		w.gone = install_destroy(&w);
	if (r < 0)
		stage_xen_console_tail(p, log);
	/* FAI's logs are in a PV guest's file system; an HVM guest's is inside its own table */
	if (w.started && w.gone && install_by_fai(p) && p->t->type == TMPL_GUEST_PV)
		keep_fai_logs(p);
	p->o.hv->close(w.h);
	relay_leave(p, w.relay);
	return r;
}
