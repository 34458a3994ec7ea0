# For tests/cli/t04NN-net-*.sh (suite 'root'), sourced after lib.sh: re-runs the test inside
# a fresh network namespace and a mount namespace with its own /sys (as `ip netns exec`
# does), with a veth pair vtrunk/vpeer as the trunk and the site tests/data/network/site.yaml
# naming VLAN 10 (native, br10) and VLAN 53 (tagged, br53) on it. Exit 77 when not root or when
# namespaces cannot be made.
if [ -z "${PROV_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: not root"; exit 77; }
	unshare -n -m true 2>/dev/null || { echo "skip: cannot unshare -n"; exit 77; }
	rm -rf "$T" # exec skips lib.sh's EXIT trap; the run in the namespace makes its own
	PROV_IN_NETNS=1 exec unshare -n -m bash "$0" "$@"
fi
mount --make-rprivate / && mount -t sysfs sysfs /sys || fail "cannot mount /sys in the namespace"
ip link add vtrunk type veth peer name vpeer || fail "cannot create the veth trunk"

export PROVISION_SITE=$SRCDIR/tests/data/network/site.yaml

# ipj LINK EXPR: a value of `ip -d -j link show dev LINK`, the JSON object being l
ipj() {
	ip -d -j link show dev "$1" | python3 -c "import json, sys; l = json.load(sys.stdin)[0]; print($2)"
}
# expect_bridge BRIDGE PORT: read back through iproute2 and sysfs, not through provision
expect_bridge() {
	expect_eq "$(ipj "$1" 'l["linkinfo"]["info_kind"]')" bridge
	expect_eq "$(ipj "$1" 'l["linkinfo"]["info_data"]["forward_delay"]')" 0
	expect_eq "$(ipj "$1" 'l["linkinfo"]["info_data"]["stp_state"]')" 0
	expect_eq "$(ipj "$1" '"UP" in l["flags"]')" True
	expect_eq "$(ipj "$2" 'l.get("master")')" "$1"
	expect_eq "$(ipj "$2" '"UP" in l["flags"]')" True
	expect_eq "$(cat /sys/class/net/"$1"/bridge/forward_delay)" 0
	expect_eq "$(cat /sys/class/net/"$1"/bridge/stp_state)" 0
	expect_eq "$(basename "$(readlink /sys/class/net/"$2"/master)")" "$1"
}
# expect_out_exact TEXT: the last run's whole stdout
expect_out_exact() {
	expect_eq "$(cat "$T/out")" "$1"
}
