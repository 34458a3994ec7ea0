#!/bin/bash
# tests/lab/cdrom/build.sh OUT.iso KERNEL MODDIR KVER NAME - the lab's "CD installer" for
# install.method cdrom (tests/lab/tests/cdrom.sh), made without loop devices or root:
#   OUT.iso      isolinux boots KERNEL with installer-init, which writes system.img onto the
#                guest's disk, a marker into its sector 1, and powers the guest off;
#   system.img   a 48 MiB disk: syslinux's MBR, one bootable FAT partition with syslinux,
#                KERNEL and ready-init, which prints 'PROVISION-READY NAME' on ttyS0.
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
# the system on the disk
initrd "$w/ready" "$src/ready-init"
(cd "$w/ready" && find . | cpio -o -H newc --quiet | gzip -9) > "$w/ready.img"
cat > "$w/syslinux.cfg" <<EOT
default ready
prompt 0
timeout 1
serial 0 115200
label ready
	kernel /vmlinuz
	append initrd=/ready.img console=ttyS0,115200 provision_name=$name
EOT
rm -f "$w/part.img"
mkfs.fat -C -h 2048 -n SYSTEM "$w/part.img" $((46 * 1024)) > /dev/null
mcopy -i "$w/part.img" "$kernel" ::/vmlinuz
mcopy -i "$w/part.img" "$w/ready.img" "$w/syslinux.cfg" ::/
syslinux --install "$w/part.img"
truncate -s 48M "$w/system.img"
printf 'label: dos\nstart=2048, type=6, bootable\n' | sfdisk -q "$w/system.img"
dd if="$w/part.img" of="$w/system.img" bs=512 seek=2048 conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$w/system.img" bs=440 count=1 conv=notrunc status=none
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
