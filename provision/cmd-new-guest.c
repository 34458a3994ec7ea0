/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision new-guest NAME --template T ...,  provision resume NAME  and  provision start NAME */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "events.h"
#include "guestcfg.h"
#include "pipeline.h"
#include "prov.h"
#include "render.h"

static const struct cmd_option new_guest_options[] = {
	GUEST_OPTIONS,
	{"lun", 0, "DEV", "take the partition from this LUN only"},
	{"image", 0, "IMAGE",
	 "clone golden image IMAGE instead of installing (provision image list; doc/images.md)"},
	{"owner", 0, "WHO", "who asked for the guest (for the hooks, e.g. an e-mail address)"},
	{"until", 0, "STAGE",
	 "stop after this stage (allocate carve format network configs install boot)"},
	{"force", 'f', NULL,
	 "take over configs in config_dir that no guest of the inventory holds"},
	{"request", 'r', "FILE|-", "a YAML or JSON request (idempotent by its request_id)"},
	{"host", 0, "NAME|auto",
	 "run the guest on this Dom0 (auto: the one with the most free memory; default: this one)"},
	{NULL},
};

static const struct cmd_option start_options[] = {
	{NULL},
};

static const struct cmd_option resume_options[] = {
	{"until", 0, "STAGE", "stop after this stage"},
	{"spec", 0, "FILE",
	 "continue with this corrected spec (from 'provision show NAME --spec'); disk, swap and VLAN stay"},
	{NULL},
};

/*
 * resume --spec FILE: the admin's corrected spec replaces the guest's, checked first (exit 2
 * and nothing changed when it is invalid or changes what was allocated).
 */
static int spec_replace(struct pipeline *p, const char *path)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *want = NULL;
	_cleanup_(freep) char *text = NULL;
	struct diag *d = &p->ctx->diag;
	int r;

	r = pipeline_load_template(p);
	if (r >= 0)
		r = tmpl_guest_load(p->site, path, d, &want);
	if (r < 0)
		return -EINVAL;
	if (want->vlan != p->t->vlan || want->disk_size != p->t->disk_size ||
	    want->swap_size != p->t->swap_size)
		return diag_error(
			d, NULL,
			"--spec: '%s' changes the VLAN, disk or swap size that guest '%s' was allocated with: destroy it and make it again instead",
			path, p->name);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot read '%s'", path);
	p->t = tmpl_guest_free(p->t);
	if (p->o.dry_run)
		return 0;
	r = inv_spec_set(p->inv, p->g->id, text, p->who, d);
	if (r < 0)
		return r == -EINVAL ? -EIO : r;
	free(p->g->spec);
	p->g->spec = TAKE_PTR(text);
	return 0;
}

static int finish(struct pipeline *p, int r)
{
	struct prov_ctx *ctx = p->ctx;
	int status = prov_exit_status(r);

	pipeline_event_result(p, r);
	if (prov_json(ctx))
		pipeline_print_json(p, r);
	else if (r >= 0 && p->g)
		printf("%s guest '%s': stage %s done\n", p->o.dry_run ? "plan for" : "ok:", p->name,
		       p->o.dry_run ? stage_to_string(p->o.until) : p->g->stage);
	pipeline_release(p);
	return status;
}

static int cmd_new_guest(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_request_freep) struct tmpl_request *req = NULL;
	const char *req_path = opt_get(ctx, "request");
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argc > 1 ? argv[1] : NULL};
	int r;

	if (req_path) {
		r = tmpl_request_load(req_path, &ctx->diag, &req);
		if (r < 0)
			return prov_finish(ctx, EXIT_USAGE);
		if (p.name && !streq(p.name, req->name))
			return usage_error(ctx, "the request is for '%s', not '%s'", req->name,
					   p.name);
	} else if (!p.name) {
		return usage_error(ctx, "'new-guest' needs NAME (or --request FILE)");
	} else if (!opt_get(ctx, "template")) {
		return usage_error(ctx, "'new-guest' needs --template NAME");
	}
	r = cmd_pipeline_opts(ctx, &p.o);
	if (r)
		return r;
	p.out = prov_out(ctx, ctx->json ? stderr : stdout);
	r = pipeline_guest_init(&p, req);
	if (r < 0 && r != -ENOMEM && (r == -EDOM || req)) {
		pipeline_release(&p);
		return EXIT_USAGE; /* a bad request, or inputs the site refuses */
	}
	/* one run per guest at a time: a repeated request waits for the first to finish */
	if (r >= 0)
		r = pipeline_open(&p);
	if (r >= 0 && req) {
		r = pipeline_request_run(&p, req);
	} else if (r >= 0) {
		r = inv_guest_get(p.inv, p.name, &ctx->diag, &p.g);
		if (r >= 0) {
			diag_error(
				&ctx->diag, NULL,
				"guest '%s' already exists (stage %s, %s): 'provision resume %s' continues it",
				p.name, p.g->stage ? p.g->stage : "none",
				inv_state_to_string(p.g->state), p.name);
			r = -EEXIST;
		} else if (r == -ENOENT) {
			r = pipeline_guest_new(&p);
		}
	}
	return finish(&p, r);
}

