#!/bin/bash
# net check/ensure: VLAN arguments are checked against the site file before any netlink.
. "$SRCDIR/tests/cli/lib.sh"
# FIXME: drop once the site loader (issue 2) is merged: until then there is nothing to run
if "$PROVISION" net check --site /dev/null 2>&1 | grep -q "site files are not supported yet"; then
	echo "skip: no site loader yet"
	exit 77
fi
cat >"$T/site.yaml" <<'YAML'
config_dir: /tmp/prov-net-test/configs
state_dir: /tmp/prov-net-test/state
template_dirs: []
hooks_dir: /tmp/prov-net-test/hooks.d
luns: [/dev/null]
partition_sizes: [10G]
mac_prefix: "00:16:3e"
network:
  trunk: eth0
  vlans:
    10: { bridge: br10, native: true }
fai:
  server: 192.0.2.154
  nfsroot: /srv/fai/nfsroot
  config_src: nfs://192.0.2.154/srv/fai/config
  kernel: /boot/fai/vmlinuz
  initrd: /boot/fai/initrd.img
  flags: [verbose]
kernels:
  default: { kernel: /boot/vmlinuz }
YAML
export PROVISION_SITE=$T/site.yaml

run 2 "$PROVISION" net ensure
expect_err_line "provision: error: 'net ensure' needs VLAN..."
run 2 "$PROVISION" net ensure abc
expect_err_line "provision: error: invalid VLAN 'abc': want a number from 1 to 4094"
run 2 "$PROVISION" net check 4095
expect_err_line "provision: error: invalid VLAN '4095': want a number from 1 to 4094"
run 1 "$PROVISION" net ensure 99
expect_err_line "provision: error: VLAN 99 is not in the site file '$T/site.yaml'"
run 1 "$PROVISION" net check 10 99
expect_err_line "provision: error: VLAN 99 is not in the site file '$T/site.yaml'"
run 2 "$PROVISION" net check -n
expect_err "does not take -n/--dry-run"
done_testing
