/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network planner, from tables: wants + a snapshot -> actions or conflicts. No root. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "network/network.h"
#include "tests/unit/test.h"

/* Shorthands for snapshot rows. */
/* clang-format off */
#define NIC(n, i, up_)		    { .name = n, .ifindex = i, .up = up_ }
#define NIC_IN(n, i, m)		    { .name = n, .ifindex = i, .master = m, .up = true }
#define VLAN(n, i, id, par, m, up_) { .name = n, .ifindex = i, .kind = "vlan", .vlan_id = id, \
				      .parent = par, .master = m, .up = up_ }
#define BR(n, i, fd, stp_, up_)	    { .name = n, .ifindex = i, .kind = "bridge", \
				      .forward_delay = fd, .stp = stp_, .up = up_ }
#define VETH(n, i)		    { .name = n, .ifindex = i, .kind = "veth", .up = true }
#define TAGGED(v)		    { .trunk = "eth0", .vlan = v, .bridge = "br" #v }
#define NATIVE(v)		    { .trunk = "eth0", .vlan = v, .bridge = "br" #v, .native = true }
/* clang-format on */

struct plan_case {
	const char *name;
	struct net_want want[3];
	size_t n_want;
	struct net_link links[8];
	size_t n_links;
	const char *expect; /* one line per action ("type link peer") or conflict message */
};

/* The plan as text: actions "type link[ peer]", or the conflicts' messages. */
static char *plan_text(const struct net_plan *p)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < p->n_conflicts; i++)
		strbuf_addf(&sb, "%s\n", p->conflicts[i].message);
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct net_action *a = &p->actions[i];

		strbuf_addf(&sb, "%s %s%s%s\n", net_action_type_to_string(a->type), a->link,
			    a->peer[0] ? " " : "", a->peer);
	}
	return strbuf_detach(&sb);
}

