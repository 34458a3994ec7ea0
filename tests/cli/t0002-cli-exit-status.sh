#!/bin/bash
# The one exit-status table (README "Exit status"): 0 done, 1 failed (also: not done because
# the admin said no), 2 usage error or bad input, 3 conflict or busy. Each case that once
# differed between commands, run through every command that meets it; and -n/--json only in
# the help of the commands that take them.
. "$SRCDIR/tests/cli/lib.sh"
mkdir -p "$T/configs" "$T/state" "$T/templates"
sed "s|@T@|$T|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$T/site.yaml"
truncate -s 1G "$T/lun0.img" "$T/lun1.img"
export PROVISION_SITE=$T/site.yaml

# an unknown template: 2 from the command line, a request, a batch file, render, template show
run 2 "$PROVISION" new-guest web1 --template nosuch --vlan 10
expect_err "unknown template 'nosuch'"
printf 'request_id: RT-1\nname: web1\ntemplate: nosuch\nvlan: 10\n' >"$T/req.yaml"
run 2 "$PROVISION" new-guest --request "$T/req.yaml"
expect_err "unknown template 'nosuch'"
printf 'template: nosuch\nvlan: 10\nnames: [lab1, lab2]\n' >"$T/batch.yaml"
run 2 "$PROVISION" batch "$T/batch.yaml"
expect_err "unknown template 'nosuch'"
run 2 "$PROVISION" render web1 --template nosuch --vlan 10
run 2 "$PROVISION" template show nosuch
run 2 "$PROVISION" new-guest web1 --template "$T/nosuch.yaml" --vlan 10

# a bad --memory, a VLAN the site does not have, no VLAN at all: bad input
for cmd in new-guest render; do
	run 2 "$PROVISION" $cmd web1 --template debian --vlan 10 --memory lots
	expect_err "memory"
	run 2 "$PROVISION" $cmd web1 --template debian --vlan 99
	expect_err "VLAN 99"
	run 2 "$PROVISION" $cmd web1 --template debian
	expect_err_line "provision: error: no VLAN for 'web1': give --vlan or set vlan: in template 'debian'"
done
run 2 "$PROVISION" new-guest web1 --template debian --vlan 10 --ip 10.10.0.1
run 2 "$PROVISION" net ensure 99
expect_err_line "provision: error: VLAN 99 is not in the site file '$T/site.yaml'"
run 2 "$PROVISION" net check 99
# nothing was made by any of them
expect_eq "$(find "$T/configs" "$T/state" -mindepth 1 | wc -l)" 0

# destroy: a script without --yes is a usage error (2); an admin who says no: not done (1)
run 2 "$PROVISION" destroy web1 </dev/null
expect_err "not destroying 'web1': give --yes"
# on a terminal (stdin a pty; stdout and stderr as they are), answering "n"
answer_on_pty() {
	python3 - "$@" <<'PY'
import os, sys
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.dup2(slave, 0)
    os.execv(sys.argv[2], sys.argv[2:])
os.write(master, sys.argv[1].encode() + b"\n")
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
run 1 answer_on_pty n "$PROVISION" destroy web1
expect_err "destroy guest 'web1', wipe its partition and free its addresses? [y/N] provision: error: not destroying 'web1': not confirmed"
run 1 answer_on_pty n "$PROVISION" destroy web1 --json
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["error"] == {"message": "not destroying '\''web1'\'': not confirmed", "exit_status": 1}, d' \
	"$T/out" || fail "declined destroy --json"
n_checks=$((n_checks + 1))

# -n only where it is taken: refused elsewhere, and in help only where it is taken
run 2 "$PROVISION" list -n
expect_err_line "provision: error: 'list' does not take -n/--dry-run: it changes nothing"
run 2 "$PROVISION" show web1 --dry-run
for c in "new-guest" "resume" "destroy" "batch" "render" "net ensure" "lun init" "lun carve" \
	"disk prepare" "disk release"; do
	run 0 "$PROVISION" help $c
	expect_out "-n, --dry-run"
done
for c in "list" "show" "net check" "lun list" "template list" "template show" "template check" \
	"fai-monitor" "help"; do
	run 0 "$PROVISION" help $c
	grep -q -- "--dry-run" "$T/out" && fail "'help $c' lists --dry-run"
	n_checks=$((n_checks + 1))
done
# --json neither for the commands without JSON output
for c in "fai-monitor" "help"; do
	run 0 "$PROVISION" help $c
	grep -q -- "--json" "$T/out" && fail "'help $c' lists --json"
	run 2 "$PROVISION" $c --json
	expect_err "'$c' has no --json output"
done
run 0 "$PROVISION" help list
expect_out "--json"
done_testing
