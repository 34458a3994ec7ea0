/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision lun init DEV: a GPT label on an empty LUN of the site. */
#include "templates/templates.h"
#include "cmds.h"
#include "part-site.h"

static int cmd_lun_init(struct prov_ctx *ctx, int argc, char **argv)
{
	struct part_plan p = {0};
	struct part_lun l = {0};
	struct part_guard g;
	const char *lun;
	int r;

	prov_part_guard(ctx, &g);
	r = prov_part_lun(ctx, &g, argv[1], &lun);
	if (r >= 0)
		r = part_lun_read(&g, lun, &l, &ctx->diag);
	if (r >= 0)
		r = part_init_plan(&l, &p, &ctx->diag);
	if (r >= 0)
		r = prov_part_run(ctx, &g, &p, NULL);
	part_plan_release(&p);
	part_lun_release(&l);
	return r < 0 ? prov_exit_status(r) : EXIT_OK;
}

const struct cmd prov_cmd_lun_init = {
	.name = "lun init",
	.fn = cmd_lun_init,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_LUNS,
	.args = "DEV",
	.help = "put a GPT label on an empty LUN of the site",
	.options = NULL,
};
