/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext4 through mke2fs (run from an argv, never a shell). On an image file the partition is a
 * byte range: mke2fs gets the offset (-E offset=) and the size, and never discards (a discard
 * on a file punches holes, and the range is all mke2fs may touch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/macro.h"
#include "common/run.h"
#include "partition/partition-internal.h"

int part__mkfs_ext4(const struct part__region *rg, const char *label, const char *uuid,
		    struct diag *d)
{
	/* die_with_parent: a provision killed during format leaves no mke2fs writing the LUN */
	struct run_child c = {.die_with_parent = true,
			      .err = {.io = RUN_PIPE, .cap = 8192, .keep_tail = true}};
	char ext[64], blocks[32];
	char *argv[16];
	size_t n = 0;
	int r;

	snprintf(ext, sizeof(ext), "offset=%llu,nodiscard", (unsigned long long) rg->offset);
	snprintf(blocks, sizeof(blocks), "%lluk", (unsigned long long) (rg->size / 1024));
	argv[n++] = "mke2fs";
	argv[n++] = "-q";
	argv[n++] = "-F";
	argv[n++] = "-t";
	argv[n++] = "ext4";
	argv[n++] = "-b";
	argv[n++] = "4096";
	argv[n++] = "-L";
	argv[n++] = (char *) label;
	if (uuid) {
		argv[n++] = "-U";
		argv[n++] = (char *) uuid;
	}
	if (rg->offset) {
		argv[n++] = "-E";
		argv[n++] = ext;
	}
	argv[n++] = (char *) rg->path;
	argv[n++] = blocks;
	argv[n] = NULL;
	c.argv = argv;
	r = run_command(&c);
	if (r < 0) {
		run_child_release(&c);
		return diag_error_errno(d, NULL, r, "cannot run 'mke2fs'");
	}
	if (r > 0) {
		const char *err = strbuf_str(&c.err.buf);
		int len = (int) strlen(err);

		while (len > 0 && err[len - 1] == '\n')
			len--;
		diag_error(d, NULL, "cannot make ext4 on '%s' at offset %llu: mke2fs: %.*s",
			   rg->path, (unsigned long long) rg->offset, len ? len : 6,
			   len ? err : "failed");
		r = -EIO;
	}
	run_child_release(&c);
	return r;
}
