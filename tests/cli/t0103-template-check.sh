#!/bin/bash
# template check FILE...: ok lines, every error of every file, exit 1 on any; with the site
# (kernel names, VLANs) or, when there is none at the default place, without it.
. "$SRCDIR/tests/cli/lib.sh"

sed -e "s|\[/etc/provision/templates\]|[$T/templates]|" "$SRCDIR/templates/site.yaml" >"$T/site.yaml"
cd "$T" || fail "cannot enter $T"
for t in debian lab hvm; do
	cp "$SRCDIR/templates/$t.yaml" "$T/$t.yaml"
done

run 0 "$PROVISION" --site site.yaml template check debian.yaml lab.yaml hvm.yaml
expect_eq "$(cat "$T/out")" "debian.yaml: ok
lab.yaml: ok
hvm.yaml: ok"
expect_eq "$(cat "$T/err")" ""
# names work too
run 0 "$PROVISION" --site site.yaml template check lab
expect_eq "$(cat "$T/out")" "lab: ok"

printf 'memory: 2G\nkernel: xen66\nvlan: 99\n' >k.yaml
printf 'extends: lab\ndsik: 20G\nvcpus: 0\n' >e.yaml
run 1 "$PROVISION" --site site.yaml template check k.yaml debian.yaml e.yaml
expect_eq "$(cat "$T/err")" "k.yaml:2:9: error: kernel: kernel 'xen66' is not in the site's kernels
k.yaml:3:7: error: vlan: VLAN 99 is not in the site's network.vlans
e.yaml:2:1: error: unknown key 'dsik' (did you mean 'disk'?)
e.yaml:3:8: error: vcpus: invalid vcpu count '0' (must be 1..512)"
expect_eq "$(cat "$T/out")" "debian.yaml: ok"

run 1 "$PROVISION" --site site.yaml template check k.yaml debian.yaml --json
n_checks=$((n_checks + 1))
python3 - "$T/out" <<'PY' || fail "template check --json is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["error"]["exit_status"] == 1, d
# the first error is the message; each file has its own errors, as printed on stderr
assert d["error"]["message"] == "k.yaml:2:9: kernel: kernel 'xen66' is not in the site's kernels", d
k, deb = d["templates"]
assert (k["file"], k["ok"], deb["file"], deb["ok"]) == ("k.yaml", False, "debian.yaml", True), d
assert k["diagnostics"] == [
    {"level": "error", "message": "kernel: kernel 'xen66' is not in the site's kernels",
     "file": "k.yaml", "line": 2, "column": 9},
    {"level": "error", "message": "vlan: VLAN 99 is not in the site's network.vlans",
     "file": "k.yaml", "line": 3, "column": 7}], k
assert deb["diagnostics"] == [] and d["diagnostics"] == k["diagnostics"], d
PY

# a site that was asked for must load
run 1 "$PROVISION" --site nope.yaml template check debian.yaml
expect_err_line "provision: error: cannot open site file 'nope.yaml': No such file or directory"
expect_eq "$(cat "$T/out")" ""

# no site at all: the file alone is checked, and a note says what was not
if [ ! -e /etc/provision/site.yaml ]; then
	run 0 env -u PROVISION_SITE "$PROVISION" template check k.yaml
	expect_err_line "provision: note: no site file '/etc/provision/site.yaml': kernel names, VLANs and disk sizes are not checked"
	expect_eq "$(cat "$T/out")" "k.yaml: ok"
	run 1 env -u PROVISION_SITE "$PROVISION" template check e.yaml
	expect_err_line "e.yaml:2:1: error: unknown key 'dsik' (did you mean 'disk'?)"
fi

run 2 "$PROVISION" template check
expect_err "'template check' needs FILE..."
done_testing
