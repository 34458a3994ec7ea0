/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a guest's partition goes (partition/place.c), pure: the candidates handed to the
 * inventory are in the order part_prepare_plan() chooses from, and claims of a reserved
 * place are planned (or found done, or refused) from snapshots.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "partition/partition.h"
#include "tests/unit/part-tables.h"
#include "tests/unit/test.h"

#define UUID(n) "00000000-0000-4000-8000-00000000000" #n

static const char *last_msg(const struct diag *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

/* lun0: 10G free partition + ~70G tail; lun1: 20G free partition + ~12G tail; lun2: ~90G */
static void three_luns(struct part_luns *luns)
{
	static const struct tp l0[] = {{1, 1, 10240, "free"}, {2, 10241, 20480, "guest:a"}};
	static const struct tp l1[] = {{1, 1, 20480, "free"}, {2, 20481, 30720 - 12, "x"}};
	static const struct tp l2[] = {{1, 1, 10240, "guest:b"}};

	*luns = (struct part_luns){.v = calloc(3, sizeof(struct part_lun)), .n = 3};
	lun_make(&luns->v[0], "/lun0", 100 * G, l0, 2);
	lun_make(&luns->v[1], "/lun1", 62 * G, l1, 2);
	lun_make(&luns->v[2], "/lun2", 100 * G, l2, 1);
}

TEST(candidates_full_order)
{
	/* usable tails: lun0 30721M..102399M, lun1 51189M..63487M, lun2 10241M..102399M */
	static const struct {
		const char *lun;
		uint64_t start_m, size_m;
		const char *uuid;
	} want[] = {
		{"/lun0", 1, 10240, UUID(1)},  /* the exact free partition first */
		{"/lun1", 51189, 12298, NULL}, /* then best fit: 2058M left over */
		{"/lun0", 30721, 71678, NULL}, /* 61438M left over */
		{"/lun2", 10241, 92158, NULL}, /* 81918M left over */
	};
	struct part_request req = {.guest = "web1", .size = 10 * G, .swap_size = 2 * G};
	struct part_candidate *c = NULL;
	struct part_luns luns;
	struct diag d = DIAG_INIT;
	size_t n = 0;

	three_luns(&luns);
	ASSERT_OK(part_candidates(&luns, &req, &c, &n, &d));
	ASSERT_EQ(n, ELEMENTSOF(want));
	for (size_t i = 0; i < n; i++) {
		printf("candidate %zu\n", i);
		ASSERT_STREQ(c[i].lun, want[i].lun);
		ASSERT_EQ(c[i].start, want[i].start_m * M);
		ASSERT_EQ(c[i].size, want[i].size_m * M);
		if (want[i].uuid)
			ASSERT_STREQ(c[i].partuuid, want[i].uuid);
		else
			ASSERT_NULL(c[i].partuuid);
	}
	/* borrowed from the snapshot */
	ASSERT_TRUE(c[0].lun == luns.v[0].path && c[0].partuuid == luns.v[0].parts[0].uuid);
	ASSERT_EQ(d.n, 0);
	free(c);
	part_luns_release(&luns);
}

/* For every size, the first candidate is where part_prepare_plan() puts the partition. */
TEST(candidates_first_is_prepare_choice)
{
	static const uint64_t sizes[] = {10 * G, 20 * G, 12 * G, 25 * G, 30 * G, 80 * G, 1 * G};
	struct part_luns luns;

	three_luns(&luns);
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		struct part_request req = {.guest = "web1", .size = sizes[i]};
		struct part_candidate *c = NULL;
		struct diag d = DIAG_INIT;
		struct part_plan p;
		size_t n;

		printf("size %zu\n", i);
		ASSERT_OK(part_candidates(&luns, &req, &c, &n, &d));
		ASSERT_OK(part_prepare_plan(&luns, &req, &p, &d));
		ASSERT_STREQ(c[0].lun, p.lun);
		ASSERT_EQ(c[0].start, p.steps[0].start);
		ASSERT_EQ(!!c[0].partuuid, !p.steps[0].create);
		if (c[0].partuuid)
			ASSERT_EQ(c[0].size, p.steps[0].size);
		else
			ASSERT_TRUE(c[0].size >= p.steps[0].size);
		for (size_t k = 1; k < n; k++) /* segments by best fit after the reuses */
			if (!c[k].partuuid && !c[k - 1].partuuid)
				ASSERT_TRUE(c[k].size >= c[k - 1].size);
		part_plan_release(&p);
		free(c);
		diag_release(&d);
	}
	part_luns_release(&luns);
}

