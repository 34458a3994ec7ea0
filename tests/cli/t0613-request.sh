#!/bin/bash
# Requests from a ticket system: the same request twice gives one guest; identical requests at
# the same time give one guest; the same request_id with other values, or a different request
# for the same name, is refused (exit 3);
# malformed requests exit 2 with FILE:LINE:COL errors and change nothing; --json is one result.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

cat >"$T/rt1.yaml" <<'Y'
request_id: RT-4711
name: web1
template: lab
vlan: 10
memory: 768M
owner: alice@example.org
install:
  extra: "DEBUG=1"
Y
run 0 "$PROVISION" new-guest --request "$T/rt1.yaml" --until configs --json
python3 - "$T/out" <<'PY' || fail "--json result"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] and j["name"] == "web1" and j["stage"] == "configs", j
assert j["request_id"] == "RT-4711" and j["ip"] == "10.10.0.50" and "error" not in j, j
assert j["mac"].startswith("00:16:3e:") and j["configs"]["boot"].endswith("/web1.boot.cfg"), j
PY
n_checks=$((n_checks + 1))
expect_xl "$T/configs/web1.boot.cfg" memory 768
case "$(xlget "$T/configs/web1.install.cfg" cmdline)" in *" DEBUG=1") ;; *) fail "install extra" ;; esac
expect_eq "$(sql "SELECT request_id, owner FROM guests")" "RT-4711|alice@example.org"
expect_eq "$(sql "SELECT DISTINCT who FROM events WHERE guest = 'web1'")" "request:RT-4711"

# the same request again (from stdin, as JSON this time): the same guest, nothing new
sum=$(world)
cat >"$T/rt1.json" <<'J'
{"request_id": "RT-4711", "name": "web1", "template": "lab", "vlan": 10, "memory": "768M",
 "owner": "alice@example.org", "install": {"extra": "DEBUG=1"}}
J
run 0 "$PROVISION" new-guest --request - --until configs <"$T/rt1.json"
expect_out "request 'RT-4711': guest 'web1' exists (stage configs)"
expect_eq "$(world)" "$sum"
expect_eq "$(sql "SELECT count(*) FROM guests")" 1

# the same request_id with other values: a conflict (exit 3) naming every difference; the
# guest keeps what it was made with, and no event is recorded
sum=$(world)
events=$(sql "SELECT count(*) FROM events")
sed -e 's/memory: 768M/memory: 4G/' -e 's/DEBUG=1/DEBUG=2/' "$T/rt1.yaml" >"$T/rt1b.yaml"
run 3 "$PROVISION" new-guest --request "$T/rt1b.yaml" --until configs
expect_err_line "$T/rt1b.yaml:2:7: error: request 'RT-4711' differs from the one that made guest 'web1': memory 768M, now 4G, install.extra \"DEBUG=1\", now \"DEBUG=2\""
expect_eq "$(cat "$T/out")" ""
expect_eq "$(world)" "$sum"
expect_xl "$T/configs/web1.boot.cfg" memory 768
{ cat "$T/rt1.yaml"; printf 'ip: 10.10.0.60\nmac: "00:16:3e:00:00:01"\nlun: %s\n' "$T/lun1.img"; } |
	sed 's/alice@/bob@/' >"$T/rt1c.yaml"
run 3 "$PROVISION" new-guest --request "$T/rt1c.yaml" --until configs
expect_err "error: request 'RT-4711' differs from the one that made guest 'web1': ip 10.10.0.50, now 10.10.0.60, mac $(sql "SELECT mac FROM guests WHERE name = 'web1'"), now 00:16:3e:00:00:01, lun $T/lun0.img, now $T/lun1.img, owner alice@example.org, now bob@example.org"
# the template the request names is part of it too (-n: the same answer, nothing planned)
sed 's/template: lab/template: debian/' "$T/rt1.yaml" >"$T/rt1d.yaml"
run 3 "$PROVISION" new-guest --request "$T/rt1d.yaml" --until configs -n
expect_err "error: request 'RT-4711' differs from the one that made guest 'web1': template lab, now debian, description"
expect_eq "$(world)" "$sum"
expect_eq "$(sql "SELECT count(*) FROM events")" "$events"
# the same values spelt otherwise are the same request: 768M is 768, the LUN by another name
{ sed 's/memory: 768M/memory: 768/' "$T/rt1.yaml"; printf 'lun: %s//lun0.img\n' "$T"; } >"$T/rt1e.yaml"
run 0 "$PROVISION" new-guest --request "$T/rt1e.yaml" --until configs
expect_out "request 'RT-4711': guest 'web1' exists (stage configs)"
expect_eq "$(world)" "$sum"

# another request for the same name: a conflict (exit 3)
sed 's/RT-4711/RT-4712/' "$T/rt1.yaml" >"$T/rt2.yaml"
run 3 "$PROVISION" new-guest --request "$T/rt2.yaml" --until configs
expect_err "$T/rt2.yaml:2:7: error: guest 'web1' exists for request 'RT-4711', not for request 'RT-4712'"

# identical requests at the same time: one guest
sed -e 's/RT-4711/RT-5000/' -e 's/name: web1/name: web2/' "$T/rt1.yaml" >"$T/rt3.yaml"
for i in 1 2 3 4 5 6; do
	"$PROVISION" new-guest --request "$T/rt3.yaml" --until configs >"$T/c$i.out" 2>&1 &
done
wait
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name = 'web2'")" 1
expect_eq "$(grep -l "ok: guest 'web2': stage configs done" "$T"/c?.out | wc -l)" 6
expect_eq "$(gpt "$T/lun0.img" "$T/lun1.img" | grep -c ' guest:web2 ')" 1

# a request may choose the address and MAC
printf 'request_id: RT-6000\nname: web5\ntemplate: lab\nvlan: 10\nip: 10.10.0.77\nmac: "00:16:3e:aa:bb:cc"\n' >"$T/rt6.yaml"
run 0 "$PROVISION" new-guest --request "$T/rt6.yaml" --until allocate
expect_eq "$(sql "SELECT ip, mac FROM guests WHERE name = 'web5'")" "168427597|00:16:3e:aa:bb:cc"

# malformed requests: exit 2, every error with its place, nothing changed
sum=$(world)
cat >"$T/bad.yaml" <<'Y'
request_id: RT-9
name: Web_9
template: lab
memroy: 1G
disk: lots
vlan: 4095
Y
run 2 "$PROVISION" new-guest --request "$T/bad.yaml"
expect_err_line "$T/bad.yaml:2:7: error: name: invalid guest name 'Web_9' (1 to 63 of a-z, 0-9 and '-', not starting or ending with '-')"
expect_err_line "$T/bad.yaml:4:1: error: unknown key 'memroy' (did you mean 'memory'?)"
printf 'request_id: RT-9\nname: web9\ntemplate: lab\ndisk: lots\nvlan: 4095\n' >"$T/bad2.yaml"
run 2 "$PROVISION" new-guest --request "$T/bad2.yaml"
expect_err "$T/bad2.yaml:4:7: error: disk"
expect_err "$T/bad2.yaml:5:7: error: vlan"
printf '{"request_id": "RT-9", "name": "web9"' >"$T/bad.json"
run 2 "$PROVISION" new-guest --request "$T/bad.json"
expect_err "$T/bad.json:2:1: error: did not find expected ',' or '}'"
printf 'name: web9\ntemplate: lab\n' >"$T/noid.yaml"
run 2 "$PROVISION" new-guest --request "$T/noid.yaml"
expect_err "missing required key 'request_id'"
expect_eq "$(world)" "$sum"
done_testing
