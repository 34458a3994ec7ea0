/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planners of evacuate and rebalance (provision/placement.c), by tables: Dom0s with free
 * memory and guests with memory and Dom0 in, the plan written as text out:
 * "GUEST FROM>TO; ..." for the moves, then "| GUEST: REASON; ..." for the stuck guests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "provision/placement.h"
#include "tests/unit/test.h"

#define MAXN 8

struct table {
	const char *what;
	struct prov_place_host hosts[MAXN];
	struct prov_place_guest guests[MAXN];
	struct prov_place_refusal refusals[MAXN];
	const char *from;  /* evacuate */
	uint64_t min_gain; /* rebalance */
	const char *want;
};

static size_t count_hosts(const struct prov_place_host *v)
{
	size_t n = 0;

	while (n < MAXN && v[n].name)
		n++;
	return n;
}

static size_t count_guests(const struct prov_place_guest *v)
{
	size_t n = 0;

	while (n < MAXN && v[n].name)
		n++;
	return n;
}

static size_t count_refusals(const struct prov_place_refusal *v)
{
	size_t n = 0;

	while (n < MAXN && v[n].guest)
		n++;
	return n;
}

static char *plan_text(const struct prov_place_plan *p)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < p->n_moves; i++)
		strbuf_addf(&sb, "%s%s %s>%s", i ? "; " : "", p->moves[i].guest, p->moves[i].from,
			    p->moves[i].to);
	for (size_t i = 0; i < p->n_stuck; i++)
		strbuf_addf(&sb, "%s%s: %s",
			    i		 ? "; "
			    : p->n_moves ? " | "
					 : "| ",
			    p->stuck[i].guest, p->stuck[i].reason);
	return strbuf_detach(&sb) ?: strdup("");
}

static const struct table evacuate[] = {
	{"nothing on the Dom0", {{"a", 0}, {"b", 4096}}, {{"w1", "b", 512}}, {{0}}, "a", 0, ""},
	{"the one with the most free memory",
	 {{"a", 0}, {"b", 2048}, {"c", 4096}},
	 {{"w1", "a", 1024}},
	 {{0}},
	 "a",
	 0,
	 "w1 a>c"},
	{"largest first, each on what is left after the moves before it",
	 {{"a", 0}, {"b", 3000}, {"c", 4000}},
	 {{"small", "a", 500}, {"big", "a", 2500}, {"mid", "a", 1000}},
	 {{0}},
	 "a",
	 0,
	 "big a>c; mid a>b; small a>b"},
	{"ties by name",
	 {{"a", 0}, {"c", 2048}, {"b", 2048}},
	 {{"w1", "a", 1024}},
	 {{0}},
	 "a",
	 0,
	 "w1 a>b"},
	{"never back to the Dom0 it leaves, however free",
	 {{"a", 99999}, {"b", 2048}},
	 {{"w1", "a", 1024}},
	 {{0}},
	 "a",
	 0,
	 "w1 a>b"},
	{"no room anywhere",
	 {{"a", 0}, {"b", 1000}},
	 {{"w1", "a", 1024}, {"w2", "a", 512}},
	 {{0}},
	 "a",
	 0,
	 "w2 a>b | w1: no other Dom0 has 1024 MiB free"},
	{"a refused Dom0 is planned around",
	 {{"a", 0}, {"b", 2048}, {"c", 4096}},
	 {{"w1", "a", 1024}},
	 {{"w1", "c", "bridge 'br10' missing"}},
	 "a",
	 0,
	 "w1 a>b"},
	{"refused everywhere it fits: the refusals are the reason",
	 {{"a", 0}, {"b", 2048}, {"c", 4096}, {"d", 100}},
	 {{"w1", "a", 1024}, {"w2", "a", 512}},
	 {{"w1", "b", "Xen 4.16, not 4.17"}, {"w1", "c", "partition not visible"}},
	 "a",
	 0,
	 "w2 a>c | w1: 'b': Xen 4.16, not 4.17; 'c': partition not visible"},
	{"a refusal of another guest does not count",
	 {{"a", 0}, {"b", 2048}},
	 {{"w1", "a", 1024}},
	 {{"w2", "b", "no"}},
	 "a",
	 0,
	 "w1 a>b"},
};

TEST(evacuate_table)
{
	for (size_t i = 0; i < ELEMENTSOF(evacuate); i++) {
		const struct table *t = &evacuate[i];
		struct prov_place_plan p;
		char *got;

		ASSERT_OK(prov_place_evacuate(t->hosts, count_hosts(t->hosts), t->guests,
					      count_guests(t->guests), t->from, t->refusals,
					      count_refusals(t->refusals), &p));
		got = plan_text(&p);
		if (!streq(got, t->want))
			TEST__FAIL("evacuate '%s': got '%s', want '%s'", t->what, got, t->want);
		free(got);
		prov_place_plan_release(&p);
	}
}

