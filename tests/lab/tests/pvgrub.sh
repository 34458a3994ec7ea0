#!/bin/bash
# pvgrub: a PV guest that boots its own kernel with PV-GRUB2 (kernel: pvgrub, issue 14), on
# real Xen with real FAI: provision new-guest pg1 --template pvgrub --vlan 53. FAI class PVGRUB
# installs linux-image-amd64 (with a dracut initrd) and writes /boot/grub/grub.cfg; the boot
# config loads grub-x86_64-xen.bin from dom0's grub-xen-host. Checked apart from provision:
# the running domain's kernel is PV-GRUB2 (xl list -l), the console shows GRUB reading the
# guest's grub.cfg and the kernel booted from the guest's /boot (GRUB's progress line as it
# reads it, the kernel's version and grub.cfg's command line), the ready marker, ping. Then
# the guest is shut down (its watcher destroys the domain), grub.cfg is changed on its disk (a
# new first entry) and 'provision start' boots it again: the new entry is the one booted. Then
# destroy.
# lab: fai 6000
. "$(dirname "$0")/lib.sh"
name=pg1
state=$SITE_STATE/guests/$name
pvgrub=/usr/lib/grub-xen/grub-x86_64-xen.bin

step "the site: FAI server, the lab's templates, GPT labels on the LUNs"
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish
check "PV-GRUB2 in dom0 ($pvgrub, grub-xen-host)" test -s $pvgrub

step "provision new-guest $name --template pvgrub --vlan 53"
t0=$(now)
install_console_watch $name &
watcher=$!
prov new-guest $name --template pvgrub --vlan 53
rc=$?
kill $watcher 2> /dev/null
timing "provision new-guest: $(since "$t0") s (exit $rc)"
keep_guest_state $name
cp "$CONSOLE_DIR/guest-$name.log" "$OUT/xenconsoled-$name.log" 2> /dev/null
check "new-guest exits 0" test $rc = 0
check "the install ran class PVGRUB" grep -rqs PVGRUB "$state/fai/FAI_CLASSES"
[ $rc = 0 ] || finish
lun=$(guest_field $name lun)
partno=$(guest_field $name number)
part=$lun"p"$partno
ip=$(guest_field $name ip)

step "the guest, apart from provision"
check "the boot config loads PV-GRUB2" grep -q "^kernel = \"$pvgrub\"" $SITE_CONFIGS/$name.boot.cfg
check "the install config boots FAI's kernel" grep -q '^kernel = "/srv/fai/boot/vmlinux"' $SITE_CONFIGS/$name.install.cfg
xl list -l $name > "$OUT/xl-list-$name.json" 2>&1
check "xl list -l: its kernel is PV-GRUB2" grep -q "\"kernel\": \"$pvgrub\"" "$OUT/xl-list-$name.json"
log=$state/console-boot.log
# GRUB's Xen loader passes no BOOT_IMAGE= (found by the lab): the kernel is known by GRUB's
# progress line as it reads /boot/vmlinuz-... from the guest's disk, and by its version
kv=$(grep -ao 'Linux version [^ ]*' "$log" | head -1 | cut -d' ' -f3)
echo "LAB-INFO: the kernel GRUB booted: ${kv:-none}"
grep -a 'Command line:' "$log" | head -1 | sed 's/^/LAB-INFO: /'
check "the console shows GRUB reading the guest's grub.cfg" grep -aq "Reading (.*)/boot/grub/grub.cfg" "$log"
check "GRUB loaded the kernel from the guest's disk (its progress line '[ vmlinuz-...')" grep -aq '\[ vmlinuz-' "$log"
check "the running kernel says its version (Linux version ${kv:-?})" test -n "$kv"
check "its command line is grub.cfg's (root=/dev/xvda1 ro console=hvc0 net.ifnames=0)" \
	grep -aq 'Command line: root=/dev/xvda1 ro console=hvc0 net.ifnames=0' "$log"
check "provision's console log of the boot has 'PROVISION-READY $name'" grep -aq "^PROVISION-READY $name" "$log"
check "the guest answers ping over VLAN 53 ($ip)" busybox ping -c 3 -W 5 "$ip"

step "a changed grub.cfg in the guest's /boot, then a reboot: the new entry is booted"
timeout 300 xl shutdown -w $name 2>&1 | sed 's/^/LAB> xl: /'
check "after 'xl shutdown' its watcher destroyed the domain (on_poweroff destroy)" domain_gone $name 60
sed 's/^/LAB-INFO: watch.log: /' "$state/watch.log"
mkdir -p /mnt/$name
check "mount the guest's file system ($part)" mount "$part" /mnt/$name || finish
check "grub.cfg names the installed kernel $kv" grep -q "vmlinuz-$kv" /mnt/$name/boot/grub/grub.cfg
ls /mnt/$name/boot | sed 's/^/LAB-INFO: guest \/boot: /'
sed -i "0,/^menuentry/s//menuentry 'lab: changed by hand' {\n\tlinux \/boot\/vmlinuz-$kv root=\/dev\/xvda1 ro console=hvc0 lab_grub_entry=changed\n\tinitrd \/boot\/initrd.img-$kv\n}\nmenuentry/" /mnt/$name/boot/grub/grub.cfg
sed 's/^/LAB-INFO: grub.cfg: /' /mnt/$name/boot/grub/grub.cfg
umount /mnt/$name
: > "$CONSOLE_DIR/guest-$name.log"
t0=$(now)
prov start $name
check "provision start $name exits 0 (the boot stage again, to the ready marker)" test $? = 0
check "the new entry is booted (lab_grub_entry=changed on the kernel's command line)" \
	grep -aq 'Command line: .*lab_grub_entry=changed' "$CONSOLE_DIR/guest-$name.log"
check "the guest is ready again" grep -aq "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log"
timing "start with the changed grub.cfg to the ready marker: $(since "$t0") s"
keep_console $name started
check "a new watcher watches it" grep -q "$name: watching domain $(xl domid $name) " "$state/watch.log"

step "provision destroy $name --yes"
prov destroy $name --yes
check "destroy exits 0" test $? = 0
check "the domain is gone (xl)" domain_gone $name 30
finish
