/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libext2fs edge for golden images: which blocks of an ext4 hold something (its block
 * bitmap), so a copy reads only those; and /swapfile taken out of such a copy.
 *
 * The bitmap alone decides. libext2fs marks the blocks of BLOCK_UNINIT groups that hold
 * metadata (backup superblocks and descriptors, bitmaps, inode tables) as it reads, and with
 * flex_bg every group's bitmaps and inode table are marked where they are (mostly in the
 * first group of each flex group); the journal is an inode's blocks. Inode tables are copied
 * whole, also their unused tail: the destination is a LUN that is not zeroed, and a group's
 * ITABLE_ZEROED flag comes along with the copy (e2image copies them whole to a block device
 * for the same reason).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <et/com_err.h>
#include <ext2fs/ext2fs.h>

#include "common/macro.h"
#include "partition/partition-internal.h"

#define SWAPFILE_NAME "swapfile"

static void ext2fs_freep(ext2_filsys *fs)
{
	if (*fs)
		ext2fs_free(*fs);
}

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

static int open_fs(const struct part__region *rg, int flags, ext2_filsys *ret, struct diag *d)
{
	char opts[64];
	errcode_t e;

	snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long) rg->offset);
	initialize_ext2_error_table();
	e = ext2fs_open2(rg->path, opts, flags | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, ret);
	if (e == EXT2_ET_BAD_MAGIC || e == EXT2_ET_SB_CSUM_INVALID ||
	    e == EXT2_ET_CORRUPT_SUPERBLOCK) {
		diag_error(d, NULL, "no ext4 filesystem in '%s' at offset %llu: %s", rg->path,
			   (unsigned long long) rg->offset, error_message(e));
		return -EMEDIUMTYPE;
	}
	return e ? fail(d, e, "open the ext4 filesystem", rg) : 0;
}

void part__fs_map_release(struct part__fs_map *m)
{
	free(m->runs);
	*m = (struct part__fs_map){0};
}

struct unmark {
	ext2fs_block_bitmap map;
	uint64_t n;
};

static int unmark_block(_unused_ ext2_filsys fs, blk64_t *blk, e2_blkcnt_t cnt,
			_unused_ blk64_t ref_blk, _unused_ int ref_offset, void *data)
{
	struct unmark *u = data;

	if (cnt >= 0 && *blk) {
		ext2fs_unmark_block_bitmap2(u->map, *blk);
		u->n++;
	}
	return 0;
}

/* /swapfile's data blocks out of the in-memory bitmap (never written back: read-only). */
static int unmark_swapfile(ext2_filsys fs, const struct part__region *rg, uint64_t *ret,
			   struct diag *d)
{
	struct unmark u = {.map = fs->block_map};
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t e;

	*ret = 0;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, SWAPFILE_NAME, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND)
		return 0;
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (e)
		return fail(d, e, "look up /" SWAPFILE_NAME, rg);
	if (!LINUX_S_ISREG(inode.i_mode) || !ext2fs_inode_has_valid_blocks2(fs, &inode))
		return 0;
	/* data blocks only: the extent tree stays, so the copy can free them (punch) */
	e = ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY, NULL,
				  unmark_block, &u);
	if (e)
		return fail(d, e, "map /" SWAPFILE_NAME, rg);
	*ret = u.n;
	return 0;
}

static int runs_add(struct part__fs_map *m, size_t *alloc, uint64_t start, uint64_t count)
{
	if (m->n_runs == *alloc) {
		size_t n = *alloc ? 2 * *alloc : 256;
		struct part__run *v = reallocarray(m->runs, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->runs = v;
		*alloc = n;
	}
	m->runs[m->n_runs++] = (struct part__run){start, count};
	m->used += count;
	return 0;
}

static int collect_runs(ext2_filsys fs, struct part__fs_map *m, const struct part__region *rg,
			struct diag *d)
{
	blk64_t b = fs->super->s_first_data_block, end = ext2fs_blocks_count(fs->super) - 1;
	size_t alloc = 0;
	errcode_t e;
	int r;

	/* block 0 of a 1 KiB-block filesystem (the boot block) is outside the bitmap */
	if (b > 0 && (r = runs_add(m, &alloc, 0, b)) < 0)
		return r;
	while (b <= end) {
		blk64_t s, z;

		e = ext2fs_find_first_set_block_bitmap2(fs->block_map, b, end, &s);
		if (e == ENOENT)
			break;
		if (e)
			return fail(d, e, "read the block bitmap", rg);
		e = ext2fs_find_first_zero_block_bitmap2(fs->block_map, s, end, &z);
		if (e == ENOENT)
			z = end + 1;
		else if (e)
			return fail(d, e, "read the block bitmap", rg);
		r = runs_add(m, &alloc, s, z - s);
		if (r < 0)
			return r;
		b = z;
	}
	return 0;
}

int part__fs_map_read(const struct part__region *rg, unsigned flags, struct part__fs_map *ret,
		      struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	struct part__fs_map m = {0};
	errcode_t e;
	int r;

	r = open_fs(rg, 0, &fs, d);
	if (r < 0)
		return r;
	/*
	 * A journal that needs replaying may hold newer bitmaps than the ones on disk: a copy by
	 * these would miss blocks. Only a cleanly stopped guest is copied.
	 */
	if (ext2fs_has_feature_journal_needs_recovery(fs->super)) {
		diag_error(
			d, NULL,
			"the ext4 in '%s' at offset %llu was not cleanly unmounted (its journal needs recovery): shut the guest down cleanly first",
			rg->path, (unsigned long long) rg->offset);
		return -EUCLEAN;
	}
	e = ext2fs_read_block_bitmap(fs);
	if (e)
		return fail(d, e, "read the block bitmap", rg);
	m.block_size = fs->blocksize;
	m.blocks = ext2fs_blocks_count(fs->super);
	if (flags & PART__MAP_NO_SWAPFILE)
		r = unmark_swapfile(fs, rg, &m.swap, d);
	if (r >= 0)
		r = collect_runs(fs, &m, rg, d);
	if (r < 0) {
		part__fs_map_release(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int part__swapfile_remove(const struct part__region *rg, struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t e;
	int r;

	r = open_fs(rg, EXT2_FLAG_RW, &fs, d);
	if (r < 0)
		return r;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, SWAPFILE_NAME, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND)
		return 0;
	if (!e)
		e = ext2fs_read_bitmaps(fs);
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (e)
		return fail(d, e, "look up /" SWAPFILE_NAME, rg);
	if (!LINUX_S_ISREG(inode.i_mode))
		return diag_error(d, NULL, "'/%s' in '%s' at offset %llu is not a regular file",
				  SWAPFILE_NAME, rg->path, (unsigned long long) rg->offset);
	e = ext2fs_unlink(fs, EXT2_ROOT_INO, SWAPFILE_NAME, ino, 0);
	if (!e && ext2fs_inode_has_valid_blocks2(fs, &inode))
		e = ext2fs_punch(fs, ino, &inode, NULL, 0, ~0ULL);
	if (!e && --inode.i_links_count == 0) {
		inode.i_dtime = (uint32_t) time(NULL);
		ext2fs_inode_alloc_stats2(fs, ino, -1, 0);
	}
	if (!e)
		e = ext2fs_write_inode(fs, ino, &inode);
	if (e)
		return fail(d, e, "remove /" SWAPFILE_NAME, rg);
	e = ext2fs_close_free(&fs);
	return e ? fail(d, e, "write the filesystem", rg) : 0;
}
