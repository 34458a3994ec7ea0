/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline's disk stages on sparse image files (no root): candidates -> claim (carve) ->
 * format, each idempotent, then release from every state a crash can leave. Checked with
 * sfdisk --json/--dump, blkid -p, debugfs and e2fsck, and checksums where nothing may change.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition.h"
#include "tests/unit/part-helpers.h"
#include "tests/unit/test.h"

static const char *last(const struct diag *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

/* Read lun, plan the claim, apply it: what the pipeline's carve stage does. */
static int claim(const struct part_guard *g, const char *lun, const char *guest, uint64_t start,
		 uint64_t size, const char *partuuid, struct part_result *res, size_t *ret_steps,
		 struct diag *d)
{
	struct part_lun l = {0};
	struct part_plan p = {0};
	int r;

	r = part_lun_read(g, lun, &l, d);
	if (r >= 0)
		r = part_claim_plan(&l, guest, start, size, partuuid, &p, d);
	if (r >= 0 && ret_steps)
		*ret_steps = p.n_steps;
	if (r >= 0)
		r = part_plan_apply(g, &p, res, d);
	part_plan_release(&p);
	part_lun_release(&l);
	return r;
}

static int release(const struct part_guard *g, const char *guest, unsigned flags, struct diag *d)
{
	struct part_luns luns = {0};
	struct part_plan p = {0};
	int r;

	r = part_luns_read(g, g->luns, &luns, d);
	if (r >= 0)
		r = part_release_plan_flags(&luns, guest, flags, &p, d);
	if (r >= 0)
		r = part_plan_apply(g, &p, NULL, d);
	part_plan_release(&p);
	part_luns_release(&luns);
	return r;
}

static void candidates(const struct part_guard *g, const char *guest, uint64_t size,
		       struct part_candidate **c, size_t *n, struct part_luns *luns)
{
	struct part_request req = {.guest = guest, .size = size, .swap_size = 2 * G};
	struct diag d = DIAG_INIT;

	ASSERT_OK(part_luns_read(g, g->luns, luns, &d));
	ASSERT_OK(part_candidates(luns, &req, c, n, &d));
	diag_release(&d);
}

static char *offset_dev(const struct part_result *res)
{
	char *s = NULL;

	ASSERT_TRUE(asprintf(&s, "%s?offset=%llu", res->lun, (unsigned long long) res->start) > 0);
	return s;
}

TEST(new_partition_claim_format_release)
{
	static const uint64_t two[] = {10 * G, 10 * G};
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 200 * G);
	_cleanup_(freep) char *dump_before = NULL, *dev = NULL, *uuid = NULL;
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct part_result res = {0}, again = {0};
	struct part_candidate *c = NULL;
	struct part_luns snap = {0};
	struct diag d = DIAG_INIT;
	bool already = true;
	size_t n, steps;
	uint64_t sum;
	char *s, want[256];

	th_init_carve(&g, lun0, two, 2);
	dump_before = th_sh("sfdisk --dump %s", lun0);

	/* no 20G "free" partition: the first candidate is the free space after partition 2 */
	candidates(&g, "web1", 20 * G, &c, &n, &snap);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(c[0].lun, lun0);
	ASSERT_EQ(c[0].start, 20 * G + M);
	ASSERT_NULL(c[0].partuuid);
	/* the inventory places it inside the segment: here at its start */
	ASSERT_OK(claim(&g, lun0, "web1", c[0].start, 20 * G, NULL, &res, &steps, &d));
	free(c);
	part_luns_release(&snap);
	ASSERT_EQ(steps, 1);
	ASSERT_EQ(res.partno, 3);
	ASSERT_EQ(res.start, 20 * G + M);
	ASSERT_STREQ(res.name, "guest:web1");
	ASSERT_NULL(res.node);
	snprintf(want, sizeof(want), "%s@%llu", lun0, (unsigned long long) (20 * G + M));
	ASSERT_STREQ(res.target, want);
	ASSERT_STREQ(
		s = th_sh("sfdisk --json %s | " TH_SFDISK_PARTS, lun0),
		"1:2048:20971520:free 2:20973568:20971520:free 3:41945088:41943040:guest:web1");
	free(s);
	uuid = strdup(res.uuid);
	/* table only: nothing in the partition yet */
	ASSERT_STREQ(s = th_sh("blkid -p --offset %llu --size %llu %s; echo rc=$?",
			       (unsigned long long) res.start, (unsigned long long) res.size, lun0),
		     "rc=2");
	free(s);

	/* resumed: the same claim again is empty and gives the same partition */
	sum = th_sparse_sum(lun0);
	ASSERT_OK(claim(&g, lun0, "web1", 20 * G + M, 20 * G, NULL, &again, &steps, &d));
	ASSERT_EQ(steps, 0);
	ASSERT_EQ(again.partno, 3);
	ASSERT_STREQ(again.uuid, uuid);
	ASSERT_STREQ(again.target, res.target);
	part_result_release(&again);
	ASSERT_EQ(th_sparse_sum(lun0), sum);

	/* format: not done, done, then done already (nothing written) */
	ASSERT_EQ(part_format_check(&g, lun0, uuid, "web1", 2 * G, &d), 0);
	part_result_release(&res);
	ASSERT_OK(part_format(&g, lun0, uuid, "web1", NULL, 2 * G, &already, &res, &d));
	ASSERT_FALSE(already);
	ASSERT_EQ(res.partno, 3);
	ASSERT_EQ(res.swap_size, 2 * G);
	th_check_referee(lun0, &res, "guest:web1", "web1");
	dev = offset_dev(&res);
	th_check_swapfile(dev, 2 * G, "web1");
	ASSERT_EQ(part_format_check(&g, lun0, uuid, "web1", 2 * G, &d), 1);
	/* another swap size is not done (format would make it again) */
	ASSERT_EQ(part_format_check(&g, lun0, uuid, "web1", 1 * G, &d), 0);
	sum = th_sparse_sum(lun0);
	part_result_release(&res);
	ASSERT_OK(part_format(&g, lun0, uuid, "web1", NULL, 2 * G, &already, &res, &d));
	ASSERT_TRUE(already);
	ASSERT_STREQ(res.target, want);
	ASSERT_EQ(th_sparse_sum(lun0), sum);

	/* not the guest's partition, not a listed LUN, no such PARTUUID */
	ASSERT_ERR(part_format(&g, lun0, uuid, "web2", NULL, 0, &already, NULL, &d), EPERM);
	ASSERT_STREQ(
		last(&d),
		th_fmt("partition 3 on '%s' (PARTUUID %s, 'guest:web1') does not belong to guest 'web2', refusing to format it",
		       lun0, uuid));
	{
		char *none[] = {NULL};
		struct part_guard g0 = {.luns = none};

		ASSERT_ERR(part_format(&g0, lun0, uuid, "web1", NULL, 0, &already, NULL, &d),
			   EPERM);
		ASSERT_STREQ(last(&d), th_fmt("'%s' is not one of the site's LUNs", lun0));
	}
	ASSERT_ERR(part_format(&g, lun0, "00000000-0000-4000-8000-000000000000", "web1", NULL, 0,
			       &already, NULL, &d),
		   ENOENT);
	ASSERT_EQ(th_sparse_sum(lun0), sum);

	/* destroy: wiped and the entry deleted, the table is as before the guest */
	ASSERT_OK(release(&g, "web1", PART_RELEASE_DELETE, &d));
	ASSERT_STREQ(s = th_sh("sfdisk --dump %s", lun0), dump_before);
	free(s);
	ASSERT_STREQ(s = th_sh("blkid -p --offset %llu --size %llu %s; echo rc=$?",
			       (unsigned long long) res.start, (unsigned long long) res.size, lun0),
		     "rc=2");
	free(s);
	ASSERT_ERR(release(&g, "web1", PART_RELEASE_DELETE, &d), ENOENT);
	part_result_release(&res);
	th_unlink(lun0);
	diag_release(&d);
}

