#!/bin/bash
# net check/ensure: VLAN arguments are checked against the site file before any netlink
# (a VLAN the site does not have is bad input: exit status 2).
. "$SRCDIR/tests/cli/lib.sh"
export PROVISION_SITE=$SRCDIR/tests/data/network/site.yaml

run 2 "$PROVISION" net ensure
expect_err_line "provision: error: 'net ensure' needs VLAN..."
run 2 "$PROVISION" net ensure abc
expect_err_line "provision: error: invalid VLAN 'abc': want a number from 1 to 4094"
run 2 "$PROVISION" net check 4095
expect_err_line "provision: error: invalid VLAN '4095': want a number from 1 to 4094"
run 2 "$PROVISION" net ensure 99
expect_err_line "provision: error: VLAN 99 is not in the site file '$PROVISION_SITE'"
run 2 "$PROVISION" net check 10 99
expect_err_line "provision: error: VLAN 99 is not in the site file '$PROVISION_SITE'"
run 2 "$PROVISION" net check -n
expect_err "does not take -n/--dry-run"
done_testing
