#!/bin/bash
# net ensure on a native VLAN: creates the bridge, enslaves the trunk, forward delay 0, STP
# off, all up (read back with ip -d -j link and sysfs); a second run does nothing.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/netns.sh"

run 0 "$PROVISION" net ensure 10 -n
expect_out_exact "would create bridge 'br10'
would turn STP off on 'br10'
would set forward delay of 'br10' to 0
would enslave 'vtrunk' to 'br10'
would bring 'vtrunk' up
would bring 'br10' up"
run 1 ip link show dev br10

run 0 "$PROVISION" net ensure 10
expect_out_exact "created bridge 'br10'
turned STP off on 'br10'
set forward delay of 'br10' to 0
enslaved 'vtrunk' to 'br10'
brought 'vtrunk' up
brought 'br10' up"
expect_bridge br10 vtrunk
ifindex=$(ipj br10 'l["ifindex"]')

run 0 "$PROVISION" net ensure 10
expect_out_exact "nothing to do"
expect_eq "$(ipj br10 'l["ifindex"]')" "$ifindex"
expect_bridge br10 vtrunk

run 0 "$PROVISION" net check 10
expect_out_exact "VLAN 10: ok (bridge 'br10' on 'vtrunk', native)"
run 0 "$PROVISION" net check 10 --json
expect_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = d["vlans"][0]; print(d["ok"], v["vlan"], v["bridge"], v["native"], v["problems"], v["conflicts"])' "$T/out")" \
	"True 10 br10 True [] []"
run 0 "$PROVISION" net ensure 10 --json
expect_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])))' "$T/out")" \
	"{'ok': True, 'dry_run': False, 'actions': []}"
done_testing
