# tests/lab/lib/build.sh - the lab's build stages (sourced by tests/lab/run after common.sh)
# Each build_<stage> OUT fills the empty directory OUT; lab_stage (common.sh) caches it.

# Xen and the Debian kernel, extracted from their packages (nothing installed on the host)
build_kernel() {
	local out=$1 kv
	kv=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -1)
	echo "$kv" > "$out/KVER"
	mkdir -p "$out/debs" "$out/x" "$out/k"
	(cd "$out/debs" && apt-get download "$XEN_PKG" "linux-image-$kv")
	dpkg-deb -x "$out"/debs/"$XEN_PKG"_*.deb "$out/x"
	dpkg-deb -x "$out"/debs/linux-image-"$kv"_*.deb "$out/k"
	# QEMU's multiboot loader needs the ELF, not the .gz
	zcat "$out"/x/boot/xen-*-amd64.gz > "$out/xen"
	extract_vmlinux "$out/k/boot/vmlinuz-$kv" "$out/vmlinux"
	depmod -b "$out/k" "$kv"
	for d in "$out"/debs/*.deb; do dpkg-deb -f "$d" Package Version | paste -sd' '; done > "$out/VERSIONS"
	rm -rf "$out/debs" "$out/x"
}

DOM0_PKGS=(xen-utils-4.17 xen-utils-common xenstore-utils iproute2 bridge-utils nfs-kernel-server
	kmod busybox-static util-linux fdisk e2fsprogs procps netbase
	# runtime libraries of provision (the same bookworm versions as the host's -dev packages)
	libyaml-0-2 libfdisk1 libblkid1 libext2fs2 libnl-3-200 libnl-route-3-200 libsqlite3-0 libpq5
	libxenmisc4.17
	# what golden images run (ssh-keygen: a clone's new host keys)
	openssh-client
	# HVM guests: the qemu-xen device model and its firmware; PV-GRUB2 for kernel: pvgrub
	qemu-system-xen seabios grub-xen-host)
DOM0_MODULES=(xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback
	virtio_pci virtio_blk virtio_net 9pnet_virtio 9p bridge 8021q loop ext4 crc32c_generic
	nfsd nfsv3 nfsv4 veth dummy
	# HVM guests: qemu-xen makes a tap (vifN.M-emu) for an emulated NIC
	tun)
GUEST_MODULES=(xen-blkfront xen-netfront ext4 crc32c_generic)

# dom0: a bookworm root (mmdebstrap) with the Xen toolstack, packed whole as its initramfs;
# it also carries the production kernel and initrd for guests in /srv/guest
build_dom0() {
	local out=$1 r=$1/root g kv
	kv=$(cat "$STAGE_KERNEL/KVER")
	mmdebstrap --variant=minbase --mode=root --include="$(IFS=,; echo "${DOM0_PKGS[*]}")" \
		"$SUITE" "$r"
	copy_modules "$STAGE_KERNEL/k" "$r" "$kv" "${DOM0_MODULES[@]}"
	rm -rf "$r"/usr/share/{doc,man,info,locale}/* "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/*
	install -m 0755 "$LAB_SRC/dom0/init" "$r/init"
	install -m 0755 "$LAB_SRC/dom0/hotplug" "$r/usr/local/sbin/lab-hotplug"
	echo dom0 > "$r/etc/hostname"
	sed -i 's/^#\?autoballoon=.*/autoballoon="off"/' "$r/etc/xen/xl.conf"
	# guests' production kernel: the same Debian kernel as ELF, and a busybox initrd that
	# loads blkfront/ext4 and switches to root= (Debian builds both as modules)
	g=$out/guest-initrd
	mkdir -p "$g/bin" "$r/srv/guest"
	cp /bin/busybox "$g/bin/"
	# applet links too, for guests started with rdinit=/bin/busybox (no /init, no PATH)
	for a in $(/bin/busybox --list); do [ -e "$g/bin/$a" ] || ln -s busybox "$g/bin/$a"; done
	install -m 0755 "$LAB_SRC/dom0/guest-init" "$g/init"
	copy_modules "$STAGE_KERNEL/k" "$g" "$kv" "${GUEST_MODULES[@]}"
	mkcpio "$g" "$r/srv/guest/initrd.img" gzip
	cp "$STAGE_KERNEL/vmlinux" "$r/srv/guest/vmlinux"
	# the CD image of the cdrom test's guest cd1 (install.method cdrom): a stand-in installer
	"$LAB_SRC/cdrom/build.sh" "$r/srv/guest/cd-installer.iso" "$STAGE_KERNEL/k/boot/vmlinuz-$kv" \
		"$STAGE_KERNEL/k" "$kv" cd1
	mkcpio "$r" "$out/dom0.cpio"
	rm -rf "$r" "$g"
}

# FAI package list file -> package names (PACKAGES lines, comments and removals dropped)
fai_list_pkgs() {
	sed -e 's/#.*//' -e '/^PACKAGES/d' "$@" | tr -s ' \t' '\n\n' | grep -v -e '^$' -e '-$'
}

