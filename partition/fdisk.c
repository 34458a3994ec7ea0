/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libfdisk edge: read a LUN's table into a snapshot, and write a finished plan's table
 * changes. The only file that includes <libfdisk.h>. Every start and size comes from the plan
 * (chosen from fdisk_get_freespaces by the planner); sizes are explicit so libfdisk never
 * shrinks a request, and the label is verified before it is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfdisk.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "partition/partition-internal.h"

#define GPT_TYPE_LINUX_FS "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

static void fdisk_unref_contextp(struct fdisk_context **c)
{
	fdisk_unref_context(*c);
}

static void fdisk_unref_tablep(struct fdisk_table **t)
{
	fdisk_unref_table(*t);
}

static void fdisk_unref_partitionp(struct fdisk_partition **p)
{
	fdisk_unref_partition(*p);
}

static void fdisk_free_iterp(struct fdisk_iter **i)
{
	fdisk_free_iter(*i);
}

/* Warnings libfdisk prints (verify problems, ...) are collected instead of printed. */
static int ask_collect(struct fdisk_context *cxt, struct fdisk_ask *ask, void *data)
{
	struct strbuf *sb = data;
	const char *m;

	if (!fdisk_is_ask(ask, WARN) && !fdisk_is_ask(ask, WARNX))
		return 0;
	m = fdisk_ask_print_get_mesg(ask);
	if (m) {
		if (sb->len)
			strbuf_puts(sb, "; ");
		strbuf_puts(sb, m);
	}
	return 0;
}

static int context_open(int fd, const char *path, bool readonly, struct strbuf *warnings,
			struct fdisk_context **ret, struct diag *d)
{
	_cleanup_(fdisk_unref_contextp) struct fdisk_context *c = fdisk_new_context();
	int r;

	if (!c)
		return -ENOMEM;
	fdisk_set_ask(c, ask_collect, warnings);
	/* the fd stays ours: libfdisk does not close a device assigned by fd */
	r = fdisk_assign_device_by_fd(c, fd, path, readonly);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot read the partition table of '%s'",
					path);
	*ret = TAKE_PTR(c);
	return 0;
}

static enum part_label_type label_type(struct fdisk_context *c)
{
	if (!fdisk_has_label(c))
		return PART_LABEL_NONE;
	if (fdisk_is_label(c, GPT))
		return PART_LABEL_GPT;
	if (fdisk_is_label(c, DOS))
		return PART_LABEL_DOS;
	return PART_LABEL_OTHER;
}

static int read_parts(struct fdisk_context *c, struct part_lun *l)
{
	_cleanup_(fdisk_unref_tablep) struct fdisk_table *tb = NULL;
	_cleanup_(fdisk_free_iterp) struct fdisk_iter *it = fdisk_new_iter(FDISK_ITER_FORWARD);
	struct fdisk_partition *pa;
	unsigned ss = l->sector_size;
	int r;

	if (!it)
		return -ENOMEM;
	r = fdisk_get_partitions(c, &tb);
	if (r < 0)
		return r;
	l->parts = calloc(fdisk_table_get_nents(tb) + 1, sizeof(*l->parts));
	if (!l->parts)
		return -ENOMEM;
	while (fdisk_table_next_partition(tb, it, &pa) == 0) {
		struct part_entry *e = &l->parts[l->n_parts];
		const char *name = fdisk_partition_get_name(pa);
		const char *uuid = fdisk_partition_get_uuid(pa);

		if (!fdisk_partition_has_partno(pa) || !fdisk_partition_has_start(pa) ||
		    !fdisk_partition_has_size(pa))
			continue;
		*e = (struct part_entry){
			.partno = (unsigned) fdisk_partition_get_partno(pa) + 1,
			.start = fdisk_partition_get_start(pa) * ss,
			.size = fdisk_partition_get_size(pa) * ss,
		};
		l->n_parts++;
		e->name = strdup(name ? name : "");
		e->uuid = uuid ? strdup(uuid) : NULL;
		if (!e->name || (uuid && !e->uuid))
			return -ENOMEM;
	}
	fdisk_reset_iter(it, FDISK_ITER_FORWARD);
	fdisk_unref_table(tb);
	tb = NULL;
	r = fdisk_get_freespaces(c, &tb);
	if (r < 0)
		return r;
	l->free = calloc(fdisk_table_get_nents(tb) + 1, sizeof(*l->free));
	if (!l->free)
		return -ENOMEM;
	while (fdisk_table_next_partition(tb, it, &pa) == 0) {
		if (!fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa))
			continue;
		l->free[l->n_free++] = (struct part_segment){
			.start = fdisk_partition_get_start(pa) * ss,
			.size = fdisk_partition_get_size(pa) * ss,
		};
	}
	return 0;
}

