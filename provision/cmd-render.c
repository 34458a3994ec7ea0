/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision render NAME --template T: the guest's install and boot configs, written into
 * config_dir (or printed), or as libxl domain configs in JSON. A preview: nothing is
 * allocated. A guest already in the inventory is rendered with what it holds; a new one with
 * what the allocator would pick now (computed in a scratch copy of the inventory).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "templates/templates.h"
#include "guestcfg.h"
#include "prov.h"
#include "render.h"

const struct cmd_option render_options[] = {
	GUEST_OPTIONS,
	{"disk-path", 0, "PATH", "use this disk instead of the guest's partition"},
	{"out", 'o', "DIR|-", "write into DIR instead of config_dir; - prints both to stdout"},
	{"force", 'f', NULL, "overwrite existing configs with other content"},
	{NULL},
};

int cmd_render(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	_cleanup_(guest_render_release) struct guest_render gr = {0};
	const char *name = argv[1], *out = opt_get(ctx, "out");
	int r;

	if (!opt_get(ctx, "template"))
		return usage_error(ctx, "'render' needs --template NAME");
	r = prov_guest_template(ctx, name, NULL, &t);
	if (r < 0)
		return EXIT_FAIL;
	r = guest_render_preview(ctx, name, t, &gr);
	if (r < 0)
		return EXIT_FAIL;

	if (ctx->json) {
		r = guest_render_print_json(&gr, ctx, stdout);
		return r < 0 ? EXIT_FAIL : EXIT_OK;
	}
	if (out && streq(out, "-")) {
		fputs(gr.install_text, stdout);
		fputs("\n", stdout);
		fputs(gr.boot_text, stdout);
		return EXIT_OK;
	}
	r = guest_render_write(&gr, ctx->site, out, opt_flag(ctx, "force"), ctx->dry_run, stdout,
			       &ctx->diag);
	if (r == -EEXIST)
		return EXIT_CONFLICT;
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
