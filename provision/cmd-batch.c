/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision batch FILE [--until STAGE] [--parallel N] [--keep-going] [-n] [--json] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "batch.h"
#include "image.h"
#include "pipeline.h"
#include "render.h"

static const struct cmd_option batch_options[] = {
	{"until", 0, "STAGE", "stop every guest after this stage (e.g. configs)"},
	{"parallel", 'j', "N",
	 "at most N guests at once (default: free memory / the template's memory, 1 to 8)"},
	{"keep-going", 'k', NULL, "go on with the other guests after one failed"},
	{"host", 0, "NAME|auto", "run the guests on this Dom0, or spread them (auto)"},
	{NULL},
};

/* Most guests at once by default: installers are what uses the host's memory. */
#define BATCH_PARALLEL_MAX 8

/*
 * The memory new guests can have, in MiB, or 0 when unknown: Xen's free memory on a Dom0
 * (the Dom0's own MemAvailable is not what installers get), else MemAvailable (a batch up to
 * configs on a host without Xen: the number only paces the children).
 */
static uint64_t mem_available_mib(const struct pipeline_opts *o)
{
	_cleanup_(freep) char *text = NULL;
	struct diag d = DIAG_INIT;
	uint64_t mib = 0;
	const char *s;
	int r;

	r = hv_free_memory(o->hv, &(struct hv_open_opts){.log = stderr, .verbose = o->verbose},
			   &mib, &d);
	diag_release(&d);
	if (r != -ENODEV)
		return r < 0 ? 0 : mib;
	if (read_file("/proc/meminfo", &text, NULL) < 0)
		return 0;
	s = strstr(text, "MemAvailable:");
	return s ? strtoull(s + 13, NULL, 10) / 1024 : 0;
}

/*
 * Each guest's template with its overrides, checked here so that a bad value cites the
 * batch file; such a guest fails when its turn comes. Returns the most memory of one guest.
 */
static uint64_t check_guests(struct prov_ctx *ctx, struct batch *b, const struct pipeline_opts *o)
{
	uint64_t mem = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct pipeline p = {.ctx = ctx, .site = ctx->site, .o = *o};

		/* the guest's template and its ip/mac, as its child would check them */
		if (pipeline_guest_init(&p, b->g[i].req) < 0)
			b->g[i].refused = batch_first_error(&ctx->diag);
		else if (p.t->memory_mib > mem)
			mem = p.t->memory_mib;
		pipeline_release(&p);
		diag_clear(&ctx->diag);
	}
	return mem;
}

static unsigned default_parallel(const struct pipeline_opts *o, uint64_t mem_mib)
{
	uint64_t avail = mem_available_mib(o), n;

	if (!mem_mib || !avail)
		return 1;
	n = avail / mem_mib;
	return n < 1 ? 1 : n > BATCH_PARALLEL_MAX ? BATCH_PARALLEL_MAX : (unsigned) n;
}

/* -n: the plan is the result */
static void plan_as_result(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];
		struct batch_plan *pl = &g->plan;

		g->status = pl->status;
		g->stage = pl->stage ? strdup(pl->stage) : NULL;
		g->ip = pl->ip ? strdup(pl->ip) : NULL;
		g->mac = pl->mac ? strdup(pl->mac) : NULL;
		g->lun = pl->lun ? strdup(pl->lun) : NULL;
		g->part_start = pl->part_start;
		g->part_size = pl->part_size;
		g->err_stage = pl->err_stage ? strdup(pl->err_stage) : NULL;
		g->err_cause = pl->err_cause ? strdup(pl->err_cause) : NULL;
	}
}

/* The guests g[first..last) as a batch of their own (same settings), up to until. */
static int run_part(struct batch *b, size_t first, size_t last, const char *until)
{
	struct batch part = *b;

	part.g = b->g + first;
	part.n = last - first;
	part.until = until;
	return batch_run(&part);
}

/*
 * install: once: the first guest up to install, captured as the image, then the others
 * cloned from it (in parallel) while the first goes on to the batch's last stage.
 */