TEST(reused_partition_and_crash_states)
{
	static const uint64_t three[] = {10 * G, 10 * G, 10 * G};
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 200 * G);
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct part_result res = {0};
	struct part_candidate *c = NULL;
	struct part_luns snap = {0};
	struct diag d = DIAG_INIT;
	char *u1, *u2, *s, *dev, *old_hdr;
	bool already;
	size_t n;
	uint64_t sum;

	th_init_carve(&g, lun0, three, 3);
	candidates(&g, "web3", 10 * G, &c, &n, &snap);
	ASSERT_EQ(n, 4); /* three free partitions, then the free space */
	ASSERT_NOT_NULL(c[0].partuuid);
	ASSERT_EQ(c[0].start, M);
	ASSERT_EQ(c[1].start, 10 * G + M);
	ASSERT_NULL(c[3].partuuid);
	u1 = strdup(c[0].partuuid);
	u2 = strdup(c[1].partuuid);
	free(c);
	part_luns_release(&snap);

	/* claimed only (crash before format): release renames it back */
	ASSERT_OK(claim(&g, lun0, "web3", M, 10 * G, u1, &res, NULL, &d));
	ASSERT_EQ(res.partno, 1);
	ASSERT_STREQ(res.name, "guest:web3");
	ASSERT_EQ(strcasecmp(res.uuid, u1), 0);
	part_result_release(&res);
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_PART(1), lun0), "guest:web3");
	free(s);
	ASSERT_OK(release(&g, "web3", 0, &d));
	ASSERT_STREQ(s = th_sh("sfdisk --json %s | " TH_SFDISK_PART(1), lun0), "free");
	free(s);
	ASSERT_ERR(release(&g, "web3", 0, &d), ENOENT); /* already free: done */

	/* crash after mke2fs, before the swap file: our own ext4, format makes it again */
	ASSERT_OK(claim(&g, lun0, "web3", M, 10 * G, u1, &res, NULL, &d));
	part_result_release(&res);
	free(th_sh("mke2fs -q -F -t ext4 -L web3 -E offset=%llu,nodiscard %s 10G",
		   (unsigned long long) M, lun0));
	ASSERT_EQ(part_format_check(&g, lun0, u1, "web3", 2 * G, &d), 0);
	ASSERT_OK(part_format(&g, lun0, u1, "web3", NULL, 2 * G, &already, &res, &d));
	ASSERT_FALSE(already);
	dev = offset_dev(&res);
	th_check_swapfile(dev, 2 * G, "web3");
	free(dev);
	part_result_release(&res);
	ASSERT_EQ(part_format_check(&g, lun0, u1, "web3", 2 * G, &d), 1);
	/*
	 * killed while libext2fs rewrote the superblock field by field: a stale checksum that
	 * libext2fs refuses. Our own unfinished ext4, not an error: format makes it again.
	 */
	free(th_sh("printf '\\377\\377\\377\\377' | dd of=%s bs=1 seek=%llu conv=notrunc "
		   "status=none",
		   lun0, (unsigned long long) (M + 1024 + 1020)));
	diag_clear(&d);
	ASSERT_EQ(part_format_check(&g, lun0, u1, "web3", 2 * G, &d), 0);
	ASSERT_EQ(d.n, 0); /* no error on the way */
	ASSERT_OK(part_format(&g, lun0, u1, "web3", NULL, 2 * G, &already, &res, &d));
	ASSERT_FALSE(already);
	dev = offset_dev(&res);
	th_check_swapfile(dev, 2 * G, "web3");
	free(dev);
	part_result_release(&res);
	ASSERT_EQ(part_format_check(&g, lun0, u1, "web3", 2 * G, &d), 1);
	/*
	 * Formatted again (a new mke2fs), killed before the swap header: /swapfile sits where
	 * the last one was, over the last header. That header is not this filesystem's.
	 */
	old_hdr = th_sh("f=$(debugfs -R 'bmap /swapfile 0' '%s?offset=%llu' 2>/dev/null); "
			"dd if=%s bs=4096 skip=$((%llu / 4096 + f)) count=1 status=none | "
			"base64 -w0; echo \" $f\"",
			lun0, (unsigned long long) M, lun0, (unsigned long long) M);
	free(th_sh("mke2fs -q -F -t ext4 -L web3 -E offset=%llu,nodiscard %s 10G",
		   (unsigned long long) M, lun0));
	ASSERT_OK(part_format(&g, lun0, u1, "web3", NULL, 2 * G, &already, &res, &d));
	part_result_release(&res);
	ASSERT_EQ(part_format_check(&g, lun0, u1, "web3", 2 * G, &d), 1);
	free(th_sh("set -- %s; f=$(debugfs -R 'bmap /swapfile 0' '%s?offset=%llu' 2>/dev/null); "
		   "[ \"$f\" = \"$2\" ] && echo \"$1\" | base64 -d | "
		   "dd of=%s bs=4096 seek=$((%llu / 4096 + f)) conv=notrunc status=none",
		   old_hdr, lun0, (unsigned long long) M, lun0, (unsigned long long) M));
	free(old_hdr);
	ASSERT_EQ(part_format_check(&g, lun0, u1, "web3", 2 * G, &d), 0);
	ASSERT_OK(part_format(&g, lun0, u1, "web3", NULL, 2 * G, &already, &res, &d));
	ASSERT_FALSE(already);
	dev = offset_dev(&res);
	th_check_swapfile(dev, 2 * G, "web3");
	free(dev);
	part_result_release(&res);
	/* fully formatted: release wipes it */
	ASSERT_OK(release(&g, "web3", 0, &d));
	ASSERT_STREQ(s = th_sh("blkid -p --offset %llu --size %llu %s; echo rc=$?",
			       (unsigned long long) M, (unsigned long long) (10 * G), lun0),
		     "rc=2");
	free(s);

	/* a foreign ext4 in the guest's partition: format refuses, nothing changes */
	ASSERT_OK(claim(&g, lun0, "web4", 10 * G + M, 10 * G, u2, &res, NULL, &d));
	part_result_release(&res);
	free(th_sh("mke2fs -q -F -t ext4 -L other -E offset=%llu,nodiscard %s 1G",
		   (unsigned long long) (10 * G + M), lun0));
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(part_format_check(&g, lun0, u2, "web4", 0, &d), EBUSY);
	ASSERT_ERR(part_format(&g, lun0, u2, "web4", NULL, 0, &already, NULL, &d), EBUSY);
	ASSERT_STREQ(
		last(&d),
		th_fmt("partition 2 on '%s' ('guest:web4') holds a signature (ext4, label 'other') that is not guest 'web4''s ext4, refusing to format it",
		       lun0));
	ASSERT_EQ(th_sparse_sum(lun0), sum);
	free(u1);
	free(u2);
	th_unlink(lun0);
	diag_release(&d);
}

