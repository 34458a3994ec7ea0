/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision disk prepare NAME --size 20G [--swap 2G] [--lun DEV]: a partition for guest NAME
 * (reused or carved), ext4 labelled NAME and a swap file in it. The pipeline's disk stage
 * on its own.
 */
#include <stdio.h>

#include "common/json.h"
#include "common/util.h"
#include "templates/templates.h"
#include "cmds.h"
#include "part-site.h"

static const struct cmd_option disk_prepare_options[] = {
	{"size", 0, "SIZE", "partition size (a multiple of 1M), e.g. 20G"},
	{"swap", 0, "SIZE", "size of /swapfile (default 2G; 0: none)"},
	{"lun", 0, "DEV", "allocate on this LUN of the site only"},
	{NULL},
};

static void print_result(struct prov_ctx *ctx, const struct part_plan *p,
			 const struct part_result *res)
{
	struct json *j = prov_json(ctx);
	char b1[32];

	if (j) {
		/* "lun", "dry_run", "actions", "partitions": prov_part_run()'s */
		json_key_str(j, "name", p->guest);
		json_key_uint(j, "partition", p->steps[0].partno);
		json_key_uint(j, "start", p->steps[0].start);
		json_key_uint(j, "size", p->steps[0].size);
		json_key_bool(j, "reused", !p->steps[0].create);
		json_key_str(j, "partition_name", p->steps[0].name);
		json_key_str(j, "partuuid", ctx->dry_run ? NULL : res->uuid);
		json_key_str(j, "device", ctx->dry_run ? NULL : res->target);
		json_key_str(j, "fs_label", p->fs_label);
		json_key_uint(j, "swap_size", p->swap_size);
		return;
	}
	if (!ctx->dry_run)
		printf("%s: partition %u on '%s' (%s), PARTUUID %s, device %s\n", p->guest,
		       res->partno, res->lun, format_size(res->size, b1, sizeof(b1)),
		       res->uuid ? res->uuid : "?", res->target);
}

static int cmd_disk_prepare(struct prov_ctx *ctx, int argc, char **argv)
{
	const char *size = opt_get(ctx, "size"), *swap = opt_get(ctx, "swap");
	const char *dev = opt_get(ctx, "lun");
	struct part_request req = {.guest = argv[1], .swap_size = PART_SWAP_DEFAULT};
	struct part_result res = {0};
	struct part_luns luns = {0};
	struct part_plan p = {0};
	struct prov_disk_guard dg;
	int r;

	if (!size)
		return usage_error(ctx, "'disk prepare' needs --size SIZE");
	if (parse_size(size, &req.size) < 0)
		return usage_error(ctx, "--size: invalid size '%s'", size);
	if (swap && parse_size(swap, &req.swap_size) < 0)
		return usage_error(ctx, "--swap: invalid size '%s'", swap);
	r = prov_disk_guard_init(ctx, &dg);
	if (r >= 0)
		r = prov_disk_refuse_inventory(ctx, &dg, req.guest, NULL);
	if (r >= 0 && dev)
		r = prov_part_lun(ctx, &dg.guard, dev, &req.lun);
	if (r >= 0)
		r = part_luns_read(&dg.guard, dg.guard.luns, &luns, &ctx->diag);
	if (r >= 0)
		r = part_prepare_plan(&luns, &req, &p, &ctx->diag);
	if (r >= 0)
		r = prov_disk_refuse_inventory(ctx, &dg, NULL, &p);
	if (r >= 0)
		r = prov_part_run(ctx, &dg.guard, &p, &res);
	if (r >= 0)
		print_result(ctx, &p, &res);
	part_result_release(&res);
	part_plan_release(&p);
	part_luns_release(&luns);
	prov_disk_guard_release(&dg);
	return r < 0 ? prov_exit_status(r) : EXIT_OK;
}

const struct cmd prov_cmd_disk_prepare = {
	.name = "disk prepare",
	.fn = cmd_disk_prepare,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME | CMD_LUNS,
	.args = "NAME",
	.help = "allocate a partition for guest NAME, make ext4 and a swap file in it",
	.options = disk_prepare_options,
};
