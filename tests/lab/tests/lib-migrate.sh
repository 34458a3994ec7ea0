# lib-migrate.sh - helpers of the migrate test (sourced after lib.sh; $name is the guest).
# xen1 is this dom0, xen2 is reached with on2.

# run_on HOST CMDLINE: a shell command line on xen1 (here) or xen2
run_on() {
	local h=$1
	shift
	if [ "$h" = xen2 ]; then on2 "$@"; else sh -c "$*"; fi
}
# heartbeat HOST: "BOOT_ID UPTIME N" of the guest's last heartbeat in HOST's console log
heartbeat() {
	run_on "$1" "grep -a '^LAB-HEARTBEAT ' $CONSOLE_DIR/guest-$name.log 2>/dev/null | tail -1" |
		tr -d '\r' | cut -d' ' -f2-
}
heartbeat_last_local() { console_last "$name" 'LAB-HEARTBEAT '; }
# heartbeat_after HOST BOOT N [TIMEOUT]: HOST's console log gets a heartbeat of boot BOOT
# numbered above N (the guest went on, not rebooted: a reboot has another boot id)
heartbeat_after() {
	local i=0 hb
	while :; do
		hb=$(heartbeat "$1")
		set -- "$1" "$2" "$3" "${4:-90}"
		if [ "${hb%% *}" = "$2" ] && [ "$(echo "$hb" | cut -d' ' -f3)" -gt "$3" ] 2> /dev/null; then
			echo "LAB-INFO: heartbeat on $1: $hb (before: $3)"
			return 0
		fi
		[ $i -ge $(($4 * 2)) ] && { echo "last heartbeat on $1: '$hb'"; return 1; }
		sleep 0.5
		i=$((i + 1))
	done
}
# wait_until SECONDS CMD...: CMD succeeds within SECONDS
wait_until() {
	local n=$(($1 * 2)) i=0
	shift
	until "$@"; do
		[ $i -ge $n ] && return 1
		sleep 0.5
		i=$((i + 1))
	done
}
# guest_state HOST: the state column of 'xl list NAME' there (r, b, p, ...)
guest_state() { run_on "$1" "xl list $name" 2> /dev/null | awk 'NR == 2 { print $5 }'; }
# unpaused HOST: the guest exists on HOST and is not paused
unpaused() {
	local s
	s=$(guest_state "$1")
	echo "state of $name on $1: '$s'"
	[ -n "$s" ] && [[ $s != *p* ]]
}

# guest_on HOST BOOT_ID IP: the guest runs on HOST and nowhere else, unpaused, not rebooted
# (its heartbeat goes on in HOST's console log with the same boot id), answers on VLAN 53,
# and the inventory says HOST
guest_on() {
	local host=$1 boot=$2 ip=$3 other=xen2 n
	[ "$host" = xen2 ] && other=xen1
	n=$(cut -d' ' -f3 <<< "$HB_BEFORE")
	check "xl list on $host shows $name" run_on $host "xl list $name > /dev/null"
	check "xl list on $other does not" not run_on $other "xl domid $name > /dev/null 2>&1"
	check "$name is not paused on $host" unpaused $host
	check "its heartbeat goes on in $host's console log: boot id $boot, after #${n:-0}" \
		heartbeat_after $host "$boot" "${n:-0}"
	check "it answers ping over VLAN 53 from 10.53.0.1 (FAI server port, xen1)" \
		ping -c 3 -W 5 -I labsrv.53 "$ip"
	check "provision show $name --json: host $host" test "$(guest_field $name host)" = "$host"
	check "the same from xen2's provision" on2 "provision show $name --json | grep -q '\"host\": *\"$host\"'"
	run_on $host "xl list -l $name" > "$OUT/xl-list-$name-$host.json" 2>&1
}

