#!/bin/bash
# provision batch with failures: a bad override (refused before any stage, cited at its place
# in the batch file) and a guest whose carve stage fails (a site hook refuses it).
# --keep-going finishes the other guests; a re-run after the fixes finishes what is missing
# and leaves the rest alone; without --keep-going no guest starts after the first failure.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

printf 'extends: lab\nswap: 64M\n' >"$T/templates/tlab.yaml"
mkdir -p "$T/hooks.d/carve.pre.d"
cat >"$T/hooks.d/carve.pre.d/10-policy" <<'H'
#!/bin/sh
[ "$PROVISION_GUEST" != lab12 ] && exit 0
echo "no disk for lab12 today" >&2
exit 4
H
chmod 755 "$T/hooks.d/carve.pre.d/10-policy"
cat >"$T/course.yaml" <<'Y'
template: tlab
vlan: 10
names: "lab{01..20}"
overrides:
  lab07:
    memory: lots
Y

run 1 "$PROVISION" batch "$T/course.yaml" --until configs --keep-going --parallel 3 --json
python3 - "$T/out" "$T/course.yaml" <<'PY' || fail "--keep-going report"
import json, sys
j = json.load(open(sys.argv[1]))
g = {x["name"]: x for x in j["guests"]}
assert j["totals"] == {"done": 18, "failed": 2, "skipped": 0}, j["totals"]
e = g["lab07"]["error"]
assert g["lab07"]["status"] == "failed" and e["stage"] == "request", g["lab07"]
assert e["cause"].startswith(sys.argv[2] + ":6:13: memory: "), e
e = g["lab12"]["error"]
assert g["lab12"]["status"] == "failed" and e["stage"] == "carve", g["lab12"]
assert e["cause"].endswith("carve.pre.d/10-policy' failed with exit status 4"), e
assert all(x["ok"] and x["stage"] == "configs" for n, x in g.items() if n not in ("lab07", "lab12"))
PY
n_checks=$((n_checks + 1))
expect_err "lab12: failed at carve: "
expect_eq "$(sql "SELECT count(*) FROM guests WHERE stage = 'configs'")" 18
expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = 'lab12'")" "allocate|failed"
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name = 'lab07'")" 0
expect_eq "$(gpt "$T/lun0.img" "$T/lun1.img" | grep -c ' guest:lab')" 18

# the fixes, then the same batch again: lab07 is made, lab12 continued, the rest untouched
rm "$T/hooks.d/carve.pre.d/10-policy"
sed -i 's/memory: lots/memory: 768M/' "$T/course.yaml"
events=$(sql "SELECT count(*) FROM events WHERE guest NOT IN ('lab07', 'lab12')")
rows=$(sql "SELECT name, mac, ip, partuuid, stage FROM guests WHERE name NOT IN ('lab07', 'lab12') ORDER BY name")
run 0 "$PROVISION" batch "$T/course.yaml" --until configs --parallel 3
expect_out "batch 'course': 20 done, 0 failed, 0 skipped"
expect_out "lab12: stage carve"
! grep -E '^lab(0[1-689]|1[013-9]|20): stage ' "$T/out" || fail "a finished guest ran a stage"
n_checks=$((n_checks + 1))
expect_eq "$(sql "SELECT count(*) FROM events WHERE guest NOT IN ('lab07', 'lab12')")" "$events"
expect_eq "$(sql "SELECT name, mac, ip, partuuid, stage FROM guests WHERE name NOT IN ('lab07', 'lab12') ORDER BY name")" "$rows"
expect_eq "$(sql "SELECT count(*), count(DISTINCT ip), count(DISTINCT partuuid) FROM guests WHERE stage = 'configs'")" "20|20|20"
expect_xl "$T/configs/lab07.boot.cfg" memory 768

# without --keep-going: pc3 fails, no guest starts after it, the rest are skipped
cat >"$T/second.yaml" <<'Y'
template: tlab
names: [pc1, pc2, pc3, pc4, pc5, pc6]
vlan: 10
overrides:
  pc3: { vcpus: many }
Y
run 1 "$PROVISION" batch "$T/second.yaml" --until configs --parallel 1
expect_out "batch 'second': 2 done, 1 failed, 3 skipped"
expect_out "pc3: failed at request: $T/second.yaml:5:17: vcpus: "
expect_eq "$(sql "SELECT group_concat(name) FROM (SELECT name FROM guests WHERE name LIKE 'pc%' ORDER BY name)")" "pc1,pc2"
run 1 "$PROVISION" batch "$T/second.yaml" --until configs --json
python3 - "$T/out" <<'PY' || fail "skipped guests in the report"
import json, sys
j = json.load(open(sys.argv[1]))
assert [x["status"] for x in j["guests"]] == ["done", "done", "failed", "skipped", "skipped", "skipped"], j
assert j["guests"][3]["error"] is None and j["guests"][3]["ip"] is None, j
PY
n_checks=$((n_checks + 1))
done_testing
