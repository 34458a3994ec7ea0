# lib.sh - helpers for the lab's tests, which run inside dom0 (sourced)
# Lines starting with LAB are shown by tests/lab/run as they come; everything else goes to
# the serial log only.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
OUT=/lab/out
CONSOLE_DIR=/var/log/xen/console
mkdir -p "$OUT"
lab_failed=0

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
step() { echo "LAB-STEP: $*"; }
timing() { echo "LAB-TIMING: $*"; }

# check DESCRIPTION CMD...: run CMD (output to the serial log), record ok or FAIL (status 1)
check() {
	local desc=$1
	shift
	if "$@"; then
		echo "LAB-CHECK: ok   $desc"
	else
		echo "LAB-CHECK: FAIL $desc"
		lab_failed=1
		return 1
	fi
}
# finish: the test's exit status
finish() { exit $lab_failed; }

# domain_gone NAME [TIMEOUT]: wait until the domain no longer exists
domain_gone() {
	local i=0
	while xl domid "$1" > /dev/null 2>&1; do
		[ $i -ge $((${2:-60} * 2)) ] && return 1
		sleep 0.5
		i=$((i + 1))
	done
}

# shutdown_destroy NAME: xl shutdown -w NAME (within 5 minutes), then destroy the shut-down
# domain, which nothing else does (provision leaves no process applying on_poweroff: README),
# and wait until it is gone. Fails when the shutdown or the wait does.
shutdown_destroy() {
	local rc
	timeout 300 xl shutdown -w "$1" 2>&1 | sed 's/^/LAB> xl: /'
	rc=${PIPESTATUS[0]}
	xl list "$1" 2> /dev/null | tail -n +2 | sed 's/^/LAB-INFO: after the shutdown: /'
	xl destroy "$1" 2> /dev/null
	[ "$rc" = 0 ] && domain_gone "$1" 60
}

# wait_console NAME PATTERN TIMEOUT: wait for an extended regex in the guest's console log
# while the domain lives; returns 1 on timeout or when the domain went away without it
wait_console() {
	local log=$CONSOLE_DIR/guest-$1.log i=0
	while ! grep -aqE "$2" "$log" 2> /dev/null; do
		[ $i -ge $(($3 * 2)) ] && return 1
		xl domid "$1" > /dev/null 2>&1 || { sleep 1; grep -aqE "$2" "$log" 2> /dev/null; return; }
		sleep 0.5
		i=$((i + 1))
	done
}

# console_last NAME PREFIX: the last line of the guest's console log that starts with PREFIX
# (e.g. PROVISION-INFO), without its carriage return
console_last() { grep -a "^$2" "$CONSOLE_DIR/guest-$1.log" | tail -1 | tr -d '\r'; }

# retry SECONDS CMD...: run CMD every second until it succeeds, for at most SECONDS
retry() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 1
	done
}

# wait_ping IP SECONDS [DOMAIN]: until IP answers a ping (0); 1 when SECONDS passed first or
# DOMAIN (when given) is gone
wait_ping() {
	local end=$((SECONDS + $2))
	until busybox ping -c 1 -W 1 "$1" > /dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		[ -z "${3:-}" ] || xl domid "$3" > /dev/null 2>&1 || return 1
		sleep 0.2
	done
}

# distinct VALUE...: every value is there (none empty) and no two are the same
distinct() {
	test "$(printf '%s\n' "$@" | grep -c .)" = $# &&
		test "$(printf '%s\n' "$@" | sort -u | grep -c .)" = $#
}

# keep_console NAME TAG: copy the guest's console log into the results
keep_console() { cp "$CONSOLE_DIR/guest-$1.log" "$OUT/console-$1-$2.log" 2> /dev/null || true; }

# vlan_bridge VLAN: the trunk's VLAN interface eth0.VLAN enslaved to brVLAN (forward delay 0),
# made by provision when it has 'net ensure', else by hand the same way
vlan_bridge() {
	local v=$1
	if provision net ensure --help > /dev/null 2>&1; then
		step "provision net ensure $v"
		provision net ensure "$v"
		return
	fi
	ip link show "br$v" > /dev/null 2>&1 && return 0
	ip link add link eth0 name "eth0.$v" type vlan id "$v"
	ip link add "br$v" type bridge forward_delay 0
	ip link set "eth0.$v" master "br$v"
	ip link set "eth0.$v" up
	ip link set "br$v" up
}

