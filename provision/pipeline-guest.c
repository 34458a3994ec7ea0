/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting a guest's pipeline: a new guest, a request (again), or a guest to continue.
 * Shared by new-guest, resume and batch (whose -n plans every guest in one process).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "guestcfg.h"
#include "pipeline.h"
#include "render.h"

int pipeline_parse_until(struct prov_ctx *ctx, enum stage *ret)
{
	const char *u = opt_get(ctx, "until");

	*ret = STAGE_BOOT;
	if (!u)
		return 0;
	*ret = stage_from_string(u);
	if (*ret < 0)
		return usage_error(ctx,
				   "--until: unknown stage '%s' (allocate, carve, format, network, "
				   "configs, install, boot)",
				   u);
	return 0;
}

int pipeline_guest_init(struct pipeline *p, const struct tmpl_request *req)
{
	p->ip = opt_get(p->ctx, "ip");
	p->mac = opt_get(p->ctx, "mac");
	p->lun = opt_get(p->ctx, "lun");
	if (req) {
		p->name = req->name;
		p->request_id = req->request_id;
		if (req->owner)
			p->owner = req->owner;
		/* a request's choices; the command line still wins */
		p->ip = p->ip ? p->ip : req->ip;
		p->mac = p->mac ? p->mac : req->mac;
		p->lun = p->lun ? p->lun : req->lun;
	}
	free(p->who);
	p->who = pipeline_who(p->request_id);
	if (!p->who)
		return -ENOMEM;
	p->t = tmpl_guest_free(p->t);
	return prov_guest_template(p->ctx, p->name, req, &p->t);
}

/* Configs of this name that no guest of the inventory holds: a hand-made guest, say. */
static int refuse_foreign_configs(struct pipeline *p)
{
	for (int i = 0; i < 2; i++) {
		_cleanup_(freep) char *path =
			guest_cfg_path(p->site->config_dir, p->name, i ? "boot" : "install");

		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) == 0 && !opt_flag(p->ctx, "force"))
			return diag_error_errno(&p->ctx->diag, NULL, -EEXIST,
						"'%s' exists but no guest '%s' is in the inventory "
						"(made by hand?); --force takes it over",
						path, p->name);
	}
	return 0;
}

/* Continue the existing guest p->g from its saved spec (a repeated request, or resume). */
int pipeline_guest_continue(struct pipeline *p)
{
	int r;

	/* copies: p->g is replaced after every stage */
	free(p->g_request_id);
	free(p->g_owner);
	p->g_request_id = p->g->request_id ? strdup(p->g->request_id) : NULL;
	p->g_owner = p->g->owner ? strdup(p->g->owner) : NULL;
	if ((p->g->request_id && !p->g_request_id) || (p->g->owner && !p->g_owner))
		return -ENOMEM;
	p->request_id = p->g_request_id;
	p->owner = p->g_owner;
	free(p->who);
	p->who = pipeline_who(p->request_id);
	if (!p->who)
		return -ENOMEM;
	p->t = tmpl_guest_free(p->t);
	r = pipeline_load_template(p);
	if (r >= 0)
		r = pipeline_run(p);
	return r;
}

/*
 * A request again: the same request_id returns the guest it made (finishing it when it
 * stopped half-way); a different request for a name that exists is refused.
 */
static int request_again(struct pipeline *p, const struct tmpl_request *req)
{
	struct diag *d = &p->ctx->diag;
	int r;

	r = inv_guest_get_by_request(p->inv, req->request_id, d, &p->g);
	if (r == -ENOENT) {
		r = inv_guest_get(p->inv, p->name, d, &p->g);
		if (r == -ENOENT)
			return 0; /* new */
		if (r < 0)
			return r;
		diag_error(d, &req->name_loc, "guest '%s' exists for %s%s%s, not for request '%s'",
			   p->name, p->g->request_id ? "request '" : "no request",
			   p->g->request_id ? p->g->request_id : "", p->g->request_id ? "'" : "",
			   req->request_id);
		return -EEXIST;
	}
	if (r < 0)
		return r;
	if (!streq(p->g->name, p->name)) {
		diag_error(d, &req->name_loc, "request '%s' made guest '%s', not '%s'",
			   req->request_id, p->g->name, p->name);
		return -EEXIST;
	}
	fprintf(p->out, "request '%s': guest '%s' exists (stage %s)\n", req->request_id, p->name,
		p->g->stage ? p->g->stage : "none");
	return 1;
}

int pipeline_guest_new(struct pipeline *p)
{
	int r = refuse_foreign_configs(p);

	return r < 0 ? r : pipeline_run(p);
}

int pipeline_request_run(struct pipeline *p, const struct tmpl_request *req)
{
	int r = request_again(p, req);

	if (r < 0)
		return r;
	return r > 0 ? pipeline_guest_continue(p) : pipeline_guest_new(p);
}
