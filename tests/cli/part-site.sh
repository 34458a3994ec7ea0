# For tests/cli/t03NN-*.sh, sourced after lib.sh: sparse 200 GiB images lun0/lun1 in $T and
# a site file naming them as the LUNs (only lun0 and lun1: anything else must be refused).
G=$((1 << 30))
truncate -s 200G "$T/lun0.img" "$T/lun1.img"
sed "s|^luns: .*|luns: [$T/lun0.img, $T/lun1.img]|" "$SRCDIR/tests/data/network/site.yaml" >"$T/site.yaml"
export PROVISION_SITE=$T/site.yaml

# sum FILE: checksum of a sparse file's bytes
sum() { python3 "$SRCDIR/tests/helpers/sparse-sum.py" "$1"; }
# sfd FILE EXPR: EXPR over sfdisk --json's partition table t (the referee, not our reader)
sfd() {
	sfdisk --json "$1" | python3 -c "import json, sys, re
t = json.load(sys.stdin)['partitiontable']
parts = {int(re.search(r'(\d+)\$', p['node']).group(1)): p for p in t.get('partitions', [])}
print($2)"
}
# expect_out_exact TEXT: the last run's whole stdout
expect_out_exact() {
	expect_eq "$(cat "$T/out")" "$1"
}
