/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Partitions on shared LUNs: read the GPT of each LUN, plan a change (label, standard layout,
 * a guest's disk, its release), then carry the plan out with libfdisk, libblkid and libext2fs.
 *
 * Plans are made by pure functions from a snapshot (struct part_lun) and can be printed
 * (--dry-run) and tested without I/O. The *_apply() functions open a LUN for writing only
 * through the guard (struct part_guard): the device must be one of the LUNs given by the
 * caller (compared by device number), and a partition that holds any filesystem, RAID, LVM
 * or swap signature is refused unless its owner callback says it belongs to the guest.
 *
 * Units: bytes everywhere. Every start and size the planners choose is aligned to 1 MiB.
 * This module never reads site.yaml: callers pass the LUN paths (struct site's luns).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/strbuf.h"

#define PART_ALIGN	       (UINT64_C(1) << 20)
#define PART_NAME_FREE	       "free"
#define PART_NAME_GUEST_PREFIX "guest:"
#define PART_FS_LABEL_MAX      16 /* ext4 volume label and swap label, bytes */
#define PART_SWAP_DEFAULT      (UINT64_C(2) << 30)

enum part_label_type {
	PART_LABEL_NONE, /* no partition table */
	PART_LABEL_GPT,
	PART_LABEL_DOS,
	PART_LABEL_OTHER, /* sun, sgi, bsd */
	_PART_LABEL_TYPE_MAX,
	_PART_LABEL_TYPE_INVALID = -22,
};
const char *part_label_type_to_string(enum part_label_type t);

struct part_entry {
	unsigned partno; /* 1-based, as in the device node (sdb3, loop0p3) */
	uint64_t start, size;
	char *name;	 /* GPT partition name, "" when none */
	char *uuid;	 /* PARTUUID */
	char *owner;	 /* guest owning it (from the owner callback), NULL: free or foreign */
	char *signature; /* named "free" yet holding a signature (its type): not free */
};

struct part_segment {
	uint64_t start, size;
};

/* What one LUN looked like when it was read. */
struct part_lun {
	char *path;
	int error;	  /* 0, or -errno when it could not be read (then error_text says why) */
	char *error_text; /* "cannot open '/dev/sdz': No such file or directory" */
	bool is_block;	  /* a block device (else an image file) */
	uint64_t size;
	unsigned sector_size;
	enum part_label_type label;
	char *id;	 /* disk GUID, NULL when no GPT */
	char *signature; /* with no partition table: a filesystem etc. found on the whole device */
	uint64_t first_usable, end_usable; /* bytes; end_usable is exclusive */
	size_t max_parts;		   /* partition entries the label has room for */
	struct part_entry *parts;	   /* sorted by partno */
	size_t n_parts;
	struct part_segment *free; /* free space as libfdisk reports it, sorted by start */
	size_t n_free;
	unsigned n_verify_errors; /* problems fdisk_verify_disklabel found in the table */
	/*
	 * One of the GPT's two copies was damaged (a write cut short between them) and was read
	 * from the other: the next write of the table repairs it (part_lun_repair()).
	 */
	bool recovered;
};

struct part_luns {
	struct part_lun *v;
	size_t n;
};

/*
 * Who owns a partition. Sets *ret_guest to a new string naming the guest (return 1), or
 * leaves it alone (return 0: free or not ours). The inventory plugs in here; NULL means
 * part_owner_by_name(): a GPT name "guest:NAME" belongs to NAME.
 * Returns: 1, 0, or < 0 on error.
 */
typedef int (*part_owner_fn)(void *data, const char *lun, const struct part_entry *p,
			     char **ret_guest);
int part_owner_by_name(void *data, const char *lun, const struct part_entry *p, char **ret_guest);

/* A signature libblkid found in a partition; any member may be NULL but type. */
struct part_signature {
	char *type; /* "ext4", "swap", "linux_raid_member", "gpt", ... */
	char *uuid; /* the filesystem's UUID, lower case */
	char *label;
};
void part_signature_release(struct part_signature *s);

/*
 * Whether the signature sig in partition p (which belongs to guest) is one the caller made
 * for guest: the inventory answers by the filesystem UUID it recorded before making it.
 * Returns: 1 ours, 0 not ours, < 0 on error.
 */
typedef int (*part_fs_owner_fn)(void *data, const char *lun, const struct part_entry *p,
				const char *guest, const struct part_signature *sig);

/* The safety rules every change goes through. */
struct part_guard {
	char *const *luns;   /* NULL-terminated: the only devices that may be opened for writing */
	part_owner_fn owner; /* NULL: part_owner_by_name */
	/*
	 * NULL: a signature in a partition that belongs to the guest is the guest's (the rule
	 * of the stand-alone disk commands, which record nothing).
	 */
	part_fs_owner_fn fs_owner;
	void *owner_data;
};

/*
 * Which of g->luns dev is, by device number (so /dev/disk/by-id/... matches /dev/sdb).
 * Returns: the index, or -EPERM (not a LUN) / -errno, with the reason in d.
 */
int part_guard_find(const struct part_guard *g, const char *dev, struct diag *d);

/*
 * Read every path (read-only) into a snapshot, in the order given. A LUN that cannot be read
 * is kept with lun->error set, so one dead LUN does not hide the others. Owners are filled
 * in through g's owner callback.
 * Returns: 0 on success (even when single LUNs failed), < 0 on error (out of memory, owner
 * callback failure).
 */
int part_luns_read(const struct part_guard *g, char *const *paths, struct part_luns *ret,
		   struct diag *d);
void part_luns_release(struct part_luns *l);
/* Reads one LUN; a LUN that cannot be read is an error (-errno, with the reason in d). */
int part_lun_read(const struct part_guard *g, const char *path, struct part_lun *ret,
		  struct diag *d);
void part_lun_release(struct part_lun *l);

/*
 * Whether partitions may be added to or changed on this LUN: it was read, has a GPT and
 * no overlapping or out-of-range entries (checked here, not by libfdisk alone).
 * Returns: 0 usable; -ENODEV (unreadable), -EMEDIUMTYPE (no or not a GPT label), -EUCLEAN
 * (overlapping/out of range entries), with the reason in d.
 */
int part_lun_check(const struct part_lun *l, struct diag *d);

/*
 * When l was recovered from one GPT copy, write the table back whole (both copies, through
 * the guard, under the LUN's flock), so a table left half-written by a kill is whole again.
 * Nothing is done otherwise. Returns: 0, or < 0 with the reason in d.
 */
int part_lun_repair(const struct part_guard *g, const struct part_lun *l, struct diag *d);

/* ---- plans ---- */

enum part_plan_kind {
	PART_PLAN_INIT,	   /* create a GPT label */
	PART_PLAN_CARVE,   /* add partitions named "free" */
	PART_PLAN_PREPARE, /* give a guest a partition (reused or new), mkfs, swap file */
	PART_PLAN_RELEASE, /* wipe signatures, rename to "free" (or delete the entry) */
	PART_PLAN_CLAIM,   /* name a place the inventory reserved guest:NAME; table only */
	_PART_PLAN_KIND_MAX,
	_PART_PLAN_KIND_INVALID = -22,
};

struct part_step {
	unsigned partno;
	uint64_t start, size;
	bool create;	/* a new partition; else an existing one renamed (or removed) */
	bool remove;	/* delete the entry (RELEASE with PART_RELEASE_DELETE) */
	char *name;	/* GPT name to set */
	char *old_name; /* the name it has now (renames) */
};

struct part_plan {
	enum part_plan_kind kind;
	char *lun; /* path of the LUN the plan changes */
	unsigned sector_size;
	struct part_step *steps;
	size_t n_steps;
	char *guest;	      /* PREPARE, RELEASE, CLAIM */
	char *fs_label;	      /* PREPARE: ext4 label (the guest name, cut to 16 bytes) */
	uint64_t swap_size;   /* PREPARE: 0 for none */
	uint64_t start, size; /* CLAIM: the place claimed (also when there is nothing to do) */
	char *partuuid;	      /* CLAIM: the existing partition renamed; NULL: a new one */
	bool image; /* CLAIM: of image:NAME (part_image_claim_plan()); guest is "image:NAME" */
};
void part_plan_release(struct part_plan *p);

/* A GPT label on an empty LUN (no label, no signature at all). */
int part_init_plan(const struct part_lun *l, struct part_plan *ret, struct diag *d);

/*
 * Carve sizes (in order, each a multiple of 1 MiB) as partitions named "free", each in the
 * first free segment it fits. All or nothing: -ENOSPC if any does not fit.
 */
int part_carve_plan(const struct part_lun *l, const uint64_t *sizes, size_t n,
		    struct part_plan *ret, struct diag *d);

struct part_request {
	const char *guest;  /* a valid host name label */
	uint64_t size;	    /* multiple of 1 MiB */
	uint64_t swap_size; /* 0: no swap file; must leave room in the filesystem */
	const char *lun;    /* NULL: any LUN in the snapshot; else only the snapshot's LUN with
			       this path */
};

/*
 * Choose the partition for a guest: a partition named "free" of exactly the size on any
 * usable LUN (first LUN, lowest number); else a new one in the best-fitting free segment
 * (least space left over; ties go to the earlier LUN, then the lower start) at 1 MiB.
 * Unusable LUNs are skipped with a warning in d unless req->lun names them.
 * Returns: 0, -EEXIST (the guest already has a partition), -ENOSPC (no room), -EINVAL.
 */
int part_prepare_plan(const struct part_luns *luns, const struct part_request *req,
		      struct part_plan *ret, struct diag *d);

/*
 * Candidates for the inventory's allocator, best first, in the order part_prepare_plan()
 * chooses (one ordering function serves both): each partition named "free" of exactly
 * req->size (first LUN, lowest number), then each free segment where req->size fits, by
 * best fit (least space left over; ties go to the earlier LUN, then the lower start).
 * partuuid set: that existing free partition, taken whole (start/size are its own); NULL: a
 * free segment, start/size its 1 MiB-aligned usable part (the inventory places the partition
 * inside it, 1 MiB aligned). lun and partuuid are borrowed from luns; free *ret with free().
 * Unusable LUNs are skipped with a warning in d unless req->lun names one (then an error);
 * req->swap_size is checked as for part_prepare_plan().
 * Returns: 0 with at least one candidate, -EEXIST (the guest already owns a partition),
 * -ENOSPC (none: the reason in d), -EINVAL, -EMEDIUMTYPE/-EUCLEAN/-ENODEV (req->lun unusable).
 */
struct part_candidate {
	const char *lun;
	uint64_t start, size;
	const char *partuuid;
};
int part_candidates(const struct part_luns *luns, const struct part_request *req,
		    struct part_candidate **ret, size_t *ret_n, struct diag *d);

/*
 * The pipeline's "carve" stage, table only: create partition guest:NAME at exactly
 * [start, start + size) (partuuid NULL), or rename the existing free partition with that
 * PARTUUID (compared without case; start/size must be its own) to guest:NAME. Idempotent:
 * when l already has guest:NAME there (or that PARTUUID is named guest:NAME), the plan has
 * no steps. The partition number of a new partition is chosen again when the plan is
 * applied (under the LUN's lock), so concurrent claims on one LUN do not collide.
 * Apply with part_plan_apply(): ret gets partno, PARTUUID, node and target, also for a plan
 * with no steps.
 * Returns: 0; -ESTALE (the place is taken by something else or no longer free), -ENOSPC (no
 * partition entry left), -EINVAL (unaligned, invalid name), -EMEDIUMTYPE/-EUCLEAN/-ENODEV
 * (LUN unusable). part_plan_apply() adds -EBUSY: the partition to rename, or the space for
 * the new one, holds a signature that is not ours.
 */
int part_claim_plan(const struct part_lun *l, const char *guest, uint64_t start, uint64_t size,
		    const char *partuuid, struct part_plan *ret, struct diag *d);

/*
 * part_claim_plan() for golden image name (doc/images.md): a new partition image:NAME at
 * exactly [start, start + size), from free space only. The owner callback's name for such a
 * partition is "image:NAME" (as it is the GPT name), and that is the plan's guest; a partition
 * image:NAME already there (owned by "image:NAME" or by nobody) is the claim done. Release
 * one with part_release_plan_flags(luns, "image:NAME", PART_RELEASE_DELETE, ...).
 * Returns: as part_claim_plan().
 */
int part_image_claim_plan(const struct part_lun *l, const char *name, uint64_t start, uint64_t size,
			  struct part_plan *ret, struct diag *d);

/*
 * The guest's partition (by owner; one still named "free" counts as never claimed) is wiped
 * and renamed "free", or with PART_RELEASE_DELETE its entry is deleted (for a partition the
 * pipeline carved from free space: the table is as it was before). -ENOENT: it has none.
 */
enum part_release_flags {
	PART_RELEASE_DELETE = 1 << 0,
};
int part_release_plan(const struct part_luns *luns, const char *guest, struct part_plan *ret,
		      struct diag *d);
int part_release_plan_flags(const struct part_luns *luns, const char *guest, unsigned flags,
			    struct part_plan *ret, struct diag *d);

/*
 * The plan in words, one line per action: "would create partition 3 on ..." for --dry-run,
 * or with done set "created partition 3 on ..." after it was applied.
 */
void part_plan_format(const struct part_plan *p, bool done, struct strbuf *out);

/* The largest 1 MiB-aligned piece of free space on l, in bytes. */
uint64_t part_lun_largest_free(const struct part_lun *l);

/* ---- apply ---- */

struct part_result {
	char *lun;
	unsigned partno;
	uint64_t start, size;
	char *name;
	char *uuid;   /* PARTUUID as written */
	char *node;   /* block devices: /dev/<name> of the partition from sysfs; NULL for images */
	char *target; /* what a guest config would use: the node, or "IMAGE@offset" */
	uint64_t swap_size;
};
void part_result_release(struct part_result *r);

/*
 * Carry out a plan made from a snapshot. The LUN is opened through the guard, read again,
 * and the plan is checked against what is there now; a partition touched is probed with
 * libblkid first. The table is verified (fdisk_verify_disklabel) before it is written and
 * read back after; on block devices the kernel is told (BLKPG) and the partition node is
 * resolved from sysfs. Nothing is written when a check fails.
 * ret (may be NULL) gets the partition of a PREPARE/RELEASE plan.
 * Returns: 0 on success, < 0 on error with the reason in d: -EPERM (not a listed LUN),
 * -EBUSY (a signature that is not ours), -ESTALE (the LUN changed since the plan), others.
 */
int part_plan_apply(const struct part_guard *g, const struct part_plan *p, struct part_result *ret,
		    struct diag *d);

/* Every check part_plan_apply() makes (guard, fresh read, probes), writing nothing: for -n. */
int part_plan_check(const struct part_guard *g, const struct part_plan *p, struct diag *d);

/* ---- the pipeline's stages on a claimed partition ---- */

/*
 * Find partition partuuid (compared without case) on lun, read-only: ret gets lun, partno,
 * start, size, name, uuid and target; on a block device also node, and the kernel is told
 * about the partition (BLKPG) when it does not know it yet (a table written on another Dom0).
 * Returns: 0, -ENOENT (no such partition), -errno, with the reason in d.
 */
int part_locate(const struct part_guard *g, const char *lun, const char *partuuid,
		struct part_result *ret, struct diag *d);

/*
 * Whether the pipeline's "format" stage is done on partition partuuid of lun: it holds an
 * ext4 labelled with guest's label and, with swap_size, a complete /swapfile of that size
 * (size, blocks and swap header), without one otherwise. Read-only.
 * Returns: 1 done, 0 not done (nothing there, or our own unfinished ext4: format redoes
 * it), -EBUSY (a signature that is not ours), -EPERM (not a listed LUN, or the partition
 * does not belong to guest per the owner callback), -ENOENT, -errno; the reason in d.
 */
int part_format_check(const struct part_guard *g, const char *lun, const char *partuuid,
		      const char *guest, uint64_t swap_size, struct diag *d);

/* A new random (version 4) UUID in lower case, as mke2fs -U takes it. Returns: 0, -errno. */
int part_uuid_new(char ret[37]);

/*
 * The pipeline's "format" stage: ext4 labelled with the guest name (cut to 16 bytes), with
 * UUID fs_uuid (NULL: a random one), and /swapfile of swap_size (0: none) on partition
 * partuuid of lun, through the guard (lun must be listed; the partition must belong to guest
 * per the owner callback, a signature in it to guest per the fs_owner callback). Idempotent:
 * when part_format_check() says done nothing is written and *ret_already is set. ret (may be
 * NULL) gets what part_locate() gives, with swap_size.
 * Returns: 0, or the errors of part_format_check() and of mke2fs/libext2fs, with d.
 */
int part_format(const struct part_guard *g, const char *lun, const char *partuuid,
		const char *guest, const char *fs_uuid, uint64_t swap_size, bool *ret_already,
		struct part_result *ret, struct diag *d);

/* What part_fs_copy_out() takes at most, so a hostile guest cannot fill the Dom0. */
#define PART_COPY_MAX_BYTES   (UINT64_C(64) << 20) /* the files' sizes, in all */
#define PART_COPY_MAX_ENTRIES 10000		   /* directories, files and symlinks */
#define PART_COPY_MAX_DEPTH   16		   /* directory levels below src */

/*
 * Copy directory src (absolute, inside the guest's ext4 on partition partuuid of lun) to
 * dest_dir on the host, read-only on the partition (through the guard: lun must be listed,
 * the partition must belong to guest per the owner callback; the domain must not run).
 * Copied: regular files (mode without set-id bits and group/other write), directories and
 * symlinks, recreated as symlinks with the same target and never followed; devices, FIFOs,
 * sockets and unsafe names (with '/' or NUL) are left out. Symlinks in src itself (".../last")
 * are resolved inside the filesystem: an absolute target means the guest's root.
 * The copy is made in a new directory beside dest_dir, written only through openat()
 * relative to directories it made itself (O_NOFOLLOW, O_EXCL), then renamed to dest_dir,
 * which it replaces (the old one is removed, not followed); dest_dir's parent must exist.
 * On error dest_dir is untouched. Over the PART_COPY_MAX_* limits nothing is copied.
 * On a block device the Dom0's page cache of the partition is dropped first: the guest
 * wrote past it.
 * Returns: the number of regular files copied (>= 0); -ENOENT (no such partition, or src does
 * not exist), -ENOTDIR, -EPERM (not a listed LUN, not guest's partition), -EFBIG (over a
 * limit), -EIO (no ext4, damaged), -errno; the reason in d.
 */
int part_fs_copy_out(const struct part_guard *g, const char *lun, const char *partuuid,
		     const char *guest, const char *src, const char *dest_dir, struct diag *d);

/*
 * The site's stable name of partition partno of lun, as configs use it: lun + "p" + N when
 * lun ends in a digit, else lun + N (/dev/fc/fc-p1d1 -> /dev/fc/fc-p1d1p13, /dev/sdb -> /dev/sdb3).
 * Returns: 0 and a new string in *ret, -ENOMEM, -EINVAL (partno 0).
 */
int part_alias_path(const char *lun, unsigned partno, char **ret);

/*
 * Make the stable name of partition partno of lun resolve to node (from part_result) on this
 * host: nothing when it is node itself or already is that device; else a symlink to node is
 * created (or a symlink pointing elsewhere replaced). Anything else at that path (a file, a
 * directory, another block device) is refused. *ret_path (may be NULL) gets the stable name.
 * Returns: 0, -ENOTBLK (node is not a block device), -EEXIST (refused), -errno, with d.
 */
int part_alias_ensure(const char *lun, unsigned partno, const char *node, char **ret_path,
		      struct diag *d);
/* Remove the stable name if it is a symlink (anything else is left alone). 0 also when absent. */
int part_alias_remove(const char *lun, unsigned partno, struct diag *d);

/* ---- golden images: install once, clone the rest (doc/images.md) ---- */

#define PART_NAME_IMAGE_PREFIX "image:" /* GPT name of the partition holding image NAME */
#define PART_IMAGE_SUM_HEX     64	/* SHA-256 in hex */

/* What a copy of a filesystem's used blocks did. */
struct part_copy_stats {
	uint64_t fs_bytes;	/* the source filesystem's size */
	uint64_t used_bytes;	/* its allocated blocks that were copied */
	uint64_t bytes_read;	/* from the source */
	uint64_t bytes_written; /* to the destination (0 for a checksum pass) */
	uint64_t reads, writes; /* I/O calls: runs of blocks, at most 4 MiB each */
};

/* A captured image, for the inventory's images table. */
struct part_image_info {
	char checksum[PART_IMAGE_SUM_HEX + 1]; /* over the image's used blocks (doc/images.md) */
	uint64_t fs_bytes;		       /* the image's ext4 (shrunk to its minimum) */
	uint64_t used_bytes;		       /* its used blocks: what a clone copies */
	struct part_copy_stats copy;	       /* the copy out of the source guest */
	bool staged;			       /* shrunk in a file in tmp_dir (see capture) */
};

/*
 * The image partition size capture needs for the guest's ext4 on partition partuuid of lun
 * (read-only): its used blocks without /swapfile, plus room for resize2fs's minimum (the
 * metadata of the groups it keeps), rounded up to 1 MiB. An estimate on the safe side:
 * part_image_capture() says so when it was not enough.
 * Returns: 0 and the size in *ret, -EPERM (not guest's), -EMEDIUMTYPE (no ext4), -errno, with d.
 */
int part_image_size(const struct part_guard *g, const char *lun, const char *partuuid,
		    const char *guest, uint64_t *ret, struct diag *d);

/*
 * Where capture stages a copy it cannot shrink in the image partition: tmp_dir, else $TMPDIR,
 * else /var/tmp.
 */
const char *part_image_tmp_dir(const char *tmp_dir);

/*
 * Whether capture can stage the copy of a filesystem of fs_bytes for an image partition of
 * image_size (part_image_size()): no staging when it fits the image partition, else about twice
 * image_size free in part_image_tmp_dir(tmp_dir) (the used blocks, and the blocks resize2fs
 * moves while it shrinks the copy: the sparse file keeps their old places). Read-only.
 * Returns: 0; -ENOSPC (what it needs and has in d), -errno (statvfs); with d.
 */
int part_image_stage_check(const char *tmp_dir, uint64_t fs_bytes, uint64_t image_size,
			   struct diag *d);

/*
 * Capture image name from guest's ext4 (partition partuuid of lun; the domain must not run)
 * into partition img_partuuid of img_lun, which must be named "image:NAME" and hold nothing
 * or an ext4 labelled name (an earlier capture: replaced). The guest's partition is only read,
 * and only its used blocks, /swapfile's data left out. The copy is then checked (e2fsck -fy),
 * its /swapfile removed, shrunk to its minimum (resize2fs -M) and labelled name; when the
 * guest's filesystem is larger than the image partition, this happens in a sparse file in
 * part_image_tmp_dir(tmp_dir) that holds the used blocks only, and is then copied in. ret gets
 * the checksum to record and the copy's counters.
 * Returns: 0; -EPERM (not guest's partition, not an image partition, not a listed LUN),
 * -EMEDIUMTYPE (not an ext4), -EUCLEAN (its journal needs recovery: not cleanly shut down),
 * -EBUSY (the image partition holds something else), -ENOSPC
 * (the image does not fit: the size it needs in d), -EIO (e2fsck found errors it could not
 * fix), -errno; the reason in d.
 */
int part_image_capture(const struct part_guard *g, const char *lun, const char *partuuid,
		       const char *guest, const char *img_lun, const char *img_partuuid,
		       const char *name, const char *tmp_dir, struct part_image_info *ret,
		       struct diag *d);

/*
 * Whether image name (partition img_partuuid of img_lun, named "image:NAME") still matches
 * checksum, read-only. *ret_fs_bytes (may be NULL) gets the size of the image's ext4.
 * Returns: 0 it does, -EBADMSG it does not, -EPERM, -EMEDIUMTYPE, -errno; with d.
 */
int part_image_verify(const struct part_guard *g, const char *img_lun, const char *img_partuuid,
		      const char *name, const char *checksum, uint64_t *ret_fs_bytes,
		      struct diag *d);

/* What makes a clone this guest, written offline (without mounting) into its ext4. */
struct part_personal {
	const char *hostname;		/* /etc/hostname, /etc/hosts; NULL: the guest's name */
	const char *iface;		/* NULL: eth0 */
	const char *address;		/* IPv4; NULL: no static configuration (loopback only) */
	unsigned prefix;		/* 1..32 */
	const char *gateway;		/* NULL: none */
	const char *const *nameservers; /* NULL-terminated /etc/resolv.conf; NULL: keep it */
	const char *fs_uuid;		/* the clone's ext4 UUID (recorded first); NULL: random */
	uint64_t swap_size;		/* a fresh /swapfile; 0: none (its fstab line dropped) */
};

/*
 * The pipeline's "format" stage done from an image: image name (partition img_partuuid of
 * img_lun) is checked against checksum before anything is written, its used blocks copied
 * into guest's partition partuuid of lun (through the guard, as part_format(): the partition
 * must belong to guest, a signature in it be guest's), the ext4 checked (e2fsck -fp), grown
 * to the partition (resize2fs), given p->fs_uuid and guest's label (tune2fs), personalised
 * (hostname, hosts, network, resolv.conf, fstab's "/" by UUID, an empty machine-id, new SSH
 * host keys made on this host) and given a fresh /swapfile, written last: part_format_check()
 * then says done. ret (may be NULL) gets the copy's counters.
 * Returns: 0; -EBADMSG (checksum mismatch: nothing written), -ENOSPC (the image's ext4 is
 * larger than the partition: nothing written), -EPERM, -EBUSY, -EMEDIUMTYPE, -EINVAL, -errno
 * of the tools and of libext2fs; the reason in d.
 */
int part_image_clone(const struct part_guard *g, const char *img_lun, const char *img_partuuid,
		     const char *name, const char *checksum, const char *lun, const char *partuuid,
		     const char *guest, const struct part_personal *p, struct part_copy_stats *ret,
		     struct diag *d);
