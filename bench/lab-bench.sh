# bench/lab-bench.sh - sourced by the lab benchmarks (bench/lab-*.sh): lab_bench TEST runs the
# lab test TEST in one lab run (tests/lab/run; LAB_* variables as there) and prints its
# LAB-BENCH lines at the end. Exits with the lab run's status.
lab_bench() {
	local src out rc
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	out=$(mktemp /tmp/prov-bench-lab.XXXXXX)
	trap 'rm -f "$out"' EXIT
	"$src/tests/lab/run" "$1" | tee "$out"
	rc=${PIPESTATUS[0]}
	echo "--- bench/lab-$2.sh"
	grep -o 'LAB-BENCH: .*' "$out" | sed 's/^LAB-BENCH: //' || echo "no figures: the lab run failed (exit $rc)"
	exit $rc
}
