#!/bin/bash
# new-guest up to configs on image LUNs in a network namespace, every result checked by an
# independent referee: the inventory (sqlite3), the GPT (sfdisk), the filesystem and swap
# file (blkid, debugfs, e2fsck), the bridge (ip -d -j link, sysfs), the configs (libxlutil).
# Then destroy puts everything back, and the same name gets the freed resources again.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
before=$(world)

# -n prints the whole plan and changes nothing
run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 -n
expect_out "would reserve partition of 10G on $T/lun0.img at a new place, MAC 00:16:3e:28:7a:35, IP 10.10.0.50"
expect_out "would create partition 1 on '$T/lun0.img'"
expect_out "would create bridge 'br10'"
expect_out "would write $T/configs/web1.install.cfg"
expect_out "would boot the installer of 'web1'"
expect_eq "$(world)" "$before"
[ ! -e "$T/state/inventory.db" ] || fail "-n created the inventory"
ip link show br10 >/dev/null 2>&1 && fail "-n created the bridge"

run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until configs
expect_out "ok: guest 'web1': stage configs done"

# the inventory, read by sqlite3
expect_eq "$(sql "SELECT name, template, vlan, mac, ip, lun, part_size, partno, stage, state FROM guests")" \
	"web1|debian|10|00:16:3e:28:7a:35|168427570|$T/lun0.img|10737418240|1|configs|ok"
uuid=$(sql "SELECT partuuid FROM guests WHERE name = 'web1'")
# the GPT, read by sfdisk: the partition, its name and the PARTUUID the inventory holds
expect_eq "$(gpt "$T/lun0.img")" "1 2048 20971520 guest:web1 $uuid"
# ext4 labelled web1 in it, clean, with a 2 GiB /swapfile: no holes, mode 0600
off=$((2048 * 512))
expect_eq "$(blkid -p -O $off -s LABEL -o value "$T/lun0.img")" web1
expect_eq "$(blkid -p -O $off -s TYPE -o value "$T/lun0.img")" ext4
losetup -o $off --sizelimit $((10 << 30)) -f --show "$T/lun0.img" >"$T/loop" || fail losetup
loop=$(cat "$T/loop")
e2fsck -fn "$loop" >"$T/fsck" 2>&1 || { cat "$T/fsck"; losetup -d "$loop"; fail "e2fsck"; }
debugfs -R 'stat /swapfile' "$loop" >"$T/stat" 2>/dev/null
losetup -d "$loop"
grep -q "Mode:  0600" "$T/stat" || fail "swapfile mode"
grep -q "Size: 2147483648" "$T/stat" || fail "swapfile size"
! grep -q "Uninit" "$T/stat" || fail "swapfile has unwritten extents"
n_checks=$((n_checks + 3))
# the bridge, read by iproute2 and sysfs
expect_bridge br10 vtrunk
# the configs, read by Xen's parser: the partition's stable name, MAC and IP as allocated
for f in "$T/configs/web1.install.cfg" "$T/configs/web1.boot.cfg"; do
	expect_xl "$f" disk:0 "target=${T}/lun0.img1 vdev=xvda1 format=raw access=rw cdrom=0"
	expect_xl "$f" vif "mac=00:16:3e:28:7a:35, bridge=br10"
done
case "$(xlget "$T/configs/web1.install.cfg" cmdline)" in
*" ip=10.10.0.50::10.10.0.1:255.255.255.0:web1:eth0:off "*) ;;
*) fail "install cmdline lacks the allocated address" ;;
esac

# list / show, machine-readable
run 0 "$PROVISION" list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=d["guests"]; assert d["ok"] and [x["name"] for x in g]==["web1"] and g[0]["stage"]=="configs" and g[0]["partition"]["partuuid"]==sys.argv[2], g' "$T/out" "$uuid" || fail "list --json"
run 0 "$PROVISION" show web1 --json
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert [x["stage"] for x in s["stages"]]==["allocate","carve","format","network","configs"], s; assert all(e["who"]=="root(0)" for e in s["events"])' "$T/out" || fail "show --json"
n_checks=$((n_checks + 2))

# a second new-guest of the same name is refused (exit 3), resume is a no-op
run 3 "$PROVISION" new-guest web1 --template debian --vlan 10
expect_err "guest 'web1' already exists (stage configs, ok): 'provision resume web1' continues it"
run 0 "$PROVISION" resume web1 --until configs
expect_out "ok: guest 'web1': stage configs done"

# resume to the end on a machine without Xen: the install stage fails cleanly, resumable
run 1 "$PROVISION" resume web1
expect_err "not a Xen dom0 (no /dev/xen/privcmd)"
expect_err "stage 'install' of guest 'web1' failed"
expect_err "'provision resume web1' continues, 'provision destroy web1' undoes"
expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = 'web1'")" "configs|failed"

# destroy: the LUNs, config_dir and the live inventory as before the guest existed
run 2 "$PROVISION" destroy web1 </dev/null
expect_err "not destroying 'web1': give --yes"
run 0 "$PROVISION" destroy web1 --yes
expect_eq "$(world)" "$before"
expect_eq "$(sql "SELECT state FROM guests WHERE name = 'web1'")" "destroyed"
run 1 "$PROVISION" show web1

# the same name again: the freed partition place, MAC and IP
run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until configs
expect_eq "$(sql "SELECT mac, ip, part_start FROM guests WHERE destroyed_usec IS NULL")" \
	"00:16:3e:28:7a:35|168427570|1048576"
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f1-4)" "1 2048 20971520 guest:web1"
done_testing
