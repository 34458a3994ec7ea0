#!/bin/bash
# A tagged VLAN: the VLAN link is created before the bridge, so on a kernel without 802.1q
# (this machine's) ensure fails with libnl's text and leaves nothing behind. On a kernel
# with 802.1q the link is read back: kind vlan, id 53, protocol 802.1Q, on the trunk.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/netns.sh"

before=$(ip -d -j link show)
if ! ip link add link vtrunk name probe.1 type vlan id 1 2>/dev/null; then
	run 1 "$PROVISION" net ensure 53
	expect_err_line "provision: error: cannot create VLAN link 'vtrunk.53' (VLAN 53 on 'vtrunk'): Operation not supported"
	expect_err_line "provision: note: the kernel has no 802.1q VLAN support (module 8021q)"
	expect_eq "$(cat "$T/out")" ""
	expect_eq "$(ip -d -j link show)" "$before"
	run 1 ip link show dev br53
	# with the native VLAN in the same run, the native bridge is not created either
	run 1 "$PROVISION" net ensure 10 53
	run 1 ip link show dev br10
	expect_eq "$(ip -d -j link show)" "$before"
	done_testing
	exit
fi
ip link del probe.1
run 0 "$PROVISION" net ensure 53
expect_out "created VLAN link 'vtrunk.53' (VLAN 53 on 'vtrunk')"
expect_eq "$(ipj vtrunk.53 'l["linkinfo"]["info_kind"], l["linkinfo"]["info_data"]["id"], l["linkinfo"]["info_data"]["protocol"], l["link"]')" \
	"vlan 53 802.1Q vtrunk"
expect_bridge br53 vtrunk.53
run 0 "$PROVISION" net ensure 53
expect_out_exact "nothing to do"
done_testing
