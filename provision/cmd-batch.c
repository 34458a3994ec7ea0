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
#include "pipeline.h"
#include "render.h"

static const struct cmd_option batch_options[] = {
	{"until", 0, "STAGE", "stop every guest after this stage (e.g. configs)"},
	{"parallel", 'j', "N",
	 "at most N guests at once (default: free memory / the template's memory, 1 to 8)"},
	{"keep-going", 'k', NULL, "go on with the other guests after one failed"},
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

/* Why a guest failed: diag_cause(), the rule the children's results follow too. */
static char *first_error(const struct diag *d)
{
	char *s = diag_cause(d, 0);

	return s ? s : strdup("refused");
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
			b->g[i].refused = first_error(&ctx->diag);
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

/* -n: every guest's pipeline in this process, on one scratch inventory: cumulative. */
static int plan(struct batch *b, const struct pipeline_opts *o)
{
	struct prov_ctx *ctx = b->ctx;
	struct inv *inv = NULL;
	bool stop = false;
	int r;

	r = inv_open_scratch(ctx->site->state_dir, &ctx->diag, &inv);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];
		struct pipeline p = {
			.ctx = ctx, .site = ctx->site, .o = *o, .inv = inv, .out = b->progress};
		char buf[18];

		if (stop) {
			g->status = BG_SKIPPED;
			continue;
		}
		if (!ctx->json)
			fprintf(b->progress, "%s:\n", g->req->name);
		if (g->refused) {
			g->status = BG_FAILED;
			g->err_stage = strdup("request");
			g->err_cause = TAKE_PTR(g->refused);
			stop = !b->keep_going;
			continue;
		}
		r = pipeline_guest_init(&p, g->req);
		if (r >= 0)
			r = pipeline_request_run(&p, g->req);
		g->status = r >= 0 ? BG_DONE : BG_FAILED;
		if (r < 0) {
			g->err_stage = strdup(p.failed_stage ? p.failed_stage : "request");
			g->err_cause = first_error(&ctx->diag);
			stop = !b->keep_going;
		} else {
			g->stage = strdup(stage_to_string(o->until));
		}
		if (p.g) {
			g->mac = strdup(format_mac(p.g->mac, buf));
			g->ip = p.g->has_ip ? strdup(format_ipv4(p.g->ip, buf)) : NULL;
			if (p.g->has_partition) {
				g->lun = strdup(p.g->part.lun);
				g->part_start = p.g->part.start;
				g->part_size = p.g->part.size;
			}
		}
		diag_clear(&ctx->diag);
		p.inv = NULL; /* shared by the whole plan */
		pipeline_release(&p);
	}
	inv_close(inv);
	return 0;
}

/* -n: "planned" rather than "done" */
static const char *status_name(const struct batch *b, const struct batch_guest *g)
{
	return b->ctx->dry_run && g->status == BG_DONE ? "planned" : bg_status_to_string(g->status);
}

static void print_json(const struct batch *b, const unsigned *count)
{
	_cleanup_(freep) char *text = NULL;
	struct json j;

	json_init(&j, true);
	json_obj_begin(&j);
	json_key_str(&j, "batch", b->name);
	json_key_bool(&j, "dry_run", b->ctx->dry_run);
	json_key_str(&j, "until", b->until ? b->until : "boot");
	json_key_uint(&j, "parallel", b->parallel);
	json_key(&j, "guests");
	json_arr_begin(&j);
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_guest *g = &b->g[i];

		json_obj_begin(&j);
		json_key_str(&j, "name", g->req->name);
		json_key_str(&j, "request_id", g->req->request_id);
		json_key_str(&j, "status", status_name(b, g));
		json_key_bool(&j, "ok", g->status == BG_DONE);
		json_key_str(&j, "stage", g->stage);
		json_key_str(&j, "ip", g->ip);
		json_key_str(&j, "mac", g->mac);
		json_key_str(&j, "lun", g->lun);
		if (b->ctx->dry_run && g->part_size) {
			json_key(&j, "partition");
			json_obj_begin(&j);
			json_key_uint(&j, "start", g->part_start);
			json_key_uint(&j, "size", g->part_size);
			json_obj_end(&j);
		}
		json_key(&j, "error");
		if (g->status == BG_FAILED) {
			json_obj_begin(&j);
			json_key_str(&j, "stage", g->err_stage);
			json_key_str(&j, "cause", g->err_cause);
			json_obj_end(&j);
		} else {
			json_null(&j);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "totals");
	json_obj_begin(&j);
	json_key_uint(&j, "done", count[BG_DONE]);
	json_key_uint(&j, "failed", count[BG_FAILED]);
	json_key_uint(&j, "skipped", count[BG_SKIPPED]);
	json_obj_end(&j);
	json_obj_end(&j);
	text = json_finish(&j);
	if (text)
		fputs(text, stdout);
}

static void print_summary(const struct batch *b, const unsigned *count)
{
	bool dry = b->ctx->dry_run;
	char b1[32], b2[32];

	printf("%s '%s': %u %s, %u failed, %u skipped\n", dry ? "plan of batch" : "batch", b->name,
	       count[BG_DONE], dry ? "planned" : "done", count[BG_FAILED], count[BG_SKIPPED]);
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
		putchar('\n');
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
	struct batch b = {.ctx = ctx, .until = opt_get(ctx, "until")};
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
	b.keep_going = opt_flag(ctx, "keep-going");
	b.progress = ctx->json ? stderr : stdout;
	b.live = !ctx->dry_run && isatty(fileno(b.progress)) && getenv("TERM") &&
		 !streq(getenv("TERM"), "dumb");
	b.g = calloc(b.n, sizeof(*b.g));
	if (!b.g)
		return EXIT_FAIL;
	for (size_t i = 0; i < b.n; i++)
		b.g[i] = (struct batch_guest){.req = tb->guests[i], .fd_out = -1, .fd_err = -1};
	mem = check_guests(ctx, &b, &o);
	b.parallel = par ? (unsigned) v : default_parallel(&o, mem);
	if (!ctx->json)
		fprintf(b.progress,
			"%s batch '%s': %zu guests, template %s, up to %s, %u at once\n",
			ctx->dry_run ? "planning" : "running", b.name, b.n, tb->template_name,
			stage_to_string(o.until), ctx->dry_run ? 1 : b.parallel);
	r = ctx->dry_run ? plan(&b, &o) : batch_run(&b);
	if (r < 0)
		diag_error_errno(&ctx->diag, NULL, r, "batch '%s' stopped", b.name);
	for (size_t i = 0; i < b.n; i++)
		count[b.g[i].status]++;
	if (ctx->json)
		print_json(&b, count);
	else
		print_summary(&b, count);
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
