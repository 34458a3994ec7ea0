#!/bin/bash
# The seed site's pair of configs (issue 2), reproduced from a template and a site that say
# the same thing, then read back with Xen's own parser:
#   boot:    kernel = "/boot/xenu-linux-2.6.16.33-xenu"   memory = 128   name = "xenik"
#            vif = [ 'mac=00:16:3e:05:30:71, bridge=br53' ]   disk = [ 'phy:/dev/fc/fc-p1d1p13,hda1,w' ]
#            root = "/dev/hda1 ro"
#   install: kernel = "/boot/xenu-linux-2.6.16.33-xenuboot"   root = "/dev/nfs"
#            extra = "ip=147.228.53.71:147.228.53.154:147.228.53.1:255.255.255.0:xenik:eth0:off
#                     FAI_LOCATION=147.228.53.154:/usr/local/share/fai.dev FAI_ACTION=install
#                     FLAGS=verbose,debug,createvt"
# Modern xl syntax with the same meaning: the partition is the PV disk xvda1 (hda1 in 2007).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/render-lib.sh"
render_site
python3 - "$T/site.yaml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("  kernel: /boot/fai/vmlinuz\n  initrd: /boot/fai/initrd.img\n",
              "  kernel: /boot/xenu-linux-2.6.16.33-xenuboot\n")
s = s.replace("flags: [verbose, createvt, halt]", "flags: [verbose, debug, createvt]\n"
              "  legacy_location: \"147.228.53.154:/usr/local/share/fai.dev\"")
s = s.replace("kernels:\n", "kernels:\n  xenu: { kernel: /boot/xenu-linux-2.6.16.33-xenu }\n")
open(p, "w").write(s)
PY
cat >"$T/templates/seed.yaml" <<'Y'
description: the 2007 seed site's guests
type: pv
memory: 128M
vcpus: 1
disk: 10G
kernel: xenu
root: /dev/xvda1 ro
vlan: 53
Y
mkdir "$T/preview"
run 0 "$PROVISION" render xenik --template seed --ip 147.228.53.71 --mac 00:16:3e:05:30:71 \
	--disk-path /dev/fc/fc-p1d1p13 -o "$T/preview"
B=$T/preview/xenik.boot.cfg I=$T/preview/xenik.install.cfg
for f in "$B" "$I"; do
	expect_xl "$f" name xenik
	expect_xl "$f" memory 128
	expect_xl "$f" vif "mac=00:16:3e:05:30:71, bridge=br53"
	expect_xl "$f" disk:0 "target=/dev/fc/fc-p1d1p13 vdev=xvda1 format=raw access=rw cdrom=0"
done
expect_xl "$B" kernel /boot/xenu-linux-2.6.16.33-xenu
expect_xl "$B" ramdisk "(unset)"
expect_xl "$B" cmdline "root=/dev/xvda1 ro"
expect_xl "$I" kernel /boot/xenu-linux-2.6.16.33-xenuboot
cmdline=$(xlget "$I" cmdline)
# the seed's words, each present, in the seed's order
want="root=/dev/nfs ip=147.228.53.71:147.228.53.154:147.228.53.1:255.255.255.0:xenik:eth0:off FAI_ACTION=install FAI_LOCATION=147.228.53.154:/usr/local/share/fai.dev FLAGS=verbose,debug,createvt"
rest=" $cmdline "
for w in $want; do
	case "$rest" in *" $w "*) rest=${rest#*" $w "}; rest=" $rest" ;; *) fail "install cmdline lacks '$w' (in order): $cmdline" ;; esac
	n_checks=$((n_checks + 1))
done
expect_xl "$I" on_reboot destroy
expect_eq "$(find "$T/configs" -mindepth 1 | wc -l)" 0 # a preview: config_dir untouched
done_testing
