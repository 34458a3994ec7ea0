#!/bin/bash
# The --json contract (doc/json.md): every command, on success and on failure, prints exactly
# one object on stdout that validates against doc/json/envelope.schema.json and the command's
# doc/json/NAME.schema.json (python3-jsonschema); "ok" and error.exit_status agree with the
# exit status. Strings are valid UTF-8 even for a file name that is not.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

# Debian's python3 has python3-jsonschema (tests/packages.txt); another python3 may not
PY=python3
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then
		PY=$p
		break
	fi
done
"$PY" -c 'import jsonschema' 2>/dev/null || fail "no python3-jsonschema (tests/packages.txt)"

cat >"$T/validate.py" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
out, schema_dir, name, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
raw = open(out, "rb").read()
text = raw.decode("utf-8")  # strict: stdout is UTF-8
doc = json.loads(text)  # exactly one value: anything after it is an error
assert isinstance(doc, dict), doc
for s in ("envelope", name):
    schema = json.load(open(f"{schema_dir}/{s}.schema.json"))
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)
    assert not errors, (s, [f"{list(e.path)}: {e.message}" for e in errors], doc)
assert doc["ok"] == (status == 0), (status, doc)
assert status == 0 or doc["error"]["exit_status"] == status, (status, doc)
PY

# jrun STATUS SCHEMA ARGS...: provision ARGS --json exits STATUS; its output is the contract's
jrun() {
	local want=$1 schema=$2
	shift 2
	run "$want" "$PROVISION" "$@" --json
	"$PY" "$T/validate.py" "$T/out" "$SRCDIR/doc/json" "$schema" "$want" ||
		fail "'$*' --json does not keep the contract"
	n_checks=$((n_checks + 1))
}
# jget EXPR: EXPR over the last output d
jget() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($1)" "$T/out"; }

# a third LUN, still empty, for lun init and carve
truncate -s 200G "$T/lun2.img"
sed "s|^luns: \[\(.*\)\]|luns: [\1, $T/lun2.img]|" "$T/site.yaml" >"$T/site3.yaml"

# -- the guest commands
jrun 0 new-guest new-guest web1 --template debian --vlan 10 -n
jrun 0 new-guest new-guest web1 --template debian --vlan 10 --until configs
expect_eq "$(jget 'd["name"], d["stage"], d["failed_stage"], d["configs"]["boot"] is not None')" \
	"web1 configs None True"
jrun 3 new-guest new-guest web1 --template debian --vlan 10 --until configs
jrun 2 new-guest new-guest web2 --template nosuch --vlan 10
expect_eq "$(jget 'd["error"]["message"]')" "unknown template 'nosuch'"
jrun 2 new-guest new-guest web2 --template debian --vlan 10 --memory lots
jrun 2 new-guest new-guest web2 --template debian --until nowhere
jrun 0 resume resume web1 --until configs
jrun 1 resume resume web1 # no Xen here: the install stage fails
expect_eq "$(jget 'd["failed_stage"], d["state"]')" "install failed"
jrun 1 resume resume web7

jrun 0 list list
expect_eq "$(jget '[g["name"] for g in d["guests"]], type(d["guests"][0]["partition"]["size"]).__name__')" \
	"['web1'] int"
jrun 0 list list --all
jrun 2 list list -n
jrun 0 show show web1
jrun 0 show show web1 --spec
jrun 1 show show web7
jrun 2 show show Web_1

jrun 0 render render web3 --template debian --vlan 10
jrun 2 render render web3 --template debian --vlan 99
jrun 2 render render web3

printf 'template: lab\nvlan: 10\nnames: "lab{1..3}"\noverrides:\n  lab2: { memory: lots }\n' \
	>"$T/course.yaml"