TEST(candidates_ties_and_refusals)
{
	static const struct tp hole[] = {{1, 1, 1024, "x"}, {2, 2049, 1024, "y"}};
	static const struct tp mine[] = {{1, 1, 1024, "guest:web1"}};
	struct part_luns luns = {.v = calloc(3, sizeof(struct part_lun)), .n = 3};
	struct part_request req = {.guest = "web2", .size = 1 * G};
	struct part_candidate *c = NULL;
	struct diag d = DIAG_INIT;
	size_t n;

	/* lun0 and lun1 are the same: lun0 first; on lun0 the 1G hole (no leftover) first */
	lun_make(&luns.v[0], "/lun0", 5 * G, hole, 2);
	lun_make(&luns.v[1], "/lun1", 5 * G, hole, 2);
	lun_make(&luns.v[2], "/lun2", 4 * G, mine, 1);
	luns.v[2].label = PART_LABEL_DOS;
	ASSERT_OK(part_candidates(&luns, &req, &c, &n, &d));
	ASSERT_EQ(n, 4);
	ASSERT_STREQ(c[0].lun, "/lun0");
	ASSERT_EQ(c[0].start, 1025 * M);
	ASSERT_STREQ(c[1].lun, "/lun1");
	ASSERT_EQ(c[1].start, 1025 * M);
	ASSERT_STREQ(c[2].lun, "/lun0");
	ASSERT_EQ(c[2].start, 3073 * M);
	ASSERT_STREQ(c[3].lun, "/lun1");
	ASSERT_EQ(d.n, 1);
	ASSERT_STREQ(d.v[0].msg,
		     "skipping LUN '/lun2': LUN '/lun2' has a dos partition table, not gpt");
	free(c);
	c = NULL;

	/* the guest owns a partition (on any LUN, even an unusable one) */
	req.guest = "web1";
	ASSERT_ERR(part_candidates(&luns, &req, &c, &n, &d), EEXIST);
	ASSERT_NULL(c);
	/* only the LUN asked for; an unusable one named is an error */
	req.guest = "web2";
	req.lun = "/lun1";
	ASSERT_OK(part_candidates(&luns, &req, &c, &n, &d));
	ASSERT_EQ(n, 2);
	ASSERT_TRUE(streq(c[0].lun, "/lun1") && streq(c[1].lun, "/lun1"));
	free(c);
	c = NULL;
	req.lun = "/lun2";
	ASSERT_ERR(part_candidates(&luns, &req, &c, &n, &d), EMEDIUMTYPE);
	req.lun = NULL;
	req.size = 3 * G;
	ASSERT_ERR(part_candidates(&luns, &req, &c, &n, &d), ENOSPC);
	ASSERT_STREQ(
		last_msg(&d),
		"no room for a 3G partition for guest 'web2' on any of 2 usable LUN(s) (largest free space: 2046M)");
	ASSERT_NULL(c);
	part_luns_release(&luns);
	diag_release(&d);
}

/* lun0: 1 free 10G, 2 guest:web1 10G, 3 guest:other 10G, then free space */
static void claim_lun(struct part_lun *l)
{
	static const struct tp t[] = {{1, 1, 10240, "free"},
				      {2, 10241, 10240, "guest:web1"},
				      {3, 20481, 10240, "guest:other"}};

	lun_make(l, "/lun0", 100 * G, t, ELEMENTSOF(t));
}

