#!/bin/bash
# new-guest --host: run on xen1, the stages from network on run on the chosen Dom0 through the
# site's ssh command: a real sshd in each simulated Dom0 (tests/cli/dom0s.sh), reached over
# the test's own management link, root's key made here, host keys in a test known_hosts. The
# bridge of the guest's VLAN appears in that Dom0's namespace only (ip link in each); sshd's
# log shows the login from xen1. --host auto picks the registered Dom0 with the most free
# memory (as the Dom0s' Xen would report it: written into the inventory with psql, there is
# no Xen here); an unknown --host is refused before anything is allocated.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_db
dom0s_luns 1
dom0s_awaits_pg
dom0s_start 3
dom0s_ssh
grep -qx "ssh: \[ssh, -F, $T/ssh/config\]" "$T/site.yaml" || fail "no ssh: in the site"
args=(--template lab --vlan 10 --disk 5G --swap 64M)

# every Dom0 registers with a run of its own; then no Dom0 has the VLAN's bridge (a tagged
# VLAN would need 802.1q, which the test machine may lack)
for d in 1 2 3; do
	run 0 prov "$d" new-guest "r$d" "${args[@]}" --until network
	dom0 "$d" ip link del br10 || fail "cannot remove br10 in xen$d"
done
expect_eq "$(psql_inv "SELECT string_agg(name, ' ' ORDER BY name) FROM hosts")" "xen1 xen2 xen3"

run 0 prov 1 new-guest web1 "${args[@]}" --host xen2 --until configs
expect_out "stages network to configs of 'web1' run on Dom0 'xen2'"
expect_eq "$(psql_inv "SELECT host, stage, state FROM guests WHERE name = 'web1'")" "xen2|configs|ok"
dom0 2 ip link show br10 >/dev/null || fail "no br10 in xen2"
expect_eq "$(dom0 2 cat /sys/class/net/vtrunk/master/uevent | sed -n 's/^INTERFACE=//p')" br10
! dom0 1 ip link show br10 >/dev/null 2>&1 || fail "br10 in xen1"
! dom0 3 ip link show br10 >/dev/null 2>&1 || fail "br10 in xen3"
n_checks=$((n_checks + 3))
grep -q "Accepted publickey for root from 198.18.0.1 " "$T/dom0/xen2/sshd.log" ||
	fail "sshd of xen2 saw no login from xen1"
n_checks=$((n_checks + 1))
[ -e "$T/configs/web1.boot.cfg" ] || fail "no configs for web1"
n_checks=$((n_checks + 1))

# auto: the Dom0 with the most free memory, as its Xen would have said
G=$((1 << 30))
psql_inv "UPDATE hosts SET xen_version = '4.17.3', mem_total = 16 * $G::bigint,
	mem_free = CASE name WHEN 'xen3' THEN 8 * $G::bigint WHEN 'xen2' THEN 4 * $G::bigint ELSE 2 * $G::bigint END" >/dev/null ||
	fail psql
run 0 prov 1 new-guest web2 "${args[@]}" --host auto --until configs
expect_out "stages network to configs of 'web2' run on Dom0 'xen3'"
expect_eq "$(psql_inv "SELECT host, stage FROM guests WHERE name = 'web2'")" "xen3|configs"
dom0 3 ip link show br10 >/dev/null || fail "no br10 in xen3"
! dom0 1 ip link show br10 >/dev/null 2>&1 || fail "br10 in xen1"
n_checks=$((n_checks + 2))

# batch --host auto: the plan spreads the guests (each one's memory taken off where it goes;
# equal memory: the Dom0 with fewer guests), and the run puts each where the plan said
psql_inv "UPDATE hosts SET mem_free = 4 * $G::bigint" >/dev/null || fail psql
small='{disk: 5G, swap: 64M}'
printf 'template: lab\nvlan: 10\nnames: "lab{1..3}"\noverrides: {lab1: %s, lab2: %s, lab3: %s}\n' \
	"$small" "$small" "$small" >"$T/course.yaml"
run 0 prov 1 batch "$T/course.yaml" --host auto --until configs -n --json
plan=$(python3 -c 'import json, sys; print(" ".join(g["host"] for g in json.load(open(sys.argv[1]))["guests"]))' "$T/out")
expect_eq "$(echo "$plan" | tr ' ' '\n' | sort | paste -sd' ')" "xen1 xen2 xen3"
run 0 prov 1 batch "$T/course.yaml" --host auto --until configs
expect_eq "$(psql_inv "SELECT string_agg(host, ' ' ORDER BY name) FROM guests WHERE name LIKE 'lab%' AND destroyed_usec IS NULL")" \
	"$plan"
for d in 1 2 3; do
	dom0 "$d" ip link show br10 >/dev/null || fail "no br10 in xen$d after the batch"
done
n_checks=$((n_checks + 3))

# an unknown Dom0: refused before anything is allocated
run 2 prov 1 new-guest web3 "${args[@]}" --host xen9 --until configs
expect_err "--host: no Dom0 'xen9' in the inventory"
expect_eq "$(psql_inv "SELECT count(*) FROM guests WHERE name = 'web3'")" 0
dom0s_check_places
done_testing
