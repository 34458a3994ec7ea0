#!/bin/bash
# Never touch what is not ours (issue 15, items 2, 3, 4): ownership comes from what provision
# made and recorded (the PARTUUID it carved or reserved, the GPT name it gave, the ext4 UUID
# it recorded before mke2fs ran), never from a reservation or a name alone. Each refusal is
# checked with the world (LUN tables, config_dir, live inventory) and the foreign data
# unchanged, read by sfdisk, blkid and sha256sum.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
G="--template lab --vlan 10"

# region_sum LUN START_SECTOR: the first 64 MiB of a partition (where a test writes its data)
region_sum() { dd if="$1" bs=512 skip="$2" count=$((64 << 11)) status=none | sha256sum; }
# fs_at LUN START_SECTOR: "TYPE LABEL UUID" of the filesystem there, by blkid
fs_at() {
	blkid -p -O $(($2 * 512)) -o export "$1" |
		awk -F= '/^TYPE=/ {t=$2} /^LABEL=/ {l=$2} /^UUID=/ {u=$2} END {print t, l, u}'
}
start_of() { gpt "$1" | awk -v n="$2" '$1 == n {print $2}'; }

# --- item 2: a foreign partition named "free" holding a filesystem ----------------------
run 0 "$PROVISION" lun carve "$T/lun1.img" --layout 10G
printf 'size=10G, name=free\n' | sfdisk -q --append "$T/lun1.img" 2>/dev/null
s2=$(start_of "$T/lun1.img" 2)
mke2fs -q -F -t ext4 -L precious -E offset=$((s2 * 512)),nodiscard "$T/lun1.img" 64M
precious=$(region_sum "$T/lun1.img" "$s2")
fs_precious=$(fs_at "$T/lun1.img" "$s2")
# f1 may only have LUN 1: its empty "free" partition 1, never the foreign one
run 0 "$PROVISION" new-guest f1 $G --lun "$T/lun1.img" --until configs
expect_err_line "provision: warning: partition 2 on '$T/lun1.img' is named 'free' but holds a signature (ext4): not free, left alone"
expect_eq "$(sql "SELECT partno, part_origin FROM guests WHERE name = 'f1'")" "1|reused"
expect_eq "$(gpt "$T/lun1.img" | awk '{print $1, $4}' | tr '\n' ' ')" "1 guest:f1 2 free "
expect_eq "$(region_sum "$T/lun1.img" "$s2")" "$precious"
# the ext4 f1's format stage made has the UUID the inventory recorded before mke2fs
s1=$(start_of "$T/lun1.img" 1)
expect_eq "$(fs_at "$T/lun1.img" "$s1" | cut -d' ' -f1,2)" "ext4 f1"
expect_eq "$(fs_at "$T/lun1.img" "$s1" | cut -d' ' -f3)" "$(sql "SELECT fs_uuid FROM guests WHERE name = 'f1'")"
# a plan for the next guest passes it over too
run 0 "$PROVISION" new-guest f2 $G --lun "$T/lun1.img" -n
expect_out "would create partition 3 on '$T/lun1.img'"
expect_eq "$(region_sum "$T/lun1.img" "$s2")" "$precious"

# The race: a filesystem lands in a reserved "free" partition after the allocation. The
# carve stage refuses it (exit 3), and destroy leaves it alone: the reservation is no proof.
run 0 "$PROVISION" destroy f1 --yes
run 0 "$PROVISION" new-guest f3 $G --lun "$T/lun1.img" --until allocate
expect_eq "$(sql "SELECT partuuid FROM guests WHERE name = 'f3'")" "$(gpt "$T/lun1.img" | awk '$1 == 1 {print $5}')"
mke2fs -q -F -t ext4 -L theirs -E offset=$((s1 * 512)),nodiscard "$T/lun1.img" 64M
theirs=$(region_sum "$T/lun1.img" "$s1")
gpt_before=$(gpt "$T/lun1.img")
run 3 "$PROVISION" resume f3 --until configs
expect_err_line "provision: error: partition 1 on '$T/lun1.img' ('free') holds ext4 UUID $(fs_at "$T/lun1.img" "$s1" | cut -d' ' -f3) that provision did not make for guest 'f3', refusing to touch it"
expect_eq "$(gpt "$T/lun1.img")" "$gpt_before"
expect_eq "$(region_sum "$T/lun1.img" "$s1")" "$theirs"
run 0 "$PROVISION" destroy f3 --yes
expect_eq "$(gpt "$T/lun1.img")" "$gpt_before"
expect_eq "$(region_sum "$T/lun1.img" "$s1")" "$theirs"
expect_eq "$(fs_at "$T/lun1.img" "$s2")" "$fs_precious"

