#!/bin/bash
# HVM guests in the pipeline (issue 14): the format stage leaves the partition alone (the
# guest's installer partitions its whole disk), `show` says what the install waits for (FAI,
# or the guest's own installer powering it off), and destroy takes back a partition that the
# guest's installer filled with a partition table of its own.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

run 0 "$PROVISION" new-guest h1 --template hvm-fai --vlan 10 --until configs
expect_out "nothing to format: the installer of an HVM guest partitions"
expect_xl "$T/configs/h1.boot.cfg" boot c
expect_xl "$T/configs/h1.install.cfg" serial pty
# the guest's partition on the image LUN: its first sector
lun=$(sql "SELECT lun FROM guests WHERE name = 'h1'")
start=$(gpt "$lun" | awk '$4 == "guest:h1" {print $2}')
[ -n "$start" ] || fail "no partition guest:h1 on '$lun'"
n_checks=$((n_checks + 1))
[ -z "$(blkid -p -O $((start * 512)) -o value -s TYPE "$lun")" ] || fail "the HVM guest's partition was formatted"
run 0 "$PROVISION" show h1
expect_out "install:   waits for FAI (its monitor on port 4711: every task below 400, then a halt; within 1h)"

run 0 "$PROVISION" new-guest c1 --template hvm --vlan 10 --until configs
run 0 "$PROVISION" show c1
expect_out "install:   waits for the guest's own installer from its CD '/srv/iso/debian-12-amd64-netinst.iso' powering it off (within 2h)"
run 0 "$PROVISION" show c1 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["install_waits_for"].startswith("the guest'"'"'s own installer from its CD"), d' "$T/out" || fail "show --json"
n_checks=$((n_checks + 1))

# the guest's installer made a partition table on its disk: still the guest's, destroy takes it
truncate -s 64M "$T/mbr.img"
printf 'label: dos\n,,L,*\n' | sfdisk -q "$T/mbr.img" >/dev/null 2>&1 || fail "sfdisk"
dd if="$T/mbr.img" of="$lun" bs=512 count=1 seek="$start" conv=notrunc status=none
expect_eq "$(blkid -p -O $((start * 512)) -o value -s PTTYPE "$lun")" dos
run 0 "$PROVISION" destroy h1 --yes
run 0 "$PROVISION" destroy c1 --yes
expect_eq "$(sql "SELECT count(*) FROM guests WHERE destroyed_usec = 0")" 0
done_testing
