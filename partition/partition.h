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
	char *name;  /* GPT partition name, "" when none */
	char *uuid;  /* PARTUUID */
	char *owner; /* guest owning it (from the owner callback), NULL: free or foreign */
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

/* The safety rules every change goes through. */
struct part_guard {
	char *const *luns;   /* NULL-terminated: the only devices that may be opened for writing */
	part_owner_fn owner; /* NULL: part_owner_by_name */
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

/* ---- plans ---- */

enum part_plan_kind {
	PART_PLAN_INIT,	   /* create a GPT label */
	PART_PLAN_CARVE,   /* add partitions named "free" */
	PART_PLAN_PREPARE, /* give a guest a partition (reused or new), mkfs, swap file */
	PART_PLAN_RELEASE, /* wipe signatures, rename to "free" */
	_PART_PLAN_KIND_MAX,
	_PART_PLAN_KIND_INVALID = -22,
};

struct part_step {
	unsigned partno;
	uint64_t start, size;
	bool create;	/* a new partition; else an existing one renamed */
	char *name;	/* GPT name to set */
	char *old_name; /* the name it has now (renames) */
};

struct part_plan {
	enum part_plan_kind kind;
	char *lun; /* path of the LUN the plan changes */
	unsigned sector_size;
	struct part_step *steps;
	size_t n_steps;
	char *guest;	    /* PREPARE, RELEASE */
	char *fs_label;	    /* PREPARE: ext4 label (the guest name, cut to 16 bytes) */
	uint64_t swap_size; /* PREPARE: 0 for none */
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

/* The guest's partition (by owner) is wiped and renamed "free". -ENOENT: it has none. */
int part_release_plan(const struct part_luns *luns, const char *guest, struct part_plan *ret,
		      struct diag *d);

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
