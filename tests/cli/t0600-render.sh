#!/bin/bash
# provision render: a preview, on stdout (both configs, each after a line naming its file) or
# into -o DIR, never into config_dir; read back by Xen's own parser; -o DIR is idempotent and
# refuses to overwrite other content; -n, --json; bad input.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/render-lib.sh"
render_site
C=$T/configs O=$T/preview
mkdir "$O"
# split_preview: $T/out (render's stdout) into $T/split/install.cfg and boot.cfg at the
# header lines, which must name config_dir's files in that order
split_preview() { # NAME
	rm -rf "$T/split" && mkdir "$T/split"
	python3 - "$T/out" "$T/split" "$C" "$1" <<'PY' || fail "render's stdout is not two headed configs"
import re, sys
out, split, cdir, name = sys.argv[1:]
parts = re.split(r"^# ==> (.*) \(a preview: new-guest writes it\) <==\n", open(out).read(), flags=re.M)
assert parts[0] == "", parts[0]
assert parts[1::2] == [f"{cdir}/{name}.install.cfg", f"{cdir}/{name}.boot.cfg"], parts[1::2]
open(f"{split}/install.cfg", "w").write(parts[2])
open(f"{split}/boot.cfg", "w").write(parts[4])
PY
	n_checks=$((n_checks + 1))
}

# the default: stdout, config_dir untouched (it stays empty), no inventory made
sum=$(tree_sum "$C")
run 0 "$PROVISION" render web1 --template debian --vlan 53
expect_eq "$(tree_sum "$C")" "$sum"
expect_eq "$(find "$C" -mindepth 1 | wc -l)" 0
[ ! -e "$T/state/inventory.db" ] || fail "render created an inventory"
split_preview web1
I=$T/split/install.cfg B=$T/split/boot.cfg
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
expect_xl "$I" cmdline "console=hvc0 net.ifnames=0 root=nfs:147.228.53.154:/srv/fai/nfsroot:vers=3 rootovl ip=147.228.53.60::147.228.53.1:255.255.255.0:web1:eth0:off FAI_ACTION=install FAI_FLAGS=verbose,createvt,halt FAI_CONFIG_SRC=nfs://147.228.53.154/srv/fai/config monserver=147.228.53.154 PROVISION_CLASSES=DEBIAN"
expect_xl "$I" on_reboot destroy
expect_xl "$I" on_poweroff destroy
expect_xl "$B" kernel /boot/vmlinuz-6.1.0-xen
expect_xl "$B" ramdisk /boot/initrd.img-6.1.0-xen
expect_xl "$B" cmdline "root=/dev/xvda1 ro console=hvc0"
expect_xl "$B" on_reboot restart
# --out - is the same
cp "$T/out" "$T/stdout1"
run 0 "$PROVISION" render web1 --template debian --vlan 53 --out -
expect_eq "$(cat "$T/out")" "$(cat "$T/stdout1")"

# -o DIR: exactly the two files there, the same text as printed, atomically
run 0 "$PROVISION" render web1 --template debian --vlan 53 -o "$O"
expect_out "wrote $O/web1.install.cfg"
expect_out "wrote $O/web1.boot.cfg"
expect_eq "$(cd "$O" && find . -mindepth 1 | sort | tr '\n' ' ')" "./web1.boot.cfg ./web1.install.cfg "
expect_eq "$(cat "$O/web1.install.cfg")" "$(cat "$I")"
expect_eq "$(cat "$O/web1.boot.cfg")" "$(cat "$B")"
expect_eq "$(tree_sum "$C")" "$sum"

# again: nothing changes
osum=$(tree_sum "$O")
run 0 "$PROVISION" render web1 --template debian --vlan 53 -o "$O"
expect_out "unchanged $O/web1.install.cfg"
expect_out "unchanged $O/web1.boot.cfg"
expect_eq "$(tree_sum "$O")" "$osum"

# other content for the same name: refused (exit 3), nothing written; --force overwrites
run 3 "$PROVISION" render web1 --template debian --vlan 53 --memory 2G -o "$O"
expect_err "provision: error: '$O/web1.install.cfg' exists with other content (another guest's config?); --force overwrites it: File exists"
expect_eq "$(tree_sum "$O")" "$osum"
run 0 "$PROVISION" render web1 --template debian --vlan 53 --memory 2G --force -o "$O"
expect_xl "$O/web1.boot.cfg" memory 2048
expect_xl "$O/web1.install.cfg" memory 2048

# -o config_dir (by any name of it): refused, a usage error, nothing written
ln -s "$C" "$T/configs-link"
for dir in "$C" "$C/" "$T/configs-link"; do
	run 2 "$PROVISION" render web1 --template debian --vlan 53 -o "$dir"
	expect_err_line "provision: error: -o: '$dir' is the site's config_dir: render only previews, 'provision new-guest web1' writes the configs there"
done
expect_eq "$(tree_sum "$C")" "$sum"
# -o DIR that does not exist: a failure naming it, nothing created
run 1 "$PROVISION" render web1 --template debian --vlan 53 -o "$T/nosuch"
expect_err "cannot write '$T/nosuch/web1.install.cfg'"
[ ! -e "$T/nosuch" ] || fail "render created $T/nosuch"

# -n with -o DIR writes nothing; without -o it prints the preview as always
run 0 "$PROVISION" render web2 --template lab --vlan 53 -n -o "$O"
expect_out "would write $O/web2.install.cfg"
[ ! -e "$O/web2.install.cfg" ] || fail "-n wrote a file"
run 0 "$PROVISION" render web2 --template lab --vlan 53 -n
split_preview web2
expect_xl "$T/split/boot.cfg" memory 512
expect_xl "$T/split/install.cfg" memory 512

# a guest of the inventory keeps what it holds; a new one gets the first free address
run 0 "$PROVISION" render web3 --template debian --vlan 53 --ip 147.228.53.99 --mac 00:16:3e:05:30:71 --disk-path /dev/fc/fc-p1d1p13
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
osum=$(tree_sum "$O")
run 2 "$PROVISION" render Web_1 --template debian --vlan 53
expect_err "provision: error: invalid guest name 'Web_1'"
run 2 "$PROVISION" render web9 --vlan 53
expect_err_line "provision: error: 'render' needs --template NAME"
run 2 "$PROVISION" render web9 --template nosuch --vlan 53
expect_err "nosuch"
run 2 "$PROVISION" render web9 --template debian
expect_err_line "provision: error: no VLAN for 'web9': give --vlan or set vlan: in template 'debian'"
run 2 "$PROVISION" render web9 --template debian --vlan 54
expect_err "54"
run 2 "$PROVISION" render web9 --template debian --vlan 53 --memory lots
expect_err "memory"
run 2 "$PROVISION" render web9 --template debian --vlan 53 --ip 300.1.2.3
expect_err_line "provision: error: --ip: invalid IPv4 address '300.1.2.3'"
run 2 "$PROVISION" render web9 --template debian --vlan 1
expect_err "VLAN 1 has no subnet: cannot give the installer of 'web9' an address"
run 2 "$PROVISION" render web9 --template debian --vlan 53 --memroy 1G
expect_err_line "provision: error: unknown option '--memroy', did you mean '--memory'?"
expect_eq "$(tree_sum "$C")" "$sum"
expect_eq "$(find "$C" -mindepth 1 | wc -l)" 0
expect_eq "$(tree_sum "$O")" "$osum"
[ ! -e "$T/state/inventory.db" ] || fail "render created an inventory"
done_testing
