/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden images (doc/images.md): capture a guest's ext4 into an image partition on a LUN,
 * and clone it into other guests' partitions. The guest's partition is only ever read; an
 * image is checked against its checksum before a clone writes anything.
 *
 * The pieces: part__fs_map_read() (ext2-image.c) says which blocks hold something,
 * part__fs_copy() (image-copy.c) copies and sums them, e2tools.c checks, shrinks, grows and
 * renames the copy, personal.c and ext2-edit.c make it the new guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/sha256.h"
#include "common/util.h"
#include "partition/partition-internal.h"

#define TMP_DIR_DEFAULT "/var/tmp"

static void part_fs_map_releasep(struct part__fs_map *m)
{
	part__fs_map_release(m);
}

static void part_result_releasep(struct part_result *r)
{
	part_result_release(r);
}

static void part_edits_releasep(struct part__edits *e)
{
	part__edits_release(e);
}

static const char *size_str(uint64_t bytes, char buf[32])
{
	return format_size(bytes, buf, 32);
}

/* The ext4 in rg (blkid), or why it is not one. verb: "capture" ... */
static int expect_ext4(const struct part__region *rg, const struct part_result *res,
		       const char *verb, struct diag *d)
{
	_cleanup_(part_signature_release) struct part_signature sig = {0};
	int r = part__blkid_probe_sig(rg, &sig, d);

	if (r < 0)
		return r;
	if (!sig.type || !streq(sig.type, "ext4")) {
		diag_error(d, NULL,
			   "partition %u on '%s' ('%s') holds %s%s, not ext4: cannot %s it",
			   res->partno, res->lun, res->name,
			   sig.type ? "a filesystem of type " : "no filesystem",
			   sig.type ? sig.type : "", verb);
		return -EMEDIUMTYPE;
	}
	return 0;
}

/* Partition partuuid of lun, named "image:NAME", read-only, into ret. */
static int image_partition(const struct part_guard *g, const char *lun, const char *partuuid,
			   const char *name, struct part_result *ret, struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) char *want = NULL;
	const struct part_entry *e;
	struct part_lun now = {0};
	int r;

	if (!name || !hostname_label_valid(name))
		return diag_error(d, NULL, "invalid image name '%s'", name ? name : "");
	if (asprintf(&want, PART_NAME_IMAGE_PREFIX "%s", name) < 0)
		return -ENOMEM;
	r = part__partition_find(g, lun, partuuid, &fd, &now, &e, d);
	if (r >= 0 && !streq(e->name ? e->name : "", want)) {
		diag_error(
			d, NULL,
			"partition %u on '%s' (PARTUUID %s, '%s') is not image '%s''s partition ('%s')",
			e->partno, lun, partuuid, e->name ? e->name : "", name, want);
		r = -EPERM;
	}
	if (r >= 0)
		r = part__result_fill(fd, &now, e, true, ret, d);
	part_lun_release(&now);
	return r;
}

/* The image partition holds nothing, or an ext4 labelled as the image (an earlier capture). */
static int image_writable(const struct part__region *rg, const struct part_result *res,
			  const char *name, struct diag *d)
{
	_cleanup_(part_signature_release) struct part_signature sig = {0};
	_cleanup_(freep) char *label = part__fs_label(name);
	int r;

	if (!label)
		return -ENOMEM;
	r = part__blkid_probe_sig(rg, &sig, d);
	if (r < 0 || !sig.type)
		return r;
	if (streq(sig.type, "ext4") && sig.label && streq(sig.label, label))
		return 0;
	diag_error(
		d, NULL,
		"partition %u on '%s' ('%s') holds a signature (%s) that is not image '%s''s, refusing to capture into it",
		res->partno, res->lun, res->name, sig.type, name);
	return -EBUSY;
}

int part_image_size(const struct part_guard *g, const char *lun, const char *partuuid,
		    const char *guest, uint64_t *ret, struct diag *d)
{
	_cleanup_(part_result_releasep) struct part_result src = {0};
	_cleanup_(part_fs_map_releasep) struct part__fs_map map = {0};
	struct part__region rg;
	uint64_t used;
	int r;

	if (!guest || !hostname_label_valid(guest))
		return diag_error(d, NULL, "invalid guest name '%s'", guest ? guest : "");
	r = part__guest_partition(g, lun, partuuid, guest, "capture", &src, d);
	if (r < 0)
		return r;
	rg = part__result_region(&src);
	part__region_drop_cache(&rg);
	r = expect_ext4(&rg, &src, "capture", d);
	if (r >= 0)
		r = part__fs_map_read(&rg, PART__MAP_NO_SWAPFILE, &map, d);
	if (r < 0)
		return r;
	/* the used blocks hold every group's inode table; the shrunk image keeps fewer groups */
	used = map.used * map.block_size;
	*ret = part__align_up(used + used / 20 + (UINT64_C(64) << 20));
	return 0;
}

