#!/bin/bash
# The event channel (PROVISION_EVENTS_FD) and batch reading it:
# - a run's events are JSON lines, each progress message one of the human lines, the human
#   output the same with and without the channel, the result's cause the --json result's;
# - batch's progress and causes come from the events, not the children's stderr: hooks that
#   print misleading "stage: " and "provision: error: " lines change nothing in its table,
#   and a failed guest's cause is what its child's own result says;
# - batch records its plan before the children start and says when a guest got another
#   address than planned (the inventory changed under it).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

printf 'extends: lab\nswap: 64M\n' >"$T/templates/tlab.yaml"
# events JSON-lines FILE: every line a JSON object (python's strict json as the referee)
events_check() {
	python3 - "$1" <<'PY' || fail "events in $1"
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    assert isinstance(e, dict) and e["event"] in ("stage", "progress", "result"), e
PY
	n_checks=$((n_checks + 1))
}

# -- one run, the channel by hand: -n twice, with and without it
cat >"$T/web.json" <<'J'
{"request_id": "RT-1", "name": "web1", "template": "tlab", "vlan": "10"}
J
before=$(world)
run 0 "$PROVISION" new-guest --request "$T/web.json" --until configs -n
cp "$T/out" "$T/out.plain"
cp "$T/err" "$T/err.plain"
PROVISION_EVENTS_FD=3 run 0 "$PROVISION" new-guest --request "$T/web.json" --until configs -n \
	3>"$T/ev.dry"
expect_eq "$(cat "$T/out")" "$(cat "$T/out.plain")"
expect_eq "$(cat "$T/err")" "$(cat "$T/err.plain")"
events_check "$T/ev.dry"
# every human line of the run is an event: "plan: S" a stage event, the rest progress
python3 - "$T/ev.dry" "$T/out" <<'PY' || fail "events vs human lines"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
human = [l.rstrip("\n") for l in open(sys.argv[2])][:-1]  # the last: "plan for guest ..."
want = []
for l in human:
    if l.startswith("plan: "):
        want.append(("stage", l[6:], "started"))
    else:
        want.append(("progress", l.strip()))
got = []
for e in ev:
    if e["event"] == "stage" and e["state"] == "started":
        got.append(("stage", e["stage"], "started"))
    elif e["event"] == "progress":
        got.append(("progress", e["message"]))
assert got == want, (got, want)
assert [e["stage"] for e in ev if e["event"] == "stage" and e["state"] == "done"] == \
    ["allocate", "carve", "format", "network", "configs"], ev
r = ev[-1]
assert r["event"] == "result" and r["ok"] and r["ip"] == "10.10.0.50", r
PY
n_checks=$((n_checks + 1))
expect_eq "$(world)" "$before"

# a failure: the result's cause is the --json result's
mkdir -p "$T/hooks.d/network.pre.d"
printf '#!/bin/sh\necho "no bridge for $PROVISION_GUEST" >&2\nexit 5\n' >"$T/hooks.d/network.pre.d/10-no"
chmod 755 "$T/hooks.d/network.pre.d/10-no"
PROVISION_EVENTS_FD=3 run 1 "$PROVISION" new-guest --request "$T/web.json" --until configs --json \
	3>"$T/ev.fail"
events_check "$T/ev.fail"
python3 - "$T/ev.fail" "$T/out" <<'PY' || fail "result event of a failure"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
res = json.load(open(sys.argv[2]))
r = ev[-1]
assert r["event"] == "result" and not r["ok"] and r["stage"] == "network", r
assert r["cause"] == res["error"]["message"] and r["cause"].endswith("10-no' failed with exit status 5"), (r, res)
assert {"event": "stage", "stage": "network", "state": "failed"} in ev, ev
assert any(e["event"] == "progress" and e["message"] == "no bridge for web1" for e in ev) is False, ev
PY
n_checks=$((n_checks + 1))
rm -r "$T/hooks.d/network.pre.d"
# a bad channel is a usage error, before anything is made
after=$(world)
PROVISION_EVENTS_FD=99 run 2 "$PROVISION" new-guest --request "$T/web.json" --until configs
expect_err_line "provision: error: PROVISION_EVENTS_FD: '99' is not an fd open for writing"
PROVISION_EVENTS_FD=x run 2 "$PROVISION" list
expect_eq "$(world)" "$after"
# the hooks do not get the channel: not in their environment, fd 3 not theirs
mkdir -p "$T/hooks.d/configs.pre.d"
printf '#!/bin/sh\necho "fd3=$(test -e /proc/self/fd/3 && echo open) env=${PROVISION_EVENTS_FD:-none}" >>%s\n' \
	"$T/hook.log" >"$T/hooks.d/configs.pre.d/10-look"
chmod 755 "$T/hooks.d/configs.pre.d/10-look"
PROVISION_EVENTS_FD=3 run 0 "$PROVISION" new-guest --request "$T/web.json" --until configs 3>"$T/ev.ok"
expect_eq "$(cat "$T/hook.log")" "fd3= env=none"
rm -r "$T/hooks.d/configs.pre.d"
"$PROVISION" destroy web1 --yes >/dev/null 2>&1 || fail "destroy web1"

