/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* From the site file to what the partition module needs (the module never reads the site). */

#include "partition/partition.h"
#include "prov.h"

/* The guard for the site's LUNs; owners by GPT name (FIXME: the inventory, issue 5). */
void prov_part_guard(const struct prov_ctx *ctx, struct part_guard *ret);

/*
 * The site's LUN that dev is (compared by device number), as the site spells it.
 * Returns: 0 and a borrowed path in *ret, or < 0 with the reason in ctx->diag.
 */
int prov_part_lun(struct prov_ctx *ctx, const struct part_guard *g, const char *dev,
		  const char **ret);

/*
 * With -n: every check of the plan (nothing written), then the plan in words ("would ...").
 * Else: apply it and print what was done. res (may be NULL) gets the partition.
 * Returns: 0, or < 0 with the reason in ctx->diag.
 */
int prov_part_run(struct prov_ctx *ctx, const struct part_guard *g, const struct part_plan *p,
		  struct part_result *res);
