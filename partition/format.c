/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline's stages after the claim: find a claimed partition by PARTUUID (its node on
 * this host), and give it ext4 and the swap file, idempotently: what is there is checked
 * first (libblkid for the signature and label, libext2fs for /swapfile).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

int part__format_region(const struct part__region *rg, const char *label, const char *uuid,
			uint64_t swap_size, struct diag *d)
{
	int r;

	r = part__mkfs_ext4(rg, label, uuid, d);
	if (r >= 0 && swap_size)
		r = part__swapfile_create(rg, swap_size, label, d);
	return r;
}

int part__result_fill(int fd, const struct part_lun *now, const struct part_entry *e,
		      bool with_node, struct part_result *ret, struct diag *d)
{
	struct part_result res = {.partno = e->partno, .start = e->start, .size = e->size};
	struct stat st;
	int r = 0;

	res.lun = strdup(now->path);
	res.name = strdup(e->name ? e->name : "");
	res.uuid = e->uuid ? strdup(e->uuid) : NULL;
	if (!res.lun || !res.name || (e->uuid && !res.uuid))
		r = -ENOMEM;
	if (r == 0 && with_node && fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		struct diag quiet = DIAG_INIT;

		/* unknown to the kernel: tell it, then look again (with the messages this time) */
		r = part__sysfs_node(st.st_rdev, e->partno, e->start, e->size, &res.node, &quiet);
		if (r == -ENXIO)
			r = part__kernel_add(fd, now->path, e->partno, e->start, e->size, d);
		else if (r < 0)
			r = 0; /* again below, for the message */
		diag_release(&quiet);
		if (r == 0 && !res.node)
			r = part__sysfs_node(st.st_rdev, e->partno, e->start, e->size, &res.node,
					     d);
	}
	if (r == 0 && res.node)
		res.target = strdup(res.node);
	else if (r == 0 &&
		 asprintf(&res.target, "%s@%llu", now->path, (unsigned long long) e->start) < 0)
		res.target = NULL;
	if (r == 0 && !res.target)
		r = -ENOMEM;
	if (r < 0) {
		part_result_release(&res);
		return r;
	}
	*ret = res;
	return 0;
}

