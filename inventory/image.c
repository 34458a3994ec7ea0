/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden images in the inventory (doc/images.md): a name and a place reserved in one
 * transaction, the partition carved, the capture's checksum recorded; clones refer to their
 * image by id, and an image with a live clone is not deleted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

void inv__image_release_members(struct inv_image *im)
{
	free(im->name);
	free(im->lun);
	free(im->partuuid);
	free(im->checksum);
	free(im->source);
	free(im->template_name);
	*im = (struct inv_image){0};
}

struct inv_image *inv_image_free(struct inv_image *im)
{
	if (!im)
		return NULL;
	inv__image_release_members(im);
	free(im);
	return NULL;
}

struct inv_image *inv_image_array_free(struct inv_image *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		inv__image_release_members(&v[i]);
	free(v);
	return NULL;
}

int inv__places_taken(struct inv *inv, struct diag *d, struct inv_partition **ret, size_t *ret_n)
{
	struct inv_guest *g = NULL;
	struct inv_image *im = NULL;
	struct inv_partition *v = NULL;
	size_t ng = 0, ni = 0, n = 0;
	int r;

	r = inv->ops->guest_list(inv->h, 0, d, &g, &ng);
	if (r >= 0)
		r = inv->ops->image_list(inv->h, 0, d, &im, &ni);
	if (r >= 0 && !(v = calloc(ng + ni + 1, sizeof(*v))))
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < ng; i++)
		if (g[i].has_partition) {
			v[n] = g[i].part;
			g[i].part = (struct inv_partition){0};
			n++;
		}
	for (size_t i = 0; r >= 0 && i < ni; i++) {
		v[n++] = (struct inv_partition){.lun = im[i].lun,
						.start = im[i].start,
						.size = im[i].size,
						.partuuid = im[i].partuuid,
						.partno = im[i].partno};
		im[i].lun = im[i].partuuid = NULL;
	}
	inv_guest_array_free(g, ng);
	inv_image_array_free(im, ni);
	if (r < 0)
		return r;
	*ret = v;
	*ret_n = n;
	return 0;
}

void inv__places_free(struct inv_partition *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].lun);
		free(v[i].partuuid);
	}
	free(v);
}

static int image_event(struct inv *inv, const struct inv_image *im, const char *who,
		       const char *what, const char *result, const char *msg, int64_t now,
		       struct diag *d)
{
	/* about the image's source guest: `show SOURCE` tells where its images went */
	struct inv_guest g = {.id = im->source_id, .name = im->source};

	return inv__event(inv, &g, who, what, result, msg, now, d);
}

static int add(struct inv *inv, const struct inv_image_req *req, int64_t now, struct inv_image *im,
	       struct diag *d)
{
	_cleanup_(inv_guest_freep) struct inv_guest *src = NULL;
	_cleanup_(inv_image_freep) struct inv_image *o = NULL;
	_cleanup_(freep) char *msg = NULL;
	struct inv_partition *taken = NULL;
	size_t n = 0;
	char buf[32];
	int r, i;

