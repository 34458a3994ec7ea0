/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision evacuate HOST: every guest off a Dom0; provision rebalance: free memory even across
 * the Dom0s. The plans are placement.c's (pure); the checks and moves are migrate's, each on
 * the guest's Dom0 (prov_migrate_one() hands over through ssh when that is another).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "migrate-run.h"
#include "placement.h"
#include "prov.h"

#define MIB (UINT64_C(1) << 20)

struct world {
	struct inv_host *hosts;
	size_t n_hosts;
	struct inv_guest *guests;
	size_t n_guests;
	struct prov_place_host *ph;
	size_t n_ph;
	struct prov_place_guest *pg;
	size_t n_pg;
};

static void world_release(struct world *w)
{
	inv_host_array_free(w->hosts, w->n_hosts);
	inv_guest_array_free(w->guests, w->n_guests);
	free(w->ph);
	free(w->pg);
}

/* The Dom0s whose Xen said how much memory they have, and the running guests with theirs. */
static int world_load(struct prov_ctx *ctx, struct world *w)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_READONLY, &inv);
	if (r >= 0)
		r = inv_host_list(inv, &ctx->diag, &w->hosts, &w->n_hosts);
	if (r >= 0)
		r = inv_guest_list(inv, 0, &ctx->diag, &w->guests, &w->n_guests);
	if (r < 0)
		return r;
	if (!inv_is_shared(inv))
		return diag_error(&ctx->diag, NULL,
				  "the inventory is this Dom0's alone (%s): moving guests between "
				  "Dom0s needs the site's shared PostgreSQL inventory",
				  inv_backend(inv)),
		       -EDOM;
	w->ph = calloc(w->n_hosts + 1, sizeof(*w->ph));
	w->pg = calloc(w->n_guests + 1, sizeof(*w->pg));
	if (!w->ph || !w->pg)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_hosts; i++)
		if (w->hosts[i].xen_version)
			w->ph[w->n_ph++] = (struct prov_place_host){w->hosts[i].name,
								    w->hosts[i].mem_free / MIB};
	for (size_t i = 0; i < w->n_guests; i++) {
		const struct inv_guest *g = &w->guests[i];
		_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
		size_t mark = diag_mark(&ctx->diag);

		if (!g->host || !g->stage || !streq(g->stage, "boot") || !g->spec)
			continue;
		if (tmpl_guest_load_text(ctx->site, g->name, g->spec, &ctx->diag, &t) < 0) {
			diag_demote(&ctx->diag, mark);
			continue;
		}
		w->pg[w->n_pg++] = (struct prov_place_guest){g->name, g->host, t->memory_mib};
	}
	return 0;
}

static void plan_print(const struct prov_place_plan *p, FILE *f)
{
	for (size_t i = 0; i < p->n_moves; i++)
		fprintf(f, "  %s (%" PRIu64 " MiB): %s -> %s\n", p->moves[i].guest,
			p->moves[i].mem_mib, p->moves[i].from, p->moves[i].to);
	for (size_t i = 0; i < p->n_stuck; i++)
		fprintf(f, "  %s: stays: %s\n", p->stuck[i].guest, p->stuck[i].reason);
}

struct outcome {
	const char *guest, *to;
	uint64_t mem_mib;
	bool ok;
	char *why;
};

/* Check (and without -n, carry out) guest's move to to. Returns: 0, or < 0 with *why. */
static int try_move(struct prov_ctx *ctx, const struct prov_place_move *m, bool check_only,
		    char **why)
{
	struct prov_migrate_req req = {.name = m->guest,
				       .to = m->to,
				       .offline = opt_flag(ctx, "offline"),
				       .check_only = check_only,
				       .hv = &hv_libxl_ops,
				       .out = stderr};
	struct prov_migrate_result res = {0};
	size_t mark = diag_mark(&ctx->diag);
	int status;

	fprintf(stderr, "%s '%s' to Dom0 '%s'\n", check_only ? "checking" : "moving", m->guest,
		m->to);
	status = prov_migrate_one(ctx, &req, &res);
	if (status != EXIT_OK) {
		const struct prov_check *f = prov_checks_first_failed(&res.checks);

		if (f && asprintf(why, "%s: %s", f->name, f->found) < 0)
			*why = NULL;
		else if (!f)
			*why = diag_cause(&ctx->diag, mark);
		diag_demote(&ctx->diag, mark);
	}
	prov_migrate_result_release(&res);
	return status == EXIT_OK ? 0 : -EAGAIN;
}

