#!/bin/bash
# provision batch: 20 lab machines up to configs on image LUNs, checked by independent
# referees (sfdisk for the GPT, sqlite3 for the inventory): 20 distinct partitions, MACs and
# IPs, exactly as -n planned them; -n changes nothing; a second run is a no-op.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

printf 'extends: lab\nswap: 64M\n' >"$T/templates/tlab.yaml" # small swap files: a quick test
cat >"$T/course.yaml" <<'Y'
template: tlab
vlan: 10
owner: teacher@example.org
names: "lab{01..20}"
overrides:
  lab07: { memory: 768M, install: { extra: "DEBUG=1" } }
Y
before=$(world)

# -n: the whole plan, cumulative (20 distinct IPs, MACs, partition places), nothing changed
run 0 "$PROVISION" batch "$T/course.yaml" --until configs -n --json
python3 - "$T/out" >"$T/plan" <<'PY' || fail "-n --json plan"
import json, sys
j = json.load(open(sys.argv[1]))
g = j["guests"]
assert j["ok"] and j["name"] == "course" and j["dry_run"] and len(g) == 20, j
assert [x["name"] for x in g] == ["lab%02d" % i for i in range(1, 21)], g
assert all(x["status"] == "planned" and x["error"] is None for x in g), g
assert j["totals"] == {"done": 20, "failed": 0, "skipped": 0}, j["totals"]
for k in ("ip", "mac"):
    assert len({x[k] for x in g}) == 20, k
assert len({(x["lun"], x["partition"]["start"]) for x in g}) == 20, "partition places"
for x in g:
    print(x["name"], x["ip"], x["mac"])
PY
n_checks=$((n_checks + 1))
expect_eq "$(head -1 "$T/plan")" "lab01 10.10.0.50 $(sed -n 's/^lab01 [^ ]* //p' "$T/plan")"
expect_eq "$(sed -n '20p' "$T/plan" | cut -d' ' -f1-2)" "lab20 10.10.0.69"
expect_eq "$(world)" "$before"
[ ! -e "$T/state/inventory.db" ] || fail "-n created the inventory"
run 0 "$PROVISION" batch "$T/course.yaml" --until configs -n
expect_out "plan of batch 'course': 20 planned, 0 failed, 0 skipped"
expect_eq "$(world)" "$before"

# the batch, 4 at once; progress as plain lines (not a terminal)
run 0 "$PROVISION" batch "$T/course.yaml" --until configs --parallel 4
expect_out "running batch 'course': 20 guests, template tlab, up to configs, 4 at once"
expect_out "lab03: stage format"
expect_out "lab20: done (stage configs, IP 10.10.0.69)"
expect_out "batch 'course': 20 done, 0 failed, 0 skipped"

# the inventory (sqlite3): 20 guests, each its own MAC, IP and partition, as planned
expect_eq "$(sql "SELECT count(*), count(DISTINCT mac), count(DISTINCT ip), count(DISTINCT partuuid), count(DISTINCT lun || part_start) FROM guests WHERE stage = 'configs' AND state = 'ok'")" "20|20|20|20|20"
expect_eq "$(sql "SELECT request_id, owner FROM guests WHERE name = 'lab07'")" "course:lab07|teacher@example.org"
sql "SELECT name, ip, mac FROM guests ORDER BY name" |
	python3 -c '
import sys, ipaddress
for l in sys.stdin:
    n, ip, mac = l.strip().split("|")
    print(n, ipaddress.IPv4Address(int(ip)), mac)' >"$T/real"
expect_eq "$(cat "$T/real")" "$(cat "$T/plan")"
# the GPT tables (sfdisk): 20 partitions guest:labNN, each PARTUUID the inventory's
{ gpt "$T/lun0.img"; gpt "$T/lun1.img"; } | awk '{print $4, $5}' | sort >"$T/parts"
expect_eq "$(wc -l <"$T/parts")" 20
expect_eq "$(cut -d' ' -f1 "$T/parts" | sort -u | wc -l)" 20
expect_eq "$(cat "$T/parts")" \
	"$(sql "SELECT 'guest:' || name, lower(partuuid) FROM guests ORDER BY name" | tr '|' ' ')"
# the override reached lab07's config only (libxlutil reads it back)
expect_xl "$T/configs/lab07.boot.cfg" memory 768
expect_xl "$T/configs/lab08.boot.cfg" memory 512
for i in $(seq -w 1 20); do
	[ -f "$T/configs/lab$i.boot.cfg" ] && [ -f "$T/configs/lab$i.install.cfg" ] ||
		fail "lab$i: configs missing"
done
n_checks=$((n_checks + 1))

# again: a no-op (the world and the events unchanged), every guest reported done
after=$(world)
events=$(sql "SELECT count(*) FROM events")
run 0 "$PROVISION" batch "$T/course.yaml" --until configs --json
python3 - "$T/out" <<'PY' || fail "second run --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["totals"] == {"done": 20, "failed": 0, "skipped": 0}, j["totals"]
assert all(x["ok"] and x["stage"] == "configs" for x in j["guests"]), j
PY
n_checks=$((n_checks + 1))
! grep -E '^lab[0-9]+: stage ' "$T/err" || fail "the second run ran a stage"
n_checks=$((n_checks + 1))
expect_eq "$(world)" "$after"
expect_eq "$(sql "SELECT count(*) FROM events")" "$events"

# on a terminal: a table redrawn in place (the cursor moved up over it), then the summary
TERM=xterm script -qfec "$PROVISION batch $T/course.yaml --until configs" /dev/null >"$T/tty"
expect_eq "$?" 0
grep -q $'\e\\[[0-9]*A' "$T/tty" || fail "no redraw on a terminal"
grep -q "^GUEST  *STAGE  *ELAPSED  *LAST" <(sed 's/\x1b\[K//g; s/\r//g' "$T/tty") || fail "no table"
grep -q "^lab20  *done  *0:0[0-9]  *done (stage configs, IP 10.10.0.69)" <(sed 's/\x1b\[K//g; s/\r//g' "$T/tty") ||
	fail "no row for lab20"
grep -q "^batch 'course': 20 done, 0 failed, 0 skipped" <(tr -d '\r' <"$T/tty") || fail "no summary"
n_checks=$((n_checks + 4))
expect_eq "$(world)" "$after"
done_testing
