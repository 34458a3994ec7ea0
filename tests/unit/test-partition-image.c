/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * partition/ on sparse 200 GiB image files (no root): init, the seed's 15-partition layout,
 * prepare, release, prepare again, fill until full, and the refusals. Every result is checked
 * by tools that do not share our code: sfdisk --json, blkid -p, debugfs, e2fsck.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition.h"
#include "tests/unit/part-helpers.h"
#include "tests/unit/test.h"

static const uint64_t seed[] = {30 * G, 25 * G, 20 * G, 10 * G, 10 * G, 10 * G, 10 * G, 10 * G,
				10 * G, 10 * G, 10 * G, 10 * G, 10 * G, 10 * G, 10 * G};

static int prepare(const struct part_guard *g, const char *guest, uint64_t size, uint64_t swap,
		   struct part_result *res, struct diag *d)
{
	struct part_request req = {.guest = guest, .size = size, .swap_size = swap};
	struct part_luns luns = {0};
	struct part_plan p = {0};
	int r;

	r = part_luns_read(g, g->luns, &luns, d);
	if (r >= 0)
		r = part_prepare_plan(&luns, &req, &p, d);
	if (r >= 0)
		r = part_plan_apply(g, &p, res, d);
	part_plan_release(&p);
	part_luns_release(&luns);
	return r;
}

static int release(const struct part_guard *g, const char *guest, struct diag *d)
{
	struct part_luns luns = {0};
	struct part_plan p = {0};
	int r;

	r = part_luns_read(g, g->luns, &luns, d);
	if (r >= 0)
		r = part_release_plan(&luns, guest, &p, d);
	if (r >= 0)
		r = part_plan_apply(g, &p, NULL, d);
	part_plan_release(&p);
	part_luns_release(&luns);
	return r;
}

TEST(lifecycle_on_200g_image)
{
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 200 * G);
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct diag d = DIAG_INIT;
	struct part_result res = {0};
	char *s, want[2048] = "", dev[PATH_MAX];
	int n;

	th_init_carve(&g, lun0, seed, ELEMENTSOF(seed));
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_SUMMARY, lun0), "gpt 15");
	free(s);
	for (size_t i = 0, at = 2048; i < ELEMENTSOF(seed); at += seed[i] / 512, i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%zu:%zu:%zu:free",
			 i ? " " : "", i + 1, at, (size_t) (seed[i] / 512));
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_PARTS, lun0), want);
	free(s);

	/* the exact-size free partition 3 (20G) is reused */
	ASSERT_OK(prepare(&g, "web1", 20 * G, 2 * G, &res, &d));
	ASSERT_EQ(res.partno, 3);
	ASSERT_NULL(res.node);
	th_check_referee(lun0, &res, "guest:web1", "web1");
	snprintf(dev, sizeof(dev), "%s?offset=%llu", lun0, (unsigned long long) res.start);
	th_check_swapfile(dev, 2 * G, "web1");
	part_result_release(&res);

	ASSERT_ERR(prepare(&g, "web1", 20 * G, 2 * G, &res, &d), EEXIST);

	ASSERT_OK(release(&g, "web1", &d));
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_PART(3), lun0), "free");
	free(s);
	ASSERT_STREQ(s = th_sh("blkid -p -o export --offset %llu --size %llu %s; echo rc=$?",
			       (unsigned long long) (55 * G + M), (unsigned long long) (20 * G),
			       lun0),
		     "rc=2");
	free(s);
	ASSERT_ERR(release(&g, "web1", &d), ENOENT);

	/* again: same partition, back from "free" */
	ASSERT_OK(prepare(&g, "web2", 20 * G, 2 * G, &res, &d));
	ASSERT_EQ(res.partno, 3);
	th_check_referee(lun0, &res, "guest:web2", "web2");
	part_result_release(&res);

	/* fill: the twelve 10G partitions, then nothing else is 10G */
	for (n = 0;; n++) {
		char name[16];

		snprintf(name, sizeof(name), "fill%d", n);
		diag_clear(&d);
		if (prepare(&g, name, 10 * G, 0, &res, &d) < 0)
			break;
		ASSERT_EQ(res.partno, 4 + n);
		part_result_release(&res);
	}
	ASSERT_EQ(n, 12);
	ASSERT_STREQ(d.v[d.n - 1].msg, "no room for a 10G partition for guest 'fill12' on any of 1 "
				       "usable LUN(s) (largest free space: 5118M)");
	ASSERT_OK(prepare(&g, "big30", 30 * G, 0, &res, &d));
	ASSERT_EQ(res.partno, 1);
	part_result_release(&res);
	ASSERT_OK(prepare(&g, "big25", 25 * G, 0, &res, &d));
	ASSERT_EQ(res.partno, 2);
	part_result_release(&res);
	/* the rest of the LUN is carved as partition 16 */
	ASSERT_OK(prepare(&g, "tail", 5118 * M, 0, &res, &d));
	ASSERT_EQ(res.partno, 16);
	ASSERT_EQ(res.start, 195 * G + M);
	th_check_referee(lun0, &res, "guest:tail", "tail");
	part_result_release(&res);
	{
		uint64_t before = th_sparse_sum(lun0);

		diag_clear(&d);
		ASSERT_ERR(prepare(&g, "onemore", M, 0, &res, &d), ENOSPC);
		ASSERT_STREQ(d.v[d.n - 1].msg, "no room for a 1M partition for guest 'onemore' on "
					       "any of 1 usable LUN(s) (largest free space: 0)");
		ASSERT_EQ(th_sparse_sum(lun0), before);
	}
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_SUMMARY, lun0), "gpt 16");
	free(s);
	th_unlink(lun0);
	diag_release(&d);
}

