/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Private to partition/: the edges (fdisk.c, blkid.c, ext2.c, mkfs.c, sysfs.c) and the
 * guard that every write goes through (guard.c).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/diag.h"
#include "partition/partition.h"

/* A stretch of a LUN to probe, wipe or format: path at offset, size bytes. */
struct part__region {
	const char *path;
	int fd; /* an open fd for path, or -1 */
	uint64_t offset, size;
};

/* ---- guard.c: the one place that decides what may be written ---- */

/*
 * Open path for reading, or for writing only if it is one of g->luns (block devices by
 * st_rdev, image files by st_dev + st_ino, compared on the opened fd).
 * Returns: 0 and the fd in *ret_fd, -EPERM if not a listed LUN, -errno.
 */
int part__lun_open(const struct part_guard *g, const char *path, bool write, int *ret_fd,
		   struct diag *d);

/*
 * Refuse to touch partition p of lun (its bytes in region) when it holds any signature,
 * unless the owner callback says p belongs to guest. Returns: 0, -EBUSY, -errno.
 */
/*
 * Rule 2 for a signature already probed: sig in partition p is allowed only when p belongs
 * to guest (owner callback) and so does sig (fs_owner callback). Returns: 0, -EBUSY, with d.
 */
int part__sig_check(const struct part_guard *g, const char *lun, const struct part_entry *p,
		    const char *guest, const struct part_signature *sig, struct diag *d);
int part__region_check(const struct part_guard *g, const char *lun, const struct part_entry *p,
		       const struct part__region *region, const char *guest, struct diag *d);

/* ---- plan.c ---- */
int part__entry_copy(const struct part_entry *src, struct part_entry *dst);
void part__entry_release(struct part_entry *e);
uint64_t part__align_up(uint64_t v);
uint64_t part__align_down(uint64_t v);
/* The largest 1 MiB-aligned piece of a segment (its start in *ret_start); 0 if none. */
uint64_t part__seg_usable(uint64_t start, uint64_t size, uint64_t *ret_start);
uint64_t part__largest_free(const struct part_lun *l);
/* Why a LUN cannot take changes, into sb; 0 if it can (see part_lun_check). */
int part__lun_problem(const struct part_lun *l, struct strbuf *sb);
/* [start, start + size) overlaps a partition of l or one of steps. */
bool part__overlaps_any(const struct part_lun *l, const struct part_step *steps, size_t n,
			uint64_t start, uint64_t size);
/* Lowest partition number used neither on l nor by steps; 0 if the label is full. */
unsigned part__free_partno(const struct part_lun *l, const struct part_step *steps, size_t n);
int part__plan_new(struct part_plan *p, enum part_plan_kind kind, const struct part_lun *l,
		   size_t n_steps);
int part__size_check(uint64_t size, const char *what, struct diag *d);
bool part__owned_by(const struct part_entry *e, const char *guest);
bool part__is_free(const struct part_entry *e); /* named "free" and no owner */
/* The ext4 and swap label for guest: its name cut to PART_FS_LABEL_MAX bytes (new string). */
char *part__fs_label(const char *guest);
/* The entry of l with PARTUUID uuid (without case), or NULL. */
const struct part_entry *part__find_uuid(const struct part_lun *l, const char *uuid);
const struct part_entry *part__find_partno(const struct part_lun *l, unsigned partno);

/* ---- fdisk.c ---- */

/* Snapshot of the table on fd (opened on path), without owners. */
int part__fdisk_read(int fd, const char *path, struct part_lun *ret, struct diag *d);

/*
 * Change the table on fd: optionally create an empty GPT first, then each step (create or
 * rename). Verifies before writing; on a block device tells the kernel (BLKPG).
 * Returns: 0, -EUCLEAN (verify failed: nothing written), -errno.
 */
int part__fdisk_write(int fd, const char *path, bool create_gpt, const struct part_step *steps,
		      size_t n_steps, struct diag *d);

/* ---- blkid.c ---- */

/*
 * Probe a region for filesystems, RAID, LVM, swap (superblocks) and partition tables.
 * *ret_type gets the first type found ("ext4", "swap", "gpt", ...), or NULL when clean.
 * Returns: 0, -errno.
 */
int part__blkid_probe(const struct part__region *r, char **ret_type, struct diag *d);
/* The same, with UUID and LABEL: ret->type NULL when clean. */
int part__blkid_probe_sig(const struct part__region *r, struct part_signature *ret, struct diag *d);
/* Erase every signature libblkid finds in the region (blkid_do_wipe). Returns: 0, -errno. */
int part__blkid_wipe(const struct part__region *r, struct diag *d);

/* ---- sysfs.c ---- */

/*
 * The node of partition partno of the whole block device whole (from
 * /sys/dev/block/MAJ:MIN/<dev>N), checked: it exists in /dev as that device and starts and
 * ends where we expect. Returns: 0 and "/dev/<name>" in *ret, -ENXIO (the kernel does not
 * know the partition), -ENOENT (its node is missing), -ESTALE, -errno.
 */
