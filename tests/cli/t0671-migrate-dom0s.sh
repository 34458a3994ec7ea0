#!/bin/bash
# check-migrate between two simulated Dom0s (tests/cli/dom0s.sh) sharing a LUN and one
# PostgreSQL inventory, with a real sshd in each: the source's own lines, then the target's,
# run there through the site's ssh command and read back; the guest's Dom0 runs it when
# asked elsewhere; migrate -n refuses the same and moves nothing; migrate-receive refuses a
# guest no migrate holds. No Xen here: the guest never runs (exit 3) and the target says it
# is no Xen dom0. The move itself is the lab's (doc/migrate.md).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_db
dom0s_luns 1
dom0s_awaits_pg
dom0s_awaits "check-migrate" dom0s_has_command check-migrate
dom0s_start 2
dom0s_ssh
args=(--template lab --vlan 10 --disk 5G --swap 64M)

run 0 prov 1 new-guest web1 "${args[@]}" --until configs
run 0 prov 2 new-guest r2 "${args[@]}" --until network
expect_eq "$(psql_inv "SELECT host FROM guests WHERE name = 'web1'")" xen1
# the Dom0s' Xen as they would report it (there is none here)
psql_inv "UPDATE hosts SET xen_version = '4.17.3', mem_total = 8589934592, mem_free = 4294967296" >/dev/null

run 3 prov 1 check-migrate web1 --to xen2
expect_out "ok    inventory  postgresql, shared by the Dom0s"
expect_out "ok    target     Dom0 'xen2' is registered"
expect_out "ok    xen        Xen 4.17.3 here, 4.17.3 on 'xen2'"
expect_out "FAIL  guest      'web1' is at stage configs (ok), not running"
expect_out "ok    config     '$T/configs/web1.boot.cfg' here"
# xen2's own, over ssh
expect_out "FAIL  xen-here   not a Xen dom0 (no /dev/xen/privcmd)"
expect_out "ok    bridge     'br10' for VLAN 10 here"
grep -q "^FAIL  memory     cannot tell: no Xen here$" "$T/out" || fail "no memory line"
n_checks=$((n_checks + 1))
# xen2 finds the partition xen1 carved: it reads the GPT past its own page cache and tells
# its kernel (BLKPG), as the target of a migration must
expect_out "ok    partition  '$T/fc/lun"
expect_out "ok    shared-config '$T/configs/web1.boot.cfg' here is the source's"
expect_out "ok    answers    Dom0 'xen2' ran the checks"
grep -q "Accepted publickey for root from 198.18.0.1 " "$T/dom0/xen2/sshd.log" ||
	fail "sshd of xen2 saw no login from xen1"
n_checks=$((n_checks + 1))

# asked on xen2, it runs on the guest's Dom0
run 3 prov 2 check-migrate web1 --to xen2
expect_out "'web1' runs on Dom0 'xen1': check-migrate there"

# migrate -n: the same refusal, nothing moved
run 3 prov 1 migrate web1 --to xen2 -n
expect_eq "$(psql_inv "SELECT host FROM guests WHERE name = 'web1'")" xen1

# migrate-receive started by hand: nobody holds the guest's lock
run 1 prov 2 migrate-receive web1 </dev/null
expect_out "provision-migrate 1 refused no migrate holds the guest's lock: not started by 'provision migrate'"

done_testing
