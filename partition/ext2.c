/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libext2fs edge: write /swapfile into an unmounted ext4, on a block device or at an
 * offset in an image file. The only file that includes <ext2fs/ext2fs.h>.
 *
 * The file is allocated with EXT2_FALLOCATE_FORCE_INIT: initialized extents and no holes,
 * because some dom0 kernels refuse swap files with unwritten extents. Its blocks are not
 * zeroed (as with mkswap on a preallocated file): only the header page is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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

static errcode_t write_header(ext2_filsys fs, ext2_ino_t ino, const void *page)
{
	ext2_file_t f;
	unsigned int written = 0;
	errcode_t e, e2;

	e = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f);
	if (e)
		return e;
	e = ext2fs_file_write(f, page, PAGE_BYTES, &written);
	if (!e && written != PAGE_BYTES)
		e = EXT2_ET_SHORT_WRITE;
	e2 = ext2fs_file_close(f);
	return e ? e : e2;
}

int part__swapfile_create(const struct part__region *rg, uint64_t size, const char *label,
			  struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	char opts[64];
	uint8_t page[PAGE_BYTES], uuid[16];
	ext2_ino_t ino;
	errcode_t e;
	int r;

	if (getrandom(uuid, sizeof(uuid), 0) != sizeof(uuid))
		return diag_error_errno(d, NULL, -errno, "cannot get random bytes");
	uuid[6] = (uuid[6] & 0x0f) | 0x40; /* version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	r = part__swap_header(page, sizeof(page), size, uuid, label);
	if (r < 0)
		return diag_error(d, NULL, "invalid swap file size %llu",
				  (unsigned long long) size);
	snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long) rg->offset);
	initialize_ext2_error_table();
	e = ext2fs_open2(rg->path, opts, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			 &fs);
	if (e)
		return fail(d, e, "open the ext4 filesystem", rg);
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
	e = write_header(fs, ino, page);
	if (e)
		return fail(d, e, "write the swap header", rg);
	e = ext2fs_close_free(&fs);
	if (e)
		return fail(d, e, "write the filesystem", rg);
	return 0;
}

int part__swapfile_stat(const struct part__region *rg, uint64_t *ret_size, bool *ret_complete,
			struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	struct ext2_inode inode;
	uint8_t page[PAGE_BYTES];
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
		return fail(d, e, "open the ext4 filesystem", rg);
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, SWAPFILE_NAME, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND) {
		*ret_size = 0;
		*ret_complete = false;
		return 0;
	}
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (e)
		return fail(d, e, "look up /" SWAPFILE_NAME, rg);
	size = EXT2_I_SIZE(&inode);
	*ret_size = size;
	*ret_complete = false;
	if (!LINUX_S_ISREG(inode.i_mode) || (inode.i_mode & 07777) != 0600 || size < PAGE_BYTES ||
	    ext2fs_get_stat_i_blocks(fs, &inode) * 512 < size)
		return 0;
	e = ext2fs_file_open(fs, ino, 0, &f);
	if (e)
		return fail(d, e, "open /" SWAPFILE_NAME, rg);
	e = ext2fs_file_read(f, page, PAGE_BYTES, &got);
	(void) ext2fs_file_close(f);
	if (e)
		return fail(d, e, "read /" SWAPFILE_NAME, rg);
	*ret_complete = got == PAGE_BYTES && memcmp(page + PAGE_BYTES - 10, "SWAPSPACE2", 10) == 0;
	return 0;
}
