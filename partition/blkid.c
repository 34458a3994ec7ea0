/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libblkid edge: find and erase signatures (filesystems, RAID, LVM, swap, partition
 * tables) in a region of a LUN. The only file that includes <blkid.h>.
 */
#include <ctype.h>
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
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
						      BLKID_SUBLKS_UUID | BLKID_SUBLKS_USAGE |
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
	struct part_signature sig = {0};
	int r = part__blkid_probe_sig(rg, &sig, d);

	if (r < 0)
		return r;
	*ret_type = TAKE_PTR(sig.type);
	part_signature_release(&sig);
	return 0;
}

/* Value name of pr in *ret (NULL when it has none), lower-cased for UUIDs. */
static int probe_value(blkid_probe pr, const char *name, char **ret)
{
	const char *v = NULL;

	*ret = NULL;
	if (blkid_probe_lookup_value(pr, name, &v, NULL) != 0 || !v)
		return 0;
	*ret = strdup(v);
	if (!*ret)
		return -ENOMEM;
	if (streq(name, "UUID"))
		for (char *c = *ret; *c; c++)
			*c = (char) tolower((unsigned char) *c);
	return 0;
}

int part__blkid_probe_sig(const struct part__region *rg, struct part_signature *ret, struct diag *d)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	_cleanup_(closep) int fd = -1;
	struct part_signature sig = {0};
	int r;

	r = probe_new(rg, false, &fd, &pr, d);
	if (r < 0)
		return r;
	/* blkid_do_probe, unlike safeprobe, walks every signature, ambivalent ones too */
	r = blkid_do_probe(pr);
	if (r < 0)
		return diag_error(d, NULL, "cannot probe '%s' at offset %llu", rg->path,
				  (unsigned long long) rg->offset);
	if (r == 0) {
		sig.type = strdup(probe_type(pr));
		if (!sig.type || probe_value(pr, "UUID", &sig.uuid) < 0 ||
		    probe_value(pr, "LABEL", &sig.label) < 0) {
			part_signature_release(&sig);
			return -ENOMEM;
		}
	}
	*ret = sig;
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
