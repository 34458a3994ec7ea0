/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot stage: start the production guest from its boot config and wait for its ready
 * marker (READY_MARKER NAME) on the console; then the inventory records this Dom0 as its
 * host. A guest that runs already and printed the marker is left alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "pipeline.h"
#include "render.h"
#include "stage-xen.h"
#include "watch.h"

static bool console_has_marker(const char *log, const char *name)
{
	_cleanup_(freep) char *tail = NULL, *want = NULL;

	if (hv_console_tail(log, 200, &tail) < 0 || !tail)
		return false;
	if (asprintf(&want, READY_MARKER "%s", name) < 0)
		return false;
	return strstr(tail, want) != NULL;
}

/*
 * Wait for domid's ready marker on log, started at start (the policy's clock).
 * Returns: 0 when it came, or < 0 with the reason in p's diag (it stopped, the time is up).
 */
static int boot_wait_ready(struct pipeline *p, void *h, uint32_t domid, const char *log, long start)
{
	const struct stage_xen_policy *pol = stage_xen_policy(p);
	unsigned limit = p->t->boot_timeout_s ? p->t->boot_timeout_s : pol->boot_timeout_s;

	for (;;) {
		struct hv_event ev;
		int r;

		r = p->o.hv->wait(h, domid, &(struct hv_wait_opts){.timeout_ms = pol->wait_ms}, &ev,
				  &p->ctx->diag);
		if (r < 0)
			return r;
		if (console_has_marker(log, p->name))
			return 0;
		if (ev.type == HV_EVENT_SHUTDOWN || ev.type == HV_EVENT_DEATH)
			return diag_error(&p->ctx->diag, NULL,
					  "'%s' stopped before it was ready (%s)", p->name,
					  ev.type == HV_EVENT_DEATH
						  ? "destroyed"
						  : hv_shutdown_to_string(ev.reason));
		if (stage_xen_now_s(pol) - start > (long) limit)
			return diag_error_errno(&p->ctx->diag, NULL, -ETIMEDOUT,
						"'%s' was not ready within %us", p->name, limit);
	}
}

int stage_boot(struct pipeline *p)
{
	const struct guest_render *gr;
	_cleanup_(freep) char *log = NULL;
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
	r = stage_xen_connect(p, &h);
	if (r < 0)
		return r;
	r = stage_xen_console_path(p, "boot", &log);
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
	start = stage_xen_now_s(stage_xen_policy(p));
	fprintf(p->out, "  '%s' started as domain %u, waiting for its ready marker\n", p->name,
		domid);
	fflush(p->out);
	r = boot_wait_ready(p, h, domid, log, start);
	if (r < 0)
		goto out;
	fprintf(p->out, "  '%s' is up after %lds\n", p->name,
		stage_xen_now_s(stage_xen_policy(p)) - start);
done:
	r = inv_guest_set_host(p->inv, p->g->id, prov_host_self(), p->who, &p->ctx->diag);
	if (r >= 0)
		prov_host_note(p->inv, p->site, p->o.hv, h, &p->ctx->diag); /* its memory now */
	if (r >= 0 && p->o.watch) /* its reboots: what xl create's process would do */
		prov_watch_spawn(p->site, p->o.site_path, p->name, &p->ctx->diag);
out:
	if (r < 0)
		stage_xen_console_tail(p, log);
	p->o.hv->close(h);
	return r;
}
