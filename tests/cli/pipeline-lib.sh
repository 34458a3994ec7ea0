# For tests/cli/t061N-pipeline-*.sh (suite 'root'), sourced after lib.sh: a fresh network
# namespace with the veth trunk (netns.sh), and a site with two sparse 200 GiB image LUNs
# carrying empty GPT labels, VLAN 10 native on the trunk.
. "$SRCDIR/tests/cli/netns.sh"
. "$SRCDIR/tests/cli/render-lib.sh"
mkdir -p "$T/configs" "$T/state" "$T/templates"
sed "s|@T@|$T|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$T/site.yaml"
export PROVISION_SITE=$T/site.yaml
truncate -s 200G "$T/lun0.img" "$T/lun1.img"
"$PROVISION" lun init "$T/lun0.img" >/dev/null || fail "lun init"
"$PROVISION" lun init "$T/lun1.img" >/dev/null || fail "lun init"

# sql QUERY: the inventory read by the sqlite3 CLI, not by provision
sql() {
	[ -e "$T/state/inventory.db" ] || return 0 # the CLI would create it
	sqlite3 -batch -noheader "$T/state/inventory.db" "$1"
}
# gpt LUN: "number start size name uuid" lines from sfdisk's JSON dump (the referee)
gpt() {
	sfdisk --json "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
for p in t.get("partitions", []):
    n = p["node"][len(t["device"]):]
    print(n.lstrip("p"), p["start"], p["size"], p.get("name", ""), p["uuid"].lower())'
}
# world: everything a guest may change, for before/after comparisons
world() {
	{
		gpt "$T/lun0.img"
		gpt "$T/lun1.img"
		(cd "$T/configs" && find . -type f | sort | xargs -r sha256sum)
		sql "SELECT name, mac, ip, lun, part_start FROM guests WHERE destroyed_usec IS NULL ORDER BY name"
	} 2>&1
}
