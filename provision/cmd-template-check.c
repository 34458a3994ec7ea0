/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision template check FILE...: load each template as `render` would and report every
 * error of every file. The site is used when there is one (kernel names, VLANs, partition
 * sizes, template_dirs for extends:); only when the site file is the default one and it
 * does not exist are the files checked on their own, with a note saying so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "templates/templates.h"
#include "cmds.h"
#include "prov.h"

static int cmd_template_check(struct prov_ctx *ctx, int argc, char **argv)
{
	struct json *j = prov_json(ctx);
	bool all_ok = true;
	int r;

	if (streq(ctx->site_path, PROV_DEFAULT_SITE) && access(ctx->site_path, F_OK) < 0 &&
	    errno == ENOENT)
		diag_add(&ctx->diag, DIAG_NOTE, NULL,
			 "no site file '%s': kernel names, VLANs and disk sizes are not checked",
			 ctx->site_path);
	else if ((r = prov_site_load(ctx)) < 0)
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL; /* as for every command (main.c) */
	if (j) {
		json_key(j, "templates");
		json_arr_begin(j);
	}
	for (int i = 1; i < argc; i++) {
		struct tmpl_guest *t = NULL;
		size_t mark = diag_mark(&ctx->diag);
		bool ok = tmpl_guest_load(ctx->site, argv[i], &ctx->diag, &t) == 0;

		all_ok = all_ok && ok;
		tmpl_guest_free(t);
		if (j) {
			/* each file with its own errors; they are printed on stderr too */
			json_obj_begin(j);
			json_key_str(j, "file", argv[i]);
			json_key_bool(j, "ok", ok);
			json_key(j, "diagnostics");
			prov_json_diag(j, &ctx->diag, mark);
			json_obj_end(j);
		} else if (ok) {
			printf("%s: ok\n", argv[i]);
		}
	}
	if (j)
		json_arr_end(j);
	return all_ok ? EXIT_OK : EXIT_FAIL;
}

const struct cmd prov_cmd_template_check = {
	.name = "template check",
	.fn = cmd_template_check,
	.min_args = 1,
	.max_args = -1,
	.flags = 0,
	.args = "FILE...",
	.help = "check template files and print every error (exit 1 on any)",
	.options = NULL,
};
