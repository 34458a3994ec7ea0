#!/bin/bash
# A crash right after each stage is recorded (PROVISION_TEST_CRASH_AFTER=STAGE makes provision
# _exit there): `resume` finishes the job; `destroy` leaves the LUNs' tables, config_dir and
# the live inventory exactly as before the guest existed.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

# a guest that stays, so that "before" is not just empty
run 0 "$PROVISION" new-guest keep --template lab --vlan 10 --until configs

for s in allocate carve format network configs; do
	name=c-$s
	before=$(world)
	PROVISION_TEST_CRASH_AFTER=$s run 99 "$PROVISION" new-guest $name --template lab --vlan 10 --until configs
	expect_eq "$(sql "SELECT stage FROM guests WHERE name = '$name' AND destroyed_usec IS NULL")" $s
	run 0 "$PROVISION" resume $name --until configs
	expect_out "ok: guest '$name': stage configs done"
	expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = '$name' AND destroyed_usec IS NULL")" "configs|ok"
	uuid=$(sql "SELECT partuuid FROM guests WHERE name = '$name' AND destroyed_usec IS NULL")
	gpt "$T/lun0.img" | grep -q " guest:$name $uuid\$" || fail "$name: GPT lacks guest:$name $uuid"
	expect_xl "$T/configs/$name.boot.cfg" name $name
	run 0 "$PROVISION" destroy $name --yes
	expect_eq "$(world)" "$before"

	# and destroy straight after the crash
	PROVISION_TEST_CRASH_AFTER=$s run 99 "$PROVISION" new-guest $name --template lab --vlan 10 --until configs
	run 0 "$PROVISION" destroy $name --yes
	expect_eq "$(world)" "$before"
done
# every incarnation is in the audit trail
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name LIKE 'c-%' AND state = 'destroyed'")" 10
done_testing
