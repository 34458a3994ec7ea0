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
	{"template", 't', "NAME|FILE", "the template (required)"},
	{"vlan", 0, "N", "the VLAN of the guest's vif (default: the template's)"},
	{"memory", 0, "SIZE", "override the template's memory (512M, 2G)"},
	{"vcpus", 0, "N", "override the template's vcpus"},
	{"disk", 0, "SIZE", "override the template's disk size"},
	{"swap", 0, "SIZE", "override the template's swap file size"},
	{"ip", 0, "ADDR", "this IPv4 address instead of the first free one"},
	{"mac", 0, "MAC", "this MAC address instead of the one drawn from the name"},
	{"lun", 0, "DEV", "take the partition from this LUN only"},
	{"owner", 0, "WHO", "who asked for the guest (for the hooks, e.g. an e-mail address)"},
	{"until", 0, "STAGE",
	 "stop after this stage (allocate carve format network configs install boot)"},
	{"force", 'f', NULL,
	 "take over configs in config_dir that no guest of the inventory holds"},
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

int cmd_new_guest(struct prov_ctx *ctx, int argc, char **argv)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argv[1]};
	int r;

	if (!opt_get(ctx, "template"))
		return usage_error(ctx, "'new-guest' needs --template NAME");
	r = parse_until(ctx, &p.until);
	if (r)
		return r;
	p.dry_run = ctx->dry_run;
	p.out = ctx->json ? stderr : stdout;
	p.owner = opt_get(ctx, "owner");
	p.who = pipeline_who(p.request_id);
	if (!p.who)
		return EXIT_FAIL;
	r = prov_guest_template(ctx, p.name, &p.t);
	if (r == -EDOM) {
		pipeline_release(&p);
		return EXIT_USAGE;
	}
	if (r >= 0)
		r = (p.dry_run ? inv_open_scratch : inv_open)(ctx->site->state_dir, &ctx->diag,
							      &p.inv);
	if (r < 0)
		return finish(&p, r);
	r = inv_guest_get(p.inv, p.name, &ctx->diag, &p.g);
	if (r >= 0) {
		diag_error(&ctx->diag, NULL,
			   "guest '%s' already exists (stage %s, %s): 'provision resume %s' "
			   "continues it",
			   p.name, p.g->stage ? p.g->stage : "none",
			   inv_state_to_string(p.g->state), p.name);
		return finish(&p, -EEXIST);
	}
	if (r != -ENOENT)
		return finish(&p, r);
	r = refuse_foreign_configs(&p);
	if (r >= 0)
		r = pipeline_run(&p);
	return finish(&p, r);
}

int cmd_resume(struct prov_ctx *ctx, int argc, char **argv)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argv[1]};
	int r;

	r = parse_until(ctx, &p.until);
	if (r)
		return r;
	p.dry_run = ctx->dry_run;
	p.out = ctx->json ? stderr : stdout;
	r = (p.dry_run ? inv_open_scratch : inv_open)(ctx->site->state_dir, &ctx->diag, &p.inv);
	if (r >= 0) {
		r = inv_guest_get(p.inv, p.name, &ctx->diag, &p.g);
		if (r == -ENOENT)
			diag_error(&ctx->diag, NULL, "no guest '%s' in the inventory", p.name);
	}
	if (r >= 0) {
		p.request_id = p.g->request_id;
		p.owner = p.g->owner;
		p.who = pipeline_who(p.request_id);
		r = p.who ? pipeline_load_template(&p) : -ENOMEM;
	}
	if (r >= 0)
		r = pipeline_run(&p);
	return finish(&p, r);
}
