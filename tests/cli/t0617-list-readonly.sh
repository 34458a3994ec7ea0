#!/bin/bash
# list and show only read the inventory: run as nobody against an inventory root made (and
# made readable) they work and change nothing — the database byte for byte, no -wal, -shm or
# journal file created or removed; with a writer connected they see what it committed (the
# -wal, through the read-only -shm); without side files (an older provision's leftover)
# they read the database alone. Not readable: one plain error, exit 1, nothing changed.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
S=$T/state DB=$T/state/inventory.db
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# files: the state directory's entries with their checksums
files() {
	(cd "$S" && find . -mindepth 1 | sort | while read -r f; do
		if [ -f "$f" ]; then echo "$f $(sha256sum <"$f")"; else echo "$f"; fi
	done)
}

run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until allocate
run 0 "$PROVISION" new-guest web2 --template debian --vlan 10 --until allocate
# the writers leave -wal and -shm for readers, with the database's mode
expect_eq "$(stat -c %a "$DB" "$DB-wal" "$DB-shm" | tr '\n' ' ')" "644 644 644 "
chmod o+x "$T"
chmod 0755 "$S"
before=$(files) # (sqlite3, the referee, would remove -wal and -shm: not before the readers)

# readable: list, list --json, show work as nobody, nothing changes
run 0 as_nobody "$PROVISION" list
expect_eq "$(awk 'NR > 1 { print $1, $2 }' "$T/out" | tr '\n' ' ')" "web1 debian web2 debian "
expect_eq "$(cat "$T/err")" ""
run 0 as_nobody "$PROVISION" list --json
python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["guests"]; assert [x["name"] for x in g]==["web1","web2"], g' "$T/out" ||
	fail "list --json as nobody"
run 0 as_nobody "$PROVISION" show web2
expect_out "guest:     web2"
expect_out "stage:     allocate (ok)"
run 1 as_nobody "$PROVISION" show web9
expect_err_line "provision: error: no guest 'web9' in the inventory"
expect_eq "$(files)" "$before"
expect_eq "$(ls "$S" | grep -c '^inventory.db')" 3

# a writer connected, with a committed change still only in -wal: the reader sees it
mkfifo "$T/fifo"
sqlite3 "$DB" <"$T/fifo" >/dev/null &
writer=$!
exec 7>"$T/fifo"
echo "UPDATE guests SET template = 'held' WHERE name = 'web2';" >&7
for _ in $(seq 50); do
	[ "$(sql "SELECT template FROM guests WHERE name = 'web2'")" = held ] && break
	sleep 0.1
done
expect_eq "$(sql "SELECT template FROM guests WHERE name = 'web2'")" held
expect_eq "$(sqlite3 "$DB" 'PRAGMA journal_mode')" wal
held=$(files)
run 0 as_nobody "$PROVISION" list
expect_eq "$(awk '$1 == "web2" { print $2 }' "$T/out")" held
expect_eq "$(files)" "$held"
exec 7>&-
wait "$writer"

# no side files (sqlite3's last close removed them, as an older provision's did): read from
# the database alone, creating none
expect_eq "$(find "$S" -name 'inventory.db-*' | wc -l)" 0
before=$(files)
run 0 as_nobody "$PROVISION" list
expect_eq "$(awk 'NR > 1 { print $1, $2 }' "$T/out" | tr '\n' ' ')" "web1 debian web2 held "
run 0 as_nobody "$PROVISION" show web1
expect_out "guest:     web1"
expect_eq "$(files)" "$before"
# root reads the same way: list as root creates nothing either
run 0 "$PROVISION" list
expect_eq "$(files)" "$before"

# not readable: the database, or the directory holding it
for how in "chmod 0600 $DB" "chmod 0700 $S"; do
	chmod 0755 "$S" && chmod 0644 "$DB"
	$how
	before=$(files)
	for cmd in list "show web1"; do
		# shellcheck disable=SC2086 # the command's words
		run 1 as_nobody "$PROVISION" $cmd
		expect_err_line "provision: error: cannot read the inventory '$DB': Permission denied (read-only commands need read access; run as root)"
		expect_eq "$(cat "$T/out")" ""
	done
	expect_eq "$(files)" "$before"
done
chmod 0755 "$S" && chmod 0644 "$DB"

# a writer again: it still works after the readers, and leaves the side files readable
run 0 "$PROVISION" new-guest web3 --template debian --vlan 10 --until allocate
expect_eq "$(stat -c %a "$DB-wal" "$DB-shm" | tr '\n' ' ')" "644 644 "
run 0 as_nobody "$PROVISION" list
expect_out "web3"
# a side file the reader may not read: named plainly
chmod 0600 "$DB-shm"
run 1 as_nobody "$PROVISION" list
expect_err_line "provision: error: cannot read the inventory '$DB-shm': Permission denied (read-only commands need read access; run as root)"
chmod 0644 "$DB-shm"

# a schema newer than this provision: said plainly, nothing changed
sqlite3 "$DB" "PRAGMA user_version = 99"
before=$(files)
run 1 as_nobody "$PROVISION" list
expect_err "provision: error: inventory schema version 99 is newer than this provision knows ("
expect_eq "$(files)" "$before"

# no inventory at all: an empty list, nothing created
rm -f "$DB" "$DB-wal" "$DB-shm"
before=$(files)
run 0 as_nobody "$PROVISION" list --json
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$T/out")" "{'ok': True, 'guests': []}"
run 0 "$PROVISION" list --json
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$T/out")" "{'ok': True, 'guests': []}"
expect_eq "$(files)" "$before"
done_testing