int part__fdisk_read(int fd, const char *path, struct part_lun *l, struct diag *d)
{
	_cleanup_(fdisk_unref_contextp) struct fdisk_context *c = NULL;
	struct strbuf warnings = STRBUF_INIT;
	struct stat st;
	int r;

	r = context_open(fd, path, true, &warnings, &c, d);
	if (r < 0)
		goto out;
	l->is_block = fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
	l->sector_size = (unsigned) fdisk_get_sector_size(c);
	l->size = fdisk_get_nsectors(c) * l->sector_size;
	l->label = label_type(c);
	if (l->label == PART_LABEL_NONE)
		goto out;
	/* libfdisk marks a GPT it had to rebuild from one copy as changed (gpt_probe_label) */
	l->recovered =
		l->label == PART_LABEL_GPT && fdisk_label_is_changed(fdisk_get_label(c, NULL));
	l->first_usable = fdisk_get_first_lba(c) * l->sector_size;
	l->end_usable = (fdisk_get_last_lba(c) + 1) * l->sector_size;
	l->max_parts = fdisk_get_npartitions(c);
	if (l->label == PART_LABEL_GPT) {
		r = fdisk_get_disklabel_id(c, &l->id);
		if (r < 0)
			goto fail;
	}
	r = read_parts(c, l);
	if (r < 0)
		goto fail;
	r = fdisk_verify_disklabel(c);
	if (r < 0)
		goto fail;
	l->n_verify_errors = (unsigned) r;
	r = 0;
	goto out;
fail:
	diag_error_errno(d, NULL, r, "cannot read the partition table of '%s'", path);
out:
	strbuf_release(&warnings);
	return r;
}

static int step_partition(struct fdisk_context *c, const struct part_step *s, unsigned ss,
			  struct fdisk_partition **ret)
{
	_cleanup_(fdisk_unref_partitionp) struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *t;
	int r;

	if (!pa)
		return -ENOMEM;
	r = fdisk_partition_set_name(pa, s->name);
	if (r < 0 || !s->create) {
		*ret = TAKE_PTR(pa);
		return r;
	}
	t = fdisk_label_get_parttype_from_string(fdisk_get_label(c, NULL), GPT_TYPE_LINUX_FS);
	if (!t)
		return -EINVAL;
	r = fdisk_partition_set_type(pa, t);
	fdisk_unref_parttype(t);
	if (r < 0)
		return r;
	/* all explicit: otherwise libfdisk silently shrinks a size that does not fit */
	r = fdisk_partition_set_partno(pa, s->partno - 1);
	if (r >= 0)
		r = fdisk_partition_set_start(pa, s->start / ss);
	if (r >= 0)
		r = fdisk_partition_set_size(pa, s->size / ss);
	if (r >= 0)
		r = fdisk_partition_size_explicit(pa, 1);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(pa);
	return 0;
}

/* Read the table back from the device and check each step landed as planned. */
static int read_back(int fd, const char *path, const struct part_step *steps, size_t n,
		     struct diag *d)
{
	struct part_lun l = {0};
	int r;