	r = inv->ops->image_find(inv->h, INV__KEY_NAME, req->name, 0, d, &o);
	if (r >= 0) {
		diag_add(d, DIAG_ERROR, NULL, "image '%s' already exists (captured from '%s')",
			 req->name, o->source);
		return -EEXIST;
	}
	if (r != -ENOENT)
		return r;
	r = inv->ops->guest_find(inv->h, INV__KEY_ID, NULL, req->source_id, d, &src);
	if (r >= 0 && src->state == INV_STATE_DESTROYED)
		r = -ENOENT;
	if (r == -ENOENT)
		diag_add(d, DIAG_ERROR, NULL,
			 "no live guest #%" PRId64 " to capture image '%s' from", req->source_id,
			 req->name);
	if (r < 0)
		return r;
	r = inv__places_taken(inv, d, &taken, &n);
	if (r < 0)
		return r;
	i = inv__extent_pick(req->candidates, req->n_candidates, req->part_size, 1024 * 1024, taken,
			     n, &im->start, &im->size);
	inv__places_free(taken, n);
	if (i == -ENOSPC) {
		diag_add(d, DIAG_ERROR, NULL,
			 "no space for image '%s' (a partition of %s) on the site's LUNs",
			 req->name, format_size(req->part_size, buf, sizeof(buf)));
		return -ENOSPC;
	}
	if (i < 0)
		return diag_error(d, NULL, "invalid partition size for image '%s'", req->name);
	if (req->candidates[i].partuuid)
		/* FIXME: an existing free partition could be renamed image:NAME; not offered yet */
		return diag_error(d, NULL, "image '%s': only free space can be carved", req->name);
	im->lun = strdup(req->candidates[i].lun);
	im->source = strdup(src->name);
	im->template_name = src->template_name ? strdup(src->template_name) : NULL;
	if (!im->lun || !im->source || (src->template_name && !im->template_name))
		return -ENOMEM;
	im->source_id = src->id;
	im->created_usec = im->updated_usec = now;
	r = inv->ops->image_insert(inv->h, im, d);
	if (r < 0)
		return r;
	if (asprintf(&msg, "image '%s': partition %s at %" PRIu64 "+%" PRIu64 " reserved", im->name,
		     im->lun, im->start, im->size) < 0)
		return -ENOMEM;
	return image_event(inv, im, req->who, "image add", "ok", msg, now, d);
}

int inv_image_add(struct inv *inv, const struct inv_image_req *req, struct diag *d,
		  struct inv_image **ret)
{
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	int r;

	if (!req->name || !hostname_label_valid(req->name))
		return diag_error(d, NULL, "invalid image name '%s'", req->name ? req->name : "");
	if (!req->part_size || req->part_size % (1024 * 1024))
		return diag_error(d, NULL, "invalid partition size for image '%s'", req->name);
	im = calloc(1, sizeof(*im));
	if (!im || !(im->name = strdup(req->name)))
		return -ENOMEM;
	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	r = inv__tx_end(inv, add(inv, req, realtime_usec(), im, d), d);
	if (r < 0)
		return r;
	if (ret)
		*ret = TAKE_PTR(im);
	return 0;
}

/* Load live image id for a change inside the current transaction. */
static int load_live(struct inv *inv, int64_t id, struct diag *d, struct inv_image **ret)
{
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	int r;

	r = inv->ops->image_find(inv->h, INV__KEY_ID, NULL, id, d, &im);
	if (r >= 0 && im->deleted_usec) {
		diag_add(d, DIAG_ERROR, NULL, "image '%s' was deleted", im->name);
		return -ENOENT;
	}
	if (r == -ENOENT)
		diag_add(d, DIAG_ERROR, NULL, "no image #%" PRId64 " in the inventory", id);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(im);
	return 0;
}

enum image_change {
	IMAGE_CARVED,
	IMAGE_CAPTURED,
	IMAGE_DELETE,
};

struct image_args {
	enum image_change what;
	const char *s; /* partuuid, checksum */
	unsigned partno;
	uint64_t fs_bytes, used_bytes;
};

