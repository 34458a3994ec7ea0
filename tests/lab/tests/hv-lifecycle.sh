#!/bin/bash
# hv-lifecycle: the hypervisor module's lifecycle on real Xen, through hv-lifecycle
# (tests/xen/hv-lifecycle.c: hv_libxl_ops + hv_shutdown_apply, nothing else of provision):
# create from a libxl_domain_config built in memory, console captured from the first byte,
# shutdown reasons poweroff / reboot / crash, on_* applied by provision (destroy, restart,
# preserve), a caller's fd polled in the same loop, destroy by name, libxl's own errors.
# Referees: xl list / xl domid, and xenconsoled's own log of the same console.
#
# DRAFT for the integrator: needs build/tests/hv-lifecycle in the share's bin/ (one line in
# lab_build_provision: cp "$b/tests/hv-lifecycle" "$SHARE/bin/") and the lab's production
# guest kernel and initrd in /srv/guest. The guests need no special init: the kernel runs
# busybox from the initrd directly (rdinit=/bin/busybox -- APPLET ARGS...).
. "$(dirname "$0")/lib.sh"

K=/srv/guest/vmlinux
I=/srv/guest/initrd.img
L=$OUT/hv-lifecycle
mkdir -p "$L"
BB="console=hvc0 rdinit=/bin/busybox --"

# run_hvl NAME CMDLINE [OPTIONS...]: hv-lifecycle run with its console in $L/NAME.log;
# its stdout in $L/NAME.out, stderr in $L/NAME.err; returns its exit status
run_hvl() {
	local name=$1 cmdline=$2 rc t0
	shift 2
	t0=$(now)
	hv-lifecycle run "$name" "$K" "$I" "$cmdline" --console "$L/$name.log" "$@" \
		> "$L/$name.out" 2> "$L/$name.err" < /dev/null
	rc=$?
	timing "hv-lifecycle $name: $(since "$t0") s (exit $rc)"
	sed "s/^/  $name| /" "$L/$name.out" "$L/$name.err"
	return $rc
}
count() { grep -c -- "$2" "$1" 2> /dev/null; }

step "poweroff with on_poweroff=destroy"
check "poweroff: hv-lifecycle exits 0" \
	run_hvl hvl-off "$BB sh -c \"echo HV-MARK-off; poweroff -f\"" --timeout 120
check "poweroff: reason poweroff, destroyed" grep -qx 'shutdown domid=[0-9]* reason=poweroff next=destroy' "$L/hvl-off.out"
check "poweroff: the domain is gone (xl)" domain_gone hvl-off 10
check "poweroff: our console log has the guest's first and last lines" \
	sh -c "grep -aq 'Linux version' '$L/hvl-off.log' && grep -aq HV-MARK-off '$L/hvl-off.log'"
check "poweroff: xenconsoled's own log agrees" grep -aq HV-MARK-off "$CONSOLE_DIR/guest-hvl-off.log"

step "reboot with on_reboot=restart: provision re-creates the domain (twice, then the limit)"
run_hvl hvl-reboot "$BB sh -c \"echo HV-MARK-boot; reboot -f\"" --on-reboot restart \
	--max-restarts 2 --timeout 300
check "reboot: three domains created" test "$(count "$L/hvl-reboot.out" '^created ')" = 3
check "reboot: three distinct domids" \
	test "$(sed -n 's/^created .* domid=//p' "$L/hvl-reboot.out" | sort -u | wc -l)" = 3
check "reboot: two restarts, then the limit" \
	sh -c "test \$(grep -c 'reason=reboot next=restart' '$L/hvl-reboot.out') = 2 && grep -q restart-limit '$L/hvl-reboot.out'"
check "reboot: one console log holds all three boots" test "$(count "$L/hvl-reboot.log" HV-MARK-boot)" = 3
check "reboot: the domain is gone" domain_gone hvl-reboot 10

step "crash with on_crash=preserve: the domain stays for inspection"
# no init anywhere: the kernel panics, and a PV kernel's panic is a crash shutdown
run_hvl hvl-crash "console=hvc0 rdinit=/nonexistent root=/dev/nonexistent" --on-crash preserve \
	--timeout 120
check "crash: reason crash, preserved" grep -qx 'shutdown domid=[0-9]* reason=crash next=preserve' "$L/hvl-crash.out"
check "crash: the console tail shows the panic" sh -c "sed -n '/^console tail:/,\$p' '$L/hvl-crash.out' | grep -q 'Kernel panic'"
check "crash: xl still lists the domain" xl domid hvl-crash
check "destroy by name" sh -c "hv-lifecycle destroy hvl-crash | grep -qx 'destroyed hvl-crash'"
check "crash: now gone" domain_gone hvl-crash 10
hv-lifecycle destroy hvl-crash
rc=$?
check "destroy of a missing domain exits 3" test $rc = 3

step "a caller's fd in the same loop, with the console copied live while waiting"
# not in the 9p share: it cannot hold a FIFO
rm -f /tmp/hvl-stop && mkfifo /tmp/hvl-stop
exec 7<> /tmp/hvl-stop
hv-lifecycle run hvl-watch "$K" "$I" "$BB sh -c \"echo HV-MARK-up; sleep 600\"" \
	--console "$L/hvl-watch.log" --stop-on-stdin < /tmp/hvl-stop > "$L/hvl-watch.out" 2> "$L/hvl-watch.err" &
pid=$!
i=0
while ! grep -aq HV-MARK-up "$L/hvl-watch.log" 2> /dev/null && [ $i -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
check "watch: the marker reached our log while hv-lifecycle waited" grep -aq HV-MARK-up "$L/hvl-watch.log"
echo stop >&7
wait $pid
rc=$?
check "watch: a line on the fd stopped the wait (exit 0)" test $rc = 0
check "watch: reported as a watch" grep -q '^watch domid=' "$L/hvl-watch.out"
check "watch: the guest still runs" xl domid hvl-watch
check "watch: domid by name agrees with xl" test "$(hv-lifecycle domid hvl-watch)" = "$(xl domid hvl-watch)"
check "watch: destroy by name" hv-lifecycle destroy hvl-watch
check "watch: gone" domain_gone hvl-watch 10
exec 7>&-

step "timeout: the domain is destroyed"
run_hvl hvl-slow "$BB sleep 600" --timeout 20
rc=$?
check "timeout: exit 1" test $rc = 1
check "timeout: reported" grep -q '^timeout domid=' "$L/hvl-slow.out"
check "timeout: gone" domain_gone hvl-slow 10

step "libxl's own error text reaches the user"
hv-lifecycle run hvl-bad /nonexistent/vmlinux "$I" console=hvc0 > /dev/null 2> "$L/hvl-bad.err"
rc=$?
check "bad kernel: exit 1" test $rc = 1
check "bad kernel: libxl's log lines" grep -q '^libxl: error: ' "$L/hvl-bad.err"
check "bad kernel: our diagnostic quotes it" grep -q "^hv-lifecycle: error: cannot create domain 'hvl-bad': " "$L/hvl-bad.err"
sed 's/^/  hvl-bad| /' "$L/hvl-bad.err"
check "bad kernel: nothing left behind" domain_gone hvl-bad 10

for n in hvl-off hvl-reboot hvl-crash hvl-watch hvl-slow; do keep_console "$n" xenconsoled; done
finish