/* Plan for a carve on lun (read now), for applying later. */
static void carve_plan(const struct part_guard *g, const char *lun, uint64_t size,
		       struct part_plan *p)
{
	struct diag d = DIAG_INIT;
	struct part_lun l;

	ASSERT_OK(part_lun_read(g, lun, &l, &d));
	ASSERT_OK(part_carve_plan(&l, &size, 1, p, &d));
	part_lun_release(&l);
	diag_release(&d);
}

static const char *last(const struct diag *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

TEST(refuse_unlisted_device)
{
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 200 * G);
	_cleanup_(freep) char *other = th_image("other.img", 200 * G);
	_cleanup_(freep) char *link = NULL;
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct diag d = DIAG_INIT;
	struct part_plan p;
	uint64_t sum;
	char *s;

	th_init_carve(&g, lun0, NULL, 0);
	free(th_sh("printf 'label: gpt\\n' | sfdisk -q %s 2>&1", other));
	carve_plan(&g, other, 10 * G, &p);
	sum = th_sparse_sum(other);
	ASSERT_ERR(part_plan_apply(&g, &p, NULL, &d), EPERM);
	ASSERT_STREQ(last(&d),
		     th_fmt("refusing to write to '%s': it is not one of the site's LUNs", other));
	ASSERT_EQ(th_sparse_sum(other), sum);
	part_plan_release(&p);

	/* the same LUN under another name is the same device: allowed */
	ASSERT_TRUE(asprintf(&link, "%s/lun0-link", th_dir()) > 0);
	ASSERT_OK(symlink(lun0, link));
	carve_plan(&g, link, 10 * G, &p);
	ASSERT_OK(part_plan_apply(&g, &p, NULL, &d));
	part_plan_release(&p);
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_PARTS, lun0),
		     "1:2048:20971520:free");
	free(s);
	(void) unlink(link);
	(void) unlink(other);
	th_unlink(lun0);
	diag_release(&d);
}