/* The LUN (guard-checked) open on *ret_fd, its snapshot, and partuuid's entry in it. */
int part__partition_find(const struct part_guard *g, const char *lun, const char *partuuid,
			 int *ret_fd, struct part_lun *now, const struct part_entry **ret_e,
			 struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	int r;

	r = part_guard_find(g, lun, d);
	if (r >= 0)
		r = part__lun_open(g, lun, false, &fd, d);
	if (r >= 0)
		r = part__lun_read_fd(g, fd, lun, now, d);
	if (r < 0)
		return r;
	*ret_e = part__find_uuid(now, partuuid);
	if (!*ret_e) {
		diag_error(d, NULL, "LUN '%s' has no partition with PARTUUID %s", lun,
			   partuuid ? partuuid : "(none)");
		return -ENOENT;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int part_locate(const struct part_guard *g, const char *lun, const char *partuuid,
		struct part_result *ret, struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	const struct part_entry *e;
	struct part_lun now = {0};
	int r;

	r = part__partition_find(g, lun, partuuid, &fd, &now, &e, d);
	if (r >= 0)
		r = part__result_fill(fd, &now, e, true, ret, d);
	part_lun_release(&now);
	return r;
}

struct part__region part__result_region(const struct part_result *res)
{
	if (res->node)
		return (struct part__region){.path = res->node, .fd = -1, .size = res->size};
	return (struct part__region){
		.path = res->lun, .fd = -1, .offset = res->start, .size = res->size};
}

int part__guest_partition(const struct part_guard *g, const char *lun, const char *partuuid,
			  const char *guest, const char *verb, struct part_result *ret,
			  struct diag *d)
{
	_cleanup_(closep) int fd = -1;
	const struct part_entry *e;
	struct part_lun now = {0};
	int r;

	r = part__partition_find(g, lun, partuuid, &fd, &now, &e, d);
	if (r >= 0 && !part__owned_by(e, guest)) {
		diag_error(
			d, NULL,
			"partition %u on '%s' (PARTUUID %s, '%s') does not belong to guest '%s', refusing to %s it",
			e->partno, lun, partuuid, e->name, guest, verb);
		r = -EPERM;
	}
	if (r >= 0)
		r = part__result_fill(fd, &now, e, true, ret, d);
	part_lun_release(&now);
	return r;
}

/* part_format_check(), leaving the partition in *res for part_format(). */
static int format_state(const struct part_guard *g, const char *lun, const char *partuuid,
			const char *guest, uint64_t swap_size, struct part_result *res,
			struct diag *d)
{
	_cleanup_(part_signature_release) struct part_signature sig = {0};
	_cleanup_(freep) char *fs_label = NULL;
	struct part_entry e;
	struct part__region rg;
	uint64_t have = 0;
	bool complete = false;
	int r;

	r = part__guest_partition(g, lun, partuuid, guest, "format", res, d);
	if (r < 0)
		return r;
	fs_label = part__fs_label(guest);
	if (!fs_label)
		return -ENOMEM;
	e = (struct part_entry){.partno = res->partno,
				.start = res->start,
				.size = res->size,
				.name = res->name,
				.uuid = res->uuid};
	rg = part__result_region(res);
	r = part__blkid_probe_sig(&rg, &sig, d);
	if (r < 0 || !sig.type)
		return r;
	if (!streq(sig.type, "ext4") || !sig.label || !streq(sig.label, fs_label)) {
		diag_error(
			d, NULL,
			"partition %u on '%s' ('%s') holds a signature (%s%s%s%s) that is not guest '%s''s ext4, refusing to format it",
			res->partno, lun, res->name, sig.type, sig.label ? ", label '" : "",
			sig.label ? sig.label : "", sig.label ? "'" : "", guest);
		return -EBUSY;
	}
	/* an ext4 of the right label, but one provision made? */
	r = part__sig_check(g, lun, &e, guest, &sig, d);
	if (r < 0)
		return r;
	r = part__swapfile_stat(&rg, &have, &complete, d);
	if (r < 0)
		return r;
	/* our own ext4, but not what was asked for or not finished: format makes it again */
	return swap_size ? have == swap_size && complete : have == 0;
}

int part_format_check(const struct part_guard *g, const char *lun, const char *partuuid,
		      const char *guest, uint64_t swap_size, struct diag *d)
{
	struct part_result res = {0};
	int r = format_state(g, lun, partuuid, guest, swap_size, &res, d);

	part_result_release(&res);
	return r;
}

int part_uuid_new(char ret[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

int part_format(const struct part_guard *g, const char *lun, const char *partuuid,
		const char *guest, const char *fs_uuid, uint64_t swap_size, bool *ret_already,
		struct part_result *ret, struct diag *d)
{
	_cleanup_(freep) char *fs_label = NULL;
	struct part_result res = {0};
	struct part__region rg;
	int r;

	if (!guest || !hostname_label_valid(guest))
		return diag_error(d, NULL, "invalid guest name '%s'", guest ? guest : "");
	if (swap_size % 4096)
		return diag_error(d, NULL, "swap size %llu is not a multiple of 4K",
				  (unsigned long long) swap_size);
	r = format_state(g, lun, partuuid, guest, swap_size, &res, d);
	if (r == 0 && swap_size > res.size / 2) {
		diag_error(d, NULL, "swap size %llu is more than half of partition %u on '%s'",
			   (unsigned long long) swap_size, res.partno, lun);
		r = -EINVAL;
	}
	if (r == 0) {
		fs_label = part__fs_label(guest);
		rg = part__result_region(&res);
		r = fs_label ? part__format_region(&rg, fs_label, fs_uuid, swap_size, d) : -ENOMEM;
	}
	if (r < 0) {
		part_result_release(&res);
		return r;
	}
	if (ret_already)
		*ret_already = r > 0;
	res.swap_size = swap_size;
	if (ret)
		*ret = res;
	else
		part_result_release(&res);
	return 0;
}