/* clang-format off */
static const struct plan_case cases[] = {
	{ "tagged, nothing there", { TAGGED(53) }, 1, { NIC("eth0", 2, true) }, 1,
	  "create-vlan eth0.53 eth0\ncreate-bridge br53\nstp-off br53\nforward-delay br53\n"
	  "enslave eth0.53 br53\nup eth0.53\nup br53\n" },
	{ "tagged, trunk down", { TAGGED(53) }, 1, { NIC("eth0", 2, false) }, 1,
	  "create-vlan eth0.53 eth0\ncreate-bridge br53\nstp-off br53\nforward-delay br53\n"
	  "enslave eth0.53 br53\nup eth0\nup eth0.53\nup br53\n" },
	{ "native, nothing there", { NATIVE(10) }, 1, { NIC("eth0", 2, true) }, 1,
	  "create-bridge br10\nstp-off br10\nforward-delay br10\nenslave eth0 br10\nup br10\n" },
	{ "tagged, all as wanted", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 4, true), BR("br53", 4, 0, false, true) }, 3,
	  "" },
	{ "native, all as wanted", { NATIVE(10) }, 1,
	  { NIC_IN("eth0", 2, 4), BR("br10", 4, 0, false, true) }, 2, "" },
	{ "forward delay drifted", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 4, true), BR("br53", 4, 1500, false, true) }, 3,
	  "forward-delay br53\n" },
	{ "port released", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 0, true), BR("br53", 4, 0, false, true) }, 3,
	  "enslave eth0.53 br53\n" },
	{ "everything down", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, false), VLAN("eth0.53", 3, 53, 2, 4, false), BR("br53", 4, 0, false, false) }, 3,
	  "up eth0\nup eth0.53\nup br53\n" },
	{ "vlan link there, bridge missing", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 0, true) }, 2,
	  "create-bridge br53\nstp-off br53\nforward-delay br53\nenslave eth0.53 br53\nup br53\n" },
	{ "port enslaved elsewhere", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 9, true), BR("br53", 4, 0, false, true),
	    BR("br99", 9, 0, false, true) }, 4,
	  "'eth0.53' is enslaved to 'br99', not 'br53': refusing to move it\n" },
	{ "native trunk enslaved elsewhere, bridge missing", { NATIVE(10) }, 1,
	  { NIC_IN("eth0", 2, 9), BR("br0", 9, 0, false, true) }, 2,
	  "'eth0' is enslaved to 'br0', not 'br10': refusing to move it\n" },
	{ "master unknown", { NATIVE(10) }, 1, { NIC_IN("eth0", 2, 99) }, 1,
	  "'eth0' is enslaved to ifindex 99, not 'br10': refusing to move it\n" },
	{ "bridge name taken", { TAGGED(53) }, 1, { NIC("eth0", 2, true), VETH("br53", 4) }, 2,
	  "'br53' exists but is a veth link, not a bridge\n" },
	{ "bridge name taken by a nic", { TAGGED(53) }, 1, { NIC("eth0", 2, true), NIC("br53", 4, true) }, 2,
	  "'br53' exists but is a plain network interface, not a bridge\n" },
	{ "port name taken", { TAGGED(53) }, 1, { NIC("eth0", 2, true), VETH("eth0.53", 3) }, 2,
	  "'eth0.53' exists but is a veth link, not a VLAN link\n" },
	{ "port with another id", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 54, 2, 0, true) }, 2,
	  "'eth0.53' is VLAN 54 on 'eth0', want VLAN 53 on 'eth0'\n" },
	{ "port on another parent", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), NIC("eth1", 5, true), VLAN("eth0.53", 3, 53, 5, 0, true) }, 3,
	  "'eth0.53' is VLAN 53 on 'eth1', want VLAN 53 on 'eth0'\n" },
	{ "vlan under another name", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("vlan53", 3, 53, 2, 0, true) }, 2,
	  "VLAN 53 on 'eth0' already exists as 'vlan53', not 'eth0.53'\n" },
	{ "stp on", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 4, true), BR("br53", 4, 1500, true, true) }, 3,
	  "bridge 'br53' has STP on: forward delay 0 needs STP off, and STP is left as the admin set it\n" },
	{ "no trunk", { TAGGED(53) }, 1, { NIC("eth1", 2, true) }, 1,
	  "trunk 'eth0' does not exist\n" },
	{ "no trunk, two vlans: said once", { TAGGED(53), TAGGED(54) }, 2, { NIC("eth1", 2, true) }, 1,
	  "trunk 'eth0' does not exist\n" },
	{ "name too long", { { .trunk = "enp0s31f6abcde", .vlan = 53, .bridge = "br53" } }, 1,
	  { NIC("enp0s31f6abcde", 2, true) }, 1,
	  "VLAN link name 'enp0s31f6abcde.53' is longer than 15 characters\n" },
	{ "two vlans share the trunk: one up, vlans before bridges", { TAGGED(53), TAGGED(54) }, 2,
	  { NIC("eth0", 2, false) }, 1,
	  "create-vlan eth0.53 eth0\ncreate-vlan eth0.54 eth0\ncreate-bridge br53\ncreate-bridge br54\n"
	  "stp-off br53\nstp-off br54\nforward-delay br53\nforward-delay br54\n"
	  "enslave eth0.53 br53\nenslave eth0.54 br54\nup eth0\nup eth0.53\nup eth0.54\nup br53\nup br54\n" },
	{ "native and tagged on one trunk", { NATIVE(10), TAGGED(53) }, 2,
	  { NIC_IN("eth0", 2, 4), BR("br10", 4, 0, false, true) }, 2,
	  "create-vlan eth0.53 eth0\ncreate-bridge br53\nstp-off br53\nforward-delay br53\n"
	  "enslave eth0.53 br53\nup eth0.53\nup br53\n" },
	{ "two natives on one trunk", { NATIVE(10), NATIVE(11) }, 2, { NIC("eth0", 2, true) }, 1,
	  "'eth0' cannot be enslaved to both 'br10' and 'br11'\n" },
	{ "other bridges are not touched", { TAGGED(53) }, 1,
	  { NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 4, true), BR("br53", 4, 0, false, true),
	    BR("br99", 9, 1500, true, false), VLAN("eth0.99", 8, 99, 2, 0, false) }, 5,
	  "" },
};
/* clang-format on */

TEST(plan_table)
{
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const struct plan_case *c = &cases[i];
		struct net_snapshot snap = {(struct net_link *) c->links, c->n_links};
		struct net_plan p;
		_cleanup_(freep) char *text = NULL;

		fprintf(stderr, "case: %s\n", c->name);
		ASSERT_OK(net_plan_make(c->want, c->n_want, &snap, &p));
		text = plan_text(&p);
		net_plan_release(&p);
		ASSERT_STREQ(text, c->expect);
	}
}

TEST(plan_conflict_fields)
{
	struct net_link links[] = {NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 9, true),
				   BR("br99", 9, 0, false, true)};
	struct net_snapshot snap = {links, ELEMENTSOF(links)};
	struct net_want w = TAGGED(53);
	struct net_plan p;

	ASSERT_OK(net_plan_make(&w, 1, &snap, &p));
	ASSERT_EQ(p.n_conflicts, 1);
	ASSERT_EQ(p.n_actions, 0);
	ASSERT_EQ(p.conflicts[0].type, NET_CONFLICT_WRONG_MASTER);
	ASSERT_STREQ(p.conflicts[0].link, "eth0.53");
	ASSERT_STREQ(net_conflict_type_to_string(p.conflicts[0].type), "wrong-master");
	net_plan_release(&p);
	net_plan_release(&p); /* twice is harmless */
}