TEST(claim_new_partition)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;

	claim_lun(&l);
	ASSERT_OK(part_claim_plan(&l, "web2", 40 * G, 20 * G, NULL, &p, &d));
	ASSERT_EQ(p.kind, PART_PLAN_CLAIM);
	ASSERT_EQ(p.n_steps, 1);
	ASSERT_TRUE(p.steps[0].create);
	ASSERT_EQ(p.steps[0].partno, 4);
	ASSERT_EQ(p.steps[0].start, 40 * G);
	ASSERT_EQ(p.steps[0].size, 20 * G);
	ASSERT_STREQ(p.steps[0].name, "guest:web2");
	ASSERT_EQ(p.start, 40 * G);
	ASSERT_NULL(p.partuuid);
	ASSERT_NULL(p.fs_label);
	part_plan_format(&p, false, &sb);
	ASSERT_STREQ(
		strbuf_str(&sb),
		"would create partition 4 on '/lun0': start 40G, size 20G, name 'guest:web2'\n");
	strbuf_release(&sb);
	part_plan_release(&p);

	/* already there (partition 2 is guest:web1): nothing to do */
	ASSERT_OK(part_claim_plan(&l, "web1", 10241 * M, 10 * G, NULL, &p, &d));
	ASSERT_EQ(p.n_steps, 0);
	ASSERT_EQ(p.start, 10241 * M);
	ASSERT_STREQ(p.guest, "web1");
	part_plan_format(&p, false, &sb);
	ASSERT_STREQ(strbuf_str(&sb), "");
	strbuf_release(&sb);
	part_plan_release(&p);

	/* taken by something else since the reservation */
	ASSERT_ERR(part_claim_plan(&l, "web2", 20 * G, 10 * G, NULL, &p, &d), ESTALE);
	ASSERT_STREQ(
		last_msg(&d),
		"cannot claim the place reserved on LUN '/lun0': partition 2 ('guest:web1') is there now");
	ASSERT_ERR(part_claim_plan(&l, "web2", 99 * G, 2 * G, NULL, &p, &d), ESTALE);
	ASSERT_STREQ(
		last_msg(&d),
		"cannot claim the place reserved on LUN '/lun0': it lies outside the usable area");
	ASSERT_ERR(part_claim_plan(&l, "web2", 40 * G + 4096, 20 * G, NULL, &p, &d), EINVAL);
	ASSERT_ERR(part_claim_plan(&l, "web2", 40 * G, 20 * G + 4096, NULL, &p, &d), EINVAL);
	ASSERT_ERR(part_claim_plan(&l, "Web_2", 40 * G, 20 * G, NULL, &p, &d), EINVAL);
	l.max_parts = 3;
	ASSERT_ERR(part_claim_plan(&l, "web2", 40 * G, 20 * G, NULL, &p, &d), ENOSPC);
	ASSERT_STREQ(last_msg(&d), "LUN '/lun0' has no free partition entry left");
	l.max_parts = 128;
	l.n_verify_errors = 1;
	ASSERT_ERR(part_claim_plan(&l, "web2", 40 * G, 20 * G, NULL, &p, &d), EUCLEAN);
	/* a claim that is done stays done on a LUN that is unusable for changes */
	ASSERT_OK(part_claim_plan(&l, "web1", 10241 * M, 10 * G, NULL, &p, &d));
	ASSERT_EQ(p.n_steps, 0);
	part_plan_release(&p);
	part_lun_release(&l);
	diag_release(&d);
}