/* The live guests cloned from image id, in the open transaction. */
static int clones(struct inv *inv, int64_t id, struct diag *d, struct inv_guest **ret,
		  size_t *ret_n)
{
	struct inv_guest *v = NULL;
	size_t n = 0, k = 0;
	int r;

	r = inv->ops->guest_list(inv->h, 0, d, &v, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (v[i].image_id == id) {
			if (k != i) {
				v[k] = v[i];
				v[i] = (struct inv_guest){0};
			}
			k++;
		} else {
			inv__guest_release_members(&v[i]);
		}
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

static int change_image(struct inv *inv, int64_t id, const struct image_args *a, const char *who,
			int64_t now, struct diag *d)
{
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	_cleanup_(freep) char *msg = NULL;
	const char *what = NULL;
	char *c = NULL;
	int r;

	r = load_live(inv, id, d, &im);
	if (r < 0)
		return r;
	switch (a->what) {
	case IMAGE_CARVED:
		if (!a->s || !(c = inv__lowercase(strdup(a->s))))
			return -ENOMEM;
		free(im->partuuid);
		im->partuuid = c;
		im->partno = a->partno;
		what = "image carved";
		r = asprintf(&msg, "image '%s': partition %u PARTUUID %s on %s", im->name,
			     a->partno, c, im->lun);
		break;
	case IMAGE_CAPTURED:
		if (!im->partuuid)
			return diag_error(d, NULL, "image '%s' was never carved", im->name);
		if (!a->s || !(c = strdup(a->s)))
			return -ENOMEM;
		free(im->checksum);
		im->checksum = c;
		im->fs_bytes = a->fs_bytes;
		im->used_bytes = a->used_bytes;
		what = "image capture";
		r = asprintf(&msg,
			     "image '%s' from '%s': %" PRIu64 " bytes of ext4, %" PRIu64
			     " used, sha256 %s",
			     im->name, im->source, a->fs_bytes, a->used_bytes, c);
		break;
	case IMAGE_DELETE: {
		struct inv_guest *v = NULL;
		size_t n = 0;

		r = clones(inv, id, d, &v, &n);
		if (r < 0)
			return r;
		if (n) {
			diag_error(d, NULL,
				   "image '%s' is in use: %zu live guest%s cloned from it (%s%s)",
				   im->name, n, n == 1 ? " is" : "s are", v[0].name,
				   n > 1 ? ", ..." : "");
			inv_guest_array_free(v, n);
			return -EBUSY;
		}
		inv_guest_array_free(v, n);
		im->deleted_usec = now;
		what = "image delete";
		r = asprintf(&msg, "image '%s' deleted", im->name);
		break;
	}
	}
	if (r < 0)
		return -ENOMEM;
	im->updated_usec = now;
	r = inv->ops->image_update(inv->h, im, d);
	if (r < 0)
		return r;
	return image_event(inv, im, who, what, "ok", msg, now, d);
}

static int change(struct inv *inv, int64_t id, const struct image_args *a, const char *who,
		  struct diag *d)
{
	int r;

	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	return inv__tx_end(inv, change_image(inv, id, a, who, realtime_usec(), d), d);
}

int inv_image_carved(struct inv *inv, int64_t id, const char *partuuid, unsigned partno,
		     const char *who, struct diag *d)
{
	return change(inv, id, &(struct image_args){IMAGE_CARVED, partuuid, partno, 0, 0}, who, d);
}

int inv_image_captured(struct inv *inv, int64_t id, const char *checksum, uint64_t fs_bytes,
		       uint64_t used_bytes, const char *who, struct diag *d)
{
	return change(inv, id,
		      &(struct image_args){IMAGE_CAPTURED, checksum, 0, fs_bytes, used_bytes}, who,
		      d);
}

int inv_image_delete(struct inv *inv, int64_t id, const char *who, struct diag *d)
{
	return change(inv, id, &(struct image_args){IMAGE_DELETE, NULL, 0, 0, 0}, who, d);
}

int inv_image_get(struct inv *inv, const char *name, struct diag *d, struct inv_image **ret)
{
	return inv->ops->image_find(inv->h, INV__KEY_NAME, name, 0, d, ret);
}

int inv_image_get_by_id(struct inv *inv, int64_t id, struct diag *d, struct inv_image **ret)
{
	return inv->ops->image_find(inv->h, INV__KEY_ID, NULL, id, d, ret);
}

int inv_image_list(struct inv *inv, unsigned flags, struct diag *d, struct inv_image **ret,
		   size_t *ret_n)
{
	return inv->ops->image_list(inv->h, flags, d, ret, ret_n);
}

int inv_image_clones(struct inv *inv, int64_t id, struct diag *d, struct inv_guest **ret,
		     size_t *ret_n)
{
	return clones(inv, id, d, ret, ret_n);
}
