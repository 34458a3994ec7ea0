#!/bin/bash
# A new guest's inputs are checked against the site before anything is reserved or made:
# --ip outside the VLAN's subnet or range, the network, broadcast or gateway address; --mac
# multicast, all zeros or ones, outside mac_prefix; a missing config_dir; a PV guest on a VLAN
# without subnet (its installer needs an address). The same from a
# request file and for a batch, and with -n. Exit 2, nothing changed: no inventory row, no
# partition, no bridge, no file.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

G="--template lab --vlan 10"
# everything outside the LUNs, configs and inventory a run could make
files() { (cd "$T" && find . -path ./out -o -path ./err -o -print | sort); }
before=$(world)
files_before=$(files)
unchanged() {
	expect_eq "$(world)" "$before"
	expect_eq "$(files)" "$files_before"
	expect_eq "$(sql "SELECT count(*) FROM guests")" ""
	ip link show br10 >/dev/null 2>&1 && fail "bridge br10 was made"
	n_checks=$((n_checks + 1))
}
# refused ARGS... -- MESSAGE: exit 2, the message, nothing changed
refused() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	run 2 "$PROVISION" new-guest web1 $G "${args[@]}"
	expect_err_line "$2"
	unchanged
}

refused --ip 10.20.0.5 -- "provision: error: --ip: 10.20.0.5 is outside VLAN 10's subnet 10.10.0.0/24"
refused --ip 10.10.0.1 -- "provision: error: --ip: 10.10.0.1 is the gateway of VLAN 10"
refused --ip 10.10.0.0 -- "provision: error: --ip: 10.10.0.0 is the network address of VLAN 10's subnet 10.10.0.0/24"
refused --ip 10.10.0.255 -- "provision: error: --ip: 10.10.0.255 is the broadcast address of VLAN 10's subnet 10.10.0.0/24"
refused --ip 10.10.0.20 -- "provision: error: --ip: 10.10.0.20 is outside VLAN 10's range 10.10.0.50-10.10.0.99 ($T/site.yaml:13)"
refused --ip 10.10.0.300 -- "provision: error: --ip: invalid IPv4 address '10.10.0.300'"
refused --mac 01:16:3e:00:00:01 -- "provision: error: --mac: 01:16:3e:00:00:01 is a multicast address"
refused --mac ff:ff:ff:ff:ff:ff -- "provision: error: --mac: ff:ff:ff:ff:ff:ff is not a guest's address (all ones)"
refused --mac 00:00:00:00:00:00 -- "provision: error: --mac: 00:00:00:00:00:00 is not a guest's address (all zeros)"
refused --mac 02:00:00:00:00:01 -- "provision: error: --mac: 02:00:00:00:00:01 is outside the site's mac_prefix 00:16:3e"
refused --mac 00:16:3e:zz:00:01 -- "provision: error: --mac: invalid MAC address '00:16:3e:zz:00:01'"
# every problem at once, and -n refuses the same way
run 2 "$PROVISION" new-guest web1 $G -n --ip 10.10.0.1 --mac 00:00:00:00:00:00
expect_err_line "provision: error: --ip: 10.10.0.1 is the gateway of VLAN 10"
expect_err_line "provision: error: --mac: 00:00:00:00:00:00 is not a guest's address (all zeros)"
unchanged

# the same fields in a request: the error at the value's place
printf 'request_id: RT-1\nname: web1\ntemplate: lab\nvlan: 10\nip: 10.20.0.5\nmac: "01:00:5e:00:00:01"\n' >"$T/r.yaml"
files_before=$(files)
run 2 "$PROVISION" new-guest --request "$T/r.yaml"
expect_err_line "$T/r.yaml:5:5: error: ip: 10.20.0.5 is outside VLAN 10's subnet 10.10.0.0/24"
expect_err_line "$T/r.yaml:6:6: error: mac: 01:00:5e:00:00:01 is a multicast address"
unchanged
# the command line still wins over the request, and is what is checked
run 2 "$PROVISION" new-guest --request "$T/r.yaml" --ip 10.10.0.1 -n
expect_err_line "provision: error: --ip: 10.10.0.1 is the gateway of VLAN 10"
expect_err_line "$T/r.yaml:6:6: error: mac: 01:00:5e:00:00:01 is a multicast address"
expect_eq "$(grep -c 'r.yaml:5:' "$T/err")" 0
unchanged

# in a batch's overrides: that guest is refused at the pseudo-stage request, the error at
# the value's place, before any child runs (without --keep-going the rest is skipped)
cat >"$T/ov.yaml" <<'Y'
template: lab
vlan: 10
names: [lab1, lab2]
overrides:
  lab1: { ip: 10.10.0.1, memory: 1G }
  lab2: { ip: 10.10.0.77, mac: "00:16:3e:00:00:77" }
