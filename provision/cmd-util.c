/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command files use of the dispatcher (cmds.h): the options it parsed, the usage
 * error, the diag printed at the end. Not in main.c, so that the library of provision/'s
 * objects (provision/meson.build) links without the dispatcher.
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/macro.h"
#include "cmds.h"
#include "events.h"

const char *opt_get(const struct prov_ctx *ctx, const char *name)
{
	const char *v = NULL;

	for (size_t i = 0; i < ctx->n_opts; i++)
		if (streq(ctx->opts[i].name, name))
			v = ctx->opts[i].value;
	return v;
}

bool opt_flag(const struct prov_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->n_opts; i++)
		if (streq(ctx->opts[i].name, name))
			return true;
	return false;
}

int prov_finish(struct prov_ctx *ctx, int status)
{
	prov_events_note_diag(ctx);
	prov_json_note_diag(ctx);
	diag_print(&ctx->diag, stderr, ctx->prog);
	diag_clear(&ctx->diag);
	return status;
}

int usage_error(struct prov_ctx *ctx, const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	prov_events_note(ctx, msg);
	prov_json_note(ctx, DIAG_ERROR, msg ? msg : fmt);
	fprintf(stderr, "%s: error: %s", ctx->prog, msg ? msg : fmt);
	fputc('\n', stderr);
	if (ctx->cmd)
		fprintf(stderr, "Try 'provision help %s'.\n", ctx->cmd->name);
	else
		fputs("Try 'provision --help'.\n", stderr);
	return EXIT_USAGE;
}
