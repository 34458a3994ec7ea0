#!/bin/bash
# clone: install once with FAI, capture a golden image, clone two guests from it (issue 13).
#   provision new-guest web1 --template debian --vlan 53 --until install   (the real FAI install)
#   provision image capture web1 golden                                     (web1 is not running)
#   provision resume web1                                                   (web1 boots)
#   provision new-guest web2|web3 --template labpc --vlan 53 --image golden   (256M each)
# Checked apart from provision: all three boot to 'PROVISION-READY NAME' with their own names and
# addresses and answer ping over VLAN 53; their MACs (xl network-list) and addresses differ; the
# machine-id and the SSH host key fingerprint each guest prints on its console (PROVISION-ID, from
# rc.local: the FAI class's first boot makes a machine-id where none is) differ; the image
# partition is named image:golden on the LUN (sfdisk) and an fsck of it is clean; the image cannot
# be deleted while its clones run. Timed: the FAI install stage against each clone's.
# lab: fai 2400
. "$(dirname "$0")/lib.sh"

step "the site: FAI server on 10.53.0.1, the lab's templates, GPT labels on the LUNs"
check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish

step "web1: the real FAI install, not booted"
t0=$(now)
prov new-guest web1 --template debian --vlan 53 --until install
rc=$?
t_fai=$(since "$t0")
timing "new-guest web1 --until install (FAI): $t_fai s (exit $rc)"
keep_guest_state web1
check "web1 installed (exit 0)" test $rc = 0 || finish

step "capture web1 as image 'golden'"
t0=$(now)
prov image capture web1 golden
rc=$?
t_cap=$(since "$t0")
timing "image capture: $t_cap s (exit $rc)"
check "capture exits 0" test $rc = 0 || finish
provision image show golden --json > "$OUT/image-golden.json" 2>&1
sed 's/^/LAB-INFO: /' "$PROV_LAST" | grep -E 'captured|sha256'
img_lun=$(tr ',{}' '\n\n\n' < "$OUT/image-golden.json" | sed -n 's/^ *"lun": *"\([^"]*\)".*/\1/p' | head -1)
img_no=$(tr ',{}' '\n\n\n' < "$OUT/image-golden.json" | sed -n 's/^ *"partno": *\([0-9]*\).*/\1/p' | head -1)
check "the image partition: $img_lun partition $img_no named image:golden (sfdisk)" \
	gpt_has "$img_lun" "$img_no" "image:golden\""
check "the image's ext4 is clean (e2fsck -fn ${img_lun}p$img_no)" e2fsck -fn "${img_lun}p$img_no"
check "a second capture of the same name is refused (exit 3)" sh -c 'provision image capture web1 golden; test $? = 3'

step "web1 boots"
prov resume web1
check "resume web1 exits 0" test $? = 0

for n in web2 web3; do
	step "$n: a clone of 'golden'"
	t0=$(now)
	prov new-guest $n --template labpc --vlan 53 --image golden
	rc=$?
	timing "new-guest $n --image golden (all stages): $(since "$t0") s (exit $rc)"
	s=$(prov_when "stage: install") e=$(prov_when "stage: boot")
	[ -n "$s" ] && [ -n "$e" ] && timing "$n: from the install stage to the boot stage: $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", b - a }') s"
	s=$(prov_when "stage: format") e=$(prov_when "stage: network")
	[ -n "$s" ] && [ -n "$e" ] && timing "$n: the format stage (the clone's copy, resize, personalisation): $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", b - a }') s"
	keep_guest_state $n
	check "$n: new-guest --image exits 0" test $rc = 0
done

step "the three guests, apart from provision"
xl list
macs=() ips=() ids=() keys=()
for n in web1 web2 web3; do
	ip=$(guest_field $n ip)
	mac=$(xl network-list $n 2> /dev/null | awk 'NR == 2 { print $3 }')
	keep_console $n ready
	id=$(console_last $n PROVISION-ID) info=$(console_last $n PROVISION-INFO)
	echo "LAB-INFO: $n: mac $mac, $id"
	echo "LAB-INFO: $n: $info"
	mid=$(sed -n 's/.*machine-id=\([0-9a-f]*\).*/\1/p' <<< "$id")
	key=$(sed -n 's/.*ssh-ed25519=\(SHA256:[^ ]*\).*/\1/p' <<< "$id")
	ips+=("$ip") macs+=("$mac") ids+=("$mid") keys+=("$key")
	check "$n: runs (xl list)" xl list $n
	check "$n: its console has 'PROVISION-READY $n'" grep -aq "^PROVISION-READY $n" "$CONSOLE_DIR/guest-$n.log"
	check "$n: the guest has its own address $ip/24" grep -q "addr=$ip/24" <<< "$info"
	check "$n: a machine-id of 32 hex digits ($mid)" grep -qE '^[0-9a-f]{32}$' <<< "$mid"
	check "$n: an SSH host key ($key)" test -n "$key"
	check "$n: answers over VLAN 53 (ping $ip)" busybox ping -c 3 -W 5 "$ip"
done
check "three distinct addresses (${ips[*]})" distinct "${ips[@]}"
check "three distinct MACs (${macs[*]})" distinct "${macs[@]}"
check "three distinct machine-ids" distinct "${ids[@]}"
check "three distinct SSH host keys" distinct "${keys[@]}"
check "the clones' partitions are named guest:web2, guest:web3" \
	test "$(gpt_names | grep -c '^guest:web[23]$')" = 2

step "the image in use"
check "image delete golden is refused while its clones run (exit 3)" \
	sh -c 'provision image delete golden; test $? = 3'
provision image list | sed 's/^/LAB-INFO: /'

step "destroy all three, then the image"
for n in web1 web2 web3; do
	prov destroy $n --yes
	check "$n destroyed" test $? = 0
	check "$n: the domain is gone (xl)" domain_gone $n 30
done
prov image delete golden
check "image delete golden exits 0 once no clone runs" test $? = 0
check "no partition named guest:web* or image:golden left (sfdisk)" \
	test "$(gpt_names | grep -c -e '^guest:web' -e '^image:golden$')" = 0
finish
