#!/bin/bash
# render-dump.sh DIR: the dumper for tests/xlshim/xl-crosscheck.py, made of `provision render`:
# for several guests, DIR/NAME-install.cfg + .json and DIR/NAME-boot.cfg + .json, the files
# render writes and the libxl JSON render --json prints for the same guest.
set -eu
out=$1
T=$(mktemp -d /tmp/prov-dump.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$SRCDIR/tests/cli/render-lib.sh"
render_site
cat >"$T/templates/pinned.yaml" <<'Y'
extends: debian
memory: 1G
maxmem: 2G
vcpus: 2
cpus: "0-1"
Y
cat >"$T/templates/uefi.yaml" <<'Y'
extends: hvm
hvm:
  firmware: uefi
  boot: c
Y
cat >"$T/templates/fwpath.yaml" <<'Y'
extends: hvm
hvm:
  firmware: /usr/lib/xen-4.17/boot/hvmloader
Y
render() { # NAME ARGS...
	local name=$1
	shift
	"$PROVISION" render "$name" "$@" --out "$T/cfg" >/dev/null
	"$PROVISION" render "$name" "$@" --json >"$T/$name.json"
	for kind in install boot; do
		cp "$T/cfg/$name.$kind.cfg" "$out/$name-$kind.cfg"
		python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
			"$T/$name.json" "$kind" >"$out/$name-$kind.json"
	done
}
mkdir -p "$T/cfg"
render web1 --template debian --vlan 53
render lab01 --template lab --vlan 53 --disk-path /dev/fc/fc-p1d2p3
render win1 --template hvm --vlan 53 --mac 00:16:3e:00:00:01
render pin1 --template pinned --vlan 53
render efi1 --template uefi --vlan 53
render fw1 --template fwpath --vlan 53
render web4 --template hvm-fai --vlan 53
render web5 --template debian-pvgrub --vlan 53
