/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stages that drive Xen: install (boot the installer from the install config, act as its
 * FAI monitor, judge the result) and boot (start the production guest and wait for its ready
 * marker); and stopping the domain for destroy.
 *
 * The domain configs are built again from the inventory and the saved spec: the same
 * hv_domcfg that render wrote into config_dir, handed to libxl directly (not re-parsed).
 *
 * Once the installer is gone (done, failed, or destroyed by us), FAI's own logs are copied
 * from the guest's disk into state_dir/guests/NAME/fai, beside the console logs.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "netboot/relay.h"
#include "netboot/monitor.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "guestcfg.h"
#include "pipeline.h"
#include "prov.h"
#include "render.h"

#define READY_MARKER	   "PROVISION-READY "
#define BOOT_TIMEOUT_S	   900
#define STOP_GRACE_S	   20 /* a failing TASKEND with no further message: FAI stopped */
#define PROGRESS_EVERY_S   15
#define CONSOLE_TAIL_LINES 20

static long now_s(void)
{
	return (long) (mono_usec() / 1000000);
}

static int connect_xen(struct pipeline *p, void **ret_h)
{
	return p->o.hv->open(&(struct hv_open_opts){.log = stderr, .verbose = p->o.verbose}, ret_h,
			     &p->ctx->diag);
}

static int console_path(struct pipeline *p, const char *stage, char **ret)
{
	int r;

	r = hv_console_log_path(p->site->state_dir, p->name, stage, ret);
	if (r >= 0)
		r = mkdir_parents(*ret, 0750); /* made with the spec at allocate, normally */
	return r < 0 ? diag_error_errno(&p->ctx->diag, NULL, r, "no console log for '%s'", p->name)
		     : 0;
}

static void show_console_tail(struct pipeline *p, const char *log)
{
	_cleanup_(freep) char *tail = NULL;

	if (!log || hv_console_tail(log, CONSOLE_TAIL_LINES, &tail) < 0 || !tail || !*tail)
		return;
	diag_add(&p->ctx->diag, DIAG_NOTE, NULL, "last lines of the console (%s):\n%s", log, tail);
}

/* ---- install ---- */

