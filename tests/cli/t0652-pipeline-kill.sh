#!/bin/bash
# SIGKILL at random moments (t0612 crashes only at stage boundaries). `new-guest NAME --until
# configs` is killed PROVISION_KILL_RUNS times (default 100) at points drawn from
# PROVISION_KILL_SEED (printed: the same seed repeats the same runs) by
# tests/helpers/kill-points.py from a traced reference run: at the entry of a syscall that
# changes something (strace injects the SIGKILL), every one in provision's own files and a
# stratified sample of the others (SQLite, GPT, libext2fs), or while mke2fs runs (a wrapper
# kills provision after a drawn delay). Then `resume NAME --until configs`, which must finish
# (or, killed before the allocation, say that there is no such guest), and `destroy NAME
# --yes`; or destroy right away. A few names are used again and again (each incarnation
# destroyed before the next), others once.
# The referees after each run: both LUNs' `sfdisk -d`, every entry of config_dir and the live
# inventory rows (sqlite3) as before the run, `PRAGMA integrity_check`, every lock in
# state_dir/locks free (flock -n), nothing in state_dir/guests/NAME, no process of the killed
# run still running; after resume also the guest's configs (its own --memory, not an older
# incarnation's), its GPT entry, both LUNs' GPTs undamaged (no sfdisk warning) and a clean
# e2fsck of its partition. Every run is checked; the
# failed ones are listed by kind at the end, with the kills counted by the stage the guest had
# recorded. PROVISION_KILL_ONLY="3 17" runs only those of the runs (the state they start from
# then differs from the whole sequence's).
. "$SRCDIR/tests/cli/lib.sh"
command -v strace >/dev/null || { echo "skip: no strace"; exit 77; }
. "$SRCDIR/tests/cli/pipeline-lib.sh"

