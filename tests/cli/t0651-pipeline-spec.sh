#!/bin/bash
# The guest's spec and the partition's origin are kept with the allocation (issue 15, items
# 10, 11, 13): an old guest's leftovers never stand in for a new one's, destroy removes the
# guest's state directory, `show` names the stage that failed, and `resume --spec FILE`
# continues with a corrected spec (refused, changing nothing, when it is invalid or changes
# what was allocated).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
G="--template lab --vlan 10"

# the spec is in the inventory, written with the reservation, not in a file
run 0 "$PROVISION" new-guest s1 $G --memory 768M --until allocate
expect_eq "$(sql "SELECT spec LIKE '%memory: 768M%', part_origin FROM guests WHERE name = 's1'")" "1|new"
[ -e "$T/state/guests/s1/template.yaml" ] && fail "a spec file was written"
run 0 "$PROVISION" show s1 --spec
expect_out "memory: 768M"
run 0 "$PROVISION" resume s1 --until configs
expect_xl "$T/configs/s1.boot.cfg" memory 768

# a state directory an earlier guest of the name left (its destroy killed): never used
before=$(world)
mkdir -p "$T/state/guests/s2"
printf 'memory: 4G\n' >"$T/state/guests/s2/template.yaml"
echo old >"$T/state/guests/s2/console-install.log"
run 0 "$PROVISION" new-guest s2 $G --until configs
expect_xl "$T/configs/s2.boot.cfg" memory 512
[ -e "$T/state/guests/s2/console-install.log" ] && fail "the old guest's log is still there"
# destroy removes the state directory; the inventory keeps the history
mkdir -p "$T/state/guests/s2/fai" && echo x >"$T/state/guests/s2/fai/fai.log"
run 0 "$PROVISION" destroy s2 --yes
[ -e "$T/state/guests/s2" ] && fail "destroy left $T/state/guests/s2"
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name = 's2' AND state = 'destroyed'")" 1

# the failed stage is the one that failed (a network.pre hook refuses)
mkdir -p "$T/hooks.d/network.pre.d"
printf '#!/bin/sh\necho no network today >&2\nexit 1\n' >"$T/hooks.d/network.pre.d/10-no"
chmod +x "$T/hooks.d/network.pre.d/10-no"
run 1 "$PROVISION" new-guest s3 $G --until configs
run 0 "$PROVISION" show s3
expect_out "stage:     network (failed; done up to format)"
run 0 "$PROVISION" show s3 --json
python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["guest"]; assert (g["stage"], g["state"], g["failed_stage"]) == ("format", "failed", "network"), g' "$T/out" || fail "show --json"
rm -r "$T/hooks.d/network.pre.d"

# resume --spec: a corrected spec (memory, classes) is checked, kept, and used
run 0 "$PROVISION" show s3 --spec
cp "$T/out" "$T/s3.yaml"
sed -i 's/^memory: .*/memory: 640M/' "$T/s3.yaml"
run 0 "$PROVISION" resume s3 --until configs --spec "$T/s3.yaml"
expect_xl "$T/configs/s3.boot.cfg" memory 640
run 0 "$PROVISION" show s3 --spec
expect_out "memory: 640M"
expect_eq "$(sql "SELECT result FROM events WHERE guest = 's3' AND what = 'spec'")" ok
# refused, nothing changed: a bad key, another disk size
before=$(world)
spec_before=$(sql "SELECT spec FROM guests WHERE name = 's3'")
printf 'memroy: 1G\n' >>"$T/s3.yaml"
run 2 "$PROVISION" resume s3 --spec "$T/s3.yaml"
expect_err "$T/s3.yaml:"
expect_err "error: unknown key 'memroy'"
sed -i '$d; s/^disk: .*/disk: 20G/' "$T/s3.yaml"
run 2 "$PROVISION" resume s3 --spec "$T/s3.yaml"
expect_err_line "provision: error: --spec: '$T/s3.yaml' changes the VLAN, disk or swap size that guest 's3' was allocated with: destroy it and make it again instead"
expect_eq "$(world)" "$before"
expect_eq "$(sql "SELECT spec FROM guests WHERE name = 's3'")" "$spec_before"
done_testing