TEST(refuse_foreign_signatures_allow_ours)
{
	static const uint64_t two[] = {10 * G, 10 * G};
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 200 * G);
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct part_request req = {.guest = "web1", .size = 10 * G};
	struct part_result res = {0};
	struct part_luns lr = {0};
	struct part_plan p = {0};
	struct diag d = DIAG_INIT;
	uint64_t sum;
	char *s;

	th_init_carve(&g, lun0, two, 2);
	/* a plan made while "free" partition 1 was empty, then someone else's ext4 lands in it */
	ASSERT_OK(part_luns_read(&g, luns, &lr, &d));
	ASSERT_OK(part_prepare_plan(&lr, &req, &p, &d));
	ASSERT_EQ(p.steps[0].partno, 1);
	part_luns_release(&lr);
	free(th_sh("mke2fs -q -F -t ext4 -E offset=%llu,nodiscard %s 1G", (unsigned long long) M,
		   lun0));
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(part_plan_apply(&g, &p, &res, &d), EBUSY);
	ASSERT_STREQ(
		last(&d),
		th_fmt("partition 1 on '%s' ('free') holds a signature (ext4) and does not belong to guest 'web1', refusing to touch it",
		       lun0));
	ASSERT_EQ(th_sparse_sum(lun0), sum);
	part_plan_release(&p);
	/* a plan made now passes it over: a "free" partition holding a filesystem is not free */
	ASSERT_OK(part_luns_read(&g, luns, &lr, &d));
	ASSERT_OK(part_prepare_plan(&lr, &req, &p, &d));
	ASSERT_EQ(p.steps[0].partno, 2);
	ASSERT_STREQ(
		last(&d),
		th_fmt("partition 1 on '%s' is named 'free' but holds a signature (ext4): not free, left alone",
		       lun0));
	part_plan_release(&p);
	part_luns_release(&lr);

	/* a swap signature where a new partition would go (after partition 2) */
	free(th_sh("f=$(mktemp); truncate -s 64M $f; mkswap -q $f; "
		   "dd if=$f of=%s bs=1M seek=%llu conv=notrunc,sparse status=none; rm -f $f",
		   lun0, (unsigned long long) ((20 * G + M) / M)));
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(prepare(&g, "web2", 15 * G, 0, &res, &d), EBUSY);
	ASSERT_STREQ(
		last(&d),
		th_fmt("the space for partition 3 on '%s' holds a signature (swap), refusing to touch it",
		       lun0));
	ASSERT_EQ(th_sparse_sum(lun0), sum);

	/* the same ext4 in a partition named as ours: release may wipe it */
	free(th_sh("sfdisk -q --part-label %s 1 guest:web9", lun0));
	ASSERT_ERR(prepare(&g, "web9", 10 * G, 0, &res, &d), EEXIST);
	ASSERT_OK(release(&g, "web9", &d));
	ASSERT_STREQ(s = th_sh("blkid -p --offset %llu --size %llu %s; echo rc=$?",
			       (unsigned long long) M, (unsigned long long) (10 * G), lun0),
		     "rc=2");
	free(s);
	ASSERT_OK(prepare(&g, "web1", 10 * G, 0, &res, &d));
	ASSERT_EQ(res.partno, 1);
	th_check_referee(lun0, &res, "guest:web1", "web1");
	part_result_release(&res);
	th_unlink(lun0);
	diag_release(&d);
}

