/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stages that drive Xen share this: the hypervisor connection, the console logs, the
 * limits and clock of install and boot; and stopping the domain for destroy. The stages
 * themselves are in stage-install.c (boot the installer, act as its FAI monitor, judge the
 * result) and stage-boot.c (start the production guest and wait for its ready marker).
 *
 * The domain configs are built again from the inventory and the saved spec: the same
 * hv_domcfg that render wrote into config_dir, handed to the hypervisor directly (not
 * re-parsed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "templates/templates.h"
#include "pipeline.h"
#include "stage-xen.h"

#define CONSOLE_TAIL_LINES 20

static int64_t mono_clock(void *userdata)
{
	(void) userdata;
	return mono_usec();
}

const struct stage_xen_policy stage_xen_policy_default = {
	.stop_grace_s = 20, /* a failing TASKEND with no further message: FAI stopped */
	.progress_every_s = 15,
	.boot_timeout_s = 900,
	.wait_ms = 1000,
	.clock_usec = mono_clock,
};

const struct stage_xen_policy *stage_xen_policy(const struct pipeline *p)
{
	return p->o.xen ? p->o.xen : &stage_xen_policy_default;
}

long stage_xen_now_s(const struct stage_xen_policy *pol)
{
	return (long) (pol->clock_usec(pol->clock_userdata) / 1000000);
}

int stage_xen_connect(struct pipeline *p, void **ret_h)
{
	return p->o.hv->open(&(struct hv_open_opts){.log = stderr, .verbose = p->o.verbose}, ret_h,
			     &p->ctx->diag);
}

int stage_xen_console_path(struct pipeline *p, const char *stage, char **ret)
{
	int r;

	r = hv_console_log_path(p->site->state_dir, p->name, stage, ret);
	if (r >= 0)
		r = mkdir_parents(*ret, 0750); /* made with the spec at allocate, normally */
	return r < 0 ? diag_error_errno(&p->ctx->diag, NULL, r, "no console log for '%s'", p->name)
		     : 0;
}

void stage_xen_console_tail(struct pipeline *p, const char *log)
{
	_cleanup_(freep) char *tail = NULL;

	if (!log || hv_console_tail(log, CONSOLE_TAIL_LINES, &tail) < 0 || !tail || !*tail)
		return;
	diag_add(&p->ctx->diag, DIAG_NOTE, NULL, "last lines of the console (%s):\n%s", log, tail);
}

int stage_domain_stop(struct pipeline *p)
{
	void *h = NULL;
	int r;

	size_t mark = diag_mark(&p->ctx->diag);
	uint32_t domid;

	r = stage_xen_connect(p, &h);
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
