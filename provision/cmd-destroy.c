/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision destroy NAME: stop the domain, wipe and free the partition, remove the configs,
 * release MAC and IP. Works from any state a crash can leave behind: each step finds what is
 * there and undoes only that. The inventory row and its events stay for the audit trail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "guestcfg.h"
#include "pipeline.h"
#include "prov.h"

static const struct cmd_option destroy_options[] = {
	{"yes", 'y', NULL, "do not ask (needed when not on a terminal)"},
	{NULL},
};

/*
 * --yes, or the admin's answer on a terminal. Returns: 0 go on, else the exit status: a
 * script that gave no --yes is a usage error (2); an admin who said no is "not done" (1).
 */
static int confirm(struct prov_ctx *ctx, const char *name)
{
	char answer[16] = "";

	if (opt_flag(ctx, "yes") || ctx->dry_run)
		return 0;
	if (!isatty(STDIN_FILENO))
		return usage_error(ctx, "not destroying '%s': give --yes", name);
	fprintf(stderr, "destroy guest '%s', wipe its partition and free its addresses? [y/N] ",
		name);
	if (fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y'))
		return 0;
	diag_error(&ctx->diag, NULL, "not destroying '%s': not confirmed", name);
	return EXIT_FAIL;
}

static void print_json(struct pipeline *p, const char *stage)
{
	struct json *j = prov_json(p->ctx);

	if (!j)
		return;
	json_key_str(j, "name", p->name);
	json_key_bool(j, "dry_run", p->o.dry_run);
	json_key_str(j, "stage", stage); /* the last stage done before the guest was destroyed */
}

static int remove_configs(struct pipeline *p)
{
	for (int i = 0; i < 2; i++) {
		_cleanup_(freep) char *path =
			guest_cfg_path(p->site->config_dir, p->name, i ? "boot" : "install");

		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) < 0)
			continue;
		if (p->o.dry_run) {
			fprintf(p->out, "  would remove %s\n", path);
			continue;
		}
		if (unlink(path) < 0)
			return diag_error_errno(&p->ctx->diag, NULL, -errno, "cannot remove '%s'",
						path);
		fprintf(p->out, "  removed %s\n", path);
	}
	return guest_cfg_leftovers_remove(p->site->config_dir, p->name, p->o.dry_run, p->out,
					  &p->ctx->diag);
}

static int cmd_destroy(struct prov_ctx *ctx, int argc, char **argv)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .name = argv[1]};
	_cleanup_(freep) char *stage = NULL;
	int r;

	r = confirm(ctx, p.name);
	if (r)
		return r;
	r = cmd_pipeline_opts(ctx, &p.o);
	if (r)
		return r;
	p.out = prov_json(ctx) ? stderr : stdout; /* --json: stdout is the result's */
	p.who = pipeline_who(NULL);
	if (!p.who)
		return EXIT_FAIL;
	r = pipeline_open(&p);
	if (r >= 0) {
		r = inv_guest_get(p.inv, p.name, &ctx->diag, &p.g);
		if (r == -ENOENT)
			diag_error(&ctx->diag, NULL, "no guest '%s' in the inventory", p.name);
	}
	if (r >= 0 && p.g->stage && !(stage = strdup(p.g->stage)))
		r = -ENOMEM;
	if (r >= 0) {
		fprintf(p.out, "%s guest '%s' (stage %s)\n",
			p.o.dry_run ? "would destroy" : "destroying", p.name,
			p.g->stage ? p.g->stage : "none");
		r = stage_domain_stop(&p);
	}
	if (r >= 0)
		r = stage_disk_release(&p);
	if (r >= 0)
		r = remove_configs(&p);
	if (r >= 0 && !p.o.dry_run) {
		r = inv_guest_release(p.inv, p.g->id, p.who, &ctx->diag);
		if (r >= 0)
			fprintf(p.out, "  released MAC and IP; the inventory keeps the history\n");
		if (r >= 0)
			r = pipeline_state_remove(&p);
	}
	if (r < 0 && p.g)
		diag_add(
			&ctx->diag, DIAG_NOTE, NULL,
			"what was undone stays undone: 'provision destroy %s --yes' again finishes",
			p.name);
	print_json(&p, stage);
	pipeline_release(&p);
	return prov_exit_status(r);
}

const struct cmd prov_cmd_destroy = {
	.name = "destroy",
	.fn = cmd_destroy,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME | CMD_LUNS,
	.args = "NAME",
	.help = "stop a guest, wipe and free its partition, release MAC and IP, remove its configs",
	.options = destroy_options,
};
