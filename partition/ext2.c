/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libext2fs edge: write /swapfile into an unmounted ext4, on a block device or at an
 * offset in an image file. The only file that includes <ext2fs/ext2fs.h>.
 *
 * The file is allocated with EXT2_FALLOCATE_FORCE_INIT: initialized extents and no holes,
 * because some dom0 kernels refuse swap files with unwritten extents. Its blocks are not
 * zeroed (as with mkswap on a preallocated file): only the header page is written.
 *
 * And read a directory tree out of it, read-only, for part_fs_copy_out(): the entries go to
 * a sink (copyout.c writes them on the host); nothing here follows a symlink out of the
 * filesystem or passes on a name that is not one plain path component.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <et/com_err.h>
#include <ext2fs/ext2fs.h>

#include "common/macro.h"
#include "partition/partition-internal.h"

#define SWAPFILE_NAME "swapfile"
#define PAGE_BYTES    4096 /* x86 guests */

/* On errors nothing is flushed: what is written at all is written by ext2fs_close_free(). */
static void ext2fs_freep(ext2_filsys *fs)
{
	if (*fs)
		ext2fs_free(*fs);
}

/* errcode_t below 256 are errnos; the rest are libext2fs's own. */
static int ext2_err(errcode_t e)
{
	return e > 0 && e < 256 ? -(int) e : -EIO;
}

static int fail(struct diag *d, errcode_t e, const char *what, const struct part__region *rg)
{
	diag_error(d, NULL, "cannot %s in '%s' at offset %llu: %s", what, rg->path,
		   (unsigned long long) rg->offset, error_message(e));
	return ext2_err(e);
}

static errcode_t swap_inode(ext2_filsys fs, uint64_t size, ext2_ino_t *ret)
{
	struct ext2_inode inode;
	blk64_t nblocks = size / fs->blocksize;
	ext2_ino_t ino;
	errcode_t e;

	e = ext2fs_new_inode(fs, EXT2_ROOT_INO, LINUX_S_IFREG | 0600, NULL, &ino);
	if (e)
		return e;
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = LINUX_S_IFREG | 0600;
	inode.i_links_count = 1;
	inode.i_atime = inode.i_ctime = inode.i_mtime = (uint32_t) time(NULL);
	if (ext2fs_has_feature_extents(fs->super))
		inode.i_flags |= EXT4_EXTENTS_FL;
	e = ext2fs_write_new_inode(fs, ino, &inode);
	if (e)
		return e;
	e = ext2fs_fallocate(fs, EXT2_FALLOCATE_FORCE_INIT, ino, &inode, ~0ULL, 0, nblocks);
	if (e)
		return e;
	/* fallocate keeps i_blocks in our copy: write that one, do not read the inode back */
	e = ext2fs_inode_size_set(fs, &inode, size);
	if (!e)
		e = ext2fs_write_inode(fs, ino, &inode);
	if (e)
		return e;
	e = ext2fs_link(fs, EXT2_ROOT_INO, SWAPFILE_NAME, ino, EXT2_FT_REG_FILE);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, EXT2_ROOT_INO);
		if (!e)
			e = ext2fs_link(fs, EXT2_ROOT_INO, SWAPFILE_NAME, ino, EXT2_FT_REG_FILE);
	}
	if (!e)
		*ret = ino;
	return e;
}

/*
 * The swap file's UUID, drawn from the filesystem's (new at every mke2fs): a header carrying
 * it was written into this filesystem, and not left in the same blocks by an earlier format
 * of the same place on the LUN (mke2fs does not clear data blocks, and a new filesystem puts
 * /swapfile where the last one had it).
 */
