#!/bin/bash
# e2e: provision's whole pipeline on real Xen with real FAI, as an admin runs it:
#   provision new-guest web1 --template debian --vlan 53
# allocate, carve, format, network, configs, install (the FAI installer booted through
# libxenlight, provision its monitor), boot (the production kernel, up at its ready marker).
# Then checked apart from provision: the GPT name on the LUN (sfdisk), eth0.53 in br53 with
# forward delay 0 (ip -d link, sysfs), both configs (xl parses them), the guest running from
# its partition with the production kernel (xl list -l, the console xenconsoled logs), its
# swap file active, FAI's logs kept beside provision's logs of the guest. Then
# the guest's watcher: 'xl reboot' starts it again to its ready marker, 'xl shutdown' ends it
# (on_poweroff destroy); 'provision start web1' boots it again, with a new watcher. Then 'provision destroy web1 --yes' releases everything: partition,
# configs, inventory.
# lab: fai 2400
. "$(dirname "$0")/lib.sh"
name=web1
state=$SITE_STATE/guests/$name

step "the site: FAI server on 10.53.0.1, the lab's templates, GPT labels on the LUNs"
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish

step "provision new-guest $name --template debian --vlan 53"
t0=$(now)
prov new-guest $name --template debian --vlan 53
rc=$?
t_new=$(since "$t0")
timing "provision new-guest: ${t_new} s (exit $rc)"
keep_guest_state $name
cp "$CONSOLE_DIR/guest-$name.log" "$OUT/xenconsoled-$name.log" 2> /dev/null
check "new-guest exits 0" test $rc = 0
check "every stage ran (stage: allocate ... boot)" \
	test "$(grep '^stage: ' $PROV_LAST | tr -d '\n')" = "stage: allocatestage: carvestage: formatstage: networkstage: configsstage: installstage: boot"
prov show $name
check "provision show: stage boot (ok)" sh -c "provision show $name | grep -q '^stage: *boot (ok)'"
[ $rc = 0 ] || finish

ip=$(guest_field $name ip)
lun=$(guest_field $name lun)
partno=$(guest_field $name number)
part=$lun"p"$partno
echo "LAB-INFO: $name: ip $ip, partition $partno on $lun ($part)"

step "the partition, apart from provision"
check "GPT of $lun: partition $partno named guest:$name (sfdisk)" gpt_has "$lun" "$partno" "guest:$name\""
check "exactly one partition named guest:$name on the LUNs" test "$(gpt_names | grep -cx "guest:$name")" = 1
check "$part is a block device" test -b "$(readlink -f "$part")"

step "the network, apart from provision"
check "eth0.53 is 802.1Q id 53 on eth0 (ip -d link)" \
	sh -c 'ip -d link show eth0.53 | grep -q "link/ether" && ip -d link show eth0.53 | grep -q "vlan protocol 802.1Q id 53" && ip -d link show eth0.53 | grep -q "eth0.53@eth0"'
check "eth0.53 is enslaved to br53 (sysfs)" test "$(basename "$(readlink /sys/class/net/eth0.53/master)")" = br53
check "br53 forward delay is 0 (sysfs)" test "$(cat /sys/class/net/br53/bridge/forward_delay)" = 0
check "br53 and eth0.53 are up" sh -c 'ip link show br53 | grep -q ",UP" && ip link show eth0.53 | grep -q ",UP"'

step "the configs in $SITE_CONFIGS"
for k in install boot; do
	f=$SITE_CONFIGS/$name.$k.cfg
	check "$name.$k.cfg exists" test -s "$f"
	check "xl parses $name.$k.cfg (xl -N create)" sh -c "xl -N create $f > /tmp/$name.$k.json 2>&1"
	check "$name.$k.cfg names the partition $part" grep -q "target=$part\"" "$f"
	cp "$f" "$OUT/" 2> /dev/null
done
check "install config boots FAI's kernel" grep -q '^kernel = "/srv/fai/boot/vmlinux"' $SITE_CONFIGS/$name.install.cfg
check "boot config boots the production kernel" grep -q '^kernel = "/srv/guest/vmlinux"' $SITE_CONFIGS/$name.boot.cfg

step "the guest, apart from provision"
xl list
check "xl list shows $name running" xl list $name
xl list -l $name > "$OUT/xl-list-$name.json" 2>&1
check "it runs the production kernel /srv/guest/vmlinux (xl list -l)" \
	grep -q '"kernel": "/srv/guest/vmlinux"' "$OUT/xl-list-$name.json"
check "from its partition $part (xl list -l)" grep -q "\"pdev_path\": \"$part\"" "$OUT/xl-list-$name.json"
check "xenconsoled's log of its console has 'PROVISION-READY $name'" \
	grep -aq "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log"
