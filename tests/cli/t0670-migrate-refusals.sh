#!/bin/bash
# check-migrate, migrate, evacuate and rebalance refuse what needs no Xen to refuse, each
# precondition on its own line, with the exit status of README's table: an unknown guest or
# Dom0 and an inventory that is not shared are bad input (2), a guest that does not run is a
# conflict (3 when nothing else is wrong; bad input wins). migrate-receive is hidden and has
# no --json. The moves themselves need Xen and two Dom0s: tests/lab (doc/migrate.md).
. "$SRCDIR/tests/cli/lib.sh"
mkdir -p "$T/configs" "$T/state"
sed "s|@T@|$T|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$T/site.yaml"
truncate -s 20G "$T/lun0.img"
truncate -s 1G "$T/lun1.img"
export PROVISION_SITE=$T/site.yaml PROVISION_HOST=dom0a

run 2 "$PROVISION" check-migrate web1
expect_err_line "provision: error: 'check-migrate' needs --to HOST"
run 2 "$PROVISION" migrate web1 --to dom0b
expect_err_line "provision: error: no guest 'web1' in the inventory"
run 2 "$PROVISION" check-migrate Bad_Name --to dom0b

# a guest that was only allocated, in this Dom0's own SQLite inventory
run 0 "$PROVISION" lun init "$T/lun0.img"
run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until allocate
run 2 "$PROVISION" check-migrate web1 --to dom0b
expect_out "FAIL  inventory  sqlite: this Dom0's alone (a shared PostgreSQL inventory is needed)"
expect_out "FAIL  target     no Dom0 'dom0b' in the inventory ('provision hosts' lists them)"
expect_out "FAIL  guest      'web1' is at stage allocate (ok), not running"
expect_err_line "provision: error: 'web1' cannot move to Dom0 'dom0b': inventory: sqlite: this Dom0's alone (a shared PostgreSQL inventory is needed)"
run 2 "$PROVISION" check-migrate web1 --to dom0a
expect_out "FAIL  target     'dom0a' is this Dom0, where 'web1' runs"
run 2 "$PROVISION" migrate web1 --to dom0b -n
expect_out "FAIL  guest      'web1' is at stage allocate (ok), not running"
grep -q "would move" "$T/out" && fail "migrate -n planned a refused move"

# --json: the checks in the envelope, the same exit status
run 2 "$PROVISION" check-migrate web1 --to dom0b --json
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["error"]["exit_status"] == 2, d
assert d["name"] == "web1" and d["to"] == "dom0b", d
c = {x["check"]: x for x in d["checks"]}
assert c["inventory"]["ok"] is False and c["inventory"]["result"] == "bad-input", c
assert c["guest"]["result"] == "busy", c
' "$T/out" || fail "check-migrate --json"
n_checks=$((n_checks + 1))

# evacuate and rebalance need the shared inventory
run 2 "$PROVISION" evacuate dom0a -n
expect_err "needs the site's shared PostgreSQL inventory"
run 2 "$PROVISION" rebalance -n
expect_err "needs the site's shared PostgreSQL inventory"
run 2 "$PROVISION" rebalance -n --min-gain lots

# migrate-receive: hidden, no --json, and it receives nothing it was not sent
run 0 "$PROVISION" help
grep -q "migrate-receive" "$T/out" && fail "migrate-receive is in the main help"
n_checks=$((n_checks + 1))
run 2 "$PROVISION" migrate-receive web1 --json
expect_err "'migrate-receive' has no --json output"
run 2 "$PROVISION" migrate-receive web1 --check --config-sum xyz

done_testing
