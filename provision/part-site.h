/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* From the site file to what the partition module needs (the module never reads the site). */

#include "partition/partition.h"
#include "prov.h"

struct inv_guest;

/* The guard for the site's LUNs, owners by GPT name: for lun list, init and carve. */
void prov_part_guard(const struct prov_ctx *ctx, struct part_guard *ret);

/* The live guest of v that holds partition e of lun (by PARTUUID, or by place while pending). */
const struct inv_guest *prov_inv_holder(const struct inv_guest *v, size_t n, const char *lun,
					const struct part_entry *e);

/*
 * The stand-alone disk commands (disk prepare/release) beside the inventory: what the
 * inventory holds is never theirs. ret->guard is for the site's LUNs, a partition the
 * inventory holds belongs to its guest, any other by its GPT name (part_owner_by_name:
 * these commands record nothing). A read-only copy of the inventory; nothing is created.
 */
struct prov_disk_guard {
	struct part_guard guard;
	struct inv_guest *live;
	size_t n_live;
};
int prov_disk_guard_init(struct prov_ctx *ctx, struct prov_disk_guard *ret);
void prov_disk_guard_release(struct prov_disk_guard *g);
/*
 * Refuse (-EBUSY, with the reason) guest name (NULL: none) when the inventory holds it, and a plan
 * whose new partition would overlap a place the inventory reserved but has not carved yet.
 */
int prov_disk_refuse_inventory(struct prov_ctx *ctx, const struct prov_disk_guard *g,
			       const char *name, const struct part_plan *p);

/*
 * The site's LUN that dev is (compared by device number), as the site spells it.
 * Returns: 0 and a borrowed path in *ret, or < 0 with the reason in ctx->diag.
 */
int prov_part_lun(struct prov_ctx *ctx, const struct part_guard *g, const char *dev,
		  const char **ret);

/*
 * With -n: every check of the plan (nothing written), then the plan in words ("would ...").
 * Else: apply it and print what was done. res (may be NULL) gets the partition. With --json
 * the words are the members "lun", "dry_run", "actions" and "partitions" instead.
 * Returns: 0, or < 0 with the reason in ctx->diag.
 */
int prov_part_run(struct prov_ctx *ctx, const struct part_guard *g, const struct part_plan *p,
		  struct part_result *res);
