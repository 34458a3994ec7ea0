#!/bin/bash
# Benchmark (not a test; run by hand as root): wall time of a 20-guest `provision batch` up to
# configs against 20 sequential `provision new-guest` runs of the same guests, in one run, on
# the same machine: each side on its own fresh pair of sparse 200 GiB image LUNs, its own
# state and config directories, in one network namespace. Prints both times and the ratio.
#
# Usage: bench/batch.sh [BUILDDIR] [N] [PARALLEL]   (default: build, 20, the batch's default)
# Built with sanitizers the numbers say little: use a plain build (meson setup build-rel
# --buildtype=release) for figures worth quoting.
set -eu
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$(cd "${1:-$SRCDIR/build}" && pwd)
N=${2:-20}
PAR=${3:-}
PROVISION=$BUILDDIR/provision/provision
export PROVISION_TEMPLATES_DIR=$BUILDDIR/templates
[ "$(id -u)" = 0 ] || { echo "bench/batch.sh: needs root (loop devices, a network namespace)" >&2; exit 1; }
if [ -z "${PROV_IN_NETNS:-}" ]; then
	PROV_IN_NETNS=1 exec unshare -n -m bash "$0" "$@"
fi
mount --make-rprivate / && mount -t sysfs sysfs /sys
ip link add vtrunk type veth peer name vpeer
W=$(mktemp -d /tmp/prov-bench-batch.XXXXXX)
trap 'rm -rf "$W"' EXIT

# setup DIR: a site of its own with two empty image LUNs
setup() {
	mkdir -p "$1/configs" "$1/state" "$1/templates"
	sed "s|@T@|$1|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$1/site.yaml"
	printf 'extends: lab\nswap: 64M\n' >"$1/templates/tlab.yaml"
	truncate -s 200G "$1/lun0.img" "$1/lun1.img"
	"$PROVISION" --site "$1/site.yaml" lun init "$1/lun0.img" >/dev/null
	"$PROVISION" --site "$1/site.yaml" lun init "$1/lun1.img" >/dev/null
}
now() { date +%s.%N; }

setup "$W/seq"
t0=$(now)
for i in $(seq -w 1 "$N"); do
	"$PROVISION" --site "$W/seq/site.yaml" new-guest "lab$i" --template tlab --vlan 10 \
		--until configs >/dev/null
done
t1=$(now)

setup "$W/batch"
printf 'template: tlab\nvlan: 10\nnames: "lab{01..%s}"\n' "$N" >"$W/course.yaml"
t2=$(now)
"$PROVISION" --site "$W/batch/site.yaml" batch "$W/course.yaml" --until configs \
	${PAR:+--parallel "$PAR"} >"$W/batch.out"
t3=$(now)
grep "^running batch" "$W/batch.out"
grep "^batch 'course'" "$W/batch.out"

python3 - "$N" "$t0" "$t1" "$t2" "$t3" "$(nproc)" <<'PY'
import sys
n, t0, t1, t2, t3, cpus = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
seq, bat = t1 - t0, t3 - t2
print(f"{n} guests up to configs, {cpus} CPUs: sequential new-guest {seq:.2f} s, "
      f"batch {bat:.2f} s, ratio batch/sequential {bat / seq:.2f} (speed-up {seq / bat:.2f}x)")
PY
