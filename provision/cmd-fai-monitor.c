/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision fai-monitor [--linger DURATION]: the FAI monitor relay of this Dom0 (netboot/relay.h).
 * Installs start it themselves when the port is free (--inherited: the port on fd 3, the
 * locked relay.pid on fd 4); by hand it runs in the foreground, so a site can keep one up,
 * also as a systemd service on the port of a socket unit (LISTEN_FDS=1: the port on fd 3).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/*
 * The port systemd passed (sd_listen_fds(3): LISTEN_PID is us, LISTEN_FDS=1, fd 3), made
 * non-blocking and close-on-exec like our own; a port other than the site's is a warning.
 * Returns: true when there is one; the variables are removed either way.
 */
static bool socket_activated(struct prov_ctx *ctx, unsigned port)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	bool ours = pid && fds && strtol(pid, NULL, 10) == (long) getpid() && streq(fds, "1");
	int flags;

	(void) unsetenv("LISTEN_PID");
	(void) unsetenv("LISTEN_FDS");
	(void) unsetenv("LISTEN_FDNAMES");
	if (!ours)
		return false;
	flags = fcntl(3, F_GETFL);
	if (flags >= 0)
		(void) fcntl(3, F_SETFL, flags | O_NONBLOCK);
	(void) fcntl(3, F_SETFD, FD_CLOEXEC);
	if (getsockname(3, (struct sockaddr *) &sa, &len) == 0 &&
	    ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
					   : ((struct sockaddr_in *) &sa)->sin_port) != port)
		diag_add(&ctx->diag, DIAG_WARNING, NULL,
			 "the socket unit's port is not the site's fai.monitor_port %u", port);
	return true;
}

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
	if (!inherited && socket_activated(ctx, ctx->site->fai.monitor_port)) {
		r = nb_relay_own_socket(spool, &pfd, &ctx->diag);
		if (r == -EALREADY)
			diag_error(&ctx->diag, NULL,
				   "a FAI monitor relay runs already (%s/relay.pid)", spool);
		if (r < 0)
			return prov_exit_status(r);
		fprintf(stderr,
			"provision: FAI monitor relay on the socket unit's port, spool %s\n",
			spool);
		/* the warning now, not when the relay leaves (perhaps never) */
		diag_print(&ctx->diag, stderr, ctx->prog);
		diag_clear(&ctx->diag);
	} else if (!inherited) {
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
