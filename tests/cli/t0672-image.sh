#!/bin/bash
# Golden images on image LUNs, without Xen: a guest formatted by provision gets a known tree
# (debugfs -w), is captured (--force: no install without Xen), listed, verified; two clones
# of different disk sizes are made by new-guest --image up to install (the clone's no-op),
# each checked by independent referees: e2fsck -fn, debugfs (host name, interfaces, fstab's
# UUID, machine-id, SSH host keys), blkid (distinct filesystem UUIDs), sfdisk, sqlite3.
# Delete is refused while a clone lives (exit 3), allowed after. Bad input changes nothing.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

printf 'extends: debian\ndisk: 2G\nswap: 64M\n' >"$T/templates/small.yaml"

# part_off LUN PARTUUID: the partition's byte offset, from sfdisk (the referee)
part_off() {
	gpt "$1" | awk -v u="$2" '$5 == u { printf "%.0f\n", $2 * 512 }'
}
part_len() {
	gpt "$1" | awk -v u="$2" '$5 == u { printf "%.0f\n", $3 * 512 }'
}
# loop_of GUEST: a read-write loop device over the guest's partition, in $loop
loop_of() {
	local u off len
	u=$(sql "SELECT partuuid FROM guests WHERE name = '$1' AND destroyed_usec IS NULL")
	off=$(part_off "$T/lun0.img" "$u")
	len=$(part_len "$T/lun0.img" "$u")
	loop=$(losetup -o "$off" --sizelimit "$len" -f --show "$T/lun0.img") || fail "losetup $1"
}
dcat() { debugfs -R "cat $2" "$1" 2>/dev/null; }
# flip FILE OFFSET: invert the lowest bit of one byte (twice: as it was)
flip() {
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 1]))' "$1" "$2" || fail "flip"
}

run 0 "$PROVISION" new-guest gold --template small --vlan 10 --until format
loop_of gold
# a known tree, as an install would leave it
mkdir -p "$T/tree"
printf 'gold\n' >"$T/tree/hostname"
printf 'UUID=0000 / ext4 errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n' >"$T/tree/fstab"
printf 'abcdefabcdefabcdefabcdefabcdef00\n' >"$T/tree/machine-id"
printf 'PRIVATE-GOLD\n' >"$T/tree/key"
printf 'ssh-ed25519 AAAAgold gold\n' >"$T/tree/key.pub"
head -c 3000000 /dev/urandom >"$T/tree/blob"
debugfs -w "$loop" >/dev/null 2>&1 <<EOF || fail "debugfs -w"
mkdir /etc
mkdir /etc/ssh
mkdir /etc/network
mkdir /data
write $T/tree/hostname /etc/hostname
write $T/tree/fstab /etc/fstab
write $T/tree/machine-id /etc/machine-id
write $T/tree/key /etc/ssh/ssh_host_ed25519_key
write $T/tree/key.pub /etc/ssh/ssh_host_ed25519_key.pub
write $T/tree/blob /data/blob
EOF
e2fsck -fn "$loop" >"$T/fsck" 2>&1 || { cat "$T/fsck"; losetup -d "$loop"; fail "gold e2fsck"; }
losetup -d "$loop"
blob_sum=$(sha256sum <"$T/tree/blob")

# not installed: refused without --force, nothing written
before=$(world)
run 1 "$PROVISION" image capture gold lab
expect_err "guest 'gold' has not finished its install (stage format)"
expect_err "--force"
expect_eq "$(world)" "$before"
expect_eq "$(sql "SELECT count(*) FROM images")" 0
# bad names
run 2 "$PROVISION" image capture gold 'lab:1' --force
run 1 "$PROVISION" image capture nosuch lab --force
expect_err "no guest 'nosuch' in the inventory"

# no room to stage the copy in TMPDIR: refused before anything is made
mkdir -p "$T/small-tmp" && mount -t tmpfs -o size=1m small "$T/small-tmp"
before=$(world)
TMPDIR=$T/small-tmp run 1 "$PROVISION" image capture gold lab --force
expect_err "capture stages the copy in '$T/small-tmp' and needs about"
expect_err "set TMPDIR to a directory on a larger local filesystem of this Dom0; nothing was written"
expect_eq "$(world)" "$before"
expect_eq "$(sql "SELECT count(*) FROM images")" 0
umount "$T/small-tmp"

