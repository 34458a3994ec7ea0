/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a guest's partition goes, pure like plan.c: one ordering of every possible place
 * (rank()), used by part_prepare_plan() (the first place) and by part_candidates() (all of
 * them, for the inventory's allocator), and the claim of a place the inventory reserved.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "partition/partition-internal.h"

/* A place for a request: an existing free partition (reuse), or a 1 MiB-aligned segment. */
struct choice {
	size_t lun;
	const struct part_entry *reuse;
	uint64_t start, usable; /* segments: the aligned usable part */
	uint64_t leftover;
};

/* Best fit first; ties to the earlier LUN, then the lower start (a total order). */
static int cmp_segment(const void *a, const void *b)
{
	const struct choice *x = a, *y = b;

	if (x->leftover != y->leftover)
		return x->leftover < y->leftover ? -1 : 1;
	if (x->lun != y->lun)
		return x->lun < y->lun ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int request_check(const struct part_luns *luns, const struct part_request *req,
			 struct diag *d)
{
	char b1[32], b2[32];
	int r;

	if (!req->guest || !hostname_label_valid(req->guest))
		return diag_error(d, NULL, "invalid guest name '%s'", req->guest ? req->guest : "");
	r = part__size_check(req->size, "disk size", d);
	if (r < 0)
		return r;
	if (req->swap_size % 4096 || req->swap_size > req->size / 2)
		return diag_error(
			d, NULL,
			"swap size '%s' must be a multiple of 4K and at most half the disk (%s)",
			format_size(req->swap_size, b1, sizeof(b1)),
			format_size(req->size, b2, sizeof(b2)));
	for (size_t i = 0; i < luns->n; i++) {
		const struct part_lun *l = &luns->v[i];

		for (size_t k = 0; k < l->n_parts; k++)
			if (part__owned_by(&l->parts[k], req->guest)) {
				diag_error(
					d, NULL,
					"guest '%s' already has partition %u on LUN '%s' (PARTUUID %s)",
					req->guest, l->parts[k].partno, l->path,
					l->parts[k].uuid ? l->parts[k].uuid : "?");
				return -EEXIST;
			}
	}
	return 0;
}

/*
 * Every place for req, best first: the "free" partitions of exactly the size (LUN order,
 * then partition number), then the segments it fits (cmp_segment). At least one, or
 * -ENOSPC with the reason in d.
 */
/*
 * The "free" partitions of exactly req's size into v, LUN order then number; one named
 * "free" that holds a filesystem is not free (a warning says so). Returns: how many.
 */
static size_t rank_reused(const struct part_luns *luns, const bool *usable,
			  const struct part_request *req, struct choice *v, struct diag *d)
{
	size_t n = 0;

	for (size_t i = 0; i < luns->n; i++)
		for (size_t k = 0; usable[i] && k < luns->v[i].n_parts; k++) {
			const struct part_entry *e = &luns->v[i].parts[k];

			if (e->signature && !e->owner)
				diag_add(
					d, DIAG_WARNING, NULL,
					"partition %u on '%s' is named '%s' but holds a signature (%s): not free, left alone",
					e->partno, luns->v[i].path, e->name, e->signature);
			if (part__is_free(e) && e->size == req->size)
				v[n++] = (struct choice){.lun = i, .reuse = e};
		}
	return n;
}

static int rank(const struct part_luns *luns, const struct part_request *req, struct choice **ret,
		size_t *ret_n, struct diag *d)
{
	_cleanup_(freep) bool *usable = NULL;
	_cleanup_(freep) struct choice *v = NULL;
	size_t n = 0, n_max = 0, n_usable = 0, first_seg;
	uint64_t largest = 0;
	char b1[32], b2[32];
	int r;

	r = request_check(luns, req, d);
	if (r < 0)
		return r;
	usable = calloc(luns->n + 1, sizeof(bool));
	if (!usable)
		return -ENOMEM;
	for (size_t i = 0; i < luns->n; i++) {
		const struct part_lun *l = &luns->v[i];
		struct strbuf why = STRBUF_INIT;

		if (req->lun && !streq(req->lun, l->path))
			continue;
		r = part__lun_problem(l, &why);
		if (r < 0 && req->lun) {
			diag_error(d, NULL, "%s", strbuf_str(&why));
			strbuf_release(&why);
			return r;
		}
		if (r < 0)
			diag_add(d, DIAG_WARNING, NULL, "skipping LUN '%s': %s", l->path,
				 strbuf_str(&why));
		strbuf_release(&why);
		usable[i] = r == 0;
		n_usable += usable[i];
		if (usable[i]) {
			n_max += l->n_parts + l->n_free;
			if (part__largest_free(l) > largest)
				largest = part__largest_free(l);
		}
	}
	if (req->lun && !n_usable && luns->n)
		return diag_error(d, NULL, "LUN '%s' is not among the LUNs read", req->lun);
	v = calloc(n_max + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = rank_reused(luns, usable, req, v, d);
	first_seg = n;
	for (size_t i = 0; i < luns->n; i++) {
		const struct part_lun *l = &luns->v[i];

		if (!usable[i] || !part__free_partno(l, NULL, 0))
			continue;
		for (size_t k = 0; k < l->n_free; k++) {
			uint64_t start,
				u = part__seg_usable(l->free[k].start, l->free[k].size, &start);

			if (u < req->size || part__overlaps_any(l, NULL, 0, start, req->size))
				continue;
			v[n++] = (struct choice){
				.lun = i, .start = start, .usable = u, .leftover = u - req->size};
		}
	}
	qsort(v + first_seg, n - first_seg, sizeof(*v), cmp_segment);
	if (n == 0) {
		if (req->lun)
			diag_error(
				d, NULL,
				"no room for a %s partition for guest '%s' on LUN '%s' (largest free space: %s)",
				format_size(req->size, b1, sizeof(b1)), req->guest, req->lun,
				format_size(largest, b2, sizeof(b2)));
		else
			diag_error(
				d, NULL,
				"no room for a %s partition for guest '%s' on any of %zu usable LUN(s) (largest free space: %s)",
				format_size(req->size, b1, sizeof(b1)), req->guest, n_usable,
				format_size(largest, b2, sizeof(b2)));
		return -ENOSPC;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int part_candidates(const struct part_luns *luns, const struct part_request *req,
		    struct part_candidate **ret, size_t *ret_n, struct diag *d)
{
	_cleanup_(freep) struct choice *v = NULL;
	struct part_candidate *c;
	size_t n;
	int r;

	r = rank(luns, req, &v, &n, d);
	if (r < 0)
		return r;
	c = calloc(n, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].lun = luns->v[v[i].lun].path;
		if (v[i].reuse)
			c[i] = (struct part_candidate){c[i].lun, v[i].reuse->start,
						       v[i].reuse->size, v[i].reuse->uuid};
		else
			c[i] = (struct part_candidate){c[i].lun, v[i].start, v[i].usable, NULL};
	}
	*ret = c;
	*ret_n = n;
	return 0;
}

static int guest_name(const char *guest, char **ret)
{
	if (asprintf(ret, "%s%s", PART_NAME_GUEST_PREFIX, guest) < 0)
		return -ENOMEM;
	return 0;
}

/* A one-step plan for guest: create at start (partno given) or rename reuse. */
static int plan_for_guest(enum part_plan_kind kind, const struct part_lun *l, const char *guest,
			  const struct part_entry *reuse, unsigned partno, uint64_t start,
			  uint64_t size, struct part_plan *ret)
{
	struct part_plan p;
	int r;

	r = part__plan_new(&p, kind, l, 1);
	if (r < 0)
		return r;
	p.n_steps = 1;
	if (reuse)
		p.steps[0] = (struct part_step){.partno = reuse->partno,
						.start = reuse->start,
						.size = reuse->size,
						.old_name = strdup(reuse->name)};
	else
		p.steps[0] = (struct part_step){
			.partno = partno, .start = start, .size = size, .create = true};
	r = guest_name(guest, &p.steps[0].name);
	p.guest = strdup(guest);
	if (r < 0 || !p.guest || (reuse && !p.steps[0].old_name)) {
		part_plan_release(&p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

int part_prepare_plan(const struct part_luns *luns, const struct part_request *req,
		      struct part_plan *ret, struct diag *d)
{
	_cleanup_(freep) struct choice *v = NULL;
	const struct part_lun *l;
	struct part_plan p;
	size_t n;
	int r;

	r = rank(luns, req, &v, &n, d);
	if (r < 0)
		return r;
	l = &luns->v[v[0].lun];
	r = plan_for_guest(PART_PLAN_PREPARE, l, req->guest, v[0].reuse,
			   part__free_partno(l, NULL, 0), v[0].start, req->size, &p);
	if (r < 0)
		return r;
	p.fs_label = part__fs_label(req->guest);
	p.swap_size = req->swap_size;
	if (!p.fs_label) {
		part_plan_release(&p);
		return -ENOMEM;
	}
	if (strlen(req->guest) > PART_FS_LABEL_MAX)
		diag_add(d, DIAG_WARNING, NULL,
			 "guest name '%s' is longer than an ext4 label, the label will be '%s'",
			 req->guest, p.fs_label);
	*ret = p;
	return 0;
}

/* "cannot claim the place reserved on LUN 'X': <why>", -ESTALE. */
static _printf_(3, 4) int claim_stale(const struct part_lun *l, struct diag *d, const char *fmt,
				      ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_error(d, NULL, "cannot claim the place reserved on LUN '%s': %s", l->path,
		   strbuf_str(&sb));
	strbuf_release(&sb);
	return -ESTALE;
}

/* The claim is done already: e is guest:NAME and not someone else's. */
static bool claimed(const struct part_entry *e, const char *name, const char *guest)
{
	return streq(e->name, name) && (!e->owner || streq(e->owner, guest));
}

/*
 * What claiming [start, start + size) / partuuid on l takes: *ret_done when it is claimed
 * already, else the entry to rename (*ret_reuse) or the number for a new one (*ret_partno).
 */
static int claim_find(const struct part_lun *l, const char *guest, const char *name, uint64_t start,
		      uint64_t size, const char *partuuid, bool *ret_done,
		      const struct part_entry **ret_reuse, unsigned *ret_partno, struct diag *d)
{
	const struct part_entry *e;
	int r;

	if (partuuid) {
		e = part__find_uuid(l, partuuid);
		if (!e)
			return claim_stale(l, d, "no partition has PARTUUID %s", partuuid);
		if (e->start != start || e->size != size)
			return claim_stale(l, d, "partition %u (PARTUUID %s) has moved", e->partno,
					   partuuid);
		*ret_done = claimed(e, name, guest);
		if (*ret_done)
			return 0;
		if (!streq(e->name, PART_NAME_FREE) || (e->owner && !streq(e->owner, guest)))
			return claim_stale(l, d, "partition %u is no longer free (it is '%s')",
					   e->partno, e->name);
		*ret_reuse = e;
		return part_lun_check(l, d);
	}
	for (size_t i = 0; i < l->n_parts; i++)
		if (l->parts[i].start == start && l->parts[i].size == size &&
		    claimed(&l->parts[i], name, guest)) {
			*ret_done = true;
			return 0;
		}
	r = part_lun_check(l, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n_parts; i++)
		if (start < l->parts[i].start + l->parts[i].size &&
		    l->parts[i].start < start + size)
			return claim_stale(l, d, "partition %u ('%s') is there now",
					   l->parts[i].partno, l->parts[i].name);
	if (start < l->first_usable || start + size > l->end_usable)
		return claim_stale(l, d, "it lies outside the usable area");
	*ret_partno = part__free_partno(l, NULL, 0);
	if (!*ret_partno) {
		diag_error(d, NULL, "LUN '%s' has no free partition entry left", l->path);
		return -ENOSPC;
	}
	return 0;
}

int part_claim_plan(const struct part_lun *l, const char *guest, uint64_t start, uint64_t size,
		    const char *partuuid, struct part_plan *ret, struct diag *d)
{
	_cleanup_(freep) char *name = NULL;
	const struct part_entry *reuse = NULL;
	struct part_plan p = {0};
	bool done = false;
	unsigned no = 0;
	int r;

	if (!guest || !hostname_label_valid(guest))
		return diag_error(d, NULL, "invalid guest name '%s'", guest ? guest : "");
	r = part__size_check(size, "partition size", d);
	if (r < 0)
		return r;
	if (!partuuid && start % PART_ALIGN)
		return diag_error(d, NULL, "partition start %llu is not a multiple of 1M",
				  (unsigned long long) start);
	if (l->error) {
		diag_error(d, NULL, "%s", l->error_text ? l->error_text : "cannot read it");
		return -ENODEV;
	}
	r = guest_name(guest, &name);
	if (r >= 0)
		r = claim_find(l, guest, name, start, size, partuuid, &done, &reuse, &no, d);
	if (r < 0)
		return r;
	if (done) {
		r = part__plan_new(&p, PART_PLAN_CLAIM, l, 0);
		if (r >= 0 && !(p.guest = strdup(guest)))
			r = -ENOMEM;
	} else {
		r = plan_for_guest(PART_PLAN_CLAIM, l, guest, reuse, no, start, size, &p);
	}
	p.start = start;
	p.size = size;
	if (r >= 0 && partuuid && !(p.partuuid = strdup(partuuid)))
		r = -ENOMEM;
	if (r < 0) {
		part_plan_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}

int part_image_claim_plan(const struct part_lun *l, const char *name, uint64_t start, uint64_t size,
			  struct part_plan *ret, struct diag *d)
{
	_cleanup_(freep) char *owner = NULL;
	const struct part_entry *reuse = NULL;
	struct part_plan p = {0};
	bool done = false;
	unsigned no = 0;
	int r;

	if (!name || !hostname_label_valid(name))
		return diag_error(d, NULL, "invalid image name '%s'", name ? name : "");
	r = part__size_check(size, "partition size", d);
	if (r < 0)
		return r;
	if (start % PART_ALIGN)
		return diag_error(d, NULL, "partition start %llu is not a multiple of 1M",
				  (unsigned long long) start);
	if (l->error) {
		diag_error(d, NULL, "%s", l->error_text ? l->error_text : "cannot read it");
		return -ENODEV;
	}
	if (asprintf(&owner, PART_NAME_IMAGE_PREFIX "%s", name) < 0)
		return -ENOMEM;
	r = claim_find(l, owner, owner, start, size, NULL, &done, &reuse, &no, d);
	if (r < 0)
		return r;
	if (done) {
		r = part__plan_new(&p, PART_PLAN_CLAIM, l, 0);
		if (r >= 0 && !(p.guest = strdup(owner)))
			r = -ENOMEM;
	} else {
		r = plan_for_guest(PART_PLAN_CLAIM, l, owner, NULL, no, start, size, &p);
		if (r >= 0) {
			/* the GPT name is the owner's name itself, not guest:image:NAME */
			free(p.steps[0].name);
			if (!(p.steps[0].name = strdup(owner)))
				r = -ENOMEM;
		}
	}
	p.start = start;
	p.size = size;
	p.image = true;
	if (r < 0) {
		part_plan_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}
