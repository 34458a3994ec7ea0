/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libblkid edge: find and erase signatures (filesystems, RAID, LVM, swap, partition
 * tables) in a region of a LUN. The only file that includes <blkid.h>.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkid.h>

#include "common/macro.h"
#include "partition/partition-internal.h"

static void blkid_free_probep(blkid_probe *pr)
{
	if (*pr)
		blkid_free_probe(*pr);
}

/* A probe over the region that reports every signature, also ones with bad checksums. */
static int probe_new(const struct part__region *rg, bool write, int *ret_fd, blkid_probe *ret,
		     struct diag *d)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	_cleanup_(closep) int fd = -1;
	int fd_use = rg->fd;

	if (fd_use < 0) {
		fd = open(rg->path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (fd < 0)
			return diag_error_errno(d, NULL, -errno, "cannot open '%s'", rg->path);
		fd_use = fd;
	}
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd_use, (blkid_loff_t) rg->offset, (blkid_loff_t) rg->size) <
	    0)
		return diag_error(d, NULL, "cannot probe '%s' at offset %llu", rg->path,
				  (unsigned long long) rg->offset);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
						      BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	*ret_fd = TAKE_FD(fd);
	*ret = TAKE_PTR(pr);
	return 0;
}

static const char *probe_type(blkid_probe pr)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && v)
		return v;
	if (blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0 && v)
		return v;
	return "unknown";
}

int part__blkid_probe(const struct part__region *rg, char **ret_type, struct diag *d)
{
	return part__blkid_probe_label(rg, ret_type, NULL, d);
}

int part__blkid_probe_label(const struct part__region *rg, char **ret_type, char **ret_label,
			    struct diag *d)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) char *label = NULL;
	const char *v = NULL;
	char *type = NULL;
	int r;

	r = probe_new(rg, false, &fd, &pr, d);
	if (r < 0)
		return r;
	/* blkid_do_probe, unlike safeprobe, walks every signature, ambivalent ones too */
	r = blkid_do_probe(pr);
	if (r < 0)
		return diag_error(d, NULL, "cannot probe '%s' at offset %llu", rg->path,
				  (unsigned long long) rg->offset);
	if (r == 0 && ret_label && blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 && v) {
		label = strdup(v);
		if (!label)
			return -ENOMEM;
	}
	if (r == 0) {
		type = strdup(probe_type(pr));
		if (!type)
			return -ENOMEM;
	}
	*ret_type = type;
	if (ret_label)
		*ret_label = TAKE_PTR(label);
	return 0;
}

int part__blkid_wipe(const struct part__region *rg, struct diag *d)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	_cleanup_(closep) int fd = -1;
	int r;

	r = probe_new(rg, true, &fd, &pr, d);
	if (r < 0)
		return r;
	while ((r = blkid_do_probe(pr)) == 0) {
		const char *type = probe_type(pr);

		if (blkid_do_wipe(pr, 0) < 0)
			return diag_error_errno(
				d, NULL, errno ? -errno : -EIO,
				"cannot wipe the %s signature in '%s' at offset %llu", type,
				rg->path, (unsigned long long) rg->offset);
	}
	if (r < 0)
		return diag_error(d, NULL, "cannot probe '%s' at offset %llu", rg->path,
				  (unsigned long long) rg->offset);
	if (fsync(fd >= 0 ? fd : rg->fd) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot sync '%s'", rg->path);
	return 0;
}
