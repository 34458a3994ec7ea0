/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision new-guest NAME --template T ...  and  provision resume NAME */
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
#include "prov.h"
#include "render.h"

const struct cmd_option new_guest_options[] = {
	GUEST_OPTIONS,
	{"lun", 0, "DEV", "take the partition from this LUN only"},
	{"owner", 0, "WHO", "who asked for the guest (for the hooks, e.g. an e-mail address)"},
	{"until", 0, "STAGE",
	 "stop after this stage (allocate carve format network configs install boot)"},
	{"force", 'f', NULL,
	 "take over configs in config_dir that no guest of the inventory holds"},
	{"request", 'r', "FILE|-", "a YAML or JSON request (idempotent by its request_id)"},
	{NULL},
};

const struct cmd_option resume_options[] = {
	{"until", 0, "STAGE", "stop after this stage"},
	{NULL},
};

static int parse_until(struct prov_ctx *ctx, enum stage *ret)
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

static int finish(struct pipeline *p, int r)
{
	struct prov_ctx *ctx = p->ctx;
	int status = r >= 0 ? EXIT_OK : r == -EEXIST || r == -EBUSY ? EXIT_CONFLICT : EXIT_FAIL;

	if (ctx->json)
		pipeline_print_json(p, r, stdout);
	else if (r >= 0 && p->g)
		printf("%s guest '%s': stage %s done\n", p->dry_run ? "plan for" : "ok:", p->name,
		       p->dry_run ? stage_to_string(p->until) : p->g->stage);
	pipeline_release(p);
	return status;
}

/* Continue the existing guest p->g from its saved spec (a repeated request, or resume). */
static int continue_guest(struct pipeline *p)
{
	int r;

	p->request_id = p->g->request_id;
	p->owner = p->g->owner;
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

int cmd_new_guest(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_request_freep) struct tmpl_request *req = NULL;
	const char *req_path = opt_get(ctx, "request");
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argc > 1 ? argv[1] : NULL};
	int lock = -1, r;

	if (req_path) {
		r = tmpl_request_load(req_path, &ctx->diag, &req);
		if (r < 0)
			return prov_finish(ctx, EXIT_USAGE);
		if (p.name && !streq(p.name, req->name))
			return usage_error(ctx, "the request is for '%s', not '%s'", req->name,
					   p.name);
		p.name = req->name;
		p.request_id = req->request_id;
		p.owner = req->owner;
	} else if (!p.name) {
		return usage_error(ctx, "'new-guest' needs NAME (or --request FILE)");
	} else if (!opt_get(ctx, "template")) {
		return usage_error(ctx, "'new-guest' needs --template NAME");
	}
	r = parse_until(ctx, &p.until);
	if (r)
		return r;
	p.dry_run = ctx->dry_run;
	p.out = ctx->json ? stderr : stdout;
	if (!p.owner)
		p.owner = opt_get(ctx, "owner");
	p.who = pipeline_who(p.request_id);
	if (!p.who)
		return EXIT_FAIL;
	r = prov_guest_template(ctx, p.name, req, &p.t);
	if (r < 0 && (r == -EDOM || req)) {
		pipeline_release(&p);
		return EXIT_USAGE; /* a bad name, or a bad request */
	}
	/* one run per guest at a time: a repeated request waits for the first to finish */
	if (r >= 0 && !p.dry_run)
		r = lock = prov_lock_guest(ctx->site, p.name, &ctx->diag);
	if (r >= 0)
		r = (p.dry_run ? inv_open_scratch : inv_open)(ctx->site->state_dir, &ctx->diag,
							      &p.inv);
	if (r >= 0 && req) {
		r = request_again(&p, req);
		if (r > 0) {
			r = continue_guest(&p);
			goto out;
		}
	} else if (r >= 0) {
		r = inv_guest_get(p.inv, p.name, &ctx->diag, &p.g);
		if (r >= 0) {
			diag_error(
				&ctx->diag, NULL,
				"guest '%s' already exists (stage %s, %s): 'provision resume %s' "
				"continues it",
				p.name, p.g->stage ? p.g->stage : "none",
				inv_state_to_string(p.g->state), p.name);
			r = -EEXIST;
		} else if (r == -ENOENT) {
			r = 0;
		}
	}
	if (r >= 0)
		r = refuse_foreign_configs(&p);
	if (r >= 0)
		r = pipeline_run(&p);
out:
	if (lock >= 0)
		close(lock);
	return finish(&p, r);
}

int cmd_resume(struct prov_ctx *ctx, int argc, char **argv)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argv[1]};
	int lock = -1, r;

	r = parse_until(ctx, &p.until);
	if (r)
		return r;
	p.dry_run = ctx->dry_run;
	p.out = ctx->json ? stderr : stdout;
	if (!p.dry_run)
		r = lock = prov_lock_guest(ctx->site, p.name, &ctx->diag);
	if (r >= 0)
		r = (p.dry_run ? inv_open_scratch : inv_open)(ctx->site->state_dir, &ctx->diag,
							      &p.inv);
	if (r >= 0) {
		r = inv_guest_get(p.inv, p.name, &ctx->diag, &p.g);
		if (r == -ENOENT)
			diag_error(&ctx->diag, NULL, "no guest '%s' in the inventory", p.name);
	}
	if (r >= 0)
		r = continue_guest(&p);
	if (lock >= 0)
		close(lock);
	return finish(&p, r);
}
