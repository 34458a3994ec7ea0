/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Carry out a plan: open the LUN through the guard, read it again, check the plan still fits
 * what is there, probe what will be touched, and only then write (fdisk.c), format (mkfs.c)
 * and write the swap file (ext2.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

static int stale(const struct part_plan *p, const char *why, unsigned partno, struct diag *d)
{
	diag_error(d, NULL,
		   "LUN '%s' changed since the plan was made (partition %u %s), nothing done",
		   p->lun, partno, why);
	return -ESTALE;
}

/* The plan against the LUN as it is now. */
static int plan_still_fits(const struct part_plan *p, const struct part_lun *now, struct diag *d)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct part_step *s = &p->steps[i];
		const struct part_entry *e = part__find_partno(now, s->partno);

		if (s->create) {
			if (e)
				return stale(p, "exists", s->partno, d);
			if (s->start < now->first_usable || s->start + s->size > now->end_usable)
				return stale(p, "would not fit", s->partno, d);
			for (size_t k = 0; k < now->n_parts; k++)
				if (s->start < now->parts[k].start + now->parts[k].size &&
				    now->parts[k].start < s->start + s->size)
					return stale(p, "would overlap", s->partno, d);
			continue;
		}
		if (!e || e->start != s->start || e->size != s->size)
			return stale(p, "moved", s->partno, d);
		if (strcmp(e->name, s->old_name ? s->old_name : "") != 0)
			return stale(p, "was renamed", s->partno, d);
		if (p->kind == PART_PLAN_RELEASE && (!e->owner || strcmp(e->owner, p->guest) != 0))
			return stale(p, "has another owner", s->partno, d);
		if (p->kind == PART_PLAN_PREPARE && e->owner)
			return stale(p, "has an owner", s->partno, d);
	}
	return 0;
}

/*
 * Guard, the LUN's lock, fresh read, plan check and probes: everything before the first
 * write. A claim is planned again from the fresh read (into *claim): its partition number
 * is chosen under the lock, so concurrent claims on one LUN do not collide.
 */
