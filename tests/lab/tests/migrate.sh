#!/bin/bash
# migrate: live migration between two Dom0s on real Xen (issue 12). xen1 (here) and xen2 share
# the LUNs, the PostgreSQL inventory (on xen1), the config_dir (NFS from xen1) and the trunk's
# network. web1 (template migrate: the lab's debian with class LABLOAD, a console heartbeat
# with its boot id and 32 MiB of memory kept dirty) is installed on xen1 by the real FAI.
#  0. with xen2's VLAN bridge deleted, check-migrate fails its 'bridge' line; --ensure makes it.
#  1. provision migrate web1 --to xen2, live, while 10.53.0.1 (the FAI server port on xen1)
#     pings the guest every 10 ms; then, apart from provision: xl on both Dom0s, the heartbeat
#     on xen2's console log (same boot id, uptime going on), ping over VLAN 53, the inventory;
#     the site's migrate pre and post hooks ran on xen1; the guest's watcher now runs on xen2
#     and xen1's ended.
#  2. provision evacuate xen2 (run on xen1) brings it back, the same checks; then
#     provision rebalance -n --json plans (nothing moves).
#  3. migrate again and kill the ssh transport once MB are being sent: exit 1, stopped at
#     'stream', the guest runs on xen1 unpaused, its heartbeat goes on, nothing on xen2, the
#     inventory still says xen1; then a second migrate succeeds (measured as 1).
#  4. provision destroy web1 --yes on xen2 releases everything.
# Measured: each move's total time, MB sent, libxc's pages per round (-vv), the longest gap
# between two ping answers (the downtime the network saw) and downtime/total.
# migrate-hvm.sh runs the same with MIGRATE_HVM=1: the HVM guest web4 (template migrate-hvm),
# which moves live on a Xen with HAP (shadow paging is only for PV guests).
# lab: fai 3600
# lab: hosts 2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
name=web1 template=migrate
[ -n "${MIGRATE_HVM:-}" ] && name=web4 template=migrate-hvm

step "the site: xen2 up, FAI server on xen1, templates, LUN labels"
check "xen2 is up (ssh, its dom0 says ready)" hosts2_wait 600 || finish
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish
# a Dom0 is recorded in the inventory by its first pipeline run: one on xen2 that stops
# after the network stage (its VLAN 53 bridge, which web1 needs there), then destroyed
step "xen2 joins the site: new-guest probe2 --until network there, then destroy"
on2 provision new-guest probe2 --template debian --vlan 53 --until network 2>&1 | sed 's/^/  xen2| /'
on2 provision destroy probe2 --yes 2>&1 | sed 's/^/  xen2| /'

step "provision new-guest $name --template $template --vlan 53 (on xen1)"
t0=$(now)
prov new-guest $name --template $template --vlan 53
rc=$?
timing "provision new-guest: $(since "$t0") s (exit $rc)"
keep_guest_state $name
check "new-guest exits 0" test $rc = 0 || finish
provision hosts | sed 's/^/  /'
check "provision hosts lists xen1 and xen2" sh -c 'provision hosts | grep -q "^xen1 " && provision hosts | grep -q "^xen2 "'
ip=$(guest_field $name ip)
echo "LAB-INFO: $name: ip $ip"
check "its heartbeat is on xen1's console log" wait_console $name '^LAB-HEARTBEAT ' 120 || finish
boot_id=$(heartbeat_last_local | cut -d' ' -f2)
echo "LAB-INFO: $name boot id $boot_id"
# Debian's Xen 4.17 is built without shadow paging: it cannot log a PV guest's dirty pages,
# so a PV guest cannot move live (libxc: "Failed to enable logdirty"); provision's check says
# so, and the moves are offline (suspended, copied, started on the target)
caps=$(xl info | sed -n 's/^virt_caps *: *//p')
echo "LAB-INFO: xen1 virt_caps: $caps"
if [ -n "${MIGRATE_HVM:-}" ]; then
	# an HVM guest's dirty pages are logged by HAP (the lab's QEMU: -cpu qemu64,+npt)
	mode=() tag=live
	check "xl info virt_caps: hap on xen1" grep -qw hap <<< "$caps"
	check "... and on xen2" sh -c "on2 xl info | grep '^virt_caps' | grep -qw hap"
	check "provision check-migrate $name --to xen2: all ok" prov check-migrate $name --to xen2
elif grep -qw shadow <<< "$caps"; then
	mode=() tag=live
	check "provision check-migrate $name --to xen2: all ok" prov check-migrate $name --to xen2
else
	mode=(--offline) tag=offline
	step "0. live is refused up front: Xen here has no shadow paging"
	prov check-migrate $name --to xen2
	check "check-migrate (live) exits 1" test $? = 1
	check "its 'live' line says why" grep -q "^FAIL  live .*cannot log a PV guest's dirty pages" $PROV_LAST
	prov migrate $name --to xen2
	check "migrate (live) exits 1, before anything moved" test $? = 1
	check "$name still runs on xen1, unpaused" unpaused xen1
	check "nothing of it on xen2" not on2 "xl domid $name > /dev/null 2>&1"
	check "provision check-migrate $name --to xen2 --offline: all ok" \
		prov check-migrate $name --to xen2 --offline
