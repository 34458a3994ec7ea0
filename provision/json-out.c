/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --json: the one envelope of every command's output (cmds.h, doc/json.md). A command writes
 * its own members into prov_json(ctx); the dispatcher prints them once, after "ok", with the
 * error and the diagnostics, on every path: a command's result, its refusal, a usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/diag.h"
#include "common/json.h"
#include "cmds.h"

struct prov_json {
	struct json body; /* the command's members: an object begun, never ended */
	struct diag all;  /* every message printed on stderr, in order, for "diagnostics" */
	char *message;	  /* prov_json_error()'s; NULL: the first error of all */
};

int prov_json_open(struct prov_ctx *ctx)
{
	if (!ctx->json || ctx->jo)
		return 0;
	ctx->jo = calloc(1, sizeof(*ctx->jo));
	if (!ctx->jo)
		return -ENOMEM;
	json_init(&ctx->jo->body, true);
	json_obj_begin(&ctx->jo->body);
	return 0;
}

struct json *prov_json(struct prov_ctx *ctx)
{
	return ctx->jo ? &ctx->jo->body : NULL;
}

void prov_json_error(struct prov_ctx *ctx, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int k;

	if (!ctx->jo)
		return;
	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	free(ctx->jo->message);
	ctx->jo->message = msg;
}

void prov_json_note(struct prov_ctx *ctx, enum diag_level level, const char *msg)
{
	if (ctx->jo && msg)
		diag_add(&ctx->jo->all, level, NULL, "%s", msg);
}

void prov_json_note_diag(struct prov_ctx *ctx)
{
	for (size_t i = 0; ctx->jo && i < ctx->diag.n; i++) {
		const struct diag_entry *e = &ctx->diag.v[i];
		struct src_loc loc = {e->file, e->line, e->col};

		diag_add(&ctx->jo->all, e->level, e->file ? &loc : NULL, "%s", e->msg);
	}
}

void prov_json_diag(struct json *j, const struct diag *d, size_t from)
{
	json_arr_begin(j);
	for (size_t i = from; i < d->n; i++) {
		const struct diag_entry *e = &d->v[i];

		json_obj_begin(j);
		json_key_str(j, "level", diag_level_to_string(e->level));
		json_key_str(j, "message", e->msg);
		if (e->file) {
			json_key_str(j, "file", e->file);
			if (e->line)
				json_key_uint(j, "line", e->line);
			if (e->col)
				json_key_uint(j, "column", e->col);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void write_error(struct json *j, struct prov_json *jo, int status)
{
	_cleanup_(freep) char *first = diag_cause(&jo->all, 0);
	char fallback[48];

	snprintf(fallback, sizeof(fallback), "failed with exit status %d", status);
	json_key(j, "error");
	json_obj_begin(j);
	json_key_str(j, "message", jo->message ? jo->message : first ? first : fallback);
	json_key_int(j, "exit_status", status);
	json_obj_end(j);
}

int prov_json_end(struct prov_ctx *ctx, int status)
{
	struct prov_json *jo = ctx->jo;
	struct json j;

	if (!jo)
		return status;
	json_init(&j, true);
	json_obj_begin(&j);
	json_key_bool(&j, "ok", status == EXIT_OK);
	/* a command that stopped halfway through a member left no usable members */
	if (jo->body.depth == 1 && !jo->body.after_key)
		json_obj_append(&j, &jo->body);
	if (status != EXIT_OK)
		write_error(&j, jo, status);
	if (jo->all.n) {
		json_key(&j, "diagnostics");
		prov_json_diag(&j, &jo->all, 0);
	}
	json_obj_end(&j);
	if ((json_print(&j, stdout) < 0 || fflush(stdout) != 0) && status == EXIT_OK)
		status = EXIT_FAIL;
	prov_json_close(ctx);
	return status;
}

void prov_json_close(struct prov_ctx *ctx)
{
	struct prov_json *jo = ctx->jo;

	if (!jo)
		return;
	json_release(&jo->body);
	diag_release(&jo->all);
	free(jo->message);
	free(jo);
	ctx->jo = NULL;
}