static int run_install_once(struct batch *b, const struct pipeline_opts *o)
{
	struct batch_guest *first = &b->g[0];
	_cleanup_(freep) char *who = pipeline_who(NULL);
	struct prov_image im;
	int r;

	if (!who)
		return -ENOMEM;
	r = run_part(b, 0, 1, o->until < STAGE_INSTALL ? b->until : "install");
	if (r < 0 || first->status != BG_DONE || o->until < STAGE_INSTALL) {
		for (size_t i = 1; i < b->n; i++)
			b->g[i].status = BG_SKIPPED;
		if (r >= 0 && first->status == BG_DONE)
			fprintf(b->progress,
				"the other %zu guests are clones of image '%s', made once '%s' is installed: run the batch up to install or further\n",
				b->n - 1, b->install_once_image, first->req->name);
		return r;
	}
	fprintf(b->progress, "%s: installed; capturing it as image '%s'\n", first->req->name,
		b->install_once_image);
	fflush(b->progress);
	r = prov_image_open(b->ctx, b->install_once_image, true, &im);
	im.who = who;
	if (r >= 0 && (r = inv_image_get(im.inv, im.name, &b->ctx->diag, &im.image)) >= 0) {
		/* a batch run again: its image was captured the first time */
		fprintf(b->progress, "image '%s' exists (captured from '%s')\n", im.name,
			im.image->source);
	} else if (r == -ENOENT) {
		r = prov_image_capture(&im, &(struct prov_capture){.guest = first->req->name,
								   .hv = o->hv,
								   .verbose = o->verbose,
								   .out = b->progress});
	}
	prov_image_release(&im);
	if (r < 0) {
		first->status = BG_FAILED;
		free(first->err_stage);
		free(first->err_cause);
		first->err_stage = strdup("capture");
		first->err_cause = batch_first_error(&b->ctx->diag);
		for (size_t i = 1; i < b->n; i++)
			b->g[i].status = BG_SKIPPED;
		return 0;
	}
	diag_clear(&b->ctx->diag);
	if (o->until > STAGE_INSTALL)
		batch_guest_rewind(first); /* on to boot, beside its clones */
	return run_part(b, o->until > STAGE_INSTALL ? 0 : 1, b->n, b->until);
}

/*
 * One code path for the plan: -n prints batch_plan()'s plan; the real run makes the same
 * plan first (quietly, every guest planned), runs the children in its order, and compares.
 */
static int run(struct batch *b, const struct pipeline_opts *o)
{
	int r;

	if (b->ctx->dry_run) {
		r = batch_plan(b, o, b->progress, b->keep_going);
		if (r >= 0)
			plan_as_result(b);
		return r;
	}
	r = batch_plan(b, o, NULL, true);
	if (r < 0)
		return r;
	diag_clear(&b->ctx->diag);
	return b->install_once_image ? run_install_once(b, o) : batch_run(b);
}

static bool str_differs(const char *plan, const char *got)
{
	return plan && got && !streq(plan, got);
}

/* A guest that did not get what was planned (the world changed while the batch ran). */
static bool off_plan(const struct batch_guest *g)
{
	const struct batch_plan *pl = &g->plan;

	if (pl->status != BG_DONE || !g->mac)
		return false;
	return str_differs(pl->ip, g->ip) || str_differs(pl->mac, g->mac) ||
	       str_differs(pl->lun, g->lun) ||
	       (pl->part_size && g->part_size &&
		(pl->part_start != g->part_start || pl->part_size != g->part_size));
}

