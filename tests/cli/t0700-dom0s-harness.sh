#!/bin/bash
# The multi-Dom0 harness itself (tests/cli/dom0s.sh), checked from outside: three simulated
# Dom0s each with its own namespaces, state_dir, loop devices over the shared LUN images,
# trunk, /sys and PROVISION_HOST; sshd between them; provision (SQLite, one inventory per
# Dom0) on each, writing the shared LUNs through its own loop devices; the shared PostgreSQL
# server reachable from every Dom0 when PROVISION_TEST_PG is set. Then, from the outside,
# nothing left: no loop device over the images, no mount, no process, no database; and a
# harness killed by SIGKILL leaves no process (its holders and sshds die with it).
. "$SRCDIR/tests/cli/lib.sh"

if [ "${1:-}" = inner ]; then
	. "$SRCDIR/tests/cli/dom0s.sh"
	echo "T=$T"
	[ -z "${PROVISION_TEST_PG:-}" ] || { dom0s_pg_db; echo "DB=$DOM0S_DB"; }
	# PostgreSQL only for the check below: the guests here use SQLite, one inventory each
	inv=$DOM0S_INV
	DOM0S_INV=
	DOM0S_SITE_SSH=0 # the ssh: key is not used here
	dom0s_luns 2 20G
	dom0s_start 3
	dom0s_ssh
	echo "LOOPS=${DOM0S_LOOP[*]}"
	[ "${2:-}" != killed ] || { echo ready; exec sleep 60; }

	ns() { readlink "/proc/${DOM0S_PID[$1]}/ns/$2"; }
	expect_eq "$(dom0 2 readlink /proc/self/ns/net)" "$(ns 2 net)"
	[ "$(ns 1 net)" != "$(ns 2 net)" ] && [ "$(ns 1 mnt)" != "$(ns 2 mnt)" ] &&
		[ "$(ns 1 net)" != "$(readlink /proc/self/ns/net)" ] || fail "namespaces shared"
	expect_eq "$(dom0 3 sh -c 'echo $PROVISION_HOST')" xen3
	# each Dom0 its own loop device over each image, at the site's path
	for i in 1 2 3; do
		expect_eq "$(dom0 "$i" readlink "$T/fc/lun1")" "${DOM0S_LOOP[$i,1]}"
		expect_eq "$(losetup -n -O BACK-FILE "${DOM0S_LOOP[$i,1]}")" "$T/lun1.img"
	done
	[ "${DOM0S_LOOP[1,0]}" != "${DOM0S_LOOP[2,0]}" ] || fail "xen1 and xen2 share a loop device"
	expect_eq "$(readlink "$T/fc/lun0")" "$T/lun0.img"
	# state_dir: each its own
	dom0 1 touch "$T/state/mine"
	[ -e "$T/dom0/xen1/state/mine" ] && [ ! -e "$T/dom0/xen2/state/mine" ] &&
		[ ! -e "$T/state/mine" ] && ! dom0 2 test -e "$T/state/mine" || fail "state_dir shared"
	n_checks=$((n_checks + 2))
	# the trunk, in each Dom0 and not here
	dom0 2 ip link show vtrunk >/dev/null || fail "no trunk in xen2"
	! ip link show vtrunk >/dev/null 2>&1 || fail "a trunk outside the Dom0s"
	# ssh from xen1 to xen2 lands in xen2's namespaces with xen2's environment
	run 0 dom0 1 ssh -F "$T/ssh/config" xen2 'echo $PROVISION_HOST; readlink /proc/self/ns/net /proc/self/ns/mnt; command -v provision'
	expect_eq "$(cat "$T/out")" "$(printf 'xen2\n%s\n%s\n%s\n' "$(ns 2 net)" "$(ns 2 mnt)" "$T/bin/provision")"
	# a host key the client does not know is refused
	run 255 dom0 1 ssh -F "$T/ssh/config" -o HostKeyAlias=xen3 xen2 true
	expect_err "Host key verification failed"
	# and sshd listens on mgmt0's address only
	expect_eq "$(dom0 2 ss -Htln | awk '{print $4}')" "198.18.0.2:22"

	# provision on two Dom0s, SQLite: each its own inventory; both carve the shared LUNs,
	# each through its own loop devices (the second reads what the first wrote)
	run 0 prov 1 new-guest a1 --template lab --vlan 10 --disk 5G --swap 64M --until configs
	expect_out "ok: guest 'a1': stage configs done"
	[ -s "$T/dom0/xen1/state/inventory.db" ] && [ ! -e "$T/dom0/xen2/state/inventory.db" ] ||
		fail "the inventory is not in xen1's state_dir"
	n_checks=$((n_checks + 1))
	if dom0s_has_command hosts; then # with PROVISION_HOST (integrator, issue 11)
		expect_eq "$(sqlite3 "$T/dom0/xen1/state/inventory.db" "SELECT name, host FROM guests")" "a1|xen1"
	fi
	expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f1,4)" "1 guest:a1"
	run 0 prov 2 lun list --json
	python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["luns"]; assert any(p.get("name")=="guest:a1" for x in l for p in x["partitions"]), l' "$T/out" ||
		fail "xen2 does not see xen1's partition"
	n_checks=$((n_checks + 1))
	# the configs in the shared config_dir, the bridge in xen1 only, the alias in xen1's /dev
	[ -e "$T/configs/a1.boot.cfg" ] || fail "no config"
	dom0 1 ip link show br10 >/dev/null || fail "no bridge in xen1"
	! dom0 2 ip link show br10 >/dev/null 2>&1 || fail "a bridge in xen2"
	expect_eq "$(dom0 1 readlink "$T/fc/lun0p1")" "${DOM0S_LOOP[1,0]}p1"
	! dom0 2 test -e "$T/fc/lun0p1" || fail "xen1's partition alias in xen2"
	n_checks=$((n_checks + 3))

	if [ -n "$inv" ]; then
		DOM0S_INV=$inv
		expect_eq "$(psql_inv 'SELECT 1' 2>&1)" 1
		expect_eq "$(dom0 3 psql -X -At "$DOM0S_INV" -c 'SELECT 2' 2>&1)" 2
	fi
	done_testing
	exit 0
