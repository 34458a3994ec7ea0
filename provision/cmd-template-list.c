/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision template list: every template in the search path, with its file and validity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "templates/templates.h"
#include "cmds.h"
#include "prov.h"

static void print_json(struct json *j, const struct tmpl_list *l)
{
	json_key(j, "templates");
	json_arr_begin(j);
	for (size_t i = 0; i < l->n; i++) {
		json_obj_begin(j);
		json_key_str(j, "name", l->v[i].name);
		json_key_str(j, "description", l->v[i].description);
		json_key_str(j, "path", l->v[i].path);
		json_key_bool(j, "valid", l->v[i].valid);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void print_text(const struct tmpl_list *l)
{
	static const char invalid[] = "(invalid: see 'provision template check')";
	int wn = 4, wd = 11;

	for (size_t i = 0; i < l->n; i++) {
		const char *desc = l->v[i].valid ? l->v[i].description : invalid;
		int n = (int) strlen(l->v[i].name), dl = desc ? (int) strlen(desc) : 0;

		wn = n > wn ? n : wn;
		wd = dl > wd ? dl : wd;
	}
	printf("%-*s  %-*s  %s\n", wn, "NAME", wd, "DESCRIPTION", "FILE");
	for (size_t i = 0; i < l->n; i++) {
		const char *desc = l->v[i].valid ? l->v[i].description : invalid;

		printf("%-*s  %-*s  %s\n", wn, l->v[i].name, wd, desc ? desc : "", l->v[i].path);
	}
}

static int cmd_template_list(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_list_freep) struct tmpl_list *l = NULL;
	int r;

	r = tmpl_list_load(ctx->site, &ctx->diag, &l);
	if (r < 0) {
		diag_error_errno(&ctx->diag, NULL, r, "cannot list templates");
		return EXIT_FAIL;
	}
	if (prov_json(ctx))
		print_json(prov_json(ctx), l);
	else
		print_text(l);
	return EXIT_OK;
}

const struct cmd prov_cmd_template_list = {
	.name = "template list",
	.fn = cmd_template_list,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE,
	.args = "",
	.help = "list the guest templates, their files and whether they are valid",
	.options = NULL,
};
