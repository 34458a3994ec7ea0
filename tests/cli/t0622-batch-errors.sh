#!/bin/bash
# Malformed batch files: exit 2, every error at its FILE:LINE:COL, nothing run. Also the
# batch's own settings must make a guest (an unknown template is a bad file, not 20 failures)
# and the usage errors of the options.
. "$SRCDIR/tests/cli/lib.sh"
mkdir -p "$T/configs" "$T/state" "$T/templates"
sed "s|@T@|$T|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$T/site.yaml"
export PROVISION_SITE=$T/site.yaml

cat >"$T/b1.yaml" <<'Y'
template: lab
vlan: 10
names: "lab{01..x}"
Y
run 2 "$PROVISION" batch "$T/b1.yaml"
expect_err_line "$T/b1.yaml:3:17: error: names: 'lab{01..x}': expected {FIRST..LAST} of numbers"

cat >"$T/b2.yaml" <<'Y'
template: lab
vlan: 10
names:
  - pc1
  - PC_2
  - pc1
overides:
  pc1: { memory: 1G }
Y
run 2 "$PROVISION" batch "$T/b2.yaml"
expect_err_line "$T/b2.yaml:7:1: error: unknown key 'overides' (did you mean 'overrides'?)"
expect_err_line "$T/b2.yaml:5:5: error: names: invalid guest name 'PC_2' (1 to 63 of a-z, 0-9 and '-', not starting or ending with '-')"
expect_err_line "$T/b2.yaml:6:5: error: names: 'pc1' is named twice"

cat >"$T/b3.yaml" <<'Y'
template: lab
vlan: 10
names: "lab{1..3}"
overrides:
  lab4: { memory: 1G }
  lab2: { memroy: 1G, disk: 20G }
Y
run 2 "$PROVISION" batch "$T/b3.yaml"
expect_err_line "$T/b3.yaml:5:3: error: overrides: 'lab4' is not a guest of the batch (did you mean 'lab1'?)"
expect_err_line "$T/b3.yaml:6:11: error: unknown key 'memroy' (did you mean 'memory'?)"

printf 'template: lab\nvlan: 10\nnames: [a, b]\n  owner: x\n' >"$T/b4.yaml"
run 2 "$PROVISION" batch "$T/b4.yaml"
expect_err_line "$T/b4.yaml:4:3: error: did not find expected key"

# the batch's own settings: an unknown template, a VLAN out of range
printf 'template: lba\nvlan: 10\nnames: "lab{1..3}"\n' >"$T/b5.yaml"
run 2 "$PROVISION" batch "$T/b5.yaml"
expect_err "unknown template 'lba'"
expect_err_line "$T/b5.yaml:1:11: note: batch 'b5': no guest can be made with template 'lba' and these settings"
printf 'template: lab\nvlan: 4095\nnames: "lab{1..3}"\n' >"$T/b6.yaml"
run 2 "$PROVISION" batch "$T/b6.yaml"
expect_err "$T/b6.yaml:2:7: error: vlan"

run 2 "$PROVISION" batch "$T/nosuch.yaml"
expect_err_line "provision: error: cannot open batch file '$T/nosuch.yaml': No such file or directory"
printf 'template: lab\nvlan: 10\nnames: "lab{1..3}"\n' >"$T/ok.yaml"
run 2 "$PROVISION" batch "$T/ok.yaml" --parallel 0
expect_err "--parallel: '0' is not a number from 1 to 64"
run 2 "$PROVISION" batch "$T/ok.yaml" --until confgs
expect_err "--until: unknown stage 'confgs'"
# nothing was run
expect_eq "$(ls "$T/state" "$T/configs")" "$(printf '%s\n' "$T/configs:" "" "$T/state:")"
done_testing
