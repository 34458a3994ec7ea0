#!/bin/bash
# meson test lab-lock: tests/lab/run takes the cache's lock before it builds or removes anything
# there, and a second run waits for the first (saying its pid) or, with --no-wait /
# LAB_NO_WAIT=1, refuses with status 3. Real runs of tests/lab/run on a scratch cache, stopped
# right after the lock by LAB_STOP_AFTER_LOCK (nothing is built or booted).
set -u
[ "$(id -u)" = 0 ] || { echo "skip: tests/lab/run needs root"; exit 77; }
command -v flock >/dev/null || { echo "skip: no flock(1)"; exit 77; }
: "${SRCDIR:?run through meson test}"
. "$SRCDIR/tests/cli/lib.sh"
lab=$SRCDIR/tests/lab/run
a='' c=''
# a run that failed to stop at the lock must not go on building a lab
trap 'for p in $a $c; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
export PROVISION_LAB_CACHE=$T/cache
mkdir -p "$PROVISION_LAB_CACHE/run/share" "$PROVISION_LAB_CACHE/kernel-0123456789ab"
echo kept > "$PROVISION_LAB_CACHE/run/share/sentinel"
touch "$PROVISION_LAB_CACHE/kernel-0123456789ab/.done"
tree() { (cd "$PROVISION_LAB_CACHE" && find . ! -name lock | LC_ALL=C sort); }
before=$(tree)

# A holds the lock for 4 s
LAB_STOP_AFTER_LOCK=4 "$lab" --build 2>"$T/a.err" &
a=$!
for _ in $(seq 50); do [ "$(cat "$PROVISION_LAB_CACHE/lock" 2>/dev/null)" = "$a" ] && break; sleep 0.1; done
expect_eq "$(cat "$PROVISION_LAB_CACHE/lock")" "$a"

# B refuses at once, with --no-wait and with LAB_NO_WAIT=1
msg="lab: error: another lab run (pid $a) uses the cache '$PROVISION_LAB_CACHE'; not waiting (--no-wait)"
run 3 env LAB_STOP_AFTER_LOCK=0 "$lab" --build --no-wait
expect_err_line "$msg"
expect_eq "$(wc -l <"$T/err")" 1
run 3 env LAB_STOP_AFTER_LOCK=0 LAB_NO_WAIT=1 "$lab" e2e
expect_err_line "$msg"
expect_eq "$(tree)" "$before"
expect_eq "$(cat "$PROVISION_LAB_CACHE/lock")" "$a"
kill -0 "$a" || fail "the first run died"

# C waits until A is done, then has the lock
LAB_STOP_AFTER_LOCK=0 "$lab" --build 2>"$T/c.err" &
c=$!
sleep 1
kill -0 "$a" || fail "the first run died"
kill -0 "$c" 2>/dev/null || { cat "$T/c.err" >&2; fail "the second run did not wait"; }
expect_eq "$(cat "$PROVISION_LAB_CACHE/lock")" "$a"
grep -qxF "lab: waiting for the other lab run (pid $a) to finish with the cache '$PROVISION_LAB_CACHE'" "$T/c.err" ||
	{ cat "$T/c.err" >&2; fail "no waiting message"; }
expect_eq "$(tree)" "$before"
wait "$a" || fail "the first run exited $?"
wait "$c" || { cat "$T/c.err" >&2; fail "the second run exited $?"; }
grep -qF "lab: lock taken (pid $c)" "$T/c.err" || { cat "$T/c.err" >&2; fail "C never took the lock"; }
expect_eq "$(cat "$PROVISION_LAB_CACHE/lock")" "$c"
expect_eq "$(tree)" "$before"
expect_eq "$(cat "$PROVISION_LAB_CACHE/run/share/sentinel")" kept

# a free lock is taken without waiting
run 0 env LAB_STOP_AFTER_LOCK=0 "$lab" --build
expect_err_line "lab: lock taken (pid $(cat "$PROVISION_LAB_CACHE/lock")); stopping after 0 s (LAB_STOP_AFTER_LOCK)"
grep -q waiting "$T/err" && fail "waited for a free lock"
done_testing