TEST(claim_image_partition)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;

	claim_lun(&l);
	ASSERT_OK(part_image_claim_plan(&l, "lab", 40 * G, 3 * G, &p, &d));
	ASSERT_EQ(p.kind, PART_PLAN_CLAIM);
	ASSERT_TRUE(p.image);
	ASSERT_EQ(p.n_steps, 1);
	ASSERT_TRUE(p.steps[0].create);
	ASSERT_EQ(p.steps[0].partno, 4);
	ASSERT_STREQ(p.steps[0].name, "image:lab");
	ASSERT_STREQ(p.guest, "image:lab");
	part_plan_format(&p, false, &sb);
	ASSERT_STREQ(strbuf_str(&sb),
		     "would create partition 4 on '/lun0': start 40G, size 3G, name 'image:lab'\n");
	strbuf_release(&sb);
	part_plan_release(&p);

	/* already there: done; the owner callback names it image:lab, or nobody does */
	free(l.parts[2].name);
	l.parts[2].name = strdup("image:lab");
	free(l.parts[2].owner);
	l.parts[2].owner = NULL;
	ASSERT_OK(part_image_claim_plan(&l, "lab", 20481 * M, 10 * G, &p, &d));
	ASSERT_EQ(p.n_steps, 0);
	part_plan_release(&p);
	l.parts[2].owner = strdup("image:lab");
	ASSERT_OK(part_image_claim_plan(&l, "lab", 20481 * M, 10 * G, &p, &d));
	ASSERT_EQ(p.n_steps, 0);
	part_plan_release(&p);
	ASSERT_ERR(part_image_claim_plan(&l, "lab", 20481 * M, 10 * G + M, &p, &d), ESTALE);
	free(l.parts[2].owner);
	l.parts[2].owner = strdup("other");
	ASSERT_ERR(part_image_claim_plan(&l, "lab", 20481 * M, 10 * G, &p, &d), ESTALE);
	/* a guest's partition at the place, or a name that is no image name */
	ASSERT_ERR(part_image_claim_plan(&l, "lab", 10241 * M, 10 * G, &p, &d), ESTALE);
	ASSERT_ERR(part_image_claim_plan(&l, "web1", 10241 * M, 10 * G, &p, &d), ESTALE);
	ASSERT_ERR(part_image_claim_plan(&l, "a:b", 40 * G, G, &p, &d), EINVAL);
	ASSERT_ERR(part_image_claim_plan(&l, "lab", 40 * G + 4096, G, &p, &d), EINVAL);
	part_lun_release(&l);
	diag_release(&d);
}

TEST(claim_existing_partition)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;

	claim_lun(&l);
	/* PARTUUIDs compare without case */
	free(l.parts[0].uuid);
	l.parts[0].uuid = strdup("abcdef00-0000-4000-8000-00000000000a");
	ASSERT_OK(part_claim_plan(&l, "web2", M, 10 * G, "ABCDEF00-0000-4000-8000-00000000000A", &p,
				  &d));
	ASSERT_EQ(p.n_steps, 1);
	part_plan_release(&p);
	free(l.parts[0].uuid);
	l.parts[0].uuid = strdup(UUID(1));
	ASSERT_OK(part_claim_plan(&l, "web2", M, 10 * G, UUID(1), &p, &d));
	ASSERT_EQ(p.n_steps, 1);
	ASSERT_FALSE(p.steps[0].create);
	ASSERT_EQ(p.steps[0].partno, 1);
	ASSERT_STREQ(p.steps[0].old_name, "free");
	ASSERT_STREQ(p.steps[0].name, "guest:web2");
	ASSERT_STREQ(p.partuuid, UUID(1));
	part_plan_format(&p, true, &sb);
	ASSERT_STREQ(strbuf_str(&sb),
		     "renamed partition 1 on '/lun0' (size 10G) from 'free' to 'guest:web2'\n");
	strbuf_release(&sb);
	part_plan_release(&p);

	/* done already: empty; someone else's: stale; gone or moved: stale */
	ASSERT_OK(part_claim_plan(&l, "web1", 10241 * M, 10 * G, UUID(2), &p, &d));
	ASSERT_EQ(p.n_steps, 0);
	part_plan_release(&p);
	ASSERT_ERR(part_claim_plan(&l, "web2", 20481 * M, 10 * G, UUID(3), &p, &d), ESTALE);
	ASSERT_STREQ(
		last_msg(&d),
		"cannot claim the place reserved on LUN '/lun0': partition 3 is no longer free (it is 'guest:other')");
	ASSERT_ERR(part_claim_plan(&l, "web2", M, 10 * G, UUID(9), &p, &d), ESTALE);
	ASSERT_STREQ(
		last_msg(&d),
		"cannot claim the place reserved on LUN '/lun0': no partition has PARTUUID " UUID(
			9));
	ASSERT_ERR(part_claim_plan(&l, "web2", 2 * M, 10 * G, UUID(1), &p, &d), ESTALE);
	ASSERT_STREQ(last_msg(&d),
		     "cannot claim the place reserved on LUN '/lun0': partition 1 (PARTUUID " UUID(
			     1) ") has moved");
	part_lun_release(&l);
	diag_release(&d);
}

