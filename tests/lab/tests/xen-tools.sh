#!/bin/bash
# xen-tools: the peer of issue 13's benchmark. Debian's xen-tools 4.9.2 (in dom0 from bookworm)
# makes a guest the way it documents: xen-create-image installs bookworm with debootstrap from
# the lab's Debian mirror (stage mirror: signed, served by dom0 over HTTP on VLAN 53) onto a
# partition of the LUN, runs its hooks (networking, openssh-server, locales, ...) and writes an
# xl config; 'xl create' of that config boots it until it answers ping on VLAN 53. For bookworm
# xen-tools always boots with pygrub ('bookworm = debian pygrub' in its distributions.conf
# sets pygrub whatever the options say): its hook 80-install-kernel installs linux-image-amd64
# and initramfs-tools in the guest and writes /boot/grub/menu.lst, and pygrub in dom0 boots
# that kernel; --kernel/--initrd (the lab's production kernel) would be ignored. Timed:
# xen-create-image, boot to ping, total (xt_guest in lib.sh, which the benchmark calls too).
#
# xen-create-image's options (all from its --help/manual), and why:
#   --hostname=xt1                   mandatory
#   --image-dev=/dev/fc/fc-p1d2pN     the root file system on a partition of the LUN, as
#                                     provision's guests have (xen-tools formats it itself)
#   --noswap                          --image-dev needs --swap-dev or --noswap; provision's
#                                     guests have a swap file, not a partition (a peer guest
#                                     without swap does not change what is timed)
#   --fs=ext4                         provision's file system (also xen-tools.conf's default)
#   --dist=bookworm                   the same Debian as provision's guests
#   --mirror=http://10.53.0.1/debian  the lab's mirror; debootstrap and the guest's apt use it
#   --keyring=/usr/share/keyrings/lab-archive-keyring.gpg
#                                     the mirror's key for debootstrap (from the mirror's
#                                     lab-archive-keyring package, installed in dom0)
#   --ip --netmask --gateway          a static address on VLAN 53 (10.53.0.0/24)
#   --bridge=br53                     the VLAN's bridge (provision net ensure 53)
#   --memory=256M                     xen-tools.conf's default, stated
#   --verbose                         its output in $OUT/xen-create-image-xt1.log
# Left at xen-tools' defaults (xen-tools.conf as Debian ships it): --cache=yes (the debs are
# kept in dom0's /var/cache/apt/archives; the first run of a lab starts empty), --genpass,
# no --boot (the test runs 'xl create' itself to time the boot apart), no roles.
# lab: mirror 3600
. "$(dirname "$0")/lib.sh"
name=xt1 ip=10.53.0.71

step "the lab's Debian mirror on http://10.53.0.1/debian"
check "the mirror's InRelease is served over HTTP on VLAN 53's server address" mirror_server_start
check "dom0 has the mirror's key from its keyring package" test -s "$XT_KEYRING"
check "xen-create-image is Debian's xen-tools ($(dpkg-query -W -f='${Version}' xen-tools 2> /dev/null))" \
	test -x /usr/bin/xen-create-image
check "br53 on the trunk" vlan_bridge 53
provision_site
dev=$(xt_part /dev/fc/fc-p1d2 2G "xt:$name")
check "a 2 GiB partition for $name on the LUN: $dev" test -b "$dev"

step "xen-create-image --hostname=$name, then xl create, until $ip answers"
t=$(xt_guest "$name" "$ip" "$dev")
rc=$?
echo "$t"
check "xen-create-image made $name and it answers ping over VLAN 53" test $rc = 0
xt=$(echo "$t" | grep '^XT-TIME:')
timing "${xt#XT-TIME: }"
log=$OUT/xen-create-image-$name.log
check "debootstrap checked the mirror's signature with the lab key" \
	grep -q 'Valid Release signature' "$log"
check "xen-tools' hooks ran (70-install-ssh)" grep -q 'Running hook 70-install-ssh' "$log"
cp "/var/log/xen-tools/$name.log" "$OUT/" 2> /dev/null
cp "/etc/xen/$name.cfg" "$OUT/" 2> /dev/null
check "the config names the partition" grep -q "phy:$dev,xvda1,w" "/etc/xen/$name.cfg"
check "the config boots with pygrub (xen-tools' way for bookworm)" grep -q "^bootloader *= *'pygrub'" "/etc/xen/$name.cfg"
check "xl parses the config" sh -c "xl -N create /etc/xen/$name.cfg > /dev/null"

# sshd of the guest (installed by xen-tools' hook from the mirror) answers with its banner
ssh_banner() { timeout 5 bash -c "exec 3<>/dev/tcp/$ip/22 && head -c 8 <&3" 2> /dev/null | grep -q SSH-2.0; }
i=0
[ $rc = 0 ] && until ssh_banner || [ $i -ge 60 ]; do sleep 2; i=$((i + 1)); done
check "the guest's sshd answers on $ip:22" ssh_banner
keep_console "$name" boot

step "xl destroy $name; its disk, checked from dom0"
xl destroy "$name"
check "the domain is gone" domain_gone "$name" 30
m=/mnt/xt
mkdir -p $m && mount -o ro "$dev" $m
check "the root file system holds bookworm" grep -q '^12' $m/etc/debian_version
check "the guest trusts the mirror's key (lab-archive-keyring, Priority required)" \
	test -s $m/etc/apt/trusted.gpg.d/lab-archive.gpg
check "the guest's apt uses the lab mirror" grep -q "^deb *$XT_MIRROR *bookworm" $m/etc/apt/sources.list
check "openssh-server is installed" sh -c "dpkg-query --admindir=$m/var/lib/dpkg -W -f='\${Status}' openssh-server | grep -q 'install ok installed'"
check "the static address is in /etc/network/interfaces" grep -q "address $ip" $m/etc/network/interfaces
check "the host name is $name" grep -qx "$name" $m/etc/hostname
check "the guest has its own kernel and pygrub's menu.lst" sh -c "ls $m/boot/vmlinuz-* && test -s $m/boot/grub/menu.lst"
umount $m
finish
