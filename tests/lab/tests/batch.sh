#!/bin/bash
# batch: two lab machines at once, end to end, on one Dom0:
#   provision batch lab.yaml      (template debian, VLAN 53, names "lab{1..2}")
# The batch runs them in parallel (its default from Xen's free memory allows both), their FAI installs
# overlap, each watched through the Dom0's one FAI monitor relay (provision fai-monitor), and
# each guest boots its production kernel. Checked apart from provision: two partitions named
# guest:labN (sfdisk), two running domains from them (xl), two ready markers with distinct
# addresses, each guest answering over VLAN 53; every install's FAI reports kept with its lines
# only; the install intervals overlap. Then destroy releases both. (Two, not
# more, for CI's time: two installs overlapping show the parallel run as well as three.)
# lab: fai 3000
# lab: mem 6144
. "$(dirname "$0")/lib.sh"
names="lab1 lab2"

step "the site: FAI server on 10.53.0.1, the lab's templates, GPT labels on the LUNs"
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish
xl info | grep -E '^(total|free)_memory' | sed 's/^/LAB-INFO: /'

cat > /tmp/lab.yaml << 'EOT'
name: course
template: debian
vlan: 53
names: "lab{1..2}"
EOT
step "provision batch lab.yaml: $names"
t0=$(now)
prov batch /tmp/lab.yaml
rc=$?
timing "provision batch of 2: $(since "$t0") s (exit $rc)"
for n in $names; do
	keep_guest_state $n
	cp "$CONSOLE_DIR/guest-$n.log" "$OUT/xenconsoled-$n.log" 2> /dev/null
done
cp -r "$SITE_STATE/fai-monitor" "$OUT/fai-monitor" 2> /dev/null
check "batch exits 0" test $rc = 0
# the line gives the batch's limit from Xen's free memory (3 here), not the guests' count
check "the batch may run both at once (its default from Xen's free memory: 2 or more)" \
	grep -Eq "running batch 'course': 2 guests, template debian, up to boot, ([2-9]|[1-9][0-9]+) at once" $PROV_LAST
check "summary: 2 done" grep -q "^batch 'course': 2 done, 0 failed, 0 skipped" $PROV_LAST

step "the installs overlapped (from the batch's progress lines)"
ends=() starts=()
for n in $names; do
	s=$(prov_when "$n: stage install") e=$(prov_when "$n: stage boot")
	echo "LAB-INFO: $n install from $s to $e"
	starts+=("$s") ends+=("$e")
done
latest_start=$(printf '%s\n' "${starts[@]}" | sort -n | tail -1)
earliest_end=$(printf '%s\n' "${ends[@]}" | sort -n | head -1)
check "every install started before the first one ended" \
	awk -v s="$latest_start" -v e="$earliest_end" 'BEGIN { exit !(s != "" && e != "" && s < e) }'

step "the guests, apart from provision"
xl list
ips=()
for n in $names; do
	ip=$(guest_field $n ip) lun=$(guest_field $n lun) partno=$(guest_field $n number)
	ips+=("$ip")
	check "$n: GPT of $lun: partition $partno named guest:$n (sfdisk)" gpt_has "$lun" "$partno" "guest:$n\""
	check "$n: xl list shows it running" xl list $n
	xl list -l $n > "$OUT/xl-list-$n.json" 2>&1
	check "$n: runs the production kernel from ${lun}p$partno (xl list -l)" \
		sh -c "grep -q '\"kernel\": \"/srv/guest/vmlinux\"' $OUT/xl-list-$n.json && grep -q '\"pdev_path\": \"${lun}p$partno\"' $OUT/xl-list-$n.json"
	info=$(console_last $n PROVISION-INFO)
	echo "LAB-INFO: $n: $info"
	check "$n: its console has 'PROVISION-READY $n'" grep -aq "^PROVISION-READY $n" "$CONSOLE_DIR/guest-$n.log"
	check "$n: the guest has $ip/24" grep -q "addr=$ip/24" <<< "$info"
	check "$n: answers over VLAN 53 (ping $ip)" busybox ping -c 3 -W 5 "$ip"
	f=$SITE_STATE/guests/$n/fai-monitor.log
	check "$n: FAI's reports kept ($f), each line from $n, ending with faiend" \
		sh -c "test -s $f && ! grep -qv '^$n ' $f && grep -q '^$n TASKEND faiend 0' $f"
done
check "two distinct addresses (${ips[*]})" test "$(printf '%s\n' "${ips[@]}" | sort -u | grep -c .)" = 2
check "two partitions named guest:lab1..2 on the LUNs" test "$(gpt_names | grep -c '^guest:lab[12]$')" = 2
check "no FAI line went unclaimed" test ! -s "$SITE_STATE/fai-monitor/unclaimed.log"

step "provision batch lab.yaml again: nothing to do"
t0=$(now)
prov batch /tmp/lab.yaml
rc=$?
timing "second run: $(since "$t0") s (exit $rc)"
check "second run exits 0" test $rc = 0
check "second run: 2 done" grep -q "^batch 'course': 2 done, 0 failed, 0 skipped" $PROV_LAST
check "still two domains" test "$(xl list | grep -c '^lab[12] ')" = 2

step "destroy both"
for n in $names; do
	prov destroy $n --yes
	check "$n destroyed" test $? = 0
	check "$n: the domain is gone (xl)" domain_gone $n 30
done
check "no partition named guest:lab* left (sfdisk)" test "$(gpt_names | grep -c '^guest:lab')" = 0
relay_gone() { for _ in $(seq 60); do pgrep -f 'provision .*fai-monitor' > /dev/null || return 0; sleep 1; done; return 1; }
check "the FAI monitor relay left after the last install (no provision fai-monitor process)" relay_gone
finish