TEST(plan_action_fields)
{
	struct net_link links[] = {NIC("eth0", 2, true), VLAN("eth0.53", 3, 53, 2, 4, true),
				   BR("br53", 4, 1500, false, true)};
	struct net_snapshot snap = {links, ELEMENTSOF(links)};
	struct net_want w = TAGGED(53);
	struct net_plan p;

	ASSERT_OK(net_plan_make(&w, 1, &snap, &p));
	ASSERT_EQ(p.n_actions, 1);
	ASSERT_EQ(p.actions[0].type, NET_ACTION_FORWARD_DELAY);
	ASSERT_EQ(p.actions[0].was, 1500);
	ASSERT_FALSE(p.actions[0].is_new);
	net_plan_release(&p);
}

TEST(plan_invalid_want)
{
	struct net_link links[] = {NIC("eth0", 2, true)};
	struct net_snapshot snap = {links, 1};
	struct net_want bad[] = {
		{.trunk = "eth0", .vlan = 0, .bridge = "br0"},
		{.trunk = "eth0", .vlan = 4095, .bridge = "br0"},
		{.trunk = "", .vlan = 5, .bridge = "br5"},
		{.trunk = "eth0", .vlan = 5, .bridge = NULL},
	};
	struct net_plan p;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ASSERT_ERR(net_plan_make(&bad[i], 1, &snap, &p), EINVAL);
	ASSERT_OK(net_plan_make(NULL, 0, &snap, &p));
	ASSERT_EQ(p.n_actions + p.n_conflicts, 0);
}

struct describe_case {
	struct net_action a;
	const char *problem, *would, *done;
};

/* clang-format off */
static const struct describe_case describe_cases[] = {
	{ { NET_ACTION_CREATE_VLAN, "eth0.53", "eth0", 53, 0, true },
	  "VLAN link 'eth0.53' (VLAN 53 on 'eth0') is missing",
	  "would create VLAN link 'eth0.53' (VLAN 53 on 'eth0')",
	  "created VLAN link 'eth0.53' (VLAN 53 on 'eth0')" },
	{ { NET_ACTION_CREATE_BRIDGE, "br53", "", 0, 0, true },
	  "bridge 'br53' is missing", "would create bridge 'br53'", "created bridge 'br53'" },
	{ { NET_ACTION_STP_OFF, "br53", "", 0, 0, true },
	  NULL, "would turn STP off on 'br53'", "turned STP off on 'br53'" },
	{ { NET_ACTION_FORWARD_DELAY, "br53", "", 0, 0, true },
	  NULL, "would set forward delay of 'br53' to 0", "set forward delay of 'br53' to 0" },
	{ { NET_ACTION_FORWARD_DELAY, "br53", "", 0, 1505, false },
	  "forward delay of 'br53' is 15.05 s, want 0",
	  "would set forward delay of 'br53' to 0 (was 15.05 s)",
	  "set forward delay of 'br53' to 0 (was 15.05 s)" },
	{ { NET_ACTION_ENSLAVE, "eth0.53", "br53", 0, 0, false },
	  "'eth0.53' is not enslaved to 'br53'", "would enslave 'eth0.53' to 'br53'",
	  "enslaved 'eth0.53' to 'br53'" },
	{ { NET_ACTION_UP, "br53", "", 0, 0, false },
	  "'br53' is down", "would bring 'br53' up", "brought 'br53' up" },
	{ { NET_ACTION_UP, "br53", "", 0, 0, true }, NULL, "would bring 'br53' up", "brought 'br53' up" },
};
/* clang-format on */

TEST(describe)
{
	for (size_t i = 0; i < ELEMENTSOF(describe_cases); i++) {
		const struct describe_case *c = &describe_cases[i];
		_cleanup_(freep) char *problem = net_action_describe(&c->a, NET_PROBLEM);
		_cleanup_(freep) char *would = net_action_describe(&c->a, NET_WOULD);
		_cleanup_(freep) char *done = net_action_describe(&c->a, NET_DONE);

		if (c->problem)
			ASSERT_STREQ(problem, c->problem);
		else
			ASSERT_NULL(problem);
		ASSERT_STREQ(would, c->would);
		ASSERT_STREQ(done, c->done);
	}
	ASSERT_NULL(net_action_type_to_string(_NET_ACTION_TYPE_MAX));
	ASSERT_STREQ(net_action_type_to_string(NET_ACTION_CREATE_VLAN), "create-vlan");
}

TEST_MAIN()
