/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision render NAME --template T: the guest's install and boot configs, printed (or
 * written into -o DIR), or as libxl domain configs in JSON. A preview: nothing is allocated
 * and nothing goes into config_dir, so a later new-guest NAME finds no stray configs there.
 * A guest already in the inventory is rendered with what it holds; a new one with what the
 * allocator would pick now (computed in a scratch copy of the inventory).
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
#include "pipeline.h"
#include "render.h"

static const struct cmd_option render_options[] = {
	GUEST_OPTIONS,
	{"disk-path", 0, "PATH", "use this disk instead of the guest's partition"},
	{"out", 'o', "DIR|-",
	 "write both files into DIR (never the site's config_dir); - or none: print them"},
	{"force", 'f', NULL, "overwrite files in DIR with other content"},
	{NULL},
};

/* Whether a and b name the same directory (a missing one is nobody's config_dir). */
static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int cmd_render(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	_cleanup_(guest_render_release) struct guest_render gr = {0};
	const char *name = argv[1], *out = opt_get(ctx, "out");
	struct pipeline_opts o;
	int r;

	if (!opt_get(ctx, "template"))
		return usage_error(ctx, "'render' needs --template NAME");
	r = cmd_pipeline_opts(ctx, &o);
	if (r)
		return r;
	r = prov_guest_template(ctx, name, &o, NULL, &t);
	if (r < 0)
		return prov_exit_status(r);
	r = guest_render_preview(ctx, name, t, &o, &gr);
	if (r < 0)
		return prov_exit_status(r);

	if (prov_json(ctx)) {
		r = guest_render_print_json(&gr, ctx);
		return prov_exit_status(r);
	}
	if (!out || streq(out, "-")) {
		guest_render_print(&gr, ctx->site->config_dir, stdout);
		return EXIT_OK;
	}
	/* the configs in config_dir belong to new-guest: a preview there would block it */
	if (same_dir(out, ctx->site->config_dir))
		return usage_error(
			ctx,
			"-o: '%s' is the site's config_dir: render only previews, 'provision new-guest %s' writes the configs there",
			out, name);
	r = guest_render_write(&gr, ctx->site, out, opt_flag(ctx, "force"), ctx->dry_run, stdout,
			       &ctx->diag);
	return prov_exit_status(r);
}

const struct cmd prov_cmd_render = {
	.name = "render",
	.fn = cmd_render,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_NAME,
	.args = "NAME",
	.help = "print a guest's install and boot configs (a preview: allocates nothing, writes no config_dir)",
	.options = render_options,
};
