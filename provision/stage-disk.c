/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The disk stages: allocate (inventory reservation among the partition module's candidates),
 * carve (the reservation written into the GPT, under a per-LUN lock), format (ext4 + swap
 * file), and the release for destroy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "cluster.h"
#include "guestcfg.h"
#include "part-site.h"
#include "pipeline.h"
#include "prov.h"

/* What to reserve for p's guest among the n candidates ext, to run on p->host (borrowed by *ret).
 */
static int alloc_request(struct pipeline *p, const char *spec, const struct inv_extent *ext,
			 size_t n, struct inv_alloc *ret)
{
	const struct site_vlan *v = tmpl_site_vlan(p->site, p->t->vlan);
	struct inv_alloc req = {
		.name = p->name,
		.template_name = p->t->name,
		.vlan = p->t->vlan,
		.request_id = p->request_id,
		.owner = p->owner,
		.host = p->host,
		.who = p->who,
		.spec = spec,
		.part_size = p->t->disk_size,
		.candidates = ext,
		.n_candidates = n,
		.mac_prefix_len = p->site->mac_prefix_len,
		.image = p->image,
	};

	memcpy(req.mac_prefix, p->site->mac_prefix, 6);
	if (p->mac && parse_mac(p->mac, req.mac) < 0)
		return diag_error(&p->ctx->diag, NULL, "--mac: invalid MAC address '%s'", p->mac);
	req.has_mac = p->mac != NULL;
	if (p->ip && parse_ipv4(p->ip, &req.ip) < 0)
		return diag_error(&p->ctx->diag, NULL, "--ip: invalid IPv4 address '%s'", p->ip);
	req.has_ip = p->ip != NULL;
	if (v && v->has_subnet) {
		req.range_first = v->range_first;
		req.range_last = v->range_last;
		req.gateway = v->gateway;
	}
	*ret = req;
	return 0;
}

/*
 * A clone: its image is there, captured, and fits the guest's disk with its swap file, before
 * anything is reserved (the allocation checks again, in its transaction).
 */
static int image_check(struct pipeline *p)
{
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	struct diag *d = &p->ctx->diag;
	char b1[32], b2[32], b3[32], b4[32];
	int r;

	if (!p->image)
		return 0;
	r = inv_image_get(p->inv, p->image, d, &im);
	if (r == -ENOENT)
		return diag_error_errno(d, NULL, -ENOENT, "no image '%s' in the inventory",
					p->image);
	if (r < 0)
		return r;
	if (!im->checksum)
		return diag_error_errno(
			d, NULL, -ENOENT,
			"image '%s' is not captured yet (a capture is running or failed)",
			p->image);
	if (im->fs_bytes > p->t->disk_size ||
	    im->used_bytes + p->t->swap_size + (UINT64_C(64) << 20) > p->t->disk_size)
		return diag_error_errno(
			d, NULL, -ENOSPC,
			"image '%s' (%s of ext4, %s used) does not fit guest '%s''s disk of %s with a %s swap file",
			p->image, format_size(im->fs_bytes, b1, sizeof(b1)),
			format_size(im->used_bytes, b2, sizeof(b2)), p->name,
			format_size(p->t->disk_size, b3, sizeof(b3)),
			format_size(p->t->swap_size, b4, sizeof(b4)));
	return 0;
}

int stage_allocate(struct pipeline *p)
{
	_cleanup_(freep) struct part_candidate *cands = NULL;
	_cleanup_(freep) struct inv_extent *ext = NULL;
	_cleanup_(freep) char *spec = NULL;
	struct part_luns luns = {0};
	struct pipeline_owners o = {0};
	struct part_guard guard;
	struct inv_alloc req;
	char b1[32], b2[18], b3[16];
	size_t n = 0;
	int r;

	if (p->g)
		return 0;
	r = image_check(p);
	if (r >= 0)
		r = prov_spec_text(p, &spec);
	if (r >= 0)
		r = prov_host_pick(p->inv, p->site, p->o.host, p->t->vlan, p->t->memory_mib,
				   &p->ctx->diag, &p->host);
	if (r >= 0 && !p->o.dry_run)
		r = pipeline_state_remove(p); /* an earlier guest's, if its destroy was killed */
	if (r >= 0)
		r = pipeline_guard_init(p, &o, &guard, &p->ctx->diag);
	if (r >= 0)
		r = part_luns_read(&guard, p->site->luns, &luns, &p->ctx->diag);
	if (r >= 0)
		r = part_candidates(&luns,
				    &(struct part_request){.guest = p->name,
							   .size = p->t->disk_size,
							   .swap_size = p->t->swap_size,
							   .lun = p->lun},
				    &cands, &n, &p->ctx->diag);
	if (r >= 0) {
		ext = calloc(n + 1, sizeof(*ext));
		if (!ext)
			r = -ENOMEM;
	}
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		ext[i] = (struct inv_extent){cands[i].lun, cands[i].start, cands[i].size,
					     cands[i].partuuid};
	r = alloc_request(p, spec, ext, n, &req);
	if (r < 0)
		goto out;
	r = inv_guest_allocate(p->inv, &req, &p->ctx->diag, &p->g);
	if (r < 0)
		goto out;
	fprintf(p->out, "  %s partition of %s on %s at %s, MAC %s, IP %s\n",
		p->o.dry_run ? "would reserve" : "reserved",
		format_size(p->g->part.size, b1, sizeof(b1)), p->g->part.lun,
		p->g->part.partuuid ? p->g->part.partuuid : "a new place",
		format_mac(p->g->mac, b2), p->g->has_ip ? format_ipv4(p->g->ip, b3) : "none");
out:
	part_luns_release(&luns);
	pipeline_owners_release(&o);
	return r;
}

/*
 * A lock per LUN, held only while its label is read, planned and written. With SQLite
 * (one Dom0) state_dir/locks/lun-DEV-INO.lock: the device's identity on this host. With a
 * shared inventory, in the inventory, by the name every Dom0 gives the LUN (the shared site
 * file's path): it holds across Dom0s, and goes away with a holder that dies.
 */
int pipeline_lun_lock(struct inv *inv, const char *lun, struct diag *d, struct inv_lock **ret)
{
	struct stat st;
	char name[512];

	if (stat(lun, &st) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot stat LUN '%s'", lun);
	if (inv_is_shared(inv)) {
		/* "lun-:dev:fc:fc-p1d1": a lock name has no '/' */
		snprintf(name, sizeof(name), "lun-%s", lun);
		for (char *c = name; *c; c++)
			if (*c == '/')
				*c = ':';
	} else
		snprintf(name, sizeof(name), "lun-%llx-%llx",
			 (unsigned long long) (S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev),
			 (unsigned long long) (S_ISBLK(st.st_mode) ? 0 : st.st_ino));
	return inv_lock_take(inv, name, d, ret);
}

static int lun_lock(struct pipeline *p, const char *lun, struct inv_lock **ret)
{
	return pipeline_lun_lock(p->inv, lun, &p->ctx->diag, ret);
}

/*
 * What the configs call the guest's disk: the site's stable name (LUN path + partition
 * number), the same on every Dom0 and after a resume; on a block device made to exist here.
 */
static int set_disk_path(struct pipeline *p, const struct part_result *res)
{
	char *path = NULL;
	int r;

	if (res->node)
		r = part_alias_ensure(res->lun, res->partno, res->node, &path, &p->ctx->diag);
	else
		r = part_alias_path(res->lun, res->partno, &path);
	if (r < 0)
		return r;
	if (!p->disk_path || !streq(p->disk_path, path))
		pipeline_render_drop(p); /* the configs name the disk */
	free(p->disk_path);
	p->disk_path = path;
	return 0;
}

int stage_carve(struct pipeline *p)
{
	const struct inv_partition *part = &p->g->part;
	struct part_plan plan = {0};
	struct part_result res = {0};
	struct part_lun l = {0};
	struct pipeline_owners o = {0};
	struct part_guard guard;
	struct strbuf text = STRBUF_INIT;
	struct inv_lock *lock = NULL;
	int r;

	if (!p->g->has_partition)
		return 0;
	/* the LUN's lock before the inventory's owners: a guest that another run reserved
	 * after our snapshot would be carved while we wait, and its partition look foreign
	 * (t0611 found it: 32 runs at once) */
	r = p->o.dry_run ? 0 : lun_lock(p, part->lun, &lock);
	if (r >= 0)
		r = pipeline_guard_init(p, &o, &guard, &p->ctx->diag);
	if (r >= 0)
		r = part_lun_read(&guard, part->lun, &l, &p->ctx->diag);
	if (r >= 0 && !inv_is_shared(p->inv))
		r = pipeline_foreign_check(&o, &l, &p->ctx->diag);
	if (r >= 0)
		r = part_claim_plan(&l, p->name, part->start, part->size, part->partuuid, &plan,
				    &p->ctx->diag);
	if (r >= 0 && p->o.dry_run) {
		r = part_plan_check(&guard, &plan, &p->ctx->diag);
		part_plan_format(&plan, false, &text);
	} else if (r >= 0) {
		r = part_plan_apply(&guard, &plan, &res, &p->ctx->diag);
		if (r >= 0)
			part_plan_format(&plan, true, &text);
		if (r >= 0)
			r = inv_partition_carved(p->inv, p->g->id, res.uuid, res.partno, p->who,
						 &p->ctx->diag);
		if (r >= 0)
			r = set_disk_path(p, &res);
	}
	/* the label is written: the next carve on this LUN may go */
	inv_lock_release(lock);
	if (text.len)
		fprintf(p->out, "%s", strbuf_str(&text));
	strbuf_release(&text);
	part_result_release(&res);
	part_plan_release(&plan);
	part_lun_release(&l);
	pipeline_owners_release(&o);
	return r;
}

/*
 * The UUID of the ext4 the format stage makes, recorded before mke2fs runs: a filesystem
 * with it on the guest's partition is one provision made (inv_fs_owner), even after a crash.
 */
static int fs_uuid_record(struct pipeline *p)
{
	char uuid[37];
	int r;

	if (p->g->fs_uuid)
		return 0;
	r = part_uuid_new(uuid);
	if (r < 0)
		return diag_error_errno(&p->ctx->diag, NULL, r, "cannot make a filesystem UUID");
	r = inv_fs_uuid_set(p->inv, p->g->id, uuid, p->who, &p->ctx->diag);
	if (r < 0)
		return r;
	p->g->fs_uuid = strdup(uuid);
	return p->g->fs_uuid ? 0 : -ENOMEM;
}

int pipeline_clone_image(struct pipeline *p, struct inv_image **ret)
{
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	int r;

	if (!p->g || !p->g->image_id)
		return -ENOENT;
	r = inv_image_get_by_id(p->inv, p->g->image_id, &p->ctx->diag, &im);
	if (r == -ENOENT || (r >= 0 && im->deleted_usec))
		return diag_error_errno(&p->ctx->diag, NULL, -ESTALE,
					"guest '%s' is a clone of image #%lld, which is gone",
					p->name, (long long) p->g->image_id);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(im);
	return 0;
}

/* The format stage of a clone: the image's used blocks, grown, made this guest. */
static int format_clone(struct pipeline *p, const struct inv_image *im)
{
	const struct inv_partition *part = &p->g->part;
	const struct site_vlan *v = tmpl_site_vlan(p->site, p->t->vlan);
	struct part_copy_stats stats = {0};
	struct part_result res = {0};
	struct pipeline_owners o = {0};
	struct part_guard guard;
	char ip[16], gw[16], b1[32], b2[32];
	struct part_personal pers = {
		.hostname = p->name,
		.fs_uuid = p->g->fs_uuid,
		.swap_size = p->t->swap_size,
	};
	int r;

	if (p->g->has_ip) {
		pers.address = format_ipv4(p->g->ip, ip);
		pers.prefix = v && v->has_subnet ? v->prefix : 32;
	}
	if (p->g->has_ip && v && v->has_subnet && v->gateway)
		pers.gateway = format_ipv4(v->gateway, gw);
	if (v && v->nameservers && v->nameservers[0])
		pers.nameservers = (const char *const *) v->nameservers;
	r = pipeline_guard_init(p, &o, &guard, &p->ctx->diag);
	if (r >= 0)
		r = part_format_check(&guard, part->lun, part->partuuid, p->name, p->t->swap_size,
				      &p->ctx->diag);
	if (r == 0)
		r = part_image_clone(&guard, im->lun, im->partuuid, im->name, im->checksum,
				     part->lun, part->partuuid, p->name, &pers, &stats,
				     &p->ctx->diag);
	else if (r > 0)
		stats.bytes_written = 0; /* done before: a resume */
	if (r >= 0)
		r = part_locate(&guard, part->lun, part->partuuid, &res, &p->ctx->diag);
	if (r >= 0)
		r = set_disk_path(p, &res);
	if (r >= 0 && stats.bytes_written)
		fprintf(p->out,
			"  cloned image '%s' into %s: %s copied, %s /swapfile, as '%s'%s%s\n",
			im->name, p->disk_path, format_size(stats.bytes_written, b1, sizeof(b1)),
			format_size(p->t->swap_size, b2, sizeof(b2)), p->name,
			pers.address ? " " : "", pers.address ? pers.address : "");
	else if (r >= 0)
		fprintf(p->out, "  found the clone of image '%s' on %s\n", im->name, p->disk_path);
	part_result_release(&res);
	pipeline_owners_release(&o);
	return r;
}

int stage_format(struct pipeline *p)
{
	const struct inv_partition *part = &p->g->part;
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	struct part_result res = {0};
	struct pipeline_owners o = {0};
	struct part_guard guard;
	bool already = false;
	char b[32];
	int r;

	if (!p->g->has_partition)
		return 0;
	r = pipeline_clone_image(p, &im);
	if (r < 0 && r != -ENOENT)
		return r;
	if (im && p->o.dry_run) {
		fprintf(p->out,
			"  would clone image '%s' (%s used, from '%s') and make a %s /swapfile\n",
			im->name, format_size(im->used_bytes, b, sizeof(b)), im->source,
			format_size(p->t->swap_size, (char[32]){0}, 32));
		return 0;
	}
	if (im) {
		r = fs_uuid_record(p);
		return r < 0 ? r : format_clone(p, im);
	}
	if (p->t->type == TMPL_GUEST_HVM) {
		/* the partition is the guest's whole disk: its installer partitions it */
		fprintf(p->out,
			"  nothing to format: the installer of an HVM guest partitions %s\n",
			p->disk_path ? p->disk_path : "its disk");
		return 0;
	}
	if (p->o.dry_run) {
		fprintf(p->out, "  would make ext4 '%s' and a %s /swapfile on the new partition\n",
			p->name, format_size(p->t->swap_size, b, sizeof(b)));
		return 0;
	}
	r = fs_uuid_record(p);
	if (r >= 0)
		r = pipeline_guard_init(p, &o, &guard, &p->ctx->diag);
	if (r >= 0)
		r = part_format(&guard, part->lun, part->partuuid, p->name, p->g->fs_uuid,
				p->t->swap_size, &already, &res, &p->ctx->diag);
	if (r >= 0)
		r = set_disk_path(p, &res);
	if (r >= 0)
		fprintf(p->out, "  %s ext4 '%s' and a %s /swapfile on %s\n",
			already ? "found" : "made", p->name,
			format_size(p->t->swap_size, b, sizeof(b)), p->disk_path);
	part_result_release(&res);
	pipeline_owners_release(&o);
	return r;
}

/*
 * The guest's recorded partition as destroy finds it: when the PARTUUID is there but the
 * name is no longer provision's, someone changed it by hand (and may keep data in it):
 * refuse, saying what was found. A partition gone from the table has nothing to undo.
 */
static int release_refuse_changed(struct pipeline *p, const struct part_lun *l)
{
	const struct inv_partition *part = &p->g->part;

	for (size_t i = 0; part->partuuid && i < l->n_parts; i++) {
		const struct part_entry *e = &l->parts[i];

		if (!e->uuid || strcasecmp(e->uuid, part->partuuid) != 0 || e->owner)
			continue;
		diag_error(
			&p->ctx->diag, NULL,
			"partition %u on '%s' (PARTUUID %s) is named '%s', not '" PART_NAME_GUEST_PREFIX
			"%s' as provision left it: refusing to touch it",
			e->partno, l->path, part->partuuid, e->name ? e->name : "", p->name);
		diag_add(&p->ctx->diag, DIAG_NOTE, NULL,
			 "rename it back to '" PART_NAME_GUEST_PREFIX
			 "%s' to let destroy wipe it, or take it out of the site",
			 p->name);
		return -EBUSY;
	}
	return 0;
}

int stage_disk_release(struct pipeline *p)
{
	struct part_plan plan = {0};
	struct part_result res = {0};
	struct part_luns luns = {0};
	struct pipeline_owners o = {0};
	struct part_guard guard;
	struct strbuf text = STRBUF_INIT;
	char *const one[] = {p->g->has_partition ? p->g->part.lun : NULL, NULL};
	size_t mark;
	struct inv_lock *lock = NULL;
	int r;

	if (!p->g->has_partition)
		return 0;
	r = p->o.dry_run ? 0 : lun_lock(p, p->g->part.lun, &lock); /* then the owners, as carve */
	if (r >= 0)
		r = pipeline_guard_init(p, &o, &guard, &p->ctx->diag);
	if (r >= 0)
		r = part_luns_read(&guard, one, &luns, &p->ctx->diag);
	if (r >= 0)
		r = release_refuse_changed(p, &luns.v[0]);
	if (r >= 0) {
		mark = diag_mark(&p->ctx->diag);
		r = part_release_plan_flags(&luns, p->name,
					    p->g->part_new ? PART_RELEASE_DELETE : 0, &plan,
					    &p->ctx->diag);
		if (r == -ENOENT) {
			/* never carved, or released by an earlier destroy: an answer; but a
			 * table that a killed write left half-damaged is mended all the same */
			diag_truncate(&p->ctx->diag, mark);
			r = p->o.dry_run ? 0 : part_lun_repair(&guard, &luns.v[0], &p->ctx->diag);
			goto out;
		}
	}
	if (r >= 0 && p->o.dry_run) {
		r = part_plan_check(&guard, &plan, &p->ctx->diag);
		if (r >= 0)
			part_plan_format(&plan, false, &text);
	} else if (r >= 0) {
		r = part_plan_apply(&guard, &plan, &res, &p->ctx->diag);
		if (r >= 0) {
			part_plan_format(&plan, true, &text);
			(void) part_alias_remove(res.lun, res.partno, &p->ctx->diag);
		}
	}
out:
	inv_lock_release(lock);
	if (text.len)
		fprintf(p->out, "%s", strbuf_str(&text));
	strbuf_release(&text);
	part_result_release(&res);
	part_plan_release(&plan);
	part_luns_release(&luns);
	pipeline_owners_release(&o);
	return r;
}
