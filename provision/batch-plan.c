/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan of a batch (batch.h): one function for `batch -n`, which prints it, and for the
 * real run, which records it before its first child starts and checks each child's
 * allocation against it. The real run makes what was planned because it allocates in the
 * plan's order (a guest starts once the one before it is past allocate); when the world
 * changed in between (another run took an address), the summary says which guest differs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "batch.h"
#include "cluster.h"
#include "pipeline.h"

void batch_plan_release(struct batch_plan *pl)
{
	free(pl->stage);
	free(pl->ip);
	free(pl->mac);
	free(pl->lun);
	free(pl->host);
	free(pl->err_stage);
	free(pl->err_cause);
	*pl = (struct batch_plan){0};
}

char *batch_first_error(const struct diag *d)
{
	char *s = diag_cause(d, 0); /* the rule of the children's results too */

	return s ? s : strdup("refused");
}

/* One guest's pipeline with dry_run on the batch's scratch inventory. */
static int plan_one(struct batch *b, struct batch_guest *g, struct inv *inv,
		    const struct pipeline_opts *o, FILE *out)
{
	struct prov_ctx *ctx = b->ctx;
	struct batch_plan *pl = &g->plan;
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .o = *o, .inv = inv, .out = out};
	char buf[18];
	int r;

	p.o.dry_run = true;
	r = pipeline_guest_init(&p, g->req);
	if (r >= 0)
		r = pipeline_request_run(&p, g->req);
	pl->status = r >= 0 ? BG_DONE : BG_FAILED;
	if (r < 0) {
		pl->err_stage = strdup(p.failed_stage ? p.failed_stage : "request");
		pl->err_cause = batch_first_error(&ctx->diag);
	} else {
		pl->stage = strdup(stage_to_string(o->until));
	}
	if (p.g && p.host && p.t) {
		pl->host = strdup(p.host);
		(void) prov_host_reserve(inv, p.host, p.t->memory_mib, &ctx->diag);
	}
	if (p.g) {
		pl->mac = strdup(format_mac(p.g->mac, buf));
		pl->ip = p.g->has_ip ? strdup(format_ipv4(p.g->ip, buf)) : NULL;
		if (p.g->has_partition) {
			pl->lun = strdup(p.g->part.lun);
			pl->part_start = p.g->part.start;
			pl->part_size = p.g->part.size;
		}
	}
	diag_clear(&ctx->diag);
	p.inv = NULL; /* shared by the whole plan */
	pipeline_release(&p);
	return r;
}

int batch_plan(struct batch *b, const struct pipeline_opts *o, FILE *out, bool keep_going)
{
	_cleanup_(fclosep) FILE *null = out ? NULL : fopen("/dev/null", "we");
	struct inv *inv = NULL;
	bool stop = false;
	int r;

	if (!out && !null)
		return -errno;
	r = prov_inv_open(b->ctx, INV_OPEN_SCRATCH, &inv);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];

		batch_plan_release(&g->plan);
		if (stop) {
			g->plan.status = BG_SKIPPED;
			continue;
		}
		if (out && !b->ctx->json)
			fprintf(out, "%s:\n", g->req->name);
		if (g->refused) {
			g->plan.status = BG_FAILED;
			g->plan.err_stage = strdup("request");
			g->plan.err_cause = strdup(g->refused);
		} else {
			(void) plan_one(b, g, inv, o, out ? out : null);
		}
		stop = g->plan.status == BG_FAILED && !keep_going;
	}
	inv_close(inv);
	return 0;
}