/* resume and start: the pipeline of an existing guest, its output, its lock and its row. */
static int open_guest(struct pipeline *p)
{
	int r;

	p->out = prov_out(p->ctx, p->ctx->json ? stderr : stdout);
	r = pipeline_open(p);
	if (r >= 0) {
		r = inv_guest_get(p->inv, p->name, &p->ctx->diag, &p->g);
		if (r == -ENOENT)
			diag_error(&p->ctx->diag, NULL, "no guest '%s' in the inventory", p->name);
	}
	return r;
}

static int cmd_resume(struct prov_ctx *ctx, int argc, char **argv)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argv[1]};
	int r;

	r = cmd_pipeline_opts(ctx, &p.o);
	if (r)
		return r;
	r = open_guest(&p);
	if (r >= 0 && opt_get(ctx, "spec")) {
		p.who = pipeline_who(p.g->request_id);
		r = p.who ? spec_replace(&p, opt_get(ctx, "spec")) : -ENOMEM;
		if (r == -EINVAL) {
			pipeline_release(&p);
			return EXIT_USAGE;
		}
	}
	if (r >= 0)
		r = pipeline_guest_continue(&p);
	return finish(&p, r);
}

/*
 * start: the boot stage again for an installed guest whose domain is gone (it powered off, the
 * Dom0 rebooted); a running one is left alone and gets a watcher if it has none. The network
 * stage runs first, again: after a Dom0's reboot its VLAN bridge is gone (nothing to do when
 * it is there).
 */
static int start_check(struct pipeline *p)
{
	const struct inv_guest *g = p->g;

	if (!g->stage || stage_from_string(g->stage) != STAGE_BOOT) {
		diag_error(&p->ctx->diag, NULL, "guest '%s' has not been booted yet (stage %s)",
			   p->name, g->stage ? g->stage : "none");
		diag_add(&p->ctx->diag, DIAG_NOTE, NULL, "'provision resume %s' continues it",
			 p->name);
		return -EBUSY;
	}
	if (inv_is_shared(p->inv) && g->host && !streq(g->host, prov_host_self()))
		return diag_error_errno(&p->ctx->diag, NULL, -EBUSY,
					"guest '%s' belongs to Dom0 '%s': start it there", p->name,
					g->host);
	return 0;
}

static int cmd_start(struct prov_ctx *ctx, int argc, char **argv)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argv[1]};
	int r;

	r = cmd_pipeline_opts(ctx, &p.o);
	if (r)
		return r;
	p.o.again = true;
	r = open_guest(&p);
	if (r >= 0)
		r = start_check(&p);
	if (r >= 0)
		r = pipeline_guest_continue(&p);
	return finish(&p, r);
}

const struct cmd prov_cmd_new_guest = {
	.name = "new-guest",
	.fn = cmd_new_guest,
	.min_args = 0,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME | CMD_LUNS,
	.args = "NAME | --request FILE",
	.help = "create a guest: allocate, carve, format, network, configs, install, boot",
	.options = new_guest_options,
};

const struct cmd prov_cmd_resume = {
	.name = "resume",
	.fn = cmd_resume,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME | CMD_LUNS,
	.args = "NAME",
	.help = "continue a guest's pipeline after its last completed stage",
	.options = resume_options,
};

const struct cmd prov_cmd_start = {
	.name = "start",
	.fn = cmd_start,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME,
	.args = "NAME",
	.help = "start an installed guest again from its boot config (after a poweroff), with its watcher",
	.options = start_options,
};
