/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The safety rules, in one place. Nothing in partition/ opens a device for writing or touches
 * a partition's bytes except through these functions:
 *   1. a device is written only if it is one of the LUNs the caller listed, compared by device
 *      number (block devices: st_rdev; image files: st_dev + st_ino), on the opened fd;
 *   2. a partition holding any signature (filesystem, RAID, LVM, swap, partition table) is
 *      refused unless the owner callback says it belongs to the guest in question.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

static int find_lun(const struct part_guard *g, const struct stat *st)
{
	for (size_t i = 0; g->luns && g->luns[i]; i++) {
		struct stat lst;

		if (stat(g->luns[i], &lst) == 0 && stat_same_device(st, &lst))
			return (int) i;
	}
	return -EPERM;
}

int part_guard_find(const struct part_guard *g, const char *dev, struct diag *d)
{
	struct stat st;
	int r;

	if (stat(dev, &st) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot access '%s'", dev);
	r = find_lun(g, &st);
	if (r < 0)
		diag_error(d, NULL, "'%s' is not one of the site's LUNs", dev);
	return r;
}

int part__lun_open(const struct part_guard *g, const char *path, bool write, int *ret_fd,
		   struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;

	if (write) {
		/* checked before the open and again on the fd we got */
		if (stat(path, &st) < 0)
			return diag_error_errno(d, NULL, -errno, "cannot open '%s'", path);
		if (find_lun(g, &st) < 0)
			goto refuse;
	}
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot stat '%s'", path);
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return diag_error(d, NULL, "'%s' is neither a block device nor an image file",
				  path);
	/*
	 * A LUN is shared by several Dom0s, each with its own page cache of it: what this kernel
	 * read before (the GPT at boot) may be stale since another Dom0 wrote. Drop the clean
	 * cached pages so that the table is read from the disk (no privilege needed, unlike
	 * BLKFLSBUF); without, the second Dom0 of the lab may read the empty GPT it cached at boot.
	 */
	if (S_ISBLK(st.st_mode))
		(void) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (write && find_lun(g, &st) < 0)
		goto refuse;
	*ret_fd = TAKE_FD(fd);
	return 0;
refuse:
	diag_error(d, NULL, "refusing to write to '%s': it is not one of the site's LUNs", path);
	return -EPERM;
}

int part__sig_check(const struct part_guard *g, const char *lun, const struct part_entry *p,
		    const char *guest, const struct part_signature *sig, struct diag *d)
{
	_cleanup_(freep) char *owner = NULL;
	part_owner_fn fn = g->owner ? g->owner : part_owner_by_name;
	int r;

	r = fn(g->owner_data, lun, p, &owner);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot tell who owns partition %u on '%s'",
					p->partno, lun);
	if (r > 0 && guest && streq(owner, guest)) {
		r = g->fs_owner ? g->fs_owner(g->owner_data, lun, p, guest, sig) : 1;
		if (r < 0)
			return diag_error_errno(
				d, NULL, r, "cannot tell who made the %s in partition %u on '%s'",
				sig->type, p->partno, lun);
		if (r > 0)
			return 0;
		diag_error(
			d, NULL,
			"partition %u on '%s' ('%s') holds %s%s%s that provision did not make for guest '%s', refusing to touch it",
			p->partno, lun, p->name, sig->type, sig->uuid ? " UUID " : "",
			sig->uuid ? sig->uuid : "", guest);
		return -EBUSY;
	}
	if (p->partno && p->name && *p->name)
		diag_error(
			d, NULL,
			"partition %u on '%s' ('%s') holds a signature (%s) and does not belong to guest '%s', refusing to touch it",
			p->partno, lun, p->name, sig->type, guest ? guest : "");
	else
		diag_error(
			d, NULL,
			"the space for partition %u on '%s' holds a signature (%s), refusing to touch it",
			p->partno, lun, sig->type);
	return -EBUSY;
}

int part__region_check(const struct part_guard *g, const char *lun, const struct part_entry *p,
		       const struct part__region *region, const char *guest, struct diag *d)
{
	struct part_signature sig = {0};
	int r;

	r = part__blkid_probe_sig(region, &sig, d);
	if (r >= 0 && sig.type)
		r = part__sig_check(g, lun, p, guest, &sig, d);
	part_signature_release(&sig);
	return r;
}
