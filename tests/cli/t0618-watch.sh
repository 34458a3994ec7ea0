#!/bin/bash
# provision start NAME refuses a guest that has not been booted (exit 3, nothing changed), and
# an unknown one. provision watch NAME, the guest's watcher (provision/watch.c), as far as a
# host without Xen lets it go: an unknown guest is bad input and makes nothing (no lock file); a second watcher
# of a guest steps aside at once (exit 0) while the first holds watch.lock; with no Xen here the
# watcher says so and fails. What it does with a real domain's reboot and poweroff is proven in
# the lab (tests/lab/tests/e2e.sh).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
S=$T/state

run 0 "$PROVISION" new-guest web1 --template debian --vlan 10 --until allocate

inv_before=$(sql "SELECT name, stage, state FROM guests")
run 3 "$PROVISION" start web1
expect_err_line "provision: error: guest 'web1' has not been booted yet (stage allocate)"
expect_err_line "provision: note: 'provision resume web1' continues it"
expect_eq "$(sql "SELECT name, stage, state FROM guests")" "$inv_before"
run 1 "$PROVISION" start web9
expect_err_line "provision: error: no guest 'web9' in the inventory"

run 2 "$PROVISION" watch web9
expect_err_line "provision: error: no guest 'web9' in the inventory"
[ ! -e "$S/guests/web9" ] || fail "watch of an unknown guest made $S/guests/web9"

# the first watcher's lock held: the second one has nothing to do
mkdir -p "$S/guests/web1"
exec 8>"$S/guests/web1/watch.lock"
flock 8
run 0 "$PROVISION" watch web1
expect_out "web1: another watcher has it ($S/guests/web1/watch.lock): nothing to do"
exec 8>&-

run 1 "$PROVISION" watch web1
grep -q "^provision: error: cannot watch 'web1': no Xen here, not a Xen dom0" "$T/err" ||
	fail "no Xen: $(cat "$T/err")"
flock -n "$S/guests/web1/watch.lock" true || fail "the watcher left its lock held"
done_testing
