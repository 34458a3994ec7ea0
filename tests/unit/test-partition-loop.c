/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * partition/ on a loop device (root; suite 'root', skipped otherwise): the kernel learns the
 * new partitions through BLKPG (it cannot parse GPT here), the nodes exist, blkid reads
 * PARTLABEL/PARTUUID from them, and the swap file is accepted by swapon where the kernel can.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "partition/partition.h"
#include "tests/unit/part-helpers.h"
#include "tests/unit/test.h"

static char *loopdev, *image;

static void loop_attach(void)
{
	if (geteuid() != 0)
		SKIP("not root");
	image = th_image("loop.img", 200 * G);
	loopdev = th_sh("losetup -f --show %s", image);
	if (strncmp(loopdev, "/dev/loop", 9) != 0)
		SKIP("no loop device: %s", loopdev);
}

static void loop_detach(void)
{
	free(th_sh("losetup -d %s", loopdev));
	th_unlink(image);
	free(loopdev);
	free(image);
	loopdev = image = NULL;
}

static int count_kernel_parts(const char *dev)
{
	_cleanup_(freep) char *s =
		th_sh("ls -d /sys/class/block/%s/%sp* 2>/dev/null | wc -l", dev + 5, dev + 5);

	return atoi(s);
}

TEST(loop_blkpg_nodes_swapon)
{
	static const uint64_t seed[] = {30 * G, 25 * G, 20 * G, 10 * G, 10 * G,
					10 * G, 10 * G, 10 * G, 10 * G, 10 * G,
					10 * G, 10 * G, 10 * G, 10 * G, 10 * G};
	struct part_request req = {.guest = "web1", .size = 20 * G, .swap_size = 2 * G};
	struct part_result res = {0};
	struct part_luns luns = {0};
	struct diag d = DIAG_INIT;
	struct part_plan p;
	struct stat st;
	char *s, want[512];

	loop_attach();
	char *list[] = {loopdev, NULL};
	struct part_guard g = {.luns = list};

	th_init_carve(&g, loopdev, seed, ELEMENTSOF(seed));
	ASSERT_EQ(count_kernel_parts(loopdev), 15);

	ASSERT_OK(part_luns_read(&g, list, &luns, &d));
	ASSERT_TRUE(luns.v[0].is_block);
	ASSERT_OK(part_prepare_plan(&luns, &req, &p, &d));
	part_luns_release(&luns);
	ASSERT_OK(part_plan_apply(&g, &p, &res, &d));
	part_plan_release(&p);
	snprintf(want, sizeof(want), "%sp3", loopdev);
	ASSERT_STREQ(res.node, want);
	ASSERT_OK(stat(res.node, &st));
	ASSERT_TRUE(S_ISBLK(st.st_mode));
	ASSERT_STREQ(s = th_sh("cat /sys/class/block/%s/partition", res.node + 5), "3");
	free(s);
	th_check_referee(loopdev, &res, "guest:web1", "web1");
	/* libblkid reads the GPT entry of the kernel's partition */
	s = th_sh("blkid -p -o export -s PART_ENTRY_NAME -s PART_ENTRY_UUID %s | grep -v ^DEVNAME=",
		  res.node);
	snprintf(want, sizeof(want), "PART_ENTRY_NAME=guest:web1\nPART_ENTRY_UUID=%s", res.uuid);
	ASSERT_EQ(strcasecmp(s, want), 0);
	free(s);
	th_check_swapfile(res.node, 2 * G, "web1");

	s = th_sh(
		"m=$(mktemp -d); mount -t ext4 %s $m || exit 1; "
		"if swapon $m/swapfile 2>$m.err; then grep -c swapfile /proc/swaps; "
		"swapoff $m/swapfile || echo swapoff-failed; else echo \"skip: $(cat $m.err)\"; fi; "
		"umount $m; rmdir $m; rm -f $m.err",
		res.node);
	if (strncmp(s, "skip:", 5) == 0)
		fprintf(stderr, "swapon sub-check skipped, the kernel refused: %s\n", s + 6);
	else
		ASSERT_STREQ(s, "1");
	fprintf(stderr, "swapon and swapoff of /swapfile on the mounted partition: ok\n");
	free(s);

	/* the image behind the loop device and the partition node are not the LUN */
	{
		struct part_plan p2 = {.kind = PART_PLAN_INIT, .lun = image, .sector_size = 512};
		uint64_t sum = th_sparse_sum(image);

		ASSERT_ERR(part_plan_apply(&g, &p2, NULL, &d), EPERM);
		p2.lun = res.node;
		ASSERT_ERR(part_plan_apply(&g, &p2, NULL, &d), EPERM);
		ASSERT_EQ(th_sparse_sum(image), sum);
	}

	/* release: signatures gone from the node, name back to free, kernel still has 15 */
	ASSERT_OK(part_luns_read(&g, list, &luns, &d));
	ASSERT_OK(part_release_plan(&luns, "web1", &p, &d));
	part_luns_release(&luns);
	ASSERT_OK(part_plan_apply(&g, &p, NULL, &d));
	part_plan_release(&p);
	/* only the GPT entry is left for blkid to report (PART_ENTRY_*), no TYPE */
	ASSERT_STREQ(s = th_sh("blkid -p -o export %s | grep -cE '^(TYPE|PTTYPE)='", res.node),
		     "0");
	free(s);
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_PART(3), loopdev), "free");
	free(s);
	ASSERT_EQ(count_kernel_parts(loopdev), 15);

	part_result_release(&res);
	loop_detach();
	diag_release(&d);
}

TEST_MAIN()
