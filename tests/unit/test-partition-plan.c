/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure planners of partition/, on snapshots built from tables (no I/O). */
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "partition/partition-internal.h"
#include "partition/partition.h"
#include "tests/unit/part-tables.h"
#include "tests/unit/test.h"

static const char *last_msg(const struct diag *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

TEST(owner_by_name)
{
	struct part_entry e = {.partno = 1};
	char *o = NULL;

	e.name = "guest:web1";
	ASSERT_EQ(part_owner_by_name(NULL, "x", &e, &o), 1);
	ASSERT_STREQ(o, "web1");
	free(o);
	o = NULL;
	e.name = "guest:";
	ASSERT_EQ(part_owner_by_name(NULL, "x", &e, &o), 0);
	e.name = "guest:Web_1";
	ASSERT_EQ(part_owner_by_name(NULL, "x", &e, &o), 0);
	e.name = "free";
	ASSERT_EQ(part_owner_by_name(NULL, "x", &e, &o), 0);
	e.name = "";
	ASSERT_EQ(part_owner_by_name(NULL, "x", &e, &o), 0);
	ASSERT_NULL(o);
}

TEST(carve_seed_layout_on_empty_lun)
{
	static const uint64_t seed[] = {30 * G, 25 * G, 20 * G, 10 * G, 10 * G,
					10 * G, 10 * G, 10 * G, 10 * G, 10 * G,
					10 * G, 10 * G, 10 * G, 10 * G, 10 * G};
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;
	uint64_t at = M;

	lun_make(&l, "/lun0", 200 * G, NULL, 0);
	ASSERT_OK(part_carve_plan(&l, seed, ELEMENTSOF(seed), &p, &d));
	ASSERT_EQ(p.kind, PART_PLAN_CARVE);
	ASSERT_EQ(p.n_steps, 15);
	for (size_t i = 0; i < p.n_steps; i++) {
		ASSERT_EQ(p.steps[i].partno, i + 1);
		ASSERT_EQ(p.steps[i].start, at);
		ASSERT_EQ(p.steps[i].size, seed[i]);
		ASSERT_TRUE(p.steps[i].create);
		ASSERT_STREQ(p.steps[i].name, "free");
		at += seed[i];
	}
	part_plan_release(&p);
	part_lun_release(&l);
	ASSERT_EQ(d.n, 0);
}

TEST(carve_fills_holes_and_numbers)
{
	/* partitions 1 and 3 with a 5G hole between them; 2 and 4 are the free numbers */
	static const struct tp t[] = {{1, 1, 10240, "a"}, {3, 1 + 10240 + 5120, 10240, "b"}};
	static const uint64_t want[] = {4 * G, 20 * G, 1 * G};
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;

	lun_make(&l, "/lun0", 100 * G, t, ELEMENTSOF(t));
	ASSERT_OK(part_carve_plan(&l, want, 3, &p, &d));
	ASSERT_EQ(p.steps[0].partno, 2);
	ASSERT_EQ(p.steps[0].start, (1 + 10240) * M); /* first fit: the hole */
	ASSERT_EQ(p.steps[1].partno, 4);
	ASSERT_EQ(p.steps[1].start, (1 + 10240 + 5120 + 10240) * M); /* does not fit the rest */
	ASSERT_EQ(p.steps[2].partno, 5);
	ASSERT_EQ(p.steps[2].start, (1 + 10240 + 4096) * M); /* what is left of the hole */
	part_plan_release(&p);
	part_lun_release(&l);
	diag_release(&d);
}

TEST(carve_all_or_nothing)
{
	static const uint64_t too_much[] = {100 * G, 100 * G};
	static const uint64_t odd[] = {10 * G + 4096};
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p = {0};

	lun_make(&l, "/lun0", 200 * G, NULL, 0);
	ASSERT_ERR(part_carve_plan(&l, too_much, 2, &p, &d), ENOSPC);
	ASSERT_STREQ(
		last_msg(&d),
		"no room for partition 2 of the layout (100G) on LUN '/lun0' (largest free space before the layout: 204798M)");
	ASSERT_NULL(p.steps);
	ASSERT_ERR(part_carve_plan(&l, odd, 1, &p, &d), EINVAL);
	ASSERT_STREQ(last_msg(&d), "partition size '10485764K' is not a positive multiple of 1M");
	part_lun_release(&l);
	diag_release(&d);
}

TEST(lun_check_refuses_overlap_dos_missing)
{
	static const struct tp overlap[] = {{1, 1, 1024, "free"}, {2, 1000, 1024, "free"}};
	static const struct tp outside[] = {{1, 1, 1024 * 1024, "free"}};
	struct diag d = DIAG_INIT;
	struct part_lun l;

	lun_make(&l, "/lun0", 100 * G, overlap, 2);
	ASSERT_ERR(part_lun_check(&l, &d), EUCLEAN);
	ASSERT_STREQ(last_msg(&d),
		     "LUN '/lun0': partitions 1 and 2 overlap, refusing to change it");
	part_lun_release(&l);

	lun_make(&l, "/lun0", 100 * G, outside, 1);
	ASSERT_ERR(part_lun_check(&l, &d), EUCLEAN);
	ASSERT_STREQ(
		last_msg(&d),
		"LUN '/lun0': partition 1 lies outside the usable area, refusing to change it");
	part_lun_release(&l);

	lun_make(&l, "/lun0", 100 * G, NULL, 0);
	l.label = PART_LABEL_DOS;
	ASSERT_ERR(part_lun_check(&l, &d), EMEDIUMTYPE);
	ASSERT_STREQ(last_msg(&d), "LUN '/lun0' has a dos partition table, not gpt");
	l.label = PART_LABEL_NONE;
	ASSERT_ERR(part_lun_check(&l, &d), EMEDIUMTYPE);
	l.label = PART_LABEL_GPT;
	l.n_verify_errors = 2;
	ASSERT_ERR(part_lun_check(&l, &d), EUCLEAN);
	l.n_verify_errors = 0;
	l.error = -ENOENT;
	l.error_text = strdup("cannot open '/lun0': No such file or directory");
	ASSERT_ERR(part_lun_check(&l, &d), ENODEV);
	ASSERT_STREQ(last_msg(&d), "cannot open '/lun0': No such file or directory");
	part_lun_release(&l);
	diag_release(&d);
}

TEST(init_only_on_empty)
{
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;

	lun_make(&l, "/lun0", 100 * G, NULL, 0);
	ASSERT_ERR(part_init_plan(&l, &p, &d), EEXIST);
	ASSERT_STREQ(last_msg(&d), "LUN '/lun0' already has a gpt partition table");
	l.label = PART_LABEL_NONE;
	l.signature = strdup("ext4");
	ASSERT_ERR(part_init_plan(&l, &p, &d), EBUSY);
	ASSERT_STREQ(last_msg(&d), "LUN '/lun0' is not empty: it holds a signature (ext4)");
	free(l.signature);
	l.signature = NULL;
	ASSERT_OK(part_init_plan(&l, &p, &d));
	ASSERT_EQ(p.kind, PART_PLAN_INIT);
	ASSERT_EQ(p.n_steps, 0);
	part_plan_release(&p);
	part_lun_release(&l);
	diag_release(&d);
}

/* Three LUNs; each case: request, expected LUN index, partno, start (MiB), reuse or not. */
TEST(prepare_choice_table)
{
	/* lun0: 10G free partition + 50G hole; lun1: 20G free partition + 12G hole at the end */
	static const struct tp l0[] = {{1, 1, 10240, "free"}, {2, 10241, 20480, "guest:a"}};
	static const struct tp l1[] = {{1, 1, 20480, "free"}, {2, 20481, 30720 - 12, "x"}};
	static const struct tp l2[] = {{1, 1, 10240, "guest:b"}};
	static const struct {
		uint64_t size;
		unsigned lun, partno;
		uint64_t start_m;
		bool reuse;
	} cases[] = {
		{10 * G, 0, 1, 1, true},      /* exact free partition, first LUN */
		{20 * G, 1, 1, 1, true},      /* exact free partition on the second LUN */
		{12 * G, 1, 3, 51189, false}, /* best fit: lun1's 12G tail */
		{25 * G, 0, 3, 30721, false}, /* only lun0's hole and lun2 fit; lun0 smaller */
		{30 * G, 0, 3, 30721, false}, /* tie-free: lun0 ~69G vs lun2 ~90G */
		{80 * G, 2, 2, 10241, false}, /* only lun2 has 80G */
	};
	struct part_luns luns = {.v = calloc(3, sizeof(struct part_lun)), .n = 3};

	lun_make(&luns.v[0], "/lun0", 100 * G, l0, 2);
	lun_make(&luns.v[1], "/lun1", 62 * G, l1, 2);
	lun_make(&luns.v[2], "/lun2", 100 * G, l2, 1);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct part_request req = {
			.guest = "web1", .size = cases[i].size, .swap_size = 2 * G};
		struct diag d = DIAG_INIT;
		struct part_plan p;

		printf("case %zu\n", i);
		ASSERT_OK(part_prepare_plan(&luns, &req, &p, &d));
		ASSERT_STREQ(p.lun, luns.v[cases[i].lun].path);
		ASSERT_EQ(p.n_steps, 1);
		ASSERT_EQ(p.steps[0].partno, cases[i].partno);
		ASSERT_EQ(p.steps[0].start, cases[i].start_m * M);
		ASSERT_EQ(p.steps[0].size, cases[i].size);
		ASSERT_EQ(p.steps[0].create, !cases[i].reuse);
		ASSERT_STREQ(p.steps[0].name, "guest:web1");
		ASSERT_STREQ(p.fs_label, "web1");
		ASSERT_EQ(p.swap_size, 2 * G);
		ASSERT_EQ(d.n, 0);
		part_plan_release(&p);
	}
	part_luns_release(&luns);
}