static void json_plan(struct json *j, const struct batch_plan *pl)
{
	json_key(j, "plan");
	json_obj_begin(j);
	json_key_str(j, "status",
		     pl->status == BG_DONE ? "planned" : bg_status_to_string(pl->status));
	json_key_str(j, "ip", pl->ip);
	json_key_str(j, "mac", pl->mac);
	json_key_str(j, "lun", pl->lun);
	json_key(j, "partition");
	if (pl->part_size) {
		json_obj_begin(j);
		json_key_uint(j, "start", pl->part_start);
		json_key_uint(j, "size", pl->part_size);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_obj_end(j);
}

/* -n: "planned" rather than "done" */
static const char *status_name(const struct batch *b, const struct batch_guest *g)
{
	return b->ctx->dry_run && g->status == BG_DONE ? "planned" : bg_status_to_string(g->status);
}

static void print_json(struct json *j, const struct batch *b, const unsigned *count)
{
	json_key_str(j, "name", b->name);
	json_key_bool(j, "dry_run", b->ctx->dry_run);
	json_key_str(j, "until", b->until ? b->until : "boot");
	json_key_uint(j, "parallel", b->parallel);
	json_key(j, "guests");
	json_arr_begin(j);
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_guest *g = &b->g[i];

		json_obj_begin(j);
		json_key_str(j, "name", g->req->name);
		json_key_str(j, "request_id", g->req->request_id);
		/* installed by FAI, or a clone of image (install: once, image:, a request's) */
		json_key_str(j, "image", g->req->image);
		json_key_str(j, "status", status_name(b, g));
		json_key_bool(j, "ok", g->status == BG_DONE);
		json_key_str(j, "stage", g->stage);
		json_key_str(j, "ip", g->ip);
		json_key_str(j, "mac", g->mac);
		json_key_str(j, "lun", g->lun);
		json_key_str(j, "host", g->plan.host); /* the Dom0 the plan placed it on */
		if (g->part_size) {
			json_key(j, "partition");
			json_obj_begin(j);
			json_key_uint(j, "start", g->part_start);
			json_key_uint(j, "size", g->part_size);
			json_obj_end(j);
		}
		if (!b->ctx->dry_run) {
			json_plan(j, &g->plan);
			json_key_bool(j, "as_planned", !off_plan(g));
		}
		json_key(j, "error");
		if (g->status == BG_FAILED) {
			json_obj_begin(j);
			json_key_str(j, "stage", g->err_stage);
			json_key_str(j, "cause", g->err_cause);
			json_obj_end(j);
		} else {
			json_null(j);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "totals");
	json_obj_begin(j);
	json_key_uint(j, "done", count[BG_DONE]);
	json_key_uint(j, "failed", count[BG_FAILED]);
	json_key_uint(j, "skipped", count[BG_SKIPPED]);
	json_obj_end(j);
}

/* Which guests are installed and which are cloned (from which image). */
static void print_methods(const struct batch *b)
{
	size_t n_clones = 0;

	for (size_t i = 0; i < b->n; i++)
		n_clones += b->g[i].req->image != NULL;
	if (!n_clones)
		return;
	if (b->install_once_image)
		printf("install: '%s' with FAI, then captured as image '%s'; %zu clone%s of it: %s%s\n",
		       b->g[0].req->name, b->install_once_image, n_clones, n_clones == 1 ? "" : "s",
		       b->n > 1 ? b->g[1].req->name : "", n_clones > 1 ? " ..." : "");
	else
		printf("install: %zu clone%s of image '%s', none installed with FAI\n", n_clones,
		       n_clones == 1 ? "" : "s", b->g[0].req->image);
}

static void print_summary(const struct batch *b, const unsigned *count)
{
	bool dry = b->ctx->dry_run;
	char b1[32], b2[32];

	printf("%s '%s': %u %s, %u failed, %u skipped\n", dry ? "plan of batch" : "batch", b->name,
	       count[BG_DONE], dry ? "planned" : "done", count[BG_FAILED], count[BG_SKIPPED]);
	print_methods(b);
	printf("%-20s %-8s %-9s %-15s %-17s %s\n", "GUEST", "STATUS", "STAGE", "IP", "MAC",
	       dry ? "PARTITION" : "");
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_guest *g = &b->g[i];

		if (g->status == BG_FAILED) {
			printf("%-20s %-8s %-9s %s\n", g->req->name, "failed", g->err_stage,
			       g->err_cause ? g->err_cause : "");
			continue;
		}
		printf("%-20s %-8s %-9s %-15s %-17s", g->req->name, status_name(b, g),
		       g->stage ? g->stage : "-", g->ip ? g->ip : "-", g->mac ? g->mac : "-");
		if (dry && g->lun)
			printf(" %s at %s, %s", g->lun, format_size(g->part_start, b1, sizeof(b1)),
			       format_size(g->part_size, b2, sizeof(b2)));
		if (b->host && g->plan.host)
			printf(" on Dom0 %s", g->plan.host);
		putchar('\n');
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_guest *g = &b->g[i];
		const struct batch_plan *pl = &g->plan;

		if (!dry && off_plan(g))
			printf("warning: '%s' got IP %s, MAC %s, %s at %s, not the planned %s, %s, %s at %s: the inventory or the LUNs changed while the batch ran\n",
			       g->req->name, g->ip ? g->ip : "-", g->mac, g->lun ? g->lun : "-",
			       format_size(g->part_start, b1, sizeof(b1)), pl->ip ? pl->ip : "-",
			       pl->mac ? pl->mac : "-", pl->lun ? pl->lun : "-",
			       format_size(pl->part_start, b2, sizeof(b2)));
	}
}