run 0 "$PROVISION" image capture gold lab --force
expect_out "ok: image 'lab' captured from 'gold'"
iu=$(sql "SELECT partuuid FROM images WHERE name = 'lab'")
expect_eq "$(gpt "$T/lun0.img" | awk '$4 == "image:lab" { print $5 }')" "$iu"
expect_eq "$(sql "SELECT source, template, length(checksum), deleted_usec IS NULL FROM images")" \
	"gold|small|64|1"
ioff=$(part_off "$T/lun0.img" "$iu")
expect_eq "$(blkid -p -O "$ioff" -s LABEL -o value "$T/lun0.img")" lab
# the image partition is sized to the image, not to the guest
[ "$(part_len "$T/lun0.img" "$iu")" -lt $((1 << 30)) ] || fail "image partition too large"
n_checks=$((n_checks + 1))

# a second capture of the name: a conflict, nothing written
before=$(world)
run 3 "$PROVISION" image capture gold lab --force
expect_err "image 'lab' already exists"
expect_eq "$(world)" "$before"

run 0 "$PROVISION" image list
expect_out "lab "
expect_out "captured"
run 0 "$PROVISION" image show lab --verify
expect_out "verified:   ok"
run 0 "$PROVISION" image show lab --json --verify
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); i=j["image"]; assert j["ok"] and j["verified"] is True and i["name"]=="lab" and i["state"]=="captured" and i["source"]=="gold" and len(i["checksum"])==64 and j["clones"]==[], j' "$T/out" || fail "show --json"
n_checks=$((n_checks + 1))

# two clones, of two disk sizes, up to install (the clone's no-op)
run 0 "$PROVISION" new-guest c1 --template small --vlan 10 --image lab --until install
expect_out "cloned image 'lab' into"
expect_out "cloned from image 'lab' (captured from 'gold'): nothing to install"
run 0 "$PROVISION" new-guest c2 --template small --vlan 10 --disk 3G --image lab --until install
expect_eq "$(sql "SELECT name, stage, image_id IS NOT NULL FROM guests WHERE destroyed_usec IS NULL ORDER BY name")" \
	"$(printf 'c1|install|1\nc2|install|1\ngold|format|0')"
keys=
for g in c1 c2; do
	ip=$(sql "SELECT (ip>>24)||'.'||(ip>>16&255)||'.'||(ip>>8&255)||'.'||(ip&255) FROM guests WHERE name = '$g'")
	fsu=$(sql "SELECT fs_uuid FROM guests WHERE name = '$g' AND destroyed_usec IS NULL")
	loop_of $g
	e2fsck -fn "$loop" >"$T/fsck" 2>&1 || { cat "$T/fsck"; losetup -d "$loop"; fail "$g e2fsck"; }
	expect_eq "$(blkid -p -s UUID -o value "$loop")" "$fsu"
	expect_eq "$(blkid -p -s LABEL -o value "$loop")" "$g"
	expect_eq "$(dcat "$loop" /etc/hostname)" "$g"
	dcat "$loop" /etc/network/interfaces >"$T/ifaces"
	grep -q "address $ip" "$T/ifaces" || fail "$g interfaces: $(cat "$T/ifaces")"
	grep -q "gateway 10.10.0.1" "$T/ifaces" || fail "$g gateway"
	expect_eq "$(dcat "$loop" /etc/fstab | head -1)" "UUID=$fsu / ext4 errors=remount-ro 0 1"
	expect_eq "$(dcat "$loop" /etc/machine-id | wc -c)" 0
	expect_eq "$(dcat "$loop" /data/blob | sha256sum)" "$blob_sum"
	k=$(dcat "$loop" /etc/ssh/ssh_host_ed25519_key.pub)
	case "$k" in ssh-ed25519\ *) ;; *) fail "$g has no new SSH host key: $k" ;; esac
	[ "$k" != "ssh-ed25519 AAAAgold gold" ] || fail "$g kept the image's SSH host key"
	keys="$keys$k
"
	debugfs -R 'stat /swapfile' "$loop" 2>/dev/null | grep -q "Size: 67108864" || fail "$g swapfile"
	losetup -d "$loop"
	n_checks=$((n_checks + 4))
done
expect_eq "$(printf '%s' "$keys" | sort -u | wc -l)" 2
expect_eq "$(sql "SELECT count(DISTINCT fs_uuid) FROM guests WHERE name IN ('c1', 'c2')")" 2
# c2's filesystem was grown to its larger partition
expect_eq "$(sql "SELECT part_size FROM guests WHERE name = 'c2'")" $((3 << 30))

