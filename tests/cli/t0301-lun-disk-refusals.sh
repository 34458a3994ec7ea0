#!/bin/bash
# Refusals, each with its message and no byte changed: a device not in the site file, a
# foreign ext4 or swap signature, an overlapping table, an MBR label, a missing LUN.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/part-site.sh"

# not a LUN of the site (another image), whatever it is called
truncate -s 200G "$T/other.img"
before=$(sum "$T/other.img")
run 1 "$PROVISION" lun init "$T/other.img"
expect_err_line "provision: error: '$T/other.img' is not one of the site's LUNs"
expect_eq "$(sum "$T/other.img")" "$before"
run 1 "$PROVISION" disk prepare web1 --size 10G --lun "$T/other.img"
expect_err_line "provision: error: '$T/other.img' is not one of the site's LUNs"
# the same LUN by another name is the LUN (device number, not name)
ln -s "$T/lun0.img" "$T/alias"
run 0 "$PROVISION" lun init "$T/alias"
run 0 "$PROVISION" lun carve "$T/lun0.img" --layout 10G,10G

# someone else's ext4 in "free" partition 1, and swap where a new partition would go
mke2fs -q -F -t ext4 -E offset=$((1 << 20)),nodiscard "$T/lun0.img" 1G
before=$(sum "$T/lun0.img")
# a "free" partition that holds a filesystem is not free: passed over, with a warning
run 0 "$PROVISION" disk prepare web1 --size 10G -n
expect_err_line "provision: warning: partition 1 on '$T/lun0.img' is named 'free' but holds a signature (ext4): not free, left alone"
expect_out "would rename partition 2 on '$T/lun0.img' (size 10G) from 'free' to 'guest:web1'"
expect_eq "$(sum "$T/lun0.img")" "$before"
truncate -s 64M "$T/swap" && mkswap -q "$T/swap"
dd if="$T/swap" of="$T/lun0.img" bs=1M seek=20481 conv=notrunc,sparse status=none
before=$(sum "$T/lun0.img")
run 3 "$PROVISION" disk prepare web1 --size 15G
expect_err_line "provision: error: the space for partition 3 on '$T/lun0.img' holds a signature (swap), refusing to touch it"
expect_eq "$(sum "$T/lun0.img")" "$before"
expect_eq "$(sfd "$T/lun0.img" 'len(parts), parts[1]["name"]')" "2 free"

# an overlapping table (made by a test helper: sfdisk and libfdisk refuse to write one)
printf 'label: gpt\nsize=10G, name=free\nsize=10G, name=free\n' | sfdisk -q "$T/lun1.img"
python3 "$SRCDIR/tests/helpers/gpt-overlap.py" "$T/lun1.img" 1 2
before=$(sum "$T/lun1.img")
run 1 "$PROVISION" disk prepare web1 --size 10G --lun "$T/lun1.img"
expect_err_line "provision: error: LUN '$T/lun1.img': partitions 1 and 2 overlap"
run 1 "$PROVISION" lun carve "$T/lun1.img" --layout 10G
expect_err_line "provision: error: LUN '$T/lun1.img': partitions 1 and 2 overlap, refusing to change it"
expect_eq "$(sum "$T/lun1.img")" "$before"

# an MBR label
printf 'label: dos\nsize=10G\n' | sfdisk -q "$T/lun1.img"
before=$(sum "$T/lun1.img")
run 1 "$PROVISION" lun carve "$T/lun1.img" --layout 10G
expect_err_line "provision: error: LUN '$T/lun1.img' has a dos partition table, not gpt"
run 3 "$PROVISION" lun init "$T/lun1.img"
expect_err_line "provision: error: LUN '$T/lun1.img' already has a dos partition table"
expect_eq "$(sum "$T/lun1.img")" "$before"

# a full LUN: nothing fits, nothing changes
before=$(sum "$T/lun0.img")
run 1 "$PROVISION" disk prepare web1 --size 200G
expect_err "provision: error: no room for a 200G partition for guest 'web1' on any of 1 usable LUN(s)"
expect_eq "$(sum "$T/lun0.img")" "$before"

# a LUN that is gone: listed as unreadable (exit 1), skipped by prepare with a warning
rm "$T/lun1.img"
run 1 "$PROVISION" lun list
expect_out "$T/lun1.img: unreadable: cannot open '$T/lun1.img': No such file or directory"
run 1 "$PROVISION" lun init "$T/lun1.img"
expect_err_line "provision: error: cannot access '$T/lun1.img': No such file or directory"
done_testing