TEST(prepare_refusals)
{
	static const struct tp l0[] = {{1, 1, 10240, "guest:web1"}};
	struct part_luns luns = {.v = calloc(2, sizeof(struct part_lun)), .n = 2};
	struct part_request req = {.guest = "web1", .size = 10 * G, .swap_size = 2 * G};
	struct diag d = DIAG_INIT;
	struct part_plan p;

	lun_make(&luns.v[0], "/lun0", 20 * G, l0, 1);
	lun_make(&luns.v[1], "/lun1", 20 * G, NULL, 0);
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), EEXIST);
	ASSERT_STREQ(
		last_msg(&d),
		"guest 'web1' already has partition 1 on LUN '/lun0' (PARTUUID 00000000-0000-4000-8000-000000000001)");
	req.guest = "web2";
	req.size = 30 * G;
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), ENOSPC);
	ASSERT_STREQ(
		last_msg(&d),
		"no room for a 30G partition for guest 'web2' on any of 2 usable LUN(s) (largest free space: 20478M)");
	req.lun = "/lun0";
	req.size = 10 * G;
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), ENOSPC);
	ASSERT_STREQ(
		last_msg(&d),
		"no room for a 10G partition for guest 'web2' on LUN '/lun0' (largest free space: 10238M)");
	req.lun = NULL;
	req.swap_size = 6 * G;
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), EINVAL);
	req.swap_size = 0;
	req.guest = "Web_2";
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), EINVAL);
	ASSERT_STREQ(last_msg(&d), "invalid guest name 'Web_2'");
	req.guest = "web2";
	req.size = 10 * G + 512;
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), EINVAL);

	/* a dos LUN is skipped with a warning, or refused when asked for by name */
	luns.v[1].label = PART_LABEL_DOS;
	req.size = 5 * G;
	diag_clear(&d);
	ASSERT_OK(part_prepare_plan(&luns, &req, &p, &d));
	ASSERT_STREQ(p.lun, "/lun0");
	ASSERT_EQ(d.n, 1);
	ASSERT_EQ(d.v[0].level, DIAG_WARNING);
	ASSERT_STREQ(d.v[0].msg,
		     "skipping LUN '/lun1': LUN '/lun1' has a dos partition table, not gpt");
	part_plan_release(&p);
	req.lun = "/lun1";
	ASSERT_ERR(part_prepare_plan(&luns, &req, &p, &d), EMEDIUMTYPE);
	part_luns_release(&luns);
	diag_release(&d);
}

