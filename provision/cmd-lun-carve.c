/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision lun carve DEV --layout 10G,20G,...: pre-carve partitions named "free". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "templates/templates.h"
#include "cmds.h"
#include "part-site.h"

static const struct cmd_option lun_carve_options[] = {
	{"layout", 0, "SIZE,...", "partition sizes in order, e.g. 30G,25G,20G,10G"},
	{NULL},
};

/* "10G,20G,25G" into sizes. Returns: the count, or EXIT_USAGE after a usage error. */
static int parse_layout(struct prov_ctx *ctx, const char *text, uint64_t **ret, size_t *ret_n)
{
	_cleanup_(freep) char *copy = strdup(text);
	_cleanup_(freep) uint64_t *v = NULL;
	char *save = NULL;
	size_t n = 0;

	if (!copy)
		return EXIT_FAIL;
	v = calloc(strlen(text) / 2 + 2, sizeof(*v));
	if (!v)
		return EXIT_FAIL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (parse_size(tok, &v[n++]) < 0)
			return usage_error(ctx, "--layout: invalid size '%s'", tok);
	if (n == 0)
		return usage_error(ctx, "--layout: no sizes given");
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static int cmd_lun_carve(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) uint64_t *sizes = NULL;
	const char *layout = opt_get(ctx, "layout");
	struct part_plan p = {0};
	struct part_lun l = {0};
	struct prov_disk_guard dg;
	const char *lun;
	size_t n = 0;
	int r;

	if (!layout)
		return usage_error(ctx, "'lun carve' needs --layout SIZE,SIZE,...");
	r = parse_layout(ctx, layout, &sizes, &n);
	if (r)
		return r;
	/* the inventory's reservations not carved yet are not free space */
	r = prov_disk_guard_init(ctx, &dg);
	if (r >= 0)
		r = prov_part_lun(ctx, &dg.guard, argv[1], &lun);
	if (r >= 0)
		r = part_lun_read(&dg.guard, lun, &l, &ctx->diag);
	if (r >= 0)
		r = part_carve_plan(&l, sizes, n, &p, &ctx->diag);
	if (r >= 0)
		r = prov_disk_refuse_inventory(ctx, &dg, NULL, &p);
	if (r >= 0)
		r = prov_part_run(ctx, &dg.guard, &p, NULL);
	part_plan_release(&p);
	part_lun_release(&l);
	prov_disk_guard_release(&dg);
	return r < 0 ? prov_exit_status(r) : EXIT_OK;
}

const struct cmd prov_cmd_lun_carve = {
	.name = "lun carve",
	.fn = cmd_lun_carve,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_LUNS,
	.args = "DEV",
	.help = "pre-carve a layout of partitions named 'free'",
	.options = lun_carve_options,
};
