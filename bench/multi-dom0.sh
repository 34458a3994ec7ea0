#!/bin/bash
# Benchmark (not a test; run by hand as root): SQLite on one Dom0 against PostgreSQL shared by
# 4 simulated Dom0s (tests/cli/dom0s.sh: namespaces, a loop device per Dom0 over the shared
# sparse LUN images), in one run, on the same machine:
#   - allocation throughput: N concurrent `new-guest --until allocate` (the inventory's
#     transaction and the LUN reads; nothing carved), guests per second;
#   - the wall time of N concurrent `new-guest --until configs` (every guest fits: 2 x 200 GiB
#     LUNs, 10G disks), the pipeline that the LUN locks serialise.
# Each measurement starts from fresh LUNs, state and database. PostgreSQL: the server named by
# PROVISION_TEST_PG (an admin URL, as tests/run exports it), else one started here with
# tests/pg-server. Prints each figure and its ratio to the SQLite baseline of this run.
#
# Usage: bench/multi-dom0.sh [BUILDDIR] [N]      (default: build, 32)
# Built with sanitizers the numbers say little: use a plain build (meson setup build-rel
# --buildtype=release) for figures worth quoting.
set -eu
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$(cd "${1:-$SRCDIR/build}" && pwd)
N=${2:-32}
export SRCDIR BUILDDIR
export PROVISION=$BUILDDIR/provision/provision
export PROVISION_TEMPLATES_DIR=$BUILDDIR/templates
[ "$(id -u)" = 0 ] || { echo "bench/multi-dom0.sh: needs root (namespaces, loop devices)" >&2; exit 1; }

# one measurement, in a shell of its own (the harness's trap cleans up after it):
# BACKEND DOM0S UNTIL DISK; prints the wall time in seconds
if [ "${BENCH_ONE:-}" = 1 ]; then
	set +e # the test harness checks for itself
	backend=$3 dom0s=$4 until=$5 disk=$6
	. "$SRCDIR/tests/cli/lib.sh"
	. "$SRCDIR/tests/cli/dom0s.sh"
	[ "$backend" = sqlite ] || dom0s_pg_db
	dom0s_luns 2 >&2
	dom0s_start "$dom0s"
	t0=$(date +%s.%N)
	for i in $(seq -w 1 "$N"); do
		prov $(((10#$i - 1) % dom0s + 1)) new-guest "g$i" --template lab --vlan 10 \
			--disk "$disk" --swap 64M --until "$until" >"$T/g$i.out" 2>&1 &
	done
	fails=0
	for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
	t1=$(date +%s.%N)
	[ "$fails" = 0 ] || { cat "$T"/g*.out >&2; fail "$fails of $N runs failed"; }
	# (every guest is there: the benchmark measured what it says)
	if [ "$backend" = sqlite ]; then
		n=$(sqlite3 "$T/dom0/xen1/state/inventory.db" "SELECT count(*) FROM guests WHERE stage = '$until'")
	else
		n=$(psql_inv "SELECT count(*) FROM guests WHERE stage = '$until'")
	fi
	[ "$n" = "$N" ] || fail "$n guests at stage $until, not $N"
	python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$t0" "$t1"
	exit 0
fi

W=$(mktemp -d /tmp/prov-bench-dom0s.XXXXXX)
trap '[ -z "${own_pg:-}" ] || "$SRCDIR/tests/pg-server" stop "$W/pg"; rm -rf "$W"' EXIT
if [ -z "${PROVISION_TEST_PG:-}" ]; then
	[ -x "$SRCDIR/tests/pg-server" ] || { echo "bench/multi-dom0.sh: set PROVISION_TEST_PG or add tests/pg-server" >&2; exit 1; }
	mkdir "$W/pg"
	own_pg=1
	PROVISION_TEST_PG=$("$SRCDIR/tests/pg-server" start "$W/pg")
fi
export PROVISION_TEST_PG

one() { BENCH_ONE=1 bash "$0" "$BUILDDIR" "$N" "$@"; }
echo "bench/multi-dom0.sh: $N guests, $(nproc) CPUs, $BUILDDIR"
a_sq=$(one sqlite 1 allocate 1G)
a_pg=$(one postgresql 4 allocate 1G)
c_sq=$(one sqlite 1 configs 10G)
c_pg=$(one postgresql 4 configs 10G)
python3 - "$N" "$a_sq" "$a_pg" "$c_sq" "$c_pg" <<'PY'
import sys
n = int(sys.argv[1])
a_sq, a_pg, c_sq, c_pg = map(float, sys.argv[2:])
print(f"{'':34} {'SQLite, 1 Dom0':>16} {'PostgreSQL, 4 Dom0s':>20} {'ratio':>8}")
print(f"{f'allocations/s ({n} at once)':34} {n / a_sq:16.2f} {n / a_pg:20.2f} {a_sq / a_pg:7.2f}x")
print(f"{f'{n} guests --until configs, wall s':34} {c_sq:16.2f} {c_pg:20.2f} {c_pg / c_sq:7.2f}x")
print(f"(ratio: PostgreSQL's allocation throughput / SQLite's; PostgreSQL's wall time / SQLite's)")
PY
