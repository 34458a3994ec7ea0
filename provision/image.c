/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden images for the CLI (doc/images.md): capture a stopped guest into a new partition
 * image:NAME (reserved in the inventory, carved under the LUN's lock, captured, recorded),
 * verify an image, delete one that no live guest was cloned from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "cluster.h"
#include "image.h"
#include "pipeline.h"

/* The guard of the pipeline's disk stages, owners read again from the inventory. */
static int guard_init(struct prov_image *im, struct pipeline_owners *o, struct part_guard *g)
{
	struct pipeline p = {.ctx = im->ctx, .site = im->ctx->site, .inv = im->inv};

	pipeline_owners_release(o);
	return pipeline_guard_init(&p, o, g, &im->ctx->diag);
}

int prov_image_open(struct prov_ctx *ctx, const char *name, bool write, struct prov_image *ret)
{
	char key[80];
	int r;

	*ret = (struct prov_image){.ctx = ctx, .name = name};
	if (!hostname_label_valid(name)) {
		diag_error(&ctx->diag, NULL, "'%s' is not an image name (a host name label)", name);
		return -EDOM;
	}
	r = prov_inv_open(ctx, write ? INV_OPEN_WRITE : INV_OPEN_READONLY, &ret->inv);
	if (r < 0 || !write)
		return r;
	/* one capture or delete of an image at a time, on every Dom0 of the inventory */
	snprintf(key, sizeof(key), "image-%s", name);
	return inv_lock_take(ret->inv, key, &ctx->diag, &ret->lock);
}

void prov_image_release(struct prov_image *im)
{
	im->guest_lock = inv_lock_release(im->guest_lock);
	im->lock = inv_lock_release(im->lock);
	im->image = inv_image_free(im->image);
	im->inv = inv_close(im->inv);
}

/* The guest can be captured: installed (or --force), formatted, not running. */
static int capture_check(struct prov_image *im, const struct prov_capture *c,
			 const struct inv_guest *g)
{
	struct diag *d = &im->ctx->diag;
	enum stage s = g->stage ? stage_from_string(g->stage) : _STAGE_INVALID;
	uint32_t domid = 0;
	size_t mark;
	int r;

	if (!g->part.partuuid || (int) s < (int) STAGE_FORMAT)
		return diag_error(d, NULL,
				  "guest '%s' has no filesystem yet (stage %s): nothing to capture",
				  g->name, g->stage ? g->stage : "none");
	if ((int) s < (int) STAGE_INSTALL && !c->force) {
		diag_error(d, NULL, "guest '%s' has not finished its install (stage %s)", g->name,
			   g->stage);
		diag_add(
			d, DIAG_NOTE, NULL,
			"capture an installed guest, or give --force to capture its filesystem as it is");
		return -EINVAL;
	}
	if (inv_is_shared(im->inv) && g->host && !streq(g->host, prov_host_self()))
		return diag_error_errno(d, NULL, -EBUSY,
					"guest '%s' runs on Dom0 '%s': capture it there", g->name,
					g->host);
	mark = diag_mark(d);
	r = hv_domain_exists(c->hv, &(struct hv_open_opts){.log = stderr, .verbose = c->verbose},
			     g->name, &domid, d);
	if (r == -ENODEV) {
		/* not a Xen dom0: nothing runs guests here (doc/images.md) */
		diag_truncate(d, mark);
		return 0;
	}
	if (r < 0)
		return r;
	if (r > 0) {
		diag_error(d, NULL, "guest '%s' is running (domain %u): shut it down first",
			   g->name, domid);
		return -EBUSY;
	}
	return 0;
}

/* Free space on the LUNs (c->lun only, when given) as candidates for the image's place. */
static int candidates(struct prov_image *im, const struct part_guard *g, const char *lun,
		      struct part_luns *luns, struct inv_extent **ret, size_t *ret_n)
{
	char *const one[] = {(char *) lun, NULL};
	struct inv_extent *v = NULL;
	size_t n = 0, k = 0;
	int r;

	r = part_luns_read(g, lun ? one : im->ctx->site->luns, luns, &im->ctx->diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i < luns->n; i++)
		n += luns->v[i].n_free;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < luns->n; i++) {
		const struct part_lun *l = &luns->v[i];
		struct diag quiet = DIAG_INIT;

		if (part_lun_check(l, lun ? &im->ctx->diag : &quiet) < 0) {
			diag_release(&quiet);
			if (lun) {
				free(v);
				return -EMEDIUMTYPE;
			}
			continue;
		}
		for (size_t j = 0; j < l->n_free; j++) {
			uint64_t a = (l->free[j].start + PART_ALIGN - 1) / PART_ALIGN * PART_ALIGN;
			uint64_t e = (l->free[j].start + l->free[j].size) / PART_ALIGN * PART_ALIGN;

			if (e > a)
				v[k++] = (struct inv_extent){l->path, a, e - a, NULL};
		}
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

/* Carve the reserved image:NAME, under the LUN's lock, and record its PARTUUID. */
static int carve(struct prov_image *im, struct part_result *res)
{
	struct diag *d = &im->ctx->diag;
	struct pipeline_owners o = {0};
	struct part_guard g;
	struct part_plan plan = {0};
	struct part_lun l = {0};
	struct inv_lock *lock = NULL;
	int r;

	/* the LUN's lock, then the owners (as stage_carve) */
	r = pipeline_lun_lock(im->inv, im->image->lun, d, &lock);
	if (r >= 0)
		r = guard_init(im, &o, &g);
	if (r >= 0)
		r = part_lun_read(&g, im->image->lun, &l, d);
	if (r >= 0 && !inv_is_shared(im->inv))
		r = pipeline_foreign_check(&o, &l, d);
	if (r >= 0)
		r = part_image_claim_plan(&l, im->name, im->image->start, im->image->size, &plan,
					  d);
	if (r >= 0)
		r = part_plan_apply(&g, &plan, res, d);
	inv_lock_release(lock);
	if (r >= 0)
		r = inv_image_carved(im->inv, im->image->id, res->uuid, res->partno, im->who, d);
	if (r >= 0) {
		free(im->image->partuuid);
		im->image->partuuid = strdup(res->uuid);
		im->image->partno = res->partno;
		r = im->image->partuuid ? 0 : -ENOMEM;
	}
	part_plan_release(&plan);
	part_lun_release(&l);
	pipeline_owners_release(&o);
	return r;
}

/* Remove partition image:NAME (wiped, its entry deleted); none there is no error. */
static int uncarve(struct prov_image *im, const char *lun)
{
	struct diag *d = &im->ctx->diag;
	_cleanup_(freep) char *owner = NULL;
	struct pipeline_owners o = {0};
	struct part_guard g;
	struct part_plan plan = {0};
	struct part_luns luns = {0};
	char *const one[] = {(char *) lun, NULL};
	struct inv_lock *lock = NULL;
	size_t mark;
	int r;

	if (asprintf(&owner, PART_NAME_IMAGE_PREFIX "%s", im->name) < 0)
		return -ENOMEM;
	r = pipeline_lun_lock(im->inv, lun, d, &lock); /* then the owners (stage_carve) */
	if (r >= 0)
		r = guard_init(im, &o, &g);
	if (r >= 0)
		r = part_luns_read(&g, one, &luns, d);
	if (r >= 0) {
		mark = diag_mark(d);
		r = part_release_plan_flags(&luns, owner, PART_RELEASE_DELETE, &plan, d);
		if (r == -ENOENT) {
			diag_truncate(d, mark);
			r = 1; /* not there (never carved, or removed before) */
		}
	}
	if (r == 0)
		r = part_plan_apply(&g, &plan, NULL, d);
	inv_lock_release(lock);
	part_plan_release(&plan);
	part_luns_release(&luns);
	pipeline_owners_release(&o);
	return r < 0 ? r : 0;
}

int prov_image_capture(struct prov_image *im, const struct prov_capture *c)
{
	struct diag *d = &im->ctx->diag;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	_cleanup_(inv_image_freep) struct inv_image *old = NULL;
	_cleanup_(freep) struct inv_extent *ext = NULL;
	struct pipeline_owners o = {0};
	struct part_guard guard;
	struct part_luns luns = {0};
	struct part_result res = {0};
	size_t n = 0;
	int r;

	/* no pipeline run on it meanwhile */
	r = prov_guest_lock(im->inv, c->guest, true, d, &im->guest_lock);
	if (r < 0)
		return r;
	r = inv_guest_get(im->inv, c->guest, d, &g);
	if (r == -ENOENT)
		return diag_error_errno(d, NULL, -ENOENT, "no guest '%s' in the inventory",
					c->guest);
	if (r < 0)
		return r;
	r = inv_image_get(im->inv, im->name, d, &old);
	if (r >= 0)
		return diag_error_errno(d, NULL, -EEXIST,
					"image '%s' already exists (captured from '%s')", im->name,
					old->source);
	if (r != -ENOENT)
		return r;
	r = capture_check(im, c, g);
	if (r >= 0)
		r = guard_init(im, &o, &guard);
	if (r >= 0)
		r = part_image_size(&guard, g->part.lun, g->part.partuuid, g->name, &im->size, d);
	if (r >= 0)
		r = part_image_stage_check(c->tmp_dir, g->part.size, im->size, d);
	if (r >= 0)
		r = candidates(im, &guard, c->lun, &luns, &ext, &n);
	if (r >= 0)
		r = inv_image_add(im->inv,
				  &(struct inv_image_req){.name = im->name,
							  .source_id = g->id,
							  .who = im->who,
							  .part_size = im->size,
							  .candidates = ext,
							  .n_candidates = n},
				  d, &im->image);
	part_luns_release(&luns);
	if (r < 0)
		goto out;
	/* from here on a failure removes what was made: the partition, then the reservation */
	r = carve(im, &res);
	if (r >= 0) {
		fprintf(c->out, "  carved partition %u '%s%s' of %s on %s\n", res.partno,
			PART_NAME_IMAGE_PREFIX, im->name, format_size(im->size, (char[32]){0}, 32),
			res.lun);
		fflush(c->out);
		r = guard_init(im, &o, &guard);
	}
	if (r >= 0)
		r = part_image_capture(&guard, g->part.lun, g->part.partuuid, g->name,
				       im->image->lun, im->image->partuuid, im->name, c->tmp_dir,
				       &im->info, d);
	if (r >= 0)
		r = inv_image_captured(im->inv, im->image->id, im->info.checksum, im->info.fs_bytes,
				       im->info.used_bytes, im->who, d);
	if (r < 0) {
		int k = uncarve(im, im->image->lun);

		if (k >= 0)
			k = inv_image_delete(im->inv, im->image->id, im->who, d);
		if (k < 0)
			diag_add(
				d, DIAG_NOTE, NULL,
				"image '%s' is left half-made: 'provision image delete %s' removes it",
				im->name, im->name);
		goto out;
	}
	inv_image_free(im->image);
	im->image = NULL;
	r = inv_image_get(im->inv, im->name, d, &im->image);
out:
	part_result_release(&res);
	pipeline_owners_release(&o);
	return r;
}

int prov_image_verify(struct prov_image *im, uint64_t *ret_fs_bytes)
{
	struct pipeline_owners o = {0};
	struct part_guard g;
	int r;

	if (!im->image->checksum || !im->image->partuuid)
		return diag_error(&im->ctx->diag, NULL, "image '%s' is not captured yet", im->name);
	r = guard_init(im, &o, &g);
	if (r >= 0)
		r = part_image_verify(&g, im->image->lun, im->image->partuuid, im->name,
				      im->image->checksum, ret_fs_bytes, &im->ctx->diag);
	pipeline_owners_release(&o);
	return r;
}

int prov_image_delete(struct prov_image *im)
{
	struct diag *d = &im->ctx->diag;
	struct inv_guest *v = NULL;
	size_t n = 0;
	int r;

	r = inv_image_clones(im->inv, im->image->id, d, &v, &n);
	if (r < 0)
		return r;
	if (n) {
		diag_error(d, NULL, "image '%s' is in use: %zu live guest%s cloned from it",
			   im->name, n, n == 1 ? " is" : "s are");
		for (size_t i = 0; i < n; i++)
			diag_add(d, DIAG_NOTE, NULL, "'%s' is a clone of image '%s'", v[i].name,
				 im->name);
		inv_guest_array_free(v, n);
		return -EBUSY;
	}
	inv_guest_array_free(v, n);
	/* the partition first: a delete cut short leaves a live row to delete again */
	r = uncarve(im, im->image->lun);
	if (r >= 0)
		r = inv_image_delete(im->inv, im->image->id, im->who, d);
	return r;
}
