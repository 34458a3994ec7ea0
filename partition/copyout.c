/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A directory out of a guest's ext4 onto the host (FAI's logs after an install): the guard
 * and the partition here, the walk through the filesystem in ext2.c, and the writing on the
 * host here.
 *
 * The guest's filesystem is not trusted. Names come from ext2.c as single path components;
 * they are created only with *at() calls relative to directories made by this copy, with
 * O_NOFOLLOW and O_EXCL (mkdirat, symlinkat fail on anything already there), in a directory
 * that did not exist before: a symlink from the guest is written as a symlink and never
 * followed, whatever it points to. Sizes are capped before anything is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

struct out {
	int fds[PART_COPY_MAX_DEPTH + 2]; /* fds[0]: the new directory; fds[depth]: the current */
	unsigned depth;
	int fd; /* the file being written, or -1 */
	const char *name;
	int files;
	unsigned skipped;
	const char *dest;
	struct diag *d;
};

static int out_fail(struct out *o, const char *name, const char *what)
{
	return diag_error_errno(o->d, NULL, -errno, "cannot %s '%s' in the copy for '%s'", what,
				name, o->dest);
}

/* Never trust the walk alone: one plain component, or nothing is written. */
static int out_name_check(struct out *o, const char *name)
{
	if (!*name || streq(name, ".") || streq(name, "..") || strchr(name, '/'))
		return diag_error(o->d, NULL, "unsafe name '%s' in the copy for '%s'", name,
				  o->dest);
	return 0;
}

static int out_dir_begin(void *data, const char *name, unsigned mode)
{
	struct out *o = data;
	int at = o->fds[o->depth], fd, r;

	r = out_name_check(o, name);
	if (r < 0)
		return r;
	if (o->depth + 1 >= ELEMENTSOF(o->fds))
		return diag_error(o->d, NULL, "too deep: '%s' in the copy for '%s'", name, o->dest);
	if (mkdirat(at, name, 0700) < 0)
		return out_fail(o, name, "create directory");
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return out_fail(o, name, "open directory");
	o->fds[++o->depth] = fd;
	if (fchmod(fd, (mode & 0755) | 0700) < 0)
		return out_fail(o, name, "set the mode of");
	return 0;
}

static int out_dir_end(void *data)
{
	struct out *o = data;

	if (o->depth == 0)
		return -EINVAL;
	(void) close(o->fds[o->depth--]);
	return 0;
}

static int out_file_begin(void *data, const char *name, unsigned mode, _unused_ uint64_t size)
{
	struct out *o = data;
	int r = out_name_check(o, name);

	if (r < 0)
		return r;
	o->name = name;
	o->fd = openat(o->fds[o->depth], name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (o->fd < 0)
		return out_fail(o, name, "create");
	if (fchmod(o->fd, (mode & 0755) | 0600) < 0)
		return out_fail(o, name, "set the mode of");
	return 0;
}

static int out_file_data(void *data, const void *buf, size_t len)
{
	struct out *o = data;
	int r = write_all(o->fd, buf, len);

	if (r < 0)
		return diag_error_errno(o->d, NULL, r, "cannot write '%s' in the copy for '%s'",
					o->name, o->dest);
	return 0;
}

static int out_file_end(void *data)
{
	struct out *o = data;
	int fd = TAKE_FD(o->fd);

	if (close(fd) < 0)
		return out_fail(o, o->name, "write");
	o->files++;
	return 0;
}

static int out_symlink(void *data, const char *name, const char *target)
{
	struct out *o = data;
	int r = out_name_check(o, name);

	if (r < 0)
		return r;
	/* the target is data: written as it is, never resolved on the host */
	if (symlinkat(target, o->fds[o->depth], name) < 0)
		return out_fail(o, name, "create symlink");
	return 0;
}

static void out_skip(void *data)
{
	struct out *o = data;

	o->skipped++;
}

static void out_close(struct out *o)
{
	if (o->fd >= 0)
		(void) close(TAKE_FD(o->fd));
	for (unsigned i = 0; i <= o->depth; i++)
		if (o->fds[i] >= 0)
			(void) close(o->fds[i]);
	o->depth = 0;
	o->fds[0] = -1;
}

/* The finished copy tmp becomes dest; an old dest is swapped out and removed. */
static int out_replace(const char *tmp, const char *dest, struct diag *d)
{
	int r;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST && renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) == 0) {
		(void) rm_rf_at(AT_FDCWD, tmp); /* the old copy now */
		return 0;
	}
	if (errno != EINVAL)
		return diag_error_errno(d, NULL, -errno, "cannot rename '%s' to '%s'", tmp, dest);
	/* a filesystem without renameat2's flags */
	r = rm_rf_at(AT_FDCWD, dest);
	if (r >= 0 && rename(tmp, dest) < 0)
		r = -errno;
	return r < 0 ? diag_error_errno(d, NULL, r, "cannot replace '%s'", dest) : 0;
}