jrun 1 batch batch "$T/course.yaml" --until configs -n
expect_eq "$(jget 'd["name"], d["totals"]')" "course {'done': 1, 'failed': 1, 'skipped': 1}"
printf 'template: lab\nvlan: 10\nnames: "lab{1..2}"\n' >"$T/ok.yaml"
jrun 0 batch batch "$T/ok.yaml" --until configs -n
printf 'template: lab\nvlan: 10\nnames: "lab{1..x}"\n' >"$T/bad.yaml"
jrun 2 batch batch "$T/bad.yaml"

# -- the Dom0s (the network stage recorded this one) and the inventory's export
jrun 0 hosts hosts
expect_eq "$(jget '[(h["name"], h["self"], h["xen_version"]) for h in d["hosts"]]')" \
	"[('$(uname -n)', True, None)]"
jrun 2 hosts hosts extra
jrun 0 inventory-export inventory export
expect_eq "$(jget 'd["inventory"]["format"], [g["name"] for g in d["inventory"]["guests"]]')" \
	"provision-inventory ['web1']"
"$PROVISION" inventory export >"$T/inv.json" || fail "inventory export"
jrun 3 inventory-import inventory import "$T/inv.json"
jrun 2 inventory-import inventory import "$T/nosuch.json"

# -- network
jrun 0 net-check net check
jrun 2 net-check net check 99
jrun 0 net-ensure net ensure 10 -n
jrun 0 net-ensure net ensure 10
jrun 2 net-ensure net ensure 99

# -- disks
jrun 0 lun-list lun list
jrun 0 lun-init --site "$T/site3.yaml" lun init "$T/lun2.img" -n
jrun 0 lun-init --site "$T/site3.yaml" lun init "$T/lun2.img"
jrun 3 lun-init --site "$T/site3.yaml" lun init "$T/lun2.img"
jrun 2 lun-init --site "$T/site3.yaml" lun init
jrun 0 lun-carve --site "$T/site3.yaml" lun carve "$T/lun2.img" --layout 10G,20G
expect_eq "$(jget '[(p["number"], p["size"] >> 30, p["change"]) for p in d["partitions"]]')" \
	"[(1, 10, 'create'), (2, 20, 'create')]"
jrun 1 lun-carve --site "$T/site3.yaml" lun carve "$T/lun2.img" --layout 1000G
jrun 2 lun-carve --site "$T/site3.yaml" lun carve "$T/lun2.img" --layout 10X
jrun 0 disk-prepare --site "$T/site3.yaml" disk prepare web9 --size 10G --swap 0 --lun "$T/lun2.img"
expect_eq "$(jget 'd["name"], d["reused"], d["size"] >> 30')" "web9 True 10"
jrun 3 disk-prepare --site "$T/site3.yaml" disk prepare web1 --size 10G
jrun 0 disk-release --site "$T/site3.yaml" disk release web9
jrun 1 disk-release --site "$T/site3.yaml" disk release web9

# -- templates; a file name that is not UTF-8 comes out as U+FFFD
jrun 0 template-list template list
jrun 0 template-show template show debian
jrun 2 template-show template show nosuch
cp "$SRCDIR/templates/debian.yaml" "$T/caf"$'\xe9'".yaml"
printf 'vcpus: 0\n' >"$T/bad"$'\xff'".yaml"
jrun 0 template-check template check debian "$T/caf"$'\xe9'".yaml"
expect_eq "$(jget 'd["templates"][1]["file"]')" "$T/caf"$'\xef\xbf\xbd'".yaml"
jrun 1 template-check template check "$T/bad"$'\xff'".yaml"
expect_eq "$(jget 'd["templates"][0]["diagnostics"][0]["file"] == d["templates"][0]["file"]')" True

# -- destroy, last: it undoes web1
jrun 2 destroy destroy web1 </dev/null
jrun 1 destroy destroy web7 --yes
jrun 0 destroy destroy web1 --yes -n
jrun 0 destroy destroy web1 --yes
expect_eq "$(jget 'd["name"], d["stage"]')" "web1 configs"

# -- no JSON output of their own: the refusal is the envelope alone
jrun 2 envelope help
jrun 2 envelope fai-monitor
jrun 2 envelope lst
jrun 2 envelope list --bogus
done_testing
