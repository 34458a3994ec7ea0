/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure part of partition/: snapshots in, plans out. No I/O here, so every rule about
 * which partition a guest gets is tested with tables (tests/unit/test-partition-plan.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "partition/partition-internal.h"
#include "partition/partition.h"

static const char *const label_names[_PART_LABEL_TYPE_MAX] = {
	[PART_LABEL_NONE] = "none",
	[PART_LABEL_GPT] = "gpt",
	[PART_LABEL_DOS] = "dos",
	[PART_LABEL_OTHER] = "other",
};

DEFINE_STRING_TABLE_TO(part_label_type, enum part_label_type, label_names)

int part_owner_by_name(void *data, const char *lun, const struct part_entry *p, char **ret_guest)
{
	const char *g;

	if (!p->name || strncmp(p->name, PART_NAME_GUEST_PREFIX, strlen(PART_NAME_GUEST_PREFIX)))
		return 0;
	g = p->name + strlen(PART_NAME_GUEST_PREFIX);
	if (!hostname_label_valid(g))
		return 0;
	*ret_guest = strdup(g);
	return *ret_guest ? 1 : -ENOMEM;
}

void part__entry_release(struct part_entry *e)
{
	free(e->name);
	free(e->uuid);
	free(e->owner);
	free(e->signature);
	*e = (struct part_entry){0};
}

int part__entry_copy(const struct part_entry *src, struct part_entry *dst)
{
	*dst = (struct part_entry){.partno = src->partno, .start = src->start, .size = src->size};
	dst->name = strdup(src->name ? src->name : "");
	dst->uuid = src->uuid ? strdup(src->uuid) : NULL;
	dst->owner = src->owner ? strdup(src->owner) : NULL;
	dst->signature = src->signature ? strdup(src->signature) : NULL;
	if (!dst->name || (src->uuid && !dst->uuid) || (src->owner && !dst->owner) ||
	    (src->signature && !dst->signature)) {
		part__entry_release(dst);
		return -ENOMEM;
	}
	return 0;
}

void part_plan_release(struct part_plan *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		free(p->steps[i].name);
		free(p->steps[i].old_name);
	}
	free(p->steps);
	free(p->lun);
	free(p->guest);
	free(p->fs_label);
	free(p->partuuid);
	*p = (struct part_plan){0};
}

char *part__fs_label(const char *guest)
{
	return strndup(guest, PART_FS_LABEL_MAX);
}

const struct part_entry *part__find_uuid(const struct part_lun *l, const char *uuid)
{
	for (size_t i = 0; uuid && i < l->n_parts; i++)
		if (l->parts[i].uuid && strcasecmp(l->parts[i].uuid, uuid) == 0)
			return &l->parts[i];
	return NULL;
}

const struct part_entry *part__find_partno(const struct part_lun *l, unsigned partno)
{
	for (size_t i = 0; i < l->n_parts; i++)
		if (l->parts[i].partno == partno)
			return &l->parts[i];
	return NULL;
}

uint64_t part__align_up(uint64_t v)
{
	return (v + PART_ALIGN - 1) / PART_ALIGN * PART_ALIGN;
}

uint64_t part__align_down(uint64_t v)
{
	return v / PART_ALIGN * PART_ALIGN;
}

/* The largest 1 MiB-aligned piece of a segment; 0 if none. */
uint64_t part__seg_usable(uint64_t start, uint64_t size, uint64_t *ret_start)
{
	uint64_t s = part__align_up(start), e = part__align_down(start + size);

	if (ret_start)
		*ret_start = s;
	return e > s ? e - s : 0;
}

/* Why a LUN cannot take changes, into sb; 0 if it can. */
int part__lun_problem(const struct part_lun *l, struct strbuf *sb)
{
	if (l->error) {
		strbuf_puts(sb, l->error_text ? l->error_text : "cannot read it");
		return -ENODEV;
	}
	if (l->label == PART_LABEL_NONE) {
		strbuf_addf(sb, "LUN '%s' has no partition table (see 'provision lun init')",
			    l->path);
		return -EMEDIUMTYPE;
	}
	if (l->label != PART_LABEL_GPT) {
		strbuf_addf(sb, "LUN '%s' has a %s partition table, not gpt", l->path,
			    part_label_type_to_string(l->label));
		return -EMEDIUMTYPE;
	}
	for (size_t i = 0; i < l->n_parts; i++) {
		const struct part_entry *a = &l->parts[i];

		if (a->start < l->first_usable || a->start + a->size > l->end_usable) {
			strbuf_addf(sb, "LUN '%s': partition %u lies outside the usable area",
				    l->path, a->partno);
			return -EUCLEAN;
		}
		for (size_t j = i + 1; j < l->n_parts; j++) {
			const struct part_entry *b = &l->parts[j];

			if (a->start < b->start + b->size && b->start < a->start + a->size) {
				strbuf_addf(sb, "LUN '%s': partitions %u and %u overlap", l->path,
					    a->partno, b->partno);
				return -EUCLEAN;
			}
		}
	}
	if (l->n_verify_errors) {
		strbuf_addf(sb, "LUN '%s': the partition table has %u problem(s)", l->path,
			    l->n_verify_errors);
		return -EUCLEAN;
	}
	return 0;
}

