/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "part-site.h"

void prov_part_guard(const struct prov_ctx *ctx, struct part_guard *ret)
{
	*ret = (struct part_guard){.luns = ctx->site->luns};
}

const struct inv_guest *prov_inv_holder(const struct inv_guest *v, size_t n, const char *lun,
					const struct part_entry *e)
{
	for (size_t i = 0; i < n; i++) {
		const struct inv_guest *g = &v[i];
		bool match;

		if (!g->has_partition || !streq(g->part.lun, lun))
			continue;
		if (g->part.partuuid)
			match = e->uuid && strcasecmp(g->part.partuuid, e->uuid) == 0;
		else
			match = g->part.start == e->start && g->part.size == e->size;
		if (match)
			return g;
	}
	return NULL;
}

static int disk_owner(void *data, const char *lun, const struct part_entry *e, char **ret_guest)
{
	const struct prov_disk_guard *g = data;
	const struct inv_guest *h = prov_inv_holder(g->live, g->n_live, lun, e);

	if (!h)
		return part_owner_by_name(NULL, lun, e, ret_guest);
	*ret_guest = strdup(h->name);
	return *ret_guest ? 1 : -ENOMEM;
}

int prov_disk_guard_init(struct prov_ctx *ctx, struct prov_disk_guard *ret)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	int r;

	*ret = (struct prov_disk_guard){0};
	r = prov_inv_open(ctx, INV_OPEN_SCRATCH, &inv);
	if (r >= 0)
		r = inv_guest_list(inv, 0, &ctx->diag, &ret->live, &ret->n_live);
	if (r < 0)
		return r;
	ret->guard = (struct part_guard){
		.luns = ctx->site->luns, .owner = disk_owner, .owner_data = ret};
	return 0;
}

void prov_disk_guard_release(struct prov_disk_guard *g)
{
	g->live = inv_guest_array_free(g->live, g->n_live);
	g->n_live = 0;
}

int prov_disk_refuse_inventory(struct prov_ctx *ctx, const struct prov_disk_guard *g,
			       const char *name, const struct part_plan *p)
{
	for (size_t i = 0; i < g->n_live; i++) {
		const struct inv_guest *h = &g->live[i];

		if (name && streq(h->name, name)) {
			diag_error(
				&ctx->diag, NULL,
				"guest '%s' is in the inventory (stage %s): 'provision destroy %s' releases its partition, not 'disk'",
				name, h->stage ? h->stage : "none", name);
			return -EBUSY;
		}
		for (size_t k = 0; p && k < p->n_steps; k++) {
			const struct part_step *s = &p->steps[k];

			if (!s->create || !h->has_partition || h->part.partuuid ||
			    !streq(h->part.lun, p->lun) ||
			    s->start >= h->part.start + h->part.size ||
			    h->part.start >= s->start + s->size)
				continue;
			diag_error(
				&ctx->diag, NULL,
				"the space for partition %u on '%s' is reserved by guest '%s' in the inventory (not carved yet), refusing it",
				s->partno, p->lun, h->name);
			return -EBUSY;
		}
	}
	return 0;
}

int prov_part_lun(struct prov_ctx *ctx, const struct part_guard *g, const char *dev,
		  const char **ret)
{
	int i = part_guard_find(g, dev, &ctx->diag);

	if (i < 0)
		return i;
	*ret = g->luns[i];
	return 0;
}

/* The plan as --json members: the LUN, the actions in words, the partitions it touches. */
static void part_run_json(struct json *j, const struct prov_ctx *ctx, const struct part_plan *p,
			  const char *text)
{
	json_key_str(j, "lun", p->lun);
	json_key_bool(j, "dry_run", ctx->dry_run);
	json_key(j, "actions");
	json_arr_begin(j);
	for (const char *l = text, *e; *l; l = *e ? e + 1 : e) {
		_cleanup_(freep) char *line = NULL;

		e = l + strcspn(l, "\n");
		line = strndup(l, (size_t) (e - l));
		json_str(j, line ? line : "");
	}
	json_arr_end(j);
	json_key(j, "partitions");
	json_arr_begin(j);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct part_step *s = &p->steps[i];

		json_obj_begin(j);
		json_key_uint(j, "number", s->partno);
		json_key_uint(j, "start", s->start);
		json_key_uint(j, "size", s->size);
		json_key_str(j, "name", s->remove ? NULL : s->name);
		json_key_str(j, "change", s->remove ? "remove" : s->create ? "create" : "rename");
		json_obj_end(j);
	}
	json_arr_end(j);
}

int prov_part_run(struct prov_ctx *ctx, const struct part_guard *g, const struct part_plan *p,
		  struct part_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (ctx->dry_run)
		r = part_plan_check(g, p, &ctx->diag);
	else
		r = part_plan_apply(g, p, res, &ctx->diag);
	if (r < 0)
		return r;
	part_plan_format(p, !ctx->dry_run, &sb);
	if (prov_json(ctx))
		part_run_json(prov_json(ctx), ctx, p, strbuf_str(&sb));
	else
		fputs(strbuf_str(&sb), stdout);
	strbuf_release(&sb);
	return 0;
}
