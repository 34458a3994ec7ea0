#!/bin/bash
# lun init/carve/list and disk prepare/release on sparse 200 GiB images (no root), checked with
# sfdisk --json and blkid -p; -n changes no byte.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/part-site.sh"

run 0 "$PROVISION" lun list
expect_out_exact "$T/lun0.img: 200G, no partition table
$T/lun1.img: 200G, no partition table"

before=$(sum "$T/lun0.img")
run 0 "$PROVISION" lun init "$T/lun0.img" -n
expect_out_exact "would create a GPT label on '$T/lun0.img'"
expect_eq "$(sum "$T/lun0.img")" "$before"
run 0 "$PROVISION" lun init "$T/lun0.img"
expect_out_exact "created a GPT label on '$T/lun0.img'"
expect_eq "$(sfd "$T/lun0.img" 't["label"], len(parts)')" "gpt 0"
run 3 "$PROVISION" lun init "$T/lun0.img"
expect_err_line "provision: error: LUN '$T/lun0.img' already has a gpt partition table"

# the seed's layout: 15 partitions named "free"
layout=30G,25G,20G,10G,10G,10G,10G,10G,10G,10G,10G,10G,10G,10G,10G
before=$(sum "$T/lun0.img")
run 0 "$PROVISION" lun carve "$T/lun0.img" --layout $layout -n
expect_out "would create partition 15 on '$T/lun0.img': start 189441M, size 10G, name 'free'"
expect_eq "$(sum "$T/lun0.img")" "$before"
run 0 "$PROVISION" lun carve "$T/lun0.img" --layout $layout
expect_eq "$(sfd "$T/lun0.img" '" ".join("%d:%d:%s" % (n, p["size"] * 512 >> 30, p["name"]) for n, p in sorted(parts.items()))')" \
	"1:30:free 2:25:free 3:20:free 4:10:free 5:10:free 6:10:free 7:10:free 8:10:free 9:10:free 10:10:free 11:10:free 12:10:free 13:10:free 14:10:free 15:10:free"
expect_eq "$(sfd "$T/lun0.img" 'parts[1]["start"], parts[15]["start"] + parts[15]["size"]')" "2048 408946688"

run 0 "$PROVISION" lun list --json
expect_eq "$(python3 -c 'import json, sys; l = json.load(open(sys.argv[1]))["luns"][0]; print(l["label"], len(l["partitions"]), l["largest_free"] >> 20, l["partitions"][2]["name"])' "$T/out")" \
	"gpt 15 5118 free"

# prepare reuses the exact-size free partition 3; the referee agrees on name and PARTUUID
run 0 "$PROVISION" disk prepare web1 --size 20G
expect_out "renamed partition 3 on '$T/lun0.img' (size 20G) from 'free' to 'guest:web1'"
uuid=$(sfd "$T/lun0.img" 'parts[3]["uuid"]')
expect_out "web1: partition 3 on '$T/lun0.img' (20G), PARTUUID $uuid, device $T/lun0.img@$((56321 << 20))"
expect_eq "$(sfd "$T/lun0.img" 'parts[3]["name"]')" "guest:web1"
expect_eq "$(blkid -p -o value -s LABEL -s TYPE --offset $((56321 << 20)) --size $((20 * G)) "$T/lun0.img" | tr '\n' ' ')" "web1 ext4 "
expect_eq "$(debugfs -R 'stat /swapfile' "$T/lun0.img?offset=$((56321 << 20))" 2>/dev/null | grep -o 'Size: [0-9]*' | head -1)" "Size: $((2 * G))"
run 0 "$PROVISION" lun list
expect_out "  3    56321M     20G        guest:web1               web1             $uuid"
run 3 "$PROVISION" disk prepare web1 --size 20G
expect_err_line "provision: error: guest 'web1' already has partition 3 on LUN '$T/lun0.img' (PARTUUID $uuid)"

# release, then the same partition again for another guest
before=$(sum "$T/lun0.img")
run 0 "$PROVISION" disk release web1 -n
expect_eq "$(sum "$T/lun0.img")" "$before"
run 0 "$PROVISION" disk release web1
expect_out_exact "wiped the signatures in partition 3 on '$T/lun0.img'
renamed partition 3 on '$T/lun0.img' (size 20G) from 'guest:web1' to 'free'"
expect_eq "$(sfd "$T/lun0.img" 'parts[3]["name"]')" "free"
expect_eq "$(blkid -p --offset $((56321 << 20)) --size $((20 * G)) "$T/lun0.img"; echo $?)" "2"
run 1 "$PROVISION" disk release web1
expect_err_line "provision: error: guest 'web1' has no partition on any readable LUN"
run 0 "$PROVISION" disk prepare web2 --size 20G --swap 1G --json
expect_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["partition"], d["reused"], d["partuuid"], d["swap_size"] >> 20)' "$T/out")" \
	"3 True $uuid 1024"

# lun1 has no label: skipped with a warning; asked for by name it is an error
run 1 "$PROVISION" disk prepare web3 --size 10G --lun "$T/lun1.img"
expect_err_line "provision: error: LUN '$T/lun1.img' has no partition table (see 'provision lun init')"
run 0 "$PROVISION" disk prepare web3 --size 10G --swap 0
expect_err_line "provision: warning: skipping LUN '$T/lun1.img': LUN '$T/lun1.img' has no partition table (see 'provision lun init')"
expect_eq "$(sfd "$T/lun0.img" 'parts[4]["name"]')" "guest:web3"
run 2 "$PROVISION" disk prepare web4
expect_err_line "provision: error: 'disk prepare' needs --size SIZE"
done_testing
