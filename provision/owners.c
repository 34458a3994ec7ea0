/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What belongs to a guest, by the inventory (the partition guard's owner callbacks for the
 * pipeline's disk stages), and the guest's state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"
#include "inventory/inventory.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "part-site.h"
#include "pipeline.h"

/*
 * Ownership for the partition guard: a partition belongs to a guest only when the inventory
 * says so, by PARTUUID, or by place for a reservation not carved yet (a crash between the
 * GPT write and the inventory update leaves guest:NAME at the reserved place), and when its
 * GPT name is still the one provision gave it: guest:NAME, or "free" for a reused partition
 * not claimed yet. A partition renamed by hand belongs to nobody, so nothing touches it.
 */
static bool name_is_ours(const struct part_entry *e, const struct inv_guest *g)
{
	size_t n = strlen(PART_NAME_GUEST_PREFIX);

	if (!e->name)
		return false;
	if (!g->part_new && streq(e->name, PART_NAME_FREE))
		return true;
	return strncmp(e->name, PART_NAME_GUEST_PREFIX, n) == 0 && streq(e->name + n, g->name);
}

static bool image_place(const struct inv_image *im, const char *lun, const struct part_entry *e)
{
	if (!streq(im->lun, lun))
		return false;
	if (im->partuuid)
		return e->uuid && strcasecmp(im->partuuid, e->uuid) == 0;
	return !im->deleted_usec && im->start == e->start && im->size == e->size;
}

const struct inv_image *pipeline_image_holder(const struct pipeline_owners *o, const char *lun,
					      const struct part_entry *e)
{
	size_t n = strlen(PART_NAME_IMAGE_PREFIX);
	const struct inv_image *deleted = NULL;

	if (!e->name || strncmp(e->name, PART_NAME_IMAGE_PREFIX, n) != 0)
		return NULL;
	for (size_t i = 0; i < o->n_images; i++) {
		const struct inv_image *im = &o->images[i];

		if (!streq(e->name + n, im->name) || !image_place(im, lun, e))
			continue;
		if (!im->deleted_usec)
			return im;
		deleted = im;
	}
	return deleted;
}

static int inv_owner(void *data, const char *lun, const struct part_entry *e, char **ret_guest)
{
	const struct pipeline_owners *o = data;
	const struct inv_guest *g = prov_inv_holder(o->v, o->n, lun, e);
	const struct inv_image *im;

	if (!g) {
		im = pipeline_image_holder(o, lun, e);
		if (!im)
			return 0;
		*ret_guest = strdup(e->name); /* "image:NAME" */
		return *ret_guest ? 1 : -ENOMEM;
	}
	if (!name_is_ours(e, g))
		return 0;
	*ret_guest = strdup(g->name);
	return *ret_guest ? 1 : -ENOMEM;
}

int pipeline_foreign_check(const struct pipeline_owners *o, const struct part_lun *l,
			   struct diag *d)
{
	size_t n = strlen(PART_NAME_GUEST_PREFIX);
	int r = 0;

	for (size_t i = 0; i < l->n_parts; i++) {
		const struct part_entry *e = &l->parts[i];
		const struct inv_guest *g;

		if (e->name &&
		    strncmp(e->name, PART_NAME_IMAGE_PREFIX, strlen(PART_NAME_IMAGE_PREFIX)) == 0) {
			if (!pipeline_image_holder(o, l->path, e))
				r = diag_error(
					d, NULL,
					"LUN '%s' holds partition %u '%s' that this Dom0's inventory does not know: another Dom0 is carving this LUN with an inventory of its own",
					l->path, e->partno, e->name);
			continue;
		}
		if (!e->name || strncmp(e->name, PART_NAME_GUEST_PREFIX, n) != 0)
			continue;
		g = prov_inv_holder(o->v, o->n, l->path, e);
		if (g && name_is_ours(e, g))
			continue;
		r = diag_error(
			d, NULL,
			"LUN '%s' holds partition %u '%s' that this Dom0's inventory does not know: another Dom0 is carving this LUN with an inventory of its own",
			l->path, e->partno, e->name);
	}
	if (r < 0)
		diag_add(
			d, DIAG_NOTE, NULL,
			"Dom0s that share LUNs must share one inventory: set 'inventory: postgresql://...' in the site file on every Dom0 (doc/inventory.md); nothing was written");
	return r < 0 ? -EBUSY : 0;
}

/* Whether the guest's spec is an HVM guest's (an unreadable spec: not). */
static bool guest_is_hvm(const struct inv_guest *g)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	struct diag d = DIAG_INIT;
	bool hvm;

	if (!g->spec)
		return false;
	hvm = tmpl_guest_load_text(NULL, g->name, g->spec, &d, &t) >= 0 &&
	      t->type == TMPL_GUEST_HVM;
	diag_release(&d);
	return hvm;
}

