#!/bin/bash
# Drift after ensure (forward delay, port released, bridge down) is reported by net check
# (exit 1) and repaired by net ensure; -n shows the repair and changes nothing.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/netns.sh"

run 0 "$PROVISION" net ensure 10
ip link set br10 type bridge forward_delay 1500 || fail "ip link set forward_delay"
ip link set dev vtrunk nomaster || fail "ip link set nomaster"
ip link set br10 down || fail "ip link set down"

run 1 "$PROVISION" net check
expect_out_exact "VLAN 10: forward delay of 'br10' is 15.00 s, want 0
VLAN 10: 'vtrunk' is not enslaved to 'br10'
VLAN 10: 'br10' is down
VLAN 53: VLAN link 'vtrunk.53' (VLAN 53 on 'vtrunk') is missing
VLAN 53: bridge 'br53' is missing
VLAN 53: 'vtrunk.53' is not enslaved to 'br53'"
run 1 "$PROVISION" net check 10 --json
expect_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = d["vlans"][0]; print(d["ok"], v["ok"], [r["action"] for r in v["repair"]], v["problems"][0])' "$T/out")" \
	"False False ['forward-delay', 'enslave', 'up'] forward delay of 'br10' is 15.00 s, want 0"

before=$(ip -d -j link show)
run 0 "$PROVISION" net ensure -n 10
expect_out_exact "would set forward delay of 'br10' to 0 (was 15.00 s)
would enslave 'vtrunk' to 'br10'
would bring 'br10' up"
expect_eq "$(ip -d -j link show)" "$before"

run 0 "$PROVISION" net ensure 10
expect_out_exact "set forward delay of 'br10' to 0 (was 15.00 s)
enslaved 'vtrunk' to 'br10'
brought 'br10' up"
expect_bridge br10 vtrunk
run 0 "$PROVISION" net check 10
run 0 "$PROVISION" net ensure 10
expect_out_exact "nothing to do"
done_testing