fi

step "0b. xen2 without the VLAN bridge: check-migrate says so, --ensure makes it"
on2 ip link del br53
prov check-migrate $name --to xen2 "${mode[@]}"
check "check-migrate exits 1 without br53 on xen2" test $? = 1
check "its 'bridge' line says so" grep -q "^FAIL  bridge .*no bridge 'br53'" $PROV_LAST
prov check-migrate $name --to xen2 "${mode[@]}" --ensure
check "check-migrate --ensure exits 0" test $? = 0
check "xen2 has br53 again, a bridge (ip -d link there)" on2 "ip -d link show br53 | grep -qw bridge"

# the site's migrate hooks on the source (xen1): each writes its arguments and environment
mkdir -p -m 755 /etc/provision/hooks.d/migrate.pre.d /etc/provision/hooks.d/migrate.post.d
for w in pre post; do
	printf '#!/bin/sh\necho "$1 $2 $3 from=$PROVISION_FROM to=$PROVISION_TO mode=$PROVISION_MODE" >> /var/tmp/lab-migrate-hooks.log\n' \
		> /etc/provision/hooks.d/migrate.$w.d/50-lab
	chmod 755 /etc/provision/hooks.d/migrate.$w.d/50-lab
done

step "1. provision migrate $name --to xen2 ${mode[*]}, pinged every 10 ms from 10.53.0.1"
migrate_measured ${tag}1 "$ip" provision -vv migrate $name --to xen2 "${mode[@]}"
check "migrate exits 0" test "$MIG_RC" = 0
guest_on xen2 "$boot_id" "$ip"
cat /var/tmp/lab-migrate-hooks.log 2> /dev/null | sed 's/^/LAB-INFO: hooks: /'
check "the pre and post migrate hooks ran on xen1, in order, with from/to/mode" test \
	"$(cat /var/tmp/lab-migrate-hooks.log 2> /dev/null)" = "$name migrate pre from=xen1 to=xen2 mode=$tag
$name migrate post from=xen1 to=xen2 mode=$tag"
rm -rf /etc/provision/hooks.d/migrate.pre.d /etc/provision/hooks.d/migrate.post.d
check "the watcher moved: one for $name runs on xen2" on2 "pgrep -f 'provision --site .* watch $name\$' > /dev/null"
check "... and xen1's ended (within 30 s)" wait_until 30 not pgrep -f "provision --site .* watch $name\$"

step "2. provision evacuate xen2 ${mode[*]} (on xen1): $name comes back"
migrate_measured evacuate "$ip" provision evacuate xen2 "${mode[@]}"
check "evacuate exits 0" test "$MIG_RC" = 0
guest_on xen1 "$boot_id" "$ip"

step "2b. provision rebalance -n --json: the planner's proposal, nothing moved"
provision hosts | sed 's/^/  /'
provision rebalance -n --json > "$OUT/rebalance.json" 2> "$OUT/rebalance.err"
check "rebalance -n exits 0" test $? = 0
sed 's/^/LAB-INFO: rebalance: /' "$OUT/rebalance.json"
check "its JSON: ok, a dry run; a move, if any, is $name from xen1 to xen2" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["dry_run"], d
assert all(m["name"] == sys.argv[2] and m["from"] == "xen1" and m["to"] == "xen2" for m in d["moves"]), d' "$OUT/rebalance.json" $name
check "$name still runs on xen1, unpaused (-n moved nothing)" unpaused xen1

step "3. the ssh transport killed in the middle of a migration ${mode[*]}"
transport_killed "$boot_id" "${mode[@]}"
step "3b. migrate again: it succeeds"
migrate_measured ${tag}2 "$ip" provision -vv migrate $name --to xen2 "${mode[@]}"
check "the second migrate exits 0" test "$MIG_RC" = 0
guest_on xen2 "$boot_id" "$ip"

step "4. provision destroy $name --yes, on xen2"
lun=$(guest_field $name lun)
partno=$(guest_field $name number)
on2 provision destroy $name --yes 2>&1 | sed 's/^/LAB> xen2| /'
check "destroy on xen2 exits 0" test "${PIPESTATUS[0]}" = 0
check "no domain $name on xen2" not on2 xl domid $name
check "no domain $name on xen1" not xl domid $name
blockdev --flushbufs /dev/vda /dev/vdb # this kernel's cache of the GPTs xen2 changed
check "partition $partno is gone from $lun's GPT (sfdisk on xen1)" not gpt_has "$lun" "$partno"
check "no partition named guest:$name on the LUNs" test "$(gpt_names | grep -cx "guest:$name")" = 0
check "both configs are gone from the shared config_dir" \
	test ! -e $SITE_CONFIGS/$name.install.cfg -a ! -e $SITE_CONFIGS/$name.boot.cfg
check "the inventory keeps its row, destroyed (provision list --all)" \
	grep -Eq "^$name .* destroyed" <<< "$(provision list --all)"
provision show $name > "$OUT/show-$name-end.txt" 2>&1
finish
