#!/bin/bash
# template show: values after extends:, where each came from; the text is itself a template
# that loads to the same values.
. "$SRCDIR/tests/cli/lib.sh"

mkdir "$T/templates"
sed -e "s|\[/etc/provision/templates\]|[$T/templates]|" "$SRCDIR/templates/site.yaml" >"$T/site.yaml"
export PROVISION_SITE=$T/site.yaml
builtin=$PROVISION_TEMPLATES_DIR

run 0 "$PROVISION" template show lab
expect_out "# template 'lab' from $builtin/lab.yaml"
expect_out "# extends $builtin/debian.yaml"
n_checks=$((n_checks + 1))
grep -qE "^memory: 512M +# $builtin/lab.yaml:4$" "$T/out" || fail "memory and its origin"
grep -qE "^kernel: default +# $builtin/debian.yaml:9$" "$T/out" || fail "kernel from debian"
grep -qE "^  classes: \[DEBIAN, LAB\] +# $builtin/lab.yaml:9$" "$T/out" || fail "classes"
grep -qxF "maxmem: ~" "$T/out" || fail "a default without origin"
! grep -q "^hvm:" "$T/out" || fail "hvm settings shown for a PV template"

run 0 "$PROVISION" template show lab --json
n_checks=$((n_checks + 1))
python3 - "$T/out" "$builtin" <<'PY' || fail "template show --json is wrong"
import json, sys
t = json.load(open(sys.argv[1]))
b = sys.argv[2]
assert t["name"] == "lab" and t["files"] == [b + "/lab.yaml", b + "/debian.yaml"], t
assert t["ok"] is True, t
assert (t["type"], t["memory_bytes"], t["maxmem_bytes"], t["vcpus"]) == ("pv", 512 << 20, 512 << 20, 1), t
assert (t["disk_bytes"], t["swap_bytes"], t["vlan"]) == (10 << 30, 512 << 20, None), t
assert (t["kernel"], t["root"]) == ("default", "/dev/xvda1 ro"), t
assert t["install"] == {"extra": None, "classes": ["DEBIAN", "LAB"],
                        "timeout_s": 1800}, t["install"]
assert t["boot"] == {"timeout_s": None}, t["boot"]
assert t["hvm"] is None
PY

run 0 "$PROVISION" template show hvm --json
n_checks=$((n_checks + 1))
python3 - "$T/out" <<'PY' || fail "hvm --json is wrong"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["type"] == "hvm" and t["swap_bytes"] == 0, t
assert t["hvm"] == {"firmware": "hvmloader", "nic_model": "rtl8139",
                    "cdrom": "/srv/iso/debian-12-amd64-netinst.iso", "boot": "dc",
                    "vnc": True}, t["hvm"]
PY

# a site template extending a built-in one, nested mappings merged, shown as a file path too
cat >"$T/templates/web.yaml" <<'YAML'
description: web server \\ with a backslash
extends: lab
memory: 2G
maxmem: 4G
cpus: "0-3,6"
vlan: 53
extra: "console=hvc0 #x: y"
install:
  timeout: 2h
boot:
  timeout: 20m
YAML
run 0 "$PROVISION" template show web
n_checks=$((n_checks + 1))
grep -qE "^  classes: \[DEBIAN, LAB\] +# $builtin/lab.yaml:9$" "$T/out" || fail "merged install"
grep -qE "^  timeout: 2h +# $T/templates/web.yaml:9$" "$T/out" || fail "install.timeout"
grep -qE "^  timeout: 20m +# $T/templates/web.yaml:11$" "$T/out" || fail "boot.timeout"
grep -qE "^cpus: 0-3,6 +# $T/templates/web.yaml:5$" "$T/out" || fail "cpus"
run 0 "$PROVISION" template show "$T/templates/web.yaml"
expect_out "# template 'web' from $T/templates/web.yaml"

# round trip: what show prints loads to the same values
for name in debian lab hvm web; do
	run 0 "$PROVISION" template show "$name"
	cp "$T/out" "$T/shown-$name.yaml"
	run 0 "$PROVISION" template show "$name" --json
	cp "$T/out" "$T/a.json"
	run 0 "$PROVISION" template show "$T/shown-$name.yaml" --json
	cp "$T/out" "$T/b.json"
	n_checks=$((n_checks + 1))
	python3 - "$T/a.json" "$T/b.json" <<'PY' || fail "$name: show output does not load to the same values"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("name", "path", "files"):
    a.pop(k), b.pop(k)
assert a == b, (a, b)
PY
done

# an unknown template is bad input (2), as for every command
run 2 "$PROVISION" template show debain
expect_err_line "provision: error: unknown template 'debain' (did you mean 'debian'?)"
run 2 "$PROVISION" template show "a b"
expect_err_line "provision: error: invalid template name 'a b'"
run 2 "$PROVISION" template show "$T/none.yaml"
expect_err_line "provision: error: cannot open template '$T/none.yaml': No such file or directory"
run 2 "$PROVISION" template show
expect_err "'template show' needs NAME"
done_testing
