#!/bin/bash
# fai-monitor started by systemd's socket activation (provision-fai-monitor.socket/.service):
# the relay serves the port it inherits (LISTEN_FDS=1, fd 3), locks relay.pid (a second relay
# is refused, exit 3), routes a line; a socket on another port than the site's is a warning.
# systemd-socket-activate stands in for systemd: no root needed.
. "$SRCDIR/tests/cli/lib.sh"
command -v systemd-socket-activate >/dev/null || { echo "skip: no systemd-socket-activate"; exit 77; }
port=$((20000 + RANDOM % 20000))
sed -e "s|^state_dir: .*|state_dir: $T/state|" -e "s|monitor_port: 4711|monitor_port: $port|" \
	"$SRCDIR/templates/site.yaml" >"$T/site.yaml"
spool=$T/state/fai-monitor
activate() {
	systemd-socket-activate -l "$1" "$PROVISION" --site "$T/site.yaml" fai-monitor >"$T/relay.out" 2>&1 &
	relay=$!
	trap 'kill $relay 2>/dev/null; rm -rf "$T"' EXIT
}
activate "$port"
# the first connection starts the relay (on the inherited socket), the line goes through
for i in $(seq 50); do
	printf 'nobody TASKBEGIN extrbase\n' 2>/dev/null >/dev/tcp/127.0.0.1/"$port" && break
	sleep 0.1
done
for i in $(seq 50); do [ -s "$spool/unclaimed.log" ] && break; sleep 0.1; done
expect_eq "$(cat "$spool/unclaimed.log" 2>/dev/null)" "nobody TASKBEGIN extrbase"
n_checks=$((n_checks + 1))
grep -qx "provision: FAI monitor relay on the socket unit's port, spool $spool" "$T/relay.out" ||
	{ cat "$T/relay.out" >&2; fail "no relay on the socket unit's port"; }
run 3 "$PROVISION" --site "$T/site.yaml" fai-monitor
expect_err_line "provision: error: a FAI monitor relay runs already ($spool/relay.pid)"
kill "$relay"
wait "$relay" 2>/dev/null

# the unit's port is not the site's: said, and served all the same
activate $((port + 1))
for i in $(seq 50); do
	printf 'nobody x\n' 2>/dev/null >/dev/tcp/127.0.0.1/$((port + 1)) && break
	sleep 0.1
done
for i in $(seq 50); do grep -q warning "$T/relay.out" && break; sleep 0.1; done
n_checks=$((n_checks + 1))
grep -qx "provision: warning: the socket unit's port is not the site's fai.monitor_port $port" \
	"$T/relay.out" || { cat "$T/relay.out" >&2; fail "no warning about the port"; }
done_testing
