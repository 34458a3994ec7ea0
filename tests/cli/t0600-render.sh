#!/bin/bash
# provision render: both configs written atomically into config_dir, read back by Xen's own
# parser; idempotent; refuses to overwrite other content; -n, --out -, --json; bad input.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/render-lib.sh"
render_site
C=$T/configs

run 0 "$PROVISION" render web1 --template debian --vlan 53
expect_out "wrote $C/web1.install.cfg"
expect_out "wrote $C/web1.boot.cfg"

I=$C/web1.install.cfg B=$C/web1.boot.cfg
for f in "$I" "$B"; do
	expect_xl "$f" name web1
	expect_xl "$f" type pv
	expect_xl "$f" memory 1024
	expect_xl "$f" vcpus 1
	mac=$(xlget "$f" vif)
	case "$mac" in "mac=00:16:3e:"??:??:??", bridge=br53") ;; *) fail "vif '$mac'" ;; esac
	expect_xl "$f" disk:0 "target=/dev/provision/UNALLOCATED vdev=xvda1 format=raw access=rw cdrom=0"
	grep -q "PLACEHOLDER DISK" "$f" || fail "$f does not say its disk is a placeholder"
done
# the same vif in both: the installer and the production guest are the same machine
expect_eq "$(xlget "$I" vif)" "$(xlget "$B" vif)"
expect_xl "$I" kernel /boot/fai/vmlinuz
expect_xl "$I" ramdisk /boot/fai/initrd.img
expect_xl "$I" cmdline "console=hvc0 net.ifnames=0 root=nfs:147.228.53.154:/srv/fai/nfsroot:vers=3 rootovl ip=147.228.53.60::147.228.53.1:255.255.255.0:web1:eth0:off FAI_ACTION=install FAI_FLAGS=verbose,createvt,halt FAI_CONFIG_SRC=nfs://147.228.53.154/srv/fai/config monserver=147.228.53.154"
expect_xl "$I" on_reboot destroy
expect_xl "$I" on_poweroff destroy
expect_xl "$B" kernel /boot/vmlinuz-6.1.0-xen
expect_xl "$B" ramdisk /boot/initrd.img-6.1.0-xen
expect_xl "$B" cmdline "root=/dev/xvda1 ro console=hvc0"
expect_xl "$B" on_reboot restart

# again: nothing changes
sum=$(tree_sum "$C")
run 0 "$PROVISION" render web1 --template debian --vlan 53
expect_out "unchanged $C/web1.install.cfg"
expect_out "unchanged $C/web1.boot.cfg"
expect_eq "$(tree_sum "$C")" "$sum"

# other content for the same name: refused (exit 3), nothing written; --force overwrites
run 3 "$PROVISION" render web1 --template debian --vlan 53 --memory 2G
expect_err "provision: error: '$C/web1.install.cfg' exists with other content (another guest's config?); --force overwrites it: File exists"
expect_eq "$(tree_sum "$C")" "$sum"
run 0 "$PROVISION" render web1 --template debian --vlan 53 --memory 2G --force
expect_xl "$B" memory 2048
expect_xl "$I" memory 2048

# -n writes nothing
run 0 "$PROVISION" render web2 --template lab --vlan 53 -n
expect_out "would write $C/web2.install.cfg"
[ ! -e "$C/web2.install.cfg" ] || fail "-n wrote a file"

# --out - prints both and writes nothing; --out DIR writes there
run 0 "$PROVISION" render web2 --template lab --vlan 53 --out -
expect_out 'name = "web2"'
expect_out 'memory = 512'
[ "$(grep -c '^name = ' "$T/out")" = 2 ] || fail "--out - did not print two configs"
[ ! -e "$C/web2.boot.cfg" ] || fail "--out - wrote a file"
mkdir "$T/elsewhere"
run 0 "$PROVISION" render web2 --template lab --vlan 53 --out "$T/elsewhere"
expect_xl "$T/elsewhere/web2.boot.cfg" memory 512

# a guest of the inventory keeps what it holds; a new one gets the first free address
run 0 "$PROVISION" render web3 --template debian --vlan 53 --ip 147.228.53.99 --mac 00:16:3e:05:30:71 --disk-path /dev/fc/fc-p1d1p13 --out -
expect_out 'vif = [ "mac=00:16:3e:05:30:71, bridge=br53" ]'
expect_out 'target=/dev/fc/fc-p1d1p13'
expect_out 'ip=147.228.53.99::147.228.53.1'

# --json: the libxl domain configs
run 0 "$PROVISION" render web1 --template debian --vlan 53 --json
python3 - "$T/out" <<'PY' || fail "--json output"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["name"] == "web1" and j["vlan"] == 53 and j["ip"] == "147.228.53.60", j
assert j["placeholder_disk"] is True
i, b = j["install"], j["boot"]
assert i["c_info"]["name"] == "web1" and i["c_info"]["type"] == "pv"
assert i["b_info"]["kernel"] == "/boot/fai/vmlinuz"
assert "FAI_ACTION=install" in i["b_info"]["cmdline"]
# libxl leaves out what equals its IDL default (on_*: destroy)
assert i.get("on_reboot", "destroy") == "destroy" and b["on_reboot"] == "restart"
assert b["b_info"]["cmdline"] == "root=/dev/xvda1 ro console=hvc0"
assert b["disks"][0]["vdev"] == "xvda1" and b["nics"][0]["bridge"] == "br53"
assert i["nics"][0]["mac"] == b["nics"][0]["mac"] == j["mac"]
PY
n_checks=$((n_checks + 1))

# bad input: a clear error, the right exit status, nothing written
sum=$(tree_sum "$C")
run 2 "$PROVISION" render Web_1 --template debian --vlan 53
expect_err "provision: error: invalid guest name 'Web_1'"
run 2 "$PROVISION" render web9 --vlan 53
expect_err_line "provision: error: 'render' needs --template NAME"
run 1 "$PROVISION" render web9 --template nosuch --vlan 53
expect_err "nosuch"
run 1 "$PROVISION" render web9 --template debian
expect_err_line "provision: error: no VLAN for 'web9': give --vlan or set vlan: in template 'debian'"
run 1 "$PROVISION" render web9 --template debian --vlan 54
expect_err "54"
run 1 "$PROVISION" render web9 --template debian --vlan 53 --memory lots
expect_err "memory"
run 1 "$PROVISION" render web9 --template debian --vlan 53 --ip 300.1.2.3
expect_err_line "provision: error: --ip: invalid IPv4 address '300.1.2.3'"
run 1 "$PROVISION" render web9 --template debian --vlan 1
expect_err "VLAN 1 has no subnet: cannot give the installer of 'web9' an address"
run 2 "$PROVISION" render web9 --template debian --vlan 53 --memroy 1G
expect_err_line "provision: error: unknown option '--memroy', did you mean '--memory'?"
expect_eq "$(tree_sum "$C")" "$sum"
[ ! -e "$T/state/inventory.db" ] || fail "render created an inventory"
done_testing