/* The Dom0s' free memory after m. */
static void account(struct world *w, const struct prov_place_move *m)
{
	for (size_t i = 0; i < w->n_ph; i++) {
		if (streq(w->ph[i].name, m->to))
			w->ph[i].free_mib -=
				w->ph[i].free_mib < m->mem_mib ? w->ph[i].free_mib : m->mem_mib;
		if (streq(w->ph[i].name, m->from))
			w->ph[i].free_mib += m->mem_mib;
	}
}

static void outcomes_json(struct json *j, const char *key, const struct outcome *v, size_t n)
{
	json_key(j, key);
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(j);
		json_key_str(j, "name", v[i].guest);
		json_key_str(j, "to", v[i].to);
		json_key(j, "memory");
		json_uint(j, v[i].mem_mib * MIB);
		json_key_bool(j, "ok", v[i].ok);
		json_key_str(j, "reason", v[i].why);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static int push(struct outcome **v, size_t *n, struct outcome o)
{
	struct outcome *x = realloc(*v, (*n + 1) * sizeof(*x));

	if (!x) {
		free(o.why);
		return -ENOMEM;
	}
	*v = x;
	x[(*n)++] = o;
	return 0;
}

/*
 * Evacuate from: plan, check the first move (a refusal joins the next plan), carry it out,
 * again, until every guest moved or is stuck.
 */
static int evacuate(struct prov_ctx *ctx, struct world *w, const char *from, struct outcome **ret,
		    size_t *ret_n)
{
	_cleanup_(freep) struct prov_place_refusal *refusals = NULL;
	size_t n_ref = 0;
	int r = 0;

	for (;;) {
		struct prov_place_plan p;
		struct prov_place_move m;
		char *why = NULL;

		r = prov_place_evacuate(w->ph, w->n_ph, w->pg, w->n_pg, from, refusals, n_ref, &p);
		if (r < 0)
			return r;
		if (p.n_moves == 0) {
			for (size_t i = 0; r >= 0 && i < p.n_stuck; i++)
				r = push(ret, ret_n,
					 (struct outcome){p.stuck[i].guest, NULL, 0, false,
							  TAKE_PTR(p.stuck[i].reason)});
			prov_place_plan_release(&p);
			return r;
		}
		m = p.moves[0];
		prov_place_plan_release(&p);
		if (try_move(ctx, &m, true, &why) < 0) {
			struct prov_place_refusal *x = realloc(refusals, (n_ref + 1) * sizeof(*x));

			if (!x)
				return -ENOMEM;
			refusals = x;
			/* the reason lives in the outcomes list: freed with it */
			refusals[n_ref++] = (struct prov_place_refusal){
				m.guest, m.to, why ? why : "checks failed"};
			r = push(ret, ret_n,
				 (struct outcome){m.guest, m.to, m.mem_mib, false, why});
			if (r < 0)
				return r;
			continue;
		}
		if (!ctx->dry_run && try_move(ctx, &m, false, &why) < 0) {
			r = push(ret, ret_n,
				 (struct outcome){m.guest, m.to, m.mem_mib, false, why});
			/* it stays: take it out of the next plans */
			for (size_t i = 0; i < w->n_pg; i++)
				if (streq(w->pg[i].name, m.guest))
					w->pg[i].host = "";
		} else {
			r = push(ret, ret_n,
				 (struct outcome){m.guest, m.to, m.mem_mib, true, NULL});
			account(w, &m);
			for (size_t i = 0; i < w->n_pg; i++)
				if (streq(w->pg[i].name, m.guest))
					w->pg[i].host = m.to;
		}
		if (r < 0)
			return r;
	}
}

static int cmd_evacuate(struct prov_ctx *ctx, int argc, char **argv)
{
	struct world w = {0};
	struct outcome *v = NULL;
	size_t n = 0;
	bool moved_all = true, any = false;
	int r;

	r = world_load(ctx, &w);
	for (size_t i = 0; r >= 0 && i < w.n_pg; i++)
		any |= streq(w.pg[i].host, argv[1]);
	if (r >= 0)
		r = evacuate(ctx, &w, argv[1], &v, &n);
	for (size_t i = 0; i < n; i++) {
		if (v[i].ok)
			printf("%s '%s' (%" PRIu64 " MiB) to Dom0 '%s'\n",
			       ctx->dry_run ? "would move" : "moved", v[i].guest, v[i].mem_mib,
			       v[i].to);
		else if (v[i].to)
			printf("'%s' not to Dom0 '%s': %s\n", v[i].guest, v[i].to,
			       v[i].why ? v[i].why : "?");
		else
			printf("'%s' stays on Dom0 '%s': %s\n", v[i].guest, argv[1], v[i].why);
	}
	for (size_t i = 0; r >= 0 && i < w.n_pg; i++)
		if (streq(w.pg[i].host, argv[1]) || !*w.pg[i].host)
			moved_all = false;
	if (r >= 0 && !any)
		printf("no running guest on Dom0 '%s'\n", argv[1]);
	if (prov_json(ctx) && r >= 0) {
		json_key_str(prov_json(ctx), "host", argv[1]);
		json_key_bool(prov_json(ctx), "dry_run", ctx->dry_run);
		outcomes_json(prov_json(ctx), "moves", v, n);
	}
	if (r >= 0 && !moved_all)
		diag_error(&ctx->diag, NULL, "not every guest can leave Dom0 '%s'", argv[1]);
	for (size_t i = 0; i < n; i++)
		free(v[i].why);
	free(v);
	world_release(&w);
	if (r < 0)
		return r == -EDOM ? EXIT_USAGE : prov_exit_status(r);
	return moved_all ? EXIT_OK : EXIT_FAIL;
}

static int cmd_rebalance(struct prov_ctx *ctx, int argc, char **argv)
{
	const char *gain = opt_get(ctx, "min-gain");
	struct prov_place_plan p = {0};
	struct world w = {0};
	uint64_t min_gain = 256 * MIB;
	int r, status = EXIT_OK;

	if (gain && parse_size(gain, &min_gain) < 0)
		return usage_error(ctx, "--min-gain: not a size: '%s'", gain);
	min_gain /= MIB;
	r = world_load(ctx, &w);
	if (r >= 0)
		r = prov_place_rebalance(w.ph, w.n_ph, w.pg, w.n_pg, min_gain, &p);
	if (r < 0) {
		world_release(&w);
		return r == -EDOM ? EXIT_USAGE : prov_exit_status(r);
	}
	if (!prov_json(ctx)) {
		printf(p.n_moves ? "%s:\n" : "free memory is even: nothing to move\n",
		       ctx->dry_run ? "would move" : "moving");
		plan_print(&p, stdout);
	}
	for (size_t i = 0; !ctx->dry_run && i < p.n_moves; i++) {
		_cleanup_(freep) char *why = NULL;

		if (try_move(ctx, &p.moves[i], false, &why) < 0) {
			diag_error(&ctx->diag, NULL, "'%s' not moved to Dom0 '%s': %s",
				   p.moves[i].guest, p.moves[i].to, why ? why : "?");
			status = EXIT_FAIL;
		}
	}
	if (prov_json(ctx)) {
		struct json *j = prov_json(ctx);

		json_key_bool(j, "dry_run", ctx->dry_run);
		json_key(j, "moves");
		json_arr_begin(j);
		for (size_t i = 0; i < p.n_moves; i++) {
			json_obj_begin(j);
			json_key_str(j, "name", p.moves[i].guest);
			json_key_str(j, "from", p.moves[i].from);
			json_key_str(j, "to", p.moves[i].to);
			json_key(j, "memory");
			json_uint(j, p.moves[i].mem_mib * MIB);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	prov_place_plan_release(&p);
	world_release(&w);
	return status;
}

static const struct cmd_option evacuate_options[] = {
	{"offline", 0, NULL, "move each guest suspended first (default: live)"},
	{NULL},
};

static const struct cmd_option rebalance_options[] = {
	{"min-gain", 0, "SIZE", "move only when the two Dom0s' gap narrows this much (256M)"},
	{NULL},
};

const struct cmd prov_cmd_evacuate = {
	.name = "evacuate",
	.fn = cmd_evacuate,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_DRYRUN,
	.args = "HOST",
	.help = "move every guest off a Dom0, each to the Dom0 with most free memory that passes",
	.options = evacuate_options,
};

const struct cmd prov_cmd_rebalance = {
	.name = "rebalance",
	.fn = cmd_rebalance,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE | CMD_DRYRUN,
	.args = "",
	.help = "move guests so that free memory is even across the Dom0s",
	.options = rebalance_options,
};
