#!/bin/bash
# render is a preview: it leaves config_dir, the LUNs and the inventory as they were, so a
# new-guest of the same name afterwards needs no --force (render used to write NAME.*.cfg with
# a placeholder disk into config_dir, which new-guest then refused as another guest's, exit 3).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
C=$T/configs
before=$(world)
sum=$(tree_sum "$C")

run 0 "$PROVISION" render web1 --template debian --vlan 10
expect_out "# ==> $C/web1.install.cfg (a preview: new-guest writes it) <=="
expect_out "target=/dev/provision/UNALLOCATED"
expect_eq "$(tree_sum "$C")" "$sum"
expect_eq "$(world)" "$before"
mkdir "$T/preview"
run 0 "$PROVISION" render web1 --template debian --vlan 10 -o "$T/preview"
expect_eq "$(ls "$T/preview" | tr '\n' ' ')" "web1.boot.cfg web1.install.cfg "
expect_eq "$(world)" "$before"

run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until configs
expect_out "ok: guest 'web1': stage configs done"
expect_eq "$(ls "$C" | tr '\n' ' ')" "web1.boot.cfg web1.install.cfg "
for f in "$C/web1.install.cfg" "$C/web1.boot.cfg"; do
	expect_xl "$f" disk:0 "target=${T}/lun0.img1 vdev=xvda1 format=raw access=rw cdrom=0"
	! grep -q "PLACEHOLDER DISK" "$f" || fail "$f has the preview's placeholder disk"
	n_checks=$((n_checks + 1))
done

# render of the guest now: what it holds, printed; config_dir stays as new-guest wrote it
sum=$(tree_sum "$C")
run 0 "$PROVISION" render web1 --template debian --vlan 10
expect_out "target=${T}/lun0.img1"
expect_eq "$(tree_sum "$C")" "$sum"
done_testing
