/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Find a partition's device node through sysfs: there is no udev on the target machines,
 * and the kernel only knows the partitions libfdisk told it about (BLKPG); tell it about one
 * it does not know (a table written on another Dom0, or a crash before libfdisk told it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/blkpg.h>
#include <linux/fs.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

static void closedirp(DIR **d)
{
	if (*d)
		(void) closedir(*d);
}

static int read_u64(const char *dir, const char *name, const char *file, uint64_t *ret)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;
	int r;

	if (asprintf(&path, "%s/%s/%s", dir, name, file) < 0)
		return -ENOMEM;
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = 0;
	return parse_u64(text, ret);
}

int part__sysfs_node(dev_t whole, unsigned partno, uint64_t start, uint64_t size, char **ret,
		     struct diag *d)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	char base[64];
	struct dirent *de;

	snprintf(base, sizeof(base), "/sys/dev/block/%u:%u", major(whole), minor(whole));
	dir = opendir(base);
	if (!dir)
		return diag_error_errno(d, NULL, -errno, "cannot read '%s'", base);
	while ((de = readdir(dir))) {
		_cleanup_(freep) char *node = NULL, *devfile = NULL, *devtext = NULL;
		uint64_t no, s, n;
		unsigned maj, min;
		struct stat st;
		int r;

		if (de->d_name[0] == '.' || read_u64(base, de->d_name, "partition", &no) < 0 ||
		    no != partno)
			continue;
		if (read_u64(base, de->d_name, "start", &s) < 0 ||
		    read_u64(base, de->d_name, "size", &n) < 0 || s * 512 != start ||
		    n * 512 != size) {
			diag_error(d, NULL,
				   "the kernel's partition %u of '%s' is not where the table says",
				   partno, base);
			return -ESTALE;
		}
		if (asprintf(&devfile, "%s/%s/dev", base, de->d_name) < 0 ||
		    asprintf(&node, "/dev/%s", de->d_name) < 0)
			return -ENOMEM;
		r = read_file(devfile, &devtext, NULL);
		if (r < 0)
			return diag_error_errno(d, NULL, r, "cannot read '%s'", devfile);
		if (sscanf(devtext, "%u:%u", &maj, &min) != 2)
			return diag_error(d, NULL, "cannot parse '%s'", devfile);
		if (stat(node, &st) < 0)
			return diag_error_errno(d, NULL, -errno, "partition node '%s' is missing",
						node);
		if (!S_ISBLK(st.st_mode) || st.st_rdev != makedev(maj, min)) {
			diag_error(d, NULL, "'%s' is not the device %u:%u", node, maj, min);
			return -ESTALE;
		}
		*ret = TAKE_PTR(node);
		return 0;
	}
	diag_error(d, NULL, "the kernel does not know partition %u of '%s'", partno, base);
	return -ENXIO;
}

int part__kernel_add(int fd, const char *path, unsigned partno, uint64_t start, uint64_t size,
		     struct diag *d)
{
	struct blkpg_partition part = {
		.start = (long long) start, .length = (long long) size, .pno = (int) partno};
	struct blkpg_ioctl_arg arg = {
		.op = BLKPG_ADD_PARTITION, .datalen = sizeof(part), .data = &part};

	if (ioctl(fd, BLKPG, &arg) < 0 && errno != EBUSY)
		return diag_error_errno(d, NULL, -errno,
					"cannot tell the kernel about partition %u of '%s'", partno,
					path);
	return 0;
}
