#!/bin/bash
# A trunk enslaved to a bridge the site does not name is never moved: ensure refuses with
# exit 3 and the exact reason, and nothing changes; the same for a bridge with STP on.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/netns.sh"

ip link add br99 type bridge && ip link set vtrunk master br99 || fail "setup br99"
before=$(ip -d -j link show)
run 3 "$PROVISION" net ensure 10
expect_err_line "provision: error: 'vtrunk' is enslaved to 'br99', not 'br10': refusing to move it"
expect_eq "$(cat "$T/out")" ""
expect_eq "$(ip -d -j link show)" "$before"
run 1 ip link show dev br10
run 1 "$PROVISION" net check 10
expect_out_exact "VLAN 10: 'vtrunk' is enslaved to 'br99', not 'br10': refusing to move it"
run 1 "$PROVISION" net check 10 --json
expect_eq "$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["vlans"][0]["conflicts"][0]; print(c["type"], c["link"])' "$T/out")" \
	"wrong-master vtrunk"

ip link set vtrunk nomaster && ip link add br10 type bridge stp_state 1 || fail "setup stp"
before=$(ip -d -j link show)
run 3 "$PROVISION" net ensure 10
expect_err_line "provision: error: bridge 'br10' has STP on: forward delay 0 needs STP off, and STP is left as the admin set it"
expect_eq "$(ip -d -j link show)" "$before"
expect_eq "$(cat /sys/class/net/br10/bridge/stp_state)" 1

# a bridge name used by another kind of link
ip link del br10 && ip link add br10 type veth peer name br10p || fail "setup veth br10"
run 3 "$PROVISION" net ensure 10
expect_err_line "provision: error: 'br10' exists but is a veth link, not a bridge"
done_testing
