#!/bin/bash
# batch-clone: a course's eight lab machines with 'install: once' (issue 13):
#   provision batch course.yaml   (template labpc, VLAN 53, names "pc{1..8}", install: once)
# pc1 is installed by FAI (with 1G for the installer), captured as image 'course', and pc2..pc8
# are cloned from it, several at once. Checked apart from provision: eight running domains on
# partitions named guest:pcN (sfdisk), eight ready markers with their own names, distinct
# addresses, machine-ids and SSH host keys, each guest answering over VLAN 53; one FAI install
# only (FAI's reports kept for pc1 alone). Timed: the batch against its one FAI install. Then
# destroy and the image's delete release everything.
# lab: fai 3000
# lab: mem 5632
. "$(dirname "$0")/lib.sh"
names=$(echo pc{1..8})

step "the site: FAI server on 10.53.0.1, the lab's templates, GPT labels on the LUNs"
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish
xl info | grep -E '^(total|free)_memory' | sed 's/^/LAB-INFO: /'

course_batch /tmp/course.yaml
step "provision batch course.yaml -n: the plan"
prov batch /tmp/course.yaml -n
check "the plan installs pc1 with FAI and clones the seven others" \
	grep -q "install: 'pc1' with FAI, then captured as image 'course'; 7 clones of it" $PROV_LAST

step "provision batch course.yaml: $names"
t0=$(now)
prov batch /tmp/course.yaml
rc=$?
t_all=$(since "$t0")
for n in $names; do keep_guest_state $n; done
check "batch exits 0" test $rc = 0
check "summary: 8 done" grep -q "^batch 'course': 8 done, 0 failed, 0 skipped" $PROV_LAST
s=$(prov_when "pc1: stage install") e=$(prov_when "pc1: stage capture")
[ -n "$e" ] || e=$(prov_when "pc2: stage")
t_inst=$(awk -v a="$s" -v b="$e" 'BEGIN { if (a != "" && b != "") printf "%.1f", b - a }')
timing "batch of 8 with install: once: $t_all s; pc1's FAI install ${t_inst:-?} s"
[ -n "$t_inst" ] && timing "ratio batch / one install: $(awk -v a="$t_all" -v b="$t_inst" 'BEGIN { printf "%.2f", a / b }')"

step "the guests, apart from provision"
xl list
ips=() ids=() keys=()
for n in $names; do
	ip=$(guest_field $n ip) lun=$(guest_field $n lun) partno=$(guest_field $n number)
	id=$(console_last $n PROVISION-ID) info=$(console_last $n PROVISION-INFO)
	echo "LAB-INFO: $n: $id"
	ips+=("$ip")
	ids+=("$(sed -n 's/.*machine-id=\([0-9a-f]*\).*/\1/p' <<< "$id")")
	keys+=("$(sed -n 's/.*ssh-ed25519=\(SHA256:[^ ]*\).*/\1/p' <<< "$id")")
	check "$n: GPT of $lun: partition $partno named guest:$n (sfdisk)" gpt_has "$lun" "$partno" "guest:$n\""
	check "$n: xl list shows it running" xl list $n
	check "$n: its console has 'PROVISION-READY $n'" grep -aq "^PROVISION-READY $n" "$CONSOLE_DIR/guest-$n.log"
	check "$n: the guest has $ip/24" grep -q "addr=$ip/24" <<< "$info"
	check "$n: answers over VLAN 53 (ping $ip)" busybox ping -c 3 -W 5 "$ip"
done
check "eight distinct addresses" distinct "${ips[@]}"
check "eight distinct machine-ids" distinct "${ids[@]}"
check "eight distinct SSH host keys" distinct "${keys[@]}"
check "one FAI install: FAI's reports kept for pc1" test -s "$SITE_STATE/guests/pc1/fai-monitor.log"
check "no FAI install for the clones" sh -c "! ls $SITE_STATE/guests/pc[2-8]/fai-monitor.log 2> /dev/null | grep -q ."

step "provision batch course.yaml again: nothing to do"
prov batch /tmp/course.yaml
check "second run: 8 done" grep -q "^batch 'course': 8 done, 0 failed, 0 skipped" $PROV_LAST

step "destroy all eight, then the image"
for n in $names; do
	prov destroy $n --yes > /dev/null
	check "$n destroyed" test $? = 0
done
for n in $names; do check "$n: the domain is gone (xl)" domain_gone $n 30; done
prov image delete course
check "image delete course exits 0" test $? = 0
check "no partition named guest:pc* or image:course left (sfdisk)" \
	test "$(gpt_names | grep -c -e '^guest:pc' -e '^image:course$')" = 0
finish