	r = part__fdisk_read(fd, path, &l, d);
	if (r < 0)
		goto out;
	r = l.label == PART_LABEL_GPT && !l.n_verify_errors ? 0 : -EIO;
	for (size_t i = 0; i < n && r == 0; i++) {
		bool ok = false;

		if (steps[i].remove)
			ok = true;
		for (size_t k = 0; k < l.n_parts; k++)
			if (l.parts[k].partno == steps[i].partno && steps[i].remove)
				ok = false;
			else if (l.parts[k].partno == steps[i].partno)
				ok = l.parts[k].start == steps[i].start &&
				     l.parts[k].size == steps[i].size &&
				     strcmp(l.parts[k].name, steps[i].name) == 0;
		if (!ok)
			r = -EIO;
	}
	if (r < 0)
		diag_error(d, NULL,
			   "the partition table read back from '%s' is not what was written", path);
out:
	part_lun_release(&l);
	return r;
}

int part__fdisk_write(int fd, const char *path, bool create_gpt, const struct part_step *steps,
		      size_t n_steps, struct diag *d)
{
	_cleanup_(fdisk_unref_contextp) struct fdisk_context *c = NULL;
	_cleanup_(fdisk_unref_tablep) struct fdisk_table *orig = NULL;
	struct strbuf warnings = STRBUF_INIT;
	struct stat st;
	unsigned ss;
	int r;

	r = context_open(fd, path, false, &warnings, &c, d);
	if (r < 0)
		goto out;
	ss = (unsigned) fdisk_get_sector_size(c);
	if (create_gpt) {
		r = fdisk_create_disklabel(c, "gpt");
		if (r < 0) {
			diag_error_errno(d, NULL, r, "cannot create a GPT label on '%s'", path);
			goto out;
		}
	} else if (!fdisk_is_label(c, GPT)) {
		r = diag_error(d, NULL, "LUN '%s' has no GPT label", path);
		goto out;
	}
	r = fdisk_get_partitions(c, &orig);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_steps; i++) {
		_cleanup_(fdisk_unref_partitionp) struct fdisk_partition *pa = NULL;
		const struct part_step *s = &steps[i];
		size_t partno;

		if (s->remove) {
			r = fdisk_delete_partition(c, s->partno - 1);
			if (r < 0) {
				diag_error_errno(d, NULL, r, "cannot delete partition %u on '%s'",
						 s->partno, path);
				goto out;
			}
			continue;
		}
		r = step_partition(c, s, ss, &pa);
		if (r >= 0 && s->create)
			r = fdisk_add_partition(c, pa, &partno);
		else if (r >= 0)
			r = fdisk_set_partition(c, s->partno - 1, pa);
		if (r >= 0 && s->create && partno != s->partno - 1)
			r = -EIO;
		if (r < 0) {
			diag_error_errno(d, NULL, r, "cannot %s partition %u on '%s'%s%s",
					 s->create ? "add" : "rename", s->partno, path,
					 warnings.len ? ": " : "", strbuf_str(&warnings));
			goto out;
		}
	}
	r = fdisk_verify_disklabel(c);
	if (r != 0) {
		diag_error(d, NULL, "refusing to write the partition table of '%s': %s", path,
			   warnings.len ? strbuf_str(&warnings) : "fdisk_verify_disklabel failed");
		r = -EUCLEAN;
		goto out;
	}
	r = fdisk_write_disklabel(c);
	if (r < 0) {
		diag_error_errno(d, NULL, r, "cannot write the partition table of '%s'", path);
		goto out;
	}
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		/* the kernel here cannot parse GPT itself: tell it each change (BLKPG) */
		r = fdisk_reread_changes(c, orig);
		if (r < 0) {
			diag_error_errno(d, NULL, r,
					 "cannot tell the kernel about the new partitions of '%s'",
					 path);
			goto out;
		}
	}
	r = read_back(fd, path, steps, n_steps, d);
out:
	strbuf_release(&warnings);
	return r;
}