TEST(prepare_long_name_label_and_dry_run_text)
{
	struct part_luns luns = {.v = calloc(1, sizeof(struct part_lun)), .n = 1};
	struct part_request req = {
		.guest = "a-very-long-guest-name", .size = 20 * G, .swap_size = 2 * G};
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct part_plan p;

	lun_make(&luns.v[0], "/lun0", 200 * G, NULL, 0);
	ASSERT_OK(part_prepare_plan(&luns, &req, &p, &d));
	ASSERT_STREQ(p.fs_label, "a-very-long-gues");
	ASSERT_EQ(d.v[0].level, DIAG_WARNING);
	part_plan_format(&p, false, &sb);
	ASSERT_STREQ(
		strbuf_str(&sb),
		"would create partition 1 on '/lun0': start 1M, size 20G, name 'guest:a-very-long-guest-name'\nwould make an ext4 filesystem labelled 'a-very-long-gues' on it\nwould write a 2G /swapfile into it\n");
	strbuf_release(&sb);
	part_plan_release(&p);
	part_luns_release(&luns);
	diag_release(&d);
}

TEST(release_plan)
{
	static const struct tp l0[] = {{1, 1, 10240, "free"}, {4, 10241, 10240, "guest:web1"}};
	struct part_luns luns = {.v = calloc(1, sizeof(struct part_lun)), .n = 1};
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct part_plan p;

	lun_make(&luns.v[0], "/lun0", 100 * G, l0, 2);
	ASSERT_ERR(part_release_plan(&luns, "web2", &p, &d), ENOENT);
	ASSERT_STREQ(last_msg(&d), "guest 'web2' has no partition on any readable LUN");
	ASSERT_OK(part_release_plan(&luns, "web1", &p, &d));
	ASSERT_EQ(p.kind, PART_PLAN_RELEASE);
	ASSERT_EQ(p.steps[0].partno, 4);
	ASSERT_FALSE(p.steps[0].create);
	ASSERT_STREQ(p.steps[0].name, "free");
	part_plan_format(&p, false, &sb);
	ASSERT_STREQ(
		strbuf_str(&sb),
		"would wipe the signatures in partition 4 on '/lun0'\nwould rename partition 4 on '/lun0' (size 10G) from 'guest:web1' to 'free'\n");
	strbuf_release(&sb);
	part_plan_format(&p, true, &sb);
	ASSERT_STREQ(
		strbuf_str(&sb),
		"wiped the signatures in partition 4 on '/lun0'\nrenamed partition 4 on '/lun0' (size 10G) from 'guest:web1' to 'free'\n");
	strbuf_release(&sb);
	part_plan_release(&p);
	part_luns_release(&luns);
	diag_release(&d);
}

TEST(swap_header_layout)
{
	static const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15};
	uint8_t page[4096];
	uint32_t v;

	ASSERT_ERR(part__swap_header(page, sizeof(page), 4096 * 9, uuid, "x"), EINVAL);
	ASSERT_OK(part__swap_header(page, sizeof(page), UINT64_C(2) << 30, uuid, "web1"));
	ASSERT_EQ(memcmp(page + 4086, "SWAPSPACE2", 10), 0);
	memcpy(&v, page + 1024, 4);
	ASSERT_EQ(v, 1);
	memcpy(&v, page + 1028, 4);
	ASSERT_EQ(v, (UINT64_C(2) << 30) / 4096 - 1);
	ASSERT_EQ(memcmp(page + 1036, uuid, 16), 0);
	ASSERT_STREQ((char *) page + 1052, "web1");
}

TEST_MAIN()