# fai_server_start: dom0 as the site's FAI server on VLAN 53 (10.53.0.1 on labsrv.53):
# NFS exports of the nfsroot, the config space (hooks/fai with the lab's DEFAULT.var, from
# the share, on a tmpfs) and the package pool
fai_server_start() {
	mountpoint -q /srv/fai || { echo "no FAI server disk (faisrv) in this lab"; return 1; }
	if ! mountpoint -q /srv/fai/config; then
		mount -t tmpfs -o size=256m faiconfig /srv/fai/config
		cp -r /lab/fai-config/. /srv/fai/config/
		cp /srv/fai/basefiles/XENGUEST.tar.zst /srv/fai/config/basefiles/
	fi
	cat > /etc/exports <<-EOT
	/srv/fai/nfsroot 10.53.0.0/24(ro,async,no_root_squash,no_subtree_check)
	/srv/fai/config  10.53.0.0/24(ro,async,no_root_squash,no_subtree_check,fsid=53)
	/srv/fai/mirror  10.53.0.0/24(ro,async,no_root_squash,no_subtree_check)
	EOT
	modprobe -a nfsd nfsv3 nfsv4
	/etc/init.d/rpcbind start > /dev/null
	/etc/init.d/nfs-kernel-server start > /dev/null
	exportfs -v
}

