/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The site's stable names of partitions. The node the kernel gives a partition (/dev/sdb3)
 * differs between Dom0s; configs name it through the LUN's stable path instead
 * (/dev/fc/fc-p1d1 -> /dev/fc/fc-p1d1p13), which each Dom0 resolves to its own node. With
 * no udev here, provision makes that name a symlink to the node.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "partition/partition-internal.h"

int part_alias_path(const char *lun, unsigned partno, char **ret)
{
	size_t n = strlen(lun);
	bool digit = n && lun[n - 1] >= '0' && lun[n - 1] <= '9';

	if (!partno || !n)
		return -EINVAL;
	if (asprintf(ret, "%s%s%u", lun, digit ? "p" : "", partno) < 0)
		return -ENOMEM;
	return 0;
}

/* Create alias -> node, replacing a symlink that is there (rename() is atomic). */
static int link_replace(const char *alias, const char *node, struct diag *d)
{
	_cleanup_(freep) char *tmp = NULL;

	if (asprintf(&tmp, "%s.provision-tmp", alias) < 0)
		return -ENOMEM;
	(void) unlink(tmp);
	if (symlink(node, tmp) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot create the symlink '%s'", tmp);
	if (rename(tmp, alias) < 0) {
		int r = -errno;

		(void) unlink(tmp);
		return diag_error_errno(d, NULL, r, "cannot create the symlink '%s'", alias);
	}
	return 0;
}

int part_alias_ensure(const char *lun, unsigned partno, const char *node, char **ret_path,
		      struct diag *d)
{
	_cleanup_(freep) char *alias = NULL;
	struct stat nst, ast;
	int r;

	if (!node || stat(node, &nst) < 0 || !S_ISBLK(nst.st_mode)) {
		diag_error(d, NULL, "'%s' is not a block device, no stable name for it",
			   node ? node : "(none)");
		return -ENOTBLK;
	}
	r = part_alias_path(lun, partno, &alias);
	if (r < 0)
		return r;
	if (lstat(alias, &ast) == 0) {
		struct stat tst;

		if (S_ISBLK(ast.st_mode) && ast.st_rdev == nst.st_rdev)
			goto done; /* the kernel's name itself, or a node for the same device */
		if (!S_ISLNK(ast.st_mode)) {
			diag_error(d, NULL,
				   "'%s' exists and is not a symlink, refusing to point it at '%s'",
				   alias, node);
			return -EEXIST;
		}
		if (stat(alias, &tst) == 0 && S_ISBLK(tst.st_mode) && tst.st_rdev == nst.st_rdev)
			goto done;
	} else if (errno != ENOENT) {
		return diag_error_errno(d, NULL, -errno, "cannot access '%s'", alias);
	}
	r = link_replace(alias, node, d);
	if (r < 0)
		return r;
done:
	if (ret_path)
		*ret_path = TAKE_PTR(alias);
	return 0;
}

int part_alias_remove(const char *lun, unsigned partno, struct diag *d)
{
	_cleanup_(freep) char *alias = NULL;
	struct stat st;
	int r;

	r = part_alias_path(lun, partno, &alias);
	if (r < 0)
		return r;
	if (lstat(alias, &st) < 0)
		return errno == ENOENT
			       ? 0
			       : diag_error_errno(d, NULL, -errno, "cannot access '%s'", alias);
	if (!S_ISLNK(st.st_mode))
		return 0;
	if (unlink(alias) < 0 && errno != ENOENT)
		return diag_error_errno(d, NULL, -errno, "cannot remove '%s'", alias);
	return 0;
}