int part_lun_check(const struct part_lun *l, struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;
	int r = part__lun_problem(l, &sb);

	if (r < 0) {
		if (r == -EUCLEAN)
			diag_error(d, NULL, "%s, refusing to change it", strbuf_str(&sb));
		else
			diag_error(d, NULL, "%s", strbuf_str(&sb));
	}
	strbuf_release(&sb);
	return r;
}

bool part__overlaps_any(const struct part_lun *l, const struct part_step *steps, size_t n,
			uint64_t start, uint64_t size)
{
	for (size_t i = 0; i < l->n_parts; i++)
		if (start < l->parts[i].start + l->parts[i].size &&
		    l->parts[i].start < start + size)
			return true;
	for (size_t i = 0; i < n; i++)
		if (start < steps[i].start + steps[i].size && steps[i].start < start + size)
			return true;
	return false;
}

/* Lowest partition number used neither on the LUN nor by steps; 0 if the label is full. */
unsigned part__free_partno(const struct part_lun *l, const struct part_step *steps, size_t n)
{
	for (unsigned no = 1; no <= l->max_parts; no++) {
		bool used = false;

		for (size_t i = 0; i < l->n_parts && !used; i++)
			used = l->parts[i].partno == no;
		for (size_t i = 0; i < n && !used; i++)
			used = steps[i].partno == no;
		if (!used)
			return no;
	}
	return 0;
}

uint64_t part__largest_free(const struct part_lun *l)
{
	uint64_t best = 0;

	for (size_t i = 0; i < l->n_free; i++) {
		uint64_t u = part__seg_usable(l->free[i].start, l->free[i].size, NULL);

		if (u > best)
			best = u;
	}
	return best;
}

int part__plan_new(struct part_plan *p, enum part_plan_kind kind, const struct part_lun *l,
		   size_t n_steps)
{
	*p = (struct part_plan){.kind = kind, .sector_size = l->sector_size};
	p->lun = strdup(l->path);
	p->steps = n_steps ? calloc(n_steps, sizeof(*p->steps)) : NULL;
	if (!p->lun || (n_steps && !p->steps)) {
		part_plan_release(p);
		return -ENOMEM;
	}
	return 0;
}

int part_init_plan(const struct part_lun *l, struct part_plan *ret, struct diag *d)
{
	if (l->error) {
		diag_error(d, NULL, "%s", l->error_text ? l->error_text : "cannot read it");
		return -ENODEV;
	}
	if (l->label != PART_LABEL_NONE) {
		diag_error(d, NULL, "LUN '%s' already has a %s partition table", l->path,
			   part_label_type_to_string(l->label));
		return -EEXIST;
	}
	if (l->signature) {
		diag_error(d, NULL, "LUN '%s' is not empty: it holds a signature (%s)", l->path,
			   l->signature);
		return -EBUSY;
	}
	if (l->size < 2 * PART_ALIGN)
		return diag_error(d, NULL, "LUN '%s' is too small for a GPT label", l->path);
	return part__plan_new(ret, PART_PLAN_INIT, l, 0);
}

int part__size_check(uint64_t size, const char *what, struct diag *d)
{
	char buf[32];

	if (size == 0 || size % PART_ALIGN)
		return diag_error(d, NULL, "%s '%s' is not a positive multiple of 1M", what,
				  format_size(size, buf, sizeof(buf)));
	return 0;
}

int part_carve_plan(const struct part_lun *l, const uint64_t *sizes, size_t n,
		    struct part_plan *ret, struct diag *d)
{
	struct part_plan p;
	char b1[32], b2[32];
	int r;

	r = part_lun_check(l, d);
	if (r < 0)
		return r;
	if (n == 0)
		return diag_error(d, NULL, "the layout is empty");
	for (size_t i = 0; i < n; i++) {
		r = part__size_check(sizes[i], "partition size", d);
		if (r < 0)
			return r;
	}
	r = part__plan_new(&p, PART_PLAN_CARVE, l, n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct part_step *s = &p.steps[i];
		unsigned no = part__free_partno(l, p.steps, i);
		bool found = false;

		for (size_t k = 0; k < l->n_free && !found; k++) {
			uint64_t seg_end = l->free[k].start + l->free[k].size;
			uint64_t start = part__align_up(l->free[k].start);

			/* skip what earlier steps took from this segment */
			for (size_t j = 0; j < i; j++)
				if (p.steps[j].start >= start && p.steps[j].start < seg_end)
					start = part__align_up(p.steps[j].start + p.steps[j].size);
			if (start + sizes[i] <= part__align_down(seg_end) &&
			    !part__overlaps_any(l, p.steps, i, start, sizes[i])) {
				*s = (struct part_step){.partno = no,
							.start = start,
							.size = sizes[i],
							.create = true};
				found = true;
			}
		}
		if (!no || !found) {
			if (!no)
				diag_error(d, NULL, "LUN '%s' has no free partition entry left",
					   l->path);
			else
				diag_error(
					d, NULL,
					"no room for partition %zu of the layout (%s) on LUN '%s' (largest free space before the layout: %s)",
					i + 1, format_size(sizes[i], b1, sizeof(b1)), l->path,
					format_size(part__largest_free(l), b2, sizeof(b2)));
			part_plan_release(&p);
			return -ENOSPC;
		}
		s->name = strdup(PART_NAME_FREE);
		if (!s->name) {
			part_plan_release(&p);
			return -ENOMEM;
		}
		p.n_steps++;
	}
	*ret = p;
	return 0;
}

