#!/bin/bash
# tests/lab/cdrom/build.sh OUT.iso KERNEL MODDIR KVER NAME - the lab's "CD installer" for
# install.method cdrom (tests/lab/tests/cdrom.sh), made without loop devices or root:
#   OUT.iso      isolinux boots KERNEL with installer-init, which writes system.img onto the
#                guest's disk, a marker into its sector 1, and powers the guest off;
#   system.img   an 8 MiB disk: a boot sector that prints 'PROVISION-READY NAME' on the serial
#                port (COM1) and halts, and one bootable FAT partition.
# MODDIR/lib/modules/KVER has xen-blkfront, ata_piix and sd_mod (Debian builds them as modules).
set -euo pipefail
out=$1 kernel=$2 moddir=$3 kv=$4 name=$5
src=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
initrd() { # DIR INIT: a busybox initrd with the disk drivers (Xen's PV disk, emulated IDE)
	local d=$1 m
	mkdir -p "$d/bin" "$d/lib/modules/$kv"
	cp /bin/busybox "$d/bin/"
	install -m 0755 "$2" "$d/init"
	for m in $(for x in xen-blkfront ata_piix sd_mod; do
		modprobe -d "$moddir" -S "$kv" --show-depends $x; done | awk '$1 == "insmod" {print $2}' | sort -u); do
		mkdir -p "$d/$(dirname "${m#$moddir}")"
		cp "$m" "$d/${m#$moddir}"
	done
	cp "$moddir/lib/modules/$kv"/modules.{order,builtin,builtin.modinfo} "$d/lib/modules/$kv/" 2> /dev/null || true
	depmod -b "$d" "$kv"
}
# the system on the disk: a boot sector that prints the ready marker on the serial port and
# halts (hand-assembled 16-bit code, below), the partition table, one bootable FAT partition.
# (A syslinux system with a kernel was tried first: under TCG SYSLINUX 6.04 hung at
# 'Loading /vmlinuz...' for 15 minutes; the firmware's boot from the disk is what is tested.)
msg="PROVISION-INFO: booted from the disk (boot sector)\r\nPROVISION-READY $name\r\n"
#   0: fa            cli               12: ac       lodsb            20: f4     hlt
#   1: 31 c0         xor ax, ax        13: 84 c0    test al, al      21: eb fd  jmp 20
#   3: 8e d8         mov ds, ax        15: 74 03    jz 20            23: the message, NUL-ended
#   5: fc            cld               17: ee       out dx, al
#   6: be 17 7c      mov si, 0x7c17    18: eb f8    jmp 12
#   9: ba f8 03      mov dx, 0x3f8 (COM1)
code='\xfa\x31\xc0\x8e\xd8\xfc\xbe\x17\x7c\xba\xf8\x03\xac\x84\xc0\x74\x03\xee\xeb\xf8\xf4\xeb\xfd'
printf "$code$msg\0" > "$w/mbr.bin"
[ "$(stat -c %s "$w/mbr.bin")" -le 440 ] || { echo "cdrom/build.sh: boot sector too long" >&2; exit 1; }
rm -f "$w/part.img"
mkfs.fat -C -h 2048 -n SYSTEM "$w/part.img" $((6 * 1024)) > /dev/null
echo "the lab's stand-in system for guest $name" > "$w/README"
mcopy -i "$w/part.img" "$w/README" ::/
truncate -s 8M "$w/system.img"
printf 'label: dos\nstart=2048, type=6, bootable\n' | sfdisk -q "$w/system.img"
dd if="$w/part.img" of="$w/system.img" bs=512 seek=2048 conv=notrunc status=none
dd if="$w/mbr.bin" of="$w/system.img" bs=440 count=1 conv=notrunc status=none
# the installer, with the system inside
initrd "$w/inst" "$src/installer-init"
cp "$w/system.img" "$w/inst/system.img"
mkdir -p "$w/iso/isolinux"
(cd "$w/inst" && find . | cpio -o -H newc --quiet | gzip -1) > "$w/iso/install.img"
cp "$kernel" "$w/iso/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$w/iso/isolinux/"
cat > "$w/iso/isolinux/isolinux.cfg" <<EOT
default install
prompt 0
timeout 1
serial 0 115200
label install
	kernel /vmlinuz
	append initrd=/install.img console=ttyS0,115200
EOT
xorriso -as mkisofs -quiet -o "$out" -b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table -V PROVISION-CD "$w/iso"
ls -l "$out"
