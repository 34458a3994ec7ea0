/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision fai-monitor [--linger DURATION]: the FAI monitor relay of this Dom0 (netboot/relay.h).
 * Installs start it themselves when the port is free (--inherited: the port on fd 3, the
 * locked relay.pid on fd 4); by hand it runs in the foreground, so a site can keep one up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "netboot/relay.h"
#include "templates/templates.h"
#include "pipeline.h"
#include "prov.h"

static const struct cmd_option fai_monitor_options[] = {
	{"linger", 0, "DURATION",
	 "leave after this long without an install to watch (default: never by hand, 30 when started by an install)"},
	{"inherited", 0, NULL, "(used by installs) serve the port on fd 3, relay.pid on fd 4"},
	{NULL},
};

static int cmd_fai_monitor(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) char *spool = NULL;
	const char *linger = opt_get(ctx, "linger");
	bool inherited = opt_flag(ctx, "inherited");
	uint64_t v = inherited ? FAI_RELAY_LINGER_S : 0;
	int lfd = 3, pfd = 4, r;

	(void) argc;
	(void) argv;
	if (linger && (parse_duration(linger, &v) < 0 || v > 86400))
		return usage_error(
			ctx, "--linger: '%s' is not a duration up to 1d (\"30s\", \"5m\")", linger);
	r = prov_fai_spool(ctx->site, &spool);
	if (r < 0)
		return EXIT_FAIL;
	if (!inherited) {
		r = nb_relay_own(spool, ctx->site->fai.monitor_port, &lfd, &pfd, &ctx->diag);
		if (r == -EALREADY)
			diag_error(&ctx->diag, NULL,
				   "a FAI monitor relay runs already (%s/relay.pid)", spool);
		if (r < 0)
			return prov_exit_status(r);
		fprintf(stderr, "provision: FAI monitor relay on port %u, spool %s\n",
			ctx->site->fai.monitor_port, spool);
	}
	r = nb_relay_serve(lfd, pfd, spool, (unsigned) v, &ctx->diag);
	return prov_exit_status(r);
}

const struct cmd prov_cmd_fai_monitor = {
	.name = "fai-monitor",
	.fn = cmd_fai_monitor,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE | CMD_NOJSON,
	.args = "",
	.help = "relay FAI's progress reports on this Dom0 to the installs that wait for them",
	.options = fai_monitor_options,
};
