/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshots of LUNs: the partition table (fdisk.c), owners (the callback), signatures. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

void part_lun_release(struct part_lun *l)
{
	for (size_t i = 0; i < l->n_parts; i++)
		part__entry_release(&l->parts[i]);
	free(l->parts);
	free(l->free);
	free(l->path);
	free(l->error_text);
	free(l->id);
	free(l->signature);
	*l = (struct part_lun){0};
}

void part_luns_release(struct part_luns *l)
{
	for (size_t i = 0; i < l->n; i++)
		part_lun_release(&l->v[i]);
	free(l->v);
	*l = (struct part_luns){0};
}

void part_signature_release(struct part_signature *s)
{
	free(s->type);
	free(s->uuid);
	free(s->label);
	*s = (struct part_signature){0};
}

void part_result_release(struct part_result *r)
{
	free(r->lun);
	free(r->name);
	free(r->uuid);
	free(r->node);
	free(r->target);
	*r = (struct part_result){0};
}

int part__owners_fill(const struct part_guard *g, struct part_lun *l, struct diag *d)
{
	part_owner_fn fn = g->owner ? g->owner : part_owner_by_name;

	for (size_t i = 0; i < l->n_parts; i++) {
		char *owner = NULL;
		int r = fn(g->owner_data, l->path, &l->parts[i], &owner);

		if (r < 0)
			return diag_error_errno(d, NULL, r,
						"cannot tell who owns partition %u on '%s'",
						l->parts[i].partno, l->path);
		free(l->parts[i].owner);
		l->parts[i].owner = r > 0 ? owner : NULL;
	}
	return 0;
}

/*
 * A partition named "free" must be empty to be free: one that holds a filesystem (a foreign
 * one, or data someone put there by hand) is marked, and no planner offers it.
 */
static int free_parts_probe(int fd, struct part_lun *l, struct diag *d)
{
	for (size_t i = 0; i < l->n_parts; i++) {
		struct part_entry *e = &l->parts[i];
		struct part__region rg = {
			.path = l->path, .fd = fd, .offset = e->start, .size = e->size};
		int r;

		if (!e->name || !streq(e->name, PART_NAME_FREE))
			continue;
		free(e->signature);
		e->signature = NULL;
		r = part__blkid_probe(&rg, &e->signature, d);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The snapshot of the LUN open on fd; with no label, whatever signature the device holds. */
int part__lun_read_fd(const struct part_guard *g, int fd, const char *path, struct part_lun *ret,
		      struct diag *d)
{
	struct part_lun l = {0};
	int r;

	l.path = strdup(path);
	if (!l.path)
		return -ENOMEM;
	r = part__fdisk_read(fd, path, &l, d);
	if (r >= 0 && l.label == PART_LABEL_NONE) {
		struct part__region whole = {.path = path, .fd = fd, .size = l.size};

		r = part__blkid_probe(&whole, &l.signature, d);
	}
	if (r >= 0)
		r = free_parts_probe(fd, &l, d);
	if (r >= 0)
		r = part__owners_fill(g, &l, d);
	if (r < 0) {
		part_lun_release(&l);
		return r;
	}
	*ret = l;
	return 0;
}

int part_lun_read(const struct part_guard *g, const char *path, struct part_lun *ret,
		  struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	int r;

	r = part__lun_open(g, path, false, &fd, d);
	if (r < 0)
		return r;
	return part__lun_read_fd(g, fd, path, ret, d);
}

int part_luns_read(const struct part_guard *g, char *const *paths, struct part_luns *ret,
		   struct diag *d)
{
	struct part_luns all = {0};
	size_t n = strv_length(paths);

	all.v = calloc(n + 1, sizeof(*all.v));
	if (!all.v)
		return -ENOMEM;
	for (; all.n < n; all.n++) {
		struct part_lun *l = &all.v[all.n];
		struct diag mine = DIAG_INIT;
		int r = part_lun_read(g, paths[all.n], l, &mine);

		if (r == -ENOMEM || (r < 0 && mine.n == 0)) {
			diag_release(&mine);
			part_luns_release(&all);
			return r;
		}
		if (r < 0) {
			/* keep the LUN with its reason; the planners decide what it means */
			*l = (struct part_lun){.error = r};
			l->path = strdup(paths[all.n]);
			l->error_text = strdup(mine.v[mine.n - 1].msg);
		}
		diag_release(&mine);
		if (!l->path || (l->error && !l->error_text)) {
			all.n++;
			part_luns_release(&all);
			return -ENOMEM;
		}
	}
	*ret = all;
	return 0;
}