TEST(claims_refused_when_stale_or_foreign)
{
	static const uint64_t one[] = {10 * G};
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 100 * G);
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	struct part_result res = {0};
	struct part_lun l = {0};
	struct diag d = DIAG_INIT;
	struct part_plan p1, p2;
	char *u1;
	uint64_t sum;

	th_init_carve(&g, lun0, one, 1);
	ASSERT_OK(part_lun_read(&g, lun0, &l, &d));
	u1 = strdup(l.parts[0].uuid);
	/* two plans from one snapshot, at different places: both get number 2 at plan time */
	ASSERT_OK(part_claim_plan(&l, "a1", 20 * G, 5 * G, NULL, &p1, &d));
	ASSERT_OK(part_claim_plan(&l, "a2", 30 * G, 5 * G, NULL, &p2, &d));
	ASSERT_EQ(p1.steps[0].partno, 2);
	ASSERT_EQ(p2.steps[0].partno, 2);
	ASSERT_OK(part_plan_apply(&g, &p1, &res, &d));
	ASSERT_EQ(res.partno, 2);
	part_result_release(&res);
	ASSERT_OK(part_plan_apply(&g, &p2, &res, &d)); /* numbered again under the lock */
	ASSERT_EQ(res.partno, 3);
	part_result_release(&res);
	part_plan_release(&p1);
	part_plan_release(&p2);

	/* a plan for a place someone took in the meantime */
	ASSERT_OK(part_claim_plan(&l, "a3", 22 * G, 5 * G, NULL, &p1, &d));
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(part_plan_apply(&g, &p1, NULL, &d), ESTALE);
	ASSERT_STREQ(
		last(&d),
		th_fmt("cannot claim the place reserved on LUN '%s': partition 2 ('guest:a1') is there now",
		       lun0));
	ASSERT_EQ(th_sparse_sum(lun0), sum);
	part_plan_release(&p1);

	/* the free partition holds someone's swap: the claim refuses to rename it */
	free(th_sh("f=$(mktemp); truncate -s 64M $f; mkswap -q $f; "
		   "dd if=$f of=%s bs=1M seek=1 conv=notrunc,sparse status=none; rm -f $f",
		   lun0));
	sum = th_sparse_sum(lun0);
	ASSERT_ERR(claim(&g, lun0, "a4", M, 10 * G, u1, &res, NULL, &d), EBUSY);
	ASSERT_EQ(th_sparse_sum(lun0), sum);
	/* renamed by another claim meanwhile: stale */
	free(th_sh("sfdisk -q --part-label %s 1 guest:zz", lun0));
	ASSERT_ERR(claim(&g, lun0, "a4", M, 10 * G, u1, &res, NULL, &d), ESTALE);
	part_lun_release(&l);
	free(u1);
	th_unlink(lun0);
	diag_release(&d);
}

