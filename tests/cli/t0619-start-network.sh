#!/bin/bash
# provision start NAME runs the network stage again before the boot stage: after a Dom0's
# reboot the guest's VLAN bridge is gone, and a boot without it fails in the vif's hotplug
# script. The guest's recorded stage stays 'boot' (the network again is not recorded, so a
# crash or a failure cannot send the guest back to an install). The boot itself needs Xen: here
# it fails cleanly (no Xen), after the bridge is back; the lab's e2e boots it for real.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until configs
expect_bridge br10 vtrunk
# as if booted (the boot stage needs Xen), then the Dom0 rebooted: no bridge
sqlite3 "$T/state/inventory.db" "UPDATE guests SET stage = 'boot' WHERE name = 'web1'" ||
	fail "cannot mark web1 booted"
ip link del br10 || fail "cannot delete br10"

# -n: the plan, nothing made
run 0 "$PROVISION" start web1 -n
expect_out "would create bridge 'br10'"
ip link show br10 >/dev/null 2>&1 && fail "start -n created the bridge"
expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = 'web1'")" "boot|ok"

# the bridge made again, then the boot fails here (no Xen); the guest is still booted
run 1 "$PROVISION" start web1
expect_out "stage: network"
expect_bridge br10 vtrunk
expect_err "stage 'boot' of guest 'web1' failed"
expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = 'web1'")" "boot|failed"

# the bridge there: the network stage has nothing to do; start is still allowed (stage boot)
run 1 "$PROVISION" start web1
expect_out "bridge 'br10' for VLAN 10: nothing to do"
expect_err "stage 'boot' of guest 'web1' failed"
expect_eq "$(sql "SELECT stage FROM guests WHERE name = 'web1'")" "boot"
done_testing