# --- a guest's partition reformatted by someone else: not provision's ext4 any more ------
run 0 "$PROVISION" new-guest g1 $G --lun "$T/lun0.img" --until configs
p=$(sql "SELECT partno FROM guests WHERE name = 'g1'")
s=$(start_of "$T/lun0.img" "$p")
mke2fs -q -F -t ext4 -L g1 -E offset=$((s * 512)),nodiscard "$T/lun0.img" 64M # same label!
data=$(region_sum "$T/lun0.img" "$s")
before=$(world)
run 3 "$PROVISION" destroy g1 --yes -n
expect_err "that provision did not make for guest 'g1', refusing to touch it"
run 3 "$PROVISION" destroy g1 --yes
expect_err "provision: error: partition $p on '$T/lun0.img' ('guest:g1') holds ext4 UUID $(fs_at "$T/lun0.img" "$s" | cut -d' ' -f3) that provision did not make for guest 'g1', refusing to touch it"
expect_eq "$(world)" "$before"
expect_eq "$(region_sum "$T/lun0.img" "$s")" "$data"
# nor does resume's format stage take it for its own (it is redone only on a failed format)
expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = 'g1'")" "configs|ok"

# --- item 3: destroy refuses a partition renamed by hand ---------------------------------
run 0 "$PROVISION" new-guest g2 $G --lun "$T/lun0.img" --until configs
p=$(sql "SELECT partno FROM guests WHERE name = 'g2'")
uuid=$(sql "SELECT partuuid FROM guests WHERE name = 'g2'")
sfdisk -q --part-label "$T/lun0.img" "$p" data 2>/dev/null
s=$(start_of "$T/lun0.img" "$p")
data=$(region_sum "$T/lun0.img" "$s")
before=$(world)
run 3 "$PROVISION" destroy g2 --yes
expect_err_line "provision: error: partition $p on '$T/lun0.img' (PARTUUID $uuid) is named 'data', not 'guest:g2' as provision left it: refusing to touch it"
expect_eq "$(world)" "$before"
expect_eq "$(region_sum "$T/lun0.img" "$s")" "$data"
# renamed back, destroy may wipe and delete it
sfdisk -q --part-label "$T/lun0.img" "$p" guest:g2 2>/dev/null
run 0 "$PROVISION" destroy g2 --yes
gpt "$T/lun0.img" | grep -q "^$p " && fail "g2's partition $p is still there"

# --- item 4: disk release / prepare leave what the inventory holds alone ------------------
run 0 "$PROVISION" new-guest g3 $G --until configs
before=$(world)
run 3 "$PROVISION" disk release g3
expect_err_line "provision: error: guest 'g3' is in the inventory (stage configs): 'provision destroy g3' releases its partition, not 'disk'"
run 3 "$PROVISION" disk prepare g3 --size 10G
expect_err_line "provision: error: guest 'g3' is in the inventory (stage configs): 'provision destroy g3' releases its partition, not 'disk'"
expect_eq "$(world)" "$before"
# a reservation not carved yet: a new place on lun0 that disk prepare would pick too
run 0 "$PROVISION" new-guest g4 $G --lun "$T/lun0.img" --until allocate
expect_eq "$(sql "SELECT partuuid IS NULL, part_origin FROM guests WHERE name = 'g4'")" "1|new"
before=$(world)
run 3 "$PROVISION" disk prepare other --size 10G --lun "$T/lun0.img"
expect_err "is reserved by guest 'g4' in the inventory (not carved yet), refusing it"
run 3 "$PROVISION" lun carve "$T/lun0.img" --layout 10G
expect_err "is reserved by guest 'g4' in the inventory (not carved yet), refusing it"
expect_eq "$(world)" "$before"
# and g4 still gets exactly its place
run 0 "$PROVISION" resume g4 --until configs
expect_eq "$(sql "SELECT stage FROM guests WHERE name = 'g4'")" configs
done_testing