/* Eight processes claim eight places on one LUN at once: the per-LUN lock keeps all eight. */
TEST(concurrent_claims_on_one_lun)
{
	_cleanup_(freep) char *lun0 = th_image("lun0.img", 20 * G);
	_cleanup_(freep) char *s = NULL;
	char *luns[] = {lun0, NULL};
	struct part_guard g = {.luns = luns};
	pid_t pids[8];
	char want[1024] = "";

	th_init_carve(&g, lun0, NULL, 0);
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		ASSERT_TRUE(pids[i] >= 0);
		if (pids[i] == 0) {
			struct diag d = DIAG_INIT;
			char name[8];
			int r;

			snprintf(name, sizeof(name), "c%d", i);
			r = claim(&g, lun0, name, M + (uint64_t) i * G, G, NULL, NULL, NULL, &d);
			if (r < 0)
				diag_print(&d, stderr, "child");
			_exit(r < 0 ? 1 : 0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int st;

		ASSERT_EQ(waitpid(pids[i], &st, 0), pids[i]);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* every place named by its guest; numbers 1..8, each once (in whatever order) */
	s = th_sh("sfdisk --json %s | python3 -c 'import json,sys,re; "
		  "t=json.load(sys.stdin)[\"partitiontable\"][\"partitions\"]; "
		  "print(sorted(int(re.search(r\"(\\d+)$\", p[\"node\"]).group(1)) for p in t)); "
		  "print(\" \".join(\"%%d:%%s\" %% (p[\"start\"], p[\"name\"]) "
		  "for p in sorted(t, key=lambda p: p[\"start\"])))'",
		  lun0);
	strcat(want, "[1, 2, 3, 4, 5, 6, 7, 8]\n");
	for (int i = 0; i < 8; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%llu:guest:c%d",
			 i ? " " : "", (unsigned long long) ((M + (uint64_t) i * G) / 512), i);
	ASSERT_STREQ(s, want);
	th_unlink(lun0);
}

TEST_MAIN()
