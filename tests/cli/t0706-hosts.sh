#!/bin/bash
# `provision hosts [--json]` after runs on three simulated Dom0s sharing a PostgreSQL
# inventory: each Dom0 listed once by its PROVISION_HOST with the bridges its network stage
# left (checked in its own namespace with ip link), when it was last seen, and for the Xen
# fields what a Dom0 without Xen is recorded with: no version (null, "-"), memory 0. Read
# back with psql as well.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_db
dom0s_luns 1
dom0s_awaits_pg
dom0s_start 3
args=(--template lab --vlan 10 --disk 5G --swap 64M --until network)

t0=$(date +%s)
run 0 prov 1 new-guest h1 "${args[@]}" --until carve
# the guests' allocate and carve stages do not register a Dom0
run 0 prov 1 hosts --json
expect_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hosts"])' "$T/out")" "[]"
run 0 prov 1 resume h1 --until network
run 0 prov 2 new-guest h2 "${args[@]}"
run 0 prov 3 new-guest h3 "${args[@]}"
# the network stage does
expect_eq "$(psql_inv "SELECT string_agg(name || ':' || coalesce(xen_version, '-') || ':' || mem_total
	|| ':' || mem_free || ':' || coalesce(bridges, '-'), ' ' ORDER BY name) FROM hosts")" \
	"xen1:-:0:0:br10 xen2:-:0:0:br10 xen3:-:0:0:br10"
for d in 1 2 3; do
	dom0 "$d" ip link show br10 >/dev/null || fail "no br10 in xen$d"
done
t1=$(date +%s)

run 0 prov 2 hosts --json
python3 - "$T/out" "$t0" "$t1" <<'PY' || fail "hosts --json"
import datetime, json, sys
doc = json.load(open(sys.argv[1]))
t0, t1 = int(sys.argv[2]), int(sys.argv[3])
assert doc["ok"] is True, doc
hosts = doc["hosts"]
assert [h["name"] for h in hosts] == ["xen1", "xen2", "xen3"], hosts
for h in hosts:
    assert set(h) >= {"name", "xen_version", "memory_total", "memory_free", "bridges", "last_seen"}, h
    assert h["self"] == (h["name"] == "xen2"), h
    assert h["xen_version"] is None and h["memory_total"] == 0 and h["memory_free"] == 0, h
    assert h["bridges"] == ["br10"], h
    assert h["last_seen"].endswith("Z"), h  # RFC 3339, UTC
    seen = datetime.datetime.fromisoformat(h["last_seen"][:-1] + "+00:00").timestamp()
    assert t0 - 1 <= seen <= t1 + 1, (h, t0, t1)
PY
n_checks=$((n_checks + 1))
run 0 prov 3 hosts
expect_eq "$(awk 'NR > 1 { print $1, $2, $3, $4, $NF }' "$T/out" | tr '\n' ';')" \
	"xen1 - - - br10;xen2 - - - br10;xen3 - - - br10;"
expect_eq "$(head -1 "$T/out" | tr -s ' ')" "HOST XEN MEMORY FREE LAST SEEN BRIDGES"

# a later run refreshes its own Dom0 only
s1=$(psql_inv "SELECT seen_usec FROM hosts WHERE name = 'xen1'")
s2=$(psql_inv "SELECT seen_usec FROM hosts WHERE name = 'xen2'")
run 0 prov 1 new-guest h4 "${args[@]}"
[ "$(psql_inv "SELECT seen_usec FROM hosts WHERE name = 'xen1'")" -gt "$s1" ] || fail "xen1 not refreshed"
expect_eq "$(psql_inv "SELECT seen_usec FROM hosts WHERE name = 'xen2'")" "$s2"
expect_eq "$(psql_inv "SELECT count(*) FROM hosts")" 3
done_testing