static void swap_uuid(ext2_filsys fs, uint8_t ret[16])
{
	static const uint8_t mix[16] = "provision swap!";

	for (int i = 0; i < 16; i++)
		ret[i] = fs->super->s_uuid[i] ^ mix[i];
	ret[6] = (ret[6] & 0x0f) | 0x40; /* version 4 */
	ret[8] = (ret[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}

/*
 * The swap header goes into the file's first page after libext2fs has flushed everything
 * (inode, extents, bitmaps, group descriptors, superblock), straight into its blocks: the
 * header is the last write of a format, so a complete header (part__swapfile_stat) means a
 * complete filesystem, and a format killed anywhere before it is one the stage makes again.
 */
static int write_header(const struct part__region *rg, const void *page, const blk64_t *pblk,
			unsigned n, unsigned blocksize, struct diag *d)
{
	_cleanup_(closep) int fd = open(rg->path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", rg->path);
	for (unsigned i = 0; i < n; i++) {
		ssize_t k = pwrite(fd, (const uint8_t *) page + (size_t) i * blocksize, blocksize,
				   (off_t) (rg->offset + pblk[i] * blocksize));

		if (k != (ssize_t) blocksize)
			return diag_error_errno(
				d, NULL, k < 0 ? -errno : -EIO,
				"cannot write the swap header in '%s' at offset %llu", rg->path,
				(unsigned long long) rg->offset);
	}
	if (fsync(fd) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot write '%s'", rg->path);
	return 0;
}

int part__swapfile_create(const struct part__region *rg, uint64_t size, const char *label,
			  struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	char opts[64];
	uint8_t page[PAGE_BYTES], uuid[16];
	blk64_t pblk[PAGE_BYTES / EXT2_MIN_BLOCK_SIZE];
	unsigned bs;
	ext2_ino_t ino;
	errcode_t e;
	int r;

	snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long) rg->offset);
	initialize_ext2_error_table();
	e = ext2fs_open2(rg->path, opts, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			 &fs);
	if (e)
		return fail(d, e, "open the ext4 filesystem", rg);
	swap_uuid(fs, uuid);
	r = part__swap_header(page, sizeof(page), size, uuid, label);
	if (r < 0)
		return diag_error(d, NULL, "invalid swap file size %llu",
				  (unsigned long long) size);
	if (size % fs->blocksize || PAGE_BYTES % fs->blocksize)
		return diag_error(d, NULL, "swap file size %llu does not suit block size %u",
				  (unsigned long long) size, fs->blocksize);
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, SWAPFILE_NAME, &ino);
	if (!e) {
		diag_error(d, NULL, "'/%s' already exists in '%s' at offset %llu", SWAPFILE_NAME,
			   rg->path, (unsigned long long) rg->offset);
		return -EEXIST;
	}
	e = ext2fs_read_bitmaps(fs);
	if (e)
		return fail(d, e, "read the bitmaps", rg);
	e = swap_inode(fs, size, &ino);
	if (e)
		return fail(d, e, "allocate /" SWAPFILE_NAME, rg);
	bs = fs->blocksize;
	for (unsigned i = 0; i < PAGE_BYTES / bs; i++) {
		e = ext2fs_bmap2(fs, ino, NULL, NULL, 0, i, NULL, &pblk[i]);
		if (!e && !pblk[i])
			e = EXT2_ET_BLOCK_ALLOC_FAIL;
		if (e)
			return fail(d, e, "map /" SWAPFILE_NAME, rg);
	}
	e = ext2fs_close_free(&fs);
	if (e)
		return fail(d, e, "write the filesystem", rg);
	return write_header(rg, page, pblk, PAGE_BYTES / bs, bs, d);
}

/*
 * A libext2fs error reading back what a format wrote: the format was killed half-way (libext2fs
 * rewrites a superblock field by field, so its checksum can be stale): no complete /swapfile.
 * An errno (I/O, memory) is an error.
 */
static int unfinished(struct diag *d, errcode_t e, const char *what, const struct part__region *rg,
		      uint64_t *ret_size, bool *ret_complete)
{
	if (e > 0 && e < 256)
		return fail(d, e, what, rg);
	*ret_size = 0;
	*ret_complete = false;
	return 0;
}

int part__swapfile_stat(const struct part__region *rg, uint64_t *ret_size, bool *ret_complete,
			struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	struct ext2_inode inode;
	uint8_t page[PAGE_BYTES], uuid[16];
	unsigned int got = 0;
	ext2_file_t f;
	ext2_ino_t ino;
	uint64_t size;
	char opts[64];
	errcode_t e;

	snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long) rg->offset);
	initialize_ext2_error_table();
	e = ext2fs_open2(rg->path, opts, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
	if (e)
		return unfinished(d, e, "open the ext4 filesystem", rg, ret_size, ret_complete);
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, SWAPFILE_NAME, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND) {
		*ret_size = 0;
		*ret_complete = false;
		return 0;
	}
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (e)
		return unfinished(d, e, "look up /" SWAPFILE_NAME, rg, ret_size, ret_complete);
	size = EXT2_I_SIZE(&inode);
	*ret_size = size;
	*ret_complete = false;
	if (!LINUX_S_ISREG(inode.i_mode) || (inode.i_mode & 07777) != 0600 || size < PAGE_BYTES ||
	    ext2fs_get_stat_i_blocks(fs, &inode) * 512 < size)
		return 0;
	e = ext2fs_file_open(fs, ino, 0, &f);
	if (e)
		return unfinished(d, e, "open /" SWAPFILE_NAME, rg, ret_size, ret_complete);
	e = ext2fs_file_read(f, page, PAGE_BYTES, &got);
	(void) ext2fs_file_close(f);
	if (e)
		return unfinished(d, e, "read /" SWAPFILE_NAME, rg, ret_size, ret_complete);
	swap_uuid(fs, uuid);
	*ret_complete = got == PAGE_BYTES && part__swap_header_is(page, PAGE_BYTES, uuid);
	return 0;
}

