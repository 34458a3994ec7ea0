#!/bin/bash
# hv-lifecycle against the LD_PRELOAD shim of tests/xlshim (a fake /dev/xen that answers
# only physinfo): libxl's context is real, every domain operation fails inside libxl, and
# libxl's own words must come out twice: as libxl logged them, and in our diagnostic.
# Usage: hv-lifecycle-xlshim.sh HV_LIFECYCLE XLSHIM_SO
set -u
hvl=$1 shim=$2 failed=0
# the shim is not ASan-instrumented, so it cannot come after ASan's runtime; that is fine
export LD_PRELOAD=$shim ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0

# expect STATUS LINE... -- CMD...: exit status and exact stderr lines (in order); libxl's
# source line numbers are written as N so a libxl update does not break the test
expect() {
	local status=$1 want=() out rc
	shift
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	out=$("$hvl" "$@" 2>&1 > /dev/null)
	rc=$?
	out=$(printf '%s\n' "$out" | sed 's/\.c:[0-9]*:/.c:N:/')
	if [ $rc != "$status" ] || [ "$out" != "$(printf '%s\n' "${want[@]}")" ]; then
		echo "FAIL: hv-lifecycle $*: exit $rc (want $status), stderr:"
		echo "$out"
		echo "want:"
		printf '%s\n' "${want[@]}"
		failed=1
	else
		echo "ok: hv-lifecycle $*"
	fi
}

expect 1 \
	"libxl: error: libxl_domain.c:N:libxl_list_domain: getting domain info list: Function not implemented" \
	"hv-lifecycle: error: cannot look up domain 'web1': getting domain info list: Function not implemented" \
	-- domid web1
expect 1 \
	"libxl: error: libxl_domain.c:N:libxl_list_domain: getting domain info list: Function not implemented" \
	"hv-lifecycle: error: cannot look up domain 'web1': getting domain info list: Function not implemented" \
	-- destroy web1
# create: our libxl_domain_config reaches libxl_domain_create_new, which refuses it for want
# of a real host (no cpupool); libxl cleans up itself
expect 1 \
	"libxl: error: libxl_create.c:N:libxl__domain_config_setdefault: Illegal pool specified: (null)" \
	"hv-lifecycle: error: cannot create domain 'web1': Illegal pool specified: (null)" \
	-- run web1 /srv/guest/vmlinux /srv/guest/initrd.img console=hvc0 --console /dev/null
# the domain config is checked before libxl sees it
expect 1 "hv-lifecycle: error: domain 'web1': kernel 'vmlinux' is not an absolute path" \
	-- run web1 vmlinux /srv/guest/initrd.img console=hvc0
# -v lets libxl's debug messages through (none of them reach the diagnostic)
out=$("$hvl" -vvv run web1 /srv/guest/vmlinux /srv/guest/initrd.img console=hvc0 2>&1 > /dev/null)
if echo "$out" | grep -q '^libxl: debug: '; then
	echo "ok: -vvv shows libxl's debug messages"
else
	echo "FAIL: -vvv shows no libxl debug messages:"
	echo "$out"
	failed=1
fi
exit $failed