const char *part_image_tmp_dir(const char *tmp_dir)
{
	const char *env = getenv("TMPDIR");

	return tmp_dir ? tmp_dir : env && *env ? env : TMP_DIR_DEFAULT;
}

int part_image_stage_check(const char *tmp_dir, uint64_t fs_bytes, uint64_t image_size,
			   struct diag *d)
{
	const char *dir = part_image_tmp_dir(tmp_dir);
	uint64_t need = 2 * image_size, have;
	struct statvfs st;
	char b1[32], b2[32];

	if (fs_bytes <= image_size)
		return 0; /* shrunk in the image partition itself */
	if (statvfs(dir, &st) < 0)
		return diag_error_errno(d, NULL, -errno,
					"cannot see the free space in '%s' (TMPDIR), where capture "
					"stages the copy",
					dir);
	have = (uint64_t) st.f_bavail * st.f_frsize;
	if (have >= need)
		return 0;
	diag_error(d, NULL,
		   "capture stages the copy in '%s' and needs about %s free there; it has %s", dir,
		   format_size(need, b1, sizeof(b1)), format_size(have, b2, sizeof(b2)));
	diag_add(
		d, DIAG_NOTE, NULL,
		"set TMPDIR to a directory on a larger local filesystem of this Dom0; nothing was written");
	return -ENOSPC;
}

