#!/bin/bash
# The inventory's LUN lock holds across Dom0s and goes with a holder that dies: new-guest k1 on
# xen1 is stopped (strace injects SIGSTOP) at its carve's first flock of the LUN's block
# device, which comes after it took the LUN's lock in the inventory; PostgreSQL shows two
# session advisory locks of one session: its guest's and another, the LUN's. new-guest k2 on xen2 (its own block
# device, so no flock stands between them) waits at its carve. kill -9 of k1: k2 carves within
# seconds. Then k1 is resumed and destroyed with nothing left: the GPT against the inventory
# (sfdisk, psql), no advisory lock held, nothing of k1 in xen1's state_dir.
. "$SRCDIR/tests/cli/lib.sh"
command -v strace >/dev/null || { echo "skip: no strace"; exit 77; }
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_db
dom0s_luns 1
dom0s_awaits_pg
dom0s_start 2
loop1=${DOM0S_LOOP[1,0]}
args=(--template lab --vlan 10 --disk 10G --swap 64M --until configs)

# advisory locks taken by inv_lock_take() (one bigint key: objsubid 1) in this test's database
held() {
	psql_inv "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
# the pg_locks (classid, objid) of a lock name: FNV-1a 64 of "provision:" KEY (h-pg's pg-util.h)
lock_ids() {
	python3 -c 'import sys
h = 0xcbf29ce484222325
for b in ("provision:" + sys.argv[1]).encode():
    h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
print(h >> 32, h & 0xffffffff)' "$1"
}

# (strace and LeakSanitizer do not mix: t0652 does the same)
dom0 1 env ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 strace -qq -o /dev/null -P "$loop1" \
	-e trace=flock -e inject=flock:signal=STOP:when=1 \
	"$PROVISION" new-guest k1 "${args[@]}" >"$T/k1.out" 2>"$T/k1.err" &
k1=
for _ in $(seq 300); do
	for p in $(pgrep -x provision); do
		case $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") in *" new-guest k1 "*) ;; *) continue ;; esac
		case $(sed -n 's/^State:\t//p' "/proc/$p/status" 2>/dev/null) in [tT]*) k1=$p ;; esac
	done
	[ -n "$k1" ] && break
	sleep 0.1
done
[ -n "$k1" ] || { cat "$T/k1.out" "$T/k1.err"; fail "k1 did not stop at its carve"; }
expect_eq "$(psql_inv "SELECT coalesce(stage, '-'), state, coalesce(partuuid, '-') FROM guests WHERE name = 'k1'")" \
	"allocate|ok|-"
# two locks, held by one session: the guest's (its key is known) and another, the LUN's
expect_eq "$(held)" 2
read -r cid oid < <(lock_ids "guest-k1")
expect_eq "$(psql_inv "SELECT count(DISTINCT pid), count(*) FILTER (WHERE classid = $cid AND objid = $oid)
	FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted
	AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")" "1|1"

# xen2 allocates, then waits for the LUN
SECONDS=0
{
	prov 2 new-guest k2 "${args[@]}" >"$T/k2.out" 2>"$T/k2.err"
	echo $? >"$T/k2.rc"
} &
for _ in $(seq 100); do
	[ "$(psql_inv "SELECT stage FROM guests WHERE name = 'k2'")" = allocate ] && break
	sleep 0.1
done
sleep 3
[ ! -e "$T/k2.rc" ] || { cat "$T/k2.out" "$T/k2.err"; fail "k2 did not wait for the LUN's lock"; }
expect_eq "$(psql_inv "SELECT stage FROM guests WHERE name = 'k2'")" allocate
expect_eq "$(gpt "$T/lun0.img")" ""

# kill -9 of the holder: its session ends, its locks with it, and k2 carves
kill -KILL "$k1"
t0=$SECONDS
for _ in $(seq 600); do
	[ -e "$T/k2.rc" ] && break
	sleep 0.1
done
wait
expect_eq "$(cat "$T/k2.rc" 2>/dev/null)" 0
echo "k2 finished $((SECONDS - t0)) s after the kill"
[ $((SECONDS - t0)) -le 20 ] || fail "k2 took $((SECONDS - t0)) s after the kill"
n_checks=$((n_checks + 1))
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f4)" guest:k2
# k1: allocated, not carved; its reservation holds its place
expect_eq "$(psql_inv "SELECT coalesce(stage, '-'), coalesce(partuuid, '-') FROM guests WHERE name = 'k1'")" "allocate|-"
expect_eq "$(held)" 0

# resume k1 on xen1: it carves its reserved place; both agree with the GPT
run 0 prov 1 resume k1 --until configs
expect_out "ok: guest 'k1': stage configs done"
dom0s_check_places
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f4 | sort | tr '\n' ' ')" "guest:k1 guest:k2 "
# and destroy it: nothing of k1 is left
run 0 prov 1 destroy k1 --yes
dom0s_check_places
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f4)" guest:k2
expect_eq "$(psql_inv "SELECT state FROM guests WHERE name = 'k1'")" destroyed
expect_eq "$(ls -A "$T/dom0/xen1/state/guests/k1" 2>/dev/null)" ""
expect_eq "$(ls "$T/configs" | sort | tr '\n' ' ')" "k2.boot.cfg k2.install.cfg "
expect_eq "$(held)" 0
done_testing
