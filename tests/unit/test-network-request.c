/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RTM_NEWLINK requests netlink.c builds by hand, parsed back with libnl's own attribute
 * parser. This machine's kernel has no 802.1q, so the VLAN request is proven here, byte by
 * byte, and its real creation in the lab (tests/unit/test-network-netlink.c, tagged_vlan).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "common/macro.h"
#include "network/network-internal.h"
#include "tests/unit/test.h"

/* Number of attributes directly inside a nest (or after the header). */
static int count_attrs(struct nlattr *head, int len)
{
	struct nlattr *a;
	int rem, n = 0;

	nla_for_each_attr(a, head, len, rem) n++;
	return n;
}

TEST(vlan_request)
{
	_cleanup_(freep) void *buf = NULL;
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *vlan[IFLA_VLAN_MAX + 1];
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	const uint8_t *proto;
	size_t len;

	ASSERT_OK(net__vlan_request("eth0.53", 53, 7, &buf, &len));
	h = buf;
	ASSERT_EQ(h->nlmsg_len, len);
	ASSERT_TRUE(nlmsg_ok(h, (int) len));
	ASSERT_EQ(h->nlmsg_type, RTM_NEWLINK);
	ASSERT_EQ(h->nlmsg_flags & (NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK),
		  NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	ASSERT_EQ(h->nlmsg_flags & NLM_F_REPLACE, 0);
	ifi = nlmsg_data(h);
	ASSERT_EQ(ifi->ifi_family, AF_UNSPEC);
	ASSERT_EQ(ifi->ifi_index, 0);

	ASSERT_EQ(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	ASSERT_EQ(count_attrs(nlmsg_attrdata(h, sizeof(*ifi)), nlmsg_attrlen(h, sizeof(*ifi))), 3);
	ASSERT_NOT_NULL(tb[IFLA_IFNAME]);
	ASSERT_STREQ(nla_get_string(tb[IFLA_IFNAME]), "eth0.53");
	ASSERT_NOT_NULL(tb[IFLA_LINK]);
	ASSERT_EQ(nla_get_u32(tb[IFLA_LINK]), 7);
	ASSERT_NOT_NULL(tb[IFLA_LINKINFO]);

	ASSERT_EQ(nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL), 0);
	ASSERT_EQ(count_attrs(nla_data(tb[IFLA_LINKINFO]), nla_len(tb[IFLA_LINKINFO])), 2);
	ASSERT_NOT_NULL(info[IFLA_INFO_KIND]);
	ASSERT_STREQ(nla_get_string(info[IFLA_INFO_KIND]), "vlan");
	ASSERT_NOT_NULL(info[IFLA_INFO_DATA]);

	ASSERT_EQ(nla_parse_nested(vlan, IFLA_VLAN_MAX, info[IFLA_INFO_DATA], NULL), 0);
	ASSERT_EQ(count_attrs(nla_data(info[IFLA_INFO_DATA]), nla_len(info[IFLA_INFO_DATA])), 2);
	ASSERT_NOT_NULL(vlan[IFLA_VLAN_ID]);
	ASSERT_EQ(nla_len(vlan[IFLA_VLAN_ID]), 2);
	ASSERT_EQ(nla_get_u16(vlan[IFLA_VLAN_ID]), 53);
	/* 802.1Q as the kernel wants it: big-endian 0x8100 on the wire */
	ASSERT_NOT_NULL(vlan[IFLA_VLAN_PROTOCOL]);
	ASSERT_EQ(nla_len(vlan[IFLA_VLAN_PROTOCOL]), 2);
	proto = nla_data(vlan[IFLA_VLAN_PROTOCOL]);
	ASSERT_EQ(proto[0], 0x81);
	ASSERT_EQ(proto[1], 0x00);
}

TEST(vlan_request_extremes)
{
	static const unsigned ids[] = {1, 4094};

	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		_cleanup_(freep) void *buf = NULL;
		struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *vlan[IFLA_VLAN_MAX + 1];
		size_t len;

		ASSERT_OK(net__vlan_request("enp0s31f6.4094", ids[i], 123456, &buf, &len));
		ASSERT_EQ(nlmsg_parse(buf, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
		ASSERT_STREQ(nla_get_string(tb[IFLA_IFNAME]), "enp0s31f6.4094");
		ASSERT_EQ(nla_get_u32(tb[IFLA_LINK]), 123456);
		ASSERT_EQ(nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL), 0);
		ASSERT_EQ(nla_parse_nested(vlan, IFLA_VLAN_MAX, info[IFLA_INFO_DATA], NULL), 0);
		ASSERT_EQ(nla_get_u16(vlan[IFLA_VLAN_ID]), ids[i]);
	}
}

TEST(bridge_request)
{
	_cleanup_(freep) void *buf = NULL;
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *br[IFLA_BR_MAX + 1];
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	size_t len;

	ASSERT_OK(net__bridge_request(12, IFLA_BR_FORWARD_DELAY, 0, &buf, &len));
	h = buf;
	ASSERT_EQ(h->nlmsg_len, len);
	ASSERT_EQ(h->nlmsg_type, RTM_NEWLINK);
	ASSERT_EQ(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), 0); /* changes, never creates */
	ifi = nlmsg_data(h);
	ASSERT_EQ(ifi->ifi_index, 12);
	ASSERT_EQ(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	ASSERT_EQ(count_attrs(nlmsg_attrdata(h, sizeof(*ifi)), nlmsg_attrlen(h, sizeof(*ifi))), 1);
	ASSERT_EQ(nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL), 0);
	ASSERT_STREQ(nla_get_string(info[IFLA_INFO_KIND]), "bridge");
	ASSERT_EQ(nla_parse_nested(br, IFLA_BR_MAX, info[IFLA_INFO_DATA], NULL), 0);
	ASSERT_EQ(count_attrs(nla_data(info[IFLA_INFO_DATA]), nla_len(info[IFLA_INFO_DATA])), 1);
	ASSERT_NOT_NULL(br[IFLA_BR_FORWARD_DELAY]);
	ASSERT_EQ(nla_len(br[IFLA_BR_FORWARD_DELAY]), 4);
	ASSERT_EQ(nla_get_u32(br[IFLA_BR_FORWARD_DELAY]), 0);
}

TEST_MAIN()
