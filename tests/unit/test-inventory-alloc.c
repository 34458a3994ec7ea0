/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inventory's pure allocators: MAC drawing, first free IP, partition placement. */
#include "common/util.h"
#include "inventory/inventory-internal.h"
#include "tests/unit/test.h"

#define G (1ULL << 30)
#define M (1ULL << 20)

static const uint8_t xen_prefix[6] = {0x00, 0x16, 0x3e};

static const char *mac_str(const char *name, unsigned attempt, char buf[static 18])
{
	uint8_t mac[6];

	inv_mac_draw(xen_prefix, 3, name, attempt, mac);
	return format_mac(mac, buf);
}

TEST(mac_golden)
{
	char buf[18];

	/*
	 * Computed independently (Python) from the algorithm in doc/inventory.md: a change
	 * here renumbers every guest's MAC at every site.
	 */
	ASSERT_STREQ(mac_str("web1", 0, buf), "00:16:3e:28:7a:35");
	ASSERT_STREQ(mac_str("web1", 1, buf), "00:16:3e:78:5a:38");
	ASSERT_STREQ(mac_str("lab01", 0, buf), "00:16:3e:d6:9a:86");
}

TEST(mac_stable_and_spread)
{
	char a[18], b[18], name[16];
	uint8_t mac[6], seen[200][3];

	ASSERT_STREQ(mac_str("db1", 0, a), mac_str("db1", 0, b));
	ASSERT_FALSE(streq(mac_str("db1", 0, a), mac_str("db2", 0, b)));
	ASSERT_FALSE(streq(mac_str("db1", 0, a), mac_str("db1", 1, b)));
	/* 200 lab names draw 200 different suffixes (no structural collisions). */
	for (unsigned i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "lab%03u", i);
		inv_mac_draw(xen_prefix, 3, name, 0, mac);
		ASSERT_EQ(memcmp(mac, xen_prefix, 3), 0);
		memcpy(seen[i], mac + 3, 3);
		for (unsigned j = 0; j < i; j++)
			ASSERT_TRUE(memcmp(seen[i], seen[j], 3) != 0);
	}
}

TEST(mac_prefix_lengths)
{
	const uint8_t p[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd};
	uint8_t mac[6], mac5[6];

	inv_mac_draw(p, 1, "x", 0, mac);
	ASSERT_EQ(mac[0], 0x02);
	inv_mac_draw(p, 5, "x", 0, mac5);
	ASSERT_EQ(memcmp(mac5, p, 5), 0);
	/* The drawn bytes are the hash's leading bytes, whatever the prefix length. */
	ASSERT_EQ(mac5[5], mac[1]);
}

TEST(ip_first_free)
{
	const uint32_t taken[] = {0x0a000a0c, 0x0a000a0a}; /* .12, .10 (unsorted) */
	uint32_t ip;

	ASSERT_OK(inv__ip_pick(0x0a000a0a, 0x0a000a14, 0, NULL, 0, &ip));
	ASSERT_EQ(ip, 0x0a000a0a);
	ASSERT_OK(inv__ip_pick(0x0a000a0a, 0x0a000a14, 0, taken, 2, &ip));
	ASSERT_EQ(ip, 0x0a000a0b);
	/* The gateway inside the range is never handed out. */
	ASSERT_OK(inv__ip_pick(0x0a000a0a, 0x0a000a14, 0x0a000a0b, taken, 2, &ip));
	ASSERT_EQ(ip, 0x0a000a0d);
	ASSERT_ERR(inv__ip_pick(0x0a000a0a, 0x0a000a0c, 0x0a000a0b, taken, 2, &ip), ENOSPC);
	ASSERT_ERR(inv__ip_pick(5, 4, 0, NULL, 0, &ip), EINVAL);
	/* The last address of the whole space does not wrap around. */
	ASSERT_OK(inv__ip_pick(0xfffffffe, 0xffffffff, 0xfffffffe, NULL, 0, &ip));
	ASSERT_EQ(ip, 0xffffffff);
}

TEST(extent_free_segments)
{
	const struct inv_extent cand[] = {
		{"lunA", 1 * M, 40 * G, NULL},
		{"lunB", 17 * 512, 100 * G, NULL}, /* unaligned start */
	};
	const struct inv_partition taken[] = {
		{.lun = (char *) "lunA", .start = 1 * M, .size = 20 * G},
		{.lun = (char *) "lunA", .start = 20 * G + 1 * M + 4096, .size = 10 * G},
		{.lun = (char *) "lunB", .start = 30 * G, .size = 10 * G},
	};
	uint64_t start, size;

	/* Empty LUN: first aligned start. */
	ASSERT_EQ(inv__extent_pick(cand, 2, 10 * G, M, NULL, 0, &start, &size), 0);
	ASSERT_EQ(start, 1 * M);
	ASSERT_EQ(size, 10 * G);
	/* lunA: 8 GiB fits only in the last part, after the unaligned end of the second. */
	ASSERT_EQ(inv__extent_pick(cand, 2, 8 * G, M, taken, 3, &start, &size), 0);
	ASSERT_EQ(start, 30 * G + 2 * M);
	/* 10 GiB no longer fits on lunA; lunB's start is aligned up. */
	ASSERT_EQ(inv__extent_pick(cand, 2, 10 * G, M, taken, 3, &start, &size), 1);
	ASSERT_EQ(start, 1 * M);
	/* 30 GiB: lunB before its reservation is too small (30G - 1M), after it fits. */
	ASSERT_EQ(inv__extent_pick(cand, 2, 30 * G, M, taken, 3, &start, &size), 1);
	ASSERT_EQ(start, 40 * G);
	ASSERT_ERR(inv__extent_pick(cand, 2, 61 * G, M, taken, 3, &start, &size), ENOSPC);
	ASSERT_ERR(inv__extent_pick(cand, 2, 0, M, taken, 3, &start, &size), EINVAL);
}

TEST(extent_existing_partitions)
{
	const struct inv_extent cand[] = {
		{"lunA", 1 * M, 10 * G, "11111111-aaaa-4aaa-8aaa-000000000001"},
		{"lunA", 10 * G + M, 20 * G, "11111111-aaaa-4aaa-8aaa-000000000002"},
		{"lunA", 30 * G + M, 20 * G, "11111111-aaaa-4aaa-8aaa-000000000003"},
	};
	const struct inv_partition taken[] = {
		{.lun = (char *) "lunA",
		 .start = 10 * G + M,
		 .size = 20 * G,
		 .partuuid = (char *) "11111111-AAAA-4AAA-8AAA-000000000002"},
	};
	uint64_t start, size;

	/* Too small, then taken (PARTUUID compared without case), then free: taken whole. */
	ASSERT_EQ(inv__extent_pick(cand, 3, 15 * G, M, taken, 1, &start, &size), 2);
	ASSERT_EQ(start, 30 * G + M);
	ASSERT_EQ(size, 20 * G);
	ASSERT_EQ(inv__extent_pick(cand, 3, 5 * G, M, taken, 1, &start, &size), 0);
	ASSERT_EQ(size, 10 * G);
}

TEST(state_names)
{
	for (int s = 0; s < _INV_STATE_MAX; s++)
		ASSERT_EQ(inv_state_from_string(inv_state_to_string(s)), s);
	ASSERT_EQ(inv_state_from_string("gone"), _INV_STATE_INVALID);
	ASSERT_NULL(inv_state_to_string(_INV_STATE_MAX));
}

TEST_MAIN()