/* The batch's own settings must make a guest: else every guest would fail the same way. */
static int check_base(struct prov_ctx *ctx, const struct tmpl_batch *tb,
		      const struct pipeline_opts *o)
{
	struct pipeline p = {.ctx = ctx, .site = ctx->site, .o = *o};
	int r;

	r = prov_guest_template(ctx, tb->base->name, o, tb->base, &p.t);
	if (r >= 0)
		r = pipeline_guest_check(&p);
	p.t = tmpl_guest_free(p.t);
	if (r >= 0)
		return 0;
	diag_add(&ctx->diag, DIAG_NOTE, &tb->template_loc,
		 "batch '%s': no guest can be made with template '%s' and these settings", tb->name,
		 tb->template_name);
	return -EINVAL;
}

static int cmd_batch(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_batch_freep) struct tmpl_batch *tb = NULL;
	const char *par = opt_get(ctx, "parallel");
	struct batch b = {.ctx = ctx, .until = opt_get(ctx, "until"), .host = opt_get(ctx, "host")};
	unsigned count[_BG_STATUS_MAX] = {0};
	struct pipeline_opts o;
	uint64_t mem, v;
	int r;

	r = cmd_pipeline_opts(ctx, &o);
	if (r)
		return r;
	if (par && (parse_u64(par, &v) < 0 || v < 1 || v > 64))
		return usage_error(ctx, "--parallel: '%s' is not a number from 1 to 64", par);
	if (tmpl_batch_load(argv[1], &ctx->diag, &tb) < 0 || check_base(ctx, tb, &o) < 0)
		return prov_finish(ctx, EXIT_USAGE);
	b.name = tb->name;
	b.n = tb->n_guests;
	b.install_once_image = tb->install_once ? tb->image : NULL;
	b.keep_going = opt_flag(ctx, "keep-going");
	b.progress = ctx->json ? stderr : stdout;
	b.live = !ctx->dry_run && isatty(fileno(b.progress)) && getenv("TERM") &&
		 !streq(getenv("TERM"), "dumb");
	b.g = calloc(b.n, sizeof(*b.g));
	if (!b.g)
		return EXIT_FAIL;
	for (size_t i = 0; i < b.n; i++)
		b.g[i] = (struct batch_guest){.req = tb->guests[i]};
	mem = check_guests(ctx, &b, &o);
	b.parallel = par ? (unsigned) v : default_parallel(&o, mem);
	if (!ctx->json)
		fprintf(b.progress,
			"%s batch '%s': %zu guests, template %s, up to %s, %u at once\n",
			ctx->dry_run ? "planning" : "running", b.name, b.n, tb->template_name,
			stage_to_string(o.until), ctx->dry_run ? 1 : b.parallel);
	r = run(&b, &o);
	if (r < 0)
		diag_error_errno(&ctx->diag, NULL, r, "batch '%s' stopped", b.name);
	for (size_t i = 0; i < b.n; i++)
		count[b.g[i].status]++;
	if (prov_json(ctx))
		print_json(prov_json(ctx), &b, count);
	else
		print_summary(&b, count);
	if (r >= 0 && count[BG_DONE] != b.n)
		prov_json_error(ctx, "batch '%s': %u %s, %u failed, %u skipped", b.name,
				count[BG_DONE], ctx->dry_run ? "planned" : "done", count[BG_FAILED],
				count[BG_SKIPPED]);
	for (size_t i = 0; i < b.n; i++)
		batch_guest_release(&b.g[i]);
	free(b.g);
	return prov_finish(ctx, r >= 0 && count[BG_DONE] == b.n ? EXIT_OK : EXIT_FAIL);
}

const struct cmd prov_cmd_batch = {
	.name = "batch",
	.fn = cmd_batch,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN | CMD_LUNS,
	.args = "FILE",
	.help = "create the guests of a batch file (lab machines), several at once",
	.options = batch_options,
};