# -- batch: hooks that print misleading lines on stdout and stderr, one guest refused
mkdir -p "$T/hooks.d/carve.pre.d"
cat >"$T/hooks.d/carve.pre.d/10-noise" <<'H'
#!/bin/sh
echo "stage: boot"
echo "stage: install" >&2
echo "provision: error: not the cause" >&2
echo "$PROVISION_GUEST" >>"$PROVISION_STATE_DIR/noise.log"
[ "$PROVISION_GUEST" != lab02 ] || exit 4
exit 0
H
chmod 755 "$T/hooks.d/carve.pre.d/10-noise"
cat >"$T/course.yaml" <<'Y'
template: tlab
vlan: 10
names: "lab{01..04}"
Y
run 1 "$PROVISION" batch "$T/course.yaml" --until configs --parallel 2 --keep-going --json
cp "$T/out" "$T/batch.json"
expect_eq "$(sort "$T/state/noise.log" | tr '\n' ' ')" "lab01 lab02 lab03 lab04 " # it made noise
! grep -E "^lab0[1-4]: stage (boot|install)" "$T/err" || fail "a hook's line taken for a stage"
n_checks=$((n_checks + 1))
expect_err_line "lab01: stage carve"
expect_err_line "lab02: failed at carve: hook '$T/hooks.d/carve.pre.d/10-noise' failed with exit status 4"
python3 - "$T/batch.json" <<'PY' || fail "batch report from the events"
import json, sys
j = json.load(open(sys.argv[1]))
g = {x["name"]: x for x in j["guests"]}
assert j["totals"] == {"done": 3, "failed": 1, "skipped": 0}, j["totals"]
for n in ("lab01", "lab03", "lab04"):
    assert g[n]["status"] == "done" and g[n]["stage"] == "configs", g[n]
    # as planned before the children started: the same addresses and partition
    p = g[n]["plan"]
    assert g[n]["as_planned"] and p["status"] == "planned", g[n]
    assert (p["ip"], p["mac"], p["lun"], p["partition"]) == \
        (g[n]["ip"], g[n]["mac"], g[n]["lun"], g[n]["partition"]), g[n]
e = g["lab02"]["error"]
assert e["stage"] == "carve" and "not the cause" not in e["cause"], e
PY
n_checks=$((n_checks + 1))
# the failed guest's cause is its child's own result: the same request run alone says it
sed -n 's/.*"cause": "\(.*\)".*/\1/p' "$T/batch.json" >"$T/batch.cause"
printf '{"request_id": "course:lab02", "name": "lab02", "template": "tlab", "vlan": "10"}\n' >"$T/lab02.json"
PROVISION_EVENTS_FD=3 run 1 "$PROVISION" new-guest --request "$T/lab02.json" --until configs --json 3>"$T/ev.lab02"
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' "$T/out")" \
	"$(python3 -c 'import json,sys; print([g for g in json.load(open(sys.argv[1]))["guests"] if g["name"] == "lab02"][0]["error"]["cause"])' "$T/batch.json")"
expect_eq "$(tail -1 "$T/ev.lab02" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cause"])')" \
	"$(cat "$T/batch.cause")"
rm -r "$T/hooks.d/carve.pre.d"

# -- off the plan: while lab12 (and lab22) allocate, a hook makes another guest that takes
# their planned address
mkdir -p "$T/hooks.d/allocate.pre.d"
cat >"$T/hooks.d/allocate.pre.d/10-intruder" <<'H'
#!/bin/sh
case $PROVISION_GUEST in lab12 | lab22) ;; *) exit 0 ;; esac
exec "$PROVISION" new-guest "x$PROVISION_GUEST" --template tlab --vlan 10 --until allocate >/dev/null
H
chmod 755 "$T/hooks.d/allocate.pre.d/10-intruder"
printf 'template: tlab\nvlan: 10\nnames: "lab{11..12}"\n' >"$T/second.yaml"
run 0 "$PROVISION" batch "$T/second.yaml" --until allocate --parallel 1
expect_out "warning: 'lab12' got IP "
expect_out ": the inventory or the LUNs changed while the batch ran"
! grep -q "^warning: 'lab11'" "$T/out" || fail "lab11 is off the plan"
n_checks=$((n_checks + 1))
printf 'template: tlab\nvlan: 10\nnames: "lab{21..22}"\n' >"$T/third.yaml"
run 0 "$PROVISION" batch "$T/third.yaml" --until allocate --parallel 1 --json
python3 - "$T/out" <<'PY' || fail "off the plan, --json"
import json, sys
g = {x["name"]: x for x in json.load(open(sys.argv[1]))["guests"]}
assert g["lab21"]["as_planned"], g["lab21"]
assert not g["lab22"]["as_planned"] and g["lab22"]["ip"] != g["lab22"]["plan"]["ip"], g["lab22"]
PY
n_checks=$((n_checks + 1))
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name IN ('xlab12', 'xlab22')")" 2
# again: the plan sees what is there, nothing is off it
run 0 "$PROVISION" batch "$T/second.yaml" --until allocate
! grep -q "^warning: " "$T/out" || fail "a second run is off the plan"
n_checks=$((n_checks + 1))
done_testing
