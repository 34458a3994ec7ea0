/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A lock file: flock(2) on a file that is made when missing (lock_file(), util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/util.h"

int lock_file(const char *path, bool wait, struct diag *d)
{
	int fd, r;

	/* the first run on a host makes state_dir: the lock may come before anything else */
	r = mkdir_parents(path, 0750);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot create the directory of '%s'", path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", path);
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int e = -errno;

		if (e == -EINTR)
			continue;
		(void) close(fd);
		if (e == -EWOULDBLOCK)
			return e;
		return diag_error_errno(d, NULL, e, "cannot lock '%s'", path);
	}
	return fd;
}
