#!/bin/bash
# hosts2-smoke: the two-Dom0 lab without FAI. Both dom0s run Xen; root ssh both ways over the
# management link; xen2 reaches the PostgreSQL inventory on xen1 (psql and provision); the
# config_dir is xen1's, NFS-mounted on xen2, both ways; both see the same LUN GPTs (xen2
# after re-reading); the trunks are one network: a VLAN 53 address on xen2's trunk reaches
# the FAI server port 10.53.0.1 on xen1 through 802.1Q frames that cross the QEMU stream.
# lab: hosts 2
. "$(dirname "$0")/lib.sh"

step "waiting for xen2"
t0=$(now)
check "xen2 is up (ssh, its dom0 says ready)" hosts2_wait 600 || finish
timing "xen2 ready after $(since "$t0") s of this test"

step "both dom0s"
check "this dom0 is xen1" test "$(hostname)" = xen1
check "Xen answers on xen1 (xl info)" sh -c 'xl info | grep -q "^xen_major *: 4"'
check "Xen answers on xen2 (ssh xen2 xl info)" on2 'xl info | grep -q "^xen_major *: 4"'
on2 xl info | sed -n 's/^\(xen_version\|free_memory\|nr_cpus\)/LAB-XLINFO: xen2 &/p'
check "ssh xen1 -> xen2: hostname xen2" test "$(on2 hostname)" = xen2
check "ssh xen2 -> xen1: hostname xen1" test "$(on2 ssh -o BatchMode=yes xen1 hostname)" = xen1

step "the inventory on xen1, from xen2"
check "templates in place, LUNs labelled (on xen1)" provision_site
check "psql from xen2 to xen1's PostgreSQL" \
	test "$(on2 psql -h 192.168.53.1 -U postgres -Atc "'select 42'" provision)" = 42
check "provision list on xen1 (PostgreSQL inventory)" provision list
check "provision list on xen2 (the same inventory)" on2 provision list
on2 provision hosts

step "config_dir: xen1's, mounted on xen2"
check "xen2 has /etc/xen/provision over NFS" on2 'grep -q " /etc/xen/provision nfs" /proc/mounts'
echo "from xen1 $$" > /etc/xen/provision/lab-smoke
check "a file written on xen1 reads the same on xen2" test "$(on2 cat /etc/xen/provision/lab-smoke)" = "from xen1 $$"
on2 "echo from xen2 > /etc/xen/provision/lab-smoke2"
check "a file written on xen2 reads the same on xen1" test "$(cat /etc/xen/provision/lab-smoke2)" = "from xen2"
rm -f /etc/xen/provision/lab-smoke /etc/xen/provision/lab-smoke2

step "the LUNs: one GPT, seen by both"
lun_reread2
for l in /dev/fc/fc-p1d1 /dev/fc/fc-p1d2; do
	check "$l: the same disk identifier on xen2 (sfdisk)" \
		test "$(sfdisk --disk-id $l)" = "$(on2 sfdisk --disk-id $l)"
done
printf 'size=64M, type=L, name=smoke\n' | sfdisk -q --append /dev/fc/fc-p1d2 > /dev/null
# the contrast: sfdisk on xen2 reads through xen2's page cache (what it read of the GPT above)
echo "LAB-INFO: sfdisk -d on xen2 before any re-read, partitions named smoke: $(on2 'sfdisk -d /dev/fc/fc-p1d2 | grep -c "name=\"smoke\""')"
check "provision lun list on xen2 sees xen1's new partition (its GPT read past xen2's cache)" \
	on2 'provision lun list | grep -q " smoke "'
on2 provision lun list | sed 's/^/  xen2| /'
lun_reread2
sleep 1
check "after re-reading, xen2's kernel has /dev/fc/fc-p1d2p1 named smoke" \
	on2 'sfdisk -d /dev/fc/fc-p1d2 | grep -q "name=\"smoke\"" && test -b /dev/fc/fc-p1d2p1'
sfdisk -q --delete /dev/fc/fc-p1d2 1 > /dev/null
lun_reread2

step "the trunks are one network"
on2 'ip link add link eth0 name eth0.53 type vlan id 53 && ip addr add 10.53.0.2/24 dev eth0.53 && ip link set eth0.53 up'
check "xen2's trunk reaches 10.53.0.1 (xen1's FAI server port) on VLAN 53" on2 busybox ping -c 3 -W 5 10.53.0.1
on2 ip link del eth0.53
finish