Y
files_before=$(files)
for n in "" -n; do
	run 1 "$PROVISION" batch "$T/ov.yaml" $n
	grep -q "^lab1 *failed *request *$T/ov.yaml:5:15: ip: 10.10.0.1 is the gateway of VLAN 10\$" "$T/out" ||
		fail "batch $n: lab1 not refused: $(cat "$T/out")"
	grep -q "^lab2 *skipped" "$T/out" || fail "batch $n: lab2 not skipped"
	unchanged
done
# the good override is what the guest gets
sed -i 's/ip: 10.10.0.1,/ip: 10.10.0.78,/' "$T/ov.yaml"
run 0 "$PROVISION" batch "$T/ov.yaml" -n --json
python3 - "$T/out" <<'PY' || fail "batch overrides: ip and mac"
import json, sys
g = {x["name"]: x for x in json.load(open(sys.argv[1]))["guests"]}
assert g["lab1"]["ip"] == "10.10.0.78" and g["lab2"]["ip"] == "10.10.0.77", g
assert g["lab2"]["mac"] == "00:16:3e:00:00:77", g
PY
n_checks=$((n_checks + 1))
unchanged

# a missing config_dir: found before the disk work, not at the configs stage
rmdir "$T/configs"
files_before=$(files)
run 2 "$PROVISION" new-guest web1 $G
expect_err_line "provision: error: cannot use config_dir '$T/configs' of the site file '$T/site.yaml': No such file or directory"
expect_eq "$(files)" "$files_before"
expect_eq "$(sql "SELECT count(*) FROM guests")" ""
gpt "$T/lun0.img" | grep -q guest: && fail "a partition was carved"
run 2 "$PROVISION" new-guest --request "$T/r.yaml" --ip 10.10.0.60 --mac 00:16:3e:00:00:01
expect_err_line "provision: error: cannot use config_dir '$T/configs' of the site file '$T/site.yaml': No such file or directory"
printf 'template: lab\nvlan: 10\nnames: "lab{1..3}"\n' >"$T/course.yaml"
files_before=$(files)
run 2 "$PROVISION" batch "$T/course.yaml"
expect_err_line "provision: error: cannot use config_dir '$T/configs' of the site file '$T/site.yaml': No such file or directory"
run 2 "$PROVISION" batch "$T/course.yaml" -n
expect_err "cannot use config_dir '$T/configs'"
expect_eq "$(files)" "$files_before"
expect_eq "$(sql "SELECT count(*) FROM guests")" ""
: >"$T/configs"
run 2 "$PROVISION" new-guest web1 $G -n
expect_err_line "provision: error: cannot use config_dir '$T/configs' of the site file '$T/site.yaml': not a directory"
rm "$T/configs"
mkdir "$T/configs"

# a VLAN without subnet: --ip is whatever the admin says, but a PV guest's installer needs
# an address of a known subnet, so a run up to configs is refused before the disk work
sed 's|^    10: |    20: { bridge: br20 }\n    10: |' "$T/site.yaml" >"$T/s20.yaml"
files_before=$(files)
run 2 "$PROVISION" --site "$T/s20.yaml" new-guest web1 --template lab --vlan 20 --ip 192.0.2.5
expect_err_line "provision: error: VLAN 20 has no subnet: cannot give the installer of 'web1' an address"
unchanged
run 0 "$PROVISION" --site "$T/s20.yaml" new-guest web1 --template lab --vlan 20 --ip 192.0.2.5 --until format -n
expect_out "MAC 00:16:3e:"
expect_out ", IP 192.0.2.5"
unchanged

# what is fine passes: an address of the range, a MAC under the prefix
run 0 "$PROVISION" new-guest web1 $G --ip 10.10.0.99 --mac 00:16:3e:aa:bb:cc --until configs
expect_eq "$(sql "SELECT ip, mac FROM guests WHERE name = 'web1'")" "168427619|00:16:3e:aa:bb:cc"
expect_xl "$T/configs/web1.boot.cfg" memory 512
# a batch's children get the overrides' ip and mac
run 0 "$PROVISION" batch "$T/ov.yaml" --until allocate
expect_eq "$(sql "SELECT name, ip, mac FROM guests WHERE name LIKE 'lab%' ORDER BY name")" \
	"lab1|168427598|$(sql "SELECT mac FROM guests WHERE name = 'lab1'")
lab2|168427597|00:16:3e:00:00:77"
done_testing
