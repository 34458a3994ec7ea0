#!/bin/bash
# hvm-boot: how long an HVM guest's direct kernel boot (xl's kernel/ramdisk/cmdline with
# qemu-xen) takes under the lab's nested TCG, with its console on Xen's PV console (hvc0). A
# measurement for the hvm test, not a proof of provision. Found with it (stop 22): with the
# console on the emulated serial port (console=ttyS0 earlyprintk) the kernel's 35 KB of boot
# messages alone took 430 s, about 12 ms a byte, each byte a trap into the device model; the
# FAI installer of the hvm test, on ttyS0, had printed nothing for 20 minutes. Each run boots
# FAI's bzImage and prints the time from unpause to the kernel's version line, to its handing
# over to the initrd ('Run /init'), and to its end: with no initrd (the kernel panics: no
# root; panic=-1 and on_reboot destroy end the domain) and with FAI's own 49 MB initrd (the
# domain is destroyed once dracut has printed for 30 s).
# lab: fai 2400
# lab: hvm
. "$(dirname "$0")/lib.sh"
kernel=/srv/fai/nfsroot/vmlinuz
fai_initrd=$(ls /srv/fai/nfsroot/initrd.img* 2> /dev/null | head -1)
check "FAI's bzImage is there ($kernel)" test -f "$kernel" || finish

# boot_once TAG RAMDISK LIMIT: one HVM boot, console on hvc0 (xenconsoled's log, lines
# timed as they come); prints the times and checks the kernel's version line came
boot_once() {
	local tag=$1 rd=$2 limit=$3 cfg=/tmp/kb-$1.cfg log=$OUT/hvm-boot-$1.log t0 t i
	local clog=$CONSOLE_DIR/guest-kb-$1.log
	{
		echo "type = \"hvm\""
		echo "name = \"kb-$tag\""
		echo "memory = 1024"
		echo "vcpus = 1"
		echo "kernel = \"$kernel\""
		[ -n "$rd" ] && echo "ramdisk = \"$rd\""
		echo "cmdline = \"console=hvc0 panic=-1\""
		echo "serial = \"pty\""
		echo "vnc = 0"
		echo "on_reboot = \"destroy\""
		echo "on_crash = \"destroy\""
	} > "$cfg"
	step "$tag: ramdisk ${rd:-none} ($([ -n "$rd" ] && stat -c %s "$rd" || echo 0) bytes)"
	rm -f "$clog"
	xl create -p "$cfg" 2>&1 | sed 's/^/LAB> xl: /'
	xl domid "kb-$tag" > /dev/null || { check "$tag: xl create -p" false; return; }
	t0=$(now)
	xl unpause "kb-$tag"
	: > "$log"
	(tail -n +1 -F "$clog" 2> /dev/null | while IFS= read -r l; do printf '%s %s\n' "$(now)" "$l"; done >> "$log") &
	for ((i = 0; i < limit; i += 2)); do
		xl domid "kb-$tag" > /dev/null 2>&1 || break
		t=$(grep -a -m1 -E 'dracut|systemd\[1\]' "$log" | cut -d' ' -f1)
		[ -n "$t" ] && awk -v a="$t" -v b="$(now)" 'BEGIN { exit !(b - a > 30) }' && break
		sleep 2
	done
	xl destroy "kb-$tag" 2> /dev/null
	sleep 2
	pkill -f "tail -n \+1 -F $clog"
	cp "/var/log/xen/qemu-dm-kb-$tag.log" "$OUT/" 2> /dev/null
	at() { # PATTERN: seconds from unpause to the first line with it, or '-'
		local x
		x=$(grep -a -m1 -E "$1" "$log" | cut -d' ' -f1)
		[ -n "$x" ] && awk -v a="$t0" -v b="$x" 'BEGIN { printf "%.1f", b - a }' || echo -
	}
	timing "$tag: 'Linux version' $(at 'Linux version') s, 'Run /init' $(at 'Run /init') s," \
		"first word of the initrd $(at 'dracut|systemd\[1\]') s, panic $(at 'Kernel panic') s," \
		"$(wc -c < "$log") bytes (limit $limit s)"
	tail -n 3 "$log" | cut -c1-160 | sed "s/^/LAB-INFO: $tag: /"
	check "$tag: the kernel printed its version on hvc0" grep -aq 'Linux version' "$log"
}

boot_once none "" 900
[ -n "$fai_initrd" ] && boot_once fai "$fai_initrd" 1500
finish