/* ---- reading a tree out (part_fs_copy_out) ---- */

#define CHUNK_BYTES (64 * 1024)

struct dent {
	char *name; /* NUL-terminated copy */
	size_t len; /* the length on disk: more than strlen(name) when the name holds a NUL */
	ext2_ino_t ino;
};

struct dents {
	struct dent *v;
	size_t n, alloc;
	unsigned *left; /* entries the walk may still take */
	int r;
};

struct walk {
	ext2_filsys fs;
	const struct part__region *rg;
	const char *src;
	const struct part__fs_limits *lim;
	const struct part__fs_sink *s;
	uint64_t bytes;
	unsigned left;
	char *buf;
	struct diag *d;
};

static void dents_release(struct dents *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

static int dent_collect(_unused_ ext2_ino_t dir, _unused_ int entry, struct ext2_dir_entry *de,
			_unused_ int offset, _unused_ int blocksize, _unused_ char *buf, void *data)
{
	struct dents *l = data;
	size_t len = (size_t) ext2fs_dirent_name_len(de);
	struct dent *x;

	if (!de->inode || (len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return 0;
	if (*l->left == 0) {
		l->r = -EFBIG;
		return DIRENT_ABORT;
	}
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? 2 * l->alloc : 16;
		struct dent *v = reallocarray(l->v, alloc, sizeof(*v));

		if (!v) {
			l->r = -ENOMEM;
			return DIRENT_ABORT;
		}
		l->v = v;
		l->alloc = alloc;
	}
	x = &l->v[l->n];
	x->name = malloc(len + 1);
	if (!x->name) {
		l->r = -ENOMEM;
		return DIRENT_ABORT;
	}
	memcpy(x->name, de->name, len);
	x->name[len] = 0;
	x->len = len;
	x->ino = de->inode;
	l->n++;
	(*l->left)--;
	return 0;
}

/* One path component that cannot lead anywhere else when created under a directory. */
static bool dent_safe(const struct dent *x)
{
	return x->len > 0 && strlen(x->name) == x->len && !strchr(x->name, '/');
}

static int walk_fail(struct walk *w, errcode_t e, const char *what)
{
	diag_error(w->d, NULL, "cannot %s under '%s' in the ext4 in '%s' at offset %llu: %s", what,
		   w->src, w->rg->path, (unsigned long long) w->rg->offset, error_message(e));
	return ext2_err(e);
}

static int walk_limit(struct walk *w, const char *what, unsigned long long limit)
{
	diag_error(w->d, NULL, "'%s' in the ext4 in '%s' at offset %llu has more than %llu %s",
		   w->src, w->rg->path, (unsigned long long) w->rg->offset, limit, what);
	return -EFBIG;
}

/* Up to size bytes of inode ino, in chunks to the sink (to buf when it is NULL). */
static int walk_read(struct walk *w, ext2_ino_t ino, uint64_t size, char *to)
{
	unsigned int got;
	uint64_t done = 0;
	ext2_file_t f;
	errcode_t e, e2;
	int r = 0;

	e = ext2fs_file_open(w->fs, ino, 0, &f);
	if (e)
		return walk_fail(w, e, "open a file");
	while (!e && r >= 0 && done < size) {
		unsigned int want =
			size - done < CHUNK_BYTES ? (unsigned) (size - done) : CHUNK_BYTES;

		got = 0;
		e = ext2fs_file_read(f, to ? to + done : w->buf, want, &got);
		if (e || got == 0)
			break;
		if (!to)
			r = w->s->file_data(w->s->data, w->buf, got);
		done += got;
	}
	e2 = ext2fs_file_close(f);
	if (!e)
		e = e2;
	if (r >= 0 && e)
		r = walk_fail(w, e, "read a file");
	if (r >= 0 && done != size) {
		diag_error(w->d, NULL, "a file under '%s' in '%s' ended after %llu of %llu bytes",
			   w->src, w->rg->path, (unsigned long long) done,
			   (unsigned long long) size);
		r = -EIO;
	}
	return r;
}

static int walk_symlink(struct walk *w, const struct dent *x, struct ext2_inode *inode)
{
	uint64_t size = EXT2_I_SIZE(inode);
	char target[PATH_MAX];
	int r;

	if (size == 0 || size >= sizeof(target)) {
		w->s->skip(w->s->data);
		return 0;
	}
	if (ext2fs_is_fast_symlink(inode)) {
		memcpy(target, inode->i_block, size);
	} else {
		r = walk_read(w, x->ino, size, target);
		if (r < 0)
			return r;
	}
	target[size] = 0;
	if (strlen(target) != size) {
		w->s->skip(w->s->data);
		return 0;
	}
	return w->s->symlink(w->s->data, x->name, target);
}

static int walk_dir(struct walk *w, ext2_ino_t dir, unsigned depth);

static int walk_entry(struct walk *w, const struct dent *x, unsigned depth)
{
	const struct part__fs_sink *s = w->s;
	struct ext2_inode inode;
	uint64_t size;
	errcode_t e;
	int r;

	if (!dent_safe(x)) {
		s->skip(s->data);
		return 0;
	}
	e = ext2fs_read_inode(w->fs, x->ino, &inode);
	if (e)
		return walk_fail(w, e, "read an inode");
	if (LINUX_S_ISDIR(inode.i_mode)) {
		if (depth + 1 > w->lim->max_depth)
			return walk_limit(w, "directory levels", w->lim->max_depth);
		r = s->dir_begin(s->data, x->name, inode.i_mode & 07777);
		if (r >= 0)
			r = walk_dir(w, x->ino, depth + 1);
		return r < 0 ? r : s->dir_end(s->data);
	}
	if (LINUX_S_ISLNK(inode.i_mode))
		return walk_symlink(w, x, &inode);
	if (!LINUX_S_ISREG(inode.i_mode)) {
		s->skip(s->data);
		return 0;
	}
	size = EXT2_I_SIZE(&inode);
	if (size > w->lim->max_bytes - w->bytes)
		return walk_limit(w, "bytes in its files", (unsigned long long) w->lim->max_bytes);
	w->bytes += size;
	r = s->file_begin(s->data, x->name, inode.i_mode & 07777, size);
	if (r >= 0)
		r = walk_read(w, x->ino, size, NULL);
	return r < 0 ? r : s->file_end(s->data);
}

static int walk_dir(struct walk *w, ext2_ino_t dir, unsigned depth)
{
	struct dents l = {.left = &w->left};
	errcode_t e;
	int r = 0;

	/* no DIRENT_FLAG_INCLUDE_INLINE_DATA: libext2fs reads inline-data directories itself */
	e = ext2fs_dir_iterate2(w->fs, dir, 0, NULL, dent_collect, &l);
	if (l.r == -EFBIG)
		r = walk_limit(w, "entries", w->lim->max_entries);
	else if (l.r < 0)
		r = l.r;
	else if (e)
		r = walk_fail(w, e, "read a directory");
	for (size_t i = 0; r >= 0 && i < l.n; i++)
		r = walk_entry(w, &l.v[i], depth);
	dents_release(&l);
	return r;
}

int part__fs_walk(const struct part__region *rg, const char *src, const struct part__fs_limits *lim,
		  const struct part__fs_sink *sink, struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	_cleanup_(freep) char *buf = NULL;
	struct walk w = {.rg = rg, .src = src, .lim = lim, .s = sink, .d = d};
	struct ext2_inode inode;
	ext2_ino_t ino;
	char opts[64];
	errcode_t e;

	if (!src || src[0] != '/')
		return diag_error(d, NULL, "not an absolute path: '%s'", src ? src : "");
	buf = malloc(CHUNK_BYTES);
	if (!buf)
		return -ENOMEM;
	snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long) rg->offset);
	initialize_ext2_error_table();
	e = ext2fs_open2(rg->path, opts, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
	if (e)
		return fail(d, e, "open the ext4 filesystem", rg);
	w.fs = fs;
	w.buf = buf;
	w.left = lim->max_entries;
	/* root and cwd are the filesystem's root: "/x" and ".." never lead out of it */
	e = ext2fs_namei_follow(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, src, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND) {
		diag_error(d, NULL, "'%s' does not exist in the ext4 in '%s' at offset %llu", src,
			   rg->path, (unsigned long long) rg->offset);
		return -ENOENT;
	}
	if (e == EXT2_ET_SYMLINK_LOOP) {
		diag_error(d, NULL, "too many symlinks in '%s' in the ext4 in '%s' at offset %llu",
			   src, rg->path, (unsigned long long) rg->offset);
		return -ELOOP;
	}
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (e && e != EXT2_ET_NO_DIRECTORY)
		return walk_fail(&w, e, "look up the directory");
	if (e || !LINUX_S_ISDIR(inode.i_mode)) {
		diag_error(d, NULL, "'%s' in the ext4 in '%s' at offset %llu is not a directory",
			   src, rg->path, (unsigned long long) rg->offset);
		return -ENOTDIR;
	}
	return walk_dir(&w, ino, 0);
}