# carve DEV SIZE NAME: one GPT partition named NAME on the LUN, ext4 with a 256 MiB
# /swapfile in it: what provision's partition and filesystem stages make. Prints the
# partition's /dev/fc link.
carve() {
	local dev=$1 size=$2 name=$3 part=${1}p1 i=0 m=/mnt/carve
	# an old partition goes first, and its link with it (mdev works asynchronously)
	if [ -e "$part" ]; then
		wipefs -q -a "$part"
		sfdisk -q --delete "$dev" > /dev/null || return 1
		while [ -e "$part" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	printf 'label: gpt\nsize=%s, type=L, name=%s\n' "$size" "$name" | sfdisk -q "$dev" > /dev/null || return 1
	i=0
	while [ ! -b "$part" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b "$part" ] || { echo "no $part after sfdisk" >&2; return 1; }
	mkfs.ext4 -q -F -L "$name" "$part" || return 1
	mkdir -p $m && mount "$part" $m || return 1
	fallocate -l 256M $m/swapfile && chmod 600 $m/swapfile && mkswap -q $m/swapfile || return 1
	umount $m
	echo "$part"
}

# pv_cfg FILE NAME KERNEL RAMDISK MEMORY EXTRA [XL LINE...]: a PV guest's xl config
pv_cfg() {
	local f=$1 name=$2 kernel=$3 ramdisk=$4 mem=$5 extra=$6
	shift 6
	{
		echo "name = '$name'"
		echo "type = 'pv'"
		echo "kernel = '$kernel'"
		echo "ramdisk = '$ramdisk'"
		echo "extra = '$extra'"
		echo "memory = $mem"
		echo "vcpus = 1"
		echo "on_poweroff = 'destroy'"
		echo "on_reboot = 'destroy'"
		echo "on_crash = 'destroy'"
		printf '%s\n' "$@"
	} > "$f"
	sed 's/^/  | /' "$f"
}

# ---- provision itself, as an admin runs it -------------------------------------------------
SITE_STATE=/var/lib/provision
SITE_CONFIGS=/etc/xen/provision

# provision_site: the lab's templates in the site's template_dirs (/lab/templates: debian cut
# to the lab's LUNs, failtest, failstop) and a GPT label on each empty LUN (once per LUN, as
# an admin does with 'provision lun init')
provision_site() {
	local l
	mkdir -p /etc/provision/templates "$SITE_CONFIGS"
	cp /lab/templates/*.yaml /etc/provision/templates/
	for l in /dev/fc/fc-p1d1 /dev/fc/fc-p1d2; do
		sfdisk -d "$l" > /dev/null 2>&1 || prov lun init "$l" || return 1
	done
}

# prov ARGS...: run provision; its output (stdout and stderr) goes to the run's screen as
# 'LAB> ' lines, into $OUT/provision.log, into $PROV_LAST (this call's only) and, each line
# with the time it came, into $PROV_LAST.ts. Returns provision's exit status.
PROV_LAST=/tmp/provision-last.log
prov() {
	local rc l
	: > $PROV_LAST
	: > $PROV_LAST.ts
	echo "LAB> # provision $*" | tee -a "$OUT/provision.log"
	provision "$@" 2>&1 < /dev/null | while IFS= read -r l; do
		printf '%s\n' "$l" >> $PROV_LAST
		printf '%s %s\n' "$EPOCHREALTIME" "$l" >> $PROV_LAST.ts
		printf '%s\n' "$l" >> "$OUT/provision.log"
		printf 'LAB> %s\n' "$l"
	done
	rc=${PIPESTATUS[0]}
	echo "LAB> # exit status $rc" | tee -a "$OUT/provision.log"
	return "$rc"
}

# prov_when REGEX [FILE]: when (epoch seconds) provision printed a line matching REGEX, from
# FILE (default: the last call's $PROV_LAST.ts)
prov_when() { grep -E "^[0-9.]+ .*$1" "${2:-$PROV_LAST.ts}" | head -1 | cut -d' ' -f1; }

# guest_field NAME KEY: a field of 'provision show NAME --json' (the guest object's string)
guest_field() {
	provision show "$1" --json 2> /dev/null | tr ',{}' '\n\n\n' |
		sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" | head -1
}

# gpt_names: the GPT partition names on the lab's LUNs, one a line (sfdisk, not provision)
gpt_names() {
	local l
	for l in /dev/fc/fc-p1d1 /dev/fc/fc-p1d2; do
		sfdisk --json "$l" 2> /dev/null | sed -n 's/.*"name": *"\([^"]*\)".*/\1/p'
	done
}
# gpt_has LUN PARTNO [NAME]: the LUN's GPT (sfdisk) has partition PARTNO [named NAME]
gpt_has() {
	sfdisk -d "$1" 2> /dev/null | grep "^[^ ]*p$2 :" | grep -q "name=\"${3:-}"
}

# course_batch FILE: the batch file of a course's eight lab machines, pc1..pc8 (template labpc,
# VLAN 53), installed once: pc1 by FAI (with the 1G its installer needs), the others cloned
course_batch() {
	cat > "$1" <<-'EOT'
	name: course
	template: labpc
	vlan: 53
	names: "pc{1..8}"
	install: once
	overrides:
	  pc1: { memory: 1G }
	EOT
}

# keep_guest_state NAME: copy provision's files of the guest (spec, console logs, FAI's logs)
keep_guest_state() { cp -r "$SITE_STATE/guests/$1" "$OUT/state-$1" 2> /dev/null || true; }
# not CMD...: succeeds when CMD fails (for check)
not() { ! "$@"; }

# ---- the peer: Debian's xen-tools (issue 13's benchmark; tests/xen-tools.sh) --------------
# The lab's Debian mirror (stage mirror, a disk labelled labmirror, for tests with a '# lab:
# mirror' line) at http://10.53.0.1/debian, and its key as the site's keyring package
XT_MIRROR=http://10.53.0.1/debian
XT_KEYRING=/usr/share/keyrings/lab-archive-keyring.gpg

# mirror_server_start: mount the mirror disk on /srv/mirror/debian, serve /srv/mirror over HTTP
# on 10.53.0.1:80 (busybox httpd) and install the mirror's keyring package in dom0, as an admin
# installs a site mirror's key
mirror_server_start() {
	local dev
	if ! mountpoint -q /srv/mirror/debian; then
		dev=$(blkid -L labmirror) || { echo "no mirror disk (stage mirror) in this lab"; return 1; }
		mkdir -p /srv/mirror/debian && mount -o ro "$dev" /srv/mirror/debian || return 1
	fi
	[ -f /run/lab-httpd.pid ] && kill -0 "$(cat /run/lab-httpd.pid)" 2> /dev/null ||
		{ busybox httpd -f -p 10.53.0.1:80 -h /srv/mirror & echo $! > /run/lab-httpd.pid; }
	[ -s "$XT_KEYRING" ] ||
		dpkg -i /srv/mirror/debian/pool/main/lab-archive-keyring_1_all.deb > /dev/null || return 1
	sleep 0.2
	busybox wget -q -O /dev/null "$XT_MIRROR/dists/bookworm/InRelease"
}

# xt_part LUN SIZE NAME: append a GPT partition named NAME of SIZE to LUN (a GPT label must be
# there: provision lun init) and print its /dev/fc link; nothing on it (xen-tools formats)
xt_part() {
	local lun=$1 n i=0
	printf 'size=%s, type=L, name=%s\n' "$2" "$3" | sfdisk -q --append "$lun" > /dev/null || return 1
	n=$(sfdisk -d "$lun" | sed -n "s|^[^ ]*[^0-9]\([0-9]*\) :.*name=\"$3\".*|\1|p" | tail -1)
	while [ ! -b "${lun}p$n" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b "${lun}p$n" ] || { echo "no ${lun}p$n after sfdisk" >&2; return 1; }
	echo "${lun}p$n"
}

# xt_guest NAME IP DEV: the peer's guest, made as xen-tools documents it: xen-create-image
# (debootstrap from the lab mirror, xen-tools' hooks, for bookworm the guest's own kernel)
# onto the partition DEV, then 'xl create' of the config it wrote (pygrub boots that kernel), until NAME answers ping on VLAN 53 (br53 must exist: vlan_bridge
# 53; the mirror must be served: mirror_server_start). Its output goes to
# $OUT/xen-create-image-NAME.log. Prints the line
#   XT-TIME: NAME create=SECONDS boot=SECONDS total=SECONDS
# (create: xen-create-image; boot: xl create until the first ping answer). Fails (1) when a
# step fails or the guest does not answer within 600 s.
xt_guest() {
	local name=$1 ip=$2 dev=$3 t0 t1 t2 log=$OUT/xen-create-image-$1.log
	t0=$(now)
	# only options xen-create-image documents; why each is there: tests/xen-tools.sh
	xen-create-image --hostname="$name" --image-dev="$dev" --noswap --fs=ext4 \
		--dist=bookworm --mirror="$XT_MIRROR" --keyring="$XT_KEYRING" \
		--ip="$ip" --netmask=255.255.255.0 --gateway=10.53.0.1 --bridge=br53 --memory=256M \
		--verbose < /dev/null > "$log" 2>&1 || { tail -30 "$log"; return 1; }
	t1=$(now)
	xl create "/etc/xen/$name.cfg" || return 1
	if ! wait_ping "$ip" 600 "$name"; then
		xl domid "$name" > /dev/null 2>&1 || { echo "$name is gone"; return 1; }
		echo "$name ($ip) did not answer in 600 s"
		return 1
	fi
	t2=$(now)
	awk -v n="$name" -v a="$t0" -v b="$t1" -v c="$t2" \
		'BEGIN { printf "XT-TIME: %s create=%.1f boot=%.1f total=%.1f\n", n, b - a, c - b, c - a }'
}

# ---- two Dom0s ('# lab: hosts 2'): this is xen1, the other one is reached with ssh ---------
# on2 CMD...: run a shell command line on xen2 (root ssh over the management link); the test's
# own calls share one connection (an ssh handshake takes seconds under TCG); provision's ssh
# (site.yaml) does not
on2() {
	ssh -o BatchMode=yes -o ConnectTimeout=20 -o ControlMaster=auto \
		-o ControlPath=/run/lab-ssh-%h -o ControlPersist=1200 xen2 "$@"
}
# hosts2_wait [TIMEOUT]: wait until xen2's dom0 says it is ready (sshd up, config_dir mounted)
hosts2_wait() {
	local i=0
	until on2 test -e /run/lab-ready 2> /dev/null; do
		[ $i -ge "${1:-600}" ] && return 1
		sleep 2
		i=$((i + 2))
	done
}
# lun_reread2: xen2's kernel forgets what it cached of the LUNs and re-reads their partition
# tables (a partition carved on xen1 changes blocks that xen2's page cache may hold, as on FC)
lun_reread2() { on2 'for l in /dev/vda /dev/vdb; do blockdev --flushbufs $l; blockdev --rereadpt $l; done'; }

# install_console_watch NAME (run in the background): the last line of NAME's installer
# console every 2 minutes while it runs (under TCG, with other labs on the same cores, an
# install takes long: this says where it is)
install_console_watch() {
	local log=$SITE_STATE/guests/$1/console-install.log l
	while sleep 120; do
		l=$(tail -c 4000 "$log" 2> /dev/null | tr -d '\r' | grep -a '[[:alnum:]]' | tail -1)
		echo "LAB-INFO: install console: ${l:0:160}"
	done
}
# qemu_dm_log NAME: the device models' logs into the results, the end of NAME's shown
qemu_dm_log() {
	cp /var/log/xen/qemu-dm-*.log "$OUT/" 2> /dev/null
	tail -n 5 "/var/log/xen/qemu-dm-$1.log" 2> /dev/null | sed 's/^/LAB-INFO: qemu-dm: /'
}
