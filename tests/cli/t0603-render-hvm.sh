#!/bin/bash
# provision render for the installs beside PV + FAI (issue 14): an HVM guest installed by FAI
# (FAI's kernel booted directly, its console the serial port, classes XENHVM), an HVM guest
# installing from its CD (the CD in the install config only, the guest's reboots restart it),
# a PV guest booting its own kernel with PV-GRUB2; every config read back by Xen's parser.
# Bad input: FILE:LINE:COL errors, exit 2.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/render-lib.sh"
render_site
O=$T/out-cfg
mkdir "$O"

# hvm-fai: the installer is FAI's kernel, booted by the device model; the guest boots its disk
run 0 "$PROVISION" render web4 --template hvm-fai --vlan 53 -o "$O"
I=$O/web4.install.cfg B=$O/web4.boot.cfg
for f in "$I" "$B"; do
	expect_xl "$f" type hvm
	expect_xl "$f" serial pty
	expect_xl "$f" disk:0 "target=/dev/provision/UNALLOCATED vdev=hda format=raw access=rw cdrom=0"
	case "$(xlget "$f" vif)" in
	"mac=00:16:3e:"??:??:??", bridge=br53, type=ioemu, model=e1000") ;;
	*) fail "$f: vif '$(xlget "$f" vif)'" ;;
	esac
done
expect_xl "$I" kernel /boot/fai/vmlinuz
expect_xl "$I" ramdisk /boot/fai/initrd.img
expect_xl "$I" cmdline "console=hvc0 net.ifnames=0 root=nfs:147.228.53.154:/srv/fai/nfsroot:vers=3 rootovl ip=147.228.53.60::147.228.53.1:255.255.255.0:web4:eth0:off FAI_ACTION=install FAI_FLAGS=verbose,createvt,halt FAI_CONFIG_SRC=nfs://147.228.53.154/srv/fai/config monserver=147.228.53.154 PROVISION_CLASSES=XENHVM,DEBIAN PROVISION_SWAP_MIB=2048"
expect_xl "$I" on_reboot destroy
expect_xl "$I" on_poweroff destroy
expect_xl "$I" boot "(unset)"
expect_xl "$B" boot c
for k in kernel ramdisk cmdline; do
	expect_xl "$B" $k "(unset)"
done
expect_xl "$B" on_reboot restart

# fai.hvm_kernel: the HVM installer's kernel (a bzImage for the device model); PV keeps kernel
sed 's|^  kernel: /boot/fai/vmlinuz$|&\n  hvm_kernel: /boot/fai/bzImage|' "$T/site.yaml" >"$T/site2.yaml"
run 0 "$PROVISION" --site "$T/site2.yaml" render web4 --template hvm-fai --vlan 53
expect_out 'kernel = "/boot/fai/bzImage"'
run 0 "$PROVISION" --site "$T/site2.yaml" render web1 --template debian --vlan 53
expect_out 'kernel = "/boot/fai/vmlinuz"'

# hvm (the seed's CD form): the CD and its boot order in the install config only
run 0 "$PROVISION" render win1 --template hvm --vlan 53 -o "$O"
I=$O/win1.install.cfg B=$O/win1.boot.cfg
expect_xl "$I" disk:1 "target=/srv/iso/debian-12-amd64-netinst.iso vdev=hdc format=raw access=ro cdrom=1"
expect_xl "$I" boot dc
expect_xl "$I" vnc 1
expect_xl "$I" serial pty
expect_xl "$I" on_reboot restart
expect_xl "$I" on_poweroff destroy
expect_xl "$I" kernel "(unset)"
expect_xl "$B" disk:1 "(unset)"
expect_xl "$B" boot c

# debian-pvgrub: the boot config loads PV-GRUB2; the install is FAI's as for every PV guest
run 0 "$PROVISION" render web5 --template debian-pvgrub --vlan 53 -o "$O"
I=$O/web5.install.cfg B=$O/web5.boot.cfg
expect_xl "$B" type pv
expect_xl "$B" kernel /usr/lib/grub-xen/grub-x86_64-xen.bin
for k in ramdisk cmdline; do
	expect_xl "$B" $k "(unset)"
done
expect_xl "$I" kernel /boot/fai/vmlinuz
case "$(xlget "$I" cmdline)" in
"console=hvc0 "*" PROVISION_CLASSES=PVGRUB,DEBIAN") ;;
*) fail "pvgrub install cmdline '$(xlget "$I" cmdline)'" ;;
esac
# the site's pvgrub: path
sed -i '1i pvgrub: /srv/grub/pvgrub.bin' "$T/site.yaml"
run 0 "$PROVISION" render web5 --template debian-pvgrub --vlan 53
expect_out 'kernel = "/srv/grub/pvgrub.bin"'

# bad input: where it was written, exit 2, nothing written
cat >"$T/templates/bad1.yaml" <<'Y'
extends: debian
install:
  method: cdrom
Y
cat >"$T/templates/bad2.yaml" <<'Y'
extends: hvm
hvm:
  cdrom: ~
Y
cat >"$T/templates/bad3.yaml" <<'Y'
extends: hvm
install:
  method: floppy
  classes: [DEBIAN]
Y
cat >"$T/templates/bad4.yaml" <<'Y'
extends: hvm
install:
  classes: [DEBIAN]
  extra: debug
Y
sum=$(tree_sum "$O")
run 2 "$PROVISION" render bad --template bad1 --vlan 53 -o "$O"
expect_err_line "$T/templates/bad1.yaml:3:11: error: install.method: a cdrom install needs an HVM guest (this one is pv)"
run 2 "$PROVISION" render bad --template bad2 --vlan 53 -o "$O"
expect_err "a cdrom install needs hvm.cdrom, the installer's CD image"
run 2 "$PROVISION" render bad --template bad3 --vlan 53 -o "$O"
expect_err_line "$T/templates/bad3.yaml:3:11: error: install.method: invalid install method 'floppy' (use fai or cdrom)"
run 2 "$PROVISION" render bad --template bad4 --vlan 53 -o "$O"
expect_err_line "$T/templates/bad4.yaml:3:12: error: install.classes: FAI classes are only for install.method fai (this one is cdrom)"
expect_err_line "$T/templates/bad4.yaml:4:10: error: install.extra: the installer's command line is only for install.method fai (this one is cdrom)"
expect_eq "$(tree_sum "$O")" "$sum"
# a site kernel may not be called pvgrub
sed -i 's/^  default: {/  pvgrub: {/' "$T/site.yaml"
run 2 "$PROVISION" render web5 --template debian-pvgrub --vlan 53
expect_err "error: kernels: 'pvgrub' is reserved for PV-GRUB2 (set its path with pvgrub:)"
done_testing
