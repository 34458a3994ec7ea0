/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision lun list: each LUN of the site with its partitions and free space. */
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"
#include "common/util.h"
#include "templates/templates.h"
#include "cmds.h"
#include "part-site.h"

static uint64_t free_total(const struct part_lun *l)
{
	uint64_t t = 0;

	for (size_t i = 0; i < l->n_free; i++)
		t += l->free[i].size;
	return t;
}

static void print_text(const struct part_lun *l)
{
	char b1[32], b2[32], b3[32];

	if (l->error) {
		printf("%s: unreadable: %s\n", l->path, l->error_text);
		return;
	}
	if (l->label == PART_LABEL_NONE) {
		printf("%s: %s, no partition table%s%s%s\n", l->path,
		       format_size(l->size, b1, sizeof(b1)), l->signature ? " (holds " : "",
		       l->signature ? l->signature : "", l->signature ? ")" : "");
		return;
	}
	printf("%s: %s, %s %s, %zu partitions, largest free %s\n", l->path,
	       format_size(l->size, b1, sizeof(b1)), part_label_type_to_string(l->label),
	       l->id ? l->id : "", l->n_parts,
	       format_size(part_lun_largest_free(l), b2, sizeof(b2)));
	if (l->n_parts)
		printf("  %-4s %-10s %-10s %-24s %-16s %s\n", "PART", "START", "SIZE", "NAME",
		       "OWNER", "PARTUUID");
	for (size_t i = 0; i < l->n_parts; i++) {
		const struct part_entry *e = &l->parts[i];

		printf("  %-4u %-10s %-10s %-24s %-16s %s\n", e->partno,
		       format_size(e->start, b1, sizeof(b1)), format_size(e->size, b2, sizeof(b2)),
		       e->name, e->owner ? e->owner : "-", e->uuid ? e->uuid : "-");
	}
	for (size_t i = 0; i < l->n_free; i++)
		printf("  free       %-10s %s\n", format_size(l->free[i].start, b1, sizeof(b1)),
		       format_size(l->free[i].size, b3, sizeof(b3)));
}

static void print_json(struct json *j, const struct part_lun *l)
{
	json_obj_begin(j);
	json_key_str(j, "path", l->path);
	json_key_str(j, "error", l->error ? l->error_text : NULL);
	json_key_uint(j, "size", l->size);
	json_key_uint(j, "sector_size", l->sector_size);
	json_key_str(j, "label", l->error ? NULL : part_label_type_to_string(l->label));
	json_key_str(j, "id", l->id);
	json_key_str(j, "signature", l->signature);
	json_key(j, "partitions");
	json_arr_begin(j);
	for (size_t i = 0; i < l->n_parts; i++) {
		const struct part_entry *e = &l->parts[i];

		json_obj_begin(j);
		json_key_uint(j, "number", e->partno);
		json_key_uint(j, "start", e->start);
		json_key_uint(j, "size", e->size);
		json_key_str(j, "name", e->name);
		json_key_str(j, "partuuid", e->uuid);
		json_key_str(j, "owner", e->owner);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "free");
	json_arr_begin(j);
	for (size_t i = 0; i < l->n_free; i++) {
		json_obj_begin(j);
		json_key_uint(j, "start", l->free[i].start);
		json_key_uint(j, "size", l->free[i].size);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key_uint(j, "free_bytes", free_total(l));
	json_key_uint(j, "largest_free", part_lun_largest_free(l));
	json_obj_end(j);
}

static int cmd_lun_list(struct prov_ctx *ctx, int argc, char **argv)
{
	struct part_luns luns = {0};
	struct json *j = prov_json(ctx);
	struct part_guard g;
	const struct part_lun *bad = NULL;
	int r;

	prov_part_guard(ctx, &g);
	r = part_luns_read(&g, g.luns, &luns, &ctx->diag);
	if (r < 0)
		return EXIT_FAIL;
	if (j) {
		json_key(j, "luns");
		json_arr_begin(j);
	}
	for (size_t i = 0; i < luns.n; i++) {
		if (luns.v[i].error && !bad)
			bad = &luns.v[i];
		if (j)
			print_json(j, &luns.v[i]);
		else
			print_text(&luns.v[i]);
	}
	if (j)
		json_arr_end(j);
	if (bad)
		prov_json_error(ctx, "cannot read LUN '%s': %s", bad->path, bad->error_text);
	part_luns_release(&luns);
	return bad ? EXIT_FAIL : EXIT_OK;
}

const struct cmd prov_cmd_lun_list = {
	.name = "lun list",
	.fn = cmd_lun_list,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE | CMD_LUNS,
	.args = "",
	.help = "each LUN of the site: size, label, partitions (name, PARTUUID, owner), free space",
	.options = NULL,
};
