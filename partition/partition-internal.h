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

/*
 * The LUN (through the guard, read-only) open on *ret_fd, its snapshot in *now (the caller
 * releases it, also on error), and partuuid's entry in it. Returns: 0, -ENOENT, -errno, with d.
 */
int part__partition_find(const struct part_guard *g, const char *lun, const char *partuuid,
			 int *ret_fd, struct part_lun *now, const struct part_entry **ret_e,
			 struct diag *d);
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

/* ---- ext2-image.c: the used blocks of an ext4, and /swapfile out of a copy ---- */

/* A run of allocated blocks. */
struct part__run {
	uint64_t start, count; /* blocks */
};

/* Which blocks of an ext4 hold something, from its block bitmap. */
struct part__fs_map {
	unsigned block_size;
	uint64_t blocks;	/* the filesystem's size, in blocks */
	uint64_t used;		/* blocks in runs */
	uint64_t swap;		/* /swapfile's data blocks left out (PART__MAP_NO_SWAPFILE) */
	struct part__run *runs; /* sorted, each as long as the bitmap allows */
	size_t n_runs;
};
void part__fs_map_release(struct part__fs_map *m);

enum part__map_flags {
	PART__MAP_NO_SWAPFILE =
		1 << 0, /* leave /swapfile's data blocks out (not its extent tree) */
};

/*
 * The used blocks of the ext4 in the region, read-only. Every block the bitmap marks is in
 * (superblocks, group descriptors, bitmaps and inode tables too: libext2fs marks those of
 * BLOCK_UNINIT groups as it reads). Returns: 0, -EMEDIUMTYPE (no ext4), -errno, with d.
 */
int part__fs_map_read(const struct part__region *r, unsigned flags, struct part__fs_map *ret,
		      struct diag *d);

/* Remove /swapfile (when there is one) from the ext4 in the region. Returns: 0, -errno. */
int part__swapfile_remove(const struct part__region *r, struct diag *d);

/* ---- ext2-edit.c: files of an unmounted ext4, by path ---- */

enum part__edit_kind {
	PART__EDIT_WRITE,	  /* replace or create path (a regular file) with data */
	PART__EDIT_REMOVE,	  /* remove path if it is a regular file (else leave it) */
	PART__EDIT_REMOVE_PREFIX, /* REMOVE each entry of directory path whose name starts with data
				   */
};

struct part__edit {
	enum part__edit_kind kind;
	char *path; /* absolute */
	char *data;
	size_t len;
	unsigned mode; /* WRITE: of a new file (an existing one keeps its mode and owner) */
};

struct part__edits {
	struct part__edit *v;
	size_t n;
};
void part__edits_release(struct part__edits *e);
/* Append an edit (data copied, len bytes). Returns: 0, -ENOMEM. */
int part__edits_add(struct part__edits *e, enum part__edit_kind kind, const char *path,
		    const char *data, size_t len, unsigned mode);

/*
 * Carry out the edits in order in the ext4 of the region. A missing parent directory of a
 * WRITE is made (0755). A symlink at a WRITE's path is replaced by the file (its target is in
 * the guest's root, which is not mounted here).
 * Returns: 0, -ENOTDIR, -EISDIR, -errno (-EIO: a libext2fs error), with d.
 */
int part__fs_edit(const struct part__region *r, const struct part__edits *e, struct diag *d);

/*
 * Regular file path of the ext4 in the region, at most max bytes, NUL-terminated in *ret.
 * Returns: its length, -ENOENT (none, or not a regular file), -EFBIG, -errno, with d.
 */
int part__fs_read_file(const struct part__region *r, const char *path, size_t max, char **ret,
		       struct diag *d);

/*
 * The names in directory dir of the ext4 that start with prefix (NULL-terminated, caller
 * frees with strv_free()); none when dir does not exist. Returns: how many, -errno, with d.
 */
int part__fs_list(const struct part__region *r, const char *dir, const char *prefix, char ***ret,
		  struct diag *d);

/* ---- image-copy.c: the used blocks from one place to another ---- */

/*
 * The blocks of map from src to dst (at the same offsets; dst NULL: read only), in runs of at
 * most 4 MiB, sequentially, fed to sum (may be NULL) as doc/images.md says; counters added to
 * *stats. dst must be large enough (the caller checks). dst is flushed (fdatasync).
 * Returns: 0, -errno, with d.
 */
struct sha256;
int part__fs_copy(const struct part__region *src, const struct part__region *dst,
		  const struct part__fs_map *map, struct sha256 *sum, struct part_copy_stats *stats,
		  struct diag *d);
/*
 * Drop this host's clean cached pages of the region. A guest writes its partition through
 * blkback, past the Dom0's page cache, and another Dom0 may have rewritten an image: what the
 * cache holds from an earlier mkfs or read is stale, also for libext2fs's reads.
 */
void part__region_drop_cache(const struct part__region *r);
/* The checksum of an image: part__fs_copy's sum over map, in hex. */
int part__fs_sum(const struct part__region *r, const struct part__fs_map *map,
		 char ret[PART_IMAGE_SUM_HEX + 1], struct part_copy_stats *stats, struct diag *d);

/* ---- e2tools.c: e2fsck, resize2fs, tune2fs, ssh-keygen (through run_command) ---- */

/* e2fsck -f with opt ("-y", "-p"); exit 1 (errors fixed) is success. Returns: 0, -EIO, -errno. */
int part__e2fsck(const struct part__region *r, const char *opt, struct diag *d);
/* resize2fs to size bytes, or to its minimum (-M) with size 0. Returns: 0, -EIO, -errno. */
int part__resize2fs(const struct part__region *r, uint64_t size, struct diag *d);
/* tune2fs -U uuid -L label (either NULL: unchanged). Returns: 0, -EIO, -errno. */
int part__tune2fs(const struct part__region *r, const char *uuid, const char *label,
		  struct diag *d);
/*
 * New SSH host keys (ssh-keygen -A under a new directory in tmp_dir): WRITE edits into e for
 * /etc/ssh/ssh_host_* (private keys 0600, public 0644). Returns: 0, -errno, with d.
 */
int part__ssh_host_keys(const char *tmp_dir, struct part__edits *e, struct diag *d);

/* ---- personal.c: what makes a clone this guest (pure) ---- */

/*
 * The edits for p into e: /etc/hostname, /etc/hosts, /etc/network/interfaces (as
 * hooks/fai/scripts/XENGUEST/10-setup writes them), /etc/resolv.conf, /etc/fstab from fstab
 * (the image's; NULL: none) with "/" mounted by UUID fs_uuid and /swapfile's line as
 * p->swap_size says, an empty /etc/machine-id, no /var/lib/dbus/machine-id, no
 * /etc/ssh/ssh_host_*. Returns: 0, -EINVAL (a bad value: the reason in d), -ENOMEM.
 */
int part__personal_edits(const struct part_personal *p, const char *guest, const char *fstab,
			 const char *fs_uuid, struct part__edits *e, struct diag *d);
/* fstab with "/"'s source replaced by UUID=fs_uuid; the /swapfile line kept or dropped. */
char *part__fstab_rewrite(const char *fstab, const char *fs_uuid, bool swap);
