#!/bin/bash
# A one-Dom0 site moves to PostgreSQL as README says: `provision inventory export > inv.json`
# with the SQLite site, the site file switched to `inventory: postgresql://...`, then
# `provision inventory import inv.json`. The inventory has a history: guests done, failed
# (the install stage, no Xen here), destroyed, and a name destroyed and made again. `list
# --all --json` is the same before and after, the rows (psql against sqlite3) too; a new guest
# after the move gets new ids; a second import into the now non-empty inventory is refused
# (exit 3) and changes nothing.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_db
pg=$DOM0S_INV
DOM0S_INV= # SQLite first
dom0s_luns 2
dom0s_start 1
dom0s_awaits "inventory export (h-pg)" "$PROVISION" inventory export
args=(--template lab --vlan 10 --disk 10G --swap 64M)

run 0 prov 1 new-guest a1 "${args[@]}" --until configs
run 0 prov 1 new-guest a2 "${args[@]}" --until configs
run 1 prov 1 resume a2 # install: not a Xen dom0
run 0 prov 1 new-guest a3 "${args[@]}" --until format
run 0 prov 1 destroy a3 --yes
run 0 prov 1 new-guest a4 "${args[@]}" --until configs
run 0 prov 1 destroy a4 --yes
run 0 prov 1 new-guest a4 "${args[@]}" --memory 1G --until configs
db=$T/dom0/xen1/state/inventory.db
expect_eq "$(sqlite3 "$db" "SELECT name || ':' || state FROM guests ORDER BY id" | tr '\n' ' ')" \
	"a1:ok a2:failed a3:destroyed a4:destroyed a4:ok "

run 0 prov 1 list --all --json
cp "$T/out" "$T/before.json"
run 0 prov 1 inventory export
cp "$T/out" "$T/inv.json"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/inv.json" || fail "the export is not JSON"
rows() { # the rows that must move, as sqlite3 or psql print them
	echo "SELECT id, name, template, vlan, coalesce(host, '-'), lun, part_start, part_size,
		coalesce(partuuid, '-'), partno, mac, ip, coalesce(stage, '-'), state,
		coalesce(error, '-'), created_usec, updated_usec, coalesce(destroyed_usec, 0),
		coalesce(fs_uuid, '-'), coalesce(failed_stage, '-'), md5(coalesce(spec, '')) FROM guests ORDER BY id;
	SELECT guest_id, stage, done_usec FROM stages ORDER BY guest_id, stage;
	SELECT id, at_usec, coalesce(guest_id, 0), coalesce(guest, '-'), who, what, result,
		coalesce(message, '-') FROM events ORDER BY id"
}
# (sqlite3 has no md5(): compare the spec through a digest computed here)
sqlite3 "$db" "$(rows | sed 's/md5(coalesce(spec, \x27\x27))/length(coalesce(spec, \x27\x27))/')" >"$T/rows.sqlite"

# the switch, as README says
DOM0S_INV=$pg
dom0s_site
# an export that is not this Dom0's own inventory: refused before the database is touched
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["events"].pop(); json.dump(d, open(sys.argv[2], "w"))' \
	"$T/inv.json" "$T/other.json"
run 3 prov 1 inventory import "$T/other.json"
expect_err "provision: error: '$T/state/inventory.db' holds 3 live guests and is not what is imported: import its own export ('provision inventory export' with the site file that has no 'inventory:')"
expect_eq "$(psql_inv "SELECT to_regclass('guests') IS NULL")" t
[ -f "$db" ] || fail "the refused import moved inventory.db"
run 0 prov 1 inventory import "$T/inv.json"
# the SQLite file is kept as it was, under a name the backend-switch guard does not read
[ ! -e "$db" ] && [ -f "$db.moved" ] || fail "inventory.db was not retired to inventory.db.moved"
expect_out "imported '$T/inv.json' into the postgresql inventory"
run 0 prov 1 list --all --json
expect_eq "$(cat "$T/out")" "$(cat "$T/before.json")"
psql_inv "$(rows | sed 's/md5(coalesce(spec, \x27\x27))/length(coalesce(spec, \x27\x27))/')" >"$T/rows.pg" || fail psql
expect_eq "$(cat "$T/rows.pg")" "$(cat "$T/rows.sqlite")"
# the guests go on from PostgreSQL: a4's configs are its own, resume is a no-op, and a new
# guest gets an id after the imported ones and a place no imported guest holds
run 0 prov 1 resume a4 --until configs
expect_out "ok: guest 'a4': stage configs done"
run 0 prov 1 new-guest a5 "${args[@]}" --until configs
expect_eq "$(psql_inv "SELECT id > (SELECT max(id) FROM guests WHERE name <> 'a5') FROM guests WHERE name = 'a5'")" t
dom0s_check_places

# a second import: refused, nothing changed
before=$(psql_inv "SELECT count(*) FROM guests")$(psql_inv "SELECT count(*) FROM events")
run 3 prov 1 inventory import "$T/inv.json"
expect_eq "$(psql_inv "SELECT count(*) FROM guests")$(psql_inv "SELECT count(*) FROM events")" "$before"
done_testing
