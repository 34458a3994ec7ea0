# tests/lab/lib/common.sh - settings, timing and the build cache of the lab (sourced by tests/lab/run)
#
# Every artefact is built by one stage function (lib/build.sh) into
#   $CACHE/<stage>-<key>/
# where <key> hashes the stage function's own text, the files it reads and the keys of the
# stages it uses. A change in any input gives a new key and so a rebuild; the old directory
# of that stage is removed once the new one is complete.

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)        # tests/lab
SRC=$(cd "$LAB_SRC/../.." && pwd)                               # the provision clone
CACHE=${PROVISION_LAB_CACHE:-/var/cache/provision-lab}
SUITE=bookworm
XEN_PKG=xen-hypervisor-4.17-amd64

T_RUN0=${EPOCHREALTIME/./}
TIMINGS=()

# elapsed seconds since $1 (microseconds from EPOCHREALTIME), "12.34"
lab_since() {
	local d=$(( ${EPOCHREALTIME/./} - $1 ))
	printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}
lab_say() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
# lab_timed LABEL CMD...: run CMD, print and remember how long it took
lab_timed() {
	local label=$1 t0=${EPOCHREALTIME/./} rc=0
	shift
	"$@" || rc=$?
	local t; t=$(lab_since "$t0")
	TIMINGS+=("$(printf '%-28s %8s s%s' "$label" "$t" "$([ $rc = 0 ] || echo "  (failed: $rc)")")")
	lab_say "$label: ${t} s$([ $rc = 0 ] || echo " (failed, status $rc)")"
	return $rc
}
lab_print_timings() {
	local l
	printf 'lab: timings\n' >&2
	for l in "${TIMINGS[@]}"; do printf '  %s\n' "$l" >&2; done
	printf '  %-28s %8s s\n' total "$(lab_since "$T_RUN0")" >&2
}

# lab_lock: take $CACHE/lock (flock) for the rest of this run, the fd inherited by what it
# starts (QEMU too); wait for the run that has it, or with LAB_NO_WAIT=1 exit 3. The lock file
# says the holder's pid. LAB_STOP_AFTER_LOCK=SECONDS (tests/lab/check-lock.sh): hold the lock
# that long, then exit 0 with nothing else done.
lab_lock() {
	local holder
	exec {LAB_LOCK_FD}>>"$CACHE/lock" || lab_die "cannot open '$CACHE/lock'"
	if ! flock -n "$LAB_LOCK_FD"; then
		holder=$(cat "$CACHE/lock" 2>/dev/null)
		holder=${holder:-unknown}
		if [ "${LAB_NO_WAIT:-0}" = 1 ]; then
			printf "lab: error: another lab run (pid %s) uses the cache '%s'; not waiting (--no-wait)\n" \
				"$holder" "$CACHE" >&2
			exit 3
		fi
		lab_say "waiting for the other lab run (pid $holder) to finish with the cache '$CACHE'"
		flock "$LAB_LOCK_FD" || lab_die "cannot lock '$CACHE/lock'"
		lab_say "the other lab run finished; going on"
	fi
	printf '%s\n' "$$" > "$CACHE/lock"
	if [ -n "${LAB_STOP_AFTER_LOCK:-}" ]; then
		lab_say "lock taken (pid $$); stopping after ${LAB_STOP_AFTER_LOCK} s (LAB_STOP_AFTER_LOCK)"
		sleep "$LAB_STOP_AFTER_LOCK"
		exit 0
	fi
}

# lab_key STRING...: short hash of its arguments; an argument naming a file or directory
# stands for that file's (or tree's) content
lab_key() {
	local a
	for a in "$@"; do
		if [ -d "$a" ]; then
			(cd "$a" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
		elif [ -f "$a" ]; then
			sha256sum < "$a"
		else
			printf '%s\n' "$a"
		fi
	done | sha256sum | cut -c1-12
}

# lab__logged LOG FUNCTION ARG...: run a build function in a fresh bash with errexit (a
# function called under 'if' or '||' runs with errexit off), its output in LOG
lab__logged() {
	local log=$1
	shift
	bash -euo pipefail -c '. "$0/lib/common.sh"; . "$0/lib/build.sh"; "$@"' "$LAB_SRC" "$@" > "$log" 2>&1
}

# lab_stage NAME KEYINPUT...: make sure stage NAME is built for these inputs, set
# STAGE_<NAME> to its directory. The stage function build_<NAME> gets the (empty) output
# directory as $1 and must fill it; its own text is part of the key.
lab_stage() {
	local name=$1 key dir
	shift
	key=$(lab_key "$(declare -f "build_$name")" "$@")
	dir=$CACHE/$name-$key
	printf -v "STAGE_${name^^}" '%s' "$dir"
	export "STAGE_${name^^}"
	if [ -f "$dir/.done" ] && [ "${PROVISION_LAB_REBUILD:-}" != all ] &&
	   [[ " ${PROVISION_LAB_REBUILD:-} " != *" $name "* ]]; then
		TIMINGS+=("$(printf '%-28s %8s   (cached %s)' "build $name" - "$key")")
		lab_say "build $name: cached ($dir)"
		return 0
	fi
	lab_say "build $name: building into $dir"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	if ! lab_timed "build $name" lab__logged "$CACHE/$name.log" "build_$name" "$dir.tmp"; then
		tail -25 "$CACHE/$name.log" >&2
		lab_die "stage '$name' failed; full log in $CACHE/$name.log"
	fi
	mv "$dir.tmp" "$dir"
	touch "$dir/.done"
	# only the current build of a stage is kept
	find "$CACHE" -maxdepth 1 -name "$name-*" ! -name "$name-$key" -exec rm -rf {} +
}

# lab_host_packages: install what tests/lab/packages.txt lists and is missing
lab_host_packages() {
	local p missing=()
	while read -r p; do
		p=${p%%#*}; p=${p// /}
		[ -n "$p" ] || continue
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done < "$LAB_SRC/packages.txt"
	[ ${#missing[@]} = 0 ] && return 0
	[ "$(id -u)" = 0 ] || lab_die "missing host packages (run as root): ${missing[*]}"
	lab_say "installing host packages: ${missing[*]}"
	apt-get update -q > /dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" > /dev/null
}

# copy_modules KTREE DESTROOT KVER MODULE...: copy kernel modules and their dependencies
copy_modules() {
	local ktree=$1 dest=$2 kv=$3 m f rel
	shift 3
	for m in "$@"; do
		modprobe -d "$ktree" -S "$kv" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' |
		while read -r f; do
			rel=${f#"$ktree"}
			mkdir -p "$dest$(dirname "$rel")"
			cp -n "$f" "$dest$rel"
		done
	done
	mkdir -p "$dest/lib/modules/$kv"
	cp "$ktree/lib/modules/$kv"/modules.{builtin,builtin.modinfo,order} "$dest/lib/modules/$kv/"
	depmod -b "$dest" "$kv"
}

# mkcpio DIR OUT [gzip]: newc archive of DIR
mkcpio() {
	(cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) |
		if [ "${3:-}" = gzip ]; then gzip -1; else cat; fi > "$2"
}

# extract_vmlinux BZIMAGE OUT: the uncompressed ELF inside a bzImage (Xen PV boots it
# directly; libxc would otherwise XZ-decompress the bzImage on every domain build)
extract_vmlinux() {
	local off
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ' "$1" | head -1 | cut -d: -f1)
	tail -c +$((off + 1)) "$1" | xz -dc > "$2" 2> /dev/null || true
	readelf -h "$2" | grep -q ELF64 || { echo "no ELF64 vmlinux in $1" >&2; return 1; }
}