# an image that does not fit the guest's disk: refused before anything is reserved
before=$(world)
run 1 "$PROVISION" new-guest c3 --template small --vlan 10 --disk 100M --image lab --until install
expect_err "does not fit guest 'c3''s disk"
expect_eq "$(world)" "$before"
run 1 "$PROVISION" new-guest c3 --template small --vlan 10 --image nosuch --until install
expect_err "no image 'nosuch' in the inventory"
expect_eq "$(world)" "$before"

# delete: refused while a clone lives (exit 3), nothing changed
run 3 "$PROVISION" image delete lab
expect_err "image 'lab' is in use: 2 live guests are cloned from it"
expect_err "'c1' is a clone of image 'lab'"
expect_eq "$(world)" "$before"

# a changed image (a byte of /data/blob): verify fails, a clone refuses before writing
blk=$(debugfs -R "bmap /data/blob 0" "$T/lun0.img?offset=$ioff" 2>/dev/null)
bs=$(dumpe2fs -h "$T/lun0.img?offset=$ioff" 2>/dev/null | awk '/^Block size:/ { print $3 }')
[ -n "$blk" ] && [ -n "$bs" ] || fail "cannot find /data/blob in the image"
at=$((ioff + blk * bs))
flip "$T/lun0.img" $at
run 1 "$PROVISION" image show lab --verify
expect_out "verified:   FAILED"
run 1 "$PROVISION" new-guest c4 --template small --vlan 10 --image lab --until install
expect_err "does not match its checksum"
u4=$(sql "SELECT partuuid FROM guests WHERE name = 'c4' AND destroyed_usec IS NULL")
o4=$(part_off "$T/lun0.img" "$u4")
expect_eq "$(blkid -p -O "$o4" -o value -s TYPE "$T/lun0.img")" ""
run 0 "$PROVISION" destroy c4 --yes
# the byte put back
flip "$T/lun0.img" $at
run 0 "$PROVISION" image show lab --verify
expect_out "verified:   ok"

# a batch of clones: -n says which image, the run clones up to install
cat >"$T/labs.yaml" <<'Y'
template: small
vlan: 10
image: lab
names: "pc{1..2}"
Y
run 0 "$PROVISION" batch "$T/labs.yaml" -n --until install
expect_out "would clone image 'lab'"
run 0 "$PROVISION" batch "$T/labs.yaml" --until install
expect_eq "$(sql "SELECT name, stage FROM guests WHERE name LIKE 'pc%' AND destroyed_usec IS NULL ORDER BY name")" \
	"$(printf 'pc1|install\npc2|install')"
for g in pc1 pc2; do
	loop_of $g
	expect_eq "$(dcat "$loop" /etc/hostname)" "$g"
	losetup -d "$loop"
done

run 0 "$PROVISION" batch "$T/labs.yaml" -n --until install --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert [g["image"] for g in j["guests"]]==["lab","lab"], j' "$T/out" || fail "batch --json image"
n_checks=$((n_checks + 1))

# install: once: the first installed (no Xen here: only up to configs), the others wait for
# its image; -n says which is which
cat >"$T/once.yaml" <<'Y'
template: small
vlan: 10
install: once
names: "op{1..3}"
Y
run 0 "$PROVISION" batch "$T/once.yaml" -n --until install
expect_out "install: 'op1' with FAI, then captured as image 'once'; 2 clones of it: op2 ..."
run 1 "$PROVISION" batch "$T/once.yaml" --until configs
expect_out "the other 2 guests are clones of image 'once', made once 'op1' is installed"
expect_eq "$(sql "SELECT name, stage, image_id IS NULL FROM guests WHERE name LIKE 'op%' AND destroyed_usec IS NULL")" \
	"op1|configs|1"
printf 'template: small\nvlan: 10\ninstall: once\nimage: lab\nnames: "x{1..2}"\n' >"$T/bad.yaml"
run 2 "$PROVISION" batch "$T/bad.yaml" -n
expect_err "install: once makes its own image"

# destroyed clones free the image: delete wipes and removes its partition
for g in c1 c2 pc1 pc2 op1; do
	run 0 "$PROVISION" destroy $g --yes
done
run 0 "$PROVISION" image delete lab
expect_out "ok: image 'lab' deleted"
expect_eq "$(gpt "$T/lun0.img" | grep -c 'image:lab')" 0
expect_eq "$(sql "SELECT count(*) FROM images WHERE deleted_usec IS NULL")" 0
expect_eq "$(sql "SELECT count(*) FROM images")" 1
run 1 "$PROVISION" image show lab
expect_err "no image 'lab' in the inventory"
done_testing