TEST(refuse_overlap_dos_missing_nonempty)
{
	_cleanup_(freep) char *ov = th_image("overlap.img", 200 * G);
	_cleanup_(freep) char *dos = th_image("dos.img", 200 * G);
	_cleanup_(freep) char *fs = th_image("fs.img", 1 * G);
	_cleanup_(freep) char *gone = NULL;
	struct diag d = DIAG_INIT;
	struct part_luns luns = {0};
	struct part_request req = {.guest = "web1", .size = 10 * G, .lun = ov};
	struct part_plan p, stale;
	uint64_t sum_ov, sum_dos, sum_fs;

	ASSERT_TRUE(asprintf(&gone, "%s/gone.img", th_dir()) > 0);
	char *paths[] = {ov, dos, fs, gone, NULL};
	struct part_guard g = {.luns = paths};

	free(th_sh(
		"printf 'label: gpt\\nsize=10G, name=free\\nsize=10G, name=free\\n' | sfdisk -q %s 2>&1",
		ov));
	carve_plan(&g, ov, 10 * G, &stale); /* made before the table went bad */
	free(th_sh("python3 %s/tests/helpers/gpt-overlap.py %s 1 2", getenv("SRCDIR"), ov));
	free(th_sh("printf 'label: dos\\nsize=10G\\n' | sfdisk -q %s 2>&1", dos));
	free(th_sh("mke2fs -q -F -t ext4 %s", fs));
	sum_ov = th_sparse_sum(ov);
	sum_dos = th_sparse_sum(dos);
	sum_fs = th_sparse_sum(fs);

	ASSERT_OK(part_luns_read(&g, paths, &luns, &d));
	ASSERT_EQ(luns.n, 4);
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), EUCLEAN);
	ASSERT_STREQ(last(&d), th_fmt("LUN '%s': partitions 1 and 2 overlap", ov));
	ASSERT_ERR(part_plan_apply(&g, &stale, NULL, &d), EUCLEAN);
	ASSERT_STREQ(last(&d),
		     th_fmt("LUN '%s': partitions 1 and 2 overlap, refusing to change it", ov));
	part_plan_release(&stale);

	ASSERT_ERR(part_carve_plan(&luns.v[1], &req.size, 1, &p, &d), EMEDIUMTYPE);
	ASSERT_STREQ(last(&d), th_fmt("LUN '%s' has a dos partition table, not gpt", dos));
	ASSERT_ERR(part_init_plan(&luns.v[1], &p, &d), EEXIST);
	ASSERT_ERR(part_init_plan(&luns.v[2], &p, &d), EBUSY);
	ASSERT_STREQ(last(&d), th_fmt("LUN '%s' is not empty: it holds a signature (ext4)", fs));
	ASSERT_ERR(part_init_plan(&luns.v[3], &p, &d), ENODEV);
	ASSERT_STREQ(last(&d), th_fmt("cannot open '%s': No such file or directory", gone));

	/* with no LUN named, every one is skipped with its reason */
	diag_clear(&d);
	req.lun = NULL;
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), ENOSPC);
	ASSERT_EQ(d.n, 5);
	ASSERT_EQ(d.v[0].level, DIAG_WARNING);
	ASSERT_STREQ(
		last(&d),
		"no room for a 10G partition for guest 'web1' on any of 0 usable LUN(s) (largest free space: 0)");
	part_luns_release(&luns);

	ASSERT_EQ(th_sparse_sum(ov), sum_ov);
	ASSERT_EQ(th_sparse_sum(dos), sum_dos);
	ASSERT_EQ(th_sparse_sum(fs), sum_fs);
	(void) unlink(ov);
	(void) unlink(dos);
	th_unlink(fs);
	diag_release(&d);
}

TEST(apply_rechecks_stale_plans)
{
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 20 * G);
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct diag d = DIAG_INIT;
	struct part_plan p;
	uint64_t sum;

	th_init_carve(&g, lun0, NULL, 0);
	carve_plan(&g, lun0, 10 * G, &p);
	/* too big for the LUN: libfdisk alone would shrink or overlap it */
	p.steps[0].size = 30 * G;
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(part_plan_apply(&g, &p, NULL, &d), ESTALE);
	ASSERT_STREQ(
		last(&d),
		th_fmt("LUN '%s' changed since the plan was made (partition 1 would not fit), nothing done",
		       lun0));
	p.steps[0].size = 10 * G;
	ASSERT_OK(part_plan_apply(&g, &p, NULL, &d));
	/* the same plan again: partition 1 exists now */
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(part_plan_apply(&g, &p, NULL, &d), ESTALE);
	ASSERT_EQ(th_sparse_sum(lun0), sum);
	part_plan_release(&p);
	th_unlink(lun0);
	diag_release(&d);
}

TEST_MAIN()
