#!/bin/bash
# hvm: an HVM guest installed by FAI with no hand step (issue 14), on real Xen with real FAI:
# provision new-guest web4 --template hvm-fai --vlan 53. The install config boots FAI's kernel
# directly (qemu-xen), console on Xen's PV console (hvc0); FAI class XENHVM partitions the
# whole disk, makes the swap file and installs grub-pc; the boot config boots the disk.
# Checked apart from provision: xl list -l shows an HVM domain booting its disk (boot c, no
# kernel), the partition table FAI made on the LUN partition (sfdisk), the ready marker on the
# console (hvc0), ping over VLAN 53. HVM under TCG is slow: see the timings it prints.
# lab: fai 6000
# lab: hvm
. "$(dirname "$0")/lib.sh"
# the device model's logs kept with the results when the test ends
trap 'qemu_dm_log $name' EXIT
name=web4
state=$SITE_STATE/guests/$name

step "the site: FAI server, the lab's templates, GPT labels on the LUNs"
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish
check "Xen can run HVM guests (xl info virt_caps)" sh -c "xl info | grep -E '^virt_caps' | grep -qw hvm"

step "provision new-guest $name --template hvm-fai --vlan 53"
t0=$(now)
install_console_watch $name &
watcher=$!
prov new-guest $name --template hvm-fai --vlan 53 -v
rc=$?
kill $watcher 2> /dev/null
timing "provision new-guest: $(since "$t0") s (exit $rc)"
t_inst=$(prov_when 'installer running as domain')
t_fai=$(prov_when 'fai: ')
t_done=$(prov_when 'install finished after')
t_up=$(prov_when "'$name' is up after")
[ -n "$t_inst" ] && [ -n "$t_fai" ] && timing "install: FAI's first message $(awk -v a="$t_inst" -v b="$t_fai" 'BEGIN { printf "%.1f", b - a }') s after the installer started"
[ -n "$t_inst" ] && [ -n "$t_done" ] && timing "install: $(awk -v a="$t_inst" -v b="$t_done" 'BEGIN { printf "%.1f", b - a }') s"
[ -n "$t_done" ] && [ -n "$t_up" ] && timing "boot: $(awk -v a="$t_done" -v b="$t_up" 'BEGIN { printf "%.1f", b - a }') s to the ready marker"
keep_guest_state $name
cp "$CONSOLE_DIR/guest-$name.log" "$OUT/xenconsoled-$name.log" 2> /dev/null
check "new-guest exits 0" test $rc = 0
check "every stage ran (stage: allocate ... boot)" \
	test "$(grep '^stage: ' $PROV_LAST | tr -d '\n')" = "stage: allocatestage: carvestage: formatstage: networkstage: configsstage: installstage: boot"
[ $rc = 0 ] || finish
ip=$(guest_field $name ip)
lun=$(guest_field $name lun)
partno=$(guest_field $name number)
part=$lun"p"$partno

step "the configs and the domain, apart from provision"
check "the install config boots FAI's kernel directly (fai.hvm_kernel, a bzImage)" grep -q '^kernel = "/srv/fai/nfsroot/vmlinuz"' $SITE_CONFIGS/$name.install.cfg
check "the install's console is Xen's PV console (console=hvc0)" grep -q 'console=hvc0' $SITE_CONFIGS/$name.install.cfg
xl list -l $name > "$OUT/xl-list-$name.json" 2>&1
check "xl list -l: an HVM domain" grep -q '"type": "hvm"' "$OUT/xl-list-$name.json"
check "xl list -l: it boots from its disk (boot c)" grep -q '"boot": "c"' "$OUT/xl-list-$name.json"
check "xl list -l: not FAI's kernel" not grep -q '"kernel": "/srv/fai' "$OUT/xl-list-$name.json"
check "xl list -l: its partition $part" grep -q "\"pdev_path\": \"$part\"" "$OUT/xl-list-$name.json"

step "the disk FAI partitioned, apart from provision"
sfdisk -d "$part" 2> /dev/null | sed 's/^/LAB-INFO: sfdisk: /'
check "a dos partition table on $part (sfdisk)" sh -c "sfdisk -d $part 2> /dev/null | grep -q 'label: dos'"
check "one bootable Linux partition (sfdisk)" sh -c "sfdisk -d $part | grep -q 'type=83, bootable'"

step "the guest"
log=$state/console-boot.log
check "the console (hvc0) has 'PROVISION-READY $name'" grep -aq "PROVISION-READY $name" "$log"
info=$(grep -a 'PROVISION-INFO' "$log" | tail -1 | tr -d '\r')
echo "LAB-INFO: $info"
check "swap /swapfile active in the guest" grep -q 'swap=/swapfile' <<< "$info"
check "the guest has $ip/24" grep -q "addr=$ip/24" <<< "$info"
check "the server port reaches the guest over VLAN 53 (ping $ip)" busybox ping -c 3 -W 5 "$ip"

step "provision destroy $name --yes"
prov destroy $name --yes
check "destroy exits 0 (the partition holds FAI's partition table)" test $? = 0
check "the domain is gone (xl)" domain_gone $name 30
finish
