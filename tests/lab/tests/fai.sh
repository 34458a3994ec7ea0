#!/bin/bash
# fai: the real FAI installer (FAI 6 from Debian, dracut NFS root from fai-make-nfsroot)
# boots as a PV guest from a hand-written xl config and installs class XENGUEST (hooks/fai)
# onto a partition carved here (ext4 + /swapfile, no partitioning by FAI). The lab's monitor
# listener (netboot/monitor.c) judges the messages FAI sends; FAI halts the guest. Then the
# installed guest boots from its disk with the production kernel and reports ready.
# lab: fai 1800
. "$(dirname "$0")/lib.sh"
name=web1 ip=10.53.0.60 mac=00:16:3e:35:00:3c

step "FAI server (NFS on 10.53.0.1), eth0.53 in br53, carving the guest's partition"
check "FAI server up" fai_server_start
vlan_bridge 53
part=$(carve /dev/fc/fc-p1d1 2G "$name")
check "partition $part carved, ext4 with /swapfile" test -b "$part" || finish
check "GPT partition name is $name" grep -q "\"name\": \"$name\"" <<< "$(sfdisk --json /dev/fc/fc-p1d1)"
disk="disk = ['phy:$part,xvda1,w']"
vif="vif = ['mac=$mac,bridge=br53']"

# the install config: what provision writes as web1.install.cfg (and render prints)
nfs="root=nfs:10.53.0.1:/srv/fai/nfsroot:vers=3 rootovl"
ipconf="ip=$ip::10.53.0.1:255.255.255.0:$name:eth0:off:10.53.0.1"
fai="FAI_ACTION=install FAI_FLAGS=verbose,halt FAI_CONFIG_SRC=nfs://10.53.0.1/srv/fai/config monserver=10.53.0.1"
pv_cfg /tmp/$name.install.cfg $name /srv/fai/boot/vmlinux /srv/fai/boot/initrd.img 1024 \
	"console=hvc0 net.ifnames=0 $nfs $ipconf $fai" "$vif" "$disk"

fai-listen -p 4711 -t 1600 -g 60 $name > /tmp/monitor-$name.log 2>&1 &
listener=$!
# stream the listener's view of FAI into the run's output
tail -F /tmp/monitor-$name.log 2> /dev/null | sed -u -n 's/^MON-STATE /LAB-MON: /p; s/^MON-RESULT /LAB-MON: result /p' &
tailer=$!

step "installing $name with real FAI"
t0=$(now)
if ! check "xl create $name.install.cfg" xl create /tmp/$name.install.cfg; then
	kill $listener $tailer
	finish
fi
wait $listener
lrc=$?
t_fai=$(since "$t0")
check "FAI ran and halted the guest by itself" domain_gone $name 120
t_gone=$(since "$t0")
sleep 1
kill $tailer 2> /dev/null
cp /tmp/monitor-$name.log "$OUT/monitor-$name.log"
keep_console $name install
timing "install: xl create -> monitor verdict ${t_fai} s, -> domain gone ${t_gone} s"

check "the listener judged the install a success" test $lrc = 0
mon=$(sed -n 's/^MON +[0-9.]*s //p' /tmp/monitor-$name.log)
# independent of the parser: the raw lines FAI sent
check "FAI sent 'TASKEND faiend 0'" grep -qx "$name TASKEND faiend 0" <<< "$mon"
check "every TASKEND code below 400" awk '$2 == "TASKEND" && $4 >= 400 { bad = 1 } END { exit bad }' <<< "$mon"
check "the partition hook ran and setup-storage did not" grep -qx "$name HOOK partition.XENGUEST" <<< "$mon"
check "the console shows FAI's end" grep -aq 'The install took' "$CONSOLE_DIR/guest-$name.log"

step "what FAI wrote on $part"
mkdir -p /mnt/$name && mount -o ro "$part" /mnt/$name
check "hostname $name" test "$(cat /mnt/$name/etc/hostname)" = $name
check "fstab: /dev/xvda1 and /swapfile" sh -c "grep -q '^/dev/xvda1 / ext4' /mnt/$name/etc/fstab && grep -q '^/swapfile none swap' /mnt/$name/etc/fstab"
check "network from ip=: eth0 static $ip" grep -q "address $ip" /mnt/$name/etc/network/interfaces
check "resolv.conf from ip=" grep -q 'nameserver 10.53.0.1' /mnt/$name/etc/resolv.conf
check "FAI's logs on the guest's disk" test -s /mnt/$name/var/log/fai/$name/last/fai.log
check "classes: XENGUEST, no test class" sh -c "grep -q XENGUEST /mnt/$name/etc/provision-installed && ! grep -q FAIL /mnt/$name/etc/provision-installed"
check "the swap file is still there" test -s /mnt/$name/swapfile
cp -r /mnt/$name/var/log/fai/$name/last "$OUT/fai-logs-$name" 2> /dev/null
umount /mnt/$name

step "booting $name from its disk with the production kernel"
pv_cfg /tmp/$name.boot.cfg $name /srv/guest/vmlinux /srv/guest/initrd.img 256 "console=hvc0" \
	"root = '/dev/xvda1 ro'" "$vif" "$disk"
t0=$(now)
check "xl create $name.boot.cfg" xl create /tmp/$name.boot.cfg
check "ready marker on its console" wait_console $name "^PROVISION-READY $name" 300
timing "production boot: xl create -> PROVISION-READY $(since "$t0") s"
info=$(console_last $name PROVISION-INFO)
echo "LAB-INFO: $info"
check "root is /dev/xvda1 (ext4)" grep -q 'root=/dev/xvda1 ext4' <<< "$info"
check "swap /swapfile active in the guest" grep -q 'swap=/swapfile' <<< "$info"
check "the guest has $ip" grep -q "addr=$ip/24" <<< "$info"
check "dom0's server port reaches the guest on VLAN 53" busybox ping -c 3 -W 5 $ip
xl destroy $name
keep_console $name boot
finish
