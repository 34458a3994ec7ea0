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

TEST_MAIN()