static const struct table rebalance[] = {
	{"even already",
	 {{"a", 1000}, {"b", 1000}},
	 {{"w1", "a", 512}, {"w2", "b", 512}},
	 {{0}},
	 NULL,
	 0,
	 ""},
	{"one move halves the gap",
	 {{"a", 0}, {"b", 4096}},
	 {{"w1", "a", 2048}, {"w2", "a", 1024}},
	 {{0}},
	 NULL,
	 0,
	 "w1 a>b"},
	{"a guest as big as the gap would only swap the sides",
	 {{"a", 0}, {"b", 2048}},
	 {{"w1", "a", 2048}},
	 {{0}},
	 NULL,
	 0,
	 ""},
	{"several moves, the best first, each guest once",
	 {{"a", 0}, {"b", 0}, {"c", 6000}},
	 {{"w1", "a", 2000}, {"w2", "b", 2000}, {"w3", "a", 500}},
	 {{0}},
	 NULL,
	 0,
	 "w1 a>c; w2 b>c"},
	{"too small a gain is no move",
	 {{"a", 900}, {"b", 1000}},
	 {{"w1", "a", 40}},
	 {{0}},
	 NULL,
	 256,
	 ""},
	{"the same gain with min_gain 0",
	 {{"a", 900}, {"b", 1000}},
	 {{"w1", "a", 40}},
	 {{0}},
	 NULL,
	 0,
	 "w1 a>b"},
	{"a guest that does not fit stays",
	 {{"a", 0}, {"b", 1000}},
	 {{"w1", "a", 4096}},
	 {{0}},
	 NULL,
	 0,
	 ""},
	{"a guest on an unknown Dom0 stays",
	 {{"a", 0}, {"b", 4096}},
	 {{"w1", "x", 1024}, {"w2", "a", 1024}},
	 {{0}},
	 NULL,
	 0,
	 "w2 a>b"},
	{"ties by guest name, then by Dom0 name",
	 {{"a", 0}, {"c", 4000}, {"b", 4000}},
	 {{"w2", "a", 1000}, {"w1", "a", 1000}},
	 {{0}},
	 NULL,
	 0,
	 "w1 a>b; w2 a>c"},
};

TEST(rebalance_table)
{
	for (size_t i = 0; i < ELEMENTSOF(rebalance); i++) {
		const struct table *t = &rebalance[i];
		struct prov_place_plan p;
		char *got;

		ASSERT_OK(prov_place_rebalance(t->hosts, count_hosts(t->hosts), t->guests,
					       count_guests(t->guests), t->min_gain, &p));
		ASSERT_EQ(p.n_stuck, 0);
		got = plan_text(&p);
		if (!streq(got, t->want))
			TEST__FAIL("rebalance '%s': got '%s', want '%s'", t->what, got, t->want);
		free(got);
		prov_place_plan_release(&p);
	}
}

/* Free memory ends more even than it started, whatever the input (a spread of sizes). */
TEST(rebalance_narrows)
{
	struct prov_place_host hosts[4] = {{"a", 100}, {"b", 9000}, {"c", 3000}, {"d", 500}};
	struct prov_place_guest guests[6] = {{"g1", "a", 3000}, {"g2", "a", 1500},
					     {"g3", "d", 700},	{"g4", "d", 2500},
					     {"g5", "c", 300},	{"g6", "a", 900}};
	int64_t f[4];
	struct prov_place_plan p;

	ASSERT_OK(prov_place_rebalance(hosts, 4, guests, 6, 0, &p));
	ASSERT_TRUE(p.n_moves > 0);
	for (size_t i = 0; i < 4; i++)
		f[i] = (int64_t) hosts[i].free_mib;
	for (size_t m = 0; m < p.n_moves; m++)
		for (size_t i = 0; i < 4; i++) {
			if (streq(hosts[i].name, p.moves[m].from))
				f[i] += (int64_t) p.moves[m].mem_mib;
			if (streq(hosts[i].name, p.moves[m].to))
				f[i] -= (int64_t) p.moves[m].mem_mib;
		}
	for (size_t i = 0; i < 4; i++)
		ASSERT_TRUE(f[i] >= 0);
	/* the spread was 8900 */
	{
		int64_t lo = f[0], hi = f[0];

		for (size_t i = 1; i < 4; i++) {
			lo = f[i] < lo ? f[i] : lo;
			hi = f[i] > hi ? f[i] : hi;
		}
		ASSERT_TRUE(hi - lo < 3000);
	}
	prov_place_plan_release(&p);
}

TEST_MAIN()