int part__sysfs_node(dev_t whole, unsigned partno, uint64_t start, uint64_t size, char **ret,
		     struct diag *d);
/* Tell the kernel about partition partno of the whole device open on fd (BLKPG). */
int part__kernel_add(int fd, const char *path, unsigned partno, uint64_t start, uint64_t size,
		     struct diag *d);

/* ---- mkfs.c ---- */
/* uuid: the filesystem's UUID (NULL: mke2fs picks one). */
int part__mkfs_ext4(const struct part__region *r, const char *label, const char *uuid,
		    struct diag *d);

/* ---- ext2.c ---- */

/*
 * /swapfile of size bytes: fully allocated, initialized extents, mode 0600, and the swap header
 * written after everything else is flushed.
 */
int part__swapfile_create(const struct part__region *r, uint64_t size, const char *label,
			  struct diag *d);

/*
 * What /swapfile in the ext4 of the region is: *ret_size 0 when there is none, else its size,
 * and *ret_complete when it is a regular 0600 file whose blocks cover its size and whose
 * first page carries the swap header of this filesystem (the magic and the UUID drawn from
 * the filesystem's, written last: the whole format is done). An ext4 that
 * libext2fs cannot read (a format killed half-way) has none. Read-only.
 * Returns: 0, -errno (an I/O error).
 */
int part__swapfile_stat(const struct part__region *r, uint64_t *ret_size, bool *ret_complete,
			struct diag *d);

/* Limits of a walk (part__fs_walk): a hostile guest's filesystem cannot fill the Dom0. */
struct part__fs_limits {
	uint64_t max_bytes;   /* sum of the regular files' sizes */
	unsigned max_entries; /* directories, files and symlinks, in all */
	unsigned max_depth;   /* directory levels below src */
};

/*
 * What part__fs_walk() hands over, depth first. name is one path component: never empty,
 * ".", "..", and without '/' or NUL (entries with such names are passed to skip instead).
 * Each callback returns 0 to go on or < 0 to stop the walk with that error.
 */
struct part__fs_sink {
	int (*dir_begin)(void *data, const char *name, unsigned mode);
	int (*dir_end)(void *data);
	int (*file_begin)(void *data, const char *name, unsigned mode, uint64_t size);
	int (*file_data)(void *data, const void *buf, size_t len);
	int (*file_end)(void *data);
	int (*symlink)(void *data, const char *name, const char *target);
	/* an entry not copied: a device, FIFO or socket, or an unsafe name */
	void (*skip)(void *data);
	void *data;
};

/*
 * Walk the tree at src (absolute; symlinks on the way, and src itself, resolved inside the
 * filesystem: an absolute target means the filesystem's root) in the ext4 of the region,
 * read-only. The entries below src go to sink; symlinks below src are handed over, never
 * followed. Stops at the limits (-EFBIG, checked before anything over them is read).
 * Returns: 0, -ENOENT (no src), -ENOTDIR (src is not a directory), -ELOOP, -EFBIG, the
 * sink's errors, -errno (-EIO for a damaged filesystem), with the reason in d.
 */
int part__fs_walk(const struct part__region *r, const char *src, const struct part__fs_limits *lim,
		  const struct part__fs_sink *sink, struct diag *d);

/* The Linux swap header for a file of size bytes, in a page of page_size bytes. */
int part__swap_header(void *page, size_t page_size, uint64_t size, const uint8_t uuid[16],
		      const char *label);
/* Whether page holds a swap header (the magic) with this uuid. */
bool part__swap_header_is(const void *page, size_t page_size, const uint8_t uuid[16]);

/* ---- format.c ---- */

/* ext4 labelled label (UUID uuid; NULL: random) and, with swap_size, /swapfile in the region. */
int part__format_region(const struct part__region *r, const char *label, const char *uuid,
			uint64_t swap_size, struct diag *d);
/*
 * ret for entry e of now (the LUN open on fd): its place, names and target; on a block
 * device its node, the kernel told about it first when it does not know it (with_node).
 */
int part__result_fill(int fd, const struct part_lun *now, const struct part_entry *e,
		      bool with_node, struct part_result *ret, struct diag *d);

/* Where res's bytes are: its node on a block device, else its offset in the image. */
struct part__region part__result_region(const struct part_result *res);
/*
 * Partition partuuid of lun (the LUN through the guard, read-only) when it belongs to guest
 * per the owner callback, into ret as part_locate() gives it. verb says what the caller
 * would do ("format"), for the refusal.
 * Returns: 0, -EPERM (not a listed LUN, not guest's), -ENOENT (no such partition), -errno.
 */
int part__guest_partition(const struct part_guard *g, const char *lun, const char *partuuid,
			  const char *guest, const char *verb, struct part_result *ret,
			  struct diag *d);

/* ---- lun.c ---- */
int part__owners_fill(const struct part_guard *g, struct part_lun *l, struct diag *d);
int part__lun_read_fd(const struct part_guard *g, int fd, const char *path, struct part_lun *ret,
		      struct diag *d);