runs=${PROVISION_KILL_RUNS:-100}
seed=${PROVISION_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "seed $seed, $runs runs: PROVISION_KILL_SEED=$seed PROVISION_KILL_RUNS=$runs repeats them"
db=$T/state/inventory.db

# the state a run must leave as it found it
kworld() {
	{
		sfdisk -d "$T/lun0.img"
		sfdisk -d "$T/lun1.img"
		(cd "$T/configs" && find . -mindepth 1 -printf '%y %m %s %p\n' | sort &&
			find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
		sql "SELECT name, mac, ip, vlan, lun, part_start, part_size, partuuid, stage FROM guests
		     WHERE destroyed_usec IS NULL ORDER BY name"
	} 2>&1
}
live() { sql "SELECT $2 FROM guests WHERE name = '$1' AND destroyed_usec IS NULL"; }
# the first error of the last run, without what differs between runs
first_error() {
	grep -m1 'error:' "$T/err" | sed -e "s|$T|\$T|g" -e "s/'[kf][0-9r]*'/'NAME'/g" \
		-e 's/\.tmp\.[A-Za-z0-9]\{6\}/.tmp.XXXXXX/g' -e 's|/[kf][0-9r]*\([./]\)|/NAME\1|g'
}

# fsck_guest NAME: e2fsck -fn on the guest's partition (a loop device over its extent)
fsck_guest() {
	local lun start size loop r
	lun=$(live "$1" lun)
	read -r start size < <(gpt "$lun" 2>/dev/null | awk -v n="guest:$1" '$4 == n { print $2, $3 }')
	[ -n "$size" ] || return 1
	loop=$(losetup -o $((start * 512)) --sizelimit $((size * 512)) -f --show "$lun") || return 1
	e2fsck -fn "$loop" >"$T/fsck" 2>&1
	r=$?
	losetup -d "$loop"
	return $r
}

# running_on PID: neither dead nor dying (a zombie, exiting, or a SIGKILL pending: what the
# death of its parent sends a child that asked for it)
running_on() {
	local pid=$1 f pnd
	f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
	set -- $f
	case $1 in Z | X | x) return 1 ;; esac
	(($7 & 0x4)) && return 1 # PF_EXITING
	for pnd in $(awk '$1 == "SigPnd:" || $1 == "ShdPnd:" { print $2 }' "/proc/$pid/status" 2>/dev/null); do
		((16#$pnd & 0x100)) && return 1
	done
	return 0
}

declare -A kinds=() by_stage=()
bad() { # KIND DETAIL: this run failed a check
	kinds[$1]="${kinds[$1]:-} $i"
	echo "run $i ($name $mode, kill at trace line $index: $what): $1${2:+: $2}" >>"$T/failures"
	ok=0
}
check() { # KIND COMMAND...: bad KIND unless COMMAND succeeds
	local k=$1
	shift
	n_checks=$((n_checks + 1))
	"$@" || bad "$k"
}

# a guest that stays, so that "before" is not empty; then the reference run, traced
run 0 "$PROVISION" new-guest keep --template lab --vlan 10 --until configs
ASAN_OPTIONS=detect_leaks=0 run 0 strace -qq -T -o "$T/trace" \
	"$PROVISION" new-guest k0 --template lab --vlan 10 --until configs
run 0 "$PROVISION" destroy k0 --yes
rm -rf "$T/state/guests/k0" # the reference run is not under test
echo "$(wc -l <"$T/trace") syscalls in the reference run"
python3 "$SRCDIR/tests/helpers/kill-points.py" "$T/trace" "$seed" "$runs" \
	"locks/guest-k0.lock" >"$T/plan" || fail "no kill points in the reference trace"

# kind "child": mke2fs through this wrapper kills provision (its parent) KILL_AFTER seconds
# after it started, from a process of its own, and runs on as the real mke2fs
mkdir "$T/bin"
cat >"$T/bin/mke2fs" <<EOF
#!/bin/sh
[ -n "\${KILL_AFTER:-}" ] && sh -c "sleep \$KILL_AFTER; kill -KILL \$PPID" </dev/null >/dev/null 2>&1 &
exec $(command -v mke2fs) "\$@"
EOF
chmod +x "$T/bin/mke2fs"

retired=" "
before=$(kworld)
i=0
while read -r kind a b index name mode memory what; do
	i=$((i + 1))
	ok=1
	case " ${PROVISION_KILL_ONLY:-$i} " in *" $i "*) ;; *) continue ;; esac
	# a name some earlier run left behind is not reused (that failure is reported already)
	case $retired in *" $name "*) name=${name}r$i ;; esac
	[ "$name" != fresh ] || name=f$i
	# (in $(...) with its stderr away: no "Killed" notice from bash in the log)
	if [ "$kind" = strace ]; then
		st=$( {
			ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 strace -qq -o /dev/null -e trace="$a" \
				-e inject="$a":signal=KILL:when="$b" "$PROVISION" new-guest "$name" \
				--template lab --vlan 10 --memory "$memory" --until configs >"$T/out" 2>"$T/err"
			echo $?
		} 2>/dev/null)
	else
		st=$( {
			PATH=$T/bin:$PATH KILL_AFTER=$a "$PROVISION" new-guest "$name" --template lab \
				--vlan 10 --memory "$memory" --until configs >"$T/out" 2>"$T/err"
			echo $?
		} 2>/dev/null)
	fi
	# kill -9 of provision is the end of everything it started: nothing of it runs on
	left=
	for p in $(pgrep -f -- "$T/"); do
		running_on "$p" && left="$left$p "
	done
	if [ -n "$left" ]; then
		bad "a process outlived the killed provision" "$(ps -o args= -p "${left%% *}")"
		for p in $left; do # let it finish, or end it: the next steps need a quiet LUN
			for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null
		done
	fi
	# "none": allocated, no stage done yet; empty: no guest (killed before the allocation)
	stage=$(live "$name" "coalesce(stage, 'none')")
	if [ "$st" = 137 ]; then
		by_stage[${stage:-no guest}]=$((${by_stage[${stage:-no guest}]:-0} + 1))
	elif [ "$st" = 0 ]; then
		by_stage["(not killed)"]=$((${by_stage["(not killed)"]:-0} + 1))
	else
		bad "new-guest exited $st, not killed" "$(first_error)"
	fi

	if [ "$mode" = resume ]; then
		"$PROVISION" resume "$name" --until configs >"$T/out" 2>"$T/err"
		rst=$?
		n_checks=$((n_checks + 1))
		if [ -z "$stage" ]; then
			# killed before the allocation committed: nothing to resume, and it says so
			[ $rst = 1 ] && grep -qxF "provision: error: no guest '$name' in the inventory" \
				"$T/err" || bad "resume of a guest never allocated: exit $rst" "$(first_error)"
		elif [ $rst != 0 ]; then
			bad "resume failed" "$(first_error)"
		else
			check "resume did not finish" grep -qxF "ok: guest '$name': stage configs done" "$T/out"
			check "resume built another spec than new-guest's" \
				[ "$("$BUILDDIR/tests/xlcfg-get" "$T/configs/$name.boot.cfg" memory)" = "${memory%M}" ]
			uuid=$(live "$name" partuuid)
			sfdisk -d "$T/lun0.img" >"$T/gpt" 2>"$T/gpt-err"
			sfdisk -d "$T/lun1.img" >>"$T/gpt" 2>>"$T/gpt-err"
			check "GPT lacks guest:NAME with the inventory's PARTUUID" grep -qi \
				"uuid=$uuid, name=\"guest:$name\"" "$T/gpt"
			[ ! -s "$T/gpt-err" ] || bad "a LUN's GPT is damaged after resume" "$(head -1 "$T/gpt-err")"
			n_checks=$((n_checks + 1))
			fsck_guest "$name" || bad "e2fsck finds the guest's filesystem unclean" \
				"$(grep -v '^e2fsck [0-9]\|^Pass ' "$T/fsck" | head -3 | tr '\n' ' ')"
			want=$( (echo "$before" | sed -n 's|^f [0-9]* [0-9]* \./||p'
				echo "$name.install.cfg"
				echo "$name.boot.cfg") | sort -u)
			check "config_dir after resume: other files than before and the guest's two configs" \
				[ "$want" = "$(ls -A "$T/configs" | sort)" ]
		fi
	fi

	"$PROVISION" destroy "$name" --yes >"$T/out" 2>"$T/err"
	dst=$?
	n_checks=$((n_checks + 1))
	if [ -n "$stage" ] && [ $dst != 0 ]; then
		bad "destroy failed (exit $dst)" "$(first_error)"
	elif [ -z "$stage" ] && ! { [ $dst = 1 ] &&
		grep -qxF "provision: error: no guest '$name' in the inventory" "$T/err"; }; then
		bad "destroy of a guest never allocated: exit $dst" "$(first_error)"
	fi
	[ -z "$(live "$name" id)" ] || { bad "guest still live after destroy"; retired="$retired$name "; }

	after=$(kworld)
	n_checks=$((n_checks + 1))
	if [ "$after" != "$before" ]; then
		bad "the LUNs, config_dir or the live inventory differ from before" \
			"$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ' |
				sed "s|$T|\$T|g" | cut -c1-300)"
	fi
	check "PRAGMA integrity_check" [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]
	for l in "$T"/state/locks/*; do
		check "lock $(basename "$l") held after the run" flock -n "$l" true
	done
	check "state_dir/guests/NAME not empty after destroy" \
		[ -z "$(ls -A "$T/state/guests/$name" 2>/dev/null)" ]
	how="killed with stage ${stage:-(no guest)}"
	[ "$st" != 0 ] || how="not killed"
	echo "run $i: $([ $ok = 1 ] && echo ok || echo FAILED), $name $mode, $how, at $what"
	before=$after
done <"$T/plan"
[ "$i" = "$runs" ] || fail "ran $i of $runs runs"

echo "kills by the stage the guest had recorded:"
for s in "no guest" none allocate carve format network configs "(not killed)"; do
	printf '  %-14s %s\n' "$s" "${by_stage[$s]:-0}"
done
if [ -s "$T/failures" ]; then
	echo "failures by kind (runs):"
	for k in "${!kinds[@]}"; do
		echo "  $k:${kinds[$k]}"
	done | sort
	echo "failed checks:"
	cat "$T/failures"
	fail "$(sed 's/^run \([0-9]*\) .*/\1/' "$T/failures" | sort -u | wc -l) of $runs runs failed" \
		"(PROVISION_KILL_SEED=$seed PROVISION_KILL_RUNS=$runs)"
fi
done_testing
