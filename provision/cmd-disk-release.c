/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision disk release NAME: wipe the guest's partition and name it "free" again. */
#include <stdio.h>

#include "common/json.h"
#include "templates/templates.h"
#include "cmds.h"
#include "part-site.h"

static int cmd_disk_release(struct prov_ctx *ctx, int argc, char **argv)
{
	struct part_luns luns = {0};
	struct part_plan p = {0};
	struct prov_disk_guard dg;
	int r;

	r = prov_disk_guard_init(ctx, &dg);
	if (r >= 0)
		r = prov_disk_refuse_inventory(ctx, &dg, argv[1], NULL);
	if (r >= 0)
		r = part_luns_read(&dg.guard, dg.guard.luns, &luns, &ctx->diag);
	if (r >= 0)
		r = part_release_plan(&luns, argv[1], &p, &ctx->diag);
	if (r >= 0)
		r = prov_part_run(ctx, &dg.guard, &p, NULL);
	/* "lun", "dry_run", "actions", "partitions": prov_part_run()'s */
	if (r >= 0 && prov_json(ctx)) {
		json_key_str(prov_json(ctx), "name", p.guest);
		json_key_uint(prov_json(ctx), "partition", p.steps[0].partno);
	}
	part_plan_release(&p);
	part_luns_release(&luns);
	prov_disk_guard_release(&dg);
	return r < 0 ? prov_exit_status(r) : EXIT_OK;
}

const struct cmd prov_cmd_disk_release = {
	.name = "disk release",
	.fn = cmd_disk_release,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME | CMD_LUNS,
	.args = "NAME",
	.help = "wipe guest NAME's partition and mark it free",
	.options = NULL,
};
