#!/bin/bash
# template list: the search path (site template_dirs, then built-in), shadowing, invalid
# templates marked, --json; and the site file errors every site command shares.
. "$SRCDIR/tests/cli/lib.sh"

mkdir "$T/templates"
sed -e "s|\[/etc/provision/templates\]|[$T/templates]|" "$SRCDIR/templates/site.yaml" >"$T/site.yaml"
builtin=$PROVISION_TEMPLATES_DIR

# the site file must load
run 1 "$PROVISION" --site "$T/nope.yaml" template list
expect_err_line "provision: error: cannot open site file '$T/nope.yaml': No such file or directory"
if [ ! -e /etc/provision/site.yaml ]; then
	run 1 env -u PROVISION_SITE "$PROVISION" template list
	expect_err_line "provision: error: cannot open site file '/etc/provision/site.yaml': No such file or directory"
fi
printf 'luns: [/dev/loop0]\nlnus: x\n' >"$T/bad-site.yaml"
run 2 "$PROVISION" --site "$T/bad-site.yaml" template list
expect_err_line "$T/bad-site.yaml:2:1: error: unknown key 'lnus' (did you mean 'luns'?)"
expect_err_line "$T/bad-site.yaml: error: missing required key 'fai'"
expect_eq "$(cat "$T/out")" ""

# the built-in templates only
run 0 "$PROVISION" --site "$T/site.yaml" template list
expect_eq "$(head -1 "$T/out" | tr -s ' ')" "NAME DESCRIPTION FILE"
expect_eq "$(sed 1d "$T/out" | awk '{print $1}' | tr '\n' ' ')" "debian debian-pvgrub hvm hvm-fai lab "
expect_out "$builtin/lab.yaml"
expect_out "small lab machine (Debian PV, 512M, 10G disk)"

# the site's directory comes first: web is added, hvm is replaced (and ours is broken)
printf 'description: web server\nextends: debian\nmemory: 2G\n' >"$T/templates/web.yaml"
printf 'description: our hvm\ntype: hvm\nmemory: lots\n' >"$T/templates/hvm.yaml"
printf 'not a template\n' >"$T/templates/README"
run 0 env PROVISION_SITE="$T/site.yaml" "$PROVISION" template list
expect_eq "$(sed 1d "$T/out" | awk '{print $1}' | tr '\n' ' ')" "debian debian-pvgrub hvm hvm-fai lab web "
expect_out "$T/templates/web.yaml"
expect_out "$T/templates/hvm.yaml"
expect_out "(invalid: see 'provision template check')"
n_checks=$((n_checks + 1))
! grep -q "$builtin/hvm.yaml" "$T/out" || fail "the built-in hvm is listed although the site's hides it"

run 0 "$PROVISION" --site "$T/site.yaml" template list --json
n_checks=$((n_checks + 1))
python3 - "$T/out" "$T" "$builtin" <<'PY' || fail "template list --json is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in d["templates"]}
assert list(t) == ["debian", "debian-pvgrub", "hvm", "hvm-fai", "lab", "web"], list(t)
assert all(t[n]["valid"] for n in ("debian-pvgrub", "hvm-fai")), t
assert t["web"] == {"name": "web", "description": "web server",
                    "path": sys.argv[2] + "/templates/web.yaml", "valid": True}, t["web"]
assert t["hvm"]["valid"] is False and t["hvm"]["path"].startswith(sys.argv[2]), t["hvm"]
assert t["lab"]["path"] == sys.argv[3] + "/lab.yaml" and t["lab"]["valid"] is True
PY

# a typo in the group's subcommand
run 2 "$PROVISION" template lst
expect_err_line "provision: error: unknown command 'template lst', did you mean 'template list'?"
run 2 "$PROVISION" template
expect_err "'template' needs a subcommand: list show check"
done_testing
