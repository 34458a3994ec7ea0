/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * partition/ on a loop device (root; suite 'root', skipped otherwise): the kernel learns the
 * new partitions through BLKPG (it cannot parse GPT here), the nodes exist, blkid reads
 * PARTLABEL/PARTUUID from them, and the swap file is accepted by swapon where the kernel can;
 * the pipeline's stages (claim, locate, format) and the site's stable partition names.
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
	/* the kernel keeps BLKPG partitions across detach: drop any an earlier user left */
	free(th_sh("partx -d %s 2>/dev/null", loopdev));
}

static void loop_detach(void)
{
	free(th_sh("partx -d %s 2>/dev/null; losetup -d %s", loopdev, loopdev));
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

/*
 * The pipeline's stages on a loop device: the claim's node, a partition the kernel does not
 * know (as on another Dom0) found again, format through the node, the site's stable name.
 */
TEST(loop_stages_and_stable_names)
{
	_cleanup_(freep) char *fc = NULL, *lettered = NULL, *alias = NULL, *uuid = NULL;
	struct part_result res = {0}, found = {0};
	struct diag d = DIAG_INIT;
	struct stat st, nst;
	bool already = true;
	char *s, *path = NULL, want[PATH_MAX];

	loop_attach();
	ASSERT_TRUE(asprintf(&fc, "%s/fc-p1d1", th_dir()) > 0);
	ASSERT_OK(symlink(loopdev, fc));
	/* the site names the LUN by its stable path: the guard compares device numbers */
	char *list[] = {fc, NULL};
	struct part_guard g = {.luns = list};
	struct part_lun l = {0};
	struct part_plan p = {0};

	th_init_carve(&g, fc, NULL, 0);
	ASSERT_OK(part_lun_read(&g, fc, &l, &d));
	ASSERT_OK(part_claim_plan(&l, "web1", M, 5 * G, NULL, &p, &d));
	part_lun_release(&l);
	ASSERT_OK(part_plan_apply(&g, &p, &res, &d));
	part_plan_release(&p);
	snprintf(want, sizeof(want), "%sp1", loopdev);
	ASSERT_STREQ(res.node, want);
	ASSERT_STREQ(res.target, want);
	ASSERT_EQ(count_kernel_parts(loopdev), 1);
	uuid = strdup(res.uuid);

	/* another Dom0 never heard of it: part_locate tells the kernel (BLKPG) */
	free(th_sh("delpart %s 1", loopdev));
	ASSERT_EQ(count_kernel_parts(loopdev), 0);
	ASSERT_OK(part_locate(&g, fc, uuid, &found, &d));
	ASSERT_STREQ(found.node, want);
	ASSERT_OK(stat(found.node, &nst));
	ASSERT_TRUE(S_ISBLK(nst.st_mode));
	ASSERT_STREQ(s = th_sh("cat /sys/class/block/%s/start", found.node + 5), "2048");
	free(s);
	part_result_release(&found);

	/* format through the node; blkid and the swap file checked on the node */
	part_result_release(&res);
	ASSERT_OK(part_format(&g, fc, uuid, "web1", NULL, 1 * G, &already, &res, &d));
	ASSERT_FALSE(already);
	ASSERT_STREQ(res.node, want);
	th_check_referee(loopdev, &res, "guest:web1", "web1");
	th_check_swapfile(res.node, 1 * G, "web1");
	ASSERT_EQ(part_format_check(&g, fc, uuid, "web1", 1 * G, &d), 1);

	/* the stable name: LUN path + "p" + N, a symlink to the node; idempotent */
	ASSERT_OK(part_alias_ensure(fc, res.partno, res.node, &path, &d));
	snprintf(want, sizeof(want), "%s/fc-p1d1p1", th_dir());
	ASSERT_STREQ(path, want);
	ASSERT_OK(lstat(path, &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_OK(stat(path, &st));
	ASSERT_TRUE(S_ISBLK(st.st_mode) && st.st_rdev == nst.st_rdev);
	free(path);
	ASSERT_OK(part_alias_ensure(fc, res.partno, res.node, &path, &d));
	ASSERT_STREQ(path, want);
	alias = path;
	/* a symlink pointing elsewhere is replaced */
	ASSERT_OK(unlink(alias));
	ASSERT_OK(symlink("/dev/null", alias));
	ASSERT_OK(part_alias_ensure(fc, res.partno, res.node, NULL, &d));
	ASSERT_OK(stat(alias, &st));
	ASSERT_TRUE(st.st_rdev == nst.st_rdev);
	/* the kernel's own name: nothing to create */
	ASSERT_OK(part_alias_ensure(loopdev, res.partno, res.node, &path, &d));
	ASSERT_STREQ(path, res.node);
	free(path);
	/* a LUN path ending in a letter: + N */
	ASSERT_TRUE(asprintf(&lettered, "%s/lunA", th_dir()) > 0);
	ASSERT_OK(symlink(loopdev, lettered));
	ASSERT_OK(part_alias_ensure(lettered, res.partno, res.node, &path, &d));
	ASSERT_STREQ(path, th_fmt("%s1", lettered));
	ASSERT_OK(part_alias_remove(lettered, res.partno, &d));
	ASSERT_TRUE(lstat(path, &st) < 0 && errno == ENOENT);
	free(path);
	/* removed; absent is fine; never a file that is not a symlink */
	ASSERT_OK(part_alias_remove(fc, res.partno, &d));
	ASSERT_TRUE(lstat(alias, &st) < 0 && errno == ENOENT);
	ASSERT_OK(part_alias_remove(fc, res.partno, &d));
	free(th_sh("echo keep >%s", alias));
	ASSERT_ERR(part_alias_ensure(fc, res.partno, res.node, NULL, &d), EEXIST);
	ASSERT_STREQ(d.v[d.n - 1].msg,
		     th_fmt("'%s' exists and is not a symlink, refusing to point it at '%s'", alias,
			    res.node));
	ASSERT_OK(part_alias_remove(fc, res.partno, &d));
	ASSERT_STREQ(s = th_sh("cat %s", alias), "keep");
	free(s);
	ASSERT_ERR(part_alias_ensure(fc, res.partno, alias, NULL, &d), ENOTBLK);
	(void) unlink(alias);

	/* destroy: the entry is deleted, and the kernel forgets the partition too */
	{
		struct part_luns luns = {0};

		ASSERT_OK(part_luns_read(&g, list, &luns, &d));
		ASSERT_OK(part_release_plan_flags(&luns, "web1", PART_RELEASE_DELETE, &p, &d));
		part_luns_release(&luns);
		ASSERT_OK(part_plan_apply(&g, &p, NULL, &d));
		part_plan_release(&p);
	}
	ASSERT_EQ(count_kernel_parts(loopdev), 0);
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_SUMMARY, loopdev), "gpt 0");
	free(s);

	part_result_release(&res);
	(void) unlink(fc);
	(void) unlink(lettered);
	loop_detach();
	diag_release(&d);
}

TEST_MAIN()
