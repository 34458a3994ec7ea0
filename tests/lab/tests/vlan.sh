#!/bin/bash
# vlan: real 802.1Q in dom0 (the host this project is built on has no VLAN support). The
# trunk's eth0.53 in br53 (forward delay 0), as provision's network stage makes them, carries
# tagged frames over the QEMU hub to the lab's server port, which answers on VLAN 53 only.
# A network namespace on a veth in br53 stands in for a guest's vif.
. "$(dirname "$0")/lib.sh"

step "eth0.53 in br53"
vlan_bridge 53
check "eth0.53 is 802.1Q id 53 on eth0" sh -c 'ip -d link show eth0.53 | grep -q "vlan protocol 802.1Q id 53"'
check "eth0.53 is enslaved to br53" test "$(basename "$(readlink /sys/class/net/eth0.53/master)")" = br53
check "br53 forward delay is 0" test "$(cat /sys/class/net/br53/bridge/forward_delay)" = 0

# a "guest" on br53
ip netns add g53
ip link add vg53 type veth peer name vh53
ip link set vg53 netns g53
ip link set vh53 master br53 up
ip -n g53 link set lo up
ip -n g53 link set vg53 up
ip -n g53 addr add 10.53.0.9/24 dev vg53
t0=$(now)
check "a guest on br53 reaches the server on VLAN 53 (10.53.0.1)" \
	ip netns exec g53 busybox ping -c 3 -W 5 10.53.0.1
timing "first ping round over br53/eth0.53: $(since "$t0") s"
tagged=$(cat /sys/class/net/labsrv.53/statistics/rx_packets)
check "the frames reached the server port tagged (labsrv.53 rx $tagged packets)" test "$tagged" -gt 0

# the same guest on a bridge of another VLAN gets no answer: the tag is what connects it
ip link add link eth0 name eth0.54 type vlan id 54
ip link add br54 type bridge forward_delay 0
ip link set eth0.54 master br54 up
ip link set br54 up
ip link set vh53 nomaster
ip link set vh53 master br54
check "no answer through VLAN 54" sh -c '! ip netns exec g53 busybox ping -c 2 -W 2 10.53.0.1'

ip link del vh53
ip netns del g53
ip link del br54
ip link del eth0.54
ip -d link show eth0.53 > "$OUT/vlan-eth0.53.txt"
finish