/*
 * The guest wrote through blkback, past the Dom0's page cache of the partition: what the cache
 * holds from our own mkfs is stale. Clean pages are dropped; there are no dirty ones (mke2fs
 * syncs).
 */
static void drop_cache(const char *node)
{
	int fd = open(node, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* the walk says why */
	(void) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	(void) close(fd);
}

int part_fs_copy_out(const struct part_guard *g, const char *lun, const char *partuuid,
		     const char *guest, const char *src, const char *dest_dir, struct diag *d)
{
	static const struct part__fs_limits lim = {
		.max_bytes = PART_COPY_MAX_BYTES,
		.max_entries = PART_COPY_MAX_ENTRIES,
		.max_depth = PART_COPY_MAX_DEPTH,
	};
	_cleanup_(freep) char *dest = NULL, *tmp = NULL;
	struct out o = {.fd = -1, .d = d};
	struct part_result res = {0};
	struct part__region rg;
	size_t len;
	int r;

	if (!guest || !hostname_label_valid(guest))
		return diag_error(d, NULL, "invalid guest name '%s'", guest ? guest : "");
	if (!dest_dir || !*dest_dir)
		return diag_error(d, NULL, "no directory to copy '%s' to", src ? src : "");
	dest = strdup(dest_dir);
	if (!dest)
		return -ENOMEM;
	for (len = strlen(dest); len > 1 && dest[len - 1] == '/'; len--)
		dest[len - 1] = 0; /* "fai/": the new directory goes beside it, not inside */
	o.dest = dest;
	r = part__guest_partition(g, lun, partuuid, guest, "read", &res, d);
	if (r < 0)
		return r;
	rg = part__result_region(&res);
	if (res.node)
		drop_cache(res.node);
	if (asprintf(&tmp, "%s.new-XXXXXX", dest) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	if (!mkdtemp(tmp)) {
		r = diag_error_errno(d, NULL, -errno, "cannot create a directory beside '%s'",
				     dest);
		free(TAKE_PTR(tmp));
		goto out;
	}
	o.fds[0] = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o.fds[0] < 0)
		r = diag_error_errno(d, NULL, -errno, "cannot open '%s'", tmp);
	if (r >= 0)
		r = part__fs_walk(&rg, src, &lim,
				  &(struct part__fs_sink){
					  .dir_begin = out_dir_begin,
					  .dir_end = out_dir_end,
					  .file_begin = out_file_begin,
					  .file_data = out_file_data,
					  .file_end = out_file_end,
					  .symlink = out_symlink,
					  .skip = out_skip,
					  .data = &o,
				  },
				  d);
	out_close(&o);
	if (r >= 0)
		r = out_replace(tmp, dest, d);
out:
	if (r < 0 && tmp)
		(void) rm_rf_at(AT_FDCWD, tmp);
	if (r >= 0 && o.skipped)
		diag_add(
			d, DIAG_WARNING, NULL,
			"left out %u entries under '%s' of guest '%s' (devices, FIFOs, sockets or unsafe names)",
			o.skipped, src, guest);
	part_result_release(&res);
	return r < 0 ? r : o.files;
}