static int prepare_write(const struct part_guard *g, const struct part_plan *p, int *ret_fd,
			 struct part_lun *now, struct part_plan *claim, struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	int r;

	r = part__lun_open(g, p->lun, true, &fd, d);
	if (r < 0)
		return r;
	/* one writer per LUN on this host, from the read until the table is written */
	if (flock(fd, LOCK_EX) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot lock '%s'", p->lun);
	r = part__lun_read_fd(g, fd, p->lun, now, d);
	if (r < 0)
		return r;
	if (p->kind == PART_PLAN_CLAIM && p->image) {
		r = part_image_claim_plan(now, p->guest + strlen(PART_NAME_IMAGE_PREFIX), p->start,
					  p->size, claim, d);
		if (r < 0)
			return r;
		p = claim;
	} else if (p->kind == PART_PLAN_CLAIM) {
		r = part_claim_plan(now, p->guest, p->start, p->size, p->partuuid, claim, d);
		if (r < 0)
			return r;
		p = claim;
	} else if (p->kind == PART_PLAN_INIT) {
		struct part_plan again;

		r = part_init_plan(now, &again, d);
		if (r < 0)
			return r;
		part_plan_release(&again);
	} else {
		r = part_lun_check(now, d);
		if (r < 0)
			return r;
		if (now->sector_size != p->sector_size)
			return stale(p, "sector size", 0, d);
		r = plan_still_fits(p, now, d);
		if (r < 0)
			return r;
	}
	/* every partition a plan gives, claims or wipes is probed (INIT and CARVE add empty ones)
	 */
	for (size_t i = 0;
	     i < p->n_steps && p->kind != PART_PLAN_INIT && p->kind != PART_PLAN_CARVE; i++) {
		const struct part_step *s = &p->steps[i];
		const struct part_entry *e = part__find_partno(now, s->partno);
		struct part_entry fresh = {.partno = s->partno, .name = ""};
		struct part__region rg = {p->lun, fd, s->start, s->size};

		r = part__region_check(g, p->lun, e ? e : &fresh, &rg, p->guest, d);
		if (r < 0)
			return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int part_plan_check(const struct part_guard *g, const struct part_plan *p, struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	struct part_plan claim = {0};
	struct part_lun now = {0};
	int r;

	r = prepare_write(g, p, &fd, &now, &claim, d);
	part_plan_release(&claim);
	part_lun_release(&now);
	return r;
}

static int result_fill(const struct part_guard *g, int fd, const struct part_plan *p,
		       struct part_result *ret, struct diag *d)
{
	const struct part_step *s = &p->steps[0];
	const struct part_entry *e;
	struct part_lun now = {0};
	struct stat st;
	int r;

	r = part__lun_read_fd(g, fd, p->lun, &now, d);
	if (r < 0)
		return r;
	e = part__find_partno(&now, s->partno);
	*ret = (struct part_result){
		.partno = s->partno, .start = s->start, .size = s->size, .swap_size = p->swap_size};
	ret->lun = strdup(p->lun);
	ret->name = strdup(e ? e->name : "");
	ret->uuid = e && e->uuid ? strdup(e->uuid) : NULL;
	r = ret->lun && ret->name && (!e || !e->uuid || ret->uuid) ? 0 : -ENOMEM;
	if (r == 0 && fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && p->kind == PART_PLAN_PREPARE)
		r = part__sysfs_node(st.st_rdev, s->partno, s->start, s->size, &ret->node, d);
	if (r == 0 && ret->node)
		ret->target = strdup(ret->node);
	else if (r == 0 &&
		 asprintf(&ret->target, "%s@%llu", p->lun, (unsigned long long) s->start) < 0)
		ret->target = NULL;
	if (r == 0 && !ret->target)
		r = -ENOMEM;
	part_lun_release(&now);
	if (r < 0)
		part_result_release(ret);
	return r;
}

/* ext4 and the swap file on the new partition: its node on block devices, else an offset. */
static int make_fs(const struct part_plan *p, const struct part_result *res, struct diag *d)
{
	struct part__region rg = {
		.path = p->lun, .fd = -1, .offset = res->start, .size = res->size};

	if (res->node)
		rg = (struct part__region){.path = res->node, .fd = -1, .size = res->size};
	return part__format_region(&rg, p->fs_label, NULL, p->swap_size, d);
}

/* After a claim (also one with nothing to do): the guest's partition, from the table. */
static int claim_result(const struct part_guard *g, int fd, const struct part_plan *p,
			struct part_result *ret, struct diag *d)
{
	_cleanup_(freep) char *name = NULL;
	const struct part_entry *e = NULL;
	struct part_lun now = {0};
	int r;

	if (asprintf(&name, "%s%s", p->image ? "" : PART_NAME_GUEST_PREFIX, p->guest) < 0)
		return -ENOMEM;
	r = part__lun_read_fd(g, fd, p->lun, &now, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < now.n_parts && !e; i++)
		if (now.parts[i].start == p->start && now.parts[i].size == p->size &&
		    streq(now.parts[i].name, name))
			e = &now.parts[i];
	if (e)
		r = part__result_fill(fd, &now, e, true, ret, d);
	else
		r = diag_error(d, NULL, "partition '%s' is not on '%s' after the claim", name,
			       p->lun);
	part_lun_release(&now);
	return r;
}

int part_plan_apply(const struct part_guard *g, const struct part_plan *p, struct part_result *ret,
		    struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	struct part_result res = {0};
	struct part_plan claim = {0};
	struct part_lun now = {0};
	bool repair;
	int r;

	r = prepare_write(g, p, &fd, &now, &claim, d);
	/* a claim already done still writes a table that a cut-short write left half-damaged */
	repair = now.recovered;
	part_lun_release(&now);
	if (r >= 0 && p->kind == PART_PLAN_CLAIM) {
		if (claim.n_steps || repair)
			r = part__fdisk_write(fd, p->lun, false, claim.steps, claim.n_steps, d);
		if (r >= 0 && (claim.n_steps || repair) && fsync(fd) < 0)
			r = diag_error_errno(d, NULL, -errno, "cannot sync '%s'", p->lun);
		(void) flock(fd, LOCK_UN);
		if (r >= 0)
			r = claim_result(g, fd, p, &res, d);
		part_plan_release(&claim);
		if (r >= 0 && ret)
			*ret = res;
		else
			part_result_release(&res);
		return r < 0 ? r : 0;
	}
	part_plan_release(&claim); /* set by prepare_write() even when a later check failed */
	if (r < 0)
		return r;
	if (p->kind == PART_PLAN_RELEASE) {
		const struct part_step *s = &p->steps[0];
		struct part__region rg = {p->lun, fd, s->start, s->size};

		r = part__blkid_wipe(&rg, d);
		if (r < 0)
			return r;
	}
	r = part__fdisk_write(fd, p->lun, p->kind == PART_PLAN_INIT, p->steps, p->n_steps, d);
	if (r >= 0 && fsync(fd) < 0)
		r = diag_error_errno(d, NULL, -errno, "cannot sync '%s'", p->lun);
	(void) flock(fd, LOCK_UN); /* the table is written: mkfs does not need the lock */
	if (r < 0)
		return r;
	if (p->kind != PART_PLAN_PREPARE && p->kind != PART_PLAN_RELEASE)
		return 0;
	r = result_fill(g, fd, p, &res, d);
	if (r >= 0 && p->kind == PART_PLAN_PREPARE)
		r = make_fs(p, &res, d);
	if (r < 0) {
		if (p->kind == PART_PLAN_PREPARE)
			diag_add(
				d, DIAG_NOTE, NULL,
				"partition %u on '%s' is named '%s' now; 'provision disk release %s' frees it",
				p->steps[0].partno, p->lun, p->steps[0].name, p->guest);
		part_result_release(&res);
		return r;
	}
	if (ret)
		*ret = res;
	else
		part_result_release(&res);
	return 0;
}

int part_lun_repair(const struct part_guard *g, const struct part_lun *l, struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	struct part_lun now = {0};
	bool repair;
	int r;

	if (!l->recovered)
		return 0;
	r = part__lun_open(g, l->path, true, &fd, d);
	if (r < 0)
		return r;
	if (flock(fd, LOCK_EX) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot lock '%s'", l->path);
	r = part__lun_read_fd(g, fd, l->path, &now, d);
	repair = r >= 0 && now.recovered; /* another writer may have repaired it meanwhile */
	if (r >= 0)
		r = part_lun_check(&now, d);
	part_lun_release(&now);
	if (r >= 0 && repair)
		r = part__fdisk_write(fd, l->path, false, NULL, 0, d);
	if (r >= 0 && repair && fsync(fd) < 0)
		r = diag_error_errno(d, NULL, -errno, "cannot sync '%s'", l->path);
	return r;
}