bool part__owned_by(const struct part_entry *e, const char *guest)
{
	return e->owner && streq(e->owner, guest);
}

bool part__is_free(const struct part_entry *e)
{
	return !e->owner && !e->signature && e->name && streq(e->name, PART_NAME_FREE);
}

int part_release_plan(const struct part_luns *luns, const char *guest, struct part_plan *ret,
		      struct diag *d)
{
	return part_release_plan_flags(luns, guest, 0, ret, d);
}

int part_release_plan_flags(const struct part_luns *luns, const char *guest, unsigned flags,
			    struct part_plan *ret, struct diag *d)
{
	const struct part_entry *e = NULL;
	size_t lun = 0;
	struct part_plan p;
	int r;

	for (size_t i = 0; i < luns->n; i++) {
		for (size_t k = 0; k < luns->v[i].n_parts; k++) {
			/* owned but still named "free": reserved, never claimed, nothing to undo */
			if (!part__owned_by(&luns->v[i].parts[k], guest) ||
			    streq(luns->v[i].parts[k].name, PART_NAME_FREE))
				continue;
			if (e) {
				diag_add(
					d, DIAG_WARNING, NULL,
					"guest '%s' also has partition %u on LUN '%s', releasing only one at a time",
					guest, luns->v[i].parts[k].partno, luns->v[i].path);
				continue;
			}
			e = &luns->v[i].parts[k];
			lun = i;
		}
	}
	if (!e) {
		diag_error(d, NULL, "guest '%s' has no partition on any readable LUN", guest);
		return -ENOENT;
	}
	r = part_lun_check(&luns->v[lun], d);
	if (r < 0)
		return r;
	r = part__plan_new(&p, PART_PLAN_RELEASE, &luns->v[lun], 1);
	if (r < 0)
		return r;
	p.n_steps = 1;
	p.steps[0] = (struct part_step){.partno = e->partno,
					.start = e->start,
					.size = e->size,
					.remove = flags & PART_RELEASE_DELETE,
					.name = strdup(PART_NAME_FREE),
					.old_name = strdup(e->name)};
	p.guest = strdup(guest);
	if (!p.steps[0].name || !p.steps[0].old_name || !p.guest) {
		part_plan_release(&p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

uint64_t part_lun_largest_free(const struct part_lun *l)
{
	return part__largest_free(l);
}

void part_plan_format(const struct part_plan *p, bool done, struct strbuf *out)
{
	/* each verb as a plan ("would create") and as a report ("created") */
	const char *create = done ? "created" : "would create";
	const char *rename = done ? "renamed" : "would rename";
	char b1[32], b2[32];

	if (p->kind == PART_PLAN_INIT)
		strbuf_addf(out, "%s a GPT label on '%s'\n", create, p->lun);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct part_step *s = &p->steps[i];

		if (p->kind == PART_PLAN_RELEASE)
			strbuf_addf(out, "%s the signatures in partition %u on '%s'\n",
				    done ? "wiped" : "would wipe", s->partno, p->lun);
		if (s->remove)
			strbuf_addf(out, "%s partition %u on '%s' (size %s, name '%s')\n",
				    done ? "deleted" : "would delete", s->partno, p->lun,
				    format_size(s->size, b1, sizeof(b1)),
				    s->old_name ? s->old_name : "");
		else if (s->create)
			strbuf_addf(out, "%s partition %u on '%s': start %s, size %s, name '%s'\n",
				    create, s->partno, p->lun,
				    format_size(s->start, b1, sizeof(b1)),
				    format_size(s->size, b2, sizeof(b2)), s->name);
		else
			strbuf_addf(out, "%s partition %u on '%s' (size %s) from '%s' to '%s'\n",
				    rename, s->partno, p->lun, format_size(s->size, b1, sizeof(b1)),
				    s->old_name ? s->old_name : "", s->name);
	}
	if (p->kind == PART_PLAN_PREPARE) {
		strbuf_addf(out, "%s an ext4 filesystem labelled '%s' on it\n",
			    done ? "made" : "would make", p->fs_label);
		if (p->swap_size)
			strbuf_addf(out, "%s a %s /swapfile into it\n",
				    done ? "wrote" : "would write",
				    format_size(p->swap_size, b1, sizeof(b1)));
	}
}
