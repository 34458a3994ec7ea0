#!/bin/bash
# The FAI monitor relay (netboot/relay.h, `provision fai-monitor`): installs on one Dom0 share
# FAI's monitor port. The first install to register starts the relay (exactly one, however
# many start together); each install reads only its host's lines, sent as FAI's sendmon sends
# them (one TCP connection per line); lines of unknown or malformed hosts go to unclaimed.log;
# the relay serves the next install while it lingers and leaves when none is left; a port held
# by another program, a relay that cannot start, a relay already running by hand, a host
# watched twice.
# Port 4711 of a network namespace of its own.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/netns.sh"
: "${RELAY_WATCH:?run through meson test}"
ip link set lo up || fail "cannot bring lo up"
sed "s|@T@|$T|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$T/site.yaml"
export PROVISION_SITE=$T/site.yaml
spool=$T/state/fai-monitor
relay=(provision --site "$T/site.yaml" fai-monitor --inherited --linger 2s)

# send LINE: as FAI's sendmon (`echo LINE | nc -w 8 SERVER 4711`): one line per connection,
# then wait for the monitor to close it
send() {
	exec 9<>/dev/tcp/127.0.0.1/4711 || fail "cannot connect to port 4711"
	printf '%s\n' "$1" >&9
	timeout 5 cat <&9 >/dev/null || fail "the relay did not close the connection after '$1'"
	exec 9>&-
}
# watch HOST: an install watching HOST's lines, in the background
watch() {
	"$RELAY_WATCH" "$spool" 4711 "$1" 60 "$PROVISION" "${relay[@]}" >"$T/w-$1" 2>&1 &
	eval "pid_$1=$!"
}
joined() { # HOST...
	for h; do
		for _ in $(seq 100); do grep -qx joined "$T/w-$h" && break; sleep 0.1; done
		grep -qx joined "$T/w-$h" || { cat "$T/w-$h" >&2; fail "$h did not join"; }
	done
}
relays() { pgrep -fc -- "^provision --site $T/site.yaml fai-monitor" || true; }
gone() { # wait for the relay to leave (linger 2 s, checked every second)
	for _ in $(seq 100); do [ "$(relays)" = 0 ] && return 0; sleep 0.1; done
	fail "the relay is still there: $(pgrep -fa -- "$T/site.yaml fai-monitor")"
}

# three installs start at once: one relay
watch a
watch b
watch c
joined a b c
expect_eq "$(relays)" 1
rpid=$(pgrep -f -- "^provision --site $T/site.yaml fai-monitor")
expect_eq "$(cat "$spool/relay.pid")" "$rpid"
# FAI's lines, interleaved as parallel installs send them
send "a TASKBEGIN partition"
send "b TASKBEGIN partition"
send "zz TASKBEGIN partition"
send "../../etc TASKEND evil 0"
send "a TASKEND partition 0"
send "c TASKBEGIN instsoft"
send "b TASKEND faiend 0"
send "a TASKEND faiend 0"
send "c TASKEND faiend 0"
for h in a b c; do
	eval "wait \$pid_$h" || { cat "$T/w-$h" >&2; fail "watcher $h failed"; }
done
expect_eq "$(cat "$T/w-a")" "joined
got: a TASKBEGIN partition
got: a TASKEND partition 0
got: a TASKEND faiend 0"
expect_eq "$(cat "$T/w-b")" "joined
got: b TASKBEGIN partition
got: b TASKEND faiend 0"
expect_eq "$(cat "$T/w-c")" "joined
got: c TASKBEGIN instsoft
got: c TASKEND faiend 0"
# each install kept its own lines; nobody's lines are in unclaimed.log
expect_eq "$(cat "$spool/b.kept")" "b TASKBEGIN partition
b TASKEND faiend 0"
expect_eq "$(cat "$spool/unclaimed.log")" "zz TASKBEGIN partition
../../etc TASKEND evil 0"
expect_eq "$(ls "$spool" | grep -c '\.mon$')" 0
expect_eq "$(find "$T" -name evil -o -name 'etc*' | wc -l)" 0

# the next install while the relay lingers: the same relay serves it
watch d
joined d
expect_eq "$(relays)" 1
# a second watcher of the same host is refused and leaves the first one's file alone
run 1 "$RELAY_WATCH" "$spool" 4711 d 5 "$PROVISION" "${relay[@]}"
expect_err "relay-watch: the install of 'd' is watched already ('$spool/d.mon'): Device or resource busy"
expect_eq "$(ls "$spool" | grep -c '^d\.mon$')" 1
expect_eq "$(cat "$spool/relay.pid")" "$rpid"
send "d TASKEND faiend 0"
wait "$pid_d" || fail "watcher d failed"
expect_eq "$(tail -1 "$T/w-d")" "got: d TASKEND faiend 0"
# then it leaves, and the port is free
gone
run 1 bash -c 'exec 9<>/dev/tcp/127.0.0.1/4711'

# a program that is not our relay has the port (FAI's own faimond, say): refused, no trace
python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 4711)); s.listen(); time.sleep(60)' &
foreign=$!
for _ in $(seq 50); do ss -ltn | grep -q ':4711 ' && break; sleep 0.1; done
run 3 "$RELAY_WATCH" "$spool" 4711 e 5 "$PROVISION" "${relay[@]}"
expect_err "cannot listen on FAI monitor port 4711 (another program, not provision's relay, has it: FAI's faimond?): Address already in use"
expect_eq "$(ls "$spool" | grep -c '\.mon$')" 0
run 3 "$PROVISION" fai-monitor
expect_err "cannot listen on FAI monitor port 4711 (another program, not provision's relay, has it: FAI's faimond?): Address already in use"
kill $foreign
wait $foreign 2>/dev/null

# a relay that cannot start: the error, and the port free again
run 1 "$RELAY_WATCH" "$spool" 4711 e 5 /nonexistent/provision provision
expect_err "cannot start the FAI monitor relay '/nonexistent/provision': No such file or directory"
expect_eq "$(ls "$spool" | grep -c '\.mon$')" 0
run 1 bash -c 'exec 9<>/dev/tcp/127.0.0.1/4711'

# a relay run by hand (never leaves): installs use it, a second one is refused
"$PROVISION" fai-monitor 2>"$T/by-hand" &
byhand=$!
for _ in $(seq 100); do grep -q 'relay on port' "$T/by-hand" && break; sleep 0.1; done
expect_eq "$(cat "$T/by-hand")" "provision: FAI monitor relay on port 4711, spool $spool"
run 3 "$PROVISION" fai-monitor
expect_err_line "provision: error: a FAI monitor relay runs already ($spool/relay.pid)"
watch f
joined f
expect_eq "$(relays)" 0
send "f TASKEND faiend 0"
wait "$pid_f" || fail "watcher f failed"
expect_eq "$(tail -1 "$T/w-f")" "got: f TASKEND faiend 0"
sleep 3
kill -0 $byhand || fail "the relay run by hand left"
kill $byhand
wait $byhand 2>/dev/null
run 2 "$PROVISION" fai-monitor --linger soon
expect_err "--linger: 'soon' is not a duration"
done_testing