# the local package pool (a flat apt repository) with everything the nfsroot and the
# target need, and the minbase tarball used as the nfsroot base and as FAI's basefile
build_pool() {
	local out=$1 pkgs
	# every class's package list of the config space (XENGUEST, XENHVM, PVGRUB, ...)
	pkgs=$({ fai_list_pkgs "$LAB_SRC/fai/NFSROOT" "$SRC"/hooks/fai/package_config/*
		# installed by fai-make-nfsroot itself or pulled in by its steps
		printf '%s\n' fai-client fai-setup-storage dracut-live dracut-squash pxelinux \
			syslinux-common syslinux-efi patch; } | sort -u | paste -sd,)
	echo "pool packages: $pkgs"
	mkdir -p "$out/pool"
	# fai-nfsroot refuses to install outside an nfsroot: the marker file lets it
	mmdebstrap --variant=minbase --mode=root --skip=download/empty \
		--setup-hook='touch "$1"/.THIS_IS_THE_FAI_NFSROOT' --include="$pkgs" \
		--customize-hook="sync-out /var/cache/apt/archives $out/pool" "$SUITE" /dev/null
	rm -rf "$out/pool/partial" "$out/pool/lock"
	(cd "$out/pool" && dpkg-scanpackages -m . /dev/null > Packages && gzip -k Packages)
	mmdebstrap --variant=minbase --mode=root "$SUITE" "$out/base.tar.zst"
	ls "$out/pool" | wc -l; du -sh "$out/pool"
}

# the FAI server disk (read-only /dev/vdc in dom0, mounted on /srv/fai): nfsroot made by the
# real fai-make-nfsroot from the pool, the pool as mirror/, the installer kernel (ELF) and
# initrd in boot/, the basefile, and an empty config/ where the config space is mounted
build_faisrv() {
	local out=$1 etc=$1/etc-fai s=$1/srv kv
	mkdir -p "$etc/apt" "$s/boot" "$s/basefiles" "$s/config" "$out/tftp" "$out/hooks"
	cp "$LAB_SRC/fai/NFSROOT" "$etc/NFSROOT"
	echo 'deb [trusted=yes] file:/media/mirror ./' > "$etc/apt/sources.list"
	# no LOGUSER: with one, task chboot/savelog fail (ssh to the server) and FAI reports 410
	echo 'LOGUSER=' > "$etc/fai.conf"
	# FAI_DEBMIRROR is expanded unquoted by fai-make-nfsroot's mount: a read-only bind
	cat > "$etc/nfsroot.conf" <<-EOT
	FAI_DEBOOTSTRAP="$SUITE file:///media/mirror"
	FAI_ROOTPW='\$1\$kBnWcO.E\$djxB128U7dMkrltJHPf6d1'
	NFSROOT=$s/nfsroot
	TFTPROOT=$out/tftp
	NFSROOT_HOOKS=$out/hooks
	FAI_DEBOOTSTRAP_OPTS=
	FAI_CONFIGDIR=/srv/fai/config
	FAI_DEBMIRROR="--bind $STAGE_POOL/pool"
	EOT
	fai-make-nfsroot -v -f -C "$etc" -B "$STAGE_POOL/base.tar.zst"
	kv=$(ls "$s/nfsroot/boot" | sed -n 's/^vmlinuz-//p' | tail -1)
	cp "$s/nfsroot/boot/initrd.img-$kv" "$s/boot/initrd.img"
	extract_vmlinux "$s/nfsroot/boot/vmlinuz-$kv" "$s/boot/vmlinux"
	cp -al "$STAGE_POOL/pool" "$s/mirror"
	cp "$STAGE_POOL/base.tar.zst" "$s/basefiles/XENGUEST.tar.zst"
	du -sh "$s"/*
	mke2fs -q -t ext4 -L faisrv -d "$s" "$out/faisrv.ext4" 3G
	rm -rf "$s" "$out/tftp"
}

# provision itself: a release build (no sanitizers) on the host; bookworm's libraries are
# the ones dom0 has. The build directory is per clone, outside it; meson makes it incremental.
lab_build_provision() {
	local b
	b=$CACHE/build/$(printf %s "$SRC" | sha256sum | cut -c1-12)
	if [ ! -f "$b/build.ninja" ]; then
		meson setup "$b" "$SRC" --buildtype=release -Db_sanitize=none -Dwerror=false > "$CACHE/meson-setup.log" ||
			{ cat "$CACHE/meson-setup.log" >&2; return 1; }
	fi
	meson compile -C "$b" > "$CACHE/meson-compile.log" 2>&1 || { tail -30 "$CACHE/meson-compile.log" >&2; return 1; }
	mkdir -p "$SHARE/bin"
	cp "$b/provision/provision" "$SHARE/bin/provision" || return 1
	# the hypervisor module's own lab tool (tests/lab/tests/hv-lifecycle.sh)
	[ ! -f "$b/tests/hv-lifecycle" ] || cp "$b/tests/hv-lifecycle" "$SHARE/bin/" || return 1
	# the lab's FAI monitor listener: netboot/monitor.c behind a plain TCP accept loop
	gcc -O2 -Wall -Werror -D_GNU_SOURCE -I"$SRC" -o "$SHARE/bin/fai-listen" \
		"$LAB_SRC/tools/fai-listen.c" "$b/netboot/libnetboot.a" "$b/common/libcommon.a"
}
