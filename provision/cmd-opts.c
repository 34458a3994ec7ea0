/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line of the guest commands (new-guest, resume, render, batch) as the plain
 * struct pipeline_opts: the one place below which no option is read.
 */
#include <stdio.h>

#include "hypervisor/hypervisor.h"
#include "pipeline.h"

/* Options that override a template key, in the order they are applied. */
static const char *const override_keys[] = {"vlan", "memory", "vcpus", "disk", "swap"};

int cmd_pipeline_opts(struct prov_ctx *ctx, struct pipeline_opts *ret)
{
	const char *u = opt_get(ctx, "until");
	struct pipeline_opts o = {
		.template_name = opt_get(ctx, "template"),
		.ip = opt_get(ctx, "ip"),
		.mac = opt_get(ctx, "mac"),
		.lun = opt_get(ctx, "lun"),
		.image = opt_get(ctx, "image"),
		.owner = opt_get(ctx, "owner"),
		.host = opt_get(ctx, "host"),
		.disk_path = opt_get(ctx, "disk-path"),
		.until = STAGE_BOOT,
		.dry_run = ctx->dry_run,
		.force = opt_flag(ctx, "force"),
		.verbose = ctx->verbose,
		.site_path = ctx->site_path,
		.hv = &hv_libxl_ops,
		.watch = true,
	};

	for (size_t i = 0; i < ELEMENTSOF(override_keys); i++) {
		const char *v = opt_get(ctx, override_keys[i]);

		if (v) {
			o.overrides[o.n_overrides].key = override_keys[i];
			o.overrides[o.n_overrides++].value = v;
		}
	}
	if (u) {
		o.until = stage_from_string(u);
		if (o.until < 0)
			return usage_error(
				ctx,
				"--until: unknown stage '%s' (allocate, carve, format, network, configs, install, boot)",
				u);
	}
	*ret = o;
	return 0;
}
