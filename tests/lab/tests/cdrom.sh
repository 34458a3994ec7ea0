#!/bin/bash
# cdrom: an HVM guest installed by its own installer from a CD image (install.method cdrom,
# issue 14), on real Xen: provision new-guest cd1 --template cdrom --vlan 53. The CD
# (tests/lab/cdrom, dom0's /srv/guest/cd-installer.iso) writes a small system onto the disk,
# a marker into the disk's sector 1, and powers the guest off; the install stage waits for
# that power-off (not for FAI), then the boot stage boots the disk (boot "c", no CD) and waits
# for 'PROVISION-READY cd1' on the emulated serial port. Checked apart from provision: the
# marker on the LUN partition (dd), the system's partition table there (sfdisk), the running
# domain (xl list -l: HVM, boot "c", no cdrom, serial pty), both console logs; then destroy.
# HVM under TCG is slow: run it with LAB_TIMEOUT=3000 LAB_TEST_TIMEOUT=2700.
# lab: hvm
. "$(dirname "$0")/lib.sh"
# the device model's logs kept with the results when the test ends
trap 'qemu_dm_log $name' EXIT
name=cd1
state=$SITE_STATE/guests/$name

step "the lab's templates, GPT labels on the LUNs; VLAN 53's bridge"
check "templates in place, LUNs labelled" provision_site || finish
xl info | grep -E '^(virt_caps|xen_version)' | sed 's/^/LAB-INFO: /'
check "Xen can run HVM guests (xl info virt_caps)" sh -c "xl info | grep -E '^virt_caps' | grep -qw hvm"
check "the device model is there (qemu-system-xen's /usr/libexec/xen-qemu-system-i386)" test -x /usr/libexec/xen-qemu-system-i386
check "the CD image is there" test -s /srv/guest/cd-installer.iso

step "provision new-guest $name --template cdrom --vlan 53"
t0=$(now)
prov new-guest $name --template cdrom --vlan 53
rc=$?
t_new=$(since "$t0")
timing "provision new-guest: ${t_new} s (exit $rc)"
keep_guest_state $name
cp "$CONSOLE_DIR/guest-$name.log" "$OUT/xenconsoled-$name.log" 2> /dev/null
t_inst=$(prov_when 'installer running as domain')
t_off=$(prov_when 'install finished after')
t_up=$(prov_when "'$name' is up after")
[ -n "$t_inst" ] && [ -n "$t_off" ] && timing "install: the CD's installer ran $(awk -v a="$t_inst" -v b="$t_off" 'BEGIN { printf "%.1f", b - a }') s until the power-off"
[ -n "$t_off" ] && [ -n "$t_up" ] && timing "boot: from the disk to the ready marker $(awk -v a="$t_off" -v b="$t_up" 'BEGIN { printf "%.1f", b - a }') s"
grep -a '' "$state/console-install.log" 2> /dev/null | tail -5 | sed 's/^/LAB-INFO: install console: /'
check "new-guest exits 0" test $rc = 0
check "the install waited for the power-off, not for FAI" grep -q "install finished after .*: the guest's installer powered it off" $PROV_LAST
check "format made no file system (the installer partitions the disk)" grep -q "nothing to format: the installer of an HVM guest" $PROV_LAST
prov show $name
check "provision show: stage boot (ok)" sh -c "provision show $name | grep -q '^stage: *boot (ok)'"
check "provision show says what the install waits for" sh -c "provision show $name | grep -q \"^install: *waits for the guest's own installer from its CD '/srv/guest/cd-installer.iso' powering it off\""
[ $rc = 0 ] || finish

lun=$(guest_field $name lun)
partno=$(guest_field $name number)
part=$lun"p"$partno

step "the disk, apart from provision"
check "the CD installer's marker in sector 1 of $part (dd)" sh -c "dd if=$part bs=512 skip=1 count=1 2> /dev/null | grep -aq '^CD-INSTALLED '"
dd if="$part" bs=512 skip=1 count=1 2> /dev/null | tr -d '\0' | head -1 | sed 's/^/LAB-INFO: marker: /'
sfdisk -d "$part" 2> /dev/null | sed 's/^/LAB-INFO: sfdisk: /'
check "the system's partition table on $part (sfdisk: dos, one bootable FAT partition)" \
	sh -c "sfdisk -d $part 2> /dev/null | grep -q 'label: dos' && sfdisk -d $part | grep -q 'type=6, bootable'"

step "the guest, apart from provision"
xl list
xl list -l $name > "$OUT/xl-list-$name.json" 2>&1
check "xl list -l: an HVM domain" grep -q '"type": "hvm"' "$OUT/xl-list-$name.json"
check "xl list -l: it boots from its disk (boot c)" grep -q '"boot": "c"' "$OUT/xl-list-$name.json"
check "xl list -l: one disk, no CD attached" test "$(grep -c '"pdev_path"' "$OUT/xl-list-$name.json")" = 1
check "xl list -l: the emulated serial port (serial pty)" grep -q '"serial": "pty"' "$OUT/xl-list-$name.json"
check "xl list -l: its partition $part" grep -q "\"pdev_path\": \"$part\"" "$OUT/xl-list-$name.json"
check "provision's console log of the install has the CD installer's lines" grep -aq "CD-INSTALLER: done, powering off" "$state/console-install.log"
check "provision's console log of the boot has 'PROVISION-READY $name'" grep -aq "^PROVISION-READY $name" "$state/console-boot.log"
check "the system came from the disk (its boot sector)" grep -aq "booted from the disk (boot sector)" "$state/console-boot.log"
# what xenconsoled logs of an HVM guest: its PV console, not the serial port
echo "LAB-INFO: xenconsoled's log of $name: $(wc -c < "$CONSOLE_DIR/guest-$name.log" 2> /dev/null || echo none) bytes, ready marker $(grep -acE "^PROVISION-READY" "$CONSOLE_DIR/guest-$name.log" 2> /dev/null || echo 0) times"

step "provision destroy $name --yes"
prov destroy $name --yes
rc=$?
check "destroy exits 0 (the partition holds the guest's own partition table)" test $rc = 0
check "the domain is gone (xl)" domain_gone $name 30
check "no partition named guest:$name on the LUNs (sfdisk)" test "$(gpt_names | grep -cx "guest:$name")" = 0
finish
