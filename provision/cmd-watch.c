/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision watch NAME: stay with a running guest and apply its config's on_poweroff,
 * on_reboot and on_crash (provision/watch.c). The boot stage and migrate-receive start one.
 */
#include "cmds.h"
#include "watch.h"

static int cmd_watch(struct prov_ctx *ctx, int argc, char **argv)
{
	return prov_watch(ctx, argv[1]);
}

static const struct cmd_option watch_options[] = {
	{NULL},
};

const struct cmd prov_cmd_watch = {
	.name = "watch",
	.fn = cmd_watch,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_NAME | CMD_NOJSON,
	.args = "NAME",
	.help = "stay with a running guest: on its reboot start it again, as its config says "
		"(started for every guest provision starts)",
	.options = watch_options,
};
