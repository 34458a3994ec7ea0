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
	libxenmisc4.17 iputils-ping
	# what golden images run (ssh-keygen: a clone's new host keys)
	openssh-client
	# HVM guests: the qemu-xen device model and its firmware; PV-GRUB2 for kernel: pvgrub
	qemu-system-xen seabios grub-xen-host
	# the peer of issue 13's benchmark (tests/xen-tools.sh): Debian's xen-tools and debootstrap
	xen-tools debootstrap
	# two-Dom0 tests (# lab: hosts 2): root ssh between the dom0s, the PostgreSQL inventory on
	# xen1, config_dir over NFS (client side)
	openssh-server postgresql-15 nfs-common)
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
	lab_dom0_hosts2 "$r"
	install -m 0755 "$LAB_SRC/dom0/init" "$r/init"
	install -m 0755 "$LAB_SRC/dom0/hotplug" "$r/usr/local/sbin/lab-hotplug"
	install -m 0644 "$LAB_SRC/dom0/hosts2" "$r/usr/local/sbin/lab-hosts2"
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

# lab_dom0_hosts2 ROOT: what two dom0s (xen1, xen2: the same image) share, made at build time:
# root's ssh key, authorized by both and the host key known under both names; PostgreSQL
# without the cluster Debian makes (xen1's dom0 init makes its own on tmpfs) and without LLVM
# (JIT only, 100 MB of the initramfs)
lab_dom0_hosts2() {
	local r=$1 hk
	rm -rf "$r"/usr/lib/x86_64-linux-gnu/libLLVM-* "$r"/usr/lib/postgresql/15/lib/llvmjit* \
		"$r"/usr/lib/postgresql/15/lib/bitcode "$r"/var/lib/postgresql/15 "$r"/etc/postgresql/15
	[ -f "$r/etc/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$r/etc/ssh/ssh_host_ed25519_key"
	mkdir -p -m 0700 "$r/root/.ssh"
	ssh-keygen -q -t ed25519 -N '' -C root@lab -f "$r/root/.ssh/id_ed25519"
	cp "$r/root/.ssh/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
	hk=$(cut -d' ' -f1,2 "$r/etc/ssh/ssh_host_ed25519_key.pub")
	echo "xen1,xen2,192.168.53.1,192.168.53.2 $hk" > "$r/root/.ssh/known_hosts"
	printf '192.168.53.1\txen1\n192.168.53.2\txen2\n' >> "$r/etc/hosts"
	# password-free root login with the key only; no DNS lookups of the peer
	printf 'PermitRootLogin prohibit-password\nUseDNS no\n' > "$r/etc/ssh/sshd_config.d/lab.conf"
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

# the peer's mirror (tests/xen-tools.sh, issue 13): what debootstrap's default variant (Priority
# required and important, the Essential set too) and xen-tools' hooks (debian.d: openssh-server,
# locales, util-linux-locales, kmod; and, since xen-tools boots bookworm with pygrub, the
# guest's own kernel: linux-image-amd64, initramfs-tools) install, as a signed Debian archive on
# a disk of its own (label
# labmirror), served by dom0 over HTTP on VLAN 53. The site's key reaches the guest the way
# Debian's does: a keyring package (lab-archive-keyring) of Priority required, which debootstrap
# installs; dom0 installs it from the mirror too, as an admin would.
XT_MIRROR_PKGS=(usr-is-merged openssh-server locales util-linux-locales kmod linux-image-amd64
	initramfs-tools)
build_mirror() {
	local out=$1 a=$1/archive k=$1/keyring-pkg g=$1/gnupg d f
	d=$a/dists/$SUITE/main/binary-amd64
	mkdir -p "$a/pool/main" "$d" "$k/DEBIAN" "$k/etc/apt/trusted.gpg.d" "$k/usr/share/keyrings"
	# Debian's own Priority and Section of every package (its index, not the .deb's control
	# file, is what debootstrap selects by) become the override file
	# essential/unlink: keep the Essential packages' debs too (base-files, dpkg, ...)
	mmdebstrap --variant=important --mode=root --skip=download/empty,essential/unlink \
		--include="$(IFS=,; echo "${XT_MIRROR_PKGS[*]}")" \
		--customize-hook="sync-out /var/cache/apt/archives $a/pool/main" \
		--customize-hook="sync-out /var/lib/apt/lists $out/lists" "$SUITE" /dev/null
	cat "$out"/lists/*_Packages | awk '/^Package:/ { p = $2 } /^Priority:/ { r = $2 }
		/^Section:/ { s = $2 } /^$/ { print p, r, s }' | sort -u -k1,1 > "$out/override"
	rm -rf "$a/pool/main/partial" "$a/pool/main/lock"
	# apt's cache names keep the epoch ('_2%3a1.02'); an archive's pool, which clients ask
	# over HTTP, drops it as Debian's does
	for f in "$a"/pool/main/*%3a*.deb; do mv "$f" "$(echo "$f" | sed 's/_[0-9]*%3a/_/')"; done
	# the site's archive key, made here; its public half in the keyring package
	mkdir -m 0700 "$g"
	GNUPGHOME=$g gpg --batch --passphrase '' --quick-gen-key \
		'provision lab mirror <lab-mirror@provision.invalid>' ed25519 sign never
	GNUPGHOME=$g gpg --export > "$k/usr/share/keyrings/lab-archive-keyring.gpg"
	cp "$k/usr/share/keyrings/lab-archive-keyring.gpg" "$k/etc/apt/trusted.gpg.d/lab-archive.gpg"
	cat > "$k/DEBIAN/control" <<-EOT
	Package: lab-archive-keyring
	Version: 1
	Architecture: all
	Priority: required
	Section: misc
	Maintainer: provision lab <lab-mirror@provision.invalid>
	Description: OpenPGP key of the provision lab's Debian mirror
	EOT
	dpkg-deb --root-owner-group --build "$k" "$a/pool/main/lab-archive-keyring_1_all.deb"
	echo 'lab-archive-keyring required misc' >> "$out/override"
	(cd "$a" && dpkg-scanpackages -m pool/main "$out/override" > "${d#"$a/"}/Packages")
	gzip -k "$d/Packages" && xz -k "$d/Packages"
	mirror_release "$a/dists/$SUITE" > "$a/dists/$SUITE/Release"
	GNUPGHOME=$g gpg --batch --clearsign -o "$a/dists/$SUITE/InRelease" "$a/dists/$SUITE/Release"
	GNUPGHOME=$g gpg --batch -abs -o "$a/dists/$SUITE/Release.gpg" "$a/dists/$SUITE/Release"
	GNUPGHOME=$g gpgconf --kill all
	cp "$k/usr/share/keyrings/lab-archive-keyring.gpg" "$out/"
	ls "$a/pool/main" | wc -l; du -sh "$a"
	mke2fs -q -t ext4 -L labmirror -d "$a" "$out/mirror.ext4" 1G
	rm -rf "$a" "$k" "$g" "$out/lists"
}

# mirror_release DIR: a Release file for the suite directory DIR (what apt-ftparchive release
# writes, for the one component and architecture)
mirror_release() {
	local f
	printf 'Origin: provision-lab\nLabel: provision-lab\nSuite: %s\nCodename: %s\n' "$SUITE" "$SUITE"
	printf 'Date: %s\nArchitectures: amd64\nComponents: main\n' "$(LC_ALL=C date -u -R)"
	printf 'Description: the provision lab mirror for debootstrap\nSHA256:\n'
	(cd "$1" && for f in main/binary-amd64/Packages*; do
		printf ' %s %16d %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
	done)
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
