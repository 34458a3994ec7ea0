/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "templates/templates.h"
#include "part-site.h"

void prov_part_guard(const struct prov_ctx *ctx, struct part_guard *ret)
{
	*ret = (struct part_guard){.luns = ctx->site->luns};
}

int prov_part_lun(struct prov_ctx *ctx, const struct part_guard *g, const char *dev,
		  const char **ret)
{
	int i = part_guard_find(g, dev, &ctx->diag);

	if (i < 0)
		return i;
	*ret = g->luns[i];
	return 0;
}

int prov_part_run(struct prov_ctx *ctx, const struct part_guard *g, const struct part_plan *p,
		  struct part_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (ctx->dry_run)
		r = part_plan_check(g, p, &ctx->diag);
	else
		r = part_plan_apply(g, p, res, &ctx->diag);
	if (r < 0)
		return r;
	part_plan_format(p, !ctx->dry_run, &sb);
	if (!ctx->json)
		fputs(strbuf_str(&sb), stdout);
	strbuf_release(&sb);
	return 0;
}