/* An owner callback that, like an inventory with pending reservations, says web5 owns 1. */
static int owner_pending(void *data, const char *lun, const struct part_entry *e, char **ret)
{
	if (e->partno == 1)
		return (*ret = strdup("web5")) ? 1 : -ENOMEM;
	return part_owner_by_name(data, lun, e, ret);
}

TEST(claim_and_release_with_pending_owner)
{
	struct part_guard g = {.owner = owner_pending};
	struct part_luns luns = {.v = calloc(1, sizeof(struct part_lun)), .n = 1};
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct part_plan p;

	claim_lun(&luns.v[0]);
	ASSERT_OK(part__owners_fill(&g, &luns.v[0], &d));
	/* reserved for web5 and still named "free": web5 may claim it, nobody else */
	ASSERT_OK(part_claim_plan(&luns.v[0], "web5", M, 10 * G, UUID(1), &p, &d));
	ASSERT_EQ(p.n_steps, 1);
	part_plan_release(&p);
	ASSERT_ERR(part_claim_plan(&luns.v[0], "web6", M, 10 * G, UUID(1), &p, &d), ESTALE);
	/* and releasing web5 before the claim touches nothing */
	ASSERT_ERR(part_release_plan(&luns, "web5", &p, &d), ENOENT);
	ASSERT_STREQ(last_msg(&d), "guest 'web5' has no partition on any readable LUN");

	/* release that deletes the entry (a partition carved for the guest) */
	ASSERT_OK(part_release_plan_flags(&luns, "web1", PART_RELEASE_DELETE, &p, &d));
	ASSERT_EQ(p.n_steps, 1);
	ASSERT_TRUE(p.steps[0].remove);
	ASSERT_EQ(p.steps[0].partno, 2);
	part_plan_format(&p, false, &sb);
	ASSERT_STREQ(
		strbuf_str(&sb),
		"would wipe the signatures in partition 2 on '/lun0'\nwould delete partition 2 on '/lun0' (size 10G, name 'guest:web1')\n");
	strbuf_release(&sb);
	part_plan_release(&p);
	part_luns_release(&luns);
	diag_release(&d);
}

TEST(alias_path)
{
	char *s = NULL;

	ASSERT_OK(part_alias_path("/dev/fc/fc-p1d1", 13, &s));
	ASSERT_STREQ(s, "/dev/fc/fc-p1d1p13");
	free(s);
	ASSERT_OK(part_alias_path("/dev/sdb", 3, &s));
	ASSERT_STREQ(s, "/dev/sdb3");
	free(s);
	ASSERT_OK(part_alias_path("/dev/loop0", 1, &s));
	ASSERT_STREQ(s, "/dev/loop0p1");
	free(s);
	ASSERT_ERR(part_alias_path("/dev/sdb", 0, &s), EINVAL);
}

TEST_MAIN()
