# Helpers for tests/cli/*.sh (bash). Each test sources this, then calls the helpers; the
# first failed check prints file:line and exits 1.
set -u
: "${PROVISION:?run through meson test}"
T=$(mktemp -d /tmp/prov-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
n_checks=0

fail() {
	local i=$((${#BASH_SOURCE[@]} - 1))
	echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}: FAIL: $*" >&2
	exit 1
}

# run EXPECTED_STATUS CMD...: runs CMD, stdout in $T/out, stderr in $T/err
run() {
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	n_checks=$((n_checks + 1))
	if [ "$got" != "$want" ]; then
		echo "--- stdout:" >&2; cat "$T/out" >&2
		echo "--- stderr:" >&2; cat "$T/err" >&2
		fail "'$*' exited $got, want $want"
	fi
}

# expect_err TEXT: the last run's stderr contains TEXT as a whole line
expect_err_line() {
	n_checks=$((n_checks + 1))
	grep -qxF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks line: $1"; }
}
expect_err() {
	n_checks=$((n_checks + 1))
	grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks: $1"; }
}
expect_out() {
	n_checks=$((n_checks + 1))
	grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "stdout lacks: $1"; }
}
expect_eq() {
	n_checks=$((n_checks + 1))
	[ "$1" = "$2" ] || fail "got '$1', want '$2'"
}
done_testing() {
	[ "$n_checks" -gt 0 ] || fail "no checks ran"
	echo "ok: $n_checks checks"
}
