#!/bin/bash
# The systemd units (dist/systemd, as the build makes them) pass `systemd-analyze verify`
# without a word, with ExecStart pointed at the built provision; a unit with a mistake does
# not (the check checks something). And the logrotate file parses, when logrotate is here.
. "$SRCDIR/tests/cli/lib.sh"
if ! command -v systemd-analyze >/dev/null; then
	echo "skip: no systemd-analyze"
	exit 77
fi
units=("$BUILDDIR"/dist/provision-*.service "$BUILDDIR"/dist/provision-*.socket
	"$BUILDDIR"/dist/provision-*.timer)
expect_eq "${#units[@]}" 4
mkdir "$T/units"
for u in "${units[@]}"; do
	case $u in
	*.service) grep -q "^ExecStart=/[^@]*$" "$u" || fail "${u##*/}: no absolute ExecStart" ;;
	esac
	sed "s|^ExecStart=[^ ]*/provision|ExecStart=$PROVISION|" "$u" >"$T/units/${u##*/}"
done
verify() { SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$@"; }
run 0 verify "$T"/units/*
expect_eq "$(cat "$T/out" "$T/err")" ""

printf '[Service]\nExecStart=/bin/true\nExecStrat=/bin/false\n' >"$T/units/bad.service"
verify "$T/units/bad.service" >"$T/out" 2>&1
n_checks=$((n_checks + 1))
[ -s "$T/out" ] || fail "systemd-analyze verify is silent about a unit with a mistake"

# the socket's service is the relay, as provision runs it by hand (no --inherited)
expect_eq "$(sed -n 's|^ExecStart=[^ ]*/provision ||p' "$BUILDDIR/dist/provision-fai-monitor.service")" \
	"fai-monitor"

if command -v logrotate >/dev/null; then
	run 0 logrotate --debug --state "$T/logrotate.state" "$SRCDIR/dist/provision.logrotate"
	n_checks=$((n_checks + 1))
	! grep -qi '^error\|^note' "$T/err" || fail "logrotate: $(cat "$T/err")"
fi
done_testing
