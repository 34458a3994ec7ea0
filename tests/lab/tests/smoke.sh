#!/bin/bash
# smoke: the lab's dom0 is what provision expects of a Dom0: Xen's toolstack answers,
# provision runs (its libraries are all there), the FC LUNs have their site names (and
# partitions get theirs), the trunk NIC is eth0.
. "$(dirname "$0")/lib.sh"

check "xl info answers (Xen $(xl info 2> /dev/null | sed -n 's/^xen_version *: //p'))" xl info
check "xl list shows Domain-0" sh -c 'xl list | grep -q "^Domain-0 "'
check "provision's libraries all resolve" sh -c '! ldd /usr/local/bin/provision | grep "not found"'
check "provision --version runs: $(provision --version 2>&1 | head -1)" provision --version
for l in fc-p1d1:vda fc-p1d2:vdb; do
	check "/dev/fc/${l%:*} is the LUN ${l#*:}" \
		test "$(readlink -f "/dev/fc/${l%:*}")" = "/dev/${l#*:}" -a -b "/dev/fc/${l%:*}"
done
# a partition made on the LUN gets its site name, and loses it with the partition
printf 'label: gpt\n,64M,L\n' | sfdisk -q /dev/fc/fc-p1d2
sleep 1
check "a new partition appears as /dev/fc/fc-p1d2p1 -> vdb1" \
	test "$(readlink -f /dev/fc/fc-p1d2p1)" = /dev/vdb1 -a -b /dev/fc/fc-p1d2p1
sfdisk -q --delete /dev/fc/fc-p1d2 1
sleep 1
check "a deleted partition loses its link" test ! -e /dev/fc/fc-p1d2p1
wipefs -q -a /dev/fc/fc-p1d2
check "eth0 is the trunk NIC (52:54:00:00:53:01)" \
	test "$(cat /sys/class/net/eth0/address 2> /dev/null)" = 52:54:00:00:53:01
check "xenconsoled logs guest consoles to $CONSOLE_DIR" pgrep -f 'xenconsoled.*--log=guest'
check "the site file is in place" test -s /etc/provision/site.yaml
xl info > "$OUT/xl-info.txt"
finish
