#!/bin/bash
# demo: what an admin sees. In the lab's dom0 (Xen 4.17, the site's two FC LUNs, VLAN 53 on
# the trunk, the FAI server on 10.53.0.1):
#   provision new-guest web1 --template debian --vlan 53
#   provision list
#   provision show web1
# Every line provision prints is shown as it comes ('LAB> ' lines). The guest stays running
# until the lab powers off (tests/lab/run demo shell keeps a dom0 shell open after it).
# lab: fai 2400
. "$(dirname "$0")/lib.sh"

step "the site: /etc/provision/site.yaml, FAI server on 10.53.0.1, 'provision lun init' of the LUNs"
sed 's/^/LAB> | /' /etc/provision/site.yaml
check "FAI server up" fai_server_start > /dev/null || finish
check "templates in place, LUNs labelled" provision_site || finish

step "a new guest, end to end (each real FAI install takes 4 to 15 minutes under TCG)"
t0=$(now)
prov new-guest web1 --template debian --vlan 53
rc=$?
timing "provision new-guest web1: $(since "$t0") s"
check "provision new-guest web1 succeeded" test $rc = 0
prov list
prov show web1
step "the guest as Xen sees it"
xl list | sed 's/^/LAB> | /'
grep -a '^PROVISION-' "$CONSOLE_DIR/guest-web1.log" | tr -d '\r' | sed 's/^/LAB> | web1 console: /'
keep_guest_state web1
finish