/*
 * A signature in a guest's partition is the guest's only when it is the ext4 the format
 * stage made: its UUID was recorded before mke2fs ran. An HVM guest's partition is its whole
 * disk, which its own installer partitioned: whatever is there past the carve is the guest's.
 * Guests formatted before inventory version 2 have none recorded; their ext4 is known by its label,
 * as it was then.
 */
static int inv_fs_owner(void *data, const char *lun, const struct part_entry *e, const char *guest,
			const struct part_signature *sig)
{
	const struct pipeline_owners *o = data;
	const struct inv_guest *g = prov_inv_holder(o->v, o->n, lun, e);
	const struct inv_image *im;
	size_t n;

	/*
	 * An image partition: the ext4 an unfinished capture left (anything provision copied
	 * there), or the image's own, labelled with its name.
	 */
	im = g ? NULL : pipeline_image_holder(o, lun, e);
	if (im && streq(guest, e->name) && streq(sig->type, "ext4")) {
		if (!im->checksum)
			return 1;
		n = strlen(im->name) < PART_FS_LABEL_MAX ? strlen(im->name) : PART_FS_LABEL_MAX;
		return sig->label && strlen(sig->label) == n &&
		       strncmp(sig->label, im->name, n) == 0;
	}

	if (!g || !streq(g->name, guest))
		return 0;
	if (g->stage && stage_from_string(g->stage) >= STAGE_CARVE && guest_is_hvm(g))
		return 1;
	if (!streq(sig->type, "ext4"))
		return 0;
	if (g->fs_uuid)
		return sig->uuid && strcasecmp(sig->uuid, g->fs_uuid) == 0;
	if (!g->stage || stage_from_string(g->stage) < STAGE_FORMAT || !sig->label)
		return 0;
	n = strlen(guest) < PART_FS_LABEL_MAX ? strlen(guest) : PART_FS_LABEL_MAX;
	return strlen(sig->label) == n && strncmp(sig->label, guest, n) == 0;
}

void pipeline_owners_release(struct pipeline_owners *o)
{
	o->v = inv_guest_array_free(o->v, o->n);
	o->images = inv_image_array_free(o->images, o->n_images);
	o->n = o->n_images = 0;
}

int pipeline_guard_init(struct pipeline *p, struct pipeline_owners *o, struct part_guard *g,
			struct diag *d)
{
	int r = inv_guest_list(p->inv, 0, d, &o->v, &o->n);

	if (r >= 0)
		r = inv_image_list(p->inv, INV_LIST_DESTROYED, d, &o->images, &o->n_images);
	if (r < 0) {
		pipeline_owners_release(o);
		return r;
	}
	*g = (struct part_guard){.luns = p->site->luns,
				 .owner = inv_owner,
				 .fs_owner = inv_fs_owner,
				 .owner_data = o};
	return 0;
}

int pipeline_state_remove(struct pipeline *p)
{
	_cleanup_(freep) char *dir = NULL;
	_cleanup_(closep) int fd = -1;
	int r;

	if (asprintf(&dir, "%s/guests", p->site->state_dir) < 0)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0
				       : diag_error_errno(&p->ctx->diag, NULL, -errno,
							  "cannot open '%s'", dir);
	r = rm_rf_at(fd, p->name);
	if (r < 0 && r != -ENOENT)
		return diag_error_errno(&p->ctx->diag, NULL, r, "cannot remove '%s/%s'", dir,
					p->name);
	return 0;
}