fi

# the outside: run the harness, then look for what it left
[ "$(id -u)" = 0 ] || { echo "skip: not root"; exit 77; }
bash "$0" inner >"$T/inner" 2>&1
st=$?
cat "$T/inner"
[ $st = 0 ] || fail "the harness run failed (exit $st)"
it=$(sed -n 's/^T=//p' "$T/inner")
db=$(sed -n 's/^DB=//p' "$T/inner")
[ -n "$it" ] || fail "the harness printed no T"
[ ! -e "$it" ] || fail "$it left behind"
expect_eq "$(losetup -a | grep -F "$it/")" ""
expect_eq "$(findmnt -rn -o TARGET | grep -F "$it")" ""
expect_eq "$(pgrep -f -- "$it/" || true)" ""
# nor a partition the kernel was told about on the loop devices (they outlive a detach; one
# that another test attached meanwhile has that test's)
for l in $(sed -n 's/^LOOPS=//p' "$T/inner"); do
	losetup "$l" >/dev/null 2>&1 && continue
	expect_eq "$(ls -d "/sys/block/${l#/dev/}/${l#/dev/}p"* 2>/dev/null)" ""
done
if [ -n "$db" ]; then
	expect_eq "$(psql -X -At "$PROVISION_TEST_PG" -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" 0
fi

# killed by SIGKILL: the holders (tail --pid) and the sshds (parent-death signal) go too
bash "$0" inner killed >"$T/inner" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$T/inner" && break; sleep 0.2; done
grep -q '^ready$' "$T/inner" || { cat "$T/inner"; kill -KILL $pid; fail "the harness did not start"; }
it=$(sed -n 's/^T=//p' "$T/inner")
db=$(sed -n 's/^DB=//p' "$T/inner")
pgrep -f -- "sshd -D -e -f $it/" >/dev/null || fail "no sshd running before the kill"
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 30); do # tail --pid polls once a second
	[ -z "$(pgrep -f -- "$it/"; pgrep -f -- "tail --pid=$pid ")" ] && break
	sleep 0.2
done
expect_eq "$(pgrep -f -- "$it/"; pgrep -f -- "tail --pid=$pid ")" ""
# what only the trap removes: the loop devices and the scratch directory (and database)
for l in $(losetup -a | grep -F "$it/" | cut -d: -f1); do losetup -d "$l"; done
rm -rf "$it"
[ -z "$db" ] || psql -q -X "$PROVISION_TEST_PG" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
done_testing
