/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark (not a test): on a sparse 200 GiB image,
 *   1. time to put a GPT label on it and carve the seed's 15-partition layout;
 *   2. a 2 GiB swap file written through libext2fs into the unmounted ext4 of partition 3,
 *      against mount + dd if=/dev/zero + mkswap + umount on the same partition (root: loop
 *      device), one run each, and the ratio.
 * Usage: bench-swapfile [DIR]   (default /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "partition/partition-internal.h"
#include "partition/partition.h"

#define G (UINT64_C(1) << 30)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die_diag(struct diag *d, const char *what)
{
	diag_print(d, stderr, "bench-swapfile");
	fprintf(stderr, "bench-swapfile: %s failed\n", what);
	exit(1);
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	return r == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const uint64_t seed[] = {30 * G, 25 * G, 20 * G, 10 * G, 10 * G,
					10 * G, 10 * G, 10 * G, 10 * G, 10 * G,
					10 * G, 10 * G, 10 * G, 10 * G, 10 * G};
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char img[256], cmd[4096];
	char *luns[] = {img, NULL};
	struct part_guard g = {.luns = luns};
	struct diag d = DIAG_INIT;
	struct part_luns all = {0};
	struct part_lun l;
	struct part_plan p;
	struct part_result res = {0};
	struct part_request req = {.guest = "bench", .size = 20 * G, .swap_size = 0};
	double t0, t_init, t_carve, t_lib, t_dd = -1;

	snprintf(img, sizeof(img), "%s/bench-lun.img", dir);
	snprintf(cmd, sizeof(cmd), "rm -f %s && truncate -s 200G %s", img, img);
	if (sh(cmd) < 0)
		return 1;

	t0 = now();
	if (part_lun_read(&g, img, &l, &d) < 0 || part_init_plan(&l, &p, &d) < 0 ||
	    part_plan_apply(&g, &p, NULL, &d) < 0)
		die_diag(&d, "init");
	t_init = now() - t0;
	part_plan_release(&p);
	part_lun_release(&l);
	t0 = now();
	if (part_lun_read(&g, img, &l, &d) < 0 ||
	    part_carve_plan(&l, seed, ELEMENTSOF(seed), &p, &d) < 0 ||
	    part_plan_apply(&g, &p, NULL, &d) < 0)
		die_diag(&d, "carve");
	t_carve = now() - t0;
	part_plan_release(&p);
	part_lun_release(&l);

	/* partition 3 (20G) with ext4 and no swap file yet */
	if (part_luns_read(&g, luns, &all, &d) < 0 || part_prepare_plan(&all, &req, &p, &d) < 0 ||
	    part_plan_apply(&g, &p, &res, &d) < 0)
		die_diag(&d, "prepare");
	part_plan_release(&p);
	part_luns_release(&all);

	struct part__region rg = {.path = img, .fd = -1, .offset = res.start, .size = res.size};
	t0 = now();
	if (part__swapfile_create(&rg, 2 * G, "bench", &d) < 0)
		die_diag(&d, "swap file through libext2fs");
	t_lib = now() - t0;

	if (geteuid() == 0) {
		/* the same partition, the same 2 GiB file, the traditional way; only
		 * mount + dd + mkswap + umount is timed, the setup runs before */
		char setup[4096], timed[4096];

		snprintf(setup, sizeof(setup),
			 "debugfs -w -R 'rm /swapfile' '%s?offset=%llu' >/dev/null 2>&1 && "
			 "losetup -f --show -o %llu --sizelimit %llu %s > %s/bench-dev",
			 img, (unsigned long long) res.start, (unsigned long long) res.start,
			 (unsigned long long) res.size, img, dir);
		snprintf(timed, sizeof(timed),
			 "dev=$(cat %s/bench-dev) && m=%s/bench-mnt && mkdir -p $m && "
			 "mount -t ext4 $dev $m && "
			 "dd if=/dev/zero of=$m/swapfile bs=1M count=2048 status=none && "
			 "chmod 600 $m/swapfile && mkswap -q -L bench $m/swapfile >/dev/null && "
			 "umount $m",
			 dir, dir);
		if (sh(setup) == 0) {
			t0 = now();
			if (sh(timed) == 0)
				t_dd = now() - t0;
			snprintf(
				cmd, sizeof(cmd),
				"losetup -d $(cat %s/bench-dev); rmdir %s/bench-mnt; rm -f %s/bench-dev",
				dir, dir, dir);
			(void) sh(cmd);
		}
	}

	printf("GPT label on a 200 GiB image:                 %8.1f ms\n", t_init * 1e3);
	printf("carve the 15-partition seed layout:           %8.1f ms\n", t_carve * 1e3);
	printf("2 GiB swap file via libext2fs (unmounted):    %8.1f ms\n", t_lib * 1e3);
	if (t_dd >= 0) {
		printf("2 GiB swap file via mount+dd+mkswap+umount:   %8.1f ms\n", t_dd * 1e3);
		printf("ratio (mount+dd+mkswap+umount / libext2fs):   %8.1fx\n", t_dd / t_lib);
	} else {
		printf("mount+dd+mkswap+umount: skipped (needs root and a loop device)\n");
	}
	part_result_release(&res);
	diag_release(&d);
	(void) unlink(img);
	return 0;
}