# migrate_report TAG T0 T1 LOG PINGLOG: the numbers of one move as LAB-TIMING/LAB-INFO lines
migrate_report() {
	local tag=$1 t0=$2 t1=$3 log=$4 plog=$5 total gap
	total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	grep -E "moved '|migrate: [0-9]+s" "$log" | cut -d' ' -f2- | sed "s/^ */LAB-INFO: $tag: /"
	# libxc's rounds (-vv): "Frames iteration N of M: DONE/TOTAL  P%" (live), the last of
	# each round; an offline save is one pass, "Frames: DONE/TOTAL" (round 0)
	grep -aoE 'Frames( iteration [0-9]+ of [0-9]+)?: [0-9]+/[0-9]+' "$log" |
		sed 's/^Frames: /Frames iteration 0 of 0: /' |
		awk -v t="$tag" '{ split($6, a, "/"); r = $3; tot[r] = a[2]; if (!(r in seen)) { seen[r] = 1; order[n++] = r } }
			END { for (i = 0; i < n; i++) { r = order[i]; printf "LAB-INFO: %s: round %d: %d pages (%.1f MB)\n", t, r, tot[r], tot[r] * 4096 / 1e6 } }'
	# the ping loop: answers (ping -D: "[EPOCH] 64 bytes from ...: icmp_seq=N ...") within the
	# move, the longest time between two of them, and the sequence numbers around it
	gap=$(awk -v a="$t0" -v b="$t1" '
		/bytes from/ {
			ts = substr($1, 2, length($1) - 2) + 0
			seq = $0; sub(/.*icmp_seq=/, "", seq); sub(/ .*/, "", seq)
			if (ts < a || ts > b) next
			n++
			if (last != "" && ts - last > max) { max = ts - last; s0 = lastseq; s1 = seq }
			last = ts; lastseq = seq
		}
		/no answer yet/ { lost++ }
		END { printf "%.3f %d %d %s %s", max, n, lost + 0, s0, s1 }' "$plog")
	read -r G N L S0 S1 <<< "$gap"
	timing "migrate $tag: total ${total} s; ping downtime (longest gap between answers) $(awk -v g="$G" 'BEGIN { printf "%.0f", g * 1000 }') ms, between icmp_seq $S0 and $S1; downtime/total $(awk -v g="$G" -v t="$total" 'BEGIN { printf "%.4f", (t > 0 ? g / t : 0) }')"
	echo "LAB-INFO: $tag: $N answers during the move; $L times no answer before the next ping (ping -D -O -i 0.01)"
	MIG_GAP=$G MIG_TOTAL=$total
}

# migrate_measured TAG IP CMD...: run the move CMD (its lines timed into $OUT/migrate-TAG.log,
# provision's own shown) while 10.53.0.1 pings IP every 10 ms (ping -D, $OUT/ping-TAG.log);
# sets MIG_RC and HB_BEFORE (the guest's heartbeat just before), prints the numbers
migrate_measured() {
	local tag=$1 ip=$2 log plog ppid t0 t1 from
	shift 2
	log=$OUT/migrate-$tag.log plog=$OUT/ping-$tag.log
	from=xen1
	xl domid $name > /dev/null 2>&1 || from=xen2
	ping -D -O -i 0.01 -W 1 -I labsrv.53 "$ip" > "$plog" 2>&1 &
	ppid=$!
	sleep 3
	HB_BEFORE=$(heartbeat $from)
	echo "LAB-INFO: $tag: heartbeat before the move (on $from): $HB_BEFORE"
	echo "LAB> # $*"
	t0=$(now)
	"$@" 2>&1 < /dev/null | while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done > "$log"
	MIG_RC=${PIPESTATUS[0]}
	t1=$(now)
	sleep 3
	kill $ppid 2> /dev/null
	wait $ppid 2> /dev/null
	# provision's own lines (not libxl's and libxc's -vv log)
	cut -d' ' -f2- "$log" | grep -avE '^(libxl|xc|libxl-save-helper)?[^ ]*: (debug|verbose|detail|progress|info|notice): ' |
		grep -av 'Frames iteration' | sed 's/^/LAB> /'
	echo "LAB> # exit status $MIG_RC"
	migrate_report "$tag" "$t0" "$t1" "$log" "$plog"
}

# transport_killed BOOT_ID [--offline]: migrate to xen2, kill its ssh once some MB were sent;
# the guest stays on xen1, running; nothing on xen2; the inventory unchanged
transport_killed() {
	local boot=$1 log=$OUT/migrate-killed.log pid ssh i=0 rc n
	shift
	n=$(heartbeat xen1 | cut -d' ' -f3)
	echo "LAB> # provision migrate $name --to xen2 $* (its ssh killed once MB are being sent)"
	provision migrate $name --to xen2 "$@" > "$log" 2>&1 < /dev/null &
	pid=$!
	until grep -qE '[1-9][0-9]* MB sent' "$log"; do
		kill -0 $pid 2> /dev/null || break
		[ $i -ge 1200 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	ssh=$(pgrep -P $pid -x ssh | head -1)
	echo "LAB-INFO: killed: after $(grep -c 'MB sent' "$log") progress line(s): $(grep 'MB sent' "$log" | tail -1); ssh pid ${ssh:-none}"
	check "the migration's ssh runs while MB are being sent" test -n "$ssh"
	[ -n "$ssh" ] && kill -KILL "$ssh"
	wait $pid
	rc=$?
	sed 's/^/LAB> /' "$log"
	echo "LAB> # exit status $rc"
	check "migrate exits 1" test $rc = 1
	check "it says where it stopped: 'stream'" grep -q "stopped at 'stream'" "$log"
	check "$name runs on xen1 (xl list)" xl list $name
	check "$name is not paused on xen1" unpaused xen1
	check "its heartbeat goes on in xen1's console log: boot id $boot, after #$n" \
		heartbeat_after xen1 "$boot" "$n"
	check "no domain $name on xen2 (within 60 s)" wait_until 60 not on2 "xl domid $name > /dev/null 2>&1"
	on2 xl list | sed 's/^/  xen2| /'
	check "xen2 runs Domain-0 only: no half-restored domain" test "$(on2 xl list | tail -n +2 | wc -l)" = 1
	check "the inventory still says xen1" test "$(guest_field $name host)" = xen1
}