/* Destroy the installer; whether it is gone (also when it was already). */
static bool install_destroy(struct pipeline *p, void *h, uint32_t domid)
{
	int r = p->o.hv->destroy(h, domid, &p->ctx->diag);

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

struct install_watch {
	struct pipeline *p;
	struct nb_relay *relay;
	struct nb_monitor mon;
	long last_msg;
};

static void on_line(const char *line, void *userdata)
{
	struct install_watch *w = userdata;
	struct nb_mon_msg m;

	if (nb_monitor_feed(&w->mon, line, &m) == 1) {
		w->last_msg = now_s();
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
							  .daemon_path = "/proc/self/exe",
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

int stage_install(struct pipeline *p)
{
	const struct guest_render *gr;
	_cleanup_(freep) char *log = NULL;
	struct install_watch w = {.p = p};
	unsigned timeout =
		p->t->install_timeout_s ? p->t->install_timeout_s : p->site->fai.timeout_s;
	long start, last_progress;
	uint32_t domid = 0;
	bool running = false, started = false, gone = false;
	void *h = NULL;
	int r;

	r = pipeline_render(p, &gr);
	if (r < 0)
		return r;
	if (p->o.dry_run) {
		fprintf(p->out, "  would boot the installer of '%s' and watch FAI on port %u\n",
			p->name, p->site->fai.monitor_port);
		return 0;
	}
	r = pipeline_configs_write(p);
	if (r < 0)
		return r;
	nb_monitor_init(&w.mon, p->name, p->site->fai.fail_code, 0);
	/* Xen first: no relay is started on a host that cannot install */
	r = connect_xen(p, &h);
	if (r >= 0)
		r = relay_join(p, &w.relay);
	if (r >= 0)
		r = console_path(p, "install", &log);
	if (r >= 0) {
		/* a domain of this name left by a crashed run: its install cannot be trusted */
		r = hv_domain_destroy_by_name(p->o.hv, h, p->name, &p->ctx->diag);
		if (r == -ENOENT)
			r = 0;
	}
	if (r >= 0)
		r = p->o.hv->create(h, &gr->install, log, &domid, &p->ctx->diag);
	if (r < 0)
		goto out;
	running = started = true;
	start = last_progress = w.last_msg = now_s();
	fprintf(p->out, "  installer running as domain %u, console in %s\n", domid, log);
	fflush(p->out);
	for (;;) {
		struct hv_watch watch = {nb_relay_fd(w.relay), POLLIN, on_fd, &w};
		struct hv_event ev;
		int rd;

		r = p->o.hv->wait(h, domid,
				  &(struct hv_wait_opts){.timeout_ms = 1000,
							 .watches = &watch,
							 .n_watches = watch.fd >= 0},
				  &ev, &p->ctx->diag);
		/* without inotify, and for lines that came with the wake-up: read on our clock */
		rd = r >= 0 ? nb_relay_read(w.relay, on_line, &w) : 0;
		if (rd < 0)
			r = diag_error_errno(&p->ctx->diag, NULL, rd,
					     "cannot read the FAI reports of '%s'", p->name);
		if (r < 0)
			goto out;
		if (w.mon.state == NB_MON_STOPPED ||
		    (nb_monitor_stalled_on_error(&w.mon) && now_s() - w.last_msg > STOP_GRACE_S)) {
			/* FAI sits at its shell and never powers off: stop it now */
			gone = install_destroy(p, h, domid);
			running = false;
			(void) nb_monitor_result(&w.mon, &p->ctx->diag);
			r = diag_error(
				&p->ctx->diag, NULL,
				"FAI stopped in task '%s' with code %u (no word for %lds, it "
				"waits at its shell): domain destroyed",
				w.mon.worst_task, w.mon.worst_code, now_s() - w.last_msg);
			goto out;
		}
		if (ev.type == HV_EVENT_SHUTDOWN || ev.type == HV_EVENT_DEATH) {
			struct hv_next next = {.step = HV_NEXT_DESTROY};
			int k = 0;

			if (ev.type == HV_EVENT_SHUTDOWN)
				k = hv_shutdown_apply(p->o.hv, h, &gr->install, log, ev.reason,
						      &domid, &next, &p->ctx->diag);
			running = false;
			/* no longer writing its disk unless it was started again */
			gone = k >= 0 && next.step != HV_NEXT_RESTART &&
			       next.step != HV_NEXT_RENAME_RESTART &&
			       next.step != HV_NEXT_SOFT_RESET;
			r = nb_monitor_result(&w.mon, &p->ctx->diag);
			if (r < 0)
				goto out;
			if (ev.type == HV_EVENT_SHUTDOWN && ev.reason != HV_SHUTDOWN_POWEROFF &&
			    ev.reason != HV_SHUTDOWN_REBOOT) {
				r = diag_error(
					&p->ctx->diag, NULL,
					"the installer stopped with '%s', not a halt or reboot",
					hv_shutdown_to_string(ev.reason));
				goto out;
			}
			fprintf(p->out, "  install finished after %lds: every FAI task below %u\n",
				now_s() - start, w.mon.fail_code);
			r = 0;
			goto out;
		}
		if (now_s() - start > (long) timeout) {
			r = diag_error_errno(&p->ctx->diag, NULL, -ETIMEDOUT,
					     "the install did not finish within %us (task '%s')",
					     timeout, nb_monitor_current_task(&w.mon));
			goto out;
		}
		if (now_s() - last_progress >= PROGRESS_EVERY_S) {
			last_progress = now_s();
			print_progress(p, &w.mon, last_progress - start);
		}
	}
out:
	if (running)
		gone = install_destroy(p, h, domid);
	if (r < 0)
		show_console_tail(p, log);
	if (started && gone)
		keep_fai_logs(p);
	p->o.hv->close(h);
	relay_leave(p, w.relay);
	return r;
}

/* ---- boot ---- */

static bool console_has_marker(const char *log, const char *name)
{
	_cleanup_(freep) char *tail = NULL, *want = NULL;

	if (hv_console_tail(log, 200, &tail) < 0 || !tail)
		return false;
	if (asprintf(&want, READY_MARKER "%s", name) < 0)
		return false;
	return strstr(tail, want) != NULL;
}

int stage_boot(struct pipeline *p)
{
	const struct guest_render *gr;
	_cleanup_(freep) char *log = NULL;
	char hn[256] = "";
	uint32_t domid = 0;
	void *h = NULL;
	long start;
	int r;

	r = pipeline_render(p, &gr);
	if (r < 0)
		return r;
	if (p->o.dry_run) {
		fprintf(p->out, "  would start '%s' from its boot config and wait for '%s%s'\n",
			p->name, READY_MARKER, p->name);
		return 0;
	}
	r = pipeline_configs_write(p);
	if (r < 0)
		return r;
	r = connect_xen(p, &h);
	if (r < 0)
		return r;
	r = console_path(p, "boot", &log);
	if (r >= 0 && p->o.hv->domid(h, p->name, &domid, &p->ctx->diag) == 0 &&
	    console_has_marker(log, p->name)) {
		fprintf(p->out, "  '%s' already runs as domain %u\n", p->name, domid);
		goto done;
	}
	if (r >= 0) {
		r = hv_domain_destroy_by_name(p->o.hv, h, p->name, &p->ctx->diag);
		if (r == -ENOENT)
			r = 0;
	}
	if (r >= 0) {
		(void) unlink(log); /* the marker must come from this boot */
		r = p->o.hv->create(h, &gr->boot, log, &domid, &p->ctx->diag);
	}
	if (r < 0)
		goto out;
	start = now_s();
	fprintf(p->out, "  '%s' started as domain %u, waiting for its ready marker\n", p->name,
		domid);
	fflush(p->out);
	for (;;) {
		struct hv_event ev;

		r = p->o.hv->wait(h, domid, &(struct hv_wait_opts){.timeout_ms = 1000}, &ev,
				  &p->ctx->diag);
		if (r < 0)
			goto out;
		if (console_has_marker(log, p->name))
			break;
		if (ev.type == HV_EVENT_SHUTDOWN || ev.type == HV_EVENT_DEATH) {
			r = diag_error(&p->ctx->diag, NULL, "'%s' stopped before it was ready (%s)",
				       p->name,
				       ev.type == HV_EVENT_DEATH
					       ? "destroyed"
					       : hv_shutdown_to_string(ev.reason));
			goto out;
		}
		if (now_s() - start > BOOT_TIMEOUT_S) {
			r = diag_error_errno(&p->ctx->diag, NULL, -ETIMEDOUT,
					     "'%s' was not ready within %ds", p->name,
					     BOOT_TIMEOUT_S);
			goto out;
		}
	}
	fprintf(p->out, "  '%s' is up after %lds\n", p->name, now_s() - start);
done:
	(void) gethostname(hn, sizeof(hn) - 1);
	r = inv_guest_set_host(p->inv, p->g->id, hn, p->who, &p->ctx->diag);
out:
	if (r < 0)
		show_console_tail(p, log);
	p->o.hv->close(h);
	return r;
}

int stage_domain_stop(struct pipeline *p)
{
	void *h = NULL;
	int r;

	size_t mark = diag_mark(&p->ctx->diag);
	uint32_t domid;

	r = connect_xen(p, &h);
	if (r == -ENODEV) {
		/* the one failure that is an answer: no domain can run on this host */
		diag_truncate(&p->ctx->diag, mark);
		fprintf(p->out, "  not a Xen dom0: no domain to stop\n");
		return 0;
	}
	if (r >= 0 && p->o.dry_run) {
		r = p->o.hv->domid(h, p->name, &domid, &p->ctx->diag);
		if (r >= 0)
			fprintf(p->out, "  would stop domain '%s' (%u)\n", p->name, domid);
		r = r == -ENOENT ? 0 : r;
	} else if (r >= 0) {
		r = hv_domain_destroy_by_name(p->o.hv, h, p->name, &p->ctx->diag);
		if (r >= 0)
			fprintf(p->out, "  stopped domain '%s'\n", p->name);
		else if (r == -ENOENT)
			r = 0;
	}
	p->o.hv->close(h);
	return r;
}
