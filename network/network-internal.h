/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside the network module and its tests only. */

#include <stddef.h>

/*
 * The RTM_NEWLINK request that creates VLAN link name (802.1q, id vlan) on ifindex parent,
 * exactly as net_plan_apply() sends it, as bytes (a struct nlmsghdr and its attributes).
 * Returns: 0 and a new buffer in *ret, its length in *ret_len; or < 0.
 */
int net__vlan_request(const char *name, unsigned vlan, int parent, void **ret, size_t *ret_len);

/* Likewise, the request that sets one u32 IFLA_BR_* attribute (attr) of bridge ifindex. */
int net__bridge_request(int ifindex, int attr, unsigned value, void **ret, size_t *ret_len);
