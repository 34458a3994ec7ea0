#!/bin/bash
# 32 concurrent `new-guest --until configs` spread over 4 simulated Dom0s (tests/cli/dom0s.sh)
# sharing two 200 GiB LUNs and one PostgreSQL inventory: room for 12 guests of 30G. Each run
# finishes or fails cleanly with "no space" (exit 1, README); no partition, MAC, IP or name is
# handed out twice although every Dom0 writes the LUNs through block devices of its own (its
# flock holds on that Dom0 only: what serialises the carves is the inventory's LUN lock).
# Referees: sfdisk --json of both LUNs against the inventory read by psql, config_dir, and the
# bridge in each Dom0's own namespace.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_db
dom0s_luns 2
dom0s_awaits_pg
dom0s_start 4

N=32
for i in $(seq -w 1 $N); do
	d=$(((10#$i - 1) % 4 + 1))
	echo "$d" >"$T/dom0-$i"
	{
		prov "$d" new-guest "lab$i" --template lab --vlan 10 --disk 30G --swap 64M \
			--until configs >"$T/run$i.out" 2>"$T/run$i.err"
		echo $? >"$T/run$i.rc"
	} &
done
wait
ok=0 nospace=0
for i in $(seq -w 1 $N); do
	rc=$(cat "$T/run$i.rc")
	if [ "$rc" = 0 ] && grep -q "^ok: guest 'lab$i': stage configs done" "$T/run$i.out"; then
		ok=$((ok + 1))
		echo "lab$i xen$(cat "$T/dom0-$i")" >>"$T/done"
	elif [ "$rc" = 1 ] &&
		grep -Eq "no (space|room) for a (partition of 30G|30G partition) for guest 'lab$i'" "$T/run$i.err"; then
		nospace=$((nospace + 1))
	else
		cat "$T/run$i.out" "$T/run$i.err" >&2
		fail "lab$i (on xen$(cat "$T/dom0-$i")) exited $rc: neither finished nor failed with 'no space'"
	fi
done
expect_eq "$((ok + nospace))" $N
expect_eq "$ok" 12 # 6 x 30G on each 200G LUN

# the GPTs against the inventory: 12 partitions, one guest:NAME each, no overlap, no
# reservation left uncarved, MACs and IPs distinct
dom0s_check_places
expect_eq "$(dom0s_places | grep -c ' guest:lab')" 12
expect_eq "$(psql_inv "SELECT count(*), count(DISTINCT mac), count(DISTINCT ip), count(DISTINCT partuuid)
	FROM guests WHERE destroyed_usec IS NULL")" "12|12|12|12"
# each guest runs on the Dom0 that made it; the refused ones left no live row
expect_eq "$(psql_inv "SELECT name || ' ' || host FROM guests WHERE destroyed_usec IS NULL ORDER BY name")" \
	"$(sort "$T/done")"
expect_eq "$(psql_inv "SELECT count(*) FROM events WHERE what = 'allocate' AND result = 'refused'")" 20
# configs for exactly the 12, in the shared config_dir
expect_eq "$(ls "$T/configs" | wc -l)" 24
# the bridge in every Dom0 that ran a guest's network stage, in its own namespace
for d in $(cut -d' ' -f2 "$T/done" | sort -u | tr -d xen); do
	expect_eq "$(dom0 "$d" cat /sys/class/net/vtrunk/master/uevent | sed -n 's/^INTERFACE=//p')" br10
done
# no Dom0 kept an inventory of its own
for d in 1 2 3 4; do
	[ ! -e "$T/dom0/xen$d/state/inventory.db" ] || fail "xen$d has a SQLite inventory"
	n_checks=$((n_checks + 1))
done
done_testing