info=$(console_last $name PROVISION-INFO)
echo "LAB-INFO: $info"
check "root is /dev/xvda1 (ext4)" grep -q 'root=/dev/xvda1 ext4' <<< "$info"
check "swap /swapfile active in the guest (its /proc/swaps)" grep -q 'swap=/swapfile' <<< "$info"
check "the guest has $ip/24" grep -q "addr=$ip/24" <<< "$info"
check "the server port reaches the guest over VLAN 53 (ping $ip)" busybox ping -c 3 -W 5 "$ip"

step "provision's records of the guest in $state"
ls -l "$state" "$state/fai" 2> /dev/null | sed 's/^/  /'
check "provision's console log of the install" test -s "$state/console-install.log"
check "provision's console log of the boot has the ready marker" grep -aq "^PROVISION-READY $name" "$state/console-boot.log"
check "FAI's own logs kept beside them (fai/fai.log)" test -s "$state/fai/fai.log"
check "FAI's logs name class XENGUEST" grep -rqs XENGUEST "$state/fai/FAI_CLASSES"
check "provision list shows $name at stage boot" sh -c "provision list | grep -E '^$name +debian +53 +$ip .* boot +ok'"

step "the guest's watcher (provision watch): a reboot starts it again, a poweroff ends it; provision start"
domid=$(xl domid $name)
watchers() { pgrep -f "provision.* watch $name\$" | wc -l; }
check "one watcher of $name runs" test "$(watchers)" = 1
check "it watches domain $domid (watch.log)" grep -q "$name: watching domain $domid " "$state/watch.log"
n0=$(grep -ac "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log")
t0=$(now)
xl reboot $name 2>&1 | sed 's/^/LAB> xl: /'
back() { local d; d=$(xl domid $name 2> /dev/null) && [ "$d" != "$domid" ]; }
again() { [ "$(grep -ac "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log")" -gt "$n0" ]; }
check "after 'xl reboot' $name runs as a new domain" retry 300 back
check "it booted again to its ready marker" retry 600 again
timing "xl reboot: $(since "$t0") s to the ready marker"
sed 's/^/LAB-INFO: watch.log: /' "$state/watch.log"
check "the watcher restarted it (watch.log: reboot, restart)" \
	grep -q "$name: domain $domid shut down (reboot)" "$state/watch.log"
check "the new domain's console goes to console-boot.log too" \
	test "$(grep -ac "^PROVISION-READY $name" "$state/console-boot.log")" -ge 2
check "the server port reaches the guest again (ping $ip)" wait_ping "$ip" 60
check "still one watcher" test "$(watchers)" = 1
t0=$(now)
timeout 300 xl shutdown -w $name 2>&1 | sed 's/^/LAB> xl: /'
check "after 'xl shutdown' the watcher destroyed the domain (on_poweroff destroy)" domain_gone $name 60
timing "xl shutdown: $(since "$t0") s until the domain was gone"
no_watcher() { [ "$(watchers)" = 0 ]; }
check "and ended" retry 30 no_watcher
n0=$(grep -ac "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log")
t0=$(now)
prov start $name
check "provision start $name exits 0" test $? = 0
timing "provision start: $(since "$t0") s to the ready marker"
check "it booted again (a new ready marker in xenconsoled's log)" \
	test "$(grep -ac "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log")" -gt "$n0"
check "console-boot.log is this boot's (the boot stage starts it anew)" \
	test "$(grep -ac "^PROVISION-READY $name" "$state/console-boot.log")" = 1
check "xl list shows $name running again" xl list $name
check "with a new watcher" test "$(watchers)" = 1
check "the server port reaches the guest (ping $ip)" wait_ping "$ip" 60
cp "$state/watch.log" "$OUT/watch-$name.log" 2> /dev/null

step "provision destroy $name --yes"
t0=$(now)
prov destroy $name --yes
rc=$?
timing "provision destroy: $(since "$t0") s (exit $rc)"
check "destroy exits 0" test $rc = 0
check "the domain is gone (xl)" domain_gone $name 30
check "no partition named guest:$name on the LUNs (sfdisk)" test "$(gpt_names | grep -cx "guest:$name")" = 0
check "partition $partno is gone from $lun's GPT (sfdisk)" not gpt_has "$lun" "$partno"
check "its link $part is gone" test ! -e "$part"
check "both configs are gone" test ! -e $SITE_CONFIGS/$name.install.cfg -a ! -e $SITE_CONFIGS/$name.boot.cfg
check "its state directory is gone (the inventory keeps the history)" test ! -e "$state"
check "provision list no longer shows $name" not grep -q "^$name " <<< "$(provision list)"
prov list --all
check "the inventory keeps its row, destroyed (provision list --all)" \
	grep -Eq "^$name .* destroyed" <<< "$(provision list --all)"
finish