/* Where capture shrinks the copy: the image partition, or a sparse file in tmp_dir. */
static int stage_open(const char *tmp_dir, uint64_t size, char **ret_path, struct diag *d)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;

	if (asprintf(&path, "%s/provision-image.XXXXXX", tmp_dir) < 0)
		return -ENOMEM;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return diag_error_errno(d, NULL, -errno, "cannot create a file in '%s'", tmp_dir);
	if (ftruncate(fd, (off_t) size) < 0) {
		int r = -errno;

		(void) unlink(path);
		return diag_error_errno(d, NULL, r, "cannot make '%s' %llu bytes", path,
					(unsigned long long) size);
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

/* The copy in stage made an image: no /swapfile, checked, at its minimum, labelled. */
static int stage_finish(const struct part__region *stage, const char *name, struct diag *d)
{
	_cleanup_(freep) char *label = part__fs_label(name);
	int r;

	if (!label)
		return -ENOMEM;
	r = part__swapfile_remove(stage, d);
	if (r >= 0)
		r = part__e2fsck(stage, "-y", d);
	if (r >= 0)
		r = part__resize2fs(stage, 0, d);
	if (r >= 0)
		r = part__tune2fs(stage, NULL, label, d);
	return r;
}

/* The finished image from stage into img (when staged), summed; its size checked. */
static int image_store(const struct part__region *stage, const struct part__region *img,
		       const char *name, struct part_image_info *info, struct diag *d)
{
	_cleanup_(part_fs_map_releasep) struct part__fs_map map = {0};
	struct part_copy_stats st = {0};
	uint8_t dg[SHA256_BYTES];
	struct sha256 sum;
	char a[32], b[32];
	int r;

	r = part__fs_map_read(stage, 0, &map, d);
	if (r < 0)
		return r;
	info->fs_bytes = map.blocks * map.block_size;
	info->used_bytes = map.used * map.block_size;
	if (info->fs_bytes > img->size) {
		diag_error(d, NULL,
			   "image '%s' needs a partition of at least %s, its partition has %s",
			   name, size_str(part__align_up(info->fs_bytes), a),
			   size_str(img->size, b));
		return -ENOSPC;
	}
	if (stage->path == img->path && stage->offset == img->offset)
		return part__fs_sum(img, &map, info->checksum, NULL, d);
	sha256_init(&sum);
	r = part__fs_copy(stage, img, &map, &sum, &st, d);
	if (r < 0)
		return r;
	sha256_final(&sum, dg);
	sha256_hex(dg, info->checksum);
	return 0;
}

int part_image_capture(const struct part_guard *g, const char *lun, const char *partuuid,
		       const char *guest, const char *img_lun, const char *img_partuuid,
		       const char *name, const char *tmp_dir, struct part_image_info *ret,
		       struct diag *d)
{
	_cleanup_(part_result_releasep) struct part_result src = {0}, img = {0};
	_cleanup_(part_fs_map_releasep) struct part__fs_map map = {0};
	_cleanup_(freep) char *tmp = NULL;
	struct part_image_info info = {0};
	struct part__region srg, irg, stage;
	uint64_t fs_bytes;
	int r;

	if (!guest || !hostname_label_valid(guest))
		return diag_error(d, NULL, "invalid guest name '%s'", guest ? guest : "");
	r = part__guest_partition(g, lun, partuuid, guest, "capture", &src, d);
	if (r >= 0)
		r = image_partition(g, img_lun, img_partuuid, name, &img, d);
	if (r < 0)
		return r;
	srg = part__result_region(&src);
	irg = part__result_region(&img);
	part__region_drop_cache(&srg);
	r = expect_ext4(&srg, &src, "capture", d);
	if (r >= 0)
		r = image_writable(&irg, &img, name, d);
	if (r >= 0)
		r = part__fs_map_read(&srg, PART__MAP_NO_SWAPFILE, &map, d);
	if (r < 0)
		return r;
	fs_bytes = map.blocks * map.block_size;
	stage = irg;
	if (fs_bytes > irg.size) {
		/* too big for the image partition before it is shrunk: shrink it beside */
		r = stage_open(part_image_tmp_dir(tmp_dir), fs_bytes, &tmp, d);
		if (r < 0)
			return r;
		stage = (struct part__region){.path = tmp, .fd = -1, .size = fs_bytes};
		info.staged = true;
	}
	r = part__fs_copy(&srg, &stage, &map, NULL, &info.copy, d);
	if (r >= 0)
		r = stage_finish(&stage, name, d);
	if (r >= 0)
		r = image_store(&stage, &irg, name, &info, d);
	if (tmp)
		(void) unlink(tmp);
	if (r >= 0 && ret)
		*ret = info;
	return r;
}

int part_image_verify(const struct part_guard *g, const char *img_lun, const char *img_partuuid,
		      const char *name, const char *checksum, uint64_t *ret_fs_bytes,
		      struct diag *d)
{
	_cleanup_(part_result_releasep) struct part_result img = {0};
	_cleanup_(part_fs_map_releasep) struct part__fs_map map = {0};
	char sum[PART_IMAGE_SUM_HEX + 1];
	struct part__region rg;
	int r;

	r = image_partition(g, img_lun, img_partuuid, name, &img, d);
	if (r < 0)
		return r;
	rg = part__result_region(&img);
	part__region_drop_cache(&rg);
	r = expect_ext4(&rg, &img, "clone", d);
	if (r >= 0)
		r = part__fs_map_read(&rg, 0, &map, d);
	if (r >= 0)
		r = part__fs_sum(&rg, &map, sum, NULL, d);
	if (r < 0)
		return r;
	if (!checksum || strcasecmp(sum, checksum) != 0) {
		diag_error(
			d, NULL,
			"image '%s' (partition %u on '%s') does not match its checksum: recorded %s, found %s",
			name, img.partno, img_lun, checksum ? checksum : "(none)", sum);
		return -EBADMSG;
	}
	if (ret_fs_bytes)
		*ret_fs_bytes = map.blocks * map.block_size;
	return 0;
}

/* guest's partition partuuid of lun, and any signature in it guest's (as format requires). */
static int clone_target(const struct part_guard *g, const char *lun, const char *partuuid,
			const char *guest, struct part_result *res, struct diag *d)
{
	_cleanup_(part_signature_release) struct part_signature sig = {0};
	struct part__region rg;
	struct part_entry e;
	int r;

	r = part__guest_partition(g, lun, partuuid, guest, "clone into", res, d);
	if (r < 0)
		return r;
	rg = part__result_region(res);
	r = part__blkid_probe_sig(&rg, &sig, d);
	if (r < 0 || !sig.type)
		return r;
	e = (struct part_entry){.partno = res->partno,
				.start = res->start,
				.size = res->size,
				.name = res->name,
				.uuid = res->uuid};
	return part__sig_check(g, lun, &e, guest, &sig, d);
}

/* Where new SSH host keys are made for a moment: memory (/run) where there is one. */
static const char *keys_dir(void)
{
	return access("/run", W_OK) == 0 ? "/run" : "/tmp";
}

/* The personal edits, and new SSH host keys when the image has any, all read from img. */
static int clone_edits(const struct part__region *img, const struct part_personal *p,
		       const char *guest, const char *uuid, struct part__edits *e, struct diag *d)
{
	_cleanup_(strv_freep) char **keys = NULL;
	_cleanup_(freep) char *fstab = NULL;
	int r;

	r = part__fs_read_file(img, "/etc/fstab", 65536, &fstab, d);
	if (r < 0 && r != -ENOENT)
		return r;
	r = part__personal_edits(p, guest, fstab, uuid, e, d);
	if (r >= 0)
		r = part__fs_list(img, "/etc/ssh", "ssh_host_", &keys, d);
	/* Debian makes keys only when openssh-server is installed: so here, on this host */
	if (r > 0)
		r = part__ssh_host_keys(keys_dir(), e, d);
	return r < 0 ? r : 0;
}

/* Everything that can be checked before the first write. */
static int clone_check(const struct part__region *irg, const struct part__fs_map *map,
		       const struct part_result *dst, const char *name, const char *checksum,
		       uint64_t swap_size, struct diag *d)
{
	uint64_t fs_bytes = map->blocks * map->block_size;
	char sum[PART_IMAGE_SUM_HEX + 1], a[32], b[32];
	int r;

	if (fs_bytes > dst->size) {
		diag_error(
			d, NULL,
			"image '%s' (an ext4 of %s) does not fit partition %u on '%s' (%s), nothing written",
			name, size_str(fs_bytes, a), dst->partno, dst->lun, size_str(dst->size, b));
		return -ENOSPC;
	}
	if (swap_size % 4096 || swap_size > dst->size / 2)
		return diag_error(
			d, NULL,
			"swap size %llu is not a multiple of 4K or more than half of partition %u on '%s'",
			(unsigned long long) swap_size, dst->partno, dst->lun);
	r = part__fs_sum(irg, map, sum, NULL, d);
	if (r < 0)
		return r;
	if (!checksum || strcasecmp(sum, checksum) != 0) {
		diag_error(
			d, NULL,
			"image '%s' does not match its checksum (recorded %s, found %s), nothing written",
			name, checksum ? checksum : "(none)", sum);
		return -EBADMSG;
	}
	return 0;
}

/* The writes: the copy (summed again), then the tools, the edits, the swap file last. */
static int clone_write(const struct part__region *irg, const struct part__fs_map *map,
		       const struct part__region *drg, const char *checksum, const char *uuid,
		       const char *label, const struct part__edits *e, uint64_t swap_size,
		       struct part_copy_stats *st, struct diag *d)
{
	char sum[PART_IMAGE_SUM_HEX + 1];
	uint8_t dg[SHA256_BYTES];
	struct sha256 s;
	int r;

	sha256_init(&s);
	r = part__fs_copy(irg, drg, map, &s, st, d);
	if (r < 0)
		return r;
	sha256_final(&s, dg);
	sha256_hex(dg, sum);
	if (strcasecmp(sum, checksum) != 0)
		return diag_error(d, NULL, "the image changed while it was copied (found %s)", sum);
	r = part__e2fsck(drg, "-p", d);
	if (r >= 0)
		r = part__resize2fs(drg, drg->size, d);
	if (r >= 0)
		r = part__tune2fs(drg, uuid, label, d);
	if (r >= 0)
		r = part__fs_edit(drg, e, d);
	if (r >= 0 && swap_size)
		r = part__swapfile_create(drg, swap_size, label, d);
	return r;
}

int part_image_clone(const struct part_guard *g, const char *img_lun, const char *img_partuuid,
		     const char *name, const char *checksum, const char *lun, const char *partuuid,
		     const char *guest, const struct part_personal *p, struct part_copy_stats *ret,
		     struct diag *d)
{
	_cleanup_(part_result_releasep) struct part_result img = {0}, dst = {0};
	_cleanup_(part_fs_map_releasep) struct part__fs_map map = {0};
	_cleanup_(part_edits_releasep) struct part__edits e = {0};
	_cleanup_(freep) char *label = NULL;
	struct part_copy_stats st = {0};
	struct part__region irg, drg;
	char uuid[37];
	int r;

	if (!guest || !hostname_label_valid(guest))
		return diag_error(d, NULL, "invalid guest name '%s'", guest ? guest : "");
	if (!p)
		return diag_error(d, NULL, "no personalisation for guest '%s'", guest);
	r = image_partition(g, img_lun, img_partuuid, name, &img, d);
	if (r >= 0)
		r = clone_target(g, lun, partuuid, guest, &dst, d);
	if (r < 0)
		return r;
	irg = part__result_region(&img);
	drg = part__result_region(&dst);
	if (p->fs_uuid)
		snprintf(uuid, sizeof(uuid), "%s", p->fs_uuid);
	else if ((r = part_uuid_new(uuid)) < 0)
		return r;
	label = part__fs_label(guest);
	if (!label)
		return -ENOMEM;
	part__region_drop_cache(&irg);
	r = expect_ext4(&irg, &img, "clone", d);
	if (r >= 0)
		r = part__fs_map_read(&irg, 0, &map, d);
	if (r >= 0)
		r = clone_check(&irg, &map, &dst, name, checksum, p->swap_size, d);
	if (r >= 0)
		r = clone_edits(&irg, p, guest, uuid, &e, d);
	if (r >= 0)
		r = clone_write(&irg, &map, &drg, checksum, uuid, label, &e, p->swap_size, &st, d);
	if (r >= 0 && ret)
		*ret = st;
	return r;
}
