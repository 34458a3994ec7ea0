#!/bin/bash
# Two simulated Dom0s (tests/cli/dom0s.sh) sharing one LUN, each with its own SQLite inventory
# (no inventory: key): the second refuses to carve on the LUN that holds the first's guest
# partition, exit 3, naming a shared inventory as the fix, and the GPT is unchanged (sfdisk
# before and after). The first, whose inventory knows that partition, goes on carving.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_luns 1
dom0s_start 2

run 0 prov 1 new-guest a1 --template lab --vlan 10 --disk 10G --swap 64M --until configs
expect_out "ok: guest 'a1': stage configs done"
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f1,4)" "1 guest:a1"
before=$(sfdisk -d "$T/lun0.img")

run 3 prov 2 new-guest b1 --template lab --vlan 10 --disk 10G --swap 64M --until configs
expect_err "LUN '$T/fc/lun0' holds partition 1 'guest:a1' that this Dom0's inventory does not know"
expect_err "Dom0s that share LUNs must share one inventory: set 'inventory: postgresql://...' in the site file on every Dom0"
expect_eq "$(sfdisk -d "$T/lun0.img")" "$before"
# xen2's inventory: b1 stopped before its carve, holding no partition; xen1's has a1 only
expect_eq "$(sqlite3 "$T/dom0/xen2/state/inventory.db" "SELECT name, coalesce(stage, '-'), state, coalesce(partuuid, '-') FROM guests")" \
	"b1|allocate|failed|-"
expect_eq "$(sqlite3 "$T/dom0/xen1/state/inventory.db" "SELECT name FROM guests WHERE destroyed_usec IS NULL")" a1
[ ! -e "$T/configs/b1.boot.cfg" ] || fail "configs written for the refused guest"
n_checks=$((n_checks + 1))
# resume on xen2 is refused the same way, and changes nothing either
run 3 prov 2 resume b1 --until configs
expect_err "must share one inventory"
expect_eq "$(sfdisk -d "$T/lun0.img")" "$before"
# destroy on xen2 undoes b1 without touching the LUN
run 0 prov 2 destroy b1 --yes
expect_eq "$(sfdisk -d "$T/lun0.img")" "$before"

# xen1's own inventory knows every guest partition on the LUN: it carves on
run 0 prov 1 new-guest a2 --template lab --vlan 10 --disk 10G --swap 64M --until configs
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f1,4 | tr '\n' ' ')" "1 guest:a1 2 guest:a2 "
done_testing
